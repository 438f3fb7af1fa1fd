"""Folium rendering of networks and routes.  ``maps`` only draws what it is given.

Every map is self-contained: Leaflet and the helpers are inlined, the Natural Earth basemap
is packaged, and online tiles are an optional layer (see :mod:`maps.offline`).
"""

from maps.compare_map import compare_map
from maps.network_map import network_features, network_map
from maps.offline import OfflineAssetError, OfflineMap, external_references
from maps.route_map import ATTRIBUTION, MODE_COLOURS, route_features, route_map, route_maps

__all__ = [
    "ATTRIBUTION",
    "MODE_COLOURS",
    "OfflineAssetError",
    "OfflineMap",
    "compare_map",
    "external_references",
    "network_features",
    "network_map",
    "route_features",
    "route_map",
    "route_maps",
]
