"""Tests for :func:`geodata.build.build_network` on real excerpts of every raw source.

The sources are ``fixtures/mini_sources`` (see its README): real OSM, Natural Earth, searoute
and Caspian ferry data around Termez-Hairatan-Mazar-i-Sharif, Karachi, the Caspian ferry
ports, the Zhibek Zholy-Gisht Kuprik road crossing (KAZ-UZB) and the Panj (AFG-TJK).  The
network is built twice per module (the build takes a few seconds) and the places are those
of the package's ``places.csv`` that lie inside the excerpt's boxes.  Expected values are
recomputed independently: lengths with pyproj from the stored geometry, paths with networkx
and with a plain Dijkstra over the arrays, checksums with hashlib.
"""

from __future__ import annotations

import hashlib
import heapq
import importlib.util
import json
import re
import shutil
import tomllib
from dataclasses import asdict
from importlib import resources
from itertools import pairwise
from pathlib import Path
from types import ModuleType
from typing import Any

import networkx as nx
import numpy as np
import pytest
from pyproj import Geod

from geodata.build import build_network, read_places
from geodata.config import BuildConfig
from geodata.errors import InvalidInputError, SourceMissingError
from geodata.network import Network
from geodata.schema import EDGE_MODES, NODE_MODES, STATUSES
from geodata.sources import SOURCES

FIXTURES = Path(__file__).parent / "fixtures"
MINI = FIXTURES / "mini_sources"
SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
ADDITIONS = Path(str(resources.files("geodata") / "data" / "additions.toml"))
GEOD = Geod(ellps="WGS84")
HAIRATAN = "Hairatan–Termez (Friendship Bridge)"
ZHIBEK_ZHOLY = "Zhibek Zholy–Gisht Kuprik"


def _load_maker() -> ModuleType:
    """The fixture generator, imported from its file (it is not a package module)."""
    spec = importlib.util.spec_from_file_location(
        "make_mini_sources", FIXTURES / "make_mini_sources.py"
    )
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


MAKER = _load_maker()


def _in_boxes(p: dict[str, Any]) -> bool:
    return any(
        x0 <= p["lon"] <= x1 and y0 <= p["lat"] <= y1 for x0, y0, x1, y1 in MAKER.BOXES.values()
    )


# --- module fixtures: two builds of the same sources ----------------------------------------------


@pytest.fixture(scope="module")
def places() -> list[dict[str, Any]]:
    return [p for p in read_places() if _in_boxes(p)]


@pytest.fixture(scope="module")
def builds(places: list[dict[str, Any]]) -> tuple[Network, Network]:
    return build_network(MINI, places=places), build_network(MINI, places=places)


@pytest.fixture(scope="module")
def net(builds: tuple[Network, Network]) -> Network:
    return builds[0]


@pytest.fixture(scope="module")
def graph(net: Network) -> nx.MultiDiGraph:
    return net.to_networkx()


@pytest.fixture(scope="module")
def place(net: Network) -> dict[str, dict[str, Any]]:
    return {p["key"]: p for p in net.places}


# --- helpers --------------------------------------------------------------------------------------


def _rail_graph(g: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """Operational rail edges and the border edges between rail nodes."""
    keep = [
        (u, v, k)
        for u, v, k, d in g.edges(keys=True, data=True)
        if d["mode"] in ("rail", "border")
        and d["status"] == "operational"
        and g.nodes[u]["mode"] == g.nodes[v]["mode"] == "rail"
    ]
    return g.edge_subgraph(keep)


def _path_edges(g: nx.MultiDiGraph, path: list[int]) -> list[dict[str, Any]]:
    """The edge taken at each step of ``path`` (the shortest of parallel edges)."""
    return [min(g[a][b].values(), key=lambda d: d["length_km"]) for a, b in pairwise(path)]


def _dijkstra(net: Network, source: int, target: int) -> float:
    """Shortest rail distance straight from the arrays (no networkx), honouring ``oneway``."""
    rail = NODE_MODES.index("rail")
    modes = {EDGE_MODES.index("rail"), EDGE_MODES.index("border")}
    adj: dict[int, list[tuple[int, float]]] = {}
    for i in range(net.n_edges):
        u, v = int(net.edge_u[i]), int(net.edge_v[i])
        if (
            int(net.edge_mode[i]) not in modes
            or STATUSES[net.edge_status[i]] != "operational"
            or net.node_mode[u] != rail
            or net.node_mode[v] != rail
        ):
            continue
        w = float(net.edge_length_km[i])
        adj.setdefault(u, []).append((v, w))
        if not net.edge_oneway[i]:
            adj.setdefault(v, []).append((u, w))
    dist = {source: 0.0}
    heap = [(0.0, source)]
    while heap:
        d, u = heapq.heappop(heap)
        if u == target:
            return d
        if d > dist[u]:
            continue
        for v, w in adj.get(u, []):
            if d + w < dist.get(v, float("inf")):
                dist[v] = d + w
                heapq.heappush(heap, (d + w, v))
    raise AssertionError(f"no rail path from {source} to {target}")


def _border_edges(net: Network, klass: str, post: str) -> list[dict[str, Any]]:
    out = []
    for i in net.iter_edges("border"):
        rec = net.edge_record(i)
        if rec["class"] == klass and rec["post"] == post:
            rec["to_country"] = net.node_record(rec["v"])["country"]
            rec["index"] = i
            out.append(rec)
    return out


def _sha256(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


# --- the places -----------------------------------------------------------------------------------


def test_places_in_the_boxes(places: list[dict[str, Any]], place: dict[str, Any]) -> None:
    keys = {p["key"] for p in places}
    assert {
        "termez",
        "hairatan-termez",
        "hairatan-port",
        "naibabad-rail-terminal",
        "mazar-i-sharif",
        "karachi-port",
        "port-qasim",
        "alat-port",
        "baku-old-port",
        "turkmenbashi-port",
        "aktau-port",
        "kuryk-port",
        "zhibek-zholy-gisht-kuprik",
    } <= keys
    assert set(place) == keys  # every place given is recorded in the network


# --- Termez - Hairatan - Naibabad -----------------------------------------------------------------


def test_rail_termez_to_naibabad_crosses_at_hairatan(graph: nx.MultiDiGraph, place: dict) -> None:
    g = _rail_graph(graph)
    termez = place["termez"]["nodes"]["rail"]
    naibabad = place["naibabad-rail-terminal"]["nodes"]["rail"]
    for a, b, leave, enter in ((termez, naibabad, "UZB", "AFG"), (naibabad, termez, "AFG", "UZB")):
        path = nx.shortest_path(g, a, b, weight="length_km")
        steps = _path_edges(g, path)
        borders = [
            (d, u, v)
            for d, (u, v) in zip(steps, pairwise(path), strict=True)
            if d["mode"] == "border"
        ]
        assert len(borders) == 1
        d, u, v = borders[0]
        assert d["post"] == HAIRATAN
        assert d["oneway"] is True
        assert (graph.nodes[u]["country"], graph.nodes[v]["country"]) == (leave, enter)
        assert d["country"] == leave
        # published: 21 km Termez-Hairatan + 75 km Hairatan-Mazar-i-Sharif (Naibabad), see
        # additions.toml (trans-afghan-railway, length_derivation); the Termez city node is
        # the station nearest the city centre, a few km short of the line's start
        km = sum(s["length_km"] for s in steps)
        assert 85.0 <= km <= 100.0


def test_rail_border_pair_at_hairatan(net: Network) -> None:
    pair = _border_edges(net, "rail", HAIRATAN)
    assert {(e["country"], e["to_country"]) for e in pair} == {("UZB", "AFG"), ("AFG", "UZB")}
    assert len(pair) == 2
    a, b = pair
    assert (a["u"], a["v"]) == (b["v"], b["u"])
    for e in pair:
        assert e["oneway"] is True
        assert e["status"] == "operational"
        assert e["length_km"] < 0.01  # the two extracts meet on the bridge


def test_rail_gauge_1520_on_both_sides_of_hairatan(net: Network, graph: nx.MultiDiGraph) -> None:
    e = _border_edges(net, "rail", HAIRATAN)[0]
    sides: dict[str, set[int]] = {}
    for n in (e["u"], e["v"]):
        for _, _, d in graph.out_edges(n, data=True):
            if d["mode"] == "rail" and d["class"] != "connector":
                sides.setdefault(d["country"], set()).add(d["gauge_mm"])
    assert sides == {"UZB": {1520}, "AFG": {1520}}


def test_rail_path_is_all_1520(graph: nx.MultiDiGraph, place: dict) -> None:
    g = _rail_graph(graph)
    path = nx.shortest_path(
        g,
        place["termez"]["nodes"]["rail"],
        place["naibabad-rail-terminal"]["nodes"]["rail"],
        weight="length_km",
    )
    steps = _path_edges(g, path)
    # border links are zero-length connectors and carry no gauge (0); every track has 1,520 mm
    gauges = {d["gauge_mm"] for d in steps if d["mode"] == "rail" and d["class"] != "connector"}
    assert gauges == {1520}


def test_road_border_at_friendship_bridge(
    net: Network, graph: nx.MultiDiGraph, place: dict
) -> None:
    edges = _border_edges(net, "road", HAIRATAN)
    assert {(e["country"], e["to_country"]) for e in edges} == {("UZB", "AFG"), ("AFG", "UZB")}
    post = place["hairatan-termez"]
    for e in edges:
        assert e["oneway"] is True
        for n in (e["u"], e["v"]):
            rec = net.node_record(n)
            assert rec["mode"] == "road"
            km = GEOD.inv(rec["lon"], rec["lat"], post["lon"], post["lat"])[2] / 1000
            assert km < 2.0
    # every directed crossing has its reverse
    assert {(e["u"], e["v"]) for e in edges} == {(e["v"], e["u"]) for e in edges}
    # and the road network crosses there: Termez to Mazar-i-Sharif by road
    g = graph.edge_subgraph(
        [
            (u, v, k)
            for u, v, k, d in graph.edges(keys=True, data=True)
            if d["mode"] in ("road", "border") and graph.nodes[u]["mode"] == "road"
        ]
    )
    path = nx.shortest_path(
        g, place["termez"]["nodes"]["road"], place["mazar-i-sharif"]["nodes"]["road"], "length_km"
    )
    posts = [d["post"] for d in _path_edges(g, path) if d["mode"] == "border"]
    assert posts == [HAIRATAN]


def test_coarse_and_detailed_roads_meet_at_zhibek_zholy(
    net: Network, graph: nx.MultiDiGraph
) -> None:
    """The KAZ road (MapTiler z7 layer) joins the UZB road (tokenless z12) at the listed post."""
    edges = _border_edges(net, "road", ZHIBEK_ZHOLY)
    assert {(e["country"], e["to_country"]) for e in edges} == {("KAZ", "UZB"), ("UZB", "KAZ")}
    for e in edges:
        sources = {
            d["source"]
            for _, _, d in graph.out_edges(e["u"], data=True)
            if d["mode"] == "road" and d["class"] != "connector"
        }
        assert (
            sources
            == {
                "KAZ": {"osm_roads_kaz_chn_2021"},
                "UZB": {"osm_roads_2021"},
            }[e["country"]]
        )


def test_border_edges_are_consistent(net: Network) -> None:
    """Every border edge leaves the country it names, enters another, and has its reverse."""
    pairs = set()
    for i in net.iter_edges("border"):
        rec = net.edge_record(i)
        u, v = net.node_record(rec["u"]), net.node_record(rec["v"])
        assert rec["oneway"] is True
        assert u["mode"] == v["mode"] == rec["class"]
        assert rec["country"] == u["country"] != v["country"], (i, rec, u, v)
        assert rec["post"]
        pairs.add((rec["u"], rec["v"]))
    assert pairs == {(v, u) for u, v in pairs}
    # the Panj box has border slivers: pieces given to the neighbour must not leave a link
    # with stale sides behind (two adjacent slivers used to swap countries)
    assert net.meta["report"]["absorbed_border_slivers"] >= 1


def test_shortest_path_networkx_equals_own_dijkstra(
    net: Network, graph: nx.MultiDiGraph, place: dict
) -> None:
    g = _rail_graph(graph)
    termez = place["termez"]["nodes"]["rail"]
    naibabad = place["naibabad-rail-terminal"]["nodes"]["rail"]
    for a, b in ((termez, naibabad), (naibabad, termez)):
        nx_km = nx.shortest_path_length(g, a, b, weight="length_km")
        path = nx.shortest_path(g, a, b, weight="length_km")
        assert sum(d["length_km"] for d in _path_edges(g, path)) == pytest.approx(nx_km, abs=1e-9)
        assert _dijkstra(net, a, b) == pytest.approx(nx_km, abs=1e-9)


# --- ports, sea and ferries -----------------------------------------------------------------------


def test_karachi_port_joined_to_sea_and_land(
    net: Network, graph: nx.MultiDiGraph, place: dict
) -> None:
    cfg = BuildConfig()
    p = place["karachi-port"]
    pid = p["nodes"]["port"]
    assert net.node_record(pid)["mode"] == "port"
    assert (net.node_lon[pid], net.node_lat[pid]) == (p["lon"], p["lat"])
    links = {d["class"]: (v, d) for _, v, d in graph.out_edges(pid, data=True)}
    assert set(links) == {"port_access", "port_road", "port_rail"}
    sea, d = links["port_access"]
    assert d["mode"] == "sea"
    assert graph.nodes[sea]["mode"] == "sea"
    assert 0 < d["length_km"] <= cfg.port_sea_max_km
    assert any(e["source"] == "searoute_marnet" for _, _, e in graph.out_edges(sea, data=True))
    for klass, mode in (("port_road", "road"), ("port_rail", "rail")):
        n, d = links[klass]
        assert d["mode"] == "transfer"
        assert graph.nodes[n]["mode"] == mode
        assert n == p["nodes"][mode]
        assert d["length_km"] <= cfg.port_land_max_km
    # Karachi and Port Qasim are joined by sea
    sea_g = graph.edge_subgraph(
        [(u, v, k) for u, v, k, e in graph.edges(keys=True, data=True) if e["mode"] == "sea"]
    )
    assert nx.has_path(sea_g, pid, place["port-qasim"]["nodes"]["port"])


def test_caspian_ferries_between_port_nodes(net: Network, place: dict) -> None:
    port_of = {
        "Alat": "alat-port",
        "Baku": "baku-old-port",
        "Turkmenbashi": "turkmenbashi-port",
        "Kuryk": "kuryk-port",
        "Aktau": "aktau-port",
    }
    doc = json.loads((MINI / SOURCES["caspian_ferries"].path).read_text(encoding="utf-8"))
    expected = {
        f["properties"]["route"]: (
            {
                place[port_of[f["properties"]["from_port"]]]["nodes"]["port"],
                place[port_of[f["properties"]["to_port"]]]["nodes"]["port"],
            },
            f["properties"]["length_km"],
        )
        for f in doc["features"]
    }
    assert len(expected) == 4
    got = {}
    for i in net.iter_edges("ferry"):
        rec = net.edge_record(i)
        assert net.node_record(rec["u"])["mode"] == net.node_record(rec["v"])["mode"] == "port"
        assert rec["oneway"] is False
        assert rec["source"] == "caspian_ferries"
        got[rec["name"]] = ({rec["u"], rec["v"]}, rec["length_km"])
    assert got == expected


# --- lengths --------------------------------------------------------------------------------------


def test_lengths_agree_with_stored_geometry(net: Network) -> None:
    """Each edge's length equals the geodesic length of its stored geometry.

    Lengths are measured at build time on the noded vertices; the stored geometry keeps
    every vertex (osmnx only merges chains) but quantises it to 1e-5 degree.  Source vertices
    are already on that grid, so only the vertices inserted where a dangle is snapped onto a
    segment move, by at most half a quantum (0.79 m diagonally).  Such vertices are junctions,
    hence edge ends, so an edge's length can change by at most 2 x 0.79 m: measured here, at
    most 1.0 m on all edges (0.6 % on a 0.16 km edge, so a relative tolerance would have to
    be loose for short edges and would hide errors on long ones).  Ferries carry the source's
    ``length_km``, rounded to 0.1 km.  Addition lines are scaled to their cited length and are
    checked in ``test_additions_keep_cited_lengths`` instead.
    """
    quantum_km = 0.0016
    n_checked = 0
    for i in range(net.n_edges):
        rec = net.edge_record(i)
        if rec["source"].startswith("addition:"):
            continue
        c = net.edge_geometry(i)
        km = GEOD.line_length(c[:, 0], c[:, 1]) / 1000.0
        tol = quantum_km + (0.05 if rec["mode"] == "ferry" else 0.0)
        assert abs(km - rec["length_km"]) <= tol, (i, rec, km)
        n_checked += 1
    assert n_checked > 5000


def test_additions_keep_cited_lengths(net: Network) -> None:
    total: dict[str, float] = {}
    for i in range(net.n_edges):
        src = net.edge_record(i)["source"]
        if src.startswith("addition:"):
            key = src.removeprefix("addition:")
            total[key] = total.get(key, 0.0) + float(net.edge_length_km[i])
    with ADDITIONS.open("rb") as f:
        lines = tomllib.load(f)["line"]
    groups: dict[str, list[str]] = {}
    for a in lines:
        if a.get("group"):
            groups.setdefault(a["group"], []).append(a["key"])
        elif a["length_km"]:
            assert total[a["key"]] == pytest.approx(a["length_km"], rel=1e-9), a["key"]
    for keys in groups.values():
        cited = {a["group_length_km"] for a in lines if a["key"] in keys}
        assert len(cited) == 1
        assert sum(total[k] for k in keys) == pytest.approx(cited.pop(), rel=1e-9)


# --- provenance and report ------------------------------------------------------------------------


def test_provenance_names_every_source_with_checksum(net: Network) -> None:
    meta = net.meta
    assert set(meta["sources"]) == set(SOURCES)
    for key, s in SOURCES.items():
        rec = meta["sources"][key]
        assert rec["file"] == s.path
        assert rec["sha256"] == _sha256(MINI / s.path)
        assert rec["licence"] == s.licence
        assert rec["licence"]
        assert rec["attribution"] == s.attribution
    assert "OpenStreetMap" in meta["attribution"]
    assert meta["config"] == asdict(BuildConfig())


def test_report_counts_components_per_mode(net: Network, graph: nx.MultiDiGraph) -> None:
    report = net.meta["report"]
    for mode in ("road", "rail", "sea"):
        r = report[mode]
        assert r["components"] >= 1
        assert r["largest_components"] == sorted(r["largest_components"], reverse=True)
        assert sum(r["largest_components"]) <= r["vertices"]
        # simplification merges chains of vertices but never changes connectivity, so the
        # network's nodes of this mode fall into as many components as the noded vertices
        h = nx.Graph()
        h.add_nodes_from(n for n, d in graph.nodes(data=True) if d["mode"] == mode)
        h.add_edges_from(
            (u, v)
            for u, v, d in graph.edges(data=True)
            if d["mode"] in (mode, "border") and u in h and v in h
        )
        assert nx.number_connected_components(h) == r["components"], mode
    assert report["unmatched_border_posts"] == []


# --- reproducibility and file round trip ----------------------------------------------------------


def test_build_is_reproducible(builds: tuple[Network, Network], tmp_path: Path) -> None:
    a, b = builds
    assert a is not b
    assert a.content_hash == b.content_hash
    assert a.save(tmp_path / "a.npz") == a.content_hash
    assert b.save(tmp_path / "b.npz") == b.content_hash
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()


def test_save_load_round_trip(net: Network, tmp_path: Path) -> None:
    path = tmp_path / "net.npz"
    net.save(path)
    back = Network.load(path)
    assert back.content_hash == net.content_hash
    assert back.summary() == net.summary()
    np.testing.assert_array_equal(back.geom_coords, net.geom_coords)
    assert back.places == net.places


# --- errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", sorted(SOURCES))
def test_missing_source_file_is_named(key: str, tmp_path: Path) -> None:
    src = tmp_path / "sources"
    shutil.copytree(MINI, src)
    (src / SOURCES[key].path).unlink()
    with pytest.raises(SourceMissingError, match=re.escape(SOURCES[key].path)) as info:
        build_network(src)
    assert isinstance(info.value, FileNotFoundError)


@pytest.mark.parametrize("option", ["road_snap_m", "rail_snap_m", "border_snap_m", "sliver_km"])
def test_negative_tolerance_is_invalid(option: str) -> None:
    with pytest.raises(InvalidInputError, match=option):
        BuildConfig(**{option: -1.0})


# --- the fixture itself ---------------------------------------------------------------------------


def test_fixture_is_small() -> None:
    total = sum((MINI / s.path).stat().st_size for s in SOURCES.values())
    assert total < MAKER.MAX_BYTES


def test_build_does_not_depend_on_the_hash_seed(net: Network, places) -> None:
    """Sets of strings iterate in a seed-dependent order; the content must not follow it."""
    import os
    import subprocess
    import sys

    script = (
        "import json, sys; from geodata.build import build_network; "
        "places = json.load(sys.stdin); "
        f"print(build_network({str(MINI)!r}, places=places).content_hash)"
    )
    env = dict(os.environ, PYTHONHASHSEED="12345")
    out = subprocess.run(
        [sys.executable, "-c", script],
        input=json.dumps(places),
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=300,
    )
    assert out.stdout.strip() == net.content_hash


@pytest.mark.skipif(not SHARED.is_dir(), reason="needs the shared raw data")
def test_fixture_is_reproducible(tmp_path: Path) -> None:
    MAKER.make(SHARED, tmp_path)
    for s in SOURCES.values():
        assert (tmp_path / s.path).read_bytes() == (MINI / s.path).read_bytes(), s.path
