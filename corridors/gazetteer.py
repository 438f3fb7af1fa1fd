"""Find places: by name or alternate name, UN/LOCODE, or ``lat,lon`` coordinates.

Names are matched case-insensitively and without diacritics; a coordinate is snapped to
the nearest node of the requested mode that lies in a major connected component of that
mode, never onto an island, and the snapping distance is reported.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from geodata.errors import InvalidInputError, UnknownPlaceError
from geodata.geo import haversine_km, unit_vectors
from geodata.network import Network

if TYPE_CHECKING:  # scipy is imported where it is used (about 0.5 s of cold start)
    from scipy.spatial import cKDTree
from geodata.schema import NODE_MODES, PLACE_KINDS

__all__ = ["Place", "PlaceIndex", "parse_latlon"]

_LATLON = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$")
#: A component holding at least this share of a mode's nodes is "major" (not an island).
MAJOR_COMPONENT_SHARE = 0.02
#: Coordinates farther than this from any node of the mode are refused, km.
MAX_SNAP_KM = 50.0


@dataclass(frozen=True)
class Place:
    """A resolved place.

    Attributes
    ----------
    key, name, kind, country
        Identity (``kind`` is one of city, port, border, terminal, or ``coordinate``).
    lat, lon
        Where the place is, degrees.
    nodes
        Network node per mode (road, rail, port).
    snap_km
        Distance from the place to each of its nodes, km.
    """

    key: str
    name: str
    kind: str
    country: str
    lat: float
    lon: float
    nodes: dict[str, int] = field(default_factory=dict)
    snap_km: dict[str, float] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()
    locode: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form for JSON output."""
        return {
            "key": self.key,
            "name": self.name,
            "kind": self.kind,
            "country": self.country,
            "lat": self.lat,
            "lon": self.lon,
            "locode": self.locode,
            "aliases": list(self.aliases),
            "nodes": dict(self.nodes),
            "snap_km": dict(self.snap_km),
        }


def _norm(text: str) -> str:
    s = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", s.lower()).split())


def parse_latlon(text: str) -> tuple[float, float] | None:
    """Parse ``"lat,lon"``; return None if the text is not of that shape.

    Raises
    ------
    InvalidInputError
        If it has the shape but the numbers are out of range.
    """
    m = _LATLON.match(text)
    if not m:
        if re.match(r"^\s*-?[\d.]+\s*,", text):
            raise InvalidInputError(
                f"malformed coordinates {text!r}: write them as 'lat,lon', e.g. '41.31,69.28'"
            )
        return None
    lat, lon = float(m.group(1)), float(m.group(2))
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise InvalidInputError(
            f"coordinates {text!r} are out of range (lat -90..90, lon -180..180)"
        )
    return lat, lon


class PlaceIndex:
    """Look-up of the places of a network.

    Parameters
    ----------
    network
        The network whose ``places`` and nodes are searched.
    """

    def __init__(self, network: Network) -> None:
        self.network = network
        self.places: list[Place] = [
            Place(
                key=p["key"],
                name=p["name"],
                kind=p["kind"],
                country=p["country"],
                lat=float(p["lat"]),
                lon=float(p["lon"]),
                nodes={k: int(v) for k, v in p["nodes"].items()},
                snap_km={k: float(v) for k, v in p["snap_km"].items()},
                aliases=tuple(p.get("aliases", ())),
                locode=p.get("locode", "") or "",
            )
            for p in network.places
        ]
        self._by_name: dict[str, Place] = {}
        for pl in self.places:
            for label in (pl.key, pl.name, *pl.aliases, pl.locode):
                if label:
                    self._by_name.setdefault(_norm(label), pl)

    def __len__(self) -> int:
        return len(self.places)

    def search(
        self, text: str | None = None, *, kind: str | None = None, country: str | None = None
    ) -> list[Place]:
        """Places whose name, alias, key or LOCODE contains ``text``, filtered by kind/country.

        Raises
        ------
        InvalidInputError
            For an unknown kind or a country code that is not three letters.
        """
        if kind is not None and kind not in PLACE_KINDS:
            kinds = ", ".join(PLACE_KINDS)
            raise InvalidInputError(f"unknown place kind {kind!r}; use one of {kinds}")
        if country is not None and not re.fullmatch(r"[A-Za-z]{3}", country):
            raise InvalidInputError(
                f"country must be an ISO 3166 alpha-3 code such as PAK, not {country!r}"
            )
        q = _norm(text) if text else ""
        out = []
        for pl in self.places:
            if kind and pl.kind != kind:
                continue
            if country and pl.country != country.upper():
                continue
            labels = (pl.key, pl.name, *pl.aliases, pl.locode)
            if q and not any(q in _norm(lbl) for lbl in labels if lbl):
                continue
            out.append(pl)
        return out

    def resolve(self, query: str, *, modes: Iterable[str] = ("road", "rail", "port")) -> Place:
        """Resolve a name, alias, LOCODE or ``lat,lon`` to a :class:`Place`.

        Raises
        ------
        UnknownPlaceError
            If nothing matches; the nearest names are suggested.
        InvalidInputError
            For malformed or out-of-range coordinates, or coordinates far from the network.
        """
        if not query or not query.strip():
            raise InvalidInputError("an empty place name was given")
        ll = parse_latlon(query)
        if ll is not None:
            return self.snap(ll[0], ll[1], modes=modes)
        hit = self._by_name.get(_norm(query))
        if hit is not None:
            return hit
        names = sorted({_norm(k) for k in self._by_name})
        close = difflib.get_close_matches(_norm(query), names, n=3, cutoff=0.6)
        suggestions = [self._by_name[c].name for c in close]
        raise UnknownPlaceError(query, list(dict.fromkeys(suggestions)))

    # ------------------------------------------------------------------ snapping
    @cached_property
    def _major(self) -> np.ndarray:
        """Mask of nodes in a major connected component of their own mode."""
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import connected_components

        net = self.network
        same = net.node_mode[net.edge_u] == net.node_mode[net.edge_v]
        n = net.n_nodes
        m = coo_matrix(
            (np.ones(int(same.sum())), (net.edge_u[same], net.edge_v[same])), shape=(n, n)
        )
        _, labels = connected_components(m, directed=False)
        major = np.zeros(n, dtype=bool)
        for mode in range(len(NODE_MODES)):
            sel = net.node_mode == mode
            if not sel.any():
                continue
            sizes = np.bincount(labels[sel])
            big = np.flatnonzero(sizes >= MAJOR_COMPONENT_SHARE * sel.sum())
            major |= sel & np.isin(labels, big)
        return major

    @cached_property
    def _trees(self) -> dict[str, tuple[np.ndarray, cKDTree]]:
        from scipy.spatial import cKDTree

        net = self.network
        out = {}
        for mode in ("road", "rail"):
            idx = np.flatnonzero((net.node_mode == NODE_MODES.index(mode)) & self._major)
            out[mode] = (idx, cKDTree(unit_vectors(net.node_lon[idx], net.node_lat[idx])))
        return out

    def snap(self, lat: float, lon: float, *, modes: Iterable[str] = ("road", "rail")) -> Place:
        """Snap a coordinate to the nearest major-component node of each mode.

        Raises
        ------
        InvalidInputError
            If no node of any requested mode lies within :data:`MAX_SNAP_KM`.
        """
        nodes, snap = {}, {}
        for mode in modes:
            if mode not in self._trees:
                continue
            idx, tree = self._trees[mode]
            _, k = tree.query(unit_vectors(np.array([lon]), np.array([lat]))[0])
            node = int(idx[k])
            km = haversine_km(lat, lon, self.network.node_lat[node], self.network.node_lon[node])
            if km <= MAX_SNAP_KM:
                nodes[mode], snap[mode] = node, round(km, 3)
        if not nodes:
            raise InvalidInputError(
                f"coordinates {lat:.4f},{lon:.4f} are more than {MAX_SNAP_KM:.0f} km "
                "from the network"
            )
        return Place(
            key=f"{lat:.5f},{lon:.5f}",
            name=f"{lat:.4f},{lon:.4f}",
            kind="coordinate",
            country="",
            lat=lat,
            lon=lon,
            nodes=nodes,
            snap_km=snap,
        )
