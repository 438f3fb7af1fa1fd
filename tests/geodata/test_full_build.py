"""Where the raw sources are present (``../shared/data``), rebuilding reproduces the
embedded network exactly: same content hash.  This checks reproducibility and that the
committed network is up to date with the builder and its data files.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from geodata.build import build_network
from geodata.network import Network

SOURCES = Path(__file__).resolve().parents[2].parent / "shared" / "data"


@pytest.mark.fullbuild
@pytest.mark.skipif(not SOURCES.is_dir(), reason=f"raw sources not present at {SOURCES}")
def test_rebuild_reproduces_the_embedded_network(network: Network) -> None:
    rebuilt = build_network(SOURCES)
    assert rebuilt.n_nodes == network.n_nodes
    assert rebuilt.n_edges == network.n_edges
    assert rebuilt.content_hash == network.content_hash
