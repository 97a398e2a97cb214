"""A run's HTML report in a real browser: headless Chromium, driven over the Chrome DevTools
protocol on a pipe, loads the page from a local file; every image must decode (naturalWidth
> 0) and the console must stay free of errors. Skips where no Chromium is installed."""

from __future__ import annotations

import fcntl
import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from aekit.cli import main

pytestmark = pytest.mark.usefixtures("one_torch_thread")

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-pipe",
)
DEADLINE = 120.0  # seconds; a guard against a hung browser, not a performance check
IMAGES = (
    "Array.from(document.images).map(i => ({src: i.src.slice(0, 40), complete: i.complete, width: i.naturalWidth}))"
)


BASH = shutil.which("bash") or "/bin/bash"  # its redirections take fd numbers above 9, unlike dash's


def find_browser() -> str | None:
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


class Chromium:
    """Headless Chromium speaking CDP over its pipe (fd 3 in, fd 4 out, messages end in NUL)."""

    def __init__(self, executable: str, profile: Path) -> None:
        to_browser_r, to_browser_w = os.pipe()
        from_browser_r, from_browser_w = os.pipe()
        keep = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (to_browser_r, from_browser_w)]
        for fd in (to_browser_r, from_browser_w):
            os.close(fd)
        script = f'exec "$0" "$@" 3<&{keep[0]} 4>&{keep[1]} {keep[0]}<&- {keep[1]}>&-'
        self.process = subprocess.Popen(
            [BASH, "-c", script, executable, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            pass_fds=keep,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for fd in keep:
            os.close(fd)
        self.writer, self.reader = to_browser_w, from_browser_r
        self.buffer = b""
        self.next_id = 0
        self.events: list[dict] = []
        self.deadline = time.monotonic() + DEADLINE

    def _receive(self) -> dict:
        while b"\0" not in self.buffer:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0 or not select.select([self.reader], [], [], remaining)[0]:
                raise TimeoutError("the browser did not answer")
            chunk = os.read(self.reader, 1 << 16)
            if not chunk:
                raise ConnectionError("the browser closed its pipe")
            self.buffer += chunk
        message, _, self.buffer = self.buffer.partition(b"\0")
        return json.loads(message)

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.writer, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._receive()
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]
            self.events.append(reply)

    def wait_for(self, method: str, session: str) -> None:
        while not any(e.get("method") == method and e.get("sessionId") == session for e in self.events):
            self.events.append(self._receive())

    def open(self, url: str) -> str:
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.send(f"{domain}.enable", session=session)
        self.send("Page.navigate", {"url": url}, session)
        self.wait_for("Page.loadEventFired", session)
        return session

    def evaluate(self, expression: str, session: str):
        return self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session)["result"][
            "value"
        ]

    def errors(self, session: str) -> list[str]:
        """Console errors, uncaught exceptions and failed loads reported for the page."""
        found = []
        for event in self.events:
            if event.get("sessionId") != session:
                continue
            params = event.get("params", {})
            if event.get("method") == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                found.append(" ".join(str(a.get("value", a.get("description"))) for a in params.get("args", [])))
            elif event.get("method") == "Runtime.exceptionThrown":
                found.append(params["exceptionDetails"].get("text", "exception"))
            elif event.get("method") == "Log.entryAdded" and params["entry"].get("level") == "error":
                found.append(params["entry"].get("text", "error"))
        return found

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except (OSError, RuntimeError, TimeoutError, ConnectionError):
            pass
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self.writer)
        os.close(self.reader)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    executable = find_browser()
    if executable is None:
        pytest.skip("no Chromium found (install the Debian packages chromium and chromium-driver; .ci/run does)")
    chromium = Chromium(executable, tmp_path_factory.mktemp("chromium-profile"))
    yield chromium
    chromium.close()


def check_page(browser: Chromium, page: Path) -> tuple[list[dict], list[str]]:
    session = browser.open(page.resolve().as_uri())
    browser.evaluate("Promise.all(Array.from(document.images).map(i => i.decode().catch(() => null)))", session)
    return browser.evaluate(IMAGES, session), browser.errors(session)


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
