"""The network map: the whole multimodal network, its border posts, ports and corridors.

One toggleable layer per mode and status (operational lines solid in the mode's colour, lines
under construction or planned dashed in their own colours), the border posts with what the
rules know of them on a given day (CPMM hours and cost per direction, closures in force), the
ports and terminals, the corridor overlays of the rules (APTTA's designated routes and posts,
the QTTA route Kashgar–Khunjerab–Sost–Karachi, the Trans-Afghan Railway, the
China–Kyrgyzstan–Uzbekistan railway) and, as context marked "not freight", the TAPI gas
pipeline and the CASA-1000 and TAP power lines (schematic, from
``maps/data/energy_corridors.toml``).

Display simplification (the network has ~135,000 edges): consecutive edges with the same mode,
status, class, country and reference are merged into one line (``shapely.line_merge``), merged
lines are simplified with :data:`DEFAULT_TOLERANCE_DEG` (Douglas–Peucker, topology not
preserved: a display tolerance, not an analysis one), coordinates are rounded to
:data:`COORD_DECIMALS` decimals, and roads below :data:`DEFAULT_ROAD_CLASSES` (``secondary``
and the short ``connector`` links) are left out unless asked for.

Example
-------
>>> from maps.network_map import network_map                        # doctest: +SKIP
>>> network_map(countries=["PAK"]).save("pakistan.html")
"""

from __future__ import annotations

import datetime as dt
import html
import itertools
import logging
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import folium
import numpy as np

from geodata.errors import InvalidInputError
from geodata.network import COORD_SCALE, Network
from geodata.schema import EDGE_MODES, STATUSES
from maps._elements import CorridorsCall
from maps.offline import OfflineMap
from maps.route_map import MODE_COLOURS, base_map

__all__ = [
    "DEFAULT_ROAD_CLASSES",
    "DEFAULT_TOLERANCE_DEG",
    "DRAWN_MODES",
    "ROAD_CLASSES",
    "STATUS_COLOURS",
    "load_energy_corridors",
    "network_features",
    "network_map",
]

logger = logging.getLogger(__name__)

#: Modes whose lines the map draws (border edges become post markers, transfers are not drawn).
DRAWN_MODES = ("road", "rail", "ferry", "sea")
#: Road classes of the network, most important first.
ROAD_CLASSES = ("motorway", "trunk", "primary", "secondary", "connector")
#: Classes drawn by default: secondary roads and connector links (short joins to places and
#: ports, ~5 % of road edges) add ~15 % of the file for little at these scales.
DEFAULT_ROAD_CLASSES = ("motorway", "trunk", "primary")
#: Douglas–Peucker tolerance of the display geometry, degrees: 0.01° ≈ 1.1 km north–south,
#: 0.8–0.9 km east–west at these latitudes, below one pixel up to zoom 7 (≈1.2 km/px at 38° N).
DEFAULT_TOLERANCE_DEG = 0.01
#: Drawn coordinates are rounded to this many decimals (1e-3° ≈ 100 m, below the tolerance).
COORD_DECIMALS = 3
#: Colours of lines that are not operational (dashed); operational lines use MODE_COLOURS.
STATUS_COLOURS = {"under_construction": "#e6ab02", "planned": "#d62728", "closed": "#636363"}
_STATUS_LABEL = {
    "operational": "operational",
    "under_construction": "under construction",
    "planned": "planned",
    "closed": "closed",
}
_MODE_LABEL = {"road": "Roads", "rail": "Railways", "ferry": "Ferries", "sea": "Sea lanes"}
#: Line weight by road class (px); other modes use _MODE_WEIGHT.
_ROAD_WEIGHT = {"motorway": 2.6, "trunk": 2.0, "primary": 1.4, "secondary": 1.0, "connector": 1.0}
_MODE_WEIGHT = {"rail": 1.8, "ferry": 2.0, "sea": 1.6}
_DASH = "6 5"
_ENERGY_DASH = "2 6"
#: Overlay styles: halo lines drawn over the network.
_OVERLAYS = {
    "aptta": {"color": "#6a3d9a", "weight": 8, "opacity": 0.45},
    "qtta": {"color": "#17becf", "weight": 8, "opacity": 0.5},
    "tarp": {"color": "#ff7f00", "weight": 9, "opacity": 0.45},
    "cku": {"color": "#b15928", "weight": 9, "opacity": 0.45},
}
_ENERGY_COLOURS = {"tapi": "#444444", "casa-1000": "#9467bd", "tap": "#8c6d31"}
#: Marker icons (HTML, size px) of the network map.
_ICONS = {
    "post": ('<div class="corridors-sym corridors-sym-border"></div>', 13),
    "post_closed": (
        '<div class="corridors-sym corridors-sym-border" style="background:#555">✕</div>',
        13,
    ),
    "crossing": (
        '<div class="corridors-sym corridors-sym-border" style="background:#f4a6cf;'
        'border-width:1px"></div>',
        8,
    ),
    "port": ('<div class="corridors-sym corridors-sym-port">⚓</div>', 17),
    "terminal": ('<div class="corridors-sym corridors-sym-transfer">⇄</div>', 14),
    "waypoint": (
        '<div class="corridors-sym" style="background:#fff;border:1.5px solid #555;'
        'border-radius:50%;box-shadow:none"></div>',
        6,
    ),
}
_ATTRIBUTIONS = (
    "© OpenStreetMap contributors (ODbL)",
    "© MapTiler",
    "searoute",
    "Made with Natural Earth",
)


# ------------------------------------------------------------------------------- data files
@dataclass(frozen=True)
class EnergyCorridor:
    """A context corridor (not freight): its waypoints and their sources."""

    key: str
    name: str
    kind: str
    status: str
    length_km: float
    summary: str
    sources: tuple[tuple[str, str, int], ...]
    waypoints: tuple[tuple[str, float, float, str, str], ...]  # name, lon, lat, basis, source


@cache
def load_energy_corridors() -> tuple[EnergyCorridor, ...]:
    """The energy corridors of ``maps/data/energy_corridors.toml``, validated.

    Raises
    ------
    geodata.errors.DataError
        If a corridor or waypoint cites a source the file does not define, or has fewer than
        two waypoints.
    """
    from geodata.errors import DataError

    text = (resources.files("maps") / "data" / "energy_corridors.toml").read_text("utf-8")
    raw = tomllib.loads(text)
    cat = raw.get("sources", {})
    out = []
    for c in raw.get("corridor", []):
        cited = [c["length_source"], *c["sources"], *(w["source"] for w in c["waypoints"])]
        missing = sorted({k for k in cited if k not in cat})
        if missing:
            raise DataError(f"energy_corridors.toml: {c['key']} cites unknown sources {missing}")
        if len(c["waypoints"]) < 2:
            raise DataError(f"energy_corridors.toml: {c['key']} needs two waypoints or more")
        out.append(
            EnergyCorridor(
                key=c["key"],
                name=c["name"],
                kind=c["kind"],
                status=c["status"],
                length_km=float(c["length_km"]),
                summary=c["summary"],
                sources=tuple(
                    (cat[k]["title"], cat[k]["url"], int(cat[k]["year"])) for k in c["sources"]
                ),
                waypoints=tuple(
                    (
                        w["name"],
                        float(w["coord"][0]),
                        float(w["coord"][1]),
                        w["coord_basis"],
                        cat[w["source"]]["title"].split(",")[0],
                    )
                    for w in c["waypoints"]
                ),
            )
        )
    return tuple(out)


@cache
def _additions() -> tuple[dict[str, Any], ...]:
    text = (resources.files("geodata") / "data" / "additions.toml").read_text("utf-8")
    return tuple(tomllib.loads(text).get("line", []))


# ------------------------------------------------------------------------------- helpers
def _esc(x: Any) -> str:
    return html.escape(str(x))


def _rows(rows: Iterable[tuple[str, Any]]) -> str:
    return "".join(
        f"<tr><th>{_esc(k)}</th><td>{v}</td></tr>" for k, v in rows if v not in (None, "")
    )


def _popup(title: str, rows: Iterable[tuple[str, Any]], source: str = "") -> str:
    """Popup HTML; row values are HTML already (escape them before)."""
    src = f'<div class="src">Source: {_esc(source)}</div>' if source else ""
    return (
        f'<div class="corridors-popup"><h4>{_esc(title)}</h4>'
        f"<table>{_rows(rows)}</table>{src}</div>"
    )


def _check_filters(
    network: Network, modes: Sequence[str] | None, countries: Sequence[str] | None
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    mode_set = tuple(dict.fromkeys(modes or DRAWN_MODES))
    bad = [m for m in mode_set if m not in DRAWN_MODES]
    if bad:
        raise InvalidInputError(
            f"unknown mode {bad[0]!r} for the network map; use some of {', '.join(DRAWN_MODES)}"
        )
    known = [c for c in network.countries if c and c != "SEA"]
    cs = tuple(dict.fromkeys(c.strip().upper() for c in countries or ()))
    bad = [c for c in cs if c not in known]
    if bad:
        raise InvalidInputError(
            f"unknown country {bad[0]!r}: the network has {', '.join(sorted(known))}"
        )
    return mode_set, cs


def _edge_bboxes(network: Network) -> np.ndarray:
    """(n_edges, 4) array of [west, south, east, north] of each edge's geometry, degrees."""
    off = network.geom_offsets
    c = network.geom_coords
    starts = off[:-1]
    lo = np.minimum.reduceat(c, starts, axis=0) / COORD_SCALE
    hi = np.maximum.reduceat(c, starts, axis=0) / COORD_SCALE
    return np.column_stack([lo[:, 0], lo[:, 1], hi[:, 0], hi[:, 1]])


def _in_bbox(boxes: np.ndarray, bbox: Sequence[float]) -> np.ndarray:
    w, s, e, n = bbox
    return (boxes[:, 2] >= w) & (boxes[:, 0] <= e) & (boxes[:, 3] >= s) & (boxes[:, 1] <= n)


def _lines_of(network: Network, edges: np.ndarray) -> Any:
    """Shapely LineStrings of ``edges`` (vectorised)."""
    import shapely

    off = network.geom_offsets
    starts = off[edges].astype(np.int64)
    counts = off[edges + 1].astype(np.int64) - starts
    which = np.repeat(np.arange(len(edges)), counts)
    # Vertex k of the selection is vertex (k - first k of its edge) of that edge.
    first = np.cumsum(counts) - counts
    idx = starts[which] + np.arange(int(counts.sum())) - first[which]
    coords = network.geom_coords[idx] / COORD_SCALE
    return shapely.linestrings(coords, indices=which)


def _merge_simplify(
    network: Network, edges: np.ndarray, keys: np.ndarray, tolerance: float
) -> list[tuple[int, list[list[float]]]]:
    """Merge the edges of each key into maximal lines, simplify; (key, [[lat, lon], ...])."""
    import shapely

    if len(edges) == 0:
        return []
    order = np.argsort(keys, kind="stable")
    edges, keys = edges[order], keys[order]
    lines = _lines_of(network, edges)
    ukeys = np.unique(keys)
    groups = np.searchsorted(ukeys, keys)
    multi = shapely.multilinestrings(lines, indices=groups)
    merged = shapely.line_merge(multi)
    if tolerance > 0:
        merged = shapely.simplify(merged, tolerance, preserve_topology=False)
    parts, index = shapely.get_parts(merged, return_index=True)
    xy, part_of = shapely.get_coordinates(parts, return_index=True)
    pts = np.round(xy[:, ::-1], COORD_DECIMALS)
    # Drop a vertex that rounds onto its predecessor in the same part.
    keep = np.ones(len(pts), dtype=bool)
    keep[1:] = np.any(pts[1:] != pts[:-1], axis=1) | (part_of[1:] != part_of[:-1])
    pts, part_of = pts[keep], part_of[keep]
    cuts = np.flatnonzero(np.diff(part_of)) + 1
    out: list[tuple[int, list[list[float]]]] = []
    for chunk, p in zip(
        np.split(pts, cuts), part_of[np.concatenate([[0], cuts])] if len(pts) else [], strict=True
    ):
        if len(chunk) >= 2:
            out.append((int(ukeys[index[p]]), chunk.tolist()))
    return out


def _post_key(name: str, posts: Iterable[str]) -> str | None:
    """Rules key of a listed post from its network name (the cost model's matching rule)."""
    if "(unlisted)" in name:
        return None
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    for key in posts:
        if slug.startswith(key) or key in slug:
            return key
    return None


def _h(x: float) -> str:
    return f"{x:,.1f} h"


def _usd(x: float) -> str:
    return f"USD {x:,.0f}"


# ------------------------------------------------------------------------------- layers
def _line_layers(
    network: Network,
    sel: np.ndarray,
    tolerance: float,
) -> list[dict[str, Any]]:
    """One layer per (mode, status) of the selected edges, merged and simplified."""
    s = network.strings
    cls = np.asarray(network.edge_class, dtype=np.int64)
    ref = np.asarray(network.edge_ref, dtype=np.int64)
    name = np.asarray(network.edge_name, dtype=np.int64)
    layers = []
    for mi, mode in enumerate(EDGE_MODES):
        if mode not in DRAWN_MODES:
            continue
        for si, status in enumerate(STATUSES):
            edges = np.flatnonzero(sel & (network.edge_mode == mi) & (network.edge_status == si))
            if len(edges) == 0:
                continue
            # Merge key: class, country, reference (and the name of non-road lines).
            label = name[edges] if mode != "road" else np.zeros(len(edges), dtype=np.int64)
            combo = np.column_stack(
                [cls[edges], network.edge_country[edges].astype(np.int64), ref[edges], label]
            )
            ukey, inv = np.unique(combo, axis=0, return_inverse=True)
            inv = inv.reshape(-1)
            merged = _merge_simplify(network, edges, inv, tolerance)
            styles = []  # (weight, tooltip) per merge key
            for c, country, r, nm in ukey.tolist():
                klass = s[c]
                tip = " · ".join(
                    p
                    for p in (
                        _MODE_LABEL[mode][:-1].lower() if mode != "ferry" else "ferry",
                        klass if klass and klass != mode else "",
                        s[r],
                        s[nm],
                        network.countries[country],
                        _STATUS_LABEL[status] if status != "operational" else "",
                    )
                    if p
                )
                weight = _ROAD_WEIGHT.get(klass, 1.4) if mode == "road" else _MODE_WEIGHT[mode]
                styles.append((weight, _esc(tip)))
            lines = [[*styles[k], pts] for k, pts in merged]
            operational = status == "operational"
            layers.append(
                {
                    "id": f"{mode}:{status}",
                    "name": _MODE_LABEL[mode]
                    + ("" if operational else f" — {_STATUS_LABEL[status]}"),
                    "style": {
                        "color": MODE_COLOURS[mode] if operational else STATUS_COLOURS[status],
                        "opacity": 0.85 if operational else 0.95,
                        "dashArray": None if operational else _DASH,
                        "extraWeight": 0 if operational else 1,
                    },
                    "lines": lines,
                    "markers": [],
                    "edges": len(edges),
                    "show": True,
                }
            )
    return layers


def _post_markers(
    network: Network,
    sel_border: np.ndarray,
    day: dt.date,
    rules: Any,
) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """Listed posts (with the rules' figures) and unlisted crossings, one marker each."""
    from corridors.rules.query import crossing_figures, post_open

    s = network.strings
    posts = rules.border_posts.posts
    by_name: dict[str, list[int]] = {}
    for e in np.flatnonzero(sel_border).tolist():
        by_name.setdefault(s[network.edge_post[e]], []).append(e)
    listed: dict[str, list[int]] = {}
    unlisted: dict[str, list[int]] = {}
    for nm, es in by_name.items():
        key = _post_key(nm, posts)
        if key is None:
            unlisted[nm] = es
        else:
            listed.setdefault(key, []).extend(es)

    def where(es: list[int]) -> tuple[float, float]:
        g = network.edge_geometry(es[0])
        lon, lat = g[len(g) // 2]
        return round(float(lat), 5), round(float(lon), 5)

    def net_modes(es: list[int]) -> list[str]:
        return sorted({s[network.edge_class[e]] for e in es})

    markers_l = []
    for key, es in sorted(listed.items()):
        post = posts[key]
        lat, lon = where(es)
        rows: list[tuple[str, Any]] = [
            ("Countries", _esc(" – ".join(post.countries))),
            ("Modes", _esc(", ".join(post.modes))),
            ("Drawn edges", _esc(f"{len(es)} ({', '.join(net_modes(es))})")),
        ]
        closed_any = False
        sources = []
        reasons: dict[str, None] = {}
        for d in post.direction_keys:
            fig = crossing_figures(key, d, day, rules=rules)
            q = post.directions[d]
            shut = []
            for mode in post.modes:
                st = post_open(key, d, day, mode=mode, rules=rules)
                if not st.open:
                    shut.append(mode)
                    reasons[_short(st.reason)] = None
            closed_any = closed_any or bool(shut)
            state = f"CLOSED ({', '.join(shut)})" if shut else "open"
            year = q.hours.year or "estimate"
            rows.append(
                (
                    d.replace("->", " → "),
                    _esc(f"CPMM {_h(fig.hours)}, {_usd(fig.cost_usd)} ({year}) · {state}"),
                )
            )
            sources += [src.title for src in q.hours.all_sources[:1]]
        in_force = [c for c in post.closures if _closure_covers(c, day)]
        if in_force:
            rows.append(
                (
                    f"Closures in force on {day.isoformat()}",
                    "<br>".join(_esc(_closure_text(c)) for c in in_force),
                )
            )
        elif reasons:
            rows.append((f"Closed on {day.isoformat()}", "<br>".join(map(_esc, reasons))))
        else:
            rows.append((f"Closures in force on {day.isoformat()}", "none"))
        status = "CLOSED" if closed_any else "open"
        tip = f"{post.name}: {status} on {day.isoformat()}"
        markers_l.append(
            [
                "post_closed" if closed_any else "post",
                lat,
                lon,
                _esc(tip),
                _popup(f"Border post: {post.name}", rows, "; ".join(dict.fromkeys(sources))),
            ]
        )
    unplaced = sorted(set(posts) - set(listed))

    levels = rules.border_posts.country_level
    listed_only = rules.border_posts.defaults.listed_only
    pairs = set(listed_only.pairs) if listed_only is not None else set()
    markers_u = []
    for nm, es in sorted(unlisted.items()):
        lat, lon = where(es)
        a = network.countries[network.node_country[network.edge_u[es[0]]]]
        b = network.countries[network.node_country[network.edge_v[es[0]]]]
        pair = "-".join(sorted((a, b)))
        rows = [
            ("Countries", _esc(f"{a} – {b}")),
            ("Modes", _esc(", ".join(net_modes(es)))),
        ]
        if pair in pairs:
            rows.append(("Freight", "no: only the listed posts carry freight on this border"))
        else:
            rows += [
                (
                    f"{c} country level",
                    _esc(f"CPMM {_h(levels[c].hours.value)}, {_usd(levels[c].cost.value)}"),
                )
                for c in (a, b)
                if c in levels
            ]
        markers_u.append(["crossing", lat, lon, _esc(nm), _popup(f"Crossing: {nm}", rows)])
    layer_l = {
        "id": "posts",
        "name": "Border posts (listed in the rules)",
        "style": {},
        "lines": [],
        "markers": markers_l,
        "show": True,
    }
    layer_u = {
        "id": "crossings",
        "name": "Other crossings (unlisted)",
        "style": {},
        "lines": [],
        "markers": markers_u,
        "show": False,
    }
    return layer_l, layer_u, unplaced


def _short(text: str, limit: int = 240) -> str:
    """A reason without its bracketed list of sources, cut to ``limit`` characters."""
    text = text.split(" [", 1)[0].strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _closure_text(closure: Any) -> str:
    start = closure.start
    end = closure.end
    span = f"from {start}" + (f" to {end}" if end is not None else " (open-ended")
    if end is None:
        span += f", last confirmed {closure.last_confirmed})" if closure.last_confirmed else ")"
    return f"{_short(closure.reason)} ({span})"


def _closure_covers(closure: Any, day: dt.date) -> bool:
    start, end = closure.start, closure.end
    s = start.date() if isinstance(start, dt.datetime) else start
    if end is None:
        return s <= day
    e = end.date() if isinstance(end, dt.datetime) else end
    return s <= day <= e


def _place_markers(network: Network, keep: Any) -> dict[str, Any]:
    from corridors.gazetteer import PlaceIndex

    idx = PlaceIndex(network)
    raw = {p["key"]: p for p in network.places}
    markers = []
    for pl in idx.places:
        if pl.kind not in ("port", "terminal") or not keep(pl):
            continue
        p = raw[pl.key]
        rows = [
            ("Kind", _esc(pl.kind)),
            ("Country", _esc(pl.country)),
            ("UN/LOCODE", _esc(pl.locode)),
            ("Network nodes", _esc(", ".join(f"{m} ({pl.snap_km[m]:.1f} km)" for m in pl.nodes))),
            ("Note", _esc(p.get("note", ""))),
        ]
        markers.append(
            [
                pl.kind,
                pl.lat,
                pl.lon,
                _esc(f"{pl.name} ({pl.kind})"),
                _popup(pl.name, rows, str(p.get("source", ""))),
            ]
        )
    return {
        "id": "places",
        "name": "Ports and terminals",
        "style": {},
        "lines": [],
        "markers": markers,
        "show": True,
    }


def _road_graph(network: Network, countries: Iterable[str] | None) -> Any:
    """Undirected road graph (km) over road edges (optionally in ``countries``) and road
    border edges."""
    from scipy.sparse import coo_matrix

    road = network.edge_mode == EDGE_MODES.index("road")
    if countries is not None:
        ids = [network.countries.index(c) for c in countries]
        road &= np.isin(network.edge_country, ids)
    border = (network.edge_mode == EDGE_MODES.index("border")) & (
        np.asarray(network.strings, dtype=object)[network.edge_class] == "road"
    )
    if countries is not None:
        border &= np.isin(network.node_country[network.edge_u], ids) & np.isin(
            network.node_country[network.edge_v], ids
        )
    edges = np.flatnonzero(road | border)
    n = network.n_nodes
    w = np.maximum(network.edge_length_km[edges].astype(np.float64), 1e-6)
    u, v = network.edge_u[edges], network.edge_v[edges]
    g = coo_matrix(
        (np.concatenate([w, w]), (np.concatenate([u, v]), np.concatenate([v, u]))), shape=(n, n)
    ).tocsr()
    # edge id per (u, v) for path reconstruction
    pair = {}
    for e, a, b in zip(edges.tolist(), u.tolist(), v.tolist(), strict=True):
        pair.setdefault((a, b), e)
        pair.setdefault((b, a), e)
    return g, pair


def _path_edges(pred: np.ndarray, pair: Mapping[tuple[int, int], int], target: int) -> list[int]:
    out = []
    v = target
    while pred[v] >= 0:
        u = int(pred[v])
        out.append(pair[(u, v)])
        v = u
    return out


def _overlay_layer(
    key: str, name: str, lines: list[tuple[int, list[list[float]]]], tip: str, *, show: bool
) -> dict[str, Any]:
    return {
        "id": key,
        "name": name,
        "style": {**_OVERLAYS[key], "dashArray": None, "extraWeight": 0},
        "lines": [[0, _esc(tip), pts] for _, pts in lines],
        "markers": [],
        "show": show,
    }


def _corridor_layers(network: Network, rules: Any, tolerance: float) -> list[dict[str, Any]]:
    """APTTA, QTTA, TAR and CKU overlays (whole, not filtered by country)."""
    from scipy.sparse.csgraph import dijkstra

    from corridors.gazetteer import PlaceIndex

    idx = PlaceIndex(network)
    s = network.strings
    layers: list[dict[str, Any]] = []
    border = np.flatnonzero(network.edge_mode == EDGE_MODES.index("border"))
    post_nodes: dict[str, list[int]] = {}
    for e in border.tolist():
        k = _post_key(s[network.edge_post[e]], rules.border_posts.posts)
        if k is not None and s[network.edge_class[e]] == "road":
            post_nodes.setdefault(k, []).extend([int(network.edge_u[e]), int(network.edge_v[e])])

    # APTTA: shortest road paths in Pakistan from the agreement's ports to its posts.
    aptta = rules.agreements.agreements.get("aptta")
    if aptta is not None:
        g, pair = _road_graph(network, ["PAK"])
        pak = network.countries.index("PAK")
        sources = []
        for port in aptta.ports:
            pl = idx.resolve(port, modes=("road",))
            sources.append(pl.nodes["road"])
        dist, pred = dijkstra(g, directed=False, indices=sources, return_predecessors=True)
        edges: set[int] = set()
        reached = []
        for post in aptta.posts:
            nodes = [n for n in post_nodes.get(post, []) if network.node_country[n] == pak]
            if not nodes:
                logger.info("APTTA post %s is not on the drawn network", post)
                continue
            for i in range(len(sources)):
                t = min(nodes, key=lambda n: dist[i, n])
                if np.isfinite(dist[i, t]):
                    edges.update(_path_edges(pred[i], pair, t))
            reached.append(rules.border_posts.posts[post].name)
        arr = np.array(sorted(edges), dtype=np.int64)
        lines = _merge_simplify(network, arr, np.zeros(len(arr), dtype=np.int64), tolerance)
        tip = (
            "APTTA designated routes (schematic: shortest road paths on this network from "
            f"{', '.join(aptta.ports)} to {', '.join(reached)})"
        )
        layers.append(
            _overlay_layer("aptta", "Corridor: APTTA routes (Pakistan)", lines, tip, show=False)
        )

    # QTTA: Kashgar – Khunjerab – Sost – Karachi by road.
    g, pair = _road_graph(network, None)
    stops = [idx.resolve(q, modes=("road",)).nodes["road"] for q in ("Kashgar", "Sost", "Karachi")]
    q_edges: list[int] = []
    for a, b in itertools.pairwise(stops):
        dist, pred = dijkstra(g, directed=False, indices=a, return_predecessors=True)
        if np.isfinite(dist[b]):
            q_edges += _path_edges(pred, pair, b)
    arr = np.array(sorted(set(q_edges)), dtype=np.int64)
    lines = _merge_simplify(network, arr, np.zeros(len(arr), dtype=np.int64), tolerance)
    layers.append(
        _overlay_layer(
            "qtta",
            "Corridor: QTTA Kashgar–Khunjerab–Sost–Karachi",
            lines,
            "QTTA route (Quadrilateral Traffic in Transit Agreement): Kashgar – Khunjerab – Sost – "
            "Karachi, the Karakoram Highway and N-35/N-5 on this network",
            show=False,
        )
    )

    # The two railways of the additions file, with their names and status from the network.
    names = np.asarray(s, dtype=object)[network.edge_name]
    for ref, key, title in (
        ("TARP", "tarp", "Corridor: Trans-Afghan Railway"),
        ("CKU", "cku", "Corridor: China–Kyrgyzstan–Uzbekistan railway"),
    ):
        wanted = [ln["name"] for ln in _additions() if ln.get("ref") == ref]
        edges_r = np.flatnonzero(np.isin(names, wanted))
        st = sorted({_STATUS_LABEL[STATUSES[i]] for i in network.edge_status[edges_r]})
        lines = _merge_simplify(network, edges_r, np.zeros(len(edges_r), dtype=np.int64), tolerance)
        tip = f"{title[10:]} ({', '.join(st)}): " + "; ".join(wanted)
        layers.append(_overlay_layer(key, f"{title} ({', '.join(st)})", lines, tip, show=True))
    return layers


def _energy_layers(keep: Any) -> list[dict[str, Any]]:
    layers = []
    for c in load_energy_corridors():
        pts = [[lat, lon] for _, lon, lat, _, _ in c.waypoints]
        if not keep(pts):
            continue
        srcs = "; ".join(f"{t} <{u}>" for t, u, _ in c.sources)
        rows = [
            ("What", _esc(c.kind)),
            ("Status", _esc(c.status)),
            ("Length", _esc(f"{c.length_km:,.0f} km (published)")),
            ("Route", _esc(c.summary)),
            (
                "Geometry",
                "approximate schematic alignment: straight segments between the "
                "published waypoints, not the surveyed right of way",
            ),
        ]
        popup = _popup(f"NOT FREIGHT — {c.name}", rows, srcs)
        markers = [
            [
                "waypoint",
                lat,
                lon,
                _esc(f"{c.name.split(' (')[0]} waypoint: {nm} ({basis}; {src})"),
                _popup(
                    f"{c.name.split(' (')[0]} waypoint (not freight)",
                    [("Waypoint", _esc(nm)), ("Position", _esc(basis))],
                    src,
                ),
            ]
            for nm, lon, lat, basis, src in c.waypoints
        ]
        layers.append(
            {
                "id": f"energy:{c.key}",
                "name": f"Not freight: {c.name.split(' (')[0]} (schematic)",
                "style": {
                    "color": _ENERGY_COLOURS.get(c.key, "#444444"),
                    "opacity": 0.9,
                    "dashArray": _ENERGY_DASH,
                    "extraWeight": 0,
                },
                "lines": [[2.5, _esc(f"NOT FREIGHT · {c.name} · schematic"), pts]],
                "popup": popup,
                "markers": markers,
                "show": True,
            }
        )
    return layers


def network_features(
    network: Network | None = None,
    *,
    modes: Sequence[str] | None = None,
    countries: Sequence[str] | None = None,
    bbox: Sequence[float] | None = None,
    road_classes: Sequence[str] | None = DEFAULT_ROAD_CLASSES,
    tolerance_deg: float = DEFAULT_TOLERANCE_DEG,
    date: dt.date | None = None,
    rules: Any = None,
    overlays: bool = True,
    energy: bool = True,
) -> dict[str, Any]:
    """What the network map draws, as plain data (one entry per toggleable layer).

    Parameters
    ----------
    network
        The network (the packaged one by default).
    modes
        Modes whose lines are drawn (``road``, ``rail``, ``ferry``, ``sea``); all by default.
    countries
        ISO3 codes: only lines in these countries (and sea lanes and ferries within their
        extent), their border posts and their ports and terminals.
    bbox
        ``(west, south, east, north)`` in degrees: only what lies in it.
    road_classes
        Road classes drawn (:data:`DEFAULT_ROAD_CLASSES`); None for all.
    tolerance_deg
        Simplification tolerance, degrees (0 keeps every vertex).
    date
        Day whose closures and fees the border-post popups show (today by default).
    rules
        The rules (the packaged ones by default).
    overlays, energy
        Draw the corridor overlays and the energy corridors.

    Returns
    -------
    dict
        ``layers`` (each: ``id``, ``name``, ``style``, ``lines`` = ``[weight, tooltip,
        [[lat, lon], ...]]``, ``markers`` = ``[kind, lat, lon, tooltip, popup]``, ``show``),
        ``bounds`` ([[south, west], [north, east]]), ``date``, ``edges`` (edges drawn),
        ``unplaced_posts`` (rules posts with no edge in the selection).

    Raises
    ------
    InvalidInputError
        For an unknown mode, country, road class, a bad bbox or a negative tolerance.
    """
    from corridors.rules import load_rules
    from geodata.network import load_network

    network = network if network is not None else load_network()
    rules = rules if rules is not None else load_rules()
    day = date or dt.date.today()
    mode_set, cs = _check_filters(network, modes, countries)
    if road_classes is not None:
        bad = [c for c in road_classes if c not in ROAD_CLASSES]
        if bad:
            raise InvalidInputError(
                f"unknown road class {bad[0]!r}; use some of {', '.join(ROAD_CLASSES)}"
            )
    if tolerance_deg < 0:
        raise InvalidInputError(f"tolerance must be ≥ 0 degrees, got {tolerance_deg}")
    if bbox is not None and (len(bbox) != 4 or not (bbox[0] < bbox[2] and bbox[1] < bbox[3])):
        raise InvalidInputError(
            f"bbox must be west,south,east,north with west < east and south < north, "
            f"got {tuple(bbox)}"
        )
    boxes = _edge_bboxes(network)
    mode_ids = np.asarray(network.edge_mode)
    sel = np.isin(mode_ids, [EDGE_MODES.index(m) for m in mode_set])
    if road_classes is not None:
        strings = np.asarray(network.strings, dtype=object)
        is_road = mode_ids == EDGE_MODES.index("road")
        sel &= ~is_road | np.isin(strings[network.edge_class], list(road_classes))
    border = mode_ids == EDGE_MODES.index("border")
    if "road" not in mode_set:
        border &= np.asarray(network.strings, dtype=object)[network.edge_class] != "road"
    if "rail" not in mode_set:
        border &= np.asarray(network.strings, dtype=object)[network.edge_class] != "rail"
    area = bbox
    if cs:
        ids = [network.countries.index(c) for c in cs]
        land = np.isin(network.edge_country, ids)
        border &= np.isin(network.node_country[network.edge_u], ids) | np.isin(
            network.node_country[network.edge_v], ids
        )
        ext = boxes[land | border]
        if len(ext) == 0:  # pragma: no cover - every listed country has edges
            raise InvalidInputError(f"no network in {', '.join(cs)}")
        cbox = (ext[:, 0].min(), ext[:, 1].min(), ext[:, 2].max(), ext[:, 3].max())
        sea = np.isin(mode_ids, [EDGE_MODES.index("sea"), EDGE_MODES.index("ferry")])
        sel &= land | (sea & _in_bbox(boxes, cbox))
        area = cbox if bbox is None else bbox
    if bbox is not None:
        sel &= _in_bbox(boxes, bbox)
        border &= _in_bbox(boxes, bbox)

    def keep_pts(pts: Sequence[Sequence[float]]) -> bool:
        if area is None:
            return True
        w, s_, e, n = area
        return any(s_ <= p[0] <= n and w <= p[1] <= e for p in pts)

    def keep_place(pl: Any) -> bool:
        return (not cs or pl.country in cs) and keep_pts([[pl.lat, pl.lon]])

    layers = _line_layers(network, sel, tolerance_deg)
    posts, crossings, unplaced = _post_markers(network, border, day, rules)
    layers += [posts, crossings, _place_markers(network, keep_place)]
    if overlays:
        corr = _corridor_layers(network, rules, tolerance_deg)
        layers += [c for c in corr if c["lines"] and any(keep_pts(ln[2]) for ln in c["lines"])]
    if energy:
        layers += _energy_layers(keep_pts)

    lats: list[float] = []
    lons: list[float] = []
    if area is not None:
        lons += [area[0], area[2]]
        lats += [area[1], area[3]]
    else:
        for layer in layers:
            for ln in layer["lines"]:
                arr = np.asarray(ln[2])
                lats += [float(arr[:, 0].min()), float(arr[:, 0].max())]
                lons += [float(arr[:, 1].min()), float(arr[:, 1].max())]
    if not lats:
        raise InvalidInputError("nothing to draw: the filters select no part of the network")
    return {
        "layers": layers,
        "bounds": [[min(lats), min(lons)], [max(lats), max(lons)]],
        "date": day.isoformat(),
        "edges": int(np.count_nonzero(sel)),
        "tolerance_deg": tolerance_deg,
        "filters": {
            "modes": list(mode_set),
            "countries": list(cs),
            "bbox": list(bbox) if bbox is not None else None,
            "road_classes": list(road_classes) if road_classes is not None else "all",
        },
        "unplaced_posts": unplaced,
    }


def _legend_html(feats: Mapping[str, Any]) -> str:
    rows = []
    for layer in feats["layers"]:
        st = layer["style"]
        if layer["lines"] and st:
            dash = (
                "dashed"
                if st.get("dashArray") == _DASH
                else ("dotted" if st.get("dashArray") else "solid")
            )
            width = 3 if st.get("weight", 0) < 6 else 7
            rows.append(
                f'<div class="row"><span class="line" style="border-top-style:{dash};'
                f"border-top-width:{width}px;border-top-color:{st['color']};opacity:"
                f'{max(st.get("opacity", 1), 0.6)}"></span>{_esc(layer["name"])}</div>'
            )
    kinds = {m[0] for layer in feats["layers"] for m in layer["markers"]}
    labels = {
        "post": "border post (open on the day)",
        "post_closed": "border post closed on the day",
        "crossing": "other crossing (unlisted)",
        "port": "port",
        "terminal": "terminal",
        "waypoint": "energy-corridor waypoint (not freight)",
    }
    for k, label in labels.items():
        if k in kinds:
            html_, _ = _ICONS[k]
            rows.append(f'<div class="row"><span class="mark">{html_}</span>{_esc(label)}</div>')
    # Closed at first: the network map has many layers, and the layer list names them.
    return f"<details><summary>Legend</summary>{''.join(rows)}</details>"


def _summary_html(feats: Mapping[str, Any], network: Network) -> str:
    f = feats["filters"]
    what = []
    if f["countries"]:
        what.append(", ".join(f["countries"]))
    if f["bbox"]:
        what.append("bbox " + ", ".join(f"{x:g}" for x in f["bbox"]))
    title = "Network" + (f": {' · '.join(what)}" if what else "")
    n_lines = sum(len(layer["lines"]) for layer in feats["layers"])
    rows = [
        ("Edges drawn", f"{feats['edges']:,} of {network.n_edges:,}, as {n_lines:,} lines"),
        ("Modes", ", ".join(f["modes"])),
        (
            "Road classes",
            f["road_classes"]
            if isinstance(f["road_classes"], str)
            else ", ".join(f["road_classes"]),
        ),
        ("Border posts on", feats["date"]),
        ("Display geometry", f"merged and simplified, tolerance {feats['tolerance_deg']:g}°"),
    ]
    body = "".join(f"<tr><th>{_esc(k)}</th><td>{_esc(v)}</td></tr>" for k, v in rows)
    foot = (
        '<div class="muted">Corridor overlays are schematic; energy corridors are context, '
        "not freight routes.</div>"
    )
    return f"<details open><summary>{_esc(title)}</summary><table>{body}</table>{foot}</details>"


@cache
def _network_js() -> str:
    return (resources.files("maps") / "static" / "network.js").read_text(encoding="utf-8")


def network_map(
    network: Network | None = None,
    *,
    tiles: str | None = "OpenStreetMap",
    **kwargs: Any,
) -> OfflineMap:
    """A self-contained map of the network (see :func:`network_features` for the options).

    Parameters
    ----------
    network
        The network (the packaged one by default).
    tiles
        A folium tile-layer name offered as an optional online layer (off by default), or
        None. The packaged Natural Earth basemap is always drawn.
    **kwargs
        The filters and options of :func:`network_features`.

    Returns
    -------
    OfflineMap
        ``.save(path)`` writes HTML that loads nothing from the network.
    """
    from geodata.network import load_network

    network = network if network is not None else load_network()
    feats = network_features(network, **kwargs)
    (s, w), (n, e) = feats["bounds"]
    m = base_map(
        s,
        w,
        n,
        e,
        title="corridors network map",
        highlight=feats["filters"]["countries"],
        tiles=tiles,
        attributions=_ATTRIBUTIONS,
        head_scripts={"corridors_network_js": _network_js()},
        prefer_canvas=True,
    )
    icons = {k: {"html": h, "size": sz} for k, (h, sz) in _ICONS.items()}
    for layer in feats["layers"]:
        group = folium.FeatureGroup(
            name=layer["name"], overlay=True, control=True, show=layer["show"]
        )
        CorridorsCall("addNetworkLayer", layer, icons).add_to(group)
        group.add_to(m)
    CorridorsCall(
        "addPanel", "bottomleft", "corridors-summary", _summary_html(feats, network)
    ).add_to(m)
    CorridorsCall("addPanel", "bottomright", "corridors-legend", _legend_html(feats)).add_to(m)
    # Collapsed (opens on hover or tap): the list of ~16 layers would hide a third of the map.
    folium.LayerControl(collapsed=True).add_to(m)
    CorridorsCall("finish", [[s, w], [n, e]]).add_to(m)
    return m
