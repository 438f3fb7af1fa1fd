"""A folium map of one route, from the route's plain-data form (``Route.to_dict()``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import folium

__all__ = ["ATTRIBUTION", "MODE_COLOURS", "route_map"]

MODE_COLOURS = {
    "road": "#d95f02",
    "rail": "#1b9e77",
    "ferry": "#7570b3",
    "sea": "#1f78b4",
    "transfer": "#666666",
    "border": "#e7298a",
}
ATTRIBUTION = (
    "© OpenStreetMap contributors (ODbL) · © MapTiler · Made with Natural Earth · searoute"
)


def route_map(route: dict[str, Any], *, tiles: str | None = "OpenStreetMap") -> folium.Map:
    """Draw a route: one polyline per leg coloured by mode, markers at the ends and borders.

    Parameters
    ----------
    route
        The dictionary of :meth:`corridors.planner.Route.to_dict`.
    tiles
        A folium tile layer name, or None for a plain background.

    Returns
    -------
    folium.Map
    """
    import folium

    coords = route["geometry"]["coordinates"]
    lats = [lat for line in coords for _, lat in line]
    lons = [lon for line in coords for lon, _ in line]
    m = folium.Map(tiles=None, control_scale=True)
    if tiles:
        folium.TileLayer(tiles, attr=ATTRIBUTION, name="basemap").add_to(m)
    layer = folium.FeatureGroup(name=f"{route['origin']} → {route['destination']}")
    for leg, line in zip(route["legs"], coords, strict=True):
        dashed = leg.get("status") not in (None, "operational")
        tip = (
            f"{leg['mode']} · {leg['from']} → {leg['to']} · {leg['country']} · "
            f"{leg['distance_km']:.0f} km · {leg['hours']:.1f} h"
        )
        folium.PolyLine(
            [(lat, lon) for lon, lat in line],
            color=MODE_COLOURS.get(leg["mode"], "#000000"),
            weight=5 if leg["mode"] != "border" else 8,
            dash_array="8 8" if dashed else None,
            tooltip=tip,
        ).add_to(layer)
        if leg["mode"] == "border":
            lon, lat = line[0]
            folium.Marker(
                (lat, lon),
                tooltip=(
                    f"{leg.get('post', 'border')} ({leg['country']} → {leg.get('to_country', '')})"
                ),
                icon=folium.Icon(color="red", icon="flag"),
            ).add_to(layer)
    for place, colour in ((route["origin_place"], "green"), (route["destination_place"], "blue")):
        folium.Marker(
            (place["lat"], place["lon"]), tooltip=place["name"], icon=folium.Icon(color=colour)
        ).add_to(layer)
    layer.add_to(m)
    cost = f"USD {route['cost_usd']:,.0f} · " if "cost_usd" in route else ""
    regimes = ", ".join(route.get("regimes", []))
    summary = (
        f"<b>{route['origin']} → {route['destination']}</b><br>"
        f"{cost}{route['distance_km']:,.0f} km · {route['hours']:,.1f} h "
        f"({route['objective']})<br>{regimes}<br><small>{ATTRIBUTION}</small>"
    )
    m.get_root().html.add_child(
        folium.Element(
            '<div style="position:fixed;bottom:20px;left:20px;z-index:9999;background:white;'
            f'padding:6px 10px;border:1px solid #888;font:12px sans-serif">{summary}</div>'
        )
    )
    folium.LayerControl().add_to(m)
    if lats:
        m.fit_bounds([(min(lats), min(lons)), (max(lats), max(lons))])
    return m
