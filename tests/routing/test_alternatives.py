"""Alternative routes: the optimum first, then paths that overlap it little, at true cost."""

from __future__ import annotations

import contextlib
import itertools

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geodata.errors import InvalidInputError, NoRouteError
from routing import MAX_ALTERNATIVES, CostedGraph, Path, alternatives, best_path


def _ladder() -> tuple[CostedGraph, np.ndarray]:
    """Three disjoint ways from 0 to 7 of cost 3, 4 and 6, joined by dear rungs.

    0 -a- 1 -a- 2 -a- 7   (1 each)
    0 -b- 3 -b- 4 -b- 7   (1, 2, 1)
    0 -c- 5 -c- 6 -c- 7   (2 each)
    rungs 1-3, 2-4, 3-5, 4-6 cost 0.5 (they make near-copies cheap)
    """
    edges = [
        (0, 1, 1.0),
        (1, 2, 1.0),
        (2, 7, 1.0),
        (0, 3, 1.0),
        (3, 4, 2.0),
        (4, 7, 1.0),
        (0, 5, 2.0),
        (5, 6, 2.0),
        (6, 7, 2.0),
        (1, 3, 0.5),
        (2, 4, 0.5),
        (3, 5, 0.5),
        (4, 6, 0.5),
    ]
    u, v, w = (np.array(x) for x in zip(*edges, strict=True))
    return CostedGraph(8, u, v, np.zeros(len(u), bool), w), w


def _edge_cost(graph_w: np.ndarray, p: Path) -> float:
    return float(sum(graph_w[e] for e in p.edges))


def test_ladder_gives_the_three_disjoint_ways_in_cost_order() -> None:
    g, w = _ladder()
    paths = alternatives(g, [0], [0.0], [7], [0.0], k=3, max_overlap=0.2)
    assert [p.nodes for p in paths] == [(0, 1, 2, 7), (0, 3, 4, 7), (0, 5, 6, 7)]
    assert [p.cost for p in paths] == pytest.approx([3.0, 4.0, 6.0])
    for p in paths:
        assert p.cost == pytest.approx(_edge_cost(w, p))


def test_first_is_best_path_and_costs_include_entry_and_exit() -> None:
    g, w = _ladder()
    sc, tc = [2.0, 0.5], [1.0, 3.0]
    ref = best_path(g, [0, 3], sc, [7, 4], tc)
    paths = alternatives(g, [0, 3], sc, [7, 4], tc, k=4)
    assert paths[0].nodes == ref.nodes
    assert paths[0].cost == pytest.approx(ref.cost)
    entry = dict(zip([0, 3], sc, strict=True))
    exit_ = dict(zip([7, 4], tc, strict=True))
    for p in paths:
        want = entry[p.nodes[0]] + _edge_cost(w, p) + exit_[p.nodes[-1]]
        assert p.cost == pytest.approx(want)


def test_k_larger_than_available_returns_fewer() -> None:
    # two parallel ways only
    u, v = np.array([0, 0, 1, 2]), np.array([1, 2, 3, 3])
    g = CostedGraph(4, u, v, np.zeros(4, bool), np.array([1.0, 2.0, 1.0, 2.0]))
    paths = alternatives(g, [0], [0.0], [3], [0.0], k=MAX_ALTERNATIVES, max_overlap=0.5)
    assert [p.nodes for p in paths] == [(0, 1, 3), (0, 2, 3)]


def test_a_single_way_gives_one_path() -> None:
    g = CostedGraph(3, np.array([0, 1]), np.array([1, 2]), np.zeros(2, bool), np.ones(2))
    paths = alternatives(g, [0], [0.0], [2], [0.0], k=5)
    assert [p.nodes for p in paths] == [(0, 1, 2)]


def test_overlap_is_measured_by_lengths() -> None:
    # 0-1 is a long shared trunk, then two short branches 1-2-4 and 1-3-4
    u, v = np.array([0, 1, 2, 1, 3]), np.array([1, 2, 4, 3, 4])
    w = np.array([1.0, 1.0, 1.0, 1.5, 1.5])
    g = CostedGraph(5, u, v, np.zeros(5, bool), w)
    km = np.array([100.0, 1.0, 1.0, 1.0, 1.0])
    # by km the branches share 100/102 of the path: not different enough
    assert len(alternatives(g, [0], [0.0], [4], [0.0], k=2, lengths=km)) == 1
    # by weight they share 1/4: different
    two = alternatives(g, [0], [0.0], [4], [0.0], k=2)
    assert [p.nodes for p in two] == [(0, 1, 2, 4), (0, 1, 3, 4)]
    assert len(alternatives(g, [0], [0.0], [4], [0.0], k=2, lengths=km, max_overlap=1.0)) == 2


def test_segments_make_layer_copies_count_as_the_same_road() -> None:
    # a state graph: road 0-1-2 exists in two permit layers (states 0-2 and 3-5), both
    # reachable from the start 6 and to the end 7; a third, dearer road 6-8-7
    edges = [(6, 0, 0), (0, 1, 1), (1, 2, 1), (2, 7, 0), (6, 3, 0), (3, 4, 1.1), (4, 5, 1.1)]
    edges += [(5, 7, 0), (6, 8, 1.5), (8, 7, 1.5)]
    u, v, w = (np.array(x) for x in zip(*edges, strict=True))
    g = CostedGraph(9, u, v, np.ones(len(u), bool), w.astype(float))
    km = np.array([0, 10, 10, 0, 0, 10, 10, 0, 10, 10], dtype=float)
    plain = alternatives(g, [6], [0.0], [7], [0.0], k=2, lengths=km)
    assert plain[1].nodes == (6, 3, 4, 5, 7)  # the other layer looks different
    seg = np.array([0, 1, 2, 3, 4, 1, 2, 7, 8, 9])  # ...but it is the same road
    paths = alternatives(g, [6], [0.0], [7], [0.0], k=2, lengths=km, segments=seg)
    assert [p.nodes for p in paths] == [(6, 0, 1, 2, 7), (6, 8, 7)]


def test_max_stretch_rejects_long_detours() -> None:
    g, _ = _ladder()
    paths = alternatives(g, [0], [0.0], [7], [0.0], k=3, max_overlap=0.2, max_stretch=1.5)
    assert [p.cost for p in paths] == pytest.approx([3.0, 4.0])


def test_deterministic() -> None:
    g, _ = _ladder()
    a = alternatives(g, [0], [0.0], [7], [0.0], k=5, max_overlap=0.5)
    b = alternatives(g, [0], [0.0], [7], [0.0], k=5, max_overlap=0.5)
    assert a == b


def test_no_route_raises() -> None:
    g = CostedGraph(3, np.array([0]), np.array([1]), np.zeros(1, bool), np.ones(1))
    with pytest.raises(NoRouteError):
        alternatives(g, [0], [0.0], [2], [0.0], k=2)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"k": 0},
        {"k": MAX_ALTERNATIVES + 1},
        {"k": 2.0},
        {"k": True},
        {"k": 2, "max_overlap": 0.0},
        {"k": 2, "max_overlap": 1.2},
        {"k": 2, "penalty": 1.0},
        {"k": 2, "max_iter": 0},
        {"k": 2, "max_stretch": 0.5},
        {"k": 2, "lengths": np.ones(3)},
        {"k": 2, "lengths": -np.ones(13)},
        {"k": 2, "segments": np.ones(13)},
    ],
)
def test_bad_options_are_rejected(kwargs) -> None:
    g, _ = _ladder()
    with pytest.raises(InvalidInputError):
        alternatives(g, [0], [0.0], [7], [0.0], **kwargs)


def test_bad_ends_are_rejected() -> None:
    g, _ = _ladder()
    for s, sc in (([], []), ([0], [0.0, 1.0]), ([9], [0.0]), ([0], [-1.0]), ([0], [np.nan])):
        with pytest.raises(InvalidInputError):
            alternatives(g, s, sc, [7], [0.0], k=2)


def _overlap(p: Path, q: Path, km: np.ndarray) -> float:
    shared = set(q.edges)
    total = sum(km[e] for e in p.edges)
    if total == 0:
        return sum(e in shared for e in p.edges) / len(p.edges) if p.edges else 1.0
    return sum(km[e] for e in p.edges if e in shared) / total


@settings(max_examples=80, deadline=None)
@given(
    n=st.integers(2, 10),
    edges=st.lists(
        st.tuples(
            st.integers(0, 9),
            st.integers(0, 9),
            st.booleans(),
            st.floats(0, 50, allow_nan=False),
            st.floats(0, 20, allow_nan=False),
        ),
        min_size=1,
        max_size=30,
    ),
    k=st.integers(1, 6),
    max_overlap=st.sampled_from([0.3, 0.6, 1.0]),
    data=st.data(),
)
def test_against_networkx(n, edges, k, max_overlap, data) -> None:
    edges = [(a % n, b % n, o, w, km) for a, b, o, w, km in edges if a % n != b % n]
    if not edges:
        return
    u, v, oneway, w, km = (np.array(x) for x in zip(*edges, strict=True))
    g = CostedGraph(n, u, v, oneway, w)
    src = data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=2, unique=True))
    tgt = data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=2, unique=True))
    sc = data.draw(st.lists(st.floats(0, 5), min_size=len(src), max_size=len(src)))
    tc = data.draw(st.lists(st.floats(0, 5), min_size=len(tgt), max_size=len(tgt)))

    ref = nx.DiGraph()
    ref.add_nodes_from(range(n))
    for a, b, o, x in zip(u, v, oneway, w, strict=True):
        for s, t in ((a, b),) if o else ((a, b), (b, a)):
            if not ref.has_edge(s, t) or ref[s][t]["w"] > x:
                ref.add_edge(s, t, w=x)
    for s, c in zip(src, sc, strict=True):
        ref.add_edge("S", s, w=c)
    for t, c in zip(tgt, tc, strict=True):
        ref.add_edge(t, "T", w=c)
    try:
        opt = nx.dijkstra_path_length(ref, "S", "T", weight="w")
    except nx.NetworkXNoPath:
        with pytest.raises(NoRouteError):
            alternatives(g, src, sc, tgt, tc, k=k, max_overlap=max_overlap, lengths=km)
        return
    paths = alternatives(g, src, sc, tgt, tc, k=k, max_overlap=max_overlap, lengths=km)
    assert 1 <= len(paths) <= k
    assert paths[0].cost == pytest.approx(opt, rel=1e-9, abs=1e-6)
    costs = [p.cost for p in paths]
    assert costs[1:] == sorted(costs[1:])
    entry, exit_ = dict(zip(src, sc, strict=True)), dict(zip(tgt, tc, strict=True))
    for p in paths:
        assert p.nodes[0] in entry and p.nodes[-1] in exit_
        assert len(p.edges) == len(p.forward) == len(p.nodes) - 1
        for (a, b), e, f in zip(itertools.pairwise(p.nodes), p.edges, p.forward, strict=True):
            assert (u[e], v[e]) == ((a, b) if f else (b, a))
            assert f or not oneway[e]
        recomputed = entry[p.nodes[0]] + sum(w[e] for e in p.edges) + exit_[p.nodes[-1]]
        assert p.cost == pytest.approx(recomputed, rel=1e-12, abs=1e-9)
        assert p.cost >= opt - 1e-6
    assert len({p.edges for p in paths}) == len(paths)
    for i, p in enumerate(paths):
        if i:
            assert _overlap(p, paths[0], km) <= max_overlap + 1e-9
        for q in paths[i + 1 :]:
            # whichever of the two was accepted later overlaps the other little
            assert min(_overlap(p, q, km), _overlap(q, p, km)) <= max_overlap + 1e-9


@pytest.mark.parametrize("seed", range(6))
def test_penalised_rounds_are_exact_with_the_group_potential(seed, monkeypatch) -> None:
    # the same rounds with plain Dijkstra (no potential), on a fresh copy of the graph,
    # find the same paths
    rng = np.random.default_rng(seed)
    n = 80
    u, v = rng.integers(0, n, 400), rng.integers(0, n, 400)
    keep = u != v
    u, v = u[keep], v[keep]
    w = rng.uniform(0.5, 10.0, len(u))
    oneway = rng.random(len(u)) < 0.3
    groups = np.arange(n) // 4  # states of a group, as layers of a network node

    def graph() -> CostedGraph:
        return CostedGraph(n, u, v, oneway, w, groups=groups)

    args = ([0, 1], [0.0, 1.0], [70, 75], [0.5, 0.0])
    fast = alternatives(graph(), *args, k=5, max_overlap=0.8, max_iter=12)
    asked = []

    def no_potential(self, metric, targets, target_costs):
        asked.append(targets)
        return contextlib.nullcontext(None)

    monkeypatch.setattr(CostedGraph, "group_potential", no_potential)
    plain = alternatives(graph(), *args, k=5, max_overlap=0.8, max_iter=12)
    assert asked  # the plain run really ran without the potential
    assert [p.edges for p in fast] == [p.edges for p in plain]
    assert [p.cost for p in fast] == pytest.approx([p.cost for p in plain], abs=1e-9)


def test_repeated_calls_see_changed_segments_and_lengths() -> None:
    """The per-graph memo of the arcs' lengths and segments answers only for equal inputs:
    an array changed in place since the last call is read again."""
    g, w = _ladder()
    ways = [(0, 1, 2, 7), (0, 3, 4, 7), (0, 5, 6, 7)]
    seg = np.arange(len(w))
    for _ in range(2):  # the second call reuses the memo
        paths = alternatives(g, [0], [0.0], [7], [0.0], k=3, max_overlap=0.2, segments=seg)
        assert [p.nodes for p in paths] == ways
    seg[:] = 0  # one segment: every candidate overlaps the optimum entirely
    paths = alternatives(g, [0], [0.0], [7], [0.0], k=3, max_overlap=0.2, segments=seg)
    assert [p.nodes for p in paths] == ways[:1]
    lengths = np.ones(len(w))
    paths = alternatives(g, [0], [0.0], [7], [0.0], k=3, max_overlap=0.2, lengths=lengths)
    assert [p.nodes for p in paths] == ways
    lengths[[0, 3, 6]] = 100.0  # the first edges of the three ways dominate each length
    lengths[[1, 2]] = 0.0
    paths = alternatives(g, [0], [0.0], [7], [0.0], k=3, max_overlap=0.2, lengths=lengths)
    assert [p.nodes for p in paths] == ways
    seg = np.zeros(len(w), dtype=np.int64)  # a new array, unlike the memo's
    seg[[0, 3]] = 1  # the first edges of ways a and b are one stretch: b is a near copy
    paths = alternatives(
        g, [0], [0.0], [7], [0.0], k=3, max_overlap=0.2, lengths=lengths, segments=seg
    )
    assert (0, 3, 4, 7) not in [p.nodes for p in paths]


def test_threads_sharing_a_graph_get_the_sequential_answers() -> None:
    """Concurrent calls on one graph borrow their own scratch arrays from its lender: with
    different targets, they equal the same calls made one after another."""
    from concurrent.futures import ThreadPoolExecutor

    rng = np.random.default_rng(3)
    n = 300
    u, v = rng.integers(0, n, 1500), rng.integers(0, n, 1500)
    keep = u != v
    u, v = u[keep], v[keep]
    g = CostedGraph(n, u, v, np.zeros(len(u), bool), rng.uniform(1.0, 5.0, len(u)))
    jobs = [([0], [0.0], [t], [0.0]) for t in range(250, 290, 5)]

    def run(job):
        return [p.edges for p in alternatives(g, *job, k=4, max_overlap=0.7)]

    sequential = [run(job) for job in jobs]
    with ThreadPoolExecutor(4) as pool:
        concurrent = list(pool.map(run, jobs * 3))
    assert concurrent == sequential * 3


def test_a_graph_that_has_searched_pickles_and_answers_alike() -> None:
    """The lent scratch arrays stay behind; the customisable hierarchy travels along."""
    import pickle

    g, _ = _ladder()
    first = alternatives(g, [0], [0.0], [7], [0.0], k=3, max_overlap=0.2)
    best_path(g, [0], [0.0], [7], [0.0])
    back = pickle.loads(pickle.dumps(g))
    assert "_search_scratch" not in back.__dict__
    assert "_group_hierarchy" in back.__dict__
    again = alternatives(back, [0], [0.0], [7], [0.0], k=3, max_overlap=0.2)
    assert [p.edges for p in again] == [p.edges for p in first]


def _random_graph(seed: int) -> CostedGraph:
    rng = np.random.default_rng(seed)
    n = 200
    u, v = rng.integers(0, n, 1000), rng.integers(0, n, 1000)
    keep = u != v
    w = rng.uniform(1.0, 5.0, keep.sum())
    return CostedGraph(n, u[keep], v[keep], rng.random(keep.sum()) < 0.2, w, groups=None)


def test_calls_after_calls_equal_calls_on_a_fresh_graph(monkeypatch) -> None:
    """Each call undoes only what the previous call on the same graph penalised; after a
    call that failed half-way, the next one copies everything again."""
    import sys

    jobs = [([0], [0.0], [t], [0.0]) for t in (150, 160, 170, 180, 190)]
    shared = _random_graph(4)

    def run(g, job):
        return [(p.edges, p.cost) for p in alternatives(g, *job, k=4, max_overlap=0.7)]

    for job in jobs:
        assert run(shared, job) == run(_random_graph(4), job)
    module = sys.modules["routing.alternatives"]
    real = module._PenalisedSearch.scale
    calls = {"n": 0}

    def failing(self, *args):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt  # e.g. the user stops a long call
        return real(self, *args)

    monkeypatch.setattr(module._PenalisedSearch, "scale", failing)
    with pytest.raises(KeyboardInterrupt):
        run(shared, jobs[0])
    monkeypatch.setattr(module._PenalisedSearch, "scale", real)
    for job in jobs[::-1]:
        assert run(shared, job) == run(_random_graph(4), job)


def test_a_reweighted_copy_measures_overlap_with_its_own_weights() -> None:
    """Without ``lengths`` the arc weights measure overlap: a copy from ``with_weights``
    must not reuse the original's memo of them."""
    from routing.alternatives import _arc_measures

    g, w = _ladder()
    alternatives(g, [0], [0.0], [7], [0.0], k=3, max_overlap=0.2)  # fills the memo
    h = g.with_weights(w * np.arange(1, len(w) + 1))
    alternatives(h, [0], [0.0], [7], [0.0], k=3, max_overlap=0.2)
    assert np.array_equal(_arc_measures(h, None, None)[0], h._w)
    assert np.array_equal(_arc_measures(g, None, None)[0], g._w)
