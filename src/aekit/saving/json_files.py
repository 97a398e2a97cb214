"""The JSON files of saved folders (model configs, run data, scikit-learn state): written as
strict JSON, where a non-finite number (NaN, infinity: not JSON) is the object
{"non_finite": "nan" | "inf" | "-inf"}, and read back with those numbers restored and one clear
error for a corrupt file instead of a decoder traceback."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

__all__ = ["json_bytes", "parse_json", "read_json"]

NON_FINITE = "non_finite"
NON_FINITE_VALUES = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


def _finite_json(value):
    """`value` with every non-finite float (NumPy's too) replaced by its marker object."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return {NON_FINITE: repr(value)}
    if isinstance(value, dict):
        return {k: _finite_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite_json(v) for v in value]
    return value


def _restore_non_finite(obj: dict):
    if len(obj) == 1 and obj.get(NON_FINITE) in NON_FINITE_VALUES:
        return NON_FINITE_VALUES[obj[NON_FINITE]]
    return obj


def json_bytes(value: object, indent: int | None = None) -> bytes:
    """`value` as strict UTF-8 JSON, which `read_json` reads back equal.

    Parameters
    ----------
    value : object
        Dicts, lists, tuples, strings, numbers (NumPy scalars too; NaN and infinities become
        marker objects), bools and None.
    indent : int or None, default=None
        Indentation of the written JSON; None writes it on one line.

    Returns
    -------
    data : bytes
        The JSON text.

    Raises
    ------
    TypeError
        When `value` holds something else.
    """
    return json.dumps(_finite_json(value), indent=indent, allow_nan=False).encode("utf-8")


def parse_json(text: str | bytes) -> object:
    """The value `json_bytes` wrote as `text`, non-finite numbers restored.

    Parameters
    ----------
    text : str or bytes
        The JSON text (bytes as UTF-8).

    Returns
    -------
    object
        What the text holds: a dict, list, str, number, bool or None.

    Raises
    ------
    json.JSONDecodeError
        When `text` is not JSON.
    """
    return json.loads(text, object_hook=_restore_non_finite)


def read_json(path: str | Path) -> object:
    """The parsed content of the JSON file at `path`, non-finite numbers restored.

    Parameters
    ----------
    path : str or Path
        The file to read (UTF-8).

    Returns
    -------
    object
        What the file holds: a dict, list, str, number, bool or None.

    Raises
    ------
    FileNotFoundError
        When there is no file at `path`.
    ValueError
        When the file is not valid UTF-8 JSON (truncated, overwritten, binary): it names the file
        and says it is corrupt.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{str(path)!r} is missing")
    try:
        return parse_json(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
        raise ValueError(f"{str(path)!r} is not valid JSON ({err}); the file is corrupt") from err
