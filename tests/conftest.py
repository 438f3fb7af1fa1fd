"""Shared fixtures: the embedded network and a planner on it, loaded once per session."""

from __future__ import annotations

import pytest

from corridors.planner import Planner
from geodata.network import Network, load_network


@pytest.fixture(scope="session")
def network() -> Network:
    return load_network()


#: Cost models the session's planner keeps (~100 MB each): the suite asks for ~60 over the
#: session (measured), mostly a test module at a time, so the least recently used go rather
#: than holding every one to the end (measured: 12.9 GB peak that way, 9.4 GB with 24, the
#: suite's time unchanged).
SESSION_MODELS = 24


@pytest.fixture(scope="session")
def planner(network: Network) -> Planner:
    return Planner(network, max_models=SESSION_MODELS)
