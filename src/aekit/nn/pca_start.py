"""Start a fully connected autoencoder as PCA: the weights of an `MLPEncoder`/`MLPDecoder` pair
set so that, before any training, the code is the projection on the first `latent_dim`
principal components and the reconstruction is PCA's.

The linear path runs through the hidden layers as pairs of units computing +a and -a, whose
difference after the activation is a again (relu, leaky_relu and gelu all satisfy
f(a) - f(-a) = c * a); every other hidden unit keeps its random input weights and starts with
zero output weights, so it adds nothing at first and learns what is left once training begins.
A convolutional pair (`ConvEncoder` / `ConvDecoder` with `linear=True`) starts as PCA through
its linear path, the convolutional path's last layers set to zero so that it adds nothing at
first (`start_conv_as_pca`).

Training therefore starts at PCA's error, and with restore-best validation it cannot end
worse on data like the training data.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["ODD_LINEAR_ACTIVATIONS", "pca_start_problem", "principal_components", "start_as_pca", "start_conv_as_pca"]

ODD_LINEAR_ACTIVATIONS = {"relu": 1.0, "gelu": 1.0, "leaky_relu": 1.0 + nn.LeakyReLU().negative_slope}  # c in f(a) - f(-a) = c a


def pca_start_problem(activation: str, hidden_dims, latent_dim: int, n_features: int) -> str | None:
    """Why a network of this shape cannot start as PCA, or None when it can.

    Parameters
    ----------
    activation : str
        The hidden layers' activation; one of `ODD_LINEAR_ACTIVATIONS` can carry the path.
    hidden_dims : sequence of int
        Widths of the encoder's hidden layers; each needs at least 2 * latent_dim units.
    latent_dim : int
        Size of the code; at most n_features.
    n_features : int
        Number of input features.

    Returns
    -------
    problem : str or None
        The reason, as a sentence naming the parameter; None when the start applies.
    """
    if activation not in ODD_LINEAR_ACTIVATIONS:
        return f"activation={activation!r} cannot carry a linear path (use one of {sorted(ODD_LINEAR_ACTIVATIONS)})"
    narrow = [h for h in hidden_dims if h < 2 * latent_dim]
    if narrow:
        return f"hidden_dims={tuple(hidden_dims)} has layers narrower than 2 * latent_dim = {2 * latent_dim}"
    if latent_dim > n_features:
        return f"latent_dim={latent_dim} exceeds the {n_features} features"
    return None


@torch.no_grad()
def principal_components(X: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean (d,) and the first k principal directions (k, d) of the rows of X, in float64.

    Parameters
    ----------
    X : torch.Tensor
        Rows, (n, d).
    k : int
        Number of directions.

    Returns
    -------
    mean : torch.Tensor
        (d,), float64.
    components : torch.Tensor
        (k, d), float64, orthonormal rows by decreasing variance.
    """
    X = X.double()
    mean = X.mean(dim=0)
    centered = X - mean
    if X.shape[1] <= 4096:
        _, vectors = torch.linalg.eigh(centered.T @ centered)
        components = vectors[:, -k:].flip(1).T
    else:
        _, _, V = torch.pca_lowrank(centered, q=min(k + 10, *X.shape), center=False, niter=4)
        components = V[:, :k].T
    return mean, components.contiguous()


def _pair_rows(previous: int, k: int, scale: float) -> torch.Tensor:
    """(2k, previous) weights whose units compute +a and -a from the pairs of the layer before
    (a = (h_plus - h_minus) / scale), zero on that layer's other units."""
    rows = torch.zeros(2 * k, previous, dtype=torch.float64)
    eye = torch.eye(k, dtype=torch.float64) / scale
    rows[:k, :k], rows[:k, k : 2 * k] = eye, -eye
    rows[k:] = -rows[:k]
    return rows


@torch.no_grad()
def _set_path(linears, first: tuple, last: tuple, direct: tuple, k: int, scale: float) -> None:
    """Write a linear map into `linears`. One layer takes `direct` (weight, bias) as it is; a
    deeper stack gives the first layer's 2k pair units `first` (weight (2k, in), bias (2k,)),
    every later hidden layer's pair units copy the pairs before, and the last layer reads only
    the pairs through `last` (weight (out, k), bias (out,))."""
    def put(tensor, rows, value):
        tensor[rows] = value.to(tensor.dtype)

    if len(linears) == 1:
        put(linears[0].weight, slice(None), direct[0])
        put(linears[0].bias, slice(None), direct[1])
        return
    put(linears[0].weight, slice(0, 2 * k), first[0])
    put(linears[0].bias, slice(0, 2 * k), first[1])
    for linear in linears[1:-1]:
        put(linear.weight, slice(0, 2 * k), _pair_rows(linear.in_features, k, scale))
        put(linear.bias, slice(0, 2 * k), torch.zeros(2 * k))
    weight = torch.zeros(linears[-1].out_features, linears[-1].in_features, dtype=torch.float64)
    weight[:, :k], weight[:, k : 2 * k] = last[0] / scale, -last[0] / scale
    put(linears[-1].weight, slice(None), weight)
    put(linears[-1].bias, slice(None), last[1])


def start_as_pca(encoder: nn.Module, decoder: nn.Module, X: torch.Tensor, activation: str) -> None:
    """Set `encoder` (an `MLPEncoder` with a linear code) and `decoder` (an `MLPDecoder`) to PCA
    of X (n, d): code = components (x - mean), decoder output = components^T code + mean.

    Parameters
    ----------
    encoder : MLPEncoder
        Set in place; its last linear layer's width is the number of components.
    decoder : MLPDecoder
        Set in place.
    X : torch.Tensor
        The training rows, (n, d).
    activation : str
        The hidden layers' activation, a key of `ODD_LINEAR_ACTIVATIONS`.
    """
    k = encoder.linears[-1].out_features
    mean, P = principal_components(X, k)
    scale = ODD_LINEAR_ACTIVATIONS[activation]
    eye, zeros = torch.eye(k, dtype=torch.float64), torch.zeros(k, dtype=torch.float64)
    _set_path(
        list(encoder.linears), (torch.cat([P, -P]), torch.cat([-P @ mean, P @ mean])),
        (eye, zeros), (P, -P @ mean), k, scale,
    )  # fmt: skip
    _set_path(list(decoder.linears), (torch.cat([eye, -eye]), torch.zeros(2 * k)), (P.T, mean), (P.T, mean), k, scale)


@torch.no_grad()
def start_conv_as_pca(encoder: nn.Module, decoder: nn.Module, X: torch.Tensor) -> None:
    """Set a `ConvEncoder` / `ConvDecoder` pair with linear paths to PCA of X (n, d): the linear
    paths are the projection on the first components and back, and the last layers of the
    convolutional paths (the encoder's bottleneck, the decoder's last convolution) start at zero.

    Parameters
    ----------
    encoder : ConvEncoder
        Built with ``linear=True``.
    decoder : ConvDecoder
        Built with ``linear=True``.
    X : torch.Tensor of shape (n, d)
        The training rows PCA is fitted to.
    """
    k = encoder.linear.out_features
    mean, P = principal_components(X, k)
    for layer, weight, bias in ((encoder.linear, P, -P @ mean), (decoder.linear, P.T, mean)):
        layer.weight.copy_(weight.to(layer.weight.dtype))
        layer.bias.copy_(bias.to(layer.bias.dtype))
    for layer in (encoder.bottleneck[-1], decoder.stages[-1][0]):
        layer.weight.zero_()
        layer.bias.zero_()
