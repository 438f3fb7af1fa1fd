"""Small array helpers shared by the routing modules."""

from __future__ import annotations

import numpy as np


def distinct(values: np.ndarray) -> np.ndarray:
    """The distinct values of ``values``, sorted: ``np.unique`` by one sort, several times
    faster than numpy's hash-based ``unique`` on the short index arrays of a search."""
    out = np.sort(np.asarray(values).reshape(-1))
    keep = np.empty(len(out), dtype=bool)
    keep[:1] = True
    np.not_equal(out[1:], out[:-1], out=keep[1:])
    return out[keep]
