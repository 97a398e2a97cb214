"""Run folders: what `aekit train` writes and the other commands read.

The files of a run folder::

    RUN/config.yaml              the resolved config (every default filled in)
    RUN/data.json                the fitted reader (layout, categories, vocabulary) and the scaling,
                                 to prepare new rows the same way
    RUN/checkpoint.safetensors   the training state after the last finished epoch (for --resume)
    RUN/metrics.csv              one row per epoch: loss, validation loss, seconds
    RUN/events.out.tfevents.*    the same numbers for TensorBoard (`tensorboard --logdir RUN`)
    RUN/model/                   the fitted estimator (config.json + model.safetensors)
    RUN/report.html              `aekit report`'s page, its figures in RUN/figures, the latent map RUN/explorer.html

A run's data split is a function of its config (source, test fraction, seed), so every
command re-creates exactly the rows the model was trained and held out on. `open_model` opens
a run folder or a model folder saved with `est.save` as one kind of object, a `Model`.
"""

from __future__ import annotations

import os
import shutil
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from functools import cached_property
from pathlib import Path

import numpy as np

from aekit.app.config import RunConfig, read_config, validate_config
from aekit.data.datasets import IDX_SETS, Dataset
from aekit.data.readers import Reader, TableReader, check_image_shape, columns_by_name, reader_for, warn_read_grey
from aekit.saving.json_files import json_bytes, read_json
from aekit.saving.persistence import CONFIG_FILE, atomic_write_bytes, left_by_interrupted_save, read_model

__all__ = ["Model", "Run", "RunInUseError", "Scaling", "Split", "allows_nan", "counts_from_proportions", "decodes_proportions", "expected_counts", "in_data_units", "load_estimator", "open_model", "prepare_data", "refuse_gaps", "remove_entry"]

SCALINGS = ("none", "minmax", "standard")


@dataclass
class Scaling:
    """Per-feature affine scaling, x' = (x - offset) / scale, fitted on the training rows and
    stored as JSON. 'auto' picks 'none' for data already in [0, 1], else 'standard'.

    Parameters
    ----------
    kind : {'none', 'minmax', 'standard'}, default='none'
        'none' leaves rows as they are; 'minmax' maps each feature's training range to
        [0, 1]; 'standard' gives each feature zero mean and unit variance.
    offset : list of float, default=None
        Per-feature offset; None for 'none'.
    scale : list of float, default=None
        Per-feature divisor (1 for a constant feature); None for 'none'.
    """

    kind: str = "none"
    offset: list[float] | None = None
    scale: list[float] | None = None

    @classmethod
    def fit(cls, kind: str, X: np.ndarray, counts: bool = False) -> Scaling:
        """The scaling `kind` fitted to X; 'auto' is none for data in [0, 1] or word `counts`
        (which count likelihoods score as they are), else standard.

        Parameters
        ----------
        kind : {'auto', 'none', 'minmax', 'standard'}
            The scaling to fit.
        X : ndarray of shape (n_samples, n_features)
            The training rows; NaNs are ignored.
        counts : bool, default=False
            The rows are word counts, which 'auto' leaves unscaled.

        Returns
        -------
        Scaling
            The fitted scaling, with 'auto' resolved.
        """
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

    @property
    def units(self) -> str:
        """The units of rows in the model's space, as a phrase: 'after standard scaling', or
        'in the data's units' when there is no scaling."""
        return "in the data's units" if self.kind == "none" else f"after {self.kind} scaling"

    def transform(self, X: np.ndarray) -> np.ndarray:
        """(n, features) to the model's input space, float32, scaled in float64 first so that
        large values close together (timestamps in seconds) keep their differences.

        Parameters
        ----------
        X : array-like of shape (n, n_features)
            Rows in the data's units.

        Returns
        -------
        ndarray of shape (n, n_features)
            The scaled rows, float32.
        """
        if self.kind == "none":
            return np.asarray(X, dtype=np.float32)
        return ((np.asarray(X, dtype=np.float64) - np.asarray(self.offset)) / np.asarray(self.scale)).astype(np.float32)

    def inverse_transform(self, X: np.ndarray) -> np.ndarray:
        """(n, features) from the model's space back to the data's units, unscaled in float64 (as
        `transform` scales) so that large values close together (timestamps in seconds) keep
        their differences, not float32's 128 s steps.

        Parameters
        ----------
        X : array-like of shape (n, n_features)
            Rows in the model's space, e.g. reconstructions.

        Returns
        -------
        ndarray of shape (n, n_features)
            The rows in the data's units: float64, or float32 without scaling.
        """
        if self.kind == "none":
            return np.asarray(X, dtype=np.float32)
        scale = np.asarray(self.scale)
        return _at_model_resolution(np.asarray(X, dtype=np.float64) * scale + np.asarray(self.offset), scale)


MODEL_DIGITS = 7  # decimal digits a float32 model output holds, counted from the column's scale


def _at_model_resolution(values: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Rows (n, features) in the data's units rounded to MODEL_DIGITS digits below each column's
    scale (features,): the float32 model output holds no more, and the digits of its float64
    widening would be written to a CSV as noise (0.12345600128173828 for 0.123456)."""
    exponent = MODEL_DIGITS - np.floor(np.log10(scale)).astype(int)  # decimals kept per column
    up, down = 10.0 ** np.maximum(exponent, 0), 10.0 ** np.maximum(-exponent, 0)
    return np.rint(values * up / down) * down / up


@dataclass
class Split:
    """A run's rows as read (before scaling): training and held-out, and the reader fitted on them.

    `X_train`, `X_test`, `y_train`, `y_test`, `image_shape`, `feature_names` and `class_names`
    read through to the two datasets.

    Parameters
    ----------
    train : Dataset
        The training rows.
    test : Dataset
        The held-out rows.
    reader : Reader
        The reader fitted on the training source.
    """

    train: Dataset
    test: Dataset
    reader: Reader

    X_train = property(lambda self: self.train.X)  # (n_train, n_features)
    X_test = property(lambda self: self.test.X)  # (n_test, n_features)
    y_train = property(lambda self: self.train.y)
    y_test = property(lambda self: self.test.y)
    image_shape = property(lambda self: self.train.image_shape)
    feature_names = property(lambda self: self.train.feature_names)
    class_names = property(lambda self: self.train.class_names)

    def train_sha256(self) -> str:
        """SHA-256 of the training rows as read (shape, dtype and values): what a resumed run
        checks it continues on."""
        from aekit.training.checkpoint import rows_sha256

        X = self.X_train
        return rows_sha256(X.astype(np.float32) if isinstance(X, np.ndarray) and X.dtype == np.float64 else X)  # as before tables read float64


_DECIDED_BY_FIT = ("header", "image_mode")  # data options whose 'infer' / 'auto' the training read resolves


def prepare_data(config: RunConfig) -> Split:
    """Read the config's data with its source's reader and split it: MNIST-style sets into their
    own train/test files, everything else by a seeded split of `test_fraction`.

    Parameters
    ----------
    config : RunConfig
        The run's validated config; its `data` section and `seed` fix the rows.

    Returns
    -------
    Split
        The training and held-out rows, unscaled, and the fitted reader.
    """
    data = config.data
    reader = reader_for(data.source, **data.model_dump(exclude={"source", "test_fraction", "max_rows", "scale"}))
    return Split(*reader.split(data.source, data.test_fraction, config.seed, data.max_rows), reader)


def load_estimator(path: str | os.PathLike, device: str | None = None):
    """Load the model saved in a folder (a run's `model/` or any `save` folder), whatever its class.

    Parameters
    ----------
    path : str or os.PathLike
        The model folder.
    device : str, default=None
        Device to load onto; None keeps the saved one.

    Returns
    -------
    estimator
        The fitted estimator, of the class recorded in the folder.
    """
    import aekit.estimators  # noqa: F401  (registers the classes read_model looks up)

    cls = read_model(path)[0]
    return cls.load(path, device=device)


class RunInUseError(RuntimeError):
    """Another process is training this run."""


class Run:
    """The files of one run folder (see the module docstring).

    Parameters
    ----------
    path : str or os.PathLike
        The run folder; it need not exist yet.
    """

    CONFIG = "config.yaml"
    DATA = "data.json"
    CHECKPOINT = "checkpoint.safetensors"
    METRICS = "metrics.csv"
    MODEL = "model"
    FIGURES = "figures"
    FIGURE_FILES = (
        "errors.png", "loss.png", "reconstructions.png", "reconstructions_pca.png", "latent.png", "latent_grid.png",
        "samples.png", "prior_samples.png", "interpolation.png", "top_activating.png",
    )  # every figure the run's report may draw into RUN/figures

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)

    def file(self, name: str) -> Path:
        """The path of the run's file `name` (e.g. `Run.METRICS`).

        Parameters
        ----------
        name : str
            File name inside the run folder.

        Returns
        -------
        pathlib.Path
            The path, whether or not the file exists.
        """
        return self.path / name

    @property
    def model_dir(self) -> Path:
        return self.path / self.MODEL

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
        """Delete the `.NAME.*.tmp` files and folders (a model being saved) that atomic writes cut
        short by a crash leave behind (call under `training_lock`, so no live write is touched);
        returns what was removed."""
        stale = sorted(self.path.glob(".*.tmp")) if self.path.is_dir() else []
        for path in stale:
            remove_entry(path)
        return stale

    def has_started(self) -> bool:
        """Whether training has saved anything here (a config alone, from a run that failed
        before its first epoch, does not count)."""
        return any((self.path / name).exists() for name in (self.CHECKPOINT, self.MODEL))

    def discard_training(self) -> None:
        """Delete what training wrote here (checkpoint, model, metrics, event files) and the report
        of that training (report.html, explorer.html, the report's figures), so a new run can start
        in this folder (call under `training_lock`)."""
        for name in (self.CHECKPOINT, self.METRICS, *(p.name for p in self.path.glob("events.out.tfevents.*"))):
            self.file(name).unlink(missing_ok=True)
        self.discard_report()
        shutil.rmtree(self.model_dir, ignore_errors=True)

    def discard_report(self) -> None:
        """Delete the report of the run's model (report.html, explorer.html, the report's figures),
        which describes a model that training has since replaced; the user's other files stay."""
        from aekit.app.explore import EXPLORER_FILE
        from aekit.app.report import REPORT_FILE

        for name in (REPORT_FILE, EXPLORER_FILE, *(f"{self.FIGURES}/{figure}" for figure in self.FIGURE_FILES)):
            self.file(name).unlink(missing_ok=True)

    def has_model(self) -> bool:
        """Whether the run holds a fitted model (RUN/model/config.json)."""
        return (self.model_dir / CONFIG_FILE).is_file()

    def write_config(self, text: str) -> None:
        """Write RUN/config.yaml atomically, creating the folder.

        Parameters
        ----------
        text : str
            The resolved config as YAML (`dump_config`).
        """
        self.path.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(self.file(self.CONFIG), text.encode())

    def read_config(self) -> RunConfig:
        """RUN/config.yaml, validated; FileNotFoundError when the folder is not a run."""
        if not self.file(self.CONFIG).is_file():
            raise FileNotFoundError(f"{str(self.path)!r} is not a run folder: it has no {self.CONFIG}")
        return validate_config(read_config(self.file(self.CONFIG)))

    def write_data_info(self, split: Split, scaling: Scaling) -> None:
        """Save the fitted reader, the split's sizes, the training rows' SHA-256 and the scaling as
        RUN/data.json.

        Parameters
        ----------
        split : Split
            The run's rows and fitted reader.
        scaling : Scaling
            The scaling fitted on the training rows.
        """
        info = {**split.reader.to_dict(), "n_train": len(split.train), "n_test": len(split.test),
                "train_sha256": split.train_sha256()}
        atomic_write_bytes(self.file(self.DATA), json_bytes({**info, "scaling": asdict(scaling)}, indent=2))

    def read_data_info(self) -> dict:
        """RUN/data.json: the reader's fields, n_train, n_test, train_sha256 (absent from older runs) and the scaling."""
        return read_json(self.file(self.DATA))


@dataclass
class Model:
    """A fitted estimator with the reader and scaling that prepare its rows, and the run's config
    (None for a model folder saved with `est.save`, which reads any source as it is).

    Parameters
    ----------
    estimator : object
        The fitted estimator.
    reader : Reader
        The fitted reader that reads new sources like the training rows.
    scaling : Scaling
        The scaling from the data's units to the model's space.
    path : pathlib.Path
        The run or model folder it was opened from.
    config : RunConfig, default=None
        The run's config, or None for a model folder.
    """

    estimator: object
    reader: Reader
    scaling: Scaling
    path: Path
    config: RunConfig | None = None

    @cached_property
    def split(self) -> Split | None:
        """The run's training and held-out rows as read, before scaling (None for a model folder),
        with what the training read decided (a CSV's header, an image folder's mode) rather than
        deciding it again."""
        if self.config is None:
            return None
        data = self.config.data
        decided = {name: getattr(self.reader, name) for name in _DECIDED_BY_FIT if hasattr(self.reader, name)}
        try:
            split = prepare_data(self.config.model_copy(update={"data": data.model_copy(update=decided)}))
        except FileNotFoundError:
            source = data.source
            path = Path(source).expanduser()
            if path.is_absolute() or path.exists() or source == "digits" or source.partition(":")[0] in IDX_SETS:
                raise
            raise FileNotFoundError(
                f"{source!r}, this run's data (data.source in {str(self.path / Run.CONFIG)!r}), is not found from "
                f"{os.getcwd()!r}: it is a path relative to the folder 'aekit train' ran in; run this command from there, "
                "or set data.source to the data's absolute path"
            ) from None
        saved = Run(self.path).read_data_info().get("train_sha256")  # absent from older runs
        if saved is not None and saved != split.train_sha256():
            raise ValueError(
                f"{data.source!r}, this run's data (data.source in {str(self.path / Run.CONFIG)!r}), has changed since the "
                "run trained: its rows read now are not the ones split into the training and held-out rows then, so the "
                "held-out rows are no longer known. Put the data back as it was, or train a new run on the new data"
            )
        return split

    def rows(self, source: str | None, what: str = "use", header: bool | None = None, encoding: str | None = None) -> Dataset:
        """The rows of `source`, or without one the run's held-out rows, read like the training
        rows and scaled into the model's space: X (n, n_features).

        Parameters
        ----------
        source : str or None
            A data set's name or a path, or None for the run's held-out rows (refused for a
            model folder).
        what : str, default='use'
            What the rows are for, as a verb completing the error message of a model folder
            given no source (e.g. 'evaluate on').
        header : bool or None, default=None
            Whether a CSV `source`'s first row names its columns; None reads it as the training
            table was read (a model folder: guessed). Read with the other header than the
            training table's, its columns are taken in the training table's order.
        encoding : str or None, default=None
            The text encoding of a CSV `source` or of a folder's .txt files, e.g. 'latin-1'; None
            reads them as the training data were read (a model folder: UTF-8).

        Returns
        -------
        Dataset
            The rows, X scaled into the model's space.
        """
        if source is None and self.split is None:
            raise ValueError(f"{self.path} is a model folder, not a run: say which rows to {what} with --data")
        est = self.estimator
        given = {name: value for name, value in (("header", header), ("encoding", encoding)) if value is not None}
        if source is None:
            data = self.split.test
        elif self.config is None:  # a model folder reads each source as it is; the estimator knows its images
            images = getattr(est, "input_shape_", None) or getattr(est, "image_shape_", None)
            channels = images[0] if images is not None and len(images) == 3 else None  # folders read in its mode, as its run would
            mode = {3: {"image_mode": "RGB"}, 1: {"image_mode": "L"}}.get(channels, {})
            reader = reader_for(source, **mode, **given)
            if isinstance(reader, TableReader) and getattr(est, "feature_names_in_", None) is not None:
                frame = reader.frame(source)
                reader.id_column = _identifier_beside(frame, est.feature_names_in_, source)
                data = reader.fit_frame(frame, source)
            else:
                data = reader.fit(source)
            if channels == 1:
                warn_read_grey(source, getattr(reader, "read_grey", []), len(data.X), "the model's")
            check_image_shape(data, images, source)
            if reader.unit_pixels:  # pixels read on [0, 1]: clipped, drawn and written back as a run on them does
                self.reader = reader
        else:
            reader = Reader.from_dict({**self.reader.to_dict(), **given}) if given else self.reader
            data = reader.read(source)
        if self.config is None and getattr(est, "feature_names_in_", None) is not None:  # fitted on a DataFrame
            data = columns_by_name(data, est.feature_names_in_, source)
        data = replace(data, X=self.scaling.transform(data.X))
        if not allows_nan(est):
            refuse_gaps(data, source or self.config.data.source)
        return data

    @contextmanager
    def matched_by_name(self, *datasets: Dataset) -> Iterator[None]:
        """A block in which scikit-learn's warning that X has no feature names is not given for
        rows of `datasets` whose columns `rows` matched by name to the estimator's
        `feature_names_in_`: they are arrays in that order, checked.

        Parameters
        ----------
        *datasets : Dataset
            The rows the block gives the estimator, as `rows` returned them.

        Yields
        ------
        None
        """
        names = getattr(self.estimator, "feature_names_in_", None)
        with warnings.catch_warnings():
            if names is not None and all(list(d.feature_names) == list(names) for d in datasets):
                warnings.filterwarnings("ignore", message="X does not have valid feature names", category=UserWarning)
            yield

    def training_rows(self) -> Dataset | None:
        """The run's training rows scaled into the model's space (None for a model folder)."""
        return None if self.split is None else replace(self.split.train, X=self.scaling.transform(self.split.X_train))

    def reconstructions(self, X: np.ndarray) -> np.ndarray:
        """The estimator's reconstructions of rows X in the data's units: unscaled, word counts
        for a model that decodes word proportions (see `expected_counts`), and kept to the
        data's range (`in_data_range`).

        Parameters
        ----------
        X : ndarray of shape (n, n_features)
            Rows in the model's space (after the run's scaling).

        Returns
        -------
        ndarray of shape (n, n_features)
            The reconstructions, in the units of the rows as read.
        """
        X_hat = in_data_units(self.scaling, X, self.estimator.reconstruct(X), decodes_proportions(self.estimator))
        return self.in_data_range(X_hat)

    def samples(self, drawn: np.ndarray) -> np.ndarray:
        """Rows the estimator decoded from drawn codes (n, n_features), in the model's space, in
        the data's units: unscaled, word proportions as the expected counts of a document of the
        training documents' mean length (a run only), and kept to the data's range (`in_data_range`).

        Parameters
        ----------
        drawn : ndarray of shape (n, n_features)
            The decoded draws, e.g. `sample`'s.

        Returns
        -------
        ndarray of shape (n, n_features)
            The samples in the units of the rows as read.
        """
        return self.in_data_range(self.scaling.inverse_transform(self.drawn_counts(drawn)))

    def drawn_counts(self, drawn: np.ndarray) -> np.ndarray:
        """Rows decoded from drawn codes (n, n_features), in the model's space: word proportions
        as the expected counts of a document of the training documents' mean length (a run only),
        since a drawn code has no length of its own; other rows as given.

        Parameters
        ----------
        drawn : ndarray of shape (n, n_features)
            The decoded draws, e.g. `sample`'s.

        Returns
        -------
        ndarray of shape (n, n_features)
            The draws on the scale of the model's reconstructions.
        """
        if decodes_proportions(self.estimator) and self.split is not None:
            return np.asarray(drawn) * float(np.mean(self.split.X_train.sum(axis=1)))
        return drawn

    def as_table(self, X: np.ndarray):
        """Rows X (n, n_features) in the data's units as the training table's feature columns
        (n, n_columns) in their order, for a run on a table (`aekit.app.written.table_rows`): a
        one-hot group as its most probable category, a column of whole numbers whole and within
        its training range (unless the model decodes proportions: its rows are expected counts);
        None for other runs.

        Parameters
        ----------
        X : ndarray of shape (n, n_features)
            Rows in the data's units, e.g. samples.

        Returns
        -------
        pandas.DataFrame or None
            The rows as the table's columns (the ID and target columns left out).
        """
        from aekit.app.written import table_rows

        return table_rows(self.reader, X, whole=not decodes_proportions(self.estimator))

    def as_stored(self, X: np.ndarray) -> np.ndarray:
        """Rows X (n, ...) in the data's units as the run's file held them: an integer .npy's
        integers of its dtype (`aekit.app.written.stored_values`; expected counts unrounded);
        others as given.

        Parameters
        ----------
        X : ndarray of shape (n, ...)
            Rows in the data's units as read, e.g. samples or reconstructions.

        Returns
        -------
        ndarray of shape (n, ...)
            The rows in the file's units.
        """
        from aekit.app.written import stored_values

        return stored_values(self.reader, X, whole=not decodes_proportions(self.estimator))

    def in_data_range(self, X: np.ndarray) -> np.ndarray:
        """Rows X (n, n_features) in the data's units kept to the values the data can take:
        pixels read on [0, 1] clipped to it, word counts to 0 and above; other rows as given (a
        model folder's reader knows neither).

        Parameters
        ----------
        X : ndarray of shape (n, n_features)
            Rows in the data's units, e.g. reconstructions or samples.

        Returns
        -------
        ndarray of shape (n, n_features)
            X, clipped where the data's range is known.
        """
        if self.reader.unit_pixels:
            return np.clip(X, 0.0, 1.0)
        return np.maximum(X, 0.0) if self.reader.counts else X

    def pixel_range(self) -> tuple[float, float] | None:
        """(0, 1) when the rows in the model's space are pixels read on [0, 1] (an image folder,
        an MNIST-style set, digits, integer .npy images) and left unscaled, so pictures of them
        are drawn as stored (0 black, 1 white); None otherwise (draw them on their own range)."""
        return (0.0, 1.0) if self.reader.unit_pixels and self.scaling.kind == "none" else None


def _identifier_beside(frame, names, source) -> str | None:
    """The one column of table `frame` beyond a model's columns `names` (its
    `feature_names_in_`) when it holds row identifiers (`aekit.data.columns.is_identifier`), left
    out of the rows and naming them, with a warning; None otherwise (other columns are refused
    when the rows are matched to the model's)."""
    from aekit.data.columns import is_identifier, user_stacklevel

    extra = [c for c in frame.columns if str(c) not in {str(n) for n in names}]
    if len(extra) != 1 or not is_identifier(frame[extra[0]]):
        return None
    warnings.warn(f"{str(source)!r}: the column {str(extra[0])!r}, which the model was not trained on, looks like row "
                  "identifiers (every value distinct): it is left out of the model's columns, as the rows' names", UserWarning,
                  stacklevel=user_stacklevel())
    return str(extra[0])


def expected_counts(estimator, X: np.ndarray, X_hat: np.ndarray) -> np.ndarray:
    """Reconstructions X_hat (n, d) of rows X in X's units: a model decoding through a softmax
    (the multinomial) gives word proportions, which times each document's length are its
    expected counts (what PCA's reconstruction is); other reconstructions are returned as given.

    Parameters
    ----------
    estimator : fitted estimator
        The model; its `output_activation_` tells a softmax.
    X : ndarray of shape (n, d)
        The rows reconstructed.
    X_hat : ndarray of shape (n, d)
        Their reconstructions.

    Returns
    -------
    ndarray of shape (n, d)
        X_hat in X's units.
    """
    return counts_from_proportions(X, X_hat) if decodes_proportions(estimator) else X_hat


def in_data_units(scaling: Scaling, X: np.ndarray, X_hat: np.ndarray, proportions: bool) -> np.ndarray:
    """Reconstructions X_hat (n, d) of rows X (n, d), both in the model's space, in the data's
    units: expected counts where the model decodes word proportions (`proportions`), then unscaled.

    Parameters
    ----------
    scaling : Scaling
        The run's scaling of the rows into the model's space.
    X : ndarray of shape (n, d)
        The rows reconstructed.
    X_hat : ndarray of shape (n, d)
        Their reconstructions.
    proportions : bool
        Whether X_hat are word proportions (`decodes_proportions`).
    """
    return scaling.inverse_transform(counts_from_proportions(X, X_hat) if proportions else X_hat)


def decodes_proportions(estimator) -> bool:
    """Whether the model decodes through a softmax (the multinomial): its reconstructions are
    word proportions, not counts.

    Parameters
    ----------
    estimator : fitted estimator
        The model; its `output_activation_` tells a softmax.
    """
    return getattr(estimator, "output_activation_", None) == "softmax"


def counts_from_proportions(X: np.ndarray, X_hat: np.ndarray) -> np.ndarray:
    """Proportions X_hat (n, d) times each row's total in X (n, d): the rows' expected counts.

    Parameters
    ----------
    X : ndarray of shape (n, d)
        The rows as counts.
    X_hat : ndarray of shape (n, d)
        Their decoded proportions.
    """
    return X_hat * np.asarray(X, dtype=np.float64).sum(axis=1, keepdims=True)


def allows_nan(estimator) -> bool:
    """Whether `estimator` takes rows with missing values (its allow_nan tag); False without tags.

    Parameters
    ----------
    estimator : estimator
        A fitted estimator.
    """
    try:
        return bool(estimator.__sklearn_tags__().input_tags.allow_nan)
    except AttributeError:
        return False


def remove_entry(path: Path, ignore_errors: bool = False) -> None:
    """Delete the file, symbolic link (not its target) or folder at `path`; a missing one is no error.

    Parameters
    ----------
    path : Path
        What to delete.
    ignore_errors : bool, default=False
        Leave what a folder's removal cannot delete instead of raising.
    """
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=ignore_errors)
    else:
        path.unlink(missing_ok=True)


def refuse_gaps(data: Dataset, source: str, part: str | None = None, start: int = 0) -> None:
    """A ValueError naming the columns of `data` with missing values (a one-hot group as its
    column) and the first row holding one, when its X (n, n_features) has any; else the same for
    infinite values. `part` names the rows of a split ('held-out'), whose row numbers are not the
    file's: without IDs the message names the part instead of a row; `start` rows of the source
    come before `data` (a partition's). Rows are counted from 1, the first after a header being 1.

    Parameters
    ----------
    data : Dataset
        The rows read.
    source : str
        Where they were read from, named in the message.
    part : str or None, default=None
        Which part of a split `data` is ('training', 'held-out'); None for a whole source.
    start : int, default=0
        The number of the source's rows before `data`'s first, for the row's number.
    """
    if not isinstance(data.X, np.ndarray) or data.X.dtype.kind != "f" or np.isfinite(data.X).all():
        return
    gaps = np.isnan(data.X)
    missing = bool(gaps.any())
    gaps = gaps if missing else np.isinf(data.X)
    names = data.feature_columns() or [f"x{j}" for j in range(data.X.shape[1])]
    columns = dict.fromkeys(names[j] for j in np.flatnonzero(gaps.any(axis=0)))
    row = int(np.flatnonzero(gaps.any(axis=1))[0])
    where = f"{data.ids_name or 'row'} {data.ids[row]}" if data.ids is not None else f"the {part} rows" if part else f"data row {start + row + 1}"
    if not isinstance(reader_for(source), TableReader):
        what, advice = (("missing", "fill them first, e.g. with AutoEncoderImputer in Python ('aekit impute' reads "
                         ".csv and .parquet tables), or drop those rows") if missing else
                        ("infinite", "replace them, e.g. with NaN, and fill those with AutoEncoderImputer in Python"))
    elif missing:
        what, advice = "missing", f"fill them first, e.g. 'aekit impute {source} filled.csv'"
    else:
        what, advice = "infinite", (f"replace them, or fill them as missing values with 'aekit impute {source} filled.csv "
                                    "--na-values=TEXT' (the cells' text, e.g. inf)")
    raise ValueError(f"{str(source)!r} has {what} values in the column{'s' * (len(columns) > 1)} "
                     f"{', '.join(list(columns)[:8])} (first in {where}); {advice}")


def open_model(path: str | os.PathLike, device: str | None = None, run_of_model: bool = False) -> Model:
    """The `Model` in a run folder (its model/, reader and scaling) or in a model folder.

    Parameters
    ----------
    path : str or os.PathLike
        A run folder with a fitted model, or a folder saved with `est.save`.
    device : str, default=None
        Device to load the estimator onto; None keeps the saved one.
    run_of_model : bool, default=False
        Open a run's own model/ folder as its run, whose reader and scaling prepare the
        model's rows (for commands that read rows); False opens it as a model folder.

    Returns
    -------
    Model
        The estimator with what prepares its rows.
    """
    run = Run(path)
    if not run.path.is_dir():
        raise FileNotFoundError(f"no run folder at {str(run.path)!r}{left_by_interrupted_save(run.path)}")
    owner = Run(run.path.parent)
    if run_of_model and run.path.name == Run.MODEL and owner.file(Run.CONFIG).is_file() and owner.file(Run.DATA).is_file():
        run = owner
    elif (run.path / CONFIG_FILE).is_file():
        return Model(load_estimator(run.path, device), Reader(), Scaling(), run.path)
    config = run.read_config()
    if not run.has_model():
        hint = f" It has a checkpoint: finish it with 'aekit train --resume {run.path}'." if run.file(run.CHECKPOINT).is_file() else ""
        left = left_by_interrupted_save(run.model_dir)
        raise FileNotFoundError(f"{str(run.path)!r} has no fitted model (no {run.MODEL}/{CONFIG_FILE}){left}.{hint}")
    info = run.read_data_info()
    return Model(load_estimator(run.model_dir, device), Reader.from_dict(info), Scaling(**info["scaling"]), run.path, config)

