"""aekit: autoencoders as practical tools, with scikit-learn's conventions over plain PyTorch modules."""

__version__ = "0.1.0"

from aekit.estimators import (  # noqa: E402
    AutoEncoder,
    AutoEncoderClassifier,
    AutoEncoderImputer,
    AutoEncoderOutlierDetector,
    ContextEncoder,
    ContractiveAutoEncoder,
    ConvAutoEncoder,
    DenoisingAutoEncoder,
    LinearAutoEncoder,
    SparseAutoEncoder,
    VariationalAutoEncoder,
)
from aekit.models import AutoEncoderModule, AutoEncoderOutput, VariationalAutoEncoderModule  # noqa: E402
from aekit.training import TrainConfig, TrainingDivergedError, train  # noqa: E402

__all__ = [
    "AutoEncoder",
    "AutoEncoderClassifier",
    "AutoEncoderImputer",
    "AutoEncoderModule",
    "AutoEncoderOutlierDetector",
    "AutoEncoderOutput",
    "ContextEncoder",
    "ContractiveAutoEncoder",
    "ConvAutoEncoder",
    "DenoisingAutoEncoder",
    "LinearAutoEncoder",
    "SparseAutoEncoder",
    "TrainConfig",
    "TrainingDivergedError",
    "VariationalAutoEncoder",
    "VariationalAutoEncoderModule",
    "__version__",
    "train",
]
