"""Several autoencoders of one architecture trained side by side as one module, their
reconstructions averaged: members that differ in initialisation and in the corruptions they
draw make different errors, and their mean has a lower variance than any one of them, as
bagging does for trees (and MIDAS for its multiple imputations)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import torch
from torch import nn

from aekit.nn.models import draw_reconstruction


def _mean_of(values: list):
    """The elementwise mean of equal-shaped tensors, or of dicts of them key by key."""
    if isinstance(values[0], dict):
        return {key: _mean_of([v[key] for v in values]) for key in values[0]}
    return torch.stack(values).mean(dim=0)


class AutoEncoderEnsemble(nn.Module):
    """`members` (AutoEncoderModules or VariationalAutoEncoderModules over the same features)
    trained on the same batches by one optimizer.

    `forward` returns the members' outputs averaged field by field: the loss is the mean of
    their losses, so each member gets its own loss's gradient over len(members), which Adam's
    per-parameter scaling makes the same update as training it alone; in training mode each
    member draws its own corruption of the batch. `reconstruct` is the mean of the members'
    reconstructions (batch, features); `reconstruct_sample` takes each row from one member
    drawn at random, so draws spread over the members' disagreement too.
    """

    def __init__(self, members: Sequence[nn.Module]) -> None:
        super().__init__()
        if not members:
            raise ValueError("members: an ensemble needs at least one autoencoder")
        self.members = nn.ModuleList(members)
        self.corruption = members[0].corruption
        self.regularizers = [r for member in members for r in getattr(member, "regularizers", ())]

    def forward(self, x: torch.Tensor, target: torch.Tensor | None = None, generator: torch.Generator | None = None) -> NamedTuple:
        outs = [member(x, target, generator) for member in self.members]
        return type(outs[0])(*(_mean_of(list(field)) for field in zip(*outs)))

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        return _mean_of([member.reconstruct(x) for member in self.members])  # (batch, features)

    def reconstruct_sample(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """One stochastic reconstruction per row from a member drawn at random: a VAE member's
        decoded posterior draw, an autoencoder's reconstruction of a freshly corrupted row."""
        draws = torch.stack([draw_reconstruction(member, x, generator) for member in self.members])  # (members, batch, features)
        pick = torch.randint(len(self.members), (x.shape[0],), generator=generator, device=x.device)
        return draws[pick, torch.arange(x.shape[0], device=x.device)]

    def sample_losses(self, x: torch.Tensor, target: torch.Tensor | None = None) -> torch.Tensor:
        """The members' mean per-sample loss without corruption: (batch,)."""
        return _mean_of([member.sample_losses(x, target) for member in self.members])

    @torch.no_grad()
    def apply_constraints(self) -> None:
        for member in self.members:
            if hasattr(member, "apply_constraints"):
                member.apply_constraints()

