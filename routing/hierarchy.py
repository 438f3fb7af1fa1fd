"""Contraction hierarchies: preprocess a graph's fixed weights once, then answer each query
by two small upward searches.

A contraction hierarchy (Geisberger, Sanders, Schultes & Delling, *Contraction Hierarchies:
Faster and Simpler Hierarchical Routing in Road Networks*, WEA 2008) removes the nodes of a
graph one by one, least important first, and adds a *shortcut* ``u -> w`` wherever removing
``v`` would lengthen the shortest ``u -> v -> w`` path.  A query then searches forward from
the sources and backward from the targets, each only towards more important nodes, and the
two searches meet at the most important node of a shortest path.  Both the contraction and
the query run in the compiled kernel (``routing/_ch.c``); a shortcut remembers the two arcs
it stands for, so a found path is unpacked into the graph's own arcs.

The answer is exact: the witness searches that decide whether a shortcut is needed are
bounded, so a missed witness adds a superfluous shortcut, never drops a needed one.  A
hierarchy is tied to the weights it was built from; :class:`routing.CostedGraph` builds it
on request (:meth:`routing.CostedGraph.contract`) and drops it with the weights.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from routing._native import load
from routing._scratch import Lender

_kernel = load()

__all__ = ["Hierarchy"]

#: Names and dtypes of the arrays of a hierarchy, in the kernel's order.
_LAYOUT = (
    ("rank", np.int32),
    ("up_ptr", np.int64),
    ("up_head", np.int32),
    ("up_w", np.float64),
    ("up_edge", np.int32),
    ("dn_ptr", np.int64),
    ("dn_tail", np.int32),
    ("dn_w", np.float64),
    ("dn_edge", np.int32),
    ("edge_from", np.int32),
    ("edge_to", np.int32),
    ("edge_first", np.int32),
    ("edge_second", np.int32),
    ("edge_arc", np.int64),
)


@dataclass
class _Workspace:
    """Search state of both directions, lent to one query at a time (the kernel resets it
    after each query)."""

    fdist: np.ndarray
    fpred: np.ndarray
    fflag: np.ndarray
    ftouch: np.ndarray
    bdist: np.ndarray
    bpred: np.ndarray
    bflag: np.ndarray
    btouch: np.ndarray

    @classmethod
    def new(cls, n: int) -> _Workspace:
        def side() -> tuple[np.ndarray, ...]:
            return (
                np.full(n, np.inf),
                np.full(n, -2, dtype=np.int64),
                np.zeros(n, dtype=np.uint8),
                np.zeros(n, dtype=np.int32),
            )

        return cls(*side(), *side())


class Hierarchy:
    """The contraction hierarchy of a CSR graph (``indptr``, ``head``, ``weight``).

    Parameters
    ----------
    indptr, head, weight
        The graph: the arcs out of node ``v`` are positions ``indptr[v]:indptr[v + 1]``
        of ``head`` (their end nodes) and ``weight`` (non-negative, finite).

    Attributes
    ----------
    n_nodes
        Number of nodes.
    n_shortcuts
        Shortcuts added by the contraction.
    """

    def __init__(self, indptr: np.ndarray, head: np.ndarray, weight: np.ndarray) -> None:
        parts = _kernel.ch_build(
            np.ascontiguousarray(indptr, dtype=np.int64),
            np.ascontiguousarray(head, dtype=np.int32),
            np.ascontiguousarray(weight, dtype=np.float64),
        )
        self._a = {
            name: np.frombuffer(raw, dtype=dtype)
            for (name, dtype), raw in zip(_LAYOUT, parts, strict=True)
        }
        self.n_nodes = len(indptr) - 1
        self.n_shortcuts = int((self._a["edge_arc"] < 0).sum())
        self._args = tuple(self._a[name] for name, _ in _LAYOUT[1:])
        self._lender: Lender[_Workspace] = Lender()

    def __getstate__(self) -> dict[str, object]:
        # the lent workspaces are scratch: not pickled, made anew where needed
        state = self.__dict__.copy()
        state["_lender"] = Lender()
        return state

    @property
    def rank(self) -> np.ndarray:
        """Contraction order of each node (0 is contracted first)."""
        return self._a["rank"]

    def query(
        self,
        sources: Sequence[int] | np.ndarray,
        source_costs: Sequence[float] | np.ndarray,
        targets: Sequence[int] | np.ndarray,
        target_costs: Sequence[float] | np.ndarray,
    ) -> tuple[float, int, np.ndarray] | None:
        """The cheapest path from one of ``sources`` (entry costs) to one of ``targets``
        (exit costs): ``(cost, meeting node, arc positions in path order)``, or None if no
        target is reachable.  A path of no arcs (a source that is a target) has the
        meeting node as its only node."""
        # the kernel leaves a workspace as it found it (reset), so the next borrower can
        # take it as it is
        with self._lender.lend(lambda: _Workspace.new(self.n_nodes)) as ws:
            found = _kernel.ch_query(
                *self._args,
                np.ascontiguousarray(sources, dtype=np.int64),
                np.ascontiguousarray(source_costs, dtype=np.float64),
                np.ascontiguousarray(targets, dtype=np.int64),
                np.ascontiguousarray(target_costs, dtype=np.float64),
                ws.fdist,
                ws.fpred,
                ws.fflag,
                ws.ftouch,
                ws.bdist,
                ws.bpred,
                ws.bflag,
                ws.btouch,
            )
        if found is None:
            return None
        cost, meet, arcs = found
        return cost, meet, np.frombuffer(arcs, dtype=np.int64)
