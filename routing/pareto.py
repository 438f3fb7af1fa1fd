"""Every non-dominated path for two criteria at once (e.g. cost in USD and time in hours).

A path ``P`` dominates ``Q`` when it is no worse in both criteria and better in one.  The
Pareto front is the set of cost pairs that no path dominates; :func:`pareto_front` returns
one path for each such pair, sorted by the first criterion.  This is a true bi-criteria
search, not a sweep of weighted sums (which misses every point off the convex hull).

Method: bi-objective A* (BOA*; Hernández, Yeoh, Baier, Zhang, Felner, Koenig,
*Simple and efficient bi-objective search algorithms via fast dominance checks*,
Artificial Intelligence 314, 2023), with perfect single-criterion lower bounds.

1. Two reverse Dijkstras from the targets (the compiled kernel ``routing._kernel``) give,
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

Beyond the two reverse searches, only the states that labels reach are looked at: the
label loop is compiled too (``routing._kernel.boa``) and costs well under a microsecond
per label (``ParetoFront.labels``).  On a network with
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

import logging
import math
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from geodata.errors import InvalidInputError, NoRouteError
from routing._native import load
from routing.graph import multi_source

_kernel = load()

__all__ = ["BiCriteriaGraph", "ParetoFront", "ParetoPath", "pareto_front"]

logger = logging.getLogger(__name__)
#: Run the two backward searches of :meth:`BiCriteriaGraph.front` on two threads.
_PARALLEL = (os.cpu_count() or 1) > 1

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
        self._arc = order.astype(np.int64)  # arc id of each CSR position
        self._head = self._dst.astype(np.int32)
        self._indptr = np.searchsorted(src[order], np.arange(n + 1)).astype(np.int64)
        self._rev1 = _reverse_csr(n, src, dst, w1)
        self._rev2 = _reverse_csr(n, src, dst, w2)

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
        if _PARALLEL:
            # the two backward searches side by side (the kernel releases the GIL); the
            # second then runs to the end instead of stopping at the w1-optimum's w2
            with ThreadPoolExecutor(max_workers=2) as pool:
                second = pool.submit(_reverse_search, self._rev2, tgt, tc[:, 1], _INF)
                h1, next1 = _reverse_search(self._rev1, tgt, tc[:, 0], _INF)
                h2, next2 = second.result()
        else:
            h1, next1 = _reverse_search(self._rev1, tgt, tc[:, 0], _INF)
        start1 = _best_start(src, sc, h1, 0)
        if start1 is None:
            raise NoRouteError("no path between the given nodes")
        best1 = self._trace(start1, src, sc, tgt, tc, next1, criterion=0)
        if not _PARALLEL:
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
        states = [v]
        while True:
            u = int(nxt[v])
            if u < 0 or u == n:  # v is where the optimum leaves through a target
                break
            states.append(u)
            v = u
        if len(states) > 1:
            # per step, of the parallel arcs to the next state the best in the criterion,
            # then in the other one: all steps at once
            at = np.asarray(states[:-1], dtype=np.int64)
            to = np.asarray(states[1:], dtype=np.int64)
            lo, hi = self._indptr[at], self._indptr[at + 1]
            step = np.repeat(np.arange(len(at)), hi - lo)
            arc = np.arange(len(step)) - np.repeat(np.cumsum(hi - lo) - (hi - lo), hi - lo)
            arc += np.repeat(lo, hi - lo)
            ok = self._dst[arc] == to[step]
            step, arc = step[ok], arc[ok]
            order = np.lexsort((w[other][arc], w[criterion][arc], step))
            first = np.ones(len(order), dtype=bool)
            first[1:] = step[order][1:] != step[order][:-1]
            best = arc[order][first]
            g1 += float(self._w1[best].sum())
            g2 += float(self._w2[best].sum())
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
        """The BOA* loop (compiled); returns the paths found, the labels created and
        completeness."""
        found, count, complete = _kernel.boa(
            self._indptr,
            self._head,
            self._w1,
            self._w2,
            self._arc,
            np.ascontiguousarray(h1a, dtype=np.float64),
            np.ascontiguousarray(h2a, dtype=np.float64),
            np.ascontiguousarray(src, dtype=np.int64),
            np.ascontiguousarray(sc[:, 0]),
            np.ascontiguousarray(sc[:, 1]),
            np.ascontiguousarray(tgt, dtype=np.int64),
            np.ascontiguousarray(tc[:, 0]),
            np.ascontiguousarray(tc[:, 1]),
            float(bound1),
            float(bound2),
            int(max_labels),
            float(eps),
        )
        if not complete:
            logger.warning(
                "pareto: stopped at %d labels with %d paths found; the front is incomplete",
                count,
                len(found),
            )
        paths = [ParetoPath(tuple(nodes), tuple(arcs), g1, g2) for nodes, arcs, g1, g2 in found]
        return paths, int(count), bool(complete)


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


def _reverse_csr(n: int, src: np.ndarray, dst: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, ...]:
    """The transposed graph as CSR arrays ``(indptr, head, weight, row)`` (parallel arcs
    kept; ``row`` is the row of each position)."""
    order = np.argsort(dst, kind="stable")
    rows = dst[order]
    indptr = np.searchsorted(rows, np.arange(n + 1)).astype(np.int64)
    return indptr, src[order].astype(np.int32), np.ascontiguousarray(w[order]), rows


def _reverse_search(
    rev: tuple[np.ndarray, ...], tgt: np.ndarray, cost: np.ndarray, limit: float
) -> tuple[np.ndarray, np.ndarray]:
    """Least remaining weight from every state, and the next state on the way.

    ``next[v]`` is the state after ``v`` on a cheapest way out, negative where ``v`` is left
    through its exit cost or cannot reach a target within ``limit`` (one compiled search
    from the targets, each starting at its exit cost).
    """
    indptr, head, w, rows = rev
    n = len(indptr) - 1
    dist, pred = multi_source((indptr, head, w), tgt, cost, limit)
    # the reverse arc at position p leads from row(p) back to head[p]: the next state is
    # the row of the arc that reached v
    nxt = np.full(n, -1, dtype=np.int64)
    reached = pred >= 0
    nxt[reached] = rows[pred[reached]]
    return dist, nxt


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
