"""Folium rendering of networks and routes.  ``maps`` only draws what it is given."""

from maps.route_map import MODE_COLOURS, route_map

__all__ = ["MODE_COLOURS", "route_map"]
