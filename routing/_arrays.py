"""Small array helpers shared by the routing modules."""

from __future__ import annotations

import numpy as np

from geodata.errors import InvalidInputError


def distinct(values: np.ndarray) -> np.ndarray:
    """The distinct values of ``values``, sorted: ``np.unique`` by one sort, several times
    faster than numpy's hash-based ``unique`` on the short index arrays of a search."""
    out = np.sort(np.asarray(values).reshape(-1))
    keep = np.empty(len(out), dtype=bool)
    keep[:1] = True
    np.not_equal(out[1:], out[:-1], out=keep[1:])
    return out[keep]


def indptr(rows: np.ndarray, n: int) -> np.ndarray:
    """CSR row pointers (``n + 1``) of the row id of each entry (counted, so the ids need
    not be sorted; the entries must be, for the pointers to delimit them)."""
    out = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=out[1:])
    return out


def ranges(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``lo[i]:hi[i]`` for every ``i``, concatenated, and where each range begins in that
    concatenation (e.g. the arcs of several CSR rows, and the offsets for ``reduceat``)."""
    size = hi - lo
    first = np.cumsum(size) - size
    return np.repeat(lo - first, size) + np.arange(int(size.sum())), first


def indices(values: np.ndarray, n: int, what: str) -> np.ndarray:
    """``values`` as int64 indices below ``n``; refuses fractions and indices out of range."""
    arr = np.asarray(values).reshape(-1)
    whole = arr.dtype.kind in "iu" or (
        arr.dtype.kind == "f" and bool(np.array_equal(arr, np.floor(arr)))
    )
    if arr.size and not whole:
        raise InvalidInputError(f"{what} indices must be integers")
    arr = arr.astype(np.int64)
    if len(arr) and (arr.min() < 0 or arr.max() >= n):
        raise InvalidInputError(f"{what} out of range 0..{n - 1}")
    return arr
