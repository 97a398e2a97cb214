"""Convolutional encoders and decoders on flat tensors, so they slot into `AutoEncoderModule`
(and the VAE) like the MLP ones: images travel as (batch, channels * height * width) rows in
channels-first order and are reshaped inside.

Each encoder stage halves the spatial size (rounding up), by a strided convolution or, for
max-unpooling decoders, by a convolution then 2x2 max-pooling. The spatial sizes on the way
down are fixed by the input shape (`downsampled_sizes`), and the decoder upsamples to exactly
those sizes on the way up, so any height x width (odd ones too) comes back at its own size.

With skips (U-Net style) the encoder also hands its feature maps at every size (the input
image at full size, then each stage's output but the last) to the decoder, whose stage at that
size adds a convolution of them to its own convolution's output (a convolution of the two
concatenated); codes decoded on their own get no skips.

Inside, feature maps are kept in the channels-last memory format, in which CPU convolutions
(oneDNN) and interpolation run about 1.5x faster here; the rows stay in channels-first order.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional as F

from aekit.nn.activations import make_activation

__all__ = ["ConvDecoder", "ConvEncoder", "Handoff"]

BOTTLENECKS = ("conv", "dense")
UPSAMPLINGS = ("interpolate", "transposed", "unpool")
INTERPOLATIONS = ("bilinear", "nearest")


def downsampled_sizes(height: int, width: int, n_stages: int) -> list[tuple[int, int]]:
    """Spatial sizes before each of `n_stages` halvings, then the final one: n_stages + 1 pairs."""
    sizes = [(int(height), int(width))]
    for _ in range(n_stages):
        h, w = sizes[-1]
        sizes.append((math.ceil(h / 2), math.ceil(w / 2)))
    return sizes


def _check_image_shape(shape: Sequence[int], what: str) -> tuple[int, int, int]:
    shape = tuple(int(s) for s in shape)
    if len(shape) != 3 or min(shape) < 1:
        raise ValueError(f"{what} must be (channels, height, width) of positive sizes, got {shape}")
    return shape


def _block(conv: nn.Module, out_channels: int, activation: str, batch_norm: bool, dropout: float) -> nn.Sequential:
    """conv -> [batch norm] -> activation -> [dropout]."""
    layers: list[nn.Module] = [conv]
    if batch_norm:
        layers.append(nn.BatchNorm2d(out_channels))
    layers.append(make_activation(activation))
    if dropout > 0:
        layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers)


def _fixed_linear(in_features: int, out_features: int) -> nn.Linear:
    """A linear map that training leaves alone (a linear path set once, e.g. to PCA): Adam's
    first steps, of about the learning rate on every weight, would otherwise blur it."""
    layer = nn.Linear(in_features, out_features)
    layer.requires_grad_(False)
    return layer


class Handoff:
    """Hands tensors of a `ConvEncoder`'s forward to its `ConvDecoder`: the max-pooling indices
    (unpooling) or the skip features, one tensor per size.

    The encoder `put`s them; the decoder `take`s them once. When there are none for its batch (a
    code decoded on its own: `inverse_transform`, prior samples, a VAE's extra posterior draws),
    the decoder unpools every value to the top-left of its window, and adds no skips. The
    hand-off is per module, so one module must not run forwards concurrently. A deep copy
    starts empty.
    """

    def __init__(self) -> None:
        self._indices: list[torch.Tensor] | None = None

    def put(self, indices: list[torch.Tensor]) -> None:
        self._indices = indices

    def take(self, batch: int) -> list[torch.Tensor] | None:
        indices, self._indices = self._indices, None
        if indices is None or indices[0].shape[0] != batch:
            return None
        return indices

    def clear(self) -> None:
        self._indices = None

    def __deepcopy__(self, memo) -> Handoff:
        return Handoff()

    def __getstate__(self) -> dict:
        return {"_indices": None}



def _top_left_indices(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Flat indices into `size` of each pooled cell's top-left pixel, shaped like x."""
    h, w = x.shape[-2:]
    rows = torch.arange(h, device=x.device).view(h, 1) * 2
    cols = torch.arange(w, device=x.device).view(1, w) * 2
    return (rows * size[1] + cols).expand_as(x)


class ConvEncoder(nn.Module):
    """Map images (batch, C*H*W) to codes (batch, out_features).

    Stages: for each width in `channels`, halve H and W (a strided `kernel_size` convolution, or
    with `pool=True` a same-size convolution then 2x2 max-pooling whose indices are `put` on
    `indices`). Bottleneck 'dense' flattens and maps linearly to `code_size` features (use
    2 * latent_dim for a VAE's mean and log-variance); 'conv' is a 1x1 convolution to
    `code_size` channels, flattened: out_features = code_size * h * w at the smallest size.
    With `skips` (a `Handoff`), every forward `put`s the feature maps the decoder's stages add:
    the input (C, H, W), then each stage's output but the last (`skip_channels` channels).
    With `linear` (dense bottleneck only), a fixed (untrained) linear map of the flat input is
    added to the code: the encoder's half of a linear path, which
    `aekit.nn.pca_start.start_conv_as_pca` sets to PCA.

    Parameters
    ----------
    input_shape : sequence of int
        (C, H, W) of the images.
    code_size : int
        Width of the dense code, or channels of the convolutional one.
    channels : sequence of int, default=(32, 64)
        Output channels of each downsampling stage.
    kernel_size : int, default=3
        Side of every convolution's kernel.
    activation : str, default='relu'
        Name in `aekit.nn.activations.ACTIVATIONS`, after every stage.
    batch_norm : bool, default=False
        Batch normalisation after each stage's convolution.
    dropout : float, default=0.0
        Dropout probability after each stage.
    bottleneck : {'dense', 'conv'}, default='dense'
        A linear map of the flattened maps, or a 1x1 convolution.
    pool : bool, default=False
        Same-size convolutions then 2x2 max-pooling instead of strided convolutions.
    indices : Handoff or None, default=None
        Where the pooling indices go (required with `pool`).
    skips : Handoff or None, default=None
        Where the feature maps for the decoder's skip connections go.
    linear : bool, default=False
        Add a fixed linear map of the flat input to the code.
    """

    def __init__(
        self,
        input_shape: Sequence[int],
        code_size: int,
        channels: Sequence[int] = (32, 64),
        kernel_size: int = 3,
        activation: str = "relu",
        batch_norm: bool = False,
        dropout: float = 0.0,
        bottleneck: str = "dense",
        pool: bool = False,
        indices: Handoff | None = None,
        skips: Handoff | None = None,
        linear: bool = False,
    ) -> None:
        super().__init__()
        if bottleneck not in BOTTLENECKS:
            raise ValueError(f"bottleneck must be one of {BOTTLENECKS}, got {bottleneck!r}")
        if linear and bottleneck != "dense":
            raise ValueError("a linear path needs bottleneck='dense'")
        if pool and indices is None:
            raise ValueError("pool=True needs a Handoff to hand the indices to the decoder")
        self.input_shape = _check_image_shape(input_shape, "input_shape")
        self.sizes = downsampled_sizes(*self.input_shape[1:], len(channels))
        self.pool, self.indices, self.skips = pool, indices, skips
        widths = [self.input_shape[0], *channels]
        self.skip_channels = tuple(widths[:-1])
        stages = []
        for c_in, c_out in zip(widths[:-1], widths[1:]):
            conv = nn.Conv2d(c_in, c_out, kernel_size, stride=1 if pool else 2, padding=kernel_size // 2)
            stages.append(_block(conv, c_out, activation, batch_norm, dropout))
        self.stages = nn.ModuleList(stages)
        h, w = self.sizes[-1]
        if bottleneck == "dense":
            self.bottleneck = nn.Sequential(nn.Flatten(), nn.Linear(widths[-1] * h * w, code_size))
            self.out_features = code_size
        else:
            self.bottleneck = nn.Sequential(nn.Conv2d(widths[-1], code_size, 1), nn.Flatten())
            self.out_features = code_size * h * w
        self.linear = _fixed_linear(math.prod(self.input_shape), code_size) if linear else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        direct = self.linear(x.reshape(x.shape[0], -1)) if self.linear is not None else None
        x = x.reshape(x.shape[0], *self.input_shape)  # (batch, C, H, W)
        x = x.contiguous(memory_format=torch.channels_last)
        indices, features = [], []
        for stage in self.stages:
            features.append(x)
            x = stage(x)
            if self.pool:
                x, idx = F.max_pool2d(x, 2, ceil_mode=True, return_indices=True)
                indices.append(idx)
        if self.pool:
            self.indices.put(indices)
        if self.skips is not None:
            self.skips.put(features)
        code = self.bottleneck(x)  # (batch, out_features)
        return code if direct is None else code + direct  # (batch, out_features)


class ConvDecoder(nn.Module):
    """Map codes (batch, in_features) to pre-activations (batch, C_out*H*W), mirroring a
    `ConvEncoder` with the same `channels`, `kernel_size` and `bottleneck`.

    Each stage doubles the spatial size back to the encoder's recorded size: 'interpolate'
    resizes (`interpolation` 'nearest' or 'bilinear') then convolves, 'transposed' is a
    stride-2 transposed convolution, 'unpool' max-unpools with the encoder's indices (taken from
    `indices`) then convolves. The last stage's convolution gives the C_out output channels at
    full size, without normalisation or activation (the output non-linearity belongs to the
    likelihood). With `skips` (the encoder's `Handoff`) and `skip_channels` (the encoder's
    `skip_channels`), each stage adds a `kernel_size` convolution of the encoder's features at
    its size to its convolution's output, before normalisation and activation. With `linear`
    (dense bottleneck only), a fixed (untrained) linear map of the code is added to the output.
    With `coarseness` > 1 the last stage's output is averaged over `coarseness` x `coarseness`
    blocks and resized back bilinearly, so the decoder predicts the output at 1/`coarseness` of
    its height and width (rounded up), smoothly interpolated.

    Parameters
    ----------
    code_size : int
        As for the matching `ConvEncoder`.
    output_shape : sequence of int
        (C_out, H, W) of the output.
    channels, kernel_size, activation, batch_norm, dropout, bottleneck
        As for the matching `ConvEncoder` (stages run in reverse order of `channels`).
    upsampling : {'interpolate', 'transposed', 'unpool'}, default='interpolate'
        How each stage doubles the spatial size.
    interpolation : {'nearest', 'bilinear'}, default='nearest'
        The resize of upsampling='interpolate'.
    indices : Handoff or None, default=None
        The encoder's pooling indices (required with upsampling='unpool').
    skips : Handoff or None, default=None
        The encoder's feature maps for skip connections.
    skip_channels : sequence of int or None, default=None
        The encoder's `skip_channels` (required with `skips`).
    linear : bool, default=False
        Add a fixed linear map of the code to the output.
    coarseness : int, default=1
        Side in pixels of the blocks the output is predicted in (1: every pixel).
    """

    def __init__(
        self,
        code_size: int,
        output_shape: Sequence[int],
        channels: Sequence[int] = (32, 64),
        kernel_size: int = 3,
        activation: str = "relu",
        batch_norm: bool = False,
        dropout: float = 0.0,
        bottleneck: str = "dense",
        upsampling: str = "interpolate",
        interpolation: str = "nearest",
        indices: Handoff | None = None,
        skips: Handoff | None = None,
        skip_channels: Sequence[int] | None = None,
        linear: bool = False,
        coarseness: int = 1,
    ) -> None:
        super().__init__()
        if isinstance(coarseness, bool) or not isinstance(coarseness, int) or coarseness < 1:
            raise ValueError(f"coarseness must be a positive integer, got {coarseness!r}")
        if bottleneck not in BOTTLENECKS:
            raise ValueError(f"bottleneck must be one of {BOTTLENECKS}, got {bottleneck!r}")
        if upsampling not in UPSAMPLINGS:
            raise ValueError(f"upsampling must be one of {UPSAMPLINGS}, got {upsampling!r}")
        if interpolation not in INTERPOLATIONS:
            raise ValueError(f"interpolation must be one of {INTERPOLATIONS}, got {interpolation!r}")
        if upsampling == "unpool" and indices is None:
            raise ValueError("upsampling='unpool' needs the encoder's Handoff")
        if linear and bottleneck != "dense":
            raise ValueError("a linear path needs bottleneck='dense'")
        if skips is not None and (skip_channels is None or len(skip_channels) != len(channels)):
            raise ValueError(f"skips need skip_channels, one width per stage ({len(channels)}), got {skip_channels}")
        self.output_shape = _check_image_shape(output_shape, "output_shape")
        self.sizes = downsampled_sizes(*self.output_shape[1:], len(channels))
        self.upsampling, self.interpolation, self.indices, self.skips = upsampling, interpolation, indices, skips
        self.coarseness = coarseness
        h, w = self.sizes[-1]
        self.dense = bottleneck == "dense"
        self.hidden_shape = (channels[-1], h, w)  # what the bottleneck hands to the first stage
        if self.dense:
            self.bottleneck = nn.Sequential(nn.Linear(code_size, channels[-1] * h * w), make_activation(activation))
            self.in_features = code_size
        else:
            self.code_shape = (code_size, h, w)
            self.bottleneck = nn.Sequential(nn.Conv2d(code_size, channels[-1], 1), make_activation(activation))
            self.in_features = code_size * h * w
        widths = [self.output_shape[0], *channels]
        stages = []
        for c_out, c_in in reversed(list(zip(widths[:-1], widths[1:]))):
            if upsampling == "transposed":
                conv = nn.ConvTranspose2d(c_in, c_out, kernel_size, stride=2, padding=kernel_size // 2)
            else:
                conv = nn.Conv2d(c_in, c_out, kernel_size, padding=kernel_size // 2)
            last = len(stages) == len(channels) - 1
            stages.append(nn.Sequential(conv) if last else _block(conv, c_out, activation, batch_norm, dropout))
        self.stages = nn.ModuleList(stages)
        if skips is not None:
            outs = [stage[0].out_channels for stage in stages]
            merges = [nn.Conv2d(c, out, kernel_size, padding=kernel_size // 2, bias=False) for c, out in zip(reversed(skip_channels), outs)]
            self.merges = nn.ModuleList(merges)
        self.linear = _fixed_linear(code_size, math.prod(self.output_shape)) if linear else None

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if self.dense:
            x = self.bottleneck(z).reshape(z.shape[0], *self.hidden_shape)
        else:
            x = self.bottleneck(z.reshape(z.shape[0], *self.code_shape))  # (batch, channels[-1], h, w)
        x = x.contiguous(memory_format=torch.channels_last)
        indices = self.indices.take(z.shape[0]) if self.upsampling == "unpool" else None
        features = self.skips.take(z.shape[0]) if self.skips is not None else None
        n = len(self.stages)
        for k, stage in enumerate(self.stages):
            size = self.sizes[n - 1 - k]
            if self.upsampling == "interpolate":
                x = stage[0](F.interpolate(x, size=size, mode=self.interpolation))
            elif self.upsampling == "transposed":
                x = stage[0](x, output_size=size)
            else:
                idx = indices[n - 1 - k] if indices is not None else _top_left_indices(x, size)
                x = stage[0](F.max_unpool2d(x, idx, 2, output_size=size))
            if features is not None:
                x = x + self.merges[k](features[n - 1 - k])
            x = stage[1:](x)
        if self.coarseness > 1:
            blocks = F.avg_pool2d(x, self.coarseness, ceil_mode=True)
            x = F.interpolate(blocks, size=self.sizes[0], mode="bilinear", align_corners=False)
        out = x.flatten(1)  # (batch, C_out * H * W), pre-activation
        return out if self.linear is None else out + self.linear(z)  # (batch, C_out * H * W), pre-activation
