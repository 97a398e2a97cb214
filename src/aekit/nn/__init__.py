"""Building blocks: encoders, decoders and activations as ordinary `torch.nn.Module`s."""

from aekit.nn.activations import ACTIVATIONS, make_activation
from aekit.nn.conv import ConvDecoder, ConvEncoder, PoolingIndices
from aekit.nn.mlp import MLPDecoder, MLPEncoder, TiedMLPDecoder

__all__ = [
    "ACTIVATIONS",
    "ConvDecoder",
    "ConvEncoder",
    "MLPDecoder",
    "MLPEncoder",
    "PoolingIndices",
    "TiedMLPDecoder",
    "make_activation",
]
