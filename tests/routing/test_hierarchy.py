"""Contraction hierarchies answer exactly what Dijkstra answers, on random graphs and on the
real network, and a path's reported cost is the sum of its own arcs."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import dijkstra

from geodata.errors import InvalidInputError, NoRouteError
from routing import CostedGraph, best_path, best_paths, shortest_path
from routing.hierarchy import Hierarchy


def _arc_weights(g: CostedGraph, p) -> float:
    return float(sum(g.arc(a, b)[2] for a, b in zip(p.nodes[:-1], p.nodes[1:], strict=True)))


def _check_path(g: CostedGraph, w: np.ndarray, p, sources, targets) -> None:
    assert p.nodes[0] in sources and p.nodes[-1] in targets
    assert len(p.edges) == len(p.nodes) - 1
    for a, b, e, f in zip(p.nodes[:-1], p.nodes[1:], p.edges, p.forward, strict=True):
        assert g.arc(a, b)[0] == e and g.arc(a, b)[1] == f
        assert g.arc(a, b)[2] == w[e]


edge_lists = st.lists(
    st.tuples(
        st.integers(0, 14),
        st.integers(0, 14),
        st.booleans(),
        # a few exact values, so that ties, zero weights and parallel arcs are common
        st.one_of(st.floats(0, 100, allow_nan=False), st.sampled_from([0.0, 1.0, 2.0])),
    ),
    min_size=1,
    max_size=60,
)


@settings(max_examples=120, deadline=None)
@given(n=st.integers(2, 15), edges=edge_lists, data=st.data())
def test_contracted_graph_matches_networkx(n, edges, data) -> None:
    edges = [(a % n, b % n, o, w) for a, b, o, w in edges if a % n != b % n]
    if not edges:
        return
    u, v, oneway, w = (np.array(x) for x in zip(*edges, strict=True))
    w = w.astype(float)
    g = CostedGraph(n, u, v, oneway.astype(bool), w)
    g.contract()
    assert g.contracted
    ref = nx.DiGraph()
    ref.add_nodes_from(range(n))
    for a, b, o, x in edges:
        for s, t in ((a, b),) if o else ((a, b), (b, a)):
            if not ref.has_edge(s, t) or ref[s][t]["w"] > x:
                ref.add_edge(s, t, w=x)
    nodes = st.integers(0, n - 1)
    sources = data.draw(st.lists(nodes, min_size=1, max_size=3, unique=True))
    targets = data.draw(st.lists(nodes, min_size=1, max_size=3, unique=True))
    sc = data.draw(st.lists(st.floats(0, 20), min_size=len(sources), max_size=len(sources)))
    tc = data.draw(st.lists(st.floats(0, 20), min_size=len(targets), max_size=len(targets)))
    dist = {s: nx.single_source_dijkstra_path_length(ref, s, weight="w") for s in sources}
    options = [
        c + dist[s][t] + d
        for s, c in zip(sources, sc, strict=True)
        for t, d in zip(targets, tc, strict=True)
        if t in dist[s]
    ]
    if not options:
        with pytest.raises(NoRouteError):
            best_path(g, sources, sc, targets, tc)
        return
    p = best_path(g, sources, sc, targets, tc)
    assert p.cost == pytest.approx(min(options), abs=1e-9)
    _check_path(g, w, p, sources, targets)
    paid = sc[sources.index(p.nodes[0])] + tc[targets.index(p.nodes[-1])]
    assert _arc_weights(g, p) + paid == pytest.approx(p.cost, abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(2, 15), edges=edge_lists, data=st.data())
def test_contracted_sets_match_uncontracted(n, edges, data) -> None:
    edges = [(a % n, b % n, o, w) for a, b, o, w in edges if a % n != b % n]
    if not edges:
        return
    u, v, oneway, w = (np.array(x) for x in zip(*edges, strict=True))
    plain = CostedGraph(n, u, v, oneway.astype(bool), w.astype(float))
    fast = CostedGraph(n, u, v, oneway.astype(bool), w.astype(float))
    fast.contract()
    nodes = st.lists(st.integers(0, n - 1), min_size=1, max_size=3, unique=True)
    src = data.draw(nodes)
    sets = [(t, [0.5] * len(t)) for t in (data.draw(nodes) for _ in range(3))]
    zero = [0.0] * len(src)
    for a, b in zip(
        best_paths(plain, src, zero, sets), best_paths(fast, src, zero, sets), strict=True
    ):
        assert (a is None) == (b is None)
        if a is not None:
            assert b.cost == pytest.approx(a.cost, abs=1e-9)
    rows = fast.paths_to_sets([(np.array(src), np.zeros(len(src)))], sets)
    ref = plain.paths_to_sets([(np.array(src), np.zeros(len(src)))], sets)
    for a, b in zip(ref[0], rows[0], strict=True):
        assert (a is None) == (b is None)
        if a is not None:
            assert b.cost == pytest.approx(a.cost, abs=1e-9)


def test_real_network_contracted_matches_scipy(network, operational_graph) -> None:
    g = operational_graph()
    h = g.contract()
    assert g.contract() is h  # built once
    assert h.n_nodes == len(g._state) and h.n_shortcuts > 0
    assert sorted(h.rank.tolist()) == list(range(h.n_nodes))  # a total order
    road = np.flatnonzero(network.node_mode == 0)
    rng = np.random.default_rng(11)
    pairs = [tuple(int(x) for x in rng.choice(road, 2, replace=False)) for _ in range(40)]
    ref = dijkstra(g.matrix, indices=sorted({s for s, _ in pairs}))
    row = {s: i for i, s in enumerate(sorted({s for s, _ in pairs}))}
    found = 0
    for s, t in pairs:
        expected = ref[row[s], t]
        if not np.isfinite(expected):
            with pytest.raises(NoRouteError):
                shortest_path(g, [s], [t])
            continue
        p = shortest_path(g, [s], [t])
        found += 1
        # csgraph stores zero weights as a tiny epsilon: at most a few per path
        assert p.cost == pytest.approx(expected, abs=1e-9)
        assert network.edge_length_km[list(p.edges)].sum() == pytest.approx(p.cost, abs=1e-9)
        assert p.nodes[0] == s and p.nodes[-1] == t
    assert found >= 30


def test_new_weights_drop_the_hierarchy() -> None:
    u, v = np.array([0, 1, 0]), np.array([1, 2, 2])
    g = CostedGraph(3, u, v, np.zeros(3, bool), np.array([1.0, 1.0, 5.0]))
    g.contract()
    assert shortest_path(g, [0], [2]).cost == pytest.approx(2.0)
    cheaper = g.with_weights(np.array([1.0, 1.0, 0.5]))
    assert not cheaper.contracted
    assert shortest_path(cheaper, [0], [2]).cost == pytest.approx(0.5)
    cheaper.contract()
    assert shortest_path(cheaper, [0], [2]).nodes == (0, 2)


def test_source_that_is_a_target_and_unreachable_targets() -> None:
    g = CostedGraph(4, np.array([0, 1]), np.array([1, 2]), np.ones(2, bool), np.ones(2))
    g.contract()
    assert best_path(g, [0, 1], [5.0, 0.0], [1], [0.0]).nodes == (1,)
    assert best_path(g, [0, 1], [0.0, 5.0], [1], [0.0]).nodes == (0, 1)
    with pytest.raises(NoRouteError):
        shortest_path(g, [2], [0])
    with pytest.raises(NoRouteError):
        shortest_path(g, [0], [3])  # a node without arcs
    with pytest.raises(InvalidInputError):
        shortest_path(g, [0], [9])


def test_a_contracted_graph_pickles_and_answers_alike() -> None:
    import pickle

    u, v = np.array([0, 1, 2, 0]), np.array([1, 2, 3, 3])
    g = CostedGraph(4, u, v, np.zeros(4, bool), np.array([1.0, 1.0, 1.0, 5.0]))
    g.contract()
    back = pickle.loads(pickle.dumps(g))
    assert back.contracted
    assert shortest_path(back, [0], [3]) == shortest_path(g, [0], [3])


def test_kernel_rejects_a_bad_graph() -> None:
    with pytest.raises(ValueError, match="ch_build"):
        Hierarchy(np.array([0, 1, 1]), np.array([1], dtype=np.int32), np.array([-1.0]))
    with pytest.raises(ValueError, match="ch_build"):
        Hierarchy(np.array([0, 1, 1]), np.array([5], dtype=np.int32), np.array([1.0]))
    for indptr in ([0, 10**9, 1], [0, -5, 1]):  # would read outside the arrays
        with pytest.raises(ValueError, match="indptr must not decrease"):
            Hierarchy(np.array(indptr), np.array([1], dtype=np.int32), np.array([1.0]))
