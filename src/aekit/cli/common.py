"""What the `aekit` subcommands share: argument types, errors, tables of numbers, writing arrays."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import numpy as np

from aekit.data.datasets import BOOLEAN_SPELLINGS
from aekit.saving.atomic import replaced_atomically

__all__ = [
    "CLIError",
    "GUESSED_HEADER",
    "RUN_HEADER",
    "add_command",
    "add_encoding_option",
    "add_header_option",
    "check_header_given_with",
    "csv_writing",
    "folder",
    "id_column_name",
    "int_in_range",
    "integer_ids",
    "plain_float_format",
    "positive_float",
    "print_table",
    "seed",
    "spelled_booleans",
    "typed_ids",
    "write_array",
    "write_images",
]

GUESSED_HEADER = "guessed: a first row of numbers is read as data"  # what --header left out does when a file's is read anew
RUN_HEADER = ("as the run's training table was read; a model folder's rows are guessed. A file read with the other header "
              "than the training table's has its columns taken in that table's order")  # the same for a run's new rows
PLAIN_FROM, PLAIN_BELOW = 1e-10, 1e16  # magnitudes a CSV gets in positional notation (0.000008305, not 8.305e-06)
_CANONICAL_INTEGER = re.compile(r"0|-?[1-9][0-9]{0,18}")


class CLIError(Exception):
    """A refusal to show the user as one line (no traceback); `status` is the exit status.

    Parameters
    ----------
    message : str
        What was refused and why, shown after 'aekit COMMAND: error: '.
    status : int, default=1
        The exit status `main` returns.
    """

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


def int_in_range(low: int, high: int | None = None):
    """An argparse `type` accepting integers in [low, high], also written as whole numbers ('8.0', '1e3').

    Parameters
    ----------
    low : int
        Smallest accepted value.
    high : int, default=None
        Largest accepted value; None for no upper bound.

    Returns
    -------
    callable
        The parser of one argument, raising `argparse.ArgumentTypeError` for other text.
    """

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            whole = _whole_number(text)
            if whole is None:
                raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
            value = whole
        if value < low or (high is not None and value > high):
            bound = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise argparse.ArgumentTypeError(f"must be {bound}, got {value}")
        return value

    return parse


def seed(text: str) -> int:
    """An argparse `type` for --seed: the integer (NumPy and torch both take 0 to 2**32 - 1;
    '5.0' is 5), else `argparse.ArgumentTypeError`.

    Parameters
    ----------
    text : str
        What follows --seed.
    """
    return int_in_range(0, 2**32 - 1)(text)


def _whole_number(text: str) -> int | None:
    """The int a number written with a fraction or exponent denotes ('8.0', '1e3'), if it is whole; else None."""
    try:
        value = float(text)
    except ValueError:
        return None
    return int(value) if value.is_integer() else None


def positive_float(text: str) -> float:
    """An argparse `type` accepting a finite number > 0.

    Parameters
    ----------
    text : str
        The argument as typed.

    Returns
    -------
    float
        The number; other text raises `argparse.ArgumentTypeError`.
    """
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not (value > 0 and np.isfinite(value)):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text}")
    return value


def folder(text: str) -> Path:
    """An argparse `type` for a folder to write: any path but an empty one (an unset shell
    variable), which would make the working folder itself the output.

    Parameters
    ----------
    text : str
        The argument as typed.

    Returns
    -------
    Path
        The folder; empty or blank text raises `argparse.ArgumentTypeError`.
    """
    if not text.strip():
        raise argparse.ArgumentTypeError("is empty, which would write into the working folder itself; give a folder")
    return Path(text)


def add_command(commands, name: str, summary: str, description: str, examples: str, handler) -> argparse.ArgumentParser:
    """A subcommand with a one-line summary (for `aekit --help`), a description and examples.

    Parameters
    ----------
    commands : argparse subparsers action
        What `ArgumentParser.add_subparsers` returned.
    name : str
        The subcommand, e.g. 'encode'.
    summary : str
        One line shown in `aekit --help`.
    description : str
        The subcommand's help text, shown as written.
    examples : str
        Example command lines, shown after 'examples:'.
    handler : callable
        Runs the subcommand: takes the parsed `argparse.Namespace`, returns the exit status.

    Returns
    -------
    argparse.ArgumentParser
        The subcommand's parser, to add its arguments to.
    """
    parser = commands.add_parser(
        name,
        help=summary,
        description=description,
        epilog="examples:\n" + examples,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(handler=handler)
    return parser


def add_encoding_option(parser: argparse.ArgumentParser, source: str = "INPUT") -> None:
    """Add --encoding NAME: the text encoding of the rows a run's command reads anew.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The subcommand's parser.
    source : str, default='INPUT'
        The argument naming those rows, e.g. '--data'.
    """
    parser.add_argument(
        "--encoding", metavar="NAME",
        help=f"the text encoding of {source}'s CSV file or .txt files, e.g. latin-1 (default: as the run's training "
        "data were read, its data.encoding; a model folder's: utf-8)",
    )


def add_header_option(parser: argparse.ArgumentParser, default: object, default_help: str) -> None:
    """Add --header / --no-header: whether a CSV's first row names the columns.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The subcommand's parser.
    default : object
        The value when neither is given ('infer' to guess, None to leave it to the run).
    default_help : str
        What that default means, shown after 'default: ' in the help.
    """
    parser.add_argument(
        "--header", action=argparse.BooleanOptionalAction, default=default,
        help=f"whether a CSV's first row names the columns (default: {default_help})",
    )


def check_header_given_with(args: argparse.Namespace, source: str | None, option: str) -> None:
    """Refuse --header / --no-header given without the `option` that names the file it reads.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line, with `header` (None when neither was given).
    source : str or None
        What `option` gave; None when it was left out.
    option : str
        The option naming the rows to read, e.g. '--data'.
    """
    if source is None and args.header is not None:
        raise CLIError(f"--{'' if args.header else 'no-'}header says how {option}'s CSV file is read; without {option} "
                       f"the run's own rows are read as in training: give {option} FILE, or leave it out")


def print_table(rows: list[list]) -> None:
    """Print rows (header first) as aligned columns, numbers to 4 significant digits.

    Parameters
    ----------
    rows : list of list
        The table, header row first; floats are shown to 4 significant digits, other values
        as text.
    """
    cells = [[f"{v:.4g}" if isinstance(v, float) else str(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(cells[0]))]
    for row in cells:
        print(("  " + "  ".join(v.ljust(w) for v, w in zip(row, widths))).rstrip())


def write_array(path: str | Path, X, columns: list[str] | None = None, ids: list[str] | None = None) -> Path:
    """Save X (n, k) as .npy, or as .csv or .parquet with a header of `columns` (default c0,
    c1, ...), after a first column `id` holding `ids` (n,) when given, to join rows back to
    their source. A CSV holds each number with the digits its column's dtype prints (a float32 one as
    float32, without the digits of its float64 widening), in positional notation as
    `plain_float_format` writes it.

    Parameters
    ----------
    path : str or pathlib.Path
        The output file, ending in .npy, .csv or .parquet (else a CLIError); its folder is created.
    X : array-like of shape (n, k), or pandas.DataFrame
        The rows; a DataFrame's columns keep their dtypes and names in a .csv or .parquet.
    columns : list of str, default=None
        The table's column names; None is c0, c1, ... (a DataFrame's own). Ignored for .npy.
    ids : list of str, default=None
        One identifier per row, written as the table's first column 'id' (`id_column_name`:
        '_id' beside a column named 'id'), as integers when all are integers (`typed_ids`).
        Ignored for .npy.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    path = Path(path)
    kind = path.suffix.lower()
    if kind not in (".npy", ".csv", ".parquet"):
        raise CLIError(f"{str(path)!r}: the output must end in .npy, .csv or .parquet")
    path.parent.mkdir(parents=True, exist_ok=True)
    with replaced_atomically(path) as tmp:
        if kind == ".npy":
            with open(tmp, "wb") as f:  # np.save given a name not ending in '.npy' (CODES.NPY) would append one
                np.save(f, np.asarray(X), allow_pickle=False)
        elif kind == ".csv":
            read = X.attrs if hasattr(X, "attrs") else {}
            spelled_booleans(_as_frame(X, columns, ids), read.get(BOOLEAN_SPELLINGS, {})).to_csv(
                tmp, index=False, **csv_writing(read))
        else:
            _as_frame(X, columns, ids).to_parquet(tmp, index=False)
    return path


def csv_writing(read: dict) -> dict:
    """The `pandas.DataFrame.to_csv` options of a CSV written of a table read with `read` (its
    frame's attrs: 'sep', 'decimal_comma', 'encoding'): a ';' table's ';' and decimal commas, so a
    spreadsheet set for them opens it in columns, else commas and decimal points; the table's text
    encoding (UTF-8 when unknown); numbers as `plain_float_format` writes them.

    Parameters
    ----------
    read : dict
        How the table was read: 'sep' (';' or another), 'decimal_comma' (bool) and 'encoding',
        any of them absent.

    Returns
    -------
    dict
        sep, decimal, encoding and float_format for `pandas.DataFrame.to_csv`.
    """
    sep = ";" if read.get("sep") == ";" else ","
    decimal = "," if read.get("decimal_comma") and sep == ";" else "."
    encoding = read.get("encoding") or "utf-8"
    return {"sep": sep, "decimal": decimal, "encoding": encoding, "float_format": plain_float_format(decimal)}


def plain_float_format(decimal: str = "."):
    """A `float_format` for `pandas.DataFrame.to_csv` that writes a number of magnitude from
    PLAIN_FROM (1e-10) to PLAIN_BELOW (1e16) in positional notation, with the fewest digits that
    read back as it in its own dtype (a rate 0.000008305, which pandas writes as 8.305e-06), and
    others, and zero, as pandas does.

    Parameters
    ----------
    decimal : str, default='.'
        The decimal mark written (',' for a ';' CSV with decimal commas).

    Returns
    -------
    callable
        The formatter, from a NumPy float scalar to its text.
    """
    def text(value) -> str:
        plain = PLAIN_FROM <= abs(value) < PLAIN_BELOW
        shown = np.format_float_positional(value, unique=True, trim="0") if plain else str(value)
        return shown.replace(".", decimal)

    return text


def write_images(folder: str | Path, X: np.ndarray, shape: tuple[int, ...], value_range: tuple[float, float] | None, ids: list[str]) -> Path:
    """Save each row of X (n, prod(shape)) as an 8-bit PNG in `folder`, named after its id: an input
    file's relative path with the suffix .png (its subfolders kept), a row number padded to one width.
    A folder already holding PNGs that these do not replace (an earlier command's other images) is
    refused, before any is written, so the folder never mixes images of two commands.

    Parameters
    ----------
    folder : str or pathlib.Path
        The folder to write in; created with the subfolders the names need.
    X : ndarray of shape (n, n_features)
        Channels-first images, flattened.
    shape : tuple of int
        One row's image shape, (height, width) or (1 or 3, height, width).
    value_range : tuple of float or None
        The values drawn black and white (`aekit.app.plot.image_bytes`); None is X's finite range.
    ids : list of str
        One identifier per row (`Dataset.row_ids`).

    Returns
    -------
    pathlib.Path
        The folder.
    """
    from PIL import Image

    from aekit.app.plot import image_bytes

    folder = Path(folder)
    chw = tuple(shape) if len(shape) == 3 else (1, *shape)
    width = len(str(max(len(ids) - 1, 0)))
    names = [f"{int(i):0{width}d}.png" if i.isdigit() else Path(i).with_suffix(".png").as_posix() for i in ids]
    if len(set(names)) < len(names):  # photo.jpg and photo.png
        names = [f"{i}.png" for i in ids]
    others = sorted(set(p.relative_to(folder).as_posix() for p in folder.rglob("*.png")) - set(names)) if folder.is_dir() else []
    if others:
        raise CLIError(f"OUTPUT {str(folder)!r} already holds {len(others)} PNG image{'s' * (len(others) > 1)} that these "
                       f"{len(names)} would not replace ({', '.join(others[:3])}{', ...' * (len(others) > 3)}), which would "
                       "be mixed with them: give a new or empty folder, or remove those images first")
    for image, name in zip(image_bytes(X, chw, value_range), names):
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with replaced_atomically(path) as tmp:
            Image.fromarray(image[0] if chw[0] == 1 else image.transpose(1, 2, 0)).save(tmp, format="PNG")
    return folder


def spelled_booleans(frame, spellings: dict[str, tuple[str, str]]):
    """`frame` with the True/False of each column named in `spellings` written as the CSV it was
    read from spelled them (`aekit.data.datasets.BOOLEAN_SPELLINGS`: TRUE/FALSE), gaps left.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table to write.
    spellings : dict of str to (str, str)
        Column name to its texts for True and for False.

    Returns
    -------
    pandas.DataFrame
        `frame`, or a copy with those columns as text.
    """
    out = frame
    for j, column in enumerate(frame.columns):
        if str(column) in spellings:
            true, false = spellings[str(column)]
            values = frame.iloc[:, j].map(lambda v: (true if v else false) if isinstance(v, (bool, np.bool_)) else v)
            out = out.copy() if out is frame else out
            out.isetitem(j, values.astype(object))
    return out


def _as_frame(X, columns: list[str] | None, ids: list[str] | None):
    """X (n, k) as a DataFrame of `columns` (default c0, c1, ...; a DataFrame's own) after a
    first column of `ids` (`id_column_name`) when given."""
    import pandas as pd

    if isinstance(X, pd.DataFrame):
        table = X.reset_index(drop=True)
    else:
        X = np.asarray(X)
        table = pd.DataFrame(X, columns=columns or [f"c{i}" for i in range(X.shape[1])])
    return table if ids is None else pd.concat([pd.DataFrame({id_column_name(table.columns): typed_ids(ids)}), table], axis=1)


def integer_ids(ids) -> bool:
    """Whether every identifier is an integer written canonically (17, -3; not '00501', '+4'
    or '1.0') that fits in int64.

    Parameters
    ----------
    ids : iterable of str
        The row identifiers.

    Returns
    -------
    bool
        True when all are such integers (also when there are none).
    """
    for text in ids:
        if not _CANONICAL_INTEGER.fullmatch(text) or not -(2**63) <= int(text) < 2**63:
            return False
    return True


def typed_ids(ids, integers: bool | None = None):
    """The identifiers as int64 values when they are integers, so a table written with them
    merges back on an integer key; else as they are.

    Parameters
    ----------
    ids : iterable of str
        The row identifiers, (n,).
    integers : bool or None, default=None
        Whether to write them as integers; None decides from `ids` themselves (`integer_ids`).

    Returns
    -------
    ndarray of int64 or list of str
        The (n,) identifiers.
    """
    ids = list(ids)
    return np.array([int(i) for i in ids], dtype=np.int64) if (integer_ids(ids) if integers is None else integers) else ids


def id_column_name(columns) -> str:
    """The name of the column of row identifiers written beside `columns`: 'id', or '_id'
    (then '__id', ...) when one of them is already named so.

    Parameters
    ----------
    columns : iterable
        The names of the other columns.

    Returns
    -------
    str
        A name none of `columns` has.
    """
    taken, name = {str(c) for c in columns}, "id"
    while name in taken:
        name = "_" + name
    return name
