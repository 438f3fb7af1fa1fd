"""Short excursions of a detailed road across an approximate boundary stay in its country."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from pyproj import Geod
from shapely.geometry import LineString, box

from geodata.build import _border_excursions
from geodata.config import BuildConfig

# a 1 x 1 degree country "HOM" with a detailed extract; east of it "CRS", whose source is
# coarse (the excursions may go into it); south of it "DET", which has its own extract
POLYS = {
    "HOM": box(0.0, 0.0, 1.0, 1.0),
    "CRS": box(1.0, 0.0, 2.0, 1.0),
    "DET": box(0.0, -1.0, 1.0, 0.0),
}
MAX_KM = BuildConfig().border_excursion_km  # 10 km; 0.01 degree of latitude is ~1.1 km
GEOD = Geod(ellps="WGS84")


def _kept(*lines: LineString) -> list[np.ndarray]:
    gdf = gpd.GeoDataFrame(
        {"country": ["HOM"] * len(lines), "name": [f"road {i}" for i in range(len(lines))]},
        geometry=list(lines),
        crs="EPSG:4326",
    )
    out = _border_excursions(
        gdf, POLYS, ("HOM",), "country", lambda r: {"name": r[1]}, 1000.0, POLYS["CRS"], MAX_KM
    )
    assert set(out.country) <= {"HOM"}
    return out.coords


def test_a_road_that_leaves_briefly_and_comes_back_keeps_its_excursion() -> None:
    # along the border "river" at lon 1.0: 1 km across it, 7.6 km outside, then back
    road = LineString(
        [(0.9, 0.40), (1.0, 0.45), (1.01, 0.46), (1.01, 0.50), (1.0, 0.51), (0.9, 0.6)]
    )
    (piece,) = _kept(road)
    assert {tuple(piece[0]), tuple(piece[-1])} == {(1.0, 0.45), (1.0, 0.51)}
    outside = np.array([(1.0, 0.45), (1.01, 0.46), (1.01, 0.50), (1.0, 0.51)])
    km = GEOD.line_length(piece[:, 0], piece[:, 1]) / 1000.0
    assert km == pytest.approx(GEOD.line_length(outside[:, 0], outside[:, 1]) / 1000.0)
    assert km < MAX_KM


def test_an_excursion_drawn_as_several_source_lines_is_one_chain() -> None:
    # the Kemin case: the street names change along the road while it is outside
    a = LineString([(0.9, 0.40), (1.0, 0.45), (1.01, 0.46)])
    b = LineString([(1.01, 0.46), (1.01, 0.50)])
    c = LineString([(1.01, 0.50), (1.0, 0.51), (0.9, 0.6)])
    (piece,) = _kept(a, b, c)
    assert {tuple(piece[0]), tuple(piece[-1])} == {(1.0, 0.45), (1.0, 0.51)}


def test_a_road_that_runs_on_into_the_neighbour_is_not_kept() -> None:
    assert _kept(LineString([(0.9, 0.5), (1.5, 0.5)])) == []


def test_a_long_excursion_is_not_kept() -> None:
    # 0.2 degree (~22 km) north along the far side of the boundary
    road = LineString([(0.9, 0.4), (1.0, 0.4), (1.01, 0.41), (1.01, 0.6), (1.0, 0.61), (0.9, 0.7)])
    assert _kept(road) == []


def test_an_excursion_into_a_country_with_its_own_extract_is_not_kept() -> None:
    # the same short loop, south across the boundary into DET (not coarse)
    road = LineString(
        [(0.4, 0.1), (0.45, 0.0), (0.46, -0.01), (0.50, -0.01), (0.51, 0.0), (0.6, 0.1)]
    )
    assert _kept(road) == []
