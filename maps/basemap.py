"""The always-present vector basemap: Natural Earth countries and capitals, shipped in the package.

It is drawn in a pane beneath Leaflet's tile pane, so an optional online tile layer covers it
when a user switches one on, and it needs no network at all.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from importlib import resources
from typing import Any

import folium

from maps._elements import CorridorsCall

__all__ = [
    "BASEMAP_ATTRIBUTION",
    "add_basemap",
    "basemap_bounds",
    "load_basemap",
]

BASEMAP_ATTRIBUTION = "Made with Natural Earth"


@cache
def _basemap_text() -> str:
    return (resources.files("maps") / "data" / "basemap.geojson").read_text(encoding="utf-8")


def load_basemap() -> dict[str, Any]:
    """The basemap FeatureCollection (country polygons with label points, capital points)."""
    return json.loads(_basemap_text())


def basemap_bounds() -> list[list[float]]:
    """[[south, west], [north, east]] of the basemap's country data."""
    w, s, e, n = load_basemap()["bbox"]
    return [[s, w], [n, e]]


def add_basemap(m: folium.Map, *, highlight: Iterable[str] = ()) -> CorridorsCall:
    """Draw the basemap on ``m`` (after :func:`maps.route_map.setup_map`).

    Parameters
    ----------
    m
        The map.
    highlight
        ISO3 codes of countries to draw brighter (e.g. those a route crosses).
    """
    data = load_basemap()
    opts = {
        "highlight": sorted(set(highlight)),
        "extent": basemap_bounds(),
        "attribution": BASEMAP_ATTRIBUTION,
    }
    call = CorridorsCall("addBasemap", data, opts)
    call.add_to(m)
    return call
