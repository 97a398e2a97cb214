"""Masks given by the user (which entries to fill or to score) read as booleans, refusing any
value other than True/False or 0/1 rather than reading every non-zero value as True."""

from __future__ import annotations

import numpy as np

__all__ = ["boolean_mask"]


def boolean_mask(mask, name: str = "mask") -> np.ndarray:
    """`mask` as a bool array of its own shape, if its values are booleans or 0 and 1.

    Parameters
    ----------
    mask : array-like
        The mask, of booleans or of the numbers 0 and 1.
    name : str, default="mask"
        The argument's name, for the error message.

    Returns
    -------
    mask : ndarray of bool
        The same shape as the given mask.
    """
    values = np.asarray(mask)
    if values.dtype.kind == "b":
        return values
    if values.dtype.kind in "iuf":
        other = values[(values != 0) & (values != 1)]
        if other.size == 0:
            return values.astype(bool)
        raise ValueError(f"{name} must hold booleans or 0/1, got the value {other.flat[0].item()!r} ({other.size} entries "
                         f"neither 0 nor 1); for a threshold pass e.g. {name} > 0.5")
    raise ValueError(f"{name} must hold booleans or 0/1, got values of dtype {values.dtype}")
