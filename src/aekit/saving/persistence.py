"""Saving fitted estimators as a folder of `config.json` + `model.safetensors`, never pickle.

The config records the estimator class (looked up in a registry, never imported by name),
its parameters, its fitted state (the attributes the class declares in `_fitted_state`) and
the SHA-256 of the weights file, so a truncated or altered weights file is detected before
anything is loaded. Estimators nested in a fitted one (an outlier detector's autoencoder, a
classifier's pretrained model) are saved as sub-folders in the same format, and fitted
scikit-learn estimators it keeps (the imputer's blend partner) as sub-folders of JSON and
safetensors by `aekit.saving.sklearn_state`. Every file is
written to a temporary name and renamed into place, so a reader never sees a half-written
file. Format version 2 made the weights optional and moved the outlier detector from
detector.json to config.json; version 3 (this one) labels each parameter with its kind (tuple,
list, array, NumPy scalar, dict, nested estimator), writes non-finite numbers as
{"non_finite": ...} and lists the sub-folders written; version-1 and -2 folders still load, and
an aekit that reads only up to version 2 refuses a version-3 folder naming its version.
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
import warnings
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load as load_safetensors
from safetensors.torch import save as save_safetensors
from sklearn.base import clone

from aekit._wording import with_article
from aekit.saving.atomic import atomic_write_bytes
from aekit.saving.checksums import file_entry, read_checked_safetensors
from aekit.saving.json_files import json_bytes, read_json
from aekit.saving.sklearn_state import STATE_FILE, dump_sklearn, known_classes, load_sklearn

__all__ = ["CONFIG_FILE", "WEIGHTS_FILE", "atomic_write_bytes", "left_by_interrupted_save", "load_estimator_folder", "read_model",
           "register_estimator", "save_estimator"]

FORMAT = "aekit"
FORMAT_VERSION = 3
CONFIG_FILE = "config.json"
LEGACY_CONFIG_FILES = ("detector.json",)  # version 1 saved the outlier detector's config under this name
WEIGHTS_FILE = "model.safetensors"

ESTIMATORS: dict[str, type] = {}
OUTPUT_CONFIG = "_sklearn_output_config"  # what set_output(transform=...) chose
OUTPUTS = ("default", "pandas", "polars")
CONFIG_KEYS = frozenset({"format", "format_version", "aekit_version", "class", "params", "fitted", "weights", "folders"})
FITTED_KEYS = frozenset({"n_features_in_", "output_activation_", "history_", "n_epochs_", "n_threads_", "feature_names_in_",
                         OUTPUT_CONFIG})


def register_estimator(cls: type) -> type:
    """Make `cls` loadable by name from a saved config."""
    ESTIMATORS[cls.__name__] = cls
    return cls


def _param_to_json(value):
    """One parameter value as JSON that `_param_from_json` turns back into an equal value of
    the same kind: a tuple as {"tuple": [...]}, a list as {"list": [...]}, a dict as
    {"dict": {...}}, an array as
    {"ndarray": [...], "dtype": ...}, a NumPy scalar as {"numpy": dtype, "value": ...}, an aekit
    estimator (or a scikit-learn one of `known_classes()`) as {"estimator": class name, "params":
    {...}} (and "set_output": what its set_output chose)."""
    if isinstance(value, (tuple, list)):
        return {type(value).__name__: [_param_to_json(v) for v in value]}
    if isinstance(value, dict):
        return {"dict": {str(k): _param_to_json(v) for k, v in value.items()}}
    if isinstance(value, np.ndarray):
        return {"ndarray": value.tolist(), "dtype": value.dtype.str}
    if isinstance(value, np.generic):
        return {"numpy": value.dtype.str, "value": value.item()}
    if hasattr(value, "get_params"):
        output = {"set_output": value._sklearn_output_config} if getattr(value, OUTPUT_CONFIG, None) else {}
        return {"estimator": type(value).__name__, "params": params_to_json(value.get_params(deep=False)), **output}
    return value


def _savable_class(name: str) -> type | None:
    """The aekit estimator, or scikit-learn class that `sklearn_state` saves (a wrapped PCA),
    called `name`; None for any other."""
    return ESTIMATORS.get(name) or known_classes().get(name)


def _param_from_json(value):
    """The parameter value `_param_to_json` wrote (a plain list or dict, from a folder saved
    before containers were tagged, stays as it is here)."""
    if isinstance(value, list):
        return [_param_from_json(v) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1 and next(iter(value)) in ("list", "tuple") and isinstance(next(iter(value.values())), list):
        kind, items = next(iter(value.items()))
        return (list if kind == "list" else tuple)(_param_from_json(v) for v in items)
    if set(value) == {"dict"} and isinstance(value["dict"], dict):
        return {k: _param_from_json(v) for k, v in value["dict"].items()}
    if set(value) == {"ndarray", "dtype"}:
        return np.asarray(value["ndarray"], dtype=np.dtype(value["dtype"]))
    if set(value) == {"numpy", "value"}:
        return np.dtype(value["numpy"]).type(value["value"])
    if set(value) - {"set_output"} == {"estimator", "params"} and isinstance(value["params"], dict):
        cls = _savable_class(value["estimator"]) if isinstance(value["estimator"], str) else None
        if cls is None:
            raise ValueError(f"names unknown estimator class {value['estimator']!r}")
        est = cls(**{k: _param_from_json(v) for k, v in value["params"].items()})
        output = value.get("set_output", {})
        if not isinstance(output, dict) or set(output) - {"transform"} or not set(output.values()) <= set(OUTPUTS):
            raise ValueError(f"set_output must map 'transform' to one of {list(OUTPUTS)}")
        return est.set_output(**output) if output else est
    return value


def params_to_json(params: dict) -> dict:
    """An estimator's `get_params(deep=False)` as JSON values that load back equal and of the
    same kind (tuple, list, array, NumPy scalar, aekit estimator: see `_param_to_json`); a
    RandomState becomes None (only an int seed can be saved) and a torch device its string.
    An estimator parameter whose class aekit cannot save is left out."""
    out = {}
    for key, value in params.items():
        if hasattr(value, "get_params") and _savable_class(type(value).__name__) is None:
            continue
        out[key] = _param_to_json(value)
    if "random_state" in out and not isinstance(params["random_state"], (int, np.integer, type(None))):
        out["random_state"] = None
    if "device" in out:
        out["device"] = str(params["device"])
    return out


def estimator_from_params(est_cls: type, params: dict, path: str | os.PathLike, device: str | None = None):
    """A new, validated `est_cls` with the saved `params` (lists back to tuples where the default
    is a tuple); `device` overrides the saved device. Unknown parameters are refused. A
    parameter missing from an older file takes the value it had before it existed, from the
    class's `_values_before_param` (e.g. one autoencoder where the default became several). A
    model saved for a GPU this machine lacks is loaded on the CPU, with a warning."""
    defaults = est_cls().get_params(deep=False)
    params = {**getattr(est_cls, "_values_before_param", {}), **params}
    unknown = set(params) - set(defaults)
    if unknown:
        raise ValueError(f"{str(path)!r}: config has unknown parameters {sorted(unknown)}")
    try:
        params = {k: tuple(v) if isinstance(defaults[k], tuple) and isinstance(v, list) else _param_from_json(v)
                  for k, v in params.items()}  # a plain list is from a folder saved before containers were tagged
    except (TypeError, ValueError) as err:
        raise ValueError(f"{str(Path(path) / CONFIG_FILE)!r}: the saved params are not valid for {est_cls.__name__}: {err}") from err
    saved = params.get("device")
    if device is None and isinstance(saved, str) and saved.startswith("cuda") and not torch.cuda.is_available():
        warnings.warn(f"{str(path)!r} was saved with device={saved!r}, which this machine does not have: loaded with "
                      "device='cpu'", UserWarning, stacklevel=4)
        device = "cpu"
    if device is not None and "device" in defaults:
        params["device"] = device
    try:
        est = est_cls(**params)
        est._validate_params()
        if device is None and "device" in params:  # an unknown device string passes the constraints and failed later, unnamed
            from aekit.training._devices import resolve_device

            resolve_device(params["device"])
    except (TypeError, ValueError) as err:
        raise ValueError(f"{str(Path(path) / CONFIG_FILE)!r}: the saved params are not valid for {est_cls.__name__}: {err}") from err
    return est


def load_weights(module: torch.nn.Module, state: dict, path: str | os.PathLike, device) -> torch.nn.Module:
    """`module` with the saved `state` loaded strictly, on `device`, in eval mode; a tensor whose
    dtype is not of the module's kind (integer weights for floating-point ones) is refused, not cast."""
    for name, want in module.state_dict().items():
        tensor, floating = state.get(name), want.is_floating_point()
        if tensor is not None and (tensor.is_floating_point() != floating or (not floating and tensor.dtype != want.dtype)):
            kind = "floating-point" if floating else str(want.dtype).removeprefix("torch.")
            raise ValueError(f"{str(Path(path) / WEIGHTS_FILE)!r}: tensor {name!r} is {str(tensor.dtype).removeprefix('torch.')}, "
                             f"but the model needs {kind} values there; aekit's save did not write this file")
    try:
        module.load_state_dict(state, strict=True)
    except RuntimeError as err:
        raise ValueError(f"{str(path)!r}: the weights do not match the config: {err}") from err
    return module.to(device).eval()


def read_model(path: str | os.PathLike) -> tuple[type, dict, dict, dict[str, torch.Tensor] | None]:
    """Read a saved folder: (estimator class, params, fitted attributes, state dict or None
    when the estimator has no weights of its own).

    Raises FileNotFoundError for a missing folder or file and ValueError for anything corrupt,
    tampered with or from an unknown format version.

    Parameters
    ----------
    path : str or PathLike
        The folder an estimator's `save` wrote.

    Returns
    -------
    cls : type
        The saved estimator's class.
    params : dict
        Its constructor parameters.
    fitted : dict
        Its fitted attributes as saved in config.json.
    state_dict : dict of str to torch.Tensor or None
        The module's weights.
    """
    path = Path(path)
    cls, config, config_path = read_config(path)
    for key in ("params", "fitted"):
        if not isinstance(config.get(key), dict):
            raise ValueError(f"{str(config_path)!r}: field {key!r} is missing or not an object")
    _check_fields(config_path, config, cls)
    for name in config.get("folders", []):
        if not (path / name).is_dir():
            raise FileNotFoundError(f"{str(path / name)!r} is missing: the {cls.__name__} saved in {str(path)!r} keeps its "
                                    f"{name} there ({CONFIG_FILE} lists it in 'folders'); put the folder back or save the "
                                    "model again")
    weights_info = config.get("weights")
    if weights_info is None:
        if config_path.name == CONFIG_FILE and config["format_version"] == 1:
            raise ValueError(f"{str(config_path)!r}: field 'weights' is missing or not an object")
        return cls, config["params"], config["fitted"], None
    if not isinstance(weights_info, dict) or set(weights_info) != {"file", "sha256"} or weights_info["file"] != WEIGHTS_FILE:
        raise ValueError(f"{str(config_path)!r}: 'weights' must name {WEIGHTS_FILE!r} and give its sha256, no more")
    if not isinstance(weights_info["sha256"], str):
        raise ValueError(f"{str(config_path)!r}: 'weights.sha256' must be a string")
    state = read_checked_safetensors(path / WEIGHTS_FILE, weights_info["sha256"], CONFIG_FILE, load_safetensors)
    return cls, config["params"], config["fitted"], state


def _fitted_to_json(est) -> dict:
    """The fitted state of `est` as JSON values: the common attributes it has and those its
    class declares (through the class's `_fitted_writers`, arrays to lists, objects through
    their `to_json`), in a fixed order."""
    out = {}
    for name in dict.fromkeys([*sorted(FITTED_KEYS), *type(est)._fitted_state]):
        if not hasattr(est, name):
            continue
        value = getattr(est, name)
        if name in type(est)._fitted_writers:
            value = type(est)._fitted_writers[name](value)
        elif name == "feature_names_in_":
            value = [str(c) for c in value]
        elif hasattr(value, "to_json"):
            value = value.to_json()
        elif isinstance(value, (np.ndarray, np.generic)):
            value = value.tolist()
        out[name] = value
    return out


def _nested_folder(attribute: str) -> str:
    return attribute.rstrip("_")


def _sub_folders(cls: type) -> list[str]:
    """The sub-folders a saved `cls` may hold: one per nested estimator and scikit-learn part."""
    return [_nested_folder(name) for name in (*cls._nested, *cls._sklearn_parts)]


def save_estimator(est, path: str | os.PathLike) -> Path:
    """Write fitted `est` to folder `path`: config.json, model.safetensors when it has a
    `module_`, and a sub-folder per nested estimator (`_nested`) and per fitted scikit-learn
    estimator (`_sklearn_parts`), which config.json lists under 'folders' (so a deleted one is
    refused, not loaded as absent).

    A new folder is assembled under a temporary name and renamed into place, so it appears
    whole or not at all; an existing folder is swapped out only once the new one is whole.

    Parameters
    ----------
    est : AekitEstimator
        A fitted estimator.
    path : str or PathLike
        The folder to write.

    Returns
    -------
    path : Path
        The folder written.
    """
    nested = {name: getattr(est, name) for name in type(est)._nested if getattr(est, name, None) is not None}
    for name, inner in nested.items():
        if not hasattr(inner, "save") and type(inner).__name__ not in known_classes():
            raise TypeError(f"cannot save: the fitted {type(inner).__name__} in {name} is neither an aekit estimator "
                            f"(with `save`) nor one of the scikit-learn classes aekit saves ({sorted(known_classes())})")
    parts = {name: dump_sklearn(getattr(est, name)) for name in type(est)._sklearn_parts if getattr(est, name, None) is not None}
    parts.update({name: dump_sklearn(inner) for name, inner in nested.items() if not hasattr(inner, "save")})
    nested = {name: inner for name, inner in nested.items() if hasattr(inner, "save")}
    params = params_to_json(est.get_params(deep=False))
    config = {**config_header(type(est).__name__), "params": params, "fitted": _fitted_to_json(est),
              "folders": sorted(_nested_folder(name) for name in (*nested, *parts))}
    weights = None
    if hasattr(est, "module_"):
        weights = save_safetensors({k: v.detach().cpu().contiguous() for k, v in est.module_.state_dict().items()})
        config["weights"] = file_entry(WEIGHTS_FILE, weights)
    config_bytes = json_bytes(config, indent=2)

    def write(folder: Path) -> None:
        for name, inner in nested.items():
            inner.save(folder / _nested_folder(name))
        for name, files in parts.items():
            (folder / _nested_folder(name)).mkdir()
            for file_name, data in files.items():
                atomic_write_bytes(folder / _nested_folder(name) / file_name, data)
        if weights is not None:
            atomic_write_bytes(folder / WEIGHTS_FILE, weights)
        atomic_write_bytes(folder / CONFIG_FILE, config_bytes)

    return replace_folder(path, write)


def load_estimator_folder(cls: type, path: str | os.PathLike, device: str | None = None):
    """The estimator saved in folder `path`, which must hold a `cls` (or subclass): built from
    its saved parameters, its fitted state set through the class's converters, its nested
    estimators and scikit-learn parts loaded from their sub-folders, and its module rebuilt
    and given the weights.

    Parameters
    ----------
    path : str or PathLike
        The folder `save_estimator` wrote.
    device : str or None, default=None
        Device for the module, overriding the saved `device` parameter; None keeps the saved
        one.

    Returns
    -------
    estimator : AekitEstimator
        The fitted estimator.
    """
    est_cls, params, fitted, state = read_model(path)
    if not issubclass(est_cls, cls):
        raise ValueError(f"{str(path)!r} holds {with_article(est_cls.__name__)}, not {with_article(cls.__name__)}")
    est = estimator_from_params(est_cls, params, path, device)
    n_features = fitted.get("n_features_in_")
    if not isinstance(n_features, int) or isinstance(n_features, bool) or n_features < 1:
        raise ValueError(f"{str(path)!r}: fitted.n_features_in_ must be a positive integer")
    est.n_features_in_ = n_features
    for name, convert in est_cls._fitted_state.items():
        if name not in fitted:
            if name in est_cls._fitted_before:
                setattr(est, name, est_cls._fitted_before[name])
                continue
            if name in est_cls._optional_fitted:
                continue
            raise ValueError(f"{str(path)!r}: fitted.{name} is missing")
        try:
            setattr(est, name, convert(fitted[name]))
        except (TypeError, ValueError, KeyError, AttributeError) as err:
            raise ValueError(f"{str(path)!r}: fitted.{name} has the wrong type or value: {err}") from err
    if "history_" in fitted:
        est.history_ = {k: [math.nan if x is None else x for x in v] if isinstance(v, list) else v
                        for k, v in fitted["history_"].items()}  # folders saved before non-finite numbers were kept wrote null
        est.n_epochs_ = fitted.get("n_epochs_", len(est.history_.get("loss", [])))
    if "n_threads_" in fitted:  # absent from folders saved before fit recorded it
        est.n_threads_ = fitted["n_threads_"]
    if "feature_names_in_" in fitted:
        est.feature_names_in_ = np.asarray(fitted["feature_names_in_"], dtype=object)
    if OUTPUT_CONFIG in fitted and hasattr(est, "set_output"):
        est.set_output(**fitted[OUTPUT_CONFIG])
    for name in est_cls._nested:
        folder = Path(path) / _nested_folder(name)
        inner = None
        if (folder / STATE_FILE).is_file() and not (folder / CONFIG_FILE).exists():  # a scikit-learn model such as PCA
            inner = load_sklearn(folder)
        elif folder.is_dir():
            inner_cls = read_config(folder)[0]
            inner = inner_cls.load(folder, device=device)
            expected = est._inner_n_features()
            if getattr(inner, "n_features_in_", expected) != expected:
                raise ValueError(f"{str(path)!r}: the saved {_nested_folder(name)} takes {inner.n_features_in_} "
                                 f"features, the {est_cls.__name__} {expected}")
        setattr(est, name, inner)
        if inner is not None and _nested_folder(name) not in params and _nested_folder(name) in est.get_params(deep=False):
            est.set_params(**{_nested_folder(name): clone(inner)})  # a folder saved before params kept the estimator
    for name in est_cls._sklearn_parts:
        folder = Path(path) / _nested_folder(name)
        if folder.is_dir():
            setattr(est, name, load_sklearn(folder))
    est._check_loaded(Path(path))
    if state is not None:
        from aekit.training._devices import resolve_device

        try:
            module = est._new_module()
        except (TypeError, ValueError) as err:
            raise ValueError(f"{str(Path(path) / CONFIG_FILE)!r}: the saved {est_cls.__name__} cannot be rebuilt from its "
                             f"params and fitted state: {err}") from err
        est.module_ = load_weights(module, state, path, resolve_device(est.device))
    elif est_cls._has_module:
        raise ValueError(f"{str(path)!r}: field 'weights' is missing: a {est_cls.__name__} needs its weights")
    return est


def read_config(path: str | os.PathLike) -> tuple[type, dict, Path]:
    """Parse and check the JSON config of saved folder `path` (config.json, or a version-1
    detector.json): (registered class, config, the config file's path).

    Raises FileNotFoundError for a missing folder or file and ValueError for invalid JSON, a
    foreign format, an unknown format version or an unregistered class.
    """
    path = Path(path)
    if path.is_file():
        raise FileNotFoundError(f"{str(path)!r} is a file, but a saved model is a folder (holding {CONFIG_FILE})"
                                + _models_in(path.parent, what="its folder is one: load {}"))
    if not path.is_dir():
        raise FileNotFoundError(f"no saved model folder at {str(path)!r}{left_by_interrupted_save(path)}")
    config_path = path / CONFIG_FILE
    if not config_path.is_file():
        config_path = next((path / name for name in LEGACY_CONFIG_FILES if (path / name).is_file()), config_path)
    if not config_path.is_file():
        raise FileNotFoundError(f"{str(path / CONFIG_FILE)!r} is missing: not a saved aekit model folder"
                                + _models_in(*(p for p in sorted(path.iterdir()) if p.is_dir()), what="it holds one: load {}"))
    config = read_json(config_path)
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise ValueError(f"{str(config_path)!r} is not an aekit model config (missing 'format': 'aekit')")
    version = config.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or not 1 <= version <= FORMAT_VERSION:
        raise ValueError(
            f"{str(config_path)!r} has format_version {version!r}; this aekit reads versions 1..{FORMAT_VERSION}"
        )
    cls = ESTIMATORS.get(config["class"]) if isinstance(config.get("class"), str) else None
    if cls is None:
        raise ValueError(f"{str(config_path)!r} names unknown class {config.get('class')!r}; known: {sorted(ESTIMATORS)}")
    return cls, config, config_path


def _models_in(*folders: Path, what: str) -> str:
    """'; ' + `what` naming the first of `folders` that holds a saved model's config, or ''."""
    found = next((f for f in folders if (f / CONFIG_FILE).is_file()), None)
    return "" if found is None else "; " + what.format(repr(str(found)))


def config_header(class_name: str) -> dict:
    """The fields every saved config starts with."""
    from aekit import __version__

    return {"format": FORMAT, "format_version": FORMAT_VERSION, "aekit_version": __version__, "class": class_name}


def left_by_interrupted_save(path: str | os.PathLike) -> str:
    """Where a save into the missing folder `path` that was killed between its two renames left
    the previous model (and the new one, when whole), as '; ...' to end a message, or ''.

    Parameters
    ----------
    path : str or PathLike
        A model folder that does not exist.

    Returns
    -------
    hint : str
        The sentence naming the hidden `.NAME.*.old/NAME` folder to move back to `path`, or ''
        when there is none.
    """
    path = Path(path)
    if not path.parent.is_dir():
        return ""
    hidden = [p for p in path.parent.iterdir() if p.name.startswith(f".{path.name}.") and p.is_dir()]
    previous = [p / path.name for p in hidden if p.name.endswith(".old") and (p / path.name / CONFIG_FILE).is_file()]
    if not previous:
        return ""
    newer = [p for p in hidden if p.name.endswith(".tmp") and (p / CONFIG_FILE).is_file()]
    return (f"; a save into it was interrupted and left the previous model in {_newest(previous)!r}: move that folder to "
            f"{str(path)!r} to use it" + (f" (the model being saved is whole in {_newest(newer)!r})" if newer else ""))


def _newest(folders: list[Path]) -> str:
    return str(max(folders, key=lambda p: p.stat().st_mtime))


def replace_folder(path: str | os.PathLike, write) -> Path:
    """Create folder `path` by calling `write(staging_folder)` on a temporary sibling and
    renaming it into place; an existing folder is swapped out only once the new one is whole,
    and refused (FileExistsError) unless it is empty or holds a saved model."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise FileExistsError(f"{str(path)!r} exists and is not a folder; a saved model is a folder")
    others = sorted(p.name for p in path.iterdir()) if path.is_dir() else []
    if others and not any((path / name).is_file() for name in (CONFIG_FILE, *LEGACY_CONFIG_FILES)):
        shown = ", ".join(others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
        raise FileExistsError(f"{str(path)!r} holds {shown} and no saved model: saving there would delete them; save "
                              f"into a new or empty folder, e.g. {str(path / 'model')!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"))
    old = None
    try:
        write(staging)
        if path.exists():
            old = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".old"))
            os.rename(path, old / path.name)
        os.rename(staging, path)
    except BaseException:
        if old is not None and (old / path.name).exists() and not path.exists():
            os.rename(old / path.name, path)
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    return path


def _check_fields(config_path: Path, config: dict, cls: type) -> None:
    """Refuse unknown keys (saying which aekit wrote the file, when another did), and wrongly
    typed fitted attributes that the loader keeps as they are."""
    if not isinstance(config.get("aekit_version", ""), str):
        raise ValueError(f"{str(config_path)!r}: field 'aekit_version' must be a string")
    unknown = sorted(set(config) - CONFIG_KEYS)
    if unknown:
        raise ValueError(f"{str(config_path)!r} has unknown fields {unknown}; allowed: {sorted(CONFIG_KEYS)}{_written_by(config)}")
    unknown = sorted(set(config["params"]) - set(cls().get_params(deep=False)))
    if unknown:
        raise ValueError(f"{str(config_path)!r}: config has unknown parameters {unknown}{_written_by(config)}")
    fitted = config["fitted"]
    allowed = FITTED_KEYS | set(getattr(cls, "_fitted_state", {}))
    unknown = sorted(set(fitted) - allowed)
    if unknown:
        raise ValueError(f"{str(config_path)!r}: 'fitted' has unknown fields {unknown}; allowed: {sorted(allowed)}{_written_by(config)}")
    folders, sub_folders = config.get("folders", []), _sub_folders(cls)
    if not isinstance(folders, list) or not all(f in sub_folders for f in folders) or len(set(folders)) != len(folders):
        raise ValueError(f"{str(config_path)!r}: field 'folders' must list distinct sub-folders among {sub_folders}")
    from aekit.training.loop import HISTORY_KEYS

    problems = []
    history = fitted.get("history_", {})
    unknown = sorted(set(history) - HISTORY_KEYS) if isinstance(history, dict) else []
    if unknown:
        raise ValueError(f"{str(config_path)!r}: history_ has unknown keys {unknown}; allowed: {sorted(HISTORY_KEYS)}"
                         f"{_written_by(config)}")
    settings = history.get("settings", {}) if isinstance(history, dict) else None
    if not isinstance(history, dict) or not all(
        _is_numbers(v, gaps=True) or _is_count(v) or v is None for k, v in history.items() if k != "settings"
    ):
        problems.append("history_ must map names to lists of numbers (or an epoch number)")
    elif not isinstance(settings, dict) or not all(isinstance(v, (str, int, float, bool)) or v is None for v in settings.values()):
        problems.append("history_['settings'] must map names to numbers, strings or null")
    if "n_epochs_" in fitted and not _is_count(fitted["n_epochs_"]):
        problems.append("n_epochs_ must be a non-negative integer")
    if "n_threads_" in fitted and not (_is_count(fitted["n_threads_"]) and fitted["n_threads_"] >= 1):
        problems.append("n_threads_ must be a positive integer")
    names, n_features = fitted.get("feature_names_in_"), fitted.get("n_features_in_")
    if names is not None and (not isinstance(names, list) or not all(isinstance(n, str) for n in names)):
        problems.append("feature_names_in_ must be a list of strings")
    elif names is not None and _is_count(n_features) and len(names) != n_features:
        problems.append(f"feature_names_in_ has {len(names)} names for n_features_in_={n_features}")
    output = fitted.get(OUTPUT_CONFIG, {})
    if not isinstance(output, dict) or set(output) - {"transform"} or not set(output.values()) <= set(OUTPUTS):
        problems.append(f"{OUTPUT_CONFIG} must map 'transform' to one of {list(OUTPUTS)}")
    if problems:
        raise ValueError(f"{str(config_path)!r}: wrongly typed fitted fields: " + "; ".join(problems))


def _written_by(config: dict) -> str:
    """'; aekit X wrote it, this is aekit Y: ...' when another aekit version wrote `config`, else ''."""
    from aekit import __version__

    saved = config.get("aekit_version")
    if not saved or saved == __version__:
        return ""
    return f"; aekit {saved} wrote it and this is aekit {__version__}: load it with the version that saved it"


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_numbers(value: object, gaps: bool = False) -> bool:
    """Whether `value` is a list of numbers (or nulls, with `gaps`)."""
    return isinstance(value, list) and all(isinstance(v, (int, float)) and not isinstance(v, bool) or (gaps and v is None)
                                           for v in value)
