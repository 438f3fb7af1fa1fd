#!/usr/bin/env python
"""Measure the network map: HTML size and build time, full network and single countries.

Targets (issue #6): ≤ ~15 MB for the full network, ≤ 3 MB for one country. Each case is
built ``--repeat`` times in this process (the network and rules are loaded once, untimed);
the median, min and max build times and the file size are printed as Markdown with the
machine's description. The script reports; it does not judge (exit 0 either way).

Usage::

    python bench/bench_network_map.py                 # full network + PAK, AFG, UZB, KAZ
    python bench/bench_network_map.py --repeat 1 --cases all,PAK
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _machine import describe

#: Fixed day, so that every run draws the same closures.
DAY = dt.date(2026, 11, 29)


def main() -> None:
    """Build each case, write it, report sizes and times."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cases", default="all,PAK,AFG,UZB,KAZ")
    args = ap.parse_args()

    from corridors.rules import load_rules
    from geodata import load_network
    from maps.network_map import DEFAULT_TOLERANCE_DEG, network_map

    net, rules = load_network(), load_rules()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for case in args.cases.split(","):
            kw = {} if case == "all" else {"countries": [case]}
            times = []
            page = Path(tmp) / f"{case}.html"
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                network_map(net, date=DAY, rules=rules, **kw).save(str(page))
                times.append(time.perf_counter() - t0)
            rows.append(
                (
                    case,
                    page.stat().st_size / 1e6,
                    statistics.median(times),
                    min(times),
                    max(times),
                )
            )
    lines = [
        f"# Network map size and build time (tolerance {DEFAULT_TOLERANCE_DEG}°, "
        f"default road classes, {DAY})",
        "",
        "| case | HTML MB | build+write s (median) | min | max |",
        "|---|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {c} | {mb:.2f} | {med:.2f} | {lo:.2f} | {hi:.2f} |" for c, mb, med, lo, hi in rows
    ]
    lines += ["", "| machine | |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in describe(("numpy", "shapely", "folium"))]
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
