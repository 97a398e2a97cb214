"""Fully connected encoders and decoders: plain `nn.Module`s usable in any training loop."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional as F

from aekit.nn.activations import make_activation

__all__ = ["MLPDecoder", "MLPEncoder", "TiedMLPDecoder"]


class MLPEncoder(nn.Module):
    """Map (batch, in_features) to codes (batch, latent_dim) through `hidden_dims`.

    Every hidden layer is followed by `activation`; the code layer by `latent_activation`
    (None = linear, or a module such as `SparseCode(TopK(k), latent_dim)`), which decides the
    code's range (sigmoid: (0, 1), relu: >= 0, ...) or its sparsity.
    """

    def __init__(
        self,
        in_features: int,
        latent_dim: int,
        hidden_dims: Sequence[int] = (),
        activation: str = "relu",
        latent_activation: str | nn.Module | None = None,
    ) -> None:
        super().__init__()
        dims = [in_features, *hidden_dims, latent_dim]
        self.linears = nn.ModuleList(nn.Linear(a, b) for a, b in zip(dims[:-1], dims[1:]))
        self.activation = make_activation(activation)
        self.latent_activation = make_activation(latent_activation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for linear in self.linears[:-1]:
            x = self.activation(linear(x))
        return self.latent_activation(self.linears[-1](x))  # (batch, latent_dim)


class MLPDecoder(nn.Module):
    """Map codes (batch, latent_dim) to pre-activation outputs (batch, out_features).

    The output non-linearity belongs to the likelihood (a sigmoid output with BCE is computed
    from logits for stability), so this module stops at the last affine map.
    """

    def __init__(
        self,
        latent_dim: int,
        out_features: int,
        hidden_dims: Sequence[int] = (),
        activation: str = "relu",
    ) -> None:
        super().__init__()
        dims = [latent_dim, *hidden_dims, out_features]
        self.linears = nn.ModuleList(nn.Linear(a, b) for a, b in zip(dims[:-1], dims[1:]))
        self.activation = make_activation(activation)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        for linear in self.linears[:-1]:
            z = self.activation(linear(z))
        return self.linears[-1](z)  # (batch, out_features), pre-activation


class TiedMLPDecoder(nn.Module):
    """Decoder whose weight matrices are the transposes of an `MLPEncoder`'s (tied weights).

    Only the biases are its own parameters, so an autoencoder with tied weights has about half
    the weights of the untied one. The encoder is referenced, not registered, so its weights
    appear once in `state_dict`.
    """

    def __init__(self, encoder: MLPEncoder, activation: str = "relu") -> None:
        super().__init__()
        self._encoder = [encoder]
        self.biases = nn.ParameterList(
            nn.Parameter(torch.zeros(linear.in_features)) for linear in reversed(encoder.linears)
        )
        self.activation = make_activation(activation)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        linears = list(reversed(self._encoder[0].linears))
        for i, (linear, bias) in enumerate(zip(linears, self.biases)):
            z = F.linear(z, linear.weight.t(), bias)
            if i < len(linears) - 1:
                z = self.activation(z)
        return z  # (batch, out_features), pre-activation
