"""Fixtures of the routing tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from geodata.network import Network
from geodata.schema import STATUSES
from routing import CostedGraph


@pytest.fixture(scope="session")
def operational_graph(network: Network) -> Callable[[], CostedGraph]:
    """A factory of fresh graphs of the network's operational edges, weighted by km."""

    def make() -> CostedGraph:
        usable = network.edge_status == STATUSES.index("operational")
        return CostedGraph(
            network.n_nodes,
            network.edge_u,
            network.edge_v,
            network.edge_oneway,
            network.edge_length_km,
            usable,
        )

    return make
