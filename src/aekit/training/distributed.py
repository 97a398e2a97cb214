"""Data-parallel training with `torch.distributed`, as launched by `torchrun`.

aekit adds no parallelism of its own: `init_from_env` joins the process group that torchrun
describes in the environment (gloo on CPU, NCCL on GPUs), `train` wraps the module in
`DistributedDataParallel`, and each rank takes its slice of every global batch. Only rank 0
logs, checkpoints and writes files. Collectives time out (`AEKIT_DIST_TIMEOUT` seconds, default
300), so a rank that dies makes the others fail instead of hanging.
"""

from __future__ import annotations

import atexit
import gc
import math
import os
from datetime import timedelta

import torch
import torch.distributed as dist

__all__ = [
    "exit_launched", "init_from_env", "is_launched", "is_main", "leave", "rank", "wait_for_all", "world_size", "wrap",
]

DEFAULT_TIMEOUT = 300.0
_joined = False  # whether init_from_env joined a process group in this process


def is_launched() -> bool:
    """True when torchrun (or another launcher) started this process as one of several ranks."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def _timeout() -> float:
    """The collectives' timeout in seconds: `$AEKIT_DIST_TIMEOUT`, else DEFAULT_TIMEOUT; ValueError naming
    the variable for anything but a finite number > 0."""
    text = os.environ.get("AEKIT_DIST_TIMEOUT", "").strip()
    if not text:
        return DEFAULT_TIMEOUT
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise ValueError(f"AEKIT_DIST_TIMEOUT must be the collectives' timeout in seconds, a number > 0 (default "
                         f"{DEFAULT_TIMEOUT:g}), got {text!r}")
    return seconds


def init_from_env(device: str | torch.device = "cpu") -> bool:
    """Join the process group described by torchrun's environment variables, if any.

    Returns True when this process is now one rank of several. The backend is NCCL for a CUDA
    device and gloo otherwise; each rank uses `cores // local ranks` torch threads.

    Parameters
    ----------
    device : str or torch.device, default='cpu'
        The device this rank trains on (picks the backend).
    """
    if not is_launched() or dist.is_initialized():
        return dist.is_initialized()
    device = torch.device(device)
    backend = "nccl" if device.type == "cuda" else "gloo"
    timeout = _timeout()
    if device.type == "cuda":
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    dist.init_process_group(backend=backend, timeout=timedelta(seconds=timeout))
    global _joined
    _joined = True
    atexit.register(leave)
    local_ranks = int(os.environ.get("LOCAL_WORLD_SIZE", dist.get_world_size()))
    torch.set_num_threads(max(1, (os.cpu_count() or 1) // local_ranks))
    return True


def leave() -> None:
    """Destroy the process group, so its communication threads stop before the interpreter exits.

    `aekit train` calls it on every rank, errors included; `init_from_env` also registers it at
    exit. The threads stop only when nothing else holds the group, which DDP does: see
    `exit_launched`.
    """
    if dist.is_initialized():
        dist.destroy_process_group()
        gc.collect()  # the group's threads stop when its last reference goes (not while a DDP module holds it)


def exit_launched(status: int) -> None:
    """Leave the process group and end this process now, with `status`, without the interpreter's
    teardown (no-op unless `init_from_env` joined a group here). Call it once every file is written.

    A gloo worker thread releases a finished collective's tensors after the caller has its result,
    and that needs the GIL. When the group outlives `leave` (DistributedDataParallel keeps it) and
    the rank is slow (a loaded machine), the interpreter can start finalizing first: it kills the
    thread that asks for the GIL, and the C++ runtime aborts the rank ("terminate called without an
    active exception", SIGABRT), failing the whole run although every file was written.

    Parameters
    ----------
    status : int
        The process's exit status.
    """
    if not _joined:
        return
    import sys

    leave()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(status if isinstance(status, int) else 1)


def wait_for_all() -> None:
    """Block until every rank gets here (no-op when not distributed), so no rank exits, and
    tears down its communication threads, while another still writes its files."""
    if dist.is_initialized():
        dist.barrier()


def rank() -> int:
    """This process's rank (0 when not distributed)."""
    return dist.get_rank() if dist.is_initialized() else 0


def world_size() -> int:
    """Number of ranks (1 when not distributed)."""
    return dist.get_world_size() if dist.is_initialized() else 1


def is_main() -> bool:
    """True on the rank that logs, checkpoints and writes files."""
    return rank() == 0


def sum_across_ranks(value: torch.Tensor, world: int | None = None) -> torch.Tensor:
    """`value` summed over every rank (unchanged when not distributed, or when `world` is 1:
    a fit that was not asked to train data-parallel)."""
    if (world_size() if world is None else world) > 1:
        value = value.clone()
        dist.all_reduce(value, op=dist.ReduceOp.SUM)
    return value


def any_rank(flag: bool, world: int | None = None) -> bool:
    """True when `flag` is True on any rank, so every rank takes the same decision (stop or not)."""
    if (world_size() if world is None else world) == 1:
        return flag
    return bool(sum_across_ranks(torch.tensor([int(flag)])).item())


def wrap(module: torch.nn.Module) -> torch.nn.Module:
    """`module` in DistributedDataParallel when distributed, else `module` itself.

    Parameters
    ----------
    module : torch.nn.Module
        The module, on its device.

    Returns
    -------
    model : torch.nn.Module
    """
    if world_size() == 1:
        return module
    device = next(module.parameters()).device
    device_ids = [device.index] if device.type == "cuda" else None
    return torch.nn.parallel.DistributedDataParallel(module, device_ids=device_ids)
