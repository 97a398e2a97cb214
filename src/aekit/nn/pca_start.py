"""Start a fully connected autoencoder as PCA: the weights of an `MLPEncoder`/`MLPDecoder` pair
set so that, before any training, the code is the projection on the first `latent_dim`
principal components and the reconstruction is PCA's.

The linear path runs through the hidden layers as pairs of units computing +a and -a, whose
difference after the activation is a again (relu, leaky_relu and gelu all satisfy
f(a) - f(-a) = c * a); every other hidden unit keeps its random input weights and starts with
zero output weights, so it adds nothing at first and learns what is left once training begins.
A convolutional pair (`ConvEncoder` / `ConvDecoder` with `linear=True`) starts as PCA through
its linear path, the convolutional path's last layers set to zero so that it adds nothing at
first (`start_conv_as_pca`). Its PCA may be that of the images together with their mirror images
and quarter turns (`image_symmetries`, chosen on validation rows by `choose_symmetry`): the
statistics of photographs barely change under them, and averaging the covariance over them
estimates the principal directions of a few thousand patches with less noise.

Training therefore starts at PCA's error, and with restore-best validation it cannot end
worse on data like the training data.
"""

from __future__ import annotations

import math

import torch
from torch import nn

__all__ = [
    "ODD_LINEAR_ACTIVATIONS",
    "SYMMETRIES",
    "choose_symmetry",
    "image_symmetries",
    "pca_error",
    "pca_start_problem",
    "principal_components",
    "start_as_pca",
    "start_conv_as_pca",
]

SYMMETRIES = ("mirror", "flips", "dihedral")
MAX_EIGH_FEATURES = 4096  # wider rows: randomized PCA instead of the covariance's eigenvectors
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


def image_symmetries(shape, kind: str = "dihedral") -> list[torch.Tensor]:
    """Index permutations of flat images of `shape` (C, H, W), one per symmetry: 'mirror' is the
    identity and the left-right mirror image; 'flips' adds the upside-down ones (4); 'dihedral'
    adds the transposes too when H == W (8 in all: the flips and quarter turns of a square).
    Row x of a flat image becomes its transform as x[..., perm].

    Parameters
    ----------
    shape : sequence of int
        (channels, height, width).
    kind : {'mirror', 'flips', 'dihedral'}, default='dihedral'

    Returns
    -------
    permutations : list of torch.Tensor
        Each (C*H*W,), int64, the identity first.
    """
    if kind not in SYMMETRIES:
        raise ValueError(f"kind must be one of {SYMMETRIES}, got {kind!r}")
    index = torch.arange(math.prod(shape)).reshape(*shape)
    views = [index, index.flip(-1)]
    if kind != "mirror":
        views += [index.flip(-2), index.flip(-2, -1)]
    if kind == "dihedral" and shape[1] == shape[2]:
        views += [view.transpose(-2, -1) for view in views]
    return [view.reshape(-1).contiguous() for view in views]


@torch.no_grad()
def principal_components(X: torch.Tensor, k: int, permutations=None) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean (d,) and the first k principal directions (k, d) of the rows of X, in float64; with
    `permutations`, of the rows and all their permuted copies (e.g. images and their mirror
    images, `image_symmetries`): the mean and second moments averaged over the copies, which
    estimates the directions of data whose statistics have those symmetries with less noise.

    Parameters
    ----------
    X : torch.Tensor
        Rows, (n, d).
    k : int
        Number of directions.
    permutations : list of torch.Tensor or None, default=None
        Index permutations of the d columns, the identity among them; None is the identity only.

    Returns
    -------
    mean : torch.Tensor
        (d,), float64.
    components : torch.Tensor
        (k, d), float64, orthonormal rows by decreasing variance.
    """
    X = X.double()
    if X.shape[1] <= MAX_EIGH_FEATURES:
        return _components_of_moments(*_moments(X), k, permutations)
    rows = X if permutations is None else torch.cat([X[:, p.to(X.device)] for p in permutations])
    mean = rows.mean(dim=0)
    _, _, V = torch.pca_lowrank(rows - mean, q=min(k + 10, *rows.shape), center=False, niter=4)
    return mean, V[:, :k].T.contiguous()


def _moments(X: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean (d,) and covariance (d, d) of the rows of X (n, d), float64."""
    mean = X.mean(dim=0)
    centered = X - mean
    return mean, centered.T @ centered / X.shape[0]


def _components_of_moments(mean: torch.Tensor, covariance: torch.Tensor, k: int, permutations) -> tuple[torch.Tensor, torch.Tensor]:
    """`principal_components` from the rows' mean (d,) and covariance (d, d): with
    `permutations`, the mean of the copies and their covariance about it (each copy's own
    covariance plus the spread of the copies' means)."""
    if permutations is not None:
        permutations = [p.to(mean.device) for p in permutations]
        means = [mean[p] for p in permutations]
        mean = sum(means) / len(means)
        covariance = sum(covariance[p][:, p] + torch.outer(m - mean, m - mean) for p, m in zip(permutations, means)) / len(means)
    _, vectors = torch.linalg.eigh(covariance)
    return mean, vectors[:, -k:].flip(1).T.contiguous()


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
def pca_error(X: torch.Tensor, mean: torch.Tensor, components: torch.Tensor) -> float:
    """Mean squared error per value of PCA (mean (d,), components (k, d)) reconstructing the
    rows of X (n, d).

    Parameters
    ----------
    X : torch.Tensor
        Rows to reconstruct, (n, d).
    mean : torch.Tensor
        The PCA's mean, (d,).
    components : torch.Tensor
        Orthonormal principal directions, (k, d).

    Returns
    -------
    error : float
    """
    centered = X.double() - mean
    return float(((centered - (centered @ components.T) @ components) ** 2).mean())


@torch.no_grad()
def choose_symmetry(X: torch.Tensor, X_val: torch.Tensor, k: int, shape) -> tuple[str | None, tuple]:
    """The image symmetry (None, or a kind of `image_symmetries`) whose PCA of the training
    rows X (n, d) reconstructs the validation rows X_val (m, d) best: photographs look alike
    mirrored and upside down, so the PCA of the patches and their flips is a less noisy estimate,
    while handwriting is not (a mirrored 2 is no digit) and keeps its plain PCA. Images of more
    than MAX_EIGH_FEATURES values keep the plain PCA (their randomized PCA would hold every
    transformed copy in memory).

    Parameters
    ----------
    X, X_val : torch.Tensor
        Training and validation rows of flat images.
    k : int
        Number of components.
    shape : sequence of int
        (C, H, W) of the images.

    Returns
    -------
    kind : str or None
    pca : (mean, components)
        Its PCA, as `principal_components` returns it.
    """
    if X.shape[1] > MAX_EIGH_FEATURES:
        return None, principal_components(X, k)
    candidates = {None: None}
    for kind in ("flips", "dihedral"):
        permutations = image_symmetries(shape, kind)
        if len(permutations) not in (len(p) for p in candidates.values() if p is not None):
            candidates[kind] = permutations
    moments = _moments(X.double())
    fits = {kind: _components_of_moments(*moments, k, perms) for kind, perms in candidates.items()}
    errors = {kind: pca_error(X_val, *fit) for kind, fit in fits.items()}
    best = min(errors, key=errors.get)
    return best, fits[best]


@torch.no_grad()
def start_conv_as_pca(encoder: nn.Module, decoder: nn.Module, X: torch.Tensor, symmetry: str | None = None, pca=None) -> None:
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
    symmetry : str or None, default=None
        A kind of `image_symmetries`: PCA of the images and their transforms (see
        `choose_symmetry`); None is the images alone.
    pca : (mean, components) or None, default=None
        That PCA when it is already known (X is then not read).
    """
    k = encoder.linear.out_features
    if pca is None:
        permutations = None if symmetry is None else image_symmetries(encoder.input_shape, symmetry)
        pca = principal_components(X, k, permutations)
    mean, P = pca
    for layer, weight, bias in ((encoder.linear, P, -P @ mean), (decoder.linear, P.T, mean)):
        layer.weight.copy_(weight.to(layer.weight.dtype))
        layer.bias.copy_(bias.to(layer.bias.dtype))
    for layer in (encoder.bottleneck[-1], decoder.stages[-1][0]):
        layer.weight.zero_()
        layer.bias.zero_()
