"""The network: embedded default dataset, builders from raw sources and OSM, schema, loaders.

>>> from geodata import load_network
>>> net = load_network()  # doctest: +SKIP
"""

from geodata.network import Network, default_network_path, load_network

__all__ = ["Network", "default_network_path", "load_network"]
