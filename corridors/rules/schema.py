"""Frozen, validated models of the rules files in ``corridors/data/rules``.

Every number in the rules is a :class:`Quantity`: a value with its unit and either a source
(title + URL) and year, or ``estimate = true`` with the reasoning behind it.  Dates of
agreements are :class:`DatedFact` objects with the same provenance rule.  The models check
everything that can be checked inside one file (units, directions, schedule coverage,
overlapping closures, consistency of fallbacks); references between files are checked by
:func:`corridors.rules.load.load_rules`.

Mappings are exposed as read-only :class:`types.MappingProxyType` views and sequences as
tuples, so a loaded :class:`Rules` object cannot be modified by accident.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Annotated, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from geodata.schema import GAUGES_MM

__all__ = [
    "BASES",
    "CAPACITY_UNITS",
    "COUNTRIES",
    "EMISSION_FACTORS",
    "MODES",
    "UNITS",
    "WEEKDAYS",
    "Agreement",
    "AgreementsFile",
    "BorderPostsFile",
    "BorderQuantity",
    "CapacityFile",
    "CarrierRight",
    "CarrierRightsFile",
    "Closure",
    "CountryLevel",
    "DatedFact",
    "Defaults",
    "DelayFunction",
    "DirectionFigures",
    "EmissionFactor",
    "EmissionsFile",
    "Fee",
    "FerryRoute",
    "HandlingFile",
    "HandlingItem",
    "LinehaulFile",
    "Opening",
    "PermitGrant",
    "PortHandling",
    "Post",
    "PostCapacity",
    "Quantity",
    "RailFacts",
    "RailFigures",
    "Regime",
    "RegimeFactor",
    "RoadFigures",
    "RoadObservation",
    "RoadStops",
    "Rules",
    "ScheduleWindow",
    "Sea",
    "Season",
    "SeasonalRoad",
    "Source",
    "SourcesFile",
    "TirParty",
    "Transload",
    "ValueOfTime",
    "parse_hour_range",
]

#: ISO 3166-1 alpha-3 codes the rules may use.
COUNTRIES: tuple[str, ...] = (
    "AFG",
    "AZE",
    "CHN",
    "IND",
    "IRN",
    "KAZ",
    "KGZ",
    "PAK",
    "TJK",
    "TKM",
    "UZB",
)

#: Units a quantity may carry.  ``sigma_ln`` is the standard deviation of the log of a
#: lognormal variable; ``ratio`` is dimensionless; ``box`` is a container of either size.
UNITS: tuple[str, ...] = (
    "h",
    "days",
    "km",
    "m",
    "mm",
    "t",
    "km/h",
    "ratio",
    "sigma_ln",
    "%/day",
    "% of guaranteed amount",
    "USD/truck",
    "USD/truck-km",
    "USD/TEU-km",
    "USD/20ft-km",
    "USD/500km/20t",
    "USD/box",
    "USD/20ft",
    "USD/40ft",
    "USD/FEU",
    "USD/wagon",
    "USD/carnet",
    "trucks/day",
    "wagonloads/week",
    "Mt/yr",
    "wagons/day",
    "t/day",
    "t/truck",
    "t/box",
    "TEU/truck",
    "USD/t",
    "days/yr",
    "kg CO2e/t-km",
    "USD/truck-h",
    "h/km",
)

#: Weekday names used by schedules, Monday first (``datetime.date.weekday()`` order).
WEEKDAYS: tuple[str, ...] = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

#: Transport modes a border post can serve.
MODES: tuple[str, ...] = ("road", "rail")

#: Where a border-crossing figure comes from (see border_posts.toml).
BASES: tuple[str, ...] = (
    "post",
    "post_other_side",
    "post_other_direction",
    "country_fallback",
)

_MINUTES_PER_DAY = 24 * 60
_HOUR_RANGE = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
_MONTH_DAY = re.compile(r"^(\d{2})-(\d{2})$")
# Any leap year: month-day strings are validated against it so that "02-29" is accepted.
_LEAP_YEAR = 2000

K = TypeVar("K")
V = TypeVar("V")


# --------------------------------------------------------------------------------------------
# Field types
# --------------------------------------------------------------------------------------------
def _check_country(value: str) -> str:
    if value not in COUNTRIES:
        raise ValueError(f"unknown country code {value!r}; known: {', '.join(COUNTRIES)}")
    return value


def _check_unit(value: str) -> str:
    if value not in UNITS:
        raise ValueError(f"unknown unit {value!r}; known: {', '.join(UNITS)}")
    return value


def _check_direction(value: str) -> str:
    parts = value.split("->")
    if len(parts) != 2:
        raise ValueError(f"direction {value!r} is not of the form 'AAA->BBB'")
    for part in parts:
        _check_country(part)
    if parts[0] == parts[1]:
        raise ValueError(f"direction {value!r} goes nowhere")
    return value


def _check_post_key(value: str) -> str:
    if not re.fullmatch(r"[a-z][a-z0-9-]*", value):
        raise ValueError(f"post key {value!r} must be lower-case letters, digits and '-'")
    return value


def parse_hour_range(value: str) -> tuple[int, int]:
    """Parse ``"HH:MM-HH:MM"`` into minutes after midnight, ``(start, end)``.

    ``24:00`` is allowed as an end.  Raises :class:`ValueError` on a malformed or empty range.

    Examples
    --------
    >>> parse_hour_range("08:00-18:00")
    (480, 1080)
    """
    match = _HOUR_RANGE.match(value)
    if not match:
        raise ValueError(f"hour range {value!r} is not of the form 'HH:MM-HH:MM'")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if m1 >= 60 or m2 >= 60 or start >= _MINUTES_PER_DAY or end > _MINUTES_PER_DAY:
        raise ValueError(f"hour range {value!r} is not a time of day")
    if end <= start:
        raise ValueError(f"hour range {value!r} ends before it starts")
    return start, end


def _check_hour_range(value: str) -> str:
    parse_hour_range(value)
    return value


def _parse_month_day(value: str) -> tuple[int, int]:
    match = _MONTH_DAY.match(value)
    if not match:
        raise ValueError(f"{value!r} is not of the form 'MM-DD'")
    month, day = int(match.group(1)), int(match.group(2))
    dt.date(_LEAP_YEAR, month, day)  # raises ValueError for impossible dates
    return month, day


def _check_month_day(value: str) -> str:
    _parse_month_day(value)
    return value


def _freeze(value: Mapping[K, V]) -> Mapping[K, V]:
    return MappingProxyType(dict(value))


Iso3 = Annotated[str, AfterValidator(_check_country)]
Unit = Annotated[str, AfterValidator(_check_unit)]
Direction = Annotated[str, AfterValidator(_check_direction)]
PostKey = Annotated[str, AfterValidator(_check_post_key)]
HourRange = Annotated[str, AfterValidator(_check_hour_range)]
MonthDay = Annotated[str, AfterValidator(_check_month_day)]
Weekday = Literal["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
Mode = Literal["road", "rail"]
NonEmpty = Annotated[str, Field(min_length=1)]
Url = Annotated[str, Field(pattern=r"^https?://\S+$")]
#: A read-only mapping (validated as a dict, exposed as a ``MappingProxyType``).
FrozenMap = Annotated[Mapping[K, V], AfterValidator(_freeze)]


def _in_range(day: dt.date, start: dt.date | None, end: dt.date | None) -> bool:
    return (start is None or start <= day) and (end is None or day <= end)


def _check_order(start: dt.date | None, end: dt.date | None, what: str) -> None:
    if start is not None and end is not None and end < start:
        raise ValueError(f"{what} ends ({end}) before it starts ({start})")


# --------------------------------------------------------------------------------------------
# Provenance and quantities
# --------------------------------------------------------------------------------------------
class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Source(_Frozen):
    """A cited page: its title and URL (``key`` is its id in ``sources.toml``)."""

    key: str | None = None
    title: NonEmpty
    url: Url
    note: str | None = None

    def cite(self) -> str:
        """Return ``"title <url>"``."""
        return f"{self.title} <{self.url}>"


class _Provenance(_Frozen):
    """Mixin: a fact is either sourced or an estimate with its reasoning."""

    source: Source | None = None
    sources: tuple[Source, ...] = ()
    estimate: bool = False
    reasoning: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _check_provenance(self) -> _Provenance:
        if self.estimate:
            if not (self.reasoning and self.reasoning.strip()):
                raise ValueError("an estimate needs a 'reasoning'")
        elif self.source is None and not self.sources:
            raise ValueError(
                "needs a 'source' (title + url) or 'estimate = true' with a 'reasoning'"
            )
        return self

    @property
    def all_sources(self) -> tuple[Source, ...]:
        """The single ``source`` followed by ``sources``."""
        return ((self.source,) if self.source is not None else ()) + self.sources

    def provenance(self) -> str:
        """One-line provenance: the citations, prefixed by the reasoning for an estimate."""
        cites = "; ".join(s.cite() for s in self.all_sources)
        if self.estimate:
            return f"ESTIMATE: {self.reasoning}" + (f" [basis: {cites}]" if cites else "")
        return cites


class Quantity(_Provenance):
    """A number with its unit and provenance.

    Sourced values need the ``year`` the figure refers to.  ``low``/``high`` give a range
    around ``value`` when the source gives one; ``derivation`` states any arithmetic.
    """

    value: float = Field(ge=0)
    unit: Unit
    year: int | None = Field(default=None, gt=0)
    derivation: str | None = None
    low: float | None = Field(default=None, ge=0)
    high: float | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _check_quantity(self) -> Quantity:
        if not self.estimate and self.year is None:
            raise ValueError("a sourced value needs the 'year' it refers to")
        if self.low is not None and self.low > self.value:
            raise ValueError(f"low ({self.low}) is above value ({self.value})")
        if self.high is not None and self.high < self.value:
            raise ValueError(f"high ({self.high}) is below value ({self.value})")
        return self


class BorderQuantity(Quantity):
    """A crossing time or cost, with where it comes from (:data:`BASES`)."""

    basis: Literal["post", "post_other_side", "post_other_direction", "country_fallback"] = "post"
    basis_country: Iso3 | None = None

    @model_validator(mode="after")
    def _check_basis(self) -> BorderQuantity:
        if (self.basis == "country_fallback") != (self.basis_country is not None):
            raise ValueError("'basis_country' is required with, and only with, country_fallback")
        if self.basis == "post_other_direction" and not self.estimate:
            raise ValueError("a figure transferred from the other direction is an estimate")
        return self


class Fee(Quantity):
    """A named charge that applies to some carriers, directions or dates only."""

    name: NonEmpty
    carriers: tuple[Iso3, ...] = ()
    directions: tuple[Direction, ...] = ()
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None

    @model_validator(mode="after")
    def _check_validity(self) -> Fee:
        _check_order(self.valid_from, self.valid_until, "fee")
        return self

    def applies(self, day: dt.date, *, carrier: str | None = None) -> bool:
        """Whether the fee is charged on ``day`` to a truck registered in ``carrier``.

        A fee that lists ``carriers`` is charged to those carriers only (not when the carrier
        is unknown); a fee without ``carriers`` is charged to every truck.
        """
        if not _in_range(day, self.valid_from, self.valid_until):
            return False
        return not self.carriers or carrier in self.carriers


class DatedFact(_Provenance):
    """A date with its provenance (signature, entry into force, opening...)."""

    date: dt.date


# --------------------------------------------------------------------------------------------
# Border posts
# --------------------------------------------------------------------------------------------
class DirectionFigures(_Frozen):
    """Crossing time and cost of one direction of a post."""

    hours: BorderQuantity
    cost: BorderQuantity
    sigma: Quantity | None = None
    alternatives: tuple[Quantity, ...] = ()
    fees: tuple[Fee, ...] = ()

    @model_validator(mode="after")
    def _check_units(self) -> DirectionFigures:
        if self.hours.unit != "h":
            raise ValueError(f"hours must be in 'h', not {self.hours.unit!r}")
        if self.cost.unit != "USD/truck":
            raise ValueError(f"cost must be in 'USD/truck', not {self.cost.unit!r}")
        if self.sigma is not None and self.sigma.unit != "sigma_ln":
            raise ValueError(f"sigma must be in 'sigma_ln', not {self.sigma.unit!r}")
        return self


class ScheduleWindow(_Provenance):
    """Opening days and hours (local time) valid over a date range, for some directions."""

    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    directions: tuple[Direction, ...] = ()
    days: tuple[Weekday, ...] = Field(min_length=1)
    hours: tuple[HourRange, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _check_window(self) -> ScheduleWindow:
        _check_order(self.valid_from, self.valid_until, "schedule window")
        spans = sorted(parse_hour_range(h) for h in self.hours)
        for (_, end), (start, _) in itertools.pairwise(spans):
            if start < end:
                raise ValueError(f"opening hours {self.hours} overlap")
        return self

    def applies(self, direction: str, day: dt.date) -> bool:
        """Whether this window governs ``direction`` on ``day``."""
        return (not self.directions or direction in self.directions) and _in_range(
            day, self.valid_from, self.valid_until
        )

    def minute_spans(self) -> tuple[tuple[int, int], ...]:
        """Opening hours as sorted ``(start, end)`` minutes after midnight."""
        return tuple(sorted(parse_hour_range(h) for h in self.hours))

    def describe(self) -> str:
        """E.g. ``"Mon Tue Wed Thu Fri 08:00-18:00"``."""
        return f"{' '.join(self.days)} {', '.join(self.hours)}"


class Season(_Provenance):
    """An annual open window (inclusive ``MM-DD``) valid over a date range."""

    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    open_from: MonthDay
    open_until: MonthDay

    @model_validator(mode="after")
    def _check_season(self) -> Season:
        _check_order(self.valid_from, self.valid_until, "season rule")
        return self

    def governs(self, day: dt.date) -> bool:
        """Whether the season rule is in force on ``day``."""
        return _in_range(day, self.valid_from, self.valid_until)

    def open_on(self, day: dt.date) -> bool:
        """Whether ``day`` falls inside the annual open window (windows may wrap the year)."""
        start, end = _parse_month_day(self.open_from), _parse_month_day(self.open_until)
        key = (day.month, day.day)
        if start <= end:
            return start <= key <= end
        return key >= start or key <= end


class Opening(_Provenance):
    """A dated exception to a season: the post opened although the season rule says closed."""

    start: dt.date
    end: dt.date
    reason: NonEmpty

    @model_validator(mode="after")
    def _check_opening(self) -> Opening:
        _check_order(self.start, self.end, "opening")
        return self


class Closure(_Provenance):
    """A dated closure.

    ``start`` is the first closed day (or instant); ``end`` is the last closed day when it is a
    date, or the reopening instant when it is a date-time.  Without ``end`` the closure is
    open-ended and must say so (``open_ended = true``) with the date it was last confirmed.
    """

    id: str | None = None
    posts: tuple[PostKey, ...] = ()
    start: dt.datetime | dt.date
    end: dt.datetime | dt.date | None = None
    open_ended: bool = False
    last_confirmed: dt.date | None = None
    reason: NonEmpty
    directions: tuple[Direction, ...] = ()
    modes: tuple[Mode, ...] = ("road", "rail")

    @model_validator(mode="after")
    def _check_closure(self) -> Closure:
        for value in (self.start, self.end):
            if isinstance(value, dt.datetime) and value.tzinfo is not None:
                raise ValueError("closure times are local to the post: give them without offset")
        if self.end is None and not self.open_ended:
            raise ValueError("a closure without 'end' needs 'open_ended = true'")
        if self.end is not None and self.open_ended:
            raise ValueError("an open-ended closure has no 'end'")
        if self.open_ended and self.last_confirmed is None:
            raise ValueError("an open-ended closure needs 'last_confirmed' (date of latest report)")
        start, end = self.interval()
        if end is not None and end <= start:
            raise ValueError(f"closure ends ({self.end}) before it starts ({self.start})")
        return self

    def interval(self) -> tuple[dt.datetime, dt.datetime | None]:
        """The closure as a half-open local interval ``[start, end)``; ``end`` None = open."""
        return _as_start(self.start), (None if self.end is None else _as_end(self.end))

    def applies(self, direction: str, mode: str) -> bool:
        """Whether the closure concerns ``direction`` and ``mode``."""
        return (not self.directions or direction in self.directions) and mode in self.modes

    def label(self) -> str:
        """E.g. ``"2023-02-19 – 2023-02-24"`` or ``"2025-10-12 – open-ended"``."""
        if self.end is None:
            return f"{self.start} – open-ended (last confirmed {self.last_confirmed})"
        return f"{self.start} – {self.end}"


def _as_start(value: dt.datetime | dt.date) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.combine(value, dt.time.min)


def _as_end(value: dt.datetime | dt.date) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.combine(value + dt.timedelta(days=1), dt.time.min)


class RailFacts(_Provenance):
    """Rail at a border post: gauge, status, charges and other figures."""

    status: Literal["operational", "under_construction", "planned", "closed"]
    description: NonEmpty
    gauge_mm: Quantity
    charges: tuple[Fee, ...] = ()
    facts: FrozenMap[str, Quantity] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check_gauge(self) -> RailFacts:
        if self.gauge_mm.unit != "mm" or int(self.gauge_mm.value) not in GAUGES_MM[1:]:
            raise ValueError(f"gauge {self.gauge_mm.value} mm is not one of {GAUGES_MM[1:]}")
        return self


class Post(_Frozen):
    """A border crossing point with its two directions."""

    key: PostKey
    name: NonEmpty
    alt_names: tuple[str, ...] = ()
    countries: tuple[Iso3, Iso3]
    timezone: NonEmpty
    modes: tuple[Mode, ...] = Field(min_length=1)
    notes: str | None = None
    sources: tuple[Source, ...] = Field(min_length=1)
    operational_from: DatedFact | None = None
    directions: FrozenMap[Direction, DirectionFigures]
    sigma: Quantity | None = None
    schedule: tuple[ScheduleWindow, ...] = Field(min_length=1)
    seasons: tuple[Season, ...] = ()
    openings: tuple[Opening, ...] = ()
    closures: tuple[Closure, ...] = ()
    rail: RailFacts | None = None
    facts: FrozenMap[str, Quantity] = Field(default_factory=dict)

    @property
    def direction_keys(self) -> tuple[str, str]:
        """The two directions, ``"A->B"`` and ``"B->A"``."""
        a, b = self.countries
        return f"{a}->{b}", f"{b}->{a}"

    @model_validator(mode="after")
    def _check_post(self) -> Post:
        if self.countries[0] == self.countries[1]:
            raise ValueError("a border post joins two different countries")
        expected = set(self.direction_keys)
        if set(self.directions) != expected:
            raise ValueError(
                f"directions must be exactly {sorted(expected)}, got {sorted(self.directions)}"
            )
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {self.timezone!r}") from None
        if ("rail" in self.modes) != (self.rail is not None):
            raise ValueError("a post with mode 'rail' needs a [rail] table, and only then")
        self._check_directions_used(expected)
        self._check_schedule_coverage()
        self._check_closures()
        return self

    def _check_directions_used(self, expected: set[str]) -> None:
        used: list[str] = []
        for window in self.schedule:
            used.extend(window.directions)
        for closure in self.closures:
            used.extend(closure.directions)
        for figures in self.directions.values():
            for fee in figures.fees:
                used.extend(fee.directions)
        unknown = sorted(set(used) - expected)
        if unknown:
            raise ValueError(f"unknown direction(s) {unknown}; this post has {sorted(expected)}")

    def _check_schedule_coverage(self) -> None:
        for direction in self.direction_keys:
            windows = sorted(
                (w for w in self.schedule if not w.directions or direction in w.directions),
                key=lambda w: w.valid_from or dt.date.min,
            )
            if not windows:
                raise ValueError(f"no schedule window covers {direction}")
            if windows[0].valid_from is not None:
                raise ValueError(
                    f"schedule for {direction} starts on {windows[0].valid_from}; the first "
                    "window must have no 'valid_from'"
                )
            if windows[-1].valid_until is not None:
                raise ValueError(
                    f"schedule for {direction} ends on {windows[-1].valid_until}; the last "
                    "window must have no 'valid_until'"
                )
            for prev, nxt in itertools.pairwise(windows):
                if (
                    prev.valid_until is None
                    or nxt.valid_from is None
                    or nxt.valid_from != prev.valid_until + dt.timedelta(days=1)
                ):
                    raise ValueError(
                        f"schedule windows for {direction} leave a gap or overlap between "
                        f"{prev.valid_until} and {nxt.valid_from}"
                    )

    def _check_closures(self) -> None:
        for closure in self.closures:
            if closure.posts:
                raise ValueError("a closure inside a post must not list 'posts'")
        items = sorted(self.closures, key=lambda c: c.interval()[0])
        for i, first in enumerate(items):
            _, end1 = first.interval()
            for second in items[i + 1 :]:
                start2, _ = second.interval()
                if end1 is not None and start2 >= end1:
                    break
                if not _closures_share_scope(first, second, self.direction_keys):
                    continue
                raise ValueError(
                    f"closures {first.id or first.label()!r} ({first.label()}) and "
                    f"{second.id or second.label()!r} ({second.label()}) overlap"
                )

    def figures(self, direction: str) -> DirectionFigures:
        """Time and cost figures for ``direction`` (``KeyError`` if not a direction)."""
        return self.directions[direction]


def _closures_share_scope(a: Closure, b: Closure, directions: tuple[str, str]) -> bool:
    dirs_a = set(a.directions or directions)
    dirs_b = set(b.directions or directions)
    return bool(dirs_a & dirs_b) and bool(set(a.modes) & set(b.modes))


class CountryLevel(_Frozen):
    """Country-level CPMM road border figures (TFI1 hours, TFI2 cost) of the latest year."""

    hours: Quantity
    cost: Quantity


class RegimeFactor(_Frozen):
    """Multipliers on crossing time and cost for shipments under a regime (e.g. TIR)."""

    hours: Quantity
    cost: Quantity


class ListedOnly(_Provenance):
    """Country pairs whose freight crossings are all listed posts.

    A road or railway that crosses such a border elsewhere on the map (a mountain pass, a
    local crossing) carries no freight: the cost model leaves it out.
    """

    pairs: tuple[str, ...] = Field(min_length=1)

    @field_validator("pairs")
    @classmethod
    def _pairs(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for pair in value:
            a, _, b = pair.partition("-")
            _check_country(a)
            _check_country(b)
        return value


class Defaults(_Frozen):
    """Defaults that apply to every post unless a post overrides them."""

    fallback_rule: NonEmpty
    sigma: Quantity
    regime_factors: FrozenMap[str, RegimeFactor] = Field(default_factory=dict)
    listed_only: ListedOnly | None = None


class BorderPostsFile(_Frozen):
    """``border_posts.toml``."""

    schema_version: Literal[1]
    defaults: Defaults
    country_level: FrozenMap[Iso3, CountryLevel]
    closures: tuple[Closure, ...] = ()
    posts: FrozenMap[PostKey, Post]

    @model_validator(mode="after")
    def _check_fallbacks(self) -> BorderPostsFile:
        for post in self.posts.values():
            for direction, figures in post.directions.items():
                for name in ("hours", "cost"):
                    q: BorderQuantity = getattr(figures, name)
                    if q.basis != "country_fallback":
                        continue
                    level = self.country_level.get(q.basis_country or "")
                    if level is None:
                        raise ValueError(
                            f"posts.{post.key}.directions.{direction}.{name}: no country_level "
                            f"entry for {q.basis_country}"
                        )
                    ref: Quantity = getattr(level, name)
                    if (ref.value, ref.year) != (q.value, q.year):
                        raise ValueError(
                            f"posts.{post.key}.directions.{direction}.{name}: fallback "
                            f"{q.value} ({q.year}) differs from country_level.{q.basis_country}"
                            f" {ref.value} ({ref.year})"
                        )
        return self


# --------------------------------------------------------------------------------------------
# Agreements
# --------------------------------------------------------------------------------------------
class PermitGrant(_Frozen):
    """What an agreement permits on paper: carriers of some parties in some countries."""

    carriers: tuple[Iso3, ...] = Field(min_length=1)
    countries: tuple[Iso3, ...] = Field(min_length=1)
    scope: NonEmpty
    conditions: tuple[str, ...] = ()


class TirParty(_Frozen):
    """A TIR contracting party: accession, entry into force, first operation."""

    acceded: DatedFact | None = None
    in_force: DatedFact
    operational: DatedFact | None = None


class Agreement(_Frozen):
    """A transit agreement, road transport agreement, customs regime or arrangement."""

    key: NonEmpty
    name: NonEmpty
    kind: Literal[
        "bilateral_transit",
        "multilateral_transit",
        "road_transport",
        "customs_transit",
        "arrangement",
    ]
    parties: tuple[Iso3, ...] = Field(min_length=1)
    signed: DatedFact | None = None
    ratified: DatedFact | None = None
    in_force: DatedFact
    amended: DatedFact | None = None
    ended: DatedFact | None = None
    posts: tuple[PostKey, ...] = ()
    ports: tuple[str, ...] = ()
    provisions: tuple[str, ...] = ()
    permits: tuple[PermitGrant, ...] = ()
    sources: tuple[Source, ...] = ()
    tir_parties: FrozenMap[Iso3, TirParty] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check_agreement(self) -> Agreement:
        if not self.sources and not self.in_force.estimate:
            raise ValueError("an agreement needs 'sources' unless its dates are estimates")
        if self.signed is not None and self.in_force.date < self.signed.date:
            raise ValueError(
                f"in force ({self.in_force.date}) before signature ({self.signed.date})"
            )
        if self.ended is not None and self.ended.date < self.in_force.date:
            raise ValueError("ended before it entered into force")
        return self

    def in_force_on(self, day: dt.date) -> bool:
        """Whether the agreement applies on ``day``."""
        end = None if self.ended is None else self.ended.date
        return _in_range(day, self.in_force.date, end)


class AgreementsFile(_Frozen):
    """``agreements.toml``."""

    schema_version: Literal[1]
    agreements: FrozenMap[str, Agreement]


# --------------------------------------------------------------------------------------------
# Carrier rights
# --------------------------------------------------------------------------------------------
class CarrierRight(_Provenance):
    """Whether trucks registered in ``carriers`` may run in ``countries`` over a date range."""

    id: NonEmpty
    effect: Literal["allow", "deny"]
    carriers: tuple[Iso3, ...] = Field(min_length=1)
    countries: tuple[Iso3, ...] = Field(min_length=1)
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    requires_tir: bool = False
    basis: str | None = None
    conditions: tuple[str, ...] = ()
    reason: NonEmpty
    transload_at: tuple[PostKey, ...] = ()

    @model_validator(mode="after")
    def _check_right(self) -> CarrierRight:
        _check_order(self.valid_from, self.valid_until, "right")
        if self.effect == "allow" and not self.basis:
            raise ValueError("an 'allow' right needs a 'basis' (agreement key or 'practice')")
        if self.effect == "allow" and self.transload_at:
            raise ValueError("'transload_at' belongs to 'deny' rights")
        return self

    def matches(self, carrier: str, country: str, day: dt.date, *, tir: bool) -> bool:
        """Whether the right speaks about ``carrier`` in ``country`` on ``day``."""
        return (
            carrier in self.carriers
            and country in self.countries
            and _in_range(day, self.valid_from, self.valid_until)
            and (tir or not self.requires_tir)
        )


class Transload(_Provenance):
    """Where goods change trucks (or trailers) at a post instead of continuing."""

    id: NonEmpty
    post: PostKey
    kind: Literal["truck_to_truck", "trailer_swap", "destuff_restuff", "warehouse"]
    handling: NonEmpty
    from_carriers: tuple[Iso3, ...] = Field(min_length=1)
    to_carriers: tuple[Iso3, ...] = Field(min_length=1)
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    location: NonEmpty
    reason: NonEmpty

    @model_validator(mode="after")
    def _check_transload(self) -> Transload:
        _check_order(self.valid_from, self.valid_until, "transload")
        return self

    def valid_on(self, day: dt.date) -> bool:
        """Whether the transload rule applies on ``day``."""
        return _in_range(day, self.valid_from, self.valid_until)


class CarrierRightsFile(_Frozen):
    """``carrier_rights.toml``."""

    schema_version: Literal[1]
    default_reason: NonEmpty
    rights: tuple[CarrierRight, ...] = Field(min_length=1)
    transloads: tuple[Transload, ...] = ()

    @model_validator(mode="after")
    def _check_ids(self) -> CarrierRightsFile:
        for name, items in (("rights", self.rights), ("transloads", self.transloads)):
            seen: set[str] = set()
            for item in items:
                if item.id in seen:
                    raise ValueError(f"duplicate {name} id {item.id!r}")
                seen.add(item.id)
        return self


# --------------------------------------------------------------------------------------------
# Line-haul
# --------------------------------------------------------------------------------------------
#: Rounding tolerance (h/km) between a stated stop allowance and its derivation.
_STOP_ROUNDING_H_PER_KM = 5e-5


class RoadStops(_Frozen):
    """The non-border stops inside CPMM's speed with delay, per km.

    CPMM's speed with delay (SWD) divides a section's length by its whole time, border
    crossings included; the speed without delay (SWOD) by its moving time.  Border time is
    charged per post by the cost model, so the line-haul keeps only the rest of the delay:
    ``hours_per_km = max(0, 1/SWD - 1/SWOD - border_hours / section_km)``, where
    ``border_hours`` is the CPMM TFI1 of one crossing and ``section_km`` the length of the
    CPMM section that crossing belongs to.  Countries without CPMM figures give
    ``hours_per_km`` alone, as an estimate with its reasoning.
    """

    section_km: Quantity | None = None
    border_hours: Quantity | None = None
    hours_per_km: Quantity

    @model_validator(mode="after")
    def _check_units(self) -> RoadStops:
        for name, unit in (("section_km", "km"), ("border_hours", "h"), ("hours_per_km", "h/km")):
            q = getattr(self, name)
            if q is not None and q.unit != unit:
                raise ValueError(f"stops.{name} must be in {unit!r}")
        if (self.section_km is None) != (self.border_hours is None):
            raise ValueError("stops: give both section_km and border_hours, or neither")
        if self.section_km is None and not self.hours_per_km.estimate:
            raise ValueError("stops.hours_per_km without its derivation must be an estimate")
        if self.section_km is not None and self.section_km.value <= 0:
            raise ValueError("stops.section_km must be positive")
        return self


class RoadFigures(_Frozen):
    """Road line-haul of one country (CPMM TFI3, SWD, SWOD and the non-border stops).

    Line-haul time is ``km / SWOD + km * stops.hours_per_km``: moving time plus the
    non-border part of CPMM's delay (border crossings are charged per post).
    """

    tfi3: Quantity
    cost_per_truck_km: Quantity
    speed_with_delay: Quantity
    speed_without_delay: Quantity
    stops: RoadStops
    backhaul_factor: Quantity | None = None
    notes: str | None = None

    @model_validator(mode="after")
    def _check_stops(self) -> RoadFigures:
        swd, swod = self.speed_with_delay.value, self.speed_without_delay.value
        if not 0 < swd < swod:
            raise ValueError(
                f"speed_with_delay ({swd}) must be positive and below speed_without_delay ({swod})"
            )
        st = self.stops
        if st.section_km is None or st.border_hours is None:
            return self
        delay, border = 1 / swd - 1 / swod, st.border_hours.value
        if st.section_km.value < border / delay:
            raise ValueError(
                f"stops.section_km ({st.section_km.value} km) is too short: one crossing of "
                f"{border} h on it alone is slower than CPMM's speed with delay ({swd} km/h); "
                f"it must be at least {border / delay:.0f} km"
            )
        want = max(0.0, delay - border / st.section_km.value)
        if abs(st.hours_per_km.value - want) > _STOP_ROUNDING_H_PER_KM:
            raise ValueError(
                f"stops.hours_per_km ({st.hours_per_km.value}) differs from its derivation "
                f"max(0, 1/{swd} - 1/{swod} - {st.border_hours.value}/{st.section_km.value}) "
                f"= {want:.5f}"
            )
        return self

    def hours_per_km(self) -> float:
        """Line-haul hours per km: moving time plus the non-border stops."""
        return 1.0 / self.speed_without_delay.value + self.stops.hours_per_km.value


class RailFigures(_Frozen):
    """Rail line-haul of one country and gauge."""

    gauge_mm: Quantity
    tfi3: Quantity | None = None
    cost_per_teu_km: Quantity
    speed_with_delay: Quantity
    speed_without_delay: Quantity
    special_rates: FrozenMap[str, Quantity] = Field(default_factory=dict)
    facts: FrozenMap[str, Quantity] = Field(default_factory=dict)
    notes: str | None = None


class FerryRoute(_Frozen):
    """A Caspian ferry line."""

    name: NonEmpty
    ports: tuple[str, str]
    truck_fare: Quantity
    teu_fare: Quantity | None = None
    wagon_fare: Quantity | None = None
    sailing_hours: Quantity
    wait_hours: Quantity
    alternatives: tuple[Quantity, ...] = ()
    disruption: FrozenMap[str, Quantity] = Field(default_factory=dict)
    facts: FrozenMap[str, Quantity] = Field(default_factory=dict)


class Sea(_Frozen):
    """Sea freight defaults."""

    cost_per_teu_km: Quantity
    speed: Quantity
    facts: FrozenMap[str, Quantity] = Field(default_factory=dict)


class RoadObservation(_Provenance):
    """An observed opening (and closing, if known) of a seasonal road."""

    opened: dt.date
    closed: dt.date | None = None

    @model_validator(mode="after")
    def _check_observation(self) -> RoadObservation:
        _check_order(self.opened, self.closed, "observed season")
        return self


class SeasonalRoad(_Frozen):
    """A road that closes in winter."""

    name: NonEmpty
    ref: NonEmpty
    country: Iso3
    notes: str | None = None
    sources: tuple[Source, ...] = Field(min_length=1)
    seasons: tuple[Season, ...] = Field(min_length=1)
    observed: tuple[RoadObservation, ...] = ()


class LinehaulFile(_Frozen):
    """``linehaul.toml``."""

    schema_version: Literal[1]
    conversions: FrozenMap[str, Quantity]
    road: FrozenMap[Iso3, RoadFigures]
    rail: FrozenMap[Iso3, FrozenMap[str, RailFigures]]
    ferries: FrozenMap[str, FerryRoute]
    sea: Sea
    seasonal_roads: FrozenMap[str, SeasonalRoad] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check_gauges(self) -> LinehaulFile:
        for country, by_gauge in self.rail.items():
            for key, figures in by_gauge.items():
                if not key.isdigit() or int(key) not in GAUGES_MM[1:]:
                    raise ValueError(
                        f"rail.{country}.{key}: gauge key must be one of {GAUGES_MM[1:]}"
                    )
                if int(figures.gauge_mm.value) != int(key):
                    raise ValueError(
                        f"rail.{country}.{key}: gauge_mm {figures.gauge_mm.value} differs from key"
                    )
        return self


# --------------------------------------------------------------------------------------------
# Handling
# --------------------------------------------------------------------------------------------
class HandlingItem(_Frozen):
    """A handling operation with its cost and time."""

    name: NonEmpty
    cost: Quantity
    hours: Quantity
    notes: str | None = None
    alternatives: tuple[Quantity, ...] = ()
    facts: FrozenMap[str, Quantity] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check_hours(self) -> HandlingItem:
        if self.hours.unit != "h":
            raise ValueError(f"hours must be in 'h', not {self.hours.unit!r}")
        return self


class PortHandling(_Frozen):
    """Port handling tariffs and dwell time."""

    name: NonEmpty
    country: Iso3
    notes: str | None = None
    sources: tuple[Source, ...] = Field(min_length=1)
    dwell_hours: Quantity
    tariffs: FrozenMap[str, Quantity]
    facts: FrozenMap[str, Quantity] = Field(default_factory=dict)


class Regime(_Frozen):
    """Costs of a transit regime."""

    name: NonEmpty
    notes: str | None = None
    items: FrozenMap[str, Quantity]


class ValueOfTime(_Frozen):
    """Value of time as a share of cargo value per day."""

    default: Quantity
    alternatives: FrozenMap[str, Quantity] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check_unit(self) -> ValueOfTime:
        for q in (self.default, *self.alternatives.values()):
            if q.unit != "%/day":
                raise ValueError(f"value of time must be in '%/day', not {q.unit!r}")
        return self


class HandlingFile(_Frozen):
    """``handling.toml``."""

    schema_version: Literal[1]
    transloads: FrozenMap[str, HandlingItem]
    gauge_changes: FrozenMap[str, HandlingItem]
    terminals: FrozenMap[str, HandlingItem]
    ports: FrozenMap[str, PortHandling]
    regimes: FrozenMap[str, Regime]
    misc: FrozenMap[str, HandlingItem] = Field(default_factory=dict)
    value_of_time: ValueOfTime

    @model_validator(mode="after")
    def _check_gauge_keys(self) -> HandlingFile:
        for key in self.gauge_changes:
            parts = key.split("-")
            if (
                len(parts) != 2
                or not all(p.isdigit() and int(p) in GAUGES_MM[1:] for p in parts)
                or int(parts[0]) >= int(parts[1])
            ):
                raise ValueError(
                    f"gauge_changes.{key}: key must be '<smaller>-<larger>' gauges of "
                    f"{GAUGES_MM[1:]}"
                )
        return self


class SourcesFile(_Frozen):
    """``sources.toml``."""

    schema_version: Literal[1]
    sources: FrozenMap[str, Source]


# --------------------------------------------------------------------------------------------
# Capacity and emissions
# --------------------------------------------------------------------------------------------
#: Unit of a border post's capacity per mode.
CAPACITY_UNITS: Mapping[str, str] = MappingProxyType({"road": "trucks/day", "rail": "t/day"})


class PostCapacity(_Frozen):
    """Two-way throughput capacity of one border post, per mode."""

    road: Quantity | None = None
    rail: Quantity | None = None

    @model_validator(mode="after")
    def _check_units(self) -> PostCapacity:
        for mode, unit in CAPACITY_UNITS.items():
            q: Quantity | None = getattr(self, mode)
            if q is not None and (q.unit != unit or q.value <= 0):
                raise ValueError(f"{mode} capacity must be a positive {unit!r}, not {q.unit!r}")
        if self.road is None and self.rail is None:
            raise ValueError("a capacity entry needs 'road' or 'rail'")
        return self


class DelayFunction(_Provenance):
    """Delay at a capacitated post: a queueing delay (``queue``) or BPR (``bpr``)."""

    function: Literal["queue", "bpr"]
    period_hours: Quantity
    alpha: Quantity
    beta: Quantity
    waiting_costs: FrozenMap[str, Quantity] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> DelayFunction:
        for name in ("alpha", "beta"):
            q: Quantity = getattr(self, name)
            if q.unit != "ratio" or q.value <= 0:
                raise ValueError(f"{name} must be a positive 'ratio'")
        if self.period_hours.unit != "h" or self.period_hours.value <= 0:
            raise ValueError("period_hours must be a positive number of 'h'")
        for name, q in self.waiting_costs.items():
            if q.unit != "USD/truck-h":
                raise ValueError(f"waiting_costs.{name} must be in 'USD/truck-h'")
        return self

    @property
    def waiting_cost_per_hour(self) -> float:
        """Sum of the waiting costs, USD per truck-hour (cargo value of time excluded)."""
        return float(sum(q.value for q in self.waiting_costs.values()))


class CapacityFile(_Frozen):
    """``capacity.toml``: post capacities and the delay function."""

    schema_version: Literal[1]
    sources: FrozenMap[str, Source] = Field(default_factory=dict)
    delay: DelayFunction
    posts: FrozenMap[PostKey, PostCapacity] = Field(default_factory=dict)


class EmissionFactor(Quantity):
    """A well-to-wheel emission factor of one mode, kg CO2e per tonne-km of cargo."""

    name: NonEmpty

    @model_validator(mode="after")
    def _check_factor_unit(self) -> EmissionFactor:
        if self.unit != "kg CO2e/t-km":
            raise ValueError(f"an emission factor must be in 'kg CO2e/t-km', not {self.unit!r}")
        return self


#: Emission factors every emissions file must give.
EMISSION_FACTORS: tuple[str, ...] = ("road", "rail_diesel", "rail_electric", "sea", "ferry")


class EmissionsFile(_Frozen):
    """``emissions.toml``: emission factors per mode and cargo weight per box."""

    schema_version: Literal[1]
    method: NonEmpty
    sources: FrozenMap[str, Source] = Field(default_factory=dict)
    cargo_tonnes: FrozenMap[Literal["20ft", "40ft"], Quantity]
    factors: FrozenMap[str, EmissionFactor]
    rail_traction: FrozenMap[Iso3, Literal["rail_diesel", "rail_electric"]] = Field(
        default_factory=dict
    )

    @model_validator(mode="after")
    def _check(self) -> EmissionsFile:
        missing = sorted(set(EMISSION_FACTORS) - set(self.factors))
        if missing:
            raise ValueError(f"factors needs {', '.join(missing)}")
        for box in ("20ft", "40ft"):
            q = self.cargo_tonnes.get(box)
            if q is None or q.unit != "t/box" or q.value <= 0:
                raise ValueError(f"cargo_tonnes.{box} must be a positive 't/box'")
        return self


# --------------------------------------------------------------------------------------------
# All rules
# --------------------------------------------------------------------------------------------
class Rules(_Frozen):
    """All rules files, validated and cross-checked.

    Attributes
    ----------
    origin
        Where the files were read from (a directory, or ``"package:corridors/data/rules"``).
    """

    origin: str
    sources: FrozenMap[str, Source]
    border_posts: BorderPostsFile
    agreements: AgreementsFile
    carrier_rights: CarrierRightsFile
    linehaul: LinehaulFile
    handling: HandlingFile
    capacity: CapacityFile | None = None
    emissions: EmissionsFile | None = None

    @property
    def posts(self) -> Mapping[str, Post]:
        """Border posts by key."""
        return self.border_posts.posts

    def iter_quantities(self) -> Iterator[tuple[str, Quantity]]:
        """Every quantity in the rules with its dotted path (for audits and tests)."""
        names = ("border_posts", "agreements", "carrier_rights", "linehaul", "handling")
        for name in (*names, "capacity", "emissions"):
            yield from _iter_quantities(getattr(self, name), name)


def _iter_quantities(obj: object, path: str) -> Iterator[tuple[str, Quantity]]:
    if isinstance(obj, Quantity):
        yield path, obj
        return
    if isinstance(obj, BaseModel):
        for field in type(obj).model_fields:
            yield from _iter_quantities(getattr(obj, field), f"{path}.{field}")
    elif isinstance(obj, Mapping):
        for key, value in obj.items():
            yield from _iter_quantities(value, f"{path}.{key}")
    elif isinstance(obj, tuple):
        for i, value in enumerate(obj):
            yield from _iter_quantities(value, f"{path}[{i}]")
