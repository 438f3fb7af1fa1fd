"""Search on a costed graph: the engine knows arrays and graphs, not agreements.

``routing`` receives edge arrays (end nodes, a weight per edge, a mask of usable
edges) and answers shortest paths with the edge sequence, so the caller can itemise.
"""

from routing.graph import CostedGraph, Path, best_path, shortest_path

__all__ = ["CostedGraph", "Path", "best_path", "shortest_path"]
