"""A map of an assignment (``Assignment.to_dict()``): flows by width, posts by utilisation.

Each OD route that carries traffic is drawn with a width that grows with its trucks per day
(square-root scale, so small flows stay visible); each border post is a circle coloured by
utilisation (green below 70 %, orange to 100 %, red above capacity, grey when no capacity is
published) with a popup giving trucks per day, capacity, utilisation and added waiting.
The map is self-contained and offline, like the route maps (:mod:`maps.route_map`).
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from typing import Any

import folium

from geodata.errors import InvalidInputError
from maps._elements import CorridorsCall
from maps.offline import OfflineMap
from maps.route_map import ATTRIBUTION, MODE_COLOURS, base_map

__all__ = ["UTILISATION_COLOURS", "flow_map", "utilisation_colour"]

#: Colour of a post by utilisation band: (upper bound of the band, colour).
UTILISATION_COLOURS: tuple[tuple[float, str], ...] = (
    (0.7, "#1a9850"),
    (1.0, "#fd8d3c"),
    (math.inf, "#d73027"),
)
_NO_CAPACITY = "#888888"
#: Line widths (px) of the thinnest and the thickest flow.
_MIN_WIDTH, _MAX_WIDTH = 2.0, 16.0
_FLOW_COLOUR = MODE_COLOURS["road"]


def utilisation_colour(utilisation: float | None) -> str:
    """Colour of a post's circle for its utilisation (``None`` = uncapacitated)."""
    if utilisation is None:
        return _NO_CAPACITY
    for bound, colour in UTILISATION_COLOURS:
        if utilisation < bound:
            return colour
    return UTILISATION_COLOURS[-1][1]


def _width(flow: float, largest: float) -> float:
    if largest <= 0:
        return _MIN_WIDTH
    return _MIN_WIDTH + (_MAX_WIDTH - _MIN_WIDTH) * math.sqrt(flow / largest)


def _check(data: Mapping[str, Any]) -> None:
    for key in ("posts", "ods", "totals", "settings"):
        if key not in data:
            raise InvalidInputError(f"not an assignment: missing {key!r}")


def flow_map(assignment: Mapping[str, Any]) -> OfflineMap:
    """A self-contained map of an assignment's flows and posts.

    Parameters
    ----------
    assignment
        The dictionary of :meth:`corridors.assign.Assignment.to_dict`.

    Returns
    -------
    OfflineMap
        ``.save(path)`` writes HTML that loads nothing from the network.

    Raises
    ------
    InvalidInputError
        If the dictionary is not an assignment's.
    """
    _check(assignment)
    routes = [
        (od, r)
        for od in assignment["ods"]
        for r in od["routes"]
        if r["trucks_per_day"] > 0 and r["geometry"]["coordinates"]
    ]
    lats = [p[1] for _, r in routes for line in r["geometry"]["coordinates"] for p in line]
    lons = [p[0] for _, r in routes for line in r["geometry"]["coordinates"] for p in line]
    if not lats:
        lats, lons = [23.0, 45.0], [50.0, 80.0]  # the corridors' region when nothing moves
    s, n, w, e = min(lats), max(lats), min(lons), max(lons)
    m = base_map(s, w, n, e, title="corridors · assignment flows")
    largest = max((r["trucks_per_day"] for _, r in routes), default=0.0)
    flows = folium.FeatureGroup(name="flows (width ∝ √trucks/day)", show=True)
    for od, r in sorted(routes, key=lambda x: -x[1]["trucks_per_day"]):
        tip = (
            f"{html.escape(od['od'])}: {html.escape(od['origin'])} → "
            f"{html.escape(od['destination'])}, {r['trucks_per_day']:,.1f} trucks/day "
            f"({r['share']:.0%}) via {html.escape(', '.join(r['posts']) or 'no border')}"
        )
        for line in r["geometry"]["coordinates"]:
            if len(line) < 2:
                continue
            folium.PolyLine(
                [(p[1], p[0]) for p in line],
                color=_FLOW_COLOUR,
                weight=_width(r["trucks_per_day"], largest),
                opacity=0.55,
                tooltip=tip,
            ).add_to(flows)
    flows.add_to(m)
    posts = folium.FeatureGroup(name="border posts (colour = utilisation)", show=True)
    for p in assignment["posts"]:
        if p.get("lat") is None or p["trucks_per_day"] <= 0:
            continue
        util = p["utilisation"]
        cap = (
            f"{p['capacity_per_day']:,.0f} {html.escape(str(p['capacity_unit']))}"
            if p["capacity_per_day"]
            else "not published (uncapacitated)"
        )
        popup = (
            f"<b>{html.escape(p['name'])}</b> ({html.escape(p['mode'])})<br>"
            f"{p['trucks_per_day']:,.1f} trucks/day, {p['trucks_per_year']:,.0f}/yr<br>"
            f"capacity: {cap}<br>"
            f"utilisation: {'-' if util is None else f'{util:.0%}'}<br>"
            f"added waiting: {p['added_wait_hours']:,.1f} h<br>"
            f"<small>{html.escape(p['capacity_source'])}</small>"
        )
        folium.CircleMarker(
            (p["lat"], p["lon"]),
            radius=7,
            color="#222222",
            weight=1,
            fill=True,
            fill_color=utilisation_colour(util),
            fill_opacity=0.9,
            popup=folium.Popup(popup, max_width=320),
            tooltip=f"{p['name']}: {'-' if util is None else f'{util:.0%}'}",
        ).add_to(posts)
    posts.add_to(m)
    t = assignment["totals"]
    legend = (
        "<b>Assignment</b> "
        f"{html.escape(str(assignment['settings'].get('departure', '')))}<br>"
        f"{t['trucks_per_day_assigned']:,.0f} trucks/day · waiting "
        f"{t['waiting_truck_hours_per_year']:,.0f} truck-h/yr<br>"
        + "".join(
            f"<span style='color:{c}'>●</span> {label}<br>"
            for c, label in (
                (UTILISATION_COLOURS[0][1], "below 70 % of capacity"),
                (UTILISATION_COLOURS[1][1], "70–100 %"),
                (UTILISATION_COLOURS[2][1], "above capacity"),
                (_NO_CAPACITY, "no published capacity"),
            )
        )
        + f"<small>{html.escape(ATTRIBUTION)}</small>"
    )
    CorridorsCall("addPanel", "bottomright", "corridors-legend", legend).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    m.fit_bounds([[s, w], [n, e]])
    return m
