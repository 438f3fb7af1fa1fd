"""Every non-dominated path for two criteria at once (e.g. cost in USD and time in hours).

A path ``P`` dominates ``Q`` when it is no worse in both criteria and better in one.  The
Pareto front is the set of cost pairs that no path dominates; :func:`pareto_front` returns
one path for each such pair, sorted by the first criterion.  This is a true bi-criteria
search, not a sweep of weighted sums (which misses every point off the convex hull).

Method: bi-objective A* (BOA*; Hernández, Yeoh, Baier, Zhang, Felner, Koenig,
*Simple and efficient bi-objective search algorithms via fast dominance checks*,
Artificial Intelligence 314, 2023), with perfect single-criterion lower bounds.

1. Two reverse Dijkstras from the targets (compiled, :mod:`scipy.sparse.csgraph`) give,
   for every state ``v``, the least ``w1`` and the least ``w2`` still needed to finish
   (``h1``, ``h2``; exit costs included).  The first also yields a ``w1``-optimal path, whose
   ``w2`` bounds the ``w2`` of every Pareto path, so the second search stops there; the
   second yields a ``w2``-optimal path, whose ``w1`` bounds the ``w1`` of every Pareto path.
2. Labels ``(g1, g2)`` are expanded in lexicographic order of ``(g1 + h1, g2 + h2)``.  In
   that order a label at ``v`` is dominated exactly when its ``g2`` is not below the least
   ``g2`` already expanded at ``v``, so each dominance check is one comparison; a label
   whose ``g2 + h2`` is not below the best ``w2`` of a path already found is dropped, as is
   any label beyond the bounds of step 1.  Each path that reaches the virtual target is
   Pareto-optimal the moment it is popped.

Beyond the two compiled searches, only the states that labels reach are looked at: the
Python loop costs a few microseconds per label (``ParetoFront.labels``).  On a network with
few real trade-offs that is thousands of labels; where the criteria conflict everywhere (a
grid whose every cell offers a cheap-slow and a dear-fast arc) the front and the labels
explode, and ``max_labels`` is what keeps the answer interactive.  Two knobs
trade exactness for speed, both off by default: ``epsilon`` (a label is dropped when a path
found already is within a factor ``1 + epsilon`` of its lower bound in both criteria; the
result is then an ``epsilon``-approximate front: every true Pareto point is matched within
that factor) and ``max_stretch`` (only the cheap end of the front is sought, up to that
factor times the least ``w1``; exact within it, and the search stops much earlier, since
labels come out in order of ``w1``).  ``max_labels`` caps the work: when reached, the paths
found so far are returned with ``complete=False``; with ``epsilon=0`` they are exact Pareto
points, the ones with the least ``w1`` (possibly none).

For repeated queries on one graph, build a :class:`BiCriteriaGraph` once and call
:meth:`BiCriteriaGraph.front`; :func:`pareto_front` does both in one call.
"""

from __future__ import annotations

import heapq
import logging
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from geodata.errors import InvalidInputError, NoRouteError

__all__ = ["BiCriteriaGraph", "ParetoFront", "ParetoPath", "pareto_front"]

logger = logging.getLogger(__name__)

_INF = math.inf


@dataclass(frozen=True)
class ParetoPath:
    """One non-dominated path.

    Attributes
    ----------
    nodes
        States from the source to the target.
    arcs
        Index of each arc used, as a position in the ``src``/``dst`` arrays the graph was
        built from (``len(nodes) - 1`` entries).
    w1, w2
        The path's two criteria, entry and exit costs included.
    """

    nodes: tuple[int, ...]
    arcs: tuple[int, ...]
    w1: float
    w2: float


@dataclass(frozen=True)
class ParetoFront:
    """The answer of a bi-criteria search.

    Attributes
    ----------
    paths
        Mutually non-dominated paths, one per Pareto point, sorted by ``w1`` (so by
        decreasing ``w2``).
    complete
        False when ``max_labels`` stopped the search: ``paths`` is then the start (least
        ``w1``) of the front only.
    labels
        Number of labels created, a measure of the work done.
    """

    paths: tuple[ParetoPath, ...]
    complete: bool
    labels: int

    def __len__(self) -> int:
        return len(self.paths)

    def __iter__(self) -> Iterator[ParetoPath]:
        return iter(self.paths)

    def __getitem__(self, i: int) -> ParetoPath:
        return self.paths[i]


class BiCriteriaGraph:
    """Arcs with two non-negative weights, prepared for repeated Pareto queries.

    Parameters
    ----------
    n_states
        Number of states (nodes).
    src, dst
        End states of each arc.  Parallel arcs are kept: with two criteria a dearer but
        faster arc is not redundant.
    w1, w2
        The two finite, non-negative weights of each arc.
    """

    def __init__(
        self,
        n_states: int,
        src: np.ndarray,
        dst: np.ndarray,
        w1: np.ndarray,
        w2: np.ndarray,
    ) -> None:
        n = int(n_states)
        src = np.asarray(src, dtype=np.int64).reshape(-1)
        dst = np.asarray(dst, dtype=np.int64).reshape(-1)
        w1 = np.asarray(w1, dtype=np.float64).reshape(-1)
        w2 = np.asarray(w2, dtype=np.float64).reshape(-1)
        if n < 1:
            raise InvalidInputError("a graph needs at least one state")
        if not (len(src) == len(dst) == len(w1) == len(w2)):
            raise InvalidInputError("src, dst, w1 and w2 must have the same length")
        if len(src) and (min(src.min(), dst.min()) < 0 or max(src.max(), dst.max()) >= n):
            raise InvalidInputError(f"arc end out of range 0..{n - 1}")
        for name, w in (("w1", w1), ("w2", w2)):
            if not np.all(np.isfinite(w)) or np.any(w < 0):
                raise InvalidInputError(f"{name} must be finite and non-negative")
        self.n_states = n
        self.n_arcs = len(src)
        order = np.argsort(src, kind="stable")
        self._dst = dst[order]
        self._w1 = w1[order]
        self._w2 = w2[order]
        # what the label loop reads per state, two rows at a time: (arc, head), (w1, w2)
        self._adj_i = np.column_stack([order, self._dst])
        self._adj_f = np.column_stack([self._w1, self._w2])
        self._indptr = np.searchsorted(src[order], np.arange(n + 1))
        self._rev1 = _reverse_matrix(n, src, dst, w1)
        self._rev2 = _reverse_matrix(n, src, dst, w2)

    def front(
        self,
        sources: Sequence[int],
        targets: Sequence[int],
        *,
        source_costs: Sequence[tuple[float, float]] | np.ndarray | None = None,
        target_costs: Sequence[tuple[float, float]] | np.ndarray | None = None,
        max_labels: int = 1_000_000,
        epsilon: float = 0.0,
        max_stretch: float | None = None,
    ) -> ParetoFront:
        """All non-dominated paths from one of ``sources`` to one of ``targets``.

        Parameters
        ----------
        sources, targets
            Start and end states.
        source_costs, target_costs
            Optional ``(w1, w2)`` paid to start at each source and to finish at each
            target (shape ``(len, 2)``); zero by default.
        max_labels
            Most labels to create before giving up with ``complete=False``.
        epsilon
            Approximation factor (>= 0); 0 gives the exact front.
        max_stretch
            If given (>= 1), only the part of the front with ``w1`` at most this factor
            times the least ``w1`` is sought (e.g. "how much time can up to 30 % more
            money buy?"); that part is exact, and it always holds the ``w1`` optimum.

        Returns
        -------
        ParetoFront

        Raises
        ------
        InvalidInputError
            For bad nodes, costs or options.
        NoRouteError
            If no target can be reached from any source.
        """
        n = self.n_states
        src, sc = _ends(sources, source_costs, n, "source")
        tgt, tc = _ends(targets, target_costs, n, "target")
        if isinstance(max_labels, bool) or not isinstance(max_labels, int | np.integer):
            raise InvalidInputError(f"max_labels must be a positive integer, not {max_labels!r}")
        if max_labels < 1:
            raise InvalidInputError(f"max_labels must be a positive integer, not {max_labels!r}")
        if not (np.isfinite(epsilon) and epsilon >= 0):
            raise InvalidInputError(f"epsilon must be a non-negative number, not {epsilon!r}")
        if max_stretch is not None and not (np.isfinite(max_stretch) and max_stretch >= 1):
            raise InvalidInputError(f"max_stretch must be at least 1, not {max_stretch!r}")

        # 1. lower bounds, and one optimum per criterion for the bounding box
        h1, next1 = _reverse_search(self._rev1, tgt, tc[:, 0], _INF)
        start1 = _best_start(src, sc, h1, 0)
        if start1 is None:
            raise NoRouteError("no path between the given nodes")
        best1 = self._trace(start1, src, sc, tgt, tc, next1, criterion=0)
        lim2 = best1[1] - float(sc[:, 1].min())
        h2, next2 = _reverse_search(self._rev2, tgt, tc[:, 1], lim2 * (1 + 1e-9) + 1e-9)
        start2 = _best_start(src, sc, h2, 1)
        if start2 is None:  # cannot be: the w1-optimal path is within the limit
            raise NoRouteError("no path between the given nodes")
        best2 = self._trace(start2, src, sc, tgt, tc, next2, criterion=1)
        bound1, bound2 = best2[0], best1[1]
        if max_stretch is not None:
            bound1 = min(bound1, max_stretch * best1[0])
        # a whisker of slack so that rounding never drops the bounding paths themselves
        bound1 = bound1 * (1 + 1e-9) + 1e-12
        bound2 = bound2 * (1 + 1e-9) + 1e-12
        logger.debug(
            "pareto: w1 in [%.6g, %.6g], w2 in [%.6g, %.6g]", best1[0], best2[0], best2[1], best1[1]
        )

        # 2. BOA*
        paths, labels, complete = self._boa(
            src, sc, tgt, tc, h1, h2, bound1, bound2, int(max_labels), 1.0 + float(epsilon)
        )
        if not paths and complete:  # a path exists (step 1 found one): never say none
            raise RuntimeError("pareto: the bounded search lost the optimum; please report")
        logger.info(
            "pareto: %d paths, %d labels%s", len(paths), labels, "" if complete else " (capped)"
        )
        return ParetoFront(tuple(paths), complete, labels)

    def _trace(
        self,
        start: tuple[int, float, float],
        src: np.ndarray,
        sc: np.ndarray,
        tgt: np.ndarray,
        tc: np.ndarray,
        nxt: np.ndarray,
        *,
        criterion: int,
    ) -> tuple[float, float]:
        """``(w1, w2)`` of the single-criterion optimum that starts at ``start``."""
        v, g1, g2 = start
        n = self.n_states
        w = (self._w1, self._w2)
        other = 1 - criterion
        while True:
            u = int(nxt[v])
            if u < 0 or u == n:  # v is where the optimum leaves through a target
                break
            lo, hi = int(self._indptr[v]), int(self._indptr[v + 1])
            cand = np.flatnonzero(self._dst[lo:hi] == u) + lo
            best = cand[np.lexsort((w[other][cand], w[criterion][cand]))[0]]
            g1 += float(self._w1[best])
            g2 += float(self._w2[best])
            v = u
        exits = np.flatnonzero(tgt == v)
        e = exits[np.lexsort((tc[exits, other], tc[exits, criterion]))[0]]
        return g1 + float(tc[e, 0]), g2 + float(tc[e, 1])

    def _boa(
        self,
        src: np.ndarray,
        sc: np.ndarray,
        tgt: np.ndarray,
        tc: np.ndarray,
        h1a: np.ndarray,
        h2a: np.ndarray,
        bound1: float,
        bound2: float,
        max_labels: int,
        eps: float,
    ) -> tuple[list[ParetoPath], int, bool]:
        """The BOA* loop; returns the paths found, the labels created and completeness."""
        goal = self.n_states  # the virtual target
        indptr, dst, adj_i, adj_f = self._indptr, self._dst, self._adj_i, self._adj_f
        h = np.column_stack([h1a, h2a])
        exits: dict[int, list[tuple[float, float]]] = {}
        for t, (c1, c2) in zip(tgt.tolist(), tc.tolist(), strict=True):
            exits.setdefault(t, []).append((c1, c2))
        # per state: out-arcs as (arc, head, w1, w2, h1 of head, h2 of head), built on first use
        adjacency: list[list[tuple[int, int, float, float, float, float]] | None]
        adjacency = [None] * goal
        g2min = [_INF] * (goal + 1)  # least g2 expanded at each state
        labels: list[tuple[int, int, int]] = []  # (state, arc or -1, parent label or -1)
        heap: list[tuple[float, float, int, float, float]] = []  # (f1, f2, label, g1, g2)
        for s, (c1, c2) in zip(src.tolist(), sc.tolist(), strict=True):
            f1, f2 = c1 + float(h1a[s]), c2 + float(h2a[s])
            if f1 <= bound1 and f2 <= bound2:
                heap.append((f1, f2, len(labels), c1, c2))
                labels.append((s, -1, -1))
        heapq.heapify(heap)
        found: list[tuple[int, float, float]] = []
        best_goal = _INF  # least w2 of a path found so far
        complete = True
        pop, push, append = heapq.heappop, heapq.heappush, labels.append
        count = len(labels)
        while heap:
            f1, f2, lid, g1, g2 = pop(heap)
            v = labels[lid][0]
            if v == goal:
                if g2 * eps < best_goal:
                    best_goal = g2
                    found.append((lid, g1, g2))
                continue
            if g2 >= g2min[v] or f2 * eps >= best_goal:
                continue
            g2min[v] = g2
            adj = adjacency[v]
            if adj is None:
                lo, hi = int(indptr[v]), int(indptr[v + 1])
                adj = [
                    (a, t, c1, c2, x1, x2)
                    for (a, t), (c1, c2), (x1, x2) in zip(
                        adj_i[lo:hi].tolist(),
                        adj_f[lo:hi].tolist(),
                        h[dst[lo:hi]].tolist(),
                        strict=True,
                    )
                    if x1 < _INF and x2 < _INF
                ]
                adjacency[v] = adj
            for a, t, c1, c2, th1, th2 in adj:
                n2 = g2 + c2
                if n2 >= g2min[t]:
                    continue
                nf2 = n2 + th2
                if nf2 > bound2 or nf2 * eps >= best_goal:
                    continue
                n1 = g1 + c1
                nf1 = n1 + th1
                if nf1 > bound1:
                    continue
                push(heap, (nf1, nf2, count, n1, n2))
                append((t, a, lid))
                count += 1
            ends = exits.get(v)
            if ends is not None:
                for c1, c2 in ends:
                    n1, n2 = g1 + c1, g2 + c2
                    if n1 <= bound1 and n2 <= bound2 and n2 * eps < best_goal:
                        push(heap, (n1, n2, count, n1, n2))
                        append((goal, -1, lid))
                        count += 1
            if count > max_labels:
                complete = False
                logger.warning(
                    "pareto: stopped at %d labels with %d paths found; the front is incomplete",
                    count,
                    len(found),
                )
                break
        paths = []
        for lid, g1, g2 in found:
            nodes: list[int] = []
            arcs: list[int] = []
            i = labels[lid][2]  # the label at the target state
            while i >= 0:
                state, a, i = labels[i]
                nodes.append(state)
                if a >= 0:
                    arcs.append(a)
            nodes.reverse()
            arcs.reverse()
            paths.append(ParetoPath(tuple(nodes), tuple(arcs), g1, g2))
        return paths, count, complete


def pareto_front(
    n_states: int,
    src: np.ndarray,
    dst: np.ndarray,
    w1: np.ndarray,
    w2: np.ndarray,
    sources: Sequence[int],
    targets: Sequence[int],
    *,
    source_costs: Sequence[tuple[float, float]] | np.ndarray | None = None,
    target_costs: Sequence[tuple[float, float]] | np.ndarray | None = None,
    max_labels: int = 1_000_000,
    epsilon: float = 0.0,
    max_stretch: float | None = None,
) -> ParetoFront:
    """All non-dominated ``(w1, w2)`` paths between a source set and a target set.

    A one-shot wrapper: ``BiCriteriaGraph(n_states, src, dst, w1, w2).front(...)``; see
    :meth:`BiCriteriaGraph.front` for the options and the module docstring for the method.

    Examples
    --------
    >>> import numpy as np
    >>> src, dst = np.array([0, 0, 1, 2]), np.array([1, 2, 3, 3])
    >>> usd, hours = np.array([1.0, 5.0, 1.0, 1.0]), np.array([9.0, 1.0, 9.0, 1.0])
    >>> [(p.w1, p.w2) for p in pareto_front(4, src, dst, usd, hours, [0], [3])]
    [(2.0, 18.0), (6.0, 2.0)]
    """
    graph = BiCriteriaGraph(n_states, src, dst, w1, w2)
    return graph.front(
        sources,
        targets,
        source_costs=source_costs,
        target_costs=target_costs,
        max_labels=max_labels,
        epsilon=epsilon,
        max_stretch=max_stretch,
    )


def _reverse_matrix(n: int, src: np.ndarray, dst: np.ndarray, w: np.ndarray) -> csr_matrix:
    """The transposed graph with the least weight of each group of parallel arcs.

    Zero weights stay explicit entries, which csgraph treats as arcs of length zero.
    """
    order = np.lexsort((w, src, dst))
    r, c, x = dst[order], src[order], w[order]
    first = np.ones(len(r), dtype=bool)
    first[1:] = (r[1:] != r[:-1]) | (c[1:] != c[:-1])
    r, c, x = r[first], c[first], x[first]
    indptr = np.searchsorted(r, np.arange(n + 2))
    indptr[-1] = indptr[-2]  # room for a virtual target row, empty until a query fills it
    return csr_matrix((x, c.astype(np.int32), indptr.astype(np.int32)), shape=(n + 1, n + 1))


def _reverse_search(
    rev: csr_matrix, tgt: np.ndarray, cost: np.ndarray, limit: float
) -> tuple[np.ndarray, np.ndarray]:
    """Least remaining weight from every state, and the next state on the way.

    ``next[v]`` is the state after ``v`` on a cheapest way out, ``n`` where ``v`` leaves
    through its exit cost, negative where ``v`` is a target left at no extra cost or
    cannot reach a target within ``limit``.
    """
    n = rev.shape[0] - 1
    if np.all(cost == cost[0]):
        # all exits cost the same: a plain multi-source search, no matrix to rebuild
        c0 = float(cost[0])
        dist, pred, _ = dijkstra(
            rev,
            directed=True,
            indices=np.unique(tgt),
            return_predecessors=True,
            min_only=True,
            limit=max(limit - c0, 0.0),
        )
        return dist[:n] + c0, pred[:n]
    # a virtual target (row n) joined to each target by its cheapest exit cost
    order = np.lexsort((cost, tgt))
    t, c = tgt[order], cost[order]
    first = np.ones(len(t), dtype=bool)
    first[1:] = t[1:] != t[:-1]
    t, c = t[first], c[first]
    nnz = int(rev.indptr[n])
    indptr = rev.indptr.copy()
    indptr[n + 1] = nnz + len(t)
    ext = csr_matrix(
        (
            np.concatenate([rev.data[:nnz], c]),
            np.concatenate([rev.indices[:nnz], t.astype(np.int32)]),
            indptr,
        ),
        shape=rev.shape,
    )
    # zero exit costs: csgraph keeps explicit zeros as arcs
    dist, pred = dijkstra(ext, directed=True, indices=n, return_predecessors=True, limit=limit)
    return dist[:n], pred[:n]


def _best_start(
    src: np.ndarray, sc: np.ndarray, h: np.ndarray, criterion: int
) -> tuple[int, float, float] | None:
    """The source entry that starts a path optimal in ``criterion``, with its entry costs."""
    total = sc[:, criterion] + h[src]
    if not np.isfinite(total).any():
        return None
    other = 1 - criterion
    i = int(np.lexsort((sc[:, other], total))[0])
    return int(src[i]), float(sc[i, 0]), float(sc[i, 1])


def _ends(
    nodes: Sequence[int],
    costs: Sequence[tuple[float, float]] | np.ndarray | None,
    n: int,
    what: str,
) -> tuple[np.ndarray, np.ndarray]:
    arr = np.asarray(nodes, dtype=np.int64).reshape(-1)
    if arr.size == 0:
        raise InvalidInputError("a search needs at least one source and one target")
    if arr.min() < 0 or arr.max() >= n:
        raise InvalidInputError(f"{what} state out of range 0..{n - 1}")
    if costs is None:
        cost = np.zeros((len(arr), 2))
    else:
        cost = np.asarray(costs, dtype=np.float64)
        if cost.shape != (len(arr), 2):
            raise InvalidInputError(f"{what} costs must be one (w1, w2) pair per {what}")
        if not np.all(np.isfinite(cost)) or np.any(cost < 0):
            raise InvalidInputError(f"{what} costs must be finite and non-negative")
    return arr, cost
