"""corridors: an open freight-corridor planner for Central Asia and the Arabian Sea.

The public facade.  Importing this package is cheap: the network and the heavy
libraries load on first use.

>>> import corridors
>>> r = corridors.route("Tashkent", "Karachi")  # doctest: +SKIP
>>> m = corridors.matrix(["Tashkent", "Almaty"], ["PKKHI", "IRBND"])  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from geodata.errors import (
    CorridorError,
    DataError,
    InvalidInputError,
    NoRouteError,
    SourceMissingError,
    UnknownPlaceError,
)

__version__ = "0.1.0"

__all__ = [
    "CorridorError",
    "DataError",
    "InvalidInputError",
    "NoRouteError",
    "SourceMissingError",
    "UnknownPlaceError",
    "__version__",
    "matrix",
    "places",
    "route",
]


def route(origin: str, destination: str, **kwargs: Any) -> Any:
    """Find a route; see :func:`corridors.planner.route`."""
    from corridors.planner import route as _route

    return _route(origin, destination, **kwargs)


def matrix(origins: Sequence[str], destinations: Sequence[str], **kwargs: Any) -> Any:
    """Cost, time and distance for every origin × destination; see
    :func:`corridors.planner.matrix`."""
    from corridors.planner import matrix as _matrix

    return _matrix(origins, destinations, **kwargs)


def places(text: str | None = None, **kwargs: Any) -> Any:
    """Search the embedded network's places; see :meth:`corridors.gazetteer.PlaceIndex.search`."""
    from corridors.gazetteer import PlaceIndex
    from geodata.network import load_network

    return PlaceIndex(load_network()).search(text, **kwargs)
