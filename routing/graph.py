"""A directed graph in compressed sparse row form with one weight per arc.

Arcs are built from the network's edges: an undirected edge gives two arcs, a one-way
edge one.  Each arc remembers the edge it came from, so a path is reported as a
sequence of edge indexes with a direction.

Searches run in a compiled kernel (``routing._kernel``, a C extension built at install): a
binary-heap Dijkstra from several sources with entry costs that stops as soon as the best
target of every target set is final.  Only nodes that have an arc are kept in the search
arrays (a state graph has many states no arc reaches).  From a graph's second query on,
single-pair searches are A* searches with the ALT potential (Goldberg & Harrelson,
*Computing the shortest path: A* search meets graph theory*, SODA 2005): distances from and
to a few landmarks on the graph of ``groups`` (for a state graph, the network node of each
state, a much smaller graph whose arc weights are the least weight between two groups; by
default each node is its own group) bound, by the triangle inequality, the weight still
needed to reach a target.  The bound is consistent, so the answer stays exact.

A graph that will answer many queries on the same weights can be contracted once
(:meth:`CostedGraph.contract`, a contraction hierarchy in :mod:`routing.hierarchy`); its
single-pair and set-to-set searches then run as two small upward searches.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from geodata.errors import InvalidInputError, NoRouteError
from routing._arrays import indices, indptr
from routing._native import load
from routing._scratch import Lender, kernel_scratch
from routing.customisable import CustomisableHierarchy, Metric, shared_hierarchy
from routing.hierarchy import Hierarchy

_kernel = load()

#: A path as arrays, for callers that need no :class:`Path`: the edge index and direction of
#: each step, the node ids along it, and its cost.
PathArrays = tuple[np.ndarray, np.ndarray, np.ndarray, float]

__all__ = ["CostedGraph", "Path", "best_path", "best_paths", "shortest_path"]


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
    groups
        Optional non-negative group id of each node (e.g. the network node of each state
        of a state graph): the landmarks of the A* potential live on the (smaller) graph of
        groups.  By default each node is its own group.
    """

    def __init__(
        self,
        n_nodes: int,
        edge_u: np.ndarray,
        edge_v: np.ndarray,
        oneway: np.ndarray,
        weight: np.ndarray,
        usable: np.ndarray | None = None,
        groups: np.ndarray | None = None,
    ) -> None:
        weight = np.asarray(weight, dtype=np.float64)
        usable = np.ones(len(edge_u), dtype=bool) if usable is None else np.asarray(usable)
        if not np.all(np.isfinite(weight[usable])) or np.any(weight[usable] < 0):
            raise InvalidInputError("edge weights must be finite and non-negative")
        n_nodes = int(n_nodes)
        edge_u = np.asarray(edge_u, dtype=np.int64)
        edge_v = np.asarray(edge_v, dtype=np.int64)
        idx = np.flatnonzero(usable)
        two = idx[~np.asarray(oneway)[idx]]
        src = np.concatenate([edge_u[idx], edge_v[two]])
        dst = np.concatenate([edge_v[idx], edge_u[two]])
        if len(src) and (min(src.min(), dst.min()) < 0 or max(src.max(), dst.max()) >= n_nodes):
            raise InvalidInputError(f"edge end out of range 0..{n_nodes - 1}")
        arc_edge = np.concatenate([idx, two])
        arc_fwd = np.concatenate([np.ones(len(idx), bool), np.zeros(len(two), bool)])
        w = weight[arc_edge]
        # Parallel arcs: keep the cheapest per (src, dst) (the first edge among equals).
        key = src * n_nodes + dst
        order = np.argsort(key, kind="stable")
        k = key[order]
        first = np.ones(len(k), dtype=bool)
        first[1:] = k[1:] != k[:-1]
        self._parallel: tuple[np.ndarray, ...] | None = None
        if not first.all():
            pick = _cheapest_first(w[order], first)
            # kept for with_weights: the runs of parallel arcs (sorted by (src, dst)),
            # where each starts, and the kept arc's position of each run
            run = np.cumsum(first) - 1
            size = np.bincount(run)
            multi = size[run] > 1
            self._parallel = (
                arc_edge[order][multi],
                arc_fwd[order][multi],
                first[multi],
                np.flatnonzero(size > 1),
            )
            order = order[pick]
        self._src, self._dst = src[order], dst[order]
        self._w = w[order]
        self._edge, self._fwd = arc_edge[order], arc_fwd[order]
        self.n_nodes = n_nodes
        self.indptr = indptr(self._src, n_nodes)
        # compact numbering for the kernel: only nodes with an arc (order kept)
        used = np.zeros(n_nodes, dtype=bool)
        used[self._src] = True
        used[self._dst] = True
        self._state = np.flatnonzero(used)  # compact -> node
        self._pos = np.full(n_nodes, -1, dtype=np.int64)  # node -> compact or -1
        self._pos[self._state] = np.arange(len(self._state))
        csrc = self._pos[self._src]
        self._tail = csrc  # compact tail of each arc
        self._head = self._pos[self._dst].astype(np.int32)
        self._cptr = indptr(csrc, len(self._state))
        # without groups each node is its own group: A* with landmarks on the graph itself
        self._groups = np.arange(n_nodes) if groups is None else np.asarray(groups, np.int64)
        self._queries = 0
        if self._groups.shape != (n_nodes,) or (n_nodes and self._groups.min() < 0):
            raise InvalidInputError("groups must give one non-negative id per node")

    @cached_property
    def matrix(self) -> Any:
        """The graph as a :class:`scipy.sparse.csr_matrix` (node numbering, cheapest arcs).

        Zero weights are stored as a tiny epsilon, because csgraph treats explicit zeros
        in a sparse matrix as missing arcs.  Built on first use (for other libraries).
        """
        from scipy.sparse import csr_matrix

        data = np.where(self._w > 0, self._w, _EPS)
        n = self.n_nodes
        return csr_matrix((data, self._dst, self.indptr), shape=(n, n))

    @property
    def n_arcs(self) -> int:
        """Number of arcs (parallel arcs merged)."""
        return len(self._w)

    def arc(self, a: int, b: int) -> tuple[int, bool, float]:
        """Return ``(edge, forward, weight)`` of the cheapest arc from ``a`` to ``b``."""
        lo, hi = self.indptr[a], self.indptr[a + 1]
        k = int(lo + np.searchsorted(self._dst[lo:hi], b))
        return int(self._edge[k]), bool(self._fwd[k]), float(self._w[k])

    def distances(self, sources: Sequence[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Distances from the nearest of ``sources`` to every node.

        Returns
        -------
        dist, predecessors, source_of
            As :func:`scipy.sparse.csgraph.dijkstra` with ``min_only=True``: ``inf``,
            ``-9999`` and ``-9999`` where a node is not reached.
        """
        src = _nodes(sources, self.n_nodes, "source")
        dist_c, pred_c = self.search(src, np.zeros(len(src)))
        n = self.n_nodes
        dist = np.full(n, np.inf)
        pred = np.full(n, _NONE, dtype=np.int64)
        origin = np.full(n, _NONE, dtype=np.int64)
        st = self._state
        dist[st] = dist_c
        reached = pred_c >= 0
        pred[st[reached]] = self._src[pred_c[reached]]
        # the source each node's path starts from: jump along predecessors to the root
        fin = np.flatnonzero(np.isfinite(dist_c))
        up = np.arange(len(st))
        up[reached] = self._tail[pred_c[reached]]
        while True:
            nxt = up[up]
            if np.array_equal(nxt, up):
                break
            up = nxt
        origin[st[fin]] = st[up[fin]]
        for s in src.tolist():  # sources without arcs reach only themselves
            if dist[s] == np.inf or self._pos[s] < 0:
                dist[s], origin[s] = 0.0, s
        return dist, pred, origin

    def search(
        self,
        sources: np.ndarray,
        source_costs: np.ndarray,
        target_sets: Sequence[tuple[np.ndarray, np.ndarray]] = (),
        *,
        limit: float = np.inf,
        heuristic: tuple[Any, ...] | None = None,
        weights: np.ndarray | None = None,
        prune: bool = False,
        out: tuple[np.ndarray, ...] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """One compiled search in compact numbering.

        ``sources`` and targets are node ids; nodes without arcs are dropped.  Returns
        ``dist`` and ``pred`` (arc position of the last arc, -1 at a source or where not
        settled) per compact node; without targets every node within ``limit`` is settled.
        ``heuristic`` is an A* potential from :meth:`heuristic`, :meth:`potential`,
        :meth:`bounds_potential` or :meth:`group_potential`: a lower bound of the
        weight to the nearest target of any set, so it holds for each.  ``weights``
        replaces the arc weights (same positions), e.g. penalised ones.
        With ``prune`` (and a heuristic) a state is left out when its distance plus its
        potential exceeds ``limit`` (no path within ``limit`` passes it), not only its
        distance.  ``out`` = ``(dist, pred)`` are arrays to write the result into (float64
        and int64, one per compact node), e.g. the same ones for every round of a caller
        that searches repeatedly: fresh arrays of this size cost more to map into memory
        than a short search takes.  ``out`` = ``(dist, pred, touched, count)`` (int64, one
        per compact node; int64[1], -1 at first) also lists the states the last search
        settled, so that the next one resets only those instead of every state: the four
        must only ever be written by these searches (``count`` -1 means "unknown", and
        every state is reset).
        """
        pos = self._pos
        s = pos[sources]
        keep = s >= 0
        s, sc = s[keep], np.asarray(source_costs, dtype=np.float64)[keep]
        tg: list[np.ndarray] = []
        tc: list[np.ndarray] = []
        ts: list[np.ndarray] = []
        for i, (t, c) in enumerate(target_sets):
            t = pos[np.asarray(t, dtype=np.int64)]
            ok = t >= 0
            tg.append(t[ok])
            tc.append(np.asarray(c, dtype=np.float64)[ok])
            ts.append(np.full(int(ok.sum()), i, dtype=np.int64))
        tgt = np.concatenate(tg) if tg else np.empty(0, np.int64)
        tcost = np.concatenate(tc) if tc else np.empty(0)
        tset = np.concatenate(ts) if ts else np.empty(0, np.int64)
        nc = len(self._state)
        if out is None:
            dist, pred, clean = np.empty(nc), np.empty(nc, dtype=np.int64), None
        else:
            _check_out(out, nc)
            dist, pred = out[:2]
            clean = tuple(out[2:]) or None
        best = np.empty(len(target_sets), dtype=np.int64)
        with kernel_scratch(nc, len(self._head)) as ws:
            _kernel.dijkstra(
                self._cptr,
                self._head,
                self._w if weights is None else weights,
                s.astype(np.int64),
                sc,
                tgt,
                tcost,
                tset,
                len(target_sets),
                float(limit),
                heuristic,
                dist,
                pred,
                best,
                prune,
                ws,
                clean,
            )
        return dist, pred

    def __getstate__(self) -> dict[str, Any]:
        # lent scratch arrays are not pickled (made anew where needed)
        return {k: v for k, v in self.__dict__.items() if k not in _SCRATCH}

    def _output(self) -> AbstractContextManager[tuple[np.ndarray, ...]]:
        """Output arrays for :meth:`search` lent for a ``with`` block, for callers that read
        a path off the result before searching again (see ``out`` there)."""
        nc = len(self._state)
        lender = self.__dict__.setdefault("_search_scratch", Lender())
        return lender.lend(
            lambda: (
                np.empty(nc),
                np.empty(nc, dtype=np.int64),
                np.empty(nc, dtype=np.int64),
                np.full(1, -1, dtype=np.int64),
            )
        )

    def contract(self) -> Hierarchy:
        """Build the contraction hierarchy of the graph's weights (once; later calls return
        it).  From then on :func:`best_path`, :func:`best_paths`, :func:`shortest_path` and
        :meth:`paths_to_sets` answer from the hierarchy, with the same costs.  Worth it for
        a graph that answers many queries: on the default network's plain graph the
        contraction takes a few seconds and a query under a millisecond
        (``bench/bench_routing.py``, ``bench/results/routing.md``).  Where several paths
        tie on cost, the hierarchy returns one of them, not necessarily the one with the
        fewest arcs that the uncontracted search prefers.  A graph from :meth:`with_weights`
        starts without one."""
        h = self.__dict__.get("hierarchy")
        if h is None:
            with _CONTRACT_LOCK:  # two threads asking at once contract once
                h = self.__dict__.get("hierarchy")
                if h is None:
                    h = self.__dict__["hierarchy"] = Hierarchy(self._cptr, self._head, self._w)
        return h

    @property
    def contracted(self) -> bool:
        """True once :meth:`contract` has built the hierarchy."""
        return "hierarchy" in self.__dict__

    def hierarchy_path(
        self,
        sources: np.ndarray,
        source_costs: np.ndarray,
        targets: np.ndarray,
        target_costs: np.ndarray,
    ) -> Path | None:
        """The cheapest path from the sources to the targets (node ids, entry and exit costs)
        by a query of the hierarchy (:meth:`contract` first), or None if no target is
        reachable or the cheapest path has no arcs (a source that is a target): such paths
        are the caller's (:func:`best_path` takes the better of both)."""
        h = self.contract()
        s, t = self._pos[sources], self._pos[targets]
        ks, kt = s >= 0, t >= 0
        if not ks.any() or not kt.any():
            return None
        found = h.query(s[ks], np.asarray(source_costs)[ks], t[kt], np.asarray(target_costs)[kt])
        if found is None or not len(found[2]):
            return None  # unreachable, or a zero-arc path (a source that is a target)
        cost, _, arcs = found
        nodes = self._src[arcs].tolist()
        nodes.append(int(self._dst[arcs[-1]]))
        return Path(
            tuple(nodes), tuple(self._edge[arcs].tolist()), tuple(self._fwd[arcs].tolist()), cost
        )

    @cached_property
    def _group_of_compact(self) -> np.ndarray:
        return self._groups[self._state]

    def heuristic(
        self, targets: np.ndarray, target_costs: np.ndarray, *, build: bool = False
    ) -> tuple[Any, ...] | None:
        """The kernel's A* potential towards ``targets`` (ALT landmarks on the graph of
        groups), or None for the first query of a graph (the
        landmarks cost about a dozen one-to-all searches, which pay off from the second
        query on, so a graph asked once, as in a one-shot command, never builds them;
        ``build=True`` builds them at once, for a caller about to run several searches)."""
        self._queries += 1
        if self._queries < 2 and not build and "_landmarks" not in self.__dict__:
            return None
        lf, lb, n_lm = self._landmarks
        if n_lm == 0:
            return None
        tg = self._groups[np.asarray(targets, dtype=np.int64)]
        groups, inv = np.unique(tg, return_inverse=True)
        cost = np.full(len(groups), np.inf)
        np.minimum.at(cost, inv, np.asarray(target_costs, dtype=np.float64))
        return (self._group_of_compact, lf, lb, groups.astype(np.int64), cost, n_lm)

    def with_weights(self, weight: np.ndarray, *, check: bool = True) -> CostedGraph:
        """The same graph with new edge weights, for a scenario that re-costs some arcs.

        ``weight`` gives one weight per edge, indexed as the ``weight`` this graph was
        built from (same edges, same order).  The CSR structure, the compact numbering,
        the transposed structure and the graph of groups' structure are shared; only the
        weights are permuted into place.  The landmark distances of the A* potential are
        kept when no weight decreased (they stay consistent lower bounds); otherwise they
        are dropped and rebuilt on the new weights when a search asks for them, so every
        search stays exact.  Of parallel arcs the cheapest under the new weights is kept
        (the first among equals, as the constructor does).

        ``check=False`` skips the test of the weights, for a caller whose weights are
        known finite and non-negative.

        Raises
        ------
        InvalidInputError
            If ``weight`` does not cover the edges or (with ``check``) a used weight is
            negative or not finite.
        """
        weight = np.asarray(weight, dtype=np.float64)
        need = int(self._edge.max(initial=-1)) + 1
        if weight.ndim != 1 or len(weight) < need:
            raise InvalidInputError(f"weights must give one value per edge ({need} at least)")
        edge, fwd = self._edge, self._fwd
        used = edge if self._parallel is None else self._parallel[0]
        if check and (not np.all(np.isfinite(weight[used])) or np.any(weight[used] < 0)):
            raise InvalidInputError("edge weights must be finite and non-negative")
        if self._parallel is not None:  # the cheapest of parallel arcs may change
            p_edge, p_fwd, first, at = self._parallel
            pick = _cheapest_first(weight[p_edge], first)
            edge, fwd = edge.copy(), fwd.copy()
            edge[at], fwd[at] = p_edge[pick], p_fwd[pick]
        w = weight[edge]
        # structures every copy shares: build them once, on this graph
        self._group_structure  # noqa: B018
        self._reverse_structure  # noqa: B018
        new = object.__new__(CostedGraph)
        new.__dict__.update(self.__dict__)
        for key in (
            "matrix",
            "_reverse",
            "_group_graphs",
            "_landmarks",
            "_group_metric",
            "_alternatives_measures",  # may hold the old weights as lengths
            *_SCRATCH,
            "_group_of_compact",
            "_rank_of_compact",
            "hierarchy",
            "_trees",
        ):
            new.__dict__.pop(key, None)
        new._w, new._edge, new._fwd = w, edge, fwd
        new._queries = 0
        for key in ("_group_of_compact", "_rank_of_compact"):  # depend on the structure only
            if key in self.__dict__:
                new.__dict__[key] = self.__dict__[key]
        if "_landmarks" in self.__dict__ and np.all(w >= self._w):
            new.__dict__["_landmarks"] = self.__dict__["_landmarks"]
        return new

    @cached_property
    def _group_structure(self) -> tuple[Any, ...]:
        """Number of groups; the arcs between two groups ordered by (from, to) group; where
        each pair of groups starts among them; the pair's from and to group; the order of
        the pairs by to group; the pair of each arc (-1 inside a group); where each pair's
        arcs end among them.  The pairs' groups are int64, the positions int32 (read-only
        arrays shared by every caller)."""
        g = self._groups
        n_g = int(g.max(initial=-1)) + 1
        # two stable counting sorts in the kernel (by to group, then by from group), into
        # int32 arrays: half the fresh memory, which costs more here than the sorting
        m = len(self._w)
        order, starts, ga, gb, back, pair_of = (np.empty(m, np.int32) for _ in range(6))
        k, n_pairs = _kernel.group_pairs(
            g, self._src, self._dst, n_g, order, starts, ga, gb, back, pair_of
        )
        order, starts, ga, gb, back = (
            x[:n]
            for x, n in (
                (order, k),
                (starts, n_pairs),
                (ga, n_pairs),
                (gb, n_pairs),
                (back, n_pairs),
            )
        )
        # where each pair's arcs end (none without pairs)
        ends = np.append(starts[1:], len(order))[: len(starts)].astype(np.int32)
        # the pairs' groups as int64: callers key pairs by ga * n_g + gb
        ga, gb = ga.astype(np.int64), gb.astype(np.int64)
        for a in (order, starts, ga, gb, back, pair_of, ends):
            a.flags.writeable = False
        return n_g, order, starts, ga, gb, back, pair_of, ends

    @cached_property
    def _group_graphs(self) -> tuple[int, tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
        """The graph of groups, forward and transposed, as CSR ``(indptr, head, weight)``.

        It has an arc between two groups wherever a node of one has an arc to a node of
        the other, weighted as the cheapest such arc, so its distances are lower bounds of
        the graph's.
        """
        return self._groups_of(self._w)

    def _groups_of(self, weights: np.ndarray) -> tuple[int, tuple[np.ndarray, ...], ...]:
        """:attr:`_group_graphs` for other arc weights (CSR order)."""
        n_g, order, starts, ga, gb, back, *_ = self._group_structure
        w = np.minimum.reduceat(weights[order], starts) if len(starts) else np.empty(0)
        fwd = (indptr(ga, n_g), gb.astype(np.int32), w)  # pairs are sorted by ga
        rev = (indptr(gb[back], n_g), ga[back].astype(np.int32), w[back])
        return n_g, fwd, rev

    def potential(
        self,
        targets: np.ndarray,
        target_costs: np.ndarray,
        *,
        reverse: bool = False,
        weights: np.ndarray | None = None,
    ) -> tuple[Any, ...]:
        """An A* potential for the kernel: the exact distance to the nearest target (exit
        cost included) on the graph of groups, from one one-to-all search on that graph.

        Tighter than the landmark bound of :meth:`heuristic` and consistent for any
        search on these weights or on weights at least as large (penalised weights), since
        every arc weighs at least its group arc and arcs inside a group at least zero.
        It costs one search on the graph of groups, so it pays off when several searches
        share the same targets (e.g. the source sets of :meth:`paths_to_sets`).
        With ``reverse`` it is the distance from the targets, for a backward search.
        ``weights`` (arc weights in CSR order, e.g. penalised ones) replaces the graph's
        own weights; the potential is then exact on the graph of groups of those weights.
        """
        _, fwd, rev = self._group_graphs if weights is None else self._groups_of(weights)
        tg = self._groups[np.asarray(targets, dtype=np.int64)]
        tcost = np.asarray(target_costs, np.float64)
        return self.bounds_potential(_multi_source(fwd if reverse else rev, tg, tcost))

    @cached_property
    def _group_hierarchy(self) -> CustomisableHierarchy:
        """The customisable contraction hierarchy of the graph of groups' topology (its
        arcs in pair order); independent of the weights, so copies from
        :meth:`with_weights` share it, and so do other graphs with the same graph of groups
        (e.g. a cost model's graphs for each objective): see
        :func:`routing.customisable.shared_hierarchy`."""
        n_g, _, _, ga, gb, *_ = self._group_structure
        return shared_hierarchy(n_g, ga, gb)

    @cached_property
    def _group_metric(self) -> tuple[CustomisableHierarchy, Metric]:
        """:attr:`_group_hierarchy` and its metric of the graph of groups' weights."""
        hierarchy = self._group_hierarchy
        return hierarchy, hierarchy.customise(self._group_graphs[1][2])

    @cached_property
    def _rank_of_compact(self) -> np.ndarray:
        """The rank of each compact state's group in :attr:`_group_hierarchy`."""
        return self._group_hierarchy.rank[self._group_of_compact]

    def group_potential(
        self, metric: Metric, targets: np.ndarray, target_costs: np.ndarray
    ) -> AbstractContextManager[tuple[Any, ...]]:
        """The kernel's A* potential of the exact distance to the nearest of ``targets``
        (node ids, exit costs ``target_costs`` added) on the graph of groups under
        ``metric`` (a metric of :attr:`_group_hierarchy`, e.g. of penalised weights),
        computed by the kernel for the groups a search reaches
        (:meth:`routing.customisable.CustomisableHierarchy.potential`); for one search (or
        one :meth:`guided_edges_to` call) at a time in a ``with`` block.  Consistent where
        no arc of the searched weights is cheaper than its group arc in ``metric``."""
        tgt = _nodes(targets, self.n_nodes, "target")
        return self._group_hierarchy.potential(
            metric, self._groups[tgt], target_costs, self._rank_of_compact
        )

    def group_bounds(self, targets: np.ndarray, target_costs: np.ndarray) -> np.ndarray:
        """The exact distance of every group to the nearest target (exit cost included) on
        the graph of groups of this graph's weights (``inf`` where none): the values of
        :meth:`potential`, as an array (e.g. to combine several before
        :meth:`bounds_potential`)."""
        _, _, rev = self._group_graphs
        tg = self._groups[np.asarray(targets, dtype=np.int64)]
        return _multi_source(rev, tg, np.asarray(target_costs, np.float64))

    def bounds_potential(self, bounds: np.ndarray) -> tuple[Any, ...]:
        """The kernel's A* potential that reads the remaining weight of a state from its
        group's entry of ``bounds`` (one lower bound per group of the distance to the
        targets, ``inf`` where none can be reached).  Consistent when ``bounds`` is, e.g.
        :meth:`group_bounds` of weights nowhere above the searched ones, or a convex
        combination of such bounds."""
        n_g = self._group_graphs[0]
        bounds = np.asarray(bounds, dtype=np.float64)
        if bounds.shape != (n_g,):
            raise InvalidInputError(f"bounds must give one value per group ({n_g})")
        # kernel form (one pseudo landmark): the bound is lb[group] - lb[dummy] with
        # lb[dummy] = 0, and lf = inf everywhere switches the other term off
        lb = np.zeros((n_g + 1, 1))
        lb[:n_g, 0] = bounds
        lf = self._no_forward_bound
        return (self._group_of_compact, lf, lb, np.array([n_g], np.int64), _ZERO, 1)

    @cached_property
    def _no_forward_bound(self) -> np.ndarray:
        """The landmark column that switches the forward term of a potential off."""
        lf = np.full((self._group_graphs[0] + 1, 1), np.inf)
        lf.flags.writeable = False
        return lf

    def prepare(self) -> CostedGraph:
        """Build now what searches otherwise build on first use and share between copies
        from :meth:`with_weights` (the transposed structure, the graph of groups), e.g. before
        forking worker processes that should inherit them; returns the graph."""
        self._group_structure  # noqa: B018
        self._reverse_structure  # noqa: B018
        self._group_of_compact  # noqa: B018
        self._group_graphs  # noqa: B018
        return self

    def paths_to_sets(
        self,
        source_sets: Sequence[tuple[np.ndarray, np.ndarray]],
        target_sets: Sequence[tuple[np.ndarray, np.ndarray]],
        *,
        potential: tuple[Any, ...] | None = None,
    ) -> list[list[Path | None]]:
        """The best path from each source set to each target set (node ids with entry and
        exit costs): one A* search per source set towards all target sets, guided by
        :meth:`potential` of their union (computed once); on a contracted graph without a
        ``potential``, one hierarchy query per source set and target set instead.
        ``out[i][j]`` is None where set ``j`` cannot be reached from set ``i``.

        ``potential`` replaces that potential: one from :meth:`potential` of the same
        targets on a graph with the same structure and weights nowhere above this graph's
        (e.g. the least weights over a box of scenarios), which stays consistent here."""
        n = self.n_nodes
        sets = []
        for t, c in target_sets:
            tgt = _nodes(t, n, "target")
            sets.append((tgt, _costs(c, tgt, "target")))
        live = [j for j, (t, _) in enumerate(sets) if len(t)]
        if self.contracted and potential is None:
            return [self._hierarchy_row(s, c, sets, live) for s, c in source_sets]
        h = potential
        if live and h is None:
            h = self.potential(
                np.concatenate([sets[j][0] for j in live]),
                np.concatenate([sets[j][1] for j in live]),
            )
        out: list[list[Path | None]] = []
        for s, c in source_sets:
            src = _nodes(s, n, "source")
            sc = _costs(c, src, "source")
            row = _trivial(sets, src, sc, self)
            if len(src) and live:
                with self._output() as arrays:
                    dist, pred = self.search(
                        src, sc, [sets[j] for j in live], heuristic=h, out=arrays
                    )
                    for j in live:
                        tgt, tc = sets[j]
                        found = _pick(self, dist, pred, tgt, tc)
                        if found is not None and (row[j] is None or found.cost < row[j].cost):
                            row[j] = found
            out.append(row)
        return out

    def _hierarchy_row(
        self,
        sources: np.ndarray,
        source_costs: np.ndarray,
        sets: list[tuple[np.ndarray, np.ndarray]],
        live: list[int],
    ) -> list[Path | None]:
        """One row of :meth:`paths_to_sets` from the hierarchy: a query per target set."""
        src = _nodes(sources, self.n_nodes, "source")
        sc = _costs(source_costs, src, "source")
        row = _trivial(sets, src, sc, self)
        for j in live if len(src) else ():
            found = self.hierarchy_path(src, sc, *sets[j])
            if found is not None and (row[j] is None or found.cost < row[j].cost):
                row[j] = found
        return row

    def path_within(
        self,
        sources: np.ndarray,
        source_costs: np.ndarray,
        targets: np.ndarray,
        target_costs: np.ndarray,
        *,
        potential: tuple[Any, ...],
        limit: float = np.inf,
    ) -> Path | None:
        """The best path from the sources to the targets if it costs at most ``limit``, else
        None: an A* search (``potential`` from :meth:`potential` of these targets, on this
        graph's weights or weights nowhere above them) that leaves out every state whose
        distance plus potential exceeds ``limit``, so a tight bound settles few states."""
        src = _nodes(sources, self.n_nodes, "source")
        sc = _costs(source_costs, src, "source")
        tgt = _nodes(targets, self.n_nodes, "target")
        tc = _costs(target_costs, tgt, "target")
        trivial = _trivial([(tgt, tc)], src, sc, self)[0]
        if trivial is not None:  # a path with arcs may still be cheaper than staying
            limit = min(limit, trivial.cost)
        found = None
        if len(src) and len(tgt):
            with self._output() as out:
                dist, pred = self.search(
                    src, sc, [(tgt, tc)], limit=limit, heuristic=potential, prune=True, out=out
                )
                found = _pick(self, dist, pred, tgt, tc)
        if (
            found is not None
            and found.cost <= limit
            and (trivial is None or found.cost < trivial.cost)
        ):
            return found
        return trivial if trivial is not None and trivial.cost <= limit else None

    @cached_property
    def _landmarks(self) -> tuple[np.ndarray, np.ndarray, int]:
        """Distances from and to :data:`N_LANDMARKS` landmarks on the graph of groups
        (:attr:`_group_graphs`).  Landmarks are picked farthest first.
        """
        g = self._groups
        n_g, fwd, rev = self._group_graphs
        w = fwd[2]
        k = min(N_LANDMARKS, n_g)
        lf = np.full((n_g, max(k, 1)), np.inf)
        lb = np.full((n_g, max(k, 1)), np.inf)
        if not len(w) or not k:
            return lf, lb, 0
        start = int(g[np.argmax(np.diff(self.indptr))])  # a well-connected node
        mind = _one_to_all(fwd, start)
        for i in range(k):
            far = np.where(np.isfinite(mind), mind, -1.0)
            pick = int(np.argmax(far))
            lf[:, i] = _one_to_all(fwd, pick)
            lb[:, i] = _one_to_all(rev, pick)
            mind = lf[:, i] if i == 0 else np.minimum(mind, lf[:, i])
        return lf, lb, k

    @cached_property
    def _reverse_structure(self) -> tuple[np.ndarray, ...]:
        """The transposed graph's structure (shared by :meth:`with_weights` copies): CSR
        indptr and head, the forward arc of each position, and the row of each position."""
        order = np.argsort(self._head, kind="stable")
        rows = self._head[order].astype(np.int64)
        indptr = np.searchsorted(rows, np.arange(len(self._state) + 1)).astype(np.int64)
        head = self._tail[order].astype(np.int32)
        return indptr, head, order.astype(np.int64), rows

    @cached_property
    def _reverse(self) -> tuple[np.ndarray, ...]:
        """The transposed graph in compact numbering: CSR (indptr, head, weight), the forward
        arc of each position, and the row of each position."""
        indptr, head, order, rows = self._reverse_structure
        return indptr, head, self._w[order], order, rows

    def tree_to(self, targets: np.ndarray, target_costs: np.ndarray) -> tuple[np.ndarray, ...]:
        """The complete backward search tree towards a target set (node ids, exit costs):
        ``(dist, pred)`` per compact node, ``dist`` the least weight from the node to a
        target and ``pred`` the reverse-CSR position of the node's next arc (-1 at a target
        or where no target is reachable).

        Kept per graph for the last :data:`TREE_CACHE` target sets (a planner asks again and
        again towards the same few ports), so that a later :meth:`search_to` towards the
        same set, from any sources, needs no search.  A tree costs ``16 × states`` bytes;
        its arrays are read-only."""
        t, c = self._tree_ends(targets, target_costs)
        key = (t.tobytes(), c.tobytes())
        with _TREES_LOCK:  # a matrix asks from several threads
            trees: dict[tuple[bytes, bytes], tuple[np.ndarray, ...]] = self.__dict__.setdefault(
                "_trees", {}
            )
            tree = trees.pop(key, None)
        if tree is None:
            indptr, head, weight, _, _ = self._reverse
            tree = multi_source((indptr, head, weight), t, c)
            for a in tree:  # shared by every later caller: nobody may write into it
                a.flags.writeable = False
        with _TREES_LOCK:
            trees.pop(key, None)
            while len(trees) >= TREE_CACHE:
                trees.pop(next(iter(trees)))
            trees[key] = tree  # the most recently used last
        return tree

    def has_tree(self, targets: np.ndarray, target_costs: np.ndarray) -> bool:
        """True if :meth:`tree_to` of this target set is cached (no search needed)."""
        t, c = self._tree_ends(targets, target_costs)
        return (t.tobytes(), c.tobytes()) in self.__dict__.get("_trees", {})

    def drop_trees(self) -> None:
        """Forget the cached backward search trees (:meth:`tree_to`)."""
        with _TREES_LOCK:
            self.__dict__.pop("_trees", None)

    def _tree_ends(self, targets: np.ndarray, target_costs: np.ndarray) -> tuple[np.ndarray, ...]:
        """The targets with arcs, in compact numbering, and their exit costs: a tree's key."""
        t = self._pos[np.asarray(targets, dtype=np.int64)]
        ok = t >= 0
        return t[ok], np.asarray(target_costs, dtype=np.float64)[ok]

    def search_to(
        self,
        targets: np.ndarray,
        target_costs: np.ndarray,
        source_sets: Sequence[tuple[np.ndarray, np.ndarray]],
    ) -> list[Path | None]:
        """The best path from each source set (with entry costs) to the target set (with
        exit costs), read off the backward search tree of the targets (:meth:`tree_to`,
        one compiled search, reused while cached); None for a set that cannot reach a
        target.  Node ids, as :func:`best_paths`."""
        out: list[Path | None] = []
        for found in self.edges_to(targets, target_costs, source_sets):
            if found is None:
                out.append(None)
                continue
            edges, fwd, nodes, cost = found
            out.append(
                Path(tuple(nodes.tolist()), tuple(edges.tolist()), tuple(fwd.tolist()), cost)
            )
        return out

    def edges_to(
        self,
        targets: np.ndarray,
        target_costs: np.ndarray,
        source_sets: Sequence[tuple[np.ndarray, np.ndarray]],
    ) -> list[PathArrays | None]:
        """:meth:`search_to` as arrays, for callers that need no :class:`Path`: per source
        set ``(edges, forward, nodes, cost)`` (edge index and direction of each step, the
        node ids along the path) or None."""
        dist, pred = self.tree_to(targets, target_costs)
        _, _, _, fwd_arc, rows = self._reverse
        pos = self._pos
        out: list[PathArrays | None] = []
        for s, c in source_sets:
            p = pos[s]
            keep = p >= 0
            p = p[keep]
            total = dist[p] + np.asarray(c, dtype=np.float64)[keep] if len(p) else np.empty(0)
            if not len(p) or not np.isfinite(total).any():
                out.append(None)
                continue
            j = int(np.argmin(total))
            arcs = fwd_arc[np.frombuffer(_kernel.walk(pred, rows, int(p[j])), np.int64)]
            nodes = np.concatenate([self._state[p[j] : p[j] + 1], self._dst[arcs]])
            out.append((self._edge[arcs], self._fwd[arcs], nodes, float(total[j])))
        return out

    def guided_edges_to(
        self,
        targets: np.ndarray,
        target_costs: np.ndarray,
        source_sets: Sequence[tuple[np.ndarray, np.ndarray]],
    ) -> list[PathArrays | None]:
        """:meth:`edges_to` without a backward search tree: one A* search per source set,
        each guided by the exact distance to the targets on the graph of groups
        (:meth:`group_potential`: computed from :attr:`_group_hierarchy` for the groups
        the searches reach, shared by all of them).

        That potential is tight wherever the cheapest way between two nodes does not
        depend on the state (truck, gauge) it is taken in, so a search settles little
        more than its path: on the default network about a thousand states against the
        ~300,000 of a complete tree.  Each path found also shortens the later searches:
        every state on it has a known cheapest way on to the targets (the rest of that
        path, which is optimal from there), so it becomes a target of the later
        searches with that remaining cost as its exit cost, and a search that meets an
        earlier path stops there.  Cheaper than :meth:`tree_to` for a few source sets (a
        matrix with few origins per destination); the tree pays off for many.  Same
        costs as :meth:`edges_to` (to rounding: the sums run in another order).  Among
        paths of equal weight the one with the fewest arcs is taken, so that a set's path
        does not depend on the other sets asked with it (on an exact tie of weight and
        arcs, possibly another path than :meth:`edges_to`'s)."""
        tgt = _nodes(targets, self.n_nodes, "target")
        tc = _costs(target_costs, tgt, "target")
        metric = self._group_metric[1]
        at = self._pos[tgt]
        ok = at >= 0
        t_c, tc_c = at[ok], tc[ok]
        out: list[PathArrays | None] = [None] * len(source_sets)
        if not source_sets:
            return out
        # every source set checked (all at once) and in compact numbering; the states
        # without arcs left out
        given = [np.asarray(s).reshape(-1) for s, _ in source_sets]
        costs = [np.asarray(c, np.float64).reshape(-1) for _, c in source_sets]
        if any(len(c) != len(x) for c, x in zip(costs, given, strict=True)):
            raise InvalidInputError("one source cost is needed per source node")
        src = _nodes(np.concatenate(given), self.n_nodes, "source")
        sc = _costs(np.concatenate(costs), src, "source")
        of_set = np.repeat(np.arange(len(given)), [len(x) for x in given])
        p = self._pos[src]
        keep = p >= 0
        src, sc, of_set = p[keep], sc[keep], of_set[keep]
        if not len(t_c):
            return out
        nc = len(self._state)
        set_ptr = np.searchsorted(of_set, np.arange(len(given) + 1)).astype(np.int64)
        lender = self.__dict__.setdefault("_guided_scratch", Lender())
        with (
            lender.lend(
                lambda: (
                    np.zeros(nc, dtype=np.uint8),
                    np.empty(nc),
                    np.empty(nc, dtype=np.int64),
                    np.empty(nc, dtype=np.int64),
                )
            ) as (known, rest, nxt, rhop),
            self._output() as (dist, pred, touched, count),
            kernel_scratch(nc, len(self._head)) as ws,
            self.group_potential(metric, tgt, tc) as h,
        ):
            try:
                found = _kernel.guided(
                    self._cptr, self._head, self._w, self._tail, h, t_c, tc_c, set_ptr, src,
                    sc, dist, pred, (touched, count), ws, known, rest, nxt, rhop,
                )  # fmt: skip
            except BaseException:
                known.fill(0)  # it may have stopped before clearing what it marked
                raise
        arcs, ptr, first, last, cost = (
            np.frombuffer(b, t) for b, t in zip(found, (np.int64,) * 4 + (np.float64,), strict=True)
        )
        for i in np.flatnonzero(last >= 0).tolist():
            path = arcs[ptr[i] : ptr[i + 1]]
            nodes = np.concatenate([self._state[first[i] : first[i] + 1], self._dst[path]])
            out[i] = (self._edge[path], self._fwd[path], nodes, float(cost[i]))
        return out

    def paths_to(
        self,
        targets: np.ndarray,
        target_costs: np.ndarray,
        source_sets: Sequence[tuple[np.ndarray, np.ndarray]],
    ) -> list[PathArrays | None]:
        """:meth:`edges_to` or :meth:`guided_edges_to`, whichever costs less: the paths read
        off the targets' backward search tree when it is cached or when at least
        :data:`TREE_SOURCES` source sets ask (the tree is then built and kept), else one
        guided search per source set.  Same costs either way (on an exact tie of weight and
        arcs, possibly another path)."""
        if len(source_sets) >= TREE_SOURCES or self.has_tree(targets, target_costs):
            return self.edges_to(targets, target_costs, source_sets)
        return self.guided_edges_to(targets, target_costs, source_sets)

    def trace(self, pred: np.ndarray, node: int) -> tuple[list[int], np.ndarray]:
        """``(nodes, arc positions)`` of the searched path that ends at ``node``."""
        at = int(self._pos[node])
        arcs = np.frombuffer(_kernel.trace(pred, self._tail, at) if at >= 0 else b"", np.int64)
        nodes = self._src[arcs].tolist()
        nodes.append(int(node))
        return nodes, arcs

    def path(self, pred: np.ndarray, node: int, cost: float) -> Path:
        """The :class:`Path` that the search with ``pred`` found to ``node``."""
        nodes, arcs = self.trace(pred, node)
        return Path(
            tuple(nodes),
            tuple(self._edge[arcs].tolist()),
            tuple(self._fwd[arcs].tolist()),
            float(cost),
        )


_EPS = 1e-12
_NONE = -9999
#: Landmarks of the A* potential (ALT); each costs two one-to-all searches on the graph
#: of groups, once per graph.
N_LANDMARKS = 8
#: Source sets asking for one target set from which :meth:`CostedGraph.paths_to` builds the
#: targets' complete backward search tree (:meth:`CostedGraph.tree_to`, then cached) instead
#: of one guided search per set (:meth:`CostedGraph.guided_edges_to`).  Measured on the
#: default network's costed state graph (``bench/bench_routing.py``, 2 cores, 2026-11-29): a
#: tree 57–65 ms of search; a guided search 0.10–0.18 ms beyond reading its path (it stops
#: where it meets an earlier path), so a tree pays off from ~370–670 sets (four runs).
TREE_SOURCES = 600
#: Backward search trees a graph keeps (:meth:`CostedGraph.tree_to`): the sea ports of a
#: matrix (the bench asks six) and a few more.
TREE_CACHE = 8
_TREES_LOCK = threading.Lock()
_CONTRACT_LOCK = threading.Lock()
_NO_INT = np.empty(0, np.int64)
_ZERO = np.zeros(1)
_ZERO.flags.writeable = False
#: Lenders of scratch arrays a graph keeps in its ``__dict__`` (not pickled, not copied).
_SCRATCH = ("_search_scratch", "_alternatives_scratch", "_guided_scratch")


def _csr(n: int, a: np.ndarray, b: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, ...]:
    order = np.argsort(a, kind="stable")
    indptr = np.searchsorted(a[order], np.arange(n + 1)).astype(np.int64)
    return indptr, b[order].astype(np.int32), np.ascontiguousarray(w[order])


def _one_to_all(csr: tuple[np.ndarray, ...], source: int) -> np.ndarray:
    return multi_source(csr, np.array([source], dtype=np.int64), np.zeros(1))[0]


def _check_out(out: tuple[np.ndarray, ...], nc: int) -> None:
    """Refuse ``out`` arrays of :meth:`CostedGraph.search` of the wrong number, kind or
    length (the kernel would otherwise refuse them with a less telling message)."""
    kinds = (np.float64, np.int64, np.int64, np.int64)
    sizes = (nc, nc, nc, 1)
    if not isinstance(out, tuple | list) or len(out) not in (2, 4):
        raise InvalidInputError("out must be (dist, pred) or (dist, pred, touched, count)")
    for a, kind, size in zip(out, kinds, sizes, strict=False):
        if not isinstance(a, np.ndarray) or a.dtype != kind or a.shape != (size,):
            raise InvalidInputError(
                f"out arrays must be {', '.join(np.dtype(k).name for k in kinds[: len(out)])} "
                f"of {nc} ({nc} and 1 for touched and count)"
            )


def _cheapest_first(w: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Positions of the cheapest arc of each run of parallel arcs (``first`` marks where a
    run starts; ``w`` their weights in that order), the first among equals."""
    group = np.cumsum(first) - 1
    cheapest = w == np.minimum.reduceat(w, np.flatnonzero(first))[group]
    cand = np.flatnonzero(cheapest)
    keep = np.ones(len(cand), dtype=bool)
    keep[1:] = group[cand][1:] != group[cand][:-1]
    return cand[keep]


def multi_source(
    csr: tuple[np.ndarray, ...], sources: np.ndarray, costs: np.ndarray, limit: float = np.inf
) -> tuple[np.ndarray, np.ndarray]:
    """One compiled search over a CSR ``(indptr, head, weight)``: the distance from the
    nearest of ``sources`` (with entry ``costs``) to every node (``inf`` beyond ``limit``)
    and the CSR position of the arc that reached it (-1 at a source or where unreached)."""
    indptr, head, w = csr
    n = len(indptr) - 1
    dist = np.empty(n)
    pred = np.empty(n, dtype=np.int64)
    with kernel_scratch(n, len(head)) as ws:
        _kernel.dijkstra(
            indptr,
            head,
            w,
            np.ascontiguousarray(sources, dtype=np.int64),
            np.ascontiguousarray(costs, dtype=np.float64),
            _NO_INT,
            np.empty(0),
            _NO_INT,
            0,
            float(limit),
            None,
            dist,
            pred,
            _NO_INT,
            False,
            ws,
        )
    return dist, pred


def _multi_source(
    csr: tuple[np.ndarray, ...], sources: np.ndarray, costs: np.ndarray, limit: float = np.inf
) -> np.ndarray:
    """The distances of :func:`multi_source`."""
    return multi_source(csr, sources, costs, limit)[0]


def _nodes(nodes: Sequence[int], n: int, what: str) -> np.ndarray:
    """Node ids as int64, each below ``n``; a fraction or an id out of range is refused."""
    return indices(nodes, n, f"{what} node")


def _costs(costs: Sequence[float], like: np.ndarray, what: str) -> np.ndarray:
    c = np.asarray(costs, dtype=np.float64).reshape(-1)
    if c.shape != like.shape:
        raise InvalidInputError(f"one {what} cost is needed per {what} node")
    if not np.all(np.isfinite(c)) or np.any(c < 0):
        raise InvalidInputError(f"{what} costs must be finite and non-negative")
    return c


def shortest_path(graph: CostedGraph, sources: Sequence[int], targets: Sequence[int]) -> Path:
    """Cheapest path from any of ``sources`` to any of ``targets``.

    Raises
    ------
    NoRouteError
        If no target can be reached.
    """
    if not len(sources) or not len(targets):
        raise InvalidInputError("a search needs at least one source and one target")
    return best_path(graph, sources, [0.0] * len(sources), targets, [0.0] * len(targets))


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
    ``cost`` includes both.  With a graph built with ``groups`` the search is A*.

    Raises
    ------
    NoRouteError
        If no target can be reached from any source.
    """
    if not len(targets) or not len(sources):
        raise InvalidInputError("a search needs at least one source and one target")
    n = graph.n_nodes
    src = _nodes(sources, n, "source")
    sc = _costs(source_costs, src, "source")
    tgt = _nodes(targets, n, "target")
    tc = _costs(target_costs, tgt, "target")
    path = _trivial([(tgt, tc)], src, sc, graph)[0]
    if graph.contracted:
        found = graph.hierarchy_path(src, sc, tgt, tc)
    else:
        h = graph.heuristic(tgt, tc)
        with graph._output() as out:
            dist, pred = graph.search(src, sc, [(tgt, tc)], heuristic=h, out=out)
            found = _pick(graph, dist, pred, tgt, tc)
    if found is not None and (path is None or found.cost < path.cost):
        path = found
    if path is None:
        raise NoRouteError("no path between the given nodes")
    return path


def best_paths(
    graph: CostedGraph,
    sources: Sequence[int],
    source_costs: Sequence[float],
    target_sets: Sequence[tuple[Sequence[int], Sequence[float]]],
) -> list[Path | None]:
    """:func:`best_path` from one set of sources to many target sets, with one search (on a
    contracted graph, one hierarchy query per set).

    Returns one path per target set, or None where that set cannot be reached.
    """
    if not len(sources):
        raise InvalidInputError("a search needs at least one source and one target")
    n = graph.n_nodes
    src = _nodes(sources, n, "source")
    sc = _costs(source_costs, src, "source")
    sets = []
    for t, c in target_sets:
        tgt = _nodes(t, n, "target")
        sets.append((tgt, _costs(c, tgt, "target")))
    out = _trivial(sets, src, sc, graph)
    live = [(t, c) for t, c in sets if len(t)]
    if not live:
        return out
    if graph.contracted:
        found = [graph.hierarchy_path(src, sc, t, c) if len(t) else None for t, c in sets]
    else:
        with graph._output() as arrays:
            dist, pred = graph.search(src, sc, live, out=arrays)
            found = [_pick(graph, dist, pred, t, c) if len(t) else None for t, c in sets]
    for i, f in enumerate(found):
        if f is not None and (out[i] is None or f.cost < out[i].cost):
            out[i] = f
    return out


def _pick(
    graph: CostedGraph, dist: np.ndarray, pred: np.ndarray, tgt: np.ndarray, tc: np.ndarray
) -> Path | None:
    """The best target of a set after a search, as a path (None if none is reached)."""
    pos = graph._pos[tgt]
    ok = pos >= 0
    if not ok.any():
        return None
    total = np.full(len(tgt), np.inf)
    total[ok] = dist[pos[ok]] + tc[ok]
    if not np.isfinite(total).any():
        return None
    j = int(np.argmin(total))
    return graph.path(pred, int(tgt[j]), float(total[j]))


def _trivial(
    sets: Sequence[tuple[np.ndarray, np.ndarray]],
    src: np.ndarray,
    sc: np.ndarray,
    graph: CostedGraph,
) -> list[Path | None]:
    """Per target set, the best zero-arc path (a source that is also a target), or None."""
    out: list[Path | None] = []
    for tgt, tc in sets:
        both = np.isin(tgt, src)
        if not both.any():
            out.append(None)
            continue
        best: tuple[float, int] | None = None
        for j in np.flatnonzero(both).tolist():
            c = float(sc[src == tgt[j]].min()) + float(tc[j])
            if best is None or c < best[0]:
                best = (c, int(tgt[j]))
        assert best is not None
        out.append(Path((best[1],), (), (), best[0]))
    del graph
    return out
