"""Search on a costed graph: the engine knows arrays and graphs, not agreements.

``routing`` receives edge arrays (end nodes, a weight per edge, a mask of usable
edges) and answers shortest paths with the edge sequence, so the caller can itemise.
:func:`alternatives` gives several genuinely different paths, :func:`pareto_front` every
non-dominated path for two criteria (cost and time, say).  :func:`simulate` and
:func:`simulate_with_schedule` draw a route's duration from its items' hours and dispersions.
"""

from routing.alternatives import MAX_ALTERNATIVES, alternatives
from routing.graph import CostedGraph, Path, best_path, best_paths, shortest_path
from routing.pareto import BiCriteriaGraph, ParetoFront, ParetoPath, pareto_front
from routing.reliability import Step, simulate, simulate_with_schedule, summary

__all__ = [
    "MAX_ALTERNATIVES",
    "BiCriteriaGraph",
    "CostedGraph",
    "ParetoFront",
    "ParetoPath",
    "Path",
    "Step",
    "alternatives",
    "best_path",
    "best_paths",
    "pareto_front",
    "shortest_path",
    "simulate",
    "simulate_with_schedule",
    "summary",
]
