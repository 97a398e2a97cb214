"""Callbacks: everything the training loop does besides stepping the optimizer.

A callback is any object with some of these methods (none is required):

- `on_fit_start(est)`: before the first epoch;
- `on_epoch_start(est, epoch)`: before each epoch; returning True stops before it runs;
- `on_epoch_end(est, epoch, logs)`: after each epoch; `logs` holds `loss`, `val_loss` (with a
  validation split), `lr`, `epoch_seconds` and `elapsed`; returning True stops after it;
- `on_fit_end(est)`: after the last epoch, also when a callback stopped training.

`est` is the estimator being fitted (or the module, when `aekit.train` is called directly).
Built-in callbacks subclass `Callback`, whose `state` the loop sets to the `TrainState` (module,
optimizer, history, epoch, elapsed seconds) before `on_fit_start`. Pass your own as
`est.fit(X, callbacks=[...])`.
"""

from __future__ import annotations

import copy
import csv
import io
import math
import os
import warnings
from pathlib import Path

import torch
from sklearn.exceptions import ConvergenceWarning
from tqdm.auto import tqdm

from aekit.training import distributed

__all__ = [
    "CSVLogger",
    "Callback",
    "CosineSchedule",
    "DivergenceGuard",
    "EarlyStopping",
    "KLWarmup",
    "KeepTheStart",
    "ProgressBar",
    "TensorBoardLogger",
    "TimeBudget",
    "TrainingDivergedError",
    "kept_weights",
    "scheduled_lr",
]

LOOP_LOGS = frozenset({"loss", "val_loss", "lr", "epoch_seconds", "elapsed"})  # other logs keys come from the module

FINAL_LR_FRACTION = 0.01  # where the cosine schedule ends, as a fraction of the initial rate
DIVERGENCE_FACTOR = 1e3  # an epoch loss this many times the untrained model's (or above 1e3) means divergence
WORSE_FACTOR = 1.2  # a fit whose model ends this many times worse than the untrained one on its first rows is reported
SCALE_SPREAD = 100.0  # columns whose standard deviations differ by more than this factor are named in the divergence advice


class TrainingDivergedError(FloatingPointError):
    """The training loss became NaN, infinite, or exploded far above the untrained model's;
    the model is not usable as it stands."""


class Callback:
    """Base of the built-in callbacks: every hook does nothing; `state` is the loop's
    `TrainState`, set by the loop before `on_fit_start`."""

    state = None

    def on_fit_start(self, est) -> None:
        pass

    def on_epoch_start(self, est, epoch: int) -> bool | None:
        pass

    def on_epoch_end(self, est, epoch: int, logs: dict) -> bool | None:
        pass

    def on_fit_end(self, est) -> None:
        pass


class DivergenceGuard(Callback):
    """Raise `TrainingDivergedError` when an epoch's loss is not finite or exceeds
    `DIVERGENCE_FACTOR` times the loss training started from: the untrained model's on the first
    rows, or, for a fit that continues a trained model (a warm start, `partial_fit`), the larger
    of that and the starting weights' loss on this fit's first rows (data of a larger scale),
    measured only when an epoch looks diverged; having put the module, optimizer, generator and
    history back as the fit found them (a warm start or `partial_fit` that diverges leaves the
    fitted model as it was).

    Parameters
    ----------
    reference : callable
        Called with no argument, returns the module's loss on the fit's first rows as a float
        (kept as the state's `initial_loss` when it has none).
    learning_rate : float
        The fit's learning rate, quoted in the error's advice.
    rows : callable, default=None
        Called with no argument on divergence, returns the fit's first input rows (n, ...); when
        their columns' scales differ by more than SCALE_SPREAD times, the error says so first.
    """

    def __init__(self, reference, learning_rate: float, rows=None) -> None:
        self.reference = reference
        self.learning_rate = learning_rate
        self.rows = rows

    def on_fit_start(self, est) -> None:
        state = self.state
        if state.initial_loss is None:
            state.initial_loss = self.reference()
        self.start_loss = None
        weights, optimizer = state.snapshot or (None, None)
        weights = copy_into(weights, state.module.state_dict())
        optimizer = copy_into(optimizer, state.optimizer.state_dict())
        state.snapshot = (weights, optimizer)
        history = type(state.history).from_dict(state.history.as_dict())
        self.start = (weights, optimizer, state.generator.get_state(), history, state.epoch)

    def on_epoch_end(self, est, epoch, logs):
        loss, initial = logs["loss"], self.state.initial_loss
        if math.isfinite(loss) and loss <= _divergence_limit(initial):
            return
        if math.isfinite(loss) and self.start_loss is None and self.start[4] > 0:  # a trained model on new rows
            self.start_loss = self._loss_at_start()
        if self.start_loss is not None and not initial >= self.start_loss:  # NaN: the start's loss stands
            initial = self.start_loss
        if math.isfinite(loss) and loss <= _divergence_limit(initial):
            return
        kept = self.restore_start()
        advice = divergence_advice(self.rows() if self.rows is not None else None, self.learning_rate)
        raise TrainingDivergedError(
            f"training diverged in epoch {epoch + 1}: the loss became {loss:.4g} (it was {initial:.4g} before "
            f"training). {advice}" + (f" The model is left as it was after epoch {kept}." if kept else "")
        )

    def warn_if_worse(self) -> None:
        """Warn (ConvergenceWarning) when the model a fit ends with (the best weights, where early
        stopping restored them) has a loss on the first rows more than WORSE_FACTOR times that of the
        untrained model (or, continuing a trained model, of the weights the fit started from): a
        learning rate too large for a bounded loss, which never reaches the divergence limit."""
        initial = self.state.initial_loss
        if initial is None or not math.isfinite(initial):
            return
        end = self.reference()
        if not math.isfinite(end) or end <= WORSE_FACTOR * initial:
            return
        if self.start[4] > 0:  # a trained model on new rows: compare with where this fit started
            start = self.start_loss if self.start_loss is not None else self._loss_at_start()
            initial = max(initial, start) if math.isfinite(start) else initial
            if end <= WORSE_FACTOR * initial:
                return
        times = f"{end / initial:.3g} times the" if initial > 0 else "above the"
        warnings.warn(
            f"training ended worse than it started: the loss on the first rows is {end:.4g}, {times} "
            f"{initial:.4g} of the model before training. Try a smaller learning_rate (now "
            f"{self.learning_rate}) or set grad_clip.", ConvergenceWarning, stacklevel=2,
        )

    def _loss_at_start(self) -> float:
        """The loss of the weights this fit started from on its first rows, the trained weights
        put back afterwards."""
        module = self.state.module
        trained = copy.deepcopy(module.state_dict())
        module.load_state_dict(self.start[0])
        try:
            return self.reference()
        finally:
            module.load_state_dict(trained)

    def restore_start(self) -> int:
        """Put the state back as the fit found it (on divergence, and when a fit is interrupted);
        returns the epochs it had then."""
        state = self.state
        weights, optimizer, generator, state.history, state.epoch = self.start
        state.module.load_state_dict(weights)
        state.optimizer.load_state_dict(optimizer)
        state.generator.set_state(generator)
        state.snapshot = None  # the optimizer may now hold the snapshot's tensors as its own
        return state.epoch


def copy_into(buffers, value):
    """A copy of `value` (a state dict: tensors in dicts and lists) written into the tensors of
    `buffers` (an earlier copy of the same structure) where their shapes, dtypes and devices
    match, new ones elsewhere. Reusing the buffers spares `partial_fit` the allocation and first
    touch of a model's worth of memory at every call."""
    if isinstance(value, torch.Tensor):
        if isinstance(buffers, torch.Tensor) and (buffers.shape, buffers.dtype, buffers.device) == (value.shape, value.dtype, value.device):
            return buffers.copy_(value)
        return value.detach().clone()
    if isinstance(value, dict):
        old = buffers if isinstance(buffers, dict) else {}
        copied = type(value)((key, copy_into(old.get(key), item)) for key, item in value.items())
        if hasattr(value, "_metadata"):  # a module's state dict: versions its load_state_dict reads
            copied._metadata = copy.deepcopy(value._metadata)
        return copied
    if isinstance(value, (list, tuple)):
        old = buffers if isinstance(buffers, type(value)) and len(buffers) == len(value) else [None] * len(value)
        return type(value)(copy_into(b, item) for b, item in zip(old, value))
    return copy.deepcopy(value)


def divergence_advice(rows: torch.Tensor | None, learning_rate: float) -> str:
    """What to try after a divergence on `rows` (n, ...), the fit's first rows: the learning rate
    first, except for an unscaled table whose column scales differ widely (`scale_advice`); scaling
    is not suggested for images or values already within [-1, 1], such as pixels."""
    smaller = f"a smaller learning_rate (now {learning_rate})"
    if rows is not None and already_scaled(rows):
        return f"Try {smaller} or set grad_clip."
    scales = scale_advice(rows) if rows is not None else ""
    return f"{scales} Or try {smaller} or set grad_clip." if scales else f"Try {smaller}, set grad_clip, or scale X."


def already_scaled(rows: torch.Tensor) -> bool:
    """Whether `rows` (n, ...) are images (more than one dimension per row) or have every value
    within [-1, 1] (pixels in [0, 1], a scaled table): standardising them would not help."""
    if rows.dim() > 2:
        return True
    if rows.is_floating_point():
        values = rows.detach()[rows.detach().isfinite()]
        return values.numel() > 0 and float(values.abs().max()) <= 1.0
    return False


def scale_advice(rows: torch.Tensor) -> str:
    """A sentence naming the spread of the columns' standard deviations of `rows` (n, d) when the
    largest is more than SCALE_SPREAD times the smallest non-zero one (the usual cause of a fit
    that diverges on a raw table), else ''."""
    flat = rows.detach().reshape(rows.shape[0], -1).double()
    if flat.shape[0] < 2 or flat.shape[1] < 2:
        return ""
    spread = torch.nan_to_num(flat, nan=0.0).std(dim=0)
    spread = spread[spread > 0]
    if spread.numel() < 2 or float(spread.max()) <= SCALE_SPREAD * float(spread.min()):
        return ""
    return (
        f"X's columns differ in scale (standard deviations from {float(spread.min()):.3g} to {float(spread.max()):.3g}): "
        "standardise them first, e.g. make_pipeline(StandardScaler(), estimator) (on the command line: "
        "--set data.scale=standard)."
    )


def _divergence_limit(initial: float) -> float:
    """The loss above which an epoch has diverged, training having started from `initial` (none
    when that is not a number: a loss the first rows cannot give, such as on missing values)."""
    return DIVERGENCE_FACTOR * max(abs(initial), 1.0) if math.isfinite(initial) else math.inf


class EarlyStopping(Callback):
    """Stop after `patience` epochs without a better validation loss and restore the weights of
    the best epoch at the end.

    Parameters
    ----------
    patience : int
        Epochs without a better validation loss before stopping.
    """

    def __init__(self, patience: int) -> None:
        self.patience = patience

    def on_epoch_start(self, est, epoch):
        return self.state.since_best >= self.patience  # a resumed run that had already run out of patience

    def on_epoch_end(self, est, epoch, logs):
        if self.state.since_best == 0:
            self.state.best_weights = copy.deepcopy(self.state.module.state_dict())
        return self.state.since_best >= self.patience

    def on_fit_end(self, est) -> None:
        if self.state.best_weights is not None:
            self.state.module.load_state_dict(self.state.best_weights)


class KeepTheStart(Callback):
    """Let the weights training starts from compete on the validation rows: they count as the
    best until an epoch beats them (the history's `best_epoch` naming the epoch they are from,
    the state's `kept_epoch`), so early stopping can restore them. With a PCA start
    (`TrainConfig.start_competes`) a fit then never ends worse than PCA on its validation rows.
    `val_loss()` returns the module's mean validation loss.

    Parameters
    ----------
    val_loss : callable
        Called with no argument at the start of a fit, returns the starting weights' mean
        validation loss as a float.
    """

    def __init__(self, val_loss) -> None:
        self.val_loss = val_loss

    def on_fit_start(self, est) -> None:
        self.state.best_loss = self.val_loss()
        self.state.best_weights = copy.deepcopy(self.state.module.state_dict())
        self.state.history.best_epoch = self.state.kept_epoch
        self.state.history.settings["start_val_loss"] = self.state.best_loss


class TimeBudget(Callback):
    """Stop after the epoch during which this fit's training time (kept in the state, so a
    resumed fit continues its clock) reaches `seconds`.

    Parameters
    ----------
    seconds : float
        The training-time budget.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def on_epoch_end(self, est, epoch, logs):
        return self.state.elapsed >= self.seconds


def scheduled_lr(config, epoch: int, elapsed: float) -> float:
    """The learning rate of a fit with `TrainConfig` `config` for its `epoch` (0-based) after
    `elapsed` seconds: constant, or a half cosine from `learning_rate` down to
    FINAL_LR_FRACTION of it over `max_epochs`, or over `max_time` when that comes first.

    Parameters
    ----------
    config : TrainConfig
        Its `learning_rate`, `lr_schedule` (None or 'cosine'), `max_epochs` (an int) and
        `max_time` are read.
    epoch : int
        The fit's epoch, 0-based.
    elapsed : float
        The fit's training time so far, in seconds.

    Returns
    -------
    lr : float
    """
    if config.lr_schedule is None:
        return config.learning_rate
    if config.lr_schedule != "cosine":
        raise ValueError(f"lr_schedule must be 'cosine' or None, got {config.lr_schedule!r}")
    progress = epoch / config.max_epochs
    if config.max_time is not None:
        progress = max(progress, elapsed / config.max_time)
    final = FINAL_LR_FRACTION * config.learning_rate
    return final + (config.learning_rate - final) * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))


class CosineSchedule(Callback):
    """Set the learning rate before each epoch to `scheduled_lr(config, ...)`, counting this
    fit's epochs and its training time (averaged over the ranks, so every rank agrees).

    Parameters
    ----------
    config : TrainConfig
        The fit's settings, as `scheduled_lr` reads them.
    """

    def __init__(self, config) -> None:
        self.config = config

    def on_epoch_start(self, est, epoch):
        state = self.state
        elapsed = state.elapsed
        if self.config.max_time is not None:
            total = distributed.sum_across_ranks(torch.tensor([elapsed], dtype=torch.float64), state.world)
            elapsed = total.item() / state.world
        for group in state.optimizer.param_groups:
            group["lr"] = scheduled_lr(self.config, epoch - state.first_epoch, elapsed)


class KLWarmup(Callback):
    """Raise a VAE's KL weight linearly from 0 to 1 over the first `epochs` epochs (Bowman et
    al. 2016), and leave it at 1 after training.

    Parameters
    ----------
    epochs : int
        Length of the warm-up in epochs.
    """

    def __init__(self, epochs: int) -> None:
        self.epochs = epochs

    def on_epoch_start(self, est, epoch):
        self.state.module.kl_weight = min(1.0, epoch / self.epochs)

    def on_fit_end(self, est) -> None:
        self.state.module.kl_weight = 1.0


def kept_weights(history: dict) -> str | None:
    """Which weights early stopping kept, when not the last epoch's: 'epoch 12 (validation 0.1)',
    or 'the weights it started from (validation 0.2)[, refitted on all N rows]'; None otherwise.

    Parameters
    ----------
    history : dict
        A fit's `history_`.
    """
    settings, best, val = history.get("settings", {}), history.get("best_epoch"), history.get("val_loss", [])
    if not settings.get("early_stopping") or not val:
        return None
    if best is None:
        refitted = settings.get("start_refitted_rows")
        return (f"the weights it started from (validation {settings.get('start_val_loss', float('nan')):.4g})"
                + (f", refitted on all {refitted} rows" if refitted else ""))
    return None if best == len(val) - 1 else f"epoch {best + 1} (validation {val[best]:.4g})"


class ProgressBar(Callback):
    """A tqdm bar over the epochs, showing the last loss and validation loss, and at the end the
    weights early stopping kept when not the last epoch's (rank 0 only)."""

    def on_fit_start(self, est) -> None:
        self.bar = tqdm(total=self.state.last_epoch, initial=self.state.epoch, desc="fit", unit="epoch",
                        disable=self.state.rank != 0)  # fmt: skip
        self.postfix = {}

    def on_epoch_end(self, est, epoch, logs):
        val = f"{logs['val_loss']:.4g}" if "val_loss" in logs and math.isfinite(logs["val_loss"]) else "-"
        self.postfix = {"loss": f"{logs['loss']:.4g}", "val_loss": val}
        self.bar.set_postfix(self.postfix, refresh=False)
        self.bar.update()

    def on_fit_end(self, est) -> None:
        kept = kept_weights(self.state.history.as_dict())
        if kept:
            self.bar.set_postfix({**self.postfix, "kept": kept}, refresh=True)
        self.bar.close()


class CSVLogger(Callback):
    """Rewrite the CSV file `path` after every epoch with one row per epoch so far (epoch, loss,
    val_loss, seconds, then the module's own per-epoch numbers such as a sparse code's `l0` and
    `dead_fraction`), atomically and from the history, so a resumed fit's file is whole.

    Parameters
    ----------
    path : str or PathLike
        The CSV file (its folder is created when missing).
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)

    def on_epoch_end(self, est, epoch, logs):
        if self.state.rank != 0:
            return
        from aekit.saving.persistence import atomic_write_bytes

        history = self.state.history
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        extra = sorted(history.extra)
        writer.writerow(["epoch", "loss", "val_loss", "seconds", *extra])
        for i, loss in enumerate(history.loss):
            val = repr(history.val_loss[i]) if i < len(history.val_loss) and not math.isnan(history.val_loss[i]) else ""
            own = [repr(history.extra[k][i]) if i < len(history.extra[k]) else "" for k in extra]
            writer.writerow([i + 1, repr(loss), val, f"{history.epoch_seconds[i]:.4f}", *own])
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(self.path, out.getvalue().encode())


class TensorBoardLogger(Callback):
    """Add each epoch's `loss/train`, `loss/validation`, `time/epoch_seconds` and the module's own
    numbers (`model/l0`, ...) to a TensorBoard event file in `folder` (written without
    TensorBoard installed).

    Parameters
    ----------
    folder : str or PathLike
        The folder of the event file.
    """

    def __init__(self, folder: str | os.PathLike) -> None:
        self.folder = Path(folder)
        self.writer = None

    def on_epoch_end(self, est, epoch, logs):
        if self.state.rank != 0:
            return
        from aekit.training._tfevents import EventWriter

        if self.writer is None:
            self.writer = EventWriter(self.folder)
        scalars = {"loss/train": logs["loss"], "time/epoch_seconds": logs["epoch_seconds"]}
        if "val_loss" in logs:
            scalars["loss/validation"] = logs["val_loss"]
        scalars.update({f"model/{k}": v for k, v in logs.items() if k not in LOOP_LOGS})
        self.writer.add_scalars(epoch + 1, scalars)

    def on_fit_end(self, est) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None
