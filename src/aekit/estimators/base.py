"""The one house every aekit estimator lives in.

`AekitEstimator` holds what they all share: the registry that makes saved folders loadable,
presets, input checks, and persistence (each class declares its fitted state and nested
estimators; the base writes and reads them, JSON and safetensors only). For the estimators that
train a torch module it also holds the one fit path (seed, build, split, train, bookkeeping),
warm start, `partial_fit`, and batched inference into a preallocated output. `BaseAutoEncoder`
adds the transformer face of an autoencoder. A new estimator is its data preparation
(`_training_data`) and its module (`_new_module`).
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
import os
import re
import warnings
from collections.abc import Callable, Sequence
from functools import partial
from numbers import Integral, Real
from pathlib import Path

import numpy as np
import torch
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._available_if import available_if
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from aekit.estimators._blockwise import apply_in_batches
from aekit.training._devices import resolve_device
from aekit.training._precision import PRECISIONS, autocast
from aekit.training.compiled import compiled_inference
from aekit.training._denormals import flushed_denormals
from aekit.saving.persistence import load_estimator_folder, register_estimator, save_estimator
from aekit.data._sources import DataSource
from aekit.data.images import one_image_message
from aekit.data.readers import open_source, warn_integer_images, warn_unscaled_integers
from aekit.training._batching import MAX_STREAM_VALIDATION_ROWS, first_rows, row_blocks, split_rows
from aekit.training.budget import AUTO, resolve_budget
from aekit.training.loop import LR_SCHEDULES, OPTIMIZERS, TrainConfig, TrainState, match_optimizer, new_state, train
from aekit.training.threads import threads_for
from aekit.nn.likelihoods import OUTPUT_ACTIVATIONS, check_targets_reachable, output_activation_for

__all__ = ["AekitEstimator", "BaseAutoEncoder", "TRAINING_CONSTRAINTS", "one_of", "validate_X"]

INFERENCE_BATCH = 4096
INFERENCE_VALUES = 1 << 21  # input values in one inference batch (8 MB of float32): wide rows get fewer rows
SPARSE_FORMAT = ["csr"]  # scipy.sparse input in any format is converted to CSR (row slices are cheap)
MAX_ABS_INPUT = 1e15  # beyond this, float32 squared errors summed over a batch overflow

TRAINING_CONSTRAINTS: dict = {
    "latent_dim": [Interval(Integral, 1, None, closed="left")],
    "optimizer": [StrOptions(set(OPTIMIZERS))],
    "learning_rate": [Interval(Real, 0, None, closed="neither"), StrOptions({AUTO})],
    "weight_decay": [Interval(Real, 0, None, closed="left")],
    "momentum": [Interval(Real, 0, 1, closed="left")],
    "batch_size": [Interval(Integral, 1, None, closed="left"), StrOptions({AUTO})],
    "max_epochs": [Interval(Integral, 1, None, closed="left"), StrOptions({AUTO})],
    "max_time": [Interval(Real, 0, None, closed="neither"), None],
    "validation_fraction": [Interval(Real, 0, 1, closed="left")],
    "early_stopping": [Interval(Integral, 1, None, closed="left"), StrOptions({AUTO}), None],
    "grad_clip": [Interval(Real, 0, None, closed="neither"), None],
    "precision": [StrOptions(set(PRECISIONS))],
    "compile": ["boolean"],
    "lr_schedule": [StrOptions({*LR_SCHEDULES, AUTO}), None],
    "warm_start": ["boolean"],
    "distributed": ["boolean"],
    "device": [str, torch.device],
    "n_threads": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"}), None],
    "random_state": ["random_state"],
    "verbose": ["verbose"],
}


def check_magnitude(X: np.ndarray, name: str = "X") -> None:
    """Refuse values beyond MAX_ABS_INPUT, whose float32 squared errors overflow."""
    largest = max(abs(float(X.min())), abs(float(X.max()))) if X.size else 0.0
    if largest > MAX_ABS_INPUT:
        raise ValueError(
            f"{name} has values as large as {largest:.3g}; models compute in float32, where squared errors "
            f"of such values overflow. Scale {name} first (e.g. StandardScaler); the limit is {MAX_ABS_INPUT:g}"
        )


_NUMBERS = {"integer", "floating", "mixed-integer-float", "decimal", "boolean", "empty"}  # object columns of numbers (or gaps)


def check_numeric_frame(X, owner: str, reset: bool = False) -> None:
    """Refuse a DataFrame with date or duration columns, or with text or category columns (naming
    them and the encoding `aekit detect` uses); when fitting (`reset`), warn about identifier-like columns (see
    `aekit.data.columns.is_identifier`), which become features here. A pyarrow Table (or another
    frame with `to_pandas`, such as polars') is checked as the pandas DataFrame it converts to. Arrays pass through."""
    if hasattr(X, "to_pandas") and not hasattr(X, "iloc"):
        X = X.to_pandas()
    dtypes = getattr(X, "dtypes", None)
    if dtypes is None or not hasattr(X, "columns"):
        return
    from pandas.api.types import infer_dtype, is_bool_dtype, is_numeric_dtype

    times = [str(c) for c, dt in zip(X.columns, dtypes) if getattr(dt, "kind", None) in ("M", "m")]
    if times:
        raise ValueError(f"X has date, time or duration columns {times}, which {owner} cannot use as they are: turn them "
                         "into numbers (days since a date, an hour, a weekday; durations as seconds) or drop them")
    bad = [str(c) for j, (c, dt) in enumerate(zip(X.columns, dtypes)) if not (
        is_numeric_dtype(dt) or is_bool_dtype(dt) or (dt == object and infer_dtype(X.iloc[:, j], skipna=True) in _NUMBERS)
    )]
    if bad:
        raise ValueError(
            f"X has text or category columns {bad}, which {owner} cannot use as they are; encode them the way "
            f"`aekit detect` does with make_pipeline(aekit.data.tabular.DetectionEncoding(), {owner}(...)) (numeric "
            "columns standardised, text columns one-hot), or drop them. AutoEncoderOutlierDetector and "
            "AutoEncoderImputer take such columns directly"
        )
    if reset:
        from aekit.data.columns import is_identifier, user_stacklevel

        ids = [str(c) for j, c in enumerate(X.columns) if is_identifier(X.iloc[:, j])]
        if ids:
            warnings.warn(
                f"{owner}: X's columns {ids} look like identifiers (every value distinct) and are used as features; "
                "drop them from X (AutoEncoderOutlierDetector and AutoEncoderImputer leave them out themselves)",
                UserWarning, stacklevel=user_stacklevel())


def train_config_of(estimator) -> TrainConfig:
    """The `TrainConfig` of an estimator: its parameters that share a field's name (the rest
    keep TrainConfig's defaults)."""
    names = {f.name for f in dataclasses.fields(TrainConfig)}
    config = TrainConfig(**{k: v for k, v in estimator.get_params(deep=False).items() if k in names})
    config.verbose = bool(config.verbose)
    default = TrainConfig.momentum
    if config.optimizer in ("adam", "adamw") and config.momentum != default:
        raise ValueError(
            f"momentum={config.momentum!r} is used by optimizer='sgd' or 'rmsprop', but optimizer={config.optimizer!r} "
            f"keeps its own moment estimates: set optimizer='sgd', or leave momentum={default!r}"
        )
    return config


def positive_ints(value, name: str) -> tuple[int, ...]:
    """`value` as a tuple of positive ints, or a ValueError naming `name`."""
    try:
        dims = tuple(value)
    except TypeError:
        raise ValueError(f"{name} must be a sequence of positive integers, got {value!r}") from None
    if not all(isinstance(d, Integral) and not isinstance(d, bool) and d > 0 for d in dims):
        raise ValueError(f"{name} must be a sequence of positive integers, got {value!r}")
    return tuple(int(d) for d in dims)


def _has_shape_of(y, X) -> bool:
    """Whether fit's y holds a target per entry of the validated rows X (n, d): y of shape (n, d)
    or images (n, ...) of d values each, rather than labels (n,) or (n, k)."""
    if y is None or (_ndim(y) or 0) < 2 or getattr(X, "ndim", 0) != 2 or X.shape[1] < 2:
        return False
    shape = np.shape(y)
    return shape[0] == X.shape[0] and int(np.prod(shape[1:])) == X.shape[1]


def _ndim(X) -> int | None:
    """Number of dimensions of array-like X, None when it has none (a path, a ragged list)."""
    ndim = getattr(X, "ndim", None)
    if ndim is None and not isinstance(X, (str, bytes)) and hasattr(X, "__len__"):
        try:
            ndim = np.asarray(X).ndim
        except (ValueError, TypeError):
            return None
    return ndim


def image_shape(shape, name: str = "input_shape") -> tuple[int, int, int]:
    """(height, width) or (channels, height, width) as (channels, height, width)."""
    dims = positive_ints(shape, name)
    if len(dims) not in (2, 3):
        raise ValueError(f"{name} must be (height, width) or (channels, height, width), got {shape!r}")
    return (1, *dims) if len(dims) == 2 else dims


def _preset_init(parent_init, defaults: dict, cls_name: str):
    """An `__init__` with `parent_init`'s parameters and `defaults` as new defaults."""
    parent = inspect.signature(parent_init)
    unknown = set(defaults) - set(parent.parameters)
    if unknown:
        raise TypeError(f"{cls_name}._preset_defaults has unknown parameters {sorted(unknown)}")
    signature = parent.replace(
        parameters=[p.replace(default=defaults.get(p.name, p.default)) for p in parent.parameters.values()]
    )

    def __init__(self, *args, **kwargs):
        bound = signature.bind(self, *args, **kwargs)
        bound.apply_defaults()
        for name, value in list(bound.arguments.items())[1:]:
            setattr(self, name, value)

    __init__.__signature__ = signature
    __init__.__doc__ = f"Same parameters as the parent estimator; changed defaults: {defaults}."
    return __init__


def validate_X(estimator, X, **kwargs):
    """scikit-learn's `validate_data(estimator, X, **kwargs)` whose refusals name X: a
    ValueError or TypeError that does not already say X (or y, when y is validated too)
    gets an 'X: ' prefix.

    Parameters
    ----------
    estimator : estimator instance
        The estimator validating its input (sets or checks `n_features_in_` and
        `feature_names_in_`).
    X : array-like of shape (n_samples, n_features)
        The input to check.
    **kwargs : dict
        Passed on to `sklearn.utils.validation.validate_data` (e.g. `reset`, `dtype`,
        `accept_sparse`).

    Returns
    -------
    X : ndarray or sparse matrix
        The validated input.
    """
    if isinstance(X, (str, os.PathLike)):
        raise ValueError(f"X is a file path ({str(X)!r}), but {type(estimator).__name__} reads its rows in memory: "
                         "load it first (numpy.load, pandas.read_csv, pandas.read_parquet)")
    dtype = getattr(X, "dtype", None)
    if getattr(dtype, "kind", None) in ("M", "m"):
        what = "dates or times" if dtype.kind == "M" else "durations"
        raise ValueError(f"X holds {what} ({dtype}), which {type(estimator).__name__} would read as counts of their unit "
                         "(nanoseconds, days): turn them into the numbers you mean first (days since a date, an hour, a "
                         "weekday; durations as seconds, X / np.timedelta64(1, 's'))")
    try:
        return validate_data(estimator, X, **kwargs)
    except (ValueError, TypeError) as err:
        if _TOO_MANY_DIMS.search(str(err)) and getattr(X, "ndim", 0) > 2:
            shape = tuple(int(d) for d in X.shape)
            raise ValueError(f"X has shape {shape}: {type(estimator).__name__} takes rows (n_samples, n_features); pass "
                             f"images as rows, X.reshape(len(X), -1), giving {(shape[0], int(np.prod(shape[1:])))}") from err
        found = _NOT_FINITE.search(str(err))
        if found:
            name, infinite = type(estimator).__name__, found.group(1) == "infinity"
            advice = (f"{name} takes finite values only: replace them (with NaN for AutoEncoderImputer to fill) or drop those rows"
                      if infinite else f"{name} needs complete rows: fill them first, e.g. with AutoEncoderImputer, or drop those rows")
            message = non_finite_message(X, advice, infinite_only=infinite)
            if message:
                raise ValueError(message) from err
        if _TEXT_REFUSED.search(str(err)) and not hasattr(X, "columns"):
            raise ValueError(_text_in_array_message(estimator, X)) from err
        if _SPARSE_REFUSED.search(str(err)) and hasattr(X, "sparse"):
            raise TypeError(f"X is a DataFrame of sparse columns, but {type(estimator).__name__} needs dense data: "
                            "pass X.sparse.to_dense()") from err
        if re.search(r"\b[Xy]\b" if "y" in kwargs else r"\bX\b", str(err)):
            raise
        raise type(err)(f"X: {err}") from err


def _text_in_array_message(estimator, X) -> str:
    """Why an array (or list) X holding text is refused by `estimator`: the first text cell's
    value, row and column, and the way to the table encoding (a DataFrame for an estimator that
    encodes text columns itself, `DetectionEncoding` before the others)."""
    cells = np.asarray(X, dtype=object)
    cells = cells.reshape(len(cells), -1) if cells.ndim else cells.reshape(1, 1)
    texts = np.argwhere(np.vectorize(lambda v: isinstance(v, (str, bytes)), otypes=[bool])(cells))
    where = f" ({cells[tuple(texts[0])]!r} in row {texts[0][0]}, column {texts[0][1]})" if len(texts) else ""
    name = type(estimator).__name__
    if getattr(estimator, "_encodes_text", False):
        advice = ("pass the rows as a DataFrame, whose text columns it one-hot encodes (after AutoEncoderImputer in a "
                  "Pipeline, set_output(transform='pandas') passes one on)")
    else:
        advice = (f"one-hot encode the text columns of a DataFrame first, e.g. with make_pipeline("
                  f"aekit.data.tabular.DetectionEncoding(), {name}(...)), or drop them")
    return f"X is an array holding text{where}, which {name} cannot read as numbers: {advice}"


_NOT_FINITE = re.compile(r"^Input X contains (NaN|infinity)")
_TEXT_REFUSED = re.compile(r"^could not convert string to float")
_TOO_MANY_DIMS = re.compile(r"^Found array with dim \d+")
_SPARSE_REFUSED = re.compile(r"^Sparse data was passed")


def non_finite_message(X, advice: str, infinite_only: bool = False) -> str | None:
    """Where X (array-like, DataFrame or sparse; rows first) holds NaN or infinite entries (only
    infinite ones with `infinite_only`): how many, the first one's row and column (and its
    DataFrame index label and column name), then `advice`; None when there are none."""
    if hasattr(X, "tocoo"):
        coo = X.tocoo()
        values, places = coo.data, np.stack([coo.row, coo.col], axis=1)
    else:
        dense = X.to_numpy(dtype=np.float64, na_value=np.nan) if hasattr(X, "to_numpy") else np.asarray(X, dtype=np.float64)
        values, places = dense.reshape(-1), None
    bad = np.isinf(values) if infinite_only else ~np.isfinite(values)
    if not bad.any():
        return None
    first = int(np.flatnonzero(bad)[0])
    where = places[first] if places is not None else np.unravel_index(first, dense.shape)
    row = int(where[0])
    index = X.index[row] if hasattr(X, "index") else row
    index = index.item() if isinstance(index, (np.integer, np.floating, np.bool_)) else index
    label = f" (index {index!r})" if index != row else ""
    place = f"column {int(where[1])}" if len(where) == 2 else f"position {tuple(int(i) for i in where[1:])}"
    name = X.columns[int(where[1])] if hasattr(X, "columns") and len(where) == 2 else None
    place += f" ({name!r})" if isinstance(name, str) else ""
    what = "missing values (NaN)" if np.isnan(values[first]) else "infinite values (infinity)"
    count = int(bad.sum())
    if places is None and dense.ndim == 2:
        advice = _empty_columns_advice(X, dense, bad.reshape(dense.shape)) or advice
    return f"X has {what} in {count} entr{'y' if count == 1 else 'ies'}, first in row {row}{label}, {place}; {advice}"


def _empty_columns_advice(X, dense: np.ndarray, bad: np.ndarray) -> str | None:
    """When every bad entry of `dense` (n, n_features) lies in a column with no value in any row,
    the advice to drop those columns (by name for a DataFrame X, by position for an array)."""
    empty = np.isnan(dense).all(axis=0)
    if not empty.any() or bad[:, ~empty].any():
        return None
    where = np.flatnonzero(empty).tolist()
    many = len(where) > 1
    if hasattr(X, "columns"):
        names = [X.columns[j] for j in where]
        listed, drop = ", ".join(map(repr, names)), f"X.drop(columns={names!r})"
    else:
        listed, drop = ", ".join(map(str, where)), f"np.delete(X, {where}, axis=1)"
    return (f"column{'s' * many} {listed} {'have' if many else 'has'} no value in any row, so filling or dropping rows "
            f"cannot help: drop {'them' if many else 'it'} first, {drop}")


# parameters a warm start may change: the training budget, how a new network starts, how inference refines
_TRAINING_ONLY = (set(TRAINING_CONSTRAINTS) - {"latent_dim"}) | {"init", "refine_steps", "blend"}


def _plain(value) -> str:
    """A parameter's value comparable across lists, tuples and arrays."""
    return repr(tuple(np.asarray(value).tolist())) if isinstance(value, (list, tuple, np.ndarray)) else repr(value)


_RESUMABLE_CHANGES = ("verbose", "max_epochs", "max_time", "device", "n_threads", "compile", "distributed", "warm_start")


def _json_param(value):
    """A parameter's value as JSON compares after a round trip: numbers, strings, booleans, None and lists of
    them as they are (tuples and arrays as lists), anything else (NaN, objects) as its text without an address."""
    if isinstance(value, (np.generic, np.ndarray)):
        value = value.tolist()
    if value is None or isinstance(value, (bool, int, str)) or (isinstance(value, float) and np.isfinite(value)):
        return value
    if isinstance(value, (list, tuple)):
        return [_json_param(v) for v in value]
    return re.sub(r" at 0x[0-9a-fA-F]+", "", repr(value))


def resume_params(estimator) -> dict:
    """The estimator's class and the parameters a checkpoint must have been trained with to be resumed, as
    JSON values: all but how long, how verbosely and where the fit runs."""
    params = estimator.get_params(deep=False)
    return {"estimator": type(estimator).__name__,
            **{k: _json_param(v) for k, v in params.items() if k not in _RESUMABLE_CHANGES}}


def _layout(module: torch.nn.Module) -> list[tuple[str, object]]:
    """The classes of a module's parts with their settings (`extra_repr`, e.g. a top-k's k), the
    shapes of its tensors and the plain settings the module keeps (corruption, loss_trim,
    regularizers, ...): what its parameters built."""
    settings = [(name, repr(value)) for name, value in sorted(vars(module).items())
                if not name.startswith("_") and name != "training" and not torch.is_tensor(value)]
    return [(name, type(part).__name__, part.extra_repr()) for name, part in module.named_modules()] + [
        (name, tuple(t.shape)) for name, t in module.state_dict().items()
    ] + settings


class AekitEstimator(BaseEstimator):
    """What every aekit estimator shares. Subclasses store their parameters in `__init__`.

    Persistence: `_fitted_state` maps each fitted attribute saved in config.json to the
    converter that checks and rebuilds it from JSON (`_fitted_writers` maps one whose JSON is
    not the value's own, e.g. labels with their dtype, to its writer; `_optional_fitted` may be absent;
    `_fitted_before` gives the value of one that folders saved before it existed imply);
    `_nested` names fitted attributes holding other aekit estimators, saved as sub-folders;
    `_sklearn_parts` names fitted attributes holding scikit-learn estimators, saved as
    sub-folders by `aekit.saving.sklearn_state`; `module_`, when present, is saved as
    model.safetensors and rebuilt by `_new_module()`.

    Training a module: implement `_training_data(X, y, reset, **fit_params) -> (X, Y)` (the
    validated inputs and targets, None to reconstruct X; with `reset` it also sets the fitted
    state `_new_module` reads) and `_new_module()`; optionally `_before_training`,
    `_training_callbacks`, `_after_training` and `_after_fit`. Then `fit` is `self._fit_module(X, y, ...)`.

    A subclass that only sets `_preset_defaults = {name: value}` is a preset: it gets its
    parent's full signature with those defaults, so `get_params`, `clone` and `help()` see
    every parameter.
    """

    _parameter_constraints: dict = {}
    _fitted_state: dict[str, Callable] = {}
    _fitted_writers: dict[str, Callable] = {}
    _optional_fitted: frozenset = frozenset()
    _fitted_before: dict = {}
    _nested: tuple[str, ...] = ()
    _sklearn_parts: tuple[str, ...] = ()
    _has_module = True  # False for an estimator whose own state is all in config.json
    _sparse_input = False  # True where X may be scipy.sparse (densified one batch at a time)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "__init__" in cls.__dict__ or "_preset_defaults" in cls.__dict__:
            register_estimator(cls)
        defaults = cls.__dict__.get("_preset_defaults")
        if defaults is not None:
            cls.__init__ = _preset_init(cls.__mro__[1].__init__, defaults, cls.__name__)

    @classmethod
    def _default(cls, name: str):
        """The default of parameter `name` (a preset's where it sets one)."""
        return inspect.signature(cls.__init__).parameters[name].default

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = self._sparse_input
        return tags

    def __getstate__(self):
        state = super().__getstate__()
        state.pop("_train_state", None)  # optimizer and generator: needed for warm starts only, not picklable
        return state

    # ---- input ---------------------------------------------------------------------------

    def _validate_X(self, X, reset: bool) -> np.ndarray | DataSource:
        """X as a finite 2-D float array, or a `DataSource` when X is a `.npy`/Parquet path or
        a memory-mapped `.npy` (streamed; each chunk is checked as it is read), or a scipy.sparse
        CSR matrix when the estimator takes sparse input (CSC and COO are converted). Every
        refusal is a ValueError or TypeError naming X."""
        source = open_source(X)
        if source is not None:
            if reset:
                warn_unscaled_integers(X, source, type(self).__name__)
            return self._validate_source(source, reset)
        check_numeric_frame(X, type(self).__name__, reset)
        fitted = None if reset else getattr(self, "input_shape_", None) or getattr(self, "image_shape_", None)
        one_image = None if fitted is None else one_image_message(type(self).__name__, getattr(X, "shape", ()), fitted)
        if one_image is not None:
            raise ValueError(one_image)
        accept = SPARSE_FORMAT if self._sparse_input else False
        X = validate_X(self, X, reset=reset, dtype=[np.float64, np.float32], accept_sparse=accept)
        check_magnitude(X)
        return X

    def _validate_source(self, source: DataSource, reset: bool) -> DataSource:
        if reset:
            self.n_features_in_ = source.n_features
            if source.feature_names is not None:
                self.feature_names_in_ = source.feature_names
            elif hasattr(self, "feature_names_in_"):
                del self.feature_names_in_
        elif source.n_features != self.n_features_in_:
            raise ValueError(
                f"X has {source.n_features} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input"
            )
        elif source.feature_names is not None and hasattr(self, "feature_names_in_"):
            if list(source.feature_names) != list(self.feature_names_in_):
                raise ValueError(
                    f"X: {source.describe()} has column names {list(source.feature_names)}, but "
                    f"{type(self).__name__} was fitted with {list(self.feature_names_in_)}"
                )
        return source

    # ---- training a module ---------------------------------------------------------------

    def _training_data(self, X, y, reset: bool, **fit_params):
        raise NotImplementedError

    def _new_module(self) -> torch.nn.Module:
        raise NotImplementedError

    def _before_training(self, module: torch.nn.Module, X_train, Y_train, X_val=None) -> None:
        """Runs once a new module and its training and validation splits exist (e.g. to
        initialise a head); X_val is None without a validation split."""

    def _after_training(self, module: torch.nn.Module, history, X_train, X_val) -> None:
        """Runs after a new module's training, before `history_` is kept (e.g. to refit a start
        that won on the validation rows on all rows)."""

    def _fit_settings(self) -> dict:
        """What this estimator chose for the fit beyond the budget (recorded in history_['settings'])."""
        return {}

    def _training_callbacks(self) -> list:
        """Callbacks the estimator itself needs (e.g. a KL warm-up), run before the user's."""
        return []

    def _after_fit(self, module: torch.nn.Module, X_train: torch.Tensor, Y_train: torch.Tensor | None, seed: int) -> None:
        """Set extra fitted attributes from the trained module and its training rows."""

    def _seed(self, random_state=None) -> int:
        """A seed drawn from `random_state`, or without one from the estimator's: fits and draws
        of a seeded estimator repeat."""
        random_state = self.random_state if random_state is None else random_state
        return int(check_random_state(random_state).randint(0, 2**31 - 1))

    def _train_config(self) -> TrainConfig:
        return train_config_of(self)

    def _fit_module(self, X, y, **kwargs):
        """The fit path (`_train_module`), all or nothing (`_all_or_nothing`)."""
        return self._all_or_nothing(self._train_module, X, y, **kwargs)

    def _all_or_nothing(self, fit: Callable, *args, **kwargs):
        """`fit(*args, **kwargs)`; when it raises (refused data, divergence, Ctrl-C) the
        estimator's attributes are put back as they were, so a fitted model stays usable rather
        than half-updated (a new n_features_in_ beside the old network)."""
        before = dict(vars(self))
        try:
            return fit(*args, **kwargs)
        except BaseException:
            vars(self).clear()
            vars(self).update(before)
            raise

    def _train_module(self, X, y, *, callbacks: Sequence = (), checkpoint=None, partial: bool = False, **fit_params):
        """Validate and prepare the data, then (unless warm-starting from the fitted module) seed
        and build the module, split, train with the callbacks, and keep the fitted state.
        `partial` runs one epoch over all of X, building the module only once."""
        warm = hasattr(self, "module_") and (partial or self.warm_start)
        data, targets = self._training_data(X, y, reset=not warm, **fit_params)
        seed = self._seed()
        config = self._train_config()
        if partial:
            config = dataclasses.replace(config, max_epochs=1, early_stopping=None, max_time=None, lr_schedule=None)
        device = resolve_device(self.device) if not warm else next(self.module_.parameters()).device
        if config.distributed:
            from aekit.training import distributed

            distributed.init_from_env(device)
        if warm:
            self._check_warm_module()
            module, state = self.module_, getattr(self, "_train_state", None)
        else:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(seed)
                module = self._new_module().to(device)
            self._built_with = self.get_params(deep=False)
            state = None
        fraction = 0.0 if partial else self.validation_fraction
        X_train, X_val, Y_train, Y_val = split_rows(data, targets, fraction, seed, device)
        config = resolve_budget(config, X_train.shape[0], X_val is not None)
        if state is None:  # a warm start of a loaded (or unpickled) model continues its history
            earlier = getattr(self, "history_", None) if warm else None
            if warm:
                self._warn_new_optimizer_state(checkpoint)
            state = new_state(module, config, torch.Generator(device=device).manual_seed(seed), earlier)
        elif warm:
            match_optimizer(state, config)
        if checkpoint is not None:
            checkpoint.note_params(resume_params(self))
        with threads_for(module, min(config.batch_size, X_train.shape[0]), self.n_threads) as n_threads:
            if not warm:
                self._before_training(module, X_train, Y_train, X_val)
            state.history.settings = {
                "batch_size": config.batch_size, "max_epochs": config.max_epochs, "early_stopping": config.early_stopping,
                "lr_schedule": config.lr_schedule, "learning_rate": config.learning_rate, "n_train": int(X_train.shape[0]), "n_threads": n_threads,
                **self._fit_settings(),
            }  # fmt: skip
            history = train(
                module, X_train, config, state.generator, X_val=X_val, Y=Y_train, Y_val=Y_val,
                callbacks=[*self._training_callbacks(), *callbacks], checkpoint=checkpoint, state=state, owner=self,
            )  # fmt: skip
            if not warm:
                self._after_training(module, history, X_train, X_val)
        if not partial:
            state.snapshot = None  # the divergence guard's buffers: reused by the next partial_fit only
        self.n_threads_ = n_threads
        self.module_ = module
        self._train_state = state
        self.history_ = history.as_dict()
        self.n_epochs_ = len(history.loss)
        if not isinstance(X_train, torch.Tensor):
            X_train = first_rows(X_train, device, MAX_STREAM_VALIDATION_ROWS)
        self._after_fit(module, X_train, Y_train, seed)
        return self

    def _warn_new_optimizer_state(self, checkpoint) -> None:
        """Warn that the warm start of a loaded, unpickled or copied model (which keeps the weights, not
        the optimizer's state) starts its optimizer anew, unless the optimizer keeps no state
        (SGD without momentum) or `checkpoint` restores one."""
        from aekit.data.columns import user_stacklevel

        if self.optimizer == "sgd" and not self.momentum:
            return
        if checkpoint is not None and checkpoint.resume and checkpoint.path.is_file():
            return
        held = "momentum buffers" if self.optimizer == "sgd" else "running averages of the gradients"
        warnings.warn(
            f"{type(self).__name__}: a loaded, unpickled or deep-copied model keeps its weights but not its "
            f"{self.optimizer!r} optimizer's {held}: training it further starts them anew, so its first steps "
            "differ from those of the model before saving. To continue a fit exactly, train with "
            "checkpoint=Checkpointer(path) and resume from that file (aekit train --resume does)",
            UserWarning, stacklevel=user_stacklevel(),
        )

    def _check_warm_module(self) -> None:
        """Refuse a warm start whose parameters now build another network than the fitted one
        (other layers, or other settings it keeps: a top-k's k, its corruption, loss_trim), or
        differ from what the fit resolved them to (loss='mse' after a fit that took 'bce'):
        set_params(latent_dim=...) after a fit was otherwise ignored, or crashed deep inside."""
        before, now = getattr(self, "_built_with", {}), self.get_params(deep=False)
        changed = [k for k in now if k in before and k not in _TRAINING_ONLY and _plain(now[k]) != _plain(before[k])]
        if before and not changed:  # the same parameters build the same network: no need to build one (each partial_fit)
            return
        ignored = [k for k in changed if hasattr(self, f"{k}_") and now[k] != AUTO and _plain(now[k]) != _plain(getattr(self, f"{k}_"))]
        with torch.random.fork_rng(devices=[]):
            fresh = self._new_module()
        if not ignored and _layout(fresh) == _layout(self.module_):
            return
        what = ", ".join(f"{k}={now[k]!r} (fitted with {before[k]!r})" for k in changed) or "the parameters that shape it changed"
        raise ValueError(
            f"warm_start=True continues training the fitted network, but {what}: that is another network (the fitted "
            "one keeps what it was built with). Set warm_start=False to fit a new one, or set the parameters back"
        )

    @available_if(lambda est: est._has_module)
    def partial_fit(self, X, y=None, *, classes=None, callbacks: Sequence = ()):
        """One epoch over X (n_samples, n_features), targets or labels y as `fit` takes them,
        building the model on the first call, so data that arrives in pieces is learned piece
        by piece. What `fit` learns from the data (output activation, a table's scaling and
        categories, classes) comes from the first piece (a classifier's first call may list all
        `classes`); an imputer's plausible values (each column's range, wholeness, levels and
        decimals) cover every piece; no validation split or early stopping. Returns self.

        Parameters
        ----------
        X : array-like, sparse matrix, str or Path
            A piece of the training rows, (n_samples, n_features), in any form `fit` takes.
        y : array-like or None, default=None
            Targets or labels of these rows, as `fit` takes them (None where `fit` ignores y).
        classes : array-like or None, default=None
            Only for a classifier (other estimators refuse it with a TypeError): all its
            labels, read on the first call, so later pieces may hold labels the first lacks.
        callbacks : sequence of objects, default=()
            Callbacks for this epoch, as `fit` takes them.

        Returns
        -------
        self : object
            The estimator, trained one more epoch.
        """
        if not hasattr(self, "module_"):
            self._validate_params()
        extra = {**self._piecewise_params(), **({} if classes is None else {"classes": classes})}
        return self._fit_module(X, y, callbacks=callbacks, partial=True, **extra)

    def _piecewise_params(self) -> dict:
        """Extra arguments `partial_fit` gives `_training_data` (an estimator with parts that learn from all
        rows at once says it trains piece by piece)."""
        return {}

    # ---- inference -----------------------------------------------------------------------

    def _threads(self, rows: int):
        """`threads_for` the fitted module at `rows` rows per step, by the `n_threads` rule."""
        return threads_for(self.module_, rows, getattr(self, "n_threads", "auto"))

    def _inference_module(self, dtype: torch.dtype) -> torch.nn.Module:
        """The fitted module, or a float64 copy of it for float64 input (not cached on self)."""
        return self.module_ if dtype == torch.float32 else copy.deepcopy(self.module_).to(dtype)

    def _batched(self, method: str | Callable, A: np.ndarray | DataSource, **kwargs) -> np.ndarray:
        """`module_.<method>(batch, **kwargs)` (or `method(module)(batch)`) over A in batches
        under inference mode, written into one preallocated output in A's float dtype (float64
        or float32; a streamed source's `float_dtype`), A read in bounded blocks whatever its
        kind (`row_blocks`). Float32 input runs under the estimator's `precision` autocast;
        with `compile`, a named method's full batches run compiled. Denormals are flushed as in training (on x86 they made
        `transform` of a model fitted to random rows 7x slower)."""
        out_dtype = np.float64 if (A.float_dtype if isinstance(A, DataSource) else A.dtype) == np.float64 else np.float32
        dtype = torch.float64 if out_dtype == np.float64 else torch.float32
        module = self._inference_module(dtype)
        device = next(self.module_.parameters()).device
        fn = partial(getattr(module, method), **kwargs) if isinstance(method, str) else method(module)
        rows = max(1, min(INFERENCE_BATCH, INFERENCE_VALUES // max(int(np.prod(A.shape[1:])), 1)))
        if getattr(self, "compile", False) and module is self.module_ and isinstance(method, str):
            fn = compiled_inference(module, (method, *sorted(kwargs.items())), fn, rows)
        precision = getattr(self, "precision", "32") if dtype == torch.float32 else "32"
        with self._threads(min(A.shape[0], rows)), torch.inference_mode(), autocast(precision, device), flushed_denormals(device):
            return apply_in_batches(
                fn, row_blocks(A, 16 * rows, out_dtype), A.shape[0], rows,
                dtype=dtype, device=device, out_dtype=out_dtype,
            )  # fmt: skip

    # ---- persistence ---------------------------------------------------------------------

    def _inner_n_features(self) -> int:
        """How many features a nested estimator takes: n_features_in_, unless the estimator
        encodes its input first."""
        return self.n_features_in_

    def _check_loaded(self, path: Path) -> None:
        """Cross-field checks of a loaded estimator's fitted state (before its module is built)."""

    def save(self, path: str | Path) -> Path:
        """Write the fitted estimator to folder `path`: config.json (parameters and fitted
        state), model.safetensors (the module's weights) and one sub-folder per nested
        estimator; atomic, no pickle.

        Parameters
        ----------
        path : str or Path
            The folder to write.

        Returns
        -------
        path : Path
            The folder written.
        """
        check_is_fitted(self)
        return save_estimator(self, path)

    @classmethod
    def load(cls, path: str | Path, device: str | None = None):
        """Load an estimator saved by `save`; reads JSON and safetensors only, never pickle.

        Parameters
        ----------
        path : str or Path
            The folder `save` wrote.
        device : str or None, default=None
            Device to load the module onto, overriding the saved `device` parameter; None keeps
            the saved one ('auto' resolved here).

        Returns
        -------
        estimator : AekitEstimator
            The fitted estimator, of the class that was saved.
        """
        return load_estimator_folder(cls, path, device)


def one_of(choices) -> Callable[[object], str]:
    """A check of a saved fitted field: its value must be one of `choices`.

    Parameters
    ----------
    choices : collection of str
        The allowed values.

    Returns
    -------
    check : callable
        Returns the value, or raises ValueError naming the choices.
    """
    allowed = tuple(sorted(choices))

    def check(value) -> str:
        if value not in allowed:
            raise ValueError(f"must be one of {allowed}")
        return value

    return check


class BaseAutoEncoder(TransformerMixin, AekitEstimator):
    """An autoencoder as a scikit-learn transformer. Subclasses store their parameters in
    `__init__` (which must include those of `TRAINING_CONSTRAINTS`) and implement
    `_build_module(n_features, output_activation)`; they may override
    `_check_data_against_params`, `_validate_targets`, `_training_callbacks` and `_after_fit`.

    `image_shape_` (channels, height, width), optional, is the image shape of the rows when
    the model knows it (fitted on images, or through an image reader by `aekit train`); it is
    saved with the model, and folders without it still load.
    """

    _parameter_constraints: dict = dict(TRAINING_CONSTRAINTS)
    _fitted_state: dict = {"output_activation_": one_of(OUTPUT_ACTIVATIONS), "image_shape_": partial(image_shape, name="image_shape_")}
    _optional_fitted: frozenset = frozenset({"image_shape_"})

    def _build_module(self, n_features: int, output_activation: str) -> torch.nn.Module:
        raise NotImplementedError

    def _check_corruption_level(self, corruption: str | None) -> None:
        """Refuse a `corruption_level` off its default (and above 0) when the model trains without noise
        (`corruption`, 'auto' resolved, is None), which would leave it unused."""
        level, default = self.corruption_level, self._default("corruption_level")
        if corruption is None and level not in (default, 0):
            raise ValueError(
                f"corruption_level={level!r} sets the strength of the training noise, but corruption={self.corruption!r} "
                f"adds none: set corruption (e.g. 'gaussian'), or leave corruption_level={default!r}"
            )

    def _new_module(self) -> torch.nn.Module:
        return self._build_module(self.n_features_in_, self.output_activation_)

    def _validate_X(self, X, reset: bool) -> np.ndarray | DataSource:
        """Rows as `AekitEstimator._validate_X` takes them; images (n, C, H, W) or (n, H, W)
        are taken as flat rows (channel by channel), their shape kept as `image_shape_` by fit
        and checked afterwards. A fit on rows forgets an earlier `image_shape_`."""
        from aekit.data.images import channels_last_message, looks_channels_last, other_shape_message
        from aekit.estimators.conv import _images

        images = _images(X)
        if images is None:
            rows = super()._validate_X(X, reset)
            if reset and hasattr(self, "image_shape_"):
                del self.image_shape_  # a new fit: the shape of earlier images no longer applies
            return rows
        known = None if reset else getattr(self, "image_shape_", None)
        if images.ndim == 4 and tuple(images.shape[1:]) != known and looks_channels_last(tuple(images.shape[1:])):
            raise ValueError(f"{channels_last_message('X', images.shape)}; or pass them as flat rows, X.reshape(len(X), -1)")
        shape = image_shape(images.shape[1:], "X's images")
        if known is not None and shape != tuple(known):
            raise ValueError(other_shape_message(type(self).__name__, images.shape, shape, known))
        rows = super()._validate_X(images.reshape(images.shape[0], int(np.prod(shape))), reset)
        self._warn_integer_images(images, reset)
        if reset:
            self.image_shape_ = shape
        return rows

    def _warn_integer_images(self, images: np.ndarray, reset: bool) -> None:
        """`warn_integer_images` for images (n, C, H, W) or (n, H, W) given to fit (`reset`), or
        to a model fitted on pixels in [0, 1] (a sigmoid output) afterwards."""
        if reset:
            warn_integer_images(images, type(self).__name__)
        elif getattr(self, "output_activation_", None) == "sigmoid":
            warn_integer_images(images, type(self).__name__, fitted_on_unit=True)

    def _check_data_against_params(self, X: np.ndarray) -> str:
        """Checks that need the data; returns the output activation (see `output_activation_for`)."""
        return output_activation_for("mse", "auto", X)

    def _validate_targets(self, y, X: np.ndarray, reset: bool = True) -> np.ndarray | None:
        """Reconstruction targets from fit's `y`, (n_samples, n_outputs), or None to reconstruct X.

        The default ignores y (labels in a Pipeline), with a warning when y has X's shape (a
        target per input, which this estimator would not learn); image-to-image estimators (e.g.
        gray to colour) return their validated targets, and `_build_module` then gets `n_outputs`;
        without `reset` (a warm start, `partial_fit`) the targets must be the fitted model's kind."""
        if _has_shape_of(y, X):
            name = type(self).__name__
            denoise = "fit it on clean X with corruption='gaussian' (noise added to X in training)"
            if "corruption" not in self.get_params(deep=False):
                denoise = "fit AutoEncoder(corruption='gaussian'), or ConvAutoEncoder(corruption='gaussian') for images, on clean X"
            warnings.warn(
                f"{name}.fit(X, y): y has X's shape {np.shape(y)}, but {name} reconstructs X and ignores y (labels in a "
                f"Pipeline), so it trains on X alone. To learn to map inputs to targets, such as noisy to clean images, use "
                f"ConvAutoEncoder().fit(X, Y); for a denoising model, {denoise}.", UserWarning, stacklevel=5,
            )
        return None

    def _training_data(self, X, y, reset: bool):
        X = self._validate_X(X, reset=reset)
        Y = self._validate_targets(y, X, reset)
        if reset:
            self.output_activation_ = self._check_data_against_params(X if Y is None else Y)
        else:
            check_targets_reachable(self.output_activation_, X if Y is None else Y, "X" if Y is None else "y")
        return X, Y

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, *, callbacks: Sequence = (), checkpoint=None):
        """Train on X of shape (n_samples, n_features); y is ignored unless the estimator maps
        inputs to different targets (see `_validate_targets`). Returns self.

        With `warm_start=True` a second fit continues from the fitted weights and optimizer
        state (a loaded, unpickled or copied model keeps no optimizer state: it starts anew, with
        a warning; a `checkpoint` resumes exactly).

        Parameters
        ----------
        X : array-like, sparse matrix, str or Path
            Training rows (n_samples, n_features), or images (n_samples, channels, height,
            width) or (n_samples, height, width) taken as flat rows; also a `.npy` or Parquet
            path or a memory-mapped `.npy` (read in chunks), and a scipy.sparse matrix where
            the estimator takes sparse input.
        y : array-like or None, default=None
            Ignored (labels in a Pipeline), except by estimators that reconstruct targets
            other than X: then the targets, (n_samples, n_outputs).
        callbacks : sequence of objects, default=()
            Objects with any of `on_fit_start(est)`, `on_epoch_end(est, epoch, logs)` (return
            True to stop) and `on_fit_end(est)`; see `aekit.training.callbacks`.
        checkpoint : Checkpointer or None, default=None
            An `aekit.training.checkpoint.Checkpointer`: saves the training state after every
            epoch and, when resuming, restores it first, so an interrupted fit continues
            exactly.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit_module(X, y, callbacks=callbacks, checkpoint=checkpoint)

    # ---- inference -----------------------------------------------------------------------

    def transform(self, X):
        """Codes of X: (n_samples, ``code_dim_``).

        Parameters
        ----------
        X : array-like, sparse matrix, str or Path
            Rows (n_samples, n_features), in any form `fit` takes.

        Returns
        -------
        codes : ndarray of shape (n_samples, ``code_dim_``)
            Float64 for float64 input, else float32.
        """
        check_is_fitted(self)
        return self._batched("encode", self._validate_X(X, reset=False))

    def inverse_transform(self, X):
        """Decode codes X of shape (n_samples, ``code_dim_``) back to (n_samples, n_features).

        Parameters
        ----------
        X : array-like of shape (n_samples, ``code_dim_``)
            Codes, as `transform` returns them.

        Returns
        -------
        X_decoded : ndarray of shape (n_samples, n_features)
            The decoder's outputs.
        """
        check_is_fitted(self)
        Z = check_array(X, dtype=[np.float64, np.float32], input_name="X")
        if Z.shape[1] != self.code_dim_:
            raise ValueError(
                f"X has {Z.shape[1]} columns, but {type(self).__name__}.inverse_transform expects "
                f"codes with {self.code_dim_} columns, as transform returns them"
            )
        return self._batched("decode", Z)

    def reconstruct(self, X):
        """Decoded codes of X, i.e. inverse_transform(transform(X)): (n_samples, n_features), or
        for images X, images in X's layout ((n, C, H, W), or (n, H, W) grey).

        Parameters
        ----------
        X : array-like, sparse matrix, str or Path
            Rows (n_samples, n_features), or images (n, C, H, W) or (n, H, W), in any form `fit` takes.

        Returns
        -------
        X_reconstructed : ndarray
            The reconstructions, (n_samples, n_features) or in X's image layout.
        """
        check_is_fitted(self)
        rows = self._batched("reconstruct", self._validate_X(X, reset=False))
        return self._in_layout(rows, _ndim(X), self._layout_shape(X))

    def _layout_shape(self, X) -> tuple[int, int, int] | None:
        """The (channels, height, width) that outputs for images X are laid out in."""
        shape = getattr(self, "input_shape_", None) or getattr(self, "image_shape_", None)
        if shape is None and _ndim(X) in (3, 4):
            shape = image_shape(np.shape(X)[1:], "X's images")
        return shape

    def _in_layout(self, rows: np.ndarray, ndim: int | None, shape: tuple[int, int, int]) -> np.ndarray:
        """Rows (..., n, C*H*W) as images when X came as images: (..., n, C, H, W), or
        (..., n, H, W) for 3-D X and one channel."""
        if ndim == 4 or (ndim == 3 and shape[0] > 1):
            return rows.reshape(*rows.shape[:-1], *shape)
        if ndim == 3:
            return rows.reshape(*rows.shape[:-1], *shape[1:])
        return rows

    def score_samples(self, X):
        """Per-sample score, higher is better (the negative of the module's `sample_losses`):
        (n_samples,). Outliers score low.

        Parameters
        ----------
        X : array-like, sparse matrix, str or Path
            Rows (n_samples, n_features), in any form `fit` takes.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            Negative per-sample reconstruction loss.
        """
        check_is_fitted(self)
        return -self._batched("sample_losses", self._validate_X(X, reset=False))

    def score(self, X, y=None):
        """Mean of `score_samples(X)`, so model selection (GridSearchCV) prefers lower error.

        Parameters
        ----------
        X : array-like, sparse matrix, str or Path
            Rows (n_samples, n_features), in any form `fit` takes.
        y : None
            Ignored; present for scikit-learn's API.

        Returns
        -------
        score : float
            The mean per-sample score.
        """
        return float(np.mean(self.score_samples(X)))

    def get_feature_names_out(self, input_features=None):
        """Names of the code columns: ae0, ae1, ...

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Checked only: when given, it must equal `feature_names_in_` (or have
            `n_features_in_` entries when the estimator saw no names).

        Returns
        -------
        feature_names_out : ndarray of str objects
            One name per code column.
        """
        check_is_fitted(self, "n_features_in_")
        if input_features is not None:
            input_features = np.asarray(input_features, dtype=object)
            expected = getattr(self, "feature_names_in_", None)
            if len(input_features) != self.n_features_in_ or (
                expected is not None and not np.array_equal(input_features, expected)
            ):
                raise ValueError("input_features is not equal to feature_names_in_")
        return np.asarray([f"ae{i}" for i in range(self._n_features_out)], dtype=object)

    @property
    def code_dim_(self) -> int:
        """Width of the codes `transform` returns (latent_dim, or latent_dim * h * w for a
        convolutional bottleneck): the one place every caller reads the code size from."""
        check_is_fitted(self, "module_")
        return int(self.latent_dim)

    @property
    def _n_features_out(self) -> int:
        return self.code_dim_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    def to_onnx(self, path: str | Path) -> dict[str, Path]:
        """Export the encoder and decoder to `path`/encoder.onnx and decoder.onnx (see
        `aekit.saving.export.to_onnx`); returns {'encoder': path, 'decoder': path}.

        Parameters
        ----------
        path : str or Path
            The folder to write the two ONNX files into.

        Returns
        -------
        paths : dict of str to Path
            The two ONNX files, under 'encoder' and 'decoder' (onnx.json, describing them, is
            written beside them).
        """
        from aekit.saving.export import to_onnx

        return to_onnx(self, path)
