"""What the estimators need to know about sparse codes: the sparsity kinds, their parameter
checks, and which code units a set of codes never uses."""

from __future__ import annotations

import numpy as np

from aekit.nn.sparse_codes import ACTIVE_THRESHOLD

__all__ = ["SPARSITY_KINDS", "TOPK_KINDS", "check_sparse_params", "dead_units", "unit_indices"]

TOPK_KINDS = ("topk", "batch_topk")
SPARSITY_KINDS = ("l1", "kl", *TOPK_KINDS)


def check_sparse_params(est) -> None:
    """Refuse a TopK code that cannot work: k above latent_dim, or a code activation that would
    turn the zeros of the unselected units into something else; and a sparsity setting that
    would be silently without effect: k without a TopK kind, the KL kind with no weight."""
    if est.sparsity_kind not in TOPK_KINDS:
        if est.k is not None:
            raise ValueError(f"k={est.k} is the number of active units of a TopK code, but sparsity_kind="
                             f"{est.sparsity_kind!r} keeps every unit: set sparsity_kind='topk' or 'batch_topk', or leave k=None")
        if est.sparsity_kind == "kl" and est.sparsity == 0:
            raise ValueError("sparsity_kind='kl' weighs its penalty by sparsity, which is 0 (no penalty at all): "
                             "set sparsity > 0 (e.g. sparsity=0.1), or leave sparsity_kind='l1'")
        return
    if est.k is not None and est.k > est.latent_dim:
        raise ValueError(f"k={est.k} is larger than latent_dim={est.latent_dim}; a TopK code keeps at most latent_dim units")
    if est.latent_activation not in (None, "linear", "relu"):
        raise ValueError(
            f"sparsity_kind={est.sparsity_kind!r} needs latent_activation None (the k kept values as they are) or "
            f"'relu' (at most k positive values), got {est.latent_activation!r}"
        )


def dead_units(Z: np.ndarray) -> np.ndarray:
    """Indices of the code units (columns of Z, (n_samples, latent_dim)) active on no row."""
    return np.flatnonzero(~(np.abs(Z) > ACTIVE_THRESHOLD).any(axis=0)).astype(np.int64)


def unit_indices(value) -> np.ndarray:
    """A saved list of code-unit indices, checked: (n,) int64."""
    out = np.asarray(value, dtype=np.int64)
    if out.ndim != 1 or (out < 0).any() or not np.array_equal(out, np.asarray(value, dtype=float)):
        raise ValueError("must be a list of non-negative integers")
    return out
