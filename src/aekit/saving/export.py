"""ONNX export of a fitted estimator's encoder and decoder, for serving without Python or torch.

`to_onnx(est, folder)` writes `encoder.onnx` (input `x`: (batch, n_features) float32 ->
output `code`: (batch, latent_dim)) and `decoder.onnx` (`code` -> `reconstruction`:
(batch, n_features)), both with a free batch dimension, plus `onnx.json` describing them.
They compute what `est.transform` and `est.inverse_transform` compute (for a VAE, the
posterior mean and the decoded mean). Needs the `onnx` and `onnxscript` packages
(`pip install aekit[onnx]`).
"""

from __future__ import annotations

import copy
import json
import logging
import os
import warnings
from contextlib import contextmanager
from pathlib import Path

import torch
from torch import nn

from aekit.nn.models import DecodeOf, EncodeOf
from aekit.saving.persistence import atomic_write_bytes

__all__ = ["ONNX_OPSET", "to_onnx"]

ONNX_OPSET = 18


@contextmanager
def _quiet_exporter():
    """Keep torch's exporter from printing its internal notices (deprecations inside torch
    and a log line per optional torchvision operator) at the user."""
    logger = logging.getLogger("torch.onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=DeprecationWarning)
            warnings.filterwarnings("ignore", category=FutureWarning)
            yield
    finally:
        logger.setLevel(level)


def _export(wrapper: nn.Module, example: torch.Tensor, input_name: str, output_name: str) -> bytes:
    batch = torch.export.Dim("batch")
    with _quiet_exporter():
        program = torch.onnx.export(
            wrapper,
            (example,),
            input_names=[input_name],
            output_names=[output_name],
            dynamic_shapes=({0: batch},),
            opset_version=ONNX_OPSET,
            dynamo=True,
            external_data=False,
            verbose=False,
        )
    return program.model_proto.SerializeToString()


def to_onnx(estimator, path: str | os.PathLike) -> dict[str, Path]:
    """Write `path`/encoder.onnx, decoder.onnx and onnx.json for a fitted aekit estimator;
    returns {'encoder': Path, 'decoder': Path}."""
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(estimator)
    try:
        import onnxscript  # noqa: F401  (torch's exporter needs it)
    except ImportError as err:
        raise ImportError("ONNX export needs the onnx and onnxscript packages: pip install 'aekit[onnx]'") from err
    out = Path(path)
    out.mkdir(parents=True, exist_ok=True)
    module = copy.deepcopy(estimator.module_).to("cpu", torch.float32).eval()
    n_features, latent_dim = int(estimator.n_features_in_), int(estimator.code_dim_)
    x = torch.zeros(2, n_features)
    with torch.no_grad():
        code = module.encode(x)
    files = {
        "encoder": (EncodeOf(module).eval(), x, "x", "code"),
        "decoder": (DecodeOf(module).eval(), torch.zeros_like(code), "code", "reconstruction"),
    }
    written = {}
    for name, (wrapper, example, input_name, output_name) in files.items():
        target = out / f"{name}.onnx"
        atomic_write_bytes(target, _export(wrapper, example, input_name, output_name))
        written[name] = target
    info = {
        "estimator": type(estimator).__name__,
        "opset": ONNX_OPSET,
        "encoder": {
            "file": "encoder.onnx",
            "input": ["x", ["batch", n_features]],
            "output": ["code", ["batch", latent_dim]],
        },
        "decoder": {
            "file": "decoder.onnx",
            "input": ["code", ["batch", latent_dim]],
            "output": ["reconstruction", ["batch", n_features]],
        },
        "dtype": "float32",
    }
    atomic_write_bytes(out / "onnx.json", json.dumps(info, indent=2).encode())
    return written
