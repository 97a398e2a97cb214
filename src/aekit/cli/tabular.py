"""`aekit impute` and `aekit detect`: fill missing values, flag outliers, in a CSV or Parquet table,
with the estimators `AutoEncoderImputer` and `AutoEncoderOutlierDetector`."""

from __future__ import annotations

import argparse
import csv
import inspect
import sys
from pathlib import Path

import numpy as np

from aekit._wording import with_article
from aekit.cli.common import (GUESSED_HEADER, CLIError, add_command, add_header_option, csv_writing, int_in_range,
                              plain_float_format, seed, spelled_booleans)
from aekit.saving.atomic import atomic_write_bytes, replaced_atomically
from aekit.saving.json_files import json_bytes, read_json
from aekit.cli.scheduled import add_scheduler_options

__all__ = ["add_parsers", "run_detect", "run_impute"]

SEED = 0  # random_state of a fitted imputer or detector without --seed
LEFT_OUT_HELP = (  # how impute and detect leave columns out, the same in both descriptions
    "Identifier columns (all values distinct texts, or distinct whole numbers counting in row order or\n"
    "filling a narrow range, such as a counter 1..n; under 20 rows only a column named like one, id or\n"
    "patient_id), dates, durations, free text and constant columns are left out of the model with a\n"
    "warning; --ignore and --id-column name more."
)
DETECTOR_OPTIONS = {"contamination": "--contamination X", "criterion": "--criterion NAME", "ignore_columns": "--ignore COL,..."}
DETECTOR_SET = ("standardize",)  # the detector's own parameters without a flag, which --set takes beside the autoencoder's
_CONTAMINATION = (
    "share of outliers expected in the table, in (0, 0.5], or 'auto' for a threshold set from the scores alone "
    "(default: AutoEncoderOutlierDetector's, 0.1)"
)


def add_parsers(commands) -> None:
    """Add `aekit impute` and `aekit detect` to the subcommands.

    Parameters
    ----------
    commands : argparse subparsers action
        What `ArgumentParser.add_subparsers` returned.
    """
    impute = add_command(
        commands,
        "impute",
        "fill the missing values of a table",
        "Fit an AutoEncoderImputer (a denoising autoencoder trained on the observed entries) to IN\n"
        "and write IN with every missing entry filled to OUT; observed entries are kept exactly.\n"
        "Numeric and categorical (text) columns are both handled; imputed numbers stay within\n"
        "their column's range, whole where the column is and with the decimals of its observed\n"
        "values (3.7, 12.1: one), as the imputer's plausible_values=true keeps them (--set\n"
        "plausible_values=range: not rounded; false: as the network gives them). A column with no\nvalue is dropped.\n" + LEFT_OUT_HELP
        + " They are written\nto OUT unchanged, except that a constant column's gaps get its value. Any imputer parameter\n"
        "can be set with --set NAME=VALUE. --save DIR keeps the fitted imputer; --fitted DIR fills IN with\n"
        "one saved before instead of fitting. With --scheduler ADDRESS and --fitted DIR, a Parquet file or\n"
        "folder too large for one process is filled partition by partition on a Dask cluster, and OUT is\n"
        "a new folder of Parquet files, the same rows in the same order.",
        "  aekit impute survey.csv survey_filled.csv\n"
        "  aekit impute survey.parquet filled.csv --epochs 200 --set latent_dim=16\n"
        "  aekit impute export.csv filled.csv --sep ';' --encoding latin-1 --na-values unknown\n"
        "  aekit impute sample.parquet filled.parquet --save imputer\n"
        "  aekit impute rows/ filled/ --fitted imputer --scheduler tcp://scheduler:8786",
        run_impute,
    )
    impute.add_argument(
        "input", metavar="IN", help="a .csv (.tsv, .txt) or .parquet table with missing values (empty cells, ?, -, NA, n/a, null); a CSV "
                                   "read without a header is written without one"
    )
    impute.add_argument("output", metavar="OUT", help="the filled table (.csv or .parquet; with --scheduler: a folder)")
    _common_options(impute, "imputer")
    add_scheduler_options(impute, "OUT")

    detect = add_command(
        commands,
        "detect",
        "flag the outliers of a table",
        "Fit an AutoEncoderOutlierDetector to IN (numeric columns standardised, each text column\n"
        "one-hot encoded and scaled to weigh as one numeric column; a column with no value is\n"
        "dropped) and flag the most abnormal share --contamination of the rows: by\n"
        "reconstruction error plus the distance of the row's code from the others (--criterion\n"
        "combined), or by either alone. Prints a summary; --out writes IN with two more columns,\n"
        "outlier_score (higher is more abnormal) and outlier (True/False; in a CSV whose own true/false\n"
        "columns spell them one way, such as TRUE/FALSE, that way), and with --explain K also\n"
        "outlier_probability and why_1..why_K (the features adding most to the row's score, with\n"
        "their value, the value expected and their share), in this order after IN's columns (a CSV\n"
        "read without a header is written without one, as read). --report DIR writes DIR/report.html with\n"
        "the score histogram and the most abnormal rows. The detector and its defaults are those of\n"
        "Python's AutoEncoderOutlierDetector(); --model NAME (any 'aekit train' model name) replaces its\n"
        "autoencoder, and --set NAME=VALUE (or model.NAME=VALUE) sets the autoencoder's parameters.\n"
        + LEFT_OUT_HELP + " --save\n"
        "DIR keeps the fitted detector; --fitted DIR scores IN with one saved before instead of fitting. With\n"
        "--scheduler ADDRESS and --fitted DIR, a Parquet file or folder too large for one process is\n"
        "scored partition by partition on a Dask cluster, and --out is a new folder of Parquet files,\n"
        "the same rows in the same order (--explain scores each partition three times there; no --report).",
        "  aekit detect transactions.csv --contamination 0.05\n"
        "  aekit detect table.csv --contamination auto --explain 3 --out flagged.csv --report detect-report\n"
        "  aekit detect sensors.parquet --contamination 0.01 --out flagged.csv --model vae --set latent_dim=4\n"
        "  aekit detect sample.parquet --contamination 0.01 --save detector\n"
        "  aekit detect rows/ --fitted detector --out flagged/ --scheduler tcp://scheduler:8786",
        run_detect,
    )
    detect.add_argument("input", metavar="IN", help="a .csv (.tsv, .txt) or .parquet table")
    detect.add_argument("--contamination", type=_contamination, metavar="X", help=_CONTAMINATION)
    detect.add_argument(
        "--out", metavar="FILE",
        help="write the table with outlier_score and outlier (True/False) columns (.csv or .parquet; with --scheduler: "
             "a folder)",
    )
    detect.add_argument(
        "--criterion", choices=("combined", "reconstruction", "latent"),
        help="what makes a row abnormal (default: AutoEncoderOutlierDetector's, combined)",
    )
    detect.add_argument("--explain", type=int_in_range(1), metavar="K", help="write the K main reasons of each row")
    detect.add_argument("--report", metavar="DIR", help="write DIR/report.html: score histogram, most abnormal rows")
    detect.add_argument(
        "--model", metavar="NAME",
        help="the autoencoder to use, any 'aekit train' model name (default: AutoEncoderOutlierDetector's own model, "
             "the one Python's AutoEncoderOutlierDetector() trains)",
    )
    _common_options(detect, "detector")
    add_scheduler_options(detect, "--out")


def _contamination(text: str) -> float | str:
    if text == "auto":
        return text
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 0.5] or 'auto', got {text!r}") from None
    if not 0 < value <= 0.5:
        raise argparse.ArgumentTypeError(f"must be in (0, 0.5] or 'auto', got {text}")
    return value


def _common_options(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--sep", metavar="CHAR", help="the CSV delimiter (default: sniffed from the first rows among , ; tab | and spaces)"
    )
    parser.add_argument(
        "--encoding", metavar="NAME", help="the CSV text encoding (default: from a byte-order mark, else utf-8)"
    )
    add_header_option(parser, "infer", GUESSED_HEADER)
    parser.add_argument(
        "--na-values", action="append", default=[], metavar="TEXT",
        help="another text marking a missing value (repeatable); ? - NA n/a null and empty cells already do",
    )
    parser.add_argument("--epochs", type=int_in_range(1), metavar="N", help="training epochs (max_epochs)")
    parser.add_argument("--seed", type=seed, metavar="N", help=f"random_state (default: {SEED})")
    parser.add_argument(
        "--set", action="append", default=[], metavar="NAME=VALUE",
        help="an estimator parameter (repeatable; over --epochs and --seed)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument(
        "--ignore", action="append", default=[], metavar="COL,...",
        help="columns to leave out of the model (repeatable); they are written to the output unchanged. A name with a "
             "comma: give it alone (--ignore 'size, cm') or quoted as in a CSV header (--ignore '\"size, cm\",weight')",
    )
    parser.add_argument(
        "--id-column", metavar="COL",
        help="the column of row identifiers: left out of the model, written to the output unchanged and naming the rows "
             "in the summary (identifier-like columns are found without it, with a warning)",
    )
    parser.add_argument(
        "--save", metavar="DIR", help=f"save the fitted {what} to the folder DIR (for --fitted, or its class's load in Python)"
    )
    parser.add_argument(
        "--fitted", metavar="DIR",
        help=f"use the {what} saved in DIR (by --save or Python's save) instead of fitting one; needed by --scheduler. "
             "A CSV read without a header has the columns it was fitted on, in their order",
    )


def _ignored(args: argparse.Namespace, frame) -> list[str]:
    """The columns --ignore and --id-column name, checked against the table's. An --ignore is
    one column when it names one whole (a name with a comma), else its comma-separated names,
    quoted as in a CSV header ("size, cm",weight)."""
    columns = [str(c) for c in frame.columns]
    names = []
    for item in args.ignore:
        whole = item.strip()
        parts = [whole] if whole in columns else next(csv.reader([item], skipinitialspace=True), [])
        names += [c.strip() for c in parts if c.strip()]
    names += [args.id_column] if args.id_column else []
    unknown = [c for c in names if c not in columns]
    if unknown:
        option = "--id-column" if unknown == [args.id_column] else "--ignore"
        comma = (" (a name with a comma: give it alone, --ignore 'a, b', or quoted in a list, --ignore '\"a, b\",c')"
                 if any("," in c for c in columns) else "")
        raise CLIError(f"{option} names {', '.join(map(repr, unknown))}, not a column of {args.input!r}; columns are "
                       f"{', '.join(map(repr, columns))}{comma}")
    return list(dict.fromkeys(names))


def _ignored_with_set(given, ignored: list[str]) -> list[str]:
    """The columns `--set ignore_columns=...` (`given`) and --ignore / --id-column (`ignored`) leave out together."""
    if given is None:
        raise CLIError("--set ignore_columns=null keeps every column in the model, but --ignore or --id-column leaves "
                       f"{', '.join(map(repr, ignored))} out; give one or the other")
    return list(dict.fromkeys([*([] if given == "auto" else given), *ignored]))


def _fitted_columns(args: argparse.Namespace, frame, est):
    """The columns of `frame` (a pandas or Dask frame) that `est` was fitted on, by name and in
    fit order (a table's column order carries no meaning, its names do); the others are left out
    with a warning naming them, and kept as given in the output. A `frame` lacking a fitted
    column is refused naming the columns, as a run's commands refuse it."""
    from aekit.data.readers import other_columns

    fitted = [str(c) for c in getattr(est, "feature_names_in_", ())]
    names = [str(c) for c in frame.columns]
    if not set(fitted) <= set(names):
        raise CLIError(other_columns(names, fitted, args.input))
    if not fitted or names == fitted:
        return frame
    extra = [c for c in names if c not in fitted]
    if extra:
        many = len(extra) > 1
        _warn(args, f"column{'s' * many} {', '.join(map(repr, extra))} of {args.input!r} {'were' if many else 'was'} not "
                    f"seen in fit: left out of the model and written as given")
    return frame[[frame.columns[names.index(c)] for c in fitted]]


def _identifier_column(detector, frame) -> str | None:
    """The first column of `frame` the detector left out as an identifier (its rows' names), if any."""
    from aekit.data.columns import IDENTIFIER

    table = getattr(detector, "table_", None)
    dropped = table.dropped if table is not None else {}
    return next((column for column in frame.columns if dropped.get(str(column)) == IDENTIFIER), None)


def _warnings_to_stderr(args: argparse.Namespace, call, keep: str = "") -> object:
    """`call()` (a fit, a scoring), its UserWarnings (columns left out, unseen categories, ...)
    printed as the command's warnings, each once however many steps raise it, and a table with
    no column left to learn from refused naming IN; `keep` says how the command keeps the
    columns it leaves out on its own, where it can."""
    import warnings

    from aekit.data.columns import IGNORED, KEEP_HINT

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", UserWarning)
            return call()
    except ValueError as err:
        if not str(err).startswith("X: every column is left out"):
            raise
        message = str(err).removeprefix("X").replace(KEEP_HINT, keep).replace(IGNORED, "named by --ignore or --id-column")
        raise CLIError(f"{args.input!r}{message}") from None
    finally:
        for message in dict.fromkeys(str(w.message).replace(KEEP_HINT, "") for w in caught if issubclass(w.category, UserWarning)):
            _warn(args, message)
        for warning in caught:
            if not issubclass(warning.category, UserWarning):
                warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)


def _seed(args: argparse.Namespace) -> int:
    """The random_state of a fitted model: --seed, else SEED."""
    return SEED if args.seed is None else args.seed


def _params(cls: type, args: argparse.Namespace, prefix: str = "") -> dict:
    """`cls`'s parameters from --epochs, --seed and --quiet, then each --set (as `aekit train` orders them)."""
    from aekit.app.config import apply_overrides, validate_params

    accepted = inspect.signature(cls).parameters
    for assignment in args.set:
        key, _, value = assignment.partition("=")
        section, _, name = key.strip().rpartition(".")
        if section:
            instead = f": --set {name}={value.strip()}" if name in accepted else f", and {name!r} is none of them"
            raise CLIError(f"--set {assignment!r}: {cls.__name__}'s parameters are set by name, with no section "
                           f"({section}.){instead}")
    flags = {"max_epochs": args.epochs, "random_state": _seed(args), "verbose": not args.quiet}
    raw = apply_overrides({}, args.set, {k: v for k, v in flags.items() if v is not None and k in accepted})
    return validate_params(cls, raw, prefix)


def _read_table(args: argparse.Namespace, fitted=None):
    """The table IN as a DataFrame, read with the --sep, --encoding, --header and --na-values
    options, a named index (which a Parquet file keeps apart) as its first columns, their names
    kept in `attrs['index']` for `_write_table` (`attrs['labelled']`: the rows have unnamed labels
    of their own, a CSV's unnamed first column or a filtered frame's index, written back), unless the
    `fitted` model (from --fitted) was fitted without it; a CSV read without a header (x0, x1, ...)
    has the `fitted` model's columns, in order, when it has as many, and `attrs['header']` False."""
    import warnings

    import pandas as pd

    from aekit.data.datasets import ROW_LABELS, with_column_names
    from aekit.data.readers import TableReader, reader_for

    saved = Path(args.fitted) / TABLE_FILE if getattr(args, "fitted", None) else None
    decimal_comma = read_json(saved).get("decimal_comma") if saved is not None and saved.is_file() else None
    reader = reader_for(args.input, sep=args.sep, encoding=args.encoding, na_values=args.na_values, header=args.header,
                        decimal_comma=decimal_comma)
    if not isinstance(reader, TableReader):
        raise CLIError(f"{args.input!r}: expected a .csv (or .tsv, .txt) or .parquet table")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        frame = reader.frame(args.input)
    for warning in caught:
        _warn(args, str(warning.message))
    needed = [str(c) for c in getattr(fitted, "feature_names_in_", ())]
    named = [str(name) for name in frame.index.names if name is not None]  # a Parquet file's named index (patient ids)
    if named and (not needed or set(named) <= set(needed)):  # unless a fitted imputer was fitted without it
        frame = frame.reset_index()
    headerless = frame.attrs.get("header") is False  # a CSV's, forced or inferred; a Parquet file's columns are named
    if headerless and len(needed) == frame.shape[1] and [str(c) for c in frame.columns] != needed:
        frame = with_column_names(frame, needed)  # the columns the model was fitted on, in their order
    if frame.shape[1] == 0 or frame.shape[0] == 0:
        raise CLIError(f"{args.input!r} has no rows or no column with values")
    _refuse_infinity(args, frame)
    frame.attrs["index"] = named
    frame.attrs["header"] = not headerless
    numbered = isinstance(frame.index, pd.RangeIndex) and frame.index.start == 0 and frame.index.step == 1
    frame.attrs["labelled"] = not named and (frame.attrs.get(ROW_LABELS, False) or not numbered)
    return frame


def _without_empty_columns(args: argparse.Namespace, frame):
    """`frame` without its columns of no value at all (`aekit.data.columns.is_empty`), which the
    imputer drops from its output, with a warning naming them; their names kept in
    `attrs['dropped_empty']`."""
    from aekit.data.columns import is_empty

    empty = [str(c) for c in frame.columns if is_empty(frame[c])]
    if not empty:
        return frame
    many = len(empty) > 1
    _warn(args, f"column{'s' * many} {', '.join(map(repr, empty))} of {args.input!r} {'have' if many else 'has'} "
                "no values; dropped")
    kept = frame.drop(columns=[c for c in frame.columns if str(c) in empty])
    kept.attrs["dropped_empty"] = empty
    if kept.shape[1] == 0:
        raise CLIError(f"{args.input!r} has no rows or no column with values")
    return kept


def _fit_with_empty_columns(imputer, frame):
    """`imputer.fit_transform(frame)` of the whole table read, its columns of no value included, which
    the imputer leaves out of its model and output but keeps among its columns (`feature_names_in_`),
    so the saved imputer takes the same table (in Python, or headerless with --fitted); its warning
    about them is the one `_without_empty_columns` gave already."""
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=f"{type(imputer).__name__}: columns? .* no observed value", category=UserWarning)
        return imputer.fit_transform(frame)


def _refuse_infinity(args: argparse.Namespace, frame) -> None:
    """Refuse an infinite number (a cell 'inf' or '-inf', which pandas reads as one), naming
    the column, its first data row and --na-values."""
    for column in frame.columns:
        values = frame[column]
        if values.dtype.kind == "f" and np.isinf(values.to_numpy()).any():
            row = int(np.flatnonzero(np.isinf(values.to_numpy()))[0])
            raise CLIError(f"{args.input!r}: column {str(column)!r} holds an infinite value (first in data row "
                           f"{row + 1}); replace it, or read it as a missing value with --na-values=TEXT (the cell's "
                           "text, e.g. --na-values=-inf)")


def _warn(args: argparse.Namespace, message: str) -> None:
    print(f"aekit {args.command}: warning: {message}", file=sys.stderr)


def _check_table_output(path: str) -> None:
    if Path(path).suffix.lower() not in (".csv", ".parquet"):
        raise CLIError(f"{path!r}: the output must end in .csv or .parquet")


def _write_table(frame, path: str, read: dict) -> None:
    """Write `frame` to the .csv or .parquet `path` as the table was read (`read`: `_read_table`'s
    frame's attrs): its named index (`attrs['index']`) as the index again, a Parquet file's own, a
    CSV's first columns; its unnamed index too when `attrs['labelled']`, a CSV's first column
    without a header (a Parquet file keeps an unnamed index other than 0..n-1 anyway). A .csv gets
    the ';' and decimal commas of a ';' CSV read, so a European file comes back as one (a
    spreadsheet set for them opens it in columns), else commas, and the CSV's text encoding (a
    latin-1 file stays latin-1, a byte-order mark stays), its spelling of True and False
    (TRUE/FALSE), the decimals of its float columns written with one number of them (19.90),
    other numbers in positional notation (`plain_float_format`), and no header when the CSV read
    had none (`attrs['header']` False)."""
    from aekit.data.datasets import BOOLEAN_SPELLINGS, WHOLE_WITH_DECIMALS

    index = read["index"]
    _check_table_output(path)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    if index and set(index) <= {str(c) for c in frame.columns}:
        frame = frame.set_index([c for c in frame.columns if str(c) in index])
    with replaced_atomically(target) as tmp:
        if target.suffix.lower() == ".parquet":  # an unnamed index other than 0..n-1 (a filtered frame's) kept too
            frame.to_parquet(tmp, index=True if index else None)
        else:
            options = csv_writing(read)
            decimals = read.get(WHOLE_WITH_DECIMALS, {})
            spelled = spelled_booleans(_fixed_decimals(_gapped_whole_numbers(frame, decimals), decimals, options["decimal"]),
                                       read.get(BOOLEAN_SPELLINGS, {}))
            spelled.to_csv(tmp, index=bool(index) or read["labelled"], header=read.get("header", True), **options)


def _gapped_whole_numbers(frame, decimals: dict):
    """`frame` with each float column that has gaps and otherwise only whole numbers (a CSV's
    column of counts or identifiers with empty cells, which pandas reads as floats) as nullable
    Int64, so that a CSV gets 4 back, not 4.0, and its empty cells stay empty; not the columns
    named in `decimals`, whose whole numbers the CSV read wrote with decimals (4.0)."""
    out = frame
    for j in range(frame.shape[1]):
        column = frame.iloc[:, j]
        if column.dtype.kind != "f" or not column.isna().any() or str(frame.columns[j]) in decimals:
            continue
        values = column.dropna().to_numpy()
        if np.all(np.abs(values) < 2.0**53) and np.all(values == np.round(values)):
            out = out.copy() if out is frame else out
            out.isetitem(j, column.astype("Int64"))
    return out


def _fixed_decimals(frame, decimals: dict, decimal: str):
    """`frame` with each float column that `decimals` ({column: places}, a CSV read's) gives
    places >= 1 as the text of its values with that many decimals and the `decimal` mark (50.00,
    not 50.0), a value that needs more of them (an imputation left unrounded) as
    `plain_float_format` writes it, its missing cells missing."""
    out, plain = frame, plain_float_format(decimal)
    for j in range(frame.shape[1]):
        column, places = frame.iloc[:, j], decimals.get(str(frame.columns[j]), 0)
        if column.dtype.kind != "f" or places < 1:
            continue
        kind = column.dtype.type

        def text(value, places=places, kind=kind):
            fixed = f"{value:.{places}f}"
            return (fixed.replace(".", decimal) if kind(fixed) == value else plain(kind(value))) if np.isfinite(value) else value

        out = out.copy() if out is frame else out
        out.isetitem(j, column.map(text).astype(object))
    return out


def run_impute(args: argparse.Namespace) -> int:
    """`aekit impute`: fit an `AutoEncoderImputer` to the table IN (or load one with --fitted)
    and write IN to OUT (.csv or .parquet) with its missing entries filled; with --scheduler,
    partition by partition on a Dask cluster into a folder of Parquet files.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line (see `aekit impute --help`).

    Returns
    -------
    int
        The exit status, 0 on success.
    """
    from aekit import AutoEncoderImputer
    from aekit.data.datasets import WHOLE_WITH_DECIMALS

    placeholders = [a for a in args.set if a.partition("=")[0].strip() == "missing_values"]
    args.na_values += [_placeholder_text(a) for a in placeholders]  # read as missing, so the imputer sees NaN
    args.set = [a for a in args.set if a not in placeholders]
    if args.scheduler:
        return _impute_on_cluster(args, _fitted_model(args, AutoEncoderImputer, "aekit impute SAMPLE OUT"))
    _check_table_output(args.output)
    imputer = _fitted_model(args, AutoEncoderImputer) if args.fitted else None
    frame = read = _read_table(args, imputer)
    rows = _fitted_columns(args, frame, imputer) if imputer is not None else None  # a wrong table named before its gaps
    if imputer is None:
        frame = _without_empty_columns(args, frame)
    missing = frame.isna()
    if not missing.to_numpy().any() and not (imputer is None and args.save):  # a complete sample to fit and --save on is fine
        empty, beside = frame.attrs.get("dropped_empty", []), ""
        if empty:
            many = len(empty) > 1
            beside = (f" outside column{'s' * many} {', '.join(map(repr, empty))}, which {'have' if many else 'has'} "
                      "no value at all (dropped)")
        raise CLIError(
            f"{args.input!r} has no missing values{beside}; nothing to impute (other placeholders for a missing value "
            "can be given with --na-values; --save DIR fits an imputer on a complete table to use with --fitted DIR)"
        )
    if imputer is None:
        params = _params(AutoEncoderImputer, args)
        ignored = _ignored(args, frame)
        if ignored:
            params["ignore_columns"] = _ignored_with_set(params.get("ignore_columns", "auto"), ignored)
        imputer = AutoEncoderImputer(**params).set_output(transform="pandas")
        filled = _warnings_to_stderr(args, lambda: _fit_with_empty_columns(imputer, read),
                                     " (--set ignore_columns=null keeps them)")
        _save(args, imputer, frame)
    else:
        filled = _warnings_to_stderr(args, lambda: imputer.set_output(transform="pandas").transform(rows))
    gapped = {str(c) for c in frame.columns[missing.any(axis=0).to_numpy()]} - set(frame.attrs.get(WHOLE_WITH_DECIMALS, {}))
    filled = _as_written(filled, imputer, frame.dtypes, gapped)
    if list(filled.columns) != list(frame.columns):
        filled = frame.assign(**{str(c): filled[c] for c in filled.columns})
    _write_table(filled, args.output, frame.attrs)
    kept = missing & filled.isna().to_numpy()  # the gaps of the columns left out of the model are kept, not filled
    missing = missing & filled.notna().to_numpy()
    columns = [str(c) for c in frame.columns[missing.any(axis=0).to_numpy()]]
    n = int(missing.to_numpy().sum())
    if n == 0:
        print(f"{args.input!r} has no missing values: the imputer was fitted on its rows and saved to {args.save}; "
              f"the table is written as read -> {args.output}")
        return 0
    print(
        f"filled {n} missing entr{'y' if n == 1 else 'ies'} in {len(columns)} column{'' if len(columns) == 1 else 's'} "
        f"({', '.join(columns[:8])}) -> {args.output}"
    )
    counts = kept.sum(axis=0)
    if counts.any():
        left = ", ".join(f"{c} {int(k)}" for c, k in counts.items() if k)
        print(f"left {int(counts.sum())} missing entr{'y' if counts.sum() == 1 else 'ies'} as they were in the columns "
              f"left out of the model ({left})")
    return 0


def _impute_on_cluster(args: argparse.Namespace, imputer) -> int:
    """`run_impute` on the Dask cluster at --scheduler: the Parquet input filled partition by
    partition with `aekit.engines.dask.apply`, written as a folder of Parquet files."""
    from aekit.cli.scheduled import (columns_with_gaps, dask_cluster, parquet_folder, parquet_index, read_parquet_lazily,
                                     write_parquet)
    from aekit.engines.dask import apply

    folder = parquet_folder(args.output, "OUT")
    table = read_parquet_lazily(args.input)
    features = [str(c) for c in _fitted_columns(args, table._meta, imputer).columns]
    kept = [c for c in table.columns if c not in features]
    with dask_cluster(args) as client:
        filled = apply(imputer, "transform", table, client=client, features=features, keep=kept)[list(table.columns)]
        filled = _as_written(filled, imputer, table.dtypes, columns_with_gaps(args.input, table))
        left = filled.isna().sum().sum()  # an identifier's gaps are kept
        n_rows, n_missing, n_left = write_parquet(filled, folder, filled.shape[0], table.isna().sum().sum(), left,
                                                  index=parquet_index(args.input))
    print(f"filled {n_missing - n_left} missing entries in {n_rows} rows -> {folder}/ ({filled.npartitions} Parquet files)")
    return 0


def _placeholder_text(assignment: str) -> str:
    """The cell text that `--set missing_values=VALUE` marks as missing: VALUE read as YAML like every
    --set value (so a quoted '-1' is the text -1), a number or null as it was typed."""
    from aekit.app.config import apply_overrides

    value = apply_overrides({}, [assignment])["missing_values"]
    if isinstance(value, bool) or not isinstance(value, (str, int, float, type(None))):
        raise CLIError(f"--set {assignment!r}: missing_values is one placeholder (a number or a text), got {value!r}; "
                       "give more with --na-values TEXT (repeatable)")
    return value if isinstance(value, str) else assignment.partition("=")[2].strip()


def _fitted_model(args: argparse.Namespace, cls: type, fit_command: str = ""):
    """The `cls` saved in --fitted, refusing the options that only apply when fitting; without
    --fitted (needed by --scheduler) a CLIError saying how to fit and save one first."""
    from aekit.app.runs import load_estimator

    if args.fitted is None:
        raise CLIError(
            f"--scheduler applies a fitted {cls.__name__} to the rows: fit one first, on a sample that fits in memory, "
            f"with '{fit_command} --save DIR', then give --fitted DIR"
        )
    fitting = {"--epochs": args.epochs, "--seed": args.seed, "--set": args.set, "--ignore": args.ignore, "--save": args.save,
               "--model": getattr(args, "model", None), "--contamination": getattr(args, "contamination", None),
               "--criterion": getattr(args, "criterion", None)}
    given = [option for option, value in fitting.items() if value is not None and value != []]
    if given:
        verb = "apply" if len(given) > 1 else "applies"
        raise CLIError(f"--fitted uses the saved {cls.__name__} as it is; {' and '.join(given)} only {verb} when fitting one")
    est = load_estimator(args.fitted)
    if not isinstance(est, cls):
        raise CLIError(f"--fitted {args.fitted!r} holds {with_article(type(est).__name__)}, not {with_article(cls.__name__)}")
    return est


TABLE_FILE = "table.json"  # beside a --save'd model: how its CSV was read, so --fitted reads later files alike


def _save(args: argparse.Namespace, est, frame) -> None:
    """--save: the fitted model, and in TABLE_FILE whether its CSV had decimal commas (a later
    file without a visible decimal is read the same way by --fitted, its 31.114 as 31114)."""
    if args.save:
        est.save(args.save)
        if frame.attrs.get("decimal_comma"):
            atomic_write_bytes(Path(args.save) / TABLE_FILE, json_bytes({"decimal_comma": True}))
        print(f"saved the fitted {type(est).__name__} to {args.save} (reuse it with --fitted {args.save})")


def _as_written(filled, imputer, dtypes, gapped: set[str]):
    """`filled` (a pandas or Dask frame) as written: the columns the imputer passes through in
    their input `dtypes`, and the float columns with gaps (`gapped`: read as floats because of
    them) whose observed values were all whole numbers as int64, so a count or an age is written
    without '.0' (a constant column left out of the model whose gaps took its whole value too); a
    float column without gaps stays float."""
    passed = {c: dtypes[c] for c in filled.columns if str(c) in imputer.ignored_columns_ and filled[c].dtype != dtypes[c]}
    fills = getattr(imputer, "ignored_fill_", None) or {}
    whole = [c for c in filled.columns if filled[c].dtype.kind == "f" and _is_whole_number(fills.get(str(c)))]
    layout = imputer.layout_
    if layout.integer is not None and imputer.plausible_values is True:
        by_name = {str(c): c for c in filled.columns}  # other columns, in any order, beside the fitted ones
        fitted = [str(c) for c in getattr(imputer, "feature_names_in_", by_name)]  # the layout's order
        modelled = [by_name[c] for c in fitted if c not in imputer.ignored_columns_]
        numeric = [c for c, categorical in zip(modelled, layout.categorical_mask) if not categorical]
        whole += [c for c, is_int in zip(numeric, layout.integer) if is_int and filled[c].dtype.kind == "f"]
    changed = {**passed, **dict.fromkeys([c for c in whole if str(c) in gapped], "int64")}
    return filled.astype(changed) if changed else filled


def _is_whole_number(value) -> bool:
    """Whether `value` (a constant column's fill, or None) is a finite whole number, not a bool."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and float(value).is_integer()


def _autoencoder(args: argparse.Namespace, n_rows: int):
    """The autoencoder --model names, or the detector's own default model for `n_rows` rows,
    with the --set (NAME=VALUE or, as errors name them, model.NAME=VALUE), --epochs, --seed and --quiet
    parameters."""
    from aekit.app.config import model_registry
    from aekit.cli.training import table_not_images, takes_images
    from aekit.estimators.outlier import default_autoencoder, raw_value_setting

    prefix = "model."
    for assignment in args.set:
        key = assignment.partition("=")[0].strip().removeprefix(prefix)
        if key in DETECTOR_OPTIONS:
            raise CLIError(f"--set {assignment!r}: {key} is the detector's, not its autoencoder's (which --set sets); "
                           f"give {DETECTOR_OPTIONS[key]}")
    sets = [a.strip().removeprefix(prefix) for a in args.set if a.partition("=")[0].strip() not in DETECTOR_SET]
    args = argparse.Namespace(**{**vars(args), "set": sets})
    if args.model is None:
        model = default_autoencoder(n_rows)
        model.set_params(**_params(type(model), args, prefix))
    else:
        model_class = model_registry()[args.model]  # checked by run_detect
        model = model_class(**_params(model_class, args, prefix))
    if takes_images(model) and model.get_params(deep=False)["input_shape"] is None:
        raise CLIError(table_not_images(args.input, args.model, "input_shape"))
    found = raw_value_setting(model)
    if found is not None:
        name, value, needs = found
        raise CLIError(f"--set {name}={value}: aekit detect standardises the table's numeric columns (and one-hot "
                       f"encodes its text) before the autoencoder sees them, and {name}={value!r} needs {needs}; "
                       f"leave {name} at its default")
    return model


def _detector_params(args: argparse.Namespace) -> dict:
    """The detector's own parameters given with --set (`DETECTOR_SET`: standardize=true),
    checked against `AutoEncoderOutlierDetector`'s."""
    from aekit import AutoEncoderOutlierDetector
    from aekit.app.config import apply_overrides, validate_params

    own = [a for a in args.set if a.partition("=")[0].strip() in DETECTOR_SET]
    return validate_params(AutoEncoderOutlierDetector, apply_overrides({}, own)) if own else {}


def run_detect(args: argparse.Namespace) -> int:
    """`aekit detect`: fit an `AutoEncoderOutlierDetector` to the table IN (or load one with
    --fitted), print the rows it flags, and with --out, --explain and --report write the scored
    table, the reasons and the HTML report; with --scheduler, score a Parquet input partition by
    partition on a Dask cluster into a folder of Parquet files.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line (see `aekit detect --help`).

    Returns
    -------
    int
        The exit status, 0 on success.
    """
    from aekit import AutoEncoderOutlierDetector
    from aekit.data.readers import id_texts

    if args.model is not None:
        from aekit.app.config import model_registry

        if args.model not in model_registry():
            raise CLIError(f"unknown --model {args.model!r}; choose one of {', '.join(model_registry())}")
    if args.scheduler:
        return _detect_on_cluster(args, _fitted_model(args, AutoEncoderOutlierDetector, "aekit detect SAMPLE"))
    if args.out:
        _check_table_output(args.out)
    detector = _fitted_model(args, AutoEncoderOutlierDetector) if args.fitted else None
    frame = _read_table(args, detector)
    _check_added_columns(args, frame.columns)
    ignored = _ignored(args, frame)
    rows = _fitted_columns(args, frame, detector) if detector is not None else None  # a wrong table named before its gaps
    _check_no_gaps(args, frame, detector, ignored)
    if detector is None:
        given = {k: v for k, v in (("contamination", args.contamination), ("criterion", args.criterion)) if v is not None}
        detector = AutoEncoderOutlierDetector(
            _autoencoder(args, len(frame)), random_state=_seed(args), ignore_columns=ignored or "auto", **given,
            **_detector_params(args),
        )
        _warnings_to_stderr(args, lambda: detector.fit(frame))
        _save(args, detector, frame)
    contamination = detector.contamination
    args.explain = _explained_count(args, detector)
    rows = _fitted_columns(args, frame, detector) if rows is None else rows
    columns, extra, reasons = _warnings_to_stderr(args, lambda: _scored(args, detector, rows))
    score, flagged = columns["outlier_score"], columns["outlier"]
    id_column = args.id_column or _identifier_column(detector, frame)
    ids = id_texts(frame[id_column]) if id_column else None
    written = []  # the files first, the summary after: a reader gone from stdout (| head) loses no file
    if args.out:
        _write_table(frame.assign(**columns, **extra), args.out, _with_outlier_spelling(frame.attrs))
        written.append(args.out)
    if args.report:
        from aekit.app.detection_report import write_detection_report

        rule = "contamination='auto'" if contamination == "auto" else f"contamination {contamination}"
        probability = extra["outlier_probability"]
        named = (id_column, ids) if ids is not None else None
        labels = list(frame.index) if frame.attrs["labelled"] else None
        written.append(write_detection_report(args.report, args.input, score, detector.threshold_, rule, probability, reasons,
                                              ids=named, row_labels=labels))
    print(f"flagged {int(flagged.sum())} of {len(frame)} rows as outliers ({_rule(detector)})")
    for i in np.argsort(-score)[: min(5, int(flagged.sum()))]:
        row = f"{id_column} {ids[i]}" if ids is not None else (
            f"row {frame.index[i]}" if frame.attrs["labelled"] else f"data row {i + 1}")  # counted as refusals count
        print(f"  {row}: outlier_score {score[i]:.4g}" + (f"; {reasons[i][0]}" if reasons else ""))
    for path in written:
        print(f"wrote {path}" + (f" (without a header, as {args.input!r}: its columns, then {', '.join([*columns, *extra])})"
                                 if path == args.out and not frame.attrs["header"] and path.lower().endswith(".csv") else ""))
    return 0


def _with_outlier_spelling(read: dict) -> dict:
    """`read` (`_read_table`'s attrs) with the added 'outlier' column spelled as the CSV's True/False
    columns spell their values (`BOOLEAN_SPELLINGS`) when they all spell them one way (TRUE/FALSE)."""
    from aekit.data.datasets import BOOLEAN_SPELLINGS

    spellings = read.get(BOOLEAN_SPELLINGS) or {}
    pairs = {tuple(pair) for pair in spellings.values()}
    return {**read, BOOLEAN_SPELLINGS: {**spellings, "outlier": pairs.pop()}} if len(pairs) == 1 else read


def _scored(args: argparse.Namespace, detector, rows) -> tuple[dict, dict, list[list[str]] | None]:
    """The columns --out adds for `rows` (outlier_score and outlier, `_outlier_columns`; with
    --explain or --report the probability and reasons, `_explanation_columns`) and each row's
    reasons as text (None without them)."""
    columns = _outlier_columns(detector.score_samples(rows), detector.offset_)
    if not (args.explain or args.report):
        return columns, {}, None
    from aekit.analysis.explanations import explain
    from aekit.app.detection_report import reason_texts

    reasons = reason_texts(explain(detector, rows, top=args.explain or 3))
    return columns, _explanation_columns(detector.predict_proba(rows)[:, 1], reasons, args.explain or 0), reasons


def _check_no_gaps(args: argparse.Namespace, frame, detector, ignored: list[str]) -> None:
    """Refuse missing values in the columns the detector uses (the --ignore and --id-column
    ones, identifiers and constants may have gaps), naming those columns and the first row with
    one by its ID (--id-column, else the identifier found) as the summary names rows."""
    from aekit.data.columns import IDENTIFIER, non_features
    from aekit.data.readers import id_texts

    if not frame.isna().to_numpy().any():
        return
    table = getattr(detector, "table_", None)
    left_out = table.dropped if table is not None else non_features(frame, ignored or "auto") if detector is None else {}
    used = {str(c) for c in getattr(detector, "feature_names_in_", frame.columns)}  # a fitted one's columns, found by name
    gaps = [str(c) for c in frame.columns if str(c) in used and str(c) not in left_out and frame[c].isna().any()]
    if gaps:
        many = len(gaps) > 1
        i = int(np.flatnonzero(frame[[c for c in frame.columns if str(c) in gaps]].isna().any(axis=1).to_numpy())[0])
        named = args.id_column or next((c for c in frame.columns if left_out.get(str(c)) == IDENTIFIER), None)
        row_id = id_texts(frame[named].iloc[[i]])[0] if named is not None else ""
        where = (f"{named} {row_id}" if row_id else
                 f"row {frame.index[i]}" if frame.attrs.get("labelled") else f"data row {i + 1}")  # as refuse_gaps counts
        raise CLIError(f"{args.input!r} has missing values in the column{'s' * many} {', '.join(gaps[:8])} (first in "
                       f"{where}); fill them first, e.g. 'aekit impute {args.input} filled.csv', or leave "
                       f"{'them' if many else 'it'} out with --ignore")


def _check_added_columns(args: argparse.Namespace, columns) -> None:
    """Refuse, before any training, a table with a column of a name --out would write over
    (outlier_score, outlier and, with --explain K, outlier_probability and why_1..why_K)."""
    if not args.out:
        return
    added = ["outlier_score", "outlier", *(["outlier_probability"] + [f"why_{k + 1}" for k in range(args.explain)]
                                          if args.explain else [])]
    taken = [name for name in added if name in {str(c) for c in columns}]
    if taken:
        which = f"a column {taken[0]!r}" if len(taken) == 1 else f"the columns {', '.join(map(repr, taken))}"
        raise CLIError(f"{args.input!r} already has {which}, which --out would overwrite with the detector's own; "
                       "rename it in the table first")


def _outlier_columns(scores: np.ndarray, offset: float) -> dict[str, np.ndarray]:
    """The columns `aekit detect` adds to a table, from a fitted detector's `score_samples` of
    its rows and its `offset_`.

    Parameters
    ----------
    scores : ndarray of shape (n,)
        The detector's `score_samples` of the rows (higher is more normal).
    offset : float
        The detector's `offset_`.

    Returns
    -------
    dict of str to ndarray
        'outlier_score' (n,) float64, higher is more abnormal, and 'outlier' (n,) bool, the rows
        `predict` gives -1 (its `decision_function`, ``scores - offset_``, below 0).
    """
    scores = np.asarray(scores)
    return {"outlier_score": -scores.astype(np.float64), "outlier": scores - offset < 0}


def _explained_count(args: argparse.Namespace, detector) -> int | None:
    """--explain K, at most the number of columns `detector` explains (its table's columns, or
    its features): the reasons past them would be empty columns why_k."""
    if not args.explain:
        return args.explain
    table = getattr(detector, "table_", None)
    return min(args.explain, len(table.columns) if table is not None else int(detector.n_features_in_))


def _explanation_columns(probability: np.ndarray, reasons: list[list[str]], top: int) -> dict:
    """'outlier_probability' (n,) and, for `top` > 0, 'why_1'..'why_<top>': each row's reasons
    as text (`reason_texts`), '' past the last."""
    whys = {f"why_{k + 1}": [r[k] if k < len(r) else "" for r in reasons] for k in range(top)}
    return {"outlier_probability": np.asarray(probability), **whys}


def _rule(detector) -> str:
    return f"criterion {detector.criterion}, contamination {detector.contamination}; threshold {detector.threshold_:.4g}"


def _scored_partition(part, offset: float):
    return part.drop(columns="score_samples").assign(**_outlier_columns(part["score_samples"].to_numpy(), offset))


def _explained_partition(part, probability, reasons, top: int):
    from aekit.app.detection_report import reason_texts
    from aekit.cli.scheduled import text_dtype

    columns = _explanation_columns(probability["predict_proba_1"].to_numpy(), reason_texts(reasons), top)
    texts = dict.fromkeys([name for name in columns if name.startswith("why_")], text_dtype())  # as in one process
    return part.assign(**columns).astype(texts)


def _detect_on_cluster(args: argparse.Namespace, detector) -> int:
    """`run_detect` on the Dask cluster at --scheduler: the Parquet input scored partition by
    partition with `aekit.engines.dask.apply` and written with the outlier_score and outlier
    columns as a folder of Parquet files."""
    from aekit.cli.scheduled import dask_cluster, parquet_folder, parquet_index, read_parquet_lazily, write_parquet
    from aekit.engines.dask import apply

    if args.report:
        raise CLIError("--report needs every row in one process: not with --scheduler (run it on a sample)")
    folder = parquet_folder(args.out, "--out")
    table = read_parquet_lazily(args.input)
    _check_added_columns(args, table.columns)
    features = [str(c) for c in _fitted_columns(args, table._meta, detector).columns]
    args.explain = _explained_count(args, detector)
    with dask_cluster(args) as client:
        scores = apply(detector, "score_samples", table, client=client, features=features, keep=list(table.columns))
        scored = scores.map_partitions(_scored_partition, detector.offset_, meta=_scored_partition(scores._meta, detector.offset_))
        if args.explain:  # each partition scored twice more: for the probability and for the reasons
            probability = apply(detector, "predict_proba", table, client=client, features=features)
            reasons = apply(detector, "explain", table, client=client, features=features, top=args.explain)
            meta = _explained_partition(scored._meta, probability._meta, reasons._meta, args.explain)
            scored = scored.map_partitions(_explained_partition, probability, reasons, args.explain, meta=meta,
                                           align_dataframes=False)
        n_rows, n_flagged = write_parquet(scored, folder, scored.shape[0], scored["outlier"].sum(),
                                          index=parquet_index(args.input))
    print(f"flagged {n_flagged} of {n_rows} rows as outliers ({_rule(detector)}) -> {folder}/ "
          f"({scored.npartitions} Parquet files)")
    return 0
