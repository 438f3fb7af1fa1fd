"""Shared fixtures: the embedded network and a planner on it, loaded once per session."""

from __future__ import annotations

import pytest

from corridors.planner import Planner
from geodata.network import Network, load_network


@pytest.fixture(scope="session")
def network() -> Network:
    return load_network()


@pytest.fixture(scope="session")
def planner(network: Network) -> Planner:
    return Planner(network)
