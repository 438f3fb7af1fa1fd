"""Validated, frozen parameters of a network build."""

from __future__ import annotations

from dataclasses import dataclass, fields

from geodata.errors import InvalidInputError

__all__ = ["BuildConfig"]


@dataclass(frozen=True)
class BuildConfig:
    """Parameters of :func:`geodata.build.build_network`.

    The tolerances follow the measurements in ``shared/data/README.md``: 1 km end snapping
    joined the two OSM road layers into one component holding 97 % of the nodes; the
    Natural Earth railways (KAZ, CHN) are generalised to about 1 km, hence a wider rail
    tolerance.  All distances are in the unit their name ends with.

    Attributes
    ----------
    road_snap_m, rail_snap_m, sea_snap_m
        How far a dangling line end is joined to another line of the same mode and country.
    border_snap_m
        How far a dangling end is joined to a line of a neighbouring country (the two sides
        come from extracts clipped at the Natural Earth boundary).
    road_bridge_m, rail_bridge_m
        How far apart two components of a mode may be and still be bridged once, by their
        shortest dangle-to-line gap (pieces missing from a source line).
    sliver_km
        Clipped pieces shorter than this are dropped (roads wandering across an
        approximate boundary would otherwise create false border crossings).
    border_sliver_km
        A piece of road or rail shorter than this, lying across an approximate boundary
        and touching only one neighbour, is given to that neighbour (no false crossings).
    border_excursion_km
        Where a road of a detailed extract (OSM 2021) leaves its country into Kazakhstan or
        China and comes back after less than this, the part outside is kept in its own
        country: those countries' coarse source has no copy of it, so dropping it would
        leave a gap that only a detour through the neighbour (two false crossings) could
        bridge.  10 km covers the 1:10m boundary's errors along border rivers (the
        Bishkek–Kemin road, ЭМ-07, leaves Kyrgyzstan for 5.2 km by the Chu at Kemin; in the
        2021 extracts only four such excursions exist, all Kyrgyz, the longest 5.2 km),
        while a road that really runs on into the neighbour never comes back.
    post_match_km
        A border link within this distance of a listed border post takes its name.
    place_road_max_km, place_rail_max_km
        A place is attached to a mode only if a node of a major component of that mode
        is this close.
    port_sea_max_km, port_land_max_km
        Longest connector from a port to the sea lanes, and from a port to road/rail.
    major_component_share
        Components holding at least this share of a mode's nodes count as "major" for
        snapping places (islands never receive a place).
    """

    road_snap_m: float = 1000.0
    rail_snap_m: float = 2500.0
    sea_snap_m: float = 5000.0
    border_snap_m: float = 3000.0
    road_bridge_m: float = 2000.0
    rail_bridge_m: float = 5000.0
    sliver_km: float = 0.3
    border_sliver_km: float = 25.0
    border_excursion_km: float = 10.0
    post_match_km: float = 30.0
    place_road_max_km: float = 40.0
    place_rail_max_km: float = 25.0
    port_sea_max_km: float = 300.0
    port_land_max_km: float = 30.0
    major_component_share: float = 0.02

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, int | float) or value < 0:
                raise InvalidInputError(f"build option {f.name} must be a non-negative number")
        if self.major_component_share > 1:
            raise InvalidInputError("build option major_component_share must be at most 1")
