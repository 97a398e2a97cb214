"""Seed torch's global generator from the training generator for an epoch of a module with dropout.

`nn.Dropout` draws its masks from torch's global generator, not from the seeded `torch.Generator`
the loop shuffles and corrupts with, so two fits of one seeded model with dropout differed (and
depended on whatever else had drawn from the global generator). For such a module each epoch
runs with the global generator seeded from one draw of the training generator and restored
after: a seeded fit repeats, a fit resumed from a checkpoint (which keeps the training
generator's state) continues the same masks, and the caller's global generator is left as it was.
Modules without dropout draw nothing more, so their fits are unchanged.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch
from torch import nn

__all__ = ["dropout_seeded"]


def _has_dropout(module: nn.Module) -> bool:
    return any(isinstance(m, nn.modules.dropout._DropoutNd) and m.p > 0 for m in module.modules())


@contextlib.contextmanager
def dropout_seeded(module: nn.Module, generator: torch.Generator, device: torch.device) -> Iterator[None]:
    """Within the block, torch's global generator is seeded from `generator` when `module` has
    dropout layers, and restored on leaving; otherwise nothing changes.

    Parameters
    ----------
    module : nn.Module
        The module being trained.
    generator : torch.Generator
        The training generator; one number is drawn from it when `module` has dropout.
    device : torch.device
        The module's device, whose generator is restored too when it is a CUDA device.
    """
    if not _has_dropout(module):
        yield
        return
    seed = int(torch.randint(2**62, (1,), generator=generator, device=generator.device).item())
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        torch.manual_seed(seed)
        yield
