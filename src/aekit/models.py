"""The autoencoder as one `nn.Module`: encoder + decoder + likelihood + corruption + regularizers.

Every variant (denoising, sparse, contractive, tied, constrained linear) is this module with
different parts; none is a separate model class.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import torch
from torch import nn

from aekit.corruptions import Corruption
from aekit.likelihoods import Likelihood
from aekit.regularizers import Regularizer

CORRUPT_ON = ("input", "code")


class AutoEncoderOutput(NamedTuple):
    """What a training forward pass returns: the total loss and its named parts."""

    loss: torch.Tensor  # scalar: reconstruction + weighted penalties
    reconstruction_loss: torch.Tensor  # scalar
    terms: dict[str, torch.Tensor]  # regularizer name -> weighted scalar
    code: torch.Tensor  # (batch, latent_dim)
    reconstruction: torch.Tensor  # (batch, features)


class AutoEncoderModule(nn.Module):
    """x -> [corrupt] -> encoder -> z -> [corrupt] -> decoder -> likelihood.mean -> x_hat.

    `forward(x, target)` returns an `AutoEncoderOutput` whose `loss` is the per-feature mean of
    the likelihood's terms, averaged over the batch, plus the weighted regularizer penalties.
    Corruption is applied only in training mode.
    """

    def __init__(
        self,
        encoder: nn.Module,
        decoder: nn.Module,
        likelihood: Likelihood,
        corruption: Corruption | None = None,
        corrupt_on: str = "input",
        regularizers: Sequence[Regularizer] = (),
    ) -> None:
        super().__init__()
        if corrupt_on not in CORRUPT_ON:
            raise ValueError(f"corrupt_on must be one of {CORRUPT_ON}, got {corrupt_on!r}")
        self.encoder = encoder
        self.decoder = decoder
        self.likelihood = likelihood
        self.corruption = corruption
        self.corrupt_on = corrupt_on
        self.regularizers = list(regularizers)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)  # (batch, latent_dim)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.likelihood.mean(self.decoder(z))  # (batch, features)

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))  # (batch, features)

    def sample_losses(self, x: torch.Tensor, target: torch.Tensor | None = None) -> torch.Tensor:
        """Per-sample reconstruction loss without corruption: (batch,)."""
        target = x if target is None else target
        return self.likelihood.elementwise(self.decoder(self.encoder(x)), target).mean(dim=1)

    def forward(
        self,
        x: torch.Tensor,
        target: torch.Tensor | None = None,
        generator: torch.Generator | None = None,
    ) -> AutoEncoderOutput:
        target = x if target is None else target
        noisy = self.training and self.corruption is not None
        x_in = self.corruption(x, generator)[0] if noisy and self.corrupt_on == "input" else x
        z = self.encoder(x_in)
        z_dec = self.corruption(z, generator)[0] if noisy and self.corrupt_on == "code" else z
        pre = self.decoder(z_dec)
        reconstruction_loss = self.likelihood.elementwise(pre, target).mean()
        terms = {r.name: r.weight * r.penalty(self, x_in, z) for r in self.regularizers}
        loss = reconstruction_loss + sum(terms.values()) if terms else reconstruction_loss
        return AutoEncoderOutput(loss, reconstruction_loss, terms, z, self.likelihood.mean(pre))

    @torch.no_grad()
    def apply_constraints(self) -> None:
        """Project weights onto the regularizers' constraint sets (call after each optimizer step)."""
        for r in self.regularizers:
            r.constrain(self)
