"""Request and response models of the HTTP API, and its documented limits.

The models are what the OpenAPI schema (``docs/openapi.json``) describes; the handlers
return plain JSON built by the library (:meth:`corridors.planner.Route.to_dict` and friends)
and the schema tests check that it conforms to these models.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "LIMITS",
    "CompareRequest",
    "ErrorOut",
    "HealthOut",
    "Limits",
    "MatrixOut",
    "MatrixRequest",
    "MatrixRow",
    "PlacesOut",
    "RouteMapQuery",
    "RouteQuery",
    "RoutesOut",
    "RulesOut",
    "ScenariosOut",
    "VersionOut",
]


#: The back-haul flag of routes, maps and matrices.
_BACKHAUL = (
    "A back-haul load (the return leg of a round trip): road line-haul in countries whose "
    "rules give a back-haul factor (linehaul.toml) is charged at that share of the rate, "
    "elsewhere at the outbound rate (a route's notes name those countries; matrix cells do "
    "not)."
)


@dataclass(frozen=True)
class Limits:
    """Bounds on what one request may ask, so that one client cannot starve the others.

    Each bound is API policy (not a model figure), chosen from the measured cost of the work
    on the 2-core development machine: a new shipment profile costs ~2 s and ~100 MB to
    build (README, *Performance*), a warm route ~0.2 s.

    Attributes
    ----------
    max_body_bytes
        Largest request body, bytes (413 beyond): the biggest legal matrix or comparison
        request is a few kB.
    max_text_chars
        Longest place name, carrier, date or list text, characters.
    max_k
        Most routes asked with ``k`` (alternatives); each adds a penalised search.
    max_via, max_avoid
        Most places in ``via`` / items in ``avoid``.
    max_matrix_origins, max_matrix_destinations, max_matrix_cells
        Matrix bounds: each origin is one search and, with its own truck, one cost model.
    max_sweep_pairs
        Most origin–destination pairs in one scenario comparison (two searches each).
    max_places
        Most places a search returns.
    cached_models
        Cost models kept per server process (least recently used are dropped).
    threads
        Threads answering requests per server process: the planner works for one request at
        a time, so more threads would only wait (and each grows its own memory arena).
    """

    max_body_bytes: int = 65_536
    max_text_chars: int = 200
    max_k: int = 10
    max_via: int = 5
    max_avoid: int = 20
    max_matrix_origins: int = 8
    max_matrix_destinations: int = 25
    max_matrix_cells: int = 100
    max_sweep_pairs: int = 20
    max_places: int = 200
    cached_models: int = 4
    threads: int = 4


LIMITS = Limits()

Objective = Literal["cost", "time", "generalized", "distance"]
Cargo = Literal["20ft", "40ft", "bulk"]

_PLACE = Field(
    min_length=1,
    max_length=LIMITS.max_text_chars,
    description="A place name in any common spelling, a UN/LOCODE (PKKHI) or 'lat,lon'.",
    examples=["Tashkent"],
)
_DATE_DOC = "YYYY-MM-DD; a malformed date is answered 400 invalid_input."
_CARRIER = Field(
    default=None,
    pattern=r"^[A-Za-z]{3}$",
    description="ISO 3166 alpha-3 country where the truck is registered "
    "(default: the origin's country).",
    examples=["UZB"],
)


class _Open(BaseModel):
    """A response object that may carry more keys than listed."""

    model_config = ConfigDict(extra="allow")


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --------------------------------------------------------------------------------- errors
class ErrorOut(BaseModel):
    """Every 4xx and 5xx answer.

    ``error`` is one of ``invalid_input``, ``unknown_place``, ``no_route``,
    ``validation_error``, ``limit_exceeded``, ``body_too_large``, ``not_found``,
    ``method_not_allowed``, ``data_error``, ``internal_error``.
    """

    error: str = Field(description="A stable machine-readable code.")
    message: str = Field(description="One line for a person.")
    details: dict[str, Any] | list[Any] | None = Field(
        default=None,
        description="unknown_place: {query, suggestions}; no_route: {reasons}; "
        "validation_error: a list of {loc, msg, type}; limit_exceeded: {limit, value}.",
    )


# --------------------------------------------------------------------------------- routes
class RouteMapQuery(_Closed):
    """Query parameters of ``GET /route/map`` (and, with ``format``, of ``GET /route``)."""

    origin: str = _PLACE
    destination: str = Field(
        min_length=1,
        max_length=LIMITS.max_text_chars,
        description="Like origin; also port:ISO3 (best sea port of a country) or port:*.",
        examples=["Karachi"],
    )
    objective: Objective = Field(
        default="cost", description="Minimise USD, hours, USD + value of time, or km."
    )
    modes: str = Field(
        default="road,rail,ferry,sea",
        max_length=LIMITS.max_text_chars,
        description="Comma-separated modes among road, rail, ferry, sea.",
    )
    planned: bool = Field(default=False, description="Also use planned lines.")
    cargo: Cargo = "20ft"
    tonnes: float | None = Field(default=None, gt=0, le=1e6, description="Weight of bulk cargo, t.")
    value_usd: float | None = Field(default=None, ge=0, le=1e10, description="Cargo value, USD.")
    carrier: str | None = _CARRIER
    date: str | None = Field(
        default=None,
        max_length=LIMITS.max_text_chars,
        description=f"Departure date, {_DATE_DOC} Default: today.",
        examples=["2025-06-01"],
    )
    tir: bool = Field(default=True, description="Move under a TIR carnet.")
    backhaul: bool = Field(default=False, description=_BACKHAUL)
    vot: float | None = Field(
        default=None, ge=0, le=100, description="Value of time, % of cargo value per day."
    )
    deadline: str | None = Field(
        default=None,
        max_length=LIMITS.max_text_chars,
        description=f"Arrival deadline, {_DATE_DOC} Adds the probability of meeting it.",
    )
    avoid: str = Field(
        default="",
        max_length=LIMITS.max_text_chars,
        description=f"Comma-separated countries (ISO3), border posts or places to avoid "
        f"(at most {LIMITS.max_avoid}).",
    )
    via: str = Field(
        default="",
        max_length=LIMITS.max_text_chars,
        description=f"Comma-separated places to pass, in order (at most {LIMITS.max_via}; "
        "only with k=1).",
    )
    k: int = Field(
        default=1,
        ge=1,
        le=LIMITS.max_k,
        description=f"Routes asked: the best and up to k-1 alternatives (1-{LIMITS.max_k}).",
    )
    pareto: bool = Field(default=False, description="All routes not beaten on both cost and time.")


class RouteQuery(RouteMapQuery):
    """Query parameters of ``GET /route``."""

    format: Literal["json", "geojson"] = Field(
        default="json",
        description="json: {routes: [...]}; geojson: one FeatureCollection of every route's legs.",
    )


class PlaceOut(_Open):
    """A resolved place."""

    key: str
    name: str
    kind: str
    country: str
    lat: float
    lon: float
    locode: str
    aliases: list[str]
    nodes: dict[str, int]
    snap_km: dict[str, float]


class ShipmentOut(_Open):
    """The shipment a route was costed for."""

    carrier: str
    departure: str
    cargo: str
    tonnes: float | None
    value_usd: float
    tir: bool
    value_of_time_pct_per_day: float | None


class LegOut(_Open):
    """Consecutive network edges of one mode, country and truck or gauge."""

    mode: str
    from_: str = Field(alias="from")
    to: str
    country: str
    distance_km: float
    hours: float
    cost_usd: float
    status: str


class BillItemOut(_Open):
    """One item of the bill, with its source."""

    kind: str
    label: str
    cost_usd: float
    hours: float
    distance_km: float | None = None


class GeometryOut(_Open):
    """GeoJSON geometry."""

    type: str
    coordinates: list[Any]


class RouteOut(_Open):
    """A route with its itemised bill (see the README's description of the JSON)."""

    origin: str
    destination: str
    origin_place: PlaceOut
    destination_place: PlaceOut
    objective: str
    label: str
    shipment: ShipmentOut
    distance_km: float
    hours: float
    p50_hours: float | None
    p90_hours: float | None
    reliability: dict[str, Any]
    cost_usd: float
    generalized_cost_usd: float
    modes: list[str]
    border_crossings: list[dict[str, Any]]
    transshipments: list[dict[str, Any]]
    regimes: list[str]
    carrier_rights: list[dict[str, Any]]
    breakdown: list[BillItemOut]
    legs: list[LegOut]
    geometry: GeometryOut
    network_hash: str
    notes: list[str] = Field(
        default_factory=list,
        description="How the request was applied, e.g. a back-haul asked for on a route "
        "without a back-haul rate.",
    )


class RoutesOut(BaseModel):
    """The best route first, then alternatives or the rest of the Pareto front."""

    routes: list[RouteOut]


class FeatureOut(_Open):
    """A GeoJSON feature: one leg of one route."""

    type: Literal["Feature"]
    properties: dict[str, Any]
    geometry: GeometryOut


class FeatureCollectionOut(_Open):
    """``?format=geojson``: one feature per leg; ``properties.route`` numbers the route."""

    type: Literal["FeatureCollection"]
    features: list[FeatureOut]


# --------------------------------------------------------------------------------- matrix
class MatrixRequest(_Closed):
    """Body of ``POST /matrix``."""

    origins: list[str] = Field(
        min_length=1,
        max_length=LIMITS.max_matrix_origins,
        description=f"Origins (at most {LIMITS.max_matrix_origins}).",
        examples=[["Tashkent"]],
    )
    destinations: list[str] = Field(
        min_length=1,
        max_length=LIMITS.max_matrix_destinations,
        description=f"Destinations (at most {LIMITS.max_matrix_destinations}); origins × "
        f"destinations at most {LIMITS.max_matrix_cells}.",
        examples=[["PKKHI", "PKGWD"]],
    )
    objective: Objective = "cost"
    modes: list[Literal["road", "rail", "ferry", "sea"]] = Field(
        default=["road", "rail", "ferry", "sea"], min_length=1, max_length=4
    )
    planned: bool = False
    carrier: str | None = _CARRIER
    date: str | None = Field(
        default=None,
        max_length=LIMITS.max_text_chars,
        description=f"Departure, {_DATE_DOC} Default: today.",
        examples=["2025-06-01"],
    )
    backhaul: bool = Field(default=False, description=_BACKHAUL)


class MatrixRow(_Open):
    """One origin–destination cell; unreachable pairs have null figures and a reason."""

    origin: str
    destination: str
    carrier: str
    objective: str
    cost_usd: float | None
    hours: float | None
    distance_km: float | None
    border_posts: str
    reason: str


class MatrixOut(BaseModel):
    """``POST /matrix`` as JSON (``?format=csv`` gives the same rows as CSV)."""

    rows: list[MatrixRow]


# --------------------------------------------------------------------------------- compare
class CompareRequest(_Closed):
    """Body of ``POST /compare``: two scenarios on the same origin–destination pairs."""

    a: str = Field(
        min_length=1,
        max_length=LIMITS.max_text_chars,
        description="A shipped scenario name (GET /scenarios); never a file path.",
        examples=["baseline"],
    )
    b: str = Field(
        min_length=1,
        max_length=LIMITS.max_text_chars,
        description="A shipped scenario name (GET /scenarios); never a file path.",
        examples=["tarp-open"],
    )
    pairs: list[tuple[str, str]] = Field(
        min_length=1,
        max_length=LIMITS.max_sweep_pairs,
        description=f"[origin, destination] pairs (at most {LIMITS.max_sweep_pairs}).",
        examples=[[["Tashkent", "Karachi"]]],
    )
    date: str | None = Field(
        default=None,
        max_length=LIMITS.max_text_chars,
        description=f"Departure, {_DATE_DOC} Default: today.",
        examples=["2025-06-01"],
    )
    carrier: str | None = _CARRIER
    objective: Objective = "cost"


class CompareOut(_Open):
    """The comparison of two scenarios (see ``corridors.scenarios.Comparison.to_dict``)."""

    scenarios: dict[str, Any]
    settings: dict[str, Any]
    provenance: dict[str, Any]
    rows: list[dict[str, Any]]
    totals: dict[str, Any]


class ScenarioOut(_Open):
    """A shipped scenario."""

    name: str
    title: str
    description: str
    extends: str | None
    hash: str = Field(description="SHA-256 of the scenario's files.")


class ScenariosOut(BaseModel):
    """The shipped scenarios."""

    scenarios: list[ScenarioOut]


# --------------------------------------------------------------------------------- look-ups
class PlacesOut(BaseModel):
    """Places matching a search, in the package's order."""

    places: list[PlaceOut]
    truncated: bool = Field(description="More places matched than were returned.")


class RuleRowOut(BaseModel):
    """One figure or rule of the model with its unit, year and source."""

    name: str
    value: float | str
    unit: str
    year: int | None
    source: str
    estimate: bool
    note: str


class RulesOut(BaseModel):
    """What the model believes and why."""

    rows: list[RuleRowOut]


class HealthOut(BaseModel):
    """The server is up and its network is loaded."""

    status: Literal["ok"]


class VersionOut(BaseModel):
    """What is served."""

    package: str = Field(description="Version of the corridors package.")
    network: str = Field(description="SHA-256 content hash of the network.")
    rules: str = Field(description="SHA-256 of the rules files.")
