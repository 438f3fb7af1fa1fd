"""Queries the cost model relies on: openings, seasons, closures, carrier rights, agreements."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corridors.rules import (
    PostClosedError,
    agreements_in_force,
    carrier_may_run,
    crossing_figures,
    decide_carrier,
    describe,
    load_rules,
    next_opening,
    post_open,
    seasonal_road_open,
    tir_available,
    transloads_at,
)
from geodata.errors import InvalidInputError, NoRouteError

PK_AF_POSTS = ("torkham", "chaman", "ghulam-khan", "kharlachi", "angoor-adda")


# --------------------------------------------------------------------------------------------
# Checks required by the rules issue
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("direction", ["PAK->CHN", "CHN->PAK"])
def test_khunjerab_closed_in_january_2023_open_in_january_2025(direction: str) -> None:
    closed = post_open("khunjerab", direction, dt.datetime(2023, 1, 15, 12))
    assert not closed.open
    assert "closed" in closed.reason
    assert post_open("khunjerab", direction, dt.datetime(2025, 1, 15, 12)).open


def test_khunjerab_season_rule_until_december_2024() -> None:
    winter = post_open("khunjerab", "PAK->CHN", dt.date(2023, 12, 15))
    assert not winter.open
    assert "season" in winter.reason and "2024-12-01" in winter.reason
    assert post_open("khunjerab", "PAK->CHN", dt.date(2023, 7, 1)).open
    assert post_open("khunjerab", "PAK->CHN", dt.date(2024, 1, 5)).open  # temporary opening
    assert not post_open("khunjerab", "PAK->CHN", dt.date(2024, 2, 5)).open
    assert not post_open("khunjerab", "PAK->CHN", dt.date(2024, 12, 1)).open
    assert post_open("khunjerab", "PAK->CHN", dt.date(2024, 12, 2)).open  # year-round since


def test_khunjerab_next_opening_after_winter() -> None:
    assert next_opening("khunjerab", "CHN->PAK", dt.datetime(2023, 12, 20, 9)) == dt.datetime(
        2024, 1, 2
    )
    assert next_opening("khunjerab", "CHN->PAK", dt.datetime(2024, 2, 1, 9)) == dt.datetime(
        2024, 4, 1
    )


def test_torugart_saturday_closed_next_opening_monday() -> None:
    saturday = dt.datetime(2025, 6, 7, 10, 30)
    assert saturday.strftime("%a") == "Sat"
    status = post_open("torugart", "KGZ->CHN", saturday)
    assert not status.open
    assert "Sat is not an opening day" in status.reason
    opening = next_opening("torugart", "KGZ->CHN", saturday)
    assert opening == dt.datetime(2025, 6, 9, 8, 0)
    assert opening.strftime("%a") == "Mon"
    assert post_open("torugart", "KGZ->CHN", opening).open


def test_torugart_weekday_hours_and_holidays() -> None:
    assert post_open("torugart", "CHN->KGZ", dt.datetime(2025, 6, 9, 12)).open
    assert not post_open("torugart", "CHN->KGZ", dt.datetime(2025, 6, 9, 19)).open
    assert next_opening("torugart", "CHN->KGZ", dt.datetime(2025, 6, 9, 19)) == dt.datetime(
        2025, 6, 10, 8
    )
    # National Day 2025: closed 1-3 and 6 Oct, weekend 4-5 Oct.
    assert next_opening("torugart", "KGZ->CHN", dt.datetime(2025, 9, 30, 19)) == dt.datetime(
        2025, 10, 7, 8
    )
    # Spring Festival 2026: Irkeshtam reopens 19 Feb 08:00, Torugart 20 Feb 08:00.
    assert next_opening("irkeshtam", "KGZ->CHN", dt.datetime(2026, 2, 16, 9)) == dt.datetime(
        2026, 2, 19, 8
    )
    assert post_open("torugart", "KGZ->CHN", dt.datetime(2026, 2, 16, 9)).open
    assert next_opening("torugart", "KGZ->CHN", dt.datetime(2026, 2, 17, 9)) == dt.datetime(
        2026, 2, 20, 8
    )


def test_aware_datetimes_are_converted_to_post_time() -> None:
    # 02:30 UTC on a Monday is 08:30 in Bishkek (UTC+6): open.
    utc = dt.datetime(2025, 6, 9, 2, 30, tzinfo=dt.UTC)
    assert post_open("torugart", "KGZ->CHN", utc).open
    # Saturday noon UTC: next opening is Monday 08:00 Bishkek = 02:00 UTC, returned in UTC.
    result = next_opening("torugart", "KGZ->CHN", dt.datetime(2025, 6, 7, 12, tzinfo=dt.UTC))
    assert result == dt.datetime(2025, 6, 9, 2, 0, tzinfo=dt.UTC)
    assert result.utcoffset() == dt.timedelta(0)
    # Chaman publishes hours in Kabul time (UTC+4:30): 05:00 UTC = 09:30 Kabul, open.
    assert post_open("chaman", "PAK->AFG", dt.datetime(2022, 5, 10, 5, tzinfo=dt.UTC)).open
    kabul = ZoneInfo("Asia/Kabul")
    assert not post_open("chaman", "PAK->AFG", dt.datetime(2022, 5, 10, 6, tzinfo=kabul)).open


@pytest.mark.parametrize("post", PK_AF_POSTS)
@pytest.mark.parametrize("reverse", [False, True])
def test_pakistan_afghanistan_posts_closed_on_2025_10_20(post: str, reverse: bool) -> None:
    rules = load_rules()
    direction = rules.posts[post].direction_keys[int(reverse)]
    status = post_open(post, direction, dt.datetime(2025, 10, 20, 12))
    assert not status.open
    assert "open-ended" in status.reason and "2026-02-05" in status.reason
    assert not post_open(post, direction, dt.date(2025, 10, 20)).open
    with pytest.raises(PostClosedError) as info:
        next_opening(post, direction, dt.datetime(2025, 10, 20, 12))
    assert isinstance(info.value, NoRouteError)
    assert info.value.reasons


def test_uzbek_truck_in_pakistan_under_uptta() -> None:
    assert carrier_may_run("UZB", "PAK", dt.date(2022, 6, 1), tir=True) == (True, "uptta")
    allowed, reason = carrier_may_run("UZB", "PAK", dt.date(2020, 6, 1), tir=True)
    assert not allowed
    assert "UZB" in reason and "PAK" in reason
    # Without TIR the UPTTA permit does not apply; the answer says so.
    allowed, reason = carrier_may_run("UZB", "PAK", dt.date(2022, 6, 1))
    assert not allowed
    assert "uptta" in reason and "TIR" in reason


def test_tashkent_karachi_chain_of_rights_in_2022() -> None:
    day = dt.date(2022, 6, 1)
    for country in ("UZB", "AFG", "PAK"):
        assert carrier_may_run("UZB", country, day, tir=True).allowed, country
    assert not carrier_may_run("UZB", "AFG", dt.date(2020, 6, 1), tir=True).allowed


# --------------------------------------------------------------------------------------------
# More behaviour
# --------------------------------------------------------------------------------------------
def test_torkham_dated_closures_and_covid_schedule() -> None:
    closed = post_open("torkham", "PAK->AFG", dt.datetime(2023, 9, 10, 12))
    assert not closed.open and "firefight" in closed.reason
    assert post_open("torkham", "PAK->AFG", dt.datetime(2023, 9, 15, 12)).open
    assert next_opening("torkham", "AFG->PAK", dt.datetime(2025, 3, 1)) == dt.datetime(2025, 3, 19)
    # Pandemic regime: Mon, Wed, Fri from 10 Apr 2020; six days a week (no Saturday) from 17 May.
    assert not post_open("torkham", "PAK->AFG", dt.date(2020, 4, 14)).open  # Tuesday
    assert post_open("torkham", "PAK->AFG", dt.date(2020, 4, 15)).open  # Wednesday
    assert not post_open("torkham", "PAK->AFG", dt.date(2020, 6, 6)).open  # Saturday
    assert not post_open("torkham", "PAK->AFG", dt.date(2020, 3, 20)).open  # COVID closure
    # Before the 24/7 regime: 12 h a day.
    assert not post_open("torkham", "PAK->AFG", dt.datetime(2019, 1, 7, 22)).open


def test_ghulam_khan_direction_specific_weekdays() -> None:
    monday, friday = dt.date(2019, 6, 3), dt.date(2019, 6, 7)
    assert post_open("ghulam-khan", "PAK->AFG", monday).open
    assert not post_open("ghulam-khan", "PAK->AFG", friday).open
    assert post_open("ghulam-khan", "AFG->PAK", friday).open
    assert not post_open("ghulam-khan", "AFG->PAK", monday).open
    assert not post_open("ghulam-khan", "AFG->PAK", dt.date(2009, 6, 1)).open  # not yet opened


def test_rail_only_closure_at_hairatan() -> None:
    day = dt.datetime(2023, 2, 5, 12)
    assert post_open("hairatan", "UZB->AFG", day, mode="road").open
    assert not post_open("hairatan", "UZB->AFG", day, mode="rail").open


def test_bad_queries_are_input_errors() -> None:
    with pytest.raises(InvalidInputError, match="did you mean torkham"):
        post_open("torkam", "PAK->AFG", dt.datetime(2024, 1, 1))
    with pytest.raises(InvalidInputError, match="directions"):
        post_open("torkham", "PAK->CHN", dt.datetime(2024, 1, 1))
    with pytest.raises(InvalidInputError, match="mode"):
        post_open("torkham", "PAK->AFG", dt.datetime(2024, 1, 1), mode="air")
    with pytest.raises(InvalidInputError, match="country code"):
        carrier_may_run("UZ", "PAK", dt.date(2022, 1, 1))
    with pytest.raises(InvalidInputError):
        describe(agreement="aptta2010")


def test_domestic_and_denials_with_transload_posts() -> None:
    assert carrier_may_run("PAK", "PAK", dt.date(2001, 1, 1)) == (True, "domestic")
    decision = decide_carrier("PAK", "AFG", dt.date(2020, 6, 1))
    assert not decision.allowed
    assert decision.transload_at == ("torkham", "chaman")
    assert decision.rule is not None and decision.rule.effect == "deny"
    # TIR-authorised Pakistani carriers run through from 30 Apr 2021.
    assert carrier_may_run("PAK", "AFG", dt.date(2022, 6, 1), tir=True) == (True, "tir")
    # Chinese trucks stop at Sost; Pakistani TIR trucks enter China from 25 Jun 2023.
    assert decide_carrier("CHN", "PAK", dt.date(2024, 6, 1), tir=True).transload_at == (
        "khunjerab",
    )
    assert not carrier_may_run("PAK", "CHN", dt.date(2023, 6, 1), tir=True).allowed
    assert carrier_may_run("PAK", "CHN", dt.date(2023, 7, 1), tir=True) == (True, "qtta")


def test_trailer_swap_turkmen_convoys_and_khorgos() -> None:
    assert not carrier_may_run("KGZ", "CHN", dt.date(2021, 6, 1)).allowed
    assert carrier_may_run("KGZ", "CHN", dt.date(2024, 6, 1)).allowed
    swaps = transloads_at("torugart", dt.date(2021, 6, 1))
    assert [t.kind for t in swaps] == ["trailer_swap"]
    assert transloads_at("torugart", dt.date(2024, 6, 1)) == ()
    assert not carrier_may_run("UZB", "TKM", dt.date(2021, 6, 1)).allowed
    assert carrier_may_run("UZB", "TKM", dt.date(2022, 6, 1)) == (True, "tm-transit-2022")
    assert carrier_may_run("UZB", "TKM", dt.date(2019, 6, 1)).allowed
    decision = decide_carrier("CHN", "KAZ", dt.date(2025, 1, 1))
    assert not decision.allowed and decision.transload_at == ("khorgos",)


def test_agreements_in_force() -> None:
    keys_2022 = {a.key for a in agreements_in_force(dt.date(2022, 6, 1))}
    assert {"aptta", "uptta", "qtta", "tir"} <= keys_2022
    assert "uptta" not in {a.key for a in agreements_in_force(dt.date(2021, 6, 1))}
    assert "aptta" not in {a.key for a in agreements_in_force(dt.date(2010, 1, 1))}


def test_tir_availability() -> None:
    assert not tir_available("PAK", dt.date(2017, 6, 1))[0]
    assert tir_available("PAK", dt.date(2019, 6, 1))[0]
    assert tir_available("KAZ", dt.date(2000, 1, 1))[0]


def test_babusar_is_a_summer_road() -> None:
    assert not seasonal_road_open("babusar", dt.date(2024, 1, 10))[0]
    assert seasonal_road_open("babusar", dt.date(2024, 7, 10))[0]
    assert not seasonal_road_open("babusar", dt.date(2023, 10, 20))[0]  # closed early by snow
    assert seasonal_road_open("babusar", dt.date(2022, 7, 10))[0]  # season rule
    assert not seasonal_road_open("babusar", dt.date(2022, 12, 10))[0]


def test_describe_is_an_audit_trail() -> None:
    rows = describe(post="torkham")
    names = [r.name for r in rows]
    assert "border_posts.posts.torkham.directions.PAK->AFG.hours" in names
    assert any(r.unit == "closure" and "2025-10-12" in str(r.value) for r in rows)
    assert any(r.unit == "carrier right" for r in rows)
    assert any(r.unit == "schedule" for r in rows)
    assert all(len(r) == 7 for r in rows)
    uptta = describe(agreement="uptta")
    assert any(r.unit == "date" and r.value == "2022-03-03" for r in uptta)
    assert any("uptta-uzb-in-pak" in r.name for r in uptta)
    pak = describe(country="PAK")
    assert any(r.name == "linehaul.road.PAK.cost_per_truck_km" and r.value == 1.138 for r in pak)
    assert describe(section="handling")


# --------------------------------------------------------------------------------------------
# Property: next_opening lands on an open moment, and is the query time when already open
# --------------------------------------------------------------------------------------------
_POSTS = sorted(load_rules().posts)


@settings(max_examples=300, deadline=None)
@given(
    post=st.sampled_from(_POSTS),
    reverse=st.booleans(),
    when=st.datetimes(min_value=dt.datetime(2016, 1, 1), max_value=dt.datetime(2026, 6, 30)),
)
def test_next_opening_is_open_and_not_early(post: str, reverse: bool, when: dt.datetime) -> None:
    direction = load_rules().posts[post].direction_keys[int(reverse)]
    try:
        opening = next_opening(post, direction, when)
    except PostClosedError:
        assert not post_open(post, direction, when).open
        return
    assert opening >= when
    assert post_open(post, direction, opening).open
    if post_open(post, direction, when).open:
        assert opening == when
    else:
        # One minute earlier it is still closed (or it is the query time itself).
        earlier = opening - dt.timedelta(minutes=1)
        assert earlier < when or not post_open(post, direction, earlier).open


def test_crossing_figures_with_tir_and_carrier_fees() -> None:
    plain = crossing_figures("torkham", "PAK->AFG", dt.date(2024, 6, 1))
    assert (plain.hours, plain.cost_usd, plain.sigma) == (24.2, 267.0, 0.77)
    assert [name for name, _ in plain.quantities] == ["hours", "cost", "sigma"]
    tir = crossing_figures("torkham", "PAK->AFG", dt.date(2024, 6, 1), tir=True)
    assert tir.hours == pytest.approx(24.2 * 0.67)
    assert tir.cost_usd == pytest.approx(267.0)
    # Afghan fees on Uzbek trucks at Hairatan, cut on 28 Sep 2024.
    before = crossing_figures("hairatan", "UZB->AFG", dt.date(2024, 9, 1), carrier="UZB")
    after = crossing_figures("hairatan", "UZB->AFG", dt.date(2024, 10, 1), carrier="UZB")
    assert before.cost_usd == pytest.approx(74 + 182 + 76)
    assert after.cost_usd == pytest.approx(74 + 106 + 53)
    assert crossing_figures("hairatan", "UZB->AFG", dt.date(2024, 10, 1)).cost_usd == 74
    assert crossing_figures("hairatan", "UZB->AFG", dt.date(2024, 10, 1), carrier="KAZ").fees == ()


# --------------------------------------------------------------------------------------------
# Memoised opening days and the fast answers built on them
# --------------------------------------------------------------------------------------------
def _instants(start: dt.datetime, days: int, step_hours: int) -> list[dt.datetime]:
    return [start + dt.timedelta(hours=h) for h in range(0, days * 24, step_hours)]


@pytest.mark.parametrize(
    ("post", "direction", "mode", "start"),
    [
        ("torugart", "KGZ->CHN", "road", dt.datetime(2025, 6, 5, 3, 17)),  # a weekend
        ("khunjerab", "PAK->CHN", "road", dt.datetime(2023, 1, 10, 0, 45)),  # a closure
        ("khunjerab", "CHN->PAK", "road", dt.datetime(2024, 11, 25, 7)),  # the season ends
        ("torkham", "PAK->AFG", "road", dt.datetime(2019, 9, 15, 1, 30)),  # 07-19 then 24 h
        ("sher-khan-bandar", "TJK->AFG", "road", dt.datetime(2007, 12, 29, 9)),
    ],
)
def test_opening_at_answers_as_post_open_and_next_opening(
    post: str, direction: str, mode: str, start: dt.datetime
) -> None:
    from corridors.rules.query import opening_at

    tz = ZoneInfo("Asia/Karachi")
    checked = closed = 0
    for when in _instants(start, 10, 5):
        for moment in (when, when.replace(tzinfo=tz)):  # naive = local, aware = converted
            shut = not post_open(post, direction, moment, mode=mode).open
            expected = next_opening(post, direction, moment, mode=mode) if shut else None
            assert opening_at(post, direction, moment, mode=mode) == expected
            checked += 1
            closed += shut
    assert 0 < closed < checked  # the sweep saw the post both open and shut


@pytest.mark.parametrize(
    ("post", "direction", "since", "expected"),
    [
        ("islam-qala", "AFG->IRN", dt.datetime(2020, 1, 1), True),  # 24/7, no closures
        ("torugart", "KGZ->CHN", dt.datetime(2025, 6, 2), False),  # weekdays only
        ("torkham", "AFG->PAK", dt.datetime(2025, 6, 2), False),  # shut from 2025-10-12 on
        ("torkham", "AFG->PAK", dt.datetime(2019, 9, 1), False),  # 07:00-19:00 until then
        ("khunjerab", "PAK->CHN", dt.datetime(2023, 6, 2), False),  # the winter season
        ("khunjerab", "PAK->CHN", dt.datetime(2025, 6, 2), True),  # no season rule after 2024
        ("sher-khan-bandar", "TJK->AFG", dt.datetime(2007, 6, 2), False),  # hours until 2008
        ("sher-khan-bandar", "TJK->AFG", dt.datetime(2008, 1, 1), True),
    ],
)
def test_open_throughout_only_for_posts_that_never_shut(
    post: str, direction: str, since: dt.datetime, expected: bool
) -> None:
    from corridors.rules.query import open_throughout

    assert open_throughout(post, direction, since) is expected
    aware = since.replace(tzinfo=ZoneInfo(load_rules().posts[post].timezone))
    assert open_throughout(post, direction, aware) is expected
    if expected:  # then every later instant is open
        for when in _instants(since, 400, 7):
            assert post_open(post, direction, when).open
    else:  # the post shuts at some later instant
        assert any(not post_open(post, direction, t).open for t in _instants(since, 400, 1))


def test_open_throughout_respects_the_start_of_operation() -> None:
    from corridors.rules.query import open_throughout

    rules = load_rules()
    post = next(
        p
        for p in rules.posts.values()
        if p.operational_from is not None and not p.closures and not p.seasons
        and all(len(w.days) == 7 and w.hours == ("00:00-24:00",) for w in p.schedule)
    )  # fmt: skip
    direction = post.direction_keys[0]
    day = post.operational_from.date
    before = dt.datetime.combine(day - dt.timedelta(days=1), dt.time(12))
    assert not open_throughout(post.key, direction, before)
    assert not post_open(post.key, direction, before).open
    assert open_throughout(post.key, direction, dt.datetime.combine(day, dt.time.min))


def test_memoised_days_do_not_leak_between_rules_objects() -> None:
    """Two rules objects that differ in one post's schedule give each their own answer,
    whichever is asked first (the memo is per post object)."""
    from corridors.rules.query import opening_at

    rules = load_rules()
    saturday = dt.datetime(2025, 6, 7, 10)
    post = rules.posts["torugart"]
    every_day = tuple(
        w.model_copy(update={"days": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")})
        for w in post.schedule
    )
    posts = dict(rules.posts)
    posts["torugart"] = post.model_copy(update={"schedule": every_day, "closures": ()})
    other = rules.model_copy(
        update={"border_posts": rules.border_posts.model_copy(update={"posts": posts})}
    )
    monday = dt.datetime(2025, 6, 9, 8)
    for first, second in ((rules, other), (other, rules)):
        got = {
            id(r): opening_at("torugart", "KGZ->CHN", saturday, rules=r) for r in (first, second)
        }
        assert got == {id(rules): monday, id(other): None}
    assert post_open("torugart", "KGZ->CHN", saturday, rules=other).open
    assert not post_open("torugart", "KGZ->CHN", saturday, rules=rules).open
