"""Codes drawn near a model's training codes (a density's samples, as `LatentSampler` draws them)
mapped onto the codes its code activation can give, so the decoder reads codes like those it
was trained on: k-sparse after TopK, 0/1 after a binary code, non-negative after ReLU, within
the range of a sigmoid or tanh code."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from aekit.nn.binary_codes import NoisyBinaryCode
from aekit.nn.sparse_codes import SparseCode, TopK

__all__ = ["project_codes"]


def _code_activation(module: nn.Module) -> nn.Module | None:
    activation = getattr(getattr(module, "encoder", None), "latent_activation", None)
    return activation[0] if isinstance(activation, SparseCode) else activation


@torch.no_grad()
def project_codes(module: nn.Module, codes: np.ndarray) -> np.ndarray:
    """`codes` (n, latent_dim) onto the code set of `module`'s code activation: TopK keeps its
    inference selection (the k largest, or those over BatchTopK's threshold), a binary code
    rounds at 0.5, ReLU clips below 0, sigmoid to [0, 1] and tanh to [-1, 1]; other codes are
    returned as they are.

    Parameters
    ----------
    module : nn.Module
        A fitted aekit module (with an `encoder`); a module without a known code activation
        leaves the codes unchanged.
    codes : ndarray of shape (n, latent_dim)
        The codes.

    Returns
    -------
    codes : ndarray of shape (n, latent_dim)
    """
    activation = _code_activation(module)
    if isinstance(activation, TopK):
        bias = activation.selection_bias
        z = torch.as_tensor(codes, dtype=bias.dtype, device=bias.device)
        was_training = activation.training
        activation.train(False)
        try:
            return activation(z).cpu().numpy().astype(codes.dtype)
        finally:
            activation.train(was_training)
    if isinstance(activation, NoisyBinaryCode):
        return (codes > 0.5).astype(codes.dtype)
    if isinstance(activation, nn.ReLU):
        return np.maximum(codes, 0)
    if isinstance(activation, nn.Sigmoid):
        return np.clip(codes, 0, 1)
    if isinstance(activation, nn.Tanh):
        return np.clip(codes, -1, 1)
    return codes
