"""The compiled kernel: A* with landmarks, backward searches and the BOA* loop give the
answers of plain Dijkstra (scipy) on the same weights."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import dijkstra

from geodata.errors import NoRouteError
from routing import CostedGraph, best_path, best_paths
from routing._native import load

edge_lists = st.lists(
    st.tuples(
        st.integers(0, 14),
        st.integers(0, 14),
        st.booleans(),
        st.floats(0, 50, allow_nan=False),
    ),
    min_size=1,
    max_size=50,
)


def _graph(n: int, edges, groups: np.ndarray | None) -> tuple[CostedGraph, np.ndarray]:
    u, v, oneway, w = (np.array(x) for x in zip(*edges, strict=True))
    g = CostedGraph(n, u, v, oneway.astype(bool), w.astype(float), groups=groups)
    return g, w.astype(float)


def _reference(g: CostedGraph, src, sc, tgt, tc) -> float:
    """Least entry + path + exit cost by scipy's one-to-all Dijkstra from each source."""
    if not g.n_arcs:
        best = np.inf
        for s, c in zip(src, sc, strict=True):
            for t, x in zip(tgt, tc, strict=True):
                if s == t:
                    best = min(best, c + x)
        return best
    dist = np.atleast_2d(dijkstra(g.matrix, directed=True, indices=list(src)))
    # the matrix stores zero weights as 1e-12: negligible against the tolerance below
    return float((np.asarray(sc)[:, None] + dist[:, list(tgt)] + np.asarray(tc)[None, :]).min())


@settings(max_examples=80, deadline=None)
@given(n=st.integers(2, 15), edges=edge_lists, data=st.data())
def test_astar_with_landmarks_equals_dijkstra(n, edges, data) -> None:
    edges = [(a % n, b % n, o, w) for a, b, o, w in edges if a % n != b % n]
    if not edges:
        return
    n_groups = data.draw(st.integers(1, n))
    groups = np.array(data.draw(st.lists(st.integers(0, n_groups - 1), min_size=n, max_size=n)))
    g, w = _graph(n, edges, groups)
    src = data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=3))
    tgt = data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=3))
    sc = data.draw(st.lists(st.floats(0, 20), min_size=len(src), max_size=len(src)))
    tc = data.draw(st.lists(st.floats(0, 20), min_size=len(tgt), max_size=len(tgt)))
    expected = _reference(g, src, sc, tgt, tc)
    g.heuristic(np.array(tgt), np.array(tc), build=True)  # landmarks from the first query on
    for _ in range(2):
        if not np.isfinite(expected):
            with pytest.raises(NoRouteError):
                best_path(g, src, sc, tgt, tc)
            continue
        p = best_path(g, src, sc, tgt, tc)
        assert p.cost == pytest.approx(expected, abs=1e-9)
        assert p.nodes[0] in src and p.nodes[-1] in tgt
        # the reported cost is the entry cost, the arcs and the exit cost
        entry = min(c for s, c in zip(src, sc, strict=True) if s == p.nodes[0])
        exit_ = min(c for t, c in zip(tgt, tc, strict=True) if t == p.nodes[-1])
        walked = sum(g.arc(a, b)[2] for a, b in zip(p.nodes, p.nodes[1:], strict=False))
        assert entry + walked + exit_ == pytest.approx(p.cost, abs=1e-9)
        assert sum(w[e] for e in p.edges) == pytest.approx(walked, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(2, 15), edges=edge_lists, data=st.data())
def test_backward_search_equals_forward_searches(n, edges, data) -> None:
    edges = [(a % n, b % n, o, w) for a, b, o, w in edges if a % n != b % n]
    if not edges:
        return
    g, _ = _graph(n, edges, None)
    tgt = np.array(data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=3)))
    tc = np.array(data.draw(st.lists(st.floats(0, 20), min_size=len(tgt), max_size=len(tgt))))
    sets = []
    for _ in range(data.draw(st.integers(1, 4))):
        s = np.array(data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=3)))
        s = s[~np.isin(s, tgt)]  # zero-arc paths are the forward search's business
        c = np.array(data.draw(st.lists(st.floats(0, 20), min_size=len(s), max_size=len(s))))
        sets.append((s, c))
    back = g.search_to(tgt, tc, sets)
    for (s, c), p in zip(sets, back, strict=True):
        fwd = best_paths(g, s, c, [(tgt, tc)])[0] if len(s) else None
        if fwd is None:
            assert p is None
            continue
        assert p is not None
        assert p.cost == pytest.approx(fwd.cost, abs=1e-9)
        assert p.nodes[0] in s and p.nodes[-1] in tgt
        walked = sum(g.arc(a, b)[2] for a, b in zip(p.nodes, p.nodes[1:], strict=False))
        entry = c[s == p.nodes[0]].min()
        exit_ = tc[tgt == p.nodes[-1]].min()
        assert entry + walked + exit_ == pytest.approx(p.cost, abs=1e-9)


def test_ties_prefer_fewer_arcs() -> None:
    # 0 -> 3 directly (weight 2) and 0 -> 1 -> 2 -> 3 (weights 1, 0, 1): equal weight
    u, v = np.array([0, 1, 2, 0]), np.array([1, 2, 3, 3])
    g = CostedGraph(4, u, v, np.ones(4, bool), np.array([1.0, 0.0, 1.0, 2.0]))
    assert best_path(g, [0], [0.0], [3], [0.0]).nodes == (0, 3)


def test_distances_match_scipy(network) -> None:
    g = CostedGraph(
        network.n_nodes, network.edge_u, network.edge_v, network.edge_oneway,
        network.edge_length_km,
    )  # fmt: skip
    src = [int(network.edge_u[0]), int(network.edge_v[100])]
    dist, pred, origin = g.distances(src)
    ref = dijkstra(g.matrix, indices=src, min_only=True)
    fin = np.isfinite(ref)
    assert np.array_equal(fin, np.isfinite(dist))
    assert np.allclose(dist[fin], ref[fin], rtol=0, atol=1e-6)
    # every predecessor is on a shortest path (ties may pick another one than scipy)
    has = np.flatnonzero(pred >= 0)[::50]
    step = np.array([g.arc(int(pred[b]), int(b))[2] for b in has])
    assert np.allclose(dist[pred[has]] + step, dist[has], rtol=0, atol=1e-6)
    assert set(np.unique(origin[fin])) <= set(src)


def test_the_kernel_loads_from_a_checkout_or_an_installed_copy() -> None:
    from routing import _native

    kernel = _native.load()
    assert {"dijkstra", "trace", "walk", "boa"} <= set(dir(kernel))


def test_a_potential_with_a_group_out_of_range_is_refused() -> None:
    """The potential's group of a state is checked when the search reaches the state: an
    error, not a read outside the arrays."""
    kernel = load()
    indptr = np.array([0, 1, 2, 2], dtype=np.int64)  # 0 -> 1 -> 2
    head = np.array([1, 2], dtype=np.int32)
    w = np.ones(2)

    def run(node_of):
        lf = np.full((3, 1), np.inf)
        lb = np.zeros((3, 1))
        heur = (node_of, lf, lb, np.array([2]), np.zeros(1), 1)
        dist, pred = np.empty(3), np.empty(3, dtype=np.int64)
        tgt = np.array([2])
        kernel.dijkstra(
            indptr, head, w, np.array([0]), np.zeros(1), tgt, np.zeros(1), np.zeros(1, np.int64),
            1, np.inf, heur, dist, pred, np.empty(1, np.int64),
        )  # fmt: skip
        return dist

    assert run(np.array([0, 1, 2])).tolist() == [0.0, 1.0, 2.0]
    with pytest.raises(ValueError, match="inconsistent heuristic"):
        run(np.array([0, 7, 2]))
    with pytest.raises(ValueError, match="inconsistent heuristic"):
        run(np.array([0, -1, 2]))


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 30), n_groups=st.integers(1, 10))
def test_scale_arcs_equals_numpy(seed: int, n: int, n_groups: int) -> None:
    """The alternatives' penalty step: the listed arcs' weights multiplied, and each pair of
    groups they join with its cheapest arc after the change (parallel arcs included), as
    numpy computes them; the mark array comes back clean."""
    rng = np.random.default_rng(seed)
    m = int(rng.integers(1, 5 * n))
    u, v = rng.integers(0, n, m), rng.integers(0, n, m)
    g = CostedGraph(n, u, v, rng.random(m) < 0.5, rng.uniform(0, 5, m),
                    groups=rng.integers(0, n_groups, n))  # fmt: skip
    _, order, starts, _, _, _, pair_of, ends = g._group_structure
    arcs = len(g._w)
    positions = rng.permutation(arcs)[: int(rng.integers(0, arcs + 1))].astype(np.int64)
    w = g._w.copy()
    mark = np.zeros(len(starts), dtype=np.uint8)
    kernel = load()
    found = kernel.scale_arcs(w, positions, 1.5, pair_of, starts, ends, order, mark)
    pairs, minima = np.frombuffer(found[0], np.int64), np.frombuffer(found[1], np.float64)
    want = g._w.copy()
    want[positions] *= 1.5
    assert np.array_equal(w, want)
    touched = pair_of[positions]
    assert sorted(pairs.tolist()) == sorted(set(touched[touched >= 0].tolist()))
    for p, low in zip(pairs.tolist(), minima.tolist(), strict=True):
        assert low == want[order[starts[p] : ends[p]]].min()
    assert not mark.any()
    with pytest.raises(ValueError, match="out of range"):
        kernel.scale_arcs(w, np.array([arcs]), 1.5, pair_of, starts, ends, order, mark)
    with pytest.raises(ValueError, match="inconsistent"):
        kernel.scale_arcs(w, positions, np.inf, pair_of, starts, ends, order, mark)
    if len(starts):  # a malformed pair structure: refused with nothing written, mark clean
        before = w.copy()
        broken = np.full_like(order, arcs)  # arcs out of range
        with pytest.raises(ValueError, match="malformed"):
            kernel.scale_arcs(w, np.arange(arcs), 1.5, pair_of, starts, ends, broken, mark)
        assert np.array_equal(w, before) and not mark.any()


@pytest.mark.parametrize("dtype", [np.float64, np.complex128, np.int32, np.uint8])
def test_copy_at_equals_fancy_indexing(dtype) -> None:
    kernel = load()
    rng = np.random.default_rng(3)
    src = rng.integers(0, 100, 50).astype(dtype)
    dst = np.zeros(50, dtype=dtype)
    at = rng.integers(0, 50, 80)  # repeats included
    want = dst.copy()
    want[at] = src[at]
    kernel.copy_at(dst, src, at)
    assert np.array_equal(dst, want)
    before = dst.copy()
    with pytest.raises(ValueError, match="out of range"):
        kernel.copy_at(dst, src, np.array([0, 50]))
    assert np.array_equal(dst, before)  # nothing copied
    with pytest.raises(ValueError, match="differ"):
        kernel.copy_at(dst, src[:10], np.array([0]))
    other = np.zeros(50, dtype=np.int64 if dtype is np.float64 else np.float64)
    if other.itemsize == dst.itemsize:  # same size, another type
        with pytest.raises(ValueError, match="differ"):
            kernel.copy_at(dst, other, np.array([0]))
