"""The multimodal network as compact numpy arrays, with its binary file format.

A :class:`Network` is immutable.  Nodes carry their mode in their identity (a city's road
node and rail node are two nodes joined by ``transfer`` edges), so parallel edges of
different modes never collapse.  Undirected edges (roads, railways, ferries, sea lanes,
transfers) are stored once and traversable both ways; ``border`` edges are directed, one
per direction of a crossing.  Geometry is kept per edge as quantised lon/lat (1e-5 degree,
about 1 m), while ``length_km`` was measured on the original coordinates at build time.

The file format is a NumPy ``.npz`` archive (deflate-compressed) holding the arrays plus
one JSON document (string tables, places, provenance).  It loads without geopandas or
shapely, which keeps the command line quick to start.
"""

from __future__ import annotations

import hashlib
import json
import logging
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from geodata.errors import DataError
from geodata.schema import EDGE_MODES, NODE_MODES, SCHEMA_VERSION, STATUSES

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["COORD_SCALE", "Network", "default_network_path", "load_network"]

log = logging.getLogger(__name__)

#: Geometry is stored as integer lon/lat in units of 1e-5 degree (about 1.1 m).
COORD_SCALE = 100_000

_NODE_ARRAYS = ("node_lon", "node_lat", "node_mode", "node_country")
_EDGE_ARRAYS = (
    "edge_u",
    "edge_v",
    "edge_mode",
    "edge_status",
    "edge_country",
    "edge_gauge_mm",
    "edge_oneway",
    "edge_length_km",
    "edge_class",
    "edge_ref",
    "edge_name",
    "edge_post",
    "edge_source",
    "geom_offsets",
    "geom_coords",
)
_ARRAYS = _NODE_ARRAYS + _EDGE_ARRAYS


@dataclass(frozen=True, eq=False)
class Network:
    """A built multimodal network.

    Attributes
    ----------
    node_lon, node_lat : numpy.ndarray
        Node coordinates, degrees (WGS 84).
    node_mode : numpy.ndarray
        Index into :data:`geodata.schema.NODE_MODES`.
    node_country : numpy.ndarray
        Index into ``countries`` (ISO 3166-1 alpha-3; ``""`` at sea).
    edge_u, edge_v : numpy.ndarray
        End nodes.  For undirected edges the order is arbitrary.
    edge_mode, edge_status : numpy.ndarray
        Indexes into :data:`~geodata.schema.EDGE_MODES` and :data:`~geodata.schema.STATUSES`.
    edge_country : numpy.ndarray
        Index into ``countries``; for a border edge the country it leaves.
    edge_gauge_mm : numpy.ndarray
        Track gauge of rail edges, mm (0 elsewhere).
    edge_oneway : numpy.ndarray
        True where the edge may only be used from ``u`` to ``v`` (border crossings).
    edge_length_km : numpy.ndarray
        Geodesic length, km, measured on the source coordinates.
    edge_class, edge_ref, edge_name, edge_post, edge_source : numpy.ndarray
        Indexes into ``strings`` (0 is the empty string).  ``edge_post`` names the border
        post of a border edge; ``edge_source`` names the source key in ``meta["sources"]``.
    geom_offsets, geom_coords : numpy.ndarray
        Edge ``i`` has the vertices ``geom_coords[geom_offsets[i]:geom_offsets[i + 1]]``,
        as integer lon/lat in units of 1 / :data:`COORD_SCALE` degree.
    strings, countries : tuple of str
        String tables.
    places : tuple of dict
        The named places, each with its snapped node per mode and snapping distances.
    meta : dict
        Provenance, build parameters and the component report.
    """

    node_lon: np.ndarray
    node_lat: np.ndarray
    node_mode: np.ndarray
    node_country: np.ndarray
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_mode: np.ndarray
    edge_status: np.ndarray
    edge_country: np.ndarray
    edge_gauge_mm: np.ndarray
    edge_oneway: np.ndarray
    edge_length_km: np.ndarray
    edge_class: np.ndarray
    edge_ref: np.ndarray
    edge_name: np.ndarray
    edge_post: np.ndarray
    edge_source: np.ndarray
    geom_offsets: np.ndarray
    geom_coords: np.ndarray
    strings: tuple[str, ...]
    countries: tuple[str, ...]
    places: tuple[dict[str, Any], ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n, m = len(self.node_lon), len(self.edge_u)
        for name in _NODE_ARRAYS:
            if len(getattr(self, name)) != n:
                raise DataError(f"network array {name} has the wrong length")
        for name in _EDGE_ARRAYS[:-2]:
            if len(getattr(self, name)) != m:
                raise DataError(f"network array {name} has the wrong length")
        if len(self.geom_offsets) != m + 1:
            raise DataError("network array geom_offsets has the wrong length")
        if m and (self.edge_u.max() >= n or self.edge_v.max() >= n):
            raise DataError("network edges refer to nodes that do not exist")
        for arr in (getattr(self, a) for a in _ARRAYS):
            arr.setflags(write=False)

    # ------------------------------------------------------------------ sizes
    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.node_lon)

    @property
    def n_edges(self) -> int:
        """Number of stored edges (undirected edges once, border edges per direction)."""
        return len(self.edge_u)

    # ------------------------------------------------------------- accessors
    def edge_geometry(self, i: int) -> np.ndarray:
        """Return the vertices of edge ``i`` as an ``(k, 2)`` float array of lon/lat."""
        a, b = self.geom_offsets[i], self.geom_offsets[i + 1]
        return self.geom_coords[a:b].astype(np.float64) / COORD_SCALE

    def edge_record(self, i: int) -> dict[str, Any]:
        """Return the attributes of edge ``i`` as a plain dictionary."""
        s = self.strings
        return {
            "u": int(self.edge_u[i]),
            "v": int(self.edge_v[i]),
            "mode": EDGE_MODES[self.edge_mode[i]],
            "status": STATUSES[self.edge_status[i]],
            "country": self.countries[self.edge_country[i]],
            "gauge_mm": int(self.edge_gauge_mm[i]),
            "oneway": bool(self.edge_oneway[i]),
            "length_km": float(self.edge_length_km[i]),
            "class": s[self.edge_class[i]],
            "ref": s[self.edge_ref[i]],
            "name": s[self.edge_name[i]],
            "post": s[self.edge_post[i]],
            "source": s[self.edge_source[i]],
        }

    def node_record(self, n: int) -> dict[str, Any]:
        """Return the attributes of node ``n`` as a plain dictionary."""
        return {
            "id": int(n),
            "lon": float(self.node_lon[n]),
            "lat": float(self.node_lat[n]),
            "mode": NODE_MODES[self.node_mode[n]],
            "country": self.countries[self.node_country[n]],
        }

    def iter_edges(self, mode: str | None = None) -> Iterator[int]:
        """Yield the indexes of all edges, or of the edges of one mode."""
        if mode is None:
            yield from range(self.n_edges)
        else:
            yield from np.flatnonzero(self.edge_mode == EDGE_MODES.index(mode)).tolist()

    @cached_property
    def content_hash(self) -> str:
        """SHA-256 of the arrays, string tables, places and provenance (hex)."""
        h = hashlib.sha256()
        for name in _ARRAYS:
            arr = np.ascontiguousarray(getattr(self, name))
            h.update(name.encode())
            h.update(str(arr.dtype).encode())
            h.update(arr.tobytes())
        h.update(_canonical_json(self._document(with_hash=False)))
        return h.hexdigest()

    # ------------------------------------------------------------- conversion
    def to_networkx(self, *, geometry: bool = False) -> nx.MultiDiGraph:
        """Return the network as a :class:`networkx.MultiDiGraph`.

        Node attributes: ``x``, ``y``, ``mode``, ``country``.  Edge attributes: those of
        :meth:`edge_record` plus ``edge`` (the edge index) and, with ``geometry=True``, a
        shapely ``LineString``.  Undirected edges appear once per direction.
        """
        import networkx as nx

        g = nx.MultiDiGraph(crs="EPSG:4326")
        for n in range(self.n_nodes):
            rec = self.node_record(n)
            g.add_node(n, x=rec["lon"], y=rec["lat"], mode=rec["mode"], country=rec["country"])
        if geometry:
            from shapely import LineString
        for i in range(self.n_edges):
            rec = self.edge_record(i)
            u, v = rec.pop("u"), rec.pop("v")
            rec["edge"] = i
            rec["length"] = rec["length_km"] * 1000.0
            if geometry:
                rec["geometry"] = LineString(self.edge_geometry(i))
            g.add_edge(u, v, **rec)
            if not rec["oneway"]:
                g.add_edge(v, u, **rec)
        return g

    # ------------------------------------------------------------------- file
    def _document(self, *, with_hash: bool = True) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "strings": list(self.strings),
            "countries": list(self.countries),
            "places": list(self.places),
            "meta": self.meta,
        }
        return doc

    def save(self, path: str | Path) -> str:
        """Write the network to ``path`` (``.npz``) and return its content hash.

        The archive is written with fixed timestamps so that the same content gives the
        same bytes.
        """
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        doc = self._document()
        doc["content_hash"] = self.content_hash
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
            for name in _ARRAYS:
                _write_member(zf, f"{name}.npy", _npy_bytes(getattr(self, name)))
            _write_member(zf, "document.json", _canonical_json(doc))
        log.info("wrote %s (%d nodes, %d edges)", path, self.n_nodes, self.n_edges)
        return self.content_hash

    @classmethod
    def load(cls, path: str | Path) -> Network:
        """Read a network written by :meth:`save`.

        Raises
        ------
        DataError
            If the file is missing, not a network, or of another schema version.
        """
        path = Path(path)
        try:
            with np.load(path, allow_pickle=False) as z:
                arrays = {name: z[name] for name in _ARRAYS}
            with zipfile.ZipFile(path) as zf:
                doc = json.loads(zf.read("document.json"))
        except FileNotFoundError:
            raise DataError(f"network file not found: {path}") from None
        except (KeyError, ValueError, OSError, zipfile.BadZipFile) as exc:
            raise DataError(f"{path} is not a corridors network file ({exc})") from None
        if doc.get("schema_version") != SCHEMA_VERSION:
            raise DataError(
                f"{path} has network schema {doc.get('schema_version')}, "
                f"this version of corridors reads schema {SCHEMA_VERSION}"
            )
        return cls(
            **arrays,
            strings=tuple(doc["strings"]),
            countries=tuple(doc["countries"]),
            places=tuple(doc["places"]),
            meta=doc["meta"],
        )

    def summary(self) -> dict[str, Any]:
        """Counts of nodes and edges per mode and status, and total length per mode."""
        out: dict[str, Any] = {"nodes": {}, "edges": {}, "length_km": {}, "status": {}}
        for i, m in enumerate(NODE_MODES):
            out["nodes"][m] = int(np.count_nonzero(self.node_mode == i))
        for i, m in enumerate(EDGE_MODES):
            sel = self.edge_mode == i
            out["edges"][m] = int(np.count_nonzero(sel))
            out["length_km"][m] = round(float(self.edge_length_km[sel].sum()), 1)
        for i, s in enumerate(STATUSES):
            out["status"][s] = int(np.count_nonzero(self.edge_status == i))
        return out


def _npy_bytes(arr: np.ndarray) -> bytes:
    import io

    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.ascontiguousarray(arr), allow_pickle=False)
    return buf.getvalue()


def _write_member(zf: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    zf.writestr(info, data, compresslevel=9)


def _canonical_json(doc: Any) -> bytes:
    return json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def default_network_path() -> Path:
    """Path of the network shipped inside the package."""
    return Path(str(resources.files("geodata") / "data" / "network.npz"))


_CACHE: dict[Path, Network] = {}


def load_network(path: str | Path | None = None) -> Network:
    """Load a network file, by default the one embedded in the package (cached per path)."""
    p = Path(path) if path is not None else default_network_path()
    p = p.resolve()
    if p not in _CACHE:
        _CACHE[p] = Network.load(p)
    return _CACHE[p]
