"""Scratch arrays lent to one search at a time, and taken back for the next.

Fresh arrays of a few megabytes cost more to map into memory than a short search takes (on
the development machine, a virtual machine, ~5 µs a page: a search on a 307k-state graph
that settles a few thousand states took 5.7 ms with fresh output arrays and 0.34 ms with
reused ones), so searches borrow reusable arrays.  A lender keeps a few for whichever thread
asks next, rather than one per thread, which a server's thread pool would multiply.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Generic, TypeVar

import numpy as np

from routing._native import load

T = TypeVar("T")

#: Most idle items a lender keeps (concurrent borrowers beyond it get fresh ones).  Four:
#: twice the two threads a matrix or the Pareto front runs on (2 cores), so that a search
#: started while another thread's is being read off still finds a lent item; what it holds
#: is bounded by that: e.g. the kernel's workspace on a ~300k-state graph, ~30 MB each.
KEEP = 4


class Lender(Generic[T]):
    """Lends items (tuples of arrays) one borrower at a time; safe across threads."""

    def __init__(self) -> None:
        self._free: list[T] = []

    @contextmanager
    def lend(self, make: Callable[[], T], fits: Callable[[T], bool] | None = None) -> Iterator[T]:
        """An idle item that ``fits`` (others are dropped), or a new one from ``make``, for
        the duration of the ``with`` block."""
        item = None
        while item is None:
            try:
                got = self._free.pop()  # atomic: two threads never get the same item
            except IndexError:
                break
            if fits is None or fits(got):
                item = got
        if item is None:
            item = make()
        try:
            yield item
        finally:
            if len(self._free) < KEEP:
                self._free.append(item)


#: The compiled Dijkstra's scratch: hop counts, flags and heap, for graphs of any size.
_KERNEL = Lender[tuple[np.ndarray, np.ndarray, np.ndarray]]()
#: Bytes of one heap entry of the compiled kernel (key, hops, node), as it reports them.
_HEAP_ITEM = load().HEAP_ITEM_BYTES


def kernel_scratch(
    n_nodes: int, n_arcs: int
) -> AbstractContextManager[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The compiled Dijkstra's ``ws`` argument for a graph of ``n_nodes`` and ``n_arcs``:
    hop counts, settled flags, and a heap buffer big enough for a one-to-all search (a
    search pushes at most once per arc, besides its sources; beyond it the kernel continues
    in memory of its own)."""
    heap_bytes = (n_arcs + n_nodes + 1) * _HEAP_ITEM

    def make() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return (
            np.empty(n_nodes, dtype=np.int64),
            np.empty(n_nodes + 1, dtype=np.uint8),
            np.empty(heap_bytes, dtype=np.uint8),
        )

    def fits(ws: tuple[np.ndarray, np.ndarray, np.ndarray]) -> bool:
        return len(ws[0]) >= n_nodes and len(ws[2]) >= heap_bytes

    return _KERNEL.lend(make, fits)
