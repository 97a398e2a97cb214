"""Data sets as arrays ready for the estimators: MNIST and Fashion-MNIST from their canonical
IDX files, scikit-learn's digits, CSV and Parquet tables, `.npy` arrays and folders of images.

Every loader returns a `Dataset`: `X` (n_samples, n_features) of float32 (pixels scaled to
[0, 1]), `y` (labels or None), `image_shape` when rows are images, and the feature names.
Images are channels-first like everywhere in aekit (`aekit.data.images`): a colour row is its
C*H*W pixels channel by channel, `image_shape` (channels, height, width), and
`X.reshape(-1, *image_shape)` is ready for `ConvAutoEncoder`.
`X, y = load_digits()` unpacks it. MNIST-style files are looked for in `data_home`, else
`$AEKIT_DATA`, else `~/.cache/aekit`, each with the set's own subfolder (`mnist/`,
`fashion-mnist/`); they are checked against their published SHA-256 before use and downloaded
from the official mirrors only with `download=True`.
"""

from __future__ import annotations

import gzip
import os
import re
import shutil
import struct
import tempfile
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from numbers import Integral
from pathlib import Path

import numpy as np

from aekit.data._files import data_home, file_sha256, data_home as resolve_home, visible_files
from aekit.data.columns import STRAY_WORDS, user_stacklevel
from aekit.data.images import channels_first, looks_channels_last
from aekit.data.text import load_20newsgroups, load_r8, load_text_folder

__all__ = [
    "BOOLEAN_SPELLINGS",
    "Dataset",
    "IDX_SETS",
    "IdxSet",
    "PHOTOS",
    "ROW_LABELS",
    "WHOLE_WITH_DECIMALS",
    "data_home",
    "file_sha256",
    "load_20newsgroups",
    "load_colorization_patches",
    "load_csv",
    "load_digits",
    "load_fashion_mnist",
    "load_image_folder",
    "load_mnist",
    "load_npy",
    "load_parquet",
    "load_photo_patches",
    "load_r8",
    "load_text_folder",
    "read_csv_frame",
    "read_idx",
    "read_parquet_frame",
    "with_column_names",
]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".pgm", ".ppm", ".pbm", ".pnm")
DOWNLOAD_TIMEOUT = 60


@dataclass(frozen=True)
class IdxSet:
    """Where an IDX data set lives and what its files must hash to.

    Parameters
    ----------
    name : str
        Display name used in messages, e.g. 'MNIST'.
    folder : str
        Subfolder of the data home that holds the set's files, e.g. 'mnist'.
    mirrors : tuple of str
        Base URLs tried in order when downloading; a file's URL is the mirror plus its name.
    sha256 : mapping of str to str
        Published hex SHA-256 of each file, by file name.
    classes : tuple of str
        Class names, indexed by label.
    """

    name: str
    folder: str
    mirrors: tuple[str, ...]
    sha256: Mapping[str, str]
    classes: tuple[str, ...]

    def files(self, split: str) -> tuple[str, str]:
        """The images file and labels file of a split.

        Parameters
        ----------
        split : {'train', 'test'}
            The split; anything but 'train' names the test files.

        Returns
        -------
        images : str
            The images file's name.
        labels : str
            The labels file's name.
        """
        prefix = "train" if split == "train" else "t10k"
        return f"{prefix}-images-idx3-ubyte.gz", f"{prefix}-labels-idx1-ubyte.gz"


IDX_SETS: dict[str, IdxSet] = {
    "mnist": IdxSet(
        "MNIST",
        "mnist",
        ("https://ossci-datasets.s3.amazonaws.com/mnist/", "https://yann.lecun.com/exdb/mnist/"),
        {
            "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
            "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
            "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
            "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
        },
        tuple(str(d) for d in range(10)),
    ),
    "fashion-mnist": IdxSet(
        "Fashion-MNIST",
        "fashion-mnist",
        ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
        {
            "train-images-idx3-ubyte.gz": "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
            "train-labels-idx1-ubyte.gz": "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
            "t10k-images-idx3-ubyte.gz": "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
            "t10k-labels-idx1-ubyte.gz": "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
        },
        ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
    ),
}


@dataclass
class Dataset:
    """Rows ready for an estimator.

    Every parameter is kept as the attribute of the same name; `X, y = dataset` unpacks it and
    `len(dataset)` is n_samples.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The rows as floats: float32 from the decoding loaders, the stored floats as a read-only
        memory map from `load_npy`.
    y : ndarray of shape (n_samples,), default=None
        Labels, or None.
    image_shape : tuple of int, default=None
        (channels, height, width) of each row, (height, width) for one grey channel, or None
        when rows are not images; rows are channel-major (channels-first).
    feature_names : list of str, default=[]
        One name per column of X.
    categories : dict of str to list, default={}
        For tables, each categorical column's categories in one-hot order.
    name : str, default=''
        Where the rows come from (a path, or e.g. 'mnist:train'), for messages and reports.
    class_names : tuple of str, default=None
        Name of each class, indexed by the labels in y, or None.
    counts : bool, default=False
        The rows are word counts (a folder of text files), which runs leave unscaled.
    ids : list of str, default=None
        Row identifiers (file names for folders, an ID column's values), one per row, or None
        for row numbers.
    ids_name : str, default=None
        The column (or named index) `ids` come from, naming them in messages; None when they
        have no name (file names, row labels).
    """

    X: np.ndarray
    y: np.ndarray | None = None
    image_shape: tuple[int, ...] | None = None
    feature_names: list[str] = field(default_factory=list)
    categories: dict[str, list] = field(default_factory=dict)
    name: str = ""
    class_names: tuple[str, ...] | None = None
    counts: bool = False
    ids: list[str] | None = None
    ids_name: str | None = None

    def __iter__(self) -> Iterator:
        return iter((self.X, self.y))

    def __len__(self) -> int:
        return int(self.X.shape[0])

    def feature_columns(self) -> list[str]:
        """The table column each feature comes from (n_features,), see `feature_columns`."""
        return feature_columns(self.feature_names, self.categories)

    def row_ids(self) -> list[str]:
        """One identifier per row: `ids`, else the row numbers."""
        return list(map(str, range(len(self)))) if self.ids is None else list(self.ids)

    def rows(self, index) -> Dataset:
        """The rows at `index` (a slice or an integer array), with their labels and identifiers.

        Parameters
        ----------
        index : slice or array-like of int
            Which rows to keep, as NumPy indexing of the first axis.

        Returns
        -------
        Dataset
            A copy with X, y and ids restricted to those rows; the other fields are shared.
        """
        ids = None if self.ids is None else np.asarray(self.ids, dtype=object)[index].tolist()
        y = None if self.y is None else self.y[index]
        return replace(self, X=self.X[index], y=y, ids=ids)


def feature_columns(feature_names: Sequence[str], categories: Mapping[str, Sequence]) -> list[str]:
    """The table column each feature comes from (n_features,): 'kind' for the one-hot feature
    'kind=a' of a categorical column, the feature's own name otherwise.

    Parameters
    ----------
    feature_names : sequence of str
        The features' names, 'column=category' in a one-hot group.
    categories : mapping of str to sequence
        Each categorical column's categories.

    Returns
    -------
    list of str
        One column name per feature.
    """
    column_of = {f"{column}={level}": column for column, levels in categories.items() for level in levels}
    return [column_of.get(name, name) for name in feature_names]


# ---- IDX (MNIST, Fashion-MNIST) ------------------------------------------------------------

_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (gzipped when its name ends in .gz) into an array of its stored shape.

    Parameters
    ----------
    path : str or os.PathLike
        The IDX file; a ValueError is raised when its header or size is wrong.

    Returns
    -------
    ndarray
        The stored values, in their stored dtype (native byte order) and shape.
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_DTYPES:
        raise ValueError(f"{str(path)!r} is not an IDX file (bad magic number)")
    ndim = data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{str(path)!r} is truncated: its header promises {ndim} dimensions")
    shape = struct.unpack(f">{ndim}I", data[4:header])
    dtype = np.dtype(_IDX_DTYPES[data[2]])
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(data) - header != expected:
        raise ValueError(
            f"{str(path)!r} holds {len(data) - header} bytes of data, but its header {shape} needs {expected}"
        )
    return np.frombuffer(data, dtype=dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def _download(spec: IdxSet, file_name: str, folder: Path) -> Path:
    """Fetch `file_name` from the first mirror that answers, check it, and move it into place."""
    folder.mkdir(parents=True, exist_ok=True)
    errors = []
    for mirror in spec.mirrors:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{file_name}.", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as out, urllib.request.urlopen(mirror + file_name, timeout=DOWNLOAD_TIMEOUT) as r:
                shutil.copyfileobj(r, out)
            if file_sha256(Path(tmp)) != spec.sha256[file_name]:
                errors.append(f"{mirror}: checksum mismatch")
                continue
            os.replace(tmp, folder / file_name)
            return folder / file_name
        except (urllib.error.URLError, OSError, ValueError) as err:
            errors.append(f"{mirror}: {err}")
        finally:
            Path(tmp).unlink(missing_ok=True)
    raise OSError(
        f"could not download {spec.name} file {file_name!r} (are you offline?): "
        + "; ".join(errors)
        + f". Copy the file into {str(folder)!r} by hand, or set AEKIT_DATA to a folder that has it."
    )


def _idx_file(spec: IdxSet, file_name: str, home: Path, download: bool, verify: bool) -> Path:
    candidates = [home / spec.folder / file_name, home / file_name]
    path = next((p for p in candidates if p.is_file()), None)
    if path is None:
        if not download:
            raise FileNotFoundError(
                f"{spec.name} file {file_name!r} not found in {str(home / spec.folder)!r}. Pass download=True "
                f"('aekit train': --set data.download=true; needs internet), or put the IDX .gz files there (data_home "
                f"or --set data.data_home=DIR, else $AEKIT_DATA, else ~/.cache/aekit)."
            )
        return _download(spec, file_name, home / spec.folder)
    if verify and file_sha256(path) != spec.sha256[file_name]:
        raise ValueError(
            f"{str(path)!r} does not match the published SHA-256 of {spec.name}'s {file_name}: the file is "
            "corrupt, truncated or a different file. Delete it (and download again), or pass verify=False."
        )
    return path


def _load_idx_set(
    key: str,
    split: str,
    *,
    data_home: str | os.PathLike | None = None,
    download: bool = False,
    verify: bool = True,
    max_rows: int | None = None,
) -> Dataset:
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    spec, home = IDX_SETS[key], resolve_home(data_home)
    images_name, labels_name = spec.files(split)
    images = read_idx(_idx_file(spec, images_name, home, download, verify))
    labels = read_idx(_idx_file(spec, labels_name, home, download, verify))
    if images.ndim != 3 or labels.ndim != 1 or images.shape[0] != labels.shape[0]:
        raise ValueError(
            f"{spec.name} {split}: images of shape {images.shape} and labels of shape {labels.shape} do not pair up"
        )
    if max_rows is not None:
        images, labels = images[:max_rows], labels[:max_rows]
    height, width = images.shape[1:]
    X = np.divide(images.reshape(images.shape[0], -1), np.float32(255.0), dtype=np.float32)  # one pass, no uint8 copy
    names = [f"pixel{i}" for i in range(X.shape[1])]
    return Dataset(X, labels.astype(np.int64), (height, width), names, name=f"{key}:{split}", class_names=spec.classes)


def load_mnist(split: str = "train", **options) -> Dataset:
    """MNIST handwritten digits: X (60000 or 10000, 784) in [0, 1], y digits 0-9, image_shape
    (28, 28).

    Parameters
    ----------
    split : {'train', 'test'}, default='train'
        Which of the two published sets to read.
    **options
        Keyword-only: `data_home` (str or path, default None: `$AEKIT_DATA`, else
        ``~/.cache/aekit``), `download` (bool, default False: fetch missing files from the
        official mirrors), `verify` (bool, default True: check the files' SHA-256 against the
        published values) and `max_rows` (int, default None: keep only the first rows).

    Returns
    -------
    Dataset
        The images as rows, their labels and `class_names`.
    """
    return _load_idx_set("mnist", split, **options)


def load_fashion_mnist(split: str = "train", **options) -> Dataset:
    """Fashion-MNIST clothing images: X (60000 or 10000, 784) in [0, 1], y classes 0-9 (names in
    `class_names`), image_shape (28, 28).

    Parameters
    ----------
    split : {'train', 'test'}, default='train'
        Which of the two published sets to read.
    **options
        `data_home`, `download`, `verify` and `max_rows`, as for `load_mnist`.

    Returns
    -------
    Dataset
        The images as rows, their labels and `class_names`.
    """
    return _load_idx_set("fashion-mnist", split, **options)


def load_digits() -> Dataset:
    """scikit-learn's 1797 handwritten 8x8 digits: X (1797, 64) in [0, 1], y digits 0-9. No files needed."""
    from sklearn.datasets import load_digits as sklearn_digits

    digits = sklearn_digits()
    X = (digits.data / 16.0).astype(np.float32)
    names = [f"pixel{i}" for i in range(X.shape[1])]
    return Dataset(
        X, digits.target.astype(np.int64), (8, 8), names, name="digits", class_names=tuple(map(str, range(10)))
    )


SAMPLE_IMAGES = ("china.jpg", "flower.jpg")
SKIMAGE_PHOTOS = ("astronaut", "coffee", "chelsea", "rocket")
PHOTOS = (*SKIMAGE_PHOTOS, *SAMPLE_IMAGES)


def _photo(name: str) -> np.ndarray:
    """One bundled colour photograph (height, width, 3) uint8: scikit-image's `skimage.data.<name>`
    or scikit-learn's sample image `name` (no download either way)."""
    if name in SKIMAGE_PHOTOS:
        import skimage.data

        return getattr(skimage.data, name)()
    from sklearn.datasets import load_sample_image

    return load_sample_image(name)


def load_photo_patches(
    patch_size: int = 32, n_patches: int = 1000, *, images: str | Sequence[str] | None = None, random_state: int | None = 0
) -> np.ndarray:
    """Colour patches cut at random places from the photographs bundled with scikit-image and
    scikit-learn (`PHOTOS`: astronaut, coffee, chelsea, rocket, china.jpg, flower.jpg; no
    download): (n_patches, 3, patch_size, patch_size) float32 in [0, 1], shared evenly between
    `images` (one name, several, or None for all), e.g. train on some photographs, test on others.

    Parameters
    ----------
    patch_size : int, default=32
        Side of the square patches in pixels (at most the smallest photograph's side).
    n_patches : int, default=1000
        Number of patches, at least 1.
    images : str, sequence of str or None, default=None
        Names from `PHOTOS` to cut the patches from; None takes all of them.
    random_state : int or None, default=0
        Seed of the patch positions; None draws fresh ones each call.

    Returns
    -------
    ndarray of shape (n_patches, 3, patch_size, patch_size)
    """
    from sklearn.feature_extraction.image import extract_patches_2d

    names = list(PHOTOS) if images is None else [images] if isinstance(images, str) else list(images)
    unknown = [name for name in names if name not in PHOTOS]
    if unknown or not names:
        raise ValueError(f"images must name some of {PHOTOS} (or be None for all), got {images!r}")
    if not isinstance(n_patches, (int, np.integer)) or n_patches < 1:
        raise ValueError(f"n_patches must be a positive integer, got {n_patches!r}")
    photos = {name: _photo(name) for name in names}
    smallest = min(min(photo.shape[:2]) for photo in photos.values())
    if not isinstance(patch_size, (int, np.integer)) or not 1 <= patch_size <= smallest:
        raise ValueError(f"patch_size must be an integer in [1, {smallest}] (the smallest photograph's side), got {patch_size!r}")
    counts = [n_patches // len(names) + (i < n_patches % len(names)) for i in range(len(names))]
    rng = np.random.RandomState(random_state)
    colour = np.concatenate(
        [
            extract_patches_2d(photos[name], (patch_size, patch_size), max_patches=count, random_state=rng)
            for name, count in zip(names, counts)
            if count
        ]
    )
    return np.ascontiguousarray((colour.astype(np.float32) / 255.0).transpose(0, 3, 1, 2))


def load_colorization_patches(
    patch_size: int = 32, n_patches: int = 1000, *, image: str | Sequence[str] | None = None, random_state: int | None = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Grey and colour versions of `load_photo_patches`: gray (n_patches, 1, patch_size,
    patch_size) and colour (n_patches, 3, patch_size, patch_size), float32 in [0, 1], for
    colorization (`fit(gray, colour)`). Grey is scikit-image's luminance (`rgb2gray`, the luma
    `ConvAutoEncoder`'s colorization keeps). `image` names the photographs (see `PHOTOS`); None
    takes half from each of scikit-learn's two sample photographs (china.jpg, flower.jpg).

    Parameters
    ----------
    patch_size : int, default=32
        Side of the square patches in pixels.
    n_patches : int, default=1000
        Number of patches, at least 1.
    image : str, sequence of str or None, default=None
        Names from `PHOTOS` to cut the patches from; None takes china.jpg and flower.jpg.
    random_state : int or None, default=0
        Seed of the patch positions.

    Returns
    -------
    gray : ndarray of shape (n_patches, 1, patch_size, patch_size)
    colour : ndarray of shape (n_patches, 3, patch_size, patch_size)
    """
    from skimage.color import rgb2gray

    colour = load_photo_patches(patch_size, n_patches, images=SAMPLE_IMAGES if image is None else image, random_state=random_state)
    gray = rgb2gray(colour.transpose(0, 2, 3, 1)).astype(np.float32)[:, None]  # (n, 1, p, p)
    return gray, colour


# ---- tables ---------------------------------------------------------------------------------


def _pandas():
    try:
        import pandas
    except ImportError as err:
        raise ImportError("reading CSV and Parquet tables needs pandas: pip install 'aekit[data]'") from err
    return pandas


def _from_frame(frame, source: str, target: str | None, categories: Mapping[str, Sequence] | None) -> Dataset:
    """Numeric columns as they are, categorical ones (strings, category, bool) one-hot encoded.

    Missing entries stay NaN (a missing category gives NaN in all its one-hot columns), so
    the result can go to an imputer. `categories` fixes the one-hot columns (e.g. those seen
    in training); a value outside them is refused.
    """
    from aekit.data.tabular import one_hot_frame

    y = None
    if target is not None:
        if target not in frame.columns:
            raise ValueError(
                f"{source}: target column {target!r} not found; columns are {list(map(str, frame.columns))}"
            )
        y = frame[target].to_numpy()
        frame = frame.drop(columns=[target])
    if frame.shape[1] == 0 or frame.shape[0] == 0:
        raise ValueError(f"{source} has no feature columns or no rows")
    X, names, found = one_hot_frame(frame, categories, source)
    return Dataset(X, y, None, names, found, name=source)


ROW_LABELS = "row_labels"  # a frame's attrs key: True when a CSV's unnamed first column was read as the index
BOOLEAN_SPELLINGS = "boolean_spellings"  # a frame's attrs key: {column: (text of True, of False)} as a CSV spelled them
WHOLE_WITH_DECIMALS = "whole_with_decimals"  # a frame's attrs key: {column: decimals} of a CSV's floats written with them (19.90), 0 for mixed whole ones


def with_column_names(frame, names: Sequence[str]):
    """`frame` with its columns named `names`, in order, and its attrs keyed by column (the
    spellings of True and False, the words warned about) under the new names.

    Parameters
    ----------
    frame : pandas.DataFrame
        A table as `read_csv_frame` read it, of n_columns columns.
    names : sequence of str
        The new name of each column, (n_columns,).

    Returns
    -------
    pandas.DataFrame
        The renamed table.
    """
    new = dict(zip((str(c) for c in frame.columns), names))
    out = frame.set_axis(list(names), axis=1)
    out.attrs = dict(frame.attrs)
    for key in (BOOLEAN_SPELLINGS, STRAY_WORDS, WHOLE_WITH_DECIMALS):
        if key in frame.attrs:
            out.attrs[key] = {new.get(str(c), c): value for c, value in frame.attrs[key].items()}
    return out

_FORMULA = re.compile(r"[\t\r ]*(=.|[+\-@].*[(|!])", re.DOTALL)


def read_csv_frame(
    path: str | os.PathLike,
    *,
    sep: str | None = None,
    encoding: str | None = None,
    na_values: Sequence[str] = (),
    header: bool | str | None = "infer",
    decimal_comma: bool | None = None,
    **read_csv_options,
):
    """`pandas.read_csv` as a user's file needs it: the encoding from a byte-order mark unless
    given, the delimiter sniffed (',', ';', tab, '|' or runs of spaces) unless `sep` is given,
    '?', '-', 'NA', 'n/a', empty and pandas' other markers (plus `na_values`) read as missing, a
    first row of numbers read as data (columns x0, x1, ...) with a warning unless `header` is
    True or False, a column of whole numbers some written with leading zeros (zip codes 02139,
    codes 007), or with gaps and numbers beyond 2**53 (18-digit account numbers), read as text,
    which keeps them. Refuses, with a ValueError naming the file: a row with more or fewer fields
    than the first (and its line), bytes that do not decode, a malformed file, and what a
    spreadsheet would run (the column, row and cell of a text cell starting with '=', or with
    '+', '-' or '@' and calling something: '(', '|', '!').

    Parameters
    ----------
    path : str or os.PathLike
        The CSV file.
    sep : str, default=None
        One-character delimiter (' ' means runs of spaces); None sniffs it.
    encoding : str, default=None
        Text encoding; None takes it from a byte-order mark, else reads UTF-8.
    na_values : sequence of str, default=()
        Extra cell texts read as missing, on top of the usual markers.
    header : {'infer', True, False, None} or int, default='infer'
        True reads the first row as column names; False or None reads it as data (columns
        x0, x1, ...); 'infer' decides from whether the first row is all numbers; an int is
        passed on to pandas as the header row.
    decimal_comma : bool or None, default=None
        True reads the numbers of a file not split by commas with a decimal comma (1.234,5; 31.114
        is then 31114), False with a decimal point; None decides from the first rows.
    **read_csv_options
        Further keyword arguments of `pandas.read_csv`.

    Returns
    -------
    pandas.DataFrame
        The table as pandas read it; ``attrs['header']`` whether the first row held the column
        names (as given, or inferred with header='infer'), ``attrs['decimal_comma']``
        whether the numbers were read with a decimal comma, ``attrs['sep']`` the delimiter
        (None for runs of whitespace), ``attrs['encoding']`` the text encoding and
        ``attrs[BOOLEAN_SPELLINGS]`` how True/False columns spelled their cells when not so
        (`aekit.data._csv_reading.boolean_spellings`), ``attrs[WHOLE_WITH_DECIMALS]`` the float
        columns written with one number of decimals (19.90) or whole numbers with decimals (45636.0). A first column without a name
        whose values are distinct and present (a frame's index, as pandas writes it) is the
        index, and ``attrs[ROW_LABELS]`` is True.
    """
    from aekit.data._csv_reading import (boolean_spellings, cells_as_text, codes_as_text, csv_read_options, decimal_comma_columns,
                                         decode_error, grouped_numbers, stray_placeholders, whole_numbers_with_decimals)

    pd = _pandas()
    options = csv_read_options(path, sep, encoding, na_values, header, decimal_comma, **read_csv_options)
    try:
        frame = pd.read_csv(path, **options)
    except UnicodeDecodeError as err:
        raise decode_error(Path(path), options["encoding"], err) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise ValueError(f"{str(path)!r} is not a readable CSV table: {err}") from None
    if "thousands" not in read_csv_options and options.get("decimal", ".") in (".", ","):
        frame = grouped_numbers(frame, options.get("decimal", "."))
    if options.get("decimal", ".") == "." and options["sep"] != "," and "decimal" not in read_csv_options:
        frame = decimal_comma_columns(frame)  # a file mixing decimal marks by column
    spellings, decimals = {}, {}
    if "dtype" not in read_csv_options:
        cells = cells_as_text(frame, path, options)
        frame = codes_as_text(frame, cells)
        spellings = boolean_spellings(frame, cells)
        decimals = whole_numbers_with_decimals(frame, cells, options.get("decimal", "."))
    if options["header"] == 0 and "index_col" not in read_csv_options:
        frame = _unnamed_first_column_as_index(frame)
    for column in frame.columns:
        values = frame[column]
        if values.dtype != object and not isinstance(values.dtype, _pandas().StringDtype):
            continue
        hits = values.map(lambda v: isinstance(v, str) and _FORMULA.match(v) is not None).to_numpy(dtype=bool)
        if hits.any():
            row = int(hits.argmax())
            raise ValueError(
                f"{str(path)!r}: column {str(column)!r} holds {int(hits.sum())} spreadsheet formula(s), first in data "
                f"row {row + 1}: {values.iloc[row]!r}. Formulas are refused (CSV injection); export the values only"
            )
    stray = stray_placeholders(frame)
    if stray:
        frame.attrs[STRAY_WORDS] = stray  # warned here, not again by the estimators that read the frame
    for column, words in stray.items():
        warnings.warn(
            f"{str(path)!r}: column {column!r} holds numbers and the text {', '.join(map(repr, words))}, so it is read "
            f"as text; if {words[0]!r} marks a missing value pass na_values=[{words[0]!r}] (--na-values {words[0]} on "
            "the command line)",
            UserWarning,
            stacklevel=2,
        )
    frame.attrs["header"] = options["header"] is not None  # what was inferred with 'infer', for a reader to keep
    frame.attrs["decimal_comma"] = options.get("decimal") == ","
    frame.attrs["sep"] = options["sep"] if len(options["sep"]) == 1 else None  # None: runs of whitespace
    frame.attrs["encoding"] = options["encoding"]
    frame.attrs[BOOLEAN_SPELLINGS] = spellings
    frame.attrs[WHOLE_WITH_DECIMALS] = decimals
    return frame


def _unnamed_first_column_as_index(frame):
    """`frame` with its first column as its (unnamed) index when the header left it without a
    name and its values are distinct and present: the row labels pandas writes with a frame's
    index, which are no feature and which the table written back keeps."""
    first = frame.columns[0]
    if frame.shape[1] < 2 or first != "Unnamed: 0" or frame[first].isna().any() or not frame[first].is_unique:
        return frame
    frame = frame.set_index(first).rename_axis(None)
    frame.attrs[ROW_LABELS] = True
    return frame


def load_csv(
    path: str | os.PathLike,
    *,
    target: str | None = None,
    categories: Mapping[str, Sequence] | None = None,
    **read_csv_options,
) -> Dataset:
    """A CSV table through pandas: numeric columns as floats, text/category/bool columns one-hot
    encoded (names 'column=value'), missing entries as NaN; `target` names a label column to
    return as y. Extra options go to `pandas.read_csv`. Formula cells and undecodable bytes are
    refused (see `read_csv_frame`).

    Parameters
    ----------
    path : str or os.PathLike
        The CSV file.
    target : str, default=None
        Column to take out of the features and return as y.
    categories : mapping of str to sequence, default=None
        Categories of categorical columns, fixing their one-hot columns (e.g. those seen in
        training); a value outside them is refused. None takes the categories found.
    **read_csv_options
        Keyword arguments of `read_csv_frame` (`sep`, `encoding`, `na_values`, `header`) and
        `pandas.read_csv`.

    Returns
    -------
    Dataset
        The encoded rows, their feature names and each categorical column's `categories`.
    """
    return _from_frame(read_csv_frame(path, **read_csv_options), str(path), target, categories)


def read_parquet_frame(path: str | os.PathLike, columns: Sequence[str] | None = None):
    """A Parquet file (or folder of them) as a DataFrame through pandas and pyarrow; a file
    pyarrow cannot read is refused with a ValueError naming it.

    Parameters
    ----------
    path : str or os.PathLike
        The Parquet file or folder.
    columns : sequence of str, default=None
        Read only these columns; None reads all.

    Returns
    -------
    pandas.DataFrame
        The table.
    """
    try:
        return _pandas().read_parquet(path, columns=None if columns is None else list(columns))
    except ImportError as err:
        raise ImportError(f"reading Parquet needs pyarrow: pip install 'aekit[data]' ({err})") from err
    except (OSError, ValueError) as err:  # pyarrow's ArrowInvalid and ArrowIOError derive from these
        raise ValueError(f"{str(path)!r} is not a readable Parquet file ({type(err).__name__}: {err})") from None


def load_parquet(
    path: str | os.PathLike,
    *,
    target: str | None = None,
    categories: Mapping[str, Sequence] | None = None,
    columns: Sequence[str] | None = None,
) -> Dataset:
    """A Parquet table through pandas and pyarrow, encoded as `load_csv` does; `columns`
    reads only those columns (plus `target`).

    Parameters
    ----------
    path : str or os.PathLike
        The Parquet file or folder.
    target : str, default=None
        Column to take out of the features and return as y.
    categories : mapping of str to sequence, default=None
        Categories of categorical columns, fixing their one-hot columns; a value outside them
        is refused. None takes the categories found.
    columns : sequence of str, default=None
        Read only these columns (and `target`); None reads all.

    Returns
    -------
    Dataset
        The encoded rows, their feature names and each categorical column's `categories`.
    """
    if columns is not None and target is not None and target not in columns:
        columns = [*columns, target]
    return _from_frame(read_parquet_frame(path, columns), str(path), target, categories)


# ---- arrays and images -------------------------------------------------------------------------


def _integer_scale(dtype: np.dtype, largest) -> float:
    """What `load_npy` divides an array of integers of `dtype` by: 255 for uint8, else their largest absolute value
    (at least 1), which `largest()` gives."""
    return 255.0 if dtype == np.uint8 else float(max(largest(), 1))


def load_npy(
    path: str | os.PathLike,
    *,
    labels: str | os.PathLike | None = None,
    mmap: bool = True,
    channels_last: bool | None = None,
    int_scale: float | None = None,
) -> Dataset:
    """A `.npy` array, memory-mapped read-only by default so it need not fit in memory.

    (n, features) is used as it is; images (n, height, width) (grey) or (n, channels,
    height, width) are flattened and their shape kept as `image_shape`; more axes are
    flattened with no `image_shape`. Integer arrays (e.g. uint8 pixels) are scaled to [0, 1]
    ([-1, 1] with negative values; which loads them): divided by `int_scale`, by default 255 for uint8 and else the array's
    largest absolute value (a fitted reader passes its training file's, so later files are
    scaled alike). `labels` is an optional `.npy` of n labels.

    `channels_last` says how to read a 4-D array: True, (n, height, width, channels) as
    stacked PIL/matplotlib images, moved to channels-first (which loads it); False,
    (n, channels, height, width); None, channels-first, refusing an array whose last axis
    looks like channels (1 to 4, fewer than axis 1) rather than misreading it.

    Parameters
    ----------
    path : str or os.PathLike
        The `.npy` file, of shape (n_samples, ...) with n_samples >= 1.
    labels : str or os.PathLike, default=None
        A `.npy` file of shape (n_samples,) read as y.
    mmap : bool, default=True
        Memory-map the array read-only instead of loading it.
    channels_last : bool or None, default=None
        How to read a 4-D array, as above.
    int_scale : float, default=None
        What an integer array is divided by; None chooses as above.

    Returns
    -------
    Dataset
        The rows, with `image_shape` for images and feature names x0, x1, ...
    """
    array = np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
    if array.ndim < 2 or array.shape[0] == 0:
        raise ValueError(f"{str(path)!r} holds an array of shape {array.shape}; expected (n_samples, ...) with n >= 1")
    if channels_last and array.ndim != 4:
        raise ValueError(
            f"channels_last=True reads (n, height, width, channels) images, but {str(path)!r} holds shape {array.shape}"
        )
    if channels_last:
        array = channels_first(array)
    elif channels_last is None and array.ndim == 4 and looks_channels_last(array.shape[1:]):
        n, height, width, channels = array.shape
        raise ValueError(
            f"{str(path)!r} holds images of shape {array.shape}, which look channels-last (n, height, width, "
            "channels); aekit reads images channels-first (n, channels, height, width). Pass channels_last=True "
            f"(data.channels_last in a run config) to move them to {(n, channels, height, width)} on loading, or "
            "channels_last=False if the array really is channels-first"
        )
    image_shape = tuple(int(s) for s in array.shape[1:]) if array.ndim in (3, 4) else None
    X = array.reshape(array.shape[0], -1)
    if X.dtype.kind in "iu":
        X = X.astype(np.float32) / (float(int_scale) if int_scale is not None else _integer_scale(X.dtype, lambda: np.abs(X).max()))
    elif X.dtype.kind == "b":
        X = X.astype(np.float32)
    elif X.dtype.kind != "f":
        raise ValueError(f"{str(path)!r} holds {X.dtype} values; expected numbers")
    y = None
    if labels is not None:
        y = np.load(labels, allow_pickle=False)
        if y.shape != (X.shape[0],):
            raise ValueError(f"labels {str(labels)!r} have shape {y.shape}; expected ({X.shape[0]},)")
    names = [f"x{i}" for i in range(X.shape[1])]
    return Dataset(X, y, image_shape, names, name=str(path))


IMAGE_MODES = ("auto", "L", "RGB")
GREY_PIL_MODES = frozenset({"1", "L", "LA", "La", "I", "I;16", "I;16L", "I;16B", "I;16N", "F"})  # one channel (+ alpha)
WIDE_GREY_PIL_MODES = frozenset({"I", "I;16", "I;16L", "I;16B", "I;16N", "F"})  # more than 8 bits


def _read_image(file: Path, mode: str, size: tuple[int, int] | None) -> tuple[np.ndarray, bool, bool, bool]:
    """One image file as float32 pixels in [0, 1], channels-first (3, H, W) for colour or (H, W)
    for grey, whether its pixels are grey (False for a colour file read grey), whether any of them is transparent (the alpha
    channel, which is not read), and whether it stores more than the 8 bits per channel read. `mode` 'auto' reads single-channel files grey and others (RGB,
    palette, CMYK, ...) as RGB, grey when their three channels are equal."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:  # from a file object: Pillow memory-maps a path's raw grey TIFF and turns it upright scrambled
        with open(file, "rb") as handle, Image.open(handle) as opened:
            narrowed = _deep_colour(opened)
            image = ImageOps.exif_transpose(opened)  # upright, as viewers show it
            if "transparency" in image.info and image.mode not in WIDE_GREY_PIL_MODES:  # a see-through colour or entries
                image = image.convert("LA" if image.mode in GREY_PIL_MODES else "RGBA")  # as alpha, the same colours
            transparent = _has_transparency(image)
            native_grey = image.mode in GREY_PIL_MODES
            colour_read_grey = mode == "L" and not native_grey and not _equal_channels(np.asarray(image.convert("RGB")))
            if image.mode in WIDE_GREY_PIL_MODES:  # 8-bit conversion would clip them to 0..255
                image, full_scale = _unit_grey(image, file), 1.0
            else:
                image, full_scale = image.convert(mode if mode != "auto" else "L" if native_grey else "RGB"), 255.0
            if size is not None:
                image = image.resize((size[1], size[0]), Image.Resampling.BILINEAR)
            pixels = np.asarray(image, dtype=np.float32) / full_scale  # (H, W) or (H, W, 3)
    except (OSError, SyntaxError, EOFError) as err:  # PIL's refusals of damaged or foreign files
        reason = "of no format Pillow knows" if isinstance(err, UnidentifiedImageError) else err
        raise ValueError(f"{str(file)!r} is not a readable image ({reason}); remove or replace it") from None
    if pixels.ndim == 2 and mode == "RGB":
        pixels = np.repeat(pixels[:, :, None], 3, axis=2)
    if pixels.ndim == 3:
        return pixels.transpose(2, 0, 1), _equal_channels(pixels), transparent, narrowed
    return pixels, not colour_read_grey, transparent, narrowed


def _equal_channels(pixels: np.ndarray) -> bool:
    """Whether an (H, W, 3) image's red, green and blue are equal everywhere (a grey picture)."""
    return bool((pixels[..., 0] == pixels[..., 1]).all() and (pixels[..., 0] == pixels[..., 2]).all())


def _deep_colour(image) -> bool:
    """Whether an opened, not yet loaded PIL image stores 16 bits per channel that Pillow reads as 8:
    16-bit colour (or grey with alpha) PNGs and TIFFs; 16-bit grey ones are read whole."""
    if image.mode in WIDE_GREY_PIL_MODES:
        return False
    rawmodes = [tile[3] if isinstance(tile[3], str) else tile[3][0] for tile in image.tile if tile[3]]
    return any(";16" in str(rawmode) for rawmode in rawmodes)


def _has_transparency(image) -> bool:
    """Whether a PIL image has a pixel that is not fully opaque: an alpha channel below its
    maximum somewhere, or a deep grey image with a transparent colour."""
    bands = image.getbands()
    if "A" in bands or "a" in bands:
        return image.getchannel("A" if "A" in bands else "a").getextrema()[0] < 255
    return "transparency" in image.info


def _image_size(size) -> tuple[int, int]:
    """`size` as (height, width), refused unless two positive integers."""
    pair = isinstance(size, (tuple, list, np.ndarray)) and len(size) == 2
    if not pair or not all(isinstance(s, Integral) and not isinstance(s, (bool, np.bool_)) and s > 0 for s in size):
        raise ValueError(f"size must be (height, width), two positive integers, got {size!r}")
    return int(size[0]), int(size[1])


def _unit_grey(image, file: Path):
    """A 16- or 32-bit grey image as a PIL 'F' image on [0, 1]: integers over 65535 (16-bit
    full scale), floats as they are; refused when that leaves [0, 1]."""
    from PIL import Image

    pixels = np.asarray(image, dtype=np.float32)
    if image.mode != "F":
        pixels = pixels / 65535.0
    if pixels.size and not (np.isfinite(pixels).all() and pixels.min() >= 0 and pixels.max() <= 1):
        what = "floating-point pixels" if image.mode == "F" else "integer pixels over 16 bits: values / 65535"
        raise ValueError(
            f"{str(file)!r} holds {what} in [{np.nanmin(pixels):.4g}, {np.nanmax(pixels):.4g}]; aekit reads "
            "deep grey images as 16-bit (0..65535) or floats in [0, 1]: save it rescaled to one of these, or as 8-bit"
        )
    return Image.fromarray(pixels)


def load_image_folder(path: str | os.PathLike, *, size: tuple[int, int] | None = None, mode: str = "auto") -> Dataset:
    """Every image in a folder, as rows of pixels in [0, 1].

    `mode` 'L' (grey) gives rows of H*W pixels and `image_shape` (height, width); 'RGB' gives
    channels-first rows of 3*H*W (all red, then green, then blue) and `image_shape`
    (3, height, width), so `X.reshape(-1, *image_shape)` is (n, 3, height, width) for
    `ConvAutoEncoder`. 'auto' (the default) is 'L' when every file is grey (a one-channel PIL
    mode such as 'L', 'LA', '1', 'I;16', or colour files whose red, green and blue are equal
    everywhere) and 'RGB' when any file has colour; `image_shape` says which. 16-bit grey
    files (0..65535) and float ones (already in [0, 1]) keep their levels on [0, 1]; 16-bit
    colour files are read with 8 bits per channel (Pillow's), and a warning names them. Photos are
    turned upright as their EXIF orientation says, as image viewers show them. Transparency
    is not read: a transparent pixel counts as the colour stored under it, and a warning names
    such files. Images
    directly in `path` have no label; images in subfolders are labelled by the subfolder's
    name (class_names, sorted; y indexes them). `size` (height, width) resizes every image,
    otherwise all must share one size. `ids` are the files' paths relative to `path`.

    Parameters
    ----------
    path : str or os.PathLike
        The folder, searched recursively for .png, .jpg, .jpeg, .bmp, .gif, .tif, .tiff, .webp
        and Netpbm (.pgm, .ppm, .pbm, .pnm) files.
    size : tuple of int, default=None
        (height, width) to resize every image to; None keeps their common size.
    mode : {'auto', 'L', 'RGB'}, default='auto'
        Grey, colour, or chosen from the files, as above.

    Returns
    -------
    Dataset
        The images as rows, with `image_shape`, labels and `class_names` from subfolders, and
        `ids`.
    """
    return _image_folder(path, size, mode)[0]


def _image_folder(path: str | os.PathLike, size: tuple[int, int] | None, mode: str) -> tuple[Dataset, list[str]]:
    """`load_image_folder`'s dataset and the ids of the colour files it read grey (mode 'L')."""
    root = Path(path)
    if not root.is_dir():
        raise FileNotFoundError(f"no image folder at {str(root)!r}")
    if mode not in IMAGE_MODES:
        raise ValueError(f"mode must be 'auto', 'L' or 'RGB', got {mode!r}")
    if size is not None:
        size = _image_size(size)
    files = [p for p in visible_files(root) if p.suffix.lower() in IMAGE_SUFFIXES]
    if not files:
        raise ValueError(f"{str(root)!r} has no images ({', '.join(IMAGE_SUFFIXES)})")
    rows, label_names, all_grey, transparent, narrowed, read_grey = [], [], True, [], [], []
    for file in files:
        pixels, grey, see_through, deep = _read_image(file, mode, size)
        all_grey &= grey
        if see_through:
            transparent.append(file)
        if not grey and mode == "L":
            read_grey.append(file.relative_to(root).as_posix())
        if deep:
            narrowed.append(file)
        if rows and pixels.shape[-2:] != rows[0].shape[-2:]:
            raise ValueError(
                f"{str(file)!r} is {pixels.shape[-2:]} but {str(files[0])!r} is {rows[0].shape[-2:]} (height, width); "
                "pass size=(height, width) to resize every image (aekit train: --set data.image_size=[height,width])"
            )
        rows.append(pixels)
        relative = file.relative_to(root)
        label_names.append(relative.parts[0] if len(relative.parts) > 1 else None)
    if mode == "auto":
        mode = "L" if all_grey else "RGB"
        # 'auto' read grey files as (H, W) and colour ones as (3, H, W): one layout for all
        if mode == "L":
            rows = [p[0] if p.ndim == 3 else p for p in rows]
        else:
            rows = [p if p.ndim == 3 else np.repeat(p[None], 3, axis=0) for p in rows]
    if transparent:
        warnings.warn(
            f"{len(transparent)} of {len(files)} images in {str(root)!r} have transparent pixels (e.g. "
            f"{transparent[0].relative_to(root).as_posix()!r}); aekit reads their colour channels only, so a transparent pixel "
            "counts as the colour stored under it (often black): flatten them onto a background first (PIL's "
            "Image.alpha_composite) if that is not what they show",
            UserWarning,
            stacklevel=user_stacklevel(),
        )
    if narrowed:
        warnings.warn(
            f"{len(narrowed)} of {len(files)} images in {str(root)!r} are 16-bit colour (e.g. "
            f"{narrowed[0].relative_to(root).as_posix()!r}), which Pillow reads with 8 bits per channel: their lowest 8 bits "
            "are lost (256 levels where the files hold 65536); save them as 16-bit grey PNGs, or load them yourself "
            "(e.g. tifffile for TIFFs) and pass an array, if those levels matter",
            UserWarning,
            stacklevel=user_stacklevel(),
        )
    X = np.stack(rows).reshape(len(rows), -1)
    y, class_names = None, None
    if any(name is not None for name in label_names):
        class_names = tuple(sorted({name for name in label_names if name is not None}))
        if None in label_names:
            raise ValueError(f"{str(root)!r} mixes images at the top level with images in class subfolders")
        y = np.asarray([class_names.index(name) for name in label_names], dtype=np.int64)
    names = [f"pixel{i}" for i in range(X.shape[1])]
    ids = [file.relative_to(root).as_posix() for file in files]
    return Dataset(X, y, tuple(rows[0].shape), names, name=str(root), class_names=class_names, ids=ids), read_grey
