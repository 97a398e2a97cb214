"""SHA-256 checksums of saved bytes: a folder's JSON names each binary file with its checksum, and
reading checks the file against it before parsing it, so a truncated or altered file is refused
by name instead of loading wrong weights."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from safetensors import SafetensorError

__all__ = ["file_entry", "read_checked_safetensors", "sha256_of"]


def sha256_of(data: bytes) -> str:
    """The SHA-256 of `data` in hex.

    Parameters
    ----------
    data : bytes

    Returns
    -------
    digest : str
    """
    return hashlib.sha256(data).hexdigest()


def file_entry(name: str, data: bytes) -> dict:
    """The JSON entry that names a binary file and its checksum: {"file": name, "sha256": ...}.

    Parameters
    ----------
    name : str
        The file's name in its folder.
    data : bytes
        Its content.

    Returns
    -------
    entry : dict
    """
    return {"file": name, "sha256": sha256_of(data)}


def read_checked_safetensors(path: Path, expected: str, named_in: str, load: Callable[[bytes], dict]) -> dict:
    """The tensors or arrays `load` (safetensors' torch or numpy `load`) parses from the file
    `path`, once its SHA-256 is `expected` (as `named_in`, the JSON file that records it, says):
    FileNotFoundError when it is missing, ValueError naming it when it does not match or is not
    valid safetensors.

    Parameters
    ----------
    path : Path
        The safetensors file.
    expected : str
        Its recorded SHA-256 in hex.
    named_in : str
        Name of the file that records the checksum, for the message.
    load : callable
        bytes -> dict of name to tensor or array.

    Returns
    -------
    state : dict
    """
    if not path.is_file():
        raise FileNotFoundError(f"{str(path)!r} is missing")
    data = path.read_bytes()
    if sha256_of(data) != expected:
        raise ValueError(f"{str(path)!r} does not match the checksum in {named_in}: the file is truncated or altered")
    try:
        return load(data)
    except (SafetensorError, ValueError) as err:
        raise ValueError(f"{str(path)!r} is not a valid safetensors file: {err}") from err
