"""Route maps from the routes' plain-data form (``Route.to_dict()``), self-contained and offline.

A route map shows one polyline per leg coloured by mode (planned and under-construction legs
dashed), markers at the origin, the destination, each border post, and each place where the
cargo is transshipped or handled in a port, with popups that give what happens there and its
cost and time; a legend, a scale and a summary panel (cost, time, P50/P90, distance, regimes).
Several routes become one toggleable layer each. The basemap is the packaged Natural Earth
countries; OpenStreetMap tiles are an optional extra layer, off by default.

Example
-------
>>> from maps import route_map                                      # doctest: +SKIP
>>> route_map(best.to_dict(), alternatives=[r.to_dict() for r in others]).save("r.html")
"""

from __future__ import annotations

import html
import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import folium

from geodata.errors import InvalidInputError
from maps._elements import CorridorsCall, Raw
from maps.basemap import BASEMAP_ATTRIBUTION, add_basemap
from maps.offline import OfflineMap

__all__ = [
    "ATTRIBUTION",
    "MARKER_KINDS",
    "MODE_COLOURS",
    "base_map",
    "route_features",
    "route_map",
    "route_maps",
    "setup_map",
]

logger = logging.getLogger(__name__)

MODE_COLOURS = {
    "road": "#d95f02",
    "rail": "#1b9e77",
    "ferry": "#7570b3",
    "sea": "#1f78b4",
    "transfer": "#666666",
    "border": "#e7298a",
}
_MODE_WEIGHTS = {"road": 5, "rail": 5, "ferry": 5, "sea": 5, "transfer": 4, "border": 7}
_MODE_ORDER = ("road", "rail", "ferry", "sea", "transfer", "border")
#: Attribution of the data the routes are made from, shown on every map.
DATA_ATTRIBUTIONS = ("© OpenStreetMap contributors", "© MapTiler", "searoute")
ATTRIBUTION = (
    "© OpenStreetMap contributors (ODbL) · © MapTiler · Made with Natural Earth · searoute"
)

#: Marker kinds: symbol HTML, size in px, z offset (ends above posts above handling).
MARKER_KINDS: dict[str, dict[str, Any]] = {
    "origin": {"label": "origin", "text": "A", "size": 22, "z": 1000},
    "destination": {"label": "destination", "text": "B", "size": 22, "z": 1000},
    "border": {"label": "border post", "text": "", "size": 15, "z": 500},
    "transfer": {"label": "transshipment / terminal", "text": "⇄", "size": 17, "z": 400},
    "port": {"label": "port", "text": "⚓", "size": 19, "z": 450},
}
_HANDLING_KINDS = ("transload", "gauge_change", "terminal", "port")
_PLANNED = {"planned": "planned", "under_construction": "under construction", "closed": "closed"}
_LABEL_MAX = 46
#: A place of handling this close to the origin or destination is shown in its popup, km.
_FOLD_KM = 3.0


def _sym(kind: str) -> str:
    k = MARKER_KINDS[kind]
    return f'<div class="corridors-sym corridors-sym-{kind}">{html.escape(k["text"])}</div>'


def _usd(x: float | None) -> str:
    return "—" if x is None else f"USD {x:,.0f}"


def _h(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{x:,.1f} h" if x < 100 else f"{x:,.0f} h"


def _days(x: float | None) -> str:
    return "" if x is None else f" ({x / 24:.1f} d)"


def _rows(rows: Iterable[tuple[str, Any]]) -> str:
    return "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>"
        for k, v in rows
        if v not in (None, "")
    )


def _popup(title: str, rows: Iterable[tuple[str, Any]], source: str = "") -> str:
    src = f'<div class="src">Source: {html.escape(source)}</div>' if source else ""
    return (
        f'<div class="corridors-popup"><h4>{html.escape(title)}</h4>'
        f"<table>{_rows(rows)}</table>{src}</div>"
    )


def _check(route: Mapping[str, Any]) -> None:
    missing = [
        k
        for k in ("origin", "destination", "origin_place", "destination_place", "legs")
        if k not in route
    ]
    if missing or "coordinates" not in route.get("geometry", {}):
        what = ", ".join(missing) or "geometry.coordinates"
        raise InvalidInputError(f"not a route dictionary (Route.to_dict()): missing {what}")
    if len(route["geometry"]["coordinates"]) != len(route["legs"]):
        raise InvalidInputError(
            f"route geometry has {len(route['geometry']['coordinates'])} lines for "
            f"{len(route['legs'])} legs (it must have one line per leg)"
        )


def _leg_tip(leg: Mapping[str, Any]) -> str:
    mode = leg["mode"]
    parts = [mode, leg.get("country", "")]
    if mode == "border":
        parts[1] = f"{leg.get('country', '')} → {leg.get('to_country', '')}"
        parts.append(str(leg.get("post", "")))
    else:
        parts.append(f"{leg['from']} → {leg['to']}")
    parts.append(f"{leg.get('distance_km', 0):,.0f} km")
    parts.append(_h(leg.get("hours")))
    parts.append(_usd(leg.get("cost_usd")))
    if leg.get("carrier") and mode == "road":
        parts.append(f"{leg['carrier']} truck")
    if leg.get("gauge_mm"):
        parts.append(f"{leg['gauge_mm']} mm")
    if leg.get("status") in _PLANNED:
        parts.append(_PLANNED[leg["status"]].upper())
    return " · ".join(p for p in parts if p)


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Distance between two (lat, lon) points, km (equirectangular: fine at these scales)."""
    x = math.radians(b[1] - a[1]) * math.cos(math.radians((a[0] + b[0]) / 2))
    y = math.radians(b[0] - a[0])
    return 6371.0 * math.hypot(x, y)


def _place_of(item: Mapping[str, Any]) -> str:
    if item.get("at"):
        return str(item["at"])
    label = str(item.get("label", ""))
    return label.rsplit(" at ", 1)[1].strip() if " at " in label else ""


def _handling_rows(items: Sequence[Mapping[str, Any]]) -> list[tuple[str, str]]:
    return [
        (str(i.get("label", i.get("kind", ""))), f"{_usd(i.get('cost_usd'))}, {_h(i.get('hours'))}")
        for i in items
    ]


def route_features(route: Mapping[str, Any], *, primary: bool = True) -> dict[str, Any]:
    """The drawable content of one route: legs and markers, as the inlined JS draws them.

    Returns
    -------
    dict
        ``legs``: one ``[mode, dashed, tooltip, [[lat, lon], ...]]`` per leg, in order;
        ``markers``: ``[kind, lat, lon, tooltip, popup_html, permanent_label]`` for the
        origin, the destination, each border post (one per border leg) and each other place
        of transshipment or port handling (items at, or within 3 km of, the origin or
        destination go into their popups); ``name`` and ``primary``.
    """
    _check(route)
    legs_in = route["legs"]
    lines = route["geometry"]["coordinates"]
    legs = [
        [
            leg["mode"],
            1 if leg.get("status") in _PLANNED else 0,
            html.escape(_leg_tip(leg)),
            [[round(lat, 4), round(lon, 4)] for lon, lat in line],
        ]
        for leg, line in zip(legs_in, lines, strict=True)
    ]
    # Where names are: transfer legs first (that is where handling happens), then any leg.
    where: dict[str, tuple[float, float]] = {}
    order = sorted(range(len(legs_in)), key=lambda i: legs_in[i]["mode"] != "transfer")
    for i in order:
        if not lines[i]:
            continue
        where.setdefault(str(legs_in[i]["from"]), (lines[i][0][1], lines[i][0][0]))
        where.setdefault(str(legs_in[i]["to"]), (lines[i][-1][1], lines[i][-1][0]))

    items = list(route.get("breakdown") or route.get("transshipments") or [])
    handling = [i for i in items if i.get("kind") in _HANDLING_KINDS]
    border_items = [i for i in items if i.get("kind") == "border"]
    o, d = route["origin_place"], route["destination_place"]
    ends = {str(o["name"]): [], str(d["name"]): []}
    at_places: dict[str, list[Mapping[str, Any]]] = {}
    for it in handling:
        place = _place_of(it)
        (ends[place] if place in ends else at_places.setdefault(place, [])).append(it)
    # A port or terminal right at an end would hide under its marker: its popup takes them.
    for place in list(at_places):
        pos = where.get(place)
        for end in (o, d):
            if pos is not None and _km(pos, (end["lat"], end["lon"])) <= _FOLD_KM:
                ends[str(end["name"])] += at_places.pop(place)
                break

    markers: list[list[Any]] = []
    sh = route.get("shipment") or {}
    rel = route.get("reliability") or {}
    p50 = route.get("p50_hours", rel.get("p50"))
    p90 = route.get("p90_hours", rel.get("p90"))
    for kind, place in (("origin", o), ("destination", d)):
        rows: list[tuple[str, Any]] = [
            ("Country", place.get("country")),
            ("Kind", place.get("kind")),
            ("UN/LOCODE", place.get("locode")),
        ]
        if kind == "origin":
            rows += [
                ("Departure", sh.get("departure")),
                ("Cargo", sh.get("cargo")),
                ("Truck", sh.get("carrier")),
            ]
        else:
            rows += [
                ("Door to door", f"{_h(route.get('hours'))}{_days(route.get('hours'))}"),
                ("P50 / P90", f"{_h(p50)} / {_h(p90)}" if p50 is not None else None),
            ]
        rows += _handling_rows(ends[str(place["name"])])
        markers.append(
            [
                kind,
                place["lat"],
                place["lon"],
                html.escape(str(place["name"])),
                _popup(f"{MARKER_KINDS[kind]['label'].capitalize()}: {place['name']}", rows),
                html.escape(str(place["name"])) if primary else "",
            ]
        )

    b = 0
    for leg, line in zip(legs_in, lines, strict=True):
        if leg["mode"] != "border" or not line:
            continue
        it = border_items[b] if b < len(border_items) else {}
        if it and it.get("post") not in (None, leg.get("post")):
            it = {}
        b += 1
        lon, lat = line[len(line) // 2]
        post = str(leg.get("post") or it.get("post") or "border crossing")
        direction = str(it.get("direction", f"{leg.get('country')}->{leg.get('to_country')}"))
        direction = direction.replace("->", " → ")
        surcharge = it.get("entry_surcharge") or {}
        rows = [
            ("Direction", direction),
            ("Expected time", _h(it.get("hours", leg.get("hours")))),
            ("P90 time", _h(it["p90_hours"]) if "p90_hours" in it else None),
            ("Fees", _usd(it.get("cost_usd", leg.get("cost_usd")))),
            (
                "Carrier",
                f"{leg.get('carrier') or it.get('carrier')} truck"
                if (leg.get("carrier") or it.get("carrier"))
                else it.get("mode"),
            ),
            ("Regime", it.get("regime")),
            ("Gauge change", it.get("gauge_change")),
            (
                "Entry surcharge",
                f"{_usd(surcharge.get('cost_usd'))}, {_h(surcharge.get('hours'))}"
                if surcharge
                else None,
            ),
            ("Basis", it.get("basis")),
        ]
        tip = (
            f"{post} ({direction}): {_h(it.get('hours', leg.get('hours')))}, "
            f"{_usd(it.get('cost_usd', leg.get('cost_usd')))}"
        )
        markers.append(
            [
                "border",
                lat,
                lon,
                html.escape(tip),
                _popup(f"Border post: {post}", rows, it.get("source", "")),
                "",
            ]
        )

    for place, its in at_places.items():
        pos = where.get(place)
        if pos is None:
            logger.warning("cannot place %r on the map: no leg ends there", place)
            continue
        kind = "port" if any(i.get("kind") == "port" for i in its) else "transfer"
        cost = sum(float(i.get("cost_usd") or 0) for i in its)
        hours = sum(float(i.get("hours") or 0) for i in its)
        rows = [*_handling_rows(its), ("Total here", f"{_usd(cost)}, {_h(hours)}")]
        sources = "; ".join(dict.fromkeys(str(i["source"]) for i in its if i.get("source")))
        title = f"{'Port' if kind == 'port' else 'Transshipment'}: {place}"
        tip = f"{place}: " + "; ".join(str(i.get("label", "")) for i in its)
        markers.append([kind, pos[0], pos[1], html.escape(tip), _popup(title, rows, sources), ""])

    return {"name": _route_name(route), "primary": primary, "legs": legs, "markers": markers}


def _route_name(route: Mapping[str, Any]) -> str:
    return str(route.get("label") or f"{route['origin']} → {route['destination']}")


def _layer_name(i: int, route: Mapping[str, Any]) -> str:
    label = _route_name(route)
    if len(label) > _LABEL_MAX:
        label = label[: _LABEL_MAX - 1] + "…"
    return f"{i} · {label} · {_usd(route.get('cost_usd'))} · {_h(route.get('hours'))}"


def _summary_html(routes: Sequence[Mapping[str, Any]]) -> str:
    r0 = routes[0]
    title = html.escape(f"{r0['origin']} → {r0['destination']}")
    sh = r0.get("shipment") or {}
    facts = [
        f"objective: {r0['objective']}" if r0.get("objective") else "",
        f"departure {sh['departure']}" if sh.get("departure") else "",
        str(sh.get("cargo") or ""),
        f"cargo value {_usd(sh['value_usd'])}" if sh.get("value_usd") else "",
        f"{sh['carrier']} truck" if sh.get("carrier") else "",
        "TIR" if sh.get("tir") else "",
    ]
    foot = f'<div class="muted">{html.escape(" · ".join(f for f in facts if f))}</div>'

    def p5090(r: Mapping[str, Any]) -> str:
        rel = r.get("reliability") or {}
        p50, p90 = r.get("p50_hours", rel.get("p50")), r.get("p90_hours", rel.get("p90"))
        return f"{_h(p50)} / {_h(p90)}" if p50 is not None and p90 is not None else ""

    def borders(r: Mapping[str, Any]) -> list[str]:
        return [str(leg.get("post", "")) for leg in r["legs"] if leg["mode"] == "border"]

    if len(routes) == 1:
        bs = borders(r0)
        rows = [
            ("Cost", _usd(r0.get("cost_usd"))),
            ("Time", f"{_h(r0.get('hours'))}{_days(r0.get('hours'))}"),
            ("P50 / P90", p5090(r0)),
            ("Distance", f"{r0.get('distance_km', 0):,.0f} km"),
            (
                "Modes",
                ", ".join(m for m in _MODE_ORDER if m in {leg["mode"] for leg in r0["legs"]}),
            ),
            ("Borders", f"{len(bs)}: {', '.join(bs)}" if bs else "none"),
            ("Regimes", ", ".join(r0.get("regimes", [])) or "—"),
        ]
        body = f"<table>{_rows(rows)}</table>"
    else:
        head = (
            "<tr><th>#</th><th>route</th><th class=n>cost</th><th class=n>time</th>"
            "<th class=n>P50 / P90</th><th class=n>km</th><th class=n>borders</th></tr>"
        )
        trs = []
        for i, r in enumerate(routes, start=1):
            name = html.escape(_route_name(r))
            more = html.escape(
                f"{', '.join(borders(r)) or 'no border'} · regimes: "
                f"{', '.join(r.get('regimes', [])) or '—'}"
            )
            trs.append(
                f'<tr><td>{i}</td><td><div class="clip name" title="{name}">{name}</div></td>'
                f"<td class=n>{_usd(r.get('cost_usd'))}</td>"
                f"<td class=n>{_h(r.get('hours'))}{_days(r.get('hours'))}</td>"
                f"<td class=n>{p5090(r) or '—'}</td><td class=n>{r.get('distance_km', 0):,.0f}</td>"
                f"<td class=n>{len(borders(r))}</td></tr>"
                f'<tr><td></td><td colspan=6><div class="clip regimes" title="{more}">{more}'
                "</div></td></tr>"
            )
        body = f"<table>{head}{''.join(trs)}</table>"
    return f"<details open><summary>{title}</summary>{body}{foot}</details>"


def _legend_html(routes: Sequence[Mapping[str, Any]], feats: Sequence[dict[str, Any]]) -> str:
    # Border legs are drawn, but shown in the legend by their post's symbol.
    modes = {leg["mode"] for r in routes for leg in r["legs"]} - {"border"}
    rows = [
        f'<div class="row"><span class="line" style="border-top-style:solid;'
        f'border-top-color:{MODE_COLOURS[m]}"></span>{m}</div>'
        for m in _MODE_ORDER
        if m in modes
    ]
    rows += [
        f'<div class="row"><span class="line" style="border-top-style:solid;'
        f'border-top-color:{MODE_COLOURS.get(m, "#000")}"></span>{html.escape(m)}</div>'
        for m in sorted(modes - set(_MODE_ORDER))
    ]
    if any(leg.get("status") in _PLANNED for r in routes for leg in r["legs"]):
        rows.append(
            '<div class="row"><span class="line" style="border-top-style:dashed;'
            'border-top-color:#444"></span>planned / under construction</div>'
        )
    if len(routes) > 1:
        rows.append(
            '<div class="row"><span class="line" style="border-top-style:solid;border-top-width:'
            '2px;border-top-color:#999"></span>thinner, paler: alternatives</div>'
        )
    kinds = {m[0] for f in feats for m in f["markers"]}
    rows += [
        f'<div class="row"><span class="mark">{_sym(k)}</span>{MARKER_KINDS[k]["label"]}</div>'
        for k in MARKER_KINDS
        if k in kinds
    ]
    return f"<details open><summary>Legend</summary>{''.join(rows)}</details>"


def setup_map(
    m: folium.Map, *, attributions: Sequence[str] = (*DATA_ATTRIBUTIONS, BASEMAP_ATTRIBUTION)
) -> None:
    """Register the styles, marker symbols, panes and attributions the helpers use."""
    cfg = {
        "styles": {
            **{k: {"color": c, "weight": _MODE_WEIGHTS.get(k, 5)} for k, c in MODE_COLOURS.items()},
            "other": {"color": "#000000", "weight": 4},
        },
        "icons": {
            **{
                k: {"html": _sym(k), "size": v["size"], "z": v["z"]}
                for k, v in MARKER_KINDS.items()
            },
            "place": {"html": _sym("transfer"), "size": 15, "z": 0},
        },
        "attribution": list(attributions),
    }
    CorridorsCall("setup", cfg).add_to(m)


def base_map(
    south: float,
    west: float,
    north: float,
    east: float,
    *,
    title: str,
    highlight: Iterable[str] = (),
    tiles: str | None = None,
    attributions: Sequence[str] = (*DATA_ATTRIBUTIONS, BASEMAP_ATTRIBUTION),
    head_scripts: Mapping[str, str] | None = None,
    **options: Any,
) -> OfflineMap:
    """The map every corridors map starts from: centred on the bounds, a scale, the helpers'
    setup (:func:`setup_map`), the Natural Earth basemap with ``highlight`` countries, and
    ``tiles`` as an optional online layer (off by default).

    ``head_scripts`` (name → JavaScript) go into the page header; ``options`` go to
    :class:`~maps.offline.OfflineMap` (e.g. ``prefer_canvas=True``).
    """
    m = OfflineMap(
        location=[(south + north) / 2, (west + east) / 2],
        zoom_start=5,
        tiles=None,
        control_scale=True,
        zoom_snap=0.25,
        **{"minZoom": 3},
        **options,
    )
    root = m.get_root()
    root.title = title  # type: ignore[attr-defined]
    for name, js in (head_scripts or {}).items():
        root.header.add_child(Raw(f"<script>{js}</script>"), name=name)  # type: ignore[attr-defined]
    setup_map(m, attributions=attributions)
    add_basemap(m, highlight=sorted(highlight))
    if tiles:
        folium.TileLayer(
            tiles, name=f"{tiles} tiles (online)", overlay=True, control=True, show=False
        ).add_to(m)
    return m


def _bounds(routes: Sequence[Mapping[str, Any]]) -> list[list[float]]:
    lats: list[float] = []
    lons: list[float] = []
    for r in routes:
        for line in r["geometry"]["coordinates"]:
            lons += [p[0] for p in line]
            lats += [p[1] for p in line]
        for p in (r["origin_place"], r["destination_place"]):
            lats.append(p["lat"])
            lons.append(p["lon"])
    return [[min(lats), min(lons)], [max(lats), max(lons)]]


def route_map(
    route: Mapping[str, Any],
    *,
    alternatives: Sequence[Mapping[str, Any]] = (),
    tiles: str | None = "OpenStreetMap",
) -> OfflineMap:
    """A self-contained map of a route and, optionally, its alternatives.

    Parameters
    ----------
    route
        The dictionary of :meth:`corridors.planner.Route.to_dict` (the best route; drawn on
        top, with labelled ends).
    alternatives
        More such dictionaries: each gets its own toggleable layer.
    tiles
        A folium tile-layer name offered as an optional online layer (off by default), or
        None for none. The packaged Natural Earth basemap is always drawn.

    Returns
    -------
    OfflineMap
        A folium map; ``.save(path)`` writes HTML that loads nothing from the network.

    Raises
    ------
    InvalidInputError
        If a dictionary is not a route's (missing keys, one geometry line per leg).
    """
    routes = [route, *alternatives]
    for r in routes:
        _check(r)
    feats = [route_features(r, primary=(i == 0)) for i, r in enumerate(routes)]
    (s, w), (n, e) = _bounds(routes)
    countries = {leg.get("country") for r in routes for leg in r["legs"]}
    countries |= {leg.get("to_country") for r in routes for leg in r["legs"]}
    m = base_map(
        s,
        w,
        n,
        e,
        title=f"{route['origin']} → {route['destination']} · corridors route map",
        highlight={c for c in countries if c},
        tiles=tiles,
    )
    for i, (r, f) in enumerate(zip(routes, feats, strict=True), start=1):
        group = folium.FeatureGroup(name=_layer_name(i, r), overlay=True, control=True, show=True)
        CorridorsCall("addRoute", f).add_to(group)
        group.add_to(m)
    CorridorsCall("addPanel", "bottomleft", "corridors-summary", _summary_html(routes)).add_to(m)
    CorridorsCall(
        "addPanel", "bottomright", "corridors-legend", _legend_html(routes, feats)
    ).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    CorridorsCall("finish", [[s, w], [n, e]]).add_to(m)
    return m


def route_maps(routes: Sequence[Mapping[str, Any]], **kwargs: Any) -> OfflineMap:
    """:func:`route_map` of ``routes[0]`` with the rest as alternatives."""
    if not routes:
        raise InvalidInputError("no routes to draw")
    return route_map(routes[0], alternatives=routes[1:], **kwargs)
