"""`AutoEncoder`: the scikit-learn face of `AutoEncoderModule`, and its named presets."""

from __future__ import annotations

import copy
import inspect
from numbers import Integral, Real
from pathlib import Path

import numpy as np
import torch
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from aekit.corruptions import CORRUPTIONS, make_corruption
from aekit.devices import resolve_device
from aekit.likelihoods import LIKELIHOODS, make_likelihood
from aekit.models import CORRUPT_ON, AutoEncoderModule
from aekit.nn import ACTIVATIONS, MLPDecoder, MLPEncoder, TiedMLPDecoder
from aekit.persistence import read_model, register_estimator, save_model
from aekit.regularizers import make_regularizers
from aekit.training import OPTIMIZERS, TrainConfig, train

INFERENCE_BATCH = 4096


def check_numeric_frame(X, name: str = "X") -> None:
    """Refuse a DataFrame with non-numeric columns, naming them (numpy input passes through)."""
    dtypes = getattr(X, "dtypes", None)
    if dtypes is None or not hasattr(X, "columns"):
        return
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    bad = [str(c) for c, dt in zip(X.columns, dtypes) if not (is_numeric_dtype(dt) or is_bool_dtype(dt))]
    if bad:
        raise ValueError(
            f"{name} has non-numeric columns {bad}; encode them as numbers first "
            "(for example with sklearn's OneHotEncoder in a ColumnTransformer)"
        )


def _positive_ints(value, name: str) -> tuple[int, ...]:
    try:
        dims = tuple(value)
    except TypeError:
        raise ValueError(f"{name} must be a sequence of positive integers, got {value!r}") from None
    if not all(isinstance(d, Integral) and not isinstance(d, bool) and d > 0 for d in dims):
        raise ValueError(f"{name} must be a sequence of positive integers, got {value!r}")
    return tuple(int(d) for d in dims)


@register_estimator
class AutoEncoder(TransformerMixin, BaseEstimator):
    """Fully connected autoencoder with scikit-learn's transformer interface.

    `fit` learns an encoder (n_features -> hidden_dims -> latent_dim) and a mirrored decoder;
    `transform` gives codes (n_samples, latent_dim), `inverse_transform` decodes them, and
    `score_samples` is the negative per-sample reconstruction loss. Denoising, sparse,
    contractive, tied and constrained-linear variants are the same model with parameters set
    (see the presets `DenoisingAutoEncoder`, `SparseAutoEncoder`, `ContractiveAutoEncoder`,
    `LinearAutoEncoder`).

    Parameters
    ----------
    latent_dim : int, default=2
        Size of the code.
    hidden_dims : sequence of int, default=(128, 64)
        Widths of the encoder's hidden layers; the decoder mirrors them.
    activation : {'relu', 'leaky_relu', 'elu', 'gelu', 'tanh', 'sigmoid'}, default='relu'
        Hidden-layer non-linearity.
    latent_activation : {None, 'linear', 'sigmoid', 'tanh', 'relu', ...}, default=None
        Non-linearity on the code; None is linear.
    output_activation : {'auto', 'sigmoid', 'linear'}, default='auto'
        'auto' uses a sigmoid when loss='bce' or the training data lie in [0, 1], else linear.
    tied_weights : bool, default=False
        Decoder uses the transposes of the encoder's weights (about half the weights).
    loss : {'mse', 'bce', 'l1', 'gaussian'}, default='mse'
        Reconstruction term, averaged over features; 'bce' needs X in [0, 1]; 'gaussian' learns
        a per-feature variance.
    corruption : {None, 'gaussian', 'mask', 'salt_pepper', 'block'}, default=None
        Noise applied during training only (denoising autoencoder).
    corruption_level : float, default=0.2
        Noise std for 'gaussian', else the fraction of entries (or block area) corrupted.
    corrupt_on : {'input', 'code'}, default='input'
        Where the corruption is applied.
    sparsity : float, default=0.0
        Weight of the sparsity penalty on the code.
    sparsity_kind : {'l1', 'kl'}, default='l1'
        L1 norm of the code, or KL(sparsity_target || mean activation) (needs a sigmoid code).
    sparsity_target : float, default=0.05
        Target mean activation for sparsity_kind='kl'.
    contractive : float, default=0.0
        Weight of the squared Frobenius norm of the encoder Jacobian (computed exactly).
    orthogonality : float, default=0.0
        Weight of ||W W^T - I||^2 over encoder weights.
    decorrelation : float, default=0.0
        Weight of the squared off-diagonal covariance of the code.
    unit_norm : bool, default=False
        Rescale encoder weight rows to unit norm after every step.
    regularizers : dict or None, default=None
        Extra regularizers from `aekit.regularizers.REGULARIZERS`, as {name: weight}.
    optimizer : {'adam', 'adamw', 'sgd', 'rmsprop'}, default='adam'
    learning_rate : float, default=1e-3
    weight_decay : float, default=0.0
    momentum : float, default=0.9
        Momentum for 'sgd' and 'rmsprop'.
    batch_size : int, default=256
    max_epochs : int, default=100
    validation_fraction : float, default=0.1
        Share of the training rows held out to report `history_['val_loss']` (and for early
        stopping); skipped when it would leave no row on either side.
    early_stopping : int or None, default=None
        Patience in epochs on the validation loss; the best weights are restored.
    grad_clip : float or None, default=None
        Max global gradient norm.
    device : str, default='auto'
        'auto' (cuda if available), 'cpu', 'cuda' or 'cuda:N'.
    random_state : int, RandomState or None, default=None
        Seeds weight initialisation, shuffling, the validation split and the noise.
    verbose : bool, default=False
        Show a progress bar.

    Attributes
    ----------
    module_ : AutoEncoderModule
        The trained torch module (in eval mode, float32).
    history_ : dict
        'loss', 'val_loss' and 'epoch_seconds' per epoch, and 'best_epoch'.
    n_epochs_ : int
    output_activation_ : str
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Defined when X has string column names.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from aekit import AutoEncoder
    >>> X = load_digits().data / 16
    >>> ae = AutoEncoder(latent_dim=2, max_epochs=5, random_state=0).fit(X)
    >>> ae.transform(X[:3]).shape
    (3, 2)
    """

    _parameter_constraints: dict = {
        "latent_dim": [Interval(Integral, 1, None, closed="left")],
        "hidden_dims": ["array-like"],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "latent_activation": [StrOptions(set(ACTIVATIONS)), None],
        "output_activation": [StrOptions({"auto", "linear", "sigmoid"})],
        "tied_weights": ["boolean"],
        "loss": [StrOptions(set(LIKELIHOODS))],
        "corruption": [StrOptions(set(CORRUPTIONS)), None],
        "corruption_level": [Interval(Real, 0, None, closed="left")],
        "corrupt_on": [StrOptions(set(CORRUPT_ON))],
        "sparsity": [Interval(Real, 0, None, closed="left")],
        "sparsity_kind": [StrOptions({"l1", "kl"})],
        "sparsity_target": [Interval(Real, 0, 1, closed="neither")],
        "contractive": [Interval(Real, 0, None, closed="left")],
        "orthogonality": [Interval(Real, 0, None, closed="left")],
        "decorrelation": [Interval(Real, 0, None, closed="left")],
        "unit_norm": ["boolean"],
        "regularizers": [dict, None],
        "optimizer": [StrOptions(set(OPTIMIZERS))],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "momentum": [Interval(Real, 0, 1, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "early_stopping": [Interval(Integral, 1, None, closed="left"), None],
        "grad_clip": [Interval(Real, 0, None, closed="neither"), None],
        "device": [str, torch.device],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        latent_dim=2,
        *,
        hidden_dims=(128, 64),
        activation="relu",
        latent_activation=None,
        output_activation="auto",
        tied_weights=False,
        loss="mse",
        corruption=None,
        corruption_level=0.2,
        corrupt_on="input",
        sparsity=0.0,
        sparsity_kind="l1",
        sparsity_target=0.05,
        contractive=0.0,
        orthogonality=0.0,
        decorrelation=0.0,
        unit_norm=False,
        regularizers=None,
        optimizer="adam",
        learning_rate=1e-3,
        weight_decay=0.0,
        momentum=0.9,
        batch_size=256,
        max_epochs=100,
        validation_fraction=0.1,
        early_stopping=None,
        grad_clip=None,
        device="auto",
        random_state=None,
        verbose=False,
    ):
        self.latent_dim = latent_dim
        self.hidden_dims = hidden_dims
        self.activation = activation
        self.latent_activation = latent_activation
        self.output_activation = output_activation
        self.tied_weights = tied_weights
        self.loss = loss
        self.corruption = corruption
        self.corruption_level = corruption_level
        self.corrupt_on = corrupt_on
        self.sparsity = sparsity
        self.sparsity_kind = sparsity_kind
        self.sparsity_target = sparsity_target
        self.contractive = contractive
        self.orthogonality = orthogonality
        self.decorrelation = decorrelation
        self.unit_norm = unit_norm
        self.regularizers = regularizers
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.momentum = momentum
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.validation_fraction = validation_fraction
        self.early_stopping = early_stopping
        self.grad_clip = grad_clip
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def __init_subclass__(cls, **kwargs):
        """Give a preset (a subclass with `_preset_defaults`) the full signature with its defaults,
        so `get_params`, `clone` and `help()` see every parameter."""
        super().__init_subclass__(**kwargs)
        register_estimator(cls)
        defaults = cls.__dict__.get("_preset_defaults")
        if defaults is None:
            return
        parent = inspect.signature(cls.__mro__[1].__init__)
        unknown = set(defaults) - set(parent.parameters)
        if unknown:
            raise TypeError(f"{cls.__name__}._preset_defaults has unknown parameters {sorted(unknown)}")
        signature = parent.replace(
            parameters=[p.replace(default=defaults.get(p.name, p.default)) for p in parent.parameters.values()]
        )

        def __init__(self, *args, **kwargs):
            bound = signature.bind(self, *args, **kwargs)
            bound.apply_defaults()
            for name, value in list(bound.arguments.items())[1:]:
                setattr(self, name, value)

        __init__.__signature__ = signature
        __init__.__doc__ = f"Same parameters as AutoEncoder; changed defaults: {defaults}."
        cls.__init__ = __init__

    # ---- building the module -------------------------------------------------------------

    def _regularizer_spec(self) -> dict:
        spec = dict(self.regularizers or {})
        if self.sparsity > 0:
            if self.sparsity_kind == "kl":
                spec["kl_sparsity"] = {"weight": self.sparsity, "target": self.sparsity_target}
            else:
                spec["l1_sparsity"] = self.sparsity
        spec.update(contractive=self.contractive, orthogonality=self.orthogonality, decorrelation=self.decorrelation)
        spec["unit_norm"] = 1.0 if self.unit_norm else 0.0
        return spec

    def _build_module(self, n_features: int, output_activation: str) -> AutoEncoderModule:
        hidden = _positive_ints(self.hidden_dims, "hidden_dims")
        encoder = MLPEncoder(n_features, self.latent_dim, hidden, self.activation, self.latent_activation)
        if self.tied_weights:
            decoder = TiedMLPDecoder(encoder, self.activation)
        else:
            decoder = MLPDecoder(self.latent_dim, n_features, hidden[::-1], self.activation)
        return AutoEncoderModule(
            encoder,
            decoder,
            make_likelihood(self.loss, n_features, output_activation),
            make_corruption(self.corruption, self.corruption_level),
            self.corrupt_on,
            make_regularizers(self._regularizer_spec()),
        )

    def _check_data_against_params(self, X: np.ndarray) -> str:
        """Checks that need the data; returns the output activation to use."""
        in_unit_range = bool(X.min() >= 0 and X.max() <= 1)
        if self.loss == "bce" and not in_unit_range:
            raise ValueError(
                f"loss='bce' needs X in [0, 1], got values in [{X.min():.4g}, {X.max():.4g}]; "
                "scale X (e.g. MinMaxScaler) or use loss='mse'"
            )
        if self.sparsity > 0 and self.sparsity_kind == "kl" and self.latent_activation != "sigmoid":
            raise ValueError("sparsity_kind='kl' needs codes in (0, 1): set latent_activation='sigmoid'")
        if self.output_activation != "auto":
            return self.output_activation
        return "sigmoid" if self.loss == "bce" or in_unit_range else "linear"

    def _seed(self) -> int:
        return int(check_random_state(self.random_state).randint(0, 2**31 - 1))

    def _train_config(self) -> TrainConfig:
        return TrainConfig(
            optimizer=self.optimizer,
            learning_rate=self.learning_rate,
            weight_decay=self.weight_decay,
            momentum=self.momentum,
            batch_size=self.batch_size,
            max_epochs=self.max_epochs,
            early_stopping=self.early_stopping,
            grad_clip=self.grad_clip,
            verbose=bool(self.verbose),
        )

    def _validate_X(self, X, reset: bool) -> np.ndarray:
        check_numeric_frame(X)
        return validate_data(self, X, reset=reset, dtype=[np.float64, np.float32])

    # ---- fitting -------------------------------------------------------------------------

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Train on X of shape (n_samples, n_features); y is ignored. Returns self."""
        X = self._validate_X(X, reset=True)
        device = resolve_device(self.device)
        output_activation = self._check_data_against_params(X)
        seed = self._seed()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            module = self._build_module(X.shape[1], output_activation).to(device)
        X_all = torch.tensor(np.ascontiguousarray(X), dtype=torch.float32, device=device)
        n_val = int(round(self.validation_fraction * X.shape[0]))
        X_train, X_val = X_all, None
        if 0 < n_val < X.shape[0]:
            order = torch.as_tensor(np.random.RandomState(seed).permutation(X.shape[0]), device=device)
            X_train, X_val = X_all[order[n_val:]], X_all[order[:n_val]]
        generator = torch.Generator(device=device).manual_seed(seed)
        history = train(module, X_train, self._train_config(), generator, X_val=X_val)
        self.module_ = module
        self.history_ = history.as_dict()
        self.n_epochs_ = len(history.loss)
        self.output_activation_ = output_activation
        return self

    # ---- inference -----------------------------------------------------------------------

    def _inference_module(self, dtype: torch.dtype) -> AutoEncoderModule:
        """The fitted module, or a float64 copy of it for float64 input (not cached on self)."""
        return self.module_ if dtype == torch.float32 else copy.deepcopy(self.module_).to(dtype)

    def _batched(self, method: str, A: np.ndarray) -> np.ndarray:
        """Apply `module_.<method>` to A in batches under inference mode, keeping A's float dtype."""
        dtype = torch.float64 if A.dtype == np.float64 else torch.float32
        module = self._inference_module(dtype)
        device = next(self.module_.parameters()).device
        fn = getattr(module, method)
        out = []
        with torch.inference_mode():
            for start in range(0, A.shape[0], INFERENCE_BATCH):
                batch = torch.tensor(np.ascontiguousarray(A[start : start + INFERENCE_BATCH]), dtype=dtype, device=device)
                out.append(fn(batch).cpu().numpy())
        return np.concatenate(out).astype(A.dtype, copy=False)

    def transform(self, X):
        """Codes of X: (n_samples, latent_dim)."""
        check_is_fitted(self)
        return self._batched("encode", self._validate_X(X, reset=False))

    def inverse_transform(self, X):
        """Decode codes X of shape (n_samples, latent_dim) back to (n_samples, n_features)."""
        check_is_fitted(self)
        Z = check_array(X, dtype=[np.float64, np.float32], input_name="X")
        if Z.shape[1] != self.latent_dim:
            raise ValueError(
                f"X has {Z.shape[1]} columns, but {type(self).__name__}.inverse_transform expects "
                f"codes with latent_dim={self.latent_dim} columns"
            )
        return self._batched("decode", Z)

    def reconstruct(self, X):
        """Decoded codes of X, i.e. inverse_transform(transform(X)): (n_samples, n_features)."""
        check_is_fitted(self)
        return self._batched("reconstruct", self._validate_X(X, reset=False))

    def score_samples(self, X):
        """Negative reconstruction loss of each sample (the training loss without noise or
        penalties): (n_samples,). Higher is better; outliers score low."""
        check_is_fitted(self)
        return -self._batched("sample_losses", self._validate_X(X, reset=False))

    def score(self, X, y=None):
        """Mean of `score_samples(X)`, so model selection (GridSearchCV) prefers lower error."""
        return float(np.mean(self.score_samples(X)))

    def get_feature_names_out(self, input_features=None):
        """Names of the code columns: ae0, ae1, ..."""
        check_is_fitted(self, "n_features_in_")
        if input_features is not None:
            input_features = np.asarray(input_features, dtype=object)
            expected = getattr(self, "feature_names_in_", None)
            if len(input_features) != self.n_features_in_ or (
                expected is not None and not np.array_equal(input_features, expected)
            ):
                raise ValueError("input_features is not equal to feature_names_in_")
        return np.asarray([f"ae{i}" for i in range(self.latent_dim)], dtype=object)

    @property
    def _n_features_out(self):
        return self.latent_dim

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    # ---- persistence ---------------------------------------------------------------------

    def save(self, path: str | Path) -> Path:
        """Write the fitted model to folder `path` (config.json + model.safetensors)."""
        check_is_fitted(self)
        params = self.get_params(deep=False)
        if not isinstance(params["random_state"], (int, type(None))):
            params["random_state"] = None
        params["device"] = str(params["device"])
        params["hidden_dims"] = list(_positive_ints(params["hidden_dims"], "hidden_dims"))
        fitted = {
            "n_features_in_": int(self.n_features_in_),
            "output_activation_": self.output_activation_,
            "history_": self.history_,
            "n_epochs_": self.n_epochs_,
        }
        if hasattr(self, "feature_names_in_"):
            fitted["feature_names_in_"] = [str(c) for c in self.feature_names_in_]
        return save_model(path, type(self).__name__, params, fitted, self.module_.state_dict())

    @classmethod
    def load(cls, path: str | Path, device: str | None = None):
        """Load a model saved by `save`; reads JSON and safetensors only, never pickle.

        `device` overrides the saved device (default: the saved one, 'auto' resolved here).
        """
        est_cls, params, fitted, state = read_model(path)
        if not issubclass(est_cls, cls):
            raise ValueError(f"{str(path)!r} holds a {est_cls.__name__}, not a {cls.__name__}")
        known = est_cls().get_params(deep=False)
        unknown = set(params) - set(known)
        if unknown:
            raise ValueError(f"{str(path)!r}: config has unknown parameters {sorted(unknown)}")
        if "hidden_dims" in params:
            params["hidden_dims"] = tuple(params["hidden_dims"])
        if device is not None:
            params["device"] = device
        est = est_cls(**params)
        est._validate_params()
        n_features = fitted.get("n_features_in_")
        if not isinstance(n_features, int) or n_features < 1:
            raise ValueError(f"{str(path)!r}: fitted.n_features_in_ must be a positive integer")
        module = est._build_module(n_features, fitted.get("output_activation_", "linear"))
        try:
            module.load_state_dict(state, strict=True)
        except RuntimeError as err:
            raise ValueError(f"{str(path)!r}: the weights do not match the config: {err}") from err
        est.module_ = module.to(resolve_device(est.device)).eval()
        est.n_features_in_ = n_features
        est.output_activation_ = module.likelihood.output_activation
        est.history_ = fitted.get("history_", {})
        est.n_epochs_ = fitted.get("n_epochs_", len(est.history_.get("loss", [])))
        if "feature_names_in_" in fitted:
            est.feature_names_in_ = np.asarray(fitted["feature_names_in_"], dtype=object)
        return est


class DenoisingAutoEncoder(AutoEncoder):
    """Autoencoder trained to reconstruct clean inputs from corrupted ones (Gaussian noise by
    default; also 'mask', 'salt_pepper', 'block', on the input or the code)."""

    _preset_defaults = {"corruption": "gaussian", "corruption_level": 0.3}


class SparseAutoEncoder(AutoEncoder):
    """Autoencoder with an L1 penalty on a ReLU code, so most code entries are exactly zero
    (sparsity_kind='kl' with latent_activation='sigmoid' gives the KL form)."""

    _preset_defaults = {"latent_dim": 32, "latent_activation": "relu", "sparsity": 1e-3}


class ContractiveAutoEncoder(AutoEncoder):
    """Autoencoder penalised by the squared Frobenius norm of its encoder Jacobian, making
    codes insensitive to small input changes."""

    _preset_defaults = {"contractive": 0.1}


class LinearAutoEncoder(AutoEncoder):
    """Constrained linear autoencoder: one tied linear layer with an orthogonality penalty,
    so the encoder rows converge to an orthonormal basis of the PCA subspace."""

    _preset_defaults = {
        "hidden_dims": (),
        "output_activation": "linear",
        "tied_weights": True,
        "orthogonality": 1.0,
        "learning_rate": 1e-2,
        "batch_size": 64,
        "max_epochs": 200,
    }
