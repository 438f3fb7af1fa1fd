"""Many scenarios of a sweep at once, exactly, with a few searches instead of one per scenario.

When the swept parameters change only border-post figures and road rates
(:mod:`corridors.scenarios.recost`), every arc's search weight is an affine function of the
parameter values ``θ`` inside the box the values span: ``W(θ) = W0 + Σ θ_i · W_i``.  The
weight of a path is then affine in ``θ`` as well, and the best weight ``OPT(θ)`` of an
origin–destination pair, a minimum of affine functions, is concave.  That gives an exact
certificate with few searches (parametric shortest paths):

1. search at the box's corners; every path found is a *candidate*;
2. the lower envelope ``L(θ)`` of the candidates' weights splits the box into convex regions,
   one per candidate; search again at every vertex of every region, adding the paths found;
3. repeat until every vertex has been searched.  Then ``OPT = L`` at every vertex, and since
   ``OPT <= L`` everywhere and ``OPT`` is concave, ``OPT = L`` on the whole box: for any
   ``θ`` in it, the candidate that is cheapest at ``θ`` is a best path.

Each scenario is still applied and re-costed from its own rules (:func:`apply_scenario`,
:func:`~corridors.scenarios.recost.note_changes`): its note changes must equal the affine
model's at its ``θ``, else it is routed directly, as are near-ties between two candidates
(where a direct search's tie-break decides) and anything the model cannot certify.  The
figures of each row (cost, hours with the waits at shut posts, distance) come from
:meth:`corridors.planner.Planner.totals` on the scenario's own re-costed arc values.
So every row is a best route of that scenario, as a direct run's is (tested); where two
routes weigh exactly the same, the row may name the other one (as the matrix may).
"""

from __future__ import annotations

import concurrent.futures as cf
import copy
import datetime as dt
import itertools
import logging
import multiprocessing as mp
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from corridors.costing import TRAVEL_MODES
from corridors.scenarios.load import Scenario
from corridors.scenarios.recost import NoteChanges, RulesDelta, note_changes, rules_delta
from geodata.errors import InvalidInputError

__all__ = ["BatchEvaluator", "NotBatchableError"]

log = logging.getLogger(__name__)

#: Relative tolerance for "the same weight" (ties, the affine check): far above the rounding
#: of sums of a few thousand arcs (~1e-13 relative), far below any real cost difference.
_REL_TOL = 1e-9
#: |det| of unit-length plane normals below which planes count as parallel (no vertex).
_SINGULAR = 1e-12
#: Candidates per pair beyond which the envelope is not enumerated (its vertices grow as the
#: p-th power): that pair is then routed directly for every scenario.
MAX_CANDIDATES = 14
#: Search rounds before giving up on certifying (each adds the paths found at new vertices).
MAX_ROUNDS = 12


#: Scenarios a forked worker takes at a time (small: progress stays fluid, load balanced).
_CHUNK = 25
#: The evaluator the forked workers inherit (set only while a pool of them runs, under
#: :data:`_FORK_LOCK`, so that two evaluators in one process never hand over each other).
_ENGINE: BatchEvaluator | None = None
_FORK_LOCK = threading.Lock()


_JOBS: list[Any] = []


def _run_job(i: int) -> Any:
    """Job ``i`` of :meth:`BatchEvaluator._fork_map`, in a forked worker."""
    assert _ENGINE is not None
    name, args = _JOBS[i]
    return getattr(_ENGINE, name)(*args)


class NotBatchableError(Exception):
    """The scenarios differ in more than re-costable figures: route them one by one."""


@dataclass
class _Candidate:
    arcs: tuple[int, ...]
    start: int
    end: int
    a: float  # weight at the box's low corner (entry and exit costs included)
    b: np.ndarray  # weight change per unit of each parameter
    summary: dict[str, Any] | None = None
    km: float | None = None


@dataclass
class _Group:
    """The origins sharing one cost model, and the affine weights of that model."""

    model: Any
    origins: list[int]
    sources: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)
    targets: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)
    owners: list[dict[int, Any]] = field(default_factory=list)
    w0: np.ndarray | None = None
    slopes: np.ndarray | None = None  # (p, arcs)
    note0: np.ndarray | None = None  # (3, notes): factor, d_cost, d_hours at the low corner
    note_slopes: np.ndarray | None = None  # (p, 3, notes)
    potentials: list[Any] = field(default_factory=list)


class BatchEvaluator:
    """Routes OD pairs under many values of swept parameters, exactly (see the module doc).

    Parameters
    ----------
    base
        The scenario the parameters are applied on.
    params
        The swept :class:`~corridors.scenarios.sweep.Parameter` objects.
    low, high
        The box the values will lie in (per parameter).
    pairs
        ``(origin, destination)`` place names.
    departure, objective, carrier
        As for :func:`corridors.scenarios.sweep.sweep`.
    direct
        ``direct(values, pairs)`` routes pairs under one scenario the plain way (the
        fallback); returns one row per pair.
    workers
        Processes for the searches (default: all cores), forked from this one.

    Raises
    ------
    NotBatchableError
        When the parameters change more than re-costable figures (network, TIR default,
        other rules), so that the weights are not re-costed from the base's.
    """

    def __init__(
        self,
        base: Scenario,
        params: Sequence[Any],
        low: Sequence[float],
        high: Sequence[float],
        pairs: Sequence[tuple[str, str]],
        *,
        departure: dt.date,
        objective: str,
        carrier: str | None,
        direct: Callable[[tuple[float, ...], tuple[tuple[str, str], ...]], list[dict[str, Any]]],
        workers: int | None = None,
    ) -> None:
        from corridors.planner import _node_modes
        from corridors.scenarios.apply import apply_scenario, scenario_planner
        from corridors.shipment import Shipment

        self.base, self.params, self.pairs = base, tuple(params), tuple(pairs)
        self.objective, self.direct = objective, direct
        self.workers = workers or os.cpu_count() or 1
        self.low = np.asarray(low, dtype=np.float64).reshape(-1)
        self.high = np.asarray(high, dtype=np.float64).reshape(-1)
        if not (len(self.low) == len(self.high) == len(self.params)) or not np.all(
            np.isfinite(self.low) & np.isfinite(self.high) & (self.low <= self.high)
        ):
            raise InvalidInputError("the box must give one finite low <= high per swept parameter")
        self.step = np.where(self.high > self.low, self.high - self.low, 1.0)
        self.free = np.flatnonzero(self.high > self.low)  # the parameters that move
        self.base_applied = apply_scenario(base)
        self.planner = scenario_planner(base)
        self.tir = True if self.base_applied.tir is None else self.base_applied.tir
        # the low corner and one step along each free parameter (a fixed one has no slope:
        # stepping it would apply a value outside the box)
        free = self.free
        anchors = [tuple(self.low)] + [
            tuple(np.where(np.arange(len(self.low)) == i, self.high, self.low)) for i in free
        ]
        applied = [self._applied(v) for v in anchors]
        deltas = [self._delta(ap) for ap in applied]
        self.delta = RulesDelta(
            frozenset().union(*(d.posts for d in deltas)),
            frozenset().union(*(d.road for d in deltas)),
        )
        self.node_modes = _node_modes(frozenset(TRAVEL_MODES))
        pl = self.planner
        self.groups: dict[Any, _Group] = {}
        self.pair_group: list[tuple[_Group, int, int]] = []  # group, origin slot, target slot
        self.no_route: set[int] = set()  # pairs routed directly (no start or no end)
        for k, (o, d) in enumerate(self.pairs):
            place = pl.places.resolve(o, modes=self.node_modes)
            sh = Shipment(
                carrier=carrier or pl.default_shipment(place).carrier,
                departure=departure,
                tir=self.tir,
            )
            model = pl.model(sh, frozenset(TRAVEL_MODES), False)
            g = self.groups.setdefault(sh, _Group(model, []))
            if o not in g.origins:
                g.origins.append(o)
                src = pl._ends(model, place, self.node_modes, objective, start=True)
                g.sources.append((np.asarray(src[0], np.int64), np.asarray(src[1], np.float64)))
            dests = pl._destinations(d, self.node_modes)
            dests = [x for x in dests if x.key != place.key]
            states, weights, owner = pl._ends_many(model, dests, self.node_modes, objective)
            g.targets.append((np.asarray(states, np.int64), np.asarray(weights, np.float64)))
            g.owners.append(owner)
            self.pair_group.append((g, g.origins.index(o), len(g.targets) - 1))
            if not dests or not len(g.sources[g.origins.index(o)][0]):
                self.no_route.add(k)
        for g in self.groups.values():
            self._affine(g, applied)
            self.planner.graph(g.model, self.objective).prepare()  # shared by forked workers
        self._potentials()
        self.candidates: list[list[_Candidate]] = [[] for _ in self.pairs]
        self.searches = 0
        self._certify()

    # ---------------------------------------------------------------- set-up
    def _applied(self, values: Sequence[float]) -> Any:
        from corridors.scenarios.apply import apply_scenario
        from corridors.scenarios.sweep import derived_scenario

        return apply_scenario(derived_scenario(self.base, self.params, values))

    def _delta(self, applied: Any) -> RulesDelta:
        base = self.base_applied
        if applied.network is not base.network or applied.tir != base.tir:
            raise NotBatchableError("the parameters change the network or the TIR default")
        delta = rules_delta(base.raw, applied.raw)
        if delta is None:
            raise NotBatchableError("the parameters change rules that are not re-costed in place")
        return delta

    def _notes(self, model: Any, rules: Any) -> tuple[NoteChanges, np.ndarray]:
        ch = note_changes(model, rules, self.delta)
        return ch, np.stack([ch.factor, ch.d_cost, ch.d_hours])

    def _weights_of(self, model: Any, ch: NoteChanges) -> np.ndarray:
        cost, hours = ch.columns(model)
        a = {"cost": cost, "hours": hours, "km": model.arcs["km"]}
        return np.asarray(self.planner._weights(model, self.objective, a), dtype=np.float64)

    def _affine(self, g: _Group, applied: list[Any]) -> None:
        """Weights and note changes of ``g``'s model as affine functions of the values."""
        chs = [self._notes(g.model, ap.rules) for ap in applied]
        w = [self._weights_of(g.model, ch) for ch, _ in chs]
        free = self.free
        g.w0 = w[0]
        g.slopes = np.zeros((len(self.low), len(w[0])))
        g.note0 = chs[0][1]
        g.note_slopes = np.zeros((len(self.low), *g.note0.shape))
        for i, wi, (_, vec) in zip(free, w[1:], chs[1:], strict=True):
            g.slopes[i] = (wi - w[0]) / self.step[i]
            g.note_slopes[i] = (vec - g.note0) / self.step[i]

    def _potentials(self) -> None:
        """A* potentials that stay consistent anywhere in the box, per group and target:
        W(θ) is the multilinear interpolation of the corners' weights (exact, W being
        affine), so the same interpolation of exact potentials of the corners is a
        consistent lower bound, exact at the corners and close in between.  The corners'
        potentials are computed on worker processes."""
        groups = list(self.groups.values())
        corners = self._corners()
        jobs = [(gi, ci) for gi in range(len(groups)) for ci in range(len(corners))]
        got = dict(zip(jobs, self._fork_map(self._corner_potentials, jobs), strict=True))
        for gi, g in enumerate(groups):
            base = self.planner.graph(g.model, self.objective)
            g.potentials = []
            for ti, (t, _) in enumerate(g.targets):
                if not len(t):
                    g.potentials.append(None)
                    continue
                lbs = np.stack([got[(gi, ci)][ti] for ci in range(len(corners))])
                finite = np.isfinite(lbs).all(axis=0)
                g.potentials.append((base, np.where(finite, lbs, 0.0), ~finite))

    def _corner_potentials(self, gi: int, ci: int) -> list[np.ndarray | None]:
        """Exact distances to each target of group ``gi`` on its graph of groups, per group,
        on the weights of corner ``ci`` (:meth:`routing.CostedGraph.group_bounds`)."""
        g = list(self.groups.values())[gi]
        theta = self._corners()[ci]
        graph = self.planner.graph(g.model, self.objective).with_weights(
            self._weights_at(g, theta), check=False
        )
        return [graph.group_bounds(t, c) if len(t) else None for t, c in g.targets]

    def _fork_map(
        self, fn: Callable[..., Any], jobs: list[tuple[Any, ...]], workers: int | None = None
    ) -> Iterator[Any]:
        """``fn(*job)`` for every job, in order, on worker processes forked from this one
        (they share its cost models and state) when there are several workers and jobs."""
        n = self.workers if workers is None else workers
        if n <= 1 or len(jobs) < 2 or "fork" not in mp.get_all_start_methods():
            for job in jobs:
                yield fn(*job)
            return
        global _ENGINE, _JOBS
        with _FORK_LOCK:
            _ENGINE, _JOBS = self, [(fn.__name__, job) for job in jobs]
            try:
                ctx = mp.get_context("fork")
                with cf.ProcessPoolExecutor(max_workers=min(n, len(jobs)), mp_context=ctx) as pool:
                    yield from pool.map(_run_job, range(len(jobs)), chunksize=1)
            finally:
                _ENGINE, _JOBS = None, []

    def _seeds(self) -> list[np.ndarray]:
        """Where the first round searches: the box's corners, its centre and the centres
        of its faces (the more optimal paths the first round finds, the closer the first
        envelope is to the final one, and the fewer of its vertices are searched in vain)."""
        free = self.free
        mid = (self.low + self.high) / 2
        out = [*self._corners(), mid]
        for i in free:
            for end in (self.low[i], self.high[i]):
                theta = mid.copy()
                theta[i] = end
                out.append(theta)
        return out

    def _corners(self) -> list[np.ndarray]:
        """The corners of the box over its free parameters (one point if none is free)."""
        free = self.free
        out = []
        for bits in itertools.product((0, 1), repeat=len(free)):
            theta = self.low.copy()
            theta[free] = np.where(np.array(bits, dtype=bool), self.high[free], self.low[free])
            out.append(theta)
        return out

    def _potential_at(self, pot: tuple[Any, ...], u: np.ndarray) -> tuple[Any, ...]:
        """The kernel potential at ``u`` (values above the low corner): the multilinear
        interpolation of the corners' exact potentials (see :meth:`_potentials`).  (A finer
        grid along the parameter that moves the weights most settled only ~10 % fewer states
        per search in the benchmark's box, for half as many potentials again.)"""
        graph, lbs, unreachable = pot
        free = self.free
        x = u[free] / (self.high - self.low)[free]
        lam = np.array(
            [
                np.prod(np.where(np.array(bits, dtype=bool), x, 1.0 - x))
                for bits in itertools.product((0, 1), repeat=len(free))
            ]
        )
        lb = lam @ lbs
        lb[unreachable] = np.inf
        return graph.bounds_potential(lb)

    @staticmethod
    def _clip(w: np.ndarray) -> np.ndarray:
        """Weights with rounding-level negatives set to zero; real negatives refused."""
        low = float(w.min(initial=0.0))
        if low >= 0.0:
            return w
        if low < -_REL_TOL * float(np.abs(w).max(initial=1.0)):
            raise NotBatchableError("a weight turns negative inside the box")
        return np.maximum(w, 0.0)

    # ---------------------------------------------------------------- certification
    def _weights_at(self, g: _Group, theta: np.ndarray) -> np.ndarray:
        assert g.w0 is not None and g.slopes is not None
        return self._clip(g.w0 + (theta - self.low) @ g.slopes)

    def _search(self, g: _Group, theta: np.ndarray, pairs: list[int]) -> list[Any]:
        """Search ``pairs`` (of ``g``) at ``theta`` for a path cheaper than their candidates
        there.  Returns, per pair searched, ``(pair, found)`` with ``found`` None or
        ``(arcs, start, end, weight, entry and exit weight)``: plain data, so that a worker
        process can send it back."""
        w = self._weights_at(g, theta)
        graph = self.planner.graph(g.model, self.objective).with_weights(w, check=False)
        u = theta - self.low
        found: list[Any] = []
        for k in pairs:
            _, o_slot, t_slot = self.pair_group[k]
            if g.potentials[t_slot] is None:
                continue
            cands = self.candidates[k]
            bound = min((c.a + float(c.b @ u) for c in cands), default=np.inf)
            limit = bound * (1 + _REL_TOL) + _REL_TOL if np.isfinite(bound) else np.inf
            src, sc = g.sources[o_slot]
            tgt, tc = g.targets[t_slot]
            pot = self._potential_at(g.potentials[t_slot], u)
            path = graph.path_within(src, sc, tgt, tc, potential=pot, limit=limit)
            if path is None:
                found.append((k, None))
                continue
            arcs = tuple(int(e) for e in path.edges)
            ends = path.cost - float(w[np.asarray(arcs, dtype=np.int64)].sum())
            found.append((k, (arcs, int(path.nodes[0]), int(path.nodes[-1]), path.cost, ends)))
        return found

    def _take(self, g: _Group, theta: np.ndarray, found: list[Any]) -> None:
        """Add the paths a search found to the candidates of their pairs."""
        self.searches += len(found)
        for k, info in found:
            if info is not None:
                self._add(k, g, info, theta)

    def _add(self, k: int, g: _Group, info: tuple[Any, ...], theta: np.ndarray) -> None:
        """Add a path found at ``theta`` (see :meth:`_search`) to pair ``k``'s candidates,
        unless a candidate already weighs as little there (a tie adds nothing to the
        envelope)."""
        arcs, start, end, cost, ends = info
        cands = self.candidates[k]
        u = theta - self.low
        if cands:
            here = min(c.a + float(c.b @ u) for c in cands)
            if here <= cost + _REL_TOL * max(1.0, abs(cost)):
                return
        assert g.w0 is not None and g.slopes is not None
        arr = np.asarray(arcs, dtype=np.int64)
        cands.append(
            _Candidate(
                arcs, start, end, float(g.w0[arr].sum()) + ends, g.slopes[:, arr].sum(axis=1)
            )
        )

    def _certify(self) -> None:
        p = len(self.params)
        live = [k for k in range(len(self.pairs)) if k not in self.no_route]
        done: list[set[tuple[float, ...]]] = [set() for _ in self.pairs]
        # (group, vertex) -> the vertex and the pairs to search there
        todo: dict[tuple[int, tuple[float, ...]], tuple[_Group, np.ndarray, list[int]]] = {}
        for c in self._seeds():
            for k in live:
                g = self.pair_group[k][0]
                todo.setdefault((id(g), self._key(c)), (g, c, []))[2].append(k)
        self.uncertified: set[int] = set()
        seen = [-1] * len(self.pairs)  # candidates a pair had when its vertices were listed
        for _ in range(MAX_ROUNDS):
            jobs = list(todo.items())
            found = list(self._fork_map(self._search, [job for _, job in jobs]))
            for ((_, key), (g, theta, ks)), rows in zip(jobs, found, strict=True):
                self._take(g, theta, rows)
                for k in ks:
                    done[k].add(key)
            todo = {}
            for k in live:
                if k in self.uncertified or len(self.candidates[k]) == seen[k]:
                    continue
                seen[k] = len(self.candidates[k])
                if seen[k] > MAX_CANDIDATES:
                    self.uncertified.add(k)
                    continue
                g = self.pair_group[k][0]
                for v in self._vertices(self.candidates[k], p):
                    key = self._key(v)
                    ks = todo.setdefault((id(g), key), (g, v, []))[2]
                    if key not in done[k] and k not in ks:  # a vertex where several planes meet
                        ks.append(k)  # comes once per combination of them
            todo = {key: job for key, job in todo.items() if job[2]}
            if not todo:
                break
        else:
            self.uncertified |= {k for _, (_, _, ks) in todo.items() for k in ks}
        log.info(
            "batch: %d searches, %d candidates, %d pair(s) not certified",
            self.searches,
            sum(len(c) for c in self.candidates),
            len(self.uncertified),
        )

    def _key(self, theta: np.ndarray) -> tuple[float, ...]:
        rel = (np.asarray(theta) - self.low) / self.step
        return tuple(float(x) for x in np.round(rel, 9))

    def _vertices(self, cands: list[_Candidate], p: int) -> list[np.ndarray]:
        """The vertices of the regions of the candidates' lower envelope in the box: the
        points in the box where ``q`` (free parameters) of the planes meet — faces of the
        box, or planes where two candidates weigh the same — and each such pair of
        candidates is cheapest there."""
        free = self.free
        q = len(free)
        if not cands or q == 0:
            return []
        a = np.array([c.a for c in cands])
        bf = np.stack([c.b for c in cands])[:, free]
        # in u = θ - low over the free parameters: a face is u_i = 0 or u_i = span_i, the
        # plane of candidates j, k is (b_j - b_k)·u = a_k - a_j
        span = (self.high - self.low)[free]
        normals = [np.eye(q)[i] for i in range(q) for _ in (0, 1)]
        rhs = [v for i in range(q) for v in (0.0, float(span[i]))]
        who = [(-1, -1)] * (2 * q)
        for j, k in itertools.combinations(range(len(cands)), 2):
            n = bf[j] - bf[k]
            if np.any(n):
                normals.append(n)
                rhs.append(float(a[k] - a[j]))
                who.append((j, k))
        nv, rv, wv = np.array(normals), np.array(rhs), np.array(who)
        combos = np.array(list(itertools.combinations(range(len(nv)), q)), dtype=np.int64)
        # rows scaled to unit length (with their right-hand sides), so that the singularity
        # test does not depend on the parameters' units
        norm = np.linalg.norm(nv, axis=1)
        nv, rv = nv / norm[:, None], rv / norm
        m = nv[combos]  # (combos, q, q)
        ok = np.abs(np.linalg.det(m)) > _SINGULAR
        combos, m = combos[ok], m[ok]
        if not len(combos):
            return []
        u = np.linalg.solve(m, rv[combos][..., None])[..., 0]
        tol = 1e-9 * span
        inside = np.all((u >= -tol) & (u <= span + tol), axis=1)
        combos, u = combos[inside], np.clip(u[inside], 0.0, span)
        cost = a[None, :] + u @ bf.T  # (points, candidates)
        top = cost.min(axis=1) + _REL_TOL * max(1.0, float(np.abs(a).max()))
        pairs = wv[combos]  # (points, q, 2)
        rows = np.arange(len(u))[:, None]
        j, k = pairs[..., 0], pairs[..., 1]
        face = j < 0
        cj = np.where(face, -np.inf, cost[rows, np.where(face, 0, j)])
        ck = np.where(face, -np.inf, cost[rows, np.where(face, 0, k)])
        keep = np.all(np.maximum(cj, ck) <= top[:, None], axis=1)
        out = []
        for x in u[keep]:
            theta = self.low.copy()
            theta[free] += x
            out.append(theta)
        return out

    # ---------------------------------------------------------------- checking
    def certified_weight(self, values: Sequence[float], k: int) -> float:
        """Pair ``k``'s best search weight at ``values`` by the certificate (the cheapest
        candidate there)."""
        u = np.asarray(values, dtype=np.float64) - self.low
        return min(c.a + float(c.b @ u) for c in self.candidates[k])

    def searched_weight(self, values: Sequence[float], k: int) -> float:
        """Pair ``k``'s best search weight at ``values`` found the plain way: one search on
        the scenario's re-costed graph (what :meth:`certified_weight` must equal)."""
        from corridors.scenarios.sweep import _planner_for, derived_scenario
        from routing import best_path

        sc = derived_scenario(self.base, self.params, values)
        planner = _planner_for(self.base, sc, self._applied(values))
        g, o_slot, t_slot = self.pair_group[k]
        model = planner.model(g.model.shipment, g.model.modes, g.model.include_planned)
        graph = planner.graph(model, self.objective)
        src, sc_w = g.sources[o_slot]
        tgt, tc = g.targets[t_slot]
        return best_path(graph, list(src), list(sc_w), list(tgt), list(tc)).cost

    # ---------------------------------------------------------------- evaluation
    def rows_many(
        self,
        values: Sequence[Sequence[float]],
        *,
        workers: int | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> list[list[dict[str, Any]]]:
        """:meth:`rows` for many value tuples, on ``workers`` processes (default: all
        cores).  The workers are forked from this process after the certification, so they
        share its cost models and candidates instead of rebuilding them; where ``fork`` is
        not available (or for one worker) everything runs here."""
        n = workers or self.workers
        todo = [tuple(float(x) for x in v) for v in values]
        parallel = n > 1 and len(todo) >= 2 * n
        size = max(1, min(_CHUNK, -(-len(todo) // n))) if parallel else 1
        chunks = [(todo[i : i + size],) for i in range(0, len(todo), size)]
        out: list[list[dict[str, Any]]] = []
        for got in self._fork_map(self._rows_of_chunk, chunks, workers=n if parallel else 1):
            out += got
            if progress:
                progress(len(out), len(todo))
        return out

    def _rows_of_chunk(self, chunk: list[tuple[float, ...]]) -> list[list[dict[str, Any]]]:
        """:meth:`rows` of each value tuple of a chunk (a job of :meth:`rows_many`)."""
        return [self.rows(v) for v in chunk]

    def rows(
        self, values: Sequence[float], only: Sequence[int] | None = None
    ) -> list[dict[str, Any]]:
        """One row per pair (or per pair index in ``only``) for the scenario with these
        parameter values (as :func:`corridors.scenarios.sweep._run` gives them)."""
        from corridors.planner import model_vot_per_hour

        ks = range(len(self.pairs)) if only is None else list(only)
        some = tuple(self.pairs[k] for k in ks)

        theta = np.asarray(values, dtype=np.float64).reshape(-1)
        if len(theta) != len(self.params):
            raise InvalidInputError(
                f"give {len(self.params)} value(s), one per swept parameter, not {len(theta)}"
            )
        tol = 1e-9 * self.step
        if np.any(theta < self.low - tol) or np.any(theta > self.high + tol):
            return self.direct(tuple(values), some)
        applied = self._applied(values)
        try:
            delta = self._delta(applied)
        except NotBatchableError:
            return self.direct(tuple(values), some)
        if not (delta.posts <= self.delta.posts and delta.road <= self.delta.road):
            return self.direct(tuple(values), some)
        notes: dict[int, NoteChanges] = {}
        for g in self.groups.values():
            ch, vec = self._notes(g.model, applied.rules)
            assert g.note0 is not None and g.note_slopes is not None
            pred = g.note0 + np.tensordot(theta - self.low, g.note_slopes, axes=1)
            if not np.allclose(vec, pred, rtol=_REL_TOL, atol=_REL_TOL):
                log.debug("batch: values %s are not affine here; routed directly", values)
                return self.direct(tuple(values), some)
            notes[id(g)] = ch
        out: list[dict[str, Any]] = []
        for k in ks:
            o, d = self.pairs[k]
            g, _, _ = self.pair_group[k]
            row: dict[str, Any] = {"origin": o, "destination": d, "values": list(values)}
            cands = self.candidates[k]
            if k in self.no_route or not cands or k in self.uncertified:
                out += self.direct(tuple(values), ((o, d),))
                continue
            cost = np.array([c.a + c.b @ (theta - self.low) for c in cands])
            order = np.argsort(cost, kind="stable")
            best = cands[int(order[0])]
            if len(cands) > 1:
                gap = cost[order[1]] - cost[order[0]]
                if gap <= _REL_TOL * max(1.0, abs(float(cost[order[0]]))):
                    out += self.direct(tuple(values), ((o, d),))
                    continue
            ch = notes[id(g)]
            arr = np.asarray(best.arcs, dtype=np.int64)
            m = copy.copy(g.model)
            m.rules = applied.rules
            if best.km is None:
                best.km = self.planner._legs_km(g.model, arr)
            usd, hours, km, _ = self.planner.totals(
                m, arr, best.start, best.end, columns=ch.columns(g.model, arr), km=best.km
            )
            summary = self._summary(k, g, best)
            row.update(
                choice=summary["choice"],
                cost_usd=round(usd, 2),
                hours=round(hours, 3),
                generalized_cost_usd=round(usd + model_vot_per_hour(m) * hours, 2),
                distance_km=round(km, 3),
                port=summary["port"],
                border_posts=summary["border_posts"],
            )
            out.append(row)
        return out

    def _summary(self, k: int, g: _Group, c: _Candidate) -> dict[str, Any]:
        """Port, posts and choice of a candidate path (they do not depend on the values)."""
        if c.summary is None:
            from corridors.scenarios.compare import route_summary
            from corridors.scenarios.sweep import _choice

            o, _ = self.pairs[k]
            place = self.planner.places.resolve(o, modes=self.node_modes)
            owner = g.owners[self.pair_group[k][2]][c.end]
            r = self.planner._make_route(
                g.model, place, owner, self.objective, list(c.arcs), c.start, c.end, draws=0
            )
            s = route_summary(r)
            c.summary = {"choice": _choice(s), "port": s["port"], "border_posts": s["border_posts"]}
        return c.summary
