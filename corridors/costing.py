"""The costed, legality-filtered graph: network + rules + shipment + options -> arrays.

States.  A road node exists once per *truck nationality* (layer): a truck registered in
country ``k`` may only use the road edges of the countries where the rules let it run on
the departure date (domestic haulage, bilateral permits, APTTA, UPTTA, QTTA, TIR ...).
Where it may not continue, goods transload to another truck at a border node or a named
place (a priced arc between layers).  A rail node exists once per track gauge that meets
there, so a break of gauge is a priced arc.  Port and sea nodes have one state each.

Arcs carry cost (USD), time (hours) and distance (km), and a kind (line-haul, border,
transload, gauge change, terminal, port, ferry, sea), so that any path can be itemised.
Illegal moves are absent, never priced at infinity; a post closed on the departure date
(season, dated closure) removes its arcs, and the reason is kept for the answer.  Weekly
closures (weekends at Torugart and Irkeshtam) are applied when a found path is timed.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from corridors.rules import (
    PostClosedError,
    Rules,
    crossing_figures,
    decide_carrier,
    load_rules,
    next_opening,
    transloads_at,
)
from corridors.shipment import Shipment
from geodata.network import Network
from geodata.schema import EDGE_MODES, NODE_MODES, STATUSES

__all__ = ["ARC_KINDS", "TRAVEL_MODES", "CostModel"]

log = logging.getLogger(__name__)

ARC_KINDS = (
    "linehaul",
    "border",
    "transload",
    "gauge_change",
    "terminal",
    "port",
    "ferry",
    "sea",
)
#: Modes a user can allow or exclude; transfers and border links follow from them.
TRAVEL_MODES = ("road", "rail", "ferry", "sea")
#: A closure whose next opening is further away than this removes the post's arcs for
#: the departure; shorter waits (weekends, holidays) are simulated on the found path.
_LONG_CLOSURE = dt.timedelta(days=14)
#: The search does not know when a post is reached, so a post is also left out when such a
#: long closure starts within this time after departure (checked once a day): a trip
#: reaches its posts within a week on these corridors (the longest observed through-truck
#: trips, Karachi–Tashkent, take 5–10 days), so a post about to close for the season is
#: not chosen only to wait months at it.  An estimate, not a sourced figure.
_CLOSURE_LOOKAHEAD_DAYS = 7
#: Handling keys in handling.toml, by what the arc does.
_TRANSLOAD_KEY = {
    "truck_to_truck": "truck_to_truck_container",
    "trailer_swap": "trailer_swap",
    "destuff_restuff": "destuff_restuff_container",
    "warehouse": "destuff_restuff_container",
}
_PORT_KEY_BY_LOCODE = {
    "PKKHI": "karachi",
    "PKBQM": "port-qasim",
    "PKGWD": "gwadar",
    "IRBND": "bandar-abbas",
    "IRZBR": "chabahar",
}


_ARC_COLUMNS = ("src", "dst", "kind", "edge", "cost", "hours", "km", "info")
_ARC_DTYPES = (np.int64, np.int64, np.int8, np.int64, np.float64, np.float64, np.float64, np.int64)
_SCALARS = (int, float, np.integer, np.floating)


def _scalar(x: Any) -> Any:
    """``x`` as a Python number if it is one number (a scalar or a one-element array)."""
    if isinstance(x, _SCALARS):
        return x
    if isinstance(x, np.ndarray) and x.size == 1:
        return x.reshape(-1)[0]
    return None


@dataclass
class _Arcs:
    """Arc columns under construction, in the order they are added.

    Arrays of arcs are kept as chunks; single arcs (most transloads, crossings, transfers)
    are collected as rows and turned into one chunk when an array comes or at the end, so
    that adding one arc costs a tuple, not eight small arrays.
    """

    chunks: dict[str, list[np.ndarray]] = field(
        default_factory=lambda: {k: [] for k in _ARC_COLUMNS}
    )
    rows: list[tuple[Any, ...]] = field(default_factory=list)

    def add(
        self,
        src: Any,
        dst: Any,
        kind: str,
        edge: Any,
        cost: Any,
        hours: Any,
        km: Any,
        info: Any = -1,
    ) -> None:
        k = ARC_KINDS.index(kind)
        one = [_scalar(x) for x in (src, dst, edge, cost, hours, km, info)]
        if all(x is not None for x in one):
            s_, d_, e_, c_, h_, m_, i_ = one
            self.rows.append((s_, d_, k, e_, c_, h_, m_, i_))
            return
        self._flush()
        src = np.atleast_1d(np.asarray(src, dtype=np.int64))
        n = len(src)

        def col(x: Any, dtype: Any) -> np.ndarray:
            a = np.asarray(x, dtype=dtype)
            return np.full(n, a, dtype=dtype) if a.ndim == 0 else a

        cols = (src, dst, k, edge, cost, hours, km, info)
        for name, x, dtype in zip(_ARC_COLUMNS, cols, _ARC_DTYPES, strict=True):
            self.chunks[name].append(src if name == "src" else col(x, dtype))

    def _flush(self) -> None:
        if not self.rows:
            return
        for name, values, dtype in zip(
            _ARC_COLUMNS, zip(*self.rows, strict=True), _ARC_DTYPES, strict=True
        ):
            self.chunks[name].append(np.array(values, dtype=dtype))
        self.rows = []

    def finish(self) -> dict[str, np.ndarray]:
        self._flush()
        return {k: np.concatenate(v) if v else np.empty(0) for k, v in self.chunks.items()}


class _Permissions(dict):  # type: ignore[type-arg]
    """(carrier, country) -> decision, computed on first use; unknown countries refuse."""

    def __init__(self, model: CostModel) -> None:
        super().__init__()
        self._model = model

    def __missing__(self, key: tuple[str, str]) -> Any:
        m = self._model
        carrier, country = key
        if country not in m.layers:
            value = _Refusal(f"no rules for {country}")
        else:
            value = decide_carrier(
                carrier, country, m.shipment.departure, tir=m.shipment.tir, rules=m.rules
            )
        self[key] = value
        return value


@dataclass(frozen=True)
class _Refusal:
    basis: str
    allowed: bool = False


class CostModel:
    """Costed state graph for one (network, rules, shipment, options).

    Parameters
    ----------
    network, rules, shipment
        What to cost.
    modes
        Allowed travel modes (subset of :data:`TRAVEL_MODES`).
    include_planned
        Also use edges that are planned or under construction.
    avoid_countries, avoid_posts, avoid_nodes
        Countries (ISO3), border posts (network names) and nodes the route must not use.

    Attributes
    ----------
    arcs : dict of numpy.ndarray
        ``src``, ``dst`` (state ids), ``kind`` (index into :data:`ARC_KINDS`), ``edge``
        (network edge or -1), ``cost`` (USD), ``hours``, ``km``, ``info`` (index into
        :attr:`notes`, or -1).
    notes : list of dict
        What an arc stands for beyond its edge (post, direction, handling item, sources).
    blocked : list of str
        Why arcs were left out (closed posts, carriers without rights, missing tariffs).
    """

    def __init__(
        self,
        network: Network,
        shipment: Shipment,
        *,
        rules: Rules | None = None,
        modes: frozenset[str] = frozenset(TRAVEL_MODES),
        include_planned: bool = False,
        avoid_countries: frozenset[str] = frozenset(),
        avoid_posts: frozenset[str] = frozenset(),
        avoid_nodes: frozenset[int] = frozenset(),
    ) -> None:
        self.network = network
        self.rules = rules or load_rules()
        self.shipment = shipment
        self.modes = modes
        self.include_planned = include_planned
        self.avoid_countries = avoid_countries
        self.avoid_posts = avoid_posts
        self.avoid_nodes = avoid_nodes
        self.notes: list[dict[str, Any]] = []
        self.blocked: list[str] = []
        self._note_ids: dict[str, int] = {}
        lh = self.rules.linehaul
        self.teu, self.trucks, self.boxes = shipment.units(lh.conversions["truckload"].value)
        net = network
        known = set(self.rules.linehaul.road)
        road_countries = {
            net.countries[c]
            for c in np.unique(net.edge_country[net.edge_mode == EDGE_MODES.index("road")])
        }
        self.layers: tuple[str, ...] = tuple(sorted((road_countries & known) | {shipment.carrier}))
        self.layer_index = {c: i for i, c in enumerate(self.layers)}
        road = np.flatnonzero(net.node_mode == NODE_MODES.index("road"))
        self.road_nodes = road
        self._road_pos = np.full(net.n_nodes, -1, dtype=np.int64)
        self._road_pos[road] = np.arange(len(road))
        self.n_road_states = len(road) * len(self.layers)
        self._rail_states()
        other = np.flatnonzero(
            np.isin(net.node_mode, [NODE_MODES.index("port"), NODE_MODES.index("sea")])
        )
        self._other_pos = np.full(net.n_nodes, -1, dtype=np.int64)
        self._other_pos[other] = self.n_road_states + self.n_rail_states + np.arange(len(other))
        self.n_states = self.n_road_states + self.n_rail_states + len(other)
        self._permission = _Permissions(self)
        arcs = _Arcs()
        usable = self._usable_edges()
        self._road_arcs(arcs, usable)
        self._rail_arcs(arcs, usable)
        self._transfer_arcs(arcs, usable)
        self._water_arcs(arcs, usable)
        self._transload_arcs(arcs)
        self.arcs = arcs.finish()
        log.info(
            "cost model: %d states, %d arcs, %d layers",
            self.n_states,
            len(self.arcs["src"]),
            len(self.layers),
        )

    # ------------------------------------------------------------------ states
    def road_state(self, node: int, layer: str) -> int:
        """State id of a road node for a truck of nationality ``layer``."""
        return int(self.layer_index[layer] * len(self.road_nodes) + self._road_pos[node])

    def _road_states(self, nodes: np.ndarray, layer: int) -> np.ndarray:
        return layer * len(self.road_nodes) + self._road_pos[nodes]

    def _rail_states(self) -> None:
        net = self.network
        rail = EDGE_MODES.index("rail")
        sel = (net.edge_mode == rail) & (net.edge_gauge_mm > 0)
        pairs = np.unique(
            np.concatenate(
                [
                    np.stack([net.edge_u[sel], net.edge_gauge_mm[sel]], 1),
                    np.stack([net.edge_v[sel], net.edge_gauge_mm[sel]], 1),
                ]
            ),
            axis=0,
        )
        rail_nodes = np.flatnonzero(net.node_mode == NODE_MODES.index("rail"))
        known = np.isin(rail_nodes, pairs[:, 0])
        extra = np.stack([rail_nodes[~known], np.zeros((~known).sum(), dtype=pairs.dtype)], 1)
        pairs = np.unique(np.concatenate([pairs, extra]), axis=0)
        self._rail_pairs = pairs  # sorted by (node, gauge)
        self._rail_key = pairs[:, 0].astype(np.int64) * 10_000 + pairs[:, 1]
        self.n_rail_states = len(pairs)

    def rail_states_of(self, node: int) -> list[tuple[int, int]]:
        """(state id, gauge) of each gauge at a rail node."""
        by_node = self.__dict__.get("_rail_by_node")
        if by_node is None:
            by_node = {}
            nodes, gauges = self._rail_pairs[:, 0].tolist(), self._rail_pairs[:, 1].tolist()
            for i, (nd, g) in enumerate(zip(nodes, gauges, strict=True)):
                by_node.setdefault(nd, []).append((self.n_road_states + i, g))
            self.__dict__["_rail_by_node"] = by_node
        return list(by_node.get(int(node), ()))

    def _rail_state(self, nodes: np.ndarray, gauges: np.ndarray) -> np.ndarray:
        key = nodes.astype(np.int64) * 10_000 + gauges
        return self.n_road_states + np.searchsorted(self._rail_key, key)

    def other_state(self, node: int) -> int:
        """State id of a port or sea node."""
        return int(self._other_pos[node])

    @property
    def state_nodes(self) -> np.ndarray:
        """Network node of every state (road, rail, port and sea states alike)."""
        got = self.__dict__.get("_state_nodes")
        if got is None:
            other = np.flatnonzero(self._other_pos >= 0)
            got = np.empty(self.n_states, dtype=np.int64)
            got[: self.n_road_states] = np.tile(self.road_nodes, len(self.layers))
            rail_end = self.n_road_states + self.n_rail_states
            got[self.n_road_states : rail_end] = self._rail_pairs[:, 0]
            got[self._other_pos[other]] = other
            self.__dict__["_state_nodes"] = got
        return got

    def describe_states(self, states: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Vectorised :meth:`describe_state`: network node, mode code (0 road, 1 rail, 2 port
        or sea) and tag (layer index of a road state, gauge of a rail state, -1 otherwise)."""
        states = np.asarray(states, dtype=np.int64)
        kinds, tags = self._state_kinds_tags
        return (
            self.state_nodes[states],
            kinds[states].astype(np.int64),
            tags[states].astype(np.int64),
        )

    @property
    def tag_bound(self) -> int:
        """One more than the largest tag :meth:`describe_states` gives (layer index or
        gauge), e.g. to pack tags into integer keys."""
        got = self.__dict__.get("_tag_bound")
        if got is None:
            got = self.__dict__["_tag_bound"] = int(self._state_kinds_tags[1].max(initial=-1)) + 1
        return int(got)

    @property
    def _state_kinds_tags(self) -> tuple[np.ndarray, np.ndarray]:
        """Mode code and tag of every state (built once; the state layout never changes),
        so that :meth:`describe_states` only gathers."""
        got = self.__dict__.get("_kinds_tags")
        if got is None:
            rail_end = self.n_road_states + self.n_rail_states
            kinds = np.full(self.n_states, 2, dtype=np.int8)
            kinds[: self.n_road_states] = 0
            kinds[self.n_road_states : rail_end] = 1
            # layer indexes and gauges (mm) both fit in 32 bits
            tags = np.full(self.n_states, -1, dtype=np.int32)
            tags[: self.n_road_states] = np.arange(self.n_road_states) // max(
                len(self.road_nodes), 1
            )
            tags[self.n_road_states : rail_end] = self._rail_pairs[:, 1]
            got = self.__dict__["_kinds_tags"] = (kinds, tags)
        return got

    def describe_state(self, state: int) -> tuple[int, str, str]:
        """(network node, mode, layer or gauge) of a state."""
        cache: dict[int, tuple[int, str, str]] = self.__dict__.setdefault("_described", {})
        got = cache.get(state)
        if got is None:
            got = cache[state] = self._describe_state(state)
        return got

    def _describe_state(self, state: int) -> tuple[int, str, str]:
        if state < self.n_road_states:
            layer, pos = divmod(state, len(self.road_nodes))
            return int(self.road_nodes[pos]), "road", self.layers[layer]
        if state < self.n_road_states + self.n_rail_states:
            node, gauge = self._rail_pairs[state - self.n_road_states]
            return int(node), "rail", str(int(gauge))
        node = int(self.state_nodes[state])
        return node, NODE_MODES[self.network.node_mode[node]], ""

    # ------------------------------------------------------------------ helpers
    def _note(self, key: str, note: dict[str, Any]) -> int:
        if key not in self._note_ids:
            self._note_ids[key] = len(self.notes)
            self.notes.append(note)
        return self._note_ids[key]

    def _usable_edges(self) -> np.ndarray:
        net = self.network
        ok = [STATUSES.index("operational")]
        if self.include_planned:
            ok += [STATUSES.index("under_construction"), STATUSES.index("planned")]
        usable = np.isin(net.edge_status, ok)
        modes = set(self.modes)
        if "road" not in modes:
            usable &= net.edge_mode != EDGE_MODES.index("road")
        if "rail" not in modes:
            usable &= net.edge_mode != EDGE_MODES.index("rail")
        if self.avoid_countries:
            bad = [net.countries.index(c) for c in self.avoid_countries if c in net.countries]
            usable &= ~np.isin(net.edge_country, bad)
            usable &= ~np.isin(net.node_country[net.edge_u], bad)
            usable &= ~np.isin(net.node_country[net.edge_v], bad)
        if self.avoid_posts:
            names = np.asarray(net.strings, dtype=object)[net.edge_post]
            usable &= ~np.isin(names, list(self.avoid_posts))
        if self.avoid_nodes:
            nodes = list(self.avoid_nodes)
            usable &= ~(np.isin(net.edge_u, nodes) | np.isin(net.edge_v, nodes))
        return usable

    def _border_class(self) -> np.ndarray:
        strings = np.asarray(self.network.strings, dtype=object)
        return strings[self.network.edge_class]

    def _rules_post(self, name: str) -> str | None:
        """Rules key of a listed post from its network name ("" for unlisted)."""
        if "(unlisted)" in name:
            return None
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        for key in self.rules.border_posts.posts:
            if slug.startswith(key) or key in slug:
                return key
        return None

    def _country_fallback(self, a: str, b: str) -> tuple[float, float, str]:
        """Crossing hours and cost of an unlisted crossing: the border_posts fallback rule."""
        levels = self.rules.border_posts.country_level
        have = [
            (levels[c].hours.year or 0, levels[c].hours.value, c) for c in (a, b) if c in levels
        ]
        if have:
            _, _, c = max(have)
            why = f"country-level CPMM figure of {c} (fallback rule of border_posts.toml)"
        else:
            c = max(levels, key=lambda k: levels[k].hours.value)
            why = (
                f"neither {a} nor {b} has CPMM figures; the slowest country-level CPMM "
                f"figure ({c}) is used as a conservative estimate"
            )
        return levels[c].hours.value, levels[c].cost.value, why

    # ------------------------------------------------------------------ road
    def _road_arcs(self, arcs: _Arcs, usable: np.ndarray) -> None:
        net, lh, sh = self.network, self.rules.linehaul, self.shipment
        road = usable & (net.edge_mode == EDGE_MODES.index("road"))
        for ci, country in enumerate(net.countries):
            sel = np.flatnonzero(road & (net.edge_country == ci))
            if not len(sel):
                continue
            fig = lh.road.get(country)
            if fig is None:
                self.blocked.append(f"no road tariff for {country}: its roads are left out")
                continue
            km = net.edge_length_km[sel]
            rate = fig.cost_per_truck_km.value
            backhaul = fig.backhaul_factor if sh.backhaul else None
            if backhaul is not None:  # a return load, at the rules' share of the outbound rate
                rate *= backhaul.value
            cost = km * rate * self.trucks
            # Moving time plus the non-border stops of CPMM's delay: border crossings are
            # charged per post, so CPMM's speed with delay would count them twice.
            hours = km * fig.hours_per_km()
            info: dict[str, Any] = {
                "what": f"road line-haul in {country}",
                "rate": fig.cost_per_truck_km,
                "speed": fig.speed_without_delay,
                "stops": fig.stops.hours_per_km,
            }
            if backhaul is not None:  # cited in the bill with the rate
                info["backhaul"] = backhaul
            note = self._note(f"road:{country}", info)
            u, v = net.edge_u[sel], net.edge_v[sel]
            for k, layer in enumerate(self.layers):
                if not self._permission[(layer, country)].allowed:
                    continue
                su, sv = self._road_states(u, k), self._road_states(v, k)
                arcs.add(su, sv, "linehaul", sel, cost, hours, km, note)
                arcs.add(sv, su, "linehaul", sel, cost, hours, km, note)
        # border crossings, one arc per direction and layer
        border = np.flatnonzero(
            usable
            & (net.edge_mode == EDGE_MODES.index("border"))
            & (self._border_class() == "road")
        )
        for e in border.tolist():
            self._border_arc(arcs, e, rail=False)

    def _crossing(self, e: int, carrier: str | None) -> tuple[float, float, int] | None:
        """Hours, cost and note of crossing border edge ``e``; None if closed for long."""
        net = self.network
        key = (
            int(net.edge_post[e]),
            int(net.node_country[net.edge_u[e]]),
            int(net.node_country[net.edge_v[e]]),
            carrier,
        )
        cache = self.__dict__.setdefault("_crossing_cache", {})
        if key not in cache:
            cache[key] = self._crossing_uncached(e, carrier)
        return cache[key]

    def _crossing_uncached(self, e: int, carrier: str | None) -> tuple[float, float, int] | None:
        net, sh = self.network, self.shipment
        a = net.countries[net.node_country[net.edge_u[e]]]
        b = net.countries[net.node_country[net.edge_v[e]]]
        name = net.strings[net.edge_post[e]]
        post = self._rules_post(name)
        direction = f"{a}->{b}"
        if post is None or direction not in self.rules.border_posts.posts[post].directions:
            listed = self.rules.border_posts.defaults.listed_only
            if listed is not None and "-".join(sorted((a, b))) in listed.pairs:
                self.blocked.append(
                    f"{name}: only the listed posts carry freight between {a} and {b}"
                )
                return None
            hours, cost, why = self._country_fallback(a, b)
            note = self._note(
                f"border:{name}:{direction}",
                {
                    "what": "border",
                    "post": name,
                    "post_key": None,
                    "direction": direction,
                    "basis": why,
                },
            )
            return hours, cost, note
        closed = self._long_closure(post, direction, name)
        if closed is not None:
            self.blocked.append(closed)
            return None
        fig = crossing_figures(
            post, direction, sh.departure, carrier=carrier, tir=sh.tir, rules=self.rules
        )
        note = self._note(
            f"border:{post}:{direction}:{carrier}",
            {
                "what": "border",
                "post": name,
                "post_key": post,
                "direction": direction,
                "basis": "CPMM post figures (border_posts.toml)",
                "figures": fig,
            },
        )
        return fig.hours, fig.cost_usd, note

    def _long_closure(self, post: str, direction: str, name: str) -> str | None:
        """Why a listed post is left out (closed for long on the departure day or within a
        week of it), or None; the same for every truck, so asked once per direction."""
        cache = self.__dict__.setdefault("_closure_cache", {})
        if (post, direction) in cache:
            return cache[(post, direction)]
        start = self.shipment.departure_time()
        why: str | None = None
        for day in range(_CLOSURE_LOOKAHEAD_DAYS + 1):  # departure day, then a week on
            when = start + dt.timedelta(days=day)
            on = "on" if day == 0 else "within a week of departure, on"
            try:
                opening = next_opening(post, direction, when, rules=self.rules)
            except PostClosedError as exc:
                why = f"{name} ({direction}) closed {on} {when.date()}: {exc}"
                break
            if opening - when > _LONG_CLOSURE:
                why = (
                    f"{name} ({direction}) is closed {on} {when.date().isoformat()} "
                    f"until {opening.date().isoformat()}"
                )
                break
        cache[(post, direction)] = why
        return why

    def _border_arc(self, arcs: _Arcs, e: int, *, rail: bool) -> None:
        net = self.network
        u, v = int(net.edge_u[e]), int(net.edge_v[e])
        b = net.countries[net.node_country[v]]
        km = float(net.edge_length_km[e])
        if rail:
            got = self._crossing(e, None)
            if got is None:
                return
            hours, cost, note = got
            for su, gu in self.rail_states_of(u):
                for sv, gv in self.rail_states_of(v):
                    extra_c, extra_h = self._gauge_change(gu, gv)
                    if extra_c is None:
                        continue
                    arcs.add(su, sv, "border", e, cost + extra_c, hours + extra_h, km, note)
            return
        a_country = net.countries[net.node_country[u]]
        for k, layer in enumerate(self.layers):
            # A truck that may run on either side reaches the crossing; if it may not run
            # beyond, the only way on from the far side is a transload there.
            if not (
                self._permission[(layer, b)].allowed or self._permission[(layer, a_country)].allowed
            ):
                continue
            got = self._crossing(e, layer)
            if got is None:
                return
            hours, cost, note = got
            extra_c, extra_h = self._entry_surcharge(layer, b)
            su = self._road_states(np.array([u]), k)
            sv = self._road_states(np.array([v]), k)
            arcs.add(su, sv, "border", e, cost + extra_c, hours + extra_h, km, note)

    def _entry_surcharge(self, layer: str, country: str) -> tuple[float, float]:
        """Fees and waits a foreign truck meets on entering a country (Turkmen permits and
        the escorted convoy), from handling.toml ``regimes.tkm`` and ``misc``."""
        if country != "TKM" or layer == "TKM":
            return 0.0, 0.0
        hd = self.rules.handling
        fees = sum(q.value for q in hd.regimes["tkm"].items.values()) * self.trucks
        wait = hd.misc["turkmen_convoy_wait"]
        return fees + wait.cost.value * self.trucks, wait.hours.value

    # ------------------------------------------------------------------ rail
    def _gauge_change(self, g1: int, g2: int) -> tuple[float | None, float]:
        if g1 == g2 or 0 in (g1, g2):
            return 0.0, 0.0
        key = f"{min(g1, g2)}-{max(g1, g2)}"
        item = self.rules.handling.gauge_changes.get(key)
        if item is None:
            return None, 0.0
        return item.cost.value * self.boxes, item.hours.value

    def _rail_arcs(self, arcs: _Arcs, usable: np.ndarray) -> None:
        net, lh = self.network, self.rules.linehaul
        rail = usable & (net.edge_mode == EDGE_MODES.index("rail"))
        gauged = rail & (net.edge_gauge_mm > 0)
        for ci, country in enumerate(net.countries):
            for gauge in np.unique(net.edge_gauge_mm[gauged & (net.edge_country == ci)]):
                sel = np.flatnonzero(
                    gauged & (net.edge_country == ci) & (net.edge_gauge_mm == gauge)
                )
                table = lh.rail.get(country, {})
                fig = table.get(str(int(gauge))) or next(iter(table.values()), None)
                if fig is None:
                    self.blocked.append(f"no rail tariff for {country}: its railways are left out")
                    continue
                km = net.edge_length_km[sel]
                cost = km * fig.cost_per_teu_km.value * self.teu
                hours = km / fig.speed_with_delay.value
                note = self._note(
                    f"rail:{country}:{int(gauge)}",
                    {
                        "what": f"rail line-haul in {country} ({int(gauge)} mm)",
                        "rate": fig.cost_per_teu_km,
                        "speed": fig.speed_with_delay,
                    },
                )
                su = self._rail_state(net.edge_u[sel], net.edge_gauge_mm[sel])
                sv = self._rail_state(net.edge_v[sel], net.edge_gauge_mm[sel])
                arcs.add(su, sv, "linehaul", sel, cost, hours, km, note)
                arcs.add(sv, su, "linehaul", sel, cost, hours, km, note)
        # gauge-less rail links (connectors): join every gauge at one end to every gauge
        # at the other, with a gauge change where they differ
        for e in np.flatnonzero(rail & (net.edge_gauge_mm == 0)).tolist():
            u, v = int(net.edge_u[e]), int(net.edge_v[e])
            km = float(net.edge_length_km[e])
            country = net.countries[net.edge_country[e]]
            table = lh.rail.get(country, {})
            fig = next(iter(table.values()), None)
            per_km = fig.cost_per_teu_km.value * self.teu if fig else 0.0
            speed = fig.speed_with_delay.value if fig else math.inf
            for su, gu in self.rail_states_of(u):
                for sv, gv in self.rail_states_of(v):
                    c, h = self._gauge_change(gu, gv)
                    if c is None:
                        continue
                    cost, hours = km * per_km + c, km / speed + h
                    arcs.add(su, sv, "linehaul", e, cost, hours, km)
                    arcs.add(sv, su, "linehaul", e, cost, hours, km)
        # gauge changes inside a node (Zahedan)
        pairs = self._rail_pairs
        multi = np.flatnonzero(np.diff(pairs[:, 0]) == 0)
        for i in multi.tolist():
            g1, g2 = int(pairs[i, 1]), int(pairs[i + 1, 1])
            c, h = self._gauge_change(g1, g2)
            if c is None or (c == 0 and h == 0):
                continue
            s1, s2 = self.n_road_states + i, self.n_road_states + i + 1
            key = f"{min(g1, g2)}-{max(g1, g2)}"
            note = self._note(
                f"gauge:{key}",
                {
                    "what": "gauge change",
                    "item": self.rules.handling.gauge_changes[key],
                },
            )
            arcs.add(s1, s2, "gauge_change", -1, c, h, 0.0, note)
            arcs.add(s2, s1, "gauge_change", -1, c, h, 0.0, note)
        border = np.flatnonzero(
            usable
            & (net.edge_mode == EDGE_MODES.index("border"))
            & (self._border_class() == "rail")
        )
        if "rail" in self.modes:
            for e in border.tolist():
                self._border_arc(arcs, e, rail=True)

    # ------------------------------------------------------------------ transfers
    def _transfer_arcs(self, arcs: _Arcs, usable: np.ndarray) -> None:
        net, hd = self.network, self.rules.handling
        strings = np.asarray(net.strings, dtype=object)
        klass = strings[net.edge_class]
        transfer = usable & (net.edge_mode == EDGE_MODES.index("transfer"))
        lift = hd.terminals["road_rail"]
        lift_note = self._note("terminal:road_rail", {"what": "road-rail terminal", "item": lift})
        port_of = {int(p["nodes"]["port"]): p for p in net.places if "port" in p["nodes"]}
        for e in np.flatnonzero(transfer).tolist():
            u, v = int(net.edge_u[e]), int(net.edge_v[e])
            km = float(net.edge_length_km[e])
            mu, mv = NODE_MODES[net.node_mode[u]], NODE_MODES[net.node_mode[v]]
            if klass[e] == "road_rail" and "road" in self.modes and "rail" in self.modes:
                road_n, rail_n = (u, v) if mu == "road" else (v, u)
                self._road_rail(arcs, e, road_n, rail_n, km, lift, lift_note)
            elif klass[e] in ("port_road", "port_rail"):
                port_n, land_n = (u, v) if mu == "port" else (v, u)
                land_mode = mv if mu == "port" else mu
                if land_mode not in self.modes or not (self.modes & {"sea", "ferry"}):
                    continue
                self._port_land(arcs, e, port_n, land_n, land_mode, km, port_of.get(port_n))

    def _land_states(self, node: int, mode: str) -> list[int]:
        if mode == "rail":
            return [s for s, _ in self.rail_states_of(node)]
        country = self.network.countries[self.network.node_country[node]]
        return [
            self.road_state(node, k) for k in self.layers if self._permission[(k, country)].allowed
        ]

    def _road_rail(
        self, arcs: _Arcs, e: int, road_n: int, rail_n: int, km: float, lift: Any, note: int
    ) -> None:
        cost = lift.cost.value * self.boxes
        hours = lift.hours.value
        for rs in self._land_states(road_n, "road"):
            for ls in self._land_states(rail_n, "rail"):
                arcs.add(rs, ls, "terminal", e, cost, hours, km, note)
                arcs.add(ls, rs, "terminal", e, cost, hours, km, note)

    def _port_land(
        self,
        arcs: _Arcs,
        e: int,
        port_n: int,
        land_n: int,
        mode: str,
        km: float,
        place: dict[str, Any] | None,
    ) -> None:
        hd = self.rules.handling
        key = _PORT_KEY_BY_LOCODE.get((place or {}).get("locode", ""), "")
        port = hd.ports.get(key)
        size = "40ft" if self.shipment.cargo == "40ft" else "20ft"
        if port is not None:
            t = port.tariffs
            imp = t.get(f"import_{size}") or t.get(f"line_thc_{size}")
            exp = t.get(f"export_{size}") or t.get(f"line_thc_{size}") or imp
            dwell = port.dwell_hours.value
            name = port.name
        else:
            imp = exp = hd.terminals["road_rail"].cost
            dwell = hd.terminals["road_rail"].hours.value
            name = (place or {}).get("name", "port")
        ps = self.other_state(port_n)
        lift_h = hd.terminals["road_rail"].hours.value
        n_exp = self._note(
            f"port:{name}:export",
            {
                "what": f"port handling, export ({name})",
                "tariff": exp,
                "basis": None if port else "no tariff for this port: one terminal lift (estimate)",
            },
        )
        n_imp = self._note(
            f"port:{name}:import",
            {
                "what": f"port handling and dwell, import ({name})",
                "tariff": imp,
                "dwell": port.dwell_hours if port else None,
                "basis": None if port else "no tariff for this port: one terminal lift (estimate)",
            },
        )
        for ls in self._land_states(land_n, mode):
            arcs.add(ls, ps, "port", e, exp.value * self.boxes, lift_h, km, n_exp)
            arcs.add(ps, ls, "port", e, imp.value * self.boxes, dwell, km, n_imp)

    # ------------------------------------------------------------------ water
    def _water_arcs(self, arcs: _Arcs, usable: np.ndarray) -> None:
        net, lh = self.network, self.rules.linehaul
        if "sea" in self.modes:
            sel = np.flatnonzero(usable & (net.edge_mode == EDGE_MODES.index("sea")))
            km = net.edge_length_km[sel]
            cost = km * lh.sea.cost_per_teu_km.value * self.teu
            hours = km / lh.sea.speed.value
            note = self._note(
                "sea",
                {"what": "sea freight", "rate": lh.sea.cost_per_teu_km, "speed": lh.sea.speed},
            )
            # A move between ship and quay is priced as one container lift (an estimate:
            # no per-call tariff is in the rules); it also keeps a route from hopping
            # between neighbouring ports by sea for free.
            lift = self.rules.handling.terminals["road_rail"]
            strings = np.asarray(net.strings, dtype=object)
            call = strings[net.edge_class[sel]] == "port_access"
            cost = cost + np.where(call, lift.cost.value * self.boxes, 0.0)
            hours = hours + np.where(call, lift.hours.value, 0.0)
            su = self._other_pos[net.edge_u[sel]]
            sv = self._other_pos[net.edge_v[sel]]
            arcs.add(su, sv, "sea", sel, cost, hours, km, note)
            arcs.add(sv, su, "sea", sel, cost, hours, km, note)
        if "ferry" in self.modes:
            for e in np.flatnonzero(usable & (net.edge_mode == EDGE_MODES.index("ferry"))):
                name = net.strings[net.edge_name[e]]
                route = self._ferry_route(name)
                if route is None:
                    self.blocked.append(f"no ferry tariff for {name}")
                    continue
                key, fr = route
                cost = fr.truck_fare.value * self.trucks
                hours = fr.sailing_hours.value + fr.wait_hours.value
                note = self._note(
                    f"ferry:{name}",
                    {
                        "what": f"Caspian ferry {name}",
                        "route_key": key,
                        "fare": fr.truck_fare,
                        "sailing": fr.sailing_hours,
                        "wait": fr.wait_hours,
                    },
                )
                km = float(net.edge_length_km[e])
                su, sv = self.other_state(int(net.edge_u[e])), self.other_state(int(net.edge_v[e]))
                arcs.add(su, sv, "ferry", e, cost, hours, km, note)
                arcs.add(sv, su, "ferry", e, cost, hours, km, note)

    def _ferry_route(self, name: str) -> tuple[str, Any] | None:
        ferries = self.rules.linehaul.ferries
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        if slug in ferries:
            return slug, ferries[slug]
        dest = slug.split("-")[-1]
        for key, fr in ferries.items():  # same destination (Baku old port -> Alat's tariff)
            if key.endswith(f"-{dest}"):
                return key, fr
        return None

    # ------------------------------------------------------------------ transloads
    def _transload_arcs(self, arcs: _Arcs) -> None:
        net, hd, sh = self.network, self.rules.handling, self.shipment
        if "road" not in self.modes or len(self.layers) < 2:
            return
        border = net.edge_mode == EDGE_MODES.index("border")
        nodes: dict[int, str | None] = {}
        for e in np.flatnonzero(border & (self._border_class() == "road")).tolist():
            post = self._rules_post(net.strings[net.edge_post[e]])
            nodes[int(net.edge_u[e])] = post
            nodes[int(net.edge_v[e])] = post
        for p in net.places:
            n = p["nodes"].get("road")
            if n is not None and p["kind"] in ("city", "terminal", "port"):
                nodes.setdefault(int(n), None)
        default = hd.transloads["truck_to_truck_container"]
        n_layers = len(self.layers)
        order = sorted(nodes.items(), key=lambda kv: kv[0])
        node_ids = np.array([nd for nd, _ in order], dtype=np.int64)
        ok = np.zeros((len(order), n_layers), dtype=bool)
        cost = np.empty(len(order))
        hours = np.empty(len(order))
        note_of = np.empty(len(order), dtype=np.int64)
        for i, (node, post) in enumerate(order):
            country = net.countries[net.node_country[node]]
            item, key = default, "truck_to_truck_container"
            if post is not None:
                rules_here = transloads_at(post, sh.departure, rules=self.rules)
                if rules_here:
                    key = _TRANSLOAD_KEY.get(rules_here[0].kind, key)
                    item = hd.transloads.get(key, default)
            note_of[i] = self._note(
                f"transload:{key}", {"what": "transload", "item": item, "handling": key}
            )
            cost[i] = item.cost.value * self.boxes
            hours[i] = item.hours.value
            for k, layer in enumerate(self.layers):
                ok[i, k] = self._permission[(layer, country)].allowed
        # every (node, from layer, to layer) with a different layer the goods may move to,
        # node by node, then by the two layers (the order of the arcs is part of the answer:
        # it breaks ties)
        mask = ok[:, None, :] & ~np.eye(n_layers, dtype=bool)[None, :, :]
        i, k1, k2 = np.nonzero(mask)
        n_road = len(self.road_nodes)
        pos = self._road_pos[node_ids[i]]
        arcs.add(
            k1 * n_road + pos,
            k2 * n_road + pos,
            "transload",
            np.full(len(i), -1, dtype=np.int64),
            cost[i],
            hours[i],
            np.zeros(len(i)),
            note_of[i],
        )
