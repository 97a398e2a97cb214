"""aekit: autoencoders as practical tools, with scikit-learn's conventions over plain PyTorch modules.

The public names load on first use (PEP 562), so `import aekit.cli` and `aekit --help` do not
import torch.
"""

from importlib import import_module

__version__ = "0.1.0"

_ESTIMATORS = (
    "AutoEncoder",
    "AutoEncoderClassifier",
    "AutoEncoderImputer",
    "AutoEncoderOutlierDetector",
    "ContextEncoder",
    "ContractiveAutoEncoder",
    "ConvAutoEncoder",
    "DenoisingAutoEncoder",
    "LinearAutoEncoder",
    "SparseAutoEncoder",
    "VariationalAutoEncoder",
)
_HOME = {
    **dict.fromkeys(_ESTIMATORS, "aekit.estimators"),
    **dict.fromkeys(("AutoEncoderModule", "AutoEncoderOutput", "VariationalAutoEncoderModule"), "aekit.nn.models"),
    **dict.fromkeys(("TrainConfig", "TrainingDivergedError", "train"), "aekit.training.loop"),
    "explain": "aekit.analysis.explanations",
}

__all__ = sorted([*_HOME, "__version__"])


def __getattr__(name: str):
    """Import a public name's module when the name is first read, and keep the name here."""
    if name not in _HOME:
        raise AttributeError(f"module 'aekit' has no attribute {name!r}")
    value = getattr(import_module(_HOME[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOME})
