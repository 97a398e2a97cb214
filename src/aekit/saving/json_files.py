"""Reading the JSON files of saved folders (model configs, run data, scikit-learn state) with
one clear error for a corrupt file instead of a decoder traceback."""

from __future__ import annotations

import json
from pathlib import Path

__all__ = ["read_json"]


def read_json(path: str | Path) -> object:
    """The parsed content of the JSON file at `path`.

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
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
        raise ValueError(f"{str(path)!r} is not valid JSON ({err}); the file is corrupt") from err
