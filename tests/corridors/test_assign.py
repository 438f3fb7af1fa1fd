"""Capacity-constrained assignment: the equilibrium core and the Torkham what-if."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from corridors.assign import Assignment, DelayModel, assign, equilibrate
from corridors.cli import cli
from corridors.demand import load_demand
from corridors.planner import Planner
from corridors.rules import load_rules

OPEN_DAY = dt.date(2025, 6, 1)  # before the PK–AF closure of 12 Oct 2025
GAP = 1e-6


# --------------------------------------------------------------------------------------------
# Hand-built instance: one capacitated crossing, one uncapacitated alternative
# --------------------------------------------------------------------------------------------
BPR = DelayModel(function="bpr", alpha=0.15, beta=4.0)
QUEUE = DelayModel(function="queue", period_hours=168.0)


def _queue_hours(x: float, cap_per_day: float, period: float) -> float:
    """HCM incremental delay in hours, written out independently of corridors.assign."""
    ratio = x / cap_per_day
    ct = cap_per_day / 24.0 * period
    return period / 4 * ((ratio - 1) + math.sqrt((ratio - 1) ** 2 + 4 * ratio / ct))


def _two_routes(demand: float, c1: float, c2: float, delay: DelayModel = BPR) -> tuple[Any, float]:
    cap, t0, vot, alpha, beta = 100.0, 24.0, 10.0, 0.15, 4.0
    eq = equilibrate(
        free_cost=np.array([c1, c2]),
        od_of_path=np.array([0, 0]),
        demand=np.array([demand]),
        t0=np.array([[t0, 0.0], [0.0, 5.0]]),
        uses=np.array([[1.0, 0.0], [0.0, 1.0]]),
        capacity=np.array([cap, np.inf]),
        value_per_hour=np.array([vot, vot]),
        delay=delay,
        gap=GAP,
    )
    if delay.function == "bpr":
        # Wardrop: the used routes cost the same, c1 + vot t0 alpha (x/cap)^beta = c2
        x = cap * ((c2 - c1) / (vot * t0 * alpha)) ** (1 / beta)
    else:  # c1 + vot d(x) = c2, d increasing: bisection
        lo, hi = 0.0, 100.0 * demand + cap
        for _ in range(200):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if c1 + vot * _queue_hours(mid, cap, 168.0) < c2 else (lo, mid)
        x = lo
    return eq, min(x, demand)


@pytest.mark.parametrize("delay", [BPR, QUEUE], ids=["bpr", "queue"])
@pytest.mark.parametrize("demand", [50.0, 150.0, 400.0])
def test_matches_the_analytic_wardrop_equilibrium(demand: float, delay: DelayModel) -> None:
    eq, x = _two_routes(demand, c1=1000.0, c2=1200.0, delay=delay)
    assert eq.converged and eq.gap <= GAP
    assert eq.flows.sum() == pytest.approx(demand)
    assert eq.flows[0] == pytest.approx(x, rel=1e-3)
    if x < demand:  # both used: equal costs
        assert eq.costs[0] == pytest.approx(eq.costs[1], rel=1e-5)


def test_uncongested_demand_stays_on_the_cheapest_route() -> None:
    eq, x = _two_routes(10.0, c1=1000.0, c2=1200.0)
    assert x == 10.0 and eq.flows[1] == pytest.approx(0.0)
    assert eq.iterations >= 1


def test_over_capacity_shows_in_the_delay() -> None:
    eq, _ = _two_routes(400.0, c1=1000.0, c2=1_000_000.0)
    assert eq.volumes[0] == pytest.approx(400.0)  # the alternative is prohibitive
    assert eq.added_hours[0] == pytest.approx(24.0 * 0.15 * 4.0**4)
    eq, _ = _two_routes(400.0, c1=1000.0, c2=1_000_000.0, delay=QUEUE)
    assert eq.added_hours[0] == pytest.approx(_queue_hours(400.0, 100.0, 168.0))
    assert eq.added_hours[0] >= 168.0 / 2 * (4.0 - 1.0)  # the queue of a week at 4x capacity


def test_deterministic() -> None:
    a, _ = _two_routes(150.0, 1000.0, 1200.0)
    b, _ = _two_routes(150.0, 1000.0, 1200.0)
    assert np.array_equal(a.flows, b.flows) and a.iterations == b.iterations


# --------------------------------------------------------------------------------------------
# The real network: Torkham closed
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def runs(planner: Planner) -> dict[str, Assignment]:
    demand = load_demand().select(countries=("AFG",))
    return {
        "open": assign(planner, demand, departure=OPEN_DAY),
        "closed": assign(planner, demand, departure=OPEN_DAY, avoid=["Torkham"]),
    }


def _util(a: Assignment, post: str) -> float:
    try:
        return float(a.post(post)["utilisation"] or 0.0)
    except KeyError:
        return 0.0


def test_closing_torkham_spills_to_chaman_and_ghulam_khan(runs: dict[str, Assignment]) -> None:
    op, cl = runs["open"], runs["closed"]
    assert op.totals["converged"] and cl.totals["converged"]
    assert op.post("torkham")["trucks_per_day"] > 0
    assert all(p["post"] != "torkham" for p in cl.posts)
    assert _util(cl, "chaman") > _util(op, "chaman")
    assert _util(cl, "ghulam-khan") > _util(op, "ghulam-khan")
    assert cl.totals["waiting_truck_hours_per_year"] > op.totals["waiting_truck_hours_per_year"]
    assert (
        cl.totals["system_generalized_cost_usd_per_year"]
        > op.totals["system_generalized_cost_usd_per_year"]
    )


def test_no_post_over_capacity_without_delay(runs: dict[str, Assignment]) -> None:
    delay = load_rules().capacity.delay  # type: ignore[union-attr]
    assert delay.function == "queue"
    period = delay.period_hours.value
    over = 0
    for a in runs.values():
        for p in a.posts:
            if p["utilisation"] is not None and p["utilisation"] > 1:
                over += 1
                # the queue built over the period: at least T/2 (v/c - 1)
                assert p["added_wait_hours"] >= period / 2 * (p["utilisation"] - 1) - 1e-6
            if p["capacity_per_day"] is None:
                assert p["added_wait_hours"] == 0.0
    assert over  # closing Torkham does overload a post


def test_demand_is_conserved_and_tables_export(runs: dict[str, Assignment]) -> None:
    a = runs["closed"]
    for od in a.ods:
        assert sum(r["share"] for r in od["routes"]) == pytest.approx(1.0, abs=1e-3)
    total = sum(od["trucks_per_day"] for od in a.ods)
    assert a.totals["trucks_per_day_assigned"] == pytest.approx(total, rel=1e-6)
    posts_csv = a.to_csv("posts").splitlines()
    assert posts_csv[0].startswith("post,name,mode,trucks_per_day")
    assert len(posts_csv) == len(a.posts) + 1
    assert "Chaman" in a.to_csv("ods")
    d = a.to_dict()
    assert set(d) == {"settings", "totals", "posts", "ods"}
    assert math.isfinite(d["totals"]["co2e_t_per_year"]) and d["totals"]["co2e_t_per_year"] > 0


def test_cli_rejects_bad_input() -> None:
    runner = CliRunner()
    res = runner.invoke(cli, ["assign", "--date", "2025-13-01"])
    assert res.exit_code == 2 and "invalid date" in res.output
    res = runner.invoke(cli, ["assign", "--json", "--csv", "posts"])
    assert res.exit_code == 2 and "either --json or --csv" in res.output
    res = runner.invoke(cli, ["assign", "--avoid", "Atlantis", "--date", "2025-06-01"])
    assert res.exit_code == 2 and "cannot avoid" in res.output
