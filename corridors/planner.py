"""The route facade: resolve places, cost the graph for a shipment, search, itemise.

Thin by design: places come from :mod:`corridors.gazetteer`, the costed state graph from
:mod:`corridors.costing`, the search from :mod:`routing`, the bill from
:mod:`corridors.bill`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import re
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from corridors.bill import NO_LEG, Bill, arc_keys, itemise, run_starts, run_sums
from corridors.costing import ARC_KINDS, TRAVEL_MODES, CostModel
from corridors.emissions import cargo_tonnes, leg_co2e
from corridors.gazetteer import Place, PlaceIndex
from corridors.rules import Rules, load_rules, tir_available
from corridors.rules.query import PostClosedError, open_throughout, opening_at
from corridors.shipment import Shipment
from corridors.timing import DEFAULT_DRAWS, reliability
from geodata.errors import InvalidInputError, NoRouteError, UnknownPlaceError
from geodata.geo import EARTH_RADIUS_KM, unit_vectors
from geodata.network import COORD_SCALE, Network, load_network
from geodata.schema import EDGE_MODES, NODE_MODES, STATUSES
from routing import BiCriteriaGraph, CostedGraph, Path, alternatives, best_path

__all__ = ["OBJECTIVES", "TRAVEL_MODES", "Leg", "Matrix", "Planner", "Route", "matrix", "route"]

OBJECTIVES = ("cost", "time", "generalized", "distance")
#: The largest ``max_transshipments`` accepted (each allowed one is a copy of the state
#: graph in the layered search).
MAX_TRANSSHIPMENTS = 6
#: Arc kinds that are a transshipment (the bill's :meth:`~corridors.bill.Bill.transshipments`).
_TRANSFER_KINDS = ("transload", "gauge_change", "terminal", "port")
#: Threads for a matrix's searches (the compiled kernel releases the GIL).
_MATRIX_THREADS = 2
#: Destinations per origin from which a matrix runs one A* search per origin towards all the
#: destinations (:meth:`routing.CostedGraph.paths_to_sets`, about a one-to-all search, 60–65
#: ms as the trees above) instead of the destinations one by one (each destination's potential
#: from the hierarchy of nodes, and a guided search per origin): 65 / 1.7 ≈ 40 with the
#: potential's cost taken as a full sweep of the hierarchy (1.2–1.7 ms); computed on demand it
#: costs ~0.6 ms for one search (the benchmark's "graph of nodes" rows), which would put the
#: break-even nearer 65 / 0.75 ≈ 85.  An estimate from those rows at its low end, not
#: measured on such matrices.
_DESTINATIONS_PER_ORIGIN = 40
#: A leg endpoint takes the name of a place whose node is within this distance, km.
_NAME_RADIUS_KM = 15.0


@dataclass(frozen=True)
class Leg:
    """Consecutive network edges of one mode, country, status and truck or gauge."""

    mode: str
    from_name: str
    to_name: str
    country: str
    distance_km: float
    hours: float
    cost_usd: float
    status: str
    edges: tuple[int, ...]
    coords: np.ndarray = field(repr=False, compare=False)
    post: str = ""
    to_country: str = ""
    carrier: str = ""
    gauge_mm: int = 0
    co2e_kg: float = 0.0
    co2e_factor: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form of the leg."""
        d: dict[str, Any] = {
            "mode": self.mode,
            "from": self.from_name,
            "to": self.to_name,
            "country": self.country,
            "distance_km": round(self.distance_km, 3),
            "hours": round(self.hours, 3),
            "cost_usd": round(self.cost_usd, 2),
            "status": self.status,
        }
        if self.mode == "border":
            d["post"] = self.post
            d["to_country"] = self.to_country
        if self.carrier:
            d["carrier"] = self.carrier
        if self.gauge_mm:
            d["gauge_mm"] = self.gauge_mm
        d["co2e_kg"] = round(self.co2e_kg, 3)
        if self.co2e_factor:
            d["co2e_factor"] = self.co2e_factor
        return d


@dataclass(frozen=True)
class Route:
    """A route between two places: legs, geometry and the itemised bill."""

    origin: Place
    destination: Place
    objective: str
    shipment: Shipment
    legs: tuple[Leg, ...]
    bill: Bill
    network_hash: str
    reliability: dict[str, Any] = field(default_factory=dict)
    label: str = ""
    caveats: tuple[str, ...] = ()  # found while building the route, said in its notes

    @property
    def distance_km(self) -> float:
        """Length of the route, km."""
        return float(sum(leg.distance_km for leg in self.legs))

    @property
    def hours(self) -> float:
        """Door-to-door time including waits, hours."""
        return self.bill.hours

    @property
    def cost_usd(self) -> float:
        """Door-to-door cost without the value of time, USD."""
        return self.bill.cost_usd

    @property
    def co2e_kg(self) -> float:
        """Well-to-wheel greenhouse-gas emissions, the sum of the legs', kg CO2e."""
        return float(sum(leg.co2e_kg for leg in self.legs))

    @property
    def notes(self) -> list[str]:
        """What the user should know about how the request was applied: a back-haul asked
        for where the road line-haul of some country has no back-haul rate in the rules (the
        outbound rate applies there), and why a route has no time distribution (a post on it
        shuts for good while slower draws are still on the way)."""
        out = []
        if self.shipment.backhaul:
            road = [
                it for it in self.bill.items
                if it.kind == "linehaul" and it.details.get("mode") == "road"
            ]  # fmt: skip
            outbound = sorted(
                {it.details["country"] for it in road if "backhaul_factor" not in it.details}
            )
            if not road:
                out.append(
                    "back-haul asked for, but the route has no road line-haul, the only haulage "
                    "a back-haul rate applies to: it changes nothing here"
                )
            elif outbound:
                out.append(
                    f"back-haul asked for, but road line-haul in {', '.join(outbound)} has no "
                    "back-haul rate in the rules (linehaul.toml road.<country>.backhaul_factor); "
                    "the outbound rate applies there"
                )
        return out + list(self.caveats)

    def geometry(self) -> dict[str, Any]:
        """The whole route as a GeoJSON MultiLineString (one line per leg)."""
        return {
            "type": "MultiLineString",
            "coordinates": [np.round(leg.coords, 5).tolist() for leg in self.legs],
        }

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form for JSON output."""
        sh = self.shipment
        return {
            "origin": self.origin.name,
            "destination": self.destination.name,
            "origin_place": self.origin.to_dict(),
            "destination_place": self.destination.to_dict(),
            "objective": self.objective,
            "label": self.label,
            "shipment": {
                "carrier": sh.carrier,
                "departure": sh.departure.isoformat(),
                "cargo": sh.cargo,
                "tonnes": sh.tonnes,
                "value_usd": sh.value_usd,
                "tir": sh.tir,
                "backhaul": sh.backhaul,
                "value_of_time_pct_per_day": self.bill.vot_pct_per_day,
            },
            "distance_km": round(self.distance_km, 3),
            "hours": round(self.hours, 3),
            "p50_hours": _round(self.reliability.get("p50")),
            "p90_hours": _round(self.reliability.get("p90")),
            "reliability": self.reliability,
            "cost_usd": round(self.cost_usd, 2),
            "generalized_cost_usd": round(self.bill.generalized_usd, 2),
            "co2e_kg": round(self.co2e_kg, 3),
            "modes": sorted({leg.mode for leg in self.legs}),
            "border_crossings": self.bill.border_crossings(),
            "transshipments": self.bill.transshipments(),
            "regimes": list(self.bill.regimes),
            "carrier_rights": list(self.bill.carrier_rights),
            "breakdown": [it.to_dict() for it in self.bill.items],
            "legs": [leg.to_dict() for leg in self.legs],
            "geometry": self.geometry(),
            "network_hash": self.network_hash,
            "notes": self.notes,
        }

    def to_geojson(self) -> dict[str, Any]:
        """A GeoJSON FeatureCollection with one feature per leg."""
        return {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": leg.to_dict(),
                    "geometry": {
                        "type": "LineString",
                        "coordinates": np.round(leg.coords, 5).tolist(),
                    },
                }
                for leg in self.legs
            ],
        }

    def to_geodataframe(self) -> Any:
        """The legs as a :class:`geopandas.GeoDataFrame` (EPSG:4326), one row per leg."""
        import geopandas as gpd
        from shapely import LineString

        rows = [leg.to_dict() for leg in self.legs]
        geoms = [LineString(leg.coords) for leg in self.legs]
        return gpd.GeoDataFrame(rows, geometry=geoms, crs="EPSG:4326")

    def _repr_html_(self) -> str:
        from maps.route_map import route_map

        return str(route_map(self.to_dict())._repr_html_())


@dataclass(frozen=True)
class Matrix:
    """Cost, time and distance for every origin × destination (:func:`matrix`).

    Attributes
    ----------
    rows
        One dict per origin × destination, origin-major, as :meth:`Planner.matrix` gives
        (``cost_usd``, ``hours``, ``distance_km``, ``border_posts`` and ``reason``; the
        figures are None where there is no route).
    origins, destinations
        The resolved places, in the order asked.
    """

    rows: tuple[dict[str, Any], ...]
    origins: tuple[Place, ...]
    destinations: tuple[Place, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form for JSON output: the places and the rows."""
        return {
            "origins": [p.to_dict() for p in self.origins],
            "destinations": [p.to_dict() for p in self.destinations],
            "rows": [dict(r) for r in self.rows],
        }

    def to_dataframe(self) -> Any:
        """The rows as a :class:`pandas.DataFrame`."""
        import pandas as pd

        return pd.DataFrame(list(self.rows))

    def to_geodataframe(self) -> Any:
        """The rows as a :class:`geopandas.GeoDataFrame` (EPSG:4326) whose geometry is the
        straight line from origin to destination (a desire line, not the route)."""
        import geopandas as gpd
        from shapely import LineString

        lines = [
            LineString([(o.lon, o.lat), (d.lon, d.lat)])
            for o in self.origins
            for d in self.destinations
        ]
        return gpd.GeoDataFrame(list(self.rows), geometry=lines, crs="EPSG:4326")

    def _repr_html_(self) -> str:
        """Cost (USD) by origin (rows) and destination (columns), for notebooks; cells by
        position, so a place asked twice keeps its own row or column."""
        import pandas as pd

        cost = [r["cost_usd"] for r in self.rows]
        n = len(self.destinations)
        table = pd.DataFrame(
            [cost[i * n : (i + 1) * n] for i in range(len(self.origins))],
            index=pd.Index([p.name for p in self.origins], name="origin"),
            columns=pd.Index([p.name for p in self.destinations], name="destination"),
            dtype=float,
        )
        return str(table.to_html(float_format=lambda x: f"{x:,.0f}", na_rep="no route"))


class Planner:
    """Routes on one network and rule set; cost models are cached per shipment and options.

    Parameters
    ----------
    network, rules
        What to route on (default: the embedded network and the packaged rules).
    max_models
        Cost models kept (least recently used dropped beyond it; each takes ~100 MB with its
        graphs); None keeps them all, as a one-off script wants.
    """

    def __init__(
        self,
        network: Network | None = None,
        rules: Rules | None = None,
        *,
        max_models: int | None = None,
    ) -> None:
        self.network = network or load_network()
        self.rules = rules or load_rules()
        self.places = PlaceIndex(self.network)
        self.max_models = max_models
        self._models: OrderedDict[tuple[Any, ...], CostModel] = OrderedDict()
        self._node_names: dict[int, str] = {}  # node -> name of a place near it

    @cached_property
    def _place_tree(self) -> tuple[list[Place], Any]:
        from scipy.spatial import cKDTree

        named = [p for p in self.places.places if p.kind != "border"]
        return named, cKDTree(
            unit_vectors(np.array([p.lon for p in named]), np.array([p.lat for p in named]))
        )

    def model(
        self,
        shipment: Shipment,
        modes: frozenset[str],
        include_planned: bool,
        avoid: Avoid | None = None,
    ) -> CostModel:
        """The cost model for a shipment and options (cached, least recently used dropped
        beyond ``max_models``)."""
        avoid = avoid or Avoid()
        key = (shipment, modes, include_planned, avoid)
        if key in self._models:
            self._models.move_to_end(key)
        else:
            self._models[key] = CostModel(
                self.network,
                shipment,
                rules=self.rules,
                modes=modes,
                include_planned=include_planned,
                avoid_countries=avoid.countries,
                avoid_posts=avoid.posts,
                avoid_nodes=avoid.nodes,
            )
            while self.max_models is not None and len(self._models) > self.max_models:
                self._models.popitem(last=False)
        return self._models[key]

    def parse_avoid(self, items: Iterable[str]) -> Avoid:
        """Turn names into what to avoid: ISO3 countries, border posts, places.

        Raises
        ------
        InvalidInputError
            For a name that is none of these.
        """
        countries, posts, nodes = set(), set(), set()
        known = {c for c in self.network.countries if c}
        for raw in items:
            item = raw.strip()
            if not item:
                continue
            if item.upper() in known and len(item) == 3:
                countries.add(item.upper())
                continue
            try:
                place = self.places.resolve(item)
            except UnknownPlaceError as exc:
                raise InvalidInputError(
                    f"cannot avoid {item!r}: not a country code, border post or place"
                    + (f"; did you mean {', '.join(exc.suggestions)}?" if exc.suggestions else "")
                ) from None
            if place.kind == "border":
                posts.add(place.name)
            else:
                nodes.update(place.nodes.values())
        return Avoid(frozenset(countries), frozenset(posts), frozenset(nodes))

    def graph(self, model: CostModel, objective: str) -> CostedGraph:
        """The searchable graph of a cost model for one objective (cached).

        A model re-costed from a base model (:func:`corridors.scenarios.recost.recost`
        sets ``model.base_model``; same states and arcs, other costs and hours) gets the
        base model's graph with new weights (:meth:`routing.CostedGraph.with_weights`),
        which shares the CSR structure instead of rebuilding it; the base graph is built
        once if it is not cached yet.
        """
        # cached on the model itself, so a graph lives exactly as long as its model
        cache: dict[str, Any] = model.__dict__.setdefault("searchable", {})
        base = model.__dict__.get("base_model")
        if objective not in cache and base is not None and base.arcs["src"] is model.arcs["src"]:
            cache[objective] = self.graph(base, objective).with_weights(
                self._weights(model, objective, model.arcs)
            )
        if objective not in cache:
            a = model.arcs
            cache[objective] = CostedGraph(
                model.n_states,
                a["src"],
                a["dst"],
                np.ones(len(a["src"]), dtype=bool),
                self._weights(model, objective, a),
                groups=model.state_nodes,
            )
        return cache[objective]

    @staticmethod
    def _weights(model: CostModel, objective: str, a: dict[str, np.ndarray]) -> np.ndarray:
        if objective == "cost":
            return a["cost"]
        if objective == "time":
            return a["hours"]
        if objective == "distance":
            return a["km"]
        return a["cost"] + model_vot_per_hour(model) * a["hours"]

    def default_shipment(self, origin: Place, departure: dt.date | None = None) -> Shipment:
        """Shipment with the origin's country as carrier, departing ``departure`` or today."""
        country = origin.country or self._country_of(origin)
        return Shipment(carrier=country, departure=departure or dt.date.today())

    def _country_of(self, place: Place) -> str:
        node = place.nodes.get("road", next(iter(place.nodes.values())))
        return self.network.countries[self.network.node_country[node]]

    def _prepare(
        self,
        origin: str,
        destination: str,
        objective: str,
        modes: Iterable[str] | None,
        include_planned: bool,
        shipment: Shipment | None,
        avoid: Iterable[str] = (),
        regime: str | None = None,
    ) -> tuple[Place, list[Place], CostModel, tuple[str, ...], str]:
        """Validate the query, resolve the places and get the cost model.

        ``destination`` may also be ``port:ISO3`` (any sea port of a country, e.g.
        ``port:PAK``) or ``port:*`` (any sea port): the best one is chosen on the whole trip.
        """
        _check_objective(objective)
        if regime is not None and regime != "tir":
            raise InvalidInputError(f"unknown regime {regime!r}; the only one is tir")
        if regime == "tir" and shipment is not None and not shipment.tir:
            raise InvalidInputError("regime tir needs a shipment under TIR (not --no-tir)")
        mode_set, node_modes = _checked_modes(modes)
        o = self.places.resolve(origin, modes=node_modes)
        dests = self._destinations(destination, node_modes)
        if any(o.key == d.key for d in dests) and len(dests) == 1:
            raise InvalidInputError(f"origin and destination are the same place ({o.name})")
        dests = [d for d in dests if d.key != o.key]
        allowed = ", ".join(sorted(mode_set))
        for pl in (o, *dests[:1]):
            if not any(m in pl.nodes for m in node_modes):
                raise NoRouteError(
                    f"{pl.name} is not on the {allowed} network",
                    [f"{pl.name} has no node of mode {allowed}"],
                )
        shipment = shipment or self.default_shipment(o)
        av = self.parse_avoid(avoid)
        if regime == "tir":
            av = dataclasses.replace(av, posts=av.posts | self.non_tir_posts(shipment.departure))
        model = self.model(shipment, mode_set, include_planned, av)
        return o, dests, model, node_modes, allowed

    def non_tir_posts(self, day: dt.date) -> frozenset[str]:
        """Border posts where a TIR transport cannot cross on ``day``: one of the two
        countries is not a TIR party operational then (:func:`corridors.rules.tir_available`);
        a country the rules do not cover (e.g. RUS) counts as not operational."""
        net = self.network
        border = np.flatnonzero(net.edge_mode == EDGE_MODES.index("border"))
        ok: dict[int, bool] = {}
        out = set()
        for e in border.tolist():
            for node in (int(net.edge_u[e]), int(net.edge_v[e])):
                c = int(net.node_country[node])
                if c not in ok:
                    try:
                        ok[c] = tir_available(net.countries[c], day, rules=self.rules)[0]
                    except InvalidInputError:  # a country the rules do not cover
                        ok[c] = False
                if not ok[c]:
                    out.add(net.strings[net.edge_post[e]])
        return frozenset(out)

    def _destinations(self, text: str, node_modes: tuple[str, ...]) -> list[Place]:
        m = re.fullmatch(r"\s*port:\s*(\*|[A-Za-z]{3})\s*", text or "")
        if m is None:
            return [self.places.resolve(text, modes=node_modes)]
        code = m.group(1).upper()
        ports = [
            p
            for p in self.places.places
            if p.kind == "port" and "port" in p.nodes and (code == "*" or p.country == code)
        ]
        if not ports:
            raise InvalidInputError(f"no sea port of {code} on the network")
        if "port" not in node_modes:
            raise InvalidInputError("a port:... destination needs the sea or ferry mode")
        return ports

    def _no_route(self, o: Place, d: Place, model: CostModel, allowed: str) -> NoRouteError:
        reasons = [
            f"no connection by {allowed} between {o.name} and {d.name}"
            + ("" if model.include_planned else " on operational infrastructure")
        ]
        reasons += _unique(model.blocked)[:8]
        return NoRouteError(f"no route from {o.name} to {d.name}: {reasons[0]}", reasons)

    def route(
        self,
        origin: str,
        destination: str,
        *,
        objective: str = "cost",
        modes: Iterable[str] | None = None,
        include_planned: bool = False,
        shipment: Shipment | None = None,
        deadline: dt.datetime | None = None,
        draws: int = DEFAULT_DRAWS,
        seed: int = 0,
        avoid: Iterable[str] = (),
        via: Sequence[str] = (),
        max_transshipments: int | None = None,
        regime: str | None = None,
    ) -> Route:
        """Find the best route between two places; see :func:`route` and :meth:`routes`."""
        return self.routes(
            origin,
            destination,
            avoid=avoid,
            via=via,
            max_transshipments=max_transshipments,
            regime=regime,
            objective=objective,
            modes=modes,
            include_planned=include_planned,
            shipment=shipment,
            deadline=deadline,
            draws=draws,
            seed=seed,
            k=1,
        )[0]

    def routes(
        self,
        origin: str,
        destination: str,
        *,
        k: int = 1,
        max_overlap: float = 0.6,
        objective: str = "cost",
        modes: Iterable[str] | None = None,
        include_planned: bool = False,
        shipment: Shipment | None = None,
        deadline: dt.datetime | None = None,
        draws: int = DEFAULT_DRAWS,
        seed: int = 0,
        avoid: Iterable[str] = (),
        via: Sequence[str] = (),
        max_transshipments: int | None = None,
        regime: str | None = None,
        alternative_draws: int = 0,
    ) -> list[Route]:
        """The best route and up to ``k - 1`` genuinely different alternatives.

        Alternatives share at most ``max_overlap`` of their length with any better one
        (penalty method, :func:`routing.alternatives`); each is labelled by what makes it
        different from the best (border posts, port, modes).  The best route gets
        ``draws`` Monte Carlo draws (its ``reliability``); alternatives get
        ``alternative_draws`` (default none: their ``reliability`` is empty).

        Parameters
        ----------
        max_transshipments
            If given (>= 0), only routes with at most this many transshipments: truck
            transloads, gauge changes, road–rail terminal lifts (loading on or off rail at
            the origin or destination included) and port handling, i.e. the items of
            :meth:`corridors.bill.Bill.transshipments`.  Exact: the search runs on a layered
            copy of the state graph (one layer per count, transfer arcs lead one layer up;
            see :meth:`_layered`), so the result is the best route under the limit.
        regime
            ``"tir"``: only routes whose every border crossing is legal under TIR, i.e.
            both countries are TIR parties operational on the departure date
            (:func:`corridors.rules.tir_available`).  ``Shipment.tir`` alone does not
            imply this (it only sets the TIR crossing figures and carrier rights); the
            shipment must move under TIR.

        Raises
        ------
        InvalidInputError
            For a bad ``max_transshipments``, ``regime`` or ``alternative_draws``, or
            ``via`` with alternatives or with ``max_transshipments``.
        """
        if max_transshipments is not None and (
            not isinstance(max_transshipments, int)
            or isinstance(max_transshipments, bool)
            or not 0 <= max_transshipments <= MAX_TRANSSHIPMENTS
        ):
            raise InvalidInputError(
                f"max_transshipments must be an integer from 0 to {MAX_TRANSSHIPMENTS}, "
                f"not {max_transshipments!r}"
            )
        if not isinstance(alternative_draws, int) or alternative_draws < 0:
            raise InvalidInputError(
                f"alternative_draws must be a non-negative integer, not {alternative_draws!r}"
            )
        o, dests, model, node_modes, allowed = self._prepare(
            origin, destination, objective, modes, include_planned, shipment, avoid, regime
        )
        g = self.graph(model, objective)
        src, src_w = self._ends(model, o, node_modes, objective, start=True)
        dst, dst_w, owner = self._ends_many(model, dests, node_modes, objective)
        d_name = dests[0] if len(dests) == 1 else None
        seg = None
        if max_transshipments is not None and via:
            raise InvalidInputError("--via cannot be combined with --max-transshipments")
        try:
            if max_transshipments is not None:
                g, arc_of, src, src_w, dst, dst_w = self._layered(
                    model, objective, max_transshipments, src, src_w, dst, dst_w
                )
                if not src or not dst:  # e.g. rail ends with no transshipment allowed
                    raise NoRouteError("no start or end within the limit")
                seg = self._segments(model)[arc_of]
            if via:
                if k != 1:
                    raise InvalidInputError("--via gives one route; use it without --alternatives")
                paths = [
                    self._via_path(
                        model, g, o, list(via), node_modes, objective, src, src_w, dst, dst_w
                    )
                ]
            elif k == 1:
                paths = [best_path(g, src, src_w, dst, dst_w)]
            else:
                paths = alternatives(
                    g,
                    src,
                    src_w,
                    dst,
                    dst_w,
                    k=k,
                    max_overlap=max_overlap,
                    lengths=self._km(model) if seg is None else model.arcs["km"][arc_of],
                    segments=self._segments(model) if seg is None else seg,
                )
        except NoRouteError:
            no = self._no_route(o, d_name or _group_place(destination), model, allowed)
            if max_transshipments is not None:
                no = NoRouteError(
                    f"{no}; none with at most {max_transshipments} transshipment(s)", no.reasons
                )
            raise no from None
        if max_transshipments is not None:  # back from the layered copy to the model
            n = model.n_states
            paths = [
                Path(
                    tuple(x % n for x in p.nodes),
                    tuple(int(arc_of[e]) for e in p.edges),
                    p.forward,
                    p.cost,
                )
                for p in paths
            ]
        openings: dict[Any, Any] = {}  # alternatives cross the same posts
        out = [
            self._make_route(
                model,
                o,
                owner[p.nodes[-1]],
                objective,
                list(p.edges),
                p.nodes[0],
                p.nodes[-1],
                deadline=deadline,
                draws=draws if i == 0 else alternative_draws,
                seed=seed,
                openings=openings,
            )
            for i, p in enumerate(paths)
        ]
        return _label_differences(out)

    def _layered(
        self,
        model: CostModel,
        objective: str,
        limit: int,
        src: list[int],
        src_w: list[float],
        dst: list[int],
        dst_w: list[float],
    ) -> tuple[CostedGraph, np.ndarray, list[int], list[float], list[int], list[float]]:
        """The state graph copied ``limit + 1`` times, one copy per transshipments made so
        far: a transfer arc (transload, gauge change, terminal, port handling) leads from
        copy ``c`` to copy ``c + 1``, every other arc stays in its copy (cached per model,
        objective and limit).  Starting on rail counts the loading lift, ending on rail the
        unloading one.  Returns the graph, the model arc of each of its edges, and the
        start and end states in its numbering."""
        cache: dict[Any, Any] = model.__dict__.setdefault("searchable", {})
        key = ("layered", objective, limit)
        n = model.n_states
        if key not in cache:
            a = model.arcs
            w = self._weights(model, objective, a)
            kinds = [ARC_KINDS.index(x) for x in _TRANSFER_KINDS]
            up = np.isin(a["kind"], kinds)
            stay, move = np.flatnonzero(~up), np.flatnonzero(up)
            us: list[np.ndarray] = []
            vs: list[np.ndarray] = []
            arc_of: list[np.ndarray] = []
            for c in range(limit + 1):
                us.append(a["src"][stay] + c * n)
                vs.append(a["dst"][stay] + c * n)
                arc_of.append(stay)
                if c < limit:
                    us.append(a["src"][move] + c * n)
                    vs.append(a["dst"][move] + (c + 1) * n)
                    arc_of.append(move)
            u, v, arcs = np.concatenate(us), np.concatenate(vs), np.concatenate(arc_of)
            g = CostedGraph(
                n * (limit + 1),
                u,
                v,
                np.ones(len(u), dtype=bool),
                w[arcs],
                groups=np.tile(model.state_nodes, limit + 1),
            )
            cache[key] = (g, arcs)
        g, arcs = cache[key]
        rail_end = model.n_road_states + model.n_rail_states

        def on_rail(s: int) -> int:
            return int(model.n_road_states <= s < rail_end)

        s2 = [s for s in src if on_rail(s) <= limit]
        s2w = [w for s, w in zip(src, src_w, strict=True) if on_rail(s) <= limit]
        s2 = [s + on_rail(s) * n for s in s2]
        d2: list[int] = []
        d2w: list[float] = []
        for s, w in zip(dst, dst_w, strict=True):
            for c in range(limit + 1 - on_rail(s)):
                d2.append(s + c * n)
                d2w.append(w)
        return g, arcs, s2, s2w, d2, d2w

    def pareto(
        self,
        origin: str,
        destination: str,
        *,
        modes: Iterable[str] | None = None,
        include_planned: bool = False,
        shipment: Shipment | None = None,
        deadline: dt.datetime | None = None,
        max_labels: int = 1_000_000,
        avoid: Iterable[str] = (),
    ) -> list[Route]:
        """All routes that are not beaten on both cost and door-to-door time.

        A real bi-criteria search (:class:`routing.BiCriteriaGraph`), not a weighted sum;
        routes are sorted by cost.  If the search hits ``max_labels`` the cheapest part of
        the front is returned and each route's ``reliability["front_complete"]`` is False.
        """
        o, dests, model, node_modes, allowed = self._prepare(
            origin, destination, "cost", modes, include_planned, shipment, avoid
        )
        cache: dict[str, Any] = model.__dict__.setdefault("searchable", {})
        key = "bicriteria"
        if key not in cache:
            a = model.arcs
            cache[key] = BiCriteriaGraph(model.n_states, a["src"], a["dst"], a["cost"], a["hours"])
        bi = cache[key]
        src, src_c = self._ends(model, o, node_modes, "cost", start=True)
        _, src_t = self._ends(model, o, node_modes, "time", start=True)
        dst, dst_c, owner = self._ends_many(model, dests, node_modes, "cost")
        _, dst_t, _ = self._ends_many(model, dests, node_modes, "time")
        front = bi.front(
            src,
            dst,
            source_costs=list(zip(src_c, src_t, strict=True)),
            target_costs=list(zip(dst_c, dst_t, strict=True)),
            max_labels=max_labels,
        )
        if not front.paths:
            raise self._no_route(o, dests[0], model, allowed)
        out = []
        openings: dict[Any, Any] = {}  # the front's routes cross the same posts
        for p in front.paths:
            r = self._make_route(
                model,
                o,
                owner[p.nodes[-1]],
                "pareto",
                list(p.arcs),
                p.nodes[0],
                p.nodes[-1],
                deadline=deadline,
                openings=openings,
            )
            r.reliability["front_complete"] = bool(front.complete)
            out.append(r)
        return _label_differences(out)

    def matrix(
        self, origins: Sequence[str], destinations: Sequence[str], **options: Any
    ) -> list[dict[str, Any]]:
        """The rows of :meth:`matrix_result` (one dict per origin × destination), for the CLI
        and the HTTP API."""
        return list(self.matrix_result(origins, destinations, **options).rows)

    def matrix_result(
        self,
        origins: Sequence[str],
        destinations: Sequence[str],
        *,
        objective: str = "cost",
        modes: Iterable[str] | None = None,
        include_planned: bool = False,
        shipment: Shipment | None = None,
        departure: dt.date | None = None,
        backhaul: bool = False,
    ) -> Matrix:
        """Cost, time and distance for every origin × destination, as a :class:`Matrix`.

        Each origin uses ``shipment``, or by default a truck of its own country departing
        ``departure`` (today); with ``backhaul`` the load is a back-haul
        (:attr:`corridors.shipment.Shipment.backhaul`).  Unreachable pairs have ``None``
        values and the reason.
        The origins that share a shipment share a cost model.  Per model, with at least
        :data:`_DESTINATIONS_PER_ORIGIN` destinations per origin: one A* search per origin
        towards all destinations (:meth:`routing.CostedGraph.paths_to_sets`).  Otherwise,
        per destination: one A* search per origin guided by the exact distance on the
        graph of network nodes, each stopping where it meets a path found before
        (:meth:`routing.CostedGraph.guided_edges_to`); or, when the destination's complete
        backward search tree is cached or enough origins ask for it, the paths read off
        that tree (:meth:`routing.CostedGraph.paths_to` chooses; destinations on a few
        threads, trees kept on the model's graph for later matrices towards the same
        destination).  Each cell gets only its totals (:meth:`totals_many`, equal to the
        route's bill), not a full route with legs, geometry and draws.  Where two paths
        weigh the same for the objective, the one with the fewest arcs is taken (so a cell
        does not depend on the other origins asked with it), which may not be
        :meth:`route`'s: on such a tie a cell's other figures (km, posts; the cost, for
        another objective than cost) may differ from the route's; its objective's value
        does not.

        Raises
        ------
        InvalidInputError
            For an empty list, an unknown objective or mode (before any search runs).
        UnknownPlaceError
            For an unknown name (before any search runs).
        """
        for what, names in (("origins", origins), ("destinations", destinations)):
            if isinstance(names, str):  # a name would be read letter by letter
                raise InvalidInputError(
                    f"{what} must be a list of places, not the string {names!r}"
                )
        if not origins or not destinations:
            raise InvalidInputError("a matrix needs at least one origin and one destination")
        _check_objective(objective)
        mode_set, node_modes = _checked_modes(modes)
        rows: list[dict[str, Any]] = []
        dests = [self.places.resolve(x, modes=node_modes) for x in destinations]
        origs = [self.places.resolve(x, modes=node_modes) for x in origins]
        shipments = [shipment or self.default_shipment(o, departure) for o in origs]
        if backhaul:
            shipments = [dataclasses.replace(sh, backhaul=True) for sh in shipments]
        # per cell: the path's arcs, first and last state (None: no route)
        cells: dict[tuple[int, int], tuple[np.ndarray, int, int] | None] = {}
        groups: dict[Shipment, list[int]] = {}
        for i, sh in enumerate(shipments):
            groups.setdefault(sh, []).append(i)
        # per destination: the graph, the destination's end states and exit costs, the
        # asking origins' start states and entry costs; the asking origins and the column
        jobs: list[tuple[CostedGraph, np.ndarray, np.ndarray, list[Any]]] = []
        asked: list[tuple[list[int], int]] = []
        models: dict[Shipment, CostModel] = {}
        for sh, members in groups.items():
            model = models[sh] = self.model(sh, mode_set, include_planned)
            g = self.graph(model, objective)
            starts = {
                i: self._ends(model, origs[i], node_modes, objective, start=True) for i in members
            }
            ends = [self._ends(model, d, node_modes, objective, start=False) for d in dests]
            if len(dests) >= _DESTINATIONS_PER_ORIGIN * len(members) and not all(
                g.has_tree(np.asarray(t, np.int64), np.asarray(c)) for t, c in ends
            ):
                # many destinations, fewer origins: one A* search per origin towards all
                sources = [starts[i] for i in members]
                rows_of = g.paths_to_sets(
                    [(np.asarray(t, np.int64), np.asarray(c, np.float64)) for t, c in sources],
                    [(np.asarray(t, np.int64), np.asarray(c, np.float64)) for t, c in ends],
                )
                for i, row in zip(members, rows_of, strict=True):
                    for j, d in enumerate(dests):
                        q = row[j]
                        if origs[i].key == d.key or not starts[i][0] or q is None:
                            cells[(i, j)] = None
                        else:
                            cells[(i, j)] = (np.asarray(q.edges, np.int64), q.nodes[0], q.nodes[-1])
                continue
            for j, d in enumerate(dests):
                for i in members:
                    cells[(i, j)] = None
                ask = [i for i in members if starts[i][0] and origs[i].key != d.key]
                dst, dst_w = ends[j]
                if not ask or not dst:
                    continue
                sets = [(np.asarray(starts[i][0], np.int64), np.asarray(starts[i][1])) for i in ask]
                jobs.append(
                    (g, np.asarray(dst, np.int64), np.asarray(dst_w, np.float64), sets)
                )  # fmt: skip
                asked.append((ask, j))
        # per destination, on a few threads (the compiled searches release the GIL): the
        # paths read off its backward search tree where that is cached or pays off, else
        # one guided search per origin
        with ThreadPoolExecutor(max_workers=max(1, min(len(jobs), _MATRIX_THREADS))) as pool:
            results = list(pool.map(lambda job: job[0].paths_to(*job[1:]), jobs))
        for (ask, j), column in zip(asked, results, strict=True):
            for i, f in zip(ask, column, strict=True):
                cells[(i, j)] = None if f is None else (f[0], int(f[2][0]), int(f[2][-1]))
        # every cell's totals, the cells of one cost model together
        found: dict[tuple[int, int], tuple[float, float, float, list[str]]] = {}
        for sh, members in groups.items():
            keys = [(i, j) for i in members for j in range(len(dests)) if cells[(i, j)] is not None]
            paths = [c for k in keys if (c := cells[k]) is not None]
            found.update(zip(keys, self.totals_many(models[sh], paths), strict=True))
        for i, o in enumerate(origs):
            sh = shipments[i]
            for j, d in enumerate(dests):
                p = found.get((i, j))
                row: dict[str, Any] = {
                    "origin": o.name,
                    "destination": d.name,
                    "carrier": sh.carrier,
                    "objective": objective,
                }
                if p is None:
                    row.update(
                        cost_usd=None,
                        hours=None,
                        distance_km=None,
                        border_posts="",
                        reason="same place" if d.key == o.key else "no route",
                    )
                else:
                    cost, hours, km, posts = p
                    row.update(
                        cost_usd=round(cost, 2),
                        hours=round(hours, 3),
                        distance_km=round(km, 3),
                        border_posts="; ".join(posts),
                        reason="",
                    )
                rows.append(row)
        return Matrix(tuple(rows), tuple(origs), tuple(dests))

    def totals(
        self,
        model: CostModel,
        arcs: Sequence[int],
        start: int,
        end: int,
        *,
        columns: tuple[np.ndarray, np.ndarray] | None = None,
        km: float | None = None,
    ) -> tuple[float, float, float, list[str]]:
        """Cost (USD), door-to-door hours, km and border posts of a path of ``model``'s arcs,
        without building its bill or legs.

        Equal to the :class:`Route` of the same path (``cost_usd``, ``hours``,
        ``distance_km`` and the names of ``bill.border_crossings()``): the items of
        :func:`corridors.bill.itemise` are summed in the same order and grouping, and the
        waits at shut posts come from the same walk of the clock; the labels, details and
        geometry are skipped.  ``columns`` gives the cost and hours of ``arcs`` (one value
        per arc of the path, in its order) instead of the model's own, e.g. those of a
        scenario re-costed for this path only (:mod:`corridors.scenarios.batch`); ``km``,
        the path's distance when the caller knows it already (it is returned as given).
        """
        return self.totals_many(
            model,
            [(arcs, start, end)],
            columns=None if columns is None else [columns],
            km=None if km is None else [km],
        )[0]

    def totals_many(
        self,
        model: CostModel,
        paths: Sequence[tuple[Sequence[int], int, int]],
        *,
        columns: Sequence[tuple[np.ndarray, np.ndarray]] | None = None,
        km: Sequence[float] | None = None,
    ) -> list[tuple[float, float, float, list[str]]]:
        """:meth:`totals` of many paths ``(arcs, start, end)`` of one model at once (a
        matrix's cells): the arcs' keys and the items' and legs' sums are computed for all
        of them together, each path's sums over exactly its own runs, so every result
        equals :meth:`totals` of that path alone to the last bit.  ``columns`` and ``km``
        give one entry per path, as in :meth:`totals`."""
        if not paths:
            return []
        net, a, sh = model.network, model.arcs, model.shipment
        hd = model.rules.handling
        lift = hd.terminals["road_rail"]
        lift_cost = lift.cost.value * model.boxes
        carnet = hd.regimes["tir"].items["carnet_price"].value
        rail = model.n_road_states, model.n_road_states + model.n_rail_states
        arrs = [_arc_array(arcs) for arcs, _, _ in paths]
        lengths = np.asarray([len(x) for x in arrs], dtype=np.int64)
        ends = np.cumsum(lengths)
        begins = ends - lengths
        arr = np.concatenate(arrs) if arrs else np.empty(0, dtype=np.int64)
        # a matrix or a sweep asks for many paths: key every arc of the model once
        items, legs = arc_keys(model, arr, index=True)
        if columns is None:
            cost_col, hours_col = a["cost"][arr], a["hours"][arr]
        else:
            cols = [[np.asarray(x, dtype=np.float64).reshape(-1) for x in c] for c in columns]
            if len(cols) != len(arrs) or any(
                len(c) != 2 or len(c[0]) != len(x) or len(c[1]) != len(x)
                for c, x in zip(cols, arrs, strict=False)
            ):
                raise InvalidInputError("columns must give a cost and an hours value per arc")
            cost_col = np.concatenate([c[0] for c in cols])
            hours_col = np.concatenate([c[1] for c in cols])
        if km is not None and len(km) != len(paths):
            raise InvalidInputError("km must give one distance per path")
        # each item's cost and hours (corridors.bill.item_runs), a path's first arc
        # beginning a run whatever the previous path's last arc was
        item_starts = run_starts(items, begins)
        run_cost = run_sums(cost_col, item_starts)
        run_hours = run_sums(hours_col, item_starts)
        item_at = np.searchsorted(item_starts, np.append(begins, len(arr))).tolist()
        first = arr[item_starts]
        border = (a["kind"][first] == ARC_KINDS.index("border")).tolist()
        kms = _paths_km(model, arr, legs, begins, ends) if km is None else km
        out: list[tuple[float, float, float, list[str]]] = []
        for n, (_, start, end) in enumerate(paths):
            lo, hi = item_at[n], item_at[n + 1]
            clock = sh.departure_time()
            costs: list[float] = []
            hours: list[float] = []
            if rail[0] <= start < rail[1]:
                costs.append(lift_cost)
                hours.append(lift.hours.value)
                clock += dt.timedelta(hours=lift.hours.value)
            costs += run_cost[lo:hi]  # a wait costs nothing
            cell_hours = run_hours[lo:hi]
            posts: list[str] = []
            setout = clock  # the clock never goes back: a post open ever after never waits
            done = 0  # items whose hours the clock has passed
            taken = 0  # items whose hours are in ``hours``
            for k in (k for k in range(hi - lo) if border[lo + k]):
                i = int(first[lo + k])
                info = int(a["info"][i])
                note = model.notes[info] if info >= 0 else {}
                edge = int(a["edge"][i])
                posts.append(note["post"] if "post" in note else net.strings[net.edge_post[edge]])
                post_key = note.get("post_key")
                if not post_key:
                    continue
                if self._never_shut(model, i, edge, post_key, setout):
                    continue
                for h in cell_hours[done:k]:  # walk the clock to this crossing, as the bill does
                    clock += dt.timedelta(hours=h)
                done = k
                wait, clock = self._wait(model, i, edge, post_key, clock)
                if wait is not None:  # the wait comes before the crossing
                    hours += cell_hours[taken:k]
                    hours.append(wait)
                    taken = k
            hours += cell_hours[taken:]
            if rail[0] <= end < rail[1]:
                costs.append(lift_cost)
                hours.append(lift.hours.value)
            if sh.tir and posts:
                costs.append(carnet)
            out.append((float(sum(costs)), float(sum(hours)), kms[n], posts))
        return out

    @staticmethod
    def _wait(
        model: CostModel, arc: int, edge: int, post_key: str, clock: dt.datetime
    ) -> tuple[float | None, dt.datetime]:
        """The wait at a shut post reached at ``clock`` (None when open) and the clock after
        it, as :func:`corridors.bill.itemise` finds them."""
        direction, mode = Planner._crossing(model, arc, edge)
        opening = opening_at(post_key, direction, clock, mode=mode, rules=model.rules)
        if opening is None:
            return None, clock
        return (opening - clock) / dt.timedelta(hours=1), opening

    @staticmethod
    def _never_shut(
        model: CostModel, arc: int, edge: int, post_key: str, setout: dt.datetime
    ) -> bool:
        """Whether the post of a border arc is open at every moment after ``setout``
        (:func:`corridors.rules.query.open_throughout`, memoised there per post, so nothing
        of a scenario's rules is held by the model)."""
        direction, mode = Planner._crossing(model, arc, edge)
        return open_throughout(post_key, direction, setout, mode=mode, rules=model.rules)

    @staticmethod
    def _crossing(model: CostModel, arc: int, edge: int) -> tuple[str, str]:
        """Direction (``"UZB->TJK"``) and mode (road or rail) of a border arc (memoised on
        the model: they depend on the network and the state graph only)."""
        memo: dict[int, tuple[str, str]] = model.__dict__.setdefault("_crossings", {})
        got = memo.get(arc)
        if got is None:
            net = model.network
            fc = net.countries[net.node_country[net.edge_u[edge]]]
            tc = net.countries[net.node_country[net.edge_v[edge]]]
            mode = model.describe_state(int(model.arcs["src"][arc]))[1]
            got = memo[arc] = (f"{fc}->{tc}", mode)
        return got

    def _ends_many(
        self, model: CostModel, places: list[Place], node_modes: tuple[str, ...], objective: str
    ) -> tuple[list[int], list[float], dict[int, Place]]:
        states: list[int] = []
        weights: list[float] = []
        owner: dict[int, Place] = {}
        for pl in places:
            s_, w_ = self._ends(model, pl, node_modes, objective, start=False)
            for st, w in zip(s_, w_, strict=True):
                if st not in owner:
                    owner[st] = pl
                    states.append(st)
                    weights.append(w)
        return states, weights, owner

    def _via_path(
        self,
        model: CostModel,
        g: CostedGraph,
        o: Place,
        via: list[str],
        node_modes: tuple[str, ...],
        objective: str,
        src: list[int],
        src_w: list[float],
        dst: list[int],
        dst_w: list[float],
    ) -> Path:
        """Chain best paths through the via places; each leg starts in the state (truck,
        gauge) where the previous one ended."""
        edges: list[int] = []
        nodes: list[int] = []
        cost = 0.0
        for name in via:
            v = self.places.resolve(name, modes=node_modes)
            if v.key == o.key:
                raise InvalidInputError(f"via place {v.name} is the origin")
            vs, _ = self._ends(model, v, node_modes, objective, start=False)
            leg = best_path(g, src, src_w, vs, [0.0] * len(vs))
            edges += leg.edges
            nodes += list(leg.nodes if not nodes else leg.nodes[1:])
            cost += leg.cost
            src, src_w = [leg.nodes[-1]], [0.0]
        leg = best_path(g, src, src_w, dst, dst_w)
        edges += leg.edges
        nodes += list(leg.nodes[1:] if nodes else leg.nodes)
        return Path(tuple(nodes), tuple(edges), tuple([True] * len(edges)), cost + leg.cost)

    @staticmethod
    def _segments(model: CostModel) -> np.ndarray:
        """Network edge of each arc (arcs without one get ids of their own); cached on the
        model, read-only."""
        cached = model.__dict__.get("_segments")
        if cached is None:
            e = model.arcs["edge"].copy()
            free = e < 0
            e[free] = e.max(initial=0) + 1 + np.arange(int(free.sum()))
            e.flags.writeable = False
            cached = model.__dict__["_segments"] = e
        return cached

    @staticmethod
    def _km(model: CostModel) -> np.ndarray:
        """Length of each arc (km), cached on the model, read-only (so the alternatives'
        memo of arc measures recognises it without comparing)."""
        cached = model.__dict__.get("_km")
        if cached is None:
            cached = model.__dict__["_km"] = model.arcs["km"].copy()
            cached.flags.writeable = False
        return cached

    def _make_route(
        self,
        model: CostModel,
        o: Place,
        d: Place,
        objective: str,
        arcs: list[int],
        start: int,
        end: int,
        *,
        deadline: dt.datetime | None = None,
        draws: int = DEFAULT_DRAWS,
        seed: int = 0,
        openings: dict[Any, Any] | None = None,
    ) -> Route:
        keys = arc_keys(model, np.asarray(arcs, dtype=np.int64))  # for the bill and the legs
        bill = itemise(
            model, arcs, o, d, self._name_of, start_state=start, end_state=end, keys=keys
        )
        legs = self._legs(model, arcs, keys)
        rel: dict[str, Any] = {}
        caveats: tuple[str, ...] = ()
        if draws:
            try:
                rel = reliability(
                    model, bill, n=draws, seed=seed, deadline=deadline, openings=openings
                )
            except PostClosedError as exc:  # the route itself gets there before the closure
                caveats = (
                    f"no door-to-door time distribution: {exc}, and slower draws of the "
                    "Monte Carlo reach it after that",
                )
        return Route(
            o,
            d,
            objective,
            model.shipment,
            tuple(legs),
            bill,
            self.network.content_hash,
            rel,
            caveats=caveats,
        )

    def _ends(
        self,
        model: CostModel,
        place: Place,
        node_modes: tuple[str, ...],
        objective: str,
        *,
        start: bool,
    ) -> tuple[list[int], list[float]]:
        """Start (or end) states of a place and what it costs to begin (or end) there."""
        states: list[int] = []
        weights: list[float] = []
        lift = self.rules.handling.terminals["road_rail"]
        lift_w = {
            "cost": lift.cost.value * model.boxes,
            "time": lift.hours.value,
            "distance": 0.0,
        }.get(objective)
        if lift_w is None:
            lift_w = lift.cost.value * model.boxes + model_vot_per_hour(model) * lift.hours.value
        if place.kind == "port" and "port" in node_modes and "port" in place.nodes:
            # goods at a port are handled through it (import), goods for a port into it
            return [model.other_state(place.nodes["port"])], [0.0]
        if "road" in node_modes and "road" in place.nodes:
            node = place.nodes["road"]
            if start:
                states.append(model.road_state(node, model.shipment.carrier))
                weights.append(0.0)
            else:
                states += [model.road_state(node, k) for k in model.layers]
                weights += [0.0] * len(model.layers)
        if "rail" in node_modes and "rail" in place.nodes:
            for s, _ in model.rail_states_of(place.nodes["rail"]):
                states.append(s)
                weights.append(lift_w)
        if "port" in node_modes and "port" in place.nodes:
            states.append(model.other_state(place.nodes["port"]))
            weights.append(0.0)
        return states, weights

    def _leg_groups(
        self,
        model: CostModel,
        arcs: Sequence[int],
        keys: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> tuple[Any, ...]:
        """The arcs of a route that have an edge, their edges, the node, mode and tag of
        their start states, and where each leg starts and ends (indexes into them)."""
        arr, starts = self._leg_starts(model, np.asarray(arcs, dtype=np.int64), keys=keys)
        a = model.arcs
        n_from, s_kind, s_tag = model.describe_states(a["src"][arr])
        first = starts.tolist()
        return arr, a["edge"][arr], n_from, s_kind, s_tag, first, [*first[1:], len(arr)]

    @staticmethod
    def _leg_starts(
        model: CostModel,
        arr: np.ndarray,
        *,
        keys: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The arcs of a route that have an edge, and where each leg begins among them
        (``keys``: the arcs' keys, if known)."""
        keys = (arc_keys(model, arr) if keys is None else keys)[1]
        has = keys != NO_LEG
        if not has.all():
            arr, keys = arr[has], keys[has]
        return arr, run_starts(keys)

    def _legs_km(self, model: CostModel, arcs: Sequence[int]) -> float:
        """:attr:`Route.distance_km` of the route with these arcs, without building legs."""
        arr = np.asarray(arcs, dtype=np.int64)
        at = np.zeros(1, dtype=np.int64)
        return _paths_km(model, arr, arc_keys(model, arr)[1], at, at + len(arr))[0]

    def _legs(
        self,
        model: CostModel,
        arcs: list[int],
        keys: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> list[Leg]:
        """Group the route's arcs into legs: consecutive arcs of one mode, country, status and
        truck or gauge (each border crossing on its own), with their geometry and emissions."""
        net, a = self.network, model.arcs
        arr, e, n_from, s_kind, s_tag, starts, ends = self._leg_groups(model, arcs, keys)
        if not len(arr):
            return []
        n_to = model.state_nodes[a["dst"][arr]]
        coords = self._leg_coords(e, n_from, starts)
        first = np.asarray(starts, dtype=np.int64)
        names = self._names_of([*n_from[first].tolist(), *n_to[np.asarray(ends) - 1].tolist()])
        km, hours, cost = (run_sums(a[c][arr], first) for c in ("km", "hours", "cost"))
        e_list = e.tolist()
        e0s = e[first]
        modes = [EDGE_MODES[m] for m in net.edge_mode[e0s].tolist()]
        countries = [net.countries[c] for c in net.edge_country[e0s].tolist()]
        statuses = [STATUSES[x] for x in net.edge_status[e0s].tolist()]
        gauges = net.edge_gauge_mm[e0s].tolist()
        kinds, tags = s_kind[first].tolist(), s_tag[first].tolist()
        tonnes = cargo_tonnes(model.shipment, self.rules)
        legs = []
        for k, (i0, i1) in enumerate(zip(starts, ends, strict=True)):
            mode = modes[k]
            border = mode == "border"
            e0 = e_list[i0]
            carrier = model.layers[tags[k]] if kinds[k] == 0 else ""
            gauge = int(gauges[k])
            co2e, factor = leg_co2e(
                mode,
                country=countries[k],
                carrier=carrier,
                gauge_mm=gauge,
                km=km[k],
                tonnes=tonnes,
                rules=self.rules,
            )
            legs.append(
                Leg(
                    mode=mode,
                    from_name=names[k],
                    to_name=names[len(starts) + k],
                    country=countries[k],
                    distance_km=km[k],
                    hours=hours[k],
                    cost_usd=cost[k],
                    status=statuses[k],
                    edges=tuple(e_list[i0:i1]),
                    coords=coords[k],
                    post=net.strings[net.edge_post[e0]] if border else "",
                    to_country=(
                        net.countries[net.node_country[int(n_to[i1 - 1])]] if border else ""
                    ),
                    carrier=carrier,
                    gauge_mm=gauge,
                    co2e_kg=co2e,
                    co2e_factor=factor,
                )
            )
        return legs

    def _leg_coords(self, e: np.ndarray, n_from: np.ndarray, starts: list[int]) -> list[np.ndarray]:
        """Each leg's vertices (lon, lat): its edges' vertices in order, each edge reversed
        where it is used from v to u, joined without repeating the shared end points."""
        net = self.network
        off = net.geom_offsets
        lo, hi = off[e].astype(np.int64), off[e + 1].astype(np.int64)
        fwd = net.edge_u[e] == n_from
        size = hi - lo  # vertices of each edge
        part_start = np.cumsum(size) - size  # where each edge's vertices begin
        total = int(size.sum())
        offset = np.arange(total) - np.repeat(part_start, size)
        pts = (
            np.repeat(np.where(fwd, lo, hi - 1), size)
            + np.repeat(np.where(fwd, 1, -1), size) * offset
        )
        # an edge after the first of its leg starts where the previous one ended
        joined = np.ones(len(e), dtype=bool)
        joined[starts] = False
        joined &= size > 0
        keep = np.ones(total, dtype=bool)
        keep[part_start[joined]] = False
        per_leg = np.add.reduceat(size - joined, starts) if len(starts) else size[:0]
        # a vertex's two coordinates as one item of their bytes: numpy gathers those several
        # times faster than rows of two numbers (0.09 against 0.67 ms for 20,000 vertices)
        coords = np.ascontiguousarray(net.geom_coords)
        packed = coords.view(np.dtype((np.void, 2 * coords.itemsize))).reshape(-1)
        xy = packed[pts[keep]].view(coords.dtype).reshape(-1, 2).astype(np.float64) / COORD_SCALE
        bounds = np.concatenate([[0], np.cumsum(per_leg)]).tolist()
        return [xy[i:j] for i, j in itertools.pairwise(bounds)]

    def _names_of(self, nodes: Sequence[int]) -> list[str]:
        """:meth:`_name_of` of several nodes."""
        return [self._name_of(int(n)) for n in nodes]

    def _name_of(self, node: int) -> str:
        got = self._node_names.get(node)
        if got is None:
            got = self._node_names[node] = self._name_of_uncached(node)
        return got

    def _name_of_uncached(self, node: int) -> str:
        named, tree = self._place_tree
        lon, lat = self.network.node_lon[node], self.network.node_lat[node]
        dist, k = tree.query(unit_vectors(np.array([lon]), np.array([lat]))[0])
        if dist * EARTH_RADIUS_KM <= _NAME_RADIUS_KM:
            return named[int(k)].name
        return f"{lat:.3f},{lon:.3f}"


def _paths_km(
    model: CostModel, arr: np.ndarray, legs: np.ndarray, begins: np.ndarray, ends: np.ndarray
) -> list[float]:
    """:attr:`Route.distance_km` of several paths laid end to end (``arr``, their arcs;
    ``legs``, the arcs' leg keys; path ``n`` is ``arr[begins[n]:ends[n]]``): each path's legs'
    distances (the same sums as :meth:`Planner._legs`), added in order."""
    has = legs != NO_LEG
    before = np.concatenate([[0], np.cumsum(has)])  # arcs with an edge before each
    starts = run_starts(legs[has], before[begins])
    leg_km = run_sums(model.arcs["km"][arr[has]], starts)
    at = np.searchsorted(starts, before[begins]).tolist()
    to = np.searchsorted(starts, before[ends]).tolist()
    return [float(sum(leg_km[i:j])) for i, j in zip(at, to, strict=True)]


def _arc_array(arcs: Sequence[int] | np.ndarray) -> np.ndarray:
    """Arc indexes as an int64 array (a search's tuple is read faster by ``fromiter``)."""
    if isinstance(arcs, np.ndarray):
        return arcs.astype(np.int64, copy=False)
    return np.fromiter(arcs, dtype=np.int64, count=len(arcs))


def _signature(r: Route) -> dict[str, set[str]]:
    ports = {leg.from_name for leg in r.legs if leg.mode == "sea"} | {
        leg.to_name for leg in r.legs if leg.mode == "sea"
    }
    return {
        "posts": {c["name"] for c in r.bill.border_crossings()},
        "modes": {leg.mode for leg in r.legs} - {"border", "transfer"},
        "ports": ports,
    }


def _label_differences(routes: list[Route]) -> list[Route]:
    """Label each route by what sets it apart from the first (posts, modes, ports)."""
    if not routes:
        return routes
    base = _signature(routes[0])
    out = []
    for i, r in enumerate(routes):
        sig = _signature(r)
        parts = []
        if i == 0:
            parts.append("best")
        new_posts = sorted(sig["posts"] - base["posts"])
        if new_posts:
            parts.append("via " + ", ".join(new_posts))
        if sig["modes"] != base["modes"]:
            parts.append("by " + "+".join(sorted(sig["modes"])))
        if sig["ports"] - base["ports"]:
            parts.append("port " + ", ".join(sorted(sig["ports"] - base["ports"])))
        if i and not parts:
            parts.append("different roads")
        out.append(dataclasses.replace(r, label="; ".join(parts)))
    return out


@dataclass(frozen=True)
class Avoid:
    """What a route must not use: countries (ISO3), border posts (names), nodes."""

    countries: frozenset[str] = frozenset()
    posts: frozenset[str] = frozenset()
    nodes: frozenset[int] = frozenset()


def _group_place(text: str) -> Place:
    return Place(
        key=text,
        name=f"any port ({text.split(':', 1)[-1]})",
        kind="port",
        country="",
        lat=0.0,
        lon=0.0,
    )


def _round(x: float | None) -> float | None:
    return None if x is None else round(float(x), 3)


def model_vot_per_hour(model: CostModel) -> float:
    """Value of time of the model's shipment, USD per hour."""
    sh = model.shipment
    pct = sh.value_of_time_pct_per_day
    if pct is None:
        pct = model.rules.handling.value_of_time.default.value
    return sh.value_usd * pct / 100.0 / 24.0


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _node_modes(modes: frozenset[str]) -> tuple[str, ...]:
    out = []
    if "road" in modes:
        out.append("road")
    if "rail" in modes:
        out.append("rail")
    if modes & {"sea", "ferry"}:
        out.append("port")
    return tuple(m for m in NODE_MODES if m in out)


_PLANNERS: dict[int, Planner] = {}


def route(
    origin: str,
    destination: str,
    *,
    objective: str = "cost",
    modes: Iterable[str] | None = None,
    include_planned: bool = False,
    shipment: Shipment | None = None,
    deadline: dt.datetime | None = None,
    network: Network | None = None,
) -> Route:
    """Find the best route between two places for a shipment.

    Parameters
    ----------
    origin, destination
        Place names (any alternate spelling), UN/LOCODEs, or ``"lat,lon"``.
    objective
        ``"cost"`` (USD), ``"time"`` (hours), ``"generalized"`` (USD + value of time) or
        ``"distance"`` (km).
    modes
        Allowed modes among road, rail, ferry, sea (default: all).
    include_planned
        Also use infrastructure that is planned or under construction.
    shipment
        The shipment profile (default: a 20 ft box on a truck of the origin's country,
        departing today, under TIR).
    deadline
        Arrival deadline; the result's ``reliability["p_on_time"]`` is the probability of
        meeting it (Monte Carlo over border times and opening schedules).
    network
        The network to route on (default: the embedded one).

    Returns
    -------
    Route

    Raises
    ------
    UnknownPlaceError, InvalidInputError, NoRouteError
    """
    return _planner_of(network).route(
        origin,
        destination,
        objective=objective,
        modes=modes,
        include_planned=include_planned,
        shipment=shipment,
        deadline=deadline,
    )


def matrix(
    origins: Sequence[str],
    destinations: Sequence[str],
    *,
    network: Network | None = None,
    **options: Any,
) -> Matrix:
    """Cost, time and distance for every origin × destination, as a :class:`Matrix`.

    Parameters
    ----------
    origins, destinations
        Place names, UN/LOCODEs or ``"lat,lon"``.
    network
        The network to route on (default: the embedded one).
    **options
        Those of :meth:`Planner.matrix_result` (``objective``, ``modes``, ``include_planned``,
        ``shipment``, ``departure``, ``backhaul``).

    Raises
    ------
    UnknownPlaceError, InvalidInputError
    """
    return _planner_of(network).matrix_result(origins, destinations, **options)


def _check_objective(objective: str) -> None:
    if objective not in OBJECTIVES:
        raise InvalidInputError(
            f"unknown objective {objective!r}; use one of {', '.join(OBJECTIVES)}"
        )


def _checked_modes(modes: Iterable[str] | None) -> tuple[frozenset[str], tuple[str, ...]]:
    """The allowed travel modes (all by default) and the node modes they reach; refuses an
    unknown or empty set."""
    mode_set = frozenset(modes) if modes is not None else frozenset(TRAVEL_MODES)
    bad = sorted(mode_set - set(TRAVEL_MODES))
    if bad or not mode_set:
        raise InvalidInputError(
            f"unknown mode {', '.join(bad) or '(none given)'}; "
            f"use some of {', '.join(TRAVEL_MODES)}"
        )
    return mode_set, _node_modes(mode_set)


def _planner_of(network: Network | None) -> Planner:
    """The module's planner for a network (one per network, kept)."""
    net = network or load_network()
    planner = _PLANNERS.get(id(net))
    if planner is None or planner.network is not net:
        planner = _PLANNERS[id(net)] = Planner(net)
    return planner
