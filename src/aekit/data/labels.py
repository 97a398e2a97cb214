"""Labels with gaps, as a target column with missing entries gives them: which rows have no
label (NaN in a numeric target, None or NaN in a text one), and text labels with the missing
ones named NO_LABEL, so that they sort and compare as classes."""

from __future__ import annotations

import numpy as np

__all__ = ["NO_LABEL", "missing_labels", "named_labels"]

NO_LABEL = "no label"


def missing_labels(labels) -> np.ndarray:
    """Which of `labels` (n,) are missing: NaN in a float array, None or NaN in an object array;
    none in any other.

    Parameters
    ----------
    labels : array-like of shape (n,)
        The labels.
    """
    import pandas as pd

    labels = np.asarray(labels)
    if labels.dtype.kind in "fO":
        return np.asarray(pd.isna(labels), dtype=bool)
    return np.zeros(len(labels), dtype=bool)


def named_labels(labels) -> np.ndarray:
    """`labels` (n,) as an array; text labels with missing ones as strings, the missing ones
    NO_LABEL; others as they are.

    Parameters
    ----------
    labels : array-like of shape (n,)
        The labels.
    """
    labels = np.asarray(labels)
    if labels.dtype.kind == "O" and labels.ndim == 1:
        missing = missing_labels(labels)
        if missing.any():
            return np.where(missing, NO_LABEL, labels.astype(str))
    return labels
