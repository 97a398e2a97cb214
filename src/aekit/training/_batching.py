"""The one adapter over the input kinds (a tensor or array in memory, a scipy.sparse matrix, a
`DataSource` streamed from disk): `batches_for` gives an epoch's mini-batches, `row_blocks`
bounded blocks of rows for inference and `first_rows` a first block as a tensor, so the loop and
the estimators never ask which kind they hold; `split_rows` holds out validation rows of any kind.

Mini-batches for one epoch: from tensors in memory (one permutation, one `index_select` of
whole rows per batch, about 3x faster than advanced indexing `X[idx]` at 256 x 784), from a
scipy.sparse matrix (the same permutation, each batch's rows densified on their own), or
streamed from a `DataSource` (shuffled chunks, shuffled rows within a chunk).

Both draw their shuffles from the training generator, so a seeded fit is repeatable and a
resumed one continues the same sequence. Under data-parallel training every rank draws the
same permutation and takes its slice of each global batch.

A module with batch-norm layers needs at least two rows in every process's share of a batch
(`min_batch_rows`): a short trailing batch joins the one before it, and too few rows are refused.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch

from aekit.data._sources import DEFAULT_CHUNK_ROWS, DataSource
from aekit.data._sparse_input import dense_blocks, is_sparse

MAX_STREAM_VALIDATION_ROWS = 65536  # held-out rows read into memory when X streams from disk


def min_batch_rows(module: torch.nn.Module, world: int = 1) -> int:
    """The fewest rows a training batch of `module` may hold: two per process with batch-norm layers
    (one row gives them no batch statistics), else one."""
    return 2 * world if any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in module.modules()) else 1


def check_batch_rows(n_rows: int, batch_size: int, min_rows: int, world: int = 1) -> None:
    """Refuse training rows or a batch size below `min_rows` (see `min_batch_rows`).

    Parameters
    ----------
    n_rows : int
        The training rows.
    batch_size : int
        The rows of a mini-batch, over all processes.
    min_rows : int
        The fewest rows a batch may hold.
    world : int, default=1
        The number of processes a batch is shared between.
    """
    if min_rows <= 1:
        return
    per = f" ({min_rows // world} per process, {world} processes)" if world > 1 else ""
    if n_rows < min_rows:
        raise ValueError(
            f"batch_norm=True needs at least {min_rows} training rows{per}, but there {'is' if n_rows == 1 else 'are'} "
            f"{n_rows}: batch norm has no batch statistics of one row. Give more rows, or set batch_norm=False"
        )
    if batch_size < min_rows:
        raise ValueError(
            f"batch_norm=True needs batches of at least {min_rows} rows{per}, but batch_size={batch_size}: batch norm has "
            "no batch statistics of one row. Raise batch_size, or set batch_norm=False"
        )


def _spans(n_rows: int, batch_size: int, min_rows: int) -> list[tuple[int, int]]:
    """(start, stop) of each batch over n_rows rows; a trailing batch shorter than min_rows joins the one before."""
    starts = list(range(0, n_rows, batch_size))
    if len(starts) > 1 and n_rows - starts[-1] < min_rows:
        starts.pop()
    return list(zip(starts, [*starts[1:], n_rows]))


def _fold_short_chunks(ranges: list[tuple[int, int]], min_rows: int) -> list[tuple[int, int]]:
    """Consecutive row ranges with every one shorter than min_rows joined to its neighbour (the one
    before it, or after it for the first), so no chunk yields a batch of fewer rows."""
    out: list[tuple[int, int]] = []
    for start, stop in ranges:
        if out and (stop - start < min_rows or out[-1][1] - out[-1][0] < min_rows):
            out[-1] = (out[-1][0], stop)
        else:
            out.append((start, stop))
    return out


def _shard(idx: torch.Tensor, rank: int, world: int) -> torch.Tensor:
    return idx if world == 1 else idx.tensor_split(world)[rank]


class MemoryBatches:
    """Batches of rows in memory, X (n, d) a tensor or a scipy.sparse CSR matrix, with optional
    target tensor Y (n, d_out); a sparse batch is densified to float32 alone, in the row order
    a tensor would give, so memory holds one dense batch and the fit equals the dense one. A
    trailing batch of fewer than `min_rows` rows joins the one before."""

    def __init__(
        self, X, Y: torch.Tensor | None, batch_size: int, device: torch.device, rank: int = 0, world: int = 1, min_rows: int = 1
    ):
        self.X, self.Y, self.device = X, Y, device
        self.n_rows = X.shape[0]
        self.batch_size = min(batch_size, self.n_rows)
        self.rank, self.world, self.min_rows = rank, world, min_rows

    def _rows(self, idx: torch.Tensor) -> torch.Tensor:
        if isinstance(self.X, torch.Tensor):
            return self.X.index_select(0, idx)
        return torch.from_numpy(self.X[idx.cpu().numpy()].toarray().astype(np.float32, copy=False)).to(self.device)

    def epoch(self, generator: torch.Generator) -> Iterator[tuple[torch.Tensor, torch.Tensor | None]]:
        order = torch.randperm(self.n_rows, generator=generator, device=generator.device)
        for start, stop in _spans(self.n_rows, self.batch_size, self.min_rows):
            idx = _shard(order[start:stop], self.rank, self.world)
            yield self._rows(idx), None if self.Y is None else self.Y.index_select(0, idx.to(self.Y.device))


class StreamBatches:
    """Batches streamed from `source`: each epoch visits the chunks in a random order and the
    rows of each chunk in a random order; memory holds one chunk at a time. A chunk of fewer
    than `min_rows` rows joins its neighbour, and a chunk's trailing batch of fewer than
    `min_rows` rows joins the one before."""

    def __init__(
        self,
        source: DataSource,
        batch_size: int,
        device: torch.device,
        chunk_rows: int = DEFAULT_CHUNK_ROWS,
        rank: int = 0,
        world: int = 1,
        min_rows: int = 1,
    ):
        self.source, self.device = source, device
        self.ranges = _fold_short_chunks(source.chunks(max(chunk_rows, batch_size)), min_rows)
        self.n_rows = sum(b - a for a, b in self.ranges)
        self.batch_size = min(batch_size, self.n_rows)
        self.rank, self.world, self.min_rows = rank, world, min_rows

    def epoch(self, generator: torch.Generator) -> Iterator[tuple[torch.Tensor, None]]:
        chunk_order = torch.randperm(len(self.ranges), generator=generator, device=generator.device).tolist()
        for c in chunk_order:
            start, stop = self.ranges[c]
            block = torch.from_numpy(self.source.read(start, stop))
            if self.device.type != "cpu":
                block = block.pin_memory().to(self.device, non_blocking=True)
            order = torch.randperm(stop - start, generator=generator, device=generator.device).to(self.device)
            for a, b in _spans(stop - start, self.batch_size, self.min_rows):
                yield block.index_select(0, _shard(order[a:b], self.rank, self.world)), None


def batches_for(
    X, Y: torch.Tensor | None, batch_size: int, device: torch.device, rank: int = 0, world: int = 1, min_rows: int = 1
):
    """The epoch batches of X (n, d) with targets Y (n, d_out) or None, whatever X's kind; a
    trailing batch of fewer than `min_rows` rows joins the one before."""
    if isinstance(X, DataSource):
        if Y is not None:
            raise ValueError("Y: targets are not supported for data streamed from disk")
        return StreamBatches(X, batch_size, device, rank=rank, world=world, min_rows=min_rows)
    return MemoryBatches(X, Y, batch_size, device, rank=rank, world=world, min_rows=min_rows)


def row_blocks(X, rows: int, dtype=np.float32) -> Iterator:
    """(first row, block) over X (n, d) in blocks of at most `rows` rows: slices of a tensor or
    array, densified rows of a scipy.sparse matrix (fewer when X is wide, so a block stays
    bounded), chunks read from a `DataSource` as `dtype`."""
    if isinstance(X, DataSource):
        return ((start, X.read(start, stop, dtype)) for start, stop in X.chunks(rows))
    if is_sparse(X):
        return dense_blocks(X, rows)
    return ((start, X[start : start + rows]) for start in range(0, X.shape[0], rows))


def first_rows(X, device: torch.device, n: int = 4096) -> torch.Tensor:
    """Up to n first rows of X (any kind) as a tensor on `device`; fewer for a wide sparse X."""
    return torch.as_tensor(next(iter(row_blocks(X, n)))[1], device=device)


def _as_tensor(A: np.ndarray, device: torch.device) -> torch.Tensor:
    """Floats as float32, integers (class indices) as int64, on `device`."""
    dtype = torch.int64 if np.asarray(A).dtype.kind in "iub" else torch.float32
    return torch.tensor(np.ascontiguousarray(A), dtype=dtype, device=device)


def split_rows(X, Y, fraction: float, seed: int, device: torch.device):
    """(X_train, X_val, Y_train, Y_val) as tensors on `device`, a random `fraction` of the rows
    held out (none when that leaves no row on either side). A scipy.sparse X stays sparse (the
    same rows held out as for its dense form). A streamed `DataSource` X keeps its
    first rows for training (still a `DataSource`) and holds out its last ones, at most
    `MAX_STREAM_VALIDATION_ROWS`."""
    n = X.shape[0]
    n_val = int(round(fraction * n))
    if isinstance(X, DataSource):
        n_val = min(n_val, MAX_STREAM_VALIDATION_ROWS)
        if not 0 < n_val < n:
            return X, None, None, None
        return X.head(n - n_val), torch.from_numpy(X.read(n - n_val, n)).to(device), None, None
    X_all = X.astype(np.float32) if is_sparse(X) else _as_tensor(X, device)
    Y_all = None if Y is None else _as_tensor(Y, device)
    if not 0 < n_val < n:
        return X_all, None, Y_all, None
    order = np.random.RandomState(seed).permutation(n)

    def take(A, rows: np.ndarray):
        return None if A is None else A[rows if is_sparse(A) else torch.as_tensor(rows, device=device)]

    return take(X_all, order[n_val:]), take(X_all, order[:n_val]), take(Y_all, order[n_val:]), take(Y_all, order[:n_val])
