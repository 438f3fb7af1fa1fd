"""Shipment profile: what moves, for whom, when, under which regime."""

from __future__ import annotations

import datetime as dt
import math
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from geodata.errors import InvalidInputError

__all__ = ["CARGO_UNITS", "Shipment", "shipment_defaults"]

CARGO_UNITS = ("20ft", "40ft", "bulk")
#: Departure dates accepted: the rules' dated facts start in the 1970s (TIR parties) and
#: nothing is modelled beyond the planned lines' horizon (~2030); these bounds only keep
#: date arithmetic (arrival = departure + hours) far from the calendar's limits.
FIRST_DATE = dt.date(1950, 1, 1)
LAST_DATE = dt.date(2100, 12, 31)


@cache
def shipment_defaults() -> dict[str, Any]:
    """The shipped defaults (``corridors/data/shipment_defaults.toml``)."""
    with (resources.files("corridors") / "data" / "shipment_defaults.toml").open("rb") as f:
        return tomllib.load(f)


@dataclass(frozen=True)
class Shipment:
    """A shipment profile.

    Attributes
    ----------
    carrier
        ISO 3166-1 alpha-3 country where the truck is registered.
    departure
        Departure date.
    cargo
        ``"20ft"``, ``"40ft"`` or ``"bulk"``.
    tonnes
        Cargo weight for bulk (required then), t.
    value_usd
        Cargo value, USD (value of time and guarantees).
    tir
        Whether the goods move under a TIR carnet.
    value_of_time_pct_per_day
        Value of time, % of cargo value per day; None uses the rules' default.
    backhaul
        The load is a back-haul: the truck runs the return leg of a round trip, and road
        line-haul in countries whose rules give a back-haul factor
        (``linehaul.toml`` ``road.<ISO3>.backhaul_factor``; today only Pakistan's, measured
        up-country → port and applied to every Pakistani road km of the load) is charged at
        that share of the outbound rate.  Elsewhere it changes nothing (the route's
        ``notes`` say so).
    """

    carrier: str
    departure: dt.date
    cargo: str = "20ft"
    tonnes: float | None = None
    value_usd: float = float(shipment_defaults()["value_usd"]["value"])
    tir: bool = True
    value_of_time_pct_per_day: float | None = None
    backhaul: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.carrier, str) or not re.fullmatch(r"[A-Z]{3}", self.carrier):
            raise InvalidInputError(
                f"carrier must be an ISO 3166 alpha-3 code such as UZB, not {self.carrier!r}"
            )
        if not isinstance(self.departure, dt.date):
            raise InvalidInputError("departure must be a date (YYYY-MM-DD)")
        _check_date(self.departure, "departure")
        if self.cargo not in CARGO_UNITS:
            raise InvalidInputError(
                f"unknown cargo {self.cargo!r}; use one of {', '.join(CARGO_UNITS)}"
            )
        if self.cargo == "bulk" and (self.tonnes is None or not self.tonnes > 0):
            raise InvalidInputError("bulk cargo needs a positive weight in tonnes")
        if not (math.isfinite(self.value_usd) and self.value_usd >= 0):
            raise InvalidInputError("cargo value must be a non-negative number of USD")
        if not isinstance(self.backhaul, bool):
            raise InvalidInputError("backhaul must be true or false")
        vot = self.value_of_time_pct_per_day
        if vot is not None and not (math.isfinite(vot) and 0 <= vot <= 100):
            raise InvalidInputError("value of time must be between 0 and 100 % per day")

    def units(self, truckload_t: float) -> tuple[int, int, int]:
        """(TEU, trucks, boxes) the shipment occupies; bulk is loaded ``truckload_t`` a truck."""
        if self.cargo == "bulk":
            n = math.ceil(float(self.tonnes or 0) / truckload_t)
            return n, n, n
        u = shipment_defaults()["boxes_per_unit"][self.cargo]
        return int(u["teu"]), int(u["trucks"]), int(u["boxes"])

    def departure_time(self) -> dt.datetime:
        """Departure instant (UTC) used to check opening hours on the way."""
        hour = int(shipment_defaults()["departure_hour_utc"]["value"])
        return dt.datetime.combine(self.departure, dt.time(hour), tzinfo=dt.UTC)

    @classmethod
    def parse_date(cls, text: str) -> dt.date:
        """Parse ``YYYY-MM-DD``.

        Raises
        ------
        InvalidInputError
            With the expected format.
        """
        try:
            day = dt.date.fromisoformat(text)
        except (TypeError, ValueError):
            raise InvalidInputError(
                f"invalid date {text!r}: write it as YYYY-MM-DD, e.g. 2025-06-01"
            ) from None
        _check_date(day, "date")
        return day


def _check_date(day: dt.date, what: str) -> None:
    if not FIRST_DATE <= day <= LAST_DATE:
        raise InvalidInputError(
            f"{what} {day} is outside the planning range {FIRST_DATE} to {LAST_DATE}"
        )
