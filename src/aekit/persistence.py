"""Saving fitted estimators as a folder of `config.json` + `model.safetensors`, never pickle.

The config records the estimator class (looked up in a registry, never imported by name),
its parameters, its fitted attributes and the SHA-256 of the weights file, so a truncated or
altered weights file is detected before anything is loaded. Every file is written to a
temporary name and renamed into place, so a reader never sees a half-written file.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_safetensors
from safetensors.torch import save as save_safetensors

FORMAT = "aekit"
FORMAT_VERSION = 1
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"

ESTIMATORS: dict[str, type] = {}


def register_estimator(cls: type) -> type:
    """Make `cls` loadable by name from a saved config."""
    ESTIMATORS[cls.__name__] = cls
    return cls


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write `data` to `path` so that readers see either the old file or the whole new one."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_model(path: str | os.PathLike, class_name: str, params: dict, fitted: dict, state: dict) -> Path:
    """Write config.json and model.safetensors into folder `path`.

    A new folder is assembled under a temporary name and renamed into place, so it appears
    whole or not at all. Over an existing folder each file is replaced atomically, weights
    first; a crash between the two renames leaves a folder that `read_model` refuses on the
    checksum rather than one that silently mixes two models.
    """
    path = Path(path)
    weights = save_safetensors({k: v.detach().cpu().contiguous() for k, v in state.items()})
    from aekit import __version__

    config = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "aekit_version": __version__,
        "class": class_name,
        "params": params,
        "fitted": fitted,
        "weights": {"file": WEIGHTS_FILE, "sha256": hashlib.sha256(weights).hexdigest()},
    }
    config_bytes = json.dumps(config, indent=2).encode()
    if path.is_dir():
        atomic_write_bytes(path / WEIGHTS_FILE, weights)
        atomic_write_bytes(path / CONFIG_FILE, config_bytes)
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"))
    try:
        atomic_write_bytes(staging / WEIGHTS_FILE, weights)
        atomic_write_bytes(staging / CONFIG_FILE, config_bytes)
        os.rename(staging, path)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return path


def read_model(path: str | os.PathLike) -> tuple[type, dict, dict, dict[str, torch.Tensor]]:
    """Read a saved folder: (estimator class, params, fitted attributes, state dict).

    Raises FileNotFoundError for a missing folder or file and ValueError for anything corrupt,
    tampered with or from an unknown format version.
    """
    path = Path(path)
    config_path = path / CONFIG_FILE
    if not path.is_dir():
        raise FileNotFoundError(f"no saved model folder at {str(path)!r}")
    if not config_path.is_file():
        raise FileNotFoundError(f"{str(config_path)!r} is missing: not a saved aekit model folder")
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(f"{str(config_path)!r} is not valid JSON ({err}); the file is corrupt") from err
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise ValueError(f"{str(config_path)!r} is not an aekit model config (missing 'format': 'aekit')")
    version = config.get("format_version")
    if not isinstance(version, int) or not 1 <= version <= FORMAT_VERSION:
        raise ValueError(
            f"{str(config_path)!r} has format_version {version!r}; this aekit reads versions 1..{FORMAT_VERSION}"
        )
    cls = ESTIMATORS.get(config.get("class"))
    if cls is None:
        raise ValueError(f"{str(config_path)!r} names unknown class {config.get('class')!r}; known: {sorted(ESTIMATORS)}")
    for key in ("params", "fitted", "weights"):
        if not isinstance(config.get(key), dict):
            raise ValueError(f"{str(config_path)!r}: field {key!r} is missing or not an object")
    weights_info = config["weights"]
    if weights_info.get("file") != WEIGHTS_FILE or not isinstance(weights_info.get("sha256"), str):
        raise ValueError(f"{str(config_path)!r}: 'weights' must name {WEIGHTS_FILE!r} and give its sha256")
    weights_path = path / WEIGHTS_FILE
    if not weights_path.is_file():
        raise FileNotFoundError(f"{str(weights_path)!r} is missing")
    data = weights_path.read_bytes()
    if hashlib.sha256(data).hexdigest() != weights_info["sha256"]:
        raise ValueError(
            f"{str(weights_path)!r} does not match the checksum in {CONFIG_FILE}: the file is truncated or altered"
        )
    try:
        state = load_safetensors(data)
    except (SafetensorError, ValueError) as err:
        raise ValueError(f"{str(weights_path)!r} is not a valid safetensors file: {err}") from err
    return cls, config["params"], config["fitted"], state
