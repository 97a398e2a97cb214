"""scikit-learn estimators over the torch modules."""

from aekit.estimators.base import BaseAutoEncoder
from aekit.estimators.autoencoder import (
    AutoEncoder,
    ContractiveAutoEncoder,
    DenoisingAutoEncoder,
    LinearAutoEncoder,
    SparseAutoEncoder,
)
from aekit.estimators.vae import VariationalAutoEncoder

__all__ = [
    "AutoEncoder",
    "BaseAutoEncoder",
    "ContractiveAutoEncoder",
    "DenoisingAutoEncoder",
    "LinearAutoEncoder",
    "SparseAutoEncoder",
    "VariationalAutoEncoder",
]
