"""The documentation site as a reader meets it: built in quick mode (every gallery example
executed on few rows and epochs, Sphinx warnings as errors) from a copy of docs/ and examples/,
then checked page by page: every gallery example has a page with its figure, internal links and
their anchors resolve, nothing is fetched from another host, and in headless Chromium the index,
the `AutoEncoder` API page and three gallery pages load every image with no console error."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
EXAMPLES = sorted((ROOT / "examples").glob("plot_*.py"))
IMAGES = "Array.from(document.images).map(i => ({src: i.src.slice(-60), complete: i.complete, width: i.naturalWidth}))"

pytestmark = pytest.mark.slow


class Links(HTMLParser):
    """The ids, link targets and fetched resources of one HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.resources: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if tag in ("script", "img") and attrs.get("src"):
            self.resources.append(attrs["src"])
        if tag == "link" and attrs.get("href") and attrs.get("rel") in ("stylesheet", "preload", "icon"):
            self.resources.append(attrs["href"])


def parse(page: Path) -> Links:
    parser = Links()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def build_site(root: Path) -> None:
    """Build the quick site from copies of docs/ and examples/ into root/html; write Sphinx's
    exit code and stderr next to it (root/returncode, root/stderr)."""
    for folder in ("docs", "examples"):
        shutil.copytree(ROOT / folder, root / folder, ignore=shutil.ignore_patterns("_build", "api", "gallery", "sg_execution_times.rst"))
    env = {**os.environ, "AEKIT_QUICK": "1", "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1"}
    if SHARED_DATA.is_dir():
        env.setdefault("AEKIT_DATA", str(SHARED_DATA))
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", str(root / "docs"), str(root / "html")],
        capture_output=True, text=True, env=env, timeout=1500,
    )  # fmt: skip
    (root / "stderr").write_text(result.stderr, encoding="utf-8")
    (root / "returncode").write_text(str(result.returncode))


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The quick site, built once per test session: under pytest-xdist the first worker to get
    here builds it in the session's temporary directory, the others wait for it and reuse it."""
    pytest.importorskip("sphinx_gallery", reason="the docs extra (sphinx-gallery) is not installed")
    from filelock import FileLock

    base = tmp_path_factory.getbasetemp()
    root = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "docs-build"
    with FileLock(f"{root}.lock"):
        if not (root / "returncode").is_file():
            shutil.rmtree(root, ignore_errors=True)
            root.mkdir()
            build_site(root)
    assert (root / "returncode").read_text() == "0", (root / "stderr").read_text(encoding="utf-8")[-5000:]
    return root / "html"


def test_every_example_has_a_page_with_its_figure(site):
    assert EXAMPLES, "no gallery examples"
    for example in EXAMPLES:
        page = site / "gallery" / f"{example.stem}.html"
        assert page.is_file(), f"{example.name} has no gallery page"
        figures = [src for src in parse(page).resources if "sphx_glr_" in src and src.endswith(".png")]
        assert figures, f"{example.name}'s page shows no figure"


def test_internal_links_resolve_and_nothing_is_fetched_from_elsewhere(site):
    pages = sorted(site.rglob("*.html"))
    parsed = {page: parse(page) for page in pages}
    broken, remote = [], []
    for page, links in parsed.items():
        remote += [f"{page.relative_to(site)}: {r}" for r in links.resources if urlsplit(r).scheme in ("http", "https")]
        for href in links.links:
            parts = urlsplit(href)
            if parts.scheme or href.startswith("mailto:"):
                continue
            target = page if not parts.path else (page.parent / unquote(parts.path)).resolve()
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file():
                broken.append(f"{page.relative_to(site)} -> {href}")
            elif parts.fragment and target.suffix == ".html":
                ids = parsed[target].ids if target in parsed else parse(target).ids
                if unquote(parts.fragment) not in ids:
                    broken.append(f"{page.relative_to(site)} -> {href} (no such anchor)")
    assert not remote, remote[:20]
    assert not broken, broken[:20]


def test_pages_render_in_chromium_with_every_image_and_no_console_error(site, browser):
    api_page = site / "api" / "generated" / "aekit.estimators.autoencoder.AutoEncoder.html"
    gallery = [site / "gallery" / f"{example.stem}.html" for example in EXAMPLES[:3]]
    for page in [site / "index.html", api_page, *gallery]:
        assert page.is_file(), page
        session = browser.open(page.resolve().as_uri())
        browser.evaluate("Promise.all(Array.from(document.images).map(i => i.decode().catch(() => null)))", session)
        images = browser.evaluate(IMAGES, session)
        assert [i for i in images if not i["complete"] or i["width"] <= 0] == [], page
        assert browser.errors(session) == [], page
    assert "fit" in api_page.read_text() and "latent_dim" in api_page.read_text()
