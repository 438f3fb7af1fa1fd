"""Validation: run the model on published observations and report how close it comes.

The observations live in ``corridors/data/validation.toml`` (the *validation table*): each
case is one published figure (a distance, a door-to-door time or a cost) with the conditions
it was observed under (places, modes, carrier, date, cargo, regime), its source, and the band
the model must fall in.  Bands are per metric and defined once in the table's ``[bands]``:
distance ±10 %, time within the observed range or ±25 % of a single figure, cost ±25 %.

A case the model is knowingly unable to reproduce stays in the table with
``expected_out_of_band = true`` and the ``reason``; it is never dropped.  Cases whose figure
is also a model input (CPMM speeds, for instance) carry ``independent = false``: they check
the plumbing, not the model, and the summary counts them apart.  A speed case with
``section_country`` is measured on that country's part of the route only: its road line-haul
km over the line-haul hours plus the hours of the crossings into or out of it (CPMM's speed
with delay of a country's corridor section includes its border crossings).  ``backhaul = true``
runs the case as a back-haul shipment.

>>> from corridors.validate import run_validation, summarize  # doctest: +SKIP
>>> results = run_validation()  # doctest: +SKIP
>>> summarize(results)["share_in_band"]  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import itertools
import logging
import math
import re
import tomllib
from collections.abc import Iterable, Iterator, Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from corridors.planner import OBJECTIVES, Planner, Route
from corridors.shipment import CARGO_UNITS, Shipment
from geodata.errors import CorridorError, DataError, InvalidInputError, NoRouteError

__all__ = [
    "METRICS",
    "Band",
    "Case",
    "ValidationTable",
    "ValidationTableError",
    "band_limits",
    "format_observed",
    "format_value",
    "load_table",
    "run_validation",
    "summarize",
]

log = logging.getLogger(__name__)

#: What a case can compare, and its unit.
METRICS: dict[str, str] = {
    "distance_km": "km",
    "hours": "h",
    "days": "days",
    "speed_kmh": "km/h",
    "cost_usd": "USD",
}

#: Draws of the Monte Carlo reliability run per validated route (P50/P90 are reported).
_DRAWS = 200


class ValidationTableError(DataError):
    """The validation table is malformed or inconsistent (one line: file, case, reason)."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Band(_Frozen):
    """A band rule: ``relative`` widens the observed value (or range) by ``tolerance`` on
    each side; ``range_or_relative`` accepts exactly the observed range, or a single figure
    ± ``tolerance``."""

    rule: Literal["relative", "range_or_relative"]
    tolerance: float = Field(gt=0, lt=1)
    metrics: tuple[str, ...]
    text: str


class CaseSource(_Frozen):
    """Where a published figure comes from."""

    title: str = Field(min_length=3)
    url: str = Field(pattern=r"^https?://\S+$")
    year: int = Field(ge=1990, le=2100)


class Case(_Frozen):
    """One published observation and the conditions to run the model under."""

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    observation: str | None = None
    origin: str
    destination: str
    via: tuple[str, ...] = ()
    modes: tuple[str, ...]
    include_planned: bool = False
    carrier: str = Field(pattern=r"^[A-Z]{3}$")
    departure: dt.date
    departure_assumed: bool
    cargo: str = "20ft"
    tonnes: float | None = None
    value_usd: float | None = None
    tir: bool = True
    backhaul: bool = False
    objective: str
    metric: str
    observed: float | tuple[float, float]
    unit: str
    band: str
    source: CaseSource | None = None
    sources: tuple[CaseSource, ...] = ()
    estimate: bool = False
    reasoning: str | None = None
    derivation: str | None = None
    conditions: str = Field(min_length=3)
    section_country: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    independent: bool = True
    expected_out_of_band: bool = False
    reason: str | None = None

    @model_validator(mode="after")
    def _check(self) -> Case:
        if self.metric not in METRICS:
            raise ValueError(f"unknown metric {self.metric!r}; use one of {', '.join(METRICS)}")
        if self.unit != METRICS[self.metric]:
            raise ValueError(f"metric {self.metric} is measured in {METRICS[self.metric]!r}")
        if self.objective not in OBJECTIVES:
            raise ValueError(f"unknown objective {self.objective!r}")
        if self.cargo not in CARGO_UNITS:
            raise ValueError(f"unknown cargo {self.cargo!r}")
        if isinstance(self.observed, tuple):
            low, high = self.observed
            if not 0 < low < high:
                raise ValueError("an observed range must be [low, high] with 0 < low < high")
        elif not self.observed > 0:
            raise ValueError("the observed value must be positive")
        if not (self.source or self.sources or self.estimate):
            raise ValueError("needs a 'source' (title, url, year) or 'estimate = true'")
        if self.estimate and not (self.reasoning and self.reasoning.strip()):
            raise ValueError("an estimate needs a 'reasoning'")
        if self.expected_out_of_band and not (self.reason and self.reason.strip()):
            raise ValueError("a case expected out of band needs its 'reason'")
        if self.section_country is not None and self.metric != "speed_kmh":
            raise ValueError("'section_country' only applies to the speed_kmh metric")
        return self

    @property
    def citation(self) -> str:
        """``"title <url> (year)"`` of the first source, or ``"estimate"``."""
        src = self.source or (self.sources[0] if self.sources else None)
        return f"{src.title} <{src.url}> ({src.year})" if src else "estimate"

    def shipment(self) -> Shipment:
        """The shipment profile the case is run with."""
        kwargs: dict[str, Any] = {}
        if self.value_usd is not None:
            kwargs["value_usd"] = self.value_usd
        return Shipment(
            carrier=self.carrier,
            departure=self.departure,
            cargo=self.cargo,
            tonnes=self.tonnes,
            tir=self.tir,
            backhaul=self.backhaul,
            **kwargs,
        )


class ValidationTable(_Frozen):
    """The whole table: band rules and cases."""

    schema_version: Literal[1]
    bands: dict[str, Band]
    cases: tuple[Case, ...]

    @model_validator(mode="after")
    def _check(self) -> ValidationTable:
        owner: dict[str, str] = {}
        for name, band in self.bands.items():
            for m in band.metrics:
                if m not in METRICS:
                    raise ValueError(f"bands.{name}: unknown metric {m!r}")
                if m in owner:
                    raise ValueError(f"metric {m} has two bands ({owner[m]}, {name})")
                owner[m] = name
        seen: set[str] = set()
        for c in self.cases:
            if c.id in seen:
                raise ValueError(f"case id {c.id!r} is used twice")
            seen.add(c.id)
            if c.band != owner.get(c.metric):
                raise ValueError(
                    f"case {c.id}: metric {c.metric} takes band {owner.get(c.metric)!r}, "
                    f"not {c.band!r}"
                )
        return self

    def band_of(self, case: Case) -> Band:
        """The band rule of a case."""
        return self.bands[case.band]


def _table_text(path: Path | None) -> tuple[str, str]:
    if path is not None:
        return Path(path).read_text(encoding="utf-8"), str(path)
    res = resources.files("corridors") / "data" / "validation.toml"
    return res.read_text(encoding="utf-8"), "validation.toml"


def _parse(text: str, name: str) -> ValidationTable:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValidationTableError(f"{name}: not valid TOML: {exc}") from None
    try:
        return ValidationTable.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(x) for x in err["loc"])
        if loc.startswith("cases."):
            idx = int(loc.split(".")[1])
            cid = raw.get("cases", [{}])[idx].get("id", f"#{idx}")
            loc = f"case {cid}: " + ".".join(loc.split(".")[2:])
        raise ValidationTableError(f"{name}: {loc}: {err['msg']}") from None


@cache
def _default_table() -> ValidationTable:
    return _parse(*_table_text(None))


def load_table(path: Path | None = None) -> ValidationTable:
    """Load and check the validation table (the shipped one by default).

    Raises
    ------
    ValidationTableError
        With the file, the case and the reason.
    """
    return _default_table() if path is None else _parse(*_table_text(path))


def band_limits(band: Band, observed: float | tuple[float, float]) -> tuple[float, float]:
    """The accepted interval ``(low, high)`` of a model value for an observed figure.

    Examples
    --------
    >>> b = Band(rule="range_or_relative", tolerance=0.25, metrics=("days",), text="")
    >>> band_limits(b, (3, 4)), band_limits(b, 4)
    ((3, 4), (3.0, 5.0))
    """
    t = band.tolerance
    if isinstance(observed, tuple):
        low, high = observed
        if band.rule == "range_or_relative":
            return low, high
        return low * (1 - t), high * (1 + t)
    return observed * (1 - t), observed * (1 + t)


def _midpoint(observed: float | tuple[float, float]) -> float:
    if isinstance(observed, tuple):
        return (observed[0] + observed[1]) / 2
    return float(observed)


def _run_route(planner: Planner, case: Case) -> Route:
    return planner.route(
        case.origin,
        case.destination,
        via=case.via,
        objective=case.objective,
        modes=case.modes,
        include_planned=case.include_planned,
        shipment=case.shipment(),
        draws=_DRAWS,
    )


def _measure(route: Route) -> dict[str, Any]:
    """Distance, time, speed and cost (without the value of time) of a route."""
    km, hours = route.distance_km, route.hours
    out: dict[str, Any] = {
        "distance_km": km,
        "hours": hours,
        "days": hours / 24.0,
        "speed_kmh": km / hours if hours > 0 else math.inf,
        "cost_usd": route.cost_usd,
        "border_posts": [c["name"] for c in route.bill.border_crossings()],
        "transloads": sum(1 for it in route.bill.items if it.kind == "transload"),
        "regimes": [it.label for it in route.bill.items if it.kind == "regime"],
    }
    if route.reliability:
        out["p50_hours"] = route.reliability.get("p50")
        out["p90_hours"] = route.reliability.get("p90")
    return out


def _section_speed(route: Route, country: str) -> dict[str, Any]:
    """Speed with delay of a route's part in ``country``: its road line-haul km over the
    hours of that line-haul plus the crossings into or out of ``country`` (CPMM's speed
    with delay of a country's corridor section includes its border crossings)."""
    km = hours = border = 0.0
    for it in route.bill.items:
        d = it.details
        if it.kind == "linehaul" and d.get("mode") == "road" and d.get("country") == country:
            km += it.distance_km
            hours += it.hours
        elif it.kind == "border" and country in (d.get("from_country"), d.get("to_country")):
            border += it.hours
    if km <= 0:
        raise NoRouteError(f"the route has no road line-haul in {country}")
    return {
        "speed_kmh": km / (hours + border),
        "section_km": km,
        "section_linehaul_hours": hours,
        "section_border_hours": border,
    }


def _result(case: Case, band: Band) -> dict[str, Any]:
    return {
        "id": case.id,
        "observation": case.observation,
        "metric": case.metric,
        "unit": case.unit,
        "origin": case.origin,
        "destination": case.destination,
        "via": list(case.via),
        "modes": list(case.modes),
        "carrier": case.carrier,
        "departure": case.departure.isoformat(),
        "departure_assumed": case.departure_assumed,
        "cargo": case.cargo,
        "backhaul": case.backhaul,
        "objective": case.objective,
        "observed": list(case.observed) if isinstance(case.observed, tuple) else case.observed,
        "band_rule": band.text,
        "independent": case.independent,
        "expected_out_of_band": case.expected_out_of_band,
        "reason": case.reason or "",
        "source": case.citation,
        "conditions": case.conditions,
        "section_country": case.section_country,
    }


def _evaluate(planner: Planner, case: Case, band: Band) -> dict[str, Any]:
    res = _result(case, band)
    low, high = band_limits(band, case.observed)
    res["band"] = [round(low, 3), round(high, 3)]
    try:
        route = _run_route(planner, case)
        measured = _measure(route)
        if case.section_country is not None:
            measured.update(_section_speed(route, case.section_country))
    except CorridorError as exc:  # no route, unknown place: a miss, said why
        res.update(model=None, error_pct=None, in_band=False, error=str(exc), route={})
    else:
        value = float(measured[case.metric])
        mid = _midpoint(case.observed)
        res.update(
            model=round(value, 3),
            error_pct=round((value - mid) / mid * 100.0, 1),
            in_band=bool(low <= value <= high),
            error="",
            route={
                k: (round(v, 3) if isinstance(v, float) else v)
                for k, v in measured.items()
                if k not in (case.metric,)
            },
        )
    res["as_expected"] = res["in_band"] != case.expected_out_of_band
    return res


def run_validation(
    planner: Planner | None = None,
    *,
    cases: Iterable[Case | str] | None = None,
    table: ValidationTable | None = None,
) -> list[dict[str, Any]]:
    """Run the model on the validation cases and compare with the observations.

    Parameters
    ----------
    planner
        The planner to route with (default: a new one on the embedded network).  Its cost
        models are cached per shipment, so cases sharing a shipment are cheap.
    cases
        Cases (or case ids) to run; default: every case of the table.
    table
        The validation table (default: the shipped ``validation.toml``).

    Returns
    -------
    list of dict
        One per case, in table order: ``id``, ``metric``, ``unit``, ``model``, ``observed``
        (a value or ``[low, high]``), ``error_pct`` (model vs the observed value or the
        range's midpoint), ``band`` (the accepted interval), ``band_rule``, ``in_band``,
        ``expected_out_of_band``, ``as_expected``, ``reason``, ``independent``, ``source``,
        ``conditions``, ``route`` (distance, hours, cost, border posts of the model's route)
        and ``error`` (why no route was found, if none was).

    Raises
    ------
    ValidationTableError
        If the table is malformed.
    InvalidInputError
        If a case id is unknown (with the nearest ids).
    """
    tbl = table or load_table()
    by_id = {c.id: c for c in tbl.cases}
    chosen: list[Case] = []
    for c in tbl.cases if cases is None else cases:
        if isinstance(c, str):
            if c not in by_id:
                near = difflib.get_close_matches(c, list(by_id), n=3)
                hint = f"; did you mean {', '.join(near)}?" if near else ""
                raise InvalidInputError(f"unknown validation case {c!r}{hint}")
            c = by_id[c]
        chosen.append(c)
    planner = planner or Planner()
    # Group by shipment and options so each cost model is built once, then restore order.
    order = {id(c): i for i, c in enumerate(chosen)}
    grouped = sorted(chosen, key=lambda c: (_group_key(c), order[id(c)]))
    out: dict[int, dict[str, Any]] = {}
    for _, group in itertools.groupby(grouped, key=_group_key):
        with _scoped_cache(planner):
            for c in group:
                log.debug("validating %s", c.id)
                out[order[id(c)]] = _evaluate(planner, c, tbl.band_of(c))
    return [out[i] for i in range(len(chosen))]


def _group_key(case: Case) -> tuple[Any, ...]:
    return (repr(case.shipment()), tuple(sorted(case.modes)), case.include_planned)


@contextlib.contextmanager
def _scoped_cache(planner: Planner) -> Iterator[None]:
    """Drop the cost models (and with them their graphs) a group of cases added.

    Each cost model holds ~0.8 M states; keeping the ~35 the table needs would hold
    gigabytes (and a session-wide test planner would keep them).  Entries that were there
    before are left alone.
    """
    models = set(planner._models)
    try:
        yield
    finally:
        for k in set(planner._models) - models:
            del planner._models[k]


def summarize(results: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Share of cases within band, overall and per metric, and the cases off expectation.

    ``independent`` counts only the cases whose observation is not also a model input.
    """

    def share(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
        n = len(rows)
        k = sum(1 for r in rows if r["in_band"])
        return {"cases": n, "in_band": k, "share": round(k / n, 3) if n else None}

    metrics = sorted({r["metric"] for r in results}, key=list(METRICS).index)
    return {
        "cases": len(results),
        "in_band": sum(1 for r in results if r["in_band"]),
        "share_in_band": share(results)["share"],
        "independent": share([r for r in results if r["independent"]]),
        "per_metric": {m: share([r for r in results if r["metric"] == m]) for m in metrics},
        "expected_out_of_band": sum(1 for r in results if r["expected_out_of_band"]),
        "meant_to_pass": share([r for r in results if not r["expected_out_of_band"]]),
        "unexpected": [r["id"] for r in results if not r["as_expected"]],
        "no_route": [r["id"] for r in results if r["model"] is None],
    }


def format_value(value: float | None, unit: str) -> str:
    """Human-readable value with its unit (``"1,425 km"``, ``"5.1 days"``)."""
    if value is None:
        return "no route"
    if unit in ("days", "km/h"):
        return f"{value:,.1f} {unit}"
    if unit == "h":
        return f"{value:,.0f} h"
    if unit == "USD":
        return f"USD {value:,.0f}"
    return f"{value:,.0f} {unit}"


def format_observed(observed: float | list[float] | tuple[float, float], unit: str) -> str:
    """Observed value or range with its unit (``"USD 2,300–2,900"``, ``"3.0–4.0 days"``)."""
    if isinstance(observed, (list, tuple)):
        low, high = observed
        text = format_value(high, unit)
        lo = re.sub(r"[^\d.,]", "", format_value(low, unit))
        return f"{lo}–{text}" if unit != "USD" else f"USD {lo}–{text[4:]}"
    return format_value(float(observed), unit)
