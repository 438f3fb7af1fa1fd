#!/usr/bin/env python
"""Load test of the HTTP API: a real ``corridors serve`` on 127.0.0.1, many concurrent clients.

For each server configuration (1 worker, then 2 workers, side by side in one run) the script

1. starts ``corridors serve --port P --workers N`` as a subprocess and waits for ``/health``;
2. warms it up: the mix is sent 2 x workers times, concurrently on new connections, so that
   every worker is likely to have built the mix's cost models (the mix needs two, fewer than
   a worker's cache holds);
3. runs ``--clients`` concurrent clients (httpx, asyncio) for ``--seconds``, each sending the
   mix in a fixed rotation (offset per client): routes (best, k = 3 alternatives, GeoJSON) and
   2 x 3 matrices, all valid requests;
4. samples the server's resident memory (RSS of the server process and its workers, psutil)
   every second and reports it after the warm-up, at the middle and at the end of the run.

It reports throughput (answers per second), p50 / p99 / max latency overall and per kind of
request, errors (non-2xx answers or failed connections: there should be none) and memory
(there should be no growth between the middle and the end).  It prints Markdown, and in full
mode writes ``bench/results/api.md`` (or ``--output``).  The script reports; it does not judge:
exit status 0 when the measurements completed, 1 when a request failed or the server died.

Usage::

    python bench/bench_api.py             # full: 32 clients x 30 s, 1 and 2 workers (~2 min)
    python bench/bench_api.py --quick     # smoke run for CI: 4 clients x 5 s, 1 worker
    python bench/bench_api.py --clients 64 --seconds 60 --workers 1,2 --output /tmp/api.md
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil
from _machine import describe

HERE = Path(__file__).resolve().parent
DEFAULT_OUTPUT = HERE / "results" / "api.md"
#: Seconds to wait for the server's first /health answer (it loads the network first).
STARTUP_TIMEOUT_S = 120.0
#: Per-request timeout, seconds: generous, a slow answer is measured, not dropped.
REQUEST_TIMEOUT_S = 300.0
#: Interval between memory samples, seconds.
RSS_INTERVAL_S = 1.0

DATE = "2025-06-01"
#: The request mix: (kind, method, path, JSON body).  Carriers default to the origin's
#: country, so the mix needs two cost models (UZB and KAZ trucks on DATE).
MIX: list[tuple[str, str, str, dict[str, Any] | None]] = [
    ("route", "GET", f"/route?origin=Tashkent&destination=Karachi&date={DATE}", None),
    ("route", "GET", f"/route?origin=Samarkand&destination=PKGWD&date={DATE}", None),
    ("route", "GET", f"/route?origin=Almaty&destination=Karachi&date={DATE}", None),
    ("route", "GET", f"/route?origin=Termez&destination=Peshawar&date={DATE}&format=geojson", None),
    ("route_k3", "GET", f"/route?origin=Tashkent&destination=Karachi&date={DATE}&k=3", None),
    (
        "matrix",
        "POST",
        "/matrix",
        {
            "origins": ["Tashkent", "Almaty"],
            "destinations": ["PKKHI", "PKGWD", "IRBND"],
            "date": DATE,
        },
    ),
]


@dataclass
class Run:
    """What one server configuration gave."""

    workers: int
    clients: int
    seconds: float
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    rss_mb: list[tuple[float, float]] = field(default_factory=list)  # (t since start, MB)
    rss_after_start_mb: float = 0.0
    rss_after_warmup_mb: float = 0.0
    elapsed: float = 0.0
    warmup_s: float = 0.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (uvicorn's workers), MB."""
    try:
        proc = psutil.Process(pid)
        procs = [proc, *proc.children(recursive=True)]
    except psutil.NoSuchProcess:
        return float("nan")
    total = 0
    for p in procs:
        with contextlib.suppress(psutil.NoSuchProcess):
            total += p.memory_info().rss
    return total / 1e6


def _start(workers: int, log: Any) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    cmd = [sys.executable, "-m", "corridors.cli", "--quiet", "serve", "--port", str(port)]
    cmd += ["--workers", str(workers)]
    proc = subprocess.Popen(cmd, cwd=tempfile.gettempdir(), stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with status {proc.returncode}")
        try:
            if httpx.get(base + "/health", timeout=REQUEST_TIMEOUT_S).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.terminate()
    raise RuntimeError("the server did not answer /health in time")


async def _send(client: httpx.AsyncClient, item: tuple[str, str, str, Any]) -> httpx.Response:
    _, method, path, body = item
    if method == "GET":
        return await client.get(path)
    return await client.post(path, json=body)


async def _load(base: str, run: Run) -> None:
    stop = time.monotonic() + run.seconds
    limits = httpx.Limits(max_connections=run.clients, max_keepalive_connections=run.clients)
    async with httpx.AsyncClient(base_url=base, timeout=REQUEST_TIMEOUT_S, limits=limits) as client:

        async def one_client(offset: int) -> None:
            i = offset
            while time.monotonic() < stop:
                item = MIX[i % len(MIX)]
                i += 1
                t0 = time.perf_counter()
                try:
                    r = await _send(client, item)
                except httpx.HTTPError as exc:
                    run.errors.append(f"{item[0]}: {type(exc).__name__}: {exc}")
                    continue
                took = time.perf_counter() - t0
                if r.status_code != 200:
                    run.errors.append(f"{item[0]}: HTTP {r.status_code}: {r.text[:200]}")
                    continue
                run.latencies.setdefault(item[0], []).append(took)

        t0 = time.monotonic()
        await asyncio.gather(*(one_client(c) for c in range(run.clients)))
        run.elapsed = time.monotonic() - t0


async def _warm_up(base: str, run: Run) -> None:
    """Send the mix 2 x workers times, concurrently and each on a new connection, so that
    every worker process (each holds its own cost models) is likely to build its models."""
    limits = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=base, timeout=REQUEST_TIMEOUT_S, limits=limits) as c:
        for _ in range(2 * run.workers):
            answers = await asyncio.gather(*(_send(c, item) for item in MIX))
            for item, r in zip(MIX, answers, strict=True):
                if r.status_code != 200:
                    run.errors.append(f"warm-up {item[2]}: HTTP {r.status_code}")


def measure(workers: int, clients: int, seconds: float) -> Run:
    """Start a server, warm it up, load it, sample its memory, stop it."""
    run = Run(workers, clients, seconds)
    with tempfile.TemporaryFile() as log:
        proc, base = _start(workers, log)
        try:
            run.rss_after_start_mb = _rss_mb(proc.pid)
            t0 = time.monotonic()
            asyncio.run(_warm_up(base, run))
            run.warmup_s = time.monotonic() - t0
            run.rss_after_warmup_mb = _rss_mb(proc.pid)
            done = threading.Event()
            start = time.monotonic()

            def sample() -> None:
                while not done.wait(RSS_INTERVAL_S):
                    run.rss_mb.append((time.monotonic() - start, _rss_mb(proc.pid)))

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            asyncio.run(_load(base, run))
            done.set()
            sampler.join()
            run.rss_mb.append((time.monotonic() - start, _rss_mb(proc.pid)))
            if proc.poll() is not None:
                run.errors.append(f"the server died with status {proc.returncode}")
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    return run


def _pct(xs: list[float], q: float) -> float:
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, round(q * (len(xs) - 1))))]


def _rss_at(run: Run, frac: float) -> float:
    if not run.rss_mb:
        return float("nan")
    t_end = run.rss_mb[-1][0]
    return min(run.rss_mb, key=lambda s: abs(s[0] - frac * t_end))[1]


def report(runs: list[Run], quick: bool) -> str:
    """Markdown: machine, method, one summary table and per-kind latencies."""
    lines = [
        "# HTTP API load test",
        "",
        f"Run {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC with `python bench/bench_api.py"
        f"{' --quick' if quick else ''}`.",
        "",
        "| machine | |",
        "|---|---|",
    ]
    machine = describe(("corridors", "fastapi", "uvicorn", "httpx", "numpy", "scipy"))
    lines += [f"| {k} | {v} |" for k, v in machine]
    lines += [
        "",
        "A real `corridors serve` on 127.0.0.1 (uvicorn); concurrent clients (httpx, asyncio) "
        "send a fixed rotation of valid requests: four routes (one as GeoJSON), a route with "
        "k = 3 alternatives and a 2 × 3 matrix, all departing "
        f"{DATE} (two cost models, built in an untimed warm-up). Memory is the resident set "
        "of the server and its workers.",
        "",
        "| workers | clients | s | answers | answers/s | p50 ms | p99 ms | max ms | errors "
        "| RSS after warm-up MB | RSS middle MB | RSS end MB | growth middle→end |",
        "|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in runs:
        all_lat = [x for xs in r.latencies.values() for x in xs]
        mid, end = _rss_at(r, 0.5), _rss_at(r, 1.0)
        lines.append(
            f"| {r.workers} | {r.clients} | {r.elapsed:.0f} | {len(all_lat)} "
            f"| {len(all_lat) / r.elapsed:.1f} | {_pct(all_lat, 0.5) * 1e3:,.0f} "
            f"| {_pct(all_lat, 0.99) * 1e3:,.0f} | {max(all_lat, default=0) * 1e3:,.0f} "
            f"| {len(r.errors)} | {r.rss_after_warmup_mb:,.0f} | {mid:,.0f} | {end:,.0f} "
            f"| {(end - mid) / mid * 100:+.1f} % |"
        )
    if len(runs) > 1 and runs[0].elapsed:
        base = sum(map(len, runs[0].latencies.values())) / runs[0].elapsed
        for r in runs[1:]:
            rate = sum(map(len, r.latencies.values())) / r.elapsed
            lines += ["", f"Throughput with {r.workers} workers: {rate / base:.2f}× one worker."]
    lines += ["", "Latency per kind of request (ms):", ""]
    lines += ["| workers | kind | answers | p50 | p99 | mean |", "|--:|---|--:|--:|--:|--:|"]
    for r in runs:
        for kind, xs in sorted(r.latencies.items()):
            lines.append(
                f"| {r.workers} | {kind} | {len(xs)} | {_pct(xs, 0.5) * 1e3:,.0f} "
                f"| {_pct(xs, 0.99) * 1e3:,.0f} | {statistics.fmean(xs) * 1e3:,.0f} |"
            )
    lines += ["", "Server start and warm-up:", ""]
    for r in runs:
        lines.append(
            f"- {r.workers} worker(s): RSS {r.rss_after_start_mb:,.0f} MB after the first "
            f"/health, {r.rss_after_warmup_mb:,.0f} MB after the warm-up ({r.warmup_s:.1f} s)."
        )
    errors = [e for r in runs for e in r.errors]
    if errors:
        lines += ["", "Errors (first 10):", ""] + [f"- {e}" for e in errors[:10]]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="smoke run: 4 clients x 5 s, 1 worker")
    ap.add_argument("--clients", type=int, default=None, help="concurrent clients (32)")
    ap.add_argument("--seconds", type=float, default=None, help="load duration (30)")
    ap.add_argument("--workers", default=None, help="comma-separated worker counts (1,2)")
    ap.add_argument("--output", type=Path, default=None, help="Markdown file to write")
    args = ap.parse_args(argv)
    clients = args.clients or (4 if args.quick else 32)
    seconds = args.seconds or (5.0 if args.quick else 30.0)
    workers = [int(w) for w in (args.workers or ("1" if args.quick else "1,2")).split(",")]
    runs = []
    for w in workers:
        try:
            runs.append(measure(w, clients, seconds))
        except RuntimeError as exc:
            print(f"bench_api: {exc}", file=sys.stderr)
            return 1
    text = report(runs, args.quick)
    print(text)
    out = args.output or (None if args.quick else DEFAULT_OUTPUT)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
    return 1 if any(r.errors for r in runs) else 0


if __name__ == "__main__":
    raise SystemExit(main())
