"""Read major roads from a user's OpenStreetMap XML extract.

:func:`read_osm_roads` turns an ``.osm`` file (also ``.osm.bz2`` / ``.osm.gz``, which osmnx
decompresses) into one row per undirected road segment between junctions, ready to be noded
into a network next to the shipped sources.  It uses osmnx to parse the file and to merge
chains of ways into segments.  osmnx (and geopandas) are imported inside the function so that
importing this module, and starting the command line, stays fast.

Unlike ``osmnx.graph_from_xml(path, simplify=True)``, the graph is filtered to the chosen road
classes *before* it is simplified, and simplification never merges across a change of class.
Simplifying first would merge a primary road with the tertiary road that continues it into a
single edge (``highway=['primary', 'tertiary']``) that can be neither kept nor dropped
correctly, and would silently delete isolated ring roads (osmnx's ``remove_rings``).
"""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.sax import SAXException

from geodata.errors import InvalidInputError, SourceMissingError

if TYPE_CHECKING:
    import geopandas as gpd
    import networkx as nx

__all__ = ["ALLOWED_HIGHWAY_CLASSES", "COLUMNS", "DEFAULT_HIGHWAY_CLASSES", "read_osm_roads"]

log = logging.getLogger(__name__)

#: OSM ``highway=*`` classes that can be requested, most important first.  Each also matches
#: its ``_link`` variant (``trunk_link`` is read as ``trunk``).
ALLOWED_HIGHWAY_CLASSES: tuple[str, ...] = ("motorway", "trunk", "primary", "secondary", "tertiary")
DEFAULT_HIGHWAY_CLASSES: tuple[str, ...] = ("motorway", "trunk", "primary", "secondary")

#: Output columns, in order.
COLUMNS: tuple[str, ...] = ("geometry", "class", "ref", "name", "osmid", "source")

#: Way tags that osmnx must copy onto the edges for this module to work.
_NEEDED_WAY_TAGS: tuple[str, ...] = ("highway", "ref", "name")


def read_osm_roads(
    path: str | Path,
    *,
    highway_classes: Iterable[str] = DEFAULT_HIGHWAY_CLASSES,
) -> gpd.GeoDataFrame:
    """Read the roads of the chosen classes from an OSM XML file as undirected segments.

    Ways are joined at shared nodes; a segment runs from one junction or dead end to the
    next and never spans a change of class.  Both directions of a road give one row.

    Parameters
    ----------
    path
        OSM XML file (``.osm``, or ``.osm.bz2`` / ``.osm.gz``).  Every node a way refers to
        must be in the file (e.g. ``osmium extract --strategy complete_ways``).
    highway_classes
        OSM ``highway`` values to keep, from :data:`ALLOWED_HIGHWAY_CLASSES`.  ``_link``
        ways are kept with their class (``motorway_link`` counts as ``motorway``).  A single
        string is read as one class.

    Returns
    -------
    geopandas.GeoDataFrame
        In EPSG:4326, one row per segment, with columns ``geometry`` (LineString, lon/lat),
        ``class``, ``ref`` and ``name`` (``""`` if untagged; values of merged ways joined with
        ``";"``), ``osmid`` (way ids, ``";"``-joined) and ``source``
        (``"user_osm_xml:<file name>"``).  Rows are sorted by class, then way ids.

    Raises
    ------
    SourceMissingError
        If ``path`` does not exist.
    InvalidInputError
        If a class is not allowed, or the file is not readable OSM XML, or it has no road of
        the chosen classes.

    Examples
    --------
    >>> roads = read_osm_roads("gwadar.osm", highway_classes=("trunk", "primary"))
    >>> sorted(roads["class"].unique())
    ['primary', 'trunk']
    """
    classes = _validate_classes(highway_classes)
    path = Path(path)
    if not path.exists():
        raise SourceMissingError(f"OSM XML file not found: {path}")
    if not path.is_file():
        raise InvalidInputError(f"{path} is not a file; expected an OSM XML extract (.osm)")

    import geopandas as gpd
    import osmnx as ox

    graph = _read_graph(path, classes)
    found = _highway_values(graph)
    graph = _keep_classes(graph, classes)
    if graph.number_of_edges() == 0:
        shown = sorted(found)[:8] + (["..."] if len(found) > 8 else [])
        seen = f" (it has highway={', '.join(shown)})" if found else ""
        raise InvalidInputError(
            f"{path} has no OSM road of class {', '.join(classes)} or their _link ways{seen}"
        )
    # simplify after filtering: merge chains of ways, but keep every change of class a node
    graph = ox.simplify_graph(graph, edge_attrs_differ=["highway"], remove_rings=False)

    rows = _segments(graph, source=f"user_osm_xml:{path.name}")
    rank = {c: i for i, c in enumerate(ALLOWED_HIGHWAY_CLASSES)}
    rows.sort(key=lambda r: (rank[r["class"]], r["osmid"], r["geometry"].coords[0]))
    gdf = gpd.GeoDataFrame(rows, columns=list(COLUMNS), geometry="geometry", crs="EPSG:4326")
    log.info(
        "read %d road segments (%s) from %s",
        len(gdf),
        ", ".join(f"{c} {n}" for c, n in gdf["class"].value_counts().items()),
        path,
    )
    return gdf


def _validate_classes(highway_classes: Iterable[str]) -> tuple[str, ...]:
    """Return the requested classes, deduplicated in hierarchy order, or raise."""
    requested = (highway_classes,) if isinstance(highway_classes, str) else tuple(highway_classes)
    allowed = ", ".join(ALLOWED_HIGHWAY_CLASSES)
    unknown = [c for c in requested if c not in ALLOWED_HIGHWAY_CLASSES]
    if unknown:
        bad = ", ".join(repr(c) for c in unknown)
        raise InvalidInputError(f"unknown highway class {bad}; allowed: {allowed}")
    if not requested:
        raise InvalidInputError(f"no highway class given; allowed: {allowed}")
    return tuple(c for c in ALLOWED_HIGHWAY_CLASSES if c in requested)


def _read_graph(path: Path, classes: tuple[str, ...]) -> nx.MultiDiGraph:
    """Parse ``path`` with osmnx into an unsimplified, fully bidirectional graph.

    ``osmnx.settings.useful_tags_way`` is process-wide; if it lacks a tag this module needs,
    the tag is added for the duration of the call and the old list is restored afterwards
    (so concurrent calls from several threads are not safe).
    """
    import osmnx as ox
    from osmnx._errors import InsufficientResponseError

    expect = f"expected OSM XML with highway={'/'.join(classes)} ways"
    old_tags = ox.settings.useful_tags_way
    missing = [t for t in _NEEDED_WAY_TAGS if t not in old_tags]
    try:
        if missing:
            ox.settings.useful_tags_way = [*old_tags, *missing]
        return ox.graph_from_xml(path, bidirectional=True, simplify=False, retain_all=True)
    except InsufficientResponseError as exc:
        raise InvalidInputError(f"{path} holds no OSM node or way; {expect}") from exc
    except (ET.ParseError, SAXException, UnicodeDecodeError, EOFError, OSError) as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        if ".pbf" in path.suffixes:
            reason += "; convert .pbf first, e.g. 'osmium cat FILE.osm.pbf -o FILE.osm'"
        raise InvalidInputError(f"{path} is not readable OSM XML ({reason}); {expect}") from exc
    except (KeyError, TypeError, ValueError) as exc:
        # osmnx: a way refers to a node missing from the file, a node has no lat/lon, ...
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise InvalidInputError(f"{path} is not usable OSM XML ({reason}); {expect}") from exc
    finally:
        ox.settings.useful_tags_way = old_tags


def _fold_class(highway: Any, classes: tuple[str, ...]) -> str | None:
    """Return the chosen class a ``highway`` value (str or list) belongs to, else None.

    ``_link`` values count as their class.  A list (osmnx's value for merged ways) belongs to
    a class only if all its items fold to that same class.
    """
    values = highway if isinstance(highway, list) else [highway]
    folded = {v.removesuffix("_link") if isinstance(v, str) else None for v in values}
    if len(folded) == 1 and (c := folded.pop()) in classes:
        return c
    return None


def _highway_values(graph: nx.MultiDiGraph) -> set[str]:
    """Return the distinct ``highway`` values of the graph's edges (for error messages)."""
    return {str(h) for _, _, h in graph.edges(data="highway") if h is not None}


def _keep_classes(graph: nx.MultiDiGraph, classes: tuple[str, ...]) -> nx.MultiDiGraph:
    """Drop edges of other classes and isolated nodes; set ``highway`` to the folded class."""
    drop = []
    for u, v, k, data in graph.edges(keys=True, data=True):
        c = _fold_class(data.get("highway"), classes)
        if c is None:
            drop.append((u, v, k))
        else:
            data["highway"] = c
    graph.remove_edges_from(drop)
    graph.remove_nodes_from([n for n in list(graph.nodes) if graph.degree(n) == 0])
    return graph


def _join(value: Any) -> str:
    """Return a tag value as text: ``""`` if missing, lists sorted and joined with ``;``."""
    if value is None:
        return ""
    if isinstance(value, list):
        return ";".join(sorted({str(v).strip() for v in value if v is not None} - {""}))
    return str(value).strip()


def _segments(graph: nx.MultiDiGraph, *, source: str) -> list[dict[str, Any]]:
    """Return one row per undirected segment of the simplified bidirectional graph.

    Each road is in the graph once per direction; the reverse copy is recognised by its
    end nodes, ways and geometry (reversed), so genuinely parallel roads are all kept.
    """
    from shapely import LineString

    rows: list[dict[str, Any]] = []
    seen: set[tuple[Any, ...]] = set()
    for u, v, data in graph.edges(data=True):
        geom = data.get("geometry")
        if geom is None:  # osmnx only gives geometry to merged edges
            geom = LineString([(graph.nodes[n]["x"], graph.nodes[n]["y"]) for n in (u, v)])
        coords = tuple(geom.coords)
        osmid = _join(data.get("osmid"))
        if u == v:
            oriented = min(coords, coords[::-1])
        else:
            oriented = coords if (u, v) == (min(u, v), max(u, v)) else coords[::-1]
        key = (min(u, v), max(u, v), osmid, oriented)
        if key in seen:
            continue
        seen.add(key)
        rows.append(
            {
                "geometry": geom,
                "class": data["highway"],
                "ref": _join(data.get("ref")),
                "name": _join(data.get("name")),
                "osmid": osmid,
                "source": source,
            }
        )
    return rows
