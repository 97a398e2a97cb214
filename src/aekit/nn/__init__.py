"""Building blocks: encoders, decoders and activations as ordinary `torch.nn.Module` objects."""

from aekit.nn.activations import ACTIVATIONS, make_activation
from aekit.nn.conv import ConvDecoder, ConvEncoder, Handoff
from aekit.nn.mlp import MLPDecoder, MLPEncoder, TiedMLPDecoder
from aekit.nn.sparse_codes import BatchTopK, CodeActivity, SparseCode, TopK

__all__ = [
    "ACTIVATIONS",
    "BatchTopK",
    "CodeActivity",
    "ConvDecoder",
    "ConvEncoder",
    "Handoff",
    "MLPDecoder",
    "MLPEncoder",
    "SparseCode",
    "TiedMLPDecoder",
    "TopK",
    "make_activation",
]
