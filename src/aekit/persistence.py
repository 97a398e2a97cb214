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
CONFIG_KEYS = frozenset({"format", "format_version", "aekit_version", "class", "params", "fitted", "weights"})
FITTED_KEYS = frozenset({"n_features_in_", "output_activation_", "history_", "n_epochs_", "feature_names_in_"})


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
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
        raise ValueError(f"{str(config_path)!r} is not valid JSON ({err}); the file is corrupt") from err
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise ValueError(f"{str(config_path)!r} is not an aekit model config (missing 'format': 'aekit')")
    version = config.get("format_version")
    if not isinstance(version, int) or not 1 <= version <= FORMAT_VERSION:
        raise ValueError(
            f"{str(config_path)!r} has format_version {version!r}; this aekit reads versions 1..{FORMAT_VERSION}"
        )
    cls = ESTIMATORS.get(config["class"]) if isinstance(config.get("class"), str) else None
    if cls is None:
        raise ValueError(f"{str(config_path)!r} names unknown class {config.get('class')!r}; known: {sorted(ESTIMATORS)}")
    for key in ("params", "fitted", "weights"):
        if not isinstance(config.get(key), dict):
            raise ValueError(f"{str(config_path)!r}: field {key!r} is missing or not an object")
    weights_info = config["weights"]
    if set(weights_info) != {"file", "sha256"} or weights_info["file"] != WEIGHTS_FILE:
        raise ValueError(f"{str(config_path)!r}: 'weights' must name {WEIGHTS_FILE!r} and give its sha256, no more")
    if not isinstance(weights_info["sha256"], str):
        raise ValueError(f"{str(config_path)!r}: 'weights.sha256' must be a string")
    _check_fields(config_path, config, cls)
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


def _check_fields(config_path: Path, config: dict, cls: type) -> None:
    """Refuse unknown keys, and wrongly typed fitted attributes that the loader keeps as they are."""
    unknown = sorted(set(config) - CONFIG_KEYS)
    if unknown:
        raise ValueError(f"{str(config_path)!r} has unknown fields {unknown}; allowed: {sorted(CONFIG_KEYS)}")
    if not isinstance(config.get("aekit_version", ""), str):
        raise ValueError(f"{str(config_path)!r}: field 'aekit_version' must be a string")
    fitted = config["fitted"]
    allowed = FITTED_KEYS | set(getattr(cls, "_saved_attributes", {}))
    unknown = sorted(set(fitted) - allowed)
    if unknown:
        raise ValueError(f"{str(config_path)!r}: 'fitted' has unknown fields {unknown}; allowed: {sorted(allowed)}")
    problems = []
    history = fitted.get("history_", {})
    if not isinstance(history, dict) or not all(_is_numbers(v) or _is_count(v) or v is None for v in history.values()):
        problems.append("history_ must map names to lists of numbers (or an epoch number)")
    if "n_epochs_" in fitted and not _is_count(fitted["n_epochs_"]):
        problems.append("n_epochs_ must be a non-negative integer")
    names, n_features = fitted.get("feature_names_in_"), fitted.get("n_features_in_")
    if names is not None and (not isinstance(names, list) or not all(isinstance(n, str) for n in names)):
        problems.append("feature_names_in_ must be a list of strings")
    elif names is not None and _is_count(n_features) and len(names) != n_features:
        problems.append(f"feature_names_in_ has {len(names)} names for n_features_in_={n_features}")
    if problems:
        raise ValueError(f"{str(config_path)!r}: wrongly typed fitted fields: " + "; ".join(problems))


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_numbers(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
