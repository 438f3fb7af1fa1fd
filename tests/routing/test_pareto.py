"""The Pareto front of two criteria equals brute force over all simple paths."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geodata.errors import InvalidInputError, NoRouteError
from routing import BiCriteriaGraph, ParetoFront, pareto_front


def _non_dominated(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    pts = sorted(set(points))
    out: list[tuple[float, float]] = []
    for p in pts:
        if not out or p[1] < out[-1][1]:
            out.append(p)
    return out


def _brute_force(n, src, dst, w1, w2, sources, targets, sc=None, tc=None):
    """Non-dominated (w1, w2) over every simple path, by enumeration."""
    sc = np.zeros((len(sources), 2)) if sc is None else np.asarray(sc, dtype=float)
    tc = np.zeros((len(targets), 2)) if tc is None else np.asarray(tc, dtype=float)
    g = nx.MultiDiGraph()
    g.add_nodes_from(range(n))
    for i, (a, b) in enumerate(zip(src, dst, strict=True)):
        if a != b:
            g.add_edge(int(a), int(b), key=i)
    points = []
    for (i, s), (j, t) in itertools.product(enumerate(sources), enumerate(targets)):
        if s == t:
            points.append((sc[i, 0] + tc[j, 0], sc[i, 1] + tc[j, 1]))
            continue
        for path in nx.all_simple_edge_paths(g, s, t):
            arcs = [key for _, _, key in path]
            x1, x2 = sc[i, 0], sc[i, 1]
            for a in arcs:
                x1 += w1[a]
                x2 += w2[a]
            points.append((x1 + tc[j, 0], x2 + tc[j, 1]))
    return _non_dominated(points)


def _check_paths(front: ParetoFront, src, dst, w1, w2, sources, targets, sc=None, tc=None):
    sc = np.zeros((len(sources), 2)) if sc is None else np.asarray(sc, dtype=float)
    tc = np.zeros((len(targets), 2)) if tc is None else np.asarray(tc, dtype=float)
    entry = {s: sc[i] for i, s in enumerate(sources)}
    exit_ = {t: tc[i] for i, t in enumerate(targets)}
    pts = [(p.w1, p.w2) for p in front]
    assert pts == sorted(pts)
    for a, b in itertools.combinations(pts, 2):  # mutually non-dominated
        assert not (a[0] <= b[0] and a[1] <= b[1])
        assert not (b[0] <= a[0] and b[1] <= a[1])
    for p in front:
        assert len(p.arcs) == len(p.nodes) - 1
        assert p.nodes[0] in entry and p.nodes[-1] in exit_
        for (a, b), arc in zip(itertools.pairwise(p.nodes), p.arcs, strict=True):
            assert (src[arc], dst[arc]) == (a, b)
        x1 = entry[p.nodes[0]][0] + sum(w1[a] for a in p.arcs) + exit_[p.nodes[-1]][0]
        x2 = entry[p.nodes[0]][1] + sum(w2[a] for a in p.arcs) + exit_[p.nodes[-1]][1]
        assert p.w1 == pytest.approx(x1, rel=1e-12, abs=1e-9)
        assert p.w2 == pytest.approx(x2, rel=1e-12, abs=1e-9)


def _same(a: list[tuple[float, float]], b: list[tuple[float, float]]) -> None:
    assert len(a) == len(b), (a, b)
    assert np.allclose(np.array(a), np.array(b), rtol=0, atol=1e-9), (a, b)


def test_an_unsupported_point_is_found() -> None:
    # three ways 0 -> 4: (1, 10), (6, 6), (10, 1).  (6, 6) lies above the line between the
    # other two, so no weighted sum finds it; it is still Pareto-optimal.
    src = np.array([0, 1, 0, 2, 0, 3])
    dst = np.array([1, 4, 2, 4, 3, 4])
    w1 = np.array([1.0, 0.0, 3.0, 3.0, 5.0, 5.0])
    w2 = np.array([5.0, 5.0, 3.0, 3.0, 0.5, 0.5])
    front = pareto_front(5, src, dst, w1, w2, [0], [4])
    assert front.complete
    assert [(p.w1, p.w2) for p in front] == [(1.0, 10.0), (6.0, 6.0), (10.0, 1.0)]
    assert [p.nodes for p in front] == [(0, 1, 4), (0, 2, 4), (0, 3, 4)]
    _check_paths(front, src, dst, w1, w2, [0], [4])


def test_parallel_arcs_and_dominated_paths() -> None:
    # two parallel arcs 0 -> 1 (cheap and slow, dear and fast), then a dominated detour
    src, dst = np.array([0, 0, 1, 1, 2]), np.array([1, 1, 3, 2, 3])
    w1 = np.array([1.0, 4.0, 1.0, 2.0, 2.0])
    w2 = np.array([8.0, 2.0, 1.0, 2.0, 2.0])
    front = pareto_front(4, src, dst, w1, w2, [0], [3])
    assert [(p.w1, p.w2, p.arcs) for p in front] == [(2.0, 9.0, (0, 2)), (5.0, 3.0, (1, 2))]


def test_equal_points_give_one_path_and_zero_weights_work() -> None:
    src, dst = np.array([0, 1, 0, 2]), np.array([1, 3, 2, 3])
    w = np.array([0.0, 1.0, 1.0, 0.0])
    front = pareto_front(4, src, dst, w, w, [0], [3])
    assert [(p.w1, p.w2) for p in front] == [(1.0, 1.0)]
    zero = pareto_front(3, np.array([0, 1]), np.array([1, 2]), np.zeros(2), np.zeros(2), [0], [2])
    assert [(p.w1, p.w2, p.nodes) for p in zero] == [(0.0, 0.0, (0, 1, 2))]


def test_entry_and_exit_costs() -> None:
    # sources 0 and 1 both reach target 2 or 3; entry and exit costs make the trade-off
    src, dst = np.array([0, 1, 0, 1]), np.array([2, 2, 3, 3])
    w1 = np.array([1.0, 1.0, 1.0, 1.0])
    w2 = np.array([1.0, 1.0, 1.0, 1.0])
    sc = [(0.0, 5.0), (3.0, 0.0)]
    tc = [(0.0, 0.0), (0.5, 0.0)]
    front = pareto_front(4, src, dst, w1, w2, [0, 1], [2, 3], source_costs=sc, target_costs=tc)
    assert [(p.w1, p.w2, p.nodes) for p in front] == [(1.0, 6.0, (0, 2)), (4.0, 1.0, (1, 2))]
    _check_paths(front, src, dst, w1, w2, [0, 1], [2, 3], sc, tc)
    # a source that is also a target: the empty path
    front = pareto_front(4, src, dst, w1, w2, [0], [0, 2], target_costs=[(9, 9), (0, 0)])
    assert [(p.w1, p.w2, p.nodes) for p in front] == [(1.0, 1.0, (0, 2))]
    front = pareto_front(4, src, dst, w1, w2, [0], [0, 2], target_costs=[(0.5, 9), (0, 0)])
    assert [(p.w1, p.w2, p.nodes) for p in front] == [(0.5, 9.0, (0,)), (1.0, 1.0, (0, 2))]


def _grid(side: int, seed: int):
    rng = np.random.default_rng(seed)
    idx = np.arange(side * side).reshape(side, side)
    a = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel()])
    b = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel()])
    src, dst = np.concatenate([a, b]), np.concatenate([b, a])
    w1 = rng.uniform(1, 10, len(src))
    w2 = rng.uniform(1, 10, len(src))
    return side * side, src, dst, w1, w2


def test_grid_front_is_consistent_and_prepared_graph_is_reusable() -> None:
    n, src, dst, w1, w2 = _grid(12, 1)
    g = BiCriteriaGraph(n, src, dst, w1, w2)
    a = g.front([0], [n - 1])
    b = g.front([0], [n - 1])
    assert a == b and a.complete and len(a) > 3
    _check_paths(a, src, dst, w1, w2, [0], [n - 1])
    # the extremes are the single-criterion optima
    ref1 = nx.DiGraph()
    for i, (s, t) in enumerate(zip(src, dst, strict=True)):
        ref1.add_edge(int(s), int(t), w1=w1[i], w2=w2[i])
    assert a[0].w1 == pytest.approx(nx.dijkstra_path_length(ref1, 0, n - 1, weight="w1"))
    assert a[-1].w2 == pytest.approx(nx.dijkstra_path_length(ref1, 0, n - 1, weight="w2"))


def test_max_labels_returns_the_start_of_the_front() -> None:
    n, src, dst, w1, w2 = _grid(12, 2)
    g = BiCriteriaGraph(n, src, dst, w1, w2)
    full = g.front([0], [n - 1])
    part = g.front([0], [n - 1], max_labels=full.labels // 2)
    assert not part.complete
    assert 0 < len(part) < len(full)
    assert [(p.w1, p.w2) for p in part] == [(p.w1, p.w2) for p in full][: len(part)]
    tiny = g.front([0], [n - 1], max_labels=1)  # stopped before any path: empty, no error
    assert not tiny.complete and len(tiny) == 0


def test_epsilon_covers_the_exact_front() -> None:
    n, src, dst, w1, w2 = _grid(12, 3)
    g = BiCriteriaGraph(n, src, dst, w1, w2)
    full = g.front([0], [n - 1])
    eps = 0.05
    approx = g.front([0], [n - 1], epsilon=eps)
    assert approx.labels <= full.labels and len(approx) < len(full)
    _check_paths(approx, src, dst, w1, w2, [0], [n - 1])
    for p in full:
        assert any(q.w1 <= (1 + eps) * p.w1 and q.w2 <= (1 + eps) * p.w2 for q in approx)


def test_max_stretch_gives_the_exact_cheap_end_of_the_front() -> None:
    n, src, dst, w1, w2 = _grid(12, 4)
    g = BiCriteriaGraph(n, src, dst, w1, w2)
    full = g.front([0], [n - 1])
    box = g.front([0], [n - 1], max_stretch=1.05)
    want = [(p.w1, p.w2) for p in full if p.w1 <= 1.05 * full[0].w1]
    assert 1 < len(want) < len(full)
    assert [(p.w1, p.w2) for p in box] == want
    assert box.labels < full.labels


def test_no_route_and_bad_input() -> None:
    src, dst, w = np.array([0]), np.array([1]), np.ones(1)
    with pytest.raises(NoRouteError):
        pareto_front(3, src, dst, w, w, [0], [2])
    bad = [
        {"n_states": 0},
        {"src": np.array([0, 1])},
        {"dst": np.array([5])},
        {"w1": np.array([-1.0])},
        {"w2": np.array([np.inf])},
        {"sources": []},
        {"targets": [7]},
        {"source_costs": [(1.0,)]},
        {"target_costs": [(1.0, -1.0)]},
        {"max_labels": 0},
        {"max_labels": 1.5},
        {"epsilon": -0.1},
        {"max_stretch": 0.9},
    ]
    base = {
        "n_states": 3,
        "src": src,
        "dst": dst,
        "w1": w,
        "w2": w,
        "sources": [0],
        "targets": [1],
    }
    for change in bad:
        kw = {**base, **change}
        with pytest.raises(InvalidInputError):
            pareto_front(
                kw.pop("n_states"),
                kw.pop("src"),
                kw.pop("dst"),
                kw.pop("w1"),
                kw.pop("w2"),
                kw.pop("sources"),
                kw.pop("targets"),
                **kw,
            )


@settings(max_examples=150, deadline=None)
@given(
    n=st.integers(1, 9),
    arcs=st.lists(
        st.tuples(st.integers(0, 8), st.integers(0, 8), st.integers(0, 9), st.integers(0, 9)),
        min_size=0,
        max_size=20,
    ),
    data=st.data(),
)
def test_matches_brute_force(n, arcs, data) -> None:
    arcs = [(a % n, b % n, x, y) for a, b, x, y in arcs]
    src = np.array([a for a, _, _, _ in arcs], dtype=np.int64)
    dst = np.array([b for _, b, _, _ in arcs], dtype=np.int64)
    w1 = np.array([x for _, _, x, _ in arcs], dtype=float)
    w2 = np.array([y for _, _, _, y in arcs], dtype=float)
    sources = data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=2, unique=True))
    targets = data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=2, unique=True))
    pair = st.tuples(st.integers(0, 3), st.integers(0, 3))
    sc = data.draw(st.none() | st.lists(pair, min_size=len(sources), max_size=len(sources)))
    tc = data.draw(st.none() | st.lists(pair, min_size=len(targets), max_size=len(targets)))
    want = _brute_force(n, src, dst, w1, w2, sources, targets, sc, tc)
    if not want:
        with pytest.raises(NoRouteError):
            pareto_front(n, src, dst, w1, w2, sources, targets, source_costs=sc, target_costs=tc)
        return
    front = pareto_front(n, src, dst, w1, w2, sources, targets, source_costs=sc, target_costs=tc)
    assert front.complete
    _same([(p.w1, p.w2) for p in front], want)
    _check_paths(front, src, dst, w1, w2, sources, targets, sc, tc)


@pytest.mark.parametrize("seed", range(8))
def test_matches_brute_force_with_real_valued_weights(seed) -> None:
    rng = np.random.default_rng(seed)
    n, m = 9, 24
    src, dst = rng.integers(0, n, m), rng.integers(0, n, m)
    w1, w2 = rng.exponential(5.0, m), rng.exponential(5.0, m)
    w1[rng.random(m) < 0.1] = 0.0
    want = _brute_force(n, src, dst, w1, w2, [0, 1], [7, 8])
    if not want:
        return
    front = pareto_front(n, src, dst, w1, w2, [0, 1], [7, 8])
    _same([(p.w1, p.w2) for p in front], want)
    _check_paths(front, src, dst, w1, w2, [0, 1], [7, 8])


@pytest.mark.parametrize("parallel", [False, True])
def test_sequential_and_threaded_backward_searches_give_the_same_front(
    parallel: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    import routing.pareto as pareto_module

    n, src, dst, w1, w2 = _grid(10, 3)
    monkeypatch.setattr(pareto_module, "_PARALLEL", not parallel)
    other = BiCriteriaGraph(n, src, dst, w1, w2).front([0, 5], [n - 1], max_stretch=1.5)
    monkeypatch.setattr(pareto_module, "_PARALLEL", parallel)
    front = BiCriteriaGraph(n, src, dst, w1, w2).front([0, 5], [n - 1], max_stretch=1.5)
    assert front == other and len(front) > 1
    _check_paths(front, src, dst, w1, w2, [0, 5], [n - 1])
