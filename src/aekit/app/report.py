"""A one-page HTML report: headed sections of text, tables and PNG figures.

By default the figures sit in the same folder and are referenced by relative path, so the
folder can be zipped, copied or served as it is; with `embed_images=True` they are written
into the page as data URIs, so the one file is the whole report. No scripts, fonts or
stylesheets are fetched; all text is HTML-escaped.
"""

from __future__ import annotations

import base64
import html
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from numbers import Integral, Real
from pathlib import Path
from urllib.parse import quote

from aekit import __version__
from aekit.saving.persistence import atomic_write_bytes

__all__ = ["REPORT_FILE", "Section", "write_report"]

REPORT_FILE = "report.html"

Table = Mapping[str, object] | Sequence[Sequence[object]]

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; line-height: 1.5;
       color: #222; max-width: 62rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.7rem; border-bottom: 2px solid #ddd; padding-bottom: .3rem; }
h2 { font-size: 1.25rem; margin-top: 2.2rem; }
table { border-collapse: collapse; margin: .8rem 0; font-size: .92rem; }
th, td { border: 1px solid #ccc; padding: .25rem .7rem; text-align: left; vertical-align: top; }
thead th { background: #f2f2f2; }
tbody th { background: #fafafa; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1rem 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #555; font-size: .9rem; }
pre { background: #f6f6f6; border: 1px solid #e4e4e4; padding: .6rem .8rem; overflow-x: auto; font-size: .85rem; }
footer { margin-top: 3rem; color: #777; font-size: .85rem; }
"""


@dataclass
class Section:
    """One headed part of the report.

    Parameters
    ----------
    heading : str
        The section's heading.
    text : str, default=None
        Prose, split into paragraphs at blank lines.
    table : mapping or sequence of sequences, default=None
        A mapping, drawn as name/value rows, or a sequence of rows whose first row is the
        header. Numbers are right-aligned, floats shown with 4 significant digits.
    images : sequence of str or (str, str), default=()
        PNG file names relative to the report folder, each optionally paired with a caption
        as (file_name, caption).
    code : str, default=None
        Text shown verbatim (e.g. a YAML config).
    links : sequence of (str, str), default=()
        (relative address, text) pairs shown after the text, e.g. to a page beside the report.
    """

    heading: str
    text: str | None = None
    table: Table | None = None
    images: Sequence[str | tuple[str, str]] = ()
    code: str | None = None
    links: Sequence[tuple[str, str]] = ()


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def _format_cell(value: object) -> tuple[str, bool]:
    """Text of a table cell and whether it is a number (right-aligned)."""
    if isinstance(value, bool) or value is None:
        return str(value), False
    if isinstance(value, Integral):
        return str(int(value)), True
    if isinstance(value, Real):
        return f"{float(value):.4g}", True
    return str(value), False


def _td(value: object) -> str:
    text, numeric = _format_cell(value)
    return f'<td class="num">{_esc(text)}</td>' if numeric else f"<td>{_esc(text)}</td>"


def _render_table(table: Table) -> str:
    if isinstance(table, Mapping):
        body = "".join(f"<tr><th>{_esc(k)}</th>{_td(v)}</tr>" for k, v in table.items())
        return f"<table><tbody>{body}</tbody></table>"
    rows = [list(row) for row in table]
    if not rows:
        return ""
    head = "".join(f"<th>{_esc(cell)}</th>" for cell in rows[0])
    body = "".join("<tr>" + "".join(_td(cell) for cell in row) + "</tr>" for row in rows[1:])
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _image_name(out_dir: Path, name: str | os.PathLike) -> str:
    """The image's path relative to the report folder, as a POSIX string; it must exist there."""
    path = Path(name)
    if path.is_absolute():
        try:
            path = path.resolve().relative_to(out_dir.resolve())
        except ValueError:
            raise ValueError(f"image {str(name)!r} is not inside the report folder {str(out_dir)!r}") from None
    if ".." in path.parts:
        raise ValueError(f"image {str(name)!r} must be inside the report folder, not above it")
    if not (out_dir / path).is_file():
        raise FileNotFoundError(f"image {str(name)!r} does not exist in {str(out_dir)!r}; save it there first")
    return path.as_posix()


def _image_source(out_dir: Path, rel: str, embed: bool) -> str:
    if not embed:
        return quote(rel)
    return "data:image/png;base64," + base64.b64encode((out_dir / rel).read_bytes()).decode("ascii")


def _render_section(out_dir: Path, section: Section, embed_images: bool = False) -> str:
    parts = [f"<section>\n<h2>{_esc(section.heading)}</h2>"]
    if section.text:
        for paragraph in section.text.split("\n\n"):
            if paragraph.strip():
                parts.append(f"<p>{_esc(paragraph.strip())}</p>")
    for href, text in section.links:
        parts.append(f'<p><a href="{_esc(quote(href))}">{_esc(text)}</a></p>')
    if section.table is not None:
        parts.append(_render_table(section.table))
    if section.code:
        parts.append(f"<pre>{_esc(section.code)}</pre>")
    for image in section.images:
        name, caption = (image, None) if isinstance(image, (str, os.PathLike)) else image
        rel = _image_name(out_dir, name)
        alt = caption or f"{section.heading}: {Path(rel).stem}"
        figure = f'<figure><img src="{_esc(_image_source(out_dir, rel, embed_images))}" alt="{_esc(alt)}">'
        if caption:
            figure += f"<figcaption>{_esc(caption)}</figcaption>"
        parts.append(figure + "</figure>")
    parts.append("</section>")
    return "\n".join(parts)


def write_report(
    out_dir: str | os.PathLike,
    title: str,
    sections: Iterable[Section | Mapping[str, object]],
    *,
    embed_images: bool = False,
) -> Path:
    """Write `out_dir/report.html` and return its path.

    `sections` are `Section`s or mappings with the same keys ('heading', and optionally
    'text', 'table', 'images', 'code', 'links'). Every image must already exist in `out_dir`, so the
    page never shows a broken picture; a missing one raises FileNotFoundError. With
    `embed_images` the PNGs are copied into the page, which then stands alone.

    Parameters
    ----------
    out_dir : str or os.PathLike
        The report folder; it is created if needed.
    title : str
        The page's title and top heading.
    sections : iterable of Section or mapping
        The parts of the page, in order.
    embed_images : bool, default=False
        Write the PNGs into the page as data URIs instead of linking them.

    Returns
    -------
    pathlib.Path
        The path of report.html.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    body = "\n".join(
        _render_section(out_dir, s if isinstance(s, Section) else Section(**s), embed_images) for s in sections
    )
    stamp = datetime.now().astimezone().isoformat(timespec="seconds")
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_esc(title)}</title>
<style>{_CSS}</style>
</head>
<body>
<h1>{_esc(title)}</h1>
{body}
<footer>Generated by aekit {_esc(__version__)} on {_esc(stamp)}.</footer>
</body>
</html>
"""
    path = out_dir / REPORT_FILE
    atomic_write_bytes(path, page.encode("utf-8"))
    return path
