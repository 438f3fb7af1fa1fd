"""The route facade: resolve places, build weights, search, and describe the path.

This first version routes on distance or plain moving time (no border waiting, fees or
legality yet; those belong to the rules).  It is deliberately thin: places come from
:mod:`corridors.places`, weights from the network and :mod:`corridors.travel`, the search
from :mod:`routing`.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
from scipy.spatial import cKDTree

from corridors.places import Place, PlaceIndex
from corridors.travel import edge_hours
from geodata.errors import InvalidInputError, NoRouteError
from geodata.geo import unit_vectors
from geodata.network import Network, load_network
from geodata.schema import EDGE_MODES, NODE_MODES, STATUSES
from routing import CostedGraph, shortest_path

__all__ = ["OBJECTIVES", "TRAVEL_MODES", "Leg", "Planner", "Route", "route"]

OBJECTIVES = ("distance", "time")
#: Modes a user can allow or exclude; transfers and border links are always usable.
TRAVEL_MODES = ("road", "rail", "ferry", "sea")
#: A leg endpoint takes the name of a place whose node is within this distance, km.
_NAME_RADIUS_KM = 15.0


@dataclass(frozen=True)
class Leg:
    """Consecutive edges of one mode, country and status (a border crossing is its own leg)."""

    mode: str
    from_name: str
    to_name: str
    country: str
    distance_km: float
    hours: float
    status: str
    edges: tuple[int, ...]
    coords: np.ndarray = field(repr=False, compare=False)
    post: str = ""
    gauge_mm: int = 0
    to_country: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form of the leg."""
        d: dict[str, Any] = {
            "mode": self.mode,
            "from": self.from_name,
            "to": self.to_name,
            "country": self.country,
            "distance_km": round(self.distance_km, 3),
            "hours": round(self.hours, 3),
            "status": self.status,
        }
        if self.mode == "border":
            d["post"] = self.post
            d["to_country"] = self.to_country
        if self.gauge_mm:
            d["gauge_mm"] = self.gauge_mm
        return d


@dataclass(frozen=True)
class Route:
    """A route between two places, with its legs and geometry."""

    origin: Place
    destination: Place
    objective: str
    distance_km: float
    hours: float
    legs: tuple[Leg, ...]
    edges: tuple[int, ...]
    network_hash: str

    def geometry(self) -> dict[str, Any]:
        """The whole route as a GeoJSON MultiLineString (one line per leg)."""
        return {
            "type": "MultiLineString",
            "coordinates": [np.round(leg.coords, 5).tolist() for leg in self.legs],
        }

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form for JSON output."""
        return {
            "origin": self.origin.name,
            "destination": self.destination.name,
            "origin_place": self.origin.to_dict(),
            "destination_place": self.destination.to_dict(),
            "objective": self.objective,
            "distance_km": round(self.distance_km, 3),
            "hours": round(self.hours, 3),
            "modes": sorted({leg.mode for leg in self.legs}),
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

    def _repr_html_(self) -> str:
        from maps.route_map import route_map

        return str(route_map(self.to_dict())._repr_html_())


class Planner:
    """Routes on one network; weights and graphs are built once per setting and cached."""

    def __init__(self, network: Network | None = None) -> None:
        self.network = network or load_network()
        self.places = PlaceIndex(self.network)
        self._graphs: dict[tuple[Any, ...], CostedGraph] = {}

    @cached_property
    def _hours(self) -> np.ndarray:
        return edge_hours(self.network)

    @cached_property
    def _place_tree(self) -> tuple[list[Place], cKDTree]:
        named = [p for p in self.places.places if p.kind != "border"]
        return named, cKDTree(
            unit_vectors(np.array([p.lon for p in named]), np.array([p.lat for p in named]))
        )

    def graph(self, objective: str, modes: frozenset[str], include_planned: bool) -> CostedGraph:
        """The costed graph for an objective and a set of allowed modes (cached)."""
        key = (objective, modes, include_planned)
        if key not in self._graphs:
            net = self.network
            allowed = [EDGE_MODES.index(m) for m in (*modes, "transfer", "border")]
            usable = np.isin(net.edge_mode, allowed)
            ok_status = [STATUSES.index("operational")]
            if include_planned:
                ok_status += [STATUSES.index("under_construction"), STATUSES.index("planned")]
            usable &= np.isin(net.edge_status, ok_status)
            weight = net.edge_length_km if objective == "distance" else self._hours
            self._graphs[key] = CostedGraph(
                net.n_nodes, net.edge_u, net.edge_v, net.edge_oneway, weight, usable
            )
        return self._graphs[key]

    def route(
        self,
        origin: str,
        destination: str,
        *,
        objective: str = "distance",
        modes: Iterable[str] | None = None,
        include_planned: bool = False,
    ) -> Route:
        """Find the best route between two places; see :func:`route`."""
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
        d = self.places.resolve(destination, modes=node_modes)
        if o.key == d.key:
            raise InvalidInputError(f"origin and destination are the same place ({o.name})")
        src = [n for m, n in o.nodes.items() if m in node_modes]
        dst = [n for m, n in d.nodes.items() if m in node_modes]
        allowed = ", ".join(sorted(mode_set))
        for pl, nodes in ((o, src), (d, dst)):
            if not nodes:
                raise NoRouteError(
                    f"{pl.name} is not on the {allowed} network",
                    [f"{pl.name} has no node of mode {allowed}"],
                )
        g = self.graph(objective, mode_set, include_planned)
        try:
            path = shortest_path(g, src, dst)
        except NoRouteError:
            reason = f"no connection by {allowed} between {o.name} and {d.name}"
            if not include_planned:
                reason += " on operational infrastructure"
            raise NoRouteError(f"no route from {o.name} to {d.name}: {reason}", [reason]) from None
        return self._describe(o, d, objective, path.edges, path.forward)

    def _describe(
        self, o: Place, d: Place, objective: str, edges: Sequence[int], forward: Sequence[bool]
    ) -> Route:
        net = self.network
        hours = self._hours
        legs: list[Leg] = []

        def key(i: int) -> tuple[Any, ...]:
            e = edges[i]
            border = net.edge_mode[e] == EDGE_MODES.index("border")
            return (
                net.edge_mode[e],
                net.edge_country[e],
                net.edge_status[e],
                net.edge_gauge_mm[e],
                i if border else -1,
            )

        for _, group in itertools.groupby(range(len(edges)), key=key):
            idx = list(group)
            es = [edges[i] for i in idx]
            parts = []
            for i in idx:
                c = net.edge_geometry(edges[i])
                parts.append(c if forward[i] else c[::-1])
            coords = np.concatenate([p if k == 0 else p[1:] for k, p in enumerate(parts)])
            first, last = es[0], es[-1]
            start = net.edge_u[first] if forward[idx[0]] else net.edge_v[first]
            end = net.edge_v[last] if forward[idx[-1]] else net.edge_u[last]
            mode = EDGE_MODES[net.edge_mode[first]]
            legs.append(
                Leg(
                    mode=mode,
                    from_name=self._name_of(int(start)),
                    to_name=self._name_of(int(end)),
                    country=net.countries[net.edge_country[first]],
                    distance_km=float(net.edge_length_km[es].sum()),
                    hours=float(hours[es].sum()),
                    status=STATUSES[net.edge_status[first]],
                    edges=tuple(es),
                    coords=coords,
                    post=net.strings[net.edge_post[first]] if mode == "border" else "",
                    gauge_mm=int(net.edge_gauge_mm[first]),
                    to_country=net.countries[net.node_country[end]] if mode == "border" else "",
                )
            )
        return Route(
            origin=o,
            destination=d,
            objective=objective,
            distance_km=float(net.edge_length_km[list(edges)].sum()),
            hours=float(hours[list(edges)].sum()),
            legs=tuple(legs),
            edges=tuple(edges),
            network_hash=net.content_hash,
        )

    def _name_of(self, node: int) -> str:
        named, tree = self._place_tree
        lon, lat = self.network.node_lon[node], self.network.node_lat[node]
        dist, k = tree.query(unit_vectors(np.array([lon]), np.array([lat]))[0])
        if dist * 6371.0 <= _NAME_RADIUS_KM:
            return named[int(k)].name
        return f"{lat:.3f},{lon:.3f}"


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
    objective: str = "distance",
    modes: Iterable[str] | None = None,
    include_planned: bool = False,
    network: Network | None = None,
) -> Route:
    """Find the best route between two places.

    Parameters
    ----------
    origin, destination
        Place names (any alternate spelling), UN/LOCODEs, or ``"lat,lon"``.
    objective
        ``"distance"`` (km) or ``"time"`` (moving hours; borders and handling excluded).
    modes
        Allowed modes among road, rail, ferry, sea (default: all).
    include_planned
        Also use infrastructure that is planned or under construction.
    network
        The network to route on (default: the embedded one).

    Returns
    -------
    Route

    Raises
    ------
    UnknownPlaceError, InvalidInputError, NoRouteError

    Examples
    --------
    >>> r = route("Tashkent", "Karachi")  # doctest: +SKIP
    >>> round(r.distance_km)  # doctest: +SKIP
    2650
    """
    net = network or load_network()
    planner = _PLANNERS.get(id(net))
    if planner is None or planner.network is not net:
        planner = _PLANNERS[id(net)] = Planner(net)
    return planner.route(
        origin, destination, objective=objective, modes=modes, include_planned=include_planned
    )
