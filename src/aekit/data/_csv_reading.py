"""CSV files as users bring them: the encoding from a byte-order mark, the delimiter (or runs of
whitespace) sniffed by clevercsv from the first records, a first row of numbers read as data,
common placeholders for missing values, and a ragged row refused with its line number before
pandas pads it with NaN. Every refusal names the file and the fix."""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import itertools
import os
import re
import warnings
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

from aekit.data.columns import is_true_false

__all__ = ["BOMS", "DELIMITERS", "MISSING_PLACEHOLDERS", "boolean_spellings", "cells_as_text", "codes_as_text", "csv_read_options",
           "decode_error", "grouped_numbers", "stray_placeholders", "whole_numbers_with_decimals"]

DELIMITERS = (",", ";", "\t", "|")
MISSING_PLACEHOLDERS = ("?", "-", "NA", "N/A", "n/a", "na", "NaN", "nan", "null", "NULL", "None", "")
SNIFF_RECORDS = 50
SNIFF_CHARS = 16384
TEXT_SAMPLE_ROWS = 2000  # rows of a float column's text read to learn its decimals
WHITESPACE = r"\s+"
_MINUS = "\u2212"  # the minus sign, which some locales' exports write for '-': −1,5
_SIGN = f"[+\\-{_MINUS}]?"
_NUMBER = re.compile(rf"{_SIGN}(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$")
_COMMA_NUMBER = re.compile(rf"{_SIGN}\d+,\d+$")
_POINT_NUMBER = re.compile(rf"{_SIGN}\d*\.\d+([eE][+-]?\d+)?$")
_ZERO_PADDED = re.compile(r"\s*0\d+\s*$")  # a whole number written with leading zeros: 02139, 007
_GROUPED = re.compile(rf"{_SIGN}[1-9]\d{{0,2}}(\.\d{{3}})+(,\d+)?$")  # thousands grouped by points: 7.041, 1.234,56
_SPACES = " \u00a0\u202f"  # thousands grouped by a space, a no-break or a narrow no-break one: 31 114,5 (French, SI)
_SPACED = re.compile(rf"{_SIGN}[1-9]\d{{0,2}}([{_SPACES}]\d{{3}})+([.,]\d+)?$")
_GROUPED_NUMBERS = {  # decimal mark: (a number with or without grouped thousands, one with them)
    ",": (re.compile(rf"{_SIGN}(\d+|[1-9]\d{{0,2}}(\.\d{{3}})+|[1-9]\d{{0,2}}([{_SPACES}]\d{{3}})+)(,\d+)?$"),
          re.compile(rf"{_SIGN}[1-9]\d{{0,2}}(\.\d{{3}}|[{_SPACES}]\d{{3}})+(,\d+)?$")),
    ".": (re.compile(rf"{_SIGN}(\d+|[1-9]\d{{0,2}}(,\d{{3}})+|[1-9]\d{{0,2}}([{_SPACES}]\d{{3}})+)(\.\d+)?$"),
          re.compile(rf"{_SIGN}[1-9]\d{{0,2}}(,\d{{3}}|[{_SPACES}]\d{{3}})+(\.\d+)?$")),
}
BOMS = (  # longest first: the UTF-32 LE mark starts with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_SEP_LINE = re.compile(r"sep=(.)\r?\n")  # the first line by which a spreadsheet's CSV export names its delimiter
_LAYOUT_OPTIONS = {"header", "names", "skiprows", "skipfooter", "comment", "quotechar", "quoting", "escapechar",
                   "lineterminator", "delim_whitespace", "nrows"}


def _open_bytes(path: Path):
    return gzip.open(path, "rb") if path.name.lower().endswith(".gz") else open(path, "rb")


def _encoding_of(path: Path) -> str:
    """The encoding a byte-order mark at the start of the file declares, else UTF-8; refuses
    NUL bytes without a mark (UTF-16 or UTF-32 text that does not say which)."""
    with _open_bytes(path) as f:
        head = f.read(4096)
    encoding = next((name for bom, name in BOMS if head.startswith(bom)), None)
    if encoding is None and b"\x00" in head:
        raise ValueError(
            f"{str(path)!r} holds NUL bytes, so it is not UTF-8 text; if it is UTF-16 pass its encoding "
            "(encoding='utf-16-le' in Python, --encoding utf-16-le on the command line, --set data.encoding=utf-16-le for "
            "aekit train)"
        )
    return encoding or "utf-8"


def _text(path: Path, encoding: str) -> io.TextIOWrapper:
    return io.TextIOWrapper(_open_bytes(path), encoding=encoding, newline="")


def decode_error(path: Path, encoding: str, err: UnicodeDecodeError) -> ValueError:
    """The refusal for bytes that are not `encoding` text, naming the file, the byte and the fix."""
    bad = err.object[err.start : err.end].hex(" ")
    return ValueError(
        f"{str(path)!r} is not valid {encoding} text ({err.reason}: byte {bad}). Save it as UTF-8, or pass its "
        "encoding (encoding='latin-1' in Python, --encoding latin-1 on the command line, --set data.encoding=latin-1 "
        "for aekit train)"
    )


def _blank(text: str, sep: str) -> bool:
    """Whether a line is empty or holds only spaces (tabs too, unless they are the delimiter), as pandas skips it."""
    return not text.rstrip("\r\n").strip(" \t\f\v".replace(sep, ""))


def _records(lines: Iterable[str], sep: str, spaced: bool = False) -> Iterator[tuple[int, list[str]]]:
    """(line number where the record ends, fields) of each record that is not `_blank`; `spaced`
    skips the spaces after each delimiter (so a quoted field after ', ' is read as quoted)."""
    if sep == WHITESPACE:
        yield from ((line, text.split()) for line, text in enumerate(lines, start=1) if text.strip())
        return
    reader = csv.reader(lines, delimiter=sep, skipinitialspace=spaced)
    for fields in reader:
        if len(fields) > 1 or fields and not _blank(fields[0], sep):
            yield reader.line_num, fields


def _sniff(sample: str) -> str:
    """The delimiter among DELIMITERS and a space that clevercsv finds most consistent over the
    first records, up to the line that passes SNIFF_CHARS (rows that agree in length and cell
    types outvote a ragged one); WHITESPACE for a space, ',' when none splits them."""
    try:
        import clevercsv
    except ImportError as err:
        raise ImportError(f"sniffing the delimiter needs clevercsv: pip install 'aekit[data]' ({err})") from err
    sample = sample[: sample.find("\n", SNIFF_CHARS) + 1 or None]
    dialect = clevercsv.Detector().detect(sample, delimiters=[*DELIMITERS, " "])
    sep = dialect.delimiter if dialect is not None else ""
    return WHITESPACE if sep == " " else sep or ","


def _decimal_comma(head: list[list[str]], sep: str) -> bool:
    """Whether numbers in the first records of a file not split by commas are written with a
    decimal comma (1,5, 1.234,5 or 31 114,5) and none with a decimal point (points grouping thousands,
    7.041, are not decimal points there)."""
    cells = [cell.strip() for fields in head for cell in fields]
    commas = any(_COMMA_NUMBER.match(cell) or ("," in cell and (_GROUPED.match(cell) or _SPACED.match(cell))) for cell in cells)
    points = any((_POINT_NUMBER.match(cell) or "." in cell and _SPACED.match(cell)) and not _GROUPED.match(cell) for cell in cells)
    return sep != "," and commas and not points


def _warn_repeated_names(path: Path, names: list[str]) -> None:
    """Warn that the header repeats a column name, which pandas reads as 'x', 'x.1', ..."""
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        listed = ", ".join(f"{name!r} ({names.count(name)} times)" for name in repeated)
        warnings.warn(f"{str(path)!r}: the header repeats the column name {listed}; the later ones are read as "
                      f"{repeated[0] + '.1'!r}, ...; rename them in the file to say which is which", UserWarning, stacklevel=4)


def _spaced(head: list[list[str]]) -> bool:
    """Whether the first records put a space after every delimiter ('a, b, c'): every field
    after the first that is not empty starts with one, and some do."""
    fields = [cell for fields in head for cell in fields[1:] if cell]
    return bool(fields) and all(cell.startswith(" ") for cell in fields)


HEADER_MAX_WORDS = 12  # a first-row cell of this many words is a sentence of data, not a column name


def _first_row_is_data(head: list[list[str]], missing: set[str]) -> bool:
    """Whether the first record looks like data rather than a header: it holds a number, and
    none of its cells is text above a column of numbers; or one of its cells is a sentence
    (HEADER_MAX_WORDS words or more, as no column name is); or every cell is missing (a row
    with no value, as a header without a name is not)."""

    def kind(cell: str) -> str:
        cell = cell.strip()
        return "missing" if cell in missing else "number" if _NUMBER.match(cell) else "text"

    if any(len(cell.split()) >= HEADER_MAX_WORDS for cell in head[0]):
        return True
    first = [kind(cell) for cell in head[0]]
    if first and len(head) > 1 and all(k == "missing" for k in first):
        return True
    below = [{kind(row[j]) for row in head[1:] if j < len(row)} - {"missing"} for j in range(len(first))]
    return "number" in first and not any(k == "text" and b == {"number"} for k, b in zip(first, below))


def _field_counts(path: Path, encoding: str, sep: str, spaced: bool = False) -> Iterator[tuple[int, int]]:
    """(line number where the record ends, number of fields) of each record not `_blank`; counts
    delimiters per line when the file has no quote character, else parses with `csv`."""
    with _text(path, encoding) as f:
        quoted = any('"' in chunk for chunk in iter(lambda: f.read(1 << 20), ""))
    with _text(path, encoding) as f:
        if quoted or sep == WHITESPACE:
            yield from ((line, len(fields)) for line, fields in _records(f, sep, spaced))
            return
        for line, text in enumerate(f, start=1):
            if not _blank(text, sep):
                yield line, text.count(sep) + 1


def _check_rectangular(path: Path, encoding: str, sep: str, header: bool, spaced: bool = False, skip: int = 0) -> None:
    """Refuse a record whose field count differs from the first record's after the first `skip`
    lines, naming its line."""
    counts = ((line, n) for line, n in _field_counts(path, encoding, sep, spaced) if line > skip)
    first = next(counts, None)
    if first is None:
        raise ValueError(f"{str(path)!r} is empty: expected a header line and rows")
    width = first[1]
    for line, n in counts:
        if n != width:
            fix = "add the missing fields (empty for a missing value)" if n < width else "quote the fields that hold the delimiter"
            raise ValueError(
                f"{str(path)!r}: line {line} has {n} fields but the {'header' if header else 'first row'} has "
                f"{width} (delimiter {sep!r}); {fix}, or give the delimiter (sep= in Python, --sep on the command line)"
            )


def csv_read_options(
    path: str | os.PathLike,
    sep: str | None = None,
    encoding: str | None = None,
    na_values: Iterable[str] = (),
    header: bool | int | str | None = "infer",
    decimal_comma: bool | None = None,
    **options,
) -> dict:
    """Options for `pandas.read_csv` on `path`: the encoding (from a byte-order mark unless
    given), the delimiter (sniffed unless given, or named by a first line 'sep=;' as spreadsheets
    export it, which is skipped; WHITESPACE for runs of spaces), a decimal comma
    where a file not split by commas writes its numbers so, the spaces after each delimiter
    skipped where every field is written so ('a, b'), MISSING_PLACEHOLDERS plus `na_values`
    as missing, and the header ("infer" reads a first row of numbers as data, columns x0, x1, ...,
    with a warning). `decimal_comma` True reads a file not split by commas with a decimal comma
    whatever its first records show (a later file of a table whose decimal comma was seen before:
    its 31.114 is 31114), False never; None decides from the first records. Refuses a record whose field count differs from the first's (unless
    `options` lay records out) with a ValueError naming the file and line."""
    path = Path(path)
    encoding = encoding or _encoding_of(path)
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ValueError(f"unknown encoding {encoding!r} for {str(path)!r}; e.g. 'utf-8', 'latin-1', 'utf-16'") from None
    if sep is not None and (not isinstance(sep, str) or len(sep) != 1):
        raise ValueError(f"sep must be one character (e.g. ',', ';' or a tab), got {sep!r}")
    missing = [*MISSING_PLACEHOLDERS, *na_values]
    try:
        with _text(path, encoding) as f:
            sample = "".join(itertools.islice(f, SNIFF_RECORDS))
        layout = set(options) & _LAYOUT_OPTIONS
        named = None if layout else _SEP_LINE.match(sample)  # 'sep=;': the delimiter, on a line of its own
        if named:
            sample, sep, options["skiprows"] = sample[named.end():], sep or named.group(1), 1
        sep = WHITESPACE if sep == " " else sep or _sniff(sample)
        head = [fields for _, fields in _records(io.StringIO(sample, newline=""), sep)] or [[]]
        spaced = sep != WHITESPACE and "skipinitialspace" not in options and _spaced(head)
        if spaced:  # 'a, b, c': names and values without the space, a quoted field after it read as quoted
            head = [fields for _, fields in _records(io.StringIO(sample, newline=""), sep, spaced)]
            options["skipinitialspace"] = True
        if header == "infer":
            header = not _first_row_is_data(head, set(missing))
            if not header:
                note = f"the first row looks like data, so it is read as a row; columns named x0 to x{len(head[0]) - 1}"
                warnings.warn(f"{str(path)!r}: {note}; if it is a header pass header=True (--header)", stacklevel=3)
        if isinstance(header, bool) or header is None:
            if not layout:
                _check_rectangular(path, encoding, sep, bool(header), spaced, skip=1 if named else 0)
            if not header:
                options.setdefault("names", [f"x{j}" for j in range(len(head[0]))])
            elif "names" not in options:
                _warn_repeated_names(path, [name.strip() for name in head[0]])
            header = 0 if header else None
        options["header"] = header
        if "decimal" not in options and (_decimal_comma(head, sep) if decimal_comma is None else decimal_comma and sep != ","):
            options["decimal"] = ","
    except UnicodeDecodeError as err:
        raise decode_error(path, encoding, err) from None
    except csv.Error as err:
        hint = "; a NUL byte suggests UTF-16 text: pass its encoding" if "NUL" in str(err) else ""
        raise ValueError(f"{str(path)!r} is not a readable CSV table ({err}){hint}") from None
    return {"sep": sep, "encoding": encoding, "na_values": missing, "keep_default_na": True, **options}


def grouped_numbers(frame, decimal: str = "."):
    """`frame` with its text columns of numbers whose thousands are grouped (7,041 or 1,234.5
    with a decimal point; 7.041 or 1.234,56 with a decimal comma; by a space, a no-break or a
    narrow no-break one with either, 31 114,5), or with the minus sign U+2212 (−1,5) some
    locales write, which pandas leaves as text,
    as numbers; a text column with any other cell (a dotted date such as 12.03.2020, a
    '2,5' beside a decimal point) is kept.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table as pandas read it; changed in place.
    decimal : {'.', ','}, default='.'
        The decimal mark the file was read with; thousands are grouped by the other.

    Returns
    -------
    pandas.DataFrame
        `frame`, those columns as numbers (int64 when all whole and none missing).
    """
    import pandas as pd

    number, grouped = _GROUPED_NUMBERS[decimal]
    separator = "," if decimal == "." else "."
    for column in frame.columns:
        values = frame[column]
        if not (values.dtype == object or isinstance(values.dtype, pd.StringDtype)):
            continue
        cells = values.dropna().astype(str).str.strip()
        if not len(cells) or not cells.str.fullmatch(number.pattern).all():
            continue
        if cells.str.fullmatch(grouped.pattern).any() or cells.str.contains(_MINUS, regex=False).any():
            plain = cells.str.replace(f"[{separator}{_SPACES}]", "", regex=True).str.replace(decimal, ".", regex=False)
            plain = plain.str.replace(_MINUS, "-", regex=False)
            frame[column] = pd.to_numeric(plain)  # aligned on the index: the missing cells stay missing
    return frame


def decimal_comma_columns(frame):
    """`frame` with its text columns of numbers written with a decimal comma (2,5 or 5,25) as
    numbers, for a file not split by commas that writes other columns with a decimal point
    (so it was read with one). A column whose decimal parts all have three digits (1,234, a
    thousands group or a decimal?) is kept as text.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table as pandas read it with a decimal point; changed in place.

    Returns
    -------
    pandas.DataFrame
        `frame`, those columns as float64 numbers.
    """
    import pandas as pd

    for column in frame.columns:
        values = frame[column]
        if not (values.dtype == object or isinstance(values.dtype, pd.StringDtype)):
            continue
        cells = values.dropna().astype(str).str.strip()
        if not len(cells) or not cells.str.fullmatch(rf"{_SIGN}\d+(,\d+)?").all():
            continue
        fractions = cells.str.extract(r",(\d+)$")[0].dropna()
        if len(fractions) and (fractions.str.len() != 3).any():
            plain = cells.str.replace(",", ".", regex=False).str.replace(_MINUS, "-", regex=False)
            frame[column] = pd.to_numeric(plain)  # aligned: missing cells stay missing
    return frame


def stray_placeholders(frame, most: int = 3) -> dict[str, list[str]]:
    """Text columns of `frame` whose observed cells are mostly numbers but for at most `most`
    distinct words (likely placeholders for missing values the reader did not know): column
    name to those words."""
    import pandas as pd

    found = {}
    for column in frame.columns:
        values = frame[column]
        if not (values.dtype == object or isinstance(values.dtype, pd.StringDtype)):
            continue
        observed = values.dropna().astype(str)
        numeric = pd.to_numeric(observed, errors="coerce").notna()
        words = sorted(set(observed[~numeric]))
        if numeric.mean() >= 0.5 and 0 < len(words) <= most:
            found[str(column)] = words
    return found


def cells_as_text(frame, path: str | os.PathLike, options: dict) -> dict:
    """{position: cells} of the columns of `frame` (`path` as pandas read it with `options`) that
    `codes_as_text`, `boolean_spellings` and `whole_numbers_with_decimals` look at again, as the
    file spells them (text, missing cells missing): every cell of its whole-number and True/False
    columns, and the first TEXT_SAMPLE_ROWS of its other float columns, enough to learn their
    decimals (all of them made reading a 100,000 x 20 float table ten times slower).

    Parameters
    ----------
    frame : pandas.DataFrame
        The table as pandas read it.
    path : str or os.PathLike
        The CSV file, read again for those columns' text.
    options : dict
        The `pandas.read_csv` options `frame` was read with.

    Returns
    -------
    dict of int to pandas.Series
        Each such column's cells, by its position in `frame`.
    """
    import pandas as pd

    whole = [j for j, column in enumerate(frame.columns) if _whole_numbers(frame[column].to_numpy()) or is_true_false(frame[column])]
    floats = [j for j, column in enumerate(frame.columns) if frame[column].dtype.kind == "f" and j not in whole]
    cells = {}
    sample = {"nrows": min(TEXT_SAMPLE_ROWS, options.get("nrows") or TEXT_SAMPLE_ROWS)}
    for needed, rows in ((whole, {}), (floats, sample)):
        if needed:
            text = pd.read_csv(path, **{**options, "usecols": needed, "dtype": str, **rows})
            cells.update({j: text.iloc[:, k] for k, j in enumerate(needed)})
    return cells


def codes_as_text(frame, cells: dict):
    """`frame` with each column of whole numbers that holds one written with leading zeros (a zip
    code 02139, a code 007), or that has gaps and one beyond 2**53 (an 18-digit account number,
    which pandas' float64 rounds), as the text of its cells, which a number would lose.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table as pandas read it; changed in place.
    cells : dict of int to pandas.Series
        `cells_as_text` of it.

    Returns
    -------
    pandas.DataFrame
        `frame`, those columns as text (missing cells missing).
    """
    import numpy as np

    for j, text in cells.items():
        values = frame[frame.columns[j]].to_numpy()
        if not _whole_numbers(values):
            continue
        rounded = values.dtype.kind == "f" and bool(np.nanmax(np.abs(values), initial=0) >= 2.0**53)
        if rounded or text.dropna().str.match(_ZERO_PADDED.pattern).any():
            frame[frame.columns[j]] = text.to_numpy(dtype=object)
    return frame


def boolean_spellings(frame, cells: dict) -> dict[str, tuple[str, str]]:
    """{column: (its text for True, for False)} for each column of `frame` that pandas read as
    True/False from cells spelled other than 'True'/'False' (TRUE/FALSE, true/false; the most
    frequent spelling of each where they mix), so that a table written back spells them as the
    file did.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table as pandas read it.
    cells : dict of int to pandas.Series
        `cells_as_text` of it.

    Returns
    -------
    dict of str to tuple of (str, str)
        The spellings of the columns whose cells were not written 'True' and 'False'.
    """
    import numpy as np

    spellings = {}
    for j, text in cells.items():
        if not is_true_false(frame[frame.columns[j]]):
            continue
        values, texts = frame[frame.columns[j]].to_numpy(dtype=object), text.to_numpy(dtype=object)
        spelled = [Counter(str(c).strip() for v, c in zip(values, texts) if isinstance(v, (bool, np.bool_)) and bool(v) is b)
                   for b in (True, False)]
        pair = tuple(s.most_common(1)[0][0] if s else str(b) for s, b in zip(spelled, (True, False)))
        if pair != ("True", "False"):
            spellings[str(frame.columns[j])] = pair
    return spellings


def whole_numbers_with_decimals(frame, cells: dict, decimal: str) -> dict[str, int]:
    """{column: decimals} for each float column of `frame` whose observed cells the file wrote
    with one number of decimals (prices 19.90 and 50.00: 2), so that a table written back keeps
    them; and 0 for each other float column of whole numbers written with a decimal mark and zeros
    somewhere (45636.0 beside 45636.00), so that it stays floats rather than taken for counts read
    as floats because of their gaps.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table as pandas read it.
    cells : dict of int to pandas.Series
        `cells_as_text` of it (the first rows only of float columns not of whole numbers).
    decimal : str
        The decimal mark the file was read with, '.' or ','.

    Returns
    -------
    dict of str to int
        The decimals written in each such column, 0 where they differ from cell to cell. A column
        known from sampled cells counts only when every value of it fits their decimals.
    """
    import numpy as np

    found = {}
    for j, text in cells.items():
        values = frame[frame.columns[j]]
        if values.dtype.kind != "f":
            continue
        written = text.dropna().str.strip()
        places = written.str.extract(f"^[^{re.escape(decimal)}]*{re.escape(decimal)}([0-9]+)$", expand=False)
        if len(written) and places.notna().all() and places.str.len().nunique() == 1:
            d = int(places.str.len().iloc[0])
            scaled = values.dropna().to_numpy(dtype=np.float64) * 10.0**d
            if np.all(np.abs(scaled - np.round(scaled)) <= 1e-9 * np.maximum(1.0, np.abs(scaled))):
                found[str(frame.columns[j])] = d
        elif _whole_numbers(values.to_numpy()) and written.str.contains(f"{re.escape(decimal)}0+$").any():
            found[str(frame.columns[j])] = 0
    return found


def _whole_numbers(values) -> bool:
    """Whether `values` (n,) are integers, or floats whole where observed (integers with gaps); an
    infinity is no whole number."""
    import numpy as np

    if values.dtype.kind in "iu":
        return True
    return values.dtype.kind == "f" and bool(np.all(np.isnan(values) | (np.isfinite(values) & (values == np.round(values)))))
