"""scipy.sparse input (bag-of-words counts and other wide, mostly-zero tables): the matrix stays
sparse in memory and is densified a block of rows at a time, never whole, so a table whose dense
form would not fit trains and transforms in bounded memory."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import scipy.sparse as sp

__all__ = ["DENSE_BLOCK_VALUES", "block_rows", "dense_blocks", "dense_rows", "is_sparse", "vstack_rows"]

DENSE_BLOCK_VALUES = 1 << 23  # values in one densified block (32 MB of float32)


def is_sparse(X) -> bool:
    """True for a scipy.sparse matrix or array."""
    return sp.issparse(X)


def block_rows(n_features: int, cap: int) -> int:
    """Rows per densified block: at most `cap`, and few enough that the block holds at most
    `DENSE_BLOCK_VALUES` values (at least one row)."""
    return max(1, min(int(cap), DENSE_BLOCK_VALUES // max(int(n_features), 1)))


def dense_rows(X, start: int, stop: int, dtype=None) -> np.ndarray:
    """Rows [start, stop) of sparse X as a dense C-ordered array (stop - start, n_features)."""
    block = X[start:stop].toarray()
    return block if dtype is None else block.astype(dtype, copy=False)


def dense_blocks(X, cap: int) -> Iterator[tuple[int, np.ndarray]]:
    """(first row, dense rows) of sparse X, block by block (`block_rows` rows each)."""
    rows = block_rows(X.shape[1], cap)
    for start in range(0, X.shape[0], rows):
        yield start, dense_rows(X, start, min(start + rows, X.shape[0]))


def vstack_rows(A, B):
    """The rows of A then B: a CSR matrix when either is sparse, else a dense array."""
    if not (is_sparse(A) or is_sparse(B)):
        return np.concatenate([A, B])
    return sp.vstack([sp.csr_matrix(A), sp.csr_matrix(B)], format="csr")
