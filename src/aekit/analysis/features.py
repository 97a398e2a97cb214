"""Reading a sparse code's units as features: which inputs activate each unit most, and how
often each unit fires (the dictionary-learning use of sparse autoencoders on activations)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from aekit.nn.sparse_codes import ACTIVE_THRESHOLD

__all__ = ["sparse_code_summary", "top_activating", "unit_frequencies"]


def unit_frequencies(Z: np.ndarray) -> np.ndarray:
    """Share of the rows of the codes Z (n_samples, n_units) on which each unit is active: (n_units,).

    Parameters
    ----------
    Z : array-like of shape (n_samples, n_units)
        Codes, as a sparse autoencoder's `transform` returns them.

    Returns
    -------
    frequencies : ndarray of shape (n_units,)
    """
    Z = _codes(Z)
    return (np.abs(Z) > ACTIVE_THRESHOLD).mean(axis=0)


def top_activating(Z: np.ndarray, n: int = 9, units: Sequence[int] | None = None) -> np.ndarray:
    """Row indices of the `n` rows with the largest value of each unit in the codes Z
    (n_samples, n_units), largest first: (len(units), n). `units` defaults to every unit; a
    unit active on fewer than n rows lists its most active rows and then the next largest.

    Parameters
    ----------
    Z : array-like of shape (n_samples, n_units)
        Codes, as a sparse autoencoder's `transform` returns them.
    n : int, default=9
        Rows per unit, in [1, n_samples].
    units : sequence of int or None, default=None
        Indices of the units; None is every unit.

    Returns
    -------
    rows : ndarray of shape (len(units), n)
        Row indices into Z.
    """
    Z = _codes(Z)
    units = np.arange(Z.shape[1]) if units is None else np.asarray(units)
    if units.ndim != 1 or not np.issubdtype(units.dtype, np.integer) or ((units < 0) | (units >= Z.shape[1])).any():
        raise ValueError(f"units must be indices of code units in [0, {Z.shape[1]}), got {units.tolist()!r}")
    if not (isinstance(n, int) and 1 <= n <= Z.shape[0]):
        raise ValueError(f"n must be an integer in [1, {Z.shape[0]}] (the number of rows), got {n!r}")
    columns = Z[:, units].T  # (len(units), n_samples)
    best = np.argpartition(-columns, n - 1, axis=1)[:, :n]
    order = np.argsort(-np.take_along_axis(columns, best, axis=1), axis=1, kind="stable")
    return np.take_along_axis(best, order, axis=1)


def sparse_code_summary(est, Z: np.ndarray) -> str:
    """One paragraph on a fitted sparse autoencoder's code: active units per row of Z and dead
    units on these rows, the last training epoch's `l0` and dead units (from `dead_fraction`), and
    the fitted model's dead units on the training rows (`dead_units_`), each count out of the units.

    Parameters
    ----------
    est : fitted estimator
        The sparse autoencoder (its `history_` and `dead_units_` are read when present).
    Z : array-like of shape (n_samples, n_units)
        Codes, as a sparse autoencoder's `transform` returns them.

    Returns
    -------
    summary : str
    """
    Z = _codes(Z)
    active = np.abs(Z) > ACTIVE_THRESHOLD
    n_units = Z.shape[1]
    text = (
        f"The code is sparse: on {len(Z)} held-out rows a row has {active.sum(axis=1).mean():.2f} of its {n_units} "
        f"units active on average, and {int((~active.any(axis=0)).sum())} units are active on none."
    )
    history = getattr(est, "history_", {})
    if history.get("l0"):
        text += (
            f" During the last training epoch (history_), in training mode and with the weights still changing from "
            f"batch to batch: {history['l0'][-1]:.2f} active units per row, and "
            f"{round(history['dead_fraction'][-1] * n_units)} of the {n_units} units active on none of its rows."
        )
    if hasattr(est, "dead_units_"):
        text += (
            f" The fitted model, run once more over the training rows after training (dead_units_): "
            f"{len(est.dead_units_)} of the {n_units} units active on none of them."
        )
    return text


def _codes(Z) -> np.ndarray:
    Z = np.asarray(Z)
    if Z.ndim != 2 or 0 in Z.shape:
        raise ValueError(f"Z must be a non-empty 2-D array of codes (n_samples, n_units), got shape {Z.shape}")
    return Z
