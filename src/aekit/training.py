"""The training loop: short enough to read on one screen (after nanoGPT's `train.py`).

In-memory data lives in one tensor on the device; each epoch draws a permutation from a
seeded `torch.Generator` and a batch is one indexing operation, with no per-sample Dataset calls
(data on disk streams in shuffled chunks instead, see `aekit.batching`). Under torchrun the
module is wrapped in DistributedDataParallel and each rank takes its slice of every batch.
Everything the loop carries from one epoch to the next is in a `TrainState`, which a
`Checkpoint` may save after each epoch and restore before the first, so an interrupted fit
continues exactly where it stopped.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import torch
from torch import nn
from tqdm.auto import tqdm

from aekit import distributed
from aekit._batching import StreamBatches, TensorBatches
from aekit._denormals import flushed_denormals
from aekit._precision import autocast, bfloat16_weights, check_precision, grad_scaler
from aekit._sources import DataSource

__all__ = ["Checkpoint", "History", "TrainConfig", "TrainState", "TrainingDivergedError", "train"]

OPTIMIZERS = ("adam", "adamw", "rmsprop", "sgd")
LR_SCHEDULES = ("cosine",)
FINAL_LR_FRACTION = 0.01  # where the cosine schedule ends, as a fraction of the initial rate
DIVERGENCE_FACTOR = 1e3  # an epoch loss this many times the untrained model's (or above 1e3) means divergence


class TrainingDivergedError(FloatingPointError):
    """The training loss became NaN, infinite, or exploded far above the untrained model's;
    the model is not usable as it stands."""


@dataclass
class TrainConfig:
    """Optimisation settings shared by every estimator."""

    optimizer: str = "adam"  # adam | adamw | rmsprop | sgd
    learning_rate: float = 1e-3
    weight_decay: float = 0.0
    momentum: float = 0.9  # sgd and rmsprop only
    batch_size: int = 256
    max_epochs: int = 100
    max_time: float | None = None  # seconds; training stops after the epoch that crosses it
    early_stopping: int | None = None  # patience in epochs on the validation loss; best weights restored
    grad_clip: float | None = None  # max global gradient norm
    precision: str = "32"  # 32 | bf16-mixed | 16-mixed (autocast for the forward pass)
    lr_schedule: str | None = None  # None | cosine (over max_epochs, or max_time if that comes first)
    verbose: bool = False


@dataclass
class History:
    """Per-epoch record of a fit; `val_loss` is the reconstruction loss on the held-out split."""

    loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    epoch_seconds: list[float] = field(default_factory=list)
    best_epoch: int | None = None

    def as_dict(self) -> dict:
        return {
            "loss": self.loss,
            "val_loss": self.val_loss,
            "epoch_seconds": self.epoch_seconds,
            "best_epoch": self.best_epoch,
        }


@dataclass
class TrainState:
    """What `train` carries between epochs; a checkpoint of it resumes a fit exactly."""

    module: nn.Module
    optimizer: torch.optim.Optimizer
    generator: torch.Generator  # shuffling and noise
    history: History = field(default_factory=History)
    epoch: int = 0  # epochs completed
    best_loss: float = math.inf  # best monitored (validation, else training) loss so far
    since_best: int = 0  # epochs since it last improved
    best_weights: dict[str, torch.Tensor] | None = None  # module weights at the best epoch (early stopping only)
    initial_loss: float | None = None  # the untrained model's loss on the first rows (divergence reference)


class Checkpoint(Protocol):
    """Saves a `TrainState` after each epoch and restores one before the first (when resuming)."""

    def restore(self, state: TrainState) -> None: ...

    def save(self, state: TrainState) -> None: ...


def make_optimizer(
    params, name: str, learning_rate: float, weight_decay: float = 0.0, momentum: float = 0.9
) -> torch.optim.Optimizer:
    """Build a torch optimizer by name, fused where this torch build supports it."""
    params = list(params)
    if name == "sgd":
        return torch.optim.SGD(params, lr=learning_rate, momentum=momentum, weight_decay=weight_decay)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=learning_rate, momentum=momentum, weight_decay=weight_decay)
    if name not in ("adam", "adamw"):
        raise ValueError(f"unknown optimizer {name!r}; choose one of {OPTIMIZERS}")
    cls = torch.optim.Adam if name == "adam" else torch.optim.AdamW
    try:
        return cls(params, lr=learning_rate, weight_decay=weight_decay, fused=True)
    except (RuntimeError, TypeError, ValueError):
        return cls(params, lr=learning_rate, weight_decay=weight_decay)


@torch.inference_mode()
def evaluate_loss(module: nn.Module, X: torch.Tensor, Y: torch.Tensor | None = None, batch_size: int = 4096) -> float:
    """Mean per-sample reconstruction loss of `module` on X (targets Y, default X), in eval mode."""
    was_training = module.training
    module.eval()
    total = X.new_zeros((), dtype=torch.float64)
    for start in range(0, X.shape[0], batch_size):
        y = None if Y is None else Y[start : start + batch_size]
        total += module.sample_losses(X[start : start + batch_size], y).sum().double()
    module.train(was_training)
    return total.item() / X.shape[0]


def scheduled_lr(config: TrainConfig, epoch: int, elapsed: float) -> float:
    """The learning rate for `epoch` (0-based) after `elapsed` seconds of training: constant,
    or a half cosine from `learning_rate` down to FINAL_LR_FRACTION of it over the run."""
    if config.lr_schedule is None:
        return config.learning_rate
    if config.lr_schedule not in LR_SCHEDULES:
        raise ValueError(f"lr_schedule must be one of {LR_SCHEDULES} or None, got {config.lr_schedule!r}")
    progress = epoch / config.max_epochs
    if config.max_time is not None:
        progress = max(progress, elapsed / config.max_time)
    final = FINAL_LR_FRACTION * config.learning_rate
    return final + (config.learning_rate - final) * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))


def _first_rows(X: torch.Tensor | DataSource, device: torch.device, n: int = 4096) -> torch.Tensor:
    if isinstance(X, DataSource):
        return torch.from_numpy(X.read(0, min(n, X.n_rows))).to(device)
    return X[:n]


def _diverged(loss: float, initial: float | None) -> bool:
    if not math.isfinite(loss):
        return True
    return initial is not None and loss > DIVERGENCE_FACTOR * max(abs(initial), 1.0)


def train(
    module: nn.Module,
    X: torch.Tensor | DataSource,
    config: TrainConfig,
    generator: torch.Generator,
    X_val: torch.Tensor | None = None,
    Y: torch.Tensor | None = None,
    Y_val: torch.Tensor | None = None,
    on_epoch_start: Callable[[int], None] | None = None,
    on_epoch_end: Callable[[int, History], None] | None = None,
    checkpoint: Checkpoint | None = None,
) -> History:
    """Fit `module` (an `AutoEncoderModule`) to X (n, features), targets Y (default X). X may
    also be a `DataSource` on disk (no Y then), streamed in shuffled chunks.

    `on_epoch_start(epoch)` runs before each epoch (schedules such as KL warm-up) and
    `on_epoch_end(epoch, history)` after it. `checkpoint.restore(state)` runs once before
    training and `checkpoint.save(state)` after every epoch (on rank 0 only). Raises
    `TrainingDivergedError` when the loss stops being finite or explodes to more than
    `DIVERGENCE_FACTOR` times the untrained model's. With `config.early_stopping` set, stops
    after that many epochs without a better validation loss and restores the best weights.
    """
    if config.early_stopping is not None and X_val is None:
        raise ValueError("early_stopping needs a validation split: set validation_fraction > 0")
    device = next(module.parameters()).device
    check_precision(config.precision)
    rank, world = distributed.rank(), distributed.world_size()
    if isinstance(X, DataSource):
        if Y is not None:
            raise ValueError("Y: targets are not supported for data streamed from disk")
        batches = StreamBatches(X, config.batch_size, device, rank=rank, world=world)
    else:
        batches = TensorBatches(X, Y, config.batch_size, rank=rank, world=world)
    n = batches.n_rows
    model = distributed.wrap(module)
    optimizer = make_optimizer(
        module.parameters(), config.optimizer, config.learning_rate, config.weight_decay, config.momentum
    )
    scaler = grad_scaler(config.precision, device)
    state = TrainState(module, optimizer, generator)
    if checkpoint is not None:
        checkpoint.restore(state)
    if state.initial_loss is None:
        first = _first_rows(X, device)
        state.initial_loss = evaluate_loss(module, first, None if Y is None else Y[: first.shape[0]])
    low_weights = bfloat16_weights(config.precision, module, device, world > 1)
    has_constraints = any(r.constrains for r in getattr(module, "regularizers", ()))
    history = state.history
    epochs = tqdm(
        range(state.epoch, config.max_epochs),
        desc="fit",
        unit="epoch",
        initial=state.epoch,
        total=config.max_epochs,
        disable=not config.verbose or rank != 0,
    )
    module.train()
    started = time.perf_counter()
    with flushed_denormals(device):
        for epoch in epochs:
            if config.early_stopping is not None and state.since_best >= config.early_stopping:
                break
            if on_epoch_start is not None:
                on_epoch_start(epoch)
            if config.lr_schedule is not None:
                elapsed = torch.tensor([time.perf_counter() - started], dtype=torch.float64)
                lr = scheduled_lr(config, epoch, distributed.sum_across_ranks(elapsed).item() / world)
                for group in optimizer.param_groups:
                    group["lr"] = lr
            start_time = time.perf_counter()
            total = torch.zeros((), device=device)
            for x, y in batches.epoch(generator):
                with autocast(config.precision, device):
                    out = model(x, y, generator=generator) if low_weights is None else low_weights(model, x, y, generator=generator)
                if scaler is not None:
                    scaler.scale(out.loss).backward()
                    scaler.unscale_(optimizer)
                else:
                    out.loss.backward()
                if low_weights is not None:
                    low_weights.gradients_to_master()
                if config.grad_clip is not None:
                    nn.utils.clip_grad_norm_(module.parameters(), config.grad_clip)
                if scaler is not None:
                    scaler.step(optimizer)
                    scaler.update()
                else:
                    optimizer.step()
                optimizer.zero_grad(set_to_none=True)
                if has_constraints:
                    module.apply_constraints()
                if low_weights is not None:
                    low_weights.refresh()
                total += out.loss.detach().float() * x.shape[0]
            train_loss = distributed.sum_across_ranks(total).item() / n
            if _diverged(train_loss, state.initial_loss):
                raise TrainingDivergedError(
                    f"training diverged in epoch {epoch + 1}: the loss became {train_loss:.4g} "
                    f"(the untrained model's was {state.initial_loss:.4g}). Try a smaller learning_rate "
                    f"(now {config.learning_rate}), set grad_clip, or scale X."
                )
            history.loss.append(train_loss)
            history.epoch_seconds.append(time.perf_counter() - start_time)
            monitored = train_loss
            if X_val is not None:
                monitored = evaluate_loss(module, X_val, Y_val)
                history.val_loss.append(monitored)
            if monitored < state.best_loss:
                state.best_loss, state.since_best, history.best_epoch = monitored, 0, epoch
                if config.early_stopping is not None:
                    state.best_weights = copy.deepcopy(module.state_dict())
            else:
                state.since_best += 1
            state.epoch = epoch + 1
            if config.verbose and rank == 0:
                epochs.set_postfix(loss=f"{train_loss:.4g}", val_loss=f"{history.val_loss[-1]:.4g}" if history.val_loss else "-")
            if checkpoint is not None and rank == 0:
                checkpoint.save(state)
            if on_epoch_end is not None:
                on_epoch_end(epoch, history)
            out_of_time = config.max_time is not None and time.perf_counter() - started >= config.max_time
            if distributed.any_rank(out_of_time):
                break
    if state.best_weights is not None:
        module.load_state_dict(state.best_weights)
    module.eval()
    return history
