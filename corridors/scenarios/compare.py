"""Compare two scenarios on many origin–destination pairs, with deltas and yearly totals.

For each pair the same shipment is routed under scenario A and scenario B; a row gives cost,
time, P90, distance, CO2e, the port and border posts used, what changed in the route, and
the deltas (B − A).  Pairs that also appear in the demand table (:mod:`corridors.demand`)
are weighted by their yearly TEU to give yearly cost and time deltas::

    yearly Δcost (USD/yr)   = Δcost per TEU × TEU per year
    yearly Δtime (TEU-days) = Δhours per TEU / 24 × TEU per year

The routes are costed for one 20 ft container (the default shipment), so per-TEU deltas are
the routes' deltas; a different cargo unit is scaled by its TEU count.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from corridors.scenarios.apply import Applied, apply_scenario, scenario_planner
from corridors.scenarios.load import Scenario, load_scenario
from geodata.errors import InvalidInputError, NoRouteError

__all__ = ["Comparison", "compare", "default_pairs", "route_summary"]

log = logging.getLogger(__name__)

#: Most OD pairs one comparison accepts (each costs two routes).
MAX_PAIRS = 200
_HOURS_PER_DAY = 24.0


def default_pairs() -> list[tuple[str, str]]:
    """The demand table's OD pairs (each CAR's main city ↔ Karachi), in table order."""
    from corridors.demand import load_demand

    seen: list[tuple[str, str]] = []
    for row in load_demand().rows:
        pair = (row.origin, row.destination)
        if pair not in seen:
            seen.append(pair)
    return seen


def route_summary(route: Any) -> dict[str, Any]:
    """The figures a comparison shows for one route (``Route``)."""
    d = route.to_dict()
    crossings = [c["name"] for c in d["border_crossings"]]
    ports = [t.get("at", "") for t in d["transshipments"] if t.get("kind") == "port"]
    return {
        "cost_usd": d["cost_usd"],
        "hours": d["hours"],
        "p90_hours": d["p90_hours"],
        "distance_km": d["distance_km"],
        "co2e_kg": d.get("co2e_kg"),
        "generalized_cost_usd": d["generalized_cost_usd"],
        "destination": d["destination"],
        "port": ports[-1] if ports else "",
        "border_posts": crossings,
        "modes": d["modes"],
        "legs": [_leg_key(leg) for leg in d["legs"]],
    }


def _leg_key(leg: dict[str, Any]) -> str:
    if leg["mode"] == "border":
        return f"border {leg.get('post', '')} ({leg['country']}→{leg.get('to_country', '')})"
    return f"{leg['mode']} {leg['country']}: {leg['from']} → {leg['to']}"


@dataclass
class Comparison:
    """The result of :func:`compare`.

    Attributes
    ----------
    a, b
        The applied scenarios.
    rows
        One dict per OD pair (see :meth:`to_dict`).
    routes
        ``(route under A, route under B)`` per pair; None where there is no route.
    settings
        Departure, carrier, objective, cargo, seed and draws used.
    totals
        Yearly deltas over the pairs found in the demand table.
    """

    a: Applied
    b: Applied
    rows: list[dict[str, Any]]
    routes: list[tuple[Any, Any]] = field(repr=False)
    settings: dict[str, Any]
    totals: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form, with what is needed to reproduce it."""
        from geodata.network import load_network

        return {
            "scenarios": {
                "a": {**self.a.scenario.to_dict(), "changes": list(self.a.changes)},
                "b": {**self.b.scenario.to_dict(), "changes": list(self.b.changes)},
            },
            "settings": self.settings,
            "provenance": {
                "network_hash": load_network().content_hash,
                "rules_hash_a": self.a.rules_hash,
                "rules_hash_b": self.b.rules_hash,
                "scenario_hash_a": self.a.scenario.hash,
                "scenario_hash_b": self.b.scenario.hash,
            },
            "rows": self.rows,
            "totals": self.totals,
        }

    def to_csv(self) -> str:
        """One line per OD pair: the two scenarios' figures and the deltas."""
        cols = [
            "origin",
            "destination",
            *(f"{k}_{s}" for s in ("a", "b") for k in _CSV_FIGURES),
            "delta_cost_usd",
            "delta_hours",
            "delta_p90_hours",
            "delta_distance_km",
            "delta_co2e_kg",
            "route_changed",
            "changed_legs",
            "teu_per_year",
            "yearly_delta_cost_usd",
            "yearly_delta_teu_days",
            "reason_a",
            "reason_b",
        ]
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(cols)
        for r in self.rows:
            line: list[Any] = [r["origin"], r["destination"]]
            for s in ("a", "b"):
                fig = r[s] or {}
                line += [_csv_value(fig.get(k)) for k in _CSV_FIGURES]
            dl = r["delta"]
            line += [
                _csv_value(dl.get("cost_usd")),
                _csv_value(dl.get("hours")),
                _csv_value(dl.get("p90_hours")),
                _csv_value(dl.get("distance_km")),
                _csv_value(dl.get("co2e_kg")),
                r["route_changed"],
                " | ".join(r["changed_legs"]),
                _csv_value(r.get("teu_per_year")),
                _csv_value(r.get("yearly_delta_cost_usd")),
                _csv_value(r.get("yearly_delta_teu_days")),
                r["reason_a"],
                r["reason_b"],
            ]
            w.writerow(line)
        return buf.getvalue()

    def map(self) -> Any:
        """An offline comparison map of every pair (:func:`maps.compare_map.compare_map`)."""
        from maps.compare_map import compare_map

        pairs = [
            (
                ra.to_dict() if ra is not None else None,
                rb.to_dict() if rb is not None else None,
                row["delta"],
            )
            for (ra, rb), row in zip(self.routes, self.rows, strict=True)
        ]
        labels = (self.a.scenario.name, self.b.scenario.name)
        return compare_map(None, None, labels=labels, pairs=pairs)


_CSV_FIGURES = ("cost_usd", "hours", "p90_hours", "distance_km", "co2e_kg", "port", "border_posts")


def _csv_value(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, list):
        return "; ".join(str(x) for x in v)
    return v


def compare(
    a: str | Scenario,
    b: str | Scenario,
    pairs: Sequence[tuple[str, str]] | None = None,
    *,
    departure: dt.date | None = None,
    carrier: str | None = None,
    objective: str = "cost",
    cargo: str = "20ft",
    draws: int = 1000,
    seed: int = 0,
    progress: Any = None,
) -> Comparison:
    """Route every pair under scenarios ``a`` and ``b`` and report the differences.

    Parameters
    ----------
    a, b
        Scenario names, paths or loaded scenarios.
    pairs
        ``(origin, destination)`` place names; default :func:`default_pairs`.
    departure
        Departure date (default today).
    carrier
        Truck nationality (ISO3) for every pair; default each origin's country.
    objective
        What the routes minimise (``cost``, ``time``, ``generalized``, ``distance``).
    cargo
        ``20ft`` or ``40ft``.
    draws, seed
        Monte Carlo draws and seed for P50/P90 (same for both scenarios).
    progress
        Called with (pairs done, pairs) after each pair.

    Returns
    -------
    Comparison

    Raises
    ------
    ScenarioError, InvalidInputError, UnknownPlaceError
        Bad scenario, pair list, carrier or place (checked before any routing).
    """
    from corridors.shipment import Shipment

    sa = a if isinstance(a, Scenario) else load_scenario(a)
    sb = b if isinstance(b, Scenario) else load_scenario(b)
    pair_list = list(pairs) if pairs is not None else default_pairs()
    if not pair_list:
        raise InvalidInputError("a comparison needs at least one origin–destination pair")
    if len(pair_list) > MAX_PAIRS:
        raise InvalidInputError(f"too many pairs: {len(pair_list)} (at most {MAX_PAIRS})")
    if cargo not in ("20ft", "40ft"):
        raise InvalidInputError(f"cargo must be 20ft or 40ft for a comparison, not {cargo!r}")
    day = departure or dt.date.today()
    applied = (apply_scenario(sa), apply_scenario(sb))
    planners = (scenario_planner(sa), scenario_planner(sb))
    resolved = [
        (
            planners[0].places.resolve(o),
            None if d.startswith("port:") else planners[0].places.resolve(d),
        )
        for o, d in pair_list
    ]
    teu = _teu_per_year(planners[0].places)
    boxes = 2.0 if cargo == "40ft" else 1.0
    rows: list[dict[str, Any]] = []
    routes: list[tuple[Any, Any]] = []
    for (o_text, d_text), (o, d) in zip(pair_list, resolved, strict=True):
        got: list[Any] = []
        figs: list[dict[str, Any] | None] = []
        reasons: list[str] = []
        for app, planner in zip(applied, planners, strict=True):
            tir = True if app.tir is None else app.tir
            sh = Shipment(
                carrier=carrier or planner.default_shipment(o).carrier,
                departure=day,
                cargo=cargo,
                tir=tir,
            )
            try:
                r = planner.route(
                    o_text, d_text, objective=objective, shipment=sh, draws=draws, seed=seed
                )
            except NoRouteError as exc:
                got.append(None)
                figs.append(None)
                reasons.append(str(exc))
                continue
            got.append(r)
            figs.append(route_summary(r))
            reasons.append("")
        routes.append((got[0], got[1]))
        per_year = teu.get((o.key, d.key)) if d is not None else None
        rows.append(_row(o_text, d_text, figs, reasons, per_year, boxes))
        if progress is not None:
            progress(len(rows), len(pair_list))
    totals = _totals(rows)
    settings = {
        "departure": day.isoformat(),
        "carrier": carrier or "origin's country",
        "objective": objective,
        "cargo": cargo,
        "draws": draws,
        "seed": seed,
        "yearly_conversion": (
            "yearly Δcost = Δcost per TEU × TEU/yr of the demand table; "
            "yearly Δtime = Δhours / 24 × TEU/yr (TEU-days)"
        ),
    }
    log.info("compared %s and %s on %d pairs", sa.name, sb.name, len(rows))
    return Comparison(applied[0], applied[1], rows, routes, settings, totals)


def _teu_per_year(places: Any) -> dict[tuple[str, str], float]:
    """TEU per year of the demand table by (origin, destination) place keys, so that any
    spelling of a place (``Toshkent``, ``PKKHI``) finds its row."""
    from corridors.demand import load_demand

    out: dict[tuple[str, str], float] = {}
    for row in load_demand().rows:
        key = (places.resolve(row.origin).key, places.resolve(row.destination).key)
        out[key] = out.get(key, 0.0) + row.teu_per_year
    return out


def _row(
    origin: str,
    destination: str,
    figs: list[dict[str, Any] | None],
    reasons: list[str],
    per_year: float | None,
    boxes: float,
) -> dict[str, Any]:
    fa, fb = figs
    delta: dict[str, Any] = {}
    changed: list[str] = []
    route_changed = fa is None or fb is None
    if fa is not None and fb is not None:
        for k in ("cost_usd", "hours", "p90_hours", "distance_km", "co2e_kg"):
            if fa.get(k) is not None and fb.get(k) is not None:
                delta[k] = round(fb[k] - fa[k], 3)
        legs_a, legs_b = set(fa["legs"]), set(fb["legs"])
        changed = [f"+ {x}" for x in fb["legs"] if x not in legs_a] + [
            f"− {x}" for x in fa["legs"] if x not in legs_b
        ]
        route_changed = bool(changed)
    row: dict[str, Any] = {
        "origin": origin,
        "destination": destination,
        "a": _public(fa),
        "b": _public(fb),
        "delta": delta,
        "route_changed": route_changed,
        "changed_legs": changed,
        "port_changed": (fa or {}).get("port") != (fb or {}).get("port"),
        "posts_changed": (fa or {}).get("border_posts") != (fb or {}).get("border_posts"),
        "reason_a": reasons[0],
        "reason_b": reasons[1],
    }
    if per_year is not None:
        row["teu_per_year"] = round(per_year, 1)
        if "cost_usd" in delta:
            row["yearly_delta_cost_usd"] = round(delta["cost_usd"] / boxes * per_year, 0)
            row["yearly_delta_teu_days"] = round(
                delta["hours"] / boxes / _HOURS_PER_DAY * per_year, 1
            )
    return row


def _public(fig: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if fig is None else {k: v for k, v in fig.items() if k != "legs"}


def _totals(rows: list[dict[str, Any]]) -> dict[str, Any]:
    weighted = [r for r in rows if "yearly_delta_cost_usd" in r]
    lost = [r for r in rows if r["a"] is not None and r["b"] is None]
    return {
        "pairs": len(rows),
        "pairs_route_changed": sum(1 for r in rows if r["route_changed"]),
        "pairs_no_route_a": sum(1 for r in rows if r["a"] is None),
        "pairs_no_route_b": sum(1 for r in rows if r["b"] is None),
        "pairs_weighted": len(weighted),
        "teu_per_year_weighted": round(sum(r["teu_per_year"] for r in weighted), 1),
        "yearly_delta_cost_usd": round(sum(r["yearly_delta_cost_usd"] for r in weighted), 0),
        "yearly_delta_teu_days": round(sum(r["yearly_delta_teu_days"] for r in weighted), 1),
        "teu_per_year_without_route_in_b": round(sum(r.get("teu_per_year", 0.0) for r in lost), 1),
    }


def compare_assignments(
    a: str | Scenario,
    b: str | Scenario,
    *,
    departure: dt.date | None = None,
) -> dict[str, Any]:
    """Assign the demand table under two scenarios (:func:`corridors.assign.assign`) and give
    the per-post and system deltas (B − A): how a closure or an opening moves flows and queues.

    Returns
    -------
    dict
        ``a`` and ``b`` (each assignment's ``to_dict()``), ``posts`` (volume, utilisation and
        added waiting per post under each, and the deltas) and ``totals`` (system deltas).
    """
    from corridors.assign import assign
    from corridors.demand import load_demand

    sa = a if isinstance(a, Scenario) else load_scenario(a)
    sb = b if isinstance(b, Scenario) else load_scenario(b)
    demand = load_demand()
    day = departure or dt.date.today()
    got = [assign(scenario_planner(s), demand, departure=day) for s in (sa, sb)]
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for side, result in zip(("a", "b"), got, strict=True):
        for p in result.posts:
            row = rows.setdefault(
                (p["post"], p["mode"]), {"post": p["post"], "name": p["name"], "mode": p["mode"]}
            )
            for k in ("trucks_per_day", "utilisation", "added_wait_hours"):
                row[f"{k}_{side}"] = p.get(k)
    for row in rows.values():
        for k in ("trucks_per_day", "utilisation", "added_wait_hours"):
            va, vb = row.get(f"{k}_a"), row.get(f"{k}_b")
            row[f"delta_{k}"] = (
                None if va is None and vb is None else round((vb or 0) - (va or 0), 3)
            )
    totals = {}
    for k, va in got[0].totals.items():
        vb = got[1].totals.get(k)
        if isinstance(va, int | float) and isinstance(vb, int | float) and not isinstance(va, bool):
            totals[k] = {"a": va, "b": vb, "delta": round(vb - va, 3)}
    return {
        "scenarios": {"a": sa.name, "b": sb.name},
        "departure": day.isoformat(),
        "posts": sorted(rows.values(), key=lambda r: -(r.get("trucks_per_day_b") or 0)),
        "totals": totals,
        "a": got[0].to_dict(),
        "b": got[1].to_dict(),
    }
