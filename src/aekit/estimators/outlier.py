"""`AutoEncoderOutlierDetector`: outliers are the samples an autoencoder trained on (mostly
normal) data reconstructs worst, in scikit-learn's `OutlierMixin` convention."""

from __future__ import annotations

import inspect
import math
import warnings
from numbers import Real

import numpy as np
from sklearn.base import OutlierMixin, _fit_context, clone
from sklearn.covariance import EmpiricalCovariance, MinCovDet
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from aekit.estimators.autoencoder import AutoEncoder
from aekit.data._sparse_input import is_sparse
from aekit.estimators.base import SPARSE_FORMAT, AekitEstimator, non_finite_message, one_of, validate_X
from aekit.analysis.explanations import DEFAULT_METHOD, check_method, check_top, reasons, source_names
from aekit.analysis.thresholds import N_QUANTILES, auto_threshold, outlier_probability, score_quantiles
from aekit.data.columns import check_array_ignore
from aekit.data.table_input import TableInput
from aekit.data.tabular import as_frame, is_frame

__all__ = ["AutoEncoderOutlierDetector", "default_autoencoder", "raw_value_setting"]

DEFAULT_EPOCHS, DEFAULT_MIN_STEPS, DEFAULT_BATCH = 50, 1000, 256
MIN_FEATURE_ERROR = 1e-12
MIN_CODE_VARIANCE = 1e-6  # relative floor of the codes' variances (their mean square) in the latent part
_ROW_HASH_SEED = 20261207  # fixed: a row's hash need not vary between calls
_HASH_ROWS = 8192  # rows hashed at a time (their bits widened to 64 stay in cache)
BATCH_PLACES = 16  # batch sizes in which a row tied at the cut is rescored (kernels block rows by up to 8 or 16)
MIN_PART_SCALE = 1e-12  # relative floor of a part's interquartile range (a constant part on the training data)
TINY_PART_SCALE = float(np.finfo(np.float32).tiny)  # absolute floor: parts are float32 sums, data may be all denormal
CRITERIA = ("combined", "reconstruction", "latent")
RECONSTRUCTION_SCORES = ("loss", "squared_error")
RAW_VALUE_PARAMS = {  # autoencoder settings that read X's own values, which a DataFrame's encoding standardises
    "loss": {"bce": "X in [0, 1]", "bernoulli": "X in [0, 1]", "multinomial": "counts", "poisson": "counts"},
    "likelihood": {"bernoulli": "X in [0, 1]", "multinomial": "counts", "poisson": "counts"},
    "binarize": {"dynamic": "X in [0, 1]"},
    "input_transform": {"log1p": "counts", "proportions": "counts"},
}


def _finite(value) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
        raise ValueError("must be a finite number")
    return float(value)


def _finite_numbers(value) -> dict[str, float]:
    if not isinstance(value, dict):
        raise ValueError("must map part names to numbers")
    return {str(k): _finite(v) for k, v in value.items()}


def _finite_array(value) -> np.ndarray:
    array = np.asarray(value, dtype=np.float64)
    if not np.isfinite(array).all():
        raise ValueError("must hold finite numbers")
    return array


def _feature_spread(X) -> np.ndarray:
    """Largest minus smallest value of each feature of X (n, d), dense or sparse: (d,) float64."""
    spread = X.max(axis=0) - X.min(axis=0)
    return np.asarray(spread.toarray() if is_sparse(spread) else spread, dtype=np.float64).reshape(-1)


def raw_value_setting(model) -> tuple[str, str, str] | None:
    """The setting of the autoencoder `model` whose loss or input reads X's own values (pixels
    in [0, 1], counts), which a table's encoding (numeric columns standardised) does not give.

    Parameters
    ----------
    model : estimator
        The autoencoder, fitted or not.

    Returns
    -------
    tuple of str or None
        The parameter's name, its value and what it needs (e.g. 'X in [0, 1]'); None when no
        setting reads raw values.
    """
    params = model.get_params(deep=False)
    for name, needs in RAW_VALUE_PARAMS.items():
        value = params.get(name)
        if isinstance(value, str) and value in needs:
            return name, value, needs[value]
    return None


def _check_raw_values(model) -> None:
    """Refuse an autoencoder whose loss or input reads X's own values (pixels in [0, 1],
    counts) for a DataFrame X, which the detector standardises before the autoencoder sees it."""
    found = raw_value_setting(model)
    if found is not None:
        name, value, needs = found
        raise ValueError(
            f"X is a DataFrame, which the detector encodes as `aekit detect` does (numeric columns standardised, "
            f"text columns one-hot), but the autoencoder's {name}={value!r} needs {needs}: pass X.to_numpy() "
            f"to score the values as they are, or leave {name} at its default"
        )


def default_autoencoder(n_samples: int) -> AutoEncoder:
    """The autoencoder `AutoEncoderOutlierDetector(autoencoder=None)` trains on `n_samples` rows
    (see the class docstring); `aekit detect` starts from it too.

    Parameters
    ----------
    n_samples : int
        Number of training rows; sets the epochs (enough for a minimum number of optimizer
        steps).

    Returns
    -------
    autoencoder : AutoEncoder
        Unfitted.
    """
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or n_samples < 1:
        raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}")
    epochs = max(DEFAULT_EPOCHS, math.ceil(DEFAULT_MIN_STEPS / math.ceil(n_samples / DEFAULT_BATCH)))
    return AutoEncoder(latent_dim=4, hidden_dims=(64,), batch_size=DEFAULT_BATCH, max_epochs=epochs, loss_trim=0.2,
                       init="random", early_stopping=None, lr_schedule=None, learning_rate=1e-3)


def _check_finite(X) -> None:
    """Refuse NaN or infinite entries of a validated X (n, d), naming the first one's row and column."""
    message = non_finite_message(X, "the detector scores complete rows: fill them first, e.g. with AutoEncoderImputer, or drop those rows")
    if message:
        raise ValueError(message)


def _quantile_offset(scores: np.ndarray, contamination: float) -> float:
    """The `contamination` quantile of the training normality scores (n,), moved halfway down to
    the next lower training score when it falls on training scores (a row repeated across the
    threshold): those rows are inliers in fit, and a row's score shifts by float rounding with
    the batch it is scored in, which must not flip an inlier scored alone to an outlier."""
    offset = float(np.percentile(scores, 100.0 * contamination))
    lower = scores[scores < offset]
    if lower.size and np.any(scores == offset):
        return float((offset + lower.max()) / 2)
    return offset


def _mean_square(X) -> float:
    """The mean square of the entries of X (n, d), dense or sparse."""
    total = X.multiply(X).sum() if is_sparse(X) else np.einsum("ij,ij->", X, X, dtype=np.float64)
    return float(total) / max(X.shape[0] * X.shape[1], 1)


def _distinct_rows(X: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The first occurrence (m,) of each distinct row of X (n, d), in order, and which of them each
    row is (n,); None when every row is distinct. Rows are told apart by a hash of their bits (a
    random odd weighting, exact in integers: about 6 % of scoring's time on 50 columns), checked
    equal after."""
    import pandas as pd

    X = np.ascontiguousarray(X)
    bits = X.view(np.dtype(f"u{X.itemsize}"))
    weights = np.random.default_rng(_ROW_HASH_SEED).integers(1, 2**63, size=X.shape[1], dtype=np.uint64) | np.uint64(1)
    hashes = np.concatenate([bits[i:i + _HASH_ROWS].astype(np.uint64) @ weights for i in range(0, len(X), _HASH_ROWS)])
    inverse, uniques = pd.factorize(hashes)
    if len(uniques) == len(X):
        return None
    _, first = np.unique(inverse, return_index=True)  # factorize numbers the rows' hashes in order of first appearance
    return (first, inverse) if np.array_equal(X[first][inverse], X) else None  # a hash collision: score every row


def _with_labels(explained, labels, top: int | None):
    """An explanation named by the strings of a DataFrame's column labels, named by the labels
    themselves (the ints of a headerless frame's columns): its columns, or with `top` the
    feature_i entries."""
    by_name = {str(label): label for label in labels}
    if all(isinstance(label, str) for label in labels):
        return explained
    if top is None:
        return explained.rename(columns=by_name)
    features = [f"feature_{i + 1}" for i in range(top) if f"feature_{i + 1}" in explained.columns]
    return explained.assign(**{f: explained[f].map(lambda name: by_name.get(name, name)) for f in features})


def _code_distribution(codes: np.ndarray, random_state) -> tuple[np.ndarray, np.ndarray]:
    """Robust location (k,) and precision (k, k) of the training codes (n, k): the minimum
    covariance determinant fit, or the plain covariance where the MCD cannot be fitted (more
    than half the codes coincide, so its support has no spread; a single sample). Variances
    below MIN_CODE_VARIANCE of the codes' mean square are raised to it: along a direction in
    which the training codes (nearly) coincide, the float rounding of one code would otherwise
    score as an outlier. Codes that are all zero (a single standardised sample) take the float32
    floor, so the precision stays finite."""
    with warnings.catch_warnings():
        for category in (UserWarning, RuntimeWarning):  # degenerate codes (rank-deficient, repeated, one sample)
            warnings.filterwarnings("ignore", category=category, module=r"sklearn\.covariance")
        try:
            covariance = MinCovDet(random_state=check_random_state(random_state).randint(2**31 - 1)).fit(codes)
        except ValueError:
            covariance = EmpiricalCovariance().fit(codes)
    variances, axes = np.linalg.eigh(covariance.covariance_)
    floor = MIN_CODE_VARIANCE * max(float(np.mean(np.square(codes))), float(np.finfo(np.float32).tiny))
    return covariance.location_, (axes / np.maximum(variances, floor)) @ axes.T


class AutoEncoderOutlierDetector(OutlierMixin, AekitEstimator):
    """Outlier detection with an autoencoder: by reconstruction error (or negative ELBO for a
    variational autoencoder), by how far a sample's code lies from the training codes, or by
    both, wrapping any aekit autoencoder.

    `fit` trains a clone of `autoencoder` on X (a later `fit` continues training the fitted
    one when the autoencoder has `warm_start=True`, a DataFrame encoded as in the first fit,
    whose units the network learned) and sets `offset_` so that a share
    `contamination` of the training samples score below it (or, with contamination='auto',
    by a generalized ESD outlier test on the log training anomaly scores). `score_samples` is higher for
    normal samples, `decision_function = score_samples - offset_`, and `predict` gives -1
    for outliers (decision < 0) and +1 for inliers. `predict_proba` turns the anomaly score
    into a probability of being an outlier from the training scores' distribution, 0.5 at
    the threshold, and `explain` splits each sample's anomaly score over its features.

    The reconstruction part is the autoencoder's own per-sample loss (the negative ELBO for a
    VAE), or the mean of standardised squared errors with `standardize=True`. For an
    autoencoder trained with the Bernoulli cross-entropy (`loss='bce'`, which `loss='auto'`
    takes for pixels in [0, 1]) it is the mean squared error: on MNIST one-class the
    cross-entropy of the same models ranked the other digits worse (mean ROC AUC 0.923 against
    0.966, benchmarks/outliers.py's architecture, seed 0). The latent part
    is the squared Mahalanobis distance of the code from a robust (minimum covariance
    determinant) fit to the training codes: samples the network reconstructs well but maps to
    unusual codes, such as a small cluster of another kind, stand out there. `criterion='combined'`
    adds the two after centring each on its training median and dividing by its training
    interquartile range.

    Parameters
    ----------
    autoencoder : aekit estimator or None, default=None
        The model to fit (any estimator with `fit` and `score_samples`, plus `reconstruct`
        for standardize=True), e.g. `AutoEncoder(latent_dim=4)`,
        `DenoisingAutoEncoder()` or `VariationalAutoEncoder()`. None uses
        `AutoEncoder(latent_dim=4, hidden_dims=(64,), loss_trim=0.2, init='random',
        early_stopping=None, lr_schedule=None, learning_rate=1e-3)` (the autoencoder's PCA
        start and early stopping lowered the outlier benchmark's mean ROC AUC rank from 1.82 to 2.64 and mean AP rank from
        1.91 to 2.73, so the detector keeps a random start and its whole budget) trained for 50 epochs, or
        longer on small data so that it takes about 1000 optimizer steps
        (`max_epochs = max(50, ceil(1000 / ceil(n_samples / 256)))`): 50 epochs of a few hundred
        rows are only 50 steps, too few to learn the data. A DataFrame is encoded as `aekit
        detect` encodes a table (see below); scale a numeric array first (a `StandardScaler`
        in a Pipeline).
    contamination : float in (0, 0.5] or 'auto', default=0.1
        Expected share of outliers in the training data; sets `offset_` and `threshold_`.
        'auto' needs no guess: the training anomaly scores that Rosner's generalized extreme
        studentized deviate test (one-sided, level 0.3 for up to 250 scores and lower for
        more, up to 40 % of the scores) finds to be outliers on log(score - lowest score +
        1.5 interquartile ranges) are flagged, or the top 3 % if that is more, and the threshold
        lies just below the lowest of them (`aekit.analysis.thresholds.auto_threshold`;
        benchmarks/thresholds.py: 0.5-2x the true number of anomalies on 8 of 11 ADBench sets
        for 59 of 60 seeds).
    criterion : {'combined', 'reconstruction', 'latent'}, default='combined'
        What makes a sample abnormal: its reconstruction part, its latent part, or their
        robustly standardised sum (see above). 'latent' and 'combined' need an autoencoder
        with `transform`. The default was chosen in trials on the seed-0 and seed-1 splits of
        the ADBench sets in benchmarks/outliers.py; on MNIST one-class images
        'reconstruction' scored better on every digit (see BENCHMARKS.md).
    standardize : bool, default=False
        False uses the autoencoder's own `score_samples` (negative per-sample loss, or the
        ELBO); True divides each feature's squared reconstruction error by its mean over the
        training data, so features the model reconstructs poorly everywhere do not dominate.
    random_state : int, RandomState or None, default=None
        When set, overrides the autoencoder's `random_state`; else the autoencoder's also seeds
        the robust fit of the codes' distribution, so a seeded autoencoder gives the same scores.
    ignore_columns : 'auto', list of str or None, default='auto'
        For a DataFrame X, the columns left out of the model. 'auto' leaves out empty columns (no
        value in any row), identifier-like
        columns (at least 20 rows whose values are all distinct texts, or distinct whole numbers
        counting in row order or filling a narrow range, such as a counter 1..n; on fewer rows a
        column named like one, such as id or patient_id; see
        `aekit.data.columns.is_identifier`), dates or times (a datetime column, or texts such as
        2024-03-01 or 01/03/2024) and constant columns, with a warning naming them;
        a list of column names (ints for a headerless frame's) leaves those out as well; None
        keeps every column. The other columns are encoded as `aekit detect` encodes a table
        (`aekit.data.tabular.DetectionEncoding`: numeric columns standardised, each text or
        category column one-hot encoded and scaled to weigh as one numeric column), so the
        detector and the command give the same scores.
        Array input is used as it is (a list needs a DataFrame).

    Attributes
    ----------
    autoencoder_ : estimator
        The fitted clone.
    offset_ : float
        The `contamination` quantile of the training scores (halfway down to the next lower
        training score when it falls on one, so a row at the threshold stays an inlier; on the
        lowest training scores, tied, as low as their row scores in any batch of up to 16 rows).
    threshold_ : float
        The same cut as an anomaly score (higher = more abnormal): ``-offset_``, i.e. samples
        whose anomaly score exceeds it are outliers.
    score_quantiles_ : ndarray of shape (1001,)
        Quantiles of the training anomaly scores at levels 0, 0.001, ..., 1; `predict_proba`
        reads them.
    feature_error_ : ndarray of shape (n_features,)
        Mean squared training error per feature (standardize=True only).
    feature_mean_, feature_spread_ : ndarray of shape (n_features,)
        Mean and range (largest minus smallest value) of each feature in training, which
        `explain` reads: a feature without spread is one the training rows never varied, and a
        value more than 10 ranges from the mean is one the model has no scale for.
    reconstruction_score_ : {'loss', 'squared_error'}
        What the reconstruction part measures: the autoencoder's own loss, or the (standardised
        with standardize=True) squared error.
    latent_location_, latent_precision_ : ndarray of shape (latent_dim,), (latent_dim, latent_dim)
        Robust mean and inverse covariance of the training codes (criterion 'latent' or 'combined').
    part_center_, part_scale_ : dict
        Training median and interquartile range of each anomaly part ('reconstruction',
        'latent') the criterion uses; the range is at least 1e-12 of max(abs(median), unit), the
        unit 1, or for the reconstruction part the training rows' mean square when below 1, so
        that float rounding is not standardised into scores whatever the data's scale.
    table_ : aekit.data.table_input.TableInput
        For a DataFrame X only: the columns left out (`table_.dropped`, name to reason) and the
        encoding of the others (kept from the first fit by a warm-started autoencoder's refits).
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Defined when X has string column names.

    Examples
    --------
    >>> import numpy as np
    >>> from aekit import AutoEncoder, AutoEncoderOutlierDetector
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 1)) @ np.ones((1, 5)) + 0.05 * rng.normal(size=(300, 5))
    >>> det = AutoEncoderOutlierDetector(AutoEncoder(latent_dim=1, max_epochs=20), contamination=0.05, random_state=0).fit(X)
    >>> det.predict([[3.0, -3.0, 3.0, -3.0, 3.0]])
    array([-1])
    """

    _parameter_constraints: dict = {
        "autoencoder": [HasMethods(["fit", "score_samples"]), None],
        "contamination": [Interval(Real, 0, 0.5, closed="right"), StrOptions({"auto"})],
        "criterion": [StrOptions(set(CRITERIA))],
        "standardize": ["boolean"],
        "random_state": ["random_state"],
        "ignore_columns": [StrOptions({"auto"}), "array-like", None],
    }

    _has_module = False
    _sparse_input = True
    _encodes_text = True  # a DataFrame's text columns, one-hot (`table_`)
    _nested = ("autoencoder_",)
    _fitted_state = {
        "offset_": _finite,
        "part_center_": _finite_numbers,
        "part_scale_": _finite_numbers,
        "feature_error_": _finite_array,
        "feature_mean_": _finite_array,
        "feature_spread_": _finite_array,
        "latent_location_": _finite_array,
        "latent_precision_": _finite_array,
        "score_quantiles_": _finite_array,
        "table_": TableInput.from_json,
        "reconstruction_score_": one_of(RECONSTRUCTION_SCORES),
    }
    _optional_fitted = frozenset({"table_", "feature_error_", "feature_mean_", "feature_spread_", "latent_location_",
                                  "latent_precision_", "score_quantiles_", "reconstruction_score_"})  # fmt: skip  (absent from files saved before each existed)

    def __init__(self, autoencoder=None, *, contamination=0.1, criterion="combined", standardize=False, random_state=None,
                 ignore_columns="auto"):
        self.autoencoder = autoencoder
        self.contamination = contamination
        self.criterion = criterion
        self.standardize = standardize
        self.random_state = random_state
        self.ignore_columns = ignore_columns

    def _make_autoencoder(self, n_samples: int):
        fitted = getattr(self, "autoencoder_", None)
        if isinstance(self.autoencoder, type):
            name = self.autoencoder.__name__
            raise ValueError(f"autoencoder must be an estimator such as {name}(), got the class {name} itself")
        if self.autoencoder is None:
            model = default_autoencoder(n_samples)
        elif getattr(self.autoencoder, "warm_start", False) and type(fitted) is type(self.autoencoder):
            model = fitted.set_params(**self.autoencoder.get_params(deep=False))
        else:
            model = clone(self.autoencoder)
        if self.random_state is not None and "random_state" in model.get_params():
            model.set_params(random_state=self.random_state)
        if self.standardize and not hasattr(model, "reconstruct"):
            raise ValueError(f"standardize=True needs an autoencoder with `reconstruct`; {type(model).__name__} has none")
        if self.criterion != "reconstruction" and not hasattr(model, "transform"):
            raise ValueError(f"criterion={self.criterion!r} needs an autoencoder with `transform`; {type(model).__name__} has none")
        if getattr(self, "table_", None) is not None:
            _check_raw_values(model)
        return model

    def _parts_used(self) -> tuple[str, ...]:
        return ("reconstruction", "latent") if self.criterion == "combined" else (self.criterion,)

    def _squared_errors(self, X: np.ndarray) -> np.ndarray:
        rows = X.toarray() if is_sparse(X) else X
        return np.square(rows - self.autoencoder_.reconstruct(X))  # (n, n_features)

    def _scores_squared_error(self) -> bool:
        """Whether the reconstruction part is the mean squared error (standardised with
        `standardize`) rather than the autoencoder's own loss; a detector saved before
        `reconstruction_score_` existed scored the loss."""
        return self.standardize or getattr(self, "reconstruction_score_", "loss") == "squared_error"

    def error_scale(self) -> np.ndarray | float:
        """What each feature's squared error is divided by in the reconstruction part:
        `feature_error_` with `standardize`, else 1.

        Returns
        -------
        scale : ndarray of shape (n_features,) or float
        """
        return self.feature_error_ if self.standardize else 1.0

    def _part(self, name: str, X: np.ndarray) -> np.ndarray:
        """One anomaly part of X (higher = more abnormal): (n_samples,)."""
        if name == "latent":
            centred = np.asarray(self.autoencoder_.transform(X), dtype=np.float64) - self.latent_location_
            return np.einsum("ij,jk,ik->i", centred, self.latent_precision_, centred)
        if self._scores_squared_error():
            return (self._squared_errors(X) / self.error_scale()).mean(axis=1)
        return -np.asarray(self.autoencoder_.score_samples(X), dtype=np.float64)

    def _combine(self, parts: dict[str, np.ndarray]) -> np.ndarray:
        """Normality scores from the anomaly parts: one part negated, or the negated sum of the
        robustly standardised parts."""
        if len(parts) == 1:
            return -next(iter(parts.values()))
        return -sum((values - self.part_center_[p]) / self.part_scale_[p] for p, values in parts.items())

    def _parts(self, X) -> dict[str, np.ndarray]:
        """Each anomaly part the criterion uses, (n_samples,), computed once per distinct row of a
        dense X: a row's float rounding depends on its place in the batch, which must not give
        repeated rows different scores (and the threshold split them)."""
        distinct = None if is_sparse(X) else _distinct_rows(X)
        if distinct is None:
            return {p: self._part(p, X) for p in self._parts_used()}
        first, inverse = distinct
        return {p: self._part(p, X[first])[inverse] for p in self._parts_used()}

    def _scores(self, X: np.ndarray) -> np.ndarray:
        return self._combine(self._parts(X))

    def _checked_X(self, X, reset: bool):
        """X as a float array, or a CSR matrix (refused with standardize=True, whose per-feature
        errors are dense); a DataFrame (a pyarrow or polars one too) encoded through `table_`
        (fitted here when `reset`)."""
        X = as_frame(X)
        if reset:
            self.__dict__.pop("table_", None)
            if is_frame(X):
                validate_X(self, X, reset=True, skip_check_array=True)
                self.table_ = TableInput.fit(X, self.ignore_columns, type(self).__name__)
            else:
                check_array_ignore(self.ignore_columns)
        if getattr(self, "table_", None) is not None:
            if not is_frame(X):
                raise ValueError(f"X: this {type(self).__name__} was fitted on a DataFrame; pass a DataFrame with the "
                                 f"columns {list(self.feature_names_in_) if hasattr(self, 'feature_names_in_') else ''}")
            if not reset:
                validate_X(self, X, reset=False, skip_check_array=True)
            return self.table_.transform(X)
        if not is_sparse(X) and getattr(X, "ndim", None) in (3, 4):  # an array's own ndim: array-likes may refuse np.ndim
            shape = tuple(int(s) for s in X.shape)
            params = self.autoencoder.get_params(deep=False) if hasattr(self.autoencoder, "get_params") else {}
            name = type(self.autoencoder).__name__
            model = (f"your {name} their shape, {name}(" + "backbone='conv', " * ("backbone" in params)
                     if "input_shape" in params else "a convolutional autoencoder their shape, ConvAutoEncoder(")
            raise ValueError(
                f"X has shape {shape}: {type(self).__name__} scores rows (n_samples, n_features); pass images as rows, "
                f"X.reshape(len(X), -1), and give {model}input_shape={shape[1:]})"
            )
        X = validate_X(self, X, reset=reset, dtype=[np.float64, np.float32], accept_sparse=SPARSE_FORMAT,
                       ensure_all_finite=False)
        _check_finite(X)
        if self.standardize and is_sparse(X):
            raise ValueError("X is sparse, but standardize=True needs dense X; pass X.toarray() or standardize=False")
        return X

    def _check_same_table(self, before: TableInput | None, width: int, fitted: int) -> None:
        """Refuse a DataFrame whose encoding (`width` features) is not the one a warm-started
        autoencoder was fitted on (`fitted` features, the table `before`), naming the encoded
        features added and gone: a category in place of another would take its column."""
        now = list(self.table_.encoding.get_feature_names_out())
        was = list(before.encoding.get_feature_names_out()) if before is not None else None
        if width == fitted and (was is None or was == now):
            return
        what = (f"{width} features, but the autoencoder was fitted on {fitted}" if was is None else
                f"other features than the autoencoder was fitted on (new: {sorted(set(now) - set(was))}, gone: "
                f"{sorted(set(was) - set(now))})")
        raise ValueError(f"X's columns encode to {what}, and warm_start=True continues that fit: pass rows with its "
                         "columns and categories, or set the autoencoder's warm_start=False to train a new one")

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None, *, callbacks=(), checkpoint=None):
        """Train the autoencoder on X (n_samples, n_features), fit the code distribution and
        set the threshold from the training scores; y is ignored. Returns self.

        Parameters
        ----------
        X : array-like, sparse matrix or DataFrame of shape (n_samples, n_features)
            Training rows; a DataFrame is encoded as a table (see `ignore_columns`), and
            sparse X needs standardize=False.
        y : None
            Ignored.
        callbacks : sequence of objects, default=()
            The autoencoder's training callbacks, as `AutoEncoder.fit` takes them.
        checkpoint : Checkpointer or None, default=None
            Saves the autoencoder's training state after every epoch and, with resume=True,
            continues an interrupted fit from it, as `AutoEncoder.fit` does.

        Returns
        -------
        self : object
            The fitted detector; a fit that raises leaves it as it was.
        """
        return self._all_or_nothing(self._fit, X, callbacks, checkpoint)

    def _fit(self, X, callbacks, checkpoint):
        before = getattr(self, "table_", None)
        for name in ("feature_error_", "latent_location_", "latent_precision_"):  # set again below when this fit uses them
            self.__dict__.pop(name, None)
        frame = as_frame(X)
        X = self._checked_X(frame, reset=True)
        model = self._make_autoencoder(X.shape[0])
        if getattr(self, "table_", None) is not None and hasattr(model, "module_"):  # a warm start of the fitted autoencoder
            self._check_same_table(before, X.shape[1], model.n_features_in_)
            if before is not None:  # the network continues in the units it learned: the first fit's encoding
                self.table_, X = before, before.transform(frame)
        training = {**({"callbacks": callbacks} if callbacks else {}), **({"checkpoint": checkpoint} if checkpoint is not None else {})}
        taken = inspect.signature(model.fit).parameters
        for name in training.keys() - taken.keys():
            raise TypeError(f"{name}: the autoencoder {type(model).__name__} takes no training {name} in fit")
        self.autoencoder_ = model.fit(X, **training)
        trained_loss = getattr(self.autoencoder_, "loss_", getattr(self.autoencoder_, "loss", None))
        self.reconstruction_score_ = "squared_error" if self.standardize or trained_loss == "bce" else "loss"
        self.feature_mean_ = np.asarray(X.mean(axis=0), dtype=np.float64).reshape(-1)
        self.feature_spread_ = _feature_spread(X)
        if self.standardize:
            errors = np.asarray(self._squared_errors(X).mean(axis=0), dtype=np.float64)  # float64, as a loaded detector's
            self.feature_error_ = np.maximum(errors, MIN_FEATURE_ERROR)
        if "latent" in self._parts_used():
            codes = np.asarray(self.autoencoder_.transform(X), dtype=np.float64)
            seed = self.random_state if self.random_state is not None else self.autoencoder_.get_params().get("random_state")
            self.latent_location_, self.latent_precision_ = _code_distribution(codes, seed)
        parts = self._parts(X)
        self.part_center_, self.part_scale_ = {}, {}
        for name, values in parts.items():
            low, center, high = np.percentile(values, [25, 50, 75])
            self.part_center_[name] = float(center)
            unit = min(_mean_square(X), 1.0) if name == "reconstruction" else 1.0
            self.part_scale_[name] = float(max(high - low, MIN_PART_SCALE * max(abs(center), unit), TINY_PART_SCALE))
        scores = self._combine(parts)
        self.score_quantiles_ = score_quantiles(-scores)
        if self.contamination == "auto":
            self.offset_ = -auto_threshold(-scores)
        else:
            self.offset_ = _quantile_offset(scores, self.contamination)
        lowest = int(np.argmin(scores))
        if self.offset_ == scores[lowest]:  # the cut lies on the lowest training rows, tied: inliers in any batch
            self.offset_ = min(self.offset_, self._lowest_in_batches(X[[lowest]]))
        self.threshold_ = -self.offset_
        return self

    def _lowest_in_batches(self, row) -> float:
        """The lowest normality score `row` (1, n_features) gets among BATCH_PLACES copies of it
        in batches of 1 to BATCH_PLACES rows: how low float rounding takes it with its place in a batch."""
        copies = row[[0] * BATCH_PLACES]
        return min(float(self._combine({p: self._part(p, copies[:k]) for p in self._parts_used()}).min())
                   for k in range(1, BATCH_PLACES + 1))

    def score_samples(self, X):
        """Normality of each sample (n_samples,); lower is more abnormal.

        Parameters
        ----------
        X : array-like, sparse matrix or DataFrame of shape (n_samples, n_features)
            Rows as `fit` took them (a DataFrame when the detector was fitted on one).

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            Negative anomaly scores.
        """
        check_is_fitted(self)
        return self._scores(self._checked_X(X, reset=False))

    def predict_proba(self, X):
        """Probabilities (n_samples, 2) of being an inlier (column 0) and an outlier (column 1).

        With t the share of training anomaly scores above a sample's (empirical below the 95th
        percentile, an exponential tail beyond), the outlier probability is (1 - t)^m, m set so
        that the threshold gets 0.5: it rises with the anomaly score and exceeds 0.5 exactly
        where `predict` gives -1 (`decision_function` < 0).

        Parameters
        ----------
        X : array-like, sparse matrix or DataFrame of shape (n_samples, n_features)
            Rows as `fit` took them (a DataFrame when the detector was fitted on one).

        Returns
        -------
        proba : ndarray of shape (n_samples, 2)
            Inlier and outlier probabilities; each row sums to 1.
        """
        check_is_fitted(self)
        if getattr(self, "score_quantiles_", None) is None:
            raise ValueError("predict_proba needs score_quantiles_, which detectors saved by an older aekit lack: fit again")
        outlier = outlier_probability(-self.score_samples(X), self.score_quantiles_, self.threshold_)
        return np.column_stack([1.0 - outlier, outlier])

    def explain(self, X, top=None, *, feature_names=None, groups=None, method=DEFAULT_METHOD):
        """Each feature's contribution to each sample's anomaly score (-score_samples), as a
        DataFrame (n_samples, n_features) whose rows plus `attrs['offset']` (one constant for
        all rows) equal the anomaly score; see `aekit.analysis.explanations` for the method.

        Parameters
        ----------
        X : array-like, sparse matrix or DataFrame of shape (n_samples, n_features)
            Rows as `fit` took them (a DataFrame when the detector was fitted on one).
        top : int or None, default=None
            With `top=k`, the k largest contributions per row instead, as columns feature_i,
            observed_i, expected_i (what the autoencoder expects; the category with the
            largest expectation for a group) and share_i (over the row's positive
            contributions, or of their sizes in a row with none positive).
        feature_names : sequence of str or None, default=None
            Names of X's columns; None is ``feature_names_in_``, else x0, x1, ... Only for a
            detector fitted on an array.
        groups : dict or None, default=None
            Maps a source column to its one-hot columns (names or indices), whose contributions
            are summed. Only for a detector fitted on an array.
        method : {'conditional', 'error', 'gradient'}, default='conditional'
            How contributions are computed, as `aekit.analysis.explanations` describes.

        Returns
        -------
        contributions : DataFrame
            (n_samples, n_features) contributions, or the `top` columns described above.
        """
        check_is_fitted(self)
        top, method = check_top(top), check_method(method)
        X = as_frame(X)
        index = X.index if hasattr(X, "index") and hasattr(X, "columns") else None
        if getattr(self, "table_", None) is not None:
            if feature_names is not None or groups is not None:
                raise ValueError("feature_names and groups are for a detector fitted on an array; one fitted on a "
                                 "DataFrame names and groups its columns itself")
            encoded, table = self._checked_X(X, reset=False), self.table_
            explained = reasons(self, encoded, table.feature_names(), table.feature_sources(), method, top, index,
                                table.kept(X), table.inverse)
            return _with_labels(explained, X.columns, top)
        X = self._checked_X(X, reset=False)
        X = X.toarray() if is_sparse(X) else X
        default = getattr(self, "feature_names_in_", [f"x{i}" for i in range(X.shape[1])])
        names = [str(n) for n in (default if feature_names is None else feature_names)]
        if len(names) != X.shape[1]:
            raise ValueError(f"feature_names has {len(names)} names for {X.shape[1]} columns of X")
        return reasons(self, X, names, source_names(names, groups), method, top, index)

    def decision_function(self, X):
        """``score_samples(X) - offset_``: negative for outliers, (n_samples,).

        Parameters
        ----------
        X : array-like, sparse matrix or DataFrame of shape (n_samples, n_features)
            Rows as `fit` took them (a DataFrame when the detector was fitted on one).

        Returns
        -------
        decision : ndarray of shape (n_samples,)
            Negative for outliers, positive for inliers.
        """
        return self.score_samples(X) - self.offset_

    def predict(self, X):
        """+1 for inliers, -1 for outliers: (n_samples,) of int.

        Parameters
        ----------
        X : array-like, sparse matrix or DataFrame of shape (n_samples, n_features)
            Rows as `fit` took them (a DataFrame when the detector was fitted on one).

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            +1 or -1 per row.
        """
        return np.where(self.decision_function(X) < 0, -1, 1)

    # ---- persistence ---------------------------------------------------------------------

    def _inner_n_features(self) -> int:
        table = getattr(self, "table_", None)
        return self.n_features_in_ if table is None else table.n_encoded

    def _check_loaded(self, path) -> None:
        if self.autoencoder_ is None:
            raise FileNotFoundError(f"{str(path)!r} has no autoencoder folder: the detector's model is missing")
        n_features, parts = self._inner_n_features(), self._parts_used()
        if sorted(self.part_center_) != sorted(parts) or sorted(self.part_scale_) != sorted(parts):
            raise ValueError(f"{str(path)!r}: fitted.part_center_ and part_scale_ must map {list(parts)} to finite numbers")
        if any(v <= 0 for v in self.part_scale_.values()):
            raise ValueError(f"{str(path)!r}: fitted.part_scale_ must be positive")
        for name in ("feature_mean_", "feature_spread_"):
            if getattr(self, name, np.empty(n_features)).shape != (n_features,):
                raise ValueError(f"{str(path)!r}: fitted.{name} must list {n_features} numbers, one per feature")
        if self.standardize:
            error = getattr(self, "feature_error_", np.empty(0))
            if error.shape != (n_features,) or not (error > 0).all():
                raise ValueError(f"{str(path)!r}: fitted.feature_error_ must list {n_features} positive numbers")
        if "latent" in parts:
            location = getattr(self, "latent_location_", np.empty(0))
            precision = getattr(self, "latent_precision_", np.empty(0))
            k = location.shape[0] if location.ndim == 1 else -1
            if k < 1 or precision.shape != (k, k):
                raise ValueError(f"{str(path)!r}: fitted.latent_location_ must be a vector of k finite numbers and "
                                 "latent_precision_ a finite k x k matrix")
        self.threshold_ = -self.offset_
        quantiles = getattr(self, "score_quantiles_", None)
        if quantiles is not None and (quantiles.shape != (N_QUANTILES,) or (np.diff(quantiles) < 0).any()):
            raise ValueError(f"{str(path)!r}: fitted.score_quantiles_ must list {N_QUANTILES} non-decreasing numbers")
