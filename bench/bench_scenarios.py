#!/usr/bin/env python
"""Benchmark many scenarios × many OD pairs: full rebuild against re-costing only what changed.

Scenarios are drawn at random (seeded) over three sweep parameters — Torkham's and Chaman's
mean crossing hours (0–120 h) and a road-rate factor (0.9–1.3) — on the baseline.  Each
scenario is routed on a matrix of OD pairs (6 CAR cities × 5 seaports = 30 by default) with
the generalized objective.  Side by side in one run:

* **full rebuild**: apply the scenario, build a new planner (cost models and graphs from
  scratch) and run the matrix — what a scenario costs without incremental re-costing;
* **re-costed**: the baseline's cost models re-costed in place for the changed posts and road
  rates (:mod:`corridors.scenarios.recost`), graphs rebuilt, then the matrix;
* **parallel**: the re-costed path over all scenarios on a process pool of all cores, wall
  clock, projected to 1,000 scenarios;
* **batch** (what ``corridors sweep`` does for large grids): the batch evaluator
  (:mod:`corridors.scenarios.batch`) certifies the best routes over the whole box with a few
  dozen searches, then applies, re-costs and checks each scenario on worker processes
  forked from it; ``--batch N`` runs N scenarios (default 1,000), wall clock, and a sample is
  compared with direct runs (same choice, figures within a cent).

It reports and does not judge (exit 0 when a target is missed).  ``--quick`` is a smoke run.

Usage::

    python bench/bench_scenarios.py                    # 40 scenarios, 30 OD pairs
    python bench/bench_scenarios.py --scenarios 1000   # the issue's full size
    python bench/bench_scenarios.py --quick
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import datetime as dt
import os
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from _machine import describe

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from corridors.planner import Planner  # noqa: E402
from corridors.scenarios import apply_scenario, load_scenario  # noqa: E402
from corridors.scenarios.batch import BatchEvaluator  # noqa: E402
from corridors.scenarios.sweep import (  # noqa: E402
    _Job,
    _planner_for,
    _run,
    derived_scenario,
    parse_parameter,
)

ORIGINS = ("Tashkent", "Almaty", "Bishkek", "Dushanbe", "Ashgabat", "Termez")
DESTINATIONS = ("Karachi", "Port Qasim", "Gwadar", "Bandar Abbas", "Chabahar")
PARAMETERS = ("post:torkham.hours", "post:chaman.hours", "tariff:road")
RANGES = ((0.0, 120.0), (0.0, 120.0), (0.9, 1.3))
DEPARTURE = dt.date(2025, 6, 1)
TARGET_S = 60.0  # 1,000 scenarios × 30 OD pairs on 2 cores
OUTPUT = REPO / "bench" / "results" / "scenarios.md"


def draws(n: int, seed: int) -> list[tuple[float, ...]]:
    rng = np.random.default_rng(seed)
    cols = [rng.uniform(lo, hi, n) for lo, hi in RANGES]
    return [tuple(float(c[i]) for c in cols) for i in range(n)]


def run_one(args: tuple[tuple[float, ...], tuple[str, ...], tuple[str, ...], bool]) -> float:
    """One scenario's matrix; returns the seconds it took (in the worker)."""
    values, origins, destinations, incremental = args
    t0 = time.perf_counter()
    base = load_scenario("baseline")
    sc = derived_scenario(base, [parse_parameter(p) for p in PARAMETERS], values)
    applied = apply_scenario(sc)
    if incremental:
        planner = _planner_for(base, sc, applied)
    else:
        planner = Planner(applied.network, applied.rules)
    rows = planner.matrix(origins, destinations, objective="generalized", departure=DEPARTURE)
    assert len(rows) == len(origins) * len(destinations)
    return time.perf_counter() - t0


def batch_run(
    n: int,
    check: int,
    seed: int,
    origins: Sequence[str],
    destinations: Sequence[str],
    workers: int,
) -> tuple[float, float, int, int, int]:
    """The batch path on ``n`` drawn scenarios: (certify seconds, wall seconds, rows checked
    against direct runs, rows that differ in choice or by more than a cent, and of those the
    ties: the direct search found another path of the same search weight)."""
    base = load_scenario("baseline")
    params = tuple(parse_parameter(p) for p in PARAMETERS)
    pairs = tuple((o, d) for o in origins for d in destinations)
    values = draws(n, seed + 1)
    grid = np.array(values)

    def direct(v: tuple[float, ...], some: tuple[tuple[str, str], ...]) -> list[dict]:
        return _run(_Job(base, params, v, some, DEPARTURE, "generalized", None))

    t0 = time.perf_counter()
    ev = BatchEvaluator(
        base, params, grid.min(axis=0), grid.max(axis=0), pairs,
        departure=DEPARTURE, objective="generalized", carrier=None, direct=direct,
        workers=workers,
    )  # fmt: skip
    setup = time.perf_counter() - t0
    rows = ev.rows_many(values, workers=workers)
    wall = time.perf_counter() - t0
    checked = differ = ties = 0
    for v, got in zip(values[:check], rows[:check], strict=False):
        for k, (x, y) in enumerate(zip(got, direct(v, pairs), strict=True)):
            checked += 1
            keys = ("cost_usd", "hours", "generalized_cost_usd", "distance_km")
            if x["choice"] != y["choice"] or any(abs(x[key] - y[key]) > 0.011 for key in keys):
                differ += 1
                # another path of the same search weight (a tie): both are best routes
                a, b = ev.certified_weight(v, k), ev.searched_weight(v, k)
                ties += abs(a - b) <= 1e-9 * max(1.0, abs(b))
    return setup, wall, checked, differ, ties


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scenarios", type=int, default=40, help="scenarios in the parallel run")
    ap.add_argument("--full", type=int, default=3, help="scenarios timed with a full rebuild")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--batch", type=int, default=1000, help="scenarios through the batch path")
    ap.add_argument("--check", type=int, default=5, help="batch scenarios checked directly")
    ap.add_argument("--quick", action="store_true", help="smoke run (3 scenarios, 2 × 2 pairs)")
    ap.add_argument("--output", type=Path, default=None)
    a = ap.parse_args(argv)
    origins, destinations = ORIGINS, DESTINATIONS
    if a.quick:
        a.scenarios, a.full, origins, destinations = 3, 1, ORIGINS[:2], DESTINATIONS[:2]
        a.batch, a.check = 4, 1
    machine = describe(("numpy", "scipy", "corridors", "dask", "distributed"))
    values = draws(a.scenarios, a.seed)
    pairs = len(origins) * len(destinations)

    # warm the baseline planner and its cost models (outside every timer)
    t0 = time.perf_counter()
    run_one((values[0], origins, destinations, True))
    warm = time.perf_counter() - t0

    full = [run_one((v, origins, destinations, False)) for v in values[: a.full]]
    inc = [run_one((v, origins, destinations, True)) for v in values[: max(a.full, 3)]]

    t0 = time.perf_counter()
    with cf.ProcessPoolExecutor(max_workers=a.workers) as pool:
        per = list(pool.map(run_one, [(v, origins, destinations, True) for v in values]))
    wall = time.perf_counter() - t0
    projected = wall / len(values) * 1000 * (30 / pairs)

    b_setup, b_wall, b_checked, b_diff, b_ties = batch_run(
        a.batch, a.check, a.seed, origins, destinations, a.workers
    )
    med_full, med_inc = statistics.median(full), statistics.median(inc)
    lines = [
        "# Scenario benchmark",
        "",
        f"Generated by `bench/bench_scenarios.py` on "
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; "
        f"{len(values)} scenarios × {pairs} OD pairs ({len(origins)} origins × "
        f"{len(destinations)} ports), parameters {', '.join(PARAMETERS)} drawn uniformly "
        f"(seed {a.seed}), departure {DEPARTURE}, generalized objective"
        + (" — **quick smoke run**" if a.quick else "")
        + ".",
        "",
        "## Hardware and software",
        "",
        *[f"- **{k}:** {v}" for k, v in machine],
        "",
        "## Results",
        "",
        "| what | median | n |",
        "|---|--:|--:|",
        f"| first scenario in a fresh process (loads, baseline cost models) | {warm:.2f} s | 1 |",
        f"| one scenario, full rebuild (apply + new cost models + matrix) | {med_full:.2f} s "
        f"| {len(full)} |",
        f"| one scenario, re-costed in place (apply + re-cost + matrix) | {med_inc:.2f} s "
        f"| {len(inc)} |",
        f"| ↳ speed-up of re-costing | {med_full / med_inc:.1f}× | |",
        f"| {len(values)} scenarios on {a.workers} worker process(es), wall clock | {wall:.1f} s "
        f"| {len(values)} |",
        f"| ↳ per scenario in the workers (median) | {statistics.median(per):.2f} s | |",
        f"| projected: 1,000 scenarios × 30 OD pairs, scenario by scenario | {projected:.0f} s | |",
        f"| batch: certify the box (searches at the envelope's vertices) | {b_setup:.1f} s | 1 |",
        f"| batch: {a.batch} scenarios applied, re-costed, checked and totalled | "
        f"{b_wall - b_setup:.1f} s | {a.batch} |",
        f"| ↳ per scenario (wall clock, {a.workers} process(es)) | "
        f"{(b_wall - b_setup) / a.batch * 1000:.0f} ms | |",
        f"| **batch: {a.batch} scenarios × {pairs} OD pairs, wall clock ({a.workers} "
        f"process(es))** | "
        f"**{b_wall:.0f} s** | |",
        f"| batch rows checked against direct runs | {b_checked} rows, {b_diff} differ, "
        f"of which {b_ties} are ties (same search weight, another path) | |",
        "",
        f"Target (scenario issue): 1,000 scenarios × 30 OD pairs ≤ {TARGET_S:.0f} s on this "
        f"2-core machine — batch {b_wall / a.batch * 1000 * (30 / pairs):.0f} s for 1,000 × 30: "
        f"{'met' if b_wall / a.batch * 1000 * (30 / pairs) <= TARGET_S else '**not met**'} "
        f"({b_wall / a.batch * 1000 * (30 / pairs) / TARGET_S:.1f}× the target); scenario by "
        f"scenario {projected / TARGET_S:.1f}× the target.",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    out = a.output or (None if a.quick else OUTPUT)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
