"""CO2e of routes: distance × tonnes × factor per leg, factors cited by `corridors rules`."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner

from corridors.cli import cli
from corridors.emissions import cargo_tonnes, factor_of
from corridors.planner import Planner, Route
from corridors.shipment import Shipment

DAY = dt.date(2025, 6, 1)


@pytest.fixture(scope="module")
def road_rail(planner: Planner) -> list[Route]:
    sh = Shipment("UZB", DAY, cargo="20ft")
    return [
        planner.route("Tashkent", "Karachi", shipment=sh, modes=["road"]),
        planner.route("Tashkent", "Karachi", shipment=sh),
    ]


def test_route_co2e_is_the_sum_over_legs(planner: Planner, road_rail: list[Route]) -> None:
    rules = planner.rules
    for r in road_rail:
        tonnes = cargo_tonnes(r.shipment, rules)
        expected = 0.0
        for leg in r.legs:
            _key, factor = factor_of(
                leg.mode, country=leg.country, carrier=leg.carrier, gauge_mm=leg.gauge_mm,
                rules=rules,
            )  # fmt: skip
            value = 0.0 if factor is None else factor.value
            assert leg.co2e_kg == pytest.approx(leg.distance_km * tonnes * value)
            expected += leg.distance_km * tonnes * value
        assert r.co2e_kg == pytest.approx(expected)
        d = r.to_dict()
        assert d["co2e_kg"] == pytest.approx(expected, abs=1e-2)
        assert sum(leg["co2e_kg"] for leg in d["legs"]) == pytest.approx(expected, abs=0.1)
    road = road_rail[0]
    assert {leg.mode for leg in road.legs} <= {"road", "border"}
    assert road.co2e_kg == pytest.approx(
        road.distance_km * 20.0 * rules.emissions.factors["road"].value  # type: ignore[union-attr]
    )


def test_bulk_uses_its_own_tonnes(planner: Planner) -> None:
    sh = Shipment("PAK", DAY, cargo="bulk", tonnes=40.0)
    r = planner.route("Karachi", "Peshawar", shipment=sh, modes=["road"])
    assert cargo_tonnes(sh, planner.rules) == 40.0
    assert r.co2e_kg == pytest.approx(
        r.distance_km * 40.0 * planner.rules.emissions.factors["road"].value  # type: ignore[union-attr]
    )


def test_rules_emissions_prints_each_factor_with_its_source(planner: Planner) -> None:
    res = CliRunner().invoke(cli, ["rules", "--emissions"])
    assert res.exit_code == 0, res.output
    em = planner.rules.emissions
    assert em is not None
    for key, f in em.factors.items():
        assert f"{key}: {f.value} kg CO2e/t-km" in res.output
        for src in f.all_sources:
            assert src.url in res.output
    data = json.loads(CliRunner().invoke(cli, ["rules", "--emissions", "--json"]).output)
    assert data["factors"]["road"]["value"] == em.factors["road"].value
    assert "GLEC" in data["method"]
