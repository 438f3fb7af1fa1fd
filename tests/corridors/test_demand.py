"""The demand table: conversions, validation errors, selection."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from corridors.demand import DIRECTIONS, DemandError, load_demand
from geodata.errors import InvalidInputError

PACKAGED = Path(__file__).parents[2] / "corridors" / "data" / "demand.toml"


def test_rows_convert_value_to_tonnes_trucks_and_teu() -> None:
    d = load_demand()
    assert {r.country for r in d.rows} >= {"AZE", "KAZ", "KGZ", "TJK", "TKM", "UZB"}
    for r in d.rows:
        assert r.direction in DIRECTIONS
        assert math.isclose(r.tonnes_per_year, r.value_usd / r.usd_per_tonne)
        assert math.isclose(r.trucks_per_year, r.tonnes_per_year / d.tonnes_per_truck)
        assert math.isclose(r.teu_per_year, r.trucks_per_year * d.teu_per_truck)
        assert math.isclose(r.trucks_per_day, r.trucks_per_year / d.operating_days_per_year)
        assert r.source
        if r.direction == "pak_export":
            assert r.origin == "Karachi" and r.destination != "Karachi"
        else:
            assert r.destination == "Karachi" and r.origin != "Karachi"


def test_seed_paper_values_are_the_issue_table() -> None:
    d = load_demand()
    value = {(r.country, r.direction): r.value_usd for r in d.rows}
    assert value[("KAZ", "pak_export")] == pytest.approx(132.73e6)
    assert value[("KGZ", "pak_import")] == pytest.approx(0.069e6)
    assert value[("UZB", "pak_import")] == pytest.approx(134e6)


def test_every_place_resolves(planner) -> None:  # type: ignore[no-untyped-def]
    for r in load_demand().rows:
        planner.places.resolve(r.origin)
        planner.places.resolve(r.destination)


def test_edits_change_the_conversion(tmp_path: Path) -> None:
    text = PACKAGED.read_text(encoding="utf-8")
    edited = tmp_path / "demand.toml"
    edited.write_text(
        text.replace(
            "[conversions.tonnes_per_truck]\nvalue = 20",
            "[conversions.tonnes_per_truck]\nvalue = 10",
        ),
        encoding="utf-8",
    )
    base, half = load_demand(), load_demand(edited)
    assert half.rows[0].trucks_per_year == pytest.approx(2 * base.rows[0].trucks_per_year)


@pytest.mark.parametrize(
    ("old", "new", "where"),
    [
        ("value_usd = 12.09e6", "value_usd = -1", "flows[0].value_usd"),
        (
            'direction = "pak_export"\nvalue_usd = 12.09e6',
            'direction = "export"\nvalue_usd = 12.09e6',
            "flows[0].direction",
        ),
        ('source = "seed_paper"\n', 'source = "nowhere"\n', "flows"),
        (
            'country = "AZE"\ndirection = "pak_export"',
            'country = "XXX"\ndirection = "pak_export"',
            "flows[0].country",
        ),
    ],
)
def test_bad_file_gives_one_line_naming_the_key(
    tmp_path: Path, old: str, new: str, where: str
) -> None:
    text = PACKAGED.read_text(encoding="utf-8")
    assert old in text
    bad = tmp_path / "demand.toml"
    bad.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(DemandError) as err:
        load_demand(bad)
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith("demand.toml: ") and where in msg
    assert err.value.exit_code == 3


def test_missing_file_and_selection_errors(tmp_path: Path) -> None:
    with pytest.raises(DemandError, match="not found"):
        load_demand(tmp_path / "nope.toml")
    d = load_demand()
    assert {r.country for r in d.select(countries=("AFG",)).rows} == {"AFG"}
    with pytest.raises(InvalidInputError):
        d.select(countries=("XYZ",))
    assert d.scaled(2.0).total_trucks_per_year == pytest.approx(2 * d.total_trucks_per_year)
