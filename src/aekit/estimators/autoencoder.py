"""`AutoEncoder`: the scikit-learn face of `AutoEncoderModule`, and its named presets."""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.utils._param_validation import Interval, StrOptions
from torch import nn

from aekit.nn.binary_codes import NoisyBinaryCode
from aekit.nn.corruptions import CORRUPTIONS, UNIT_RANGE, check_unit_range, make_corruption
from aekit.nn.count_inputs import INPUT_TRANSFORMS
from aekit.estimators._pca_start import INITS, PCAStart, check_init
from aekit.estimators.base import TRAINING_CONSTRAINTS, BaseAutoEncoder, one_of, positive_ints
from aekit.estimators._sparse_codes import SPARSITY_KINDS, TOPK_KINDS, check_sparse_params, dead_units, unit_indices
from aekit.nn.likelihoods import COUNT_LIKELIHOODS, LIKELIHOODS, check_counts, likelihood_name, make_likelihood, output_activation_for
from aekit.nn.models import CORRUPT_ON, AutoEncoderModule
from aekit.nn import ACTIVATIONS, MLPDecoder, MLPEncoder, TiedMLPDecoder, make_activation
from aekit.nn.sparse_codes import BatchTopK, SparseCode, TopK
from aekit.nn.pca_start import pca_start_problem, start_as_pca
from aekit.nn.regularizers import KLSparsity, make_regularizers
from aekit.training._batching import first_rows
from aekit.training.budget import AUTO

__all__ = [
    "AutoEncoder",
    "ContractiveAutoEncoder",
    "DenoisingAutoEncoder",
    "LinearAutoEncoder",
    "SparseAutoEncoder",
]

ELU_LOSSES = ("bce", "multinomial")  # losses whose 'auto' activation is ELU (measured in BENCHMARKS.md's defaults section)
BINARY_CHECK_ROWS = 4096  # training rows whose codes are compared to find a code that never left its start
OUTPUT_INVERSES = {"linear": lambda mean: mean, "sigmoid": lambda mean: torch.logit(mean.clamp(1e-3, 1 - 1e-3))}  # output bias of a mean row
MASKED_LOSSES = ("multinomial",)  # losses whose 'auto' corruption masks input words (measured there too)


class AutoEncoder(PCAStart, BaseAutoEncoder):
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
    activation : {'auto', 'relu', 'leaky_relu', 'elu', 'gelu', 'tanh', 'sigmoid'}, default='auto'
        Hidden-layer non-linearity; 'auto' is 'elu' with the Bernoulli loss ('bce': pixels in
        [0, 1]) and the multinomial one (word counts), where it trained the MNIST and 20
        Newsgroups networks to lower error, and 'relu' otherwise, which lets the network start as
        PCA (`init`).
    latent_activation : {None, 'linear', 'sigmoid', 'tanh', 'relu', ...}, default=None
        Non-linearity on the code; None is linear.
    output_activation : {'auto', 'sigmoid', 'linear'}, default='auto'
        'auto' uses a sigmoid when loss='bce' or the training data lie in [0, 1], else linear.
    tied_weights : bool, default=False
        Decoder uses the transposes of the encoder's weights (about half the weights).
    loss : {'auto', 'mse', 'bce', 'l1', 'gaussian', 'multinomial', 'poisson'}, default='auto'
        Reconstruction term, averaged over features; 'auto' is 'bce' when the training targets
        lie in [0, 1] and the output may be a sigmoid (`output_activation` 'auto' or 'sigmoid'),
        else 'mse' (`loss_` records it); 'bce' needs X in [0, 1]; 'gaussian' learns
        a per-feature variance; 'multinomial' (a softmax over the words, drawn as many times as
        the document has words) and 'poisson' score non-negative counts such as bag-of-words.
    input_transform : {'auto', 'log1p', 'proportions'} or None, default='auto'
        What the encoder sees of X (the loss still scores X itself): log(1 + X), each row
        divided by its sum (word proportions), or X as it is (None). 'auto' is 'log1p' for the
        count losses, else None.
    binary_code : bool, default=False
        Semantic hashing: the code is a sigmoid with Gaussian noise (std 4) added to its input
        during training, which drives every unit to 0 or 1; `transform` returns the code
        thresholded at 0.5 (0/1 values), to compare by Hamming distance. The noise hides the
        code from the decoder until the units' inputs outgrow it: at learning_rate 1e-3 every
        row has one code for the first thousand or so optimizer steps (300 digits: 1,000 steps
        one code, 1,500 ten), so a shorter training warns.
    corruption : {'auto', None, 'gaussian', 'clipped_gaussian', 'mask', 'salt_pepper', 'block'}, default='auto'
        Noise applied during training only (denoising autoencoder). 'auto' is 'mask' with the
        multinomial loss (each word count of the input zeroed with probability
        `corruption_level`, the clean counts the target: the code learns a document's topic
        from part of its words; on 20 Newsgroups, 10-d code, precision at 1 rose from 0.406 to
        0.424 with seed 0 and from 0.394 to 0.410 with seed 1, above tf-idf LSA-50's 0.406 both
        times; on corpora of 500 and 2,000 documents it fell by up to 0.022) and None otherwise.
        'clipped_gaussian' is 'gaussian' clipped to [0, 1] (noisy pixels) and 'salt_pepper'
        sets the corrupted entries to 0 or 1, so for both X beyond [0, 1] (or, with
        corrupt_on='code', a code other than latent_activation='sigmoid') is refused.
    corruption_level : float, default=0.2
        Noise std for 'gaussian', else the fraction of entries (or block area) corrupted: 'block'
        blanks a patch of about that share of each image when X came as images ((n, H, W) or (n,
        C, H, W)), else a run of entries. Without a corruption, refused unless at its default or 0.
    corrupt_on : {'input', 'code'}, default='input'
        Where the corruption is applied; 'code' without a corruption is refused.
    sparsity : float, default=0.0
        Weight of the sparsity penalty on the code (sparsity_kind 'l1' or 'kl').
    sparsity_kind : {'l1', 'kl', 'topk', 'batch_topk'}, default='l1'
        'l1': the L1 norm of the code, each unit weighted by the norm of its decoder column
        (scale-proof); 'kl': KL(sparsity_target || mean activation) (needs a sigmoid code and
        sparsity > 0);
        'topk': each sample keeps `k` of its code entries (the largest), the rest are 0, and
        the decoder's first-layer columns are kept at unit norm (no penalty; `sparsity` is not
        used); 'batch_topk': the batch keeps its k * batch largest entries in training, and
        inference keeps the entries above a threshold learned in training.
    sparsity_target : float, default=0.05
        Target mean activation for sparsity_kind='kl'.
    k : int or None, default=None
        Active code units per sample for the TopK kinds (refused with the others); None is
        latent_dim // 4 (at least 1).
        Which k units a sample keeps is balanced across units during training (see
        `aekit.nn.TopK`), so no unit stays unused.
    dead_after : int, default=100
        A code unit active on no training batch for this many optimizer steps counts as dead:
        the dead-unit auxiliary loss of the TopK kinds then trains it.
    aux_weight : float, default=1/32
        Weight of the TopK kinds' dead-unit auxiliary loss (AuxK, Gao et al. 2024): the dead
        units' largest pre-activations, added to the code, reconstruct the input; 0 turns it off.
    contractive : float, default=0.0
        Weight of the squared Frobenius norm of the encoder Jacobian (computed exactly).
    orthogonality : float, default=0.0
        Weight of ||W W^T - I||^2 over encoder weights.
    decorrelation : float, default=0.0
        Weight of the mean squared correlation between code units over each batch (in [0, 1]
        whatever the data's scale; see `aekit.nn.regularizers.Decorrelation`), added to the
        reconstruction loss per entry. Around 0.1 turns a `LinearAutoEncoder`'s code axes
        towards PCA's within its subspace on standardised or [0, 1] data; much larger weights
        trade reconstruction for batch-to-batch noise in the correlations (on 500 digits in
        [0, 1], 1.0 ends 20 to 40 degrees from PCA's subspace, 0.1 under 10).
    unit_norm : bool, default=False
        Rescale encoder weight rows to unit norm after every step.
    loss_trim : float, default=0.0
        Share of each training batch left out of the loss: the samples with the largest
        reconstruction losses (a trimmed mean). Makes training robust to outliers in the
        training data; `AutoEncoderOutlierDetector`'s default autoencoder uses 0.2.
    regularizers : dict or None, default=None
        Extra regularizers from `aekit.nn.regularizers.REGULARIZERS`, as {name: weight}.
    init : {'auto', 'pca', 'random'}, default='auto'
        'pca' starts the network as the PCA of its training rows (code = projection on the
        first `latent_dim` components, reconstruction = PCA's; see `aekit.nn.pca_start`), so
        training begins at PCA's error and, with early stopping restoring the best weights,
        does not end above it on the validation rows. It needs a real-valued loss ('mse',
        'l1', 'gaussian', 'student_t') with a linear output, a linear dense code, untied
        weights without unit_norm, activation 'relu', 'leaky_relu' or 'gelu' and hidden layers
        at least 2 * latent_dim wide. 'random' is PyTorch's default initialisation. 'auto' is
        'pca' where it applies, else 'random' with the output starting at the mean training row
        (its bias through the inverse of a sigmoid output), which took a tied AutoEncoder on
        digits from 0.0433 to 0.0344 held-out error; `init_` says which was used.
    optimizer : {'adam', 'adamw', 'sgd', 'rmsprop'}, default='adam'
    learning_rate : float or 'auto', default='auto'
        'auto': with a PCA start (`init_`), 1e-3 at 256 rows per batch and 1e-3 *
        sqrt(batch_size / 256) for smaller batches (the square-root rule: as noisy steps as at
        256 rows, so a small table does not overfit its start; see `aekit.training.budget`);
        with a random start 1e-3.
    weight_decay : float, default=0.0
    momentum : float, default=0.9
        Momentum for 'sgd' and 'rmsprop'; another value with 'adam' or 'adamw' is refused (they keep
        their own moment estimates).
    batch_size : int or 'auto', default='auto'
        'auto': the number of training rows / 16 rounded to a power of two, within [16, 256]
        (see `aekit.training.budget`), so small tables get enough optimizer steps.
    max_epochs : int or 'auto', default='auto'
        'auto': enough epochs for at least 4,000 optimizer steps, within [100, 1000];
        `max_time` caps them.
    max_time : float or None, default=None
        Training budget in seconds: stop after the epoch that crosses it.
    validation_fraction : float, default=0.1
        Share of the training rows held out to report `history_['val_loss']` (and for early
        stopping); skipped when it would leave no row on either side.
    early_stopping : int, 'auto' or None, default='auto'
        Patience in epochs on the validation loss; the best weights are restored, the weights
        training started from included. 'auto': a tenth of the epochs, at least 10, and off
        without a validation split.
    grad_clip : float or None, default=None
        Max global gradient norm.
    precision : {'32', 'bf16-mixed', '16-mixed'}, default='32'
        Forward pass in float32, or under autocast to bfloat16/float16 (float16 adds a
        GradScaler); mixed precision is faster where the hardware has fast low-precision matmuls.
        Inference (`transform`, scores) on float32 input runs under the same autocast.
    compile : bool, default=False
        Compile the training step's forward and backward pass and inference with
        `torch.compile`: batches of the batch size (in `transform` and scoring, the inference
        batch size) run compiled, any other batch eagerly, so the last partial batch does not
        recompile. Compiling takes seconds per graph and pays only on large data (see the
        guide's speed page); where it is unavailable or fails, one warning and eager.
    lr_schedule : {None, 'cosine', 'auto'}, default='auto'
        'cosine' anneals the learning rate from `learning_rate` to 1 % of it along a half
        cosine over `max_epochs`, or over `max_time` when that budget is reached first.
        'auto': cosine when `max_time` is set, else constant.
    warm_start : bool, default=False
        When True, a second `fit` continues from the fitted weights and optimizer state for
        another `max_epochs` (as scikit-learn's MLPRegressor does), its history appended. A
        loaded model keeps its weights but not the optimizer's state, which starts afresh
        (`aekit train --resume` continues both from the run's checkpoint).
    distributed : bool, default=False
        Train data-parallel over the ranks torchrun started (joining the process group it
        describes); False trains in this process alone even when a process group exists.
    device : str, default='auto'
        'auto' (cuda if available), 'cpu', 'cuda' or 'cuda:N'.
    n_threads : int, 'auto' or None, default='auto'
        Torch threads for training and inference, the caller's count restored afterwards.
        'auto' gives steps of little work (narrow layers, small batches; see
        `aekit.training.threads`) one thread and wide ones torch's current count (never more,
        so `OMP_NUM_THREADS` and `torch.set_num_threads` stay ceilings); an int forces that
        count; None leaves torch's setting alone (to keep a count set with `torch.set_num_threads`).
    random_state : int, RandomState or None, default=None
        Seeds weight initialisation, shuffling, the validation split and the noise.
    verbose : bool, default=False
        Show a progress bar.

    Attributes
    ----------
    module_ : AutoEncoderModule
        The trained torch module (in eval mode, float32).
    history_ : dict
        'loss', 'val_loss' and 'epoch_seconds' per epoch, 'best_epoch' (None when the start
        was best) and 'settings': what the fit chose (batch_size, max_epochs, early_stopping,
        lr_schedule, n_train, init, start_val_loss, loss).
    init_ : {'pca', 'random'}
        How the network started (see `init`).
    loss_ : str
        The reconstruction loss used ('auto' resolved).
    activation_ : str
        The hidden layers' activation ('auto' resolved).
    n_epochs_ : int
    n_threads_ : int
        Torch threads the fit trained with.
    output_activation_ : str
    dead_units_ : ndarray of int
        With a sparse code (sparsity > 0 or a TopK kind): the code units active on no training
        row (the first 65,536 of a streamed file); after `partial_fit` or a warm start, on no row
        of any piece since the network was built, each piece coded as the model stood after
        training on it. `history_` then also holds per-epoch `l0`
        (mean active units per training sample) and `dead_fraction` (share of units active on
        no training sample of the epoch).
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Defined when X has string column names.
    image_shape_ : tuple
        (channels, height, width) when X came as images (n, C, H, W) or (n, H, W), taken as
        flat rows (`reconstruct` answers in X's layout); saved with the model, so `aekit generate`
        draws its samples as images.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from aekit import AutoEncoder
    >>> X = load_digits().data / 16
    >>> ae = AutoEncoder(latent_dim=2, max_epochs=5, random_state=0).fit(X)
    >>> ae.transform(X[:3]).shape
    (3, 2)
    """

    _fitted_state: dict = {**BaseAutoEncoder._fitted_state, "dead_units_": unit_indices, "init_": check_init,
                           "loss_": one_of(LIKELIHOODS), "activation_": one_of(ACTIVATIONS)}  # fmt: skip
    _optional_fitted = BaseAutoEncoder._optional_fitted | {"dead_units_", "init_", "loss_", "activation_"}  # only a sparse code has dead units; the rest are newer
    _sparse_input = True

    _parameter_constraints: dict = {
        **TRAINING_CONSTRAINTS,
        "hidden_dims": ["array-like"],
        "activation": [StrOptions({*ACTIVATIONS, AUTO})],
        "latent_activation": [StrOptions(set(ACTIVATIONS)), None],
        "output_activation": [StrOptions({"auto", "linear", "sigmoid"})],
        "tied_weights": ["boolean"],
        "loss": [StrOptions({*LIKELIHOODS, AUTO})],
        "input_transform": [StrOptions({"auto", *INPUT_TRANSFORMS}), None],
        "binary_code": ["boolean"],
        "corruption": [StrOptions({AUTO, *CORRUPTIONS}), None],
        "corruption_level": [Interval(Real, 0, None, closed="left")],
        "corrupt_on": [StrOptions(set(CORRUPT_ON))],
        "sparsity": [Interval(Real, 0, None, closed="left")],
        "sparsity_kind": [StrOptions(set(SPARSITY_KINDS))],
        "sparsity_target": [Interval(Real, 0, 1, closed="neither")],
        "k": [Interval(Integral, 1, None, closed="left"), None],
        "dead_after": [Interval(Integral, 1, None, closed="left")],
        "aux_weight": [Interval(Real, 0, None, closed="left")],
        "contractive": [Interval(Real, 0, None, closed="left")],
        "orthogonality": [Interval(Real, 0, None, closed="left")],
        "decorrelation": [Interval(Real, 0, None, closed="left")],
        "unit_norm": ["boolean"],
        "loss_trim": [Interval(Real, 0, 1, closed="left")],
        "regularizers": [dict, None],
        "init": [StrOptions(set(INITS))],
    }

    def __init__(
        self,
        latent_dim=2,
        *,
        hidden_dims=(128, 64),
        activation="auto",
        latent_activation=None,
        output_activation="auto",
        tied_weights=False,
        loss="auto",
        input_transform="auto",
        binary_code=False,
        corruption="auto",
        corruption_level=0.2,
        corrupt_on="input",
        sparsity=0.0,
        sparsity_kind="l1",
        sparsity_target=0.05,
        k=None,
        dead_after=100,
        aux_weight=1 / 32,
        contractive=0.0,
        orthogonality=0.0,
        decorrelation=0.0,
        unit_norm=False,
        loss_trim=0.0,
        regularizers=None,
        init="auto",
        optimizer="adam",
        learning_rate="auto",
        weight_decay=0.0,
        momentum=0.9,
        batch_size="auto",
        max_epochs="auto",
        max_time=None,
        validation_fraction=0.1,
        early_stopping="auto",
        grad_clip=None,
        precision="32",
        compile=False,
        lr_schedule="auto",
        warm_start=False,
        distributed=False,
        device="auto",
        n_threads="auto",
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
        self.input_transform = input_transform
        self.binary_code = binary_code
        self.corruption = corruption
        self.corruption_level = corruption_level
        self.corrupt_on = corrupt_on
        self.sparsity = sparsity
        self.sparsity_kind = sparsity_kind
        self.sparsity_target = sparsity_target
        self.k = k
        self.dead_after = dead_after
        self.aux_weight = aux_weight
        self.contractive = contractive
        self.orthogonality = orthogonality
        self.decorrelation = decorrelation
        self.unit_norm = unit_norm
        self.loss_trim = loss_trim
        self.regularizers = regularizers
        self.init = init
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

    # ---- building the module -------------------------------------------------------------

    def _regularizer_spec(self) -> dict:
        """The `regularizers` dict merged with the named parameters that are switched on; a
        regularizer given both ways is refused (which weight was meant is unclear)."""
        named: dict = {}
        if self.sparsity_kind in TOPK_KINDS:
            named["unit_decoder_columns"] = 1.0
            if self.aux_weight > 0:
                named["dead_unit_aux"] = self.aux_weight
        elif self.sparsity > 0:
            kind = "kl_sparsity" if self.sparsity_kind == "kl" else "l1_sparsity"
            named[kind] = (
                {"weight": self.sparsity, "target": self.sparsity_target} if kind == "kl_sparsity" else self.sparsity
            )
        for name in ("contractive", "orthogonality", "decorrelation"):
            if getattr(self, name) > 0:
                named[name] = getattr(self, name)
        if self.unit_norm:
            named["unit_norm"] = 1.0
        extra = dict(self.regularizers or {})
        both = sorted(set(named) & set(extra))
        if both:
            param = {
                "l1_sparsity": "sparsity", "kl_sparsity": "sparsity", "dead_unit_aux": "aux_weight",
                "unit_decoder_columns": "sparsity_kind",
            }  # fmt: skip
            pairs = ", ".join(f"{param.get(n, n)}={getattr(self, param.get(n, n))!r} and regularizers[{n!r}]" for n in both)
            raise ValueError(f"{pairs} set the same regularizer twice; give each regularizer once")
        return {**extra, **named}

    def _build_module(self, n_features: int, output_activation: str) -> AutoEncoderModule:
        hidden = positive_ints(self.hidden_dims, "hidden_dims")
        activation = self._activation()
        encoder = MLPEncoder(n_features, self.latent_dim, hidden, activation, self._code_activation(), self._input_transform())
        if self.tied_weights:
            decoder = TiedMLPDecoder(encoder, activation)
        else:
            decoder = MLPDecoder(self.latent_dim, n_features, hidden[::-1], activation)
        return AutoEncoderModule(
            encoder,
            decoder,
            make_likelihood(self._loss(), n_features, output_activation),
            make_corruption(self._corruption(), self.corruption_level, **self._corruption_options()),
            self.corrupt_on,
            make_regularizers(self._regularizer_spec()),
            loss_trim=self.loss_trim,
        )

    @property
    def _sparse_code(self) -> bool:
        return self.sparsity_kind in TOPK_KINDS or self.sparsity > 0

    def _code_activation(self):
        """The code's activation: `latent_activation`, after a TopK selection for the TopK kinds,
        with the record of unit activity when the code is sparse; a noisy sigmoid for
        `binary_code`."""
        if self.binary_code:
            return NoisyBinaryCode(seed=int(torch.randint(2**31 - 1, (1,))))
        if not self._sparse_code:
            return self.latent_activation
        activation = make_activation(self.latent_activation)
        if self.sparsity_kind in TOPK_KINDS:
            k = self.k if self.k is not None else max(1, self.latent_dim // 4)
            topk = (BatchTopK if self.sparsity_kind == "batch_topk" else TopK)(int(k), self.latent_dim)
            activation = topk if self.latent_activation in (None, "linear") else nn.Sequential(topk, activation)
        return SparseCode(activation, self.latent_dim, int(self.dead_after))

    def _pca_start_problem(self, output_activation: str) -> str | None:
        """Why this model cannot start as PCA of its data, its loss aside (`_loss_problem`), or None."""
        if self.tied_weights or self.unit_norm:
            return "tied_weights=True" if self.tied_weights else "unit_norm=True rescales the encoder's rows"
        if self.binary_code:
            return "binary_code=True makes the code a noisy sigmoid"
        if self._sparse_code:
            return f"the code is sparse (sparsity_kind={self.sparsity_kind!r}, sparsity={self.sparsity})"
        if self.latent_activation not in (None, "linear"):
            return f"latent_activation={self.latent_activation!r} makes the code nonlinear"
        if self._input_transform() is not None:
            return f"input_transform={self._input_transform()!r} changes what the encoder sees"
        problem = pca_start_problem(self._activation(), positive_ints(self.hidden_dims, "hidden_dims"), self.latent_dim, self.n_features_in_)
        if problem is None and output_activation != "linear":
            problem = (
                f"the output is {output_activation!r} (output_activation={self.output_activation!r}); PCA reconstructs "
                "through a linear output: set output_activation='linear'"
            )
        return problem

    def _start_as_pca(self, module, rows, val_rows=None, chosen=None) -> None:
        start_as_pca(module.encoder, module.decoder, rows, self._activation())

    def _before_training(self, module, X_train, Y_train, X_val=None) -> None:
        """init='auto' that cannot start as PCA begins the output at the mean training row
        (through the inverse of a sigmoid output): left at 0 the code spends itself on learning
        the mean, and a tied AutoEncoder on digits in [0, 1] ended 26 % above this start's
        held-out error (0.0433 against 0.0344)."""
        vars(self).pop("dead_units_", None)  # a new network starts a new record of its units
        super()._before_training(module, X_train, Y_train, X_val)
        if self.init == AUTO and self.init_ == "random" and self.output_activation_ in OUTPUT_INVERSES:
            bias = module.decoder.affine_layers()[-1][1]
            rows = first_rows(X_train if Y_train is None else Y_train, bias.device)
            if rows.shape[1] == bias.shape[0]:  # one output per feature (not a learned variance beside it)
                with torch.no_grad():
                    bias.copy_(OUTPUT_INVERSES[self.output_activation_](rows.double().mean(dim=0)))

    def _after_fit(self, module, X_train, Y_train, seed: int) -> None:
        """The dead units of a sparse code: those active on none of these rows and, after a warm
        start or `partial_fit`, on none of the earlier pieces' rows either."""
        if self._sparse_code:
            dead = dead_units(self._batched("encode", X_train.cpu().numpy()))
            earlier = getattr(self, "dead_units_", None)
            self.dead_units_ = dead if earlier is None else np.intersect1d(earlier, dead)
        if self.binary_code:
            codes = self._batched("encode", first_rows(X_train, torch.device("cpu"), BINARY_CHECK_ROWS).numpy())
            if len(codes) > 1 and (codes == codes[0]).all():
                warnings.warn(
                    f"binary_code=True: every training row has the same code after {self.n_epochs_} epochs (the code's "
                    f"noise hides it until training has pushed the units past it, after about a thousand optimizer "
                    f"steps at learning_rate 1e-3): train longer (max_epochs='auto' gives at least 4,000 steps, "
                    f"early_stopping=None keeps a plateau from ending training) or set learning_rate=1e-2",
                    UserWarning, stacklevel=3,
                )

    def _corruption(self) -> str | None:
        """The corruption this model trains with: `corruption`, 'auto' resolved for its loss."""
        if self.corruption == AUTO:
            return "mask" if self._loss() in MASKED_LOSSES else None
        return self.corruption

    def _corruption_options(self) -> dict:
        """The image shape a 'block' corruption of the input blanks a patch of, when X came as
        images (`image_shape_`); rows and codes get a run of entries."""
        shape = getattr(self, "image_shape_", None)
        return {"shape": shape} if self._corruption() == "block" and self.corrupt_on == "input" and shape is not None else {}

    def _fit_settings(self) -> dict:
        return {**super()._fit_settings(), "loss": self.loss_, "corruption": self._corruption()}

    def _input_transform(self) -> str | None:
        if self.input_transform == "auto":
            return "log1p" if self._loss() in COUNT_LIKELIHOODS else None
        return self.input_transform

    def _activation(self) -> str:
        """The hidden activation: `activation_` once fitted ('auto' resolved), else `activation`."""
        return getattr(self, "activation_", self.activation)

    def _resolve_loss_and_activation(self, in_unit_range: bool) -> None:
        """Set `loss_` and `activation_`: 'auto' resolved for targets that do (or do not) lie in [0, 1]."""
        loss = self.loss
        if loss == AUTO:
            loss = "bce" if in_unit_range and self.output_activation in (AUTO, "sigmoid") else "mse"
        self.loss_ = likelihood_name(loss)
        self.activation_ = ("elu" if loss in ELU_LOSSES else "relu") if self.activation == AUTO else self.activation

    def _check_data_against_params(self, X: np.ndarray) -> str:
        """Checks that need the data; resolves `loss_` and `activation_`; returns the output
        activation to use."""
        low, high = float(X.min()), float(X.max())
        in_unit_range = low >= 0 and high <= 1
        if self.corrupt_on == "input":  # the corruption acts on X itself, before any input_transform
            check_unit_range(self._corruption(), low, high)
        elif self._corruption() in UNIT_RANGE and self.latent_activation != "sigmoid" and not self.binary_code:
            does, other = UNIT_RANGE[self._corruption()]
            raise ValueError(
                f"corruption={self._corruption()!r} with corrupt_on='code' {does} in the code in training (not in "
                f"transform), but latent_activation={self.latent_activation!r} gives codes outside [0, 1]: set "
                f"latent_activation='sigmoid', or use corruption={other!r}"
            )
        self._resolve_loss_and_activation(in_unit_range)
        loss = self.loss_
        if loss in COUNT_LIKELIHOODS or self._input_transform() is not None:
            check_counts(f"loss={loss!r}" if loss in COUNT_LIKELIHOODS else f"input_transform={self.input_transform!r}", low)
        if self.binary_code and self.latent_activation is not None:
            raise ValueError(
                f"binary_code=True makes the code a noisy sigmoid thresholded at 0.5; leave latent_activation=None "
                f"(got {self.latent_activation!r})"
            )
        if self.binary_code and self._sparse_code:
            raise ValueError(f"binary_code=True replaces the code's activation; it cannot be combined with "
                             f"sparsity_kind={self.sparsity_kind!r} (sparsity={self.sparsity}): use AutoEncoder("
                             f"binary_code=True) for a binary code, or a sparse code without binary_code")
        if loss == "bce" and not in_unit_range:
            raise ValueError(
                f"loss={self.loss!r} needs X in [0, 1], got values in [{low:.4g}, {high:.4g}]; "
                "scale X (e.g. MinMaxScaler) or use loss='mse'"
            )
        if self.corrupt_on == "code" and self._corruption() is None:
            raise ValueError(f"corrupt_on='code' corrupts the code in training, but corruption={self.corruption!r} adds no "
                             f"noise (loss={loss!r}): set corruption (e.g. 'gaussian'), or leave corrupt_on='input'")
        self._check_corruption_level(self._corruption())
        if self.latent_activation != "sigmoid" and any(isinstance(r, KLSparsity) for r in make_regularizers(self._regularizer_spec())):
            given = "sparsity_kind='kl'" if self.sparsity > 0 and self.sparsity_kind == "kl" else "regularizers['kl_sparsity']"
            raise ValueError(f"{given} needs codes in (0, 1), but latent_activation={self.latent_activation!r} gives codes "
                             "outside: set latent_activation='sigmoid'")
        check_sparse_params(self)
        output_activation = output_activation_for(loss, self.output_activation, X, self._default("output_activation"))
        self.init_ = self._resolve_init(output_activation)
        return output_activation


class DenoisingAutoEncoder(AutoEncoder):
    """Autoencoder trained to reconstruct clean inputs from corrupted ones (Gaussian noise by
    default; also 'mask', 'salt_pepper', 'block', on the input or the code).

    Parameters
    ----------
    corruption : {None, 'gaussian', 'clipped_gaussian', 'mask', 'salt_pepper', 'block'}, default='gaussian'
        Noise applied during training only; Gaussian noise in this preset. 'clipped_gaussian'
        clips the noisy values to [0, 1], the noise of the Keras denoising tutorial: use it for
        pixels in [0, 1] (X beyond is refused, as for 'salt_pepper'; with corrupt_on='code', a
        code other than latent_activation='sigmoid' is).
    corruption_level : float, default=0.3
        Noise std for the Gaussian kinds, else the fraction of entries (or block area) corrupted.
    learning_rate : float or 'auto', default=1e-3
        As for `AutoEncoder`; the preset keeps 1e-3 at every batch size: with 'auto' (1e-3 *
        sqrt(batch / 256) below 256 rows per batch) its median held-out MSE over PCA's on the
        defaults panel's small tables rose (benchmarks/defaults.py, 4_breastw inliers k=8: 0.69
        to 1.00 of PCA's).
    latent_dim, hidden_dims, activation, latent_activation, output_activation, tied_weights
        As for `AutoEncoder`, with the same defaults.
    loss, input_transform, binary_code, corrupt_on, sparsity, sparsity_kind, sparsity_target, k
        As for `AutoEncoder`, with the same defaults.
    dead_after, aux_weight, contractive, orthogonality, decorrelation, unit_norm, loss_trim
        As for `AutoEncoder`, with the same defaults.
    regularizers, init, optimizer, weight_decay, momentum, batch_size, max_epochs
        As for `AutoEncoder`, with the same defaults.
    max_time, validation_fraction, early_stopping, grad_clip, precision, compile, lr_schedule, warm_start
        As for `AutoEncoder`, with the same defaults.
    distributed, device, n_threads, random_state, verbose
        As for `AutoEncoder`, with the same defaults.
    """

    _preset_defaults = {"corruption": "gaussian", "corruption_level": 0.3, "learning_rate": 1e-3}


class SparseAutoEncoder(AutoEncoder):
    """Autoencoder with a k-sparse code: each sample keeps `k` code entries (by default a quarter
    of latent_dim: 32 of 128) and the rest are exactly 0 (TopK), with the choice of units balanced
    and an auxiliary loss for dead units, so the code stays alive, and encoder rows held at unit
    norm (`unit_norm=True`; with it the preset's held-out error fell by 24-27 % on digits and
    18-24 % on spam). The L1 and KL penalties are `sparsity_kind='l1'` (with
    latent_activation='relu') and `'kl'` (with latent_activation='sigmoid') and a `sparsity`
    weight.

    Parameters
    ----------
    latent_dim : int, default=128
        Size of the code; `k` of its units are active per sample.
    sparsity_kind : {'l1', 'kl', 'topk', 'batch_topk'}, default='topk'
        How the code is made sparse, as for `AutoEncoder`; 'topk' keeps each sample's
        `k` largest code entries and sets the rest to 0.
    unit_norm : bool, default=True
        Rescale encoder weight rows to unit norm after every step.
    activation : {'auto', 'relu', 'leaky_relu', 'elu', 'gelu', 'tanh', 'sigmoid'}, default='relu'
        Hidden-layer non-linearity, as for `AutoEncoder`. The preset keeps ReLU and squared
        error, with which its defaults were measured: on digits, 'auto' (bce and ELU there)
        lowered the default preset's error but raised a 32-unit code's with k=8.
    loss : {'auto', 'mse', 'bce', 'l1', 'gaussian', 'multinomial', 'poisson'}, default='mse'
        Reconstruction term, as for `AutoEncoder`.
    learning_rate : float or 'auto', default=1e-3
        As for `AutoEncoder`; the preset keeps 1e-3 at every batch size: its random start
        trained less far with 'auto' (1e-3 * sqrt(batch / 256) below 256 rows per batch), and
        its held-out MSE rose on every small table of the defaults panel (digits k=2: 0.41 to
        0.66 of PCA's).
    hidden_dims, latent_activation, output_activation, tied_weights
        As for `AutoEncoder`, with the same defaults.
    input_transform, binary_code, corruption, corruption_level, corrupt_on, sparsity
        As for `AutoEncoder`, with the same defaults.
    sparsity_target, k, dead_after, aux_weight, contractive, orthogonality, decorrelation
        As for `AutoEncoder`, with the same defaults.
    loss_trim, regularizers, init, optimizer, weight_decay, momentum, batch_size
        As for `AutoEncoder`, with the same defaults.
    max_epochs, max_time, validation_fraction, early_stopping, grad_clip, precision, compile, lr_schedule
        As for `AutoEncoder`, with the same defaults.
    warm_start, distributed, device, n_threads, random_state, verbose
        As for `AutoEncoder`, with the same defaults.
    """

    _preset_defaults = {"latent_dim": 128, "sparsity_kind": "topk", "unit_norm": True, "loss": "mse", "activation": "relu",
                        "learning_rate": 1e-3}  # fmt: skip


class ContractiveAutoEncoder(AutoEncoder):
    """Autoencoder penalised by the squared Frobenius norm of its encoder Jacobian, making
    codes insensitive to small input changes.

    Parameters
    ----------
    contractive : float, default=0.1
        Weight of the squared Frobenius norm of the encoder Jacobian (computed exactly).
    latent_dim, hidden_dims, activation, latent_activation, output_activation, tied_weights
        As for `AutoEncoder`, with the same defaults.
    loss, input_transform, binary_code, corruption, corruption_level, corrupt_on, sparsity
        As for `AutoEncoder`, with the same defaults.
    sparsity_kind, sparsity_target, k, dead_after, aux_weight, orthogonality, decorrelation
        As for `AutoEncoder`, with the same defaults.
    unit_norm, loss_trim, regularizers, init, optimizer, learning_rate, weight_decay, momentum
        As for `AutoEncoder`, with the same defaults.
    batch_size, max_epochs, max_time, validation_fraction, early_stopping, grad_clip, precision, compile
        As for `AutoEncoder`, with the same defaults.
    lr_schedule, warm_start, distributed, device, n_threads, random_state, verbose
        As for `AutoEncoder`, with the same defaults.
    """

    _preset_defaults = {"contractive": 0.1}


class LinearAutoEncoder(AutoEncoder):
    """Constrained linear autoencoder: one tied linear layer with an orthogonality penalty,
    so the encoder rows converge to an orthonormal basis of the PCA subspace.

    Parameters
    ----------
    hidden_dims : sequence of int, default=()
        Widths of the encoder's hidden layers; () maps the input to the code with one
        linear layer.
    activation : {'linear', 'auto', 'relu', 'leaky_relu', 'elu', 'gelu', 'tanh', 'sigmoid'}, default='linear'
        Hidden-layer non-linearity, as for `AutoEncoder`; 'linear' keeps a network with hidden
        layers linear (encoder and decoder each an affine map).
    output_activation : {'auto', 'sigmoid', 'linear'}, default='linear'
        Non-linearity of the reconstruction, as for `AutoEncoder`.
    tied_weights : bool, default=True
        The decoder uses the transpose of the encoder's weights.
    orthogonality : float, default=1.0
        Weight of ||W W^T - I||^2 over encoder weights, which drives the rows to an
        orthonormal basis.
    learning_rate : float, default=0.01
        Optimizer step size.
    batch_size : int or 'auto', default=64
        Rows per optimizer step; 'auto' as for `AutoEncoder`.
    max_epochs : int or 'auto', default=200
        Training epochs; 'auto' as for `AutoEncoder`.
    latent_dim, latent_activation, loss, input_transform, binary_code, corruption
        As for `AutoEncoder`, with the same defaults.
    corruption_level, corrupt_on, sparsity, sparsity_kind, sparsity_target, k, dead_after
        As for `AutoEncoder`, with the same defaults.
    aux_weight, contractive, decorrelation, unit_norm, loss_trim, regularizers, init, optimizer
        As for `AutoEncoder`, with the same defaults.
    weight_decay, momentum, max_time, validation_fraction, early_stopping, grad_clip, precision, compile
        As for `AutoEncoder`, with the same defaults.
    lr_schedule, warm_start, distributed, device, n_threads, random_state, verbose
        As for `AutoEncoder`, with the same defaults.
    """

    _preset_defaults = {
        "hidden_dims": (),
        "activation": "linear",
        "output_activation": "linear",
        "tied_weights": True,
        "orthogonality": 1.0,
        "learning_rate": 1e-2,
        "batch_size": 64,
        "max_epochs": 200,
    }
