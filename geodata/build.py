"""Build the multimodal network from the raw sources.

The pipeline, per mode: read the lines, clip each extract to its own country's Natural
Earth polygon (so overlapping extracts do not duplicate roads, and every cross-border
link becomes an explicit connector), node them (:mod:`geodata._noding`), snap the named
places, simplify junction-to-junction with :func:`osmnx.simplify_graph`, then join the
modes: border links become pairs of directed ``border`` edges named after the listed
post they fall on, ports connect to the sea lanes and to road and rail, and places that
have both road and rail get ``transfer`` edges.  Provenance (sources with checksums,
additions with citations, parameters, components per mode) is stored in the network.
"""

from __future__ import annotations

import csv
import hashlib
import logging
import math
import re
import tomllib
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from pyproj import Geod
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from geodata._noding import LineTable, VertexGraph, node_lines
from geodata.config import BuildConfig
from geodata.errors import DataError
from geodata.geo import unit_vectors
from geodata.network import COORD_SCALE, Network
from geodata.schema import EDGE_MODES, NODE_MODES, STATUSES
from geodata.sources import SOURCES, check_sources, source_path

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["ATTRIBUTION", "build_network", "read_places"]

log = logging.getLogger(__name__)

ATTRIBUTION = (
    "© OpenStreetMap contributors (ODbL); © MapTiler (OpenMapTiles schema); "
    "Made with Natural Earth; searoute (genthalili/searoute-py, Apache-2.0)"
)
#: Countries whose roads and railways the network carries (ISO3).
ROAD_COUNTRIES_DETAILED = ("PAK", "AFG", "UZB", "TJK", "KGZ", "TKM", "AZE", "IRN")
ROAD_COUNTRIES_COARSE = ("KAZ", "CHN")
COUNTRIES = ROAD_COUNTRIES_DETAILED + ROAD_COUNTRIES_COARSE
_RAIL_STATUS = {"rail": "operational", "construction": "under_construction"}
_CLASS_RANK = ("motorway", "trunk", "primary", "secondary", "tertiary", "rail", "")
_GEOD = Geod(ellps="WGS84")
#: The searoute lanes inside the Caspian (west of 55 E, north of 36 N) are left out: the
#: Caspian is served by the sourced ferry links, and the Caspian lane is not connected to
#: the ocean network anyway.
_CASPIAN_BOX = (46.0, 36.0, 55.5, 48.0)
_SEA = "SEA"
#: A line end this close to its country's boundary (degrees, about 1.5 km) is taken to
#: continue across it: it is joined to the neighbour's line in preference to its own.
_BORDER_END_DEG = 0.015
#: A point this close to a boundary (degrees, ~0.1 m) lies on it (overlay round-off).
_ON_BOUNDARY_DEG = 1e-6


@dataclass
class _ModeGraph:
    """A simplified graph of one mode, before ids are merged across modes."""

    mode: str
    node_ids: list[int] = field(default_factory=list)
    lon: dict[int, float] = field(default_factory=dict)
    lat: dict[int, float] = field(default_factory=dict)
    country: dict[int, str] = field(default_factory=dict)
    edges: list[dict[str, Any]] = field(default_factory=list)


def _package_file(name: str) -> Path:
    return Path(str(resources.files("geodata") / "data" / name))


def read_places(path: str | Path | None = None) -> list[dict[str, Any]]:
    """Read the curated places table (``geodata/data/places.csv`` by default).

    Returns
    -------
    list of dict
        One dict per row with ``lat``/``lon`` as floats, ``modes`` and ``aliases`` as lists,
        and for border posts ``countries`` (the two ISO3 codes, from the note).
    """
    p = Path(path) if path is not None else _package_file("places.csv")
    rows = []
    with p.open(newline="", encoding="utf-8") as f:
        for i, row in enumerate(csv.DictReader(f), start=2):
            try:
                row["lat"], row["lon"] = float(row["lat"]), float(row["lon"])
            except (TypeError, ValueError):
                raise DataError(f"{p}:{i}: place {row.get('key')!r} has no valid lat/lon") from None
            row["modes"] = [m for m in (row.get("modes") or "").split(";") if m]
            row["aliases"] = [a.strip() for a in (row.get("aliases") or "").split(";") if a.strip()]
            if row["kind"] == "border":
                pair = re.findall(r"\b([A-Z]{3})\s*[–-]\s*([A-Z]{3})\b", row.get("note") or "")
                row["countries"] = list(pair[0]) if pair else [row["country"]]
            rows.append(row)
    return rows


def _read(path: Path, **kw: Any) -> gpd.GeoDataFrame:
    import geopandas as gpd

    return gpd.read_file(path, engine="pyogrio", **kw)


def _country_polygons(sources: Path) -> dict[str, Any]:
    ne = _read(source_path(sources, "ne_countries"))
    ne["code"] = ne["ADM0_A3"].replace({"KAB": "KAZ"})
    return {c: g.union_all() for c, g in ne.groupby("code") if c in COUNTRIES}


def _lines_from(
    gdf: gpd.GeoDataFrame,
    country: str,
    attrs: list[dict[str, Any]],
    snap_m: float,
    sliver_km: float,
) -> LineTable:
    """LineTable of the (Multi)LineStrings of ``gdf`` (one attr dict per row)."""
    import shapely

    out = LineTable([], [], [], [])
    for geom, a in zip(gdf.geometry.values, attrs, strict=True):
        if geom is None or geom.is_empty:
            continue
        for part in shapely.get_parts(geom):
            if part.geom_type != "LineString":
                continue
            c = np.asarray(part.coords)[:, :2]
            if len(c) < 2 or _geodesic_km(c) < sliver_km:
                continue
            out.append(c, country, a, snap_m)
    return out


def _geodesic_km(c: np.ndarray) -> float:
    return float(_GEOD.line_length(c[:, 0], c[:, 1])) / 1000.0


def _clip_by_country(
    gdf: gpd.GeoDataFrame,
    polys: dict[str, Any],
    countries: tuple[str, ...],
    col: str | None,
    make_attrs: Any,
    snap_m: float,
    cfg: BuildConfig,
) -> LineTable:
    """Clip lines to each country's polygon.

    Lines wholly inside are kept as they are; only the pieces that clipping cuts off are
    subject to the sliver filter (short source lines are often junction links).  Line ends
    near the country's boundary are flagged (see :data:`_BORDER_END_DEG`).
    """
    import shapely

    out = LineTable([], [], [], [])
    for c in countries:
        sub = gdf if col is None else gdf[gdf[col] == c]
        if not len(sub) or c not in polys:  # no land of c in the sources' extent
            continue
        start = len(out)
        poly = polys[c]
        shapely.prepare(poly)
        geoms = sub.geometry.values
        hit = shapely.intersects(poly, geoms)
        inside = hit & shapely.within(geoms, poly)
        cut = hit & ~inside
        rows = list(sub.itertuples(index=False))
        whole = sub[inside]
        out.extend(
            _lines_from(
                whole, c, [make_attrs(rows[i]) for i in np.flatnonzero(inside)], snap_m, 0.0
            )
        )
        pieces = sub[cut].copy()
        pieces["geometry"] = shapely.intersection(geoms[cut], poly)
        out.extend(
            _lines_from(
                pieces,
                c,
                [make_attrs(rows[i]) for i in np.flatnonzero(cut)],
                snap_m,
                cfg.sliver_km,
            )
        )
        _mark_border_ends(out, start, poly)
    return out


def _mark_border_ends(lines: LineTable, start: int, poly: Any) -> None:
    """Flag the ends of ``lines[start:]`` that lie near the boundary of ``poly``."""
    import shapely

    if start == len(lines):
        return
    boundary = poly.boundary
    shapely.prepare(boundary)
    ends = np.array([[c[0], c[-1]] for c in lines.coords[start:]]).reshape(-1, 2)
    near = shapely.dwithin(boundary, shapely.points(ends), _BORDER_END_DEG).reshape(-1, 2)
    for k, (e0, e1) in enumerate(near.tolist()):
        lines.cut_ends[start + k] = (bool(e0), bool(e1))


def _leftovers(
    gdf: gpd.GeoDataFrame,
    polys: dict[str, Any],
    countries: tuple[str, ...],
    col: str,
    make_attrs: Any,
    snap_m: float,
    buffer_deg: float = 0.003,
    min_km: float = 1.0,
) -> LineTable:
    """Pieces of each extract that lie in a neighbouring country whose own extract lacks them.

    Geofabrik extracts reach some way past their border, and sometimes a neighbour's
    extract stops short of it (a line through Jalal-Abad, the roads at Torugart).  A piece
    is kept, attributed to the country it lies in, where it runs more than ``buffer_deg``
    (about 300 m) from every line of that country's own extract and is at least
    ``min_km`` long.
    """
    import shapely

    out = LineTable([], [], [], [])
    # a country without a polygon in the sources (outside a clipped extent) has no land
    # for a piece to lie in
    countries = tuple(c for c in countries if c in polys)
    own = {c: gdf[gdf[col] == c].geometry.values for c in countries}
    trees = {c: shapely.STRtree(g) for c, g in own.items()}
    for c in countries:
        sub = gdf[gdf[col] == c]
        if not len(sub):
            continue
        geoms = sub.geometry.values
        poly = polys[c]
        shapely.prepare(poly)
        outside = ~shapely.within(geoms, poly)
        if not outside.any():
            continue
        rows = [r for r, o in zip(sub.itertuples(index=False), outside, strict=True) if o]
        rest = shapely.difference(geoms[outside], poly)
        for d in countries:
            if d == c:
                continue
            pd_ = polys[d]
            hit = shapely.intersects(pd_, rest)
            for i in np.flatnonzero(hit):
                piece = shapely.intersection(rest[i], pd_)
                near = own[d][trees[d].query(piece, predicate="dwithin", distance=buffer_deg)]
                if len(near):
                    piece = piece.difference(shapely.union_all(shapely.buffer(near, buffer_deg)))
                if piece.is_empty:
                    continue
                import geopandas as gpd

                frame = gpd.GeoDataFrame(geometry=[piece], crs="EPSG:4326")
                out.extend(_lines_from(frame, d, [make_attrs(rows[i])], snap_m, min_km))
    return out


def _border_excursions(
    gdf: gpd.GeoDataFrame,
    polys: dict[str, Any],
    countries: tuple[str, ...],
    col: str,
    make_attrs: Any,
    snap_m: float,
    into: Any,
    max_km: float,
) -> LineTable:
    """Short excursions of each extract's lines into ``into``, kept in their own country.

    ``into`` is land whose own source has no detailed lines (the coarse countries), so
    clipping drops what a detailed extract draws there.  Where a road along a border river
    wanders across the 1:10m boundary (the Bishkek–Kemin road by the Chu), that leaves a
    gap in its country's network that only a detour through the neighbour, with two false
    crossings, bridges.  The parts of ``c``'s lines outside ``c`` and inside ``into`` are
    merged into chains; a chain that starts and ends on ``c``'s boundary (it leaves and
    comes back) and is shorter than ``max_km`` is kept as a line of ``c``.  A road that
    runs on into the neighbour never comes back and is cut as before.
    """
    import shapely

    out = LineTable([], [], [], [])
    for c in countries:
        if c not in polys:
            continue
        sub = gdf[gdf[col] == c]
        geoms = sub.geometry.values
        poly = polys[c]
        cand = shapely.intersects(geoms, into) & ~shapely.within(geoms, poly)
        if not cand.any():
            continue
        rows = [r for r, k in zip(sub.itertuples(index=False), cand, strict=True) if k]
        outside = shapely.intersection(shapely.difference(geoms[cand], poly), into)
        pieces: list[Any] = []
        owner: list[int] = []
        for i, g in enumerate(outside):
            for part in shapely.get_parts(g):
                if part.geom_type == "LineString" and not part.is_empty:
                    pieces.append(part)
                    owner.append(i)
        if not pieces:
            continue
        boundary = poly.boundary
        shapely.prepare(boundary)
        tree = shapely.STRtree(pieces)
        chains = shapely.get_parts(shapely.line_merge(shapely.union_all(pieces)))
        for chain in chains:
            coords = np.asarray(chain.coords)[:, :2]
            if len(coords) < 2 or _geodesic_km(coords) >= max_km:
                continue
            ends = shapely.points(coords[[0, -1]])
            if not shapely.dwithin(boundary, ends, _ON_BOUNDARY_DEG).all():
                continue
            # attributes of the source line that makes up most of the chain
            hits = tree.query(chain, predicate="intersects").tolist()
            best = max(hits, key=lambda h: shapely.intersection(pieces[h], chain).length)
            out.append(coords, c, make_attrs(rows[owner[best]]), snap_m)
    return out


def _s(v: Any) -> str:
    return "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)


def _road_lines(
    sources: Path, polys: dict[str, Any], cfg: BuildConfig, extra: gpd.GeoDataFrame | None
) -> LineTable:
    import geopandas as gpd

    detailed = _read(source_path(sources, "osm_roads_2021"))

    def attrs_d(r: Any) -> dict[str, Any]:
        return {
            "class": _s(r[1]),
            "ref": _s(r[2]),
            "name": _s(r[3]),
            "status": "operational",
            "source": "osm_roads_2021",
        }

    cols = detailed[["country", "class", "ref", "name", "geometry"]]
    lines = _clip_by_country(
        cols, polys, ROAD_COUNTRIES_DETAILED, "country", attrs_d, cfg.road_snap_m, cfg
    )
    lines.extend(
        _leftovers(cols, polys, ROAD_COUNTRIES_DETAILED, "country", attrs_d, cfg.road_snap_m)
    )
    import shapely

    coarse_land = shapely.union_all([polys[c] for c in ROAD_COUNTRIES_COARSE if c in polys])
    if not coarse_land.is_empty:
        shapely.prepare(coarse_land)
        lines.extend(
            _border_excursions(
                cols,
                polys,
                ROAD_COUNTRIES_DETAILED,
                "country",
                attrs_d,
                cfg.road_snap_m,
                coarse_land,
                cfg.border_excursion_km,
            )
        )
    coarse = _read(source_path(sources, "osm_roads_kaz_chn_2021"))
    building = coarse["class"].str.endswith("_construction")
    core = coarse[
        ~coarse["border_strip"] & coarse["country"].isin(ROAD_COUNTRIES_COARSE) & ~building
    ]
    for c in ROAD_COUNTRIES_COARSE:
        sub = core[core["country"] == c]
        attrs = [
            {
                "class": _s(k),
                "ref": _s(r),
                "name": _s(n),
                "status": "operational",
                "source": "osm_roads_kaz_chn_2021",
            }
            for k, r, n in zip(sub["class"], sub["ref"], sub["name"], strict=True)
        ]
        lines.extend(_lines_from(sub, c, attrs, cfg.road_snap_m, cfg.sliver_km))
    # Border-strip rows of the coarse layer fill the gaps where a detailed extract stops
    # short of the Natural Earth boundary (Torugart, Gisht Kuprik, Beyneu–Nukus; data
    # README §6).  Only the parts away from any detailed road are kept.
    strip = coarse[
        coarse["border_strip"] & coarse["country"].isin(ROAD_COUNTRIES_DETAILED) & ~building
    ]
    if len(strip):
        import shapely

        # distances in degrees on purpose: a ~300 m corridor around the detailed roads
        zone = shapely.buffer(strip.union_all(), 0.05)
        near = detailed[detailed.intersects(zone)]
        mask = shapely.union_all(shapely.buffer(near.geometry.values, 0.003))
        rest = strip.copy()
        rest["geometry"] = strip.geometry.difference(mask)
        rest = rest[~rest.geometry.is_empty]
        for c in ROAD_COUNTRIES_DETAILED:
            sub = gpd.clip(rest[rest["country"] == c], polys[c], keep_geom_type=True)
            attrs = [
                {
                    "class": _s(k),
                    "ref": _s(r),
                    "name": _s(n),
                    "status": "operational",
                    "source": "osm_roads_kaz_chn_2021",
                }
                for k, r, n in zip(sub["class"], sub["ref"], sub["name"], strict=True)
            ]
            lines.extend(_lines_from(sub, c, attrs, cfg.road_snap_m, max(cfg.sliver_km, 1.0)))
    if extra is not None and len(extra):
        src = extra["source"] if "source" in extra else ["user_osm"] * len(extra)
        extra = extra.assign(_src=list(src))

        def attrs_x(r: Any) -> dict[str, Any]:
            return {
                "class": _s(r.klass),
                "ref": _s(r.ref),
                "name": _s(r.name),
                "status": "operational",
                "source": _s(r._src),
            }

        ex = extra.rename(columns={"class": "klass"})[["klass", "ref", "name", "_src", "geometry"]]
        lines.extend(_clip_by_country(ex, polys, COUNTRIES, None, attrs_x, cfg.road_snap_m, cfg))
    return lines


def _gauge_rules() -> dict[str, Any]:
    with _package_file("gauges.toml").open("rb") as f:
        return tomllib.load(f)


def _gauge_of(country: str, coords: np.ndarray, rules: dict[str, Any]) -> int:
    mid = coords[len(coords) // 2]
    for ex in rules.get("exception", []):
        x0, y0, x1, y1 = ex["box"]
        if ex["country"] == country and x0 <= mid[0] <= x1 and y0 <= mid[1] <= y1:
            return int(ex["gauge_mm"])
    return int(rules["default"][country])


def _rail_attrs(status: str, source: str) -> dict[str, Any]:
    return {"class": "rail", "ref": "", "name": "", "status": status, "source": source}


def _rail_lines(sources: Path, polys: dict[str, Any], cfg: BuildConfig) -> LineTable:
    osm = _read(source_path(sources, "osm_rail_2021"))
    osm = osm[osm["class"].isin(list(_RAIL_STATUS))]

    def attrs_osm(r: Any) -> dict[str, Any]:
        return _rail_attrs(_RAIL_STATUS[r[1]], "osm_rail_2021")

    countries = tuple(c for c in ROAD_COUNTRIES_DETAILED if c != "AFG")
    cols = osm[["country", "class", "geometry"]]
    lines = _clip_by_country(cols, polys, countries, "country", attrs_osm, cfg.rail_snap_m, cfg)
    lines.extend(_leftovers(cols, polys, countries, "country", attrs_osm, cfg.rail_snap_m))
    ovp = _read(source_path(sources, "osm_rail_overpass_2026"))
    ovp = ovp[ovp["railway"].isin(list(_RAIL_STATUS))]

    def attrs_ovp(r: Any) -> dict[str, Any]:
        return _rail_attrs(_RAIL_STATUS[r[0]], "osm_rail_overpass_2026")

    lines.extend(
        _clip_by_country(
            ovp[["railway", "geometry"]], polys, ("AFG",), None, attrs_ovp, cfg.rail_snap_m, cfg
        )
    )
    ne = _read(source_path(sources, "ne_railroads"))

    def attrs_ne(r: Any) -> dict[str, Any]:
        return _rail_attrs("operational", "ne_railroads")

    lines.extend(
        _clip_by_country(
            ne[["featurecla", "geometry"]],
            polys,
            ROAD_COUNTRIES_COARSE,
            None,
            attrs_ne,
            cfg.rail_snap_m,
            cfg,
        )
    )
    rules = _gauge_rules()
    for c, coords, a in zip(lines.country, lines.coords, lines.attrs, strict=True):
        a["gauge_mm"] = _gauge_of(c, coords, rules)
    return lines


def _additions() -> list[dict[str, Any]]:
    with _package_file("additions.toml").open("rb") as f:
        return list(tomllib.load(f)["line"])


def _addition_lines(mode: str, adds: list[dict[str, Any]]) -> LineTable:
    out = LineTable([], [], [], [])
    groups: dict[str, float] = defaultdict(float)
    for a in adds:
        if a["mode"] == mode and a.get("group"):
            groups[a["group"]] += _geodesic_km(np.asarray(a["waypoints"], dtype=float))
    for a in adds:
        if a["mode"] != mode:
            continue
        c = np.asarray(a["waypoints"], dtype=float)
        geo = _geodesic_km(c)
        if a.get("group"):
            target = a["group_length_km"] * geo / groups[a["group"]]
        else:
            target = a["length_km"] or geo
        out.coords.append(c)
        out.country.append(a["country"])
        out.attrs.append(
            {
                "class": a["class"],
                "ref": a.get("ref", ""),
                "name": a.get("name", ""),
                "status": a["status"],
                "source": f"addition:{a['key']}",
                "gauge_mm": int(a.get("gauge_mm", 0)),
                "length_scale": target / geo,
            }
        )
        out.snap_m.append(float(a["snap_km"]) * 1000.0)
    return out


def _sea_lines(sources: Path, cfg: BuildConfig) -> LineTable:
    sea = _read(source_path(sources, "searoute_marnet"))
    x0, y0, x1, y1 = _CASPIAN_BOX
    out = LineTable([], [], [], [])
    for geom in sea.geometry.values:
        c = np.asarray(geom.coords)[:, :2]
        if ((c[:, 0] >= x0) & (c[:, 0] <= x1) & (c[:, 1] >= y0) & (c[:, 1] <= y1)).all():
            continue
        out.coords.append(c)
        out.country.append(_SEA)
        out.attrs.append(
            {
                "class": "sea_lane",
                "ref": "",
                "name": "",
                "status": "operational",
                "source": "searoute_marnet",
            }
        )
        out.snap_m.append(cfg.sea_snap_m)
    return out


def _components(n: int, a: np.ndarray, b: np.ndarray) -> tuple[int, np.ndarray]:
    m = coo_matrix((np.ones(len(a)), (a, b)), shape=(n, n))
    return connected_components(m, directed=False)


def _major_mask(labels: np.ndarray, share: float) -> np.ndarray:
    sizes = np.bincount(labels)
    major = sizes >= max(2, share * len(labels))
    if not major.any():
        major[np.argmax(sizes)] = True
    return major[labels]


def _km(lon1: Any, lat1: Any, lon2: Any, lat2: Any) -> Any:
    return np.asarray(_GEOD.inv(lon1, lat1, lon2, lat2)[2]) / 1000.0


def _operational_vertices(vg: VertexGraph, lines: LineTable) -> np.ndarray:
    """Mask of the vertices on at least one source line that is in service."""
    status = np.array([a.get("status", "") == "operational" for a in lines.attrs], dtype=bool)
    on_line = vg.edge_line >= 0
    served = on_line.copy()
    served[on_line] = status[vg.edge_line[on_line]]
    mask = np.zeros(len(vg.lon), dtype=bool)
    mask[vg.edge_a[served]] = True
    mask[vg.edge_b[served]] = True
    return mask


def _snap(vg: VertexGraph, mask: np.ndarray, lon: float, lat: float) -> tuple[int, float]:
    idx = np.flatnonzero(mask)
    tree = cKDTree(unit_vectors(vg.lon[idx], vg.lat[idx]))
    _, k = tree.query(unit_vectors(np.array([lon]), np.array([lat]))[0])
    v = int(idx[k])
    return v, float(_km(lon, lat, vg.lon[v], vg.lat[v]))


def _simplify(mode: str, vg: VertexGraph, lines: LineTable, keep: set[int]) -> _ModeGraph:
    """Merge chains of degree-2 vertices with osmnx, keeping ``keep`` and mode changes."""
    import networkx as nx
    import osmnx as ox

    g = nx.MultiDiGraph(crs="EPSG:4326")
    used = np.unique(np.concatenate([vg.edge_a, vg.edge_b]))
    for v in used.tolist():
        attrs: dict[str, Any] = {"x": float(vg.lon[v]), "y": float(vg.lat[v])}
        if v in keep:
            attrs["keep"] = True
        g.add_node(v, **attrs)
    for a, b, line, length, border in zip(
        vg.edge_a.tolist(),
        vg.edge_b.tolist(),
        vg.edge_line.tolist(),
        vg.edge_length_m.tolist(),
        vg.edge_border.tolist(),
        strict=True,
    ):
        if a == b:
            continue
        if line >= 0:
            la = lines.attrs[line]
            d = {
                "mode": mode,
                "country": lines.country[line],
                "class": la["class"],
                "ref": la["ref"],
                "name": la["name"],
                "status": la["status"],
                "source": la["source"],
                "gauge_mm": int(la.get("gauge_mm", 0)),
                "length": length * float(la.get("length_scale", 1.0)),
            }
        else:
            ca, cb = vg.countries[vg.country[a]], vg.countries[vg.country[b]]
            d = {
                "mode": "border" if border else mode,
                "country": ca,
                "class": "connector",
                "ref": "",
                "name": "",
                "status": "operational",
                "source": f"connector:{mode}",
                "gauge_mm": 0,
                "length": length,
                "to_country": cb,
            }
            if border:
                g.nodes[a]["keep"] = True
                g.nodes[b]["keep"] = True
        g.add_edge(a, b, **d)
        rev = dict(d)
        if "to_country" in d:
            rev["country"], rev["to_country"] = d["to_country"], d["country"]
        g.add_edge(b, a, **rev)
    sg = ox.simplify_graph(
        g,
        node_attrs_include=["keep"],
        edge_attrs_differ=["mode", "status", "gauge_mm", "country", "source"],
    )
    out = _ModeGraph(mode)
    for v, d in sg.nodes(data=True):
        out.node_ids.append(int(v))
        out.lon[v], out.lat[v] = d["x"], d["y"]
        out.country[v] = vg.countries[vg.country[v]]
    seen: set[tuple[int, int, float]] = set()
    for u, v, d in sg.edges(data=True):
        if u == v:
            continue
        border = d["mode"] == "border"
        if not border:
            key = (min(u, v), max(u, v), round(float(d["length"]), 3))
            if key in seen:
                continue
            seen.add(key)
        if "geometry" in d:
            coords = np.asarray(d["geometry"].coords)
        else:
            coords = np.array([[out.lon[u], out.lat[u]], [out.lon[v], out.lat[v]]])
        out.edges.append(
            {
                "u": int(u),
                "v": int(v),
                "mode": d["mode"],
                "country": _first(d["country"]),
                "to_country": _first(d.get("to_country", "")),
                "class": _best_class(d["class"]),
                "ref": _join(d["ref"]),
                "name": _first(d["name"]),
                "status": _first(d["status"]),
                "source": _first(d["source"]),
                "gauge_mm": int(_first(d["gauge_mm"])),
                "length_km": float(d["length"]) / 1000.0,
                "coords": coords,
                "oneway": border,
            }
        )
    return out


# osmnx merges differing attributes of a simplified path into a list built from a set, so
# its order depends on the string hash seed; the helpers below sort to stay reproducible.
def _first(v: Any) -> Any:
    if isinstance(v, list):
        nonempty = sorted(str(x) for x in v if x not in ("", None))
        return nonempty[0] if nonempty else v[0]
    return v


def _join(v: Any) -> str:
    if isinstance(v, list):
        parts: list[str] = []
        for x in v:
            for p in str(x).split(";"):
                if p and p not in parts:
                    parts.append(p)
        return ";".join(sorted(parts))
    return str(v)


def _best_class(v: Any) -> str:
    if isinstance(v, list):
        return min(
            sorted(str(x) for x in v),
            key=lambda c: _CLASS_RANK.index(c) if c in _CLASS_RANK else len(_CLASS_RANK),
        )
    return str(v)


def _file_sha256(p: Path) -> str:
    h = hashlib.sha256()
    with p.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def build_network(
    sources: str | Path,
    *,
    config: BuildConfig | None = None,
    places: list[dict[str, Any]] | None = None,
    extra_roads: gpd.GeoDataFrame | None = None,
) -> Network:
    """Build the multimodal network from the raw source folder.

    Parameters
    ----------
    sources
        Folder laid out like ``shared/data`` (see :data:`geodata.sources.SOURCES`).
    config
        Tolerances and limits; defaults to :class:`~geodata.config.BuildConfig()`.
    places
        The named places to snap (default: the package's ``places.csv``).
    extra_roads
        Additional road lines with ``class``, ``ref``, ``name`` (and optionally ``source``)
        columns, e.g. from :func:`geodata.osm_import.read_osm_roads`; they are clipped,
        noded and simplified with the rest.

    Returns
    -------
    Network

    Raises
    ------
    SourceMissingError
        If a source file is missing.
    """
    cfg = config or BuildConfig()
    src = Path(sources)
    check_sources(src)
    places = places if places is not None else read_places()
    polys = _country_polygons(src)
    adds = _additions()
    log.info("reading roads")
    road_lines = _road_lines(src, polys, cfg, extra_roads)
    road_lines.extend(_addition_lines("road", adds))
    log.info("reading railways")
    rail_lines = _rail_lines(src, polys, cfg)
    rail_lines.extend(_addition_lines("rail", adds))
    sea_lines = _sea_lines(src, cfg)

    report: dict[str, Any] = {}
    graphs: dict[str, _ModeGraph] = {}
    place_nodes: dict[str, dict[str, tuple[int, float]]] = defaultdict(dict)
    for mode, lines in (("road", road_lines), ("rail", rail_lines), ("sea", sea_lines)):
        bridge = {"road": cfg.road_bridge_m, "rail": cfg.rail_bridge_m}.get(mode, cfg.sea_snap_m)
        vg = node_lines(lines, border_snap_m=cfg.border_snap_m, bridge_m=bridge)
        n_comp, labels = _components(len(vg.lon), vg.edge_a, vg.edge_b)
        used = np.zeros(len(vg.lon), dtype=bool)
        used[vg.edge_a] = True
        used[vg.edge_b] = True
        labels = np.where(used, labels, -1)
        major = _major_mask(np.where(used, labels, n_comp), cfg.major_component_share)
        major &= used
        keep: set[int] = set()
        limit = {"road": cfg.place_road_max_km, "rail": cfg.place_rail_max_km}.get(mode, 0.0)
        in_service = major & _operational_vertices(vg, lines)
        for p in places:
            want = mode in p["modes"] or (mode == "road" and p["kind"] == "port")
            if mode == "sea" or not want:
                continue
            # a place is served by a line in service where one is within reach (a city
            # centre near works, e.g. Mashhad's metro tunnels, must not take the place off
            # the railway); planned-only places still snap to planned lines
            v, km = (
                _snap(vg, in_service, p["lon"], p["lat"]) if in_service.any() else (-1, math.inf)
            )
            if km > limit:
                v, km = _snap(vg, major, p["lon"], p["lat"])
            if km <= limit:
                keep.add(v)
                place_nodes[p["key"]][mode] = (v, km)
        graphs[mode] = _simplify(mode, vg, lines, keep)
        sizes = np.sort(np.bincount(labels[used]))[::-1]
        report[mode] = {
            "components": int((sizes > 0).sum()),
            "largest_components": sizes[:5].tolist(),
            "vertices": int(used.sum()),
            "connectors": vg.n_connectors,
            "connector_km": round(vg.connector_km, 1),
        }
        graphs[mode].country = {
            k: ("" if c == _SEA else c) for k, c in graphs[mode].country.items()
        }
    return _assemble(src, cfg, graphs, places, place_nodes, adds, report)


def _assemble(
    src: Path,
    cfg: BuildConfig,
    graphs: dict[str, _ModeGraph],
    places: list[dict[str, Any]],
    place_nodes: dict[str, dict[str, tuple[int, float]]],
    adds: list[dict[str, Any]],
    report: dict[str, Any],
) -> Network:
    # one id space: road, rail, sea nodes, then port nodes
    node_lon: list[float] = []
    node_lat: list[float] = []
    node_mode: list[int] = []
    node_country: list[str] = []
    idmap: dict[tuple[str, int], int] = {}
    for mode in ("road", "rail", "sea"):
        g = graphs[mode]
        for v in g.node_ids:
            idmap[(mode, v)] = len(node_lon)
            node_lon.append(g.lon[v])
            node_lat.append(g.lat[v])
            node_mode.append(NODE_MODES.index(mode))
            node_country.append(g.country[v])
    edges: list[dict[str, Any]] = []
    for mode in ("road", "rail", "sea"):
        for e in graphs[mode].edges:
            e = dict(e)
            e["u"], e["v"] = idmap[(mode, e["u"])], idmap[(mode, e["v"])]
            if e["mode"] == "border":
                e["class"] = mode
            edges.append(e)

    def nodes_of(mode: str) -> np.ndarray:
        return np.flatnonzero(np.asarray(node_mode) == NODE_MODES.index(mode))

    _border_status(edges, len(node_lon))
    report["absorbed_border_slivers"] = _absorb_slivers(
        edges, node_country, node_mode, cfg.border_sliver_km
    )
    # border posts: name each border edge after the listed post it falls on
    posts = [p for p in places if p["kind"] == "border"]
    unmatched_posts = {p["key"] for p in posts}
    post_nodes: dict[str, dict[str, tuple[int, float]]] = defaultdict(dict)
    for e in edges:
        if e["mode"] != "border":
            continue
        lon0, lat0 = node_lon[e["u"]], node_lat[e["u"]]
        pair = {e["country"], e["to_country"]}
        best, best_km = None, cfg.post_match_km
        for p in posts:
            if set(p.get("countries", [])) != pair:
                continue
            km = float(_km(lon0, lat0, p["lon"], p["lat"]))
            if km <= best_km:
                best, best_km = p, km
        if best is not None:
            e["post"] = best["name"]
            unmatched_posts.discard(best["key"])
            side = e["u"] if node_country[e["u"]] == best["country"] else e["v"]
            prev = post_nodes[best["key"]].get(e["class"])
            if prev is None or best_km < prev[1]:
                post_nodes[best["key"]][e["class"]] = (side, best_km)
        else:
            e["post"] = (
                f"{e['country']}–{e['to_country']} crossing (unlisted) at {lat0:.2f}N {lon0:.2f}E"
            )

    # ports: a node of mode "port", joined to sea lanes, road and rail
    sea_nodes = nodes_of("sea")
    sea_tree = cKDTree(
        unit_vectors(np.asarray(node_lon)[sea_nodes], np.asarray(node_lat)[sea_nodes])
    )
    place_out: list[dict[str, Any]] = []
    port_node: dict[str, int] = {}
    for p in places:
        rec: dict[str, Any] = {
            k: p.get(k, "") for k in ("key", "name", "kind", "country", "locode", "source")
        }
        rec.update(lat=p["lat"], lon=p["lon"], aliases=p["aliases"], nodes={}, snap_km={})
        if p["kind"] == "border":
            rec["countries"] = p.get("countries", [])
        for mode, (v, km) in place_nodes.get(p["key"], {}).items():
            rec["nodes"][mode] = idmap[(mode, v)]
            rec["snap_km"][mode] = round(km, 3)
        for mode, (n, _km_post) in post_nodes.get(p["key"], {}).items():
            rec["nodes"][mode] = n
            rec["snap_km"][mode] = round(
                float(_km(p["lon"], p["lat"], node_lon[n], node_lat[n])), 3
            )
        if p["kind"] == "port":
            pid = len(node_lon)
            port_node[p["key"]] = pid
            node_lon.append(p["lon"])
            node_lat.append(p["lat"])
            node_mode.append(NODE_MODES.index("port"))
            node_country.append(p["country"])
            rec["nodes"]["port"] = pid
            rec["snap_km"]["port"] = 0.0
            _, k = sea_tree.query(unit_vectors(np.array([p["lon"]]), np.array([p["lat"]]))[0])
            s = int(sea_nodes[k])
            km = float(_km(p["lon"], p["lat"], node_lon[s], node_lat[s]))
            caspian = _in_box(p["lon"], p["lat"], _CASPIAN_BOX)
            if km <= cfg.port_sea_max_km and not caspian:
                edges.append(
                    _link(pid, s, "sea", p["country"], "port_access", km, node_lon, node_lat)
                )
                rec["snap_km"]["sea"] = round(km, 3)
            for mode in ("road", "rail"):
                if mode in rec["nodes"] and rec["snap_km"][mode] <= cfg.port_land_max_km:
                    edges.append(
                        _link(
                            pid,
                            rec["nodes"][mode],
                            "transfer",
                            p["country"],
                            f"port_{mode}",
                            rec["snap_km"][mode],
                            node_lon,
                            node_lat,
                        )
                    )
        elif "road" in rec["nodes"] and "rail" in rec["nodes"] and p["kind"] != "border":
            km = float(
                _km(
                    node_lon[rec["nodes"]["road"]],
                    node_lat[rec["nodes"]["road"]],
                    node_lon[rec["nodes"]["rail"]],
                    node_lat[rec["nodes"]["rail"]],
                )
            )
            edges.append(
                _link(
                    rec["nodes"]["road"],
                    rec["nodes"]["rail"],
                    "transfer",
                    p["country"],
                    "road_rail",
                    km,
                    node_lon,
                    node_lat,
                )
            )
        place_out.append(rec)

    # Caspian ferries between port nodes
    ferries = _read(source_path(src, "caspian_ferries"))
    ports = [p for p in places if p["kind"] == "port" and p["key"] in port_node]
    if not ports:
        log.warning("no port places: the %d ferry links are left out", len(ferries))
        ferries = ferries.iloc[:0]
    for r in ferries.itertuples(index=False):
        c = np.asarray(r.geometry.coords)[:, :2]
        ends = []
        for lon, lat in (c[0], c[-1]):
            near = min(ports, key=lambda p, lo=lon, la=lat: float(_km(lo, la, p["lon"], p["lat"])))
            km = float(_km(lon, lat, near["lon"], near["lat"]))
            if km > cfg.port_land_max_km:
                raise DataError(
                    f"ferry {r.route}: no port within {cfg.port_land_max_km} km "
                    f"of its end at {lat:.3f}N {lon:.3f}E"
                )
            ends.append(port_node[near["key"]])
        edges.append(
            {
                "u": ends[0],
                "v": ends[1],
                "mode": "ferry",
                "country": "",
                "to_country": "",
                "class": "ferry",
                "ref": "",
                "name": str(r.route),
                "status": "operational",
                "source": "caspian_ferries",
                "gauge_mm": 0,
                "length_km": float(r.length_km),
                "coords": c,
                "oneway": False,
            }
        )

    report["unmatched_border_posts"] = sorted(unmatched_posts)
    return _to_network(
        src, cfg, node_lon, node_lat, node_mode, node_country, edges, place_out, adds, report
    )


def _border_status(edges: list[dict[str, Any]], n: int) -> None:
    """A border link is only as usable as the lines it joins.

    Each end takes the best status among the lines that meet there; the link takes the
    worse of its two ends (a crossing that only a planned railway reaches is planned).
    """
    rank = {s: i for i, s in enumerate(STATUSES)}
    best = np.full(n, len(STATUSES) - 1, dtype=np.int64)
    for e in edges:
        if e["mode"] in ("road", "rail") and e["class"] != "connector":
            r = rank[e["status"]]
            best[e["u"]] = min(best[e["u"]], r)
            best[e["v"]] = min(best[e["v"]], r)
    for e in edges:
        if e["mode"] == "border":
            e["status"] = STATUSES[max(best[e["u"]], best[e["v"]])]


def _absorb_slivers(
    edges: list[dict[str, Any]], node_country: list[str], node_mode: list[int], max_km: float
) -> int:
    """Give back to its neighbour a short piece of road or rail that only touches one border.

    Natural Earth's 1:10m boundary is approximate, so a road that runs along a border
    crosses it back and forth, which would make a route pay several border crossings for a
    domestic trip (Oybek on the Tashkent–Khujand road, for example).  A same-country piece
    shorter than ``max_km`` whose border links all lead to one neighbour is re-attributed to
    that neighbour, and its border links become ordinary connectors.  Returns the number of
    pieces absorbed.
    """
    n = len(node_country)
    plain = [i for i, e in enumerate(edges) if e["mode"] in ("road", "rail")]
    a = np.array([edges[i]["u"] for i in plain], dtype=np.int64)
    b = np.array([edges[i]["v"] for i in plain], dtype=np.int64)
    _, label = _components(n, a, b)
    length = np.zeros(n)
    np.add.at(length, label[a], [edges[i]["length_km"] for i in plain])
    touches: dict[int, set[str]] = defaultdict(set)
    links: dict[int, set[tuple[int, int]]] = defaultdict(set)
    for e in edges:
        if e["mode"] == "border":
            c = int(label[e["u"]])
            touches[c].add(e["to_country"])
            links[c].add((min(e["u"], e["v"]), max(e["u"], e["v"])))
    # a piece entered and left across the same boundary (two or more links); a short
    # dead end with a single link is a real crossing and stays
    candidates = {
        c: next(iter(t))
        for c, t in touches.items()
        if len(t) == 1 and len(links[c]) >= 2 and length[c] < max_km
    }
    # two candidates that touch each other must not both change sides: they would swap
    # countries and the link between them would keep stale sides.  Shorter pieces first.
    small: dict[int, str] = {}
    for c in sorted(candidates, key=lambda c: (length[c], c)):
        if all(int(label[v]) not in small for link in links[c] for v in link):
            small[c] = candidates[c]
    if not small:
        return 0
    for c, to in small.items():
        log.debug("border sliver: component %d (%.1f km) given to %s", c, length[c], to)
    for v in range(n):
        c = int(label[v])
        if c in small:
            node_country[v] = small[c]
    for i in plain:
        e = edges[i]
        if int(label[e["u"]]) in small:
            e["country"] = small[int(label[e["u"]])]
    keep = []
    seen: set[tuple[int, int]] = set()
    for e in edges:
        if e["mode"] == "border" and node_country[e["u"]] == node_country[e["v"]]:
            pair = (min(e["u"], e["v"]), max(e["u"], e["v"]))
            if pair in seen:
                continue
            seen.add(pair)
            mode = NODE_MODES[node_mode[e["u"]]]
            e.update(
                mode=mode,
                oneway=False,
                to_country="",
                country=node_country[e["u"]],
                source=f"connector:{mode}",
            )
            e["class"] = "connector"
        keep.append(e)
    edges[:] = keep
    return len(small)


def _in_box(lon: float, lat: float, box: tuple[float, float, float, float]) -> bool:
    return box[0] <= lon <= box[2] and box[1] <= lat <= box[3]


def _link(
    u: int,
    v: int,
    mode: str,
    country: str,
    klass: str,
    km: float,
    node_lon: list[float],
    node_lat: list[float],
) -> dict[str, Any]:
    return {
        "u": u,
        "v": v,
        "mode": mode,
        "country": country,
        "to_country": "",
        "class": klass,
        "ref": "",
        "name": "",
        "status": "operational",
        "source": f"connector:{klass}",
        "gauge_mm": 0,
        "length_km": km,
        "oneway": False,
        "coords": np.array([[node_lon[u], node_lat[u]], [node_lon[v], node_lat[v]]]),
    }


def _to_network(
    src: Path,
    cfg: BuildConfig,
    node_lon: list[float],
    node_lat: list[float],
    node_mode: list[int],
    node_country: list[str],
    edges: list[dict[str, Any]],
    places: list[dict[str, Any]],
    adds: list[dict[str, Any]],
    report: dict[str, Any],
) -> Network:
    # drop nodes no edge uses (isolated after simplification), renumber
    used = np.zeros(len(node_lon), dtype=bool)
    for e in edges:
        used[e["u"]] = used[e["v"]] = True
    new_id = np.cumsum(used) - 1
    for p in places:
        p["nodes"] = {m: int(new_id[n]) for m, n in p["nodes"].items() if used[n]}
    strings: dict[str, int] = {"": 0}

    def sid(s: str) -> int:
        return strings.setdefault(s, len(strings))

    countries = sorted({c for c in node_country} | {e["country"] for e in edges})
    cid = {c: i for i, c in enumerate(countries)}
    offsets = np.zeros(len(edges) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(e["coords"]) for e in edges])
    coords = np.round(np.concatenate([e["coords"] for e in edges]) * COORD_SCALE).astype(np.int32)
    sel = np.flatnonzero(used)
    net = Network(
        node_lon=np.asarray(node_lon, dtype=np.float64)[sel],
        node_lat=np.asarray(node_lat, dtype=np.float64)[sel],
        node_mode=np.asarray(node_mode, dtype=np.int8)[sel],
        node_country=np.asarray([cid[c] for c in node_country], dtype=np.int16)[sel],
        edge_u=np.asarray([new_id[e["u"]] for e in edges], dtype=np.int32),
        edge_v=np.asarray([new_id[e["v"]] for e in edges], dtype=np.int32),
        edge_mode=np.asarray([EDGE_MODES.index(e["mode"]) for e in edges], dtype=np.int8),
        edge_status=np.asarray([STATUSES.index(e["status"]) for e in edges], dtype=np.int8),
        edge_country=np.asarray([cid[e["country"]] for e in edges], dtype=np.int16),
        edge_gauge_mm=np.asarray([e["gauge_mm"] for e in edges], dtype=np.int16),
        edge_oneway=np.asarray([e["oneway"] for e in edges], dtype=bool),
        edge_length_km=np.asarray([e["length_km"] for e in edges], dtype=np.float64),
        edge_class=np.asarray([sid(e["class"]) for e in edges], dtype=np.int32),
        edge_ref=np.asarray([sid(e["ref"]) for e in edges], dtype=np.int32),
        edge_name=np.asarray([sid(e["name"]) for e in edges], dtype=np.int32),
        edge_post=np.asarray([sid(e.get("post", "")) for e in edges], dtype=np.int32),
        edge_source=np.asarray([sid(e["source"]) for e in edges], dtype=np.int32),
        geom_offsets=offsets,
        geom_coords=coords.reshape(-1, 2),
        strings=tuple(strings),
        countries=tuple(countries),
        places=tuple(places),
        meta=_provenance(src, cfg, adds, report),
    )
    return net


def _provenance(
    src: Path, cfg: BuildConfig, adds: list[dict[str, Any]], report: dict[str, Any]
) -> dict[str, Any]:
    sources = {}
    for key, s in SOURCES.items():
        sources[key] = {
            "title": s.title,
            "file": s.path,
            "version": s.version,
            "licence": s.licence,
            "attribution": s.attribution,
            "sha256": _file_sha256(source_path(src, key)),
        }
    additions = {
        a["key"]: {
            k: a.get(k)
            for k in (
                "kind",
                "mode",
                "status",
                "name",
                "length_km",
                "year",
                "source_title",
                "source_url",
                "alignment",
                "length_derivation",
                "estimate",
            )
            if k in a
        }
        for a in adds
    }
    return {
        "attribution": ATTRIBUTION,
        "licence": "ODbL-1.0 (derived database of OpenStreetMap data)",
        "sources": sources,
        "additions": additions,
        "gauges": _gauge_rules(),
        "config": asdict(cfg),
        "report": report,
        "builder": "corridors network build (geodata.build)",
    }
