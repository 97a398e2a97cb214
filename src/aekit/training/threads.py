"""How many torch threads a step is worth.

Intra-op threads pay off only when a step has enough arithmetic to split: a small table model
runs as fast on one thread, and much slower on two when another process is busy. The rule:
the work of one forward step is its rows times the module's multiply-adds per row (each Linear
layer's in x out, each convolution's weights times its output positions); below `WORK_CUTOFF`
a step gets 1 thread, from there on as many as torch has now (so `OMP_NUM_THREADS`, a torchrun
rank's share and a caller's `torch.set_num_threads` are ceilings the rule never raises).
The cutoff is measured by `benchmarks/threads.py`.
"""

from __future__ import annotations

import os
from contextlib import contextmanager

import torch
from torch import nn

__all__ = ["WORK_CUTOFF", "pick_threads", "threads_for", "work_per_row"]

WORK_CUTOFF = 40_000_000  # multiply-adds per forward step; measured by benchmarks/threads.py (BENCHMARKS.md)


def _conv_positions(module: nn.Module) -> dict[nn.Module, int]:
    """Output positions per image of each convolution in aekit's conv encoders and decoders."""
    from aekit.nn.conv import ConvDecoder, ConvEncoder

    positions: dict[nn.Module, int] = {}
    for m in module.modules():
        if isinstance(m, ConvEncoder):
            sizes = [m.sizes[i] if m.pool else m.sizes[i + 1] for i in range(len(m.stages))]
            stages = list(m.stages)
        elif isinstance(m, ConvDecoder):
            sizes = list(reversed(m.sizes[:-1]))
            stages = list(m.stages)
        else:
            continue
        for stage, (h, w) in zip([*stages, m.bottleneck], [*sizes, m.sizes[-1]]):
            for layer in stage.modules():
                if isinstance(layer, nn.modules.conv._ConvNd):
                    positions[layer] = h * w
    return positions


def work_per_row(module: nn.Module) -> int:
    """Multiply-adds of one forward pass per row: Linear in x out plus, for convolutions, weights
    times output positions (1 for a convolution outside aekit's conv encoders and decoders), and
    what a module reports through `multiply_adds_per_row()` (an ensemble's stacked layers).

    Parameters
    ----------
    module : nn.Module
        The module whose layers are counted.

    Returns
    -------
    work : int
    """
    positions = _conv_positions(module)
    work = 0
    for layer in module.modules():
        if isinstance(layer, nn.Linear):
            work += layer.in_features * layer.out_features
        elif isinstance(layer, nn.modules.conv._ConvNd):
            work += layer.weight.numel() * positions.get(layer, 1)
        elif hasattr(layer, "multiply_adds_per_row"):
            work += layer.multiply_adds_per_row()
    return work


def _ceiling() -> int:
    """Torch's current thread count, no more than OMP_NUM_THREADS when that is set."""
    current = torch.get_num_threads()
    try:
        omp = int(os.environ.get("OMP_NUM_THREADS", ""))
    except ValueError:
        omp = 0
    return max(1, min(current, omp) if omp >= 1 else current)


def pick_threads(module: nn.Module, rows: int, n_threads: int | str | None = "auto") -> int | None:
    """The thread count for steps of `rows` rows through `module`: an int `n_threads` as given,
    None for None (leave torch alone), and for 'auto' 1 below `WORK_CUTOFF` multiply-adds per
    step and torch's current count (capped by OMP_NUM_THREADS) from there on.

    Parameters
    ----------
    module : nn.Module
        The module the steps run through.
    rows : int
        Rows per step.
    n_threads : int, 'auto' or None, default='auto'
        The estimator's `n_threads` parameter.

    Returns
    -------
    n : int or None
    """
    if n_threads is None:
        return None
    if n_threads != "auto":
        return int(n_threads)
    if max(int(rows), 1) * work_per_row(module) < WORK_CUTOFF:
        return 1
    return _ceiling()


@contextmanager
def threads_for(module: nn.Module, rows: int, n_threads: int | str | None = "auto"):
    """Run the block with `pick_threads(module, rows, n_threads)` torch threads, restoring the
    caller's count on exit (also on an exception). Yields the count used (torch's current one
    for n_threads=None).

    Parameters
    ----------
    module : nn.Module
        The module the steps run through.
    rows : int
        Rows per step.
    n_threads : int, 'auto' or None, default='auto'
        As for `pick_threads`.

    Yields
    ------
    n : int
        The torch thread count in the block.
    """
    n = pick_threads(module, rows, n_threads)
    previous = torch.get_num_threads()
    if n is not None and n != previous:
        torch.set_num_threads(n)
    try:
        yield torch.get_num_threads()
    finally:
        if torch.get_num_threads() != previous:
            torch.set_num_threads(previous)
