"""Rows in the data's units as the files of `aekit reconstruct` and `aekit generate` hold them:
a table run's rows as its table's columns, each of the kind it had in the table, and an
integer .npy run's rows as integers of the file's dtype."""

from __future__ import annotations

import numpy as np

from aekit.data.datasets import BOOLEAN_SPELLINGS, feature_columns
from aekit.data.readers import Reader

__all__ = ["stored_values", "table_rows"]


def table_rows(reader: Reader, X: np.ndarray, whole: bool = True):
    """Rows X (n, n_features) in the data's units as the training table's feature columns
    (n, n_columns) in their order, for a run on a table: a one-hot group as its most probable
    category (of the category's own type, a bool column's True or False), with `whole` a column
    whose training values were all whole numbers rounded to them within their range (int64),
    other numbers as given; None for other runs.

    Parameters
    ----------
    reader : Reader
        The run's fitted reader.
    X : ndarray of shape (n, n_features)
        Rows in the data's units, e.g. samples or reconstructions.
    whole : bool, default=True
        Keep the columns of whole numbers whole; False for expected counts, which are means.

    Returns
    -------
    pandas.DataFrame or None
        The rows as the table's columns (the ID and target columns left out), with the training
        CSV's spellings of True and False in ``attrs[BOOLEAN_SPELLINGS]`` and its delimiter and
        decimal mark (``attrs['sep']``, ';' for decimal commas, and ``attrs['decimal_comma']``)
        and text encoding (``attrs['encoding']``) for a CSV written of them.
    """
    import pandas as pd

    if reader.kind != "table" or not reader.feature_names:
        return None
    X = np.asarray(X)
    names, categories = list(reader.feature_names), reader.categories or {}
    ranges = (getattr(reader, "whole_ranges", None) or {}) if whole else {}
    sources = feature_columns(names, categories)
    columns = {}
    for source in dict.fromkeys(sources):
        members = [j for j, s in enumerate(sources) if s == source]
        if source in categories:
            levels = pd.Series(list(categories[source]), dtype=object).infer_objects().to_numpy()
            columns[source] = levels[np.argmax(X[:, members], axis=1)]
        elif source in ranges:
            low, high = ranges[source]
            columns[source] = np.clip(np.round(X[:, members[0]].astype(np.float64)), low, high).astype(np.int64)
        else:
            columns[source] = X[:, members[0]]
    frame = pd.DataFrame(columns)
    frame.attrs[BOOLEAN_SPELLINGS] = getattr(reader, "boolean_spellings", None) or {}
    comma = bool(getattr(reader, "decimal_comma", None))
    frame.attrs.update(decimal_comma=comma, sep=";" if comma else getattr(reader, "sep", None),  # a CSV of them as the table
                       encoding=getattr(reader, "encoding", None))
    return frame


def stored_values(reader: Reader, X: np.ndarray, whole: bool = True) -> np.ndarray:
    """Rows X (n, ...) as read into the model's units, in the units of the file they were read
    from: for a run on an integer .npy (read divided by `int_scale`, pixels / 255), times that
    scale and, with `whole`, rounded to the file's integer dtype within its range; else X as given.

    Parameters
    ----------
    reader : Reader
        The run's fitted reader.
    X : ndarray of shape (n, ...)
        Rows as the reader gives them, e.g. samples or reconstructions.
    whole : bool, default=True
        Round to integers; False for expected counts, which are means (float32).

    Returns
    -------
    ndarray of shape (n, ...)
        The rows in the file's units.
    """
    scale = getattr(reader, "int_scale", None)
    if scale is None:
        return X
    values = np.asarray(X, dtype=np.float64) * float(scale)
    if not whole:
        return values.astype(np.float32)
    dtype = np.dtype(getattr(reader, "int_dtype", None) or np.int64)
    info = np.iinfo(dtype)
    return np.clip(np.round(values), info.min, info.max).astype(dtype)
