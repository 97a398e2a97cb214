"""Several autoencoders of one architecture trained side by side as one batched module, their
reconstructions averaged: members that differ in initialisation and in the corruptions they
draw make different errors, and their mean has a lower variance than any one of them, as
bagging does for trees (and MIDAS for its multiple imputations).

The members' weights are stacked, layer by layer, into (members, in, out) tensors and every
layer runs once for all members as a batched matrix product, so an ensemble of small models
costs about the operations of one."""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from typing import NamedTuple

import torch
from torch import nn

from aekit.nn.models import draw_reconstruction

__all__ = ["AutoEncoderEnsemble", "StackedMLP"]

_STACKED_KEY = re.compile(r"^(encoder|decoder)\.(weight|bias)\.(\d+)$")


def _stateless(part: nn.Module) -> bool:
    return next(part.parameters(), None) is None and next(part.buffers(), None) is None


class StackedMLP(nn.Module):
    """`mlps` (MLPEncoders or MLPDecoders of one shape) as one module over member-major rows:
    (members * batch, in) -> (members * batch, out), rows [i * batch, (i + 1) * batch) going
    through member i. `weight[j]` is (members, in, out), `bias[j]` (members, 1, out)."""

    def __init__(self, mlps: Sequence[nn.Module]) -> None:
        super().__init__()
        first = mlps[0]
        tail = getattr(first, "latent_activation", nn.Identity())
        if not isinstance(getattr(first, "input_transform", nn.Identity()), nn.Identity) or not _stateless(tail):
            raise ValueError("members: an ensemble stacks plain MLP encoders and decoders (no input transform, no sparse code)")
        layers = [list(mlp.linears) for mlp in mlps]
        if len({tuple(tuple(lin.weight.shape) for lin in stack) for stack in layers}) != 1:
            raise ValueError("members: the autoencoders of an ensemble must have one architecture")
        self.weight = nn.ParameterList(
            nn.Parameter(torch.stack([stack[j].weight.detach().t() for stack in layers])) for j in range(len(layers[0]))
        )
        self.bias = nn.ParameterList(
            nn.Parameter(torch.stack([stack[j].bias.detach() for stack in layers]).unsqueeze(1)) for j in range(len(layers[0]))
        )
        self.activation = first.activation
        self.tail = tail

    @property
    def n_members(self) -> int:
        return self.weight[0].shape[0]

    def multiply_adds_per_row(self) -> int:
        """All members' multiply-adds for one row of the batch."""
        return sum(weight.numel() for weight in self.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x.reshape(self.n_members, -1, x.shape[-1])  # (members, batch, in)
        last = len(self.weight) - 1
        for j, (weight, bias) in enumerate(zip(self.weight, self.bias)):
            h = torch.baddbmm(bias, h, weight)
            h = self.activation(h) if j < last else self.tail(h)
        return h.reshape(-1, h.shape[-1])  # (members * batch, out)

    @torch.no_grad()
    def write_member(self, i: int, mlp: nn.Module) -> nn.Module:
        """`mlp` (of the members' shape) given member i's weights; returns it."""
        for linear, weight, bias in zip(mlp.linears, self.weight, self.bias):
            linear.weight.copy_(weight[i].t())
            linear.bias.copy_(bias[i, 0])
        return mlp


def _mean_of(value, n: int):
    """The mean over members of a member-major stacked tensor (members * batch, ...) or a
    scalar (already a mean over the members' rows), or of a dict of them key by key."""
    if isinstance(value, dict):
        return {key: _mean_of(v, n) for key, v in value.items()}
    if value.dim() == 0:
        return value
    return value.reshape(n, -1, *value.shape[1:]).mean(dim=0)


class AutoEncoderEnsemble(nn.Module):
    """`members` (AutoEncoderModules or VariationalAutoEncoderModules with MLP encoders and
    decoders over the same features) trained on the same batches by one optimizer, as one
    module of their kind (`stacked`) whose encoder and decoder are `StackedMLP`s.

    Each batch is repeated once per member; in training mode every member's copy draws its own
    corruption. `forward` returns the members' outputs averaged field by field: the loss is
    the mean of their losses, so each member gets its own loss's gradient over the member
    count, which Adam's per-parameter scaling makes the same update as training it alone.
    `reconstruct` is the mean of the members' reconstructions (batch, features);
    `reconstruct_sample` takes each row from one member drawn at random, so draws spread over
    the members' disagreement too. `members` gives standalone copies of the members.
    """

    def __init__(self, members: Sequence[nn.Module]) -> None:
        super().__init__()
        if not members:
            raise ValueError("members: an ensemble needs at least one autoencoder")
        if any(getattr(member, "regularizers", ()) for member in members):
            raise ValueError("members: an ensemble's autoencoders cannot carry regularizers")
        self._template = [copy.deepcopy(members[0])]
        stacked = copy.deepcopy(members[0])
        stacked.encoder = StackedMLP([member.encoder for member in members])
        stacked.decoder = StackedMLP([member.decoder for member in members])
        self.stacked = stacked
        self.corruption = stacked.corruption
        self.regularizers: list = []

    @property
    def n_members(self) -> int:
        return self.stacked.encoder.n_members

    @property
    def members(self) -> list[nn.Module]:
        """Standalone copies of the members (eval mode), each with its current weights."""
        out = []
        for i in range(self.n_members):
            member = copy.deepcopy(self._template[0])
            self.stacked.encoder.write_member(i, member.encoder)
            self.stacked.decoder.write_member(i, member.decoder)
            out.append(member.to(self.stacked.encoder.weight[0].device).eval())
        return out

    @property
    def kl_weight(self) -> float:
        return self.stacked.kl_weight

    @kl_weight.setter
    def kl_weight(self, value: float) -> None:
        self.stacked.kl_weight = value

    def _repeat(self, x: torch.Tensor | None) -> torch.Tensor | None:
        return None if x is None else x.repeat(self.n_members, *([1] * (x.dim() - 1)))

    def forward(self, x: torch.Tensor, target: torch.Tensor | None = None, generator: torch.Generator | None = None) -> NamedTuple:
        out = self.stacked(self._repeat(x), self._repeat(target), generator)
        return type(out)(*(_mean_of(field, self.n_members) for field in out))

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        return _mean_of(self.stacked.reconstruct(self._repeat(x)), self.n_members)  # (batch, features)

    def member_reconstructions(self, x: torch.Tensor) -> torch.Tensor:
        """Each member's reconstruction of x: (members, batch, features)."""
        return self.stacked.reconstruct(self._repeat(x)).reshape(self.n_members, x.shape[0], -1)

    def reconstruct_sample(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """One stochastic reconstruction per row from a member drawn at random: a VAE member's
        decoded posterior draw, an autoencoder's reconstruction of a freshly corrupted row."""
        draws = draw_reconstruction(self.stacked, self._repeat(x), generator).reshape(self.n_members, x.shape[0], -1)
        pick = torch.randint(self.n_members, (x.shape[0],), generator=generator, device=x.device)
        return draws[pick, torch.arange(x.shape[0], device=x.device)]

    def sample_losses(self, x: torch.Tensor, target: torch.Tensor | None = None) -> torch.Tensor:
        """The members' mean per-sample loss without corruption: (batch,)."""
        return _mean_of(self.stacked.sample_losses(self._repeat(x), self._repeat(target)), self.n_members)

    @torch.no_grad()
    def apply_constraints(self) -> None:
        """Nothing to project: members carry no regularizers."""

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        """Also takes the weights of an ensemble saved before the members were stacked
        (`members.<i>.<part>` keys), stacking them; their member count must match."""
        if any(key.startswith("members.") for key in state_dict):
            state_dict = self._stack_member_state(state_dict)
        return super().load_state_dict(state_dict, strict=strict, assign=assign)

    def _stack_member_state(self, old: dict) -> dict:
        saved = len({key.split(".")[1] for key in old if key.startswith("members.")})
        if saved != self.n_members:
            raise RuntimeError(f"the saved ensemble has {saved} members, the config {self.n_members}")
        try:
            return self._stacked_from(old, saved)
        except KeyError as err:
            raise RuntimeError(f"the saved ensemble misses the weight {err}") from err

    def _stacked_from(self, old: dict, saved: int) -> dict:
        new = {}
        for key in self.state_dict():
            part = key.removeprefix("stacked.")
            match = _STACKED_KEY.match(part)
            if match is None:
                new[key] = old[f"members.0.{part}"]
                continue
            side, kind, j = match.groups()
            values = [old[f"members.{i}.{side}.linears.{j}.{kind}"] for i in range(saved)]
            new[key] = torch.stack([v.t() for v in values]) if kind == "weight" else torch.stack(values).unsqueeze(1)
        return new
