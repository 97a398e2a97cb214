"""Opt-in `torch.compile` (`compile=True`) of the training forward pass and of inference.

Only batches of one size run compiled, with static shapes: the first batch's size in training,
the inference batch size in `transform` and scoring. Any other batch (the last, partial one)
runs eagerly, so nothing recompiles. Where compilation is unavailable or fails, the call falls
back to eager with one warning and stays eager.

Every architecture (layer sizes, batch size) compiles its own graph of the same module code, and
torch keeps at most `torch._dynamo.config.recompile_limit` graphs per code (8 by default) before
running it eagerly; the first compiled fit raises that limit to RECOMPILE_LIMIT.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable

import torch

__all__ = ["CompiledBatches", "compiled_inference"]

RECOMPILE_LIMIT = 64


@contextlib.contextmanager
def _torch_own_warnings_ignored():
    """Warnings the compiler raises about torch's own code while it imports and traces (its use
    of `torch.jit.script_method`, its look at a non-leaf tensor's `.grad`), not about the model."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*torch.jit.script_method", category=DeprecationWarning)
        warnings.filterwarnings("ignore", message="The .grad attribute of a Tensor that is not a leaf", category=UserWarning)
        yield


def compile_unavailable() -> str | None:
    """Why `torch.compile` cannot run here (this Python or platform), or None."""
    if not torch._dynamo.is_dynamo_supported():
        return "torch.compile is not supported on this Python or platform"
    return None


class CompiledBatches:
    """`fn(x, ...)` compiled for batches of `rows` rows (None: the first call's), eager for others.

    The first compiled call may fail (no C++ compiler, an operation the compiler cannot
    trace): it is then run eagerly, reported in one warning, and every later call runs eagerly
    too. Training calls
    `run_first` around its whole first step (forward and backward), since the backward pass
    compiles too.

    Parameters
    ----------
    fn : callable
        Takes a batch (rows, ...) first.
    rows : int or None, default=None
        The batch size to compile for; None takes the first call's.
    what : str, default='the training step'
        Named in the fallback warning.
    """

    def __init__(self, fn: Callable, rows: int | None = None, what: str = "the training step") -> None:
        self.eager, self.rows, self.what = fn, rows, what
        reason = compile_unavailable()
        if reason is None and torch._dynamo.config.recompile_limit < RECOMPILE_LIMIT:
            torch._dynamo.config.recompile_limit = RECOMPILE_LIMIT
        with _torch_own_warnings_ignored():
            self.compiled = None if reason else torch.compile(fn, dynamic=False)
        self.tried = False
        if reason:
            self._warn(reason)

    def _warn(self, reason: str) -> None:
        warnings.warn(f"compile=True: {reason}; {self.what} runs eagerly", RuntimeWarning, stacklevel=4)

    def uses_compiled(self, x: torch.Tensor) -> bool:
        """Whether a batch like `x` runs compiled.

        Parameters
        ----------
        x : torch.Tensor
            A batch, (rows, ...).

        Returns
        -------
        compiled : bool
        """
        if self.compiled is None:
            return False
        if self.rows is None:
            self.rows = x.shape[0]
        return x.shape[0] == self.rows

    def __call__(self, x: torch.Tensor, *args, **kwargs):
        if not self.uses_compiled(x):
            return self.eager(x, *args, **kwargs)
        return self.run_first(lambda fn: fn(x, *args, **kwargs))

    def run_first(self, work: Callable[[Callable], object], before_retry: Callable[[], object] | None = None):
        """`work(compiled fn)`; when the first such call fails, `before_retry()` (to undo what the
        attempt left, e.g. gradients), then `work(eager fn)` and, when that succeeds, one warning
        and eager from then on (when eager fails too, its error).

        Parameters
        ----------
        work : callable
            Takes the function to run (compiled or eager) and does the whole step with it.
        before_retry : callable or None, default=None
            Called with no argument before the eager retry.

        Returns
        -------
        result : object
            What `work` returned.
        """
        if self.compiled is None:
            return work(self.eager)
        first, self.tried = not self.tried, True
        try:
            with _torch_own_warnings_ignored():
                return work(self.compiled)
        except Exception as err:  # noqa: BLE001 - any compiler failure; eager decides if the call itself is wrong
            if not first:
                raise
            self.compiled = None
            if before_retry is not None:
                before_retry()
            result = work(self.eager)
            self._warn(f"torch.compile failed ({type(err).__name__}: {str(err).strip().splitlines()[0][:200] if str(err).strip() else ''})")
            return result


class _Cache:
    """Compiled inference functions kept on their module (`entries`); pickled and deep-copied
    as empty (a compiled function is neither, and a copy compiles its own)."""

    def __init__(self) -> None:
        self.entries: dict = {}

    def __getstate__(self) -> dict:
        return {}

    def __setstate__(self, state: dict) -> None:
        self.entries = {}

    def __deepcopy__(self, memo) -> _Cache:
        return _Cache()


def compiled_inference(module: torch.nn.Module, key: tuple, fn: Callable, rows: int) -> CompiledBatches:
    """The `CompiledBatches` for `fn` (an inference method of `module`, identified by the
    hashable `key`) at `rows` rows per batch, built once per module and reused by later calls.

    Parameters
    ----------
    module : nn.Module
        The fitted module `fn` belongs to (the cache lives on it).
    key : tuple
        Identifies `fn`: the method's name and its keyword arguments.
    fn : callable
        The inference function, (rows, ...) -> (rows, ...).
    rows : int
        The inference batch size.

    Returns
    -------
    compiled : CompiledBatches
    """
    cache = module.__dict__.setdefault("_aekit_compiled", _Cache()).entries
    if (key, rows) not in cache:
        cache[key, rows] = CompiledBatches(fn, rows, what=f"inference ({key[0]})")
    return cache[key, rows]
