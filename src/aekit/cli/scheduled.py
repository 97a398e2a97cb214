"""`--scheduler ADDRESS`: what `aekit encode`, `reconstruct`, `detect` and `impute` share when
they run on a Dask `distributed` cluster instead of in one process.

The input, a Parquet file or folder, is read lazily (`dask.dataframe.read_parquet`); each command
applies its fitted model partition by partition with `aekit.engines.dask.apply` (the model
shipped once per worker); the output is a folder of Parquet files, one per input partition,
named so that their sorted order is the rows' order (`part.000000.parquet`, ...), which pandas,
pyarrow, Dask and Spark all read back in that order. Needs `pip install 'aekit[dask]'`.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
import re
import warnings
from pathlib import Path

from aekit.cli.common import CLIError, positive_float
from aekit.data._sources import pandas_index_columns

__all__ = ["CONNECT_TIMEOUT", "add_scheduler_options", "check_scheduler_options", "columns_with_gaps", "dask_cluster", "parquet_folder", "parquet_index", "part_name", "read_parquet_lazily", "text_dtype", "write_parquet"]

_PARQUET = (".parquet", ".pq")
CONNECT_TIMEOUT = 10.0  # seconds: for the scheduler to answer, and again for a worker to join


def add_scheduler_options(parser: argparse.ArgumentParser, output: str) -> None:
    """Add --scheduler and --connect-timeout to a command's parser.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The command's parser.
    output : str
        How the command's help names its output (e.g. 'OUT'), for the help text.
    """
    parser.add_argument(
        "--scheduler", metavar="ADDRESS",
        help="run on the Dask cluster whose scheduler is at ADDRESS (e.g. tcp://host:8786), partition by partition: "
             f"the input must be a Parquet file or folder, {output} is a new folder of Parquet files in the input's "
             "row order (needs pip install 'aekit[dask]')",
    )
    parser.add_argument(
        "--connect-timeout", type=positive_float, metavar="SECONDS",
        help=f"with --scheduler: how long to wait for the scheduler to answer, and again for a worker (default: {CONNECT_TIMEOUT:g})",
    )


def check_scheduler_options(args: argparse.Namespace) -> str | None:
    """What is wrong with the parsed command line's --scheduler options (None when nothing):
    --connect-timeout given without --scheduler, which it would not change.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line, with or without the options of `add_scheduler_options`.

    Returns
    -------
    str or None
        The refusal's message.
    """
    if getattr(args, "connect_timeout", None) is not None and not getattr(args, "scheduler", None):
        return "--connect-timeout applies only with --scheduler ADDRESS (how long to wait for that cluster)"
    return None


def _check_installed() -> None:
    try:
        import dask.dataframe  # noqa: F401
        import distributed  # noqa: F401
    except ImportError as err:
        raise CLIError(f"--scheduler needs dask and distributed: pip install 'aekit[dask]' ({err})") from None


@contextmanager
def dask_cluster(args: argparse.Namespace) -> Iterator[object]:
    """A `distributed.Client` connected to `args.scheduler` within `args.connect_timeout`
    seconds (None: CONNECT_TIMEOUT), with at least one worker within as long again, closed on
    exit; text columns are read as pandas reads them (no pyarrow strings).

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line: `scheduler` and `connect_timeout`.

    Yields
    ------
    distributed.Client
        The connected client, also the default one while the block runs.
    """
    _check_installed()
    import dask
    from distributed import Client

    timeout = args.connect_timeout or CONNECT_TIMEOUT

    try:
        client = Client(args.scheduler, timeout=timeout, set_as_default=True)
    except (OSError, TimeoutError, ValueError) as err:
        raise CLIError(
            f"--scheduler {args.scheduler}: no Dask scheduler answered within {timeout:g} s "
            f"({type(err).__name__}: {err})"
        ) from None
    try:
        try:
            client.wait_for_workers(1, timeout=timeout)
        except TimeoutError:
            raise CLIError(
                f"--scheduler {args.scheduler}: the scheduler has no worker (none joined within {timeout:g} s)"
            ) from None
        with dask.config.set({"dataframe.convert-string": False}):
            yield client
    finally:
        client.close()


def read_parquet_lazily(path: str):
    """The Parquet file or folder at `path` as a lazy Dask DataFrame, one partition per file or
    row group; any other input is refused naming --scheduler. Reads only the files' metadata,
    so it can run before connecting to the cluster.

    Parameters
    ----------
    path : str
        A .parquet (.pq) file or a folder holding them.

    Returns
    -------
    dask.dataframe.DataFrame
        The table, not read yet.
    """
    _check_installed()
    import dask
    import dask.dataframe as dd

    source = Path(path).expanduser()
    if not source.exists():
        raise FileNotFoundError(f"no data at {path!r}")
    is_parquet = source.suffix.lower() in _PARQUET if source.is_file() else any(
        p.suffix.lower() in _PARQUET for p in source.rglob("*") if p.is_file()
    )
    if not is_parquet:
        raise CLIError(
            f"--scheduler reads Parquet: {path!r} is not a .parquet file or a folder of them (convert it first, "
            "e.g. pandas.read_csv(...).to_parquet(...), or run without --scheduler)"
        )
    with dask.config.set({"dataframe.convert-string": False}), warnings.catch_warnings():
        # dask's reader resets a named index in place, which pandas 3.1 deprecates: its code, not the user's data
        warnings.filterwarnings("ignore", message="The inplace keyword in DataFrame.reset_index")
        table = dd.read_parquet(str(source), index=False)  # a named index (pandas' to_parquet) is a column, as in one process
    unnamed = [c for c in table.columns if re.fullmatch(r"__index_level_\d+__", str(c))]
    return table.drop(columns=unnamed) if unnamed else table


def parquet_index(path: str) -> list[str]:
    """The names of the named index pandas wrote into the Parquet file or folder at `path` (its
    first file's metadata), which `read_parquet_lazily` reads as the first columns; [] for none.

    Parameters
    ----------
    path : str
        A .parquet (.pq) file or a folder holding them.

    Returns
    -------
    list of str
        The index's column names.
    """
    import pyarrow.parquet as pq

    files = _parquet_files(path)
    index = pandas_index_columns(pq.read_schema(files[0])) if files else []
    return [name for name in index if not name.startswith("__index_level_")]


def columns_with_gaps(path: str, table) -> set[str]:
    """The float columns of the Parquet file or folder at `path` that hold a missing value, from
    its files' null counts; a column whose files lack them is looked at in `table` (the same
    data as `read_parquet_lazily` gives it) on the cluster.

    Parameters
    ----------
    path : str
        A .parquet (.pq) file or a folder holding them.
    table : dask.dataframe.DataFrame
        The lazily read table.

    Returns
    -------
    set of str
        The names of the float columns with a missing value.
    """
    import pyarrow.parquet as pq

    floats = {str(c) for c in table.columns if table[c].dtype.kind == "f"}
    gapped, unknown = set(), set()
    for file in _parquet_files(path):
        metadata = pq.read_metadata(file)
        for i in range(metadata.num_row_groups):
            group = metadata.row_group(i)
            for j in range(group.num_columns):
                chunk = group.column(j)
                stats = chunk.statistics
                if stats is None or not stats.has_null_count:
                    unknown.add(chunk.path_in_schema)
                elif stats.null_count:
                    gapped.add(chunk.path_in_schema)
    unseen = [c for c in table.columns if str(c) in (unknown - gapped) & floats]
    if unseen:
        gapped |= {str(c) for c, any_gap in table[unseen].isna().any().compute().items() if any_gap}
    return gapped & floats


def _parquet_files(path: str) -> list[Path]:
    """The Parquet file at `path`, or the .parquet (.pq) files of the folder at `path`, sorted."""
    source = Path(path).expanduser()
    return [source] if source.is_file() else sorted(p for p in source.rglob("*") if p.is_file() and p.suffix.lower() in _PARQUET)


def parquet_folder(path: str | None, option: str) -> Path:
    """The output folder `path`, checked before any work: a new or empty folder (no suffix, or
    .parquet), not a file.

    Parameters
    ----------
    path : str or None
        The output the command was given.
    option : str
        The output's name in the command's help (e.g. 'OUT', '--out'), for the message.

    Returns
    -------
    pathlib.Path
        The folder to write the Parquet files into.
    """
    if path is None:
        raise CLIError(f"--scheduler writes its results to a folder of Parquet files: give {option} FOLDER")
    target = Path(path).expanduser()
    if target.suffix.lower() not in ("", *_PARQUET) or target.is_file():
        raise CLIError(
            f"with --scheduler, {option} is a folder to write Parquet files into (e.g. scores/ or scores.parquet), "
            f"not the file {path!r}"
        )
    if target.is_dir() and any(target.iterdir()):
        raise CLIError(f"{option} {path!r} already holds files; remove them or give a new folder")
    return target


def text_dtype():
    """The dtype of the text columns the cluster writes: the one pandas gives a column of text in
    one process (pandas 3's str), else 'string' (an object column's empty meta writes no Parquet type).

    Returns
    -------
    pandas dtype or str
        E.g. ``pandas.StringDtype(na_value=nan)``.
    """
    import pandas as pd

    inferred = pd.Series(["text"]).dtype
    return "string" if inferred == object else inferred


def part_name(i: int) -> str:
    """The file name of output partition `i`, zero-padded so that sorting by name keeps the order.

    Parameters
    ----------
    i : int
        The partition's number.

    Returns
    -------
    str
        E.g. 'part.000012.parquet'.
    """
    return f"part.{i:06d}.parquet"


def write_parquet(frame, folder: Path, *also, index: list[str] = ()) -> tuple:
    """Write the lazy `frame` to `folder`, one file per partition, its columns `index` (the
    input's named index, `parquet_index`) as each file's index again, computing the lazy values
    `also` (counts, sums) in the same pass over the data.

    Parameters
    ----------
    frame : dask.dataframe.DataFrame
        The rows to write; its own index is not written.
    folder : pathlib.Path
        The output folder (see `parquet_folder`).
    *also : dask collections
        Values computed alongside, e.g. ``frame.shape[0]``.
    index : list of str, default=()
        Columns of `frame` written as the files' index.

    Returns
    -------
    tuple
        The computed values of `also`.
    """
    import dask

    folder.mkdir(parents=True, exist_ok=True)
    index = [name for name in index if name in {str(c) for c in frame.columns}]
    if index:
        frame = frame.map_partitions(lambda part: part.set_index(index))
    written = frame.to_parquet(str(folder), write_index=bool(index), name_function=part_name, compute=False)
    return tuple(dask.compute(written, *also)[1:])
