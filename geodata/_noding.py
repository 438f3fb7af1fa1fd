"""Turn unnoded line layers into a vertex graph: shared-vertex noding plus dangle snapping.

Every vertex of every line becomes a node, identified by (country, quantised lon/lat), so
lines of one country that share a vertex meet there, while a coordinate shared by lines of
two countries gives two nodes joined by an explicit zero-length connector (a border
crossing candidate).  A line end that touches nothing (a dangle) is joined to the nearest
point of another line within a tolerance by a straight connector; the target segment is
split there.  The caller then simplifies the vertex graph (osmnx) into junction-to-junction
edges.  Lengths are geodesic, measured on the source coordinates.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import shapely
from pyproj import Geod, Transformer

__all__ = ["ALBERS_REGION", "LineTable", "VertexGraph", "node_lines"]

log = logging.getLogger(__name__)

#: Albers equal-area conic centred on the corridor region, used only for snapping
#: distances (scale error under 2 % between 20 and 56 N), never for lengths.
ALBERS_REGION = "+proj=aea +lat_1=25 +lat_2=47 +lat_0=36 +lon_0=65 +datum=WGS84 +units=m"
_GEOD = Geod(ellps="WGS84")
_Q = 100_000  # quantisation of coordinates for vertex identity: 1e-5 degree
_ENDPOINT_TOLERANCE_M = 25.0  # snap onto a segment's end vertex instead of splitting it


@dataclass
class LineTable:
    """Lines of one mode with one attribute row each.

    Attributes
    ----------
    coords
        One ``(k, 2)`` lon/lat array per line (k >= 2).
    country
        ISO3 code per line.
    attrs
        One dict of edge attributes per line (class, ref, name, status, gauge_mm, source).
    snap_m
        Per line, how far its dangling ends may be joined to another line, metres.
    cut_ends
        Per line, whether its first / last vertex is where clipping at a country boundary
        cut it: such an end continues in the neighbouring country, so it is joined to the
        neighbour's line in preference to a line of its own country.
    """

    coords: list[np.ndarray]
    country: list[str]
    attrs: list[dict[str, object]]
    snap_m: list[float]
    cut_ends: list[tuple[bool, bool]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.cut_ends:
            self.cut_ends = [(False, False)] * len(self.coords)

    def append(
        self,
        coords: np.ndarray,
        country: str,
        attrs: dict[str, object],
        snap_m: float,
        cut_ends: tuple[bool, bool] = (False, False),
    ) -> None:
        """Add one line."""
        self.coords.append(coords)
        self.country.append(country)
        self.attrs.append(attrs)
        self.snap_m.append(snap_m)
        self.cut_ends.append(cut_ends)

    def __len__(self) -> int:
        return len(self.coords)

    def extend(self, other: LineTable) -> None:
        """Append the lines of ``other``."""
        self.coords += other.coords
        self.country += other.country
        self.attrs += other.attrs
        self.snap_m += other.snap_m
        self.cut_ends += other.cut_ends


@dataclass
class VertexGraph:
    """The noded vertex graph of one mode.

    ``edge_line`` is the index of the source line an edge came from, or -1 for a connector;
    ``edge_border`` marks connectors between vertices of two countries.
    """

    lon: np.ndarray
    lat: np.ndarray
    country: np.ndarray  # index into ``countries``
    countries: tuple[str, ...]
    edge_a: np.ndarray
    edge_b: np.ndarray
    edge_line: np.ndarray
    edge_length_m: np.ndarray
    edge_border: np.ndarray
    n_connectors: int
    connector_km: float


def node_lines(lines: LineTable, *, border_snap_m: float, bridge_m: float = 0.0) -> VertexGraph:
    """Node ``lines`` into a vertex graph.

    Parameters
    ----------
    lines
        The lines of one mode; their ``snap_m`` bounds dangle snapping within a country.
    border_snap_m
        Tolerance for joining a dangle to a line of another country, metres (the two
        sides of a border usually come from different extracts that stop at the boundary).

    Returns
    -------
    VertexGraph
    """
    countries = tuple(sorted(set(lines.country)))
    cidx = {c: i for i, c in enumerate(countries)}
    sizes = np.array([len(c) for c in lines.coords], dtype=np.int64)
    allc = np.concatenate(lines.coords) if len(lines) else np.empty((0, 2))
    line_of_vertex = np.repeat(np.arange(len(lines)), sizes)
    ccode = np.array([cidx[c] for c in lines.country], dtype=np.int64)[line_of_vertex]
    q = np.round(allc * _Q).astype(np.int64)
    keys = np.stack([ccode, q[:, 0], q[:, 1]], axis=1)
    uniq, inv = np.unique(keys, axis=0, return_inverse=True)
    inv = inv.reshape(-1)
    lon = uniq[:, 1].astype(np.float64) / _Q
    lat = uniq[:, 2].astype(np.float64) / _Q
    vcountry = uniq[:, 0].astype(np.int16)

    # consecutive vertex pairs of each line
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    last = np.zeros(len(inv), dtype=bool)
    last[np.cumsum(sizes) - 1] = True
    a = inv[:-1][~last[:-1]]
    b = inv[1:][~last[:-1]]
    eline = line_of_vertex[:-1][~last[:-1]]
    keep = a != b
    a, b, eline = a[keep], b[keep], eline[keep]
    del starts

    cut = np.zeros(len(uniq), dtype=bool)
    ends = np.cumsum(sizes)
    for i, (c0, c1) in enumerate(lines.cut_ends):
        if c0:
            cut[inv[ends[i] - sizes[i]]] = True
        if c1:
            cut[inv[ends[i] - 1]] = True

    lon_l, lat_l, country_l = [lon], [lat], [vcountry]
    n_v = len(lon)
    border_a: list[int] = []
    border_b: list[int] = []

    # the same coordinate in two countries: explicit zero-length border connector
    same_xy = uniq[:, 1:]
    order = np.lexsort((uniq[:, 0], same_xy[:, 1], same_xy[:, 0]))
    sx = same_xy[order]
    dup = np.flatnonzero(np.all(sx[1:] == sx[:-1], axis=1))
    for k in dup:
        border_a.append(int(order[k]))
        border_b.append(int(order[k + 1]))

    # dangles: vertices of undirected degree 1
    pairs = np.unique(np.sort(np.stack([a, b], axis=1), axis=1), axis=0)
    deg = np.bincount(pairs.ravel(), minlength=n_v)
    if border_a:
        deg += np.bincount(np.array(border_a + border_b), minlength=n_v)
    dangles = np.flatnonzero(deg == 1)
    fwd = Transformer.from_crs("EPSG:4326", ALBERS_REGION, always_xy=True)
    x, y = fwd.transform(lon, lat)
    seg = shapely.linestrings(
        np.stack([np.stack([x[a], y[a]], 1), np.stack([x[b], y[b]], 1)], axis=1)
    )
    tree = shapely.STRtree(seg)
    snap_of_line = np.asarray(lines.snap_m, dtype=np.float64)
    dangle_line = _line_of_dangle(dangles, a, b, eline)
    tol = np.where(dangle_line >= 0, snap_of_line[np.maximum(dangle_line, 0)], 0.0)
    pts = shapely.points(x[dangles], y[dangles])
    qmax = max(float(tol.max(initial=0.0)), border_snap_m, bridge_m)
    di, ei = tree.query(pts, predicate="dwithin", distance=qmax)
    # not the dangle's own line, nor a segment touching the dangle
    ok = (eline[ei] != dangle_line[di]) & (a[ei] != dangles[di]) & (b[ei] != dangles[di])
    di, ei = di[ok], ei[ok]
    dist = shapely.distance(pts[di], seg[ei])
    same = vcountry[a[ei]] == vcountry[dangles[di]]
    limit = np.where(same, np.maximum(tol[di], bridge_m), max(border_snap_m, bridge_m))
    within = dist <= limit
    di, ei, dist, same = di[within], ei[within], dist[within], same[within]
    first = np.where(same, dist <= tol[di], dist <= border_snap_m)
    best: dict[int, tuple[float, int]] = {}
    best_foreign: dict[int, tuple[float, int]] = {}
    for d, e, s, sm in zip(
        di[first].tolist(),
        ei[first].tolist(),
        dist[first].tolist(),
        same[first].tolist(),
        strict=True,
    ):
        if d not in best or s < best[d][0]:
            best[d] = (s, e)
        if not sm and (d not in best_foreign or s < best_foreign[d][0]):
            best_foreign[d] = (s, e)
    # an end cut at a boundary continues across it (once per crossing)
    _cross_cut_ends(
        best,
        best_foreign,
        cut,
        dangles,
        a,
        b,
        vcountry,
        x,
        y,
        pts,
        seg,
        border_a,
        border_b,
        radius_m=border_snap_m,
    )
    # two dangles facing each other: keep one connector
    chosen: list[tuple[int, int]] = []
    done: set[int] = set()
    target_of = {int(dangles[d]): (int(a[e]), int(b[e])) for d, (s, e) in best.items()}
    for d, (_s, e) in sorted(best.items(), key=lambda kv: (kv[1][0], kv[0])):
        v = int(dangles[d])
        ends = (int(a[e]), int(b[e]))
        if any(o in done and v in target_of[o] for o in ends if o in target_of):
            continue
        chosen.append((v, e))
        done.add(v)
    # Second pass: a dangle's nearest line is often the parallel track or carriageway of
    # its own component; bridge each remaining pair of components once, by the shortest
    # candidate between them.  Within a country the components are those of that
    # country's own lines (a piece reachable only through a neighbour is still a gap);
    # across countries they include the border links already made.
    chosen_a = np.array([v for v, _ in chosen], dtype=np.int64)
    chosen_b = np.array([int(a[e]) for _, e in chosen], dtype=np.int64)
    domestic = _labels(n_v, np.concatenate([a, chosen_a]), np.concatenate([b, chosen_b]))
    overall = _labels(
        n_v,
        np.concatenate([a, chosen_a, np.asarray(border_a, dtype=np.int64)]),
        np.concatenate([b, chosen_b, np.asarray(border_b, dtype=np.int64)]),
    )
    bridge: dict[tuple[int, int, int], tuple[float, int, int]] = {}
    for d, e, s, sm in zip(di.tolist(), ei.tolist(), dist.tolist(), same.tolist(), strict=True):
        v = int(dangles[d])
        label = domestic if sm else overall
        la, lb = int(label[v]), int(label[a[e]])
        if la == lb:
            continue
        k = (min(la, lb), max(la, lb), int(sm))
        if k not in bridge or (s, v) < bridge[k][:2]:
            bridge[k] = (s, v, e)
    chosen += [(v, e) for _, v, e in sorted(bridge.values())]

    splits: dict[int, list[tuple[float, int]]] = {}
    conn_a: list[int] = []
    conn_b: list[int] = []
    seg_len = shapely.length(seg)
    for v, e in chosen:
        t = float(shapely.line_locate_point(seg[e], shapely.points(x[v], y[v]), normalized=True))
        ta, tb = int(a[e]), int(b[e])
        if t * seg_len[e] <= _ENDPOINT_TOLERANCE_M:
            target = ta
        elif (1 - t) * seg_len[e] <= _ENDPOINT_TOLERANCE_M:
            target = tb
        else:
            target = n_v
            n_v += 1
            lon_l.append(np.array([lon[ta] + t * (lon[tb] - lon[ta])]))
            lat_l.append(np.array([lat[ta] + t * (lat[tb] - lat[ta])]))
            country_l.append(np.array([vcountry[ta]], dtype=np.int16))
            splits.setdefault(e, []).append((t, target))
        if vcountry[v] != vcountry[ta]:
            border_a.append(v)
            border_b.append(target)
        else:
            conn_a.append(v)
            conn_b.append(target)

    # split target segments at the inserted vertices
    drop = np.zeros(len(a), dtype=bool)
    add_a: list[int] = []
    add_b: list[int] = []
    add_line: list[int] = []
    for e, pts_e in splits.items():
        drop[e] = True
        chain = [int(a[e])] + [p for _, p in sorted(pts_e)] + [int(b[e])]
        add_a += chain[:-1]
        add_b += chain[1:]
        add_line += [int(eline[e])] * (len(chain) - 1)
    lon = np.concatenate(lon_l)
    lat = np.concatenate(lat_l)
    vcountry = np.concatenate(country_l)
    ea = np.concatenate([a[~drop], add_a, conn_a, border_a]).astype(np.int64)
    eb = np.concatenate([b[~drop], add_b, conn_b, border_b]).astype(np.int64)
    el = np.concatenate([eline[~drop], add_line, [-1] * len(conn_a), [-1] * len(border_a)]).astype(
        np.int64
    )
    eborder = np.zeros(len(ea), dtype=bool)
    eborder[len(ea) - len(border_a) :] = True
    _, _, dist_m = _GEOD.inv(lon[ea], lat[ea], lon[eb], lat[eb])
    dist_m = np.asarray(dist_m, dtype=np.float64)
    conn_mask = el == -1
    log.info(
        "noded %d lines: %d vertices, %d segments, %d connectors (%.1f km), %d border links",
        len(lines),
        len(lon),
        len(ea),
        int(conn_mask.sum()),
        dist_m[conn_mask].sum() / 1000,
        len(border_a),
    )
    return VertexGraph(
        lon=lon,
        lat=lat,
        country=vcountry,
        countries=countries,
        edge_a=ea,
        edge_b=eb,
        edge_line=el,
        edge_length_m=dist_m,
        edge_border=eborder,
        n_connectors=int(conn_mask.sum()),
        connector_km=float(dist_m[conn_mask].sum() / 1000),
    )


def _cross_cut_ends(
    best: dict[int, tuple[float, int]],
    best_foreign: dict[int, tuple[float, int]],
    cut: np.ndarray,
    dangles: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    vcountry: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    pts: np.ndarray,
    seg: np.ndarray,
    border_a: list[int],
    border_b: list[int],
    *,
    radius_m: float,
) -> None:
    """Join each end cut at a boundary to its nearest foreign line rather than a domestic one.

    Not where the two pieces already cross within ``radius_m``: the track ends of a yard
    beside a border bridge (Hairatan) or both carriageways of a road would otherwise each
    make a crossing of their own.  Pieces are the components of the lines and of the
    domestic connectors chosen so far; shorter joins go first.  Updates ``best`` in place.
    """
    dom = [
        (int(dangles[d]), int(a[e]))
        for d, (_, e) in best.items()
        if vcountry[a[e]] == vcountry[dangles[d]]
    ]
    piece = _labels(
        len(vcountry),
        np.concatenate([a, np.array([u for u, _ in dom], dtype=np.int64)]),
        np.concatenate([b, np.array([w for _, w in dom], dtype=np.int64)]),
    )

    def key(u: int, w: int) -> tuple[int, int]:
        return (min(piece[u], piece[w]), max(piece[u], piece[w]))

    def ends(d: int, e: int) -> np.ndarray:  # the dangle and its foot on segment e
        return shapely.get_coordinates(shapely.shortest_line(pts[d], seg[e]))

    near: dict[tuple[int, int], list[np.ndarray]] = {}
    for u, w in zip(border_a, border_b, strict=True):
        near.setdefault(key(u, w), []).append(np.array([[x[u], y[u]]]))
    for d, (_, e) in best.items():
        if vcountry[a[e]] != vcountry[dangles[d]]:
            near.setdefault(key(int(dangles[d]), int(a[e])), []).append(ends(d, e))
    for d, (s, e) in sorted(best_foreign.items(), key=lambda kv: (kv[1][0], kv[0])):
        v = int(dangles[d])
        if not cut[v] or best[d] == (s, e):
            continue
        p, k = ends(d, e), key(v, int(a[e]))
        if k in near:
            q = np.concatenate(near[k])
            if (np.hypot(q[:, None, 0] - p[:, 0], q[:, None, 1] - p[:, 1]) <= radius_m).any():
                continue
        best[d] = (s, e)
        near.setdefault(k, []).append(p)


def _labels(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Connected-component label of every vertex of the undirected graph (a, b)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    m = coo_matrix((np.ones(len(a)), (a, b)), shape=(n, n))
    return connected_components(m, directed=False)[1]


def _line_of_dangle(
    dangles: np.ndarray, a: np.ndarray, b: np.ndarray, eline: np.ndarray
) -> np.ndarray:
    """Source line of each dangle (the line of its one incident segment)."""
    out = np.full(len(dangles), -1, dtype=np.int64)
    pos = {int(v): i for i, v in enumerate(dangles.tolist())}
    for arr in (a, b):
        hit = np.flatnonzero(np.isin(arr, dangles))
        for k in hit.tolist():
            out[pos[int(arr[k])]] = eline[k]
    return out
