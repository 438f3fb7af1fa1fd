"""The search engine agrees with networkx, on hand-built graphs and on the real network."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geodata.errors import InvalidInputError, NoRouteError
from routing import CostedGraph, best_path, shortest_path


def _nx_graph(u, v, oneway, w, usable):
    g = nx.DiGraph()
    for a, b, o, x, ok in zip(u, v, oneway, w, usable, strict=True):
        if not ok:
            continue
        for s, t in ((a, b),) if o else ((a, b), (b, a)):
            if not g.has_edge(s, t) or g[s][t]["w"] > x:
                g.add_edge(s, t, w=x)
    return g


def test_small_graph_with_oneway_and_parallel_edges() -> None:
    u = np.array([0, 1, 0, 2, 0])
    v = np.array([1, 2, 2, 3, 1])
    oneway = np.array([False, False, True, False, False])
    w = np.array([1.0, 1.0, 5.0, 1.0, 0.5])  # the last edge is a cheaper parallel of the first
    g = CostedGraph(4, u, v, oneway, w)
    p = shortest_path(g, [0], [3])
    assert p.nodes == (0, 1, 2, 3)
    assert p.edges == (4, 1, 3)
    assert p.cost == pytest.approx(2.5)
    # the one-way edge 0 -> 2 cannot be used backwards
    back = shortest_path(g, [2], [0])
    assert back.edges == (1, 4)


def test_unusable_edges_are_absent_and_no_path_raises() -> None:
    u, v = np.array([0, 1]), np.array([1, 2])
    g = CostedGraph(3, u, v, np.zeros(2, bool), np.ones(2), usable=np.array([True, False]))
    with pytest.raises(NoRouteError):
        shortest_path(g, [0], [2])


def test_zero_weight_edges_are_kept() -> None:
    g = CostedGraph(3, np.array([0, 1]), np.array([1, 2]), np.zeros(2, bool), np.zeros(2))
    assert shortest_path(g, [0], [2]).nodes == (0, 1, 2)


def test_bad_weights_are_rejected() -> None:
    with pytest.raises(InvalidInputError):
        CostedGraph(2, np.array([0]), np.array([1]), np.zeros(1, bool), np.array([-1.0]))
    with pytest.raises(InvalidInputError):
        CostedGraph(2, np.array([0]), np.array([1]), np.zeros(1, bool), np.array([np.inf]))


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(2, 12),
    edges=st.lists(
        st.tuples(
            st.integers(0, 11),
            st.integers(0, 11),
            st.booleans(),
            st.floats(0, 100, allow_nan=False),
            st.booleans(),
        ),
        min_size=1,
        max_size=40,
    ),
    data=st.data(),
)
def test_matches_networkx_dijkstra(n, edges, data) -> None:
    edges = [(a % n, b % n, o, w, ok) for a, b, o, w, ok in edges if a % n != b % n]
    if not edges:
        return
    u, v, oneway, w, usable = (np.array(x) for x in zip(*edges, strict=True))
    g = CostedGraph(n, u, v, oneway.astype(bool), w.astype(float), usable.astype(bool))
    ref = _nx_graph(u, v, oneway, w, usable)
    s = data.draw(st.integers(0, n - 1))
    t = data.draw(st.integers(0, n - 1).filter(lambda x: x != s))
    try:
        expected = nx.shortest_path_length(ref, s, t, weight="w")
    except (nx.NetworkXNoPath, nx.NodeNotFound):
        with pytest.raises(NoRouteError):
            shortest_path(g, [s], [t])
        return
    p = shortest_path(g, [s], [t])
    assert p.cost == pytest.approx(expected, abs=1e-9)
    # recompute the cost from the edges the path reports
    assert sum(w[e] for e in p.edges) == pytest.approx(p.cost, abs=1e-9)


def test_real_network_random_pairs_match_networkx(network, operational_graph) -> None:
    g = operational_graph()
    simple = nx.DiGraph()
    for a, b, d in network.to_networkx().edges(data=True):
        if d["status"] == "operational" and (
            not simple.has_edge(a, b) or simple[a][b]["w"] > d["length_km"]
        ):
            simple.add_edge(a, b, w=d["length_km"])
    rng = np.random.default_rng(7)
    road = np.flatnonzero(network.node_mode == 0)
    giant = max(nx.weakly_connected_components(simple.subgraph(road.tolist())), key=len)
    cand = np.array(sorted(giant))
    for _ in range(8):
        s, t = (int(x) for x in rng.choice(cand, 2, replace=False))
        p = shortest_path(g, [s], [t])
        expected = nx.dijkstra_path_length(simple, s, t, weight="w")
        assert p.cost == pytest.approx(expected, abs=1e-9)
        assert network.edge_length_km[list(p.edges)].sum() == pytest.approx(p.cost, abs=1e-9)


def test_best_path_pays_entry_and_exit_costs() -> None:
    # 0 -> 1 -> 2 and 3 -> 2; starting at 3 costs 10 more, ending at 1 costs 5 more
    u, v = np.array([0, 1, 3]), np.array([1, 2, 2])
    g = CostedGraph(4, u, v, np.ones(3, bool), np.array([1.0, 1.0, 0.5]))
    p = best_path(g, [0, 3], [0.0, 10.0], [2, 1], [0.0, 5.0])
    assert p.nodes == (0, 1, 2) and p.cost == pytest.approx(2.0)
    p = best_path(g, [0, 3], [0.0, 0.0], [2], [0.0])
    assert p.nodes == (3, 2) and p.cost == pytest.approx(0.5)


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(2, 10),
    edges=st.lists(
        st.tuples(
            st.integers(0, 9),
            st.integers(0, 9),
            st.booleans(),
            st.floats(0, 100, allow_nan=False),
            st.floats(0, 100, allow_nan=False),
        ),
        min_size=1,
        max_size=30,
    ),
    groups=st.lists(st.integers(0, 3), min_size=10, max_size=10),
    data=st.data(),
)
def test_with_weights_equals_a_fresh_graph(n, edges, groups, data) -> None:
    # parallel edges, groups, landmarks built on the old weights, weights up and down
    edges = [(a % n, b % n, o, w0, w1) for a, b, o, w0, w1 in edges if a % n != b % n]
    if not edges:
        return
    u, v, oneway, w0, w1 = (np.array(x) for x in zip(*edges, strict=True))
    grp = np.array(groups[:n])
    old = CostedGraph(n, u, v, oneway.astype(bool), w0.astype(float), groups=grp)
    old._landmarks  # noqa: B018
    old._reverse  # noqa: B018
    new = old.with_weights(w1.astype(float))
    fresh = CostedGraph(n, u, v, oneway.astype(bool), w1.astype(float), groups=grp)
    s = data.draw(st.integers(0, n - 1))
    t = data.draw(st.integers(0, n - 1).filter(lambda x: x != s))
    for _ in range(3):  # from the second query on, A* with landmarks
        try:
            want = best_path(fresh, [s], [0.0], [t], [0.0]).cost
        except NoRouteError:
            with pytest.raises(NoRouteError):
                best_path(new, [s], [0.0], [t], [0.0])
            continue
        got = best_path(new, [s], [0.0], [t], [0.0])
        assert got.cost == pytest.approx(want, abs=1e-9)
        assert sum(w1[e] for e in got.edges) == pytest.approx(got.cost, abs=1e-9)
    back = new.search_to(np.array([t]), np.zeros(1), [(np.array([s]), np.zeros(1))])[0]
    ref = fresh.search_to(np.array([t]), np.zeros(1), [(np.array([s]), np.zeros(1))])[0]
    assert (back is None) == (ref is None)
    if back is not None:
        assert back.cost == pytest.approx(ref.cost, abs=1e-9)
    # the old graph is untouched
    assert np.array_equal(old._w, CostedGraph(n, u, v, oneway.astype(bool), w0, groups=grp)._w)


def test_with_weights_rejects_bad_weights() -> None:
    g = CostedGraph(3, np.array([0, 1]), np.array([1, 2]), np.zeros(2, bool), np.ones(2))
    with pytest.raises(InvalidInputError, match="one value per edge"):
        g.with_weights(np.ones(1))
    with pytest.raises(InvalidInputError, match="non-negative"):
        g.with_weights(np.array([1.0, -1.0]))


def test_paths_to_sets_match_single_searches() -> None:
    rng = np.random.default_rng(3)
    n = 60
    u, v = rng.integers(0, n, 300), rng.integers(0, n, 300)
    keep = u != v
    u, v = u[keep], v[keep]
    w = rng.uniform(0, 10, len(u))
    g = CostedGraph(n, u, v, np.zeros(len(u), bool), w, groups=np.arange(n) // 3)
    sources = [(np.array([0, 5]), np.array([0.0, 2.0])), (np.array([7]), np.zeros(1))]
    targets = [(np.array([40, 41]), np.array([1.0, 0.0])), (np.array([7]), np.zeros(1))]
    got = g.paths_to_sets(sources, targets)
    for i, (s, sc) in enumerate(sources):
        for j, (t, tc) in enumerate(targets):
            try:
                want = best_path(g, s, sc, t, tc).cost
            except NoRouteError:
                assert got[i][j] is None
                continue
            assert got[i][j] is not None and got[i][j].cost == pytest.approx(want, abs=1e-9)


def test_search_to_reads_a_cached_tree_and_new_weights_drop_it() -> None:
    from routing.graph import TREE_CACHE

    rng = np.random.default_rng(5)
    n = 80
    u, v = rng.integers(0, n, 400), rng.integers(0, n, 400)
    keep = u != v
    u, v = u[keep], v[keep]
    w = rng.uniform(0, 10, len(u))
    g = CostedGraph(n, u, v, np.zeros(len(u), bool), w)
    sets = [(np.array([i]), np.zeros(1)) for i in range(10, 20)]
    tgt, tc = np.array([1, 2]), np.array([0.0, 3.0])
    assert not g.has_tree(tgt, tc)
    first = g.search_to(tgt, tc, sets)
    assert g.has_tree(tgt, tc)
    again = g.search_to(tgt, tc, sets[::-1])  # other sources, same tree
    assert again[::-1] == first
    for (s, c), p in zip(sets, first, strict=True):
        assert p is not None and p.cost == pytest.approx(best_path(g, s, c, tgt, tc).cost)
    # arrays, for callers that need no Path
    edges, fwd, nodes, cost = g.edges_to(tgt, tc, sets[:1])[0]
    assert tuple(edges.tolist()) == first[0].edges and tuple(nodes.tolist()) == first[0].nodes
    assert tuple(fwd.tolist()) == first[0].forward and cost == first[0].cost
    # at most TREE_CACHE trees, the least recently used dropped first
    for t in range(30, 30 + TREE_CACHE):
        g.search_to(np.array([t]), np.zeros(1), sets[:1])
    assert not g.has_tree(tgt, tc) and g.has_tree(np.array([30 + TREE_CACHE - 1]), np.zeros(1))
    # new weights: no tree survives, and the answer follows the new weights
    g.search_to(tgt, tc, sets)
    heavier = g.with_weights(w * 2)
    assert not heavier.has_tree(tgt, tc)
    doubled = heavier.search_to(tgt, tc, sets)
    for (s, c), p, q in zip(sets, first, doubled, strict=True):
        assert q is not None and q.cost > p.cost
        assert q.cost == pytest.approx(best_path(heavier, s, c, tgt, tc).cost)


def test_paths_to_builds_a_tree_only_for_many_sets_or_reads_a_cached_one(monkeypatch) -> None:
    import routing.graph as routing_graph

    rng = np.random.default_rng(6)
    u, v = rng.integers(0, 60, 300), rng.integers(0, 60, 300)
    g = CostedGraph(60, u, v, np.zeros(300, bool), rng.uniform(1, 5, 300))
    sets = [(np.array([i]), np.zeros(1)) for i in range(10, 14)]
    tgt, tc = np.array([1, 2]), np.array([0.0, 3.0])
    guided = g.paths_to(tgt, tc, sets)
    assert not g.has_tree(tgt, tc)  # four sets: guided searches
    monkeypatch.setattr(routing_graph, "TREE_SOURCES", 4)
    by_tree = g.paths_to(tgt, tc, sets)
    assert g.has_tree(tgt, tc)
    monkeypatch.setattr(routing_graph, "TREE_SOURCES", 100)
    again = g.paths_to(tgt, tc, sets[:1])  # a cached tree is read whatever the count
    for a, b in zip(guided, by_tree, strict=True):
        assert (a is None) == (b is None)
        if a is not None:
            assert a[3] == pytest.approx(b[3], abs=1e-9)
    assert again[0] is not None and np.array_equal(again[0][0], by_tree[0][0])


def test_path_within_finds_a_path_cheaper_than_staying_at_a_source_target() -> None:
    # 0 -> 1 costs 1; starting at 1 (also the target) costs 10
    g = CostedGraph(2, np.array([0]), np.array([1]), np.ones(1, bool), np.ones(1))
    pot = g.potential(np.array([1]), np.zeros(1))
    src, sc = np.array([0, 1]), np.array([0.0, 10.0])
    p = g.path_within(src, sc, np.array([1]), np.zeros(1), potential=pot)
    assert p is not None and p.nodes == (0, 1) and p.cost == pytest.approx(1.0)
    assert g.path_within(src, sc, np.array([1]), np.zeros(1), potential=pot, limit=0.5) is None
    # staying is best when it is the cheaper: the zero-arc path
    p = g.path_within(src, np.array([5.0, 0.5]), np.array([1]), np.zeros(1), potential=pot)
    assert p is not None and p.nodes == (1,) and p.cost == pytest.approx(0.5)


def test_path_within_prunes_at_the_limit_and_agrees_with_best_path() -> None:
    rng = np.random.default_rng(9)
    n = 60
    u, v = rng.integers(0, n, 300), rng.integers(0, n, 300)
    keep = u != v
    g = CostedGraph(n, u[keep], v[keep], np.zeros(keep.sum(), bool), rng.uniform(0, 5, keep.sum()))
    for s, t in ((0, 30), (5, 44), (17, 2)):
        try:
            want = best_path(g, [s], [0.0], [t], [0.0]).cost
        except NoRouteError:
            continue
        pot = g.potential(np.array([t]), np.zeros(1))
        got = g.path_within(np.array([s]), np.zeros(1), np.array([t]), np.zeros(1), potential=pot)
        assert got is not None and got.cost == pytest.approx(want)
        below = g.path_within(
            np.array([s]), np.zeros(1), np.array([t]), np.zeros(1), potential=pot, limit=want * 0.99
        )
        assert below is None


def test_cached_trees_are_read_only() -> None:
    """A tree is shared by every later caller: writing into it is refused."""
    u, v = np.array([0, 1, 2]), np.array([1, 2, 3])
    g = CostedGraph(4, u, v, np.zeros(3, bool), np.ones(3))
    dist, pred = g.tree_to(np.array([3]), np.zeros(1))
    for a in (dist, pred):
        with pytest.raises(ValueError, match="read-only"):
            a[0] = 0
    assert g.tree_to(np.array([3]), np.zeros(1))[0] is dist  # the same, cached


#: The parameters of :func:`_grouped_case`, for hypothesis.
_GROUPED = {
    "seed": st.integers(0, 10_000),
    "n": st.integers(2, 30),
    "n_groups": st.integers(1, 30),
    "zero": st.booleans(),
}


def _grouped_case(rng: np.random.Generator, n: int, n_groups: int, zero: bool) -> tuple:
    """A random graph with groups of several nodes (parallel arcs, zero weights if
    ``zero``), its arrays, and a few targets with exit costs."""
    m = int(rng.integers(1, 4 * n))
    u, v = rng.integers(0, n, m), rng.integers(0, n, m)
    w = rng.uniform(0, 5, m)
    if zero:
        w[rng.random(m) < 0.3] = 0.0
    groups = rng.integers(0, n_groups, n)
    g = CostedGraph(n, u, v, rng.random(m) < 0.5, w, groups=groups)
    tgt = np.unique(rng.integers(0, n, int(rng.integers(1, 4))))
    tc = rng.uniform(0, 3, len(tgt)).round(1)
    return g, u, v, w, groups, tgt, tc


@settings(max_examples=60, deadline=None)
@given(**_GROUPED)
def test_guided_paths_equal_the_tree_and_cost_what_they_say(
    seed: int, n: int, n_groups: int, zero: bool
) -> None:
    """guided_edges_to (one A* per source set, guided by the graph of groups) against the
    backward tree of edges_to, with groups of several nodes, entry and exit costs, zero
    weights, parallel arcs and sources that are targets."""
    rng = np.random.default_rng(seed)
    g, u, v, w, _, tgt, tc = _grouped_case(rng, n, n_groups, zero)
    sets = [
        (s := np.unique(rng.integers(0, n, int(rng.integers(1, 4)))), rng.uniform(0, 3, len(s)))
        for _ in range(5)
    ]
    guided = g.guided_edges_to(tgt, tc, sets)
    tree = g.edges_to(tgt, tc, sets)
    for (s, c), a, b in zip(sets, guided, tree, strict=True):
        assert (a is None) == (b is None)
        if a is None:
            continue
        edges, fwd, nodes, cost = a
        assert cost == pytest.approx(b[3], abs=1e-9)
        # the path runs from a source to a target over real edges, and costs what it says
        assert nodes[0] in s and nodes[-1] in tgt
        ends = np.where(fwd, np.stack([u[edges], v[edges]]), np.stack([v[edges], u[edges]]))
        assert np.array_equal(ends[0], nodes[:-1]) and np.array_equal(ends[1], nodes[1:])
        entry = c[np.flatnonzero(s == nodes[0])[0]]
        exit_ = tc[np.flatnonzero(tgt == nodes[-1])[0]]
        assert entry + w[edges].sum() + exit_ == pytest.approx(cost, abs=1e-9)


def test_guided_paths_on_the_real_network_equal_the_tree(operational_graph) -> None:
    road_graph = operational_graph()
    rng = np.random.default_rng(11)
    nodes = rng.choice(road_graph.n_nodes, 40, replace=False)
    tgt, tc = nodes[:2], np.array([0.0, 25.0])
    sets = [(nodes[i : i + 2], np.array([0.0, 10.0])) for i in range(2, 40, 2)]
    guided = road_graph.guided_edges_to(tgt, tc, sets)
    tree = road_graph.edges_to(tgt, tc, sets)
    assert sum(a is not None for a in guided) >= 10
    for a, b in zip(guided, tree, strict=True):
        assert (a is None) == (b is None)
        if a is not None:
            assert a[3] == pytest.approx(b[3], rel=1e-12, abs=1e-9)


def test_guided_paths_refuse_bad_input() -> None:
    g = CostedGraph(3, np.array([0, 1]), np.array([1, 2]), np.ones(2, bool), np.ones(2))
    with pytest.raises(InvalidInputError):
        g.guided_edges_to(np.array([5]), np.zeros(1), [(np.array([0]), np.zeros(1))])
    with pytest.raises(InvalidInputError):
        g.guided_edges_to(np.array([2]), np.zeros(1), [(np.array([0]), np.array([-1.0]))])
    assert g.guided_edges_to(np.array([2]), np.zeros(1), []) == []
    # against the one-way arcs: None, not an exception
    assert g.guided_edges_to(np.array([0]), np.zeros(1), [(np.array([2]), np.zeros(1))]) == [None]


def test_a_guided_path_does_not_depend_on_the_other_sources() -> None:
    """A source set's path is the same whether it is asked alone or after others whose
    paths it meets: among paths of equal weight the fewest arcs win, counting the known
    rest of the way (A -> y -> z -> T and A -> x -> T weigh 3 each; asked after y, A's
    search meets y's path first)."""
    a, x, y, z, t = range(5)
    u, v = np.array([a, y, z, a, x]), np.array([y, z, t, x, t])
    w = np.array([1.0, 1.0, 1.0, 2.0, 1.0])
    g = CostedGraph(5, u, v, np.ones(5, bool), w)
    tgt, tc = np.array([t]), np.zeros(1)
    alone = g.guided_edges_to(tgt, tc, [(np.array([a]), np.zeros(1))])[0]
    after = g.guided_edges_to(tgt, tc, [(np.array([y]), np.zeros(1)), (np.array([a]), np.zeros(1))])
    assert alone is not None and after[1] is not None
    assert alone[2].tolist() == after[1][2].tolist() == [a, x, t]
    assert alone[3] == after[1][3] == 3.0


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 25))
def test_guided_paths_with_many_ties_do_not_depend_on_the_batch(seed: int, n: int) -> None:
    """Small integer weights (many ties, zeros): each set asked alone and in a batch gets the
    same weight and the same number of arcs."""
    rng = np.random.default_rng(seed)
    m = int(rng.integers(1, 4 * n))
    u, v = rng.integers(0, n, m), rng.integers(0, n, m)
    g = CostedGraph(n, u, v, rng.random(m) < 0.5, rng.integers(0, 3, m).astype(float))
    tgt = np.unique(rng.integers(0, n, int(rng.integers(1, 3))))
    tc = rng.integers(0, 2, len(tgt)).astype(float)
    sets = [(np.array([s]), np.zeros(1)) for s in rng.integers(0, n, 6)]
    batch = g.guided_edges_to(tgt, tc, sets)
    for s, got in zip(sets, batch, strict=True):
        alone = g.guided_edges_to(tgt, tc, [s])[0]
        assert (alone is None) == (got is None)
        if got is not None:
            assert got[3] == alone[3] and len(got[0]) == len(alone[0])


def test_guided_paths_refuse_costs_that_do_not_match_their_set() -> None:
    g = CostedGraph(3, np.array([0, 1]), np.array([1, 2]), np.ones(2, bool), np.ones(2))
    with pytest.raises(InvalidInputError, match="one source cost"):
        g.guided_edges_to(
            np.array([2]),
            np.zeros(1),
            [(np.array([0, 1]), np.array([5.0])), (np.array([2]), np.zeros(2))],
        )


def test_fractional_node_ids_are_refused_not_rounded() -> None:
    g = CostedGraph(3, np.array([0, 1]), np.array([1, 2]), np.ones(2, bool), np.ones(2))
    with pytest.raises(InvalidInputError, match="integers"):
        g.guided_edges_to(np.array([2.7]), np.zeros(1), [(np.array([0.9]), np.zeros(1))])
    with pytest.raises(InvalidInputError, match="integers"):
        best_path(g, [0.5], [0.0], [2], [0.0])
    assert best_path(g, [0.0], [0.0], [2.0], [0.0]).nodes == (0, 1, 2)  # whole floats are ids


def test_guided_searches_leave_the_lent_arrays_clean() -> None:
    """The kernel resets the lent output arrays from the last search's list and leaves
    them clean (count 0), so the next search on the graph resets nothing and is right."""
    rng = np.random.default_rng(8)
    n = 60
    u, v, w = rng.integers(0, n, 300), rng.integers(0, n, 300), rng.uniform(0, 5, 300)
    g = CostedGraph(n, u, v, np.zeros(300, bool), w)
    best_path(g, [0], [0.0], [40], [0.0])  # a search that leaves its states listed
    sets = [(np.array([i]), np.zeros(1)) for i in range(1, 20)]
    g.guided_edges_to(np.array([40, 41]), np.zeros(2), sets)
    with g._output() as (dist, pred, _, count):
        assert count[0] == 0
        assert np.isinf(dist).all() and (pred == -1).all()
    fresh = CostedGraph(n, u, v, np.zeros(300, bool), w)
    for s in (5, 17, 33):
        assert best_path(g, [s], [0.0], [40], [0.0]).cost == pytest.approx(
            best_path(fresh, [s], [0.0], [40], [0.0]).cost
        )


@settings(max_examples=80, deadline=None)
@given(**_GROUPED)
def test_group_potential_is_the_sweep_computed_where_the_search_goes(
    seed: int, n: int, n_groups: int, zero: bool
) -> None:
    """A* with the hierarchy potential computed on demand finds Dijkstra's distances, and
    every group distance the kernel computed equals the full downward sweep's to the last
    bit; dirty flags left in the lent scratch do not matter (they are cleared)."""
    rng = np.random.default_rng(seed)
    g, _, _, _, groups, tgt, tc = _grouped_case(rng, n, n_groups, zero)
    src = np.unique(rng.integers(0, n, int(rng.integers(1, 4))))
    sc = rng.uniform(0, 3, len(src))
    hierarchy, metric = g._group_metric
    sweep = np.empty(hierarchy.n_nodes)  # in rank order, as the kernel computes
    sweep[hierarchy.rank] = hierarchy.distances_to(metric, groups[tgt], tc)
    for _ in range(2):  # the second time on the scratch the first one left
        with g.group_potential(metric, tgt, tc) as pot:
            dist, _ = g.search(src, sc, [(tgt, tc)], heuristic=pot)
            done = (pot[10][: hierarchy.n_nodes] & 2) > 0
            assert np.array_equal(pot[9][: hierarchy.n_nodes][done], sweep[done])
            pot[10][:] = 255  # dirty flags for the next search
        plain, _ = g.search(src, sc, [(tgt, tc)])
        at = g._pos[tgt]
        ok = at >= 0
        got, want = dist[at[ok]] + tc[ok], plain[at[ok]] + tc[ok]
        assert np.min(got, initial=np.inf) == pytest.approx(np.min(want, initial=np.inf), abs=1e-9)


def test_group_potential_refuses_malformed_hierarchies() -> None:
    g = CostedGraph(4, np.array([0, 1, 2]), np.array([1, 2, 3]), np.zeros(3, bool), np.ones(3))
    metric = g._group_metric[1]
    src, tgt = np.array([0]), np.array([3])

    def search(change):
        with g.group_potential(metric, tgt, np.zeros(1)) as pot:
            pot = list(pot)
            change(pot)
            return g.search(src, np.zeros(1), [(tgt, np.zeros(1))], heuristic=tuple(pot))

    search(lambda pot: None)
    for change in (
        lambda pot: pot.__setitem__(1, np.full(len(pot[1]), 99, dtype=np.int64)),  # group
        lambda pot: pot.__setitem__(4, np.zeros(len(pot[4]), dtype=np.int32)),  # parent
        lambda pot: pot.__setitem__(5, pot[5][:-2]),  # weights
        lambda pot: pot.__setitem__(9, pot[9][:1]),  # scratch
        lambda pot: pot.__setitem__(0, "alt"),  # unknown form
    ):
        with pytest.raises(ValueError):
            search(change)
