"""Build the packaged offline basemap from Natural Earth (a maintainer's tool, not run at import).

``python -m maps._make_basemap COUNTRIES PLACES OUT`` reads the Natural Earth 1:10m admin-0
countries and populated places (as laid out in ``shared/data/natural_earth/``), simplifies the
country polygons as one coverage (shared borders stay shared, so no gaps or overlaps appear
between neighbours), drops specks, rounds coordinates to 0.001 degrees and writes a compact
GeoJSON FeatureCollection:

* one (Multi)Polygon feature per country, properties ``iso3``, ``name`` and, for countries big
  enough to carry one, a label point ``label`` = [lon, lat] (the pole of inaccessibility of
  the largest part);
* one Point feature per national capital, properties ``kind`` = "capital", ``name``, ``iso3``;
* ``bbox``: the extent of the country data (outside it the map shows no land).

Natural Earth is public domain; see ``maps/data/README.md`` for provenance.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import mapping, shape
from shapely.ops import polylabel

#: Coverage-simplification tolerance, degrees (about 2 km): borders stay legible at zoom 7.
TOLERANCE_DEG = 0.02
#: Parts smaller than this are dropped, square degrees (about 25 km²).
MIN_PART_AREA = 0.002
#: Countries smaller than this get no label, square degrees.
MIN_LABEL_AREA = 0.5
#: Decimal places kept in coordinates.
DECIMALS = 3


def _round(coords: Any) -> Any:
    if isinstance(coords[0], (int, float)):
        return [round(float(c), DECIMALS) for c in coords]
    return [_round(c) for c in coords]


def _drop_specks(geom: Any) -> Any:
    parts = [p for p in getattr(geom, "geoms", [geom]) if p.area >= MIN_PART_AREA]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)


def build(countries_path: Path, places_path: Path) -> dict[str, Any]:
    """The basemap FeatureCollection made from the two Natural Earth files."""
    src = json.loads(countries_path.read_text(encoding="utf-8"))
    props = [f["properties"] for f in src["features"]]
    geoms = [shapely.make_valid(shape(f["geometry"])) for f in src["features"]]
    simplified = shapely.coverage_simplify(geoms, TOLERANCE_DEG)
    features: list[dict[str, Any]] = []
    for p, g in zip(props, simplified, strict=True):
        g = _drop_specks(shapely.make_valid(g).buffer(0))
        if g is None:
            continue
        out: dict[str, Any] = {"iso3": p["ADM0_A3"], "name": p["NAME"]}
        if g.area >= MIN_LABEL_AREA:
            largest = max(getattr(g, "geoms", [g]), key=lambda q: q.area)
            pt = polylabel(largest, tolerance=0.05)
            out["label"] = [round(pt.x, 2), round(pt.y, 2)]
        geo = mapping(g)
        features.append(
            {
                "type": "Feature",
                "properties": out,
                "geometry": {"type": geo["type"], "coordinates": _round(geo["coordinates"])},
            }
        )
    w, s_, e, n = shapely.total_bounds([shape(f["geometry"]) for f in features])
    places = json.loads(places_path.read_text(encoding="utf-8"))
    for f in places["features"]:
        p = f["properties"]
        if p.get("FEATURECLA") != "Admin-0 capital":
            continue
        lon, lat = f["geometry"]["coordinates"][:2]
        features.append(
            {
                "type": "Feature",
                "properties": {"kind": "capital", "name": p["NAME"], "iso3": p["ADM0_A3"]},
                "geometry": {"type": "Point", "coordinates": [round(lon, 3), round(lat, 3)]},
            }
        )
    return {
        "type": "FeatureCollection",
        "bbox": [round(float(v), DECIMALS) for v in (w, s_, e, n)],
        "source": {
            "countries": f"Natural Earth 1:10m admin 0 countries ({countries_path.name}, sha256 "
            f"{hashlib.sha256(countries_path.read_bytes()).hexdigest()[:16]})",
            "places": f"Natural Earth 1:10m populated places, Admin-0 capitals "
            f"({places_path.name}, sha256 "
            f"{hashlib.sha256(places_path.read_bytes()).hexdigest()[:16]})",
            "processing": f"shapely.coverage_simplify tolerance {TOLERANCE_DEG} deg, parts < "
            f"{MIN_PART_AREA} sq deg dropped, coordinates rounded to {DECIMALS} decimals",
            "licence": "public domain (Natural Earth)",
            "attribution": "Made with Natural Earth",
        },
        "features": features,
    }


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: COUNTRIES PLACES OUT."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 3:
        sys.stderr.write("usage: python -m maps._make_basemap COUNTRIES PLACES OUT\n")
        return 2
    fc = build(Path(args[0]), Path(args[1]))
    Path(args[2]).write_text(
        json.dumps(fc, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
