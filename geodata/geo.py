"""Small geodesy helpers shared by the packages (no heavy imports)."""

from __future__ import annotations

import numpy as np

__all__ = ["EARTH_RADIUS_KM", "haversine_km", "unit_vectors"]

#: Mean Earth radius (IUGG), km.
EARTH_RADIUS_KM = 6371.0088


def unit_vectors(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Points on the unit sphere, for nearest-neighbour trees that respect longitude shrink."""
    lo, la = np.radians(lon), np.radians(lat)
    return np.stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)], axis=1)


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance, km."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2 - lon1)
    h = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return float(2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(h)))
