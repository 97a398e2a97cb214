"""`AutoEncoderImputer`: missing-value imputation with a denoising autoencoder trained on
the observed entries only, for numeric and categorical columns."""

from __future__ import annotations

import copy
import dataclasses
import os
import warnings
from numbers import Integral, Real
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.base import OneToOneFeatureMixin, TransformerMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils._set_output import _get_output_config
from sklearn.utils.validation import check_is_fitted

from aekit.estimators._blend import KINDS, check_kind, choose_weights, draw_holdout, make_partner, resolve_blend
from aekit.data.columns import EMPTY, user_stacklevel
from aekit.saving.sklearn_state import STATE_FILE
from aekit.estimators._ignored import check_fill, check_reasons, find_ignored, with_ignored
from aekit.nn._ensembles import AutoEncoderEnsemble
from aekit.estimators.base import TRAINING_CONSTRAINTS, AekitEstimator, positive_ints, validate_X
from aekit.nn._imputation import ColumnMasking, MaskedMixedLikelihood, reconstructor, refine, refinement_errors
from aekit.nn.models import AutoEncoderModule, VariationalAutoEncoderModule
from aekit.nn import ACTIVATIONS, MLPDecoder, MLPEncoder
from aekit.nn.priors import NormalPrior
from aekit.data.tabular import (
    Table,
    TableLayout,
    frame_columns,
    frame_like,
    is_frame,
    is_nan_marker,
    numeric_table,
    read_columns,
    with_missing_indicators,
)

__all__ = ["AutoEncoderImputer"]

REFINE_CHECK_ROWS = 2000
EPOCHS_WITH_TREES = 100  # max_epochs='auto' with the trees partner
EPOCHS_ALONE = 300  # ... and without it
REFINE_CHECK_LEVEL = 0.2


def _is_plain_numeric(X) -> bool:
    """True for input the numeric fast path takes: numeric arrays and DataFrames, and sparse
    matrices (which validation then refuses with scikit-learn's message)."""
    if hasattr(X, "dtypes") and hasattr(X, "columns"):
        from pandas.api.types import is_bool_dtype, is_numeric_dtype

        return all(is_numeric_dtype(dt) or is_bool_dtype(dt) for dt in X.dtypes)
    if sp.issparse(X):
        return True
    dtype = getattr(X, "dtype", None)
    if not isinstance(dtype, np.dtype):  # lists, and arrays of other libraries (a torch tensor's dtype is torch's)
        try:
            dtype = np.asarray(X).dtype
        except (TypeError, ValueError):
            return True
    return dtype.kind in "fiubc"


class AutoEncoderImputer(OneToOneFeatureMixin, TransformerMixin, AekitEstimator):
    """Impute missing values with a denoising autoencoder (Abiri et al. 2019; MIDAS, Lall &
    Robinson 2022), following scikit-learn's imputer contract.

    `fit` standardises the numeric columns on their observed values, one-hot encodes the
    categorical ones, and trains an `AutoEncoderModule` whose loss covers observed entries
    only, while a masking corruption hides a share of the columns of every row so the network
    learns to predict hidden entries from the others. `transform` fills the missing entries
    with 0 (the mean), then refines them `refine_steps` times by feeding the reconstruction
    back in; observed entries are returned exactly as given.

    Parameters
    ----------
    missing_values : float, int, str or None, default=np.nan
        The placeholder for missing entries; with np.nan, None and pandas' NA count too.
    categorical_features : 'from_dtype', None or array-like, default='from_dtype'
        'from_dtype' treats columns holding strings (pandas object, string or category
        columns) as categorical, and True/False as numeric 0 and 1 (in a bool, pandas 'boolean'
        or object column alike); None treats every column as numeric; or give the categorical
        columns as names, integer indices or a boolean mask. Categorical columns are one-hot
        encoded, reconstructed through a softmax and imputed with a category seen in fit.
    scale : bool, default=True
        Divide the numeric columns by their observed standard deviation after centring them
        on their observed mean; False only centres them, for features on one common scale
        (pixels), where dividing by the tiny spread of near-constant features would let
        those dominate the loss.
    plausible_values : bool or 'range', default=True
        Keep imputed numbers to what the column held in fit: within its observed minimum and
        maximum (a column never negative stays non-negative, shares stay in their bounds),
        rounded to whole numbers in a column whose observed values are all whole (counts,
        ages, codes) and elsewhere to the decimals its observed values have (3.7 and 12.1: one;
        up to 12: 0.000008305 has 9), and moved to the nearest observed value in a column with at most 10
        distinct observed values, each seen twice on average (flags, ratings, coded levels;
        not the few distinct values of a continuous column in a small table). 'range' clips without rounding (rounding a code or a binary column
        raises the RMSE, see BENCHMARKS.md); False returns the network's values as they come.
    model_missingness : bool, default=False
        Also model which entries are missing: each column with missing entries in fit gets a
        binary indicator column, encoded and reconstructed with the data, so the code carries
        the missingness pattern. Use it when values go missing because of what they are
        (missing not at random, e.g. large values left out): in benchmarks/imputation.py it
        lowered the error under self-masking and raised it under MCAR and MAR masks.
    model : {'dae', 'vae'}, default='dae'
        'dae' trains a denoising autoencoder; 'vae' a variational one (Gaussian posterior,
        normal prior) with the same masked likelihood and column masking, whose imputations
        for `sample_imputations` come from posterior draws (pseudo-Gibbs sampling, Rezende et
        al. 2014), so they spread with the model's uncertainty about the code.
    latent_dim : int, default=64
        Width of the code layer.
    hidden_dims : sequence of int, default=(256,)
        Encoder hidden widths; the decoder mirrors them.
    activation : str, default='relu'
        Hidden-layer non-linearity.
    corruption_level : float, default=0.15
        Share of the columns of each training row hidden (set to 0) in every batch.
    n_members : int, default=5
        Autoencoders trained side by side on the same batches, each from its own initial
        weights and drawing its own masking; imputations use the mean of their
        reconstructions, whose error is lower than one autoencoder's (in
        benchmarks/imputation.py: mean RMSE 1.2-3.3 % lower per mask kind, lower in 27 of 28
        cells). They train as one batched model (stacked weights), for 2.15 times one
        autoencoder's CPU time there. 1 trains a single autoencoder.
    blend : {'auto', 'linear', 'trees'} or None, default='auto'
        Also impute the numeric columns with a scikit-learn `IterativeImputer` ('linear':
        BayesianRidge, 20 rounds; 'trees': extremely randomised trees, 30 per column, 10
        rounds, as missForest) and return, per column, a weighted mean of its values and the
        autoencoder's, the weight (`blend_weights_`) chosen on 10 % of the observed numeric
        entries that both fits leave out. 'auto' is 'trees' for tables with 2 to 100 numeric
        columns and at most 60,000 rows x numeric columns, None otherwise (wider data such as
        pixels, where 30 trees per column cost far more than the autoencoder, and larger
        tables, where the partner's memory would pass about 2 GB); the choice is `blend_`.
        With missForest in the field of benchmarks/imputation.py the trees blend (with 100
        epochs) ranked first on mean rank, where the autoencoder alone ranked behind
        missForest (BENCHMARKS.md). The trees
        partner keeps every tree of its ten rounds: hundreds of MB in memory and on disk for a
        few thousand rows (0.69 GB for 1,000 rows of 57 columns); None avoids that. `save`
        stores the partner beside the autoencoder (JSON and safetensors, see
        `aekit.saving.sklearn_state`); `sample_imputations` draws from the autoencoder alone.
        `partial_fit` trains without a partner, which would learn from its first piece alone:
        'auto' blends in `fit` only, and 'linear' or 'trees' are refused there.
    refine_steps : int, default=5
        Most rounds of iterative refinement at transform time. Refinement can drift when many
        entries are missing, so `fit` keeps the number of rounds (1..refine_steps) with the
        lowest error on observed entries it hides from up to 2,000 training rows
        (`refine_steps_`).
    batch_size : int, default=64
    max_epochs : int or 'auto', default='auto'
        Training epochs. 'auto': 100 with the trees partner (`blend_ == 'trees'`: there 100
        epochs gave lower errors than 300 for a third of the time in benchmarks/imputation.py),
        else 300, the number the autoencoder alone was tuned with.
    max_time, optimizer, learning_rate, weight_decay, momentum, grad_clip, precision, compile, lr_schedule, warm_start, distributed, device, n_threads, random_state, verbose
        As for `AutoEncoder`.
    validation_fraction : float, default=0.0
        Rows held out to report `history_['val_loss']` (the loss on their observed entries,
        nothing hidden) and for `early_stopping`.
    early_stopping : int or None, default=None
    ignore_columns : 'auto', list of str or None, default='auto'
        For a DataFrame X, the columns left out of the model and returned as they are: 'auto'
        leaves out identifier-like columns (at least 20 rows whose observed values are all
        distinct texts, or distinct whole numbers counting in row order or filling a narrow
        range, such as a counter 1..n; on fewer rows a column named like one, such as id or
        patient_id; see `aekit.data.columns.is_identifier`) and dates or
        times (a datetime column, or texts such as 2024-03-01), which are never imputed, and
        constant columns, whose gaps get their one value, with a warning naming
        them; a list of column names (ints for a headerless frame's) leaves those out as well; None keeps
        every column.

    Attributes
    ----------
    layout_ : aekit.data.tabular.TableLayout
        Which columns are categorical, the observed means and scales of the numeric columns
        and the categories of the categorical ones (indicator columns last).
    ignored_columns_ : dict
        The columns left out of the model (name to reason): for an array only those with no
        observed value in fit, which transform drops from its output as scikit-learn's imputers
        do (`get_feature_names_out` names the columns it keeps).
    indicator_columns_ : ndarray of int
        The columns that got a missingness indicator (empty unless model_missingness=True).
    module_ : AutoEncoderModule, VariationalAutoEncoderModule or AutoEncoderEnsemble
        The trained torch module (eval mode, float32) on the encoded features: with
        n_members > 1 an `AutoEncoderEnsemble` of them.
    refine_steps_ : int
        Refinement rounds used at transform time.
    refinement_errors_ : list of float
        Mean squared error (encoded scale) on the hidden observed entries after each round.
    blend_ : {'linear', 'trees'} or None
        The partner kind used (`blend` with 'auto' resolved).
    blend_weights_ : ndarray of shape (n_numeric,)
        With `blend`, the autoencoder's share of each numeric column's imputations.
    partner_ : sklearn.impute.IterativeImputer
        With `blend`, the fitted partner imputer (on the standardised numeric columns).
    history_ : dict
    n_epochs_ : int
    n_threads_ : int
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Defined when X has string column names.

    Notes
    -----
    `sample_imputations` gives multiple imputations: with model='dae' from fresh masking of the
    inputs at every refinement step, with model='vae' from a posterior draw of the code at every
    step; categories are drawn from the softmax in both.

    Examples
    --------
    >>> import numpy as np
    >>> from aekit import AutoEncoderImputer
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 1)) @ np.ones((1, 4)) + 0.1 * rng.normal(size=(200, 4))
    >>> X[rng.random(X.shape) < 0.2] = np.nan
    >>> imp = AutoEncoderImputer(max_epochs=5, random_state=0).fit(X)
    >>> np.isnan(imp.transform(X)).any()
    np.False_
    """

    _fitted_state = {
        "layout_": TableLayout.from_json,
        "indicator_columns_": lambda v: np.asarray([int(j) for j in v], dtype=np.int64),
        "refine_steps_": int,
        "refinement_errors_": lambda v: [float(e) for e in v],
        "ignored_columns_": check_reasons,
        "ignored_fill_": check_fill,
        "blend_weights_": lambda v: np.asarray([float(w) for w in v], dtype=np.float64),
        "blend_": check_kind,
    }
    _optional_fitted = frozenset({"indicator_columns_", "ignored_columns_", "ignored_fill_", "blend_weights_", "blend_"})  # absent from files saved before each existed
    _sklearn_parts = ("partner_",)

    _parameter_constraints: dict = {
        **TRAINING_CONSTRAINTS,
        "missing_values": [Real, Integral, str, None],
        "categorical_features": [StrOptions({"from_dtype"}), "array-like", None],
        "hidden_dims": ["array-like"],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "scale": ["boolean"],
        "plausible_values": ["boolean", StrOptions({"range"})],
        "model_missingness": ["boolean"],
        "model": [StrOptions({"dae", "vae"})],
        "blend": [StrOptions({"auto", *KINDS}), None],
        "corruption_level": [Interval(Real, 0, 1, closed="left")],
        "refine_steps": [Interval(Integral, 1, None, closed="left")],
        "n_members": [Interval(Integral, 1, None, closed="left")],
        "ignore_columns": [StrOptions({"auto"}), "array-like", None],
    }
    _values_before_param = {"n_members": 1, "plausible_values": False, "blend": None}

    def __init__(
        self,
        *,
        missing_values=np.nan,
        categorical_features="from_dtype",
        scale=True,
        plausible_values=True,
        model_missingness=False,
        model="dae",
        latent_dim=64,
        hidden_dims=(256,),
        activation="relu",
        corruption_level=0.15,
        n_members=5,
        blend="auto",
        refine_steps=5,
        optimizer="adam",
        learning_rate=1e-3,
        weight_decay=0.0,
        momentum=0.9,
        batch_size=64,
        max_epochs="auto",
        max_time=None,
        validation_fraction=0.0,
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
        ignore_columns="auto",
    ):
        self.missing_values = missing_values
        self.categorical_features = categorical_features
        self.scale = scale
        self.plausible_values = plausible_values
        self.model_missingness = model_missingness
        self.model = model
        self.latent_dim = latent_dim
        self.hidden_dims = hidden_dims
        self.activation = activation
        self.corruption_level = corruption_level
        self.n_members = n_members
        self.blend = blend
        self.refine_steps = refine_steps
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
        self.ignore_columns = ignore_columns

    # ---- reading tables ------------------------------------------------------------------

    def _declared_categorical(self, names: list[str]) -> np.ndarray | None:
        """The categorical mask from `categorical_features`, or None to infer it from the data."""
        spec = self.categorical_features
        if isinstance(spec, str):
            return None
        mask = np.zeros(len(names), dtype=bool)
        if spec is None:
            return mask
        spec = np.asarray(spec)
        if spec.dtype.kind == "b":
            if spec.shape != (len(names),):
                raise ValueError(f"categorical_features as a boolean mask needs {len(names)} entries, got {spec.shape}")
            return spec.copy()
        for item in spec.tolist():
            if isinstance(item, str):
                if item not in names:
                    raise ValueError(f"categorical_features names {item!r}, which is not a column of X")
                mask[names.index(item)] = True
            elif isinstance(item, int) and -len(names) <= item < len(names):
                mask[item] = True
            else:
                raise ValueError(f"categorical_features entry {item!r} is not a column name or index of X")
        return mask

    def _read(self, X, reset: bool) -> tuple[Table, list[str]]:
        """Validate X into a `Table` (and column names for messages); reset=True in fit."""
        if isinstance(X, (str, os.PathLike)):
            raise ValueError(f"X: {type(self).__name__} reads its rows in memory, missing entries included, and a "
                             f"file path is streamed without them; read it first (numpy.load, pandas.read_parquet)")
        if reset:
            all_numeric = isinstance(self.categorical_features, str) or self.categorical_features is None
        else:
            all_numeric = not self.layout_.categorical_mask[: self._n_model_columns()].any()
        if all_numeric and _is_plain_numeric(X):
            ensure = "allow-nan" if is_nan_marker(self.missing_values) else True
            A = validate_X(self, X, reset=reset, dtype=[np.float64, np.float32], ensure_all_finite=ensure)
            names = self._column_names()
            kept = self._find_ignored(X, names) if reset else self._kept()
            table, names = numeric_table(A[:, kept], self.missing_values), [n for n, k in zip(names, kept) if k]
            return self._without_empty(table, names) if reset else (table, names)
        validate_X(self, X, reset=reset, skip_check_array=True)
        columns, names, typed = frame_columns(X)
        if not columns or len(columns[0]) == 0:
            raise ValueError(f"X: found an array with shape ({len(columns[0]) if columns else 0}, {len(columns)}); "
                             f"{type(self).__name__} needs at least 1 sample and 1 feature")
        if reset:
            self.n_features_in_ = len(columns)
            mask = self._declared_categorical(names)
            kept = self._find_ignored(X, self._column_names())
            columns, names, typed = ([v for v, k in zip(seq, kept) if k] for seq in (columns, names, typed))
            return self._without_empty(read_columns(columns, names, self.missing_values, mask[kept] if mask is not None
                                                    else None, typed,
                                                    mask_source=f"categorical_features={self.categorical_features!r}"),
                                       names)
        else:
            if len(columns) != self.n_features_in_:
                raise ValueError(
                    f"X has {len(columns)} features, but {type(self).__name__} is expecting "
                    f"{self.n_features_in_} features as input."
                )
            kept = self._kept()
            columns, names, typed = ([v for v, k in zip(seq, kept) if k] for seq in (columns, names, typed))
            mask = self.layout_.categorical_mask[: self._n_model_columns()]
        return read_columns(columns, names, self.missing_values, mask, typed), names

    # ---- columns left out ----------------------------------------------------------------

    def _column_names(self) -> list[str]:
        return [str(c) for c in getattr(self, "feature_names_in_", range(self.n_features_in_))]

    def _find_ignored(self, X, names: list[str]) -> np.ndarray:
        """Find the columns to leave out of the model (`ignored_columns_`); the kept-column mask."""
        self.ignored_columns_, self.ignored_fill_ = find_ignored(X, names, self.ignore_columns, type(self).__name__)
        return self._kept()

    def _without_empty(self, table: Table, names: list[str]) -> tuple[Table, list[str]]:
        """`table` (of the model's columns, `names`) without its columns that have no observed
        value, which fit leaves out of the model and transform's output (`ignored_columns_` says
        EMPTY), with a warning naming them, as scikit-learn's imputers drop them; a ValueError
        when no column has one."""
        empty = table.missing.all(axis=0) if len(table.missing) else np.zeros(len(names), dtype=bool)
        if not empty.any():
            return table, names
        listed = [names[j] for j in np.flatnonzero(empty)]
        shown = ", ".join(map(repr, listed))
        if empty.all():
            raise ValueError(f"X: no column has an observed value ({shown}), so there is nothing to impute from")
        many = len(listed) > 1
        warnings.warn(
            f"{type(self).__name__}: column{'s' * many} {shown} {'have' if many else 'has'} no observed value; "
            f"{'they are' if many else 'it is'} dropped from the output, as scikit-learn's imputers drop such columns "
            "(fill or remove them before fit to keep the output's columns those of X)",
            UserWarning, stacklevel=user_stacklevel(),
        )
        self.ignored_columns_ = {**self.ignored_columns_, **dict.fromkeys(listed, EMPTY)}
        return table.select(~empty), [n for n, e in zip(names, empty) if not e]

    def _shown(self) -> np.ndarray:
        """(n_features_in_,) bool: the columns transform returns (all but those with no value in fit)."""
        ignored = getattr(self, "ignored_columns_", {})
        return np.array([ignored.get(name) != EMPTY for name in self._column_names()], dtype=bool)

    def get_feature_names_out(self, input_features=None):
        """The names of transform's columns: X's, without those that had no observed value in fit.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            X's column names; None takes `feature_names_in_` (else x0, x1, ...).

        Returns
        -------
        ndarray of str
            One name per output column.
        """
        return super().get_feature_names_out(input_features)[self._shown()]

    def _kept(self) -> np.ndarray:
        """(n_features_in_,) bool: the columns the model imputes."""
        ignored = getattr(self, "ignored_columns_", {})
        return np.array([name not in ignored for name in self._column_names()], dtype=bool)

    def _n_model_columns(self) -> int:
        return int(self._kept().sum())

    # ---- fitting -------------------------------------------------------------------------

    def _build_module(self, layout: TableLayout) -> AutoEncoderModule | VariationalAutoEncoderModule | AutoEncoderEnsemble:
        if self.n_members > 1:
            return AutoEncoderEnsemble([self._build_member(layout) for _ in range(self.n_members)])
        return self._build_member(layout)

    def _build_member(self, layout: TableLayout) -> AutoEncoderModule | VariationalAutoEncoderModule:
        hidden = positive_ints(self.hidden_dims, "hidden_dims")
        n = layout.n_encoded
        likelihood = MaskedMixedLikelihood(layout.n_numeric, layout.groups)
        masking = ColumnMasking(self.corruption_level, layout.column_of_feature())
        decoder = MLPDecoder(self.latent_dim, n, hidden[::-1], self.activation)
        if self.model == "vae":
            encoder = MLPEncoder(n, 2 * self.latent_dim, hidden, self.activation)
            return VariationalAutoEncoderModule(encoder, decoder, likelihood, NormalPrior(), self.latent_dim, corruption=masking)
        return AutoEncoderModule(MLPEncoder(n, self.latent_dim, hidden, self.activation), decoder, likelihood, masking)

    def _new_module(self):
        return self._build_module(self.layout_)

    def _piecewise_params(self) -> dict:
        return {"piecewise": True}

    def _training_data(self, X, y, reset: bool, piecewise: bool = False):
        """Encoded inputs (missing entries 0) and targets (NaN where missing), (n, n_encoded);
        in a new fit, also the layout and the indicator columns (a warm one widens the layout's
        plausible values to these rows). A new fit, or a warm one whose
        `blend` names another kind than `blend_`, also sets up the blend (`_hold_for_blend`), except
        `piecewise` (partial_fit): its partner would learn from one piece, its weights from an
        autoencoder one epoch old, so 'auto' sets up none and another kind is refused."""
        new_blend = reset or self.blend not in ("auto", self.blend_)
        if piecewise and new_blend and self.blend not in ("auto", None):
            raise ValueError(
                f"blend={self.blend!r} fits a scikit-learn IterativeImputer on all the rows at once, which partial_fit "
                "gives piece by piece (it would learn from the first piece only, its weights chosen after one epoch): "
                "set blend=None or 'auto' (which blends in fit only), or fit on all the rows"
            )
        if not reset:
            table, inputs, targets = self._encoded(X, with_targets=True)
            self.layout_ = self.layout_.widened(table)
            if not new_blend:  # the fitted partner stands
                return inputs, targets
            return self._hold_for_blend(inputs, targets, self.blend)
        table, names = self._read(X, reset=True)
        self.indicator_columns_ = np.flatnonzero(table.missing.any(axis=0)) if self.model_missingness else np.empty(0, dtype=np.int64)
        table = with_missing_indicators(table, self.indicator_columns_)
        self.layout_ = TableLayout.fit(table, scale=self.scale)
        inputs, targets, _ = self.layout_.encode(table)
        return self._hold_for_blend(inputs, targets, None if piecewise else self.blend)

    def _hold_for_blend(self, inputs: np.ndarray, targets: np.ndarray, blend: str | None) -> tuple[np.ndarray, np.ndarray]:
        """Resolve `blend_` from `blend` and, when it blends, hide the numeric entries its weights are chosen
        on from the autoencoder's inputs and targets (n, n_encoded), the partner fitted after
        training (`_after_fit`); an earlier partner and its weights are dropped."""
        for name in ("partner_", "blend_weights_"):
            self.__dict__.pop(name, None)
        self.blend_ = resolve_blend(blend, self.layout_.n_numeric, len(inputs))
        if self.blend_ is None:
            return inputs, targets
        held = np.zeros(targets.shape, dtype=bool)
        n_numeric = self.layout_.n_numeric
        held[:, :n_numeric] = draw_holdout(~np.isnan(targets[:, :n_numeric]), self._seed())
        self._blend_data = (inputs, targets, held)
        return np.where(held, 0.0, inputs).astype(inputs.dtype), np.where(held, np.nan, targets).astype(targets.dtype)

    def _after_fit(self, module, X_train, Y_train, seed) -> None:
        self._choose_refine_steps(X_train, Y_train, seed)
        blend_data = self.__dict__.pop("_blend_data", None)
        if blend_data is not None:
            self._fit_blend(*blend_data, seed)

    def _fit_blend(self, inputs: np.ndarray, targets: np.ndarray, held: np.ndarray, seed: int) -> None:
        """Fit the blend partner on the numeric columns with the `held` (n, n_encoded) entries
        hidden, and choose `blend_weights_` on them; inputs and targets as `_training_data`'s."""
        k = self.layout_.n_numeric
        seen = ~np.isnan(targets) & ~held
        ours = self._impute_encoded(np.where(held, 0.0, inputs), seen, None)[:, :k]
        self.partner_ = make_partner(self.blend_, seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # its last round's change is reported as a weight, not a warning
            theirs = self.partner_.fit_transform(np.where(seen[:, :k], targets[:, :k], np.nan))
        self.blend_weights_ = choose_weights(ours, theirs, np.nan_to_num(targets[:, :k]), held[:, :k])

    def _blended(self, means: np.ndarray, inputs: np.ndarray, observed: np.ndarray) -> np.ndarray:
        """`means` (n, n_encoded) with the numeric columns mixed with the partner's imputations."""
        if getattr(self, "partner_", None) is None:
            return means
        k = self.layout_.n_numeric
        theirs = self.partner_.transform(np.where(observed[:, :k], inputs[:, :k], np.nan))
        means[:, :k] = self.blend_weights_ * means[:, :k] + (1 - self.blend_weights_) * theirs
        return means

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, *, callbacks=(), checkpoint=None):
        """Learn the layout and train the autoencoder on X (n_samples, n_features) with missing
        entries; y is ignored. `callbacks`, `checkpoint` and `warm_start` as for `AutoEncoder`.
        Returns self.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Rows with missing entries (`missing_values`), numeric or, in a DataFrame or object
            array, categorical columns too.
        y : None
            Ignored.
        callbacks : sequence of objects, default=()
            Training callbacks, as `AutoEncoder.fit` takes them.
        checkpoint : Checkpointer or None, default=None
            Saves the training state after every epoch and restores it when resuming, as for
            `AutoEncoder.fit`.

        Returns
        -------
        self : object
            The fitted imputer.
        """
        return self._fit_module(X, y, callbacks=callbacks, checkpoint=checkpoint)

    def _train_config(self):
        """max_epochs='auto' resolved by the partner (see `max_epochs`)."""
        config = super()._train_config()
        if self.max_epochs == "auto":
            config = dataclasses.replace(config, max_epochs=EPOCHS_WITH_TREES if self.blend_ == "trees" else EPOCHS_ALONE)
        return config

    def _choose_refine_steps(self, X_all: torch.Tensor, Y_all: torch.Tensor, seed: int) -> None:
        """Set `refine_steps_` from the error on observed entries hidden (a share
        REFINE_CHECK_LEVEL of the columns) from up to REFINE_CHECK_ROWS training rows."""
        rows = torch.as_tensor(np.random.RandomState(seed).permutation(X_all.shape[0])[:REFINE_CHECK_ROWS], device=X_all.device)
        hide = ColumnMasking(REFINE_CHECK_LEVEL, self.layout_.column_of_feature())
        generator = torch.Generator(device=X_all.device).manual_seed(seed)
        x, target = X_all[rows], Y_all[rows]
        with self._threads(x.shape[0]):
            self.refinement_errors_ = refinement_errors(self.module_, x, target, ~torch.isnan(target), self.refine_steps, hide, generator)
        self.refine_steps_ = int(np.argmin(self.refinement_errors_)) + 1

    # ---- imputing ------------------------------------------------------------------------

    def _impute_encoded(self, inputs: np.ndarray, observed: np.ndarray, generator: torch.Generator | None) -> np.ndarray:
        """Refined encoded rows (n, n_encoded), computed in the dtype of `inputs`, batch by batch."""
        k = inputs.shape[1]

        def refined(module):
            reconstruct = reconstructor(module, generator)
            return lambda batch: refine(reconstruct, batch[:, :k], batch[:, k:] > 0.5, self.refine_steps_)

        return self._batched(refined, np.concatenate([inputs, observed.astype(inputs.dtype)], axis=1))

    def _decode(self, table: Table, means: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
        """The imputed table (n, n_features_in_) from refined encoded rows of `table` with its
        indicator columns, which are dropped."""
        return self.layout_.decode(table, means, rng, n_columns=self._n_model_columns(),
                                  plausible=self.plausible_values)

    def _encoded(self, X, with_targets: bool = False) -> tuple[Table, np.ndarray, np.ndarray]:
        """Validated X as a table with its indicator columns, and its encoded inputs and
        observed mask (or, `with_targets`, the targets) (n, n_encoded)."""
        given, names = self._read(X, reset=False)
        table = with_missing_indicators(given, self.indicator_columns_)
        inputs, targets, observed = self.layout_.encode(table)
        self.layout_.warn_unseen(given, targets, names, "they are kept as given, and the model reads them as missing")
        return table, inputs, targets if with_targets else observed

    def transform(self, X):
        """X with its missing entries imputed, same shape but for the columns that had no
        observed value in fit (dropped, with a warning at fit); observed entries unchanged. Float
        (X's dtype) for numeric data, object when there are categorical columns (numeric
        columns as floats); with `set_output(transform="pandas")` a DataFrame X gives a
        DataFrame with X's dtypes and column names: string names kept, others (a headerless
        frame's 0, 1, ...) named x0, x1, ... as scikit-learn's own imputers name them.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Rows with missing entries (`missing_values`), numeric or, in a DataFrame or object
            array, categorical columns too.

        Returns
        -------
        X_imputed : ndarray or DataFrame of shape (n_samples, n_features_out)
            X with its missing entries filled.
        """
        check_is_fitted(self)
        table, inputs, observed = self._encoded(X)
        means = self._blended(self._impute_encoded(inputs, observed, None), inputs, observed)
        filled = self._with_ignored(self._decode(table, means), X)
        if _get_output_config("transform", self)["dense"] == "pandas" and hasattr(X, "dtypes"):
            return frame_like(filled, X.iloc[:, np.flatnonzero(self._shown())], self.missing_values)
        return filled

    def sample_imputations(self, X, n: int = 5, random_state=None) -> np.ndarray:
        """`n` different imputations of X for multiple imputation: (n, n_samples, n_features).

        Each draw runs the refinement with fresh training-style masking of the inputs
        (model='dae') or a fresh posterior draw of the code (model='vae') at every step, and
        draws categorical values from the predicted probabilities, so the draws spread where
        the observed entries leave a value uncertain. Observed entries are the same in all.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Rows with missing entries (`missing_values`), numeric or, in a DataFrame or object
            array, categorical columns too.
        n : int, default=5
            Number of imputations.
        random_state : int, RandomState or None, default=None
            Seeds the draws; None uses the estimator's `random_state`.

        Returns
        -------
        imputations : ndarray of shape (n, n_samples, n_features_out)
            The imputed copies of X, one per draw.
        """
        check_is_fitted(self)
        if not isinstance(n, Integral) or isinstance(n, bool) or n < 1:
            raise ValueError(f"n must be a positive integer, got {n!r}")
        table, inputs, observed = self._encoded(X)
        seed = self._seed(random_state)
        device = next(self.module_.parameters()).device
        generator = torch.Generator(device=device).manual_seed(seed)
        rng = np.random.default_rng(seed)
        return np.stack(
            [self._with_ignored(self._decode(table, self._impute_encoded(inputs, observed, generator), rng), X)
             for _ in range(n)]
        )

    def _with_ignored(self, filled: np.ndarray, X) -> np.ndarray:
        """The imputed model columns with the columns left out put back as X holds them, but for
        those with no value in fit (dropped)."""
        shown = self._shown()
        if not shown.all():  # an array's columns left out are only those: nothing of X is put back
            X = X.iloc[:, np.flatnonzero(shown)] if is_frame(X) else None
        names = [name for name, s in zip(self._column_names(), shown) if s]
        return with_ignored(filled, X, self._kept()[shown], names, getattr(self, "ignored_fill_", {}))

    def _check_loaded(self, path) -> None:
        if not hasattr(self, "indicator_columns_"):
            self.indicator_columns_ = np.empty(0, dtype=np.int64)
        unknown = sorted(set(getattr(self, "ignored_columns_", {})) - set(self._column_names()))
        if unknown:
            raise ValueError(f"{str(path)!r}: fitted.ignored_columns_ names {unknown}, not columns of the imputer")
        indicators, n_features = self.indicator_columns_, self._n_model_columns()
        if n_features + len(indicators) != self.layout_.categorical_mask.shape[0]:
            raise ValueError(f"{str(path)!r}: fitted.n_features_in_ plus the {len(indicators)} indicator columns does not "
                             f"match the layout's {len(self.layout_.categorical_mask)} columns")
        if len(set(indicators.tolist())) != len(indicators) or not all(0 <= j < n_features for j in indicators.tolist()):
            raise ValueError(f"{str(path)!r}: fitted.indicator_columns_ must list distinct column indices below {n_features}")
        if not 1 <= self.refine_steps_ <= self.refine_steps:
            raise ValueError(f"{str(path)!r}: fitted.refine_steps_ must be in 1..{self.refine_steps}")
        self._check_loaded_blend(Path(path))

    def _check_loaded_blend(self, path: Path) -> None:
        """A loaded imputer has a partner and its weights exactly when it blends (`blend_`, or
        `blend` in files saved before `blend_` existed), for its numeric columns."""
        from sklearn.experimental import enable_iterative_imputer  # noqa: F401
        from sklearn.impute import IterativeImputer

        partner, weights = getattr(self, "partner_", None), getattr(self, "blend_weights_", None)
        if self.blend is None and (partner is not None or weights is not None):
            raise ValueError(f"{str(path)!r}: holds a blend partner or weights, but params.blend is null")
        if not hasattr(self, "blend_"):
            if self.blend == "auto":
                raise ValueError(f"{str(path)!r}: fitted.blend_ is missing: an imputer with blend='auto' records its choice")
            self.blend_ = self.blend
        if self.blend != "auto" and self.blend_ != self.blend:
            raise ValueError(f"{str(path)!r}: fitted.blend_ is {self.blend_!r}, but params.blend is {self.blend!r}")
        if self.blend_ is None:
            if partner is not None or weights is not None:
                raise ValueError(f"{str(path)!r}: holds a blend partner or weights, but fitted.blend_ is null")
            return
        if partner is None:
            raise FileNotFoundError(f"{str(path / 'partner' / STATE_FILE)!r} is missing: an imputer fitted with "
                                    f"blend={self.blend_!r} needs its partner")
        k = self.layout_.n_numeric
        if not isinstance(partner, IterativeImputer) or partner.n_features_in_ != k:
            raise ValueError(f"{str(path / 'partner')!r}: the partner must be an IterativeImputer of the {k} numeric columns")
        if weights is None or weights.shape != (k,) or not ((weights >= 0) & (weights <= 1)).all():
            raise ValueError(f"{str(path)!r}: fitted.blend_weights_ must give {k} weights in [0, 1]")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.categorical = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
