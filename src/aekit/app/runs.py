"""Run folders: what `aekit train` writes and the other commands read.

    RUN/config.yaml              the resolved config (every default filled in)
    RUN/data.json                the data's layout and scaling, to prepare new rows the same way
    RUN/checkpoint.safetensors   the training state after the last finished epoch (for --resume)
    RUN/metrics.csv              one row per epoch: loss, validation loss, seconds
    RUN/events.out.tfevents.*    the same numbers for TensorBoard (`tensorboard --logdir RUN`)
    RUN/model/                   the fitted estimator (config.json + model.safetensors)

A run's data split is a function of its config (source, test fraction, seed), so every
command re-creates exactly the rows the model was trained and held out on.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from aekit.app.config import RunConfig, read_config, validate_config
from aekit.data.datasets import IDX_SETS, Dataset, load
from aekit.saving.persistence import CONFIG_FILE, atomic_write_bytes, read_model

__all__ = ["Run", "RunInUseError", "Scaling", "Split", "load_estimator", "prepare_data"]

SCALINGS = ("none", "minmax", "standard")


@dataclass
class Scaling:
    """Per-feature affine scaling, x' = (x - offset) / scale, fitted on the training rows and
    stored as JSON. 'auto' picks 'none' for data already in [0, 1], else 'standard'."""

    kind: str = "none"
    offset: list[float] | None = None
    scale: list[float] | None = None

    @classmethod
    def fit(cls, kind: str, X: np.ndarray, counts: bool = False) -> Scaling:
        """The scaling `kind` fitted to X; 'auto' is none for data in [0, 1] or word `counts`
        (which count likelihoods score as they are), else standard."""
        if kind == "auto" and counts:
            return cls("none")
        X = np.asarray(X, dtype=np.float64)
        if kind == "auto":
            finite = X[np.isfinite(X)]
            kind = "none" if finite.size == 0 or (finite.min() >= 0 and finite.max() <= 1) else "standard"
        if kind == "none":
            return cls("none")
        if kind == "minmax":
            low, high = np.nanmin(X, axis=0), np.nanmax(X, axis=0)
            offset, scale = low, high - low
        elif kind == "standard":
            offset, scale = np.nanmean(X, axis=0), np.nanstd(X, axis=0)
        else:
            raise ValueError(f"scaling must be 'auto' or one of {SCALINGS}, got {kind!r}")
        scale = np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)
        return cls(kind, np.nan_to_num(offset).tolist(), scale.tolist())

    def transform(self, X: np.ndarray) -> np.ndarray:
        """(n, features) to the model's input space, float32."""
        X = np.asarray(X, dtype=np.float32)
        if self.kind == "none":
            return X
        return ((X - np.asarray(self.offset, dtype=np.float32)) / np.asarray(self.scale, dtype=np.float32)).astype(
            np.float32
        )

    def inverse_transform(self, X: np.ndarray) -> np.ndarray:
        """(n, features) from the model's space back to the data's units."""
        X = np.asarray(X, dtype=np.float32)
        if self.kind == "none":
            return X
        return (X * np.asarray(self.scale, dtype=np.float32) + np.asarray(self.offset, dtype=np.float32)).astype(
            np.float32
        )


@dataclass
class Split:
    """A run's rows: training and held-out, as loaded (before scaling)."""

    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray | None
    y_test: np.ndarray | None
    image_shape: tuple[int, ...] | None
    feature_names: list[str]
    categories: dict[str, list] = field(default_factory=dict)
    class_names: tuple[str, ...] | None = None
    counts: bool = False  # word counts of a text folder: left unscaled by scale='auto'


def _cap(X: np.ndarray, y: np.ndarray | None, max_rows: int | None):
    if max_rows is None or max_rows >= X.shape[0]:
        return X, y
    return X[:max_rows], None if y is None else y[:max_rows]


def prepare_data(config: RunConfig) -> Split:
    """Load the config's data and split it: MNIST-style sets use their own train/test files,
    everything else a seeded split (stratified when there are labels) of `test_fraction`."""
    from sklearn.model_selection import train_test_split

    data = config.data
    options = {
        "target": data.target,
        "header": data.header,
        "labels": data.labels,
        "image_size": None if data.image_size is None else tuple(data.image_size),
        "image_mode": data.image_mode,
        "channels_last": data.channels_last,
        "data_home": data.data_home,
        "download": data.download,
        "max_words": data.max_words,
    }
    name = data.source.partition(":")[0]
    if name in IDX_SETS and not Path(data.source).exists():
        train = load(f"{name}:train", max_rows=data.max_rows, **options)
        test = load(f"{name}:test", max_rows=data.max_rows, **options)
        return Split(
            train.X, test.X, train.y, test.y, train.image_shape, train.feature_names, class_names=train.class_names
        )
    full: Dataset = load(data.source, **options)
    if len(full) < 2:
        raise ValueError(f"{data.source!r} has {len(full)} row; a run needs at least 2 (one to hold out)")
    stratify = None
    if full.y is not None:
        _, counts = np.unique(full.y, return_counts=True)
        n_test = int(np.ceil(data.test_fraction * len(full)))
        if counts.min() >= 2 and n_test >= counts.size and len(full) - n_test >= counts.size:
            stratify = full.y
    arrays = [full.X] if full.y is None else [full.X, full.y]
    parts = train_test_split(*arrays, test_size=data.test_fraction, random_state=config.seed, stratify=stratify)
    X_train, X_test = parts[0], parts[1]
    y_train, y_test = (parts[2], parts[3]) if full.y is not None else (None, None)
    X_train, y_train = _cap(X_train, y_train, data.max_rows)
    X_test, y_test = _cap(X_test, y_test, data.max_rows)
    return Split(
        X_train, X_test, y_train, y_test, full.image_shape, full.feature_names, full.categories, full.class_names,
        full.counts,
    )  # fmt: skip


def load_estimator(path: str | os.PathLike, device: str | None = None):
    """Load the model saved in a folder (a run's `model/` or any `save` folder), whatever its class."""
    import aekit.estimators  # noqa: F401  (registers the classes read_model looks up)

    cls = read_model(path)[0]
    return cls.load(path, device=device)


class RunInUseError(RuntimeError):
    """Another process is training this run."""


class Run:
    """The files of one run folder (see the module docstring)."""

    CONFIG = "config.yaml"
    DATA = "data.json"
    CHECKPOINT = "checkpoint.safetensors"
    METRICS = "metrics.csv"
    MODEL = "model"
    FIGURES = "figures"

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)

    def file(self, name: str) -> Path:
        return self.path / name

    @property
    def model_dir(self) -> Path:
        return self.path / self.MODEL

    @property
    def is_model_folder(self) -> bool:
        """True when the path is a saved model itself (config.json), not a run folder."""
        return (self.path / CONFIG_FILE).is_file() and not (self.path / self.CONFIG).is_file()

    @contextmanager
    def training_lock(self) -> Iterator[None]:
        """Hold RUN/.lock while training, so a second process training the same run is refused
        (RunInUseError) instead of interleaving its checkpoints with ours. The lock is advisory
        (POSIX flock), and the system drops it when the process dies."""
        try:
            import fcntl
        except ImportError:
            yield
            return
        self.path.mkdir(parents=True, exist_ok=True)
        with open(self.path / ".lock", "w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise RunInUseError(f"{self.path} is being trained by another process; wait for it or stop it") from None
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def remove_stale_temporaries(self) -> list[Path]:
        """Delete the `.NAME.*.tmp` files that atomic writes cut short by a crash leave behind
        (call under `training_lock`, so no live write is touched); returns what was removed."""
        stale = sorted(self.path.glob(".*.tmp")) if self.path.is_dir() else []
        for path in stale:
            path.unlink(missing_ok=True)
        return stale

    def has_started(self) -> bool:
        """Whether training has saved anything here (a config alone, from a run that failed
        before its first epoch, does not count)."""
        return any((self.path / name).exists() for name in (self.CHECKPOINT, self.MODEL))

    def discard_training(self) -> None:
        """Delete what training wrote here (checkpoint, model, metrics, event files), so a new
        run can start in this folder (call under `training_lock`)."""
        for name in (self.CHECKPOINT, self.METRICS, *(p.name for p in self.path.glob("events.out.tfevents.*"))):
            self.file(name).unlink(missing_ok=True)
        shutil.rmtree(self.model_dir, ignore_errors=True)

    def has_model(self) -> bool:
        return (self.model_dir / CONFIG_FILE).is_file()

    def write_config(self, text: str) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(self.file(self.CONFIG), text.encode())

    def read_config(self) -> RunConfig:
        if not self.file(self.CONFIG).is_file():
            raise FileNotFoundError(f"{str(self.path)!r} is not a run folder: it has no {self.CONFIG}")
        return validate_config(read_config(self.file(self.CONFIG)))

    def write_data_info(self, split: Split, scaling: Scaling) -> None:
        info = {
            "feature_names": split.feature_names,
            "categories": split.categories,
            "image_shape": None if split.image_shape is None else list(split.image_shape),
            "class_names": None if split.class_names is None else list(split.class_names),
            "n_train": int(split.X_train.shape[0]),
            "n_test": int(split.X_test.shape[0]),
            "scaling": asdict(scaling),
        }
        atomic_write_bytes(self.file(self.DATA), json.dumps(info, indent=2).encode())

    def read_data_info(self) -> dict:
        """The run's data layout; a bare model folder gets an identity layout."""
        path = self.file(self.DATA)
        if not path.is_file():
            return {
                "feature_names": None,
                "categories": {},
                "image_shape": None,
                "class_names": None,
                "scaling": {"kind": "none"},
            }
        return json.loads(path.read_text(encoding="utf-8"))

    def scaling(self) -> Scaling:
        return Scaling(**self.read_data_info()["scaling"])

    def load_model(self, device: str | None = None):
        """The fitted estimator of this run (or of this model folder)."""
        if self.is_model_folder:
            return load_estimator(self.path, device)
        if not self.has_model():
            hint = (
                " It has a checkpoint: finish it with 'aekit train --resume RUN'."
                if self.file(self.CHECKPOINT).is_file()
                else ""
            )
            raise FileNotFoundError(f"{str(self.path)!r} has no fitted model (no {self.MODEL}/{CONFIG_FILE}).{hint}")
        return load_estimator(self.model_dir, device)

    def read_metrics(self) -> list[dict[str, str]]:
        with open(self.file(self.METRICS), newline="", encoding="utf-8") as f:
            return list(csv.DictReader(f))

