"""A run's HTML report in a real browser: headless Chromium, driven over the Chrome DevTools
protocol on a pipe, loads the page from a local file; every image must decode (naturalWidth
> 0) and the console must stay free of errors. Skips where no Chromium is installed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from aekit.cli import main
from tests.harness.chromium import Chromium

pytestmark = pytest.mark.usefixtures("one_torch_thread")

IMAGES = (
    "Array.from(document.images).map(i => ({src: i.src.slice(0, 40), complete: i.complete, width: i.naturalWidth}))"
)


def check_page(browser: Chromium, page: Path) -> tuple[list[dict], list[str]]:
    session = browser.open(page.resolve().as_uri())
    browser.evaluate("Promise.all(Array.from(document.images).map(i => i.decode().catch(() => null)))", session)
    return browser.evaluate(IMAGES, session), browser.errors(session)


@pytest.mark.slow
def test_run_report_renders_every_image_without_console_errors(browser, tmp_path):
    run = tmp_path / "run"
    args = [
        "train",
        "--data",
        "digits",
        "--epochs",
        "2",
        "--out",
        str(run),
        "--quiet",
        "--set",
        "model.hidden_dims=[16]",
    ]
    assert main(args) == 0
    assert main(["report", str(run)]) == 0
    copy = tmp_path / "elsewhere" / "report.html"
    copy.parent.mkdir()
    shutil.copyfile(run / "report.html", copy)
    images, errors = check_page(browser, copy)
    assert len(images) >= 6
    assert [i for i in images if not i["complete"] or i["width"] <= 0] == []
    assert errors == []


def test_the_check_catches_broken_images_and_console_errors(browser, tmp_path):
    page = tmp_path / "broken.html"
    page.write_text(
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>t</title></head><body>'
        '<img src="missing.png" alt="x"><script>console.error("boom")</script></body></html>'
    )
    images, errors = check_page(browser, page)
    assert images[0]["width"] == 0
    assert any("boom" in e for e in errors)
