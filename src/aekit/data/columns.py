"""Columns of a table that are not features: identifiers (every value a distinct text, or a
distinct whole number counting in row order or filling a narrow range, such as a `patient_id`
counting 1..n), dates and times, constant columns and empty ones (no value in any row), found in a DataFrame, or named by the user. The estimators that take DataFrames leave them out of the
model with a warning naming them, and the commands carry an identifier through to the output."""

from __future__ import annotations

import datetime
import re
import sys
import warnings
from collections.abc import Sequence
from numbers import Integral
from pathlib import Path

import numpy as np

__all__ = ["EMPTY", "IDENTIFIER_NAMES", "IDENTIFIER_SPAN", "IDENTIFIER_WORDS", "IGNORED", "KEEP_HINT", "MIN_ROWS_FOR_IDENTIFIERS", "STRAY_WORDS", "check_array_ignore", "check_ignore_columns", "is_constant", "is_dates", "is_durations", "is_empty", "is_free_text", "is_identifier", "is_marked_numbers", "is_true_false", "leave_out",
           "non_features", "user_stacklevel"]  # fmt: skip

STRAY_WORDS = "stray_words"  # a frame's attrs key: {column: words} a CSV reader warned about already
MIN_ROWS_FOR_IDENTIFIERS = 20  # fewer rows are too easily all distinct by chance, unless the column is named like one
IDENTIFIER_WORDS = ("id", "ids", "uid", "uuid")  # a column name's last word that names its rows (patient_id, PatientID)
IDENTIFIER_NAMES = ("#", "idx", "index", "key", "no", "row", "row_number", "rowid", "rownum")  # whole names that do
IDENTIFIER_SPAN = 10  # distinct whole numbers in no order spread over at most this many times their count are codes
IDENTIFIER, CONSTANT, IGNORED = "an identifier (every value distinct)", "constant", "named in ignore_columns"
EMPTY = "empty (no value in any row)"
KEEP_HINT = " (ignore_columns=None keeps them)"  # how Python keeps the columns found; the commands say it their way
FREE_TEXT = "free text (sentences or documents, nearly one per row), not categories"
FREE_TEXT_WORDS = 4  # median words per entry from which a text column of mostly distinct entries is free text
DATES = "a column of dates or times (turn them into numbers, such as days since a date or a weekday, to use them)"
MARKED_NUMBERS = "numbers written with a currency sign or % (strip the signs and convert the column to numbers to use it)"
_MARKED_NUMBER = re.compile(r"\s*[-+]?\s*[$€£¥]?\s*[-+]?\d[\d,.' ]*\s*[%$€£¥]?\s*")
DURATIONS = "a column of durations (turn them into numbers, such as seconds with .dt.total_seconds(), to use them)"
_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?"
          r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_CLOCK = r"(?:,? \d{1,2}:\d{2}(?::\d{2})?(?: ?[ap]m)?)?"
_WEEKDAY = r"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,? )?"
_TIME = r"\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?: ?[ap]m)?"
_DATE_TEXT = re.compile(  # ISO 2020-01-31 (with a time, T or space, and a zone or not), 2020/01/31, 2020.01.31; 31/01/2020,
    # 01/31/20, 31.01.2020, 31-01-2020; a month 2020-01; with the month's name (and the weekday's or not): Jan 01 2024,
    # January 1, 2024, 1 Jan 2024, 01-Jan-2024, Wed, 01 Jan 2020, Jan 2024 (and a time after any of them); a time 14:30
    r"\d{4}([-/.])\d{1,2}\1\d{1,2}(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
    r"|\d{1,2}([/.-])\d{1,2}\2(?:\d{4}|(?<![-])\d{2})(?: \d{1,2}:\d{2}(?::\d{2})?)?"
    r"|(?:1[6-9]|20)\d{2}-(?:0[1-9]|1[0-2])"
    rf"|{_WEEKDAY}{_MONTH} \d{{1,2}}(?:st|nd|rd|th)?,? \d{{4}}{_CLOCK}"
    rf"|{_WEEKDAY}\d{{1,2}}[ -]{_MONTH}[ -]\d{{4}}{_CLOCK}"
    rf"|{_MONTH},? \d{{4}}"
    rf"|{_TIME}",
    re.IGNORECASE,
)


_AEKIT = str(Path(__file__).parents[1])


def user_stacklevel() -> int:
    """The `stacklevel` for a `warnings.warn` in the caller of this function that names the
    first frame outside aekit and scikit-learn (the user's call), however deep the call
    within them."""
    sklearn = sys.modules.get("sklearn")
    roots = (_AEKIT, str(Path(sklearn.__file__).parent)) if sklearn is not None else (_AEKIT,)
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename.startswith(roots):
        frame, level = frame.f_back, level + 1
    return level


def _named_like_an_identifier(name) -> bool:
    """Whether a column's name names row identifiers: it ends in a word of IDENTIFIER_WORDS (id,
    patient_id, PatientID) or is one of IDENTIFIER_NAMES (index, row, ...), in any case."""
    words = re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+", str(name))
    return bool(words) and words[-1].lower() in IDENTIFIER_WORDS or str(name).strip().lower() in IDENTIFIER_NAMES


def is_identifier(values) -> bool:
    """True for a pandas Series of at least MIN_ROWS_FOR_IDENTIFIERS observed values, all
    distinct, and all texts or all whole numbers that either count up or down in row order (a
    counter, a record number, gaps allowed) or fill a range at most IDENTIFIER_SPAN times their
    count (codes 1001..1080 in any order). Distinct whole numbers in no order over a wider range
    (prices in whole dollars, populations) and distinct real numbers with fractions are
    measurements, not identifiers. On fewer rows (at least 3), where values are too easily all
    distinct by chance, only a column named like one (id, patient_id, PatientID, index, row:
    `IDENTIFIER_WORDS`, `IDENTIFIER_NAMES`) whose values are distinct texts or whole numbers counting in row
    order.

    Parameters
    ----------
    values : pandas.Series
        One column; missing values are not counted.

    Returns
    -------
    bool
        Whether the column looks like an identifier.
    """
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    observed = values.dropna()
    few = len(observed) < MIN_ROWS_FOR_IDENTIFIERS
    if few and (len(observed) < 3 or not _named_like_an_identifier(values.name)) or is_bool_dtype(observed.dtype):
        return False
    if observed.nunique() != len(observed):
        return False
    if is_numeric_dtype(observed.dtype) and str(observed.dtype) != "category":
        numbers = observed.to_numpy(dtype=np.float64)
        if not (np.isfinite(numbers).all() and (numbers == np.round(numbers)).all()):
            return False
        steps = np.diff(numbers)
        counts = bool((steps > 0).all() or (steps < 0).all())
        return counts or not few and float(numbers.max() - numbers.min()) < IDENTIFIER_SPAN * len(numbers)
    return all(isinstance(v, str) for v in observed.astype(object))


def is_dates(values) -> bool:
    """True for a pandas Series of dates or times: a datetime dtype, date or time objects, or
    texts that all read as dates or times (2020-01-31, 2020/01/31 or 2020.01.31, with a time or not;
    31/01/2020; 31.01.2020; 31-01-2020; a month 2020-01; Jan 31 2020, 31 January 2020, 31-Jan-2020,
    Fri, 31 Jan 2020, Jan 2020; a time 14:30 or 2:30 PM), as a CSV file gives them.

    Parameters
    ----------
    values : pandas.Series
        One column; missing values are not counted.

    Returns
    -------
    bool
        Whether every observed value is a date or time.
    """
    from pandas.api.types import is_datetime64_any_dtype

    if is_datetime64_any_dtype(values.dtype):
        return True
    observed = values.dropna().astype(object)
    if not len(observed):
        return False
    if all(isinstance(v, (datetime.date, datetime.time, np.datetime64)) for v in observed):
        return True
    return all(isinstance(v, str) and _DATE_TEXT.fullmatch(v.strip()) is not None for v in observed)


def is_true_false(values) -> bool:
    """True for a pandas Series of True/False: a bool dtype (numpy's or pandas' 'boolean'), or
    objects all True or False where observed (a bool column with gaps), some observed.

    Parameters
    ----------
    values : pandas.Series
        One column; missing values are not counted.

    Returns
    -------
    bool
        Whether every observed value is True or False.
    """
    if values.dtype.kind == "b":
        return True
    observed = values.dropna()
    return values.dtype == object and len(observed) > 0 and all(isinstance(v, (bool, np.bool_)) for v in observed)


def is_durations(values) -> bool:
    """True for a pandas Series of durations: a timedelta dtype, or timedelta objects.

    Parameters
    ----------
    values : pandas.Series
        One column; missing values are not counted.

    Returns
    -------
    bool
        Whether every observed value is a duration.
    """
    from pandas.api.types import is_timedelta64_dtype

    if is_timedelta64_dtype(values.dtype):
        return True
    observed = values.dropna().astype(object)
    return bool(len(observed)) and all(isinstance(v, (datetime.timedelta, np.timedelta64)) for v in observed)


def is_marked_numbers(values) -> bool:
    """True for a pandas Series of texts that are all numbers, some written with a currency sign
    or a percent sign ('$2,505', '12%', '€ 3,50'), which one-hot encoding would turn into a
    category per amount.

    Parameters
    ----------
    values : pandas.Series
        One column; missing values are not counted.

    Returns
    -------
    bool
        Whether every observed value is such a number and some carry a sign.
    """
    observed = values.dropna().astype(object)
    if len(observed) < 2 or not all(isinstance(v, str) for v in observed):
        return False
    return all(_MARKED_NUMBER.fullmatch(v) for v in observed) and any(any(c in v for c in "$€£¥%") for v in observed)


def is_free_text(values) -> bool:
    """True for a pandas Series of at least MIN_ROWS_FOR_IDENTIFIERS observed texts, most of
    them distinct, of FREE_TEXT_WORDS or more words each (the median): sentences or documents,
    which one-hot encoding would turn into a feature per row.

    Parameters
    ----------
    values : pandas.Series
        One column; missing values are not counted.

    Returns
    -------
    bool
        Whether the column holds free text.
    """
    observed = values.dropna().astype(object)
    if len(observed) < MIN_ROWS_FOR_IDENTIFIERS or not all(isinstance(v, str) for v in observed):
        return False
    if observed.nunique() < len(observed) / 2:
        return False
    return float(np.median([len(v.split()) for v in observed])) >= FREE_TEXT_WORDS


def is_constant(values) -> bool:
    """True for a pandas Series of at least two rows with exactly one distinct observed value.

    Parameters
    ----------
    values : pandas.Series
        One column; missing values are not counted as a value.

    Returns
    -------
    bool
        Whether the column is constant.
    """
    return len(values) >= 2 and values.nunique(dropna=True) == 1


def is_empty(values) -> bool:
    """True for a pandas Series of at least one row and no observed value (a trailing delimiter's
    column, or one never filled in).

    Parameters
    ----------
    values : pandas.Series
        One column.

    Returns
    -------
    bool
        Whether every value is missing.
    """
    return len(values) > 0 and not values.notna().any()


def _is_name(column) -> bool:
    """A column name as `ignore_columns` lists it: a string, or an int (a headerless frame's)."""
    return isinstance(column, (str, Integral)) and not isinstance(column, bool)


def check_ignore_columns(ignore_columns, columns: Sequence[str]) -> list[str]:
    """The column names `ignore_columns` lists ([] for 'auto' or None), checked against the
    table's `columns`; ValueError naming ignore_columns for anything else.

    Parameters
    ----------
    ignore_columns : 'auto', None or list of str or int
        The estimator's `ignore_columns` parameter; an int names the column whose name it is
        (pandas numbers the columns of a headerless file), compared as text.
    columns : sequence of str
        The table's column names; every listed name must be one of them.

    Returns
    -------
    list of str
        The listed names.
    """
    if ignore_columns is None or (isinstance(ignore_columns, str) and ignore_columns == "auto"):
        return []
    if isinstance(ignore_columns, str) or not all(_is_name(c) for c in ignore_columns):
        raise ValueError(f"ignore_columns must be 'auto', None or a list of column names, got {ignore_columns!r}")
    names = [str(c) for c in ignore_columns]
    unknown = [c for c in names if c not in columns]
    if unknown:
        raise ValueError(f"ignore_columns names {unknown}, which {'are' if len(unknown) > 1 else 'is'} not a column of X; "
                         f"columns are {list(columns)}")
    return names


def check_array_ignore(ignore_columns) -> None:
    """Refuse a list of column names for X without columns (an array), naming ignore_columns.

    Parameters
    ----------
    ignore_columns : 'auto', None or list of str
        The estimator's `ignore_columns` parameter; anything but None or a string raises a
        ValueError.
    """
    if ignore_columns is not None and not isinstance(ignore_columns, str):
        raise ValueError("ignore_columns names columns, so X must be a DataFrame; select the columns of an array "
                         "yourself or pass ignore_columns='auto'")


def non_features(frame, ignore_columns="auto") -> dict[str, str]:
    """{column: why} for the columns of DataFrame `frame` to leave out of a model: those named
    in `ignore_columns` (a list), and unless it is None, empty, identifier-like, date, duration, free-text
    and constant ones.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table.
    ignore_columns : 'auto', None or list of str, default='auto'
        'auto' finds empty, identifier, date, duration, free-text, marked-number and constant columns; a list names
        columns to leave out as well; None leaves nothing out.

    Returns
    -------
    dict of str to str
        Each column to leave out, with why.
    """
    columns = [str(c) for c in frame.columns]
    named = check_ignore_columns(ignore_columns, columns)
    out = dict.fromkeys(named, IGNORED)
    if ignore_columns is None:
        return out
    for j, name in enumerate(columns):
        if name in out:
            continue
        values = frame.iloc[:, j]
        if is_empty(values):
            out[name] = EMPTY
        elif is_constant(values):
            out[name] = CONSTANT
        elif is_dates(values):
            out[name] = DATES
        elif is_durations(values):
            out[name] = DURATIONS
        elif is_free_text(values):
            out[name] = FREE_TEXT
        elif is_marked_numbers(values):
            out[name] = MARKED_NUMBERS
        elif is_identifier(values):
            out[name] = IDENTIFIER
    return out


def leave_out(frame, ignore_columns, owner: str) -> dict[str, str]:
    """`non_features(frame, ignore_columns)`, with a UserWarning from `owner` naming the columns
    found (not those the user named) and why; ValueError when no column would be left.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table.
    ignore_columns : 'auto', None or list of str
        As for `non_features`.
    owner : str
        Who leaves the columns out (e.g. the estimator's class name), to start the warning.

    Returns
    -------
    dict of str to str
        Each column left out, with why.
    """
    dropped = non_features(frame, ignore_columns)
    found = {c: why for c, why in dropped.items() if why != IGNORED}
    if len(dropped) == frame.shape[1]:
        listed = "; ".join(f"{c!r} is {why}" for c, why in dropped.items())
        raise ValueError(f"X: every column is left out of the model, so none is left to learn from: {listed}"
                         f"{KEEP_HINT if found else ''}")
    if found:
        listed = "; ".join(f"{c!r} is {why}" for c, why in found.items())
        warnings.warn(f"{owner}: columns left out of the model: {listed}{KEEP_HINT}", UserWarning,
                      stacklevel=user_stacklevel())
    _warn_numbers_as_categories(frame.drop(columns=list(dropped)), owner)
    return dropped


def _warn_numbers_as_categories(frame, owner: str) -> None:
    """Warn, from `owner`, about each text column of `frame` that holds numbers but for a few
    words (a placeholder such as '?' that pandas did not read as missing), which the model would
    take as a category per number and the words as categories too; a CSV reader that warned
    about the column already (`frame.attrs[STRAY_WORDS]`) is not repeated."""
    from aekit.data._csv_reading import stray_placeholders

    warned = frame.attrs.get(STRAY_WORDS, {})
    for column, words in stray_placeholders(frame).items():
        if column in warned or not all(isinstance(v, str) for v in frame[column].dropna()):  # numbers beside text: refused
            continue
        first = words[0]
        warnings.warn(
            f"{owner}: column {column!r} holds numbers and the text {', '.join(map(repr, words))}, so it is encoded "
            f"as categories, one per distinct value ({frame[column].nunique()}), and {first!r} is one of them, not a "
            f"missing value; if {first!r} marks a missing value, make the column numbers first: "
            f"X[{column!r}] = pandas.to_numeric(X[{column!r}], errors='coerce') (every text a missing value), or read "
            f"the file with "
            f"na_values=[{first!r}]",
            UserWarning,
            stacklevel=user_stacklevel(),
        )
