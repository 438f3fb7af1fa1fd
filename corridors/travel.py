"""Plain travel speeds per mode and country (``data/travel_speeds.toml``)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np

from geodata.errors import DataError
from geodata.network import Network
from geodata.schema import EDGE_MODES

__all__ = ["TravelSpeeds", "edge_hours", "load_travel_speeds"]


@dataclass(frozen=True)
class TravelSpeeds:
    """Speed (km/h) per edge mode, with per-country values where sourced."""

    table: dict[str, dict[str, Any]]

    def speed(self, mode: str, country: str) -> float:
        """Speed of ``mode`` in ``country``, km/h (the mode's default where none is given)."""
        entry = self.table[mode]
        item = entry.get(country) or entry["default"]
        return float(item["value"])


@cache
def load_travel_speeds() -> TravelSpeeds:
    """Read and check the shipped speed table.

    Raises
    ------
    DataError
        If a mode is missing, a speed is not positive, or an entry has neither a source
        nor an estimate flag.
    """
    path = resources.files("corridors") / "data" / "travel_speeds.toml"
    with path.open("rb") as f:
        table = tomllib.load(f)
    for mode in ("road", "rail", "ferry", "sea", "transfer", "border"):
        if mode not in table or "default" not in table[mode]:
            raise DataError(f"travel_speeds.toml: mode {mode!r} needs a [{mode}] default")
        for key, item in table[mode].items():
            if key == "unit":
                continue
            if not float(item.get("value", 0)) > 0:
                raise DataError(f"travel_speeds.toml: {mode}.{key} must be a positive speed")
            if not item.get("source") and not item.get("estimate"):
                raise DataError(
                    f"travel_speeds.toml: {mode}.{key} has no source and no estimate flag"
                )
    return TravelSpeeds(table)


def edge_hours(network: Network, speeds: TravelSpeeds | None = None) -> np.ndarray:
    """Moving time of every edge, hours: length / speed of its mode in its country."""
    speeds = speeds or load_travel_speeds()
    out = np.empty(network.n_edges, dtype=np.float64)
    for mi, mode in enumerate(EDGE_MODES):
        sel_mode = network.edge_mode == mi
        for ci, country in enumerate(network.countries):
            sel = sel_mode & (network.edge_country == ci)
            if sel.any():
                out[sel] = network.edge_length_km[sel] / speeds.speed(mode, country)
    return out
