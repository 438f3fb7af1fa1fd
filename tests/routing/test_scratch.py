"""Lent scratch arrays, and the compiled search with a caller's workspace."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from routing import CostedGraph
from routing._native import load
from routing._scratch import _HEAP_ITEM, KEEP, Lender, kernel_scratch

_kernel = load()


def test_a_lender_never_lends_one_item_twice_at_once() -> None:
    lender: Lender[list[int]] = Lender()
    made = []

    def make() -> list[int]:
        made.append([len(made)])
        return made[-1]

    with lender.lend(make) as a, lender.lend(make) as b:
        assert a is not b
    with lender.lend(make) as c:
        assert c is b or c is a  # taken back and lent again
    assert len(made) == 2


def test_a_lender_keeps_a_few_and_drops_what_does_not_fit() -> None:
    lender: Lender[np.ndarray] = Lender()
    with lender.lend(lambda: np.empty(3)) as small:
        pass
    with lender.lend(lambda: np.empty(10), fits=lambda a: len(a) >= 10) as big:
        assert big is not small and len(big) == 10
    assert lender._free == [big]  # the small one was dropped
    stack = [lender.lend(lambda: np.empty(1)) for _ in range(KEEP + 3)]
    for cm in stack:
        cm.__enter__()
    for cm in stack:
        cm.__exit__(None, None, None)
    assert len(lender._free) == KEEP


def test_threads_borrowing_at_once_get_distinct_items() -> None:
    lender: Lender[list[int]] = Lender()
    seen: list[int] = []
    barrier = threading.Barrier(4)

    def work() -> None:
        with lender.lend(lambda: []) as item:
            seen.append(id(item))
            barrier.wait(timeout=10)  # all four hold an item now

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(seen)) == 4


def _graph(seed: int) -> CostedGraph:
    rng = np.random.default_rng(seed)
    n = 400
    u, v = rng.integers(0, n, 2400), rng.integers(0, n, 2400)
    keep = u != v
    return CostedGraph(n, u[keep], v[keep], np.zeros(keep.sum(), bool), rng.random(keep.sum()))


def _one_to_all(g: CostedGraph, ws) -> tuple[np.ndarray, np.ndarray]:
    nc = len(g._state)
    dist, pred = np.empty(nc), np.empty(nc, dtype=np.int64)
    no = np.empty(0, np.int64)
    _kernel.dijkstra(
        g._cptr, g._head, g._w, np.array([0]), np.zeros(1), no, np.empty(0), no, 0, np.inf,
        None, dist, pred, no, False, ws,
    )  # fmt: skip
    return dist, pred


@pytest.mark.parametrize("heap_items", [0, 1, 7, 100000])
def test_a_workspace_gives_the_same_search_whatever_its_heap_size(heap_items) -> None:
    """A heap buffer too small for the search is outgrown into the kernel's own memory
    (and dirty flags from an earlier search are cleared)."""
    g = _graph(heap_items)
    nc = len(g._state)
    ref = _one_to_all(g, None)
    ws = (
        np.full(nc, 99, dtype=np.int64),
        np.full(nc + 1, 3, dtype=np.uint8),  # garbage from an earlier search
        np.empty(heap_items * _HEAP_ITEM, dtype=np.uint8),
    )
    for _ in range(2):
        got = _one_to_all(g, ws)
        assert np.array_equal(got[0], ref[0]) and np.array_equal(got[1], ref[1])


def test_a_workspace_too_small_is_refused() -> None:
    g = _graph(1)
    nc = len(g._state)
    small = (np.empty(nc - 1, np.int64), np.empty(nc + 1, np.uint8), np.empty(240, np.uint8))
    with pytest.raises(ValueError, match="workspace too small"):
        _one_to_all(g, small)
    with pytest.raises(TypeError):
        _one_to_all(g, (np.empty(nc), np.empty(nc + 1, np.uint8), np.empty(240, np.uint8)))
    with kernel_scratch(nc, len(g._head)) as ws:
        assert np.array_equal(_one_to_all(g, ws)[0], _one_to_all(g, None)[0])


def test_lent_outputs_reset_only_what_the_last_search_settled() -> None:
    """Searches one after another through one set of lent output arrays (each resetting only
    the states the previous one settled) equal searches into fresh arrays."""
    g = _graph(11)
    rng = np.random.default_rng(11)
    n = g.n_nodes
    with g._output() as out:
        assert out[3][0] == -1  # unknown at first: the first search resets every state
        for _ in range(30):
            src = rng.integers(0, n, 2)
            tgt = rng.integers(0, n, 3)
            limit = float(rng.choice([np.inf, 0.5, 2.0]))
            sets = [(tgt, np.zeros(3))] if rng.random() < 0.7 else []
            got = g.search(src, np.zeros(2), sets, limit=limit, out=out)
            ref = g.search(src, np.zeros(2), sets, limit=limit)
            assert np.array_equal(got[0], ref[0]) and np.array_equal(got[1], ref[1])
            assert out[3][0] == np.isfinite(ref[0]).sum()


def test_search_refuses_output_arrays_of_the_wrong_kind() -> None:
    from geodata.errors import InvalidInputError

    g = _graph(3)
    nc = len(g._state)
    ok = (np.empty(nc), np.empty(nc, np.int64), np.empty(nc, np.int64), np.full(1, -1))
    for bad in (
        ok[:3],
        ok[:1],
        (np.empty(nc - 1), ok[1]),
        (ok[0], np.empty(nc)),
        (*ok[:3], np.full(2, -1)),
        "dist",
    ):
        with pytest.raises(InvalidInputError, match="out"):
            g.search(np.array([0]), np.zeros(1), out=bad)
    assert np.isfinite(g.search(np.array([0]), np.zeros(1), out=ok)[0][0])
