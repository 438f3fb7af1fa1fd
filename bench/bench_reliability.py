#!/usr/bin/env python
"""Benchmark the Monte Carlo reliability of a route: numpy against a pure-Python loop.

For each route (built once with the planner, outside every timer) the bill is turned into
items: each item's hours, a lognormal ``sigma`` on border crossings (the post's figure from
``crossing_figures``, or ``border_posts.toml`` ``defaults.sigma`` for unlisted crossings) and
a schedule on listed posts.  Bill waits are dropped, since the schedule-aware draw finds
them again.  Then, side by side in one process, round by round with the starting case
rotated:

* ``simulate`` (vectorised numpy) and a naive pure-Python loop over draws and items
  (``random.Random.lognormvariate``), same distribution;
* ``simulate_with_schedule`` with ``corridors.rules.next_opening`` as the opening function,
  sharing answers per 1 h bucket (the default) and asking once per distinct arrival
  (``resolution_hours=None``).

Each timing covers one call that returns ``n`` totals, generator construction included.
Rows give the median, min and max over ``--repeat`` rounds.  The script prints Markdown
and writes it to ``--output`` if given.  It reports and does not judge: it exits 0 when a
target is missed and 1 only if a route cannot be built.

Usage::

    python bench/bench_reliability.py
    python bench/bench_reliability.py --n 1000 100000 --repeat 9
    python bench/bench_reliability.py --route "Bishkek:Kashgar" --output /tmp/rel.md
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from _machine import describe

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from corridors.costing import TRAVEL_MODES  # noqa: E402
from corridors.planner import Planner  # noqa: E402
from corridors.rules import next_opening  # noqa: E402
from corridors.timing import route_steps  # noqa: E402
from geodata.errors import CorridorError  # noqa: E402
from routing.reliability import Step, simulate, simulate_with_schedule, summary  # noqa: E402

DEFAULT_ROUTES = ("Tashkent:Karachi", "Almaty:Bandar Abbas")
TARGET_MS = 20.0  # plain simulate, 1,000 draws, one route
VERSIONED = ("numpy", "scipy", "corridors")


# --------------------------------------------------------------------------- routes


@dataclass
class RouteCase:
    """A route's items as arrays, with its opening function on real rules."""

    name: str
    departure: dt.datetime
    steps: list[Step]
    posts: dict[int, tuple[str, str, str]]  # item index -> (post_key, direction, mode)
    calls: int = 0

    @property
    def hours(self) -> np.ndarray:
        return np.array([s.hours for s in self.steps])

    @property
    def sigma(self) -> np.ndarray:
        return np.array([s.sigma for s in self.steps])

    def opening(self, index: int, when: dt.datetime) -> dt.datetime | None:
        self.calls += 1
        key, direction, mode = self.posts[index]
        got = next_opening(key, direction, when, mode=mode)
        return None if got == when else got


def build_route(planner: Planner, spec: str) -> RouteCase:
    """Route ``"Origin:Destination"`` with the planner and turn its bill into steps."""
    origin, destination = spec.split(":", 1)
    route = planner.route(origin, destination)
    model = planner.model(route.shipment, frozenset(TRAVEL_MODES), False)
    steps, posts = route_steps(model, route.bill)
    name = f"{route.origin.name} → {route.destination.name}"
    return RouteCase(name, route.shipment.departure_time(), steps, posts)


def naive_simulate(
    fixed: Sequence[float], mean: Sequence[float], sigma: Sequence[float], n: int, seed: int
) -> list[float]:
    """The same draws as :func:`simulate` in distribution, by a pure-Python double loop."""
    rng = random.Random(seed)
    mus = [
        math.log(m) - s * s / 2 if s > 0 and m > 0 else 0.0
        for m, s in zip(mean, sigma, strict=True)
    ]
    out = []
    for _ in range(n):
        total = 0.0
        for f, m, s, mu in zip(fixed, mean, sigma, mus, strict=True):
            if s == 0:
                total += f
            elif m > 0:
                total += rng.lognormvariate(mu, s)
        out.append(total)
    return out


# --------------------------------------------------------------------------- timing


@dataclass
class Case:
    route: RouteCase
    n: int
    label: str
    fn: Callable[[], object]
    times: list[float] = field(default_factory=list)
    calls: list[int] = field(default_factory=list)


def make_cases(route: RouteCase, n: int) -> list[Case]:
    h, s = route.hours, route.sigma
    hl, sl = h.tolist(), s.tolist()
    return [
        Case(route, n, "simulate (numpy)", lambda: simulate(h, h, s, n=n, seed=0)),
        Case(route, n, "pure-Python loop", lambda: naive_simulate(hl, hl, sl, n, 0)),
        Case(
            route,
            n,
            "with schedule, 1 h buckets",
            lambda: simulate_with_schedule(route.steps, route.departure, route.opening, n=n),
        ),
        Case(
            route,
            n,
            "with schedule, exact",
            lambda: simulate_with_schedule(
                route.steps, route.departure, route.opening, n=n, resolution_hours=None
            ),
        ),
    ]


def measure(cases: list[Case], repeat: int) -> None:
    for case in cases:  # untimed warm-up: rules cache, numpy first-call costs
        case.fn()
    for r in range(repeat):
        k = r % len(cases)
        for case in cases[k:] + cases[:k]:
            case.route.calls = 0
            t0 = time.perf_counter()
            case.fn()
            case.times.append(time.perf_counter() - t0)
            case.calls.append(case.route.calls)


# --------------------------------------------------------------------------- report


def environment() -> list[tuple[str, str]]:
    return describe(VERSIONED)


def _ms(x: float) -> str:
    return f"{x * 1e3:.3f}" if x < 0.01 else f"{x * 1e3:.1f}"


def report(cases: list[Case], routes: list[RouteCase], repeat: int, ns: Sequence[int]) -> str:
    lines = ["# Reliability benchmark", "", "## Hardware and software", ""]
    lines += [f"- **{k}**: {v}" for k, v in environment()]
    lines += ["", "## Routes", ""]
    for rt in routes:
        sched = ", ".join(f"{i}:{k}" for i, (k, _, _) in rt.posts.items()) or "none"
        lines.append(
            f"- {rt.name}: {len(rt.steps)} items, {int(np.count_nonzero(rt.sigma))} random, "
            f"scheduled {sched}; departure {rt.departure.isoformat()}"
        )
    lines += [
        "",
        f"## Times (median over {repeat} interleaved rounds; ms)",
        "",
        "| route | n | case | median | min | max | × numpy | opening_fn calls |",
        "|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    for rt in routes:
        for n in ns:
            group = [c for c in cases if c.route is rt and c.n == n]
            base = statistics.median(group[0].times)
            for c in group:
                med = statistics.median(c.times)
                calls = str(int(statistics.median(c.calls))) if c.route.posts else "0"
                lines.append(
                    f"| {rt.name} | {n:,} | {c.label} | {_ms(med)} | {_ms(min(c.times))} | "
                    f"{_ms(max(c.times))} | {med / base:.1f} | "
                    f"{calls if 'schedule' in c.label else '–'} |"
                )
    plain = [c for c in cases if c.label == "simulate (numpy)" and c.n == 1000]
    if plain:
        worst = max(statistics.median(c.times) for c in plain) * 1e3
        ok = "within" if worst <= TARGET_MS else "OVER"
        lines += [
            "",
            f"Target: plain simulate, 1,000 draws ≤ {TARGET_MS:g} ms: "
            f"slowest route {worst:.3f} ms ({ok} target).",
        ]
    lines += ["", "## What the schedule does (n = 10,000, seed 0; hours)", ""]
    lines += ["| route | draw | p50 | p90 | mean |", "|---|---|---:|---:|---:|"]
    for rt in routes:
        h, s = rt.hours, rt.sigma
        for label, draws in (
            ("without schedule", simulate(h, h, s, n=10_000)),
            ("with schedule", simulate_with_schedule(rt.steps, rt.departure, rt.opening, n=10_000)),
        ):
            r = summary(draws)
            lines.append(
                f"| {rt.name} | {label} | {r['p50']:.1f} | {r['p90']:.1f} | {r['mean']:.1f} |"
            )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--route", action="append", help="Origin:Destination (repeatable)")
    parser.add_argument("--n", type=int, nargs="+", default=[1000], help="draws per call")
    parser.add_argument("--repeat", type=int, default=15, help="interleaved rounds")
    parser.add_argument("--output", type=Path, help="also write the Markdown here")
    args = parser.parse_args(argv)
    planner = Planner()
    routes = []
    for spec in args.route or DEFAULT_ROUTES:
        try:
            routes.append(build_route(planner, spec))
        except (CorridorError, ValueError) as exc:
            print(f"cannot build route {spec!r}: {exc}", file=sys.stderr)
            return 1
    cases = [c for rt in routes for n in args.n for c in make_cases(rt, n)]
    measure(cases, args.repeat)
    text = report(cases, routes, args.repeat, args.n)
    print(text)
    if args.output:
        args.output.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
