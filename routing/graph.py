"""A directed graph in compressed sparse row form with one weight per arc.

Arcs are built from the network's edges: an undirected edge gives two arcs, a one-way
edge one.  Each arc remembers the edge it came from, so a path is reported as a
sequence of edge indexes with a direction.  Searches use
:func:`scipy.sparse.csgraph.dijkstra` (compiled), with several sources at once for
places that have a node in more than one mode.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from geodata.errors import InvalidInputError, NoRouteError

__all__ = ["CostedGraph", "Path", "shortest_path"]


@dataclass(frozen=True)
class Path:
    """A shortest path.

    Attributes
    ----------
    nodes
        Node ids from origin to destination.
    edges
        Edge index of each step (``len(nodes) - 1`` entries).
    forward
        For each step, True if the edge was used from its ``u`` to its ``v``.
    cost
        Sum of the arc weights along the path.
    """

    nodes: tuple[int, ...]
    edges: tuple[int, ...]
    forward: tuple[bool, ...]
    cost: float


class CostedGraph:
    """Arcs with weights, ready for repeated searches.

    Parameters
    ----------
    n_nodes
        Number of nodes.
    edge_u, edge_v
        End nodes of each edge.
    oneway
        True where an edge may only be used from ``u`` to ``v``.
    weight
        Non-negative, finite weight of each edge (the same in both directions).
    usable
        Edges that may be used at all; unusable edges are absent from the graph (not
        priced at infinity).
    """

    def __init__(
        self,
        n_nodes: int,
        edge_u: np.ndarray,
        edge_v: np.ndarray,
        oneway: np.ndarray,
        weight: np.ndarray,
        usable: np.ndarray | None = None,
    ) -> None:
        weight = np.asarray(weight, dtype=np.float64)
        usable = np.ones(len(edge_u), dtype=bool) if usable is None else np.asarray(usable)
        if not np.all(np.isfinite(weight[usable])) or np.any(weight[usable] < 0):
            raise InvalidInputError("edge weights must be finite and non-negative")
        idx = np.flatnonzero(usable)
        two = idx[~np.asarray(oneway)[idx]]
        src = np.concatenate([edge_u[idx], edge_v[two]]).astype(np.int64)
        dst = np.concatenate([edge_v[idx], edge_u[two]]).astype(np.int64)
        arc_edge = np.concatenate([idx, two])
        arc_fwd = np.concatenate([np.ones(len(idx), bool), np.zeros(len(two), bool)])
        w = weight[arc_edge]
        # Parallel arcs: keep the cheapest per (src, dst) so the CSR matrix is exact;
        # scipy would otherwise sum duplicates.  Zero weights are stored as a tiny epsilon
        # because csgraph treats explicit zeros in a sparse matrix as missing arcs.
        order = np.lexsort((w, dst, src))
        src, dst, w, arc_edge, arc_fwd = (a[order] for a in (src, dst, w, arc_edge, arc_fwd))
        first = np.ones(len(src), dtype=bool)
        first[1:] = (src[1:] != src[:-1]) | (dst[1:] != dst[:-1])
        self._src, self._dst = src[first], dst[first]
        self._w = w[first]
        self._edge, self._fwd = arc_edge[first], arc_fwd[first]
        self.n_nodes = int(n_nodes)
        data = np.where(self._w > 0, self._w, _EPS)
        indptr = np.searchsorted(self._src, np.arange(n_nodes + 1))
        self.matrix = csr_matrix((data, self._dst, indptr), shape=(n_nodes, n_nodes))

    def arc(self, a: int, b: int) -> tuple[int, bool, float]:
        """Return ``(edge, forward, weight)`` of the cheapest arc from ``a`` to ``b``."""
        lo, hi = self.matrix.indptr[a], self.matrix.indptr[a + 1]
        k = int(lo + np.searchsorted(self._dst[lo:hi], b))
        return int(self._edge[k]), bool(self._fwd[k]), float(self._w[k])

    def distances(self, sources: Sequence[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Distances from the nearest of ``sources`` to every node.

        Returns
        -------
        dist, predecessors, source_of
            As :func:`scipy.sparse.csgraph.dijkstra` with ``min_only=True``.
        """
        dist, pred, src = dijkstra(
            self.matrix,
            directed=True,
            indices=list(sources),
            return_predecessors=True,
            min_only=True,
        )
        return dist, pred, src


_EPS = 1e-12


def shortest_path(graph: CostedGraph, sources: Sequence[int], targets: Sequence[int]) -> Path:
    """Cheapest path from any of ``sources`` to any of ``targets``.

    Raises
    ------
    NoRouteError
        If no target can be reached.
    """
    if not sources or not targets:
        raise InvalidInputError("a search needs at least one source and one target")
    dist, pred, _ = graph.distances(sources)
    tarr = np.asarray(targets)
    reach = dist[tarr]
    if not np.isfinite(reach).any():
        raise NoRouteError("no path between the given nodes")
    t = int(tarr[np.argmin(reach)])
    nodes = [t]
    while pred[nodes[-1]] >= 0:
        nodes.append(int(pred[nodes[-1]]))
    nodes.reverse()
    edges, fwd = [], []
    total = 0.0
    for a, b in itertools.pairwise(nodes):
        e, f, w = graph.arc(a, b)
        edges.append(e)
        fwd.append(f)
        total += w
    return Path(tuple(nodes), tuple(edges), tuple(fwd), total)


def best_path(
    graph: CostedGraph,
    sources: Sequence[int],
    source_costs: Sequence[float],
    targets: Sequence[int],
    target_costs: Sequence[float],
) -> Path:
    """Cheapest path from one of ``sources`` to one of ``targets``, with entry and exit costs.

    ``source_costs[i]`` is paid to start at ``sources[i]`` (loading a train at the origin
    terminal, say) and ``target_costs[j]`` to finish at ``targets[j]``.  The reported
    ``cost`` includes both.

    Raises
    ------
    NoRouteError
        If no target can be reached from any source.
    """
    if not targets:
        raise InvalidInputError("a search needs at least one source and one target")
    path = best_paths(graph, sources, source_costs, [(targets, target_costs)])[0]
    if path is None:
        raise NoRouteError("no path between the given nodes")
    return path


def best_paths(
    graph: CostedGraph,
    sources: Sequence[int],
    source_costs: Sequence[float],
    target_sets: Sequence[tuple[Sequence[int], Sequence[float]]],
) -> list[Path | None]:
    """:func:`best_path` from one set of sources to many target sets, with one search.

    Returns one path per target set, or None where that set cannot be reached.
    """
    if not sources:
        raise InvalidInputError("a search needs at least one source and one target")
    src = np.asarray(sources, dtype=np.int64)
    dist, pred = dijkstra(graph.matrix, directed=True, indices=src, return_predecessors=True)
    dist = np.atleast_2d(dist)
    pred = np.atleast_2d(pred)
    out: list[Path | None] = []
    for targets, target_costs in target_sets:
        tgt = np.asarray(targets, dtype=np.int64)
        if not len(tgt):
            out.append(None)
            continue
        total = np.asarray(source_costs)[:, None] + dist[:, tgt] + np.asarray(target_costs)[None, :]
        if not np.isfinite(total).any():
            out.append(None)
            continue
        i, j = np.unravel_index(np.argmin(total), total.shape)
        nodes = [int(tgt[j])]
        while pred[i, nodes[-1]] >= 0:
            nodes.append(int(pred[i, nodes[-1]]))
        nodes.reverse()
        edges, fwd = [], []
        for a, b in itertools.pairwise(nodes):
            e, f, _ = graph.arc(a, b)
            edges.append(e)
            fwd.append(f)
        out.append(Path(tuple(nodes), tuple(edges), tuple(fwd), float(total[i, j])))
    return out
