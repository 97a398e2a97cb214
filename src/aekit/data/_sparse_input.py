"""scipy.sparse input (bag-of-words counts and other wide, mostly-zero tables): the matrix stays
sparse in memory and is densified a block of rows at a time, never whole, so a table whose dense
form would not fit trains and transforms in bounded memory."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import scipy.sparse as sp

__all__ = ["DENSE_BLOCK_VALUES", "dense_blocks", "is_sparse", "vstack_rows"]

DENSE_BLOCK_VALUES = 1 << 21  # values in one densified block (8 MB of float32)


def is_sparse(X) -> bool:
    """True for a scipy.sparse matrix or array."""
    return sp.issparse(X)


def dense_blocks(X, cap: int) -> Iterator[tuple[int, np.ndarray]]:
    """(first row, dense C-ordered rows) of sparse X (n, d), block by block: at most `cap` rows,
    and few enough that a block holds at most `DENSE_BLOCK_VALUES` values (at least one row)."""
    rows = max(1, min(int(cap), DENSE_BLOCK_VALUES // max(int(X.shape[1]), 1)))
    for start in range(0, X.shape[0], rows):
        yield start, X[start : start + rows].toarray()


def vstack_rows(A, B):
    """The rows of A then B: a CSR matrix when either is sparse, else a dense array."""
    if not (is_sparse(A) or is_sparse(B)):
        return np.concatenate([A, B])
    return sp.vstack([sp.csr_matrix(A), sp.csr_matrix(B)], format="csr")
