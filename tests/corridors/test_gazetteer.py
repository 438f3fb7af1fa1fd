"""Place look-up: names, alternate spellings, LOCODEs, coordinates, kinds and errors."""

from __future__ import annotations

import pytest

from corridors.gazetteer import PlaceIndex, parse_latlon
from geodata.errors import InvalidInputError, UnknownPlaceError


@pytest.fixture(scope="module")
def index(network) -> PlaceIndex:
    return PlaceIndex(network)


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ("Tashkent", "tashkent"),
        ("toshkent", "tashkent"),
        ("ALMA-ATA", "almaty"),
        ("Mazar", "mazar-i-sharif"),
        ("PKKHI", "karachi-port"),
        ("pkgwd", "gwadar-port"),
    ],
)
def test_resolve_names_aliases_and_locodes(index, query, key) -> None:
    assert index.resolve(query).key == key


def test_unknown_place_suggests_nearest_names(index) -> None:
    with pytest.raises(UnknownPlaceError) as exc:
        index.resolve("Tashkentt")
    assert "Tashkent" in exc.value.suggestions
    assert "did you mean" in str(exc.value)


def test_coordinates_snap_with_distance(index, network) -> None:
    p = index.resolve("41.31,69.28")
    assert set(p.nodes) == {"road", "rail"}
    assert 0 <= p.snap_km["road"] < 5
    node = p.nodes["road"]
    assert network.node_record(node)["mode"] == "road"


def test_coordinates_far_from_network_are_refused(index) -> None:
    with pytest.raises(InvalidInputError, match="from the network"):
        index.resolve("0.0,0.0")


@pytest.mark.parametrize("bad", ["41.3,abc", "41.3,", "95,69", "41,200"])
def test_malformed_or_out_of_range_coordinates(index, bad) -> None:
    with pytest.raises(InvalidInputError):
        index.resolve(bad)


def test_parse_latlon_ignores_names() -> None:
    assert parse_latlon("Karachi") is None
    assert parse_latlon(" 24.8, 67.0 ") == (24.8, 67.0)


def test_search_by_kind_and_country(index) -> None:
    ports = index.search(kind="port", country="PAK")
    assert {"karachi-port", "port-qasim", "gwadar-port"} <= {p.key for p in ports}
    borders = index.search(kind="border")
    assert len(borders) == 23
    assert all(p.kind == "border" for p in borders)
    with pytest.raises(InvalidInputError):
        index.search(kind="airport")
    with pytest.raises(InvalidInputError):
        index.search(country="Pakistan")


def test_places_snap_to_major_components_only(index, network) -> None:
    major = index._major
    for p in index.places:
        for mode, node in p.nodes.items():
            if mode in ("road", "rail"):
                assert major[node], (p.key, mode)
