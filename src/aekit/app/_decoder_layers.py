"""An MLP decoder as plain arrays, so another runtime (the explorer page's JavaScript) can run
its forward pass: the affine layers, the hidden activation and the output activation."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import erf

__all__ = ["DecoderLayers", "decoder_layers", "run_layers"]


@dataclass
class DecoderLayers:
    """weights[i] (out_i, in_i) and biases[i] (out_i,) in float32; `activation` follows every
    layer but the last, `output` (the likelihood's: 'linear', 'sigmoid', 'softmax' or 'exp')
    follows the last; `slope` is
    LeakyReLU's negative slope or ELU's alpha; `approximate` is GELU's ('none' or 'tanh')."""

    weights: list[np.ndarray]
    biases: list[np.ndarray]
    activation: str
    output: str
    slope: float = 0.0
    approximate: str = "none"


def _activation_name(module) -> tuple[str, float, str] | None:
    """(name, slope or alpha, GELU approximation) of an aekit activation module, or None."""
    from aekit.nn.activations import ACTIVATIONS

    name = next((n for n, cls in ACTIVATIONS.items() if type(module) is cls), None)
    if name is None:
        return None
    slope = float(getattr(module, "negative_slope", getattr(module, "alpha", 0.0)))
    return name, slope, str(getattr(module, "approximate", "none"))


def decoder_layers(estimator) -> DecoderLayers | None:
    """The layers of a fitted aekit estimator whose decoder is an MLP (plain or tied) and whose
    `inverse_transform` is that decoder followed by its likelihood's output activation; None
    for any other decoder (convolutional, an ensemble, a model without a torch module)."""
    from aekit.nn.models import AutoEncoderModule, VariationalAutoEncoderModule
    from aekit.nn import MLPDecoder, TiedMLPDecoder

    module = getattr(estimator, "module_", None)
    if type(module) not in (AutoEncoderModule, VariationalAutoEncoderModule):
        return None
    decoder = module.decoder
    activation = _activation_name(getattr(decoder, "activation", None))
    if type(decoder) not in (MLPDecoder, TiedMLPDecoder) or activation is None:
        return None
    pairs = decoder.affine_layers()
    weights = [w.detach().cpu().float().numpy().copy() for w, _ in pairs]
    biases = [b.detach().cpu().float().numpy().copy() for _, b in pairs]
    per_feature = module.likelihood.outputs_per_feature
    kept = weights[-1].shape[0] // per_feature  # a decoder that also predicts variances: the means come first
    weights[-1], biases[-1] = weights[-1][:kept], biases[-1][:kept]
    name, slope, approximate = activation
    return DecoderLayers(weights, biases, name, module.likelihood.output_activation, slope, approximate)


def _activate(x: np.ndarray, name: str, slope: float, approximate: str) -> np.ndarray:
    if name == "relu":
        return np.maximum(x, 0.0)
    if name == "leaky_relu":
        return np.where(x >= 0, x, slope * x)
    if name == "elu":
        return np.where(x > 0, x, slope * np.expm1(np.minimum(x, 0.0)))
    if name == "gelu" and approximate == "tanh":
        return 0.5 * x * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (x + 0.044715 * x**3)))
    if name == "gelu":
        return 0.5 * x * (1.0 + erf(x / np.sqrt(2.0)))
    if name == "tanh":
        return np.tanh(x)
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-x))
    if name == "softmax":
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)
    if name == "exp":
        from aekit.nn.likelihoods import Poisson

        return np.exp(np.minimum(x, Poisson.max_log_rate))
    return x


def run_layers(layers: DecoderLayers, Z: np.ndarray) -> np.ndarray:
    """The decoder's forward pass in float64 numpy: codes Z (n, latent_dim) to (n, n_features)."""
    A = np.asarray(Z, dtype=np.float64)
    last = len(layers.weights) - 1
    for i, (W, b) in enumerate(zip(layers.weights, layers.biases)):
        A = A @ W.T.astype(np.float64) + b
        if i < last:
            A = _activate(A, layers.activation, layers.slope, layers.approximate)
    return _activate(A, layers.output, 0.0, "none")
