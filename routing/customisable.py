"""Customisable contraction hierarchies: one metric-independent preprocessing of a graph's
topology, then a few milliseconds to take on new arc weights and to give every node's exact
distance to (or from) a set of nodes.

A customisable contraction hierarchy (Dibbelt, Strasser & Wagner, *Customizable Contraction
Hierarchies*, ACM JEA 21, 2016) contracts the nodes in a fill-reducing order without witness
searches, so its shortcuts are valid for *any* weights.  Preprocessing (once per topology):
the order is SuperLU's multiple minimum degree ordering of the symmetric adjacency pattern
(``scipy.sparse.linalg.splu`` with ``permc_spec="MMD_AT_PLUS_A"``), and the symbolic
elimination in the compiled kernel records the chordal supergraph, its elimination tree and
every lower triangle.  Customisation (per set of weights): both directions of every edge are
relaxed over its lower triangles, lowest first.  Query: PHAST (Delling, Goldberg, Nowatzyk &
Werneck, 2011), an upward sweep over the elimination-tree ancestors of the sources and one
downward sweep over all nodes, gives the exact distance of every node.

A search can also ask the compiled kernel for the distances of only the nodes it reaches
(:meth:`CustomisableHierarchy.potential`: the same sweep made lazy, each node computed after
its elimination-tree ancestors).  :func:`routing.alternatives` uses that on the graph of
groups of a state graph: each round re-weights the penalised arcs and its A* search reads the
exact penalised distance of the groups it reaches to the targets, without a search over the
graph of groups; :meth:`routing.CostedGraph.guided_edges_to` (a planner's matrices) does the
same with the unpenalised metric.  :func:`shared_hierarchy` keeps the few built (one
topology's hierarchy serves every graph whose graph of groups fits its supergraph).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import splu

from geodata.errors import InvalidInputError
from routing._arrays import indices, indptr
from routing._native import load
from routing._scratch import Lender

_kernel = load()

__all__ = ["CustomisableHierarchy", "Metric", "shared_hierarchy"]

logger = logging.getLogger(__name__)


class Metric:
    """Customised weights of one :class:`CustomisableHierarchy`, made by its
    :meth:`~CustomisableHierarchy.customise` and changed in place by
    :meth:`~CustomisableHierarchy.update`.

    Attributes
    ----------
    arc_weights
        The weight of each arc given at construction (``inf`` where absent).
    weights
        ``weights[2 * e]`` is the weight of supergraph edge ``e`` climbing (from its
        lower-ranked end to its higher), ``weights[2 * e + 1]`` descending: the cheapest
        path of that shape, ``inf`` where none.
    """

    def __init__(
        self,
        arc_weights: np.ndarray,
        base: np.ndarray,
        weights: np.ndarray,
        climb: np.ndarray | None = None,
    ) -> None:
        self.arc_weights = arc_weights
        self._base = base  # the arcs' weights on their edges, before customisation
        self.weights = weights
        # the climbing weights alone (weights[0::2]), for the sweep towards targets
        self._climb = np.ascontiguousarray(weights[0::2]) if climb is None else climb


class CustomisableHierarchy:
    """The customisable contraction hierarchy of a directed graph's topology.

    Parameters
    ----------
    n_nodes
        Number of nodes.
    tail, head
        The arcs (``tail[i] -> head[i]``) whose weights :meth:`customise` will take, in
        that order.  Loops are ignored; parallel arcs are allowed (the cheaper counts).

    Attributes
    ----------
    n_nodes
        Number of nodes.
    n_edges
        Edges of the chordal supergraph (each with an up and a down weight).
    n_triangles
        Lower triangles the customisation relaxes.
    """

    def __init__(self, n_nodes: int, tail: np.ndarray, head: np.ndarray) -> None:
        n = int(n_nodes)
        if n < 0:
            raise InvalidInputError(f"n_nodes must not be negative, not {n_nodes!r}")
        tail, head = _checked_arcs(n, tail, head)
        self.n_nodes = n
        self._lender: Lender[np.ndarray] = Lender()
        self._potential_lender: Lender[tuple[np.ndarray, ...]] = Lender()
        # what is computed lazily from the structure, shared with the views of for_arcs
        self._shared: dict[str, Any] = {}
        proper = tail != head
        lo = np.minimum(tail, head)[proper]
        hi = np.maximum(tail, head)[proper]
        self.rank = _fill_reducing_rank(n, lo, hi)
        rt, rh = self.rank[tail[proper]], self.rank[head[proper]]
        ptr, up_head, parent, tri = _kernel.cch_build(n, rt, rh)
        self.up_ptr = np.frombuffer(ptr, dtype=np.int64)
        self.up_head = np.frombuffer(up_head, dtype=np.int32)
        self.parent = np.frombuffer(parent, dtype=np.int32)
        self.triangles = np.frombuffer(tri, dtype=np.int32)
        self.n_edges = len(self.up_head)
        self.n_triangles = len(self.triangles) // 3
        self._map_arcs(tail, head)
        logger.debug(
            "customisable hierarchy: %d nodes, %d arcs, %d edges, %d triangles",
            n,
            len(tail),
            self.n_edges,
            self.n_triangles,
        )

    def _map_arcs(self, tail: np.ndarray, head: np.ndarray) -> bool:
        """Where each arc's weight goes: its supergraph edge and whether it climbs; False
        (and nothing changed) if the supergraph lacks an arc's edge."""
        proper, rt, rh, wanted = self._edge_keys(tail, head)
        key_edges = self._key_edges
        edge = np.searchsorted(key_edges, wanted)
        if self._missing(edge, wanted, key_edges):
            return False
        # one slot per edge and direction (up: 2e, down: 2e + 1); parallel arcs share one
        slot = 2 * edge + (rt > rh)
        order = np.argsort(slot, kind="stable")
        first = np.ones(len(order), dtype=bool)
        first[1:] = slot[order][1:] != slot[order][:-1]
        self._n_arcs = len(tail)
        self._arc = np.flatnonzero(proper)[order]  # the arcs, by slot
        self._starts = np.flatnonzero(first)  # where each used slot's arcs start
        self._ends = np.append(self._starts[1:], len(order))[: len(self._starts)]
        self._slots = slot[order][self._starts]  # the used slots
        self._parallel = len(self._starts) < len(order)
        self._slot_of = np.full(len(tail), -1, dtype=np.int64)  # arc -> used slot
        self._slot_of[self._arc] = np.cumsum(first) - 1
        return True

    @staticmethod
    def _missing(edge: np.ndarray, wanted: np.ndarray, key_edges: np.ndarray) -> int:
        """How many of the ``wanted`` edge keys are not in ``key_edges`` (sorted), given
        where ``searchsorted`` puts them (``edge``)."""
        if not len(edge):
            return 0
        inside = edge < len(key_edges)
        return int(len(edge) - np.count_nonzero(key_edges[edge[inside]] == wanted[inside]))

    def missing_edges(self, tail: np.ndarray, head: np.ndarray) -> int:
        """How many of the arcs (loops aside) join two nodes the supergraph does not: 0 when
        :meth:`for_arcs` fits them."""
        tail, head = _checked_arcs(self.n_nodes, tail, head)
        wanted = self._edge_keys(tail, head)[3]
        key_edges = self._key_edges
        return self._missing(np.searchsorted(key_edges, wanted), wanted, key_edges)

    def _edge_keys(
        self, tail: np.ndarray, head: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Which arcs are not loops, their ends' ranks, and the key of the supergraph edge
        each would sit on (as :attr:`_key_edges` numbers them)."""
        proper = tail != head
        rt, rh = self.rank[tail[proper]], self.rank[head[proper]]
        return proper, rt, rh, np.minimum(rt, rh) * max(self.n_nodes, 1) + np.maximum(rt, rh)

    @property
    def _key_edges(self) -> np.ndarray:
        """One key per supergraph edge (lower rank × n + higher rank), sorted: rows
        ascending, heads sorted within a row.  Built once, shared with the views."""
        found = self._shared.get("key_edges")
        if found is None:
            rows = np.repeat(np.arange(self.n_nodes, dtype=np.int64), np.diff(self.up_ptr))
            found = self._shared["key_edges"] = rows * max(self.n_nodes, 1) + self.up_head
        return found

    def for_arcs(self, tail: np.ndarray, head: np.ndarray) -> CustomisableHierarchy | None:
        """This hierarchy for another list of arcs on the same nodes, sharing its order,
        supergraph and triangles, if every arc joins two nodes the supergraph joins (e.g.
        a topology with fewer arcs: a border post shut for the season); else None.  Its
        :meth:`customise` takes one weight per arc of the new list."""
        tail, head = _checked_arcs(self.n_nodes, tail, head)
        view = object.__new__(CustomisableHierarchy)
        view.__dict__.update(self.__dict__)  # the structure, shared (never written)
        return view if view._map_arcs(tail, head) else None

    def customise(self, weights: np.ndarray) -> Metric:
        """The customised metric of arc weights ``weights`` (one per arc given at
        construction, non-negative; ``inf`` for an arc that is absent)."""
        w = self._checked(weights, self._n_arcs)
        base = np.full(2 * self.n_edges, np.inf)
        base[self._slots] = self._slot_minima(w)
        out = base.copy()
        _kernel.cch_customise(self.triangles, out)
        return Metric(w, base, out)

    def __getstate__(self) -> dict[str, object]:
        # the lent scratch arrays are not pickled, made anew where needed
        state = self.__dict__.copy()
        state["_lender"] = Lender()
        state["_potential_lender"] = Lender()
        return state

    def copy(self, metric: Metric, into: Metric | None = None) -> Metric:
        """An independent copy of ``metric`` (to :meth:`update` without changing it),
        written into the arrays of ``into`` (a metric of this hierarchy) if given."""
        if into is None:
            return Metric(
                metric.arc_weights.copy(),
                metric._base.copy(),
                metric.weights.copy(),
                metric._climb.copy(),
            )
        np.copyto(into.arc_weights, metric.arc_weights)
        np.copyto(into._base, metric._base)
        np.copyto(into.weights, metric.weights)
        np.copyto(into._climb, metric._climb)
        return into

    def update(self, metric: Metric, arcs: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Give ``arcs`` (indices of the arcs given at construction) new ``weights``, in
        ``metric`` (changed in place).  Only the edges whose customised weight can change
        are recomputed: the result equals :meth:`customise` of all the new weights.
        Returns the supergraph edges whose customised weights changed (for
        :meth:`restore`).  If the kernel finds the hierarchy's index malformed (a
        ``ValueError``), ``metric`` may be partly written and must be copied anew."""
        arcs = indices(arcs, self._n_arcs, "arc")
        weights = self._checked(weights, len(arcs), "listed arc")
        # the new weights, each touched slot's cheapest arc and the recustomisation, in one
        # compiled call
        slot_index = (self._slot_of, self._arc, self._starts, self._ends, self._slots)
        moved = _kernel.cch_update(
            *self._triangle_index,
            *slot_index,
            metric._base,
            metric.weights,
            metric._climb,
            metric.arc_weights,
            arcs,
            weights,
        )
        return np.frombuffer(moved, dtype=np.int32)

    def restore(self, metric: Metric, source: Metric, arcs: np.ndarray, edges: np.ndarray) -> None:
        """Make ``metric`` equal to ``source`` again after :meth:`update` calls on it
        changed only ``arcs`` (their indices) and ``edges`` (what the calls returned): a
        copy of those entries, instead of :meth:`copy` of every one."""
        arcs = indices(arcs, self._n_arcs, "arc")
        edges = indices(edges, self.n_edges, "edge")
        slots = self._slot_of[arcs]
        # scattered copies in the kernel (numpy's fancy indexing is several times slower);
        # an edge's two weights as one 16-byte item
        for dst, src, at in (
            (metric.arc_weights, source.arc_weights, arcs),
            (metric._base, source._base, self._slots[slots[slots >= 0]]),
            (metric.weights.view(np.complex128), source.weights.view(np.complex128), edges),
            (metric._climb, source._climb, edges),
        ):
            _kernel.copy_at(dst, src, at)

    def _checked(self, weights: np.ndarray, n: int, per: str = "arc") -> np.ndarray:
        w = np.array(weights, dtype=np.float64).reshape(-1)
        if w.shape != (n,):
            raise InvalidInputError(f"weights must give one value per {per} ({n})")
        if np.isnan(w).any() or (w < 0).any():
            raise InvalidInputError("weights must be non-negative numbers")
        return w

    def _slot_minima(self, w: np.ndarray) -> np.ndarray:
        """The cheapest weight of each slot's arcs (one slot per edge and direction)."""
        w = w[self._arc]
        return np.minimum.reduceat(w, self._starts) if self._parallel else w

    @property
    def _triangle_index(self) -> tuple[np.ndarray, ...]:
        """For :meth:`update`: each edge's lower end; its lower triangles (the two other
        edges of each, as in a triangle) as a CSR over edges; and the edges above it (those
        it is a lower side of) as a CSR over edges.  Built once, shared with the views."""
        found = self._shared.get("triangle_index")
        if found is None:
            found = self._shared["triangle_index"] = self._build_triangle_index()
        return found

    def _build_triangle_index(self) -> tuple[np.ndarray, ...]:
        e = self.n_edges
        lower = np.repeat(np.arange(self.n_nodes, dtype=np.int32), np.diff(self.up_ptr))
        tri = self.triangles.reshape(-1, 3)
        by_top = np.argsort(tri[:, 2], kind="stable")
        top_ab = np.ascontiguousarray(tri[by_top, :2]).reshape(-1)
        top_ptr = 2 * indptr(tri[:, 2], e)
        low = np.concatenate([tri[:, 0], tri[:, 1]])
        top = np.concatenate([tri[:, 2], tri[:, 2]])
        by_low = np.argsort(low, kind="stable")
        return lower, top_ptr, top_ab, indptr(low, e), np.ascontiguousarray(top[by_low])

    def distances_to(
        self,
        metric: Metric,
        targets: np.ndarray,
        target_costs: np.ndarray,
        out: np.ndarray | None = None,
    ) -> np.ndarray:
        """The exact distance of every node to the nearest of ``targets`` (its cost
        ``target_costs`` added) under ``metric``; ``inf`` where none is reachable.
        Written into ``out`` (float64, one per node) if given.  A search that needs the
        distances of only the nodes it reaches asks :meth:`potential` instead."""
        return self._phast(metric, True, targets, target_costs, out)

    def distances_from(
        self, metric: Metric, sources: np.ndarray, source_costs: np.ndarray
    ) -> np.ndarray:
        """The exact distance of every node from the nearest of ``sources`` (its cost
        ``source_costs`` added) under ``metric``; ``inf`` where none reaches it."""
        return self._phast(metric, False, sources, source_costs)

    @contextmanager
    def potential(
        self,
        metric: Metric,
        targets: np.ndarray,
        target_costs: np.ndarray,
        rank_of: np.ndarray,
    ) -> Iterator[tuple[Any, ...]]:
        """The compiled search's A* potential of the exact distance to the nearest of
        ``targets`` (its cost ``target_costs`` added) under ``metric``, for a ``with`` block.

        The kernel (``routing._kernel``, its hierarchy form, tagged ``"cch"``) computes a node's
        distance the first time a search reaches it, from those of its elimination-tree
        ancestors (lazy PHAST): a search that stays near its path computes a few per cent of
        the distances that :meth:`distances_to` sweeps.  ``rank_of`` gives, per state of
        the searched graph, the rank of its node (``rank[node]``); the kernel checks it as
        it reads it.  The scratch arrays it computes in are lent for the block, so one
        potential serves one search (or one call of the kernel's ``guided``) at a time.
        """
        nodes = indices(targets, self.n_nodes, "node")
        costs = self._node_costs(nodes, target_costs)
        n = self.n_nodes
        with self._potential_lender.lend(
            lambda: (np.empty(n), np.zeros(n, dtype=np.uint8), np.empty(n, dtype=np.int32))
        ) as (dist, flag, stack):
            yield (
                "cch",
                rank_of,
                self.up_ptr,
                self.up_head,
                self.parent,
                metric.weights,
                metric._climb,
                self.rank[nodes],
                costs,
                dist,
                flag,
                stack,
            )

    def _node_costs(self, nodes: np.ndarray, costs: np.ndarray) -> np.ndarray:
        costs = np.asarray(costs, dtype=np.float64).reshape(-1)
        if nodes.shape != costs.shape:
            raise InvalidInputError("one cost is needed per node")
        if np.isnan(costs).any() or (costs < 0).any():
            raise InvalidInputError("costs must be non-negative numbers")
        return costs

    def _phast(
        self,
        metric: Metric,
        to: bool,
        nodes: np.ndarray,
        costs: np.ndarray,
        out: np.ndarray | None = None,
    ) -> np.ndarray:
        nodes = indices(nodes, self.n_nodes, "node")
        costs = self._node_costs(nodes, costs)
        if out is not None and (
            not isinstance(out, np.ndarray)
            or out.shape != (self.n_nodes,)
            or out.dtype != np.float64
            or not out.flags.c_contiguous
            or not out.flags.writeable
        ):
            raise InvalidInputError(
                f"out must be a writable, contiguous float64 array of {self.n_nodes}"
            )
        args = (self.up_ptr, self.up_head, self.parent, metric.weights, to, self.rank[nodes], costs)
        # rank-order distances in a lent array: a fresh one costs more to map into memory
        # than the sweep takes (see routing._scratch)
        with self._lender.lend(lambda: np.empty(self.n_nodes)) as dist:
            _kernel.cch_query(*args, dist, metric._climb)
            if out is None:
                return dist[self.rank]
            return np.take(dist, self.rank, out=out)


#: Customisable hierarchies kept for graphs of groups met again (each ~35 MB; views from
#: ``for_arcs`` share one's structure): per digest of a topology, the hierarchy for its arcs
#: and the arcs its supergraph was built on.
_HIERARCHIES: OrderedDict[bytes, tuple[CustomisableHierarchy, tuple[np.ndarray, np.ndarray]]] = (
    OrderedDict()
)
#: Four: a planner's usual mix (the network's summer and winter topologies of its cost
#: models, the layered copy for a transshipment limit, one more), at ~35 MB each.
_HIERARCHIES_KEPT = 4
#: A new topology is built over the union with the last kept one when at most this share
#: of its arcs is missing from that one's supergraph: a season's shut posts are 8 of ~263,000
#: arcs of the default network's graph of nodes; an unrelated graph misses most of them.
_UNION_MISSING = 0.01
_HIERARCHIES_LOCK = threading.Lock()


def shared_hierarchy(n: int, tail: np.ndarray, head: np.ndarray) -> CustomisableHierarchy:
    """The :class:`CustomisableHierarchy` of a topology (``n`` nodes, arcs ``tail -> head``),
    from a small cache keyed by a digest of its arcs: the graphs that share a graph of groups
    (:class:`routing.CostedGraph`: one per objective of a cost model, the layered copy for a
    transshipment limit, the shipments of one season) build it once (~0.5 s on the network).

    A topology not seen before is first fitted into a kept hierarchy whose supergraph has
    all its edges (:meth:`CustomisableHierarchy.for_arcs`: e.g. a shipment in winter, when
    a few border posts are shut, into the summer's).  Failing that, the new hierarchy is
    built over the union of the arcs and those of the last one kept for as many nodes, so
    that the next topology of the same network will most likely fit; only when the two are
    near (at most :data:`_UNION_MISSING` of the new arcs missing from the last one), so that
    unrelated graphs with as many nodes do not make one supergraph grow."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(np.int64(n).tobytes())
    digest.update(np.ascontiguousarray(tail, dtype=np.int64).tobytes())
    digest.update(np.ascontiguousarray(head, dtype=np.int64).tobytes())
    key = digest.digest()
    with _HIERARCHIES_LOCK:
        found = _HIERARCHIES.get(key)
        if found is not None:
            _HIERARCHIES.move_to_end(key)
            return found[0]
        kept = [v for v in reversed(_HIERARCHIES.values()) if v[0].n_nodes == n]
    fitted: CustomisableHierarchy | None = None
    for h, arcs in kept:  # the most recently used first
        fitted, built_on = h.for_arcs(tail, head), arcs
        if fitted is not None:
            break
    if fitted is None:
        built_on = (np.asarray(tail, np.int64), np.asarray(head, np.int64))
        near = kept and kept[0][0].missing_edges(tail, head) <= _UNION_MISSING * len(tail)
        if near:  # the union of both arc lists, each arc once
            pairs = np.unique(
                np.concatenate([built_on[0], kept[0][1][0]]) * max(n, 1)
                + np.concatenate([built_on[1], kept[0][1][1]])
            )
            built_on = (pairs // max(n, 1), pairs % max(n, 1))
        fitted = CustomisableHierarchy(n, *built_on).for_arcs(tail, head)
        assert fitted is not None  # its own arcs are in its supergraph
    with _HIERARCHIES_LOCK:
        _HIERARCHIES[key] = (fitted, built_on)
        while len(_HIERARCHIES) > _HIERARCHIES_KEPT:
            _HIERARCHIES.popitem(last=False)
    return fitted


def _checked_arcs(n: int, tail: np.ndarray, head: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``tail`` and ``head`` as int64 arrays of one entry per arc, each a node below ``n``."""
    tail, head = indices(tail, n, "arc end"), indices(head, n, "arc end")
    if tail.shape != head.shape:
        raise InvalidInputError("tail and head must have one entry per arc")
    return tail, head


def _fill_reducing_rank(n: int, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The elimination rank of each node: SuperLU's multiple minimum degree order of the
    symmetric pattern (only the permutation is used; the factor is discarded)."""
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    adj = sp.coo_matrix((np.ones(len(lo)), (lo, hi)), shape=(n, n)).tocsr()
    adj.data[:] = 1.0
    adj = ((adj + adj.T) > 0).astype(np.float64)
    degree = np.asarray(adj.sum(axis=1)).ravel()
    # strictly diagonally dominant, so the factorisation exists without pivoting
    m = (sp.diags(degree + 1.0) - adj).tocsc()
    lu = splu(m, permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0, options={"SymmetricMode": True})
    # perm_c[i] is the column of the factored (permuted) matrix that holds node i, i.e.
    # node i's position in the elimination order
    return np.asarray(lu.perm_c, dtype=np.int64)
