"""What an encoder sees of word counts: the counts as they are, log(1 + count), or each
document's word proportions (count / document length, as Hinton & Salakhutdinov 2006 fed their
autoencoder). The transform is the encoder's first, parameter-free step (`MLPEncoder`'s
`input_transform`), so `transform`, saving and ONNX export see raw counts while the likelihood
still scores the counts."""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["INPUT_TRANSFORMS", "InputTransform"]

INPUT_TRANSFORMS = ("log1p", "proportions")


class InputTransform(nn.Module):
    """(batch, vocabulary) counts to log(1 + counts) or to proportions (rows summing to one; an
    empty document stays all zeros). A value below zero (Gaussian noise on a zero count in
    training) reads as zero, where log(1 + x) would be NaN.

    Parameters
    ----------
    kind : {'log1p', 'proportions'}
        Which transform.
    """

    def __init__(self, kind: str) -> None:
        super().__init__()
        if kind not in INPUT_TRANSFORMS:
            raise ValueError(f"input_transform must be one of {INPUT_TRANSFORMS} or None, got {kind!r}")
        self.kind = kind

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.clamp_min(0.0)
        if self.kind == "log1p":
            return torch.log1p(x)
        return x / x.sum(dim=1, keepdim=True).clamp_min(1.0)

