"""Fault injection for tests/test_faults.py and `benchmarks/reliability.py --faults`:
`aekit train` runs in a child process that is killed with SIGKILL at a random point, or
half-way through writing a checkpoint, and is then resumed; its final weights are compared
with those of an uninterrupted run.

POSIX only (signals, and /proc for the half-written checkpoint).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file

from aekit.training.checkpoint import read_checkpoint
from aekit.saving.persistence import WEIGHTS_FILE

__all__ = [
    "final_weights",
    "kill_at_random_point",
    "kill_during_checkpoint_write",
    "run_aekit",
    "training_args",
    "weight_difference",
]

AEKIT = "import sys; from aekit.cli import main; sys.exit(main())"

# Wraps os.fdopen so that the `at`-th checkpoint written (found by the temporary file's name in
# /proc/self/fd) gets half its bytes, flushed to disk, before the process SIGKILLs itself.
HALF_WRITE = """\
import os, signal, sys
from aekit.cli import main

at, seen, real_fdopen = int(sys.argv.pop(1)), 0, os.fdopen


class HalfWrite:
    def __init__(self, file):
        self.file = file

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return self.file.__exit__(*exc)

    def write(self, data):
        self.file.write(data[: len(data) // 2])
        self.file.flush()
        os.fsync(self.file.fileno())
        os.kill(os.getpid(), signal.SIGKILL)


def fdopen(fd, *args, **kwargs):
    global seen
    file = real_fdopen(fd, *args, **kwargs)
    if ".checkpoint.safetensors." in os.readlink(f"/proc/self/fd/{fd}"):
        seen += 1
        if seen == at:
            return HalfWrite(file)
    return file


os.fdopen = fdopen
sys.exit(main())
"""


def training_args(out: str | os.PathLike, epochs: int, seed: int = 1) -> list[str]:
    """`aekit train` arguments for a small, fast run on digits (one hidden layer of 32)."""
    return [
        "train",
        "--data",
        "digits",
        "--epochs",
        str(epochs),
        "--out",
        str(out),
        "--set",
        "model.hidden_dims=[32]",
        "--set",
        "model.loss=bce",
        "--quiet",
        "--seed",
        str(seed),
    ]


def _env(threads: int) -> dict[str, str]:
    return {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}


def _child(script: str, args: list[str], threads: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", script, *args],
        env=_env(threads),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def run_aekit(args: list[str], *, threads: int = 1, timeout: float = 600) -> None:
    """Run `aekit ARGS` in a child process; RuntimeError with its stderr when it fails."""
    child = _child(AEKIT, args, threads)
    _, err = child.communicate(timeout=timeout)
    if child.returncode != 0:
        raise RuntimeError(f"aekit {' '.join(args)} exited with {child.returncode}: {err.strip()}")


def _epochs_saved(run: Path) -> int:
    """Rows of metrics.csv, which is rewritten (atomically) after each checkpoint."""
    try:
        return max(len((run / "metrics.csv").read_text().splitlines()) - 1, 0)
    except FileNotFoundError:
        return 0


def _leftovers(run: Path) -> list[str]:
    return sorted(p.relative_to(run).as_posix() for p in run.rglob(".*.tmp"))


def _checkpoint_epoch(run: Path) -> int | None:
    path = run / "checkpoint.safetensors"
    return int(read_checkpoint(path)[0]["epoch"]) if path.is_file() else None


def kill_at_random_point(
    out: str | os.PathLike,
    epochs: int,
    rng: np.random.Generator,
    *,
    threads: int = 1,
    timeout: float = 600,
    sig: int = signal.SIGKILL,
) -> dict:
    """Start training into `out` and send it `sig` (SIGKILL) at a random time after a random
    epoch in 1..epochs-1 has been checkpointed (up to one epoch's wall time later, so kills land
    in the forward/backward passes and in the checkpoint, metrics and event-file writes alike).

    Returns what was found afterwards: whether the signal landed while the child was still
    running, its exit status and error output, the epoch the checkpoint holds, and the
    temporary files left behind.
    """
    run = Path(out)
    target = int(rng.integers(1, epochs))
    child = _child(AEKIT, training_args(run, epochs), threads)
    start, first = time.monotonic(), None
    while (done := _epochs_saved(run)) < target and child.poll() is None:
        if done and first is None:
            first = (time.monotonic(), done)
        if time.monotonic() - start > timeout:
            child.kill()
            raise TimeoutError(f"training into {run} did not reach epoch {target} in {timeout} s")
        time.sleep(0.002)
    now = time.monotonic()
    per_epoch = (now - first[0]) / (done - first[1]) if first is not None and done > first[1] else 0.05
    time.sleep(float(rng.uniform(0, per_epoch)))
    running = child.poll() is None
    if running:
        os.kill(child.pid, sig)
    _, err = child.communicate(timeout=timeout)
    if not running and child.returncode != 0:
        raise RuntimeError(f"training into {run} failed before the kill ({child.returncode}): {err.strip()}")
    return {
        "target_epoch": target,
        "killed": running and child.returncode == -signal.SIGKILL,
        "returncode": child.returncode,
        "stderr": err,
        "checkpoint_epoch": _checkpoint_epoch(run),
        "left_over": _leftovers(run),
    }


def kill_during_checkpoint_write(
    out: str | os.PathLike, epochs: int, at_epoch: int, *, threads: int = 1, timeout: float = 600
) -> dict:
    """Train into `out` and SIGKILL the process half-way through writing the checkpoint of
    epoch `at_epoch` (half its bytes on disk). Returns the epoch the checkpoint then holds and
    the temporary files (with their sizes) left behind."""
    run = Path(out)
    child = _child(HALF_WRITE, [str(at_epoch), *training_args(run, epochs)], threads)
    _, err = child.communicate(timeout=timeout)
    if child.returncode != -signal.SIGKILL:
        raise RuntimeError(f"expected the child to be killed mid-write, it exited with {child.returncode}: {err}")
    return {
        "checkpoint_epoch": _checkpoint_epoch(run),
        "left_over": {name: (run / name).stat().st_size for name in _leftovers(run)},
    }


def final_weights(run: str | os.PathLike) -> dict[str, torch.Tensor]:
    """The tensors of a finished run's model/model.safetensors."""
    return load_file(Path(run) / "model" / WEIGHTS_FILE)


def weight_difference(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> float:
    """The largest absolute difference between two state dicts (0.0 when bit-identical);
    ValueError when their names or shapes differ."""
    if a.keys() != b.keys() or any(a[k].shape != b[k].shape for k in a):
        raise ValueError("the two models have different tensors")
    if all(torch.equal(a[k], b[k]) for k in a):
        return 0.0
    return max(float((a[k].double() - b[k].double()).abs().max()) for k in a)
