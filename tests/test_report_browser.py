"""The report renders in a real browser, offline: headless Chromium (Debian's package) opens
``report.html`` with the network blocked, and the test checks through the DevTools protocol
that every figure decodes, nothing is fetched from the network and the console stays clean.

Chromium speaks the DevTools protocol over a pipe (``--remote-debugging-pipe``: commands on
fd 3, replies on fd 4, NUL-terminated JSON), so no driver or extra download is needed.

Run as a script to refresh the README's screenshot::

    python tests/test_report_browser.py docs/report.png
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--hide-scrollbars", "--remote-debugging-pipe",
    # no network: every host resolves to nothing, and any proxy use goes to a closed port
    "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9",
)  # fmt: skip


class Browser:
    """Headless Chromium driven through the DevTools protocol over a pipe."""

    def __init__(self, profile: str, timeout: float = 60.0):
        commands_r, self._commands = os.pipe()
        self._replies, replies_w = os.pipe()
        # the child's ends move above fd 10 first, so that bash's "3<&N 4>&M" cannot clobber them
        commands_r, replies_w = (_above_ten(fd) for fd in (commands_r, replies_w))
        launch = f'exec "$0" "$@" 3<&{commands_r} 4>&{replies_w} {commands_r}<&- {replies_w}>&-'
        self.process = subprocess.Popen(
            ["bash", "-c", launch, CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            pass_fds=(commands_r, replies_w), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        os.close(commands_r)
        os.close(replies_w)
        self.timeout = timeout
        self.events: list[dict] = []
        self._buffer = b""
        self._next_id = 0

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        """Send a command and return its result (events that arrive meanwhile are kept)."""
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read()
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]
            self.events.append(reply)

    def wait_for(self, event: str) -> dict:
        for seen in self.events:
            if seen.get("method") == event:
                return seen
        while True:
            message = self._read()
            self.events.append(message)
            if message.get("method") == event:
                return message

    def _read(self) -> dict:
        deadline = time.monotonic() + self.timeout
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._replies], [], [], left)[0]:
                raise TimeoutError("chromium did not answer in time")
            chunk = os.read(self._replies, 1 << 20)
            if not chunk:
                raise RuntimeError(f"chromium exited: {self.process.stderr.read().decode(errors='replace')[-2000:]}")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._commands)
        os.close(self._replies)


def _above_ten(fd: int) -> int:
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
    os.close(fd)
    return moved


def render(page: Path, *, width: int = 1200, until: str | None = None) -> dict:
    """Open ``page`` in headless Chromium; return what it saw: the images, the URLs requested,
    console errors and exceptions, and a PNG screenshot (the full page, or down to the end of
    the element that the CSS selector ``until`` picks)."""
    with tempfile.TemporaryDirectory() as profile:
        browser = Browser(profile)
        try:
            target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
            session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            for domain in ("Page", "Runtime", "Log", "Network"):
                browser.send(f"{domain}.enable", session=session)
            browser.send("Emulation.setDeviceMetricsOverride", {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False}, session)
            browser.send("Page.navigate", {"url": page.resolve().as_uri()}, session)
            browser.wait_for("Page.loadEventFired")
            check = (
                "JSON.stringify({images: [...document.images].map(i => ({ok: i.complete && i.naturalWidth > 0, "
                "width: i.naturalWidth, alt: i.alt})), height: document.documentElement.scrollHeight, "
                f"until: {json.dumps(until)} && document.querySelector({json.dumps(until)}).getBoundingClientRect().bottom, "
                "text: document.body.innerText})"
            )  # fmt: skip
            seen = json.loads(browser.send("Runtime.evaluate", {"expression": check, "returnByValue": True}, session)["result"]["value"])
            height = int(seen["until"]) + 24 if until else seen["height"]
            browser.send("Emulation.setDeviceMetricsOverride", {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}, session)
            shot = browser.send("Page.captureScreenshot", {"format": "png", "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}}, session)
            events = browser.events
        finally:
            browser.close()
    seen["screenshot"] = base64.b64decode(shot["data"])
    seen["requests"] = [e["params"]["request"]["url"] for e in events if e.get("method") == "Network.requestWillBeSent"]
    seen["errors"] = [
        e["params"]
        for e in events
        if e.get("method") == "Runtime.exceptionThrown"
        or (e.get("method") == "Runtime.consoleAPICalled" and e["params"].get("type") in ("error", "assert"))
        or (e.get("method") == "Log.entryAdded" and e["params"]["entry"].get("level") == "error")
        or e.get("method") == "Network.loadingFailed"
    ]
    return seen


def _write_report(out: Path, *extra: str) -> Path:
    from losskit.platform.cli import compare_main

    assert compare_main(["--dataset", "breast_cancer", "--epochs", "4", "--repeats", "1", "--folds", "2", "--quiet", "--out", str(out), *extra]) == 0
    return out / "report.html"


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
def test_report_renders_offline_with_every_figure_and_no_console_error(tmp_path):
    page = _write_report(tmp_path / "report")
    seen = render(page)

    assert seen["errors"] == []
    assert all(url.startswith(("file:", "data:")) for url in seen["requests"]), seen["requests"]
    images = seen["images"]
    # the intervals, the overview, one evaluation view per loss, ROC/PR, calibration, confusion, profiles
    assert len(images) >= 8
    assert all(image["ok"] for image in images), [image["alt"] for image in images if not image["ok"]]
    assert all(image["width"] >= 400 for image in images)
    assert "The evidence" in seen["text"] and "Compatibility findings" in seen["text"]
    assert "Evaluation on held-out rows" in seen["text"] and "Running:" not in seen["text"]

    import numpy as np
    from matplotlib.image import imread
    import io

    pixels = imread(io.BytesIO(seen["screenshot"]), format="png")
    assert pixels.shape[1] == 1200 and pixels.shape[0] == seen["height"]
    # not a blank page: a good share of the pixels differ from the background
    background = pixels[0, 0]
    assert np.mean(np.any(np.abs(pixels - background) > 0.05, axis=-1)) > 0.05


if __name__ == "__main__":  # refresh the README screenshot: the default report down to the curves of every loss
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/report.png")
    with tempfile.TemporaryDirectory() as tmp:
        from losskit.platform.cli import compare_main

        assert compare_main(["--quiet", "--out", f"{tmp}/report"]) == 0
        result = render(Path(tmp) / "report" / "report.html", until="section:nth-of-type(2) > img")  # the verdict to the curves
    target.write_bytes(result["screenshot"])
    print(f"{target}: {len(result['screenshot'])} bytes; console errors: {len(result['errors'])}")
