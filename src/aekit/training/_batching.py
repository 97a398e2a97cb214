"""Mini-batches for one epoch: from tensors in memory (one permutation, one `index_select` of
whole rows per batch, about 3x faster than advanced indexing `X[idx]` at 256 x 784), from a
scipy.sparse matrix (the same permutation, each batch's rows densified on their own), or
streamed from a `DataSource` (shuffled chunks, shuffled rows within a chunk).

Both draw their shuffles from the training generator, so a seeded fit is repeatable and a
resumed one continues the same sequence. Under data-parallel training every rank draws the
same permutation and takes its slice of each global batch.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch

from aekit.data._sources import DEFAULT_CHUNK_ROWS, DataSource


def _shard(idx: torch.Tensor, rank: int, world: int) -> torch.Tensor:
    return idx if world == 1 else idx.tensor_split(world)[rank]


class TensorBatches:
    """Batches of in-memory tensors X (n, d) and optional targets Y (n, d_out)."""

    def __init__(self, X: torch.Tensor, Y: torch.Tensor | None, batch_size: int, rank: int = 0, world: int = 1):
        self.X, self.Y = X, Y
        self.n_rows = X.shape[0]
        self.batch_size = min(batch_size, self.n_rows)
        self.rank, self.world = rank, world

    def epoch(self, generator: torch.Generator) -> Iterator[tuple[torch.Tensor, torch.Tensor | None]]:
        order = torch.randperm(self.n_rows, generator=generator, device=self.X.device)
        for start in range(0, self.n_rows, self.batch_size):
            idx = _shard(order[start : start + self.batch_size], self.rank, self.world)
            yield self.X.index_select(0, idx), None if self.Y is None else self.Y.index_select(0, idx)


class SparseBatches:
    """Batches of a scipy.sparse CSR matrix X (n, d) and optional target tensor Y (n, d_out):
    the row order `TensorBatches` would draw, each batch densified to float32 alone, so memory
    holds one dense batch and the fit equals the dense one."""

    def __init__(self, X, Y: torch.Tensor | None, batch_size: int, device: torch.device, rank: int = 0, world: int = 1):
        self.X, self.Y, self.device = X, Y, device
        self.n_rows = X.shape[0]
        self.batch_size = min(batch_size, self.n_rows)
        self.rank, self.world = rank, world

    def epoch(self, generator: torch.Generator) -> Iterator[tuple[torch.Tensor, torch.Tensor | None]]:
        order = torch.randperm(self.n_rows, generator=generator, device=generator.device)
        for start in range(0, self.n_rows, self.batch_size):
            idx = _shard(order[start : start + self.batch_size], self.rank, self.world)
            rows = self.X[idx.cpu().numpy()].toarray().astype(np.float32, copy=False)
            x = torch.from_numpy(rows).to(self.device)
            yield x, None if self.Y is None else self.Y.index_select(0, idx.to(self.Y.device))


class StreamBatches:
    """Batches streamed from `source`: each epoch visits the chunks in a random order and the
    rows of each chunk in a random order; memory holds one chunk at a time."""

    def __init__(
        self,
        source: DataSource,
        batch_size: int,
        device: torch.device,
        chunk_rows: int = DEFAULT_CHUNK_ROWS,
        rank: int = 0,
        world: int = 1,
    ):
        self.source, self.device = source, device
        self.ranges = source.chunks(max(chunk_rows, batch_size))
        self.n_rows = sum(b - a for a, b in self.ranges)
        self.batch_size = min(batch_size, self.n_rows)
        self.rank, self.world = rank, world

    def epoch(self, generator: torch.Generator) -> Iterator[tuple[torch.Tensor, None]]:
        chunk_order = torch.randperm(len(self.ranges), generator=generator, device=generator.device).tolist()
        for c in chunk_order:
            start, stop = self.ranges[c]
            block = torch.from_numpy(self.source.read(start, stop))
            if self.device.type != "cpu":
                block = block.pin_memory().to(self.device, non_blocking=True)
            order = torch.randperm(stop - start, generator=generator, device=generator.device).to(self.device)
            for s in range(0, stop - start, self.batch_size):
                yield block.index_select(0, _shard(order[s : s + self.batch_size], self.rank, self.world)), None
