"""`VariationalAutoEncoder`: a VAE with scikit-learn's transformer interface."""

from __future__ import annotations

import warnings
from functools import partial
from numbers import Integral, Real

import numpy as np
import torch
from scipy import special
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from aekit.training.callbacks import KLWarmup
from aekit.data._sources import DataSource
from aekit.data._sparse_input import is_sparse
from aekit.training._batching import row_blocks
from aekit.estimators.base import TRAINING_CONSTRAINTS, BaseAutoEncoder, _ndim, _plain, one_of, positive_ints
from aekit.estimators.conv import ImageInput, image_shape
from aekit.estimators._sparse_codes import unit_indices
from aekit.nn.likelihoods import COUNT_LIKELIHOODS, GAUSSIAN_VARIANCES, check_counts, make_likelihood, output_activation_for
from aekit.nn.models import VariationalAutoEncoderModule
from aekit.nn import ACTIVATIONS, ConvDecoder, ConvEncoder, MLPDecoder, MLPEncoder
from aekit.nn.priors import PRIORS, make_prior

__all__ = ["VariationalAutoEncoder"]

ACTIVE_UNIT_THRESHOLD = 0.01
BACKBONE_OPTIONS = {"mlp": ("hidden_dims",), "conv": ("channels", "input_shape")}  # refused off their defaults with the other backbone
VAE_LIKELIHOODS = ("bernoulli", "gaussian", "student_t", *COUNT_LIKELIHOODS)  # p(x|z) a VAE decodes to


def _is_binary(X) -> bool:
    """Whether every value of X is 0 or 1 (of a scipy.sparse X, its stored values; of a streamed
    source, those of its first rows)."""
    values = X.data if is_sparse(X) else X.read(0, min(X.n_rows, 4096)) if isinstance(X, DataSource) else X
    return bool(np.all((values == 0) | (values == 1)))


class VariationalAutoEncoder(ImageInput, BaseAutoEncoder):
    """Variational autoencoder (Kingma & Welling 2014) with a Gaussian posterior q(z|x).

    Trained on the negative ELBO in nats; `transform` gives posterior means, `sample` decodes
    draws from the prior, `score_samples` is the per-sample ELBO and `log_likelihood` the
    importance-weighted estimate of log p(x).

    Parameters
    ----------
    latent_dim : int, default=2
    hidden_dims : sequence of int, default=(128, 64)
        Encoder hidden widths; the decoder mirrors them (backbone='mlp'; refused off its
        default with backbone='conv').
    backbone : {'mlp', 'conv'}, default='mlp'
        'conv': a `ConvEncoder` / `ConvDecoder` pair (strided convolutions down, nearest
        interpolation + convolution up) on images (n, C, H, W) or (n, H, W), or rows with
        `input_shape`, as `ConvAutoEncoder` takes them; `reconstruct` follows X's layout,
        `sample` and `inverse_transform` give rows. The MLP takes images too, as flat rows
        (their shape kept as `image_shape_`).
    input_shape : (channels, height, width), (height, width) or None, default=None
        Shape of each row of a flat X for backbone='conv', as for `ConvAutoEncoder` (refused
        with backbone='mlp', which keeps the images' shape as `image_shape_`).
    channels : sequence of int, default=(32, 64)
        Convolution widths for backbone='conv'; each stage halves height and width (refused
        off its default with backbone='mlp').
    activation : str, default='relu'
    likelihood : {'auto', 'bernoulli', 'gaussian', 'student_t', 'multinomial', 'poisson'}, default='auto'
        p(x|z). 'auto' is Bernoulli when the training data lie in [0, 1], else Gaussian. On
        grey values (not only 0 and 1) 'auto' takes Bernoulli, the tutorials' cross-entropy,
        without the warning an explicit 'bernoulli' gets, but its nats are then no
        log-likelihood of the data: binarize='dynamic' or likelihood='gaussian' give one.
        For word counts (documents as bag-of-words rows, dense or scipy.sparse), 'multinomial'
        (a softmax over the vocabulary, as the neural variational document model) or 'poisson';
        the encoder then reads log(1 + counts), and `sample` / `inverse_transform` give word
        proportions (multinomial) or rates (poisson). MLP backbone only. The multinomial's
        nats (training loss, `score_samples`, `log_likelihood`) are those of the document's
        words in one given order, sum_j x_j log p_j: the probability of its counts is higher by the
        multinomial coefficient log(N! / prod_j x_j!), N the document's length, which no model
        changes; the Poisson's include their log(x_j!) terms, so only they are log p(x) of the counts.
    gaussian_variance : {'feature', 'fixed', 'sample'}, default='feature'
        For the Gaussian likelihood: one learned variance per feature, unit variance, or a
        variance predicted by the decoder for every element.
    prior : {'normal', 'student_t'}, default='normal'
    prior_df : float, default=3.0
        Degrees of freedom of the Student-t prior.
    learn_prior_df : bool, default=False
        Learn the Student-t prior's degrees of freedom (then read as `prior_df_`).
    beta : float, default=1.0
        Weight of the KL term (beta-VAE).
    kl_warmup_epochs : int, default=0
        Ramp the KL weight linearly from 0 to `beta` over this many epochs.
    free_bits : float, default=0.0
        Minimum KL in nats per code unit (batch mean) below which it is not penalised.
    binarize : {None, 'dynamic'}, default=None
        'dynamic' trains on x ~ Bernoulli(x), redrawn for every batch (data in [0, 1]).
    n_score_draws : int, default=10
        Posterior draws behind `score_samples`, fixed by each sample's values (a sample scores the
        same in any batch) and independent between samples, so the errors of a data set's
        scores average out in their mean (a single score keeps the error of its own draws).
    optimizer, learning_rate, weight_decay, momentum, max_time, validation_fraction, grad_clip
        As for `AutoEncoder`, with the same defaults; the validation loss is the negative ELBO.
    batch_size, max_epochs, early_stopping, lr_schedule
        As for `AutoEncoder`, with other defaults: batch_size=256, max_epochs=100,
        early_stopping=None, lr_schedule=None.
    precision, compile, warm_start, distributed, device, n_threads, random_state, verbose
        As for `AutoEncoder`.

    Attributes
    ----------
    module_ : VariationalAutoEncoderModule
    history_ : dict
    n_epochs_ : int
    n_threads_ : int
    active_units_ : int
        Code units whose posterior mean varies across the training data (variance > 0.01);
        fewer than `latent_dim` shows posterior collapse. After `partial_fit` or a warm start,
        the units that varied on any piece since the network was built, each piece coded as the
        model stood after training on it: `latent_dim` minus the `collapsed_units_`.
    collapsed_units_ : ndarray of int
        The code units counted out of `active_units_`: their posterior mean varied on no piece.
    likelihood_ : str
        The likelihood p(x|z) trained with ('auto' resolved: 'bernoulli' or 'gaussian').
    prior_df_ : float
        Degrees of freedom of the fitted Student-t prior (prior='student_t' only).
    input_shape_ : tuple
        (channels, height, width) of the inputs (backbone='conv' only).
    image_shape_ : tuple
        (channels, height, width) of the images an MLP was fitted on (absent for rows).
    n_features_in_ : int

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from aekit import VariationalAutoEncoder
    >>> X = load_digits().data / 16
    >>> vae = VariationalAutoEncoder(latent_dim=4, max_epochs=5, random_state=0).fit(X)
    >>> vae.sample(3, random_state=0).shape
    (3, 64)
    """

    _sparse_input = True
    _parameter_constraints: dict = {
        **TRAINING_CONSTRAINTS,
        "hidden_dims": ["array-like"],
        "backbone": [StrOptions({"mlp", "conv"})],
        "input_shape": ["array-like", None],
        "channels": ["array-like"],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "likelihood": [StrOptions({"auto", *VAE_LIKELIHOODS})],
        "gaussian_variance": [StrOptions(set(GAUSSIAN_VARIANCES))],
        "prior": [StrOptions(set(PRIORS))],
        "prior_df": [Interval(Real, 0.5, None, closed="neither")],
        "learn_prior_df": ["boolean"],
        "beta": [Interval(Real, 0, None, closed="left")],
        "kl_warmup_epochs": [Interval(Integral, 0, None, closed="left")],
        "free_bits": [Interval(Real, 0, None, closed="left")],
        "binarize": [StrOptions({"dynamic"}), None],
        "n_score_draws": [Interval(Integral, 1, None, closed="left")],
    }
    _fitted_state = {**BaseAutoEncoder._fitted_state, "active_units_": int, "collapsed_units_": unit_indices, "prior_df_": float,
                     "input_shape_": image_shape, "likelihood_": one_of(VAE_LIKELIHOODS)}  # fmt: skip
    _optional_fitted = BaseAutoEncoder._optional_fitted | {"prior_df_", "input_shape_", "collapsed_units_", "likelihood_"}  # a Student-t prior's; a conv backbone's; newer

    def __init__(
        self,
        latent_dim=2,
        *,
        hidden_dims=(128, 64),
        backbone="mlp",
        input_shape=None,
        channels=(32, 64),
        activation="relu",
        likelihood="auto",
        gaussian_variance="feature",
        prior="normal",
        prior_df=3.0,
        learn_prior_df=False,
        beta=1.0,
        kl_warmup_epochs=0,
        free_bits=0.0,
        binarize=None,
        n_score_draws=10,
        optimizer="adam",
        learning_rate=1e-3,
        weight_decay=0.0,
        momentum=0.9,
        batch_size=256,
        max_epochs=100,
        max_time=None,
        validation_fraction=0.1,
        early_stopping=None,
        grad_clip=None,
        precision="32",
        compile=False,
        lr_schedule=None,
        warm_start=False,
        distributed=False,
        device="auto",
        n_threads="auto",
        random_state=None,
        verbose=False,
    ):
        self.latent_dim = latent_dim
        self.hidden_dims = hidden_dims
        self.backbone = backbone
        self.input_shape = input_shape
        self.channels = channels
        self.activation = activation
        self.likelihood = likelihood
        self.gaussian_variance = gaussian_variance
        self.prior = prior
        self.prior_df = prior_df
        self.learn_prior_df = learn_prior_df
        self.beta = beta
        self.kl_warmup_epochs = kl_warmup_epochs
        self.free_bits = free_bits
        self.binarize = binarize
        self.n_score_draws = n_score_draws
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.momentum = momentum
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.max_time = max_time
        self.validation_fraction = validation_fraction
        self.early_stopping = early_stopping
        self.grad_clip = grad_clip
        self.precision = precision
        self.compile = compile
        self.lr_schedule = lr_schedule
        self.warm_start = warm_start
        self.distributed = distributed
        self.device = device
        self.n_threads = n_threads
        self.random_state = random_state
        self.verbose = verbose

    def _likelihood_name(self, output_activation: str) -> str:
        if self.likelihood != "auto":
            return self.likelihood
        return "bernoulli" if output_activation == "sigmoid" else "gaussian"

    def _check_data_against_params(self, X: np.ndarray) -> str:
        low, high = float(X.min()), float(X.max())
        needs_unit = [s for s, on in (("likelihood='bernoulli'", self.likelihood == "bernoulli"),
                                      ("binarize='dynamic'", self.binarize == "dynamic")) if on]
        if needs_unit and not (low >= 0 and high <= 1):
            raise ValueError(
                f"{' and '.join(needs_unit)} need{'s' if len(needs_unit) == 1 else ''} X in [0, 1], got values in "
                f"[{low:.4g}, {high:.4g}]; scale X or use likelihood='gaussian'"
            )
        if self.binarize == "dynamic" and self.likelihood not in ("auto", "bernoulli"):
            raise ValueError(f"binarize='dynamic' needs likelihood='bernoulli', got {self.likelihood!r}")
        if self.likelihood in COUNT_LIKELIHOODS:
            if self.backbone != "mlp":
                raise ValueError(f"likelihood={self.likelihood!r} models rows of counts (word counts): use backbone='mlp', "
                                 f"not {self.backbone!r}")
            check_counts(f"likelihood={self.likelihood!r}", low)
        requested = "auto" if self.likelihood in ("auto", "bernoulli", *COUNT_LIKELIHOODS) else "linear"  # counts decode through their own
        activation = output_activation_for(self.likelihood, requested, X)
        self.likelihood_ = self._likelihood_name(activation)
        self._check_options_apply(self.likelihood_)
        if self.likelihood == "bernoulli" and self.binarize is None and not _is_binary(X):
            message = (f"likelihood='bernoulli' on data that are not binary (values in [{low:.4g}, {high:.4g}], not only 0 "
                       "and 1): the loss and scores in nats are not log-likelihoods of these data. Set binarize='dynamic' "
                       "to train on binary draws of them, or use likelihood='gaussian'")  # fmt: skip
            warnings.warn(message, UserWarning, stacklevel=2)
        return activation

    def _check_options_apply(self, likelihood: str) -> None:
        """Refuse a prior or likelihood option that the chosen prior or likelihood would leave
        without effect (training as if it were unset)."""
        prior_set = [f"{k}={getattr(self, k)!r}" for k in ("prior_df", "learn_prior_df") if getattr(self, k) != self._default(k)]
        if self.prior != "student_t" and prior_set:
            raise ValueError(f"{' and '.join(prior_set)} shape{'s' if len(prior_set) == 1 else ''} the Student-t prior, but "
                             f"prior={self.prior!r}: set prior='student_t', or leave {'it at its default' if len(prior_set) == 1 else 'them at their defaults'}")
        if likelihood != "gaussian" and self.gaussian_variance != self._default("gaussian_variance"):
            raise ValueError(f"gaussian_variance={self.gaussian_variance!r} is the Gaussian likelihood's variance, but the "
                             f"likelihood is {likelihood!r} (likelihood={self.likelihood!r}): set likelihood='gaussian', "
                             "or leave gaussian_variance at its default")

    def _training_data(self, X, y, reset: bool):
        self._check_backbone_options()
        return super()._training_data(X, y, reset)

    def _check_backbone_options(self) -> None:
        """Refuse options of the backbone not chosen (set off their defaults), which would build nothing."""
        owner, other = next((b, names) for b, names in BACKBONE_OPTIONS.items() if b != self.backbone)
        changed = [f"{k}={getattr(self, k)!r}" for k in other if _plain(getattr(self, k)) != _plain(self._default(k))]
        if changed:
            raise ValueError(
                f"{' and '.join(changed)} shape{'s' if len(changed) == 1 else ''} the {owner!r} backbone, but "
                f"backbone={self.backbone!r}: set backbone={owner!r}, or leave "
                f"{'it at its default' if len(changed) == 1 else 'them at their defaults'}"
            )

    def _validate_X(self, X, reset: bool):
        if self.backbone == "conv":
            return super()._validate_X(X, reset)
        return BaseAutoEncoder._validate_X(self, X, reset)  # images as flat rows, their shape kept

    def _backbone(self, n_features: int, outputs_per_feature: int, counts: bool = False) -> tuple[torch.nn.Module, torch.nn.Module]:
        """Encoder to (batch, 2 * latent_dim) and decoder to (batch, outputs_per_feature * n_features);
        an MLP encoder of `counts` reads log(1 + x)."""
        if self.backbone == "mlp":
            hidden = positive_ints(self.hidden_dims, "hidden_dims")
            return (
                MLPEncoder(n_features, 2 * self.latent_dim, hidden, self.activation, input_transform="log1p" if counts else None),
                MLPDecoder(self.latent_dim, outputs_per_feature * n_features, hidden[::-1], self.activation),
            )
        channels = positive_ints(self.channels, "channels")
        c, h, w = getattr(self, "input_shape_", None) or self._resolve_input_shape(None, n_features)  # older folders lack it
        return (
            ConvEncoder((c, h, w), 2 * self.latent_dim, channels, activation=self.activation),
            ConvDecoder(self.latent_dim, (outputs_per_feature * c, h, w), channels, activation=self.activation),
        )

    def _build_module(self, n_features: int, output_activation: str) -> VariationalAutoEncoderModule:
        name = self._likelihood_name(output_activation)
        options = {"variance": self.gaussian_variance} if name == "gaussian" else {}
        likelihood = make_likelihood(name, n_features, output_activation, **options)
        prior_options = {"df": self.prior_df, "learn_df": self.learn_prior_df} if self.prior == "student_t" else {}
        return VariationalAutoEncoderModule(
            *self._backbone(n_features, likelihood.outputs_per_feature, counts=name in COUNT_LIKELIHOODS),
            likelihood,
            make_prior(self.prior, **prior_options),
            self.latent_dim,
            beta=self.beta,
            free_bits=self.free_bits,
            binarize=self.binarize == "dynamic",
        )

    def _fit_settings(self) -> dict:
        return {**super()._fit_settings(), "likelihood": self.likelihood_}

    def _training_callbacks(self) -> list:
        return [KLWarmup(self.kl_warmup_epochs)] if self.kl_warmup_epochs > 0 else []

    def _before_training(self, module, X_train, Y_train, X_val=None) -> None:
        vars(self).pop("collapsed_units_", None)  # a new network starts a new record of its units
        super()._before_training(module, X_train, Y_train, X_val)

    def _after_fit(self, module, X_train, Y_train, seed):
        """Count the active units: those whose posterior mean varies on these rows or, after a
        warm start or `partial_fit`, on an earlier piece's."""
        module.kl_weight = 1.0
        with self._threads(min(X_train.shape[0], 4096)), torch.inference_mode():
            means = torch.cat([module.encode(X_train[i : i + 4096]) for i in range(0, X_train.shape[0], 4096)])
        variance = means.var(dim=0) if means.shape[0] > 1 else torch.zeros(self.latent_dim)
        collapsed = np.flatnonzero(variance.cpu().numpy() <= ACTIVE_UNIT_THRESHOLD)
        earlier = getattr(self, "collapsed_units_", None)
        self.collapsed_units_ = collapsed if earlier is None else np.intersect1d(earlier, collapsed)
        self.active_units_ = self.latent_dim - len(self.collapsed_units_)
        vars(self).pop("prior_df_", None)
        if self.prior == "student_t":
            self.prior_df_ = module.prior.df().item()

    def score_samples(self, X):
        """ELBO of each sample in nats (higher is better): (n_samples,).

        Parameters
        ----------
        X : array-like or sparse matrix
            Rows (n_samples, n_features); images (n, C, H, W) or (n, H, W) for backbone='conv'.

        Returns
        -------
        elbo : ndarray of shape (n_samples,)
            Averaged over `n_score_draws` posterior draws (the KL term is exact for the normal
            prior); in expectation below `log_likelihood`, a tighter bound on log p(x).
        """
        check_is_fitted(self)
        return -self._batched("sample_losses", self._validate_X(X, reset=False), n_draws=self.n_score_draws)

    def _generator(self, random_state) -> torch.Generator:
        """A torch generator on the model's device seeded from `random_state`, or without one
        from the estimator's, so a seeded estimator draws the same samples every time."""
        device = next(self.module_.parameters()).device
        return torch.Generator(device=device).manual_seed(self._seed(random_state))

    def sample(self, n_samples: int = 1, random_state=None) -> np.ndarray:
        """Decoded means of `n_samples` draws from the prior: rows (n_samples, n_features), float64,
        also for images (as `inverse_transform`): `.reshape(-1, *input_shape_)` makes them images
        (`image_shape_` for backbone='mlp').

        Parameters
        ----------
        n_samples : int, default=1
            Number of draws.
        random_state : int, RandomState or None, default=None
            Seeds the draws; None uses the estimator's `random_state`.

        Returns
        -------
        samples : ndarray of shape (n_samples, n_features)
            The decoded draws.
        """
        check_is_fitted(self)
        if not isinstance(n_samples, Integral) or isinstance(n_samples, bool) or n_samples < 1:
            raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}")
        with self._threads(int(n_samples)), torch.inference_mode():
            return self.module_.sample(int(n_samples), self._generator(random_state)).cpu().double().numpy()

    def prior_quantile(self, q) -> np.ndarray:
        """The prior's quantiles q (k,) in every code unit: (k, latent_dim); `latent_grid` of a VAE
        spans its 5 % to 95 % quantiles.

        Parameters
        ----------
        q : float or array-like of shape (k,)
            Probabilities in [0, 1].

        Returns
        -------
        quantiles : ndarray of shape (k, latent_dim)
            The same quantiles repeated for every code unit ((latent_dim,) for a scalar q).
        """
        check_is_fitted(self)
        try:
            p = np.asarray(q, dtype=np.float64)
        except (TypeError, ValueError):
            p = None
        if p is None or p.ndim > 1 or not ((p >= 0) & (p <= 1)).all():
            raise ValueError(f"q must be a probability in [0, 1] or a 1-D array of them, got {q!r}")
        q = p
        values = np.asarray(special.stdtrit(self.prior_df_, q) if hasattr(self, "prior_df_") else special.ndtri(q))
        return np.repeat(values[..., None], self.latent_dim, axis=-1)

    def reconstruct(self, X, n_samples: int | None = None, random_state=None):
        """Decoded posterior means (n, n_features); with `n_samples`, that many decoded
        posterior draws per input, shape (n_samples, n, n_features), for uncertainty. Images
        X give images in X's layout, with either backbone: (n, C, H, W) or (n, H, W), and
        (n_samples, n, ...) with `n_samples`.

        Parameters
        ----------
        X : array-like, sparse matrix, str or Path
            Rows (n_samples, n_features), or images (n, C, H, W) or (n, H, W); also a `.npy`
            or Parquet path.
        n_samples : int or None, default=None
            Number of posterior draws per input; None decodes the posterior means.
        random_state : int, RandomState or None, default=None
            Seeds the posterior draws; None uses the estimator's `random_state`.

        Returns
        -------
        X_reconstructed : ndarray
            (n, n_features), or (n_samples, n, n_features) with `n_samples`, in X's layout.
        """
        if n_samples is None:
            return super().reconstruct(X)
        layout = partial(self._in_layout, ndim=_ndim(X), shape=self._layout_shape(X))
        check_is_fitted(self)
        if not isinstance(n_samples, Integral) or isinstance(n_samples, bool) or n_samples < 1:
            raise ValueError(f"n_samples must be a positive integer or None, got {n_samples!r}")
        X = self._validate_X(X, reset=False)
        if isinstance(X, DataSource):  # a .npy or Parquet file: read whole, as the (n_samples, n, n_features) output is held
            X = X.read(0, X.n_rows, dtype=X.float_dtype)
        X = X.toarray() if is_sparse(X) else X  # the (n_samples, n, n_features) output is dense anyway
        generator = self._generator(random_state)
        module, device = self.module_, next(self.module_.parameters()).device
        with self._threads(n_samples * X.shape[0]), torch.inference_mode():
            x = torch.tensor(np.ascontiguousarray(X), dtype=torch.float32, device=device)
            mu, log_var = module.posterior(x)
            eps = torch.randn(n_samples, *mu.shape, generator=generator, device=device)
            z = (mu + torch.exp(0.5 * log_var) * eps).reshape(-1, self.latent_dim)
            draws = module.decode(z).reshape(n_samples, X.shape[0], -1)
        return layout(draws.cpu().numpy().astype(X.dtype))

    def log_likelihood(self, X, n_importance: int = 1000, random_state=0, batch_size: int = 256) -> np.ndarray:
        """Importance-weighted estimate of log p(x) per sample in nats (Burda et al. 2015), with
        `n_importance` posterior draws; a lower bound that tightens as it grows: (n_samples,).

        Parameters
        ----------
        X : array-like or sparse matrix
            Rows (n_samples, n_features); images (n, C, H, W) or (n, H, W) for backbone='conv'.
        n_importance : int, default=1000
            Posterior draws per sample.
        random_state : int, RandomState or None, default=0
            Seeds the draws.
        batch_size : int, default=256
            Rows per block (memory grows with batch_size * n_importance).

        Returns
        -------
        log_px : ndarray of shape (n_samples,)
            Float64 estimates of log p(x) (for likelihood='multinomial', of the words in one
            given order: without the multinomial coefficient, see `likelihood`).
        """
        check_is_fitted(self)
        for name, value in (("n_importance", n_importance), ("batch_size", batch_size)):
            if not isinstance(value, Integral) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        X = self._validate_X(X, reset=False)
        generator = self._generator(random_state)
        device = next(self.module_.parameters()).device
        out = []
        with self._threads(batch_size * int(n_importance)), torch.inference_mode():
            for _, rows in row_blocks(X, batch_size):
                x = torch.tensor(np.ascontiguousarray(rows), dtype=torch.float32, device=device)
                out.append(self.module_.log_likelihood(x, int(n_importance), generator).cpu().numpy())
        return np.concatenate(out).astype(np.float64)
