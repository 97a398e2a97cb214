"""scikit-learn estimators over the torch modules."""

from aekit.estimators.autoencoder import (
    AutoEncoder,
    ContractiveAutoEncoder,
    DenoisingAutoEncoder,
    LinearAutoEncoder,
    SparseAutoEncoder,
)

__all__ = [
    "AutoEncoder",
    "ContractiveAutoEncoder",
    "DenoisingAutoEncoder",
    "LinearAutoEncoder",
    "SparseAutoEncoder",
]
