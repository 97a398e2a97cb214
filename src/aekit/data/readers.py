"""One reader per data source, so every command reads rows one way: the MNIST-style IDX sets,
scikit-learn's digits, CSV and Parquet tables, `.npy` arrays, folders of images and of text.

`reader_for(source, **options)` picks the reader from the source's name and keeps the options
that apply to it. `fit` reads the training source and learns its layout (feature names, image
shape, class names, a table's categories, a corpus's vocabulary); `read` reads any later source
laid out the same way. A reader is plain JSON (`to_dict`, `Reader.from_dict`), saved in the run
folder. Rows carry identifiers (`Dataset.ids`): file names for folders, an ID column for tables,
else row numbers. `.npy` and Parquet files also `stream` as a `DataSource` of bounded chunks.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import ClassVar

import numpy as np

from aekit.data._files import visible_files
from aekit.data.columns import FREE_TEXT, IDENTIFIER, non_features, user_stacklevel
from aekit.data.labels import missing_labels
from aekit.data._sources import PARQUET_SUFFIXES, DataSource, NpySource, ParquetSource
from aekit.data.datasets import IDX_SETS, IMAGE_SUFFIXES, Dataset, _from_frame, _image_folder, _integer_scale, _load_idx_set, load_digits
from aekit.data.datasets import BOOLEAN_SPELLINGS, load_npy, read_csv_frame, read_parquet_frame, with_column_names
from aekit.data.text import load_text_folder

__all__ = [
    "DigitsReader", "IdxReader", "ImageFolderReader", "NpyReader", "Reader", "TableReader", "TextFolderReader",
    "check_image_shape", "columns_by_name", "id_texts", "load", "open_source", "other_columns", "reader_for",
    "warn_integer_images", "warn_read_grey", "warn_unscaled_integers",
]  # fmt: skip

SOURCES = (
    "'digits', 'mnist', 'fashion-mnist' (':train' or ':test'), a .csv, .parquet or .npy file, "
    "or a folder of images or of .txt files"
)
INDEX_LEVELS_JOINED = "/"  # a MultiIndex's values in a row identifier


@dataclass
class Reader:
    """Reads one kind of source into a `Dataset` (X (n, n_features)); the fields are learned by
    `fit` (None before), and a reader of this base class reads any source as it is.

    Parameters
    ----------
    feature_names : list of str, default=None
        Names of X's columns, learned by `fit`.
    image_shape : sequence of int, default=None
        Shape of one row as an image, learned by `fit`; None when rows are not images.
    class_names : sequence of str, default=None
        Names of the classes the labels index, learned by `fit`.
    """

    kind: ClassVar[str] = "any"
    unit_pixels: ClassVar[bool] = False  # rows are pixel intensities in [0, 1], drawn as stored
    counts: ClassVar[bool] = False  # rows are word counts, never negative
    suffixes: ClassVar[tuple[str, ...]] = ()
    learned: ClassVar[dict[str, str]] = {name: name for name in ("feature_names", "image_shape", "class_names")}
    feature_names: list[str] | None = None
    image_shape: Sequence[int] | None = None
    class_names: Sequence[str] | None = None

    def _load(self, source: str, fitted: bool) -> Dataset:
        """The rows of `source`; a `fitted` reader reads later sources (a label column may be absent)."""
        return reader_for(source, **self.to_dict())._load(source, fitted)

    def fit(self, source: str | os.PathLike) -> Dataset:
        """The rows of the training `source`; the reader learns their layout.

        Parameters
        ----------
        source : str or os.PathLike
            A data set's name or a path (see `load`).

        Returns
        -------
        Dataset
            The rows; the reader's learned fields are set from it.
        """
        return self._learned_from(self._load(str(source), fitted=False))

    def _learned_from(self, data: Dataset) -> Dataset:
        """Set the learned fields from the training rows `data`, returned."""
        for name, attribute in self.learned.items():  # field: the Dataset attribute it is learned from
            setattr(self, name, getattr(data, attribute))
        return data

    def read(self, source: str | os.PathLike) -> Dataset:
        """The rows of `source` (of any kind) with this reader's options, their columns in the
        fitted order and a folder's labels indexing the fitted class names; a source with other
        columns is refused naming them.

        Parameters
        ----------
        source : str or os.PathLike
            A data set's name or a path (see `load`); a table's label column may be absent.

        Returns
        -------
        Dataset
            The rows, their columns in the order `fit` learned.
        """
        reader = reader_for(source, **self.to_dict())
        if self.kind == "text" and reader.kind != "text":
            raise ValueError(f"{str(source)!r} is not a folder of .txt files: the model counts the words of documents, one "
                             "per .txt file, read from a folder (in label subfolders, or all at its top level)")
        if self.kind == "images" and reader.kind == "text":  # .txt files, no image it reads: say which it reads
            reader = self
        data = reader._load(str(source), self.feature_names is not None)
        check_image_shape(data, self.image_shape, source)
        return _aligned(_relabelled(data, self.class_names), self.feature_names, source)

    def read_frame(self, frame, source: str) -> Dataset:
        """The rows of a table already read as a DataFrame (one partition of a Parquet folder,
        say), as `read` gives them for a table file: this reader's ID column, target and
        categories, the columns in the fitted order.

        Parameters
        ----------
        frame : pandas.DataFrame
            The table as read, every column included; it is not modified.
        source : str
            Where the rows come from, for error messages.

        Returns
        -------
        Dataset
            The rows, their columns in the order `fit` learned.
        """
        reader = self._as_table_reader()
        return _aligned(reader.rows_of(frame, source, self.feature_names is not None), self.feature_names, source)

    def id_source(self, columns) -> str | None:
        """The column whose values identify the rows `read_frame` gives.

        Parameters
        ----------
        columns : sequence of str
            The table's column names.

        Returns
        -------
        str or None
            The column's name, or None when the rows are numbered.
        """
        return self._as_table_reader().id_source(columns)

    def _as_table_reader(self) -> TableReader:
        info = self.to_dict()
        return TableReader(**{f.name: info[f.name] for f in fields(TableReader) if f.name in info})

    def split(self, source: str, test_fraction: float, seed: int, max_rows: int | None = None) -> tuple[Dataset, Dataset]:
        """Training and held-out rows of `source` (fitted on it), each at most `max_rows`: a
        seeded split, stratified by the labels when every class can give rows to both parts.

        Parameters
        ----------
        source : str
            A data set's name or a path (see `load`), with at least 2 rows.
        test_fraction : float
            Share of the rows held out, in (0, 1).
        seed : int
            Seed of the split.
        max_rows : int, default=None
            Keep at most this many rows of each part; None keeps all.

        Returns
        -------
        train : Dataset
            The training rows.
        test : Dataset
            The held-out rows.
        """
        from sklearn.model_selection import train_test_split

        full = self.fit(source)
        if len(full) < 2:
            raise ValueError(f"{source!r} has {len(full)} row; a run needs at least 2 (one to hold out)")
        n_test = int(np.ceil(test_fraction * len(full)))
        if n_test >= len(full):
            raise ValueError(f"test_fraction (data.test_fraction) {test_fraction:g} holds out all {len(full)} rows of "
                             f"{source!r} (it holds out test_fraction x rows, rounded up), leaving none to train on; give a smaller one")
        stratify = None
        if full.y is not None and not missing_labels(full.y).any():  # rows without a label: no classes to stratify by
            _, counts = np.unique(full.y, return_counts=True)
            if counts.min() >= 2 and n_test >= counts.size and len(full) - n_test >= counts.size:
                stratify = full.y
        train, test = train_test_split(np.arange(len(full)), test_size=test_fraction, random_state=seed, stratify=stratify)
        return full.rows(train[:max_rows]), full.rows(test[:max_rows])

    def stream(self, source: str | os.PathLike) -> DataSource:
        """`source` as a `DataSource` read in bounded chunks; only .npy and Parquet stream.

        Parameters
        ----------
        source : str or os.PathLike
            The file (or folder of Parquet files) to stream; other sources raise a ValueError.

        Returns
        -------
        DataSource
            The rows, read on demand.
        """
        raise ValueError(f"X: cannot stream {str(source)!r}; give a .npy or .parquet file, a folder of Parquet files, or an array")

    def to_dict(self) -> dict:
        """The reader as JSON-ready values: its kind, options and what it learned."""
        return {"kind": self.kind, **asdict(self)}

    @staticmethod
    def from_dict(info: dict) -> Reader:
        """The reader `to_dict` gave (other keys in `info` are ignored).

        Parameters
        ----------
        info : dict
            Output of `to_dict`; its 'kind' picks the reader class (an unknown kind gives a
            plain `Reader`).

        Returns
        -------
        Reader
            The reader, with its options and learned fields.
        """
        cls = next((c for c in READERS if c.kind == info.get("kind")), Reader)
        return cls(**{f.name: info[f.name] for f in fields(cls) if f.name in info})


def _existing(source: str) -> Path:
    path = Path(source).expanduser()
    if not path.exists():
        raise FileNotFoundError(f"no data at {source!r}: give {SOURCES}")
    return path


@dataclass
class IdxReader(Reader):
    """MNIST or Fashion-MNIST ('mnist', 'fashion-mnist:test'); a run uses their own test files.

    Parameters
    ----------
    feature_names : list of str, default=None
        Names of X's columns, learned by `fit`.
    image_shape : sequence of int, default=None
        Shape of one row as an image, learned by `fit`; None when rows are not images.
    class_names : sequence of str, default=None
        Names of the classes the labels index, learned by `fit`.
    data_home : str, default=None
        Folder holding the IDX files; None uses `$AEKIT_DATA`, else ``~/.cache/aekit``.
    download : bool, default=False
        Download missing files from the official mirrors.
    """

    kind: ClassVar[str] = "idx"
    unit_pixels: ClassVar[bool] = True
    data_home: str | None = None
    download: bool = False

    def _load(self, source: str, fitted: bool) -> Dataset:
        name, _, split = source.partition(":")
        return _load_idx_set(name, split or "train", data_home=self.data_home, download=self.download)

    def split(self, source: str, test_fraction: float, seed: int, max_rows: int | None = None):
        """The set's published training and test rows (fitted on the training ones), each at
        most `max_rows`, whatever split `source` names.

        Parameters
        ----------
        source : str
            'mnist' or 'fashion-mnist', optionally with ':train' or ':test'.
        test_fraction : float
            Ignored: the published test set is the held-out part.
        seed : int
            Ignored: the parts are the published ones.
        max_rows : int, default=None
            Keep the first rows of each part; None keeps all.

        Returns
        -------
        train : Dataset
            The published training rows.
        test : Dataset
            The published test rows.
        """
        name = source.partition(":")[0]
        return self.fit(f"{name}:train").rows(slice(max_rows)), self.read(f"{name}:test").rows(slice(max_rows))


@dataclass
class DigitsReader(Reader):
    """scikit-learn's 8x8 digits ('digits').

    Parameters
    ----------
    feature_names : list of str, default=None
        Names of X's columns, learned by `fit`.
    image_shape : sequence of int, default=None
        Shape of one row as an image, learned by `fit`; None when rows are not images.
    class_names : sequence of str, default=None
        Names of the classes the labels index, learned by `fit`.
    """

    kind: ClassVar[str] = "digits"
    unit_pixels: ClassVar[bool] = True

    def _load(self, source: str, fitted: bool) -> Dataset:
        return load_digits()


@dataclass
class TableReader(Reader):
    """A CSV (.csv, .csv.gz, .tsv, .txt) or Parquet table (a file or a folder of them): numbers
    as they are, text columns one-hot over the `categories` learned in fit, `target` as the
    labels (optional in later tables) and `id_column` as the row identifiers.

    Parameters
    ----------
    feature_names : list of str, default=None
        Names of X's columns, learned by `fit`.
    image_shape : sequence of int, default=None
        Shape of one row as an image, learned by `fit`; None when rows are not images.
    class_names : sequence of str, default=None
        Names of the classes the labels index, learned by `fit`.
    target : str, default=None
        Label column, returned as y; later tables may lack it.
    id_column : str, default=None
        Column of row identifiers, taken out of the features and kept as `Dataset.ids`.
    categories : dict of str to list, default=None
        Each text column's categories in one-hot order, learned by `fit`; a later value
        outside them is refused.
    sep : str, default=None
        CSV delimiter (one character; 'tab' or '\\t' for a tab); None sniffs it.
    encoding : str, default=None
        CSV text encoding; None takes it from a byte-order mark, else reads UTF-8.
    na_values : list of str, default=[]
        Extra CSV cell texts read as missing.
    header : {'infer', True, False}, default='infer'
        Whether a CSV's first row holds column names; 'infer' decides from whether it is all
        numbers (see `read_csv_frame`), and `fit` keeps what it decided for the later files.
    ignore_columns : 'auto', None or list of str, default=None
        Columns `fit` leaves out of the features (see `aekit.data.columns.non_features`): a
        list names them; 'auto' also leaves out identifier, date, duration, constant and empty
        columns (a free-text column is refused); None leaves none out.
    left_out : dict of str to str, default=None
        The columns left out and why, learned by `fit`; later tables may lack them. Without an
        `id_column`, the first identifier among them names the rows where a table has it.
    whole_ranges : dict of str to list of float, default=None
        Each numeric column whose values are all whole numbers (a count, an age, a 0/1 flag):
        its [lowest, highest] value, learned by `fit`; rows written in the table's units keep
        such a column whole and within them. None in runs saved before it was learned.
    columns : list of str, default=None
        The training table's columns as read (x0, x1, ... for a file without a header), learned
        by `fit`: a later CSV read with the other `header` (a headerless file for a model trained
        on a named table, or the reverse) takes its columns in this order. None in runs saved
        before it was learned.
    decimal_comma : bool or None, default=None
        True when `fit` read the CSV's numbers with a decimal comma (1.234,5), so that a later
        file not split by commas is read so too, even when its first rows show no decimal (its
        31.114 is 31114, as in training); None decides for each file.
    boolean_spellings : dict of str to list of str, default=None
        How the training CSV spelled the True and False of its boolean columns, where not so
        (TRUE/FALSE), learned by `fit`: tables written in the data's units spell them the same.
    """

    kind: ClassVar[str] = "table"
    learned: ClassVar[dict[str, str]] = {**Reader.learned, "categories": "categories"}
    suffixes: ClassVar[tuple[str, ...]] = (".csv", ".csv.gz", ".tsv", ".txt", *PARQUET_SUFFIXES)
    target: str | None = None
    id_column: str | None = None
    categories: dict[str, list] | None = None
    sep: str | None = None
    encoding: str | None = None
    na_values: list[str] = field(default_factory=list)
    header: bool | str = "infer"
    ignore_columns: list[str] | str | None = None
    left_out: dict[str, str] | None = None
    whole_ranges: dict[str, list[float]] | None = None
    columns: list[str] | None = None
    decimal_comma: bool | None = None
    boolean_spellings: dict[str, list[str]] | None = None

    def frame(self, source: str | os.PathLike):
        """The table as read, a DataFrame (n_rows, n_columns) before any encoding.

        Parameters
        ----------
        source : str or os.PathLike
            A CSV file, or a Parquet file or folder of them.

        Returns
        -------
        pandas.DataFrame
            Every column of the table, the target and ID columns included.
        """
        path = _existing(str(source))
        if _is_parquet(path):
            return read_parquet_frame(path)
        sep = {"\\t": "\t", "tab": "\t"}.get(self.sep, self.sep)
        return read_csv_frame(path, sep=sep, encoding=self.encoding, na_values=self.na_values, header=self.header,
                              decimal_comma=self.decimal_comma)

    def fit_frame(self, frame, source: str | os.PathLike) -> Dataset:
        """`fit` on the training table `source` already read by `frame` (the DataFrame it gives),
        for a caller that looked at its columns first: the file is read once.

        Parameters
        ----------
        frame : pandas.DataFrame
            `frame(source)`, every column included; it is not modified.
        source : str or os.PathLike
            The table it was read from.

        Returns
        -------
        Dataset
            The rows; the reader's learned fields are set from them.
        """
        return self._learned_from(self._load(str(source), fitted=False, frame=frame))

    def _load(self, source: str, fitted: bool, frame=None) -> Dataset:
        checked = fitted and isinstance(self.header, bool) and not _is_parquet(source)
        caught = []
        if frame is None:
            with warnings.catch_warnings(record=True) as caught:  # a refused header row is not also warned about as data
                warnings.simplefilter("always")
                frame = self.frame(source)
        if checked:
            self._check_header(frame, source)
        for warning in caught:
            warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
        if not fitted and self.header == "infer" and "header" in frame.attrs:  # fit keeps what it inferred for later files
            self.header = bool(frame.attrs["header"])
        if not fitted and frame.attrs.get("decimal_comma"):
            self.decimal_comma = True
        if not fitted:
            self.boolean_spellings = {c: list(pair) for c, pair in frame.attrs.get(BOOLEAN_SPELLINGS, {}).items()} or None
        if checked:
            frame = self._in_training_order(frame, source)
        if not fitted:
            self.columns = [str(c) for c in frame.columns]
            features = frame.drop(columns=[c for c in (self.id_column, self.target) if c in frame.columns])
            found = non_features(features, self.ignore_columns) if features.shape[1] else {}
            self.left_out = {c: why for c, why in found.items() if why != FREE_TEXT}  # documents: refused, pointing at text folders
        data = self.rows_of(frame, source, fitted)
        if not fitted:
            self.whole_ranges = _whole_ranges(data, frame)
        return data

    def _check_header(self, frame, source: str) -> None:
        """Refuse a CSV read with `header` False that has a header row (its first row text above
        columns of numbers), or read with `header` True that has none (no column known, every name
        a number), saying whether the training table had one."""
        import pandas as pd

        columns = [str(c) for c in frame.columns]
        trained = self.header if self.columns is None else not _positional(self.columns)  # the training table's header
        if self.header is False and len(frame) > 1:
            first, rest = frame.iloc[0], frame.iloc[1:]
            texts = [isinstance(v, str) and pd.isna(pd.to_numeric(v, errors="coerce")) for v in first]
            numbers = [pd.to_numeric(rest[c], errors="coerce").notna().all() for c in frame.columns]
            if all(texts) and any(numbers):
                start = f"{str(source)!r} starts with a header row ({', '.join(map(str, first[:5]))}), but "
                if trained:
                    raise ValueError(start + "it is read as having none (header=False; --no-header on the command "
                                     "line): leave that out to read the file's header, as the training table's was")
                raise ValueError(
                    start + f"the model was trained on a table without one (its columns read as {columns[0]} to "
                    f"{columns[-1]}): remove the header line, or say the file has one (header=True; --header on the "
                    "command line) to take its columns in the training table's order"
                )
        if self.header is True and self.feature_names:
            known = {*self.feature_names, *(self.categories or {}), *(self.left_out or {}), self.id_column, self.target}
            if not known & set(columns) and pd.to_numeric(pd.Series(columns), errors="coerce").notna().all():
                start = f"{str(source)!r} has no header row (its first row, {', '.join(columns[:5])}, holds numbers), but "
                if not trained:
                    raise ValueError(start + "it is read as having one (header=True; --header on the command line): "
                                     "leave that out to read its first row as data, as the training table's was")
                named = [n for n in self.feature_names if "=" not in n] or self.feature_names
                raise ValueError(
                    start + f"the model was trained on a table whose header names its columns ({', '.join(named[:5])}"
                    f"{', ...' * (len(named) > 5)}): add that header line, or say the file has none (header=False; "
                    "--no-header on the command line) to take its columns in the training table's order"
                )

    def _in_training_order(self, frame, source: str):
        """`frame` with the training table's `columns` when it was read with the other header (x0, x1,
        ... for a named training table, or named for a headerless one), taken in order; a
        different number of columns is refused."""
        names = [str(c) for c in frame.columns]
        if self.columns is None or _positional(names) == _positional(self.columns):
            return frame
        if len(names) != len(self.columns):
            had = "a header" if self.header else "no header"
            shown = ", ".join(self.columns[:5]) + ", ..." * (len(self.columns) > 5)
            raise ValueError(f"{str(source)!r} has {len(names)} columns and is read with {had}, so they are taken in "
                             f"the order of the training table's {len(self.columns)} ({shown}): give the same columns "
                             "in that order")
        return with_column_names(frame, self.columns)

    def id_source(self, columns) -> str | None:
        """The column whose values identify the rows: the ID column, else the first identifier
        left out of the model.

        Parameters
        ----------
        columns : sequence of str
            The table's column names.

        Returns
        -------
        str or None
            The column's name, or None when the rows are numbered.
        """
        if self.id_column is not None:
            return self.id_column
        left_out = self.left_out or {}
        return next((c for c in left_out if c in columns and c != self.target and left_out[c] == IDENTIFIER), None)

    def rows_of(self, frame, source: str, fitted: bool = True) -> Dataset:
        """The rows of a table already read as a DataFrame (the whole table, or one partition of
        it): the ID column as `Dataset.ids` (else the identifier left out, else a named index such as
        a Parquet file's, a MultiIndex's levels joined by '/'), the target as y, text columns one-hot.

        Parameters
        ----------
        frame : pandas.DataFrame
            The table as read, every column included; it is not modified.
        source : str
            Where the rows come from, for error messages.
        fitted : bool, default=True
            The reader has been fitted, so the target column may be absent.

        Returns
        -------
        Dataset
            The rows, X (n, n_features), with their identifiers and labels.
        """
        if self.id_column is not None and self.id_column not in frame.columns:
            raise ValueError(f"{source}: ID column {self.id_column!r} not found; columns are {list(frame.columns)}")
        named = self.id_source(frame.columns)
        ids = id_texts(frame[named]) if named is not None else _index_ids(frame)
        if named is None and ids is not None and frame.index.nlevels == 1 and frame.index.name is not None:
            named = str(frame.index.name)
        out = [self.id_column, *(self.left_out or {})]
        frame = frame.drop(columns=[c for c in out if c is not None and c in frame.columns and c != self.target])
        if fitted and self.feature_names is not None:
            self._check_columns([str(c) for c in frame.columns if c != self.target], source)
        target = None if fitted and self.target not in frame.columns else self.target
        return replace(_from_frame(frame, source, target, self.categories), ids=ids, ids_name=named)

    def _check_columns(self, columns: list[str], source: str) -> None:
        """Refuse a table whose feature `columns` are not the training table's, naming the
        columns missing and unexpected as the table spells them (not their one-hot features)."""
        categories = self.categories or {}
        trained = list(dict.fromkeys(next((c for c in categories if name.startswith(f"{c}=")), name)
                                     for name in self.feature_names))
        if sorted(columns) != sorted(trained):
            raise ValueError(other_columns(columns, trained, source))

    def stream(self, source: str | os.PathLike) -> DataSource:
        """A Parquet file or folder as a `DataSource` read one row group at a time; CSV files
        do not stream.

        Parameters
        ----------
        source : str or os.PathLike
            The Parquet file or folder; other sources raise a ValueError.

        Returns
        -------
        DataSource
            The rows, read on demand.
        """
        if _is_parquet(source):
            return ParquetSource(source)
        return super().stream(source)


def id_texts(values) -> list[str]:
    """The values of a column of row identifiers as text: a missing one as '', a whole float (a
    CSV's column of integers with gaps) as its integer (1001, not 1001.0).

    Parameters
    ----------
    values : pandas.Series
        The column, (n,).

    Returns
    -------
    list of str
        The (n,) identifiers.
    """
    return ["" if missing else str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)
            for v, missing in zip(values.tolist(), values.isna().tolist())]


def _is_parquet(source: str | os.PathLike) -> bool:
    """Whether `source` is a Parquet file or a folder of them (else a CSV file)."""
    path = Path(source)
    return path.is_dir() or path.suffix.lower() in PARQUET_SUFFIXES


def _index_ids(frame) -> list[str] | None:
    """The values of `frame`'s index as row identifiers: a named index (such as the patient ids a Parquet file keeps
    apart from its columns) or the row labels of a filtered frame it saved (5, 2, 9), a MultiIndex's levels joined by
    INDEX_LEVELS_JOINED ('site-2/7'); None for row numbers (an unnamed range counting by one, as a CSV's rows or a
    partition's are numbered)."""
    import pandas as pd

    index = frame.index
    if index.nlevels == 1 and index.name is None and isinstance(index, pd.RangeIndex) and index.step == 1:
        return None
    if index.nlevels == 1:
        return index.astype(str).tolist()
    return [INDEX_LEVELS_JOINED.join(map(str, key)) for key in index]


def _whole_ranges(data: Dataset, frame) -> dict[str, list[float]]:
    """[lowest, highest] of each numeric (not one-hot) column of `data` whose observed values are
    all whole numbers, from its float64 values in `frame` (the table as read), not the float32
    of X that rounds a timestamp 1700003006 to 1700002944."""
    ranges, read = {}, {str(c): c for c in frame.columns}
    for name, column in zip(data.feature_names, data.feature_columns()):
        if name != column:
            continue
        values = frame[read[name]].to_numpy(dtype=np.float64, na_value=np.nan)
        values = values[~np.isnan(values)]
        if values.size and (values == np.round(values)).all():
            ranges[name] = [float(values.min()), float(values.max())]
    return ranges


@dataclass
class NpyReader(Reader):
    """A `.npy` array, memory-mapped: image stacks flattened with their shape kept; `labels` a
    `.npy` of the training rows' labels.

    Parameters
    ----------
    feature_names : list of str, default=None
        Names of X's columns, learned by `fit`.
    image_shape : sequence of int, default=None
        Shape of one row as an image, learned by `fit`; None when rows are not images.
    class_names : sequence of str, default=None
        Names of the classes the labels index, learned by `fit`.
    labels : str, default=None
        Path of a `.npy` of the training rows' labels; later sources are read without labels.
    channels_last : bool or None, default=None
        How to read a 4-D array (see `load_npy`): True moves (n, height, width, channels) to
        channels-first, False takes it as channels-first, None refuses one that looks
        channels-last.
    int_scale : float, default=None
        What the training file's integers were divided by (see `load_npy`), learned by `fit`
        and used for later files (one reading outside the training range warns); None for a
        file of floats.
    int_negative : bool, default=False
        Whether the training file's integers include negative ones (signed values such as CT
        numbers, read on [-1, 1] rather than as pixels on [0, 1]), learned by `fit`.
    int_dtype : str, default=None
        The training file's integer dtype ('uint8'), learned by `fit`, which rows written in the
        data's units are given; None for a file of floats (or a run saved before it was learned).
    """

    kind: ClassVar[str] = "npy"
    suffixes: ClassVar[tuple[str, ...]] = (".npy",)
    labels: str | None = None
    channels_last: bool | None = None
    int_scale: float | None = None
    int_negative: bool = False
    int_dtype: str | None = None

    def _load(self, source: str, fitted: bool) -> Dataset:
        labels = None if fitted else self.labels
        if not fitted:
            array = np.load(_existing(source), mmap_mode="r", allow_pickle=False)
            integer = array.dtype.kind in "iu"
            self.int_scale = _integer_scale(array.dtype, lambda: np.abs(array).max()) if integer else None
            self.int_dtype = array.dtype.name if integer else None
        data = load_npy(_existing(source), labels=labels, channels_last=self.channels_last, int_scale=self.int_scale)
        if not fitted:
            self.int_negative = array.dtype.kind == "i" and bool(data.X.min() < 0)
        elif self.int_scale is not None and data.X.dtype.kind == "f" and data.X.size:
            self._warn_outside_training_range(data.X, source)
        return data

    def _warn_outside_training_range(self, X: np.ndarray, source: str) -> None:
        """Warn when the integers of a later file, divided by the training file's `int_scale`, fall outside
        the range the training rows were read on ([0, 1], or [-1, 1] for signed values)."""
        low, high = (-1.0 if self.int_negative else 0.0), 1.0
        lowest, highest = float(X.min()), float(X.max())
        if low <= lowest and highest <= high:
            return
        scale = self.int_scale
        warnings.warn(
            f"{str(source)!r} holds integers from {lowest * scale:g} to {highest * scale:g}; divided by {scale:g} (the "
            f"training file's largest) as the run reads every file, they read from {lowest:.3g} to {highest:.3g}, outside "
            f"the [{low:g}, {high:g}] the model was trained on",
            stacklevel=3,
        )

    @property
    def unit_pixels(self) -> bool:
        """Whether the rows are images of non-negative integer pixels, read on [0, 1] (drawn as stored)."""
        return self.image_shape is not None and self.int_scale is not None and not self.int_negative

    def stream(self, source: str | os.PathLike) -> DataSource:
        """The `.npy` file as a `DataSource` read in bounded row ranges.

        Parameters
        ----------
        source : str or os.PathLike
            The `.npy` file, a 2-D numeric array.

        Returns
        -------
        DataSource
            The rows, read on demand.
        """
        return NpySource(source)


def warn_read_grey(source, read_grey: list[str], total: int, whose: str) -> None:
    """Warn that `read_grey` (file names), of the `total` images in `source`, are colour files read
    grey, as `whose` ("the run's", "the model's") grey training images were.

    Parameters
    ----------
    source : str or os.PathLike
        The folder read.
    read_grey : list of str
        The colour files read grey; nothing is said when empty.
    total : int
        The number of images read.
    whose : str
        Whose training images were grey, for the message.
    """
    if read_grey:
        warnings.warn(
            f"{len(read_grey)} of {total} images in {str(source)!r} are colour (e.g. {read_grey[0]!r}): they are read "
            f"grey, as {whose} grey training images were",
            stacklevel=user_stacklevel(),
        )


@dataclass
class ImageFolderReader(Reader):
    """A folder of images, labelled by subfolder, each resized to `image_size` (height, width)
    when given, grey ('L') or colour ('RGB') by `image_mode`: 'auto' (the default) is grey when
    every training file is grey and colour when any has colour (see `load_image_folder`), and
    `fit` replaces it by the mode it chose, so later folders are read the same way (colour files
    in a later folder for grey training images are read grey, and a warning says so).

    Parameters
    ----------
    feature_names : list of str, default=None
        Names of X's columns, learned by `fit`.
    image_shape : sequence of int, default=None
        Shape of one row as an image, learned by `fit`; None when rows are not images.
    class_names : sequence of str, default=None
        Names of the classes the labels index, learned by `fit`.
    image_size : list of int, default=None
        (height, width) every image is resized to; None needs all images the same size.
    image_mode : {'auto', 'L', 'RGB'}, default='auto'
        Grey, colour, or chosen from the training files.
    """

    kind: ClassVar[str] = "images"
    unit_pixels: ClassVar[bool] = True
    image_size: list[int] | None = None
    image_mode: str = "auto"

    def _load(self, source: str, fitted: bool) -> Dataset:
        size = None if self.image_size is None else tuple(self.image_size)
        data, read_grey = _image_folder(_existing(source), size, self.image_mode)
        if fitted:
            warn_read_grey(source, read_grey, len(data.X), "the run's")
        else:
            _warn_documents_left_out(source, len(data.X))
        self.read_grey = read_grey  # colour files read grey by image_mode='L', for a model folder's warning
        return data

    def fit(self, source: str | os.PathLike) -> Dataset:
        """The training folder's images; `image_mode` becomes the mode they were read in.

        Parameters
        ----------
        source : str or os.PathLike
            The folder of images.

        Returns
        -------
        Dataset
            The images as rows; the reader's learned fields are set from it.
        """
        data = super().fit(source)
        self.image_mode = "L" if len(data.image_shape) == 2 else "RGB"
        return data


def _warn_documents_left_out(source: str, n_images: int) -> None:
    """Warn when a folder read as images holds more .txt files than images: a corpus with a few
    stray pictures, whose documents would go unread."""
    n_texts = sum(p.suffix.lower() == ".txt" for p in visible_files(Path(source).expanduser()))
    if n_texts > n_images:
        warnings.warn(
            f"{source!r} holds images, so it is read as a folder of {n_images} image{'s' if n_images != 1 else ''}, "
            f"leaving out its {n_texts} .txt files; to read it as documents, move the images out of it",
            stacklevel=user_stacklevel(),
        )


@dataclass
class TextFolderReader(Reader):
    """A folder of .txt documents (one subfolder per label, ids their relative paths) as dense
    word counts X (n_documents, n_words) float32 over the `vocabulary` learned in fit: the
    `max_words` most frequent words, English stop words left out (scikit-learn's CountVectorizer).

    Parameters
    ----------
    feature_names : list of str, default=None
        Names of X's columns, learned by `fit`.
    image_shape : sequence of int, default=None
        Shape of one row as an image, learned by `fit`; None when rows are not images.
    class_names : sequence of str, default=None
        Names of the classes the labels index, learned by `fit`.
    max_words : int, default=2000
        Size of the vocabulary `fit` learns, at least 1.
    vocabulary : list of str, default=None
        The words counted, learned by `fit` (also kept as `feature_names`); when given, `fit`
        counts these words instead of learning them.
    encoding : str, default=None
        Text encoding of the files (e.g. 'latin-1'); None reads UTF-8.
    """

    kind: ClassVar[str] = "text"
    counts: ClassVar[bool] = True
    learned: ClassVar[dict[str, str]] = {**Reader.learned, "vocabulary": "feature_names"}
    max_words: int = 2000
    vocabulary: list[str] | None = None
    encoding: str | None = None

    def _load(self, source: str, fitted: bool) -> Dataset:
        from sklearn.feature_extraction.text import CountVectorizer

        if self.max_words < 1:
            raise ValueError(f"max_words must be at least 1, got {self.max_words}")
        docs = load_text_folder(_existing(source), encoding=self.encoding or "utf-8")
        if self.vocabulary is not None:
            vectorizer = CountVectorizer(vocabulary=list(self.vocabulary))
        else:
            vectorizer = CountVectorizer(max_features=self.max_words, stop_words="english")
        try:
            counts = vectorizer.fit_transform(docs.data)
        except ValueError as err:  # e.g. every word a stop word
            raise ValueError(f"{source!r}: no words to count ({err})") from None
        words = [str(w) for w in vectorizer.get_feature_names_out()]
        if fitted:
            _warn_unseen_words(docs, counts, source, len(words))
        X = counts.toarray().astype(np.float32)
        return Dataset(X, docs.target, None, words, name=source, class_names=docs.target_names or None, counts=True, ids=docs.ids)


def _warn_unseen_words(docs, counts, source: str, n_words: int) -> None:
    """Warn about documents with words, none of them the run's: their counts are all zero, as an
    empty document's are (a new language or subject), which would pass unnoticed."""
    from sklearn.feature_extraction.text import CountVectorizer

    analyze = CountVectorizer(stop_words="english").build_analyzer()
    unseen = [i for i in np.flatnonzero(counts.getnnz(axis=1) == 0) if analyze(docs.data[i])]
    if unseen:
        warnings.warn(
            f"{len(unseen)} of {len(docs)} documents in {source!r} hold none of the run's {n_words} words (first: "
            f"{docs.ids[unseen[0]]!r}): they are encoded as an empty document is",
            stacklevel=2,
        )


READERS = (IdxReader, DigitsReader, TableReader, NpyReader, ImageFolderReader, TextFolderReader)
OPTIONS = {f.name for cls in READERS for f in fields(cls)}


def _refuse_idx_files(source: str, path: Path) -> None:
    """Refuse an IDX file, or a folder of them (MNIST and Fashion-MNIST as published), saying how
    to name the set and its folder instead."""
    folder = path if path.is_dir() else path.parent
    if (path.is_dir() and any(path.glob("train-images-idx3-ubyte*"))) or re.search(r"-idx\d-ubyte(\.gz)?$", path.name):
        raise ValueError(
            f"{source!r} {'holds IDX files' if path.is_dir() else 'is an IDX file'}, as MNIST and Fashion-MNIST come: "
            f"name the set and the folder, --data mnist (or fashion-mnist) --set data.data_home={str(folder)} on the "
            f"command line, load('mnist', data_home={str(folder)!r}) in Python"
        )


def _reader_class(source: str) -> type[Reader]:
    name = source.partition(":")[0]
    if name in IDX_SETS and not Path(source).exists():
        return IdxReader
    if source == "digits":
        return DigitsReader
    path = Path(source).expanduser()
    _refuse_idx_files(source, path)
    if path.is_dir():
        suffixes = {p.suffix.lower() for p in visible_files(path)}
        if suffixes & set(PARQUET_SUFFIXES):
            return TableReader
        return TextFolderReader if ".txt" in suffixes and not suffixes & set(IMAGE_SUFFIXES) else ImageFolderReader
    cls = next((c for c in READERS if path.name.lower().endswith(c.suffixes) and c.suffixes), None)
    if cls is None:
        _existing(source)
        if path.suffix.lower() in IMAGE_SUFFIXES:
            raise ValueError(f"{source!r} is one image: aekit reads images from a folder; put it (and any others) in one "
                             f"and give the folder, e.g. {str(path.parent / 'images')!r}")
        if path.suffix.lower() == ".npz":
            keys = _npz_keys(path)
            raise ValueError(f"{source!r} is an archive of arrays ({', '.join(keys) or 'none'}); save the one to use as a "
                             f".npy file, e.g. numpy.save('{keys[0] if keys else 'X'}.npy', numpy.load({str(path)!r})"
                             f"[{keys[0] if keys else 'X'!r}]), and give that")
        raise ValueError(f"{source!r}: unknown file type {path.suffix!r}; expected .csv, .parquet, .npy or a folder")
    return cls


def _npz_keys(path: Path) -> list[str]:
    """The array names in a .npz archive ([] when it cannot be read as one)."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            return [name[: -len(".npy")] for name in archive.namelist() if name.endswith(".npy")]
    except (OSError, zipfile.BadZipFile):
        return []


def reader_for(source: str | os.PathLike, **options) -> Reader:
    """The reader of `source` (see `load`), given those `options` that apply to its kind (any
    reader field: target, id_column, categories, sep, encoding, na_values, header, labels,
    channels_last, image_size, image_mode, max_words, vocabulary, data_home, download).

    Parameters
    ----------
    source : str or os.PathLike
        A data set's name or a path; its kind picks the reader class.
    **options
        Reader fields; those of other kinds are dropped, an unknown name raises a TypeError.

    Returns
    -------
    Reader
        An unfitted reader of the source's kind.
    """
    unknown = sorted(set(options) - OPTIONS - {"kind"})
    if unknown:
        raise TypeError(f"unknown reader options {unknown}; readers take {sorted(OPTIONS)}")
    cls = _reader_class(str(source))
    return cls(**{f.name: options[f.name] for f in fields(cls) if f.name in options})


def load(source: str | os.PathLike, *, max_rows: int | None = None, **options) -> Dataset:
    """Load by name or path: 'digits'; 'mnist' or 'fashion-mnist' (optionally ':train' or
    ':test'); a .csv (.tsv, .txt, .csv.gz) or .parquet table; a .npy file; a folder of images;
    or a folder of .txt files (one document each, in subfolders named for their labels) as word
    counts. `options` apply where they make sense (`target`, `id_column`, `header` and
    `categories` to tables, `labels` and `channels_last` to .npy, `image_size` and `image_mode`
    ('auto', 'L' or 'RGB'; 'auto' is grey only when every file is) to image folders,
    `vocabulary` and `max_words` to text folders, `data_home` and `download` to the IDX sets);
    `max_rows` keeps the first rows. Images come channels-first.

    Parameters
    ----------
    source : str or os.PathLike
        The data set's name or path.
    max_rows : int, default=None
        Keep only the first rows; None keeps all.
    **options
        Reader options, as for `reader_for`.

    Returns
    -------
    Dataset
        The rows, their labels and layout.
    """
    return reader_for(source, **options).fit(source).rows(slice(max_rows))


def check_image_shape(data: Dataset, expected: Sequence[int] | None, source) -> None:
    """Refuse images of another shape than `expected`, even when they hold as many values
    (14 x 8 images for a model of 8 x 14 ones would pass as scrambled images).

    Parameters
    ----------
    data : Dataset
        The rows as read; nothing is checked when its `image_shape` is None.
    expected : sequence of int or None
        The model's image shape, (height, width) or (channels, height, width); None checks nothing.
    source : str or os.PathLike
        Where the rows come from, for the message.
    """
    if expected is None or data.image_shape is None:
        return
    got, want = (tuple(int(s) for s in ((1, *shape) if len(shape) == 2 else shape)) for shape in (data.image_shape, expected))
    if got == want:
        return
    fix = f"resize them to {want[1]} x {want[2]} pixels (height x width)" if got[1:] != want[1:] else f"give {want[0]}-channel images"
    raise ValueError(
        f"{str(source)!r} holds images of shape {got} (channels, height, width), but the model was trained on "
        f"images of shape {want}: {fix}"
    )


def _aligned(data: Dataset, expected: list[str] | None, source) -> Dataset:
    """`data` with its columns in the `expected` order; positional names (pixel0, x1, ...) of
    the same count match."""
    names = data.feature_names
    if expected is None or names == expected:
        return data
    if sorted(names) == sorted(expected):
        return replace(data, X=np.asarray(data.X)[:, [names.index(n) for n in expected]], feature_names=list(expected))
    if _positional(expected) and _positional(names) and len(names) == len(expected):
        return replace(data, feature_names=list(expected))
    columns = list(dict.fromkeys(data.feature_columns()))
    texts = [c for c in data.categories if c in expected]
    if texts and sorted(columns) == sorted(expected):
        shown = "; ".join(f"{c} ({', '.join(map(repr, data.categories[c][:3]))}{', ...' * (len(data.categories[c]) > 3)})"
                          for c in texts[:5])
        raise ValueError(f"{str(source)!r} holds text where the model was trained on numbers, in the column"
                         f"{'s' * (len(texts) > 1)} {shown}: give the numbers the model was trained on")
    raise ValueError(other_columns(columns, expected, source))


def other_columns(columns: Sequence[str], trained: Sequence[str], source) -> str:
    """The refusal of a source whose `columns` are not the `trained` ones, naming both sides'
    differences (at most five of each); columns known only by position are counted.

    Parameters
    ----------
    columns : sequence of str
        The source's columns.
    trained : sequence of str
        The columns the model was trained on, in order.
    source : str or os.PathLike
        Where the rows come from, for the message.

    Returns
    -------
    str
        The message, starting with the source's name.
    """
    columns, trained = [str(c) for c in columns], [str(c) for c in trained]
    if _positional(columns) and _positional(trained):
        return f"{str(source)!r} has {len(columns)} columns but the model was trained on {len(trained)}"

    def shown(names: list[str]) -> str:
        return ", ".join(names[:5]) + ", ..." * (len(names) > 5)

    missing = [c for c in trained if c not in columns]
    extra = [c for c in columns if c not in trained]
    found = [f"{word} {shown(names)}" for word, names in (("missing", missing), ("unexpected", extra)) if names]
    return f"{str(source)!r} does not have the columns the model was trained on ({shown(trained)}): {'; '.join(found)}"


def columns_by_name(data: Dataset, names: Sequence[str], source) -> Dataset:
    """`data` with its columns in the order of `names` (the columns a model was fitted on, its
    `feature_names_in_`), matched by name; a source whose columns have no names of their own
    (an array, images) is taken in its order. Other columns are refused naming them.

    Parameters
    ----------
    data : Dataset
        Rows as read, X (n, n_features).
    names : sequence of str
        The model's columns, in order.
    source : str or os.PathLike
        Where the rows come from, for the message.

    Returns
    -------
    Dataset
        The rows, their columns in the order of `names`.
    """
    if _positional(data.feature_names):
        return data
    names = [str(n) for n in names]
    columns = list(dict.fromkeys(data.feature_columns()))
    if data.categories and _positional(columns) and len(columns) == len(names):  # headerless, True/False one-hot encoded
        data = _with_columns(data, dict(zip(columns, names)))
    return _aligned(_flags_as_numbers(data, names), names, source)


def _with_columns(data: Dataset, new: dict[str, str]) -> Dataset:
    """`data` with its table columns renamed by `new` (old name to new), one-hot features
    ('column=category') and categories included."""
    renamed = [new[c] + f[len(c):] for f, c in zip(data.feature_names, data.feature_columns())]
    return replace(data, feature_names=renamed, categories={new.get(c, c): v for c, v in data.categories.items()})


def _flags_as_numbers(data: Dataset, names: list[str]) -> Dataset:
    """`data` with each True/False column that the model takes as one number (a column of
    `names`, as a DataFrame's bool column is fitted) as that 0/1 column, where the reader
    one-hot encoded it as 'column=False', 'column=True'; a missing entry stays NaN."""
    flags = {c for c, levels in data.categories.items()
             if c in names and c not in data.feature_names and levels and all(isinstance(v, (bool, np.bool_)) for v in levels)}
    if not flags:
        return data
    X, columns, kept = np.asarray(data.X), [], []
    for j, column in enumerate(data.feature_columns()):
        if column not in flags:
            columns.append(X[:, j])
            kept.append(data.feature_names[j])
        elif column not in kept:
            levels = list(data.categories[column])
            columns.append(X[:, j + levels.index(True)] if True in levels else 1 - X[:, j])
            kept.append(column)
    categories = {c: v for c, v in data.categories.items() if c not in flags}
    return replace(data, X=np.stack(columns, axis=1).astype(X.dtype, copy=False), feature_names=kept, categories=categories)


def _relabelled(data: Dataset, learned: Sequence[str] | None) -> Dataset:
    """`data` with labels y indexing the `learned` class names, as the training labels do; a
    later folder's own sorted classes (its subfolders) may lack some of them or add others,
    which are numbered after the learned ones."""
    if learned is None or data.class_names is None or data.y is None or tuple(data.class_names) == tuple(learned):
        return data
    names = (*learned, *sorted(set(data.class_names) - set(learned)))
    index = np.asarray([names.index(name) for name in data.class_names], dtype=np.int64)
    return replace(data, y=index[np.asarray(data.y)], class_names=names)


def _positional(names: list[str]) -> bool:
    """Whether names are only positions (pixel0, x1, ...), as for images and plain arrays."""
    return all(re.fullmatch(r"(pixel|x)\d+", n) for n in names)


def open_source(X) -> DataSource | None:
    """A `DataSource` streaming X when it is a path (a `.npy` or Parquet file, or a folder of
    Parquet files) or a `np.memmap` of a whole `.npy` file; None for data in memory.

    Parameters
    ----------
    X : str, os.PathLike, np.memmap or array-like
        The data as given to an estimator. Only a C-contiguous 2-D memmap streams, and a path
        that cannot stream (e.g. a CSV file) raises a ValueError.

    Returns
    -------
    DataSource or None
        The streaming source, or None when X is to be used as it is.
    """
    if isinstance(X, (str, os.PathLike)):
        return reader_for(X).stream(X)
    whole_file = isinstance(X, np.memmap) and not isinstance(X.base, np.memmap)
    if whole_file and X.ndim == 2 and X.flags.c_contiguous and X.filename:
        return NpySource(X.filename, offset=X.offset, shape=X.shape, dtype=X.dtype)
    return None


def warn_unscaled_integers(X, source: DataSource, estimator: str) -> None:
    """Warn when X, a path `fit` streams, is a `.npy` file of integers: they are streamed as
    stored, as the same array in memory is read, while `aekit train --data` (and `load_npy`)
    reads the file divided by its integer scale (255 for uint8), so the two fit other rows.

    Parameters
    ----------
    X : object
        The data as given to `fit`; only a path warns.
    source : DataSource
        The source `open_source` made of X.
    estimator : str
        The estimator's name, for the message.
    """
    if not isinstance(X, (str, os.PathLike)) or not isinstance(source, NpySource) or source.stored_dtype.kind not in "iu":
        return
    scale = _integer_scale(source.stored_dtype, lambda: max(abs(source.min()), abs(source.max())))
    warnings.warn(
        f"X: {str(X)!r} holds {source.stored_dtype} integers, which {estimator} streams as stored (from {source.min():g} to "
        f"{source.max():g}), while 'aekit train --data' reads the file divided by {scale:g}, as "
        f"aekit.data.datasets.load_npy does: pass load_npy(path).X to fit the rows a run fits, or "
        f"np.load(path, mmap_mode='r') to fit the integers as they are",
        stacklevel=4,
    )


def warn_integer_images(images: np.ndarray, estimator: str, *, fitted_on_unit: bool = False) -> None:
    """Warn when `images` (n, C, H, W) or (n, H, W), given to `fit` in memory, hold integers (e.g.
    uint8 pixels 0..255): they train as given, while 'aekit train --data' reads integer images
    divided by their integer scale (255 for uint8), so the two fit other pixels. With
    `fitted_on_unit` (images given to a model fitted on pixels in [0, 1]) warn when the integers
    go beyond 1: the model would read 0..255 pixels as far brighter than anything it saw.

    Parameters
    ----------
    images : ndarray
        The images as given; only integers warn.
    estimator : str
        The estimator's name, for the message.
    fitted_on_unit : bool, default=False
        Whether the images go to a model fitted on pixels in [0, 1] (its output a sigmoid).
    """
    if images.dtype.kind not in "iu" or images.size == 0:
        return
    low, high = int(images.min()), int(images.max())
    scale = _integer_scale(images.dtype, lambda: max(abs(low), abs(high)))
    if fitted_on_unit:
        if high > 1:
            warnings.warn(
                f"X: images of {images.dtype} integers (from {low} to {high}), but {estimator} was fitted on pixels in "
                f"[0, 1] (its output is a sigmoid), so its codes and reconstructions of these are meaningless: pass X / {scale:g}",
                stacklevel=user_stacklevel(),
            )
        return
    warnings.warn(
        f"X: images of {images.dtype} integers (from {low} to {high}), which {estimator} trains on as given, while "
        f"'aekit train --data' reads integer images divided by {scale:g}, as aekit.data.datasets.load_npy does: pass "
        f"X / {scale:g} to fit the pixels a run fits, or X.astype(np.float32) to fit the integers as they are",
        stacklevel=2,
    )
