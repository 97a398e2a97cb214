"""Data larger than memory: row-range readers over a `.npy` file (or a `np.memmap` of one) and
Parquet files, so `fit`, `transform` and `score_samples` stream bounded chunks instead of
loading everything.

A `.npy` file is read with plain file reads at the right offsets (not through a memory map,
whose touched pages would stay in the process's resident memory); a Parquet file or folder is
read one row group at a time. Every chunk is checked (numeric, finite) as it is read.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path

import numpy as np

from aekit.data._files import visible_files

PARQUET_SUFFIXES = (".parquet", ".pq")
DEFAULT_CHUNK_ROWS = 65536


class DataSource:
    """Rows of a 2-D numeric table that lives on disk: `n_rows`, `n_features`, `read(start, stop)`
    giving `dtype` (float32) rows, or rows of another float dtype when asked; `float_dtype` is
    the dtype scikit-learn would read the stored values as (float32 kept, others float64), which
    inference gives its output in, as for the same rows in memory."""

    dtype = np.dtype(np.float32)
    float_dtype = np.dtype(np.float32)
    n_rows: int
    n_features: int
    path: Path
    feature_names: np.ndarray | None = None
    name: str = "X"

    @property
    def shape(self) -> tuple[int, int]:
        return (self.n_rows, self.n_features)

    def read(self, start: int, stop: int, dtype=np.float32) -> np.ndarray:
        """Rows [start, stop) as a finite array (stop - start, n_features) of `dtype`."""
        raise NotImplementedError

    def chunks(self, chunk_rows: int, stop: int | None = None) -> list[tuple[int, int]]:
        """Consecutive row ranges of at most `chunk_rows` rows covering [0, stop)."""
        stop = self.n_rows if stop is None else stop
        return [(s, min(s + chunk_rows, stop)) for s in range(0, stop, chunk_rows)]

    def _checked(self, block: np.ndarray, start: int, dtype=np.float32) -> np.ndarray:
        block = np.asarray(block, dtype=dtype)
        if not np.isfinite(block).all():
            row = start + int(np.argwhere(~np.isfinite(block))[0][0])
            raise ValueError(f"{self.name}: {self.describe()} has a NaN or infinite value in row {row}")
        return block

    def describe(self) -> str:
        return repr(str(self.path))

    def _range(self) -> tuple[float, float]:
        if getattr(self, "_value_range", None) is None:
            lows, highs = [], []
            for start, stop in self.chunks(DEFAULT_CHUNK_ROWS):
                block = self.read(start, stop)
                lows.append(block.min())
                highs.append(block.max())
            self._value_range = (float(min(lows)), float(max(highs)))
        return self._value_range

    def min(self) -> float:
        """Smallest value (one pass over the data, then cached)."""
        return self._range()[0]

    def max(self) -> float:
        """Largest value (one pass over the data, then cached)."""
        return self._range()[1]

    def head(self, stop: int) -> DataSource:
        """A view of rows [0, stop) (the same file, fewer rows)."""
        view = copy.copy(self)
        view.n_rows, view._value_range = int(stop), None
        return view


def _npy_header(path: Path) -> tuple[int, tuple[int, ...], np.dtype]:
    """(data offset, shape, dtype) from a `.npy` header, read without mapping the file (a
    memory map would count the whole file against the process's address-space limit)."""
    with open(path, "rb") as f:
        try:
            version = np.lib.format.read_magic(f)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
            elif version == (2, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
            else:
                raise ValueError(f"format version {version} is not supported for streaming")
        except ValueError as err:
            raise ValueError(f"X: {str(path)!r} is not a readable .npy file: {err}") from err
        if fortran and len(shape) > 1:
            raise ValueError(f"X: {str(path)!r} is Fortran-ordered; save it in C order to stream it")
        return f.tell(), shape, dtype


class NpySource(DataSource):
    """A C-ordered 2-D numeric array in a `.npy` file, read by row range."""

    def __init__(self, path: str | os.PathLike, offset: int | None = None, shape=None, dtype=None) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"X: no file at {str(self.path)!r}")
        if offset is None:
            offset, shape, dtype = _npy_header(self.path)
        dtype = np.dtype(dtype)
        if dtype.kind not in "fiub" or dtype.hasobject:
            raise TypeError(f"X: {str(self.path)!r} holds {dtype} values; numbers are needed")
        if len(shape) in (3, 4) and min(shape) >= 1:
            image = tuple(int(s) for s in shape[1:])
            raise ValueError(
                f"X: {str(self.path)!r} holds images of shape {tuple(shape)}, but a file streamed by path must hold rows "
                f"(n_samples, n_features): pass the images as an array, np.load(path, mmap_mode='r'), or save them as rows, "
                f"X.reshape(len(X), -1), and give a convolutional model input_shape={image}"
            )
        if len(shape) != 2 or shape[0] < 1 or shape[1] < 1:
            raise ValueError(f"X: {str(self.path)!r} holds an array of shape {tuple(shape)}; a non-empty 2-D array is needed")
        self.offset, self.stored_dtype = int(offset), dtype
        self.float_dtype = np.dtype(np.float32 if dtype == np.float32 else np.float64)
        self.n_rows, self.n_features = int(shape[0]), int(shape[1])

    def read(self, start: int, stop: int, dtype=np.float32) -> np.ndarray:
        count = (stop - start) * self.n_features
        with open(self.path, "rb") as f:
            f.seek(self.offset + start * self.n_features * self.stored_dtype.itemsize)
            block = np.fromfile(f, dtype=self.stored_dtype, count=count)
        if block.size != count:
            raise ValueError(f"X: {self.describe()} is truncated: rows {start}-{stop} are missing")
        return self._checked(block.reshape(stop - start, self.n_features), start, dtype)


def pandas_index_columns(schema) -> list[str]:
    """The columns of a Parquet file's pyarrow `schema` that hold the index pandas wrote (named, or
    '__index_level_0__' for an unnamed one), which pandas reads back as the index, not as columns."""
    metadata = schema.pandas_metadata or {}
    return [str(name) for name in metadata.get("index_columns", []) if isinstance(name, str)]


class ParquetSource(DataSource):
    """Numeric columns of a Parquet file or a folder of them, read one row group at a time; by
    default every column but the index pandas wrote (`pandas_index_columns`), as `pandas.read_parquet`
    gives them."""

    def __init__(self, path: str | os.PathLike, columns: list[str] | None = None) -> None:
        import pyarrow.parquet as pq
        import pyarrow.types as pat

        self.path = Path(path)
        files = [p for p in visible_files(self.path) if p.suffix.lower() in PARQUET_SUFFIXES] if self.path.is_dir() else [self.path]
        if not files or not files[0].exists():
            raise FileNotFoundError(f"X: no Parquet file at {str(self.path)!r}")
        try:
            self._files = [pq.ParquetFile(p) for p in files]
        except Exception as err:  # pyarrow raises its own error types for corrupt files
            raise ValueError(f"X: {str(self.path)!r} is not a readable Parquet file: {err}") from err
        schema = self._files[0].schema_arrow
        index = pandas_index_columns(schema)
        names = columns or [name for name in schema.names if name not in index]
        bad = [n for n in names if n not in schema.names or not (pat.is_integer(schema.field(n).type) or pat.is_floating(schema.field(n).type) or pat.is_boolean(schema.field(n).type))]
        if bad:
            raise ValueError(f"X: {str(self.path)!r} has non-numeric or missing columns {bad}; pass numeric columns only")
        self.columns = names
        self.float_dtype = np.dtype(np.float32 if all(pat.is_float32(schema.field(n).type) for n in names) else np.float64)
        self.feature_names = np.asarray(names, dtype=object)
        self.n_features = len(names)
        self._groups = [(fi, g, f.metadata.row_group(g).num_rows) for fi, f in enumerate(self._files) for g in range(f.num_row_groups)]
        self._starts = np.cumsum([0] + [n for *_, n in self._groups])
        self.n_rows = int(self._starts[-1])
        if self.n_rows == 0:
            raise ValueError(f"X: {str(self.path)!r} has no rows")
        self._cache: tuple[int, np.ndarray] | None = None

    def _group(self, index: int) -> np.ndarray:
        if self._cache is None or self._cache[0] != index:
            fi, g, _ = self._groups[index]
            table = self._files[fi].read_row_group(g, columns=self.columns)
            block = np.column_stack([table.column(c).to_numpy(zero_copy_only=False).astype(self.float_dtype) for c in self.columns])
            self._cache = (index, block)
        return self._cache[1]

    def read(self, start: int, stop: int, dtype=np.float32) -> np.ndarray:
        first = int(np.searchsorted(self._starts, start, side="right") - 1)
        last = int(np.searchsorted(self._starts, stop, side="left"))
        parts = []
        for index in range(first, last):
            lo, hi = self._starts[index], self._starts[index + 1]
            parts.append(self._group(index)[max(start, lo) - lo : min(stop, hi) - lo])
        return self._checked(np.concatenate(parts), start, dtype)

    def chunks(self, chunk_rows: int, stop: int | None = None) -> list[tuple[int, int]]:
        """Consecutive row groups packed into ranges of at most `chunk_rows` rows (a larger group
        split), so a pass reads each group once and small groups (a folder of small files) do
        not cut the training batches short."""
        stop = self.n_rows if stop is None else stop
        out: list[tuple[int, int]] = []
        for lo, hi in zip(self._starts[:-1], self._starts[1:]):
            for s in range(int(lo), int(min(hi, stop)), chunk_rows):
                end = int(min(s + chunk_rows, hi, stop))
                if out and end - out[-1][0] <= chunk_rows:
                    out[-1] = (out[-1][0], end)
                else:
                    out.append((s, end))
        return out
