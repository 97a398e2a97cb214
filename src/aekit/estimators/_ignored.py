"""The columns an imputer leaves out of its model (`aekit.data.columns`): found in a DataFrame
at fit, and put back into the imputed rows as they came, an identifier never imputed and a
constant column's gaps filled with its one value."""

from __future__ import annotations

import numpy as np

from aekit.data.columns import CONSTANT, check_array_ignore, check_ignore_columns, is_empty, leave_out
from aekit.data.tabular import frame_columns, is_frame

__all__ = ["check_fill", "check_reasons", "find_ignored", "with_ignored"]


def find_ignored(X, names: list[str], ignore_columns, owner: str) -> tuple[dict[str, str], dict[str, object]]:
    """({column: why}, {constant column: its value}) for X, a DataFrame whose columns are
    `names`; nothing for arrays (where a list of names is refused, naming ignore_columns). Empty
    columns are not among them: the imputer drops those from its output, saying so itself."""
    if not is_frame(X):
        check_array_ignore(ignore_columns)
        return {}, {}
    frame = X.set_axis(names, axis=1)
    listed = check_ignore_columns(ignore_columns, names)
    empty = [c for c in names if c not in listed and is_empty(frame[c])]
    reasons = leave_out(frame.drop(columns=empty), ignore_columns, owner)
    fills = {}
    for name, why in reasons.items():
        observed = frame[name].dropna()
        if why == CONSTANT and len(observed):
            value = observed.iloc[0]
            fills[name] = value.item() if hasattr(value, "item") else value
    return reasons, fills


def with_ignored(filled: np.ndarray, X, kept: np.ndarray, names: list[str], fills: dict[str, object]) -> np.ndarray:
    """The imputed model columns `filled` (n, kept.sum()) with X's other columns put back in
    place, as X holds them (a constant column's gaps filled from `fills`): (n, len(kept))."""
    if kept.all():
        return filled
    columns = frame_columns(X)[0]
    others = [np.asarray(columns[j]) for j in np.flatnonzero(~kept)]
    numeric = filled.dtype != object and all(c.dtype.kind in "fiub" for c in others)
    out = np.empty((filled.shape[0], len(kept)), dtype=filled.dtype if numeric else object)
    out[:, kept] = filled
    for j, column in zip(np.flatnonzero(~kept), others):
        if names[j] in fills:
            gap = np.array([v is None or (isinstance(v, float) and np.isnan(v)) for v in column.tolist()], dtype=bool)
            column = np.where(gap, fills[names[j]], column)
        out[:, j] = column
    return out


def check_reasons(value) -> dict[str, str]:
    """A saved `ignored_columns_`: column names to reasons."""
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise ValueError("must map column names to reasons")
    return dict(value)


def check_fill(value) -> dict[str, object]:
    """A saved `ignored_fill_`: column names to a string, number or boolean."""
    if not isinstance(value, dict) or not all(isinstance(v, (str, int, float, bool)) for v in value.values()):
        raise ValueError("must map column names to strings, numbers or booleans")
    return dict(value)
