"""Labelled document collections as raw texts, to vectorise with scikit-learn (e.g.
`CountVectorizer`) and give to an autoencoder as sparse counts: 20 Newsgroups (the "bydate"
split, from the canonical `20news-bydate.tar.gz`), Reuters R8, and any folder of text files
with one subfolder per label.

Files are looked for like MNIST's (`data_home`, else `$AEKIT_DATA`, else `~/.cache/aekit`),
in the set's own subfolder or directly there, and checked against their SHA-256 before use.
"""

from __future__ import annotations

import codecs
import io
import os
import re
import tarfile
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from aekit.data._csv_reading import BOMS
from aekit.data._files import data_home as resolve_home
from aekit.data._files import file_sha256, visible_files

__all__ = [
    "NEWSGROUPS_SHA256",
    "R8_SHA256",
    "REMOVABLE_PARTS",
    "TextDataset",
    "load_20newsgroups",
    "load_r8",
    "load_text_folder",
    "strip_message",
]

NEWSGROUPS_FILE = "20news-bydate.tar.gz"
NEWSGROUPS_SHA256 = "12f57cf94624be85eee78a6f63dba9119d87f15771c4b3447771ea6200f017dd"
R8_SHA256 = {
    "r8-train-all-terms.txt": "f2cebcc0203f9092db55fc11b98377a5c30407121b1d633583580e36d0668ed9",
    "r8-test-all-terms.txt": "2cda485b855244b8995a67b81edc691470059225776627d3c45545206f61a1b2",
    "r8-train-stemmed.txt": "52d8f626d6b3d71c4ac859d84e9b5fd5469a3f4948ca25e46a4d0ddeedab52b6",
    "r8-test-stemmed.txt": "bac15782889426df2fb8414a154330c7fafd9cc7e7bc3d3669f6fc78d069313e",
}
REMOVABLE_PARTS = ("headers", "footers", "quotes")
SUBSETS = ("train", "test", "all")


@dataclass
class TextDataset:
    """Documents and their labels: `data` (list of n str), `target` (n,) int indices into
    `target_names`, `ids` the files' relative paths for a folder; `data, target = dataset`
    unpacks it.

    Every parameter is kept as the attribute of the same name; `len(dataset)` is n.

    Parameters
    ----------
    data : list of str
        The n documents.
    target : ndarray of shape (n,) or None
        Each document's label, an int index into `target_names`; None for unlabelled documents.
    target_names : tuple of str
        The label names, sorted.
    name : str, default=''
        Where the documents come from (e.g. 'r8:train', or a folder's path).
    ids : list of str, default=None
        Each document's file path relative to its folder, or None.
    """

    data: list[str]
    target: np.ndarray | None
    target_names: tuple[str, ...]
    name: str = ""
    ids: list[str] | None = None

    def __iter__(self) -> Iterator:
        return iter((self.data, self.target))

    def __len__(self) -> int:
        return len(self.data)


def _labelled(texts: list[str], labels: list[str], name: str, ids: list[str] | None = None) -> TextDataset:
    names = tuple(sorted(set(labels)))
    target = np.searchsorted(np.asarray(names, dtype=object), np.asarray(labels, dtype=object)).astype(np.int64)
    return TextDataset(texts, target, names, name, ids)


def _subsets(subset: str) -> tuple[str, ...]:
    if subset not in SUBSETS:
        raise ValueError(f"subset must be one of {SUBSETS}, got {subset!r}")
    return ("train", "test") if subset == "all" else (subset,)


def _find(file_name: str, folders: Sequence[str], home: str | os.PathLike | None, expected: str, verify: bool) -> Path:
    """The first `folder/file_name` (or `file_name`) under the data home, checked against `expected`."""
    root = resolve_home(home)
    candidates = [root / folder / file_name for folder in folders] + [root / file_name]
    path = next((p for p in candidates if p.is_file()), None)
    if path is None:
        raise FileNotFoundError(
            f"{file_name!r} not found in {str(root)!r} (looked in {[str(p.parent) for p in candidates]}). Put it "
            "there, or pass data_home= (else set AEKIT_DATA) to a folder that has it."
        )
    if verify and file_sha256(path) != expected:
        raise ValueError(
            f"{str(path)!r} does not match the published SHA-256 of {file_name}: the file is corrupt, truncated "
            "or a different file. Replace it, or pass verify=False."
        )
    return path


_QUOTE = re.compile(r"^\s*(>|\|)|(\bwrites:|\bwrote:|\bsays:|\bsaid:)\s*$")


def strip_message(text: str, remove: Sequence[str] = REMOVABLE_PARTS) -> str:
    """A Usenet message without the parts named in `remove`: 'headers' (everything before the
    first blank line), 'footers' (the signature after the last line made only of dashes, when
    it is short) and 'quotes' (quoted lines starting with '>' or '|', and 'X writes:' lines).

    Parameters
    ----------
    text : str
        The message.
    remove : sequence of {'headers', 'footers', 'quotes'}, default=('headers', 'footers', 'quotes')
        The parts to take out.

    Returns
    -------
    str
        The message without them.
    """
    unknown = sorted(set(remove) - set(REMOVABLE_PARTS))
    if unknown:
        raise ValueError(f"remove may only name {REMOVABLE_PARTS}, got {unknown}")
    if "headers" in remove:
        _, blank, body = text.partition("\n\n")
        text = body if blank else text
    lines = text.split("\n")
    if "footers" in remove:
        last = next((i for i in range(len(lines) - 1, max(len(lines) - 13, -1), -1) if _is_dashes(lines[i])), None)
        if last is not None:
            lines = lines[:last]
    if "quotes" in remove:
        lines = [line for line in lines if not _may_quote(line) or not _QUOTE.search(line)]
    return "\n".join(lines)


def _is_dashes(line: str) -> bool:
    """Whether the line holds only dashes (and whitespace around them): a signature's separator."""
    stripped = line.strip()
    return bool(stripped) and set(stripped) == {"-"}


def _may_quote(line: str) -> bool:
    """False for lines `_QUOTE` cannot match (no ':', '>' or '|'), so that the regular expression,
    which tries its 'X writes:' alternatives at every position, runs on few lines."""
    return ":" in line or ">" in line or "|" in line


def load_20newsgroups(
    subset: str = "train",
    *,
    data_home: str | os.PathLike | None = None,
    remove: Sequence[str] = (),
    verify: bool = True,
) -> TextDataset:
    """20 Newsgroups, bydate split (train 11,314 / test 7,532 messages, 20 groups; 'all' is
    both), as raw latin-1 texts in group order, from `20news-bydate.tar.gz` (looked for in
    `20news-bydate/`, `text/20news-bydate/` or directly in the data home). `remove` takes any of
    'headers', 'footers', 'quotes' (see `strip_message`), as scikit-learn's loader does.

    Parameters
    ----------
    subset : {'train', 'test', 'all'}, default='train'
        Which split to read.
    data_home : str or os.PathLike, default=None
        Data folder; None uses `$AEKIT_DATA`, else ``~/.cache/aekit``.
    remove : sequence of {'headers', 'footers', 'quotes'}, default=()
        Parts stripped from each message.
    verify : bool, default=True
        Check the archive's SHA-256 against the published value.

    Returns
    -------
    TextDataset
        The messages, their groups as labels and the group names.
    """
    parts = _subsets(subset)
    remove = tuple(remove)
    if set(remove) - set(REMOVABLE_PARTS):
        raise ValueError(f"remove may only name {REMOVABLE_PARTS}, got {list(remove)}")
    path = _find(NEWSGROUPS_FILE, ("20news-bydate", "text/20news-bydate"), data_home, NEWSGROUPS_SHA256, verify)
    found: list[tuple[int, str, int, str]] = []
    prefixes = {f"20news-bydate-{part}": i for i, part in enumerate(parts)}
    with tarfile.open(path, "r:gz") as archive:
        for member in archive:
            pieces = member.name.split("/")
            if not member.isfile() or len(pieces) != 3 or pieces[0] not in prefixes:
                continue
            raw = archive.extractfile(member).read().decode("latin-1")
            key = int(pieces[2]) if pieces[2].isdigit() else 0
            found.append((prefixes[pieces[0]], pieces[1], key, strip_message(raw, remove) if remove else raw))
    if not found:
        raise ValueError(f"{str(path)!r} has no 20news-bydate-{subset} messages")
    found.sort(key=lambda item: item[:3])
    return _labelled([text for *_, text in found], [group for _, group, *_ in found], f"20newsgroups:{subset}")


def load_r8(
    subset: str = "train", *, data_home: str | os.PathLike | None = None, stemmed: bool = False, verify: bool = True
) -> TextDataset:
    """Reuters-21578 R8 (Cardoso-Cachopo split: train 5,485 / test 2,189 news stories, 8
    topics), lower-cased words from `r8-<subset>-all-terms.txt` (or the Porter-stemmed
    `-stemmed.txt` with `stemmed=True`), looked for in `r8/`, `text/r8/` or the data home.

    Parameters
    ----------
    subset : {'train', 'test', 'all'}, default='train'
        Which split to read.
    data_home : str or os.PathLike, default=None
        Data folder; None uses `$AEKIT_DATA`, else ``~/.cache/aekit``.
    stemmed : bool, default=False
        Read the Porter-stemmed files instead of the full words.
    verify : bool, default=True
        Check each file's SHA-256 against the published value.

    Returns
    -------
    TextDataset
        The stories, their topics as labels and the topic names.
    """
    texts, labels = [], []
    for part in _subsets(subset):
        file_name = f"r8-{part}-{'stemmed' if stemmed else 'all-terms'}.txt"
        path = _find(file_name, ("r8", "text/r8"), data_home, R8_SHA256[file_name], verify)
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            label, tab, text = line.partition("\t")
            if not tab:
                raise ValueError(f"{str(path)!r} line {number} is not 'label<TAB>text'")
            labels.append(label)
            texts.append(text.strip())
    return _labelled(texts, labels, f"r8:{subset}")


def _read_text(path: Path, encoding: str, errors: str = "strict") -> str | None:
    """The file's text (newlines as '\n'), None when it is not valid `encoding` text (with
    errors='strict'); a byte-order mark picks UTF-8, UTF-16 or UTF-32 whatever `encoding` says,
    and is dropped."""
    raw = path.read_bytes()
    encoding = next((name for mark, name in BOMS if raw.startswith(mark)), encoding)
    try:
        return io.TextIOWrapper(io.BytesIO(raw), encoding=encoding, errors=errors).read()
    except UnicodeDecodeError:
        return None


def load_text_folder(
    path: str | os.PathLike, *, encoding: str = "utf-8", suffixes: str | Sequence[str] = (".txt",)
) -> TextDataset:
    """Every text file (ending in one of `suffixes`; '' takes every file) in a folder's
    subfolders, one document per file, labelled by its subfolder's name (or, when every file
    is at the folder's top level, unlabelled: `target` None); undecodable bytes
    are replaced, with a warning naming the files (a Latin-1 'café' read as UTF-8 would be
    counted as the word 'caf').

    Parameters
    ----------
    path : str or os.PathLike
        The folder; files in deeper subfolders take the label of their top-level subfolder, and
        files at its top level beside labelled ones are refused. Hidden files are skipped.
    encoding : str, default='utf-8'
        Text encoding of the files, e.g. 'latin-1'; an unknown name is refused. A file that
        starts with a byte-order mark is read in the encoding the mark names (UTF-8, UTF-16 or
        UTF-32) instead; a file that decodes to NUL characters (UTF-16 without a mark, read
        as UTF-8) is refused.
    suffixes : str or sequence of str, default=('.txt',)
        File endings to read; an empty sequence, or one holding '', reads every file.

    Returns
    -------
    TextDataset
        The documents, their labels (None for an unlabelled folder) and `ids` (paths relative
        to `path`).
    """
    root = Path(path)
    if not root.is_dir():
        raise FileNotFoundError(f"no folder at {str(root)!r}")
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ValueError(f"encoding: {encoding!r} is not a text encoding Python knows (e.g. 'utf-8', 'latin-1', 'cp1252')") from None
    suffixes = (suffixes,) if isinstance(suffixes, str) else tuple(suffixes)  # '.md' is one suffix, not three letters
    wanted = {s.lower() for s in suffixes}
    files = [p for p in visible_files(root) if not wanted or "" in wanted or p.suffix.lower() in wanted]
    if not files:
        raise ValueError(f"{str(root)!r} has no text files ({', '.join(suffixes)})")
    loose = [p for p in files if p.parent == root]
    if loose and len(loose) < len(files):
        raise ValueError(f"{str(root)!r} has files at the top level ({loose[0].name!r}) beside files in label subfolders; put "
                         "each in a subfolder named for its label, or every file at the top level for unlabelled documents")
    texts = [_read_text(p, encoding) for p in files]
    relative = [p.relative_to(root) for p in files]
    undecodable = [r.as_posix() for r, text in zip(relative, texts) if text is None]
    if undecodable:
        warnings.warn(
            f"{len(undecodable)} of {len(files)} files in {str(root)!r} are not valid {encoding} text (first: "
            f"{undecodable[0]!r}): their undecodable bytes were replaced, which splits words (a Latin-1 'café' counts "
            f"as 'caf'); give the files' encoding (encoding='latin-1' in Python, aekit train --set data.encoding=latin-1, "
            "aekit encode or reconstruct --encoding latin-1)",
            stacklevel=2,
        )
        texts = [_read_text(p, encoding, "replace") if text is None else text for p, text in zip(files, texts)]
    nul = next((r.as_posix() for r, text in zip(relative, texts) if "\x00" in text), None)
    if nul is not None:
        raise ValueError(
            f"{str(root / nul)!r} holds NUL bytes, so it is not {encoding} text (its words would not be counted); if it is "
            "UTF-16 without a byte-order mark, give its encoding (encoding='utf-16-le' in Python, aekit train --set "
            "data.encoding=utf-16-le), else take the file out of the folder"
        )
    ids = [p.as_posix() for p in relative]
    if loose:
        return TextDataset(texts, None, (), str(root), ids)
    return _labelled(texts, [p.parts[0] for p in relative], str(root), ids)
