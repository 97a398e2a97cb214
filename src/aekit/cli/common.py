"""What the `aekit` subcommands share: argument types, errors, reading rows for a run, writing arrays."""

from __future__ import annotations

import argparse
import csv
import re
from pathlib import Path
from typing import NamedTuple

import numpy as np

__all__ = [
    "CLIError",
    "add_command",
    "int_in_range",
    "positive_float",
    "print_table",
    "read_rows",
    "write_array",
]


class CLIError(Exception):
    """A refusal to show the user as one line (no traceback); `status` is the exit status."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


def int_in_range(low: int, high: int | None = None):
    """An argparse `type` accepting integers in [low, high]."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < low or (high is not None and value > high):
            bound = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise argparse.ArgumentTypeError(f"must be {bound}, got {value}")
        return value

    return parse


def positive_float(text: str) -> float:
    """An argparse `type` accepting a finite number > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not (value > 0 and np.isfinite(value)):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text}")
    return value


def add_command(commands, name: str, summary: str, description: str, examples: str, handler) -> argparse.ArgumentParser:
    """A subcommand with a one-line summary (for `aekit --help`), a description and examples."""
    parser = commands.add_parser(
        name,
        help=summary,
        description=description,
        epilog="examples:\n" + examples,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(handler=handler)
    return parser


def print_table(rows: list[list]) -> None:
    """Print rows (header first) as aligned columns, numbers to 4 significant digits."""
    cells = [[f"{v:.4g}" if isinstance(v, float) else str(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(cells[0]))]
    for row in cells:
        print(("  " + "  ".join(v.ljust(w) for v, w in zip(row, widths))).rstrip())


class Rows(NamedTuple):
    """Rows read for a run's model: X in the model's space, labels or None, feature names, and
    the (channels, height, width) or (height, width) of an image row (None for tables)."""

    X: np.ndarray
    y: np.ndarray | None
    names: list[str]
    image_shape: tuple[int, ...] | None


def read_rows(run, source: str) -> Rows:
    """Rows of `source` laid out and scaled as the run's training data."""
    from aekit.data.datasets import load

    info = run.read_data_info()
    options = {"categories": info.get("categories") or None, "vocabulary": info.get("feature_names")}
    target = None
    if not run.is_model_folder:
        config = run.read_config()
        target, options["header"] = config.data.target, config.data.header
        if config.data.image_size is not None:
            options["image_size"] = tuple(config.data.image_size)
        options.update(image_mode=config.data.image_mode, channels_last=config.data.channels_last)
        options["data_home"] = config.data.data_home
    try:
        data = load(source, target=target, **options)
    except ValueError as err:
        if target is None or f"target column {target!r} not found" not in str(err):
            raise
        data = load(source, **options)
    X, names = np.asarray(data.X), data.feature_names
    expected = info.get("feature_names")
    if expected is not None and names != expected:
        if sorted(names) == sorted(expected):
            X, names = X[:, [names.index(n) for n in expected]], list(expected)
        elif not (_positional(expected) and _positional(names) and len(names) == len(expected)):
            missing = [n for n in expected if n not in names][:5]
            extra = [n for n in names if n not in expected][:5]
            raise CLIError(
                f"{source!r} has {len(names)} features but the model was trained on {len(expected)}; "
                f"missing {missing}, unexpected {extra}"
            )
    return Rows(run.scaling().transform(X), data.y, expected or names, data.image_shape)


def _positional(names: list[str]) -> bool:
    """Whether names are only positions (pixel0, x1, ...), as for images and plain arrays."""
    return all(re.fullmatch(r"(pixel|x)\d+", n) for n in names)


def write_array(path: str | Path, X: np.ndarray, columns: list[str] | None = None) -> Path:
    """Save X (n, k) as .npy, or as .csv with a header of `columns` (default c0, c1, ...)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    X = np.asarray(X)
    if path.suffix == ".npy":
        np.save(path, X, allow_pickle=False)
    elif path.suffix == ".csv":
        columns = columns or [f"c{i}" for i in range(X.shape[1])]
        with open(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(columns)
            writer.writerows(X.tolist())
    else:
        raise CLIError(f"{str(path)!r}: the output must end in .npy or .csv")
    return path
