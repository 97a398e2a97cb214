"""glibc's malloc thresholds while a Dask worker scores a partition.

distributed's nannies start workers with `MALLOC_TRIM_THRESHOLD_=65536` so that freed memory
goes back to the system; setting it also turns off glibc's adaptive mmap threshold, so every
temporary above 128 KiB of a partition's forward passes is mapped and unmapped afresh (scoring
250,000 x 50 rows took 0.30 s in such a process against 0.16 s with glibc's own tuning on the
development host). `roomy_malloc` raises both thresholds while partitions run and puts the
worker's values back, returning the freed memory, once no partition has run for RESTORE_DELAY
seconds: partitions that follow each other reuse the heap instead of mapping it afresh after each
trim, and an idle worker gives it back. It does nothing where the
environment leaves glibc's tuning on, or where malloc is not glibc's.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["roomy_malloc"]

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # mallopt parameters (malloc.h)
GLIBC_MMAP_THRESHOLD = 128 * 1024  # glibc's fixed mmap threshold once its tuning is off
ROOMY_MMAP_THRESHOLD = 32 * 1024 * 1024  # glibc's own adaptive ceiling on 64-bit
ROOMY_TRIM_THRESHOLD = 256 * 1024 * 1024
RESTORE_DELAY = 1.0  # seconds without a running partition before the worker's values are back
TUNING_VARIABLES = ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TOP_PAD_", "MALLOC_MMAP_MAX_")

_LOCK = threading.Lock()
_running = 0
_raised = False
_restorer: threading.Timer | None = None


@functools.cache
def _glibc():
    """glibc as a ctypes library when this process uses it (Linux), else None; looked up once
    per process, not per partition."""
    name = ctypes.util.find_library("c")
    if name is None or not hasattr(os, "confstr"):
        return None
    try:
        if "glibc" not in os.confstr("CS_GNU_LIBC_VERSION").lower():
            return None
        return ctypes.CDLL(name)
    except (OSError, ValueError):
        return None


def _worker_values() -> tuple[int, int] | None:
    """(trim, mmap) thresholds the environment fixed for this process, or None when it left
    glibc's adaptive tuning on (nothing to undo then)."""
    if not any(name in os.environ for name in TUNING_VARIABLES):
        return None
    try:
        trim = int(os.environ.get("MALLOC_TRIM_THRESHOLD_", 128 * 1024))
        mmap = int(os.environ.get("MALLOC_MMAP_THRESHOLD_", GLIBC_MMAP_THRESHOLD))
    except ValueError:
        return None
    return trim, mmap


def _restore(libc, values: tuple[int, int]) -> None:
    """Put the worker's thresholds back and trim the heap, unless a partition started meanwhile."""
    global _raised
    with _LOCK:
        if _running == 0 and _raised:
            libc.mallopt(M_MMAP_THRESHOLD, values[1])
            libc.mallopt(M_TRIM_THRESHOLD, values[0])
            libc.malloc_trim(0)
            _raised = False


@contextmanager
def roomy_malloc() -> Iterator[None]:
    """Run the block with glibc's mmap and trim thresholds raised, when the environment fixed
    them low (a Dask nanny's worker); the first of concurrent blocks raises them, and
    RESTORE_DELAY seconds after the last one ends (no other having started) the worker's values
    are back and the heap trimmed."""
    global _running, _raised, _restorer
    values = _worker_values()
    libc = _glibc() if values is not None else None
    if libc is None:
        yield
        return
    with _LOCK:
        if _restorer is not None:
            _restorer.cancel()
            _restorer = None
        if not _raised:
            libc.mallopt(M_MMAP_THRESHOLD, ROOMY_MMAP_THRESHOLD)
            libc.mallopt(M_TRIM_THRESHOLD, ROOMY_TRIM_THRESHOLD)
            _raised = True
        _running += 1
    try:
        yield
    finally:
        with _LOCK:
            _running -= 1
            if _running == 0:
                _restorer = threading.Timer(RESTORE_DELAY, _restore, (libc, values))
                _restorer.daemon = True
                _restorer.start()
