"""The network container and its file format."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from geodata.errors import DataError
from geodata.network import Network, default_network_path
from geodata.schema import EDGE_MODES


def test_embedded_network_round_trip(network: Network, tmp_path: Path) -> None:
    out = tmp_path / "n.npz"
    digest = network.save(out)
    assert digest == network.content_hash
    again = Network.load(out)
    assert again.content_hash == network.content_hash
    assert again.n_edges == network.n_edges
    # same content, same bytes (fixed zip timestamps)
    out2 = tmp_path / "m.npz"
    again.save(out2)
    assert out.read_bytes() == out2.read_bytes()


def test_embedded_network_is_small_and_attributed(network: Network) -> None:
    assert default_network_path().stat().st_size < 20 * 1024 * 1024
    assert "© OpenStreetMap contributors" in network.meta["attribution"]
    assert network.meta["licence"].startswith("ODbL")
    for src in network.meta["sources"].values():
        assert len(src["sha256"]) == 64 and src["licence"] and src["version"]


def test_arrays_are_read_only(network: Network) -> None:
    with pytest.raises(ValueError):
        network.edge_length_km[0] = 1.0


def test_edge_lengths_are_positive_except_zero_length_links(network: Network) -> None:
    lines = np.isin(network.edge_mode, [EDGE_MODES.index(m) for m in ("road", "rail", "sea")])
    conn = np.asarray(network.strings)[network.edge_class] == "connector"
    assert (network.edge_length_km[lines & ~conn] > 0).all()
    assert (network.edge_length_km >= 0).all()


def test_geometry_ends_at_the_edge_nodes(network: Network) -> None:
    rng = np.random.default_rng(1)
    for i in rng.choice(network.n_edges, 300, replace=False):
        g = network.edge_geometry(int(i))
        u, v = network.edge_u[i], network.edge_v[i]
        pu = (network.node_lon[u], network.node_lat[u])
        pv = (network.node_lon[v], network.node_lat[v])
        tol = 2.0 / 100_000  # two quanta of the stored geometry (about 2 m)
        assert np.allclose(g[0], pu, atol=tol) and np.allclose(g[-1], pv, atol=tol)


def test_not_a_network_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.npz"
    bad.write_text("hello")
    with pytest.raises(DataError, match="not a corridors network file"):
        Network.load(bad)
    with pytest.raises(DataError, match="not found"):
        Network.load(tmp_path / "missing.npz")


def test_other_schema_version_is_refused(network: Network, tmp_path: Path) -> None:
    out = tmp_path / "n.npz"
    network.save(out)
    doc = json.loads(zipfile.ZipFile(out).read("document.json"))
    doc["schema_version"] = 99
    patched = tmp_path / "p.npz"
    with zipfile.ZipFile(out) as src, zipfile.ZipFile(patched, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "document.json":
                data = json.dumps(doc).encode()
            dst.writestr(item, data)
    with pytest.raises(DataError, match="schema 99"):
        Network.load(patched)


def test_to_networkx_keeps_modes_apart(network: Network) -> None:
    g = network.to_networkx()
    assert g.number_of_nodes() == network.n_nodes
    modes = {d["mode"] for _, _, d in g.edges(data=True)}
    assert modes == set(EDGE_MODES)
