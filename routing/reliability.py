"""Monte Carlo reliability of a route's duration: percentiles and on-time probability.

A route is a sequence of items.  Each item takes a fixed number of hours, or, when its
dispersion ``sigma`` is positive, a lognormal number of hours whose **mean** (not median)
is the given mean: ``mu = ln(mean) - sigma**2 / 2``.  :func:`simulate` draws the total
duration ``n`` times, vectorised over the draws; :func:`summary` reduces the draws to the
median, the 90th percentile, the mean and the probability of meeting a deadline.

:func:`simulate_with_schedule` adds opening hours: before a *scheduled* item starts, each
draw waits until the next opening given by a caller-supplied function.  The module knows
nothing of border posts or agreements; the caller passes the function (for example built on
``corridors.rules.next_opening``).

Examples
--------
>>> import numpy as np
>>> s = simulate(np.array([10.0, 0.0]), np.array([0.0, 5.0]), np.array([0.0, 0.77]), n=2000)
>>> r = summary(s, deadline_hours=20.0)
>>> 10.0 < r["p50"] <= r["p90"]
True
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import numbers
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from geodata.errors import InvalidInputError

__all__ = ["MAX_DRAWS", "OpeningFn", "Step", "simulate", "simulate_with_schedule", "summary"]

logger = logging.getLogger(__name__)

#: Largest number of draws accepted by :func:`simulate` and :func:`simulate_with_schedule`.
MAX_DRAWS = 1_000_000

#: ``opening_fn(item_index, arrival)``: the next opening at or after ``arrival``, or ``None``
#: (or ``arrival`` itself) if the item may start at once.
OpeningFn = Callable[[int, dt.datetime], dt.datetime | None]

#: Normal deviates drawn per block (items x draws), so memory stays bounded for large ``n``.
_BLOCK_ELEMENTS = 1 << 20
_HOUR = dt.timedelta(hours=1)
_EPSILON = dt.timedelta(microseconds=1)


@dataclass(frozen=True)
class Step:
    """One item of a route for :func:`simulate_with_schedule`.

    Attributes
    ----------
    hours
        Duration in hours: exact when ``sigma`` is 0, otherwise the mean of a lognormal.
    sigma
        Standard deviation of the log of the duration (``sigma_ln``); 0 for a fixed item.
    scheduled
        True if the item may start only when open (``opening_fn`` is asked on arrival).
    """

    hours: float
    sigma: float = 0.0
    scheduled: bool = False


# --------------------------------------------------------------------------- validation


def _check_n(n: Any) -> int:
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise InvalidInputError(f"n must be an integer, not {type(n).__name__}")
    value = int(n)
    if not 1 <= value <= MAX_DRAWS:
        raise InvalidInputError(f"n must be between 1 and {MAX_DRAWS:,}, got {value}")
    return value


def _check_seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise InvalidInputError(f"seed must be a non-negative integer, got {seed!r}")
    return int(seed)


def _as_vector(name: str, values: Any) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidInputError(f"{name} must be an array of numbers") from None
    if arr.ndim != 1:
        raise InvalidInputError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise InvalidInputError(f"{name} must be finite (item {int(np.argmin(np.isfinite(arr)))})")
    if np.any(arr < 0):
        raise InvalidInputError(f"{name} must be non-negative (item {int(np.argmax(arr < 0))})")
    return arr


def _check_items(
    fixed_hours: Any, mean_hours: Any, sigma: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    fixed = _as_vector("fixed_hours", fixed_hours)
    mean = _as_vector("mean_hours", mean_hours)
    sig = _as_vector("sigma", sigma)
    if not len(fixed) == len(mean) == len(sig):
        raise InvalidInputError(
            f"fixed_hours, mean_hours and sigma must have equal lengths, "
            f"got {len(fixed)}, {len(mean)} and {len(sig)}"
        )
    with np.errstate(over="ignore"):
        if not (np.isfinite(fixed.sum()) and np.isfinite(mean.sum())):
            raise InvalidInputError("the total of the hours is too large to represent")
    return fixed, mean, sig


# --------------------------------------------------------------------------- drawing


def _lognormal_rows(
    rng: np.random.Generator, mean: np.ndarray, sigma: np.ndarray, n: int
) -> Iterator[np.ndarray]:
    """Yield one row of ``n`` lognormal draws per item, in item order, drawn in blocks.

    ``mean`` and ``sigma`` are positive.  The stream of normal deviates does not depend on
    the block size, so the draws are a function of ``(mean, sigma, n, seed)`` only.
    """
    k = len(mean)
    mu = np.log(mean) - 0.5 * sigma**2
    block = max(1, _BLOCK_ELEMENTS // n)
    for lo in range(0, k, block):
        hi = min(k, lo + block)
        z = rng.standard_normal((hi - lo, n))
        z *= sigma[lo:hi, None]
        z += mu[lo:hi, None]
        np.exp(z, out=z)
        yield from z


def _random_mask(mean: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """Items drawn at random: positive sigma and positive mean (a zero mean is exactly 0)."""
    return (sigma > 0) & (mean > 0)


def simulate(
    fixed_hours: np.ndarray,
    mean_hours: np.ndarray,
    sigma: np.ndarray,
    *,
    n: int = 1000,
    seed: int = 0,
) -> np.ndarray:
    """Draw the total duration of a route ``n`` times.

    Parameters
    ----------
    fixed_hours
        Hours of each item when its ``sigma`` is 0 (ignored where ``sigma > 0``).
    mean_hours
        Mean hours of each item when its ``sigma`` is positive (ignored where ``sigma == 0``).
    sigma
        Lognormal dispersion of each item (standard deviation of the log); 0 = fixed.
    n
        Number of draws, 1 to :data:`MAX_DRAWS`.
    seed
        Seed of :func:`numpy.random.default_rng`; the same inputs and seed give the same
        draws.

    Returns
    -------
    numpy.ndarray
        ``n`` totals in hours (float64).

    Raises
    ------
    InvalidInputError
        If the arrays differ in length, hold a negative or non-finite value, or ``n`` or
        ``seed`` is out of range.

    Notes
    -----
    A random item ``i`` is ``exp(mu_i + sigma_i * Z)`` with ``Z`` standard normal and
    ``mu_i = ln(mean_hours[i]) - sigma_i**2 / 2``, so its expectation is ``mean_hours[i]``.
    An item with ``sigma > 0`` and a zero mean takes 0 hours.  Items are independent.
    """
    fixed, mean, sig = _check_items(fixed_hours, mean_hours, sigma)
    n = _check_n(n)
    rng = np.random.default_rng(_check_seed(seed))
    rand = _random_mask(mean, sig)
    total = np.full(n, float(fixed[sig == 0].sum()))
    for row in _lognormal_rows(rng, mean[rand], sig[rand], n):
        total += row
    return total


def summary(samples: np.ndarray, *, deadline_hours: float | None = None) -> dict[str, Any]:
    """Reduce draws of a duration to percentiles, mean and on-time probability.

    Parameters
    ----------
    samples
        Draws of the duration in hours, e.g. from :func:`simulate`.
    deadline_hours
        Deadline in hours after departure; ``None`` for no deadline.

    Returns
    -------
    dict
        ``p50``, ``p90`` (linear-interpolated percentiles), ``mean`` (hours) and
        ``p_on_time``: the share of draws at or below the deadline (``None`` without one).

    Raises
    ------
    InvalidInputError
        If ``samples`` is empty, not one-dimensional or not finite, or the deadline is NaN.
    """
    arr = np.asarray(samples, dtype=np.float64)
    if arr.ndim != 1 or arr.size == 0:
        raise InvalidInputError("samples must be a non-empty one-dimensional array")
    if not np.all(np.isfinite(arr)):
        raise InvalidInputError("samples must be finite")
    p_on_time: float | None = None
    if deadline_hours is not None:
        if isinstance(deadline_hours, bool) or not isinstance(deadline_hours, numbers.Real):
            raise InvalidInputError(f"deadline_hours must be a number, got {deadline_hours!r}")
        if math.isnan(deadline_hours):
            raise InvalidInputError("deadline_hours must not be NaN")
        p_on_time = float(np.count_nonzero(arr <= deadline_hours)) / arr.size
    p50, p90 = np.percentile(arr, [50.0, 90.0])
    return {"p50": float(p50), "p90": float(p90), "mean": float(arr.mean()), "p_on_time": p_on_time}


# --------------------------------------------------------------------------- schedules


def _check_steps(items: Sequence[Step]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if not all(isinstance(it, Step) for it in items):
        raise InvalidInputError("items must be a sequence of Step")
    hours = _as_vector("hours", [it.hours for it in items])
    sig = _as_vector("sigma", [it.sigma for it in items])
    with np.errstate(over="ignore"):
        if not np.isfinite(hours.sum()):
            raise InvalidInputError("the total of the hours is too large to represent")
    scheduled = np.array([bool(it.scheduled) for it in items], dtype=bool)
    return hours, sig, scheduled


class _Clock:
    """Converts between hours after departure and datetimes handed to ``opening_fn``.

    An aware departure is converted to UTC, so that hours are elapsed hours across time
    zones and daylight-saving changes; a naive departure stays naive (wall-clock hours).
    Buckets are aligned on the whole hour of that clock.
    """

    def __init__(self, departure: dt.datetime, opening_fn: OpeningFn) -> None:
        aware = departure.tzinfo is not None and departure.utcoffset() is not None
        self.t0 = departure.astimezone(dt.UTC) if aware else departure
        anchor = self.t0.replace(minute=0, second=0, microsecond=0)
        self.anchor = anchor
        self.offset_h = (self.t0 - anchor) / _HOUR
        self.fn = opening_fn
        self.calls = 0

    def at(self, hours: float) -> dt.datetime:
        return self.t0 + dt.timedelta(hours=hours)

    def bucket_start(self, b: int, res_h: float) -> dt.datetime:
        return self.anchor + dt.timedelta(hours=b * res_h)

    def opening(self, index: int, when: dt.datetime) -> dt.datetime | None:
        """The next opening at or after ``when``, checked; ``None`` if open at ``when``."""
        self.calls += 1
        got = self.fn(index, when)
        if got is None:
            return None
        if not isinstance(got, dt.datetime):
            raise InvalidInputError(
                f"opening_fn must return a datetime or None, got {type(got).__name__}"
            )
        try:
            late = got < when
        except TypeError:
            raise InvalidInputError(
                "opening_fn returned a naive datetime for an aware arrival or the reverse"
            ) from None
        if late:
            raise InvalidInputError(
                f"opening_fn returned {got.isoformat()}, before the arrival {when.isoformat()}"
            )
        return None if got == when else got

    def hours(self, when: dt.datetime) -> float:
        return (when - self.t0) / _HOUR


def _wait_exact(clock: _Clock, index: int, arrival: np.ndarray) -> np.ndarray:
    """Start hours of a scheduled item, one ``opening_fn`` call per distinct arrival."""
    values, inverse = np.unique(arrival, return_inverse=True)
    start = values.copy()
    for j, a in enumerate(values):
        o = clock.opening(index, clock.at(float(a)))
        if o is not None:
            start[j] = max(clock.hours(o), float(a))
    return start[inverse]


def _wait_bucketed(clock: _Clock, index: int, arrival: np.ndarray, res_h: float) -> np.ndarray:
    """Start hours of a scheduled item, asking ``opening_fn`` about buckets of ``res_h``.

    For a bucket ``[s, e)`` the function is asked at ``s``.  If the next opening is at or
    after ``e`` the item is shut for the whole bucket and every arrival in it starts at that
    opening (exact).  Otherwise it is asked again just before ``e``: open there means the
    bucket is open from ``s`` (or from the opening inside it) to ``e``; shut there means
    the schedule changes inside the bucket, and its arrivals are asked one by one.
    """
    b = np.floor((arrival + clock.offset_h) / res_h).astype(np.int64)
    buckets, inverse = np.unique(b, return_inverse=True)
    floor = np.full(len(buckets), -np.inf)  # start no earlier than this
    mixed = np.zeros(len(buckets), dtype=bool)
    for j, bk in enumerate(buckets):
        s = clock.bucket_start(int(bk), res_h)
        e = s + dt.timedelta(hours=res_h)
        o_s = clock.opening(index, s)
        if o_s is not None and o_s >= e:
            floor[j] = clock.hours(o_s)
            continue
        if clock.opening(index, e - _EPSILON) is not None:
            mixed[j] = True
        elif o_s is not None:
            floor[j] = clock.hours(o_s)
    start: np.ndarray = np.maximum(arrival, floor[inverse])
    sel = mixed[inverse]
    if sel.any():
        start[sel] = _wait_exact(clock, index, arrival[sel])
    return start


def simulate_with_schedule(
    items: Sequence[Step],
    departure: dt.datetime,
    opening_fn: OpeningFn,
    *,
    n: int = 1000,
    seed: int = 0,
    resolution_hours: float | None = 1.0,
) -> np.ndarray:
    """Draw the total duration of a route whose scheduled items wait for an opening.

    Items are walked in order from ``departure``.  On arriving at a scheduled item, each
    draw waits until ``opening_fn(index, arrival)`` (if not ``None``), then takes the
    item's hours.  Waits already on a bill must be left out of ``items``; they are found
    again here, draw by draw.  Without any wait the draws equal those of :func:`simulate`
    with the same seed (up to rounding of the sum), so a schedule never shortens a draw.

    Parameters
    ----------
    items
        The route's items in order (:class:`Step`).
    departure
        Departure instant.  If aware, arrivals are passed to ``opening_fn`` as aware UTC
        datetimes (elapsed hours are exact across time zones); if naive, as naive
        datetimes on the same wall clock.
    opening_fn
        ``opening_fn(item_index, arrival)`` returns the first moment at or after
        ``arrival`` at which item ``item_index`` may start, or ``None`` if it may start at
        once.  Called only for scheduled items; its exceptions propagate.
    n, seed
        Number of draws (1 to :data:`MAX_DRAWS`) and seed, as in :func:`simulate`.
    resolution_hours
        Width of the time buckets in which answers of ``opening_fn`` are shared between
        draws (aligned on the whole hour of the departure clock).  ``None`` asks once per
        distinct arrival instant (exact, slow).  With buckets, a bucket in which the item is
        shut throughout, or open at both ends, costs at most two calls whatever the number
        of draws in it; a bucket whose ends disagree is resolved draw by draw.  The one
        assumption: a closure shorter than a bucket is not hidden between two open ends.

    Returns
    -------
    numpy.ndarray
        ``n`` totals in hours after departure, waits included.

    Raises
    ------
    InvalidInputError
        For invalid items, ``n``, ``seed``, ``departure`` or ``resolution_hours``, or if
        ``opening_fn`` returns something other than ``None`` or a datetime not before the
        arrival.
    """
    hours, sig, scheduled = _check_steps(items)
    n = _check_n(n)
    rng = np.random.default_rng(_check_seed(seed))
    if not isinstance(departure, dt.datetime):
        raise InvalidInputError(f"departure must be a datetime, got {type(departure).__name__}")
    if resolution_hours is not None and (
        isinstance(resolution_hours, bool)
        or not isinstance(resolution_hours, numbers.Real)
        or not math.isfinite(resolution_hours)
        or resolution_hours <= 0
    ):
        raise InvalidInputError(
            f"resolution_hours must be a positive number or None, got {resolution_hours!r}"
        )
    clock = _Clock(departure, opening_fn)
    rand = _random_mask(hours, sig)
    rows = _lognormal_rows(rng, hours[rand], sig[rand], n)
    t = np.zeros(n)
    pending = 0.0  # fixed hours not yet added to t
    for i in range(len(hours)):
        if scheduled[i]:
            t += pending
            pending = 0.0
            if resolution_hours is None:
                t = _wait_exact(clock, i, t)
            else:
                t = _wait_bucketed(clock, i, t, float(resolution_hours))
        if rand[i]:
            t += next(rows)
        elif sig[i] == 0:
            pending += hours[i]
    t += pending
    logger.debug("simulate_with_schedule: %d draws, %d opening_fn calls", n, clock.calls)
    return t
