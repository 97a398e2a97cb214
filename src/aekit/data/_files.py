"""Where downloaded data sets live, how a file is checked against its published digest, and
which files of a user's folder are data."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def data_home(data_home: str | os.PathLike | None = None) -> Path:
    """The data folder: `data_home`, else `$AEKIT_DATA`, else ``~/.cache/aekit``.

    Parameters
    ----------
    data_home : str or os.PathLike, default=None
        Folder to use; a leading ``~`` is expanded. None falls back as above.

    Returns
    -------
    pathlib.Path
        The folder (not created).
    """
    if data_home is not None:
        return Path(data_home).expanduser()
    env = os.environ.get("AEKIT_DATA")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "aekit"


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MB blocks.

    Parameters
    ----------
    path : pathlib.Path
        The file.

    Returns
    -------
    str
        The digest as 64 hexadecimal characters.
    """
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def visible_files(root: Path) -> list[Path]:
    """The files under `root` (recursively, sorted, through linked folders) but hidden ones: a
    path with a part that starts with '.' (.DS_Store, the ._photo.png a Mac zip leaves,
    .ipynb_checkpoints/) or macOS's __MACOSX folder, which are no one's data. A folder linked
    from inside itself is not entered again.

    Parameters
    ----------
    root : pathlib.Path
        The folder.

    Returns
    -------
    list of pathlib.Path
        The visible files.
    """
    found, entered = [], {os.fspath(root): {Path(root).resolve()}}  # each folder: the real folders on the way to it
    for folder, folders, files in os.walk(root, followlinks=True):
        on_the_way = entered.pop(folder)
        kept = []
        for name in folders:
            real = (Path(folder) / name).resolve()
            if not _hidden(name) and real not in on_the_way:
                kept.append(name)
                entered[os.path.join(folder, name)] = on_the_way | {real}
        folders[:] = kept
        found.extend(Path(folder) / name for name in files if not _hidden(name))
    return sorted(p for p in found if p.is_file())


def _hidden(name: str) -> bool:
    return name.startswith(".") or name == "__MACOSX"
