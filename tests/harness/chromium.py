"""Headless Chromium driven over the Chrome DevTools protocol on a pipe (no driver binary, no
network port): the browser tests and `benchmarks/explorer.py` open local pages with it, run
JavaScript in them, send real mouse input and collect console errors."""

from __future__ import annotations

import fcntl
import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path

__all__ = ["Chromium", "find_browser"]

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

    def value(self, expression: str, session: str):
        """The value of a JavaScript expression, passed through JSON (arrays and objects too)."""
        return json.loads(self.evaluate(f"JSON.stringify({expression})", session))

    def mouse(self, session: str, kind: str, point, pressed: bool = False) -> None:
        """A real mouse event ('mousePressed', 'mouseMoved', 'mouseReleased') with the left
        button at `point` (CSS pixels from the viewport's corner); `pressed` moves with the
        button held (a drag)."""
        held = kind == "mousePressed" or pressed
        button = "left" if kind != "mouseMoved" or held else "none"
        params = {"type": kind, "x": float(point[0]), "y": float(point[1]), "button": button}
        if kind != "mouseMoved":
            params["clickCount"] = 1
        if held:
            params["buttons"] = 1
        self.send("Input.dispatchMouseEvent", params, session)

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
