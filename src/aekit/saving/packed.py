"""A saved model folder as one bytes object, to send to other processes (Dask workers, Spark
executors) and load there with the same checks as `load`: no pickle, only JSON and safetensors.

The bytes are an uncompressed zip of the folder `save` writes. Unpacking accepts only plain
relative file names (no absolute paths, no '..', no links), writes them to a temporary folder
and loads it with the safe loader, so a tampered archive is refused like a tampered folder.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

__all__ = ["pack_model", "unpack_model"]

MAX_UNPACKED_BYTES = 4 << 30  # refuse archives that claim more than this once unpacked
FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def pack_model(est) -> bytes:
    """The fitted estimator `est` saved (as `est.save` does) into zip bytes; the same model
    gives the same bytes (members sorted, fixed times), so its checksum names it.

    Parameters
    ----------
    est : estimator
        A fitted aekit estimator.
    """
    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory(prefix="aekit-pack-") as tmp:
        folder = est.save(Path(tmp) / "model")
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
            for path in sorted(p for p in folder.rglob("*") if p.is_file()):
                member = zipfile.ZipInfo(path.relative_to(folder).as_posix(), date_time=FIXED_TIME)
                archive.writestr(member, path.read_bytes())
    return buffer.getvalue()


def _member_path(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute() or not path.parts or any(part in ("", ".", "..") for part in path.parts) or "\\" in name:
        raise ValueError(f"packed model: refusing the archive member {name!r} (not a plain relative file name)")
    return path


def unpack_model(data: bytes, device: str | None = None):
    """The estimator packed by `pack_model` into `data`, loaded by the safe loader (checksums,
    registered classes, no pickle); `device` overrides the saved one. ValueError for bytes that
    are not such an archive.

    Parameters
    ----------
    data : bytes
        What `pack_model` returned.
    device : str, default=None
        Where to load the weights; None keeps the saved device.
    """
    from aekit.app.runs import load_estimator

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as err:
        raise ValueError(f"packed model: not a zip archive ({err})") from err
    with archive, tempfile.TemporaryDirectory(prefix="aekit-unpack-") as tmp:
        members = [m for m in archive.infolist() if not m.is_dir()]
        if sum(m.file_size for m in members) > MAX_UNPACKED_BYTES:
            raise ValueError(f"packed model: the archive unpacks to more than {MAX_UNPACKED_BYTES} bytes")
        folder = Path(tmp) / "model"
        for member in members:
            target = folder.joinpath(*_member_path(member.filename).parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                target.write_bytes(archive.read(member))
            except zipfile.BadZipFile as err:
                raise ValueError(f"packed model: {member.filename!r} is corrupt ({err})") from err
        return load_estimator(folder, device)
