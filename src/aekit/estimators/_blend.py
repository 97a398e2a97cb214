"""Blending the autoencoder's imputations of numeric columns with a scikit-learn iterative
imputer's (`AutoEncoderImputer(blend=...)`): the two make different errors, and a per-column
weight chosen on observed entries held out of both fits keeps the better one where one is
better and their mean where they are alike."""

from __future__ import annotations

import numpy as np

HOLDOUT_SHARE = 0.1  # of the observed numeric entries, hidden from both fits to choose the weights
MIN_HOLDOUT = 10  # a column with fewer held-out entries takes the weight chosen over all columns
WEIGHTS = np.linspace(0.0, 1.0, 11)  # the autoencoder's candidate shares
PARTNER_TREES = 30
KINDS = ("linear", "trees")
AUTO_MAX_NUMERIC = 100  # 'auto' blends with trees up to this many numeric columns; wider data (pixels) go without
AUTO_MAX_CELLS = 60_000  # ... and up to this many rows x numeric columns: the trees partner keeps ~35 KB per cell


def resolve_blend(blend: str | None, n_numeric: int, n_rows: int) -> str | None:
    """The partner kind `blend` means for a table of `n_rows` rows with `n_numeric` numeric
    columns: 'auto' is 'trees' for 2..AUTO_MAX_NUMERIC numeric columns and at most
    AUTO_MAX_CELLS rows x numeric columns, None otherwise. Why the bounds: the partner fits 30
    trees per column per round and keeps all of them, about 35 KB per row and numeric column
    (345 MB for 1,000 x 10 random rows, 692 MB for 2,000 x 10), so its time grows with the width
    and its memory with the table; past the cap (about 2 GB) the autoencoder imputes alone.
    Other values are returned as given."""
    if blend != "auto":
        return blend
    return "trees" if 2 <= n_numeric <= AUTO_MAX_NUMERIC and n_rows * n_numeric <= AUTO_MAX_CELLS else None


def check_kind(value) -> str | None:
    """A saved `blend_`: None or one of KINDS."""
    if value is not None and value not in KINDS:
        raise ValueError(f"must be null or one of {list(KINDS)}, got {value!r}")
    return value


def make_partner(kind: str, seed: int):
    """The scikit-learn imputer `blend` names: 'linear' = IterativeImputer with BayesianRidge
    (20 rounds), 'trees' = missForest-style IterativeImputer with extremely randomised trees."""
    from sklearn.experimental import enable_iterative_imputer  # noqa: F401
    from sklearn.impute import IterativeImputer

    if kind == "linear":
        return IterativeImputer(max_iter=20, keep_empty_features=True, random_state=seed)
    from sklearn.ensemble import ExtraTreesRegressor

    trees = ExtraTreesRegressor(n_estimators=PARTNER_TREES, max_features="sqrt", random_state=seed)
    return IterativeImputer(estimator=trees, max_iter=10, keep_empty_features=True, random_state=seed)


def draw_holdout(observed: np.ndarray, seed: int) -> np.ndarray:
    """(n, d) bool: HOLDOUT_SHARE of the `observed` (n, d) entries, never a row's last one."""
    rng = np.random.default_rng(seed)
    held = observed & (rng.random(observed.shape) < HOLDOUT_SHARE)
    emptied = ~(observed & ~held).any(axis=1)
    held[emptied] = False
    return held


def choose_weights(ours: np.ndarray, theirs: np.ndarray, truth: np.ndarray, held: np.ndarray) -> np.ndarray:
    """Per column, the share w in WEIGHTS of `ours` in w * ours + (1 - w) * theirs with the
    lowest squared error on the `held` entries; all (n, d), returns (d,)."""
    errors = np.stack([np.where(held, (w * ours + (1 - w) * theirs - truth) ** 2, 0.0).sum(axis=0) for w in WEIGHTS])  # (weights, d)
    counts = held.sum(axis=0)
    overall = WEIGHTS[np.argmin(errors.sum(axis=1))]
    return np.where(counts >= MIN_HOLDOUT, WEIGHTS[np.argmin(errors, axis=0)], overall)
