"""aekit: autoencoders as practical tools, with scikit-learn's conventions over plain PyTorch modules."""

__version__ = "0.1.0"

from aekit.estimators import (  # noqa: E402
    AutoEncoder,
    AutoEncoderImputer,
    AutoEncoderOutlierDetector,
    ContractiveAutoEncoder,
    DenoisingAutoEncoder,
    LinearAutoEncoder,
    SparseAutoEncoder,
    VariationalAutoEncoder,
)
from aekit.models import AutoEncoderModule, AutoEncoderOutput, VariationalAutoEncoderModule  # noqa: E402
from aekit.training import TrainConfig, TrainingDivergedError, train  # noqa: E402

__all__ = [
    "AutoEncoder",
    "AutoEncoderImputer",
    "AutoEncoderModule",
    "AutoEncoderOutlierDetector",
    "AutoEncoderOutput",
    "ContractiveAutoEncoder",
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
