"""Training checkpoints: one safetensors file holding everything `train` needs to continue a
fit exactly where it stopped, written atomically, no pickle.

The file's tensors are the module's weights (`module.*`), the best weights kept for early
stopping (`best.*`), the optimizer's per-parameter state (`optimizer.<index>.<name>`) and the
shuffling/noise generator's state (`rng`). Its metadata holds, as JSON, the history, the epoch
counter, the early-stopping bookkeeping, the optimizer's settings, a fingerprint of what is
being trained, the estimator's class and parameters and the SHA-256 of the rows trained on, which
`restore` checks so a checkpoint is never resumed into a different model, with other parameters or
on other rows.
It also holds the SHA-256 of the state and every tensor, so a bit flip anywhere in the file is
refused rather than resumed.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import warnings
from pathlib import Path

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_safetensors
from safetensors.torch import save as save_safetensors

from aekit.data.columns import user_stacklevel
from aekit.training.callbacks import Callback
from aekit.saving.json_files import json_bytes, parse_json
from aekit.saving.persistence import atomic_write_bytes
from aekit.training.loop import History, TrainState

__all__ = ["CHECKPOINT_FILE", "Checkpointer", "read_checkpoint"]

CHECKPOINT_FILE = "checkpoint.safetensors"
FORMAT = "aekit-checkpoint"
FORMAT_VERSION = 1


def _optimizer_parts(optimizer: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], dict]:
    """The optimizer's state dict as flat tensors plus JSON-ready settings."""
    saved = optimizer.state_dict()
    tensors, other = {}, {}
    for index, param_state in saved["state"].items():
        for name, value in param_state.items():
            if torch.is_tensor(value):
                tensors[f"optimizer.{index}.{name}"] = value
            else:
                other.setdefault(str(index), {})[name] = value
    return tensors, {"param_groups": saved["param_groups"], "other": other}


def _optimizer_state(tensors: dict[str, torch.Tensor], meta: dict) -> dict:
    state: dict[int, dict] = {int(i): dict(values) for i, values in meta["other"].items()}
    for key, value in tensors.items():
        _, index, name = key.split(".", 2)
        state.setdefault(int(index), {})[name] = value
    return {"state": state, "param_groups": meta["param_groups"]}


def _digest(state_json: str, tensors: dict[str, torch.Tensor]) -> str:
    """SHA-256 of the state JSON and of each tensor's name, dtype, shape and bytes."""
    digest = hashlib.sha256(state_json.encode())
    for key in sorted(tensors):
        tensor = tensors[key].detach().cpu().contiguous()
        digest.update(f"\0{key}\0{tensor.dtype}\0{tuple(tensor.shape)}\0".encode())
        digest.update(memoryview(tensor.reshape(-1).view(torch.uint8).numpy()))
    return digest.hexdigest()


def rows_sha256(*arrays) -> str | None:
    """SHA-256 of training rows and targets (tensors, arrays or scipy.sparse matrices; None
    entries skipped): shapes, dtypes and values. None for rows streamed from disk, not read for it."""
    digest = hashlib.sha256()
    for A in arrays:
        if A is None:
            continue
        if hasattr(A, "tocsr"):
            parts = [np.asarray(p) for p in (A.data, A.indices, A.indptr)]
        elif torch.is_tensor(A):
            parts = [A.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy()]
        elif isinstance(A, np.ndarray):
            parts = [A]
        else:
            return None
        digest.update(f"{tuple(A.shape)}\0{A.dtype}\0".encode())
        for part in parts:
            digest.update(memoryview(np.ascontiguousarray(part).reshape(-1).view(np.uint8)))
    return digest.hexdigest()


def _metadata(data: bytes) -> dict[str, str]:
    (size,) = struct.unpack("<Q", data[:8])
    return json.loads(data[8 : 8 + size]).get("__metadata__") or {}


def read_checkpoint(path: str | os.PathLike) -> tuple[dict, dict[str, torch.Tensor]]:
    """(metadata, tensors) of a checkpoint file; ValueError when it is not a readable one.

    Parameters
    ----------
    path : str or PathLike
        The checkpoint file.

    Returns
    -------
    info : dict
        The saved state's JSON part (fingerprint, epoch, history, ...).
    tensors : dict of str to torch.Tensor
        The saved tensors.
    """
    path = Path(path)
    data = path.read_bytes()
    try:
        tensors = load_safetensors(data)
        meta = _metadata(data)
        if meta.get("format") != FORMAT:
            raise ValueError("not an aekit checkpoint")
        info = parse_json(meta["state"])
    except (SafetensorError, ValueError, KeyError, struct.error, RecursionError) as err:
        raise ValueError(f"{str(path)!r} is not a readable aekit checkpoint: {err}") from err
    if "sha256" not in meta:
        raise ValueError(
            f"{str(path)!r} has no checksum: it is damaged (a flipped byte can rename the checksum's key) or an "
            "older aekit wrote it; delete it and train from the start"
        )
    if meta["sha256"] != _digest(meta["state"], tensors):
        raise ValueError(
            f"{str(path)!r} is damaged: its contents do not match the SHA-256 stored in it (a bit flip or a "
            "partial copy). Resume from another copy, or delete it and train from the start"
        )
    if info.get("version") != FORMAT_VERSION:
        raise ValueError(
            f"{str(path)!r} has checkpoint version {info.get('version')!r}; this aekit reads {FORMAT_VERSION}"
        )
    return info, tensors


class Checkpointer(Callback):
    """Save a `TrainState` to `path` after every `every`-th epoch and, with `resume=True`,
    restore it before training; pass it as `est.fit(X, checkpoint=...)` or `train(checkpoint=)`
    (the loop then runs it after early stopping has kept the best weights).

    `fingerprint` (any JSON) identifies what is trained (class, parameters, data); a checkpoint
    with another fingerprint is refused.

    Parameters
    ----------
    path : str or PathLike
        The checkpoint file.
    fingerprint : object, default=None
        JSON-serialisable description of what is trained, saved with the state and compared
        when resuming.
    resume : bool, default=False
        Restore the state from `path` before training, when the file exists.
    every : int, default=1
        Save after every `every`-th epoch (counting all epochs of the state).
    """

    def __init__(
        self,
        path: str | os.PathLike,
        *,
        fingerprint: object = None,
        resume: bool = False,
        every: int = 1,
    ) -> None:
        if every < 1:
            raise ValueError(f"every must be at least 1, got {every}")
        self.path = Path(path)
        if self.path.is_dir():
            raise ValueError(f"path {str(self.path)!r} is a folder; a checkpoint is a file, e.g. "
                             f"{str(self.path / CHECKPOINT_FILE)!r}")
        self.fingerprint = parse_json(json_bytes(fingerprint))
        self.resume = resume
        self.every = every
        self.restored_epoch = 0
        self.rows = None
        self.params = None

    def note_rows(self, X, Y=None) -> None:
        """Keep the SHA-256 of the rows (and targets) this fit trains on (see `rows_sha256`),
        saved with the state and compared when resuming; `train` calls it before the first epoch.

        Parameters
        ----------
        X : torch.Tensor, ndarray, scipy.sparse matrix or DataSource
            The training rows, (n, features).
        Y : torch.Tensor or None, default=None
            The training targets, (n, outputs).
        """
        self.rows = rows_sha256(X, Y)

    def note_params(self, params: dict) -> None:
        """Keep what the estimator trains with (its class and the parameters that shape its epochs,
        as JSON), saved with the state and compared when resuming: a resumed fit with another
        learning rate or optimizer would otherwise go on with the saved optimizer's settings while
        reporting its own. The estimator calls it before training.

        Parameters
        ----------
        params : dict
            Each parameter's value as JSON, and the class under 'estimator'.
        """
        self.params = dict(params)

    def on_fit_start(self, est) -> None:
        self.restore(self.state)

    def on_epoch_end(self, est, epoch: int, logs: dict) -> None:
        if self.state.rank == 0:
            self.save(self.state)

    def save(self, state: TrainState) -> None:
        """Write the state (atomically: a reader sees the previous checkpoint or this one).

        Parameters
        ----------
        state : TrainState
            The state to save; written only when its epoch count is a multiple of `every`.
        """
        if state.epoch % self.every == 0:
            atomic_write_bytes(self.path, self.to_bytes(state))

    def to_bytes(self, state: TrainState) -> bytes:
        tensors = {f"module.{k}": v.detach() for k, v in state.module.state_dict().items()}
        if state.best_weights is not None:
            tensors.update({f"best.{k}": v.detach() for k, v in state.best_weights.items()})
        optimizer_tensors, optimizer_meta = _optimizer_parts(state.optimizer)
        tensors.update(optimizer_tensors)
        tensors["rng"] = state.generator.get_state()
        info = {
            "version": FORMAT_VERSION,
            "fingerprint": self.fingerprint,
            "rows_sha256": self.rows,
            "params": self.params,
            "epoch": state.epoch,
            "first_epoch": state.first_epoch,
            "elapsed": state.elapsed,
            "history": state.history.as_dict(),
            "best_loss": state.best_loss,
            "since_best": state.since_best,
            "initial_loss": state.initial_loss,
            "optimizer": optimizer_meta,
        }
        tensors = {k: v.cpu().contiguous() for k, v in tensors.items()}
        state_json = json_bytes(info).decode("utf-8")
        metadata = {"format": FORMAT, "state": state_json, "sha256": _digest(state_json, tensors)}
        return save_safetensors(tensors, metadata=metadata)

    def restore(self, state: TrainState) -> None:
        """Load the saved state into `state` when resuming and a checkpoint exists.

        Parameters
        ----------
        state : TrainState
            Updated in place: module and optimizer weights, generator, history and counters
            (the fit's first epoch too, its last moved with it).

        Raises
        ------
        ValueError
            When the checkpoint has another fingerprint or does not fit the module.
        """
        if not self.resume or not self.path.is_file():
            return
        info, tensors = read_checkpoint(self.path)
        if info["fingerprint"] != self.fingerprint:
            raise ValueError(
                f"{str(self.path)!r} was written for another model or data: "
                + _difference(info["fingerprint"], self.fingerprint)
            )
        saved_params = info.get("params")
        if saved_params is not None and self.params is not None and saved_params != self.params:
            raise ValueError(
                f"{str(self.path)!r} does not fit this model: it was written while training with other parameters: "
                + _difference(saved_params, self.params)
                + ". Resume with the parameters it was trained with (only max_epochs, max_time, verbose and where it "
                "runs may change), or delete it to train from the start"
            )
        saved_rows = info.get("rows_sha256")
        if saved_rows is not None and self.rows is not None and saved_rows != self.rows:
            raise ValueError(
                f"{str(self.path)!r} was written while training on other rows (their SHA-256 differs from these rows'): "
                "resume on the rows it was trained on, or delete it to train from the start"
            )
        device = next(state.module.parameters()).device
        groups: dict[str, dict[str, torch.Tensor]] = {"module": {}, "best": {}, "optimizer": {}}
        for key, value in tensors.items():
            head, _, rest = key.partition(".")
            if head in groups:
                groups[head][rest if head != "optimizer" else key] = value
        try:
            state.module.load_state_dict({k: v.to(device) for k, v in groups["module"].items()}, strict=True)
            state.optimizer.load_state_dict(_optimizer_state(groups["optimizer"], info["optimizer"]))
        except (RuntimeError, ValueError, KeyError) as err:
            raise ValueError(f"{str(self.path)!r} does not fit this model: {err}") from err
        state.generator.set_state(tensors["rng"])
        state.best_weights = {k: v.to(device) for k, v in groups["best"].items()} or None
        settings = state.history.settings  # this fit's choices (a resumed run may have more epochs)
        state.history = History.from_dict(info["history"])
        state.history.settings = {**state.history.settings, **settings}
        state.epoch = int(info["epoch"])
        first = int(info.get("first_epoch", state.first_epoch))  # a warm-started fit's schedule counts from its own start
        state.first_epoch, state.last_epoch = first, first + state.last_epoch - state.first_epoch
        state.elapsed = float(info.get("elapsed", 0.0))
        state.best_loss = float(info["best_loss"])
        state.since_best = int(info["since_best"])
        state.initial_loss = info.get("initial_loss")
        self.restored_epoch = state.epoch
        if state.epoch > state.last_epoch:
            warnings.warn(
                f"{str(self.path)!r} holds {state.epoch} trained epochs, more than this fit's "
                f"{state.last_epoch - state.first_epoch}: the fit trains no further and keeps all {state.epoch}; "
                "delete the checkpoint (or resume=False) to train that many from the start",
                UserWarning, stacklevel=user_stacklevel(),
            )


def _difference(saved: object, wanted: object, path: str = "") -> str:
    """The first key path where two JSON values differ, for the refusal message."""
    if isinstance(saved, dict) and isinstance(wanted, dict):
        for key in sorted(set(saved) | set(wanted)):
            if saved.get(key) != wanted.get(key):
                return _difference(saved.get(key), wanted.get(key), f"{path}.{key}" if path else str(key))
    return f"{path or 'fingerprint'} is {saved!r} there, {wanted!r} here"
