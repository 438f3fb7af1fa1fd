"""What a scenario file may say, validated with pydantic (unknown keys are errors).

A scenario file is TOML::

    [scenario]
    name = "tarp-open"
    title = "Trans-Afghan Railway operational"
    description = "..."
    extends = "baseline"            # optional: start from another scenario

    [scenario.sources.trend_tarp_2025]  # optional: sources the overrides cite
    title = "..."
    url = "https://..."

    [shipment]                      # optional: defaults of every shipment in this scenario
    tir = true

    [[infrastructure]]              # change the status of network lines by name
    match = "Trans-Afghan Railway"
    status = "operational"
    source = "trend_tarp_2025"

    [[closures]]                    # close posts (by key, or every post between two countries)
    between = ["AFG", "PAK"]
    reason = "..."

    [[reopen]]                      # lift closures in force
    posts = ["torkham"]

    [[posts]]                       # change a post's figures
    post = "torkham"
    hours = 48                      # or hours_factor, cost, cost_factor, sigma, seasons

    [[tariffs]]                     # change line-haul rates by mode and country
    mode = "road"
    countries = ["*"]
    factor = 1.2

    [[rights]]                      # grant or withdraw carrier rights
    withdraw = ["uptta-uzb-in-pak"]

    [[set]]                         # any rules key, by file and dotted path
    file = "handling.toml"
    path = "regimes.tir.items.carnet.value"
    value = 150

Every override that changes a number states its ``source`` (a key of the rules' source
catalogue or of ``[scenario.sources]``) or ``reasoning`` (why the figure is assumed).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "ClosureOverride",
    "InfrastructureOverride",
    "PostOverride",
    "ReopenOverride",
    "RightsOverride",
    "ScenarioFile",
    "ScenarioHeader",
    "SetOverride",
    "ShipmentOverride",
    "TariffOverride",
]

Iso3 = str
#: Field changed by a tariff override when none is named, per mode.
DEFAULT_TARIFF_FIELD = {
    "road": "cost_per_truck_km",
    "rail": "cost_per_teu_km",
    "sea": "cost_per_teu_km",
    "ferry": "truck_fare",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class _Cited(_Strict):
    """An override that must say where its figure comes from."""

    source: str | None = None
    sources: tuple[str, ...] = ()
    reasoning: str | None = None
    year: int | None = Field(default=None, gt=1900)

    @model_validator(mode="after")
    def _cited(self) -> _Cited:
        if self.source is None and not self.sources and not self.reasoning:
            raise ValueError("give a source (or sources) or the reasoning behind the figure")
        return self


class SourceEntry(_Strict):
    """A source cited by the scenario's overrides."""

    title: str = Field(min_length=1)
    url: str = Field(pattern=r"^https?://")
    note: str | None = None


class ScenarioHeader(_Strict):
    """``[scenario]``: name, description and what it extends."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str = Field(min_length=1)
    description: str = Field(min_length=1)
    extends: str | None = None
    sources: dict[str, SourceEntry] = Field(default_factory=dict)


class ShipmentOverride(_Strict):
    """``[shipment]``: defaults applied to every shipment routed under the scenario."""

    tir: bool | None = None


class InfrastructureOverride(_Cited):
    """Change the status (and, for rail, the gauge) of the network edges whose name or source
    contains ``match``, with the builder's connectors that belong to them."""

    match: str = Field(min_length=3)
    status: Literal["operational", "under_construction", "planned", "closed"]
    mode: Literal["road", "rail", "ferry", "sea"] | None = None
    gauge_mm: Literal[1435, 1520, 1676] | None = None


class ClosureOverride(_Cited):
    """Close border posts: listed by key, or every listed post between two countries."""

    posts: tuple[str, ...] = ()
    between: tuple[Iso3, Iso3] | None = None
    start: dt.date | dt.datetime = dt.date(1900, 1, 1)
    end: dt.date | dt.datetime | None = None
    reason: str = Field(min_length=1)
    directions: tuple[str, ...] = ()
    modes: tuple[Literal["road", "rail"], ...] = ("road", "rail")

    @model_validator(mode="after")
    def _which(self) -> ClosureOverride:
        if not self.posts and self.between is None:
            raise ValueError("name the posts (posts = [...]) or the countries (between = [A, B])")
        return self


class ReopenOverride(_Strict):
    """Lift closures of posts: those with the given ``ids``; or every closure from
    ``from_date`` on; or, by default, the open-ended closures (those in force with no end)."""

    posts: tuple[str, ...] = ()
    between: tuple[Iso3, Iso3] | None = None
    ids: tuple[str, ...] = ()
    from_date: dt.date | None = None
    reason: str = Field(min_length=1)

    @model_validator(mode="after")
    def _which(self) -> ReopenOverride:
        if not self.posts and self.between is None:
            raise ValueError("name the posts (posts = [...]) or the countries (between = [A, B])")
        return self


class PostOverride(_Cited):
    """Change a border post's figures for some or all of its directions."""

    post: str
    directions: tuple[str, ...] = ()
    hours: float | None = Field(default=None, ge=0)
    hours_factor: float | None = Field(default=None, ge=0)
    cost: float | None = Field(default=None, ge=0)
    cost_factor: float | None = Field(default=None, ge=0)
    sigma: float | None = Field(default=None, ge=0)
    seasons: tuple[dict[str, Any], ...] | None = None

    @model_validator(mode="after")
    def _something(self) -> PostOverride:
        if self.hours is not None and self.hours_factor is not None:
            raise ValueError("give hours or hours_factor, not both")
        if self.cost is not None and self.cost_factor is not None:
            raise ValueError("give cost or cost_factor, not both")
        fields = (self.hours, self.hours_factor, self.cost, self.cost_factor, self.sigma)
        if all(f is None for f in fields) and self.seasons is None:
            raise ValueError("change something: hours, cost, their factors, sigma or seasons")
        return self


class TariffOverride(_Cited):
    """Change line-haul rates (``value`` or ``factor``) by mode and country.

    ``field`` defaults to the mode's rate (:data:`DEFAULT_TARIFF_FIELD`); for rail it is
    applied to every gauge of the country unless ``gauges`` are named.  ``countries = ["*"]``
    means every country with a rate; for sea the countries are ignored; for ferries
    ``routes`` names the lines (default all).
    """

    mode: Literal["road", "rail", "sea", "ferry"]
    countries: tuple[str, ...] = ("*",)
    gauges: tuple[int, ...] = ()
    routes: tuple[str, ...] = ()
    field: str | None = None
    value: float | None = Field(default=None, ge=0)
    factor: float | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _one(self) -> TariffOverride:
        if (self.value is None) == (self.factor is None):
            raise ValueError("give exactly one of value or factor")
        if self.gauges and self.mode != "rail":
            raise ValueError("gauges apply to rail rates only")
        if self.routes and self.mode != "ferry":
            raise ValueError("routes apply to ferry rates only")
        return self


class RightsOverride(_Strict):
    """Grant carrier rights (entries as in carrier_rights.toml) or withdraw them by id."""

    add: tuple[dict[str, Any], ...] = ()
    withdraw: tuple[str, ...] = ()
    reason: str | None = None

    @model_validator(mode="after")
    def _something(self) -> RightsOverride:
        if not self.add and not self.withdraw:
            raise ValueError("add or withdraw at least one right")
        return self


class SetOverride(_Cited):
    """Set (or scale) any value of a rules file by its dotted key path."""

    file: Literal[
        "border_posts.toml",
        "agreements.toml",
        "carrier_rights.toml",
        "linehaul.toml",
        "handling.toml",
        "capacity.toml",
        "emissions.toml",
    ]
    path: str = Field(min_length=1)
    value: Any = None
    factor: float | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _one(self) -> SetOverride:
        if (self.value is None) == (self.factor is None):
            raise ValueError("give exactly one of value or factor")
        return self


class ScenarioFile(_Strict):
    """One scenario file."""

    scenario: ScenarioHeader
    shipment: ShipmentOverride = ShipmentOverride()
    infrastructure: tuple[InfrastructureOverride, ...] = ()
    closures: tuple[ClosureOverride, ...] = ()
    reopen: tuple[ReopenOverride, ...] = ()
    posts: tuple[PostOverride, ...] = ()
    tariffs: tuple[TariffOverride, ...] = ()
    rights: tuple[RightsOverride, ...] = ()
    set: tuple[SetOverride, ...] = ()
