"""Questions the cost model asks of the rules: pure functions over a loaded :class:`Rules`.

Every function takes the rules as a keyword argument (``rules=None`` loads the packaged rules
once, cached).  Times: a naive :class:`~datetime.datetime` is read as local wall-clock time at
the post (the post's ``timezone``); an aware one is converted to it, and results come back in
the caller's convention.  A plain :class:`~datetime.date` asks about the whole day.

Examples
--------
>>> import datetime as dt
>>> post_open("khunjerab", "PAK->CHN", dt.datetime(2023, 1, 15, 12)).open
False
>>> next_opening("torugart", "KGZ->CHN", dt.datetime(2025, 6, 7, 10))
datetime.datetime(2025, 6, 9, 8, 0)
>>> carrier_may_run("UZB", "PAK", dt.date(2022, 6, 1), tir=True)
Permission(allowed=True, basis='uptta')
"""

from __future__ import annotations

import datetime as dt
import difflib
import logging
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from corridors.rules.load import load_rules
from corridors.rules.schema import (
    COUNTRIES,
    WEEKDAYS,
    Agreement,
    CarrierRight,
    Closure,
    DatedFact,
    Fee,
    Opening,
    Post,
    Quantity,
    RoadObservation,
    Rules,
    ScheduleWindow,
    Season,
    Transload,
)
from geodata.errors import InvalidInputError, NoRouteError

__all__ = [
    "AuditRow",
    "CarrierDecision",
    "CrossingFigures",
    "Permission",
    "PostClosedError",
    "PostStatus",
    "agreements_in_force",
    "carrier_may_run",
    "crossing_figures",
    "decide_carrier",
    "describe",
    "next_opening",
    "open_throughout",
    "opening_at",
    "post_open",
    "seasonal_road_open",
    "tir_available",
    "transloads_at",
]

log = logging.getLogger(__name__)

#: Safety net for :func:`next_opening`: the scan jumps over closures and seasons, so it only
#: steps day by day through weekly schedules; ten years of days is far beyond any real wait.
_MAX_SCAN_DAYS = 3660
_ONE_DAY = dt.timedelta(days=1)

_Interval = tuple[dt.datetime, dt.datetime]
_MINUTES_PER_DAY = 24 * 60
#: What :func:`_opening_day` memoises per (direction, day, mode): the open intervals of the
#: day and the schedule window governing it (None when a season or the post's start date
#: shuts the whole day before any window is looked up).
_Day = tuple[tuple[_Interval, ...], ScheduleWindow | None]

#: Days memoised per border post before that post's memo is emptied: a bound on memory for
#: long sweeps over departure dates.  Each entry is a key and a few intervals (a few hundred
#: bytes), so the bound keeps a post's memo under about 20 MB; it is a memory cap, not a
#: tuning knob (a real query touches a handful of days per post).
_MAX_MEMO_DAYS = 65_536

#: The memo of :func:`_opening_day`, per :class:`Post` object (by identity, held weakly: a
#: post's entries go when the rules they belong to are dropped, and rules objects never
#: share them).  Posts are frozen, so a day's answer never changes.
_DAY_MEMO: dict[int, tuple[weakref.ref[Post], dict[tuple[Any, ...], Any]]] = {}


class PostClosedError(NoRouteError):
    """A border post has no known opening after the requested time (open-ended closure)."""


class PostStatus(NamedTuple):
    """Answer of :func:`post_open`: whether the post is open, and why (or why not)."""

    open: bool
    reason: str


class Permission(NamedTuple):
    """Answer of :func:`carrier_may_run`: allowed, and the agreement (or the reason)."""

    allowed: bool
    basis: str


@dataclass(frozen=True)
class CarrierDecision:
    """Full answer of :func:`decide_carrier`.

    Attributes
    ----------
    allowed
        Whether the truck may run in the country on the date.
    basis
        Agreement key (or ``"domestic"``, ``"practice"``) when allowed; the reason otherwise.
    rule
        The deciding rule, or ``None`` for domestic haulage and for the default refusal.
    transload_at
        Posts where goods transload instead, for a refusal by rule.
    conditions
        Conditions attached to an allowing rule (permits, TIR, designated routes...).
    """

    allowed: bool
    basis: str
    rule: CarrierRight | None
    transload_at: tuple[str, ...] = ()
    conditions: tuple[str, ...] = ()


@dataclass(frozen=True)
class CrossingFigures:
    """What crossing a post in one direction costs and takes, as the cost model uses it.

    Attributes
    ----------
    post, direction
        The post key and direction.
    hours
        Mean crossing time (CPMM TFI1, times the regime factor when under TIR).
    cost_usd
        CPMM TFI2 per truck (times the regime factor) plus the carrier-specific fees.
    sigma
        Lognormal sigma of the crossing time (post direction, post, or default).
    fees
        The carrier-specific fees included in ``cost_usd``.
    quantities
        The quantities behind the numbers, named, for the itemised breakdown and audit.
    """

    post: str
    direction: str
    hours: float
    cost_usd: float
    sigma: float
    fees: tuple[Fee, ...]
    quantities: tuple[tuple[str, Quantity], ...]


class AuditRow(NamedTuple):
    """One line of :func:`describe`: what the model believes and why."""

    name: str
    value: float | str
    unit: str
    year: int | None
    source: str
    estimate: bool
    note: str


# --------------------------------------------------------------------------------------------
# Border posts
# --------------------------------------------------------------------------------------------
def post_open(
    post_key: str,
    direction: str,
    when: dt.datetime | dt.date,
    *,
    mode: str = "road",
    rules: Rules | None = None,
) -> PostStatus:
    """Is the post open in ``direction`` at ``when``?

    Parameters
    ----------
    post_key
        Key of the post (``"torkham"``).
    direction
        ``"PAK->AFG"`` style direction of the post.
    when
        A date-time (naive = local time at the post) or a date (open at any time that day).
    mode
        ``"road"`` or ``"rail"``; some closures concern one mode only.
    rules
        Rules to use; the packaged rules by default.

    Returns
    -------
    PostStatus
        ``(open, reason)``; the reason names the closure, season, weekday or hours, with the
        source, when closed.
    """
    post = _checked_post(rules, post_key, direction, mode)
    if not isinstance(when, dt.datetime):
        spans = _open_intervals(post, direction, when, mode)
        if spans:
            return PostStatus(True, f"open on {when}: {_describe_spans(spans)}")
        return PostStatus(False, _closed_reason(post, direction, when, mode))
    local = _to_local(post, when)
    spans, window = _opening_day(post, direction, local.date(), mode)
    for start, end in spans:
        if start <= local < end and window is not None:  # open spans come from a window
            return PostStatus(True, f"open: {window.describe()} (local time, {post.timezone})")
    return PostStatus(False, _closed_reason(post, direction, local, mode))


def next_opening(
    post_key: str,
    direction: str,
    when: dt.datetime | dt.date,
    *,
    mode: str = "road",
    rules: Rules | None = None,
) -> dt.datetime:
    """The first moment at or after ``when`` at which the post is open in ``direction``.

    Returns ``when`` itself if the post is open then.  A naive ``when`` gives a naive local
    result; an aware one gives an aware result in the same time zone as ``when``; a date is
    read as its midnight.

    Raises
    ------
    PostClosedError
        If the post is under an open-ended closure (or no opening exists in the scan horizon).
    """
    post = _checked_post(rules, post_key, direction, mode)
    moment = when if isinstance(when, dt.datetime) else dt.datetime.combine(when, dt.time.min)
    local = _to_local(post, moment)
    day = local.date()
    for _ in range(_MAX_SCAN_DAYS):
        for start, end in _open_intervals(post, direction, day, mode):
            if end > local:
                return _from_local(post, max(start, local), moment)
        day = _next_candidate_day(post, direction, day, mode)
        local = dt.datetime.combine(day, dt.time.min)
    raise PostClosedError(
        f"{post.name} ({direction}) does not open within {_MAX_SCAN_DAYS} days of {when}",
        [_closed_reason(post, direction, local, mode)],
    )


def opening_at(
    post_key: str,
    direction: str,
    when: dt.datetime | dt.date,
    *,
    mode: str = "road",
    rules: Rules | None = None,
) -> dt.datetime | None:
    """None when the post is open in ``direction`` at ``when`` (as :func:`post_open` says),
    otherwise its :func:`next_opening`: the answer the bill, the planner's totals and the
    Monte Carlo need at each scheduled crossing, without composing the reason text.

    Raises
    ------
    PostClosedError
        As :func:`next_opening`, when the post is shut with no known reopening.
    """
    post = _checked_post(rules, post_key, direction, mode)
    if not isinstance(when, dt.datetime):
        if _open_intervals(post, direction, when, mode):
            return None
    else:
        local = _to_local(post, when)
        for start, end in _open_intervals(post, direction, local.date(), mode):
            if start <= local < end:
                return None
    return next_opening(post_key, direction, when, mode=mode, rules=rules)


def open_throughout(
    post_key: str,
    direction: str,
    since: dt.datetime | dt.date,
    *,
    mode: str = "road",
    rules: Rules | None = None,
) -> bool:
    """Is the post open in ``direction`` at every moment from ``since`` on?

    True only when :func:`post_open` says open at every later instant: the post is in
    operation by then, no season rule governs any later day, every closure of the
    direction and mode has ended by ``since``, and every schedule window that can govern a
    later day is open all day on every weekday.  (False can be conservative: a season or a
    window that never actually shuts it.)  A walk along a route can then skip the post's
    opening hours.  Memoised per post and ``since``.
    """
    post = _checked_post(rules, post_key, direction, mode)
    moment = since if isinstance(since, dt.datetime) else dt.datetime.combine(since, dt.time.min)
    memo = _day_memo(post)
    key = ("throughout", direction, mode, moment)
    got: bool | None = memo.get(key)
    if got is None:
        if len(memo) >= _MAX_MEMO_DAYS:
            memo.clear()
        got = memo[key] = _never_shut_after(post, direction, mode, _to_local(post, moment))
    return got


def _never_shut_after(post: Post, direction: str, mode: str, local: dt.datetime) -> bool:
    """:func:`open_throughout` from the local instant ``local``."""
    day = local.date()
    if post.operational_from is not None and day < post.operational_from.date:
        return False
    if any(s.valid_until is None or s.valid_until >= day for s in post.seasons):
        return False
    for closure in _closures(post, direction, mode):
        _, end = closure.interval()
        if end is None or end > local:
            return False
    all_day = ((0, _MINUTES_PER_DAY),)
    for window in post.schedule:
        if window.directions and direction not in window.directions:
            continue
        if window.valid_until is not None and window.valid_until < day:
            continue  # governs only days before ``local``
        if set(window.days) != set(WEEKDAYS) or window.minute_spans() != all_day:
            return False
    return True


def _next_candidate_day(post: Post, direction: str, day: dt.date, mode: str) -> dt.date:
    """The next day worth scanning: skips to the end of a closure covering the next day."""
    nxt = day + _ONE_DAY
    midnight = dt.datetime.combine(nxt, dt.time.min)
    for closure in _closures(post, direction, mode):
        start, end = closure.interval()
        if start <= midnight and (end is None or midnight < end):
            if end is None:
                raise PostClosedError(
                    f"{post.name} ({direction}) is closed from {closure.start} with no known "
                    "reopening",
                    [_closure_reason(closure)],
                )
            return max(nxt, end.date())
    return nxt


def _open_intervals(post: Post, direction: str, day: dt.date, mode: str) -> tuple[_Interval, ...]:
    """Open intervals (local, half-open) of ``day``, after seasons, schedule and closures."""
    return _opening_day(post, direction, day, mode)[0]


def _opening_day(post: Post, direction: str, day: dt.date, mode: str) -> _Day:
    """:func:`_open_intervals` of ``day`` and the window governing it, memoised per post
    (:data:`_DAY_MEMO`): the bill, the planner's totals and every Monte Carlo draw ask
    the same few days again and again."""
    memo = _day_memo(post)
    key = (direction, day, mode)
    got: _Day | None = memo.get(key)
    if got is None:
        if len(memo) >= _MAX_MEMO_DAYS:
            memo.clear()
        got = memo[key] = _compute_opening_day(post, direction, day, mode)
    return got


def _day_memo(post: Post) -> dict[tuple[Any, ...], Any]:
    """The memo of one post object (created on first use, dropped with the post)."""
    pid = id(post)
    entry = _DAY_MEMO.get(pid)
    if entry is not None and entry[0]() is post:
        return entry[1]

    def forget(ref: weakref.ref[Post]) -> None:
        if _DAY_MEMO.get(pid, (None,))[0] is ref:
            _DAY_MEMO.pop(pid, None)

    memo: dict[tuple[Any, ...], Any] = {}
    _DAY_MEMO[pid] = (weakref.ref(post, forget), memo)
    return memo


def _compute_opening_day(post: Post, direction: str, day: dt.date, mode: str) -> _Day:
    if post.operational_from is not None and day < post.operational_from.date:
        return (), None
    if _season_blocking(post, day) is not None:
        return (), None
    window = _schedule_window(post, direction, day)
    if WEEKDAYS[day.weekday()] not in window.days:
        return (), window
    midnight = dt.datetime.combine(day, dt.time.min)
    spans = [
        (midnight + dt.timedelta(minutes=a), midnight + dt.timedelta(minutes=b))
        for a, b in window.minute_spans()
    ]
    for closure in _closures(post, direction, mode):
        start, end = closure.interval()
        spans = _subtract(spans, start, end)
    return tuple(spans), window


def _subtract(
    spans: list[_Interval], start: dt.datetime, end: dt.datetime | None
) -> list[_Interval]:
    out: list[_Interval] = []
    for a, b in spans:
        if (end is not None and end <= a) or b <= start:
            out.append((a, b))
            continue
        if a < start:
            out.append((a, start))
        if end is not None and end < b:
            out.append((end, b))
    return out


def _closed_reason(post: Post, direction: str, when: dt.datetime | dt.date, mode: str) -> str:
    day = when.date() if isinstance(when, dt.datetime) else when
    if post.operational_from is not None and day < post.operational_from.date:
        return (
            f"closed: {post.name} not in operation before {post.operational_from.date} "
            f"[{post.operational_from.provenance()}]"
        )
    if isinstance(when, dt.datetime):
        lo, hi = when, when + dt.timedelta(microseconds=1)
    else:
        lo = dt.datetime.combine(day, dt.time.min)
        hi = lo + _ONE_DAY
    for closure in _closures(post, direction, mode):
        start, end = closure.interval()
        if start < hi and (end is None or lo < end):  # the closure overlaps [lo, hi)
            return _closure_reason(closure)
    season = _season_blocking(post, day)
    if season is not None:
        rule_end = f", rule valid until {season.valid_until}" if season.valid_until else ""
        return (
            f"closed for the season: open {season.open_from} to {season.open_until} each "
            f"year{rule_end} [{season.provenance()}]"
        )
    window = _schedule_window(post, direction, day)
    weekday = WEEKDAYS[day.weekday()]
    if weekday not in window.days:
        return (
            f"closed: {weekday} is not an opening day ({' '.join(window.days)}) "
            f"[{window.provenance()}]"
        )
    return (
        f"closed: outside opening hours {', '.join(window.hours)} local time ({post.timezone}) "
        f"[{window.provenance()}]"
    )


def _closure_reason(closure: Closure) -> str:
    return f"closed: {closure.reason} ({closure.label()}) [{closure.provenance()}]"


def _describe_spans(spans: Sequence[_Interval]) -> str:
    return ", ".join(
        f"{a:%H:%M}-{'24:00' if b.time() == dt.time.min else f'{b:%H:%M}'}" for a, b in spans
    )


def _season_blocking(post: Post, day: dt.date) -> Season | None:
    for season in post.seasons:
        if season.governs(day) and not season.open_on(day):
            if any(o.start <= day <= o.end for o in post.openings):
                return None
            return season
    return None


def _schedule_window(post: Post, direction: str, day: dt.date) -> ScheduleWindow:
    for window in post.schedule:
        if window.applies(direction, day):
            return window
    raise AssertionError(f"schedule of {post.key} does not cover {direction} on {day}")


def _closures(post: Post, direction: str, mode: str) -> Iterator[Closure]:
    return (c for c in post.closures if c.applies(direction, mode))


def _to_local(post: Post, when: dt.datetime) -> dt.datetime:
    if when.tzinfo is None:
        return when
    return when.astimezone(ZoneInfo(post.timezone)).replace(tzinfo=None)


def _from_local(post: Post, local: dt.datetime, like: dt.datetime) -> dt.datetime:
    if like.tzinfo is None:
        return local
    return local.replace(tzinfo=ZoneInfo(post.timezone)).astimezone(like.tzinfo)


def _checked_post(rules: Rules | None, key: str, direction: str, mode: str) -> Post:
    """The post ``key`` of ``rules`` (the packaged rules by default), after checking that it
    has ``direction`` and that ``mode`` is known: the common start of the post queries."""
    post = _post(rules or load_rules(), key)
    _check_direction(post, direction)
    _check_mode(mode)
    return post


def _post(rules: Rules, key: str) -> Post:
    try:
        return rules.posts[key]
    except KeyError:
        close = difflib.get_close_matches(key, list(rules.posts), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise InvalidInputError(f"unknown border post {key!r}{hint}") from None


def _check_direction(post: Post, direction: str) -> None:
    if direction not in post.directions:
        raise InvalidInputError(
            f"{post.key} has directions {' and '.join(post.direction_keys)}, not {direction!r}"
        )


def _check_mode(mode: str) -> None:
    if mode not in ("road", "rail"):
        raise InvalidInputError(f"mode must be 'road' or 'rail', not {mode!r}")


def crossing_figures(
    post_key: str,
    direction: str,
    day: dt.date,
    *,
    carrier: str | None = None,
    tir: bool = False,
    rules: Rules | None = None,
) -> CrossingFigures:
    """Mean hours, cost, dispersion and fees of crossing ``post_key`` in ``direction``.

    Opening hours, seasons and closures are not applied here (see :func:`post_open` and
    :func:`next_opening`); this is the crossing itself once the post is open.

    Parameters
    ----------
    post_key, direction
        The post and direction.
    day
        Date of the crossing (selects dated fees).
    carrier
        ISO3 registration of the truck; carrier-specific fees are added only for it.
    tir
        Apply the TIR regime factors of ``border_posts.toml`` ``[defaults.regime_factors.TIR]``.
    rules
        Rules to use; the packaged rules by default.
    """
    rules = rules or load_rules()
    post = _post(rules, post_key)
    _check_direction(post, direction)
    if carrier is not None:
        _country(carrier)
    day = _as_date(day)
    figures = post.directions[direction]
    defaults = rules.border_posts.defaults
    sigma = figures.sigma or post.sigma or defaults.sigma
    quantities: list[tuple[str, Quantity]] = [
        ("hours", figures.hours),
        ("cost", figures.cost),
        ("sigma", sigma),
    ]
    hours, cost = figures.hours.value, figures.cost.value
    factors = defaults.regime_factors.get("TIR") if tir else None
    if factors is not None:
        hours *= factors.hours.value
        cost *= factors.cost.value
        quantities += [("tir_hours_factor", factors.hours), ("tir_cost_factor", factors.cost)]
    fees = tuple(f for f in figures.fees if f.applies(day, carrier=carrier))
    quantities += [(f"fee: {f.name}", f) for f in fees]
    return CrossingFigures(
        post=post_key,
        direction=direction,
        hours=hours,
        cost_usd=cost + sum(f.value for f in fees),
        sigma=sigma.value,
        fees=fees,
        quantities=tuple(quantities),
    )


def transloads_at(
    post_key: str, day: dt.date, *, rules: Rules | None = None
) -> tuple[Transload, ...]:
    """Transload rules in force at a post on ``day`` (who hands over to whom, and how)."""
    rules = rules or load_rules()
    _post(rules, post_key)
    day = _as_date(day)
    return tuple(
        t for t in rules.carrier_rights.transloads if t.post == post_key and t.valid_on(day)
    )


# --------------------------------------------------------------------------------------------
# Carriers and agreements
# --------------------------------------------------------------------------------------------
def carrier_may_run(
    carrier_iso3: str,
    country_iso3: str,
    day: dt.date,
    *,
    tir: bool = False,
    rules: Rules | None = None,
) -> Permission:
    """May a truck registered in ``carrier_iso3`` run in ``country_iso3`` on ``day``?

    Parameters
    ----------
    carrier_iso3, country_iso3
        ISO 3166-1 alpha-3 codes.
    day
        The date (a date-time is cut to its date).
    tir
        Whether the shipment moves under a TIR carnet; rights that require TIR only count then.
    rules
        Rules to use; the packaged rules by default.

    Returns
    -------
    Permission
        ``(True, agreement key | "domestic" | "practice")`` or ``(False, reason)``.
    """
    decision = decide_carrier(carrier_iso3, country_iso3, day, tir=tir, rules=rules)
    return Permission(decision.allowed, decision.basis)


def decide_carrier(
    carrier_iso3: str,
    country_iso3: str,
    day: dt.date,
    *,
    tir: bool = False,
    rules: Rules | None = None,
) -> CarrierDecision:
    """Like :func:`carrier_may_run`, with the deciding rule, transload posts and conditions.

    The rule with the latest ``valid_from`` among those in force wins; on a tie a refusal wins.
    """
    rules = rules or load_rules()
    carrier, country = _country(carrier_iso3), _country(country_iso3)
    day = _as_date(day)
    if carrier == country:
        return CarrierDecision(True, "domestic", None)
    candidates = [
        r for r in rules.carrier_rights.rights if r.matches(carrier, country, day, tir=tir)
    ]
    if not candidates:
        reason = rules.carrier_rights.default_reason.format(
            carrier=carrier, country=country, date=day.isoformat()
        )
        if not tir:
            tir_only = [
                r
                for r in rules.carrier_rights.rights
                if r.effect == "allow"
                and r.requires_tir
                and r.matches(carrier, country, day, tir=True)
            ]
            if tir_only:
                bases = ", ".join(sorted({r.basis or "" for r in tir_only}))
                reason += f" (a right under {bases} exists for shipments under TIR)"
        return CarrierDecision(False, reason, None)
    best = max(candidates, key=lambda r: (r.valid_from or dt.date.min, r.effect == "deny"))
    if best.effect == "allow":
        return CarrierDecision(True, best.basis or "", best, (), best.conditions)
    where = f"; goods transload at {', '.join(best.transload_at)}" if best.transload_at else ""
    return CarrierDecision(
        False, f"{best.reason} [rule {best.id}]{where}", best, best.transload_at, ()
    )


def agreements_in_force(day: dt.date, *, rules: Rules | None = None) -> tuple[Agreement, ...]:
    """Agreements applicable on ``day``, sorted by key."""
    rules = rules or load_rules()
    day = _as_date(day)
    return tuple(a for _, a in sorted(rules.agreements.agreements.items()) if a.in_force_on(day))


def tir_available(
    country_iso3: str, day: dt.date, *, rules: Rules | None = None
) -> tuple[bool, str]:
    """Can a TIR transport start, end or transit in ``country_iso3`` on ``day``?

    A party is available from its first documented TIR operation when one is recorded
    (Pakistan: 19 Apr 2018), otherwise from the Convention's entry into force for it.
    """
    rules = rules or load_rules()
    country = _country(country_iso3)
    day = _as_date(day)
    tir = rules.agreements.agreements.get("tir")
    party = None if tir is None else tir.tir_parties.get(country)
    if party is None:
        return False, f"{country} is not a TIR contracting party in the rules"
    start = party.operational or party.in_force
    label = "operational" if party.operational else "in force"
    if day < start.date:
        return False, f"TIR {label} for {country} only from {start.date} [{start.provenance()}]"
    return True, f"TIR {label} for {country} since {start.date}"


def seasonal_road_open(
    road_key: str, day: dt.date, *, rules: Rules | None = None
) -> tuple[bool, str]:
    """Is a seasonal road (e.g. ``"babusar"``) open on ``day``?

    An observed season of that year decides when it covers the day; otherwise the season rule.
    """
    rules = rules or load_rules()
    roads = rules.linehaul.seasonal_roads
    if road_key not in roads:
        raise InvalidInputError(f"unknown seasonal road {road_key!r}; known: {', '.join(roads)}")
    road = roads[road_key]
    day = _as_date(day)
    for obs in road.observed:
        if obs.opened.year != day.year:
            continue
        if day < obs.opened:
            return False, f"{road.name} closed: opened only on {obs.opened} [{obs.provenance()}]"
        if obs.closed is None or day <= obs.closed:
            return True, f"{road.name} open (observed from {obs.opened}) [{obs.provenance()}]"
        return False, f"{road.name} closed since {obs.closed} [{obs.provenance()}]"
    for season in road.seasons:
        if season.governs(day):
            status = "open" if season.open_on(day) else "closed"
            return season.open_on(day), (
                f"{road.name} {status}: season {season.open_from} to {season.open_until} "
                f"[{season.provenance()}]"
            )
    return True, f"{road.name}: no season rule for {day}"


def _country(code: str) -> str:
    if code not in COUNTRIES:
        raise InvalidInputError(f"unknown country code {code!r}; known: {', '.join(COUNTRIES)}")
    return code


def _as_date(day: dt.date) -> dt.date:
    return day.date() if isinstance(day, dt.datetime) else day


# --------------------------------------------------------------------------------------------
# Audit
# --------------------------------------------------------------------------------------------
def describe(
    *,
    post: str | None = None,
    agreement: str | None = None,
    country: str | None = None,
    section: str | None = None,
    rules: Rules | None = None,
) -> tuple[AuditRow, ...]:
    """Every figure, date and rule the model uses, with its unit, year and source.

    With no filter all rules are listed.  Filters combine with *or*.

    Parameters
    ----------
    post
        A border post key: its figures, schedule, seasons, closures, rail facts, and the
        carrier rights and transloads that name it.
    agreement
        An agreement key: its dates, plus the carrier rights based on it.
    country
        An ISO3 code: country-level border figures, road and rail line-haul, TIR party dates.
    section
        A rules file stem: ``"border_posts"``, ``"agreements"``, ``"carrier_rights"``,
        ``"linehaul"`` or ``"handling"``.
    rules
        Rules to use; the packaged rules by default.

    Returns
    -------
    tuple of AuditRow
        ``(name, value, unit, year, source, estimate, note)``; ``source`` is ``"title <url>"``
        or ``"ESTIMATE: reasoning [basis: ...]"``.
    """
    rules = rules or load_rules()
    sections = ("border_posts", "agreements", "carrier_rights", "linehaul", "handling")
    if section is not None and section not in sections:
        raise InvalidInputError(f"unknown section {section!r}; known: {', '.join(sections)}")
    if post is not None:
        _post(rules, post)
    if agreement is not None and agreement not in rules.agreements.agreements:
        close = difflib.get_close_matches(agreement, list(rules.agreements.agreements), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise InvalidInputError(f"unknown agreement {agreement!r}{hint}")
    if country is not None:
        _country(country)

    roots: list[tuple[str, object]] = []
    if all(f is None for f in (post, agreement, country, section)):
        roots = [(name, getattr(rules, name)) for name in sections]
    if section is not None:
        roots.append((section, getattr(rules, section)))
    if post is not None:
        roots.append((f"border_posts.posts.{post}", rules.posts[post]))
        roots.append(("border_posts.defaults.sigma", rules.border_posts.defaults.sigma))
        roots += _rights_rows(rules, lambda r: post in r.transload_at)
        roots += [
            (f"carrier_rights.transloads[{t.id}]", t)
            for t in rules.carrier_rights.transloads
            if t.post == post
        ]
    if agreement is not None:
        roots.append((f"agreements.agreements.{agreement}", rules.agreements.agreements[agreement]))
        roots += _rights_rows(rules, lambda r: r.basis == agreement)
    if country is not None:
        level = rules.border_posts.country_level.get(country)
        if level is not None:
            roots.append((f"border_posts.country_level.{country}", level))
        if country in rules.linehaul.road:
            roots.append((f"linehaul.road.{country}", rules.linehaul.road[country]))
        if country in rules.linehaul.rail:
            roots.append((f"linehaul.rail.{country}", rules.linehaul.rail[country]))
        tir = rules.agreements.agreements.get("tir")
        if tir is not None and country in tir.tir_parties:
            roots.append(
                (f"agreements.agreements.tir.tir_parties.{country}", tir.tir_parties[country])
            )
    rows: list[AuditRow] = []
    for path, obj in roots:
        rows.extend(_rows(obj, path))
    return tuple(rows)


def _rights_rows(rules: Rules, keep: Callable[[CarrierRight], bool]) -> list[tuple[str, object]]:
    return [(f"carrier_rights.rights[{r.id}]", r) for r in rules.carrier_rights.rights if keep(r)]


def _rows(obj: object, path: str) -> Iterator[AuditRow]:
    if isinstance(obj, Quantity):
        yield _quantity_row(obj, path)
    elif isinstance(obj, DatedFact):
        yield AuditRow(
            path,
            obj.date.isoformat(),
            "date",
            obj.date.year,
            obj.provenance(),
            obj.estimate,
            obj.note or "",
        )
    elif isinstance(obj, Closure):
        yield AuditRow(
            path,
            obj.label(),
            "closure",
            obj.interval()[0].year,
            obj.provenance(),
            obj.estimate,
            _join(obj.reason, _scope(obj.directions), obj.note),
        )
    elif isinstance(obj, ScheduleWindow):
        validity = f"valid {obj.valid_from or '…'} to {obj.valid_until or '…'}"
        yield AuditRow(
            path,
            obj.describe(),
            "schedule",
            None,
            obj.provenance(),
            obj.estimate,
            _join(validity, _scope(obj.directions), obj.note),
        )
    elif isinstance(obj, Season):
        validity = f"valid {obj.valid_from or '…'} to {obj.valid_until or '…'}"
        yield AuditRow(
            path,
            f"open {obj.open_from} to {obj.open_until}",
            "season",
            None,
            obj.provenance(),
            obj.estimate,
            _join(validity, obj.note),
        )
    elif isinstance(obj, Opening | RoadObservation):
        yield _event_row(obj, path)
    elif isinstance(obj, CarrierRight):
        yield _right_row(obj, path)
    elif isinstance(obj, Transload):
        validity = f"valid {obj.valid_from or '…'} to {obj.valid_until or '…'}"
        yield AuditRow(
            path,
            obj.kind,
            "transload",
            None,
            obj.provenance(),
            obj.estimate,
            _join(
                f"{'/'.join(obj.from_carriers)} → {'/'.join(obj.to_carriers)} at {obj.location}",
                validity,
                obj.reason,
            ),
        )
    elif isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            if name in ("source", "sources"):
                continue
            yield from _rows(getattr(obj, name), f"{path}.{name}")
    elif isinstance(obj, Mapping):
        for key, value in obj.items():
            yield from _rows(value, f"{path}.{key}")
    elif isinstance(obj, tuple):
        for i, value in enumerate(obj):
            label = getattr(value, "id", None) or i
            yield from _rows(value, f"{path}[{label}]")


def _quantity_row(q: Quantity, path: str) -> AuditRow:
    extras = [getattr(q, "name", None), q.note]
    basis = getattr(q, "basis", "post")
    if basis != "post":
        country = getattr(q, "basis_country", None)
        extras.append(f"basis: {basis}" + (f" ({country})" if country else ""))
    if q.low is not None or q.high is not None:
        extras.append(
            f"range {q.low if q.low is not None else '…'}–{q.high if q.high is not None else '…'}"
        )
    if q.derivation:
        extras.append(f"derivation: {q.derivation}")
    validity = [getattr(q, "valid_from", None), getattr(q, "valid_until", None)]
    if any(validity):
        extras.append(f"valid {validity[0] or '…'} to {validity[1] or '…'}")
    return AuditRow(path, q.value, q.unit, q.year, q.provenance(), q.estimate, _join(*extras))


def _event_row(obj: Opening | RoadObservation, path: str) -> AuditRow:
    if isinstance(obj, Opening):
        return AuditRow(
            path,
            f"{obj.start} – {obj.end}",
            "opening",
            obj.start.year,
            obj.provenance(),
            obj.estimate,
            _join(obj.reason, obj.note),
        )
    return AuditRow(
        path,
        f"{obj.opened} – {obj.closed or '?'}",
        "observed season",
        obj.opened.year,
        obj.provenance(),
        obj.estimate,
        obj.note or "",
    )


def _right_row(obj: CarrierRight, path: str) -> AuditRow:
    validity = f"valid {obj.valid_from or '…'} to {obj.valid_until or '…'}"
    who = f"{'/'.join(obj.carriers)} trucks in {'/'.join(obj.countries)}"
    extras = [who, validity, obj.reason]
    if obj.requires_tir:
        extras.append("requires TIR")
    if obj.basis:
        extras.append(f"basis: {obj.basis}")
    if obj.transload_at:
        extras.append(f"transload at {', '.join(obj.transload_at)}")
    return AuditRow(
        path, obj.effect, "carrier right", None, obj.provenance(), obj.estimate, _join(*extras)
    )


def _scope(directions: tuple[str, ...]) -> str | None:
    return f"directions {', '.join(directions)}" if directions else None


def _join(*parts: str | None) -> str:
    return "; ".join(p for p in parts if p)
