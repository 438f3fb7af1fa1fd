"""Drive a headless Chromium over the DevTools protocol, with the network shut off.

Standard library only: a minimal WebSocket client (RFC 6455, text frames) speaks to the
page target that Chromium opens on a loopback port. The browser is started with every host
name resolving to nothing and no proxy, so any attempt to reach the internet fails and shows
up as a failed request and a console error.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import json
import os
import shutil
import socket
import struct
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["Browser", "BrowserError", "find_chromium"]

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--no-default-browser-check",
    "--hide-scrollbars",
    "--mute-audio",
    "--no-proxy-server",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
)


class BrowserError(RuntimeError):
    """Chromium did not start or did not answer as expected."""


def find_chromium() -> str | None:
    """Path of a Chromium executable (``$CORRIDORS_CHROMIUM``, then the usual names)."""
    env = os.environ.get("CORRIDORS_CHROMIUM")
    if env:
        return env if Path(env).exists() else None
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


class _WebSocket:
    """Just enough WebSocket for the DevTools protocol: masked text out, text in."""

    def __init__(self, host: str, port: int, path: str, timeout: float) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (
                f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise BrowserError("DevTools closed the WebSocket handshake")
            head += chunk
        status, _, rest = head.partition(b"\r\n\r\n")
        if b" 101 " not in status.split(b"\r\n", 1)[0]:
            raise BrowserError(f"WebSocket handshake refused: {status[:200]!r}")
        self.buf = rest

    def _read(self, n: int) -> bytes:
        while len(self.buf) < n:
            chunk = self.sock.recv(max(65536, n - len(self.buf)))
            if not chunk:
                raise BrowserError("DevTools closed the connection")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def send(self, text: str, opcode: int = 0x1) -> None:
        data = text.encode()
        head = bytes([0x80 | opcode])
        n = len(data)
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 1 << 16:
            head += bytes([0x80 | 126]) + struct.pack("!H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack("!Q", n)
        mask = os.urandom(4)
        # XOR with the repeated mask, word-wide through one big integer.
        reps = (mask * (n // 4 + 1))[:n]
        masked = (int.from_bytes(data, "big") ^ int.from_bytes(reps, "big")).to_bytes(n, "big")
        self.sock.sendall(head + mask + masked)

    def recv(self) -> str:
        parts: list[bytes] = []
        while True:
            b0, b1 = self._read(2)
            opcode, n = b0 & 0x0F, b1 & 0x7F
            if n == 126:
                (n,) = struct.unpack("!H", self._read(2))
            elif n == 127:
                (n,) = struct.unpack("!Q", self._read(8))
            mask = self._read(4) if b1 & 0x80 else b""
            payload = self._read(n)
            if mask:
                payload = bytes(c ^ mask[i % 4] for i, c in enumerate(payload))
            if opcode == 0x8:
                raise BrowserError("DevTools closed the WebSocket")
            if opcode == 0x9:
                self.send(payload.decode(errors="replace"), opcode=0xA)
                continue
            if opcode == 0xA:
                continue
            parts.append(payload)
            if b0 & 0x80:
                return b"".join(parts).decode()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


class Browser:
    """One headless Chromium with one page, driven over the DevTools protocol.

    ``events`` keeps every protocol event received; :meth:`problems` picks out console
    errors, uncaught exceptions and requests that left the machine's files.
    """

    def __init__(self, exe: str, workdir: Path, *, width: int = 1280, height: int = 800) -> None:
        self.workdir = workdir
        profile = workdir / "profile"
        profile.mkdir(parents=True, exist_ok=True)
        self.log = (workdir / "chromium.log").open("wb")
        self.proc = subprocess.Popen(
            [
                exe,
                *FLAGS,
                f"--user-data-dir={profile}",
                f"--window-size={width},{height}",
                "about:blank",
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        self.ws: _WebSocket | None = None
        self.events: list[dict[str, Any]] = []
        self._id = 0
        try:
            port = self._port(profile / "DevToolsActivePort", timeout=30)
            path = self._page_path(port, timeout=10)
            self.ws = _WebSocket("127.0.0.1", port, path, timeout=30)
            for domain in ("Page", "Runtime", "Log", "Network"):
                self.call(f"{domain}.enable")
            self.call(
                "Emulation.setDeviceMetricsOverride",
                width=width,
                height=height,
                deviceScaleFactor=1,
                mobile=False,
            )
        except Exception:
            self.close()
            raise

    def _port(self, file: Path, timeout: float) -> int:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise BrowserError(
                    f"Chromium exited with {self.proc.returncode}: {self.log_tail()}"
                )
            try:
                return int(file.read_text().splitlines()[0])
            except (FileNotFoundError, IndexError, ValueError):
                time.sleep(0.05)
        raise BrowserError(f"Chromium gave no DevTools port in {timeout} s: {self.log_tail()}")

    def _page_path(self, port: int, timeout: float) -> str:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            try:
                conn.request("GET", "/json/list")
                targets = json.loads(conn.getresponse().read())
            finally:
                conn.close()
            for t in targets:
                if t.get("type") == "page" and "webSocketDebuggerUrl" in t:
                    return "/" + t["webSocketDebuggerUrl"].split("/", 3)[3]
            time.sleep(0.05)
        raise BrowserError("Chromium opened no page target")

    def log_tail(self, n: int = 2000) -> str:
        self.log.flush()
        try:
            return (self.workdir / "chromium.log").read_text(errors="replace")[-n:]
        except OSError:  # pragma: no cover
            return ""

    # -- protocol -------------------------------------------------------------------------

    def call(self, method: str, timeout: float = 30, **params: Any) -> dict[str, Any]:
        """Send a command and wait for its result (events meanwhile go to ``events``)."""
        if self.ws is None:
            raise BrowserError("not connected")
        self._id += 1
        mid = self._id
        self.ws.send(json.dumps({"id": mid, "method": method, "params": params}))
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == mid:
                if "error" in msg:
                    raise BrowserError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)
        raise BrowserError(f"{method}: no answer in {timeout} s")

    def wait_for(self, method: str, since: int = 0, timeout: float = 30) -> dict[str, Any]:
        """Wait for an event named ``method`` (looking from index ``since`` of ``events``)."""
        if self.ws is None:
            raise BrowserError("not connected")
        end = time.monotonic() + timeout
        while True:
            for e in self.events[since:]:
                if e["method"] == method:
                    return e
            if time.monotonic() > end:
                raise BrowserError(f"no {method} in {timeout} s")
            msg = json.loads(self.ws.recv())
            if "method" in msg:
                self.events.append(msg)

    def open(self, url: str) -> int:
        """Navigate and wait for the load event and two animation frames; returns the
        index in ``events`` where this page's events start."""
        since = len(self.events)
        self.call("Page.navigate", url=url)
        self.wait_for("Page.loadEventFired", since=since)
        self.evaluate(
            "new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))",
            await_promise=True,
        )
        return since

    def evaluate(self, expression: str, *, await_promise: bool = False) -> Any:
        """Evaluate JavaScript in the page and return its value (by value)."""
        res = self.call(
            "Runtime.evaluate",
            expression=expression,
            returnByValue=True,
            awaitPromise=await_promise,
        )
        if "exceptionDetails" in res:
            raise BrowserError(f"JavaScript failed: {json.dumps(res['exceptionDetails'])[:800]}")
        return res["result"].get("value")

    def screenshot(self, path: Path) -> bytes:
        """A PNG of the viewport, also written to ``path``."""
        png = base64.b64decode(self.call("Page.captureScreenshot", format="png")["data"])
        path.write_bytes(png)
        return png

    def problems(self, since: int = 0, allow: Callable[[str], bool] | None = None) -> list[str]:
        """Console errors, uncaught exceptions and non-local requests since ``since``."""
        out = []
        for e in self.events[since:]:
            m, p = e["method"], e.get("params", {})
            if m == "Runtime.exceptionThrown":
                d = p.get("exceptionDetails", {})
                out.append(
                    f"exception: {d.get('exception', {}).get('description') or d.get('text')}"
                )
            elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append(f"console.{p['type']}: {[a.get('value') for a in p.get('args', [])]}")
            elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                out.append(f"log: {p['entry'].get('text')} {p['entry'].get('url', '')}")
            elif m == "Network.requestWillBeSent":
                url = p.get("request", {}).get("url", "")
                if not url.startswith(("file:", "data:", "about:")) and not (allow and allow(url)):
                    out.append(f"request: {url}")
        return out

    def close(self) -> None:
        """End the browser this object started (by its own process handle)."""
        if self.ws is not None:
            self.ws.close()
            self.ws = None
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:  # pragma: no cover
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.log.close()
