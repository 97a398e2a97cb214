"""Sparse codes as code activations: k-sparse selection (TopK, BatchTopK) and the activity record
that says which code units fire and which have died.

Both are plain modules placed after an encoder's last linear map (`MLPEncoder(...,
latent_activation=SparseCode(TopK(k, latent_dim), latent_dim))`), so any encoder gets a sparse code.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import nn

__all__ = ["ACTIVE_THRESHOLD", "BatchTopK", "CODE_ACTIVITY_LOGS", "CodeActivity", "SparseCode", "TopK", "find_submodule", "records_paused"]

ACTIVE_THRESHOLD = 1e-6  # a code unit is active on a sample when its |value| exceeds this
THRESHOLD_MOMENTUM = 0.2  # BatchTopK: weight of each training batch in the running inference threshold
CODE_ACTIVITY_LOGS = ("l0", "dead_fraction")  # the per-epoch numbers `CodeActivity.epoch_logs` reports (kept in history_)
BALANCE_RATE = 0.03  # TopK: per-step change of a selection offset, in units of the batch's mean |pre-activation|


class TopK(nn.Module):
    """Keep k entries of each row of the pre-activation (batch, latent_dim) as they are and set
    the rest to 0: exactly k non-zeros per sample (the k-sparse autoencoder of Makhzani & Frey,
    2013). The k kept are those with the largest pre-activation plus `selection_bias`, a
    per-unit offset used only to choose, which keeps every unit in use: after each training
    step a unit chosen by fewer than its share (k / latent_dim) of the batch's rows has its
    offset raised, and one chosen by more has it lowered, by `BALANCE_RATE` times the batch's
    mean absolute pre-activation (loss-free load balancing, as Wang et al. 2024 balance the experts of
    a mixture); the offsets are kept at mean 0, so they do not drift together. The last
    training input is kept as `last_input` for the dead-unit auxiliary loss. Under
    `records_paused` a training-mode pass selects the same way but updates none of this.

    Parameters
    ----------
    k : int
        Entries kept per sample, in [1, latent_dim].
    latent_dim : int
        Size of the code.
    """

    recording = True  # False under `records_paused`

    def __init__(self, k: int, latent_dim: int) -> None:
        super().__init__()
        if not (isinstance(k, int) and 1 <= k <= latent_dim):
            raise ValueError(f"k must be an integer in [1, latent_dim={latent_dim}], got {k!r}")
        self.k = k
        self.register_buffer("selection_bias", torch.zeros(latent_dim))
        self.last_input: torch.Tensor | None = None

    def forward(self, a: torch.Tensor) -> torch.Tensor:
        indices = (a + self.selection_bias.to(a.dtype)).topk(self.k, dim=1, sorted=False).indices  # (batch, k)
        if self.training and self.recording:
            self.last_input = a
            self._balance(a, indices)
        return torch.zeros_like(a).scatter(1, indices, a.gather(1, indices))  # (batch, latent_dim)

    @torch.no_grad()
    def _balance(self, a: torch.Tensor, chosen: torch.Tensor) -> None:
        """Move the offsets towards equal use, given the units `chosen` in a batch of a.shape[0] rows."""
        bias = self.selection_bias
        load = torch.zeros_like(bias).index_add_(0, chosen.reshape(-1), bias.new_ones(chosen.numel())) / a.shape[0]
        step = BALANCE_RATE * a.detach().abs().mean().to(bias.dtype)
        bias.add_(step * torch.sign(self.k / bias.numel() - load))
        bias.sub_(bias.mean())

    def train(self, mode: bool = True) -> TopK:
        self.last_input = None
        return super().train(mode)

    def extra_repr(self) -> str:
        return f"k={self.k}"


class BatchTopK(TopK):
    """Batch-level k-sparsity (BatchTopK, Bussmann et al. 2024): in training the batch keeps its
    k * batch largest entries, so a sample may use more or fewer than k units; at inference
    every entry at or above `threshold` is kept, the running mean of the smallest entry kept in
    each training batch, so a sample's code does not depend on the rest of its batch.

    Parameters
    ----------
    k : int
        Mean entries kept per sample in training, in [1, latent_dim].
    latent_dim : int
        Size of the code.
    """

    def __init__(self, k: int, latent_dim: int) -> None:
        super().__init__(k, latent_dim)
        self.register_buffer("threshold", torch.zeros(()))
        self.register_buffer("calibrated", torch.zeros((), dtype=torch.bool))

    def forward(self, a: torch.Tensor) -> torch.Tensor:
        scores = a + self.selection_bias.to(a.dtype)
        if not self.training:
            return torch.where(scores >= self.threshold.to(a.dtype), a, torch.zeros_like(a))
        flat = scores.reshape(-1)
        kept = flat.topk(self.k * a.shape[0], sorted=False).indices
        if self.recording:
            self.last_input = a
            self._record(a, flat, kept)
        mask = torch.zeros_like(flat, dtype=torch.bool).index_fill(0, kept, True).reshape(a.shape)
        return torch.where(mask, a, torch.zeros_like(a))

    @torch.no_grad()
    def _record(self, a: torch.Tensor, flat: torch.Tensor, kept: torch.Tensor) -> None:
        """Move the running threshold towards the smallest score kept (flat: the batch's scores,
        kept: their indices kept) and balance the units."""
        smallest = flat[kept].min().to(self.threshold.dtype)
        self.threshold.copy_(torch.where(self.calibrated, self.threshold.lerp(smallest, THRESHOLD_MOMENTUM), smallest))
        self.calibrated.fill_(True)
        self._balance(a, kept % a.shape[1])


class CodeActivity(nn.Module):
    """Identity on codes (batch, latent_dim) that, in training mode, records which units fire:
    the training steps since each unit was last active on any sample of a batch (a buffer, saved
    with the weights), and per epoch the mean number of active units per sample (`l0`) and the
    share of units active on no sample of the epoch (`dead_fraction`).

    Parameters
    ----------
    latent_dim : int
        Size of the code.
    dead_after : int, default=100
        Training steps without activity after which a unit counts as dead (`dead_mask`).
    """

    recording = True  # False under `records_paused`

    def __init__(self, latent_dim: int, dead_after: int = 100) -> None:
        super().__init__()
        if not (isinstance(dead_after, int) and dead_after >= 1):
            raise ValueError(f"dead_after must be a positive integer of steps, got {dead_after!r}")
        self.dead_after = dead_after
        self.register_buffer("steps_since_active", torch.zeros(latent_dim, dtype=torch.int64))
        self._fired: torch.Tensor | None = None
        self._active_entries: torch.Tensor | None = None
        self._rows = 0

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if self.training and self.recording:
            with torch.no_grad():
                active = z.detach().abs() > ACTIVE_THRESHOLD  # (batch, latent_dim)
                fired = active.any(dim=0)
                self.steps_since_active.add_(1).masked_fill_(fired, 0)
                if self._fired is None:
                    self._fired, self._active_entries = fired.clone(), active.sum()
                else:
                    self._fired |= fired
                    self._active_entries += active.sum()
                self._rows += z.shape[0]
        return z

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        # weights saved before codes kept this record (an L1 SparseAutoEncoder) load with it at zero
        state_dict.setdefault(prefix + "steps_since_active", torch.zeros_like(self.steps_since_active))
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def dead_mask(self) -> torch.Tensor:
        """Units inactive on every training batch of the last `dead_after` steps: (latent_dim,) bool."""
        return self.steps_since_active >= self.dead_after

    def epoch_logs(self) -> dict[str, float]:
        """`l0` and `dead_fraction` over the training batches since the last call, then reset."""
        if self._fired is None:
            return {}
        logs = {
            "l0": self._active_entries.item() / max(self._rows, 1),
            "dead_fraction": 1.0 - self._fired.float().mean().item(),
        }
        self._fired, self._active_entries, self._rows = None, None, 0
        return logs


class SparseCode(nn.Sequential):
    """A code activation (`nn.ReLU()`, `TopK(k)`, ...) followed by the `CodeActivity` record of
    its `latent_dim` units.

    Parameters
    ----------
    activation : nn.Module
        The code activation.
    latent_dim : int
        Size of the code.
    dead_after : int, default=100
        Passed to `CodeActivity`.
    """

    def __init__(self, activation: nn.Module, latent_dim: int, dead_after: int = 100) -> None:
        super().__init__(activation, CodeActivity(latent_dim, dead_after))


@contextmanager
def records_paused(module: nn.Module) -> Iterator[None]:
    """Within the block, the `TopK` and `CodeActivity` parts of `module` compute as in training
    but record nothing (balancing offsets, last input, threshold, unit activity): for extra
    passes over a batch the training step has already recorded, such as the contractive
    penalty's Jacobian.

    Parameters
    ----------
    module : nn.Module
        The module (an encoder, or a whole autoencoder) whose sparse-code parts pause.
    """
    parts = [part for part in module.modules() if isinstance(part, (TopK, CodeActivity))]
    before = [part.recording for part in parts]
    for part in parts:
        part.recording = False
    try:
        yield
    finally:
        for part, recording in zip(parts, before):
            part.recording = recording


def find_submodule(module: nn.Module, kind: type) -> nn.Module | None:
    """The first submodule of `module` that is a `kind`, or None.

    Parameters
    ----------
    module : nn.Module
        The module searched (itself included, in `modules()` order).
    kind : type
        The class looked for.

    Returns
    -------
    submodule : nn.Module or None
    """
    return next((m for m in module.modules() if isinstance(m, kind)), None)
