"""Tests for :mod:`geodata.osm_import` on a real OSM XML fixture and tiny files built here.

Expected values are recomputed from the XML with ElementTree, pyproj and networkx, never with
osmnx, so the tests check osmnx's parsing, simplification and our de-duplication.
"""

from __future__ import annotations

import bz2
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest
from pyproj import Geod

from geodata.errors import InvalidInputError, SourceMissingError
from geodata.osm_import import (
    ALLOWED_HIGHWAY_CLASSES,
    COLUMNS,
    DEFAULT_HIGHWAY_CLASSES,
    _fold_class,
    read_osm_roads,
)

FIXTURE = Path(__file__).parent / "fixtures" / "gwadar_roads.osm"
REPO = Path(__file__).resolve().parents[2]
GEOD = Geod(ellps="WGS84")


# --- an independent reading of the fixture -------------------------------------------------


def _parse(path: Path) -> tuple[dict[int, tuple[float, float]], list[tuple[int, list[int], str]]]:
    """Return nodes ``{id: (lon, lat)}`` and ways ``[(id, node ids, highway)]`` of an OSM file."""
    root = ET.parse(path).getroot()
    nodes = {
        int(n.get("id")): (float(n.get("lon")), float(n.get("lat"))) for n in root.iter("node")
    }
    ways = []
    for w in root.iter("way"):
        tags = {t.get("k"): t.get("v") for t in w.iter("tag")}
        refs = [int(nd.get("ref")) for nd in w.iter("nd")]
        ways.append((int(w.get("id")), refs, tags["highway"]))
    return nodes, ways


def _selected(classes: tuple[str, ...]) -> tuple[dict, list[tuple[int, list[int], str]]]:
    nodes, ways = _parse(FIXTURE)
    return nodes, [w for w in ways if w[2].removesuffix("_link") in classes]


def _way_graph(ways: list[tuple[int, list[int], str]]) -> nx.Graph:
    g = nx.Graph()
    for _, refs, _ in ways:
        nx.add_path(g, refs)
    return g


def _segment_graph(gdf: pd.DataFrame) -> nx.Graph:
    """Graph whose nodes are the segments' vertices (exact coordinates)."""
    g = nx.Graph()
    for geom in gdf.geometry:
        nx.add_path(g, [tuple(c) for c in geom.coords])
    return g


@pytest.fixture(scope="module")
def roads() -> pd.DataFrame:
    return read_osm_roads(FIXTURE)


@pytest.fixture(scope="module")
def roads_with_tertiary() -> pd.DataFrame:
    return read_osm_roads(FIXTURE, highway_classes=ALLOWED_HIGHWAY_CLASSES)


# --- the fixture ---------------------------------------------------------------------------


def test_fixture_is_small_real_osm_xml() -> None:
    assert FIXTURE.stat().st_size < 200_000
    root = ET.parse(FIXTURE).getroot()
    assert root.tag == "osm"
    assert root.get("version") == "0.6"
    assert root.find("bounds") is not None
    _, ways = _parse(FIXTURE)
    assert {h for *_, h in ways} == {"motorway", "trunk", "primary", "secondary", "tertiary"}
    assert sum(h == "tertiary" for *_, h in ways) == 1


# --- output schema -------------------------------------------------------------------------


def test_columns_dtypes_crs(roads: pd.DataFrame) -> None:
    assert list(roads.columns) == list(COLUMNS)
    assert roads.crs is not None
    assert roads.crs.to_epsg() == 4326
    assert roads.geometry.name == "geometry"
    assert (roads.geom_type == "LineString").all()
    for col in ("class", "ref", "name", "osmid", "source"):
        assert pd.api.types.is_string_dtype(roads[col]), col
        assert roads[col].map(type).eq(str).all(), col
    assert (roads["source"] == "user_osm_xml:gwadar_roads.osm").all()
    # lon/lat order: the fixture is in Pakistan (lon 62..68, lat 24..30)
    minx, miny, maxx, maxy = roads.total_bounds
    assert 61 < minx < maxx < 68
    assert 24 < miny < maxy < 30
    assert list(roads.index) == list(range(len(roads)))


def test_ref_name_osmid_values(roads: pd.DataFrame) -> None:
    assert "N-10" in set(roads["ref"])
    assert "" in set(roads["ref"])  # untagged roads give "" not NaN
    assert "Gwadar Port Road" in ";".join(roads["name"])
    _, selected = _selected(DEFAULT_HIGHWAY_CLASSES)
    way_ids = {str(w[0]) for w in selected}
    ids_in_rows = {i for s in roads["osmid"] for i in s.split(";")}
    assert ids_in_rows == way_ids  # every selected way is used, nothing else


# --- class filter --------------------------------------------------------------------------


def test_default_classes_drop_tertiary(roads: pd.DataFrame) -> None:
    assert set(roads["class"]) == set(DEFAULT_HIGHWAY_CLASSES)


def test_tertiary_kept_when_asked(roads: pd.DataFrame, roads_with_tertiary: pd.DataFrame) -> None:
    tertiary = roads_with_tertiary[roads_with_tertiary["class"] == "tertiary"]
    assert len(tertiary) == 1
    assert len(roads_with_tertiary) == len(roads) + 1
    # the tertiary continues a primary road: it must stay a segment of its own
    nodes, ways = _parse(FIXTURE)
    (refs,) = [r for _, r, h in ways if h == "tertiary"]
    expected = GEOD.line_length(*zip(*(nodes[n] for n in refs), strict=True))
    assert GEOD.geometry_length(tertiary.geometry.iloc[0]) == pytest.approx(expected, rel=1e-6)


def test_subset_of_classes() -> None:
    gdf = read_osm_roads(FIXTURE, highway_classes=["trunk"])
    assert set(gdf["class"]) == {"trunk"}
    assert set(read_osm_roads(FIXTURE, highway_classes="secondary")["class"]) == {"secondary"}


# --- geometry ------------------------------------------------------------------------------


@pytest.mark.parametrize("classes", [DEFAULT_HIGHWAY_CLASSES, ALLOWED_HIGHWAY_CLASSES])
def test_lengths_match_source(classes: tuple[str, ...]) -> None:
    gdf = read_osm_roads(FIXTURE, highway_classes=classes)
    nodes, selected = _selected(classes)
    expected = sum(
        GEOD.line_length(*zip(*(nodes[n] for n in refs), strict=True)) for _, refs, _ in selected
    )
    got = sum(GEOD.geometry_length(g) for g in gdf.geometry)
    assert got == pytest.approx(expected, rel=0.01)
    assert got == pytest.approx(expected, rel=1e-6)  # in fact nothing is lost or doubled


def test_no_reverse_duplicates(roads: pd.DataFrame) -> None:
    keys = [frozenset((tuple(g.coords), tuple(g.coords)[::-1])) for g in roads.geometry]
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize("classes", [DEFAULT_HIGHWAY_CLASSES, ALLOWED_HIGHWAY_CLASSES])
def test_junctions_survive(classes: tuple[str, ...]) -> None:
    gdf = read_osm_roads(FIXTURE, highway_classes=classes)
    nodes, selected = _selected(classes)
    ways = _way_graph(selected)
    segments = _segment_graph(gdf)
    # Gwadar N-10 with its primary, Gwadar port roads (their link to the N-10 is a smaller road,
    # not in the source), Karachi Lyari Expressway interchange, Kolpur N-65: four networks
    assert nx.number_connected_components(ways) == 4
    assert nx.number_connected_components(segments) == nx.number_connected_components(ways)
    # every junction of the source (3+ neighbours) is an end of the segments that meet there
    ends = {c for g in gdf.geometry for c in (g.coords[0], g.coords[-1])}
    junctions = [n for n, deg in ways.degree if deg >= 3]
    assert junctions
    assert {nodes[n] for n in junctions} <= ends


# --- tiny files built here -----------------------------------------------------------------


def _write_osm(path: Path, nodes: dict[int, tuple[float, float]], ways: list[tuple]) -> Path:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    lines += [f'<node id="{i}" lat="{lat}" lon="{lon}"/>' for i, (lon, lat) in nodes.items()]
    for way_id, refs, tags in ways:
        lines.append(f'<way id="{way_id}">')
        lines += [f'<nd ref="{r}"/>' for r in refs]
        lines += [f'<tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        lines.append("</way>")
    lines.append("</osm>")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


TINY_NODES = {i: (62.0 + 0.01 * i, 25.0) for i in range(1, 8)} | {8: (62.03, 25.01)}


def test_links_fold_into_class_and_lists_join(tmp_path: Path) -> None:
    # 1-2-3 trunk N-10 + 3-4 one-way trunk_link N-85: one trunk segment 1..4 (one row, not
    # two directions); 4-5 tertiary: dropped; 5-6-7 primary_link: a primary segment
    ways = [
        (101, [1, 2, 3], {"highway": "trunk", "ref": "N-10", "name": "Makran"}),
        (102, [3, 4], {"highway": "trunk_link", "ref": "N-85", "oneway": "yes"}),
        (103, [4, 5], {"highway": "tertiary"}),
        (104, [5, 6, 7], {"highway": "primary_link"}),
    ]
    gdf = read_osm_roads(_write_osm(tmp_path / "tiny.osm", TINY_NODES, ways))
    assert list(gdf["class"]) == ["trunk", "primary"]
    trunk, primary = gdf.iloc[0], gdf.iloc[1]
    assert trunk["osmid"] == "101;102"
    assert trunk["ref"] == "N-10;N-85"
    assert trunk["name"] == "Makran"
    assert len(trunk.geometry.coords) == 4
    assert primary["osmid"] == "104"
    assert primary["ref"] == primary["name"] == ""


def test_straight_edge_without_osmnx_geometry(tmp_path: Path) -> None:
    # 3 is a junction, so 2-3 and 3-8 stay unmerged two-node edges (osmnx gives no geometry)
    ways = [
        (201, [1, 2, 3, 4], {"highway": "primary"}),
        (202, [3, 8], {"highway": "secondary"}),
    ]
    gdf = read_osm_roads(_write_osm(tmp_path / "t.osm", TINY_NODES, ways))
    assert len(gdf) == 3
    secondary = gdf[gdf["class"] == "secondary"].geometry.iloc[0]
    assert {secondary.coords[0], secondary.coords[-1]} == {TINY_NODES[3], TINY_NODES[8]}


def test_ring_road_is_kept(tmp_path: Path) -> None:
    # an isolated closed way: osmnx.simplify_graph would delete it with remove_rings=True
    ways = [(301, [1, 2, 8, 1], {"highway": "primary", "name": "Ring"})]
    gdf = read_osm_roads(_write_osm(tmp_path / "ring.osm", TINY_NODES, ways))
    expected = GEOD.line_length(*zip(*(TINY_NODES[n] for n in (1, 2, 8, 1)), strict=True))
    assert sum(GEOD.geometry_length(g) for g in gdf.geometry) == pytest.approx(expected)
    assert set(gdf["name"]) == {"Ring"}


def test_bz2_is_read(tmp_path: Path, roads: pd.DataFrame) -> None:
    path = tmp_path / "gwadar_roads.osm.bz2"
    path.write_bytes(bz2.compress(FIXTURE.read_bytes()))
    gdf = read_osm_roads(path)
    assert len(gdf) == len(roads)
    assert (gdf["source"] == "user_osm_xml:gwadar_roads.osm.bz2").all()


def test_osmnx_settings_restored(monkeypatch: pytest.MonkeyPatch) -> None:
    import osmnx as ox

    monkeypatch.setattr(ox.settings, "useful_tags_way", ["highway"])
    gdf = read_osm_roads(FIXTURE, highway_classes=["trunk"])
    assert set(gdf["ref"]) == {"N-10", "N-65"}  # ref was read although not configured
    assert ox.settings.useful_tags_way == ["highway"]


def test_import_does_not_load_osmnx() -> None:
    code = "import sys, geodata.osm_import; sys.exit('osmnx' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=REPO, check=False).returncode == 0


def test_fold_class_lists() -> None:
    classes = DEFAULT_HIGHWAY_CLASSES
    assert _fold_class("motorway_link", classes) == "motorway"
    assert _fold_class(["trunk", "trunk_link"], classes) == "trunk"
    assert _fold_class(["primary", "tertiary"], classes) is None
    assert _fold_class("tertiary", classes) is None
    assert _fold_class(None, classes) is None


# --- bad input -----------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.osm"
    with pytest.raises(SourceMissingError, match=r"nowhere\.osm") as info:
        read_osm_roads(path)
    assert isinstance(info.value, FileNotFoundError)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("notes.osm", "this is not XML at all\n"),
        ("empty.osm", ""),
        ("page.osm", "<html><body><p>not OSM</p></body></html>"),
        ("binary.osm.pbf", "\x00\x01\x02\xff" * 10),
        ("broken.osm.bz2", "not really bz2"),
    ],
)
def test_not_osm_xml(tmp_path: Path, name: str, content: str) -> None:
    path = tmp_path / name
    path.write_bytes(content.encode("latin-1"))
    with pytest.raises(InvalidInputError) as info:
        read_osm_roads(path)
    message = str(info.value)
    assert name in message
    assert "motorway/trunk/primary/secondary" in message
    assert "\n" not in message


def test_no_matching_roads(tmp_path: Path) -> None:
    ways = [
        (1, [1, 2, 3], {"highway": "residential"}),
        (2, [3, 4], {"waterway": "river"}),
    ]
    path = _write_osm(tmp_path / "town.osm", TINY_NODES, ways)
    with pytest.raises(InvalidInputError, match=r"town\.osm.*motorway, trunk, primary") as info:
        read_osm_roads(path)
    assert "residential" in str(info.value)
    # the same file with residential asked for is still an error: it is not an allowed class
    with pytest.raises(InvalidInputError, match="allowed: motorway, trunk"):
        read_osm_roads(path, highway_classes=["residential"])


def test_way_with_missing_node(tmp_path: Path) -> None:
    ways = [(1, [1, 2, 99], {"highway": "primary"})]
    path = _write_osm(tmp_path / "clipped.osm", TINY_NODES, ways)
    with pytest.raises(InvalidInputError, match=r"clipped\.osm"):
        read_osm_roads(path)


@pytest.mark.parametrize("classes", [["highway"], ["primary", "motorway_link"], ["Trunk"]])
def test_unknown_class(classes: list[str]) -> None:
    with pytest.raises(InvalidInputError) as info:
        read_osm_roads(FIXTURE, highway_classes=classes)
    message = str(info.value)
    assert "unknown highway class" in message
    assert "allowed: " + ", ".join(ALLOWED_HIGHWAY_CLASSES) in message


def test_no_class() -> None:
    with pytest.raises(InvalidInputError, match="no highway class"):
        read_osm_roads(FIXTURE, highway_classes=[])


def test_class_checked_before_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="unknown highway class"):
        read_osm_roads(tmp_path / "nowhere.osm", highway_classes=["path"])
