"""Mixed numeric + categorical tables with missing entries, as the float arrays an
autoencoder trains on, and back.

A table is read once into a `Table` (numeric block with NaN where missing, categorical
columns as object arrays, one missing mask); a `TableLayout` fitted on the observed entries
standardises the numeric columns and one-hot encodes (`one_hot`) the categorical ones, for the
imputer and, as the transformer `DetectionEncoding`, for `aekit detect`; `load_csv` one-hot
encodes through `one_hot_frame`. Encoded features: numeric first, then a group per categorical column.
"""

from __future__ import annotations

import datetime
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from numbers import Number

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import _check_feature_names_in, check_is_fitted, validate_data

from aekit.data.columns import is_true_false, user_stacklevel

__all__ = ["DetectionEncoding", "Table", "TableLayout", "one_hot", "one_hot_frame"]

MAX_ABS_INPUT = 1e150  # squares of larger values overflow float64 means and variances


def is_nan_marker(value) -> bool:
    """True when `value` is NaN (the default `missing_values`) or None."""
    if value is None:
        return True
    return isinstance(value, float) and math.isnan(value)


def _missing(values: np.ndarray, missing_values) -> np.ndarray:
    """Bool mask of the entries equal to `missing_values`, same shape as `values` (for NaN,
    None counts too)."""
    if values.dtype.kind in "fiub":
        if is_nan_marker(missing_values):
            return np.isnan(values) if values.dtype.kind == "f" else np.zeros(values.shape, dtype=bool)
        if not _is_number(missing_values):
            return np.zeros(values.shape, dtype=bool)
        return values == missing_values
    if is_nan_marker(missing_values):
        flags = [is_nan_marker(v) for v in values.ravel().tolist()]
    else:
        flags = [not is_nan_marker(v) and bool(v == missing_values) for v in values.ravel().tolist()]
    return np.asarray(flags, dtype=bool).reshape(values.shape)


def _is_number(value) -> bool:
    return isinstance(value, Number) and not isinstance(value, bool)


@dataclass
class Table:
    """One validated table: `numeric` (n, n_numeric) float with NaN where missing,
    `categorical` one (n,) object array per categorical column, `missing` (n, n_columns).

    Parameters
    ----------
    numeric : ndarray of shape (n, n_numeric)
        The numeric columns in table order, float with NaN where missing.
    categorical : list of ndarray of shape (n,)
        One object array per categorical column, in table order, None where missing.
    missing : ndarray of shape (n, n_columns)
        Bool mask of the missing entries, over all columns in table order.
    categorical_mask : ndarray of shape (n_columns,)
        Bool: which columns are categorical.
    """

    numeric: np.ndarray
    categorical: list[np.ndarray]
    missing: np.ndarray
    categorical_mask: np.ndarray  # (n_columns,) bool

    def select(self, keep: np.ndarray) -> Table:
        """The table of the columns `keep` marks, in their order.

        Parameters
        ----------
        keep : ndarray of shape (n_columns,)
            Bool: which columns to keep.

        Returns
        -------
        Table
            Those columns' numbers, categories, missing mask and categorical mask.
        """
        numeric, categorical = keep[~self.categorical_mask], keep[self.categorical_mask]
        return Table(self.numeric[:, numeric], [c for c, k in zip(self.categorical, categorical) if k],
                     self.missing[:, keep], self.categorical_mask[keep])


def _numeric_column(col: np.ndarray, miss: np.ndarray, name: str, missing_values, declared: str | None,
                    mixed_advice: str | None = None) -> np.ndarray:
    """A column as float64 with NaN where missing (booleans as 0 and 1); refuses strings (a
    column of text that `declared`, the source of a given mask, makes numeric; with
    `mixed_advice`, or the imputer's, numbers mixed with text), infinity and stray NaN."""
    if col.dtype.kind not in "fiub":
        observed = col[~miss]
        numbers = np.fromiter((_is_number(v) or isinstance(v, (bool, np.bool_)) for v in observed.tolist()), dtype=bool,
                              count=observed.size)  # True/False: a bool column that gaps turned to object
        if not numbers.all():
            bad = observed[~numbers][0]
            if declared == "fit" and not numbers.any():
                raise ValueError(f"column {name!r} was numeric in fit but holds {bad!r}")
            if declared is not None and not numbers.any():
                raise ValueError(f"column {name!r} holds text ({bad!r}), but {declared} leaves it out of the categorical "
                                 "columns: list it there too, or leave categorical_features='from_dtype', which takes "
                                 "every text column as categorical")
            advice = mixed_advice or (f"if {bad!r} marks a missing value set missing_values={bad!r}, else clean the "
                                      "column or declare it categorical")
            raise ValueError(f"column {name!r} mixes numbers and non-numbers (for example {bad!r}); {advice}")
        col = np.where(miss, np.nan, col)
    values = col.astype(np.float64)
    if np.isinf(values).any():
        raise ValueError(f"Input X contains infinity in column {name!r}; replace it or mark it with missing_values")
    check_magnitude(values, name)
    if np.isnan(values[~miss]).any():
        raise ValueError(f"Input X contains NaN in column {name!r} but missing_values={missing_values!r}; set missing_values=np.nan")
    return np.where(miss, np.nan, values)


def check_magnitude(values: np.ndarray, name: str = "X") -> None:
    """Refuse values whose squares overflow float64 statistics (the models compute in float32
    after standardisation, which handles anything smaller)."""
    finite = values[np.isfinite(values)]
    largest = float(np.abs(finite).max()) if finite.size else 0.0
    if largest > MAX_ABS_INPUT:
        raise ValueError(f"{name} has values as large as {largest:.3g}; scale X first (the limit is {MAX_ABS_INPUT:g})")


def _check_scalars(col: np.ndarray, miss: np.ndarray, name: str) -> None:
    """Refuse entries that are neither numbers nor strings (nor booleans) in an object column:
    a ValueError naming the way out for dates and times, a TypeError for other objects."""
    for v in col[~miss].tolist():
        if isinstance(v, (datetime.timedelta, np.timedelta64)):
            raise ValueError(
                f"column {name!r} holds durations ({v!r}), which are not features as they are: turn them into numbers "
                f"(seconds, e.g. .dt.total_seconds()) or leave the column out (ignore_columns=[{name!r}] in Python, "
                f"--ignore {name} on the command line)"
            )
        if isinstance(v, (datetime.date, datetime.time, np.datetime64)):
            raise ValueError(
                f"column {name!r} holds dates or times ({v!r}), which are not features as they are: turn them into "
                f"numbers (days since a date, an hour, a weekday) or leave the column out (ignore_columns=[{name!r}] in "
                f"Python, --ignore {name} on the command line)"
            )
        if not isinstance(v, (Number, str, bool, np.bool_)):
            raise TypeError(
                f"column {name!r} holds {v!r} of type {type(v).__name__}: each argument must be a string or a number"
            )


def _is_categorical(col: np.ndarray, miss: np.ndarray) -> bool:
    """Inferred kind: a non-numeric column whose observed values are all non-numbers, except
    True/False alone (numeric 0 and 1, as in a bool or pandas 'boolean' column)."""
    if col.dtype.kind in "fiubc":
        return False
    observed = col[~miss].tolist()
    if all(isinstance(v, (bool, np.bool_)) for v in observed):
        return False
    return not any(_is_number(v) for v in observed)


def read_columns(
    columns: list[np.ndarray],
    names: list[str],
    missing_values,
    categorical_mask: np.ndarray | None,
    categorical_dtype: list[bool] | None = None,
    mixed_advice: str | None = None,
    mask_source: str = "fit",
) -> Table:
    """Validate raw columns (each (n,)) into a `Table`. `categorical_mask=None` infers the kinds:
    columns flagged in `categorical_dtype` (pandas category/string) and columns of strings are
    categorical, columns of numbers numeric; a given mask (from fit, or from the user as
    `mask_source` names it, e.g. "categorical_features=['a']") is enforced. Raises ValueError
    naming the column for infinity, stray NaN, text in a column the mask makes numeric, and numbers mixed
    with strings (`mixed_advice` says what to do, else the imputer's advice), TypeError for
    entries that are neither numbers nor strings."""
    n = len(columns[0]) if columns else 0
    kinds, numeric, categorical, missing = [], [], [], []
    for j, (col, name) in enumerate(zip(columns, names)):
        col = np.asarray(col)
        miss = _missing(col, missing_values)
        if col.dtype.kind == "O":
            _check_scalars(col, miss, name)
        if categorical_mask is not None:
            is_cat = bool(categorical_mask[j])
        else:
            is_cat = bool(categorical_dtype and categorical_dtype[j]) or _is_categorical(col, miss)
        if is_cat:
            categorical.append(np.where(miss, None, col.astype(object)))
        else:
            declared = mask_source if categorical_mask is not None else None
            numeric.append(_numeric_column(col, miss, name, missing_values, declared, mixed_advice))
        kinds.append(is_cat)
        missing.append(miss)
    num = np.stack(numeric, axis=1) if numeric else np.empty((n, 0))
    miss = np.stack(missing, axis=1) if missing else np.empty((n, 0), dtype=bool)
    return Table(num, categorical, miss, np.asarray(kinds, dtype=bool))


def numeric_table(X: np.ndarray, missing_values) -> Table:
    """The table of an all-numeric float array X (n, d), keeping its dtype."""
    check_magnitude(X)
    miss = _missing(X, missing_values)
    numeric = X if is_nan_marker(missing_values) or not miss.any() else np.where(miss, np.nan, X).astype(X.dtype)
    return Table(numeric, [], miss, np.zeros(X.shape[1], dtype=bool))


def with_missing_indicators(table: Table, columns: np.ndarray) -> Table:
    """`table` with one fully observed categorical column (False/True: whether the entry is
    missing) appended for each column index in `columns`, so a model of the table also
    models which entries are missing."""
    if not len(columns):
        return table
    flags = [table.missing[:, j].copy() for j in columns]  # bool arrays: `encode` maps them without a Python loop
    missing = np.hstack([table.missing, np.zeros((table.missing.shape[0], len(columns)), dtype=bool)])
    mask = np.concatenate([table.categorical_mask, np.ones(len(columns), dtype=bool)])
    return Table(table.numeric, table.categorical + flags, missing, mask)


def one_hot(values: np.ndarray, missing: np.ndarray, levels: list, dtype=np.float64) -> np.ndarray:
    """Indicators (n, len(levels)) of each value of `values` (n,) among `levels`, a NaN row where
    `missing` (n,) is set or the value is none of them.

    Parameters
    ----------
    values : ndarray of shape (n,)
        The column's values (a bool array is looked up as False/True).
    missing : ndarray of shape (n,)
        Bool: which entries are missing.
    levels : list
        The categories, in the order of the output's columns.
    dtype : dtype, default=np.float64
        The output's float dtype.

    Returns
    -------
    ndarray of shape (n, len(levels))
        One-hot rows, all NaN for a missing or unknown value.
    """
    lookup = {v: i for i, v in enumerate(levels)}
    if values.dtype == bool:
        codes = np.where(missing, -1, np.array([lookup.get(False, -1), lookup.get(True, -1)])[values.astype(np.int64)])
    else:
        codes = np.fromiter((lookup.get(v, -1) if not m else -1 for v, m in zip(values.tolist(), missing)), np.int64, len(values))
    out = np.zeros((len(values), len(levels)), dtype=dtype)
    known = codes >= 0
    out[np.flatnonzero(known), codes[known]] = 1.0
    out[~known] = np.nan
    return out


FEW_LEVELS = 10  # a numeric column with at most this many distinct observed values has levels plausible values snap to
MAX_DECIMALS = 12  # a numeric column whose observed values need more decimals than this has no `decimals`


def _few_levels(column: np.ndarray) -> np.ndarray:
    """The sorted distinct observed (non-NaN) values of `column` (n,) if at most FEW_LEVELS and
    each seen twice on average (levels repeat; a few rows of a continuous column do not), else empty."""
    observed = column[~np.isnan(column)]
    seen = np.unique(observed)
    return seen if len(seen) <= FEW_LEVELS and 2 * len(seen) <= len(observed) else np.empty(0)


def _more_levels(levels: np.ndarray, column: np.ndarray) -> np.ndarray:
    """`levels` (k,) with the distinct observed values of `column` (n,) added, or empty when that makes more
    than FEW_LEVELS; empty levels (a column without them) stay empty."""
    seen = column[~np.isnan(column)]
    if not len(levels) or not len(seen):
        return levels
    union = np.union1d(levels, seen)
    return union if len(union) <= FEW_LEVELS else np.empty(0)


def _decimals(column: np.ndarray) -> int:
    """The fewest decimals (0 to MAX_DECIMALS) that write every observed (non-NaN) value of `column` (n,)
    to twelve significant digits (3.7 and 12.1: 1; rates such as 0.000008305: 9; timestamps such as
    1705796187.123: 3), or -1 when they need more."""
    observed = column[~np.isnan(column)]
    for decimals in range(MAX_DECIMALS + 1):
        if (np.abs(np.round(observed, decimals) - observed) <= 1e-12 * np.abs(observed)).all():
            return decimals
    return -1


def _nearest(levels: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Each of `values` (n,) replaced by the nearest of the sorted `levels` (k,)."""
    right = np.clip(np.searchsorted(levels, values), 1, len(levels) - 1) if len(levels) > 1 else np.zeros(len(values), dtype=int)
    left = np.maximum(right - 1, 0)
    return np.where(np.abs(values - levels[left]) <= np.abs(levels[right] - values), levels[left], levels[right])


@dataclass
class TableLayout:
    """How a table maps to encoded features: standardisation of the numeric columns (observed
    mean and std, std 1 for constant columns) and the categories of each categorical column;
    also each numeric column's observed range, whether it holds whole numbers only and, for a
    column with at most `FEW_LEVELS` distinct observed values each seen twice on average, those values, which plausible
    imputations keep (None in layouts saved before they were recorded).

    Parameters
    ----------
    categorical_mask : ndarray of shape (n_columns,)
        Bool: which columns are categorical.
    mean : ndarray of shape (n_numeric,)
        Observed mean of each numeric column.
    scale : ndarray of shape (n_numeric,)
        Divisor of each numeric column: its observed std, 1 when constant or unscaled.
    categories : list of ndarray
        Per categorical column, its sorted observed values (object arrays).
    low : ndarray of shape (n_numeric,), default=None
        Observed minimum of each numeric column.
    high : ndarray of shape (n_numeric,), default=None
        Observed maximum of each numeric column.
    integer : ndarray of shape (n_numeric,), default=None
        Bool: every observed value of the column is a whole number.
    levels : list of ndarray, default=None
        Per numeric column, its sorted observed values when there are at most `FEW_LEVELS`
        of them, else an empty array.
    decimals : ndarray of shape (n_numeric,), default=None
        Int: the fewest decimals writing each numeric column's observed values as they are (3.7:
        1), -1 when more than `MAX_DECIMALS`; None in layouts saved before it was recorded.
    """

    categorical_mask: np.ndarray  # (n_columns,) bool
    mean: np.ndarray  # (n_numeric,)
    scale: np.ndarray  # (n_numeric,)
    categories: list[np.ndarray]  # per categorical column, sorted observed values
    low: np.ndarray | None = None  # (n_numeric,) observed minimum
    high: np.ndarray | None = None  # (n_numeric,) observed maximum
    integer: np.ndarray | None = None  # (n_numeric,) bool: every observed value is a whole number
    levels: list[np.ndarray] | None = None  # per numeric column, its sorted observed values if few, else empty
    decimals: np.ndarray | None = None  # (n_numeric,) int: decimals of the observed values, -1 beyond MAX_DECIMALS

    @classmethod
    def fit(cls, table: Table, scale: bool = True) -> TableLayout:
        """Observed means (and stds when `scale`, else 1) of the numeric columns, and the
        categories of the categorical ones.

        Parameters
        ----------
        table : Table
            The training table; missing entries are left out of every statistic.
        scale : bool, default=True
            Standardise the numeric columns by their std; False only centres them.

        Returns
        -------
        TableLayout
            The fitted layout, with each numeric column's observed range and wholeness.
        """
        observed = np.where(table.missing[:, ~table.categorical_mask], np.nan, table.numeric).astype(np.float64)
        mean = np.nanmean(observed, axis=0) if observed.shape[1] else np.empty(0)
        std = np.nanstd(observed, axis=0) if observed.shape[1] and scale else np.ones_like(mean)
        scale = np.where(std > 1e-12 * np.maximum(1.0, np.abs(mean)), std, 1.0)
        gaps_at_mean = np.where(np.isnan(observed), mean, observed)
        low, high = (gaps_at_mean.min(axis=0), gaps_at_mean.max(axis=0)) if observed.shape[0] else (mean, mean)
        integer = (np.isnan(observed) | (observed == np.round(observed))).all(axis=0)
        levels = [_few_levels(column) for column in observed.T]
        decimals = np.array([_decimals(column) for column in observed.T], dtype=np.int64)
        categories = []
        for values, miss in zip(table.categorical, table.missing[:, table.categorical_mask].T):
            seen = values[~miss]
            try:
                categories.append(np.array(sorted(set(seen.tolist())), dtype=object))
            except TypeError:
                categories.append(np.array(sorted(set(seen.tolist()), key=repr), dtype=object))
        return cls(table.categorical_mask, mean, scale, categories, low, high, integer, levels, decimals)

    def widened(self, table: Table) -> TableLayout:
        """This layout with the observed range, wholeness, levels and decimals of each numeric column
        also covering `table`'s observed values, its means, scales and categories kept (the network
        reads them): a model trained piece by piece keeps its imputations to what every piece held,
        not only the first.

        Parameters
        ----------
        table : Table
            A later piece of training rows, of this layout's columns.

        Returns
        -------
        TableLayout
            The widened layout (this one when it records no ranges, as layouts saved before them).
        """
        if self.low is None:
            return self
        piece = TableLayout.fit(table, scale=False)
        values = np.where(table.missing[:, ~table.categorical_mask], np.nan, table.numeric).astype(np.float64)
        levels = self.levels if self.levels is None else [_more_levels(lv, column) for lv, column in zip(self.levels, values.T)]
        decimals = self.decimals
        if decimals is not None:
            decimals = np.where((decimals < 0) | (piece.decimals < 0), -1, np.maximum(decimals, piece.decimals))
        return TableLayout(self.categorical_mask, self.mean, self.scale, self.categories,
                           np.fmin(self.low, piece.low), np.fmax(self.high, piece.high), self.integer & piece.integer,
                           levels, decimals)

    def to_json(self) -> dict:
        """The layout as JSON values, for saving; categories must be strings, numbers or booleans."""
        categories = []
        for k, cats in enumerate(self.categories):
            values = [v.item() if isinstance(v, np.generic) else v for v in cats.tolist()]
            bad = [v for v in values if not isinstance(v, (str, int, float, bool))]
            if bad:
                raise TypeError(f"categorical column {k} has category {bad[0]!r} of type {type(bad[0]).__name__}, "
                                "which cannot be saved; only strings, numbers and booleans can")
            categories.append(values)
        ranges = {} if self.low is None else {"low": self.low.tolist(), "high": self.high.tolist(),
                                              "integer": self.integer.tolist()}
        if self.levels is not None:
            ranges["levels"] = [column.tolist() for column in self.levels]
        if self.decimals is not None:
            ranges["decimals"] = self.decimals.tolist()
        return {
            "categorical_mask": self.categorical_mask.tolist(),
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "categories": categories,
            **ranges,
        }

    @classmethod
    def from_json(cls, data: object) -> TableLayout:
        """The layout `to_json` wrote, checked for types and consistent sizes (ValueError otherwise).

        Parameters
        ----------
        data : object
            What `to_json` returned, as read back from JSON.

        Returns
        -------
        TableLayout
            The layout.
        """
        required, ranges = {"categorical_mask", "mean", "scale", "categories"}, {"low", "high", "integer"}
        if not isinstance(data, dict) or set(data) - {"decimals"} not in (required, required | ranges, required | ranges | {"levels"}):
            raise ValueError("layout_ must be an object with categorical_mask, mean, scale and categories "
                             "(and low, high and integer, or none of them; levels only with them; decimals optional)")
        mask, mean, scale, categories = (data[k] for k in ("categorical_mask", "mean", "scale", "categories"))
        if not isinstance(mask, list) or not mask or not all(isinstance(v, bool) for v in mask):
            raise ValueError("layout_.categorical_mask must be a non-empty list of booleans")
        n_cat = sum(mask)
        for name, values in (("mean", mean), ("scale", scale), *((k, data[k]) for k in ("low", "high") if k in data)):
            if (not isinstance(values, list) or len(values) != len(mask) - n_cat
                    or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and np.isfinite(v) for v in values)):
                raise ValueError(f"layout_.{name} must list {len(mask) - n_cat} finite numbers, one per numeric column")
        if any(v <= 0 for v in scale):
            raise ValueError("layout_.scale must be positive")
        if (not isinstance(categories, list) or len(categories) != n_cat
                or not all(isinstance(c, list) and c and all(isinstance(v, (str, int, float, bool)) for v in c) for c in categories)):
            raise ValueError(f"layout_.categories must hold {n_cat} non-empty lists of strings, numbers or booleans")
        integer = data.get("integer", [])
        if "integer" in data and (not isinstance(integer, list) or len(integer) != len(mean)
                                  or not all(isinstance(v, bool) for v in integer)):
            raise ValueError(f"layout_.integer must list {len(mean)} booleans, one per numeric column")
        ranges = [np.array(data[k], dtype=t) if k in data else None
                  for k, t in (("low", np.float64), ("high", np.float64), ("integer", bool))]
        decimals = data.get("decimals")
        if decimals is not None and (not isinstance(decimals, list) or len(decimals) != len(mean) or not all(
                isinstance(v, int) and not isinstance(v, bool) and -1 <= v <= MAX_DECIMALS for v in decimals)):
            raise ValueError(f"layout_.decimals must list {len(mean)} integers from -1 to {MAX_DECIMALS}, one per numeric column")
        levels = data.get("levels")
        if levels is not None and (not isinstance(levels, list) or len(levels) != len(mean) or not all(
                isinstance(c, list) and len(c) <= FEW_LEVELS and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                                                     and np.isfinite(v) for v in c) for c in levels)):
            raise ValueError(f"layout_.levels must hold {len(mean)} lists of at most {FEW_LEVELS} finite numbers, one per numeric column")
        return cls(
            np.array(mask, dtype=bool),
            np.array(mean, dtype=np.float64),
            np.array(scale, dtype=np.float64),
            [np.array(c, dtype=object) for c in categories],
            *ranges,
            None if levels is None else [np.array(c, dtype=np.float64) for c in levels],
            None if decimals is None else np.array(decimals, dtype=np.int64),
        )

    @property
    def n_numeric(self) -> int:
        """Number of numeric columns."""
        return int(self.mean.shape[0])

    @property
    def groups(self) -> list[tuple[int, int]]:
        """(start, stop) of each categorical column's one-hot group among the encoded features."""
        out, start = [], self.n_numeric
        for cats in self.categories:
            out.append((start, start + len(cats)))
            start += len(cats)
        return out

    @property
    def n_encoded(self) -> int:
        """Number of encoded features: the numeric columns plus every category."""
        return self.n_numeric + sum(len(c) for c in self.categories)

    def column_of_feature(self) -> np.ndarray:
        """(n_encoded,) index of the column group each encoded feature belongs to (numeric
        columns first, then categorical ones), so a whole one-hot group can be masked at once."""
        groups = [np.full(b - a, self.n_numeric + k) for k, (a, b) in enumerate(self.groups)]
        return np.concatenate([np.arange(self.n_numeric), *groups]).astype(np.int64)

    def encode(self, table: Table) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(inputs, targets, observed), each (n, n_encoded): inputs are 0 where missing,
        targets NaN there, observed marks the entries the imputer must keep. Categories not
        seen in fit count as observed in the output but give no signal (all-zero group).

        Parameters
        ----------
        table : Table
            A table with the fitted columns.

        Returns
        -------
        inputs : ndarray of shape (n, n_encoded)
            The model's inputs: the encoding with 0 where missing.
        targets : ndarray of shape (n, n_encoded)
            The reconstruction targets: the encoding with NaN where missing.
        observed : ndarray of shape (n, n_encoded)
            Bool mask of the entries the imputer must keep.
        """
        dtype = table.numeric.dtype if table.numeric.dtype.kind == "f" else np.float64
        num_missing = table.missing[:, ~self.categorical_mask]
        scaled = ((table.numeric - self.mean) / self.scale).astype(dtype, copy=False)
        groups = zip(table.categorical, table.missing[:, self.categorical_mask].T, self.categories)
        target = np.concatenate([np.where(num_missing, np.nan, scaled), *(one_hot(v, m, c.tolist(), dtype) for v, m, c in groups)], axis=1)
        return np.nan_to_num(target, nan=0.0), target, ~np.isnan(target)

    def warn_unseen(self, table: Table, targets: np.ndarray, names: Sequence[str], consequence: str) -> None:
        """Warn, naming each categorical column of `table` that holds categories not seen in fit
        (a typo, a new level), what they are and `consequence` (what the estimator does with them).
        The rows are read off `encode`'s targets, whose one-hot group is NaN for such a value.

        Parameters
        ----------
        table : Table
            A table with the fitted columns.
        targets : ndarray of shape (n, n_encoded)
            `encode(table)`'s targets (of `table`, or of it with columns appended).
        names : sequence of str
            The table's column names, in table order.
        consequence : str
            How the estimator reads those values, ending the message.
        """
        columns = [names[j] for j in np.flatnonzero(table.categorical_mask)]
        found = []
        for name, values, missing, (start, _) in zip(columns, table.categorical, table.missing[:, table.categorical_mask].T, self.groups):
            new = np.isnan(targets[:, start]) & ~missing  # fit saw at least one category of every column it kept
            if new.any():
                shown = sorted(set(map(str, values[new].tolist())))
                count = int(new.sum())
                found.append(f"{name!r} {shown[:5]}{' ...' if len(shown) > 5 else ''} in {count} row{'s' * (count > 1)}")
        if found:
            warnings.warn(f"X has categories not seen in fit: {'; '.join(found)}; {consequence}", UserWarning,
                          stacklevel=user_stacklevel())

    def plausible(self, values: np.ndarray, whole: bool = True) -> np.ndarray:
        """Numeric values (n, n_numeric) clipped to each column's observed range and, with
        `whole`, rounded where the column holds whole numbers only, rounded to the `decimals` of
        its observed values elsewhere (3.7, 12.1: one) and moved to the nearest observed value in
        a column with few of them (unchanged for layouts without ranges).

        Parameters
        ----------
        values : ndarray of shape (n, n_numeric)
            Numeric values in the columns' units.
        whole : bool, default=True
            Also round: whole numbers and observed decimals, as above.

        Returns
        -------
        ndarray of shape (n, n_numeric)
            The values kept to each column's observed range.
        """
        if self.low is None:
            return values
        values = np.clip(values, self.low, self.high)
        if not whole:
            return values
        values = np.where(self.integer, np.round(values), values)
        for j, decimals in enumerate(self.decimals if self.decimals is not None else ()):
            if decimals > 0:
                values[:, j] = np.round(values[:, j], decimals)
        for j, column in enumerate(self.levels or ()):
            if len(column):
                values[:, j] = _nearest(column, values[:, j])
        return values

    def decode(
        self,
        table: Table,
        means: np.ndarray,
        rng: np.random.Generator | None = None,
        n_columns: int | None = None,
        plausible: bool | str = False,
    ) -> np.ndarray:
        """Fill the missing entries of `table` from decoded means (n, n_encoded): numeric
        columns un-standardised (and, with `plausible`, kept to their observed range and
        whole numbers, or with 'range' to the range alone; see `plausible`), categorical ones the most probable category (or one
        drawn from the probabilities when `rng` is given). Observed entries are kept exactly.
        `n_columns` keeps only the first columns (the others, such as appended missingness
        indicators, are not decoded).

        Parameters
        ----------
        table : Table
            The table with missing entries.
        means : ndarray of shape (n, n_encoded)
            Decoded means in the encoded space (standardised numbers, category probabilities).
        rng : numpy.random.Generator, default=None
            Draw each categorical entry from the probabilities; None takes the most probable.
        n_columns : int, default=None
            Decode only the first columns; None decodes all.
        plausible : bool or 'range', default=False
            True keeps numeric fills to the observed range and whole numbers, 'range' to the
            range alone, False leaves them as decoded.

        Returns
        -------
        ndarray of shape (n, n_columns)
            Float (table dtype) without categorical columns among those kept, else object.
        """
        n_columns = table.missing.shape[1] if n_columns is None else n_columns
        num_missing = table.missing[:, ~self.categorical_mask]
        values = means[:, : self.n_numeric] * self.scale + self.mean
        if plausible:
            values = self.plausible(values, whole=plausible != "range")
        numeric = np.where(num_missing, values, table.numeric).astype(table.numeric.dtype, copy=False)
        kept = self.categorical_mask[:n_columns]
        if not kept.any():
            return numeric[:, : n_columns]
        out = np.empty((table.missing.shape[0], n_columns), dtype=object)
        out[:, ~kept] = numeric[:, : int((~kept).sum())]
        for k, (j, (a, b)) in enumerate(zip(np.flatnonzero(kept), self.groups)):
            probs = means[:, a:b]
            if rng is None:
                chosen = probs.argmax(axis=1)
            else:
                cdf = np.cumsum(probs / probs.sum(axis=1, keepdims=True), axis=1)
                chosen = np.minimum((cdf < rng.random((len(probs), 1))).sum(axis=1), b - a - 1)
            miss = table.missing[:, j]
            column = table.categorical[k].copy()
            column[miss] = self.categories[k][chosen[miss]]
            out[:, j] = column
        return out


def is_frame(X) -> bool:
    """True for a pandas DataFrame (or anything with its `columns` and `iloc`)."""
    return hasattr(X, "columns") and hasattr(X, "iloc")


def as_frame(X):
    """A dataframe of another library (a pyarrow Table, a polars DataFrame) as a pandas DataFrame;
    anything else as it is."""
    if not is_frame(X) and hasattr(X, "__dataframe__") and hasattr(X, "to_pandas"):
        return X.to_pandas()
    return X


def frame_columns(X) -> tuple[list[np.ndarray], list[str], list[bool]]:
    """Columns (each (n,)), names, and which columns a DataFrame types as categorical
    (category or string dtype), of a DataFrame or a 2-D array-like of mixed values. Pandas'
    missing markers (NaN, None, pd.NA, NaT) in non-numeric columns become None; a complex column
    is refused (casting it would drop its imaginary part)."""
    if is_frame(X):
        from pandas.api.types import is_bool_dtype, is_numeric_dtype, is_string_dtype

        columns, typed = [], []
        for j in range(X.shape[1]):
            col = X.iloc[:, j]
            if getattr(col.dtype, "kind", None) == "c":
                raise ValueError(f"column {str(X.columns[j])!r} holds complex numbers, which are not features as they are: "
                                 "split them into two columns (.real and .imag) or take their magnitude (abs)")
            if is_bool_dtype(col.dtype) or (is_numeric_dtype(col.dtype) and str(col.dtype) != "category"):
                columns.append(col.to_numpy(dtype=np.float64, na_value=np.nan))
                typed.append(False)
            else:
                columns.append(col.to_numpy(dtype=object, na_value=None))
                typed.append(str(col.dtype) == "category" or (is_string_dtype(col.dtype) and col.dtype != object))
        return columns, [str(c) for c in X.columns], typed
    A = np.asarray(X, dtype=object)
    if A.ndim != 2:
        raise ValueError(f"Expected a 2D array, got an array of shape {A.shape}; reshape your data")
    return [A[:, j] for j in range(A.shape[1])], [str(j) for j in range(A.shape[1])], [False] * A.shape[1]


def one_hot_frame(frame, categories: Mapping[str, Sequence] | None, source: str) -> tuple[np.ndarray, list[str], dict]:
    """A DataFrame (n rows) as (n, n_encoded) float64 with its feature names and the categories
    found per column: numeric columns as they are, the others (strings, category, bool, and
    columns named in `categories`) one-hot encoded by their text, 'column=category', a missing
    entry NaN across its group. A category outside those given in `categories` is refused.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table.
    categories : mapping of str to sequence, or None
        Categories of columns to one-hot encode (numeric ones included), fixing their groups;
        None finds them (a categorical dtype's own categories, else the sorted observed values).
    source : str
        Where the table comes from, to start error messages.

    Returns
    -------
    X : ndarray of shape (n, n_encoded)
        The encoded rows, float64: float32 would round a timestamp of 2026 in seconds to 128 s.
    names : list of str
        The feature names: a numeric column's own, 'column=category' in a one-hot group.
    categories : dict of str to list
        The categories of each one-hot encoded column, in group order.
    """
    from pandas import CategoricalDtype
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    from aekit.data.columns import is_free_text

    blocks, names, found = [], [], {}
    for column in frame.columns:
        values, key = frame[column], str(column)
        if is_numeric_dtype(values.dtype) and not is_bool_dtype(values.dtype) and (categories is None or key not in categories):
            blocks.append(values.to_numpy(dtype=np.float64, na_value=np.nan)[:, None])
            names.append(key)
            continue
        observed = values.dropna()
        if categories is not None and key in categories:
            levels = list(categories[key])
            unknown = sorted(set(map(str, observed.unique())) - set(map(str, levels)))
            if unknown:
                raise ValueError(f"{source}: column {key!r} has categories {unknown} not seen in training {levels}")
        elif isinstance(values.dtype, CategoricalDtype):
            levels = [c.item() if hasattr(c, "item") else c for c in values.cat.categories]
        else:
            if is_free_text(values):
                raise ValueError(
                    f"{source}: column {key!r} holds free text ({observed.nunique()} distinct entries in {len(observed)} rows, "
                    "sentences or documents), not categories: one-hot encoded it would be a feature per row. Drop it from "
                    "the table; to model documents, put each in a .txt file in a folder (one subfolder per label) and "
                    "give the folder"
                )
            levels = sorted(observed.unique().tolist(), key=str)
        found[key] = levels
        blocks.append(one_hot(values.astype(object).map(str).to_numpy(), values.isna().to_numpy(), [str(v) for v in levels]))
        names.extend(f"{key}={level}" for level in levels)
    return np.concatenate(blocks, axis=1).astype(np.float64, copy=False), names, found


def frame_like(values: np.ndarray, frame, missing_values=np.nan):
    """`values` (n, n_columns), the imputed `frame`, as a DataFrame with the frame's index,
    column names and dtypes, the observed entries (neither NA nor `missing_values`) of integer
    columns taken from `frame` as they are, an object column of True/False filled with
    True/False; a column whose dtype cannot hold its values (an integer dtype with fractions,
    categories not among a categorical dtype's, categories filled into a column that came all
    missing as floats) keeps the closest one (float64, categories added, or object)."""
    import pandas as pd

    out = {}
    for j, column in enumerate(frame.columns):
        dtype, col = frame.dtypes.iloc[j], values[:, j]
        if isinstance(dtype, pd.CategoricalDtype):
            present = pd.Index(pd.unique(col[pd.notna(col)]))
            out[column] = pd.Categorical(col, categories=dtype.categories.union(present, sort=False), ordered=dtype.ordered)
            continue
        series = pd.Series(col, index=frame.index)
        if dtype == object and is_true_false(frame.iloc[:, j]) and pd.Series(col).isin([0, 1]).all():
            out[column] = series.astype(bool).astype(object)  # True/False with gaps, filled as 0 and 1
            continue
        try:
            series = series.astype(dtype)
        except (TypeError, ValueError):
            numbers = pd.to_numeric(series, errors="coerce")
            fits = pd.api.types.is_numeric_dtype(dtype) and numbers.notna().sum() == series.notna().sum()
            out[column] = numbers if fits else series  # categories filled into a column read as floats stay
            continue
        if series.dtype.kind in "iu":  # observed integers as given, not through float64 (exact only to 2**53)
            given = frame.iloc[:, j]
            gaps = _missing(given.to_numpy(dtype=np.float64, na_value=np.nan), missing_values) | given.isna().to_numpy()
            series = series.where(gaps, given.array)
        out[column] = series
    return pd.DataFrame(out, index=frame.index, columns=frame.columns)


class DetectionEncoding(TransformerMixin, BaseEstimator):
    """How `aekit detect` encodes a fully observed table, as a scikit-learn transformer: numeric
    columns standardised, each categorical (text, category) column one-hot encoded and divided
    by the square root of its group's total variance (1 - sum of squared category shares), so
    that every column, whatever its number of categories, weighs as one standardised numeric
    column. Encoded features: the numeric columns, then one group per categorical column.

    Attributes
    ----------
    layout_ : TableLayout
        The column kinds, the numeric columns' means and scales, the categories.
    group_scale_ : ndarray of shape (n_categorical,)
        Divisor of each one-hot group.
    n_features_in_, feature_names_in_ : as scikit-learn sets them.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"size": [1.0, 2.0, 3.0], "kind": ["a", "b", "a"]})
    >>> DetectionEncoding().fit(table).get_feature_names_out().tolist()
    ['size', 'kind=a', 'kind=b']
    """

    def fit(self, X, y=None) -> DetectionEncoding:
        """Fit to a table X (n_samples, n_columns) without missing values, a DataFrame or 2-D
        array-like; y is ignored. Returns self.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_columns)
            The table; text, category and string columns are categorical, the others numeric.
        y : None
            Ignored.

        Returns
        -------
        DetectionEncoding
            The fitted encoding.
        """
        table, _ = self._read(X, reset=True)
        self.layout_ = TableLayout.fit(table)
        encoded = self.layout_.encode(table)[0]
        spreads = [1.0 - float(np.square(encoded[:, a:b].mean(axis=0)).sum()) for a, b in self.layout_.groups]
        self.group_scale_ = np.array([np.sqrt(v) if v > 1e-12 else 1.0 for v in spreads], dtype=np.float64)
        return self

    def transform(self, X) -> np.ndarray:
        """The encoding (n_samples, n_encoded) float32 of a table with the fitted columns; a
        category not seen in fit gives an all-zero group.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_columns)
            A table with the fitted columns and no missing values.

        Returns
        -------
        ndarray of shape (n_samples, n_encoded)
            The encoded rows, float32.
        """
        check_is_fitted(self)
        table, names = self._read(X, reset=False)
        inputs, targets, _ = self.layout_.encode(table)
        self.layout_.warn_unseen(table, targets, names, "they are encoded as an all-zero group (no category of the column)")
        return (inputs / self._divisors()).astype(np.float32)

    def inverse_transform(self, X) -> np.ndarray:
        """Encoded rows (n_samples, n_encoded), e.g. a reconstruction, as the table (n_samples,
        n_columns) in its units: numeric columns unstandardised, a categorical column the
        category of its group's largest entry (then an object array).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_encoded)
            Encoded rows.

        Returns
        -------
        ndarray of shape (n_samples, n_columns)
            The rows in the table's units.
        """
        check_is_fitted(self)
        X, layout = np.asarray(X, dtype=np.float64), self.layout_
        if X.ndim != 2 or X.shape[1] != layout.n_encoded:
            raise ValueError(f"X has shape {X.shape}, but {type(self).__name__} encodes {layout.n_encoded} features")
        unknown = Table(np.full((len(X), layout.n_numeric), np.nan), [np.full(len(X), None) for _ in layout.categories],
                        np.ones((len(X), self.n_features_in_), dtype=bool), layout.categorical_mask)
        return layout.decode(unknown, X * self._divisors())

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Names (n_encoded,): a numeric column's own, 'column=category' in a one-hot group.

        Parameters
        ----------
        input_features : array-like of str, default=None
            Names of the input columns; None uses `feature_names_in_` (else x0, x1, ...).

        Returns
        -------
        ndarray of shape (n_encoded,)
            The feature names, object dtype.
        """
        features, names = self._features(), _check_feature_names_in(self, input_features)
        return np.asarray([names[j] if c is None else f"{names[j]}={c}" for j, c in features], dtype=object)

    def get_feature_sources_out(self, input_features=None) -> np.ndarray:
        """The input column (n_encoded,) each encoded feature comes from, so that `aekit.explain`
        adds a one-hot group up into its column; `input_features` names the input columns.

        Parameters
        ----------
        input_features : array-like of str, default=None
            Names of the input columns; None uses `feature_names_in_` (else x0, x1, ...).

        Returns
        -------
        ndarray of shape (n_encoded,)
            Each encoded feature's input column name, object dtype.
        """
        features = self._features()
        names = _check_feature_names_in(self, None) if input_features is None else list(input_features)
        return np.asarray([names[j] for j, _ in features], dtype=object)

    def _read(self, X, reset: bool) -> tuple[Table, list[str]]:
        validate_data(self, X, reset=reset, skip_check_array=True)
        columns, names, typed = frame_columns(X)
        advice = "make its entries all numbers, or all text to one-hot encode it (X[column].astype(str))"
        table = read_columns(columns, names, np.nan, None if reset else self.layout_.categorical_mask, typed, advice)
        if table.missing.any():
            row = int(np.flatnonzero(table.missing.any(axis=1))[0])
            label = f" (index {X.index[row]!r})" if hasattr(X, "index") else ""
            raise ValueError(f"columns {[names[j] for j in np.flatnonzero(table.missing.any(axis=0))]} have missing values, "
                             f"first in row {row}{label} of {len(table.missing)}; fill them first, e.g. with "
                             "AutoEncoderImputer, or leave those columns out")
        return table, names

    def _features(self) -> list[tuple[int, object]]:
        """(input column, category or None) of each encoded feature."""
        check_is_fitted(self)
        mask = self.layout_.categorical_mask
        groups = [(j, c) for j, cats in zip(np.flatnonzero(mask), self.layout_.categories) for c in cats.tolist()]
        return [(j, None) for j in np.flatnonzero(~mask)] + groups

    def _divisors(self) -> np.ndarray:
        """(n_encoded,): 1 for a numeric feature, its group's scale for a one-hot one."""
        sizes = [b - a for a, b in self.layout_.groups]
        return np.concatenate([np.ones(self.layout_.n_numeric), np.repeat(self.group_scale_, sizes)])
