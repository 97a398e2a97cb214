"""Fully connected encoders and decoders: plain `nn.Module` objects usable in any training loop."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional as F

from aekit.nn.activations import make_activation
from aekit.nn.count_inputs import InputTransform

__all__ = ["MLPDecoder", "MLPEncoder", "TiedMLPDecoder"]


class MLPEncoder(nn.Module):
    """Map (batch, in_features) to codes (batch, latent_dim) through `hidden_dims`.

    Every hidden layer is followed by `activation`; the code layer by `latent_activation`
    (None = linear, or a module such as `SparseCode(TopK(k), latent_dim)`), which decides the
    code's range (sigmoid: (0, 1), relu: >= 0, ...) or its sparsity. `input_transform`
    ('log1p' or 'proportions', for word counts) is applied to x first.

    Parameters
    ----------
    in_features : int
        Number of input features.
    latent_dim : int
        Size of the code.
    hidden_dims : sequence of int, default=()
        Widths of the hidden layers, input side first.
    activation : str, default='relu'
        Hidden-layer activation, a key of `aekit.nn.ACTIVATIONS`.
    latent_activation : str, nn.Module or None, default=None
        Activation of the code layer; None is linear.
    input_transform : {'log1p', 'proportions'} or None, default=None
        Transform of x before the first layer; None leaves x as it is.
    """

    def __init__(
        self,
        in_features: int,
        latent_dim: int,
        hidden_dims: Sequence[int] = (),
        activation: str = "relu",
        latent_activation: str | nn.Module | None = None,
        input_transform: str | None = None,
    ) -> None:
        super().__init__()
        dims = [in_features, *hidden_dims, latent_dim]
        self.linears = nn.ModuleList(nn.Linear(a, b) for a, b in zip(dims[:-1], dims[1:]))
        self.activation = make_activation(activation)
        self.latent_activation = make_activation(latent_activation)
        self.input_transform = nn.Identity() if input_transform is None else InputTransform(input_transform)

    def weight_layers(self) -> list[nn.Linear]:
        """The affine layers, input side first: what weight penalties and constraints act on."""
        return list(self.linears)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.input_transform(x)
        for linear in self.linears[:-1]:
            x = self.activation(linear(x))
        return self.latent_activation(self.linears[-1](x))  # (batch, latent_dim)


class MLPDecoder(nn.Module):
    """Map codes (batch, latent_dim) to pre-activation outputs (batch, out_features).

    The output non-linearity belongs to the likelihood (a sigmoid output with BCE is computed
    from logits for stability), so this module stops at the last affine map.

    Parameters
    ----------
    latent_dim : int
        Size of the code.
    out_features : int
        Number of outputs (pre-activations).
    hidden_dims : sequence of int, default=()
        Widths of the hidden layers, code side first.
    activation : str, default='relu'
        Hidden-layer activation, a key of `aekit.nn.ACTIVATIONS`.
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

    def affine_layers(self) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """(weight (out, in), bias (out,)) of each layer, code side first: the first weight's
        columns are what each code unit writes (for decoder-column constraints), and the list
        is the whole forward pass for runtimes without torch (the explorer page)."""
        return [(linear.weight, linear.bias) for linear in self.linears]

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        for linear in self.linears[:-1]:
            z = self.activation(linear(z))
        return self.linears[-1](z)  # (batch, out_features), pre-activation


class TiedMLPDecoder(nn.Module):
    """Decoder whose weight matrices are the transposes of an `MLPEncoder`'s (tied weights).

    Only the biases are its own parameters, so an autoencoder with tied weights has about half
    the weights of the untied one. The encoder is referenced, not registered, so its weights
    appear once in `state_dict`.

    Parameters
    ----------
    encoder : MLPEncoder
        The encoder whose weights are used, transposed, in reverse order.
    activation : str, default='relu'
        Hidden-layer activation, a key of `aekit.nn.ACTIVATIONS`.
    """

    def __init__(self, encoder: MLPEncoder, activation: str = "relu") -> None:
        super().__init__()
        self._encoder = [encoder]
        self.biases = nn.ParameterList(
            nn.Parameter(torch.zeros(linear.in_features)) for linear in reversed(encoder.weight_layers())
        )
        self.activation = make_activation(activation)

    def affine_layers(self) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """(weight (out, in), bias (out,)) of each layer, code side first, as `MLPDecoder`'s: the
        weights are transposed views of the encoder's, so editing them edits the encoder."""
        encoder_layers = reversed(self._encoder[0].weight_layers())
        return [(linear.weight.t(), bias) for linear, bias in zip(encoder_layers, self.biases)]

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        layers = self.affine_layers()
        for i, (weight, bias) in enumerate(layers):
            z = F.linear(z, weight, bias)
            if i < len(layers) - 1:
                z = self.activation(z)
        return z  # (batch, out_features), pre-activation
