"""Monte Carlo durations: lognormal means, exact fixed sums, seeds, summaries and schedules."""

from __future__ import annotations

import datetime as dt
import itertools
import math
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from geodata.errors import InvalidInputError
from routing import Step, simulate, simulate_with_schedule, summary

#: Two-sided z for the statistical tests: P(|Z| > 4) = 6.3e-5, and the seeds are fixed.
Z = 4.0
SIGMA = 0.77  # border_posts.toml defaults.sigma
SATURDAY = dt.datetime(2025, 6, 7)  # a Saturday, 00:00


def _weekdays_only(index: int, when: dt.datetime) -> dt.datetime | None:
    """Toy schedule: shut Saturday and Sunday, open around the clock Monday to Friday."""
    wd = when.weekday()
    if wd < 5:
        return None
    monday = when.date() + dt.timedelta(days=7 - wd)
    return dt.datetime.combine(monday, dt.time.min, tzinfo=when.tzinfo)


def _office_hours(index: int, when: dt.datetime) -> dt.datetime | None:
    """Toy schedule with boundaries off the hour: open Mon–Fri 09:30–17:45."""
    day, t = when.date(), when.time()
    if day.weekday() < 5 and dt.time(9, 30) <= t < dt.time(17, 45):
        return None
    if day.weekday() < 5 and t < dt.time(9, 30):
        return dt.datetime.combine(day, dt.time(9, 30))
    day += dt.timedelta(days=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(9, 30))


# --------------------------------------------------------------------------- simulate


def test_lognormal_mean_matches_mean_hours() -> None:
    n = 200_000
    mean = np.array([3.0, 50.1, 1.8])
    sigma = np.array([SIGMA, SIGMA, 0.3])
    s = simulate(np.zeros(3), mean, sigma, n=n, seed=1)
    # exact standard error of the sample mean of a sum of independent lognormals
    se = math.sqrt(float(np.sum(mean**2 * np.expm1(sigma**2)))) / math.sqrt(n)
    assert abs(s.mean() - mean.sum()) < Z * se


def test_lognormal_is_parameterised_by_its_mean_not_its_median() -> None:
    n = 200_000
    m = 10.0
    s = simulate(np.zeros(1), np.array([m]), np.array([SIGMA]), n=n, seed=2)
    median = m * math.exp(-(SIGMA**2) / 2)  # exp(mu)
    # asymptotic standard error of a sample median: 1 / (2 f(median) sqrt(n))
    se = median * SIGMA * math.sqrt(math.pi / 2) / math.sqrt(n)
    assert abs(np.median(s) - median) < Z * se
    assert abs(np.median(s) - m) > 100 * se  # a median-parameterised draw would fail here


def test_fixed_items_sum_exactly() -> None:
    fixed = np.array([9.612838363402133, 8.25, 1.206, 9.833629460403678, 0.0])
    s = simulate(fixed, np.full(5, 99.0), np.zeros(5), n=17, seed=3)
    assert s.shape == (17,)
    assert np.all(s == fixed.sum())


def test_mixed_items_and_zero_mean() -> None:
    fixed = np.array([5.0, 123.0, 7.0])
    mean = np.array([0.0, 0.0, 0.0])  # a random item with a zero mean takes 0 h
    s = simulate(fixed, mean, np.array([0.0, SIGMA, 0.0]), n=10)
    assert np.all(s == 12.0)
    s = simulate(fixed, np.array([0.0, 4.0, 0.0]), np.array([0.0, SIGMA, 0.0]), n=1000)
    assert np.all(s > 12.0)


def test_seed_reproducible_and_distinct() -> None:
    args = (np.array([1.0, 0.0]), np.array([0.0, 5.0]), np.array([0.0, SIGMA]))
    a = simulate(*args, n=500, seed=7)
    b = simulate(*args, n=500, seed=7)
    c = simulate(*args, n=500, seed=8)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_large_n_is_drawn_in_blocks_without_changing_the_stream() -> None:
    k = 3
    mean, sigma = np.arange(1.0, k + 1), np.full(k, SIGMA)
    s = simulate(np.zeros(k), mean, sigma, n=600_000, seed=4)  # > 1 block of 2**20
    z = np.random.default_rng(4).standard_normal((k, 600_000))
    ref = np.exp(np.log(mean)[:, None] - SIGMA**2 / 2 + SIGMA * z).sum(axis=0)
    np.testing.assert_allclose(s, ref, rtol=1e-12)


# --------------------------------------------------------------------------- summary


def test_summary_fields_and_order() -> None:
    s = simulate(np.array([10.0, 0.0]), np.array([0.0, 50.1]), np.array([0.0, SIGMA]), n=2000)
    r = summary(s)
    assert set(r) == {"p50", "p90", "mean", "p_on_time"}
    assert r["p_on_time"] is None
    assert 10.0 < r["p50"] <= r["p90"]
    assert r["mean"] == pytest.approx(float(s.mean()))
    assert r["p50"] < r["mean"]  # right-skewed


def test_p_on_time_monotone_in_deadline() -> None:
    s = simulate(np.zeros(2), np.array([3.0, 20.0]), np.array([SIGMA, 0.4]), n=3000, seed=5)
    deadlines = np.linspace(s.min() - 1, s.max() + 1, 200)
    p = [summary(s, deadline_hours=float(d))["p_on_time"] for d in deadlines]
    assert all(b >= a for a, b in itertools.pairwise(p))
    assert p[0] == 0.0
    assert p[-1] == 1.0
    assert summary(s, deadline_hours=float(s.max()))["p_on_time"] == 1.0


# --------------------------------------------------------------------------- schedules


def test_saturday_arrival_waits_until_monday() -> None:
    items = [Step(10.0), Step(2.0, scheduled=True)]
    s = simulate_with_schedule(items, SATURDAY, _weekdays_only, n=50)
    # arrival Saturday 10:00, wait until Monday 00:00 (38 h), then 2 h crossing
    assert np.all(s == 10.0 + 38.0 + 2.0)
    s = simulate_with_schedule(items, SATURDAY, _weekdays_only, n=50, resolution_hours=None)
    assert np.all(s == 50.0)


def test_aware_departure_counts_elapsed_hours() -> None:
    bishkek = SATURDAY.replace(tzinfo=ZoneInfo("Asia/Bishkek"))

    def local(index: int, when: dt.datetime) -> dt.datetime | None:
        assert when.tzinfo is dt.UTC
        return _weekdays_only(index, when.astimezone(bishkek.tzinfo))

    items = [Step(10.0), Step(2.0, scheduled=True)]
    assert np.all(simulate_with_schedule(items, bishkek, local, n=5) == 50.0)
    # Europe/Berlin springs forward on Sunday 30 March 2025: Sat 10:00 -> Mon 00:00 is 37 h
    berlin = ZoneInfo("Europe/Berlin")

    def in_berlin(index: int, when: dt.datetime) -> dt.datetime | None:
        return _weekdays_only(index, when.astimezone(berlin))

    dep = dt.datetime(2025, 3, 29, tzinfo=berlin)
    assert np.all(simulate_with_schedule(items, dep, in_berlin, n=5) == 10.0 + 37.0 + 2.0)


def test_no_wait_gives_the_plain_draws() -> None:
    items = [Step(4.0), Step(3.0, SIGMA, scheduled=True), Step(6.0), Step(50.1, SIGMA)]
    s = simulate_with_schedule(items, SATURDAY, lambda i, t: None, n=1000, seed=9)
    hours = np.array([it.hours for it in items])
    sig = np.array([it.sigma for it in items])
    np.testing.assert_allclose(s, simulate(hours, hours, sig, n=1000, seed=9), rtol=1e-12)


@pytest.mark.parametrize("start_day", range(7))
def test_schedule_never_reduces_duration(start_day: int) -> None:
    items = [
        Step(9.6),
        Step(1.8, SIGMA, scheduled=True),
        Step(9.8),
        Step(5.0, SIGMA),
        Step(50.1, SIGMA, scheduled=True),
        Step(3.0),
    ]
    dep = SATURDAY + dt.timedelta(days=start_day, hours=13.5)
    hours = np.array([it.hours for it in items])
    sig = np.array([it.sigma for it in items])
    plain = simulate(hours, hours, sig, n=1000, seed=start_day)
    for fn in (_weekdays_only, _office_hours):
        s = simulate_with_schedule(items, dep, fn, n=1000, seed=start_day)
        assert np.all(s >= plain * (1 - 1e-12))
    assert np.any(s > plain + 1.0)  # office hours always make someone wait


@pytest.mark.parametrize("resolution", [1.0, 0.25, 3.0])
def test_buckets_agree_with_exact_calls(resolution: float) -> None:
    items = [Step(30.0, 1.0), Step(2.0, SIGMA, scheduled=True), Step(40.0, 0.5)]
    items += [Step(1.5, SIGMA, scheduled=True)]
    calls = {"exact": 0, "bucketed": 0}

    def counted(key: str):  # type: ignore[no-untyped-def]
        def fn(index: int, when: dt.datetime) -> dt.datetime | None:
            calls[key] += 1
            return _office_hours(index, when)

        return fn

    dep = dt.datetime(2025, 6, 4, 7, 20)  # a Wednesday, off the hour
    exact = simulate_with_schedule(
        items, dep, counted("exact"), n=2000, seed=11, resolution_hours=None
    )
    fast = simulate_with_schedule(
        items, dep, counted("bucketed"), n=2000, seed=11, resolution_hours=resolution
    )
    np.testing.assert_allclose(fast, exact, rtol=0, atol=1e-9)
    assert calls["exact"] == 4000
    assert calls["bucketed"] < calls["exact"]


def test_calls_do_not_grow_with_draws_in_uniform_buckets() -> None:
    calls = []

    def fn(index: int, when: dt.datetime) -> dt.datetime | None:
        calls.append(when)
        return _weekdays_only(index, when)

    # arrivals on Saturday 10:00 +- about 0.5 h: two or three hour buckets, shut throughout
    items = [Step(10.0, 0.015), Step(2.0, scheduled=True)]
    s = simulate_with_schedule(items, SATURDAY, fn, n=100_000)
    assert len(calls) <= 4
    assert np.all(s == 50.0)  # every draw arrives on Saturday and starts on Monday 00:00


def test_opening_fn_is_asked_only_for_scheduled_items() -> None:
    seen: list[int] = []

    def fn(index: int, when: dt.datetime) -> dt.datetime | None:
        seen.append(index)
        return None

    items = [Step(1.0), Step(2.0, SIGMA, scheduled=True), Step(3.0), Step(4.0, scheduled=True)]
    simulate_with_schedule(items, SATURDAY, fn, n=100)
    assert set(seen) == {1, 3}


def test_bad_opening_fn_answers_raise() -> None:
    items = [Step(1.0, scheduled=True)]
    with pytest.raises(InvalidInputError, match="before the arrival"):
        simulate_with_schedule(items, SATURDAY, lambda i, t: t - dt.timedelta(hours=1), n=3)
    with pytest.raises(InvalidInputError, match="datetime or None"):
        simulate_with_schedule(items, SATURDAY, lambda i, t: 5.0, n=3)  # type: ignore[arg-type, return-value]
    aware = SATURDAY.replace(tzinfo=dt.UTC)
    with pytest.raises(InvalidInputError, match="naive"):
        simulate_with_schedule(items, aware, lambda i, t: SATURDAY + dt.timedelta(days=2), n=3)


# --------------------------------------------------------------------------- validation

_OK = (np.array([1.0, 0.0]), np.array([0.0, 2.0]), np.array([0.0, SIGMA]))


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        ((np.ones(2), np.ones(3), np.zeros(2)), {}, "equal lengths"),
        ((np.ones(2), np.ones(2), np.array([0.0, -0.1])), {}, "sigma must be non-negative"),
        ((np.ones(2), np.array([1.0, -2.0]), np.zeros(2)), {}, "mean_hours must be non-neg"),
        ((np.array([1.0, np.nan]), np.ones(2), np.zeros(2)), {}, "fixed_hours must be finite"),
        ((np.ones(2), np.array([np.inf, 1.0]), np.zeros(2)), {}, "mean_hours must be finite"),
        ((np.ones(2), np.ones(2), np.array([np.nan, 0.0])), {}, "sigma must be finite"),
        ((np.ones((2, 2)), np.ones(2), np.zeros(2)), {}, "one-dimensional"),
        ((["a", "b"], np.ones(2), np.zeros(2)), {}, "array of numbers"),
        ((np.full(2, 1e308), np.ones(2), np.zeros(2)), {}, "too large"),
        (_OK, {"n": 0}, "between 1 and"),
        (_OK, {"n": 1_000_001}, "between 1 and"),
        (_OK, {"n": 10.0}, "integer"),
        (_OK, {"n": True}, "integer"),
        (_OK, {"seed": -1}, "seed"),
        (_OK, {"seed": 1.5}, "seed"),
    ],
)
def test_invalid_inputs_raise(args, kwargs, match) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInputError, match=match) as info:
        simulate(*args, **kwargs)
    assert "\n" not in str(info.value)


def test_invalid_summary_and_schedule_inputs_raise() -> None:
    with pytest.raises(InvalidInputError, match="non-empty"):
        summary(np.array([]))
    with pytest.raises(InvalidInputError, match="finite"):
        summary(np.array([1.0, np.nan]))
    with pytest.raises(InvalidInputError, match="NaN"):
        summary(np.ones(3), deadline_hours=float("nan"))
    with pytest.raises(InvalidInputError, match="number"):
        summary(np.ones(3), deadline_hours="5")  # type: ignore[arg-type]
    items = [Step(1.0, scheduled=True)]
    with pytest.raises(InvalidInputError, match="datetime"):
        simulate_with_schedule(items, SATURDAY.date(), _weekdays_only)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="resolution_hours"):
        simulate_with_schedule(items, SATURDAY, _weekdays_only, resolution_hours=0)
    with pytest.raises(InvalidInputError, match="sequence of Step"):
        simulate_with_schedule([1.0], SATURDAY, _weekdays_only)  # type: ignore[list-item]
    with pytest.raises(InvalidInputError, match="sigma must be non-negative"):
        simulate_with_schedule([Step(1.0, -1.0)], SATURDAY, _weekdays_only)
    with pytest.raises(InvalidInputError, match="between 1 and"):
        simulate_with_schedule(items, SATURDAY, _weekdays_only, n=0)
