"""scikit-learn estimators over the torch modules."""

from aekit import _ESTIMATORS as ESTIMATOR_NAMES
from aekit.estimators.base import BaseAutoEncoder
from aekit.estimators.autoencoder import (
    AutoEncoder,
    ContractiveAutoEncoder,
    DenoisingAutoEncoder,
    LinearAutoEncoder,
    SparseAutoEncoder,
)
from aekit.estimators.classifier import AutoEncoderClassifier
from aekit.estimators.conv import ContextEncoder, ConvAutoEncoder
from aekit.estimators.imputer import AutoEncoderImputer
from aekit.estimators.outlier import AutoEncoderOutlierDetector
from aekit.estimators.vae import VariationalAutoEncoder

__all__ = sorted(["BaseAutoEncoder", *ESTIMATOR_NAMES])
