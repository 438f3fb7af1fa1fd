"""Customisable contraction hierarchies against a plain Dijkstra, on small random graphs
(hypothesis) and on the real network's graph of groups."""

from __future__ import annotations

import heapq

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geodata.errors import InvalidInputError
from routing import customisable
from routing._native import load
from routing.customisable import CustomisableHierarchy

_kernel = load()


def _dijkstra(n, tail, head, w, starts, costs, reverse):
    """Reference: distances from (or, ``reverse``, to) the start nodes, by heapq."""
    adj = [[] for _ in range(n)]
    for a, b, x in zip(tail, head, w, strict=True):
        if np.isfinite(x) and a != b:
            if reverse:
                adj[b].append((a, x))
            else:
                adj[a].append((b, x))
    dist = np.full(n, np.inf)
    heap = []
    for s, c in zip(starts, costs, strict=True):
        if c < dist[s]:
            dist[s] = c
            heapq.heappush(heap, (c, s))
    while heap:
        d, v = heapq.heappop(heap)
        if d > dist[v]:
            continue
        for u, x in adj[v]:
            if d + x < dist[u]:
                dist[u] = d + x
                heapq.heappush(heap, (d + x, u))
    return dist


#: zero-weight arcs, absent arcs (inf) and ordinary ones
_WEIGHTS = st.one_of(st.just(0.0), st.just(np.inf), st.floats(0.0, 100.0, allow_nan=False))


@st.composite
def graphs(draw):
    n = draw(st.integers(1, 30))
    m = draw(st.integers(0, 90))
    tail = np.array(draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m)), dtype=np.int64)
    head = np.array(draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m)), dtype=np.int64)
    w = np.array(draw(st.lists(_WEIGHTS, min_size=m, max_size=m)), dtype=np.float64)
    k = draw(st.integers(1, min(n, 4)))
    starts = np.array(draw(st.lists(st.integers(0, n - 1), min_size=k, max_size=k)))
    costs = np.array(draw(st.lists(st.floats(0.0, 10.0), min_size=k, max_size=k)))
    return n, tail, head, w, starts, costs


def _close(a: np.ndarray, b: np.ndarray) -> None:
    assert np.array_equal(np.isfinite(a), np.isfinite(b))
    fin = np.isfinite(b)
    np.testing.assert_allclose(a[fin], b[fin], rtol=1e-12, atol=1e-9)


@settings(max_examples=150, deadline=None)
@given(graphs())
def test_distances_equal_dijkstra(case) -> None:
    n, tail, head, w, starts, costs = case
    h = CustomisableHierarchy(n, tail, head)
    metric = h.customise(w)
    _close(h.distances_to(metric, starts, costs), _dijkstra(n, tail, head, w, starts, costs, True))
    _close(
        h.distances_from(metric, starts, costs), _dijkstra(n, tail, head, w, starts, costs, False)
    )


@settings(max_examples=100, deadline=None)
@given(graphs(), st.data())
def test_update_equals_a_fresh_customisation(case, data) -> None:
    """Weights raised and lowered in several steps: the updated metric is the fresh one to
    the last bit, and its distances are exact."""
    n, tail, head, w, starts, costs = case
    h = CustomisableHierarchy(n, tail, head)
    metric = h.customise(w)
    w = w.copy()
    for _ in range(3):
        if not len(w):
            break
        arcs = np.array(
            data.draw(st.lists(st.integers(0, len(w) - 1), min_size=1, max_size=len(w))),
            dtype=np.int64,
        )
        new = data.draw(st.lists(_WEIGHTS, min_size=len(arcs), max_size=len(arcs)))
        w[arcs] = new  # an arc listed twice takes its last value, as in update
        h.update(metric, arcs, np.array(new))
        fresh = h.customise(w)
        for name in ("arc_weights", "_base", "weights", "_climb"):
            assert np.array_equal(getattr(metric, name), getattr(fresh, name)), name
    _close(h.distances_to(metric, starts, costs), _dijkstra(n, tail, head, w, starts, costs, True))


def test_copy_is_independent() -> None:
    tail, head = np.array([0, 1, 0]), np.array([1, 2, 2])
    h = CustomisableHierarchy(3, tail, head)
    base = h.customise(np.array([1.0, 1.0, 5.0]))
    other = h.copy(base)
    h.update(other, np.array([0]), np.array([10.0]))
    assert h.distances_to(base, np.array([2]), np.zeros(1)).tolist() == [2.0, 1.0, 0.0]
    assert h.distances_to(other, np.array([2]), np.zeros(1)).tolist() == [5.0, 1.0, 0.0]


def test_bad_input_is_refused() -> None:
    h = CustomisableHierarchy(3, np.array([0, 1]), np.array([1, 2]))
    with pytest.raises(InvalidInputError, match="one value per arc"):
        h.customise(np.ones(3))
    with pytest.raises(InvalidInputError, match="non-negative"):
        h.customise(np.array([1.0, -1.0]))
    with pytest.raises(InvalidInputError, match="non-negative"):
        h.customise(np.array([1.0, np.nan]))
    metric = h.customise(np.ones(2))
    with pytest.raises(InvalidInputError, match="out of range"):
        h.distances_to(metric, np.array([3]), np.zeros(1))
    with pytest.raises(InvalidInputError, match="one cost"):
        h.distances_to(metric, np.array([1]), np.zeros(2))
    with pytest.raises(InvalidInputError, match="out of range"):
        h.update(metric, np.array([2]), np.ones(1))
    with pytest.raises(InvalidInputError, match="out of range"):
        CustomisableHierarchy(2, np.array([0]), np.array([2]))
    with pytest.raises(InvalidInputError, match="negative"):
        CustomisableHierarchy(-1, np.array([], dtype=np.int64), np.array([], dtype=np.int64))
    with pytest.raises(InvalidInputError, match="one entry per arc"):
        CustomisableHierarchy(3, np.array([0, 1]), np.array([1]))
    with pytest.raises(InvalidInputError, match="costs must be non-negative"):
        h.distances_to(metric, np.array([1]), np.array([np.nan]))
    with pytest.raises(InvalidInputError, match="costs must be non-negative"):
        h.distances_from(metric, np.array([1]), np.array([-1.0]))
    with pytest.raises(InvalidInputError, match="integers"):
        h.distances_to(metric, np.array([1.5]), np.zeros(1))
    with pytest.raises(InvalidInputError, match="integers"):
        h.update(metric, np.array([0.5]), np.ones(1))
    with pytest.raises(InvalidInputError, match="per listed arc"):
        h.update(metric, np.array([0, 1]), np.ones(1))
    with pytest.raises(InvalidInputError, match="non-negative"):
        h.update(metric, np.array([0]), np.array([-2.0]))
    with pytest.raises(InvalidInputError, match="contiguous"):
        h.distances_to(metric, np.array([1]), np.zeros(1), out=np.empty(6)[::2])


def test_kernel_refuses_malformed_arrays() -> None:
    """The compiled functions check what Python could get wrong, instead of crashing."""
    h = CustomisableHierarchy(3, np.array([0, 1]), np.array([1, 2]))
    metric = h.customise(np.ones(2))
    dist = np.empty(3)
    bad_parent = np.array([0, 2, -1], dtype=np.int32)  # a node its own parent
    with pytest.raises(ValueError, match="malformed"):
        _kernel.cch_query(
            h.up_ptr, h.up_head, bad_parent, metric.weights, True, np.array([0]), np.zeros(1), dist
        )
    with pytest.raises(ValueError, match="out of range"):
        _kernel.cch_customise(np.array([0, 1, 9], dtype=np.int32), metric.weights.copy())
    with pytest.raises(ValueError, match="loop"):
        _kernel.cch_build(2, np.array([1]), np.array([1]))
    # a triangle index pointing outside its arrays, met where it is read
    lower, top_ptr, top_ab, side_ptr, side_top = h._triangle_index
    bad_ptr = top_ptr.copy()
    bad_ptr[1:] = 10**6
    bad_ptr[-1] = top_ptr[-1]
    slot_index = (h._slot_of, h._arc, h._starts, h._ends, h._slots)
    work = h.copy(metric)
    every = np.arange(2, dtype=np.int64)  # every arc, at its weight
    with pytest.raises(ValueError, match="malformed"):
        _kernel.cch_update(
            lower, bad_ptr, top_ab, side_ptr, side_top, *slot_index, work._base, work.weights,
            work._climb, work.arc_weights, every, np.ones(2),
        )  # fmt: skip
    with pytest.raises(ValueError, match="out of range"):
        _kernel.cch_update(
            *h._triangle_index, *slot_index, work._base, work.weights, work._climb,
            work.arc_weights, np.array([5]), np.ones(1),
        )  # fmt: skip
    bad_slots = np.full_like(h._slots, 99)  # a slot outside the metric
    with pytest.raises(ValueError, match="malformed"):
        _kernel.cch_update(
            *h._triangle_index, *slot_index[:4], bad_slots, work._base, work.weights,
            work._climb, work.arc_weights, every, np.ones(2),
        )  # fmt: skip


def test_real_network(operational_graph) -> None:
    """The real network (each node its own group): distances to and from a few nodes equal
    the compiled Dijkstra's, before and after a penalty on a thousand arcs."""
    from routing.graph import _csr, _multi_source

    g = operational_graph()
    n, fwd, rev = g._group_graphs
    _, _, _, ga, gb, *_ = g._group_structure
    h = g._group_hierarchy
    metric = h.copy(g._group_metric[1])
    w = fwd[2].copy()
    rng = np.random.default_rng(7)
    nodes = rng.integers(0, n, 3)
    costs = np.array([0.0, 5.0, 20.0])
    _close(h.distances_to(metric, nodes, costs), _multi_source(rev, nodes, costs))
    _close(h.distances_from(metric, nodes, costs), _multi_source(fwd, nodes, costs))
    arcs = rng.choice(len(w), 1000, replace=False)
    w[arcs] *= 2.5
    h.update(metric, arcs, w[arcs])
    _close(h.distances_to(metric, nodes, costs), _multi_source(_csr(n, gb, ga, w), nodes, costs))
    assert h.n_edges < 4 * len(w)  # a fill-reducing order: the supergraph stays sparse


def test_distances_into_a_given_array() -> None:
    tail, head = np.array([0, 1, 2]), np.array([1, 2, 0])
    h = CustomisableHierarchy(3, tail, head)
    metric = h.customise(np.array([1.0, 2.0, 4.0]))
    out = np.full(3, -1.0)
    got = h.distances_to(metric, np.array([0]), np.zeros(1), out=out)
    assert got is out
    assert out.tolist() == h.distances_to(metric, np.array([0]), np.zeros(1)).tolist()
    assert out.tolist() == [0.0, 6.0, 4.0]
    with pytest.raises(InvalidInputError, match="float64 array of 3"):
        h.distances_to(metric, np.array([0]), np.zeros(1), out=np.empty(2))


def test_graphs_with_one_graph_of_groups_share_its_hierarchy(monkeypatch) -> None:
    """The hierarchy depends on the topology only: another graph on the same arcs (other
    weights) reuses it; a topology with fewer arcs (a post shut for the season) fits into
    its supergraph; one with an arc it lacks gets a new hierarchy, into which the first
    fits too."""
    from collections import OrderedDict

    from routing import CostedGraph

    monkeypatch.setattr(customisable, "_HIERARCHIES", OrderedDict())
    n = 6
    u, v = np.array([0, 1, 2, 3, 4]), np.array([1, 2, 3, 4, 5])  # a chain: no fill
    one = np.zeros(5, bool)
    a = CostedGraph(n, u, v, one, np.array([1.0, 2.0, 3.0, 4.0, 5.0]))
    b = CostedGraph(n, u, v, one, np.array([5.0, 4.0, 3.0, 2.0, 1.0]))
    assert a._group_hierarchy is b._group_hierarchy
    shut = CostedGraph(n, u[1:], v[1:], one[1:], np.ones(4))  # without 0-1
    assert shut._group_hierarchy.rank is a._group_hierarchy.rank  # fitted, not built
    assert shut._group_hierarchy._n_arcs == len(shut._group_structure[3])
    ring = CostedGraph(n, np.append(u, 5), np.append(v, 0), np.zeros(6, bool), np.ones(6))
    assert a._group_hierarchy.for_arcs(np.array([5]), np.array([0])) is None  # 5-0 missing
    new = ring._group_hierarchy
    assert new.rank is not a._group_hierarchy.rank  # built, over the chain's arcs too
    assert new.for_arcs(u, v) is not None
    # every graph's distances are right, whichever hierarchy it got
    for g in (a, shut, ring):
        h, metric = g._group_metric
        _, _, _, ga, gb, *_ = g._group_structure
        gw = g._group_graphs[1][2]
        for t in range(n):
            _close(
                h.distances_to(metric, np.array([t]), np.zeros(1)),
                _dijkstra(n, ga, gb, gw, [t], [0.0], True),
            )


@settings(max_examples=100, deadline=None)
@given(graphs(), st.data())
def test_a_hierarchy_for_fewer_arcs_gives_their_distances(case, data) -> None:
    """for_arcs: a sub-list of the arcs (in any order, with repeats) reuses the supergraph
    and gives the distances of that sub-list's weights."""
    n, tail, head, w, starts, costs = case
    h = CustomisableHierarchy(n, tail, head)
    m = len(tail)
    pick = np.array(data.draw(st.lists(st.integers(0, max(m - 1, 0)), max_size=m)), np.int64)
    pick = pick[pick < m]
    sub = h.for_arcs(tail[pick], head[pick])
    assert sub is not None and sub.rank is h.rank
    metric = sub.customise(w[pick])
    want = _dijkstra(n, tail[pick], head[pick], w[pick], starts, costs, True)
    _close(sub.distances_to(metric, starts, costs), want)
    # an update of the view equals its fresh customisation (the triangles are shared)
    if len(pick):
        changed = pick[: len(pick) // 2 + 1]
        at = np.arange(len(changed))
        new_w = w[pick].copy()
        new_w[at] = new_w[at] * 2 + 1
        sub.update(metric, at, new_w[at])
        fresh = sub.customise(new_w)
        assert np.array_equal(metric.weights, fresh.weights)
    # the original still answers for its own arcs
    _close(
        h.distances_to(h.customise(w), starts, costs),
        _dijkstra(n, tail, head, w, starts, costs, True),
    )


def test_restore_undoes_updates_to_the_last_bit() -> None:
    rng = np.random.default_rng(9)
    n = 40
    tail, head = rng.integers(0, n, 160), rng.integers(0, n, 160)
    w = rng.uniform(0.0, 10.0, 160)
    h = CustomisableHierarchy(n, tail, head)
    base = h.customise(w)
    work = h.copy(base)
    arcs, edges = [], []
    for _ in range(4):
        a = rng.choice(160, 15, replace=False)
        edges.append(h.update(work, a, work.arc_weights[a] * rng.uniform(0.5, 3.0, 15)))
        arcs.append(a)
    assert not np.array_equal(work.weights, base.weights)
    h.restore(work, base, np.concatenate(arcs), np.concatenate(edges))
    for name in ("arc_weights", "_base", "weights", "_climb"):
        assert np.array_equal(getattr(work, name), getattr(base, name))


def test_an_update_on_a_broken_index_leaves_the_weights_alone() -> None:
    """A triangle pointing outside the edges is refused, and no customised weight is
    computed from it (the arcs' new inputs may be written: a caller copies the metric anew
    after an error)."""
    rng = np.random.default_rng(2)
    tail, head = rng.integers(0, 30, 120), rng.integers(0, 30, 120)
    h = CustomisableHierarchy(30, tail, head)
    metric = h.customise(rng.uniform(1.0, 5.0, 120))
    lower, top_ptr, top_ab, side_ptr, side_top = h._triangle_index
    assert len(top_ab)  # the graph has triangles to corrupt
    broken = np.full_like(top_ab, h.n_edges + 5)
    weights = metric.weights.copy()
    slot_index = (h._slot_of, h._arc, h._starts, h._ends, h._slots)
    with pytest.raises(ValueError, match="malformed"):
        _kernel.cch_update(
            lower, top_ptr, broken, side_ptr, side_top, *slot_index, metric._base.copy(),
            weights, metric._climb.copy(), metric.arc_weights.copy(),
            np.arange(120, dtype=np.int64), metric.arc_weights.copy(),
        )  # fmt: skip
    assert np.array_equal(weights, metric.weights)


def test_a_near_topology_is_built_over_the_union_and_a_far_one_alone(monkeypatch) -> None:
    """Summer first, then winter with another post open (each has a link the other lacks):
    winter's hierarchy is built over both arc lists, so that summer fits it too, which winter's
    own arcs would not give; an unrelated graph with as many nodes is built over its own arcs
    only (the supergraph does not grow with every graph)."""
    from collections import OrderedDict

    monkeypatch.setattr(customisable, "_HIERARCHIES", OrderedDict())
    n = 400
    u, v = np.arange(n - 1), np.arange(1, n)  # a chain

    def with_link(a: int, b: int) -> tuple[np.ndarray, np.ndarray]:
        uu, vv = np.append(u, a), np.append(v, b)
        return np.concatenate([uu, vv]), np.concatenate([vv, uu])

    summer, winter = with_link(0, 200), with_link(100, 300)
    s_ = customisable.shared_hierarchy(n, *summer)
    assert s_.missing_edges(*winter) == 2  # near: 2 of 800 arcs
    alone = CustomisableHierarchy(n, *winter)
    assert alone.missing_edges(*summer) > 0  # winter's own supergraph lacks summer's link
    w = customisable.shared_hierarchy(n, *winter)
    assert w.rank is not s_.rank and w.missing_edges(*summer) == 0  # built over the union
    assert w.for_arcs(*summer) is not None
    rng = np.random.default_rng(3)
    far = (rng.integers(0, n, 500), rng.integers(0, n, 500))
    f = customisable.shared_hierarchy(n, *far)
    built_on = next(reversed(customisable._HIERARCHIES.values()))[1]
    assert f.rank is not w.rank and len(built_on[0]) == 500  # its own arcs only
