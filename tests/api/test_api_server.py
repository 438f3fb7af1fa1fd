"""`corridors serve` as a user starts it: a real uvicorn server on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

#: How long the server may take to answer /health (it loads the network first), s.
STARTUP_TIMEOUT_S = 60
#: A first route builds a cost model (~2 s on the development machine), s.
REQUEST_TIMEOUT_S = 120


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=REQUEST_TIMEOUT_S) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    port = _free_port()
    # a file, not a pipe: a full pipe would block the server
    log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - closed after the server stops
    proc = subprocess.Popen(
        [sys.executable, "-m", "corridors.cli", "serve", "--port", str(port)],
        cwd=tempfile.gettempdir(),
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(STARTUP_TIMEOUT_S * 10):
            if proc.poll() is not None:
                log.seek(0)
                pytest.fail(f"corridors serve exited: {log.read()}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def test_real_server_health_route_and_error(server: str) -> None:
    status, body = _get(server + "/health")
    assert (status, body) == (200, {"status": "ok"})
    status, body = _get(server + "/version")
    assert status == 200 and len(body["network"]) == 64
    status, body = _get(
        server + "/route?origin=Karachi&destination=Peshawar&carrier=PAK&date=2025-06-01"
    )
    assert status == 200, body
    (route,) = body["routes"]
    assert route["origin"] == "Karachi" and route["destination"] == "Peshawar"
    assert 1000 < route["distance_km"] < 2000
    assert route["cost_usd"] > 0 and route["legs"]
    status, body = _get(server + "/route?origin=Karachii&destination=Peshawar")
    assert status == 404 and body["error"] == "unknown_place"
    assert "Karachi" in body["details"]["suggestions"]


def test_serve_refuses_a_port_in_use() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        p = subprocess.run(
            [sys.executable, "-m", "corridors.cli", "serve", "--port", str(port)],
            cwd=tempfile.gettempdir(),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert p.returncode == 2
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: cannot listen on 127.0.0.1:")
