"""The training loop: short enough to read on one screen (after nanoGPT's `train.py`).

In-memory data lives in one tensor on the device; each epoch draws a permutation from a
seeded `torch.Generator` and a batch is one indexing operation, with no per-sample Dataset calls
(data on disk streams in shuffled chunks instead, see `aekit.training._batching`). Under torchrun the
module is wrapped in DistributedDataParallel and each rank takes its slice of every batch.
Everything the loop carries from one epoch to the next is in a `TrainState`; everything it
does besides stepping (early stopping, checkpoints, metrics, progress, time budget, schedules,
the divergence guard) is a callback (`aekit.training.callbacks`), and the step itself, with its mixed
precision and clipping, is an `OptimizerStep`. Data-parallel training under torchrun is
switched on by `TrainConfig.distributed`, never by a process group that merely exists.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
from torch import nn

from aekit.nn.sparse_codes import CODE_ACTIVITY_LOGS
from aekit.training import distributed
from aekit.training._batching import batches_for, check_batch_rows, first_rows, min_batch_rows, row_blocks
from aekit.training.budget import resolve_budget
from aekit.training.callbacks import (
    LOOP_LOGS,
    Callback,
    CosineSchedule,
    DivergenceGuard,
    EarlyStopping,
    KeepTheStart,
    ProgressBar,
    TimeBudget,
    TrainingDivergedError,
)
from aekit.training._denormals import flushed_denormals
from aekit.training._global_rng import dropout_seeded
from aekit.training.optimizer_step import OptimizerStep
from aekit.training._precision import check_precision
from aekit.data._sources import DataSource

__all__ = ["HISTORY_KEYS", "History", "TrainConfig", "TrainState", "TrainingDivergedError", "evaluate_loss", "make_optimizer", "match_optimizer", "train"]

HISTORY_KEYS = frozenset({"loss", "val_loss", "epoch_seconds", "best_epoch", "settings", *CODE_ACTIVITY_LOGS})  # of `History.as_dict`
OPTIMIZERS = ("adam", "adamw", "rmsprop", "sgd")
LR_SCHEDULES = ("cosine",)


@dataclass
class TrainConfig:
    """Optimisation settings shared by every estimator.

    Parameters
    ----------
    optimizer : {'adam', 'adamw', 'rmsprop', 'sgd'}, default='adam'
        The torch optimizer (see `make_optimizer`).
    learning_rate : float or 'auto', default=1e-3
        The optimizer's step size (the start of a cosine schedule); 'auto' follows the batch
        size (`aekit.training.budget`).
    weight_decay : float, default=0.0
        The optimizer's weight decay.
    momentum : float, default=0.9
        Momentum for 'sgd' and 'rmsprop'.
    batch_size : int or 'auto', default=256
        Rows per optimizer step; 'auto' follows the number of rows (`aekit.training.budget`).
    max_epochs : int or 'auto', default=100
        Epochs of this fit; 'auto' gives enough epochs for a minimum number of steps.
    max_time : float or None, default=None
        Seconds of training after which the fit stops (after the epoch that crosses it).
    early_stopping : int, 'auto' or None, default=None
        Patience in epochs on the validation loss, the best weights restored; None is off.
    grad_clip : float or None, default=None
        Max global gradient norm.
    precision : {'32', 'bf16-mixed', '16-mixed'}, default='32'
        Forward pass in float32 or under autocast.
    lr_schedule : {None, 'cosine', 'auto'}, default=None
        Constant learning rate, or a half cosine over `max_epochs` (or `max_time` when that
        comes first); 'auto' is resolved by `aekit.training.budget`.
    distributed : bool, default=False
        Train data-parallel over torchrun's ranks (joining the process group it describes).
    verbose : bool, default=False
        Show a progress bar.
    start_competes : bool, default=False
        Early stopping may restore the weights training started from (a PCA start).
    compile : bool, default=False
        Compile the training forward pass with `torch.compile` (full-size batches only; see
        `aekit.training.compiled`).
    """

    optimizer: str = "adam"  # adam | adamw | rmsprop | sgd
    learning_rate: float | str = 1e-3  # "auto": follows the batch size (aekit.training.budget)
    weight_decay: float = 0.0
    momentum: float = 0.9  # sgd and rmsprop only
    batch_size: int | str = 256  # "auto": follows the number of rows (aekit.training.budget)
    max_epochs: int | str = 100  # "auto": enough epochs for a minimum number of steps
    max_time: float | None = None  # seconds; training stops after the epoch that crosses it
    early_stopping: int | str | None = None  # patience in epochs on the validation loss; best weights restored
    grad_clip: float | None = None  # max global gradient norm
    precision: str = "32"  # 32 | bf16-mixed | 16-mixed (autocast for the forward pass)
    lr_schedule: str | None = None  # None | cosine (over max_epochs, or max_time if that comes first) | auto
    distributed: bool = False  # data-parallel over torchrun's ranks (joins the process group it describes)
    verbose: bool = False
    start_competes: bool = False  # early stopping may restore the weights training started from (a PCA start)
    compile: bool = False  # torch.compile the forward pass of full-size batches


@dataclass
class History:
    """Per-epoch record of a fit; `val_loss` is the reconstruction loss on the held-out split.

    Parameters
    ----------
    loss : list of float, default=[]
        Mean training loss of each epoch.
    val_loss : list of float, default=[]
        Validation loss of each epoch (empty without a validation split; NaN for an epoch
        without one when others had one, e.g. a `partial_fit` between warm-started fits).
    epoch_seconds : list of float, default=[]
        Duration of each epoch.
    best_epoch : int or None, default=None
        Epoch (0-based) of the best monitored loss; None with early stopping when the weights
        before training were the best.
    extra : dict of str to list of float, default={}
        Per-epoch numbers the module reports (e.g. a sparse code's `l0`).
    settings : dict, default={}
        What the fit chose: batch size, epochs, patience, start, ...
    """

    loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    epoch_seconds: list[float] = field(default_factory=list)
    best_epoch: int | None = None  # None with early stopping: the weights before training were the best
    extra: dict[str, list[float]] = field(default_factory=dict)  # per-epoch numbers the module reports (e.g. l0)
    settings: dict = field(default_factory=dict)  # what the fit chose: batch size, epochs, patience, start, ...

    def as_dict(self) -> dict:
        """The record as plain lists and dicts, copies (later epochs of this history do not change it)."""
        return {
            "loss": list(self.loss),
            "val_loss": list(self.val_loss),
            "epoch_seconds": list(self.epoch_seconds),
            "best_epoch": self.best_epoch,
            "settings": dict(self.settings),
            **{k: list(v) for k, v in self.extra.items()},
        }

    @classmethod
    def from_dict(cls, history: dict) -> History:
        """The inverse of `as_dict` (a history saved before `settings` existed reads as empty settings).

        Parameters
        ----------
        history : dict
            As `as_dict` returns it (e.g. an estimator's `history_`).

        Returns
        -------
        history : History
        """
        known = ("loss", "val_loss", "epoch_seconds", "best_epoch")
        extra = {k: list(v) for k, v in history.items() if k not in (*known, "settings")}
        lists = (list(history.get(k, [])) for k in known[:3])
        return cls(*lists, history.get("best_epoch"), extra=extra, settings=dict(history.get("settings", {})))


@dataclass
class TrainState:
    """What `train` carries between epochs (and, for warm starts, between fits); a checkpoint
    of it resumes a fit exactly.

    Parameters
    ----------
    module : nn.Module
        The module trained.
    optimizer : torch.optim.Optimizer
        Its optimizer.
    generator : torch.Generator
        Source of the shuffling and the noise.
    history : History, default=History()
        The record of the epochs so far.
    epoch : int, default=0
        Epochs completed, over every fit of this state.
    elapsed : float, default=0.0
        Seconds of training in the current fit (checkpointed: a resumed fit keeps its clock).
    best_loss : float, default=inf
        Best monitored (validation, else training) loss so far.
    since_best : int, default=0
        Epochs since it last improved.
    best_weights : dict of str to torch.Tensor or None, default=None
        Module weights at the best epoch (early stopping only).
    initial_loss : float or None, default=None
        The untrained model's loss on the first rows (the divergence reference).
    kept_epoch : int or None, default=None
        Epoch (0-based) whose weights the module holds after the last fit; None: the weights
        it had before any epoch (a start early stopping restored).
    first_epoch : int, default=0
        The current fit's first epoch.
    last_epoch : int, default=0
        The current fit stops before this epoch.
    rank : int, default=0
        This process's rank in distributed training.
    world : int, default=1
        Number of ranks.
    snapshot : tuple or None, default=None
        The divergence guard's copy of the weights and optimizer state at a fit's start, kept
        so the next fit copies into the same memory (not checkpointed).
    """

    module: nn.Module
    optimizer: torch.optim.Optimizer
    generator: torch.Generator  # shuffling and noise
    history: History = field(default_factory=History)
    epoch: int = 0  # epochs completed, over every fit of this state
    elapsed: float = 0.0  # seconds of training in the current fit (checkpointed: a resumed fit keeps its clock)
    best_loss: float = math.inf  # best monitored (validation, else training) loss so far
    since_best: int = 0  # epochs since it last improved
    best_weights: dict[str, torch.Tensor] | None = None  # module weights at the best epoch (early stopping only)
    initial_loss: float | None = None  # the untrained model's loss on the first rows (divergence reference)
    kept_epoch: int | None = None  # epoch whose weights the module holds after the last fit (None: the start's)
    first_epoch: int = 0  # the current fit's first epoch
    last_epoch: int = 0  # the current fit stops before this epoch
    rank: int = 0
    world: int = 1
    snapshot: tuple | None = field(default=None, repr=False)  # the divergence guard's reused copy buffers

    def record(self, epoch: int, logs: dict) -> None:
        """Add an epoch's logs to the history and track the best monitored loss.

        Parameters
        ----------
        epoch : int
            The epoch (0-based) the logs are from.
        logs : dict
            `loss` and `epoch_seconds`, optionally `val_loss`, and the module's own numbers
            (keys other than the loop's, kept in `history.extra`).
        """
        self.history.loss.append(logs["loss"])
        self.history.epoch_seconds.append(logs["epoch_seconds"])
        if "val_loss" in logs or self.history.val_loss:  # aligned with loss: NaN for an epoch without validation
            missing = len(self.history.loss) - 1 - len(self.history.val_loss)
            self.history.val_loss.extend([math.nan] * missing + [logs.get("val_loss", math.nan)])
        for key in logs.keys() - LOOP_LOGS:
            self.history.extra.setdefault(key, []).append(logs[key])
        monitored = logs.get("val_loss", logs["loss"])
        if monitored < self.best_loss:
            self.best_loss, self.since_best, self.history.best_epoch = monitored, 0, epoch
        else:
            self.since_best += 1
        self.epoch = epoch + 1


def make_optimizer(
    params, name: str, learning_rate: float, weight_decay: float = 0.0, momentum: float = 0.9
) -> torch.optim.Optimizer:
    """Build a torch optimizer by name, fused where this torch build supports it.

    Parameters
    ----------
    params : iterable of torch.Tensor
        The parameters to optimise.
    name : {'adam', 'adamw', 'sgd', 'rmsprop'}
        The optimizer.
    learning_rate : float
        Step size.
    weight_decay : float, default=0.0
        Weight decay.
    momentum : float, default=0.9
        Momentum for 'sgd' and 'rmsprop'.

    Returns
    -------
    optimizer : torch.optim.Optimizer
    """
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
    """Mean per-sample reconstruction loss of `module` on X (targets Y, default X), in eval mode;
    a scipy.sparse X is densified one batch at a time.

    Parameters
    ----------
    module : nn.Module
        Has `sample_losses(x, y)`; restored to its training mode afterwards.
    X : torch.Tensor or scipy.sparse matrix
        Inputs, (n, features).
    Y : torch.Tensor or None, default=None
        Targets, (n, outputs); None reconstructs X.
    batch_size : int, default=4096
        Rows per forward pass.

    Returns
    -------
    loss : float
    """
    was_training = module.training
    module.eval()
    device = next(module.parameters()).device
    total = torch.zeros((), dtype=torch.float64, device=device)
    for start, x in row_blocks(X, batch_size):
        y = None if Y is None else Y[start : start + x.shape[0]]
        total += module.sample_losses(torch.as_tensor(x, device=device), y).sum().double()
    module.train(was_training)
    return total.item() / X.shape[0]


def new_state(module: nn.Module, config: TrainConfig, generator: torch.Generator, history: dict | None = None) -> TrainState:
    """A fresh `TrainState` for `module`, with the optimizer `config` names; `history` (a
    `History.as_dict()`, e.g. a loaded model's `history_`) is the record it continues, its
    epochs counted."""
    optimizer = make_optimizer(module.parameters(), config.optimizer, config.learning_rate, config.weight_decay, config.momentum)
    if history is None:
        return TrainState(module, optimizer, generator)
    earlier = History.from_dict(history)
    restored = earlier.settings.get("early_stopping") is not None and bool(earlier.val_loss)
    kept = earlier.best_epoch if restored else len(earlier.loss) - 1 if earlier.loss else None
    return TrainState(module, optimizer, generator, history=earlier, epoch=len(earlier.loss), kept_epoch=kept)


OPTIMIZER_NAMES = {torch.optim.Adam: "adam", torch.optim.AdamW: "adamw", torch.optim.RMSprop: "rmsprop", torch.optim.SGD: "sgd"}


def match_optimizer(state: TrainState, config: TrainConfig) -> None:
    """Give a warm start's `state` the optimizer `config` names: a new one where the kind
    changed (the old one's moments belong to another method), else the old one, its moments
    kept, with the step size, weight decay and momentum `config` sets.

    Parameters
    ----------
    state : TrainState
        The state a fitted estimator continues from; its optimizer is replaced or updated.
    config : TrainConfig
        The settings of this fit, budget resolved (a number for `learning_rate`).
    """
    if OPTIMIZER_NAMES.get(type(state.optimizer)) != config.optimizer:
        state.optimizer = make_optimizer(state.module.parameters(), config.optimizer, config.learning_rate,
                                         config.weight_decay, config.momentum)  # fmt: skip
        return
    for group in state.optimizer.param_groups:
        group.update(lr=config.learning_rate, weight_decay=config.weight_decay)
        if "momentum" in group:
            group["momentum"] = config.momentum


def builtin_callbacks(config: TrainConfig, state: TrainState, X, Y, X_val=None, Y_val=None, checkpoint=None) -> list:
    """The callbacks `config` asks for, in the order they must run: the divergence guard
    first (it raises before a diverged state is saved), early stopping (which keeps the best
    weights the checkpoint saves) and the start's claim to be best (whose start the
    checkpoint may then replace), the checkpoint, time budget, schedule, progress bar."""
    if config.early_stopping is not None and X_val is None:
        raise ValueError(
            f"early_stopping needs a validation split, and this fit of {X.shape[0]} rows has none: set "
            "validation_fraction so that fraction x rows rounds to at least one row and leaves one to train on"
        )
    if config.lr_schedule is not None and config.lr_schedule not in LR_SCHEDULES:
        raise ValueError(f"lr_schedule must be one of {LR_SCHEDULES} or None, got {config.lr_schedule!r}")
    device = next(state.module.parameters()).device

    def untrained_loss() -> float:
        first = first_rows(X, device)
        return evaluate_loss(state.module, first, None if Y is None else Y[: first.shape[0]])

    callbacks = [DivergenceGuard(untrained_loss, config.learning_rate, lambda: first_rows(X, device))]
    if config.early_stopping is not None:
        callbacks.append(EarlyStopping(config.early_stopping))
        if config.start_competes:
            callbacks.append(KeepTheStart(lambda: evaluate_loss(state.module, X_val, Y_val)))
    if checkpoint is not None:
        callbacks.append(checkpoint)
    if config.max_time is not None:
        callbacks.append(TimeBudget(config.max_time))
    if config.lr_schedule == "cosine":
        callbacks.append(CosineSchedule(config))
    if config.verbose:
        callbacks.append(ProgressBar())
    return callbacks


def _hooks(callbacks: Sequence, name: str) -> list:
    return [getattr(cb, name) for cb in callbacks if hasattr(cb, name)]


def train(
    module: nn.Module,
    X: torch.Tensor | DataSource,
    config: TrainConfig,
    generator: torch.Generator,
    X_val: torch.Tensor | None = None,
    Y: torch.Tensor | None = None,
    Y_val: torch.Tensor | None = None,
    callbacks: Sequence = (),
    checkpoint=None,
    state: TrainState | None = None,
    owner=None,
) -> History:
    """Fit `module` (an `AutoEncoderModule`) to X (n, features), targets Y (default X), for
    `config.max_epochs` epochs. X may also be a scipy.sparse CSR matrix (densified one batch at a
    time) or a `DataSource` on disk (no Y then), streamed in shuffled chunks.

    `callbacks` (see `aekit.training.callbacks`) run after the built-in ones that `config` asks for;
    `checkpoint` (an `aekit.training.checkpoint.Checkpointer`) restores a saved state before the first
    epoch and saves one after each. `state` continues an earlier fit (warm start: same module, optimizer state
    and history). `owner` is what callbacks receive as `est` (default: the module). Raises
    `TrainingDivergedError` when the loss stops being finite or explodes; warns (ConvergenceWarning) when a
    fit from random weights ends worse than it started.

    Parameters
    ----------
    module : nn.Module
        The module to train, on its device; left in eval mode.
    X : torch.Tensor, scipy.sparse matrix or DataSource
        Training inputs, (n, features).
    config : TrainConfig
        The optimisation settings ('auto' entries resolved here).
    generator : torch.Generator
        Source of the shuffling and the noise for a new state.
    X_val : torch.Tensor or None, default=None
        Validation inputs, for `val_loss` and early stopping.
    Y : torch.Tensor or None, default=None
        Training targets; None reconstructs X.
    Y_val : torch.Tensor or None, default=None
        Validation targets; None reconstructs X_val.
    callbacks : sequence of objects, default=()
        Callbacks run after the built-in ones.
    checkpoint : Checkpointer or None, default=None
        Restores a saved state before the first epoch and saves one after each.
    state : TrainState or None, default=None
        An earlier fit's state to continue; None starts a new one.
    owner : object, default=None
        What callbacks receive as `est`; None is the module.

    Returns
    -------
    history : History
        The state's history, this fit's epochs appended.
    """
    device = next(module.parameters()).device
    check_precision(config.precision)
    config = resolve_budget(config, X.shape[0], X_val is not None)
    if state is None:
        state = new_state(module, config, generator)
    else:
        state.best_loss, state.since_best, state.best_weights = math.inf, 0, None
    state.rank, state.world = (distributed.rank(), distributed.world_size()) if config.distributed else (0, 1)
    state.first_epoch, state.elapsed = state.epoch, 0.0
    state.last_epoch = state.epoch + config.max_epochs
    if any(r.constrains for r in getattr(module, "regularizers", ())):
        module.apply_constraints()  # start inside the constraint set: the start competes for the best weights
    min_rows = min_batch_rows(module, state.world)
    check_batch_rows(X.shape[0], config.batch_size, min_rows, state.world)
    batches = batches_for(X, Y, config.batch_size, device, rank=state.rank, world=state.world, min_rows=min_rows)
    if checkpoint is not None:
        checkpoint.note_rows(X, Y)
    callbacks = builtin_callbacks(config, state, X, Y, X_val, Y_val, checkpoint) + list(callbacks)
    for cb in callbacks:
        if isinstance(cb, Callback):
            cb.state = state
    owner = module if owner is None else owner
    for hook in _hooks(callbacks, "on_fit_start"):
        hook(owner)
    model = distributed.wrap(module) if state.world > 1 else module
    # after the hooks: a restored checkpoint's weights are the ones the step's bfloat16 copies take
    step = OptimizerStep(module, model, state.optimizer, config.precision, config.grad_clip, state.world > 1, config.compile)
    module.train()
    guard = next(cb for cb in callbacks if isinstance(cb, DivergenceGuard))
    try:
        _run_epochs(module, X_val, Y_val, state, batches, step, generator, callbacks, owner, device)
    except BaseException:  # Ctrl-C, a callback's error: the module, optimizer and history as the fit found them
        guard.restore_start()
        raise
    for hook in _hooks(callbacks, "on_fit_end"):
        hook(owner)
    if not config.start_competes:  # a PCA start is a fitted model, not an untrained one: it competes instead
        guard.warn_if_worse()
    if config.early_stopping is not None:
        state.kept_epoch = state.history.best_epoch
    elif state.epoch > state.first_epoch:
        state.kept_epoch = state.epoch - 1
    module.eval()
    return state.history


def _run_epochs(module, X_val, Y_val, state: TrainState, batches, step, generator, callbacks, owner, device) -> None:
    """The epochs of `train`, from the state's epoch to its last, until a callback stops them."""
    with flushed_denormals(device):
        for epoch in range(state.epoch, state.last_epoch):
            if any([bool(hook(owner, epoch)) for hook in _hooks(callbacks, "on_epoch_start")]):
                break
            started = time.perf_counter()
            total = torch.zeros((), device=device)
            with dropout_seeded(module, generator, device):
                for x, y in batches.epoch(generator):
                    total += step(x, y, generator) * x.shape[0]
            logs = {"loss": distributed.sum_across_ranks(total, state.world).item() / batches.n_rows}
            if X_val is not None:
                logs["val_loss"] = evaluate_loss(module, X_val, Y_val)
            if hasattr(module, "epoch_logs"):
                logs.update(module.epoch_logs())
            logs["lr"] = state.optimizer.param_groups[0]["lr"]
            logs["epoch_seconds"] = time.perf_counter() - started
            state.elapsed += logs["epoch_seconds"]
            logs["elapsed"] = state.elapsed
            state.record(epoch, logs)
            stop = [bool(hook(owner, epoch, logs)) for hook in _hooks(callbacks, "on_epoch_end")]
            if distributed.any_rank(any(stop), state.world):
                break
