"""Up to ``k`` genuinely different routes between two places, by the penalty method.

The first route is the optimum.  Each further search multiplies the weight of every arc
that an earlier search used by ``penalty`` (so an arc used by three earlier candidates
costs ``penalty**3`` times its weight), and searches again.  A candidate is accepted when
its overlap with every route accepted so far is at most ``max_overlap``; rejected
candidates are penalised too, so the search moves on.  Overlap is the share of the
candidate's length (``lengths``, e.g. km) that lies on segments an accepted route uses.

Every search is one run of the compiled kernel (:meth:`routing.CostedGraph.search`) from
the sources with their entry costs, stopping at the best target, as A*.  Its potential is
the exact distance to a target on the graph of groups of the *current* (penalised) weights,
so the penalties steer the potential too and a penalised round settles a few thousand
states instead of a large share of the graph.  That distance comes from a customisable
contraction hierarchy of the graph of groups (:mod:`routing.customisable`, built once per
graph structure): each round re-customises only the group arcs it penalised, and the
kernel computes the distances of the groups the search reaches from their ancestors in
the hierarchy (:meth:`routing.CostedGraph.group_potential`), a fraction of a millisecond
instead of a search over the graph of groups.  From the second round on, the penalised
cost of any earlier candidate bounds the new optimum, and the search leaves out states
beyond it.  The penalised weights are one private copy of the graph's arc weights (arc
``p`` of the CSR) and of the customised metric, so each round only rescales a few
entries.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from geodata.errors import InvalidInputError, NoRouteError
from routing._arrays import distinct, indptr, ranges
from routing._native import load
from routing._scratch import Lender
from routing.customisable import Metric
from routing.graph import CostedGraph, Path

__all__ = ["MAX_ALTERNATIVES", "alternatives"]

logger = logging.getLogger(__name__)
_kernel = load()

#: The largest ``k`` that :func:`alternatives` accepts.
MAX_ALTERNATIVES = 20
#: Relative and absolute slack on a round's search bound: the bound is a sum of penalised
#: weights added in another order than the search adds them, so it may differ in the last
#: bits; far above that rounding, far below any weight, so no path is cut off.
_BOUND_SLACK = 1e-9
#: Slack of the overlap and stretch tests, so that a share or a cost exactly at the limit
#: passes whatever the rounding of its sum.
_COMPARE_SLACK = 1e-12


@dataclass(frozen=True)
class _Candidate:
    path: Path
    positions: np.ndarray  # arc positions in the CSR, in path order
    segments: np.ndarray  # segment of each arc
    seg_lengths: np.ndarray  # length of each arc
    source_cost: float
    target_cost: float


def alternatives(
    graph: CostedGraph,
    sources: Sequence[int],
    source_costs: Sequence[float],
    targets: Sequence[int],
    target_costs: Sequence[float],
    *,
    k: int,
    max_overlap: float = 0.6,
    lengths: np.ndarray | None = None,
    segments: np.ndarray | None = None,
    penalty: float = 1.5,
    max_iter: int | None = None,
    max_stretch: float | None = None,
) -> list[Path]:
    """Up to ``k`` mutually different paths from ``sources`` to ``targets``, best first.

    Parameters
    ----------
    graph
        The searchable graph; it is not modified.
    sources, source_costs
        Start nodes and what it costs to begin at each (as in
        :func:`routing.graph.best_path`).
    targets, target_costs
        End nodes and what it costs to finish at each.
    k
        How many paths to return at most, 1 to :data:`MAX_ALTERNATIVES`.
    max_overlap
        In ``(0, 1]``: a candidate is kept only if, against every path kept before it, the
        length it shares divided by its own length is at most this.  With ``1`` every
        candidate the penalised search finds is kept unless it repeats a kept path.
    lengths
        Length of each edge of the graph (indexed by the caller's edge index, as
        :attr:`Path.edges`), used to measure overlap; km is the natural choice.  By
        default the arc weights are used.  Where a path's length is zero, its arcs are
        counted instead.
    segments
        Optional segment id (a non-negative integer) of each edge: edges with the same
        id are the same stretch of infrastructure, e.g. one road in several truck-permit
        layers of a state graph.  Overlap and penalties then act on segments, so a route
        that differs only by layer is not "different".  By default each edge is its own
        segment (both directions of a two-way edge are one segment).
    penalty
        Factor (> 1) applied to the weight of every arc of a used segment, once per
        candidate that used it.
    max_iter
        Most searches to run, the first included; default ``4 * k``.
    max_stretch
        If given (>= 1), candidates costing more than ``max_stretch`` times the optimum
        are rejected.

    Returns
    -------
    list of Path
        The optimum first, then the accepted alternatives by increasing cost.  Each
        ``cost`` is the true cost under the graph's own weights, entry and exit costs
        included; the list is shorter than ``k`` when no more different paths are found
        within ``max_iter`` searches.

    Raises
    ------
    InvalidInputError
        For a bad ``k``, ``max_overlap``, ``penalty``, ``max_iter``, ``max_stretch``,
        node or cost, or ``lengths``/``segments`` that do not cover the graph's edges.
    NoRouteError
        If no target can be reached from any source.

    Examples
    --------
    >>> import numpy as np
    >>> from routing import CostedGraph
    >>> u, v = np.array([0, 0, 1, 2]), np.array([1, 2, 3, 3])
    >>> g = CostedGraph(4, u, v, np.zeros(4, bool), np.array([1.0, 2.0, 1.0, 2.0]))
    >>> [p.nodes for p in alternatives(g, [0], [0.0], [3], [0.0], k=3)]
    [(0, 1, 3), (0, 2, 3)]
    """
    if not _is_int(k) or not 1 <= k <= MAX_ALTERNATIVES:
        raise InvalidInputError(f"k must be an integer from 1 to {MAX_ALTERNATIVES}, not {k!r}")
    if not 0.0 < max_overlap <= 1.0:
        raise InvalidInputError(f"max_overlap must be in (0, 1], not {max_overlap!r}")
    if not (np.isfinite(penalty) and penalty > 1.0):
        raise InvalidInputError(f"penalty must be a finite number above 1, not {penalty!r}")
    if max_iter is None:
        max_iter = 4 * int(k)
    if not _is_int(max_iter) or max_iter < 1:
        raise InvalidInputError(f"max_iter must be a positive integer, not {max_iter!r}")
    if max_stretch is not None and not (np.isfinite(max_stretch) and max_stretch >= 1.0):
        raise InvalidInputError(f"max_stretch must be at least 1, not {max_stretch!r}")
    n = graph.n_nodes
    src, sc = _ends(sources, source_costs, n, "source")
    tgt, tc = _ends(targets, target_costs, n, "target")
    arc_len, arc_seg, seg_ptr, seg_arcs = _arc_measures(graph, lengths, segments)

    # the penalised copies of one call are lent by the graph and taken back for the next
    # call (see routing._scratch)
    lender = graph.__dict__.setdefault("_alternatives_scratch", Lender())
    with (
        lender.lend(lambda: _PenalisedSearch.scratch(graph)) as scratch,
        # A* potential of every round: the exact distance to a target on the graph of
        # groups of the current (penalised) weights, i.e. of the metric the rounds update
        graph.group_potential(scratch.metric, tgt, tc) as potential,
    ):
        search = _PenalisedSearch(graph, src, sc, tgt, tc, scratch, potential)
        accepted: list[_Candidate] = []
        seen: list[_Candidate] = []
        if len(scratch.seg_mark) < len(seg_ptr) - 1:
            scratch.seg_mark = np.zeros(len(seg_ptr) - 1, dtype=bool)
        seg_mark = scratch.seg_mark
        for it in range(int(max_iter)):
            limit = np.inf
            if seen:
                bound = min(
                    search.penalised(c.positions) + c.source_cost + c.target_cost for c in seen
                )
                limit = (bound - float(tc.min())) * (1 + _BOUND_SLACK) + _BOUND_SLACK
            cand = search.run(tgt, tc, limit, arc_len, arc_seg)
            if cand is None:  # cannot happen after the first round, but never loop on it
                if not accepted:
                    raise NoRouteError("no path between the given nodes")
                break
            seen.append(cand)
            if not accepted:
                accepted.append(cand)
                logger.debug(
                    "alternatives: optimum cost %.6g, %d arcs", cand.path.cost, len(cand.positions)
                )
            else:
                worst = max(_overlap(cand, a, seg_mark) for a in accepted)
                cap = np.inf if max_stretch is None else max_stretch * accepted[0].path.cost
                too_long = cand.path.cost > cap * (1 + _COMPARE_SLACK)
                repeat = any(np.array_equal(cand.positions, a.positions) for a in accepted)
                ok = worst <= max_overlap + _COMPARE_SLACK and not (too_long or repeat)
                logger.debug(
                    "alternatives: round %d cost %.6g overlap %.3f %s",
                    it,
                    cand.path.cost,
                    worst,
                    "accepted" if ok else "rejected",
                )
                if ok:
                    accepted.append(cand)
            if len(accepted) >= k or len(cand.positions) == 0:
                break
            # penalise every arc of every segment the candidate used
            used = distinct(cand.segments)
            search.scale(seg_arcs[ranges(seg_ptr[used], seg_ptr[used + 1])[0]], penalty)
        search.done()
        logger.info("alternatives: %d of %d found in %d searches", len(accepted), k, len(seen))
    rest = sorted(accepted[1:], key=lambda c: c.path.cost)
    return [accepted[0].path] + [c.path for c in rest]


def _is_int(x: object) -> bool:
    return isinstance(x, int | np.integer) and not isinstance(x, bool)


def _ends(
    nodes: Sequence[int], costs: Sequence[float], n: int, what: str
) -> tuple[np.ndarray, np.ndarray]:
    arr = np.asarray(nodes, dtype=np.int64).reshape(-1)
    cost = np.asarray(costs, dtype=np.float64).reshape(-1)
    if arr.size == 0:
        raise InvalidInputError("a search needs at least one source and one target")
    if arr.shape != cost.shape:
        raise InvalidInputError(f"one {what} cost is needed per {what} node")
    if arr.min() < 0 or arr.max() >= n:
        raise InvalidInputError(f"{what} node out of range 0..{n - 1}")
    if not np.all(np.isfinite(cost)) or np.any(cost < 0):
        raise InvalidInputError(f"{what} costs must be finite and non-negative")
    return arr, cost


def _arc_measures(
    graph: CostedGraph, lengths: np.ndarray | None, segments: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Length and segment id of each arc of ``graph`` (in CSR data order), and the arcs of
    each segment (a CSR over segment ids: pointers, then arc positions).

    Memoised on the graph for the last ``lengths`` and ``segments`` given: a call with the
    same read-only arrays (e.g. a model's cached ones) costs nothing, one with arrays equal
    to them one comparison, instead of gathering and checking every arc again.
    """
    memo = graph.__dict__.get("_alternatives_measures")
    if (
        memo is not None
        and memo[0] is graph._edge
        and _same(memo[1], lengths)
        and _same(memo[2], segments)
    ):
        return memo[3]
    arc_len, arc_seg = _gather_measures(graph, lengths, segments)
    order = np.argsort(arc_seg, kind="stable")
    seg_ptr = indptr(arc_seg, int(arc_seg.max(initial=-1)) + 1)
    measures = (arc_len, arc_seg, seg_ptr, order)
    graph.__dict__["_alternatives_measures"] = (
        graph._edge,
        _kept(lengths),
        _kept(segments),
        measures,
    )
    return measures


def _kept(given: np.ndarray | None) -> np.ndarray | None:
    """What the memo keeps of an input: a read-only array that owns its data as it is
    (it cannot change), anything else as a copy."""
    if given is None:
        return None
    if isinstance(given, np.ndarray) and not given.flags.writeable and given.base is None:
        return given
    return np.array(given, copy=True)


def _same(kept: np.ndarray | None, given: np.ndarray | None) -> bool:
    """Whether ``given`` equals the kept copy (both None counts as equal)."""
    if kept is None or given is None:
        return kept is None and given is None
    if given is kept:  # only read-only arrays are kept as they are
        return True
    given = np.asarray(given)
    return bool(kept.dtype == given.dtype and np.array_equal(kept, given))


def _gather_measures(
    graph: CostedGraph, lengths: np.ndarray | None, segments: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    edge = graph._edge
    need = int(edge.max(initial=-1)) + 1
    if lengths is None:
        arc_len = graph._w
    else:
        lengths = np.asarray(lengths, dtype=np.float64)
        if lengths.ndim != 1 or len(lengths) < need:
            raise InvalidInputError(f"lengths must give one value per edge ({need} at least)")
        arc_len = lengths[edge]
        if not np.all(np.isfinite(arc_len)) or np.any(arc_len < 0):
            raise InvalidInputError("lengths must be finite and non-negative")
    if segments is None:
        arc_seg = edge.astype(np.int64, copy=False)
    else:
        segments = np.asarray(segments)
        if segments.ndim != 1 or len(segments) < need or segments.dtype.kind not in "iu":
            raise InvalidInputError(f"segments must give one integer id per edge ({need} at least)")
        arc_seg = segments[edge].astype(np.int64, copy=False)
        if arc_seg.size and arc_seg.min() < 0:
            raise InvalidInputError("segment ids must be non-negative")
    return arc_len, arc_seg


def _overlap(cand: _Candidate, kept: _Candidate, mark: np.ndarray) -> float:
    """Share of ``cand``'s length on segments that ``kept`` uses (1.0 for an empty path);
    ``mark`` is an all-False scratch array over segment ids, left all-False."""
    if len(cand.segments) == 0:
        return 1.0
    mark[kept.segments] = True
    shared = mark[cand.segments]
    mark[kept.segments] = False
    total = float(cand.seg_lengths.sum())
    if total > 0:
        return float(cand.seg_lengths[shared].sum()) / total
    return float(shared.mean())


@dataclass
class _Scratch:
    """The arrays one call of :func:`alternatives` works in, lent by the graph: penalised
    arc weights, the group metric, what the last call changed in them (arc positions,
    group arcs, supergraph edges; None when unknown), and an array a call would otherwise
    allocate (a fresh array of megabytes costs more to map into memory than a round
    takes)."""

    w: np.ndarray
    metric: Metric
    changed: tuple[list[np.ndarray], ...] | None
    seg_mark: np.ndarray  # all False, one per segment id (grown when the segments grow)
    pair_mark: np.ndarray  # all zero, one per pair of groups (the kernel's scale_arcs)


def _joined(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)


class _PenalisedSearch:
    """The graph with a private, rescalable copy of its arc weights, and the customised
    metric of its graph of groups under those weights (each group arc weighs the cheapest
    penalised arc between its two groups)."""

    def __init__(
        self,
        graph: CostedGraph,
        src: np.ndarray,
        sc: np.ndarray,
        tgt: np.ndarray,
        tc: np.ndarray,
        scratch: _Scratch,
        potential: tuple[Any, ...],
    ) -> None:
        self.graph = graph
        self.potential = potential
        self.src, self.sc = src, sc
        self.tgt, self.tc = tgt, tc
        _, self.order, self.pair_lo, _, _, _, self.pair_of, self.pair_hi = graph._group_structure
        self.hierarchy, metric = graph._group_metric
        self.scratch = scratch
        self.w, self.metric = scratch.w, scratch.metric  # penalised, in CSR arc order
        if scratch.changed is None:  # unknown (a call that failed): copy every entry
            np.copyto(self.w, graph._w)
            self.hierarchy.copy(metric, into=self.metric)
            scratch.seg_mark[:] = False
            scratch.pair_mark[:] = 0
        else:  # undo only what the last call penalised
            positions, pairs, edges = (_joined(x) for x in scratch.changed)
            _kernel.copy_at(self.w, graph._w, positions)
            self.hierarchy.restore(self.metric, metric, pairs, edges)
        # what this call changes, handed to the next call when this one succeeds
        scratch.changed = None
        self.changed: tuple[list[np.ndarray], ...] = ([], [], [])

    @staticmethod
    def scratch(graph: CostedGraph) -> _Scratch:
        """New arrays for a search on ``graph``: arc weights and group metric."""
        hierarchy, metric = graph._group_metric
        n_pairs = len(graph._group_structure[2])
        return _Scratch(
            graph._w.copy(),
            hierarchy.copy(metric),
            ([], [], []),
            np.zeros(0, dtype=bool),
            np.zeros(n_pairs, dtype=np.uint8),
        )

    def done(self) -> None:
        """Hand this call's changes to the next call on the same arrays (see __init__)."""
        self.scratch.changed = self.changed

    def penalised(self, positions: np.ndarray) -> float:
        """Current (penalised) weight of the given arcs, summed."""
        return float(self.w[positions].sum())

    def scale(self, positions: np.ndarray, factor: float) -> None:
        """Multiply the weight of the arcs at ``positions`` (distinct) by ``factor``, and
        re-customise the group arcs they belong to (each the cheapest arc of its pair of
        groups)."""
        self.changed[0].append(positions)
        found = _kernel.scale_arcs(
            self.w, positions, factor, self.pair_of, self.pair_lo, self.pair_hi, self.order,
            self.scratch.pair_mark,
        )  # fmt: skip
        pairs, minima = np.frombuffer(found[0], np.int64), np.frombuffer(found[1], np.float64)
        if not len(pairs):
            return
        self.changed[1].append(pairs)
        self.changed[2].append(self.hierarchy.update(self.metric, pairs, minima))

    def run(
        self,
        tgt: np.ndarray,
        tc: np.ndarray,
        limit: float,
        arc_len: np.ndarray,
        arc_seg: np.ndarray,
    ) -> _Candidate | None:
        """Cheapest path under the current weights, or None when no target is reached."""
        g = self.graph
        with g._output() as out:
            dist, pred = g.search(
                self.src,
                self.sc,
                [(tgt, tc)],
                limit=limit,
                heuristic=self.potential,
                weights=self.w,
                out=out,
            )
            pos = g._pos[tgt]
            total = np.full(len(tgt), np.inf)
            ok = pos >= 0
            total[ok] = dist[pos[ok]] + tc[ok]
            for i in np.flatnonzero(~ok).tolist():  # no arcs: only if it is a source
                at = self.src == tgt[i]
                if at.any():
                    total[i] = float(self.sc[at].min()) + float(tc[i])
            if not np.isfinite(total).any():
                return None
            j = int(np.argmin(total))
            nodes, positions = g.trace(pred, int(tgt[j]))
        first = nodes[0]
        source_cost = float(self.sc[self.src == first].min())
        target_cost = float(tc[j])
        cost = source_cost + float(g._w[positions].sum()) + target_cost
        path = Path(
            tuple(nodes),
            tuple(g._edge[positions].tolist()),
            tuple(g._fwd[positions].tolist()),
            cost,
        )
        return _Candidate(
            path, positions, arc_seg[positions], arc_len[positions], source_cost, target_cost
        )
