"""The network: embedded default dataset, builders from raw sources and OSM, schema, loaders.

Importing the package is cheap; :func:`load_network` and :class:`Network` load numpy
on first use (the command line's ``--help`` must start fast).

>>> from geodata import load_network
>>> net = load_network()  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

__all__ = ["Network", "default_network_path", "load_network"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from geodata import network

        return getattr(network, name)
    raise AttributeError(f"module 'geodata' has no attribute {name!r}")
