"""The route facade: resolve places, cost the graph for a shipment, search, itemise.

Thin by design: places come from :mod:`corridors.places`, the costed state graph from
:mod:`corridors.costing`, the search from :mod:`routing`, the bill from
:mod:`corridors.bill`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
from scipy.spatial import cKDTree

from corridors.bill import Bill, itemise
from corridors.costing import TRAVEL_MODES, CostModel
from corridors.emissions import with_emissions
from corridors.places import Place, PlaceIndex
from corridors.rules import Rules, load_rules
from corridors.shipment import Shipment
from corridors.timing import DEFAULT_DRAWS, reliability
from geodata.errors import InvalidInputError, NoRouteError, UnknownPlaceError
from geodata.geo import EARTH_RADIUS_KM, unit_vectors
from geodata.network import COORD_SCALE, Network, load_network
from geodata.schema import EDGE_MODES, NODE_MODES, STATUSES
from routing import BiCriteriaGraph, CostedGraph, Path, alternatives, best_path

__all__ = ["OBJECTIVES", "TRAVEL_MODES", "Leg", "Planner", "Route", "route"]

OBJECTIVES = ("cost", "time", "generalized", "distance")
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


class Planner:
    """Routes on one network and rule set; cost models are cached per shipment and options."""

    def __init__(self, network: Network | None = None, rules: Rules | None = None) -> None:
        self.network = network or load_network()
        self.rules = rules or load_rules()
        self.places = PlaceIndex(self.network)
        self._models: dict[tuple[Any, ...], CostModel] = {}
        self._node_names: dict[int, str] = {}  # node -> name of a place near it

    @cached_property
    def _place_tree(self) -> tuple[list[Place], cKDTree]:
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
        """The cost model for a shipment and options (cached)."""
        avoid = avoid or Avoid()
        key = (shipment, modes, include_planned, avoid)
        if key not in self._models:
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
        """The searchable graph of a cost model for one objective (cached)."""
        # cached on the model itself, so a graph lives exactly as long as its model
        cache: dict[str, Any] = model.__dict__.setdefault("searchable", {})
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
    ) -> tuple[Place, list[Place], CostModel, tuple[str, ...], str]:
        """Validate the query, resolve the places and get the cost model.

        ``destination`` may also be ``port:ISO3`` (any sea port of a country, e.g.
        ``port:PAK``) or ``port:*`` (any sea port): the best one is chosen on the whole trip.
        """
        if objective not in OBJECTIVES:
            raise InvalidInputError(
                f"unknown objective {objective!r}; use one of {', '.join(OBJECTIVES)}"
            )
        mode_set = frozenset(modes) if modes is not None else frozenset(TRAVEL_MODES)
        bad = sorted(mode_set - set(TRAVEL_MODES))
        if bad or not mode_set:
            raise InvalidInputError(
                f"unknown mode {', '.join(bad) or '(none given)'}; "
                f"use some of {', '.join(TRAVEL_MODES)}"
            )
        node_modes = _node_modes(mode_set)
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
        model = self.model(shipment, mode_set, include_planned, self.parse_avoid(avoid))
        return o, dests, model, node_modes, allowed

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
    ) -> Route:
        """Find the best route between two places; see :func:`route`."""
        return self.routes(
            origin,
            destination,
            avoid=avoid,
            via=via,
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
    ) -> list[Route]:
        """The best route and up to ``k - 1`` genuinely different alternatives.

        Alternatives share at most ``max_overlap`` of their length with any better one
        (penalty method, :func:`routing.alternatives`); each is labelled by what makes it
        different from the best (border posts, port, modes).
        """
        o, dests, model, node_modes, allowed = self._prepare(
            origin, destination, objective, modes, include_planned, shipment, avoid
        )
        g = self.graph(model, objective)
        src, src_w = self._ends(model, o, node_modes, objective, start=True)
        dst, dst_w, owner = self._ends_many(model, dests, node_modes, objective)
        d_name = dests[0] if len(dests) == 1 else None
        try:
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
                    lengths=model.arcs["km"],
                    segments=self._segments(model),
                )
        except NoRouteError:
            raise self._no_route(o, d_name or _group_place(destination), model, allowed) from None
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
                draws=draws,
                seed=seed,
            )
            for p in paths
        ]
        return _label_differences(out)

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
            )
            r.reliability["front_complete"] = bool(front.complete)
            out.append(r)
        return _label_differences(out)

    def matrix(
        self,
        origins: Sequence[str],
        destinations: Sequence[str],
        *,
        objective: str = "cost",
        modes: Iterable[str] | None = None,
        include_planned: bool = False,
        shipment: Shipment | None = None,
        departure: dt.date | None = None,
    ) -> list[dict[str, Any]]:
        """Cost, time and distance for every origin × destination, one search per origin.

        Each origin uses ``shipment``, or by default a truck of its own country departing
        ``departure`` (today).  Unreachable pairs have ``None`` values and the reason.

        Raises
        ------
        InvalidInputError
            For an empty list or an unknown name (before any search runs).
        """
        if not origins or not destinations:
            raise InvalidInputError("a matrix needs at least one origin and one destination")
        rows: list[dict[str, Any]] = []
        mode_set = frozenset(modes) if modes is not None else frozenset(TRAVEL_MODES)
        node_modes = _node_modes(mode_set)
        dests = [self.places.resolve(x, modes=node_modes) for x in destinations]
        origs = [self.places.resolve(x, modes=node_modes) for x in origins]
        # One backward search per destination and cost model (the origins that share a
        # shipment share a model), instead of one forward search per origin; each cell then
        # gets its bill only (no legs, geometry or draws).
        shipments = [shipment or self.default_shipment(o, departure) for o in origs]
        cells: dict[tuple[int, int], Path | None] = {}
        groups: dict[Shipment, list[int]] = {}
        for i, sh in enumerate(shipments):
            groups.setdefault(sh, []).append(i)
        for sh, members in groups.items():
            model = self.model(sh, mode_set, include_planned)
            g = self.graph(model, objective)
            starts = [
                self._ends(model, origs[i], node_modes, objective, start=True) for i in members
            ]
            for j, d in enumerate(dests):
                ask = [i for i, (src, _) in zip(members, starts, strict=True) if src]
                ask = [i for i in ask if origs[i].key != d.key]
                for i in members:
                    cells[(i, j)] = None
                if not ask:
                    continue
                dst, dst_w = self._ends(model, d, node_modes, objective, start=False)
                if not dst:
                    continue
                by_member = dict(zip(members, starts, strict=True))
                found = g.search_to(
                    np.asarray(dst, dtype=np.int64),
                    np.asarray(dst_w, dtype=np.float64),
                    [
                        (np.asarray(by_member[i][0], dtype=np.int64), np.asarray(by_member[i][1]))
                        for i in ask
                    ],
                )
                for i, p in zip(ask, found, strict=True):
                    cells[(i, j)] = p
        for i, o in enumerate(origs):
            sh = shipments[i]
            model = self.model(sh, mode_set, include_planned)
            for j, d in enumerate(dests):
                p = cells[(i, j)]
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
                    arcs = list(p.edges)
                    bill = itemise(
                        model,
                        arcs,
                        o,
                        d,
                        self._name_of,
                        start_state=p.nodes[0],
                        end_state=p.nodes[-1],
                    )
                    row.update(
                        cost_usd=round(bill.cost_usd, 2),
                        hours=round(bill.hours, 3),
                        distance_km=round(self._legs_km(model, arcs), 3),
                        border_posts="; ".join(c["name"] for c in bill.border_crossings()),
                        reason="",
                    )
                rows.append(row)
        return rows

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
        """Network edge of each arc (arcs without one get ids of their own)."""
        e = model.arcs["edge"].copy()
        free = e < 0
        e[free] = e.max(initial=0) + 1 + np.arange(int(free.sum()))
        return e

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
    ) -> Route:
        bill = itemise(model, arcs, o, d, self._name_of, start_state=start, end_state=end)
        legs = with_emissions(self._legs(model, arcs), model.shipment, self.rules)
        rel = reliability(model, bill, n=draws, seed=seed, deadline=deadline) if draws else {}
        return Route(
            o, d, objective, model.shipment, tuple(legs), bill, self.network.content_hash, rel
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

    def _leg_groups(self, model: CostModel, arcs: Sequence[int]) -> tuple[Any, ...]:
        """The arcs of a route that have an edge, their edges, the node, mode and tag of
        their start states, and where each leg starts and ends (indexes into them)."""
        net, a = self.network, model.arcs
        arr = np.asarray(arcs, dtype=np.int64)
        arr = arr[a["edge"][arr] >= 0]
        e = a["edge"][arr]
        n_from, s_kind, s_tag = model.describe_states(a["src"][arr])
        border = net.edge_mode[e] == EDGE_MODES.index("border")
        # the truck's nationality, or the wagon's gauge (connectors have none)
        key = np.stack(
            [
                net.edge_mode[e].astype(np.int64),
                net.edge_country[e].astype(np.int64),
                net.edge_status[e].astype(np.int64),
                s_kind,
                s_tag,
                np.where(border, np.arange(len(arr)), -1),
            ]
        )
        new_leg = np.ones(len(arr), dtype=bool)
        new_leg[1:] = (key[:, 1:] != key[:, :-1]).any(axis=0)
        starts = np.flatnonzero(new_leg).tolist()
        ends = [*starts[1:], len(arr)]
        return arr, e, n_from, s_kind, s_tag, starts, ends

    def _legs_km(self, model: CostModel, arcs: Sequence[int]) -> float:
        """:attr:`Route.distance_km` of the route with these arcs, without building legs."""
        km = model.arcs["km"]
        arr, *_, starts, ends = self._leg_groups(model, arcs)
        return float(sum(float(km[arr[i0:i1]].sum()) for i0, i1 in zip(starts, ends, strict=True)))

    def _legs(self, model: CostModel, arcs: list[int]) -> list[Leg]:
        """Group the route's arcs into legs: consecutive arcs of one mode, country, status and
        truck or gauge (each border crossing on its own), with their geometry."""
        net, a = self.network, model.arcs
        arr, e, n_from, s_kind, s_tag, starts, ends = self._leg_groups(model, arcs)
        if not len(arr):
            return []
        n_to = model.state_nodes[a["dst"][arr]]
        # geometry: each edge's vertices, reversed where it is used from v to u, joined
        off = net.geom_offsets
        lo, hi = off[e].astype(np.int64), off[e + 1].astype(np.int64)
        fwd = net.edge_u[e] == n_from
        names = self._names_of([n_from[i] for i in starts] + [n_to[j - 1] for j in ends])
        legs = []
        for k, (i0, i1) in enumerate(zip(starts, ends, strict=True)):
            idx = arr[i0:i1]
            parts = [
                np.arange(lo[i], hi[i]) if fwd[i] else np.arange(hi[i] - 1, lo[i] - 1, -1)
                for i in range(i0, i1)
            ]
            pts = np.concatenate([p if j == 0 else p[1:] for j, p in enumerate(parts)])
            coords = net.geom_coords[pts].astype(np.float64) / COORD_SCALE
            e0 = int(e[i0])
            mode = EDGE_MODES[net.edge_mode[e0]]
            end = int(n_to[i1 - 1])
            kind0, tag0 = int(s_kind[i0]), int(s_tag[i0])
            legs.append(
                Leg(
                    mode=mode,
                    from_name=names[k],
                    to_name=names[len(starts) + k],
                    country=net.countries[net.edge_country[e0]],
                    distance_km=float(a["km"][idx].sum()),
                    hours=float(a["hours"][idx].sum()),
                    cost_usd=float(a["cost"][idx].sum()),
                    status=STATUSES[net.edge_status[e0]],
                    edges=tuple(e[i0:i1].tolist()),
                    coords=coords,
                    post=net.strings[net.edge_post[e0]] if mode == "border" else "",
                    to_country=net.countries[net.node_country[end]] if mode == "border" else "",
                    carrier=model.layers[tag0] if kind0 == 0 else "",
                    gauge_mm=int(net.edge_gauge_mm[e0]),
                )
            )
        return legs

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
    net = network or load_network()
    planner = _PLANNERS.get(id(net))
    if planner is None or planner.network is not net:
        planner = _PLANNERS[id(net)] = Planner(net)
    return planner.route(
        origin,
        destination,
        objective=objective,
        modes=modes,
        include_planned=include_planned,
        shipment=shipment,
        deadline=deadline,
    )
