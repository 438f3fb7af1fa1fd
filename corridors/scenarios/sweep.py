"""Sweeps: vary one or two scenario parameters over ranges and find the tipping points.

A parameter is written ``KIND:TARGET``:

- ``post:torkham.hours`` / ``post:torkham.cost`` — a border post's mean crossing hours (or
  cost, USD per truck) in every direction, ``post:torkham[AFG->PAK].hours`` for one: the CPMM
  figure before the regime factor (under TIR a crossing takes the TIR hours factor × that;
  ``corridors rules --post torkham`` shows the factor);
- ``tariff:road`` / ``tariff:rail.AFG`` / ``tariff:sea`` — a ×factor on line-haul rates of a
  mode (all countries, or one);
- ``set:linehaul.toml:rail.AFG.1520.cost_per_teu_km.value`` — any rules value.

Each value becomes a scenario that extends the base scenario with one override, applied and
routed exactly as a scenario file would be — so the route at any swept value is the route of
a direct run with that value.  Between two grid values where the preferred route (its port and
border posts) changes, the switch point is found by bisection.

Runs are independent and go to a process pool on the local cores by default, or to a Dask
cluster (``scheduler="tcp://…"``, or a ``distributed.Client``).
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import hashlib
import itertools
import logging
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pydantic import ValidationError

from corridors.rules.load import first_error
from corridors.scenarios.load import Scenario, ScenarioError, load_scenario
from corridors.scenarios.schema import (
    PostOverride,
    ScenarioFile,
    ScenarioHeader,
    SetOverride,
    TariffOverride,
)

__all__ = ["Parameter", "Sweep", "parse_parameter", "parse_range", "sweep"]

log = logging.getLogger(__name__)

#: Most runs (values × values for two parameters) a sweep accepts.
MAX_RUNS = 10_000
#: Grids at least this large are routed by the batch evaluator by default: it costs a few
#: dozen searches up front (a grid this size costs as much run value by value on two cores).
BATCH_MIN_RUNS = 64
#: Bisection steps per switch (each halves the bracket).
BISECT_STEPS = 8

_REASONING = "swept value (corridors sweep): a what-if, not an observation"


@dataclass(frozen=True)
class Parameter:
    """A sweepable parameter parsed from ``KIND:TARGET``."""

    text: str
    kind: str
    target: str
    field: str = ""
    directions: tuple[str, ...] = ()

    def override(self, value: float) -> dict[str, Any]:
        """The scenario-file table (``posts``, ``tariffs`` or ``set``) for ``value``."""
        if self.kind == "post":
            key = "hours" if self.field == "hours" else "cost"
            return {
                "posts": (
                    PostOverride(
                        post=self.target,
                        directions=self.directions,
                        reasoning=_REASONING,
                        **{key: value},
                    ),
                )
            }
        if self.kind == "tariff":
            mode, _, country = self.target.partition(".")
            return {
                "tariffs": (
                    TariffOverride(
                        mode=mode,  # type: ignore[arg-type]
                        countries=(country,) if country else ("*",),
                        factor=value,
                        reasoning=_REASONING,
                    ),
                )
            }
        file, _, path = self.target.partition(":")
        return {
            "set": (
                SetOverride(
                    file=file,  # type: ignore[arg-type]
                    path=path,
                    value=value,
                    reasoning=_REASONING,
                ),
            )
        }


def parse_parameter(text: str) -> Parameter:
    """Parse ``post:KEY[.hours|.cost]``, ``tariff:MODE[.ISO3]`` or ``set:FILE:PATH``.

    Raises
    ------
    ScenarioError
        For anything else.
    """
    t = text.strip()
    m = re.fullmatch(r"post:([a-z0-9-]+)(?:\[([A-Z]{3}->[A-Z]{3})\])?\.(hours|cost)", t)
    if m:
        return Parameter(t, "post", m.group(1), m.group(3), (m.group(2),) if m.group(2) else ())
    m = re.fullmatch(r"tariff:(road|rail|sea|ferry)(?:\.([A-Z]{3}))?", t)
    if m:
        target = m.group(1) + (f".{m.group(2)}" if m.group(2) else "")
        return Parameter(t, "tariff", target)
    m = re.fullmatch(r"set:([a-z_]+\.toml):(\S+)", t)
    if m:
        return Parameter(t, "set", f"{m.group(1)}:{m.group(2)}")
    raise ScenarioError(
        f"bad sweep parameter {text!r}: use post:KEY.hours, post:KEY.cost, "
        "post:KEY[AFG->PAK].hours, tariff:MODE[.ISO3] (a factor) or set:FILE.toml:PATH"
    )


def parse_range(text: str) -> np.ndarray:
    """``START:STOP:N`` (N evenly spaced values, both ends included) or ``a,b,c``.

    Raises
    ------
    ScenarioError
        For a malformed range, N < 2, or a non-finite number.
    """
    t = text.strip()
    if ":" in t and t.rsplit(":", 1)[-1].strip().isdigit() and int(t.rsplit(":", 1)[-1]) > MAX_RUNS:
        raise ScenarioError(f"bad range {text!r}: at most {MAX_RUNS} values")
    try:
        if ":" in t:
            start, stop, n = t.split(":")
            count = int(n)
            values = np.linspace(float(start), float(stop), max(count, 0))
        else:
            values = np.array([float(x) for x in t.split(",") if x.strip()])
    except ValueError:
        raise ScenarioError(f"bad range {text!r}: use START:STOP:N or a,b,c") from None
    if ":" in t and values.size < 2:
        raise ScenarioError(f"bad range {text!r}: N must be at least 2")
    if values.size == 0 or not np.all(np.isfinite(values)):
        raise ScenarioError(f"bad range {text!r}: give finite numbers")
    return values


def derived_scenario(
    base: Scenario, params: Sequence[Parameter], values: Sequence[float]
) -> Scenario:
    """``base`` extended by one override per parameter (an in-memory scenario)."""
    tables: dict[str, tuple[Any, ...]] = {}
    for p, v in zip(params, values, strict=True):
        try:
            override = p.override(float(v))
        except ValidationError as exc:
            what, reason = first_error(exc)
            raise ScenarioError(f"{p.text}={float(v):g}: {what or 'value'}: {reason}") from None
        for key, items in override.items():
            tables[key] = tables.get(key, ()) + items
    label = ", ".join(f"{p.text}={float(v):g}" for p, v in zip(params, values, strict=True))
    name = f"{base.name}-sweep"
    file = ScenarioFile(
        scenario=ScenarioHeader(name=name, title=f"{base.title} with {label}", description=label),
        **tables,
    )
    digest = hashlib.sha256(f"{base.hash}\n{file.model_dump_json()}".encode()).hexdigest()
    return Scenario(
        name=name,
        title=file.scenario.title,
        description=label,
        extends=base.name,
        chain=(*base.chain, file),
        origin=(*base.origin, f"sweep:{label}"),
        hash=digest,
    )


@dataclass(frozen=True)
class _Job:
    base: Scenario
    params: tuple[Parameter, ...]
    values: tuple[float, ...]
    pairs: tuple[tuple[str, str], ...]
    departure: dt.date
    objective: str
    carrier: str | None


def _run(job: _Job) -> list[dict[str, Any]]:
    """Route every pair under one derived scenario (runs in a worker)."""
    from corridors.scenarios.apply import apply_scenario
    from corridors.scenarios.compare import route_summary
    from corridors.shipment import Shipment
    from geodata.errors import NoRouteError

    sc = derived_scenario(job.base, job.params, job.values)
    applied = apply_scenario(sc)
    planner = _planner_for(job.base, sc, applied)
    out = []
    tir = True if applied.tir is None else applied.tir
    for o, d in job.pairs:
        place = planner.places.resolve(o)
        sh = Shipment(
            carrier=job.carrier or planner.default_shipment(place).carrier,
            departure=job.departure,
            tir=tir,
        )
        row: dict[str, Any] = {"origin": o, "destination": d, "values": list(job.values)}
        try:
            r = planner.route(o, d, objective=job.objective, shipment=sh, draws=0)
        except NoRouteError as exc:
            row.update(choice="no route", reason=str(exc))
        else:
            s = route_summary(r)
            row.update(
                choice=_choice(s),
                cost_usd=s["cost_usd"],
                hours=s["hours"],
                generalized_cost_usd=s["generalized_cost_usd"],
                distance_km=s["distance_km"],
                port=s["port"],
                border_posts=s["border_posts"],
            )
        out.append(row)
    return out


def _planner_for(base: Scenario, sc: Scenario, applied: Any) -> Any:
    """The base scenario's planner re-costed in place when only post figures or road rates
    differ (:mod:`corridors.scenarios.recost`); else a planner built from scratch."""
    from corridors.planner import Planner
    from corridors.scenarios.apply import apply_scenario, scenario_planner
    from corridors.scenarios.recost import derived_planner, rules_delta

    base_applied = apply_scenario(base)
    if base_applied.network is applied.network and base_applied.tir == applied.tir:
        delta = rules_delta(base_applied.raw, applied.raw)
        if delta is not None:
            return derived_planner(scenario_planner(base), applied.rules, delta)
    planner = Planner(applied.network, applied.rules)
    planner.scenario = applied  # type: ignore[attr-defined]
    return planner


def _choice(summary: dict[str, Any]) -> str:
    posts = " → ".join(p for p in summary["border_posts"] if "(unlisted)" not in p)
    port = summary["port"] or summary["destination"]
    modes = "+".join(m for m in summary["modes"] if m in ("road", "rail", "ferry", "sea"))
    return f"{port} via {posts or 'no listed post'} ({modes})"


@dataclass
class Sweep:
    """The result of :func:`sweep`.

    Attributes
    ----------
    parameters
        The swept parameters.
    rows
        One dict per (values, OD pair): the values, the chosen route (``choice``: port, listed
        border posts and modes) and its figures.
    switches
        Per OD pair and parameter, the points where the choice changes: the bracket found by
        bisection (``low``, ``high``), the choice below and above.
    settings, provenance
        How it was run, and the hashes that make it reproducible.
    """

    parameters: tuple[Parameter, ...]
    rows: list[dict[str, Any]]
    switches: list[dict[str, Any]]
    settings: dict[str, Any]
    provenance: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form."""
        return {
            "parameters": [p.text for p in self.parameters],
            "settings": self.settings,
            "provenance": self.provenance,
            "switches": self.switches,
            "rows": self.rows,
        }

    def to_csv(self) -> str:
        """One line per (values, OD pair)."""
        import csv
        import io

        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        names = [p.text for p in self.parameters]
        cols = ["cost_usd", "hours", "generalized_cost_usd", "distance_km", "port"]
        w.writerow([*names, "origin", "destination", "choice", *cols, "border_posts"])
        for r in self.rows:
            w.writerow(
                [
                    *r["values"],
                    r["origin"],
                    r["destination"],
                    r["choice"],
                    *(r.get(c, "") for c in cols),
                    "; ".join(r.get("border_posts", [])),
                ]
            )
        return buf.getvalue()

    def plot(self, path: str) -> None:
        """Save a plot (PNG or SVG by extension) of the objective against the first
        parameter, one line per OD pair, switch points marked."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        metric = {"cost": "cost_usd", "time": "hours", "distance": "distance_km"}.get(
            self.settings["objective"], "generalized_cost_usd"
        )
        fig, ax = plt.subplots(figsize=(8, 4.8), dpi=110)
        lines = sorted({(r["origin"], r["destination"], *r["values"][1:]) for r in self.rows})
        for o, d, *rest in lines:
            pts = sorted(
                (r["values"][0], r[metric])
                for r in self.rows
                if (r["origin"], r["destination"], *r["values"][1:]) == (o, d, *rest)
                and metric in r
            )
            if pts:
                xs, ys = zip(*pts, strict=True)
                extra = (
                    f", {self.parameters[1].text}={rest[0]:g}" if len(self.parameters) > 1 else ""
                )
                ax.plot(xs, ys, marker="o", ms=3, label=f"{o} → {d}{extra}")
        for s in self.switches:
            if s["parameter"] == self.parameters[0].text and not s.get("fixed"):
                ax.axvline(s["at"], color="grey", ls="--", lw=0.8)
                ax.annotate(f"{s['at']:.3g}", (s["at"], ax.get_ylim()[1]), fontsize=7, ha="center")
        ax.set_xlabel(self.parameters[0].text)
        ax.set_ylabel(metric.replace("_", " "))
        ax.set_title(f"sweep on {self.settings['base']} ({self.settings['departure']})")
        ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(path)
        plt.close(fig)


def sweep(
    parameters: Sequence[tuple[str, str | Sequence[float]]],
    pairs: Sequence[tuple[str, str]],
    *,
    base: str | Scenario = "baseline",
    departure: dt.date | None = None,
    objective: str = "generalized",
    carrier: str | None = None,
    workers: int | None = None,
    scheduler: Any = None,
    refine: bool = True,
    bisect_steps: int = BISECT_STEPS,
    progress: Callable[[int, int], None] | None = None,
    batch: bool | None = None,
) -> Sweep:
    """Run the base scenario with one or two parameters varied over ranges.

    Parameters
    ----------
    parameters
        One or two ``(parameter, range)`` pairs, e.g. ``("post:torkham.hours", "0:120:13")``.
    pairs
        ``(origin, destination)`` place names.
    base
        The scenario the values are applied on.
    departure, objective, carrier
        As for :func:`corridors.scenarios.compare`; the default objective is
        ``generalized`` (cost + value of time), so that hours matter.
    workers
        Local processes (default: all cores; 1 runs in this process).
    scheduler
        A Dask scheduler address (``tcp://host:port``) or a ``distributed.Client``.
    refine, bisect_steps
        Bisect between grid values where the choice changes (one parameter only), halving
        the bracket ``bisect_steps`` times.
    progress
        Called with (runs done, runs planned).
    batch
        Route all values at once with :class:`corridors.scenarios.batch.BatchEvaluator`
        (parametric certificate: a few searches for the whole grid, each value then
        re-costed and checked, on ``workers`` processes forked from this one); by
        default when the grid has at least :data:`BATCH_MIN_RUNS` values and no Dask
        scheduler is given.  Parameters that
        change more than post figures and road rates always run value by value.

    Raises
    ------
    ScenarioError, InvalidInputError
        Bad parameter, range, base scenario or sizes (before anything runs).
    """
    from geodata.errors import InvalidInputError

    if not 1 <= len(parameters) <= 2:
        raise InvalidInputError("sweep one or two parameters")
    if not pairs:
        raise InvalidInputError("a sweep needs at least one origin–destination pair")
    params = tuple(parse_parameter(p) for p, _ in parameters)
    grids = [parse_range(r) if isinstance(r, str) else np.asarray(r, float) for _, r in parameters]
    runs = int(np.prod([len(g) for g in grids]))
    if runs > MAX_RUNS:
        raise InvalidInputError(f"too many runs: {runs} (at most {MAX_RUNS})")
    sc = base if isinstance(base, Scenario) else load_scenario(base)
    day = departure or dt.date.today()
    # Check that every override applies before fanning out (one clear error, not N).
    from corridors.scenarios.apply import apply_scenario

    for p, g in zip(params, grids, strict=True):
        for v in g:  # every value makes a valid override (cheap: nothing is applied)
            derived_scenario(sc, (p,), (float(v),))
    base_applied = apply_scenario(sc)
    apply_scenario(derived_scenario(sc, params, [g[0] for g in grids]))
    combos = [
        tuple(float(x) for x in c)
        for c in np.array(np.meshgrid(*grids, indexing="ij")).reshape(len(grids), -1).T
    ]
    pair_t = tuple((o, d) for o, d in pairs)

    def job(values: tuple[float, ...]) -> _Job:
        return _Job(sc, params, values, pair_t, day, objective, carrier)

    runner = _Runner(workers, scheduler)
    ev = None
    if batch is None:
        batch = scheduler is None and len(combos) >= BATCH_MIN_RUNS
    if batch:
        from corridors.scenarios.batch import BatchEvaluator, NotBatchableError

        def direct(values: tuple[float, ...], some: tuple[tuple[str, str], ...]) -> Any:
            return _run(_Job(**{**job(values).__dict__, "pairs": some}))

        grid = np.array(combos)
        try:
            ev = BatchEvaluator(
                sc,
                params,
                grid.min(axis=0),
                grid.max(axis=0),
                pair_t,
                departure=day,
                objective=objective,
                carrier=carrier,
                direct=direct,
                workers=workers,
            )
        except NotBatchableError as exc:
            log.info("sweep: scenario by scenario (%s)", exc)
    if ev is not None:
        rows = [r for got in ev.rows_many(combos, workers=workers, progress=progress) for r in got]

        def one(values: tuple[float, ...], pair: tuple[str, str]) -> dict[str, Any]:
            return ev.rows(values, only=[pair_t.index(pair)])[0]
    else:
        rows = runner.map([job(v) for v in combos], progress)

        def one(values: tuple[float, ...], pair: tuple[str, str]) -> dict[str, Any]:
            return runner.map([_Job(**{**job(values).__dict__, "pairs": (pair,)})], None)[0]

    switches: list[dict[str, Any]] = []
    if len(params) == 1 and refine:
        switches = _refine(rows, params[0], pair_t, one, bisect_steps)
    else:
        switches = _grid_switches(rows, params, pair_t)
    runner.close()
    rows.sort(key=lambda r: (r["origin"], r["destination"], r["values"]))
    from geodata.network import load_network

    settings = {
        "base": sc.name,
        "departure": day.isoformat(),
        "objective": objective,
        "carrier": carrier or "origin's country",
        "runs": len(combos),
        "grid": [list(map(float, g)) for g in grids],
        "method": "batch" if ev is not None else "value by value",
    }
    provenance = {
        "network_hash": load_network().content_hash,
        "base_scenario_hash": sc.hash,
        "base_rules_hash": base_applied.rules_hash,
    }
    return Sweep(params, rows, switches, settings, provenance)


def _grid_switches(
    rows: list[dict[str, Any]], params: tuple[Parameter, ...], pairs: tuple[tuple[str, str], ...]
) -> list[dict[str, Any]]:
    """Switches between neighbouring grid points along each parameter (no bisection)."""
    out: list[dict[str, Any]] = []
    for o, d in pairs:
        mine = {tuple(r["values"]): r for r in rows if (r["origin"], r["destination"]) == (o, d)}
        for axis, p in enumerate(params):
            others = sorted({k[:axis] + k[axis + 1 :] for k in mine})
            for rest in others:
                line = sorted(
                    (k for k in mine if k[:axis] + k[axis + 1 :] == rest), key=lambda k: k[axis]
                )
                for lo, hi in itertools.pairwise(line):
                    if mine[lo]["choice"] == mine[hi]["choice"]:
                        continue
                    fixed = {q.text: v for q, v in zip(params, lo, strict=True) if q is not p}
                    out.append(
                        {
                            "origin": o,
                            "destination": d,
                            "parameter": p.text,
                            "fixed": fixed,
                            "low": lo[axis],
                            "high": hi[axis],
                            "at": (lo[axis] + hi[axis]) / 2,
                            "below": mine[lo]["choice"],
                            "above": mine[hi]["choice"],
                        }
                    )
    return out


def _refine(
    rows: list[dict[str, Any]],
    param: Parameter,
    pairs: tuple[tuple[str, str], ...],
    one: Callable[[tuple[float, ...], tuple[str, str]], dict[str, Any]],
    steps: int,
) -> list[dict[str, Any]]:
    switches: list[dict[str, Any]] = []
    for o, d in pairs:
        mine = sorted(
            (r for r in rows if (r["origin"], r["destination"]) == (o, d)),
            key=lambda r: r["values"][0],
        )
        for lo, hi in itertools.pairwise(mine):
            if lo["choice"] == hi["choice"]:
                continue
            a, b = lo["values"][0], hi["values"][0]
            below, above = lo["choice"], hi["choice"]
            for _ in range(steps):
                mid = (a + b) / 2
                got = one((mid,), (o, d))
                if got["choice"] == below:
                    a = mid
                else:
                    b, above = mid, got["choice"]
            switches.append(
                {
                    "origin": o,
                    "destination": d,
                    "parameter": param.text,
                    "low": a,
                    "high": b,
                    "at": (a + b) / 2,
                    "below": below,
                    "above": above,
                }
            )
    return switches


class _Runner:
    """Runs jobs in this process, a local process pool, or on a Dask cluster."""

    def __init__(self, workers: int | None, scheduler: Any) -> None:
        self.client: Any = None
        self.own_client = False
        self.pool: cf.ProcessPoolExecutor | None = None
        if scheduler is not None:
            from distributed import Client

            if isinstance(scheduler, str):
                self.client = Client(scheduler)
                self.own_client = True
            else:
                self.client = scheduler
        else:
            n = workers or os.cpu_count() or 1
            if n > 1:
                self.pool = cf.ProcessPoolExecutor(max_workers=n)

    def map(
        self, jobs: list[_Job], progress: Callable[[int, int], None] | None
    ) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        total = len(jobs)
        if self.client is not None:
            futures = self.client.map(_run, jobs, pure=False)
            for i, fut in enumerate(futures, start=1):
                out += fut.result()
                if progress:
                    progress(i, total)
        elif self.pool is not None:
            for i, got in enumerate(self.pool.map(_run, jobs), start=1):
                out += got
                if progress:
                    progress(i, total)
        else:
            for i, j in enumerate(jobs, start=1):
                out += _run(j)
                if progress:
                    progress(i, total)
        return out

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown()
        if self.client is not None and self.own_client:
            self.client.close()
