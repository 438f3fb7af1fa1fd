"""The assignment flow map: offline HTML, widths by flow, posts coloured by utilisation."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from corridors.cli import cli
from geodata.errors import InvalidInputError
from maps import external_references
from maps.flow_map import UTILISATION_COLOURS, flow_map, utilisation_colour

DEMAND = Path(__file__).parents[2] / "corridors" / "data" / "demand.toml"


def _route(label: str, flow: float, share: float, posts: list[str], dx: float) -> dict[str, Any]:
    return {
        "label": label,
        "posts": posts,
        "share": share,
        "trucks_per_day": flow,
        "geometry": {
            "type": "MultiLineString",
            "coordinates": [[[67.0 + dx, 24.9], [69.0 + dx, 31.0], [69.2 + dx, 34.5]]],
        },
    }


def _assignment() -> dict[str, Any]:
    def post(name: str, trucks: float, cap: float | None, lat: float) -> dict[str, Any]:
        return {
            "post": name.lower(),
            "name": name,
            "mode": "road",
            "trucks_per_day": trucks,
            "trucks_per_year": trucks * 365,
            "capacity_per_day": cap,
            "capacity_unit": "trucks/day" if cap else None,
            "utilisation": None if cap is None else trucks / cap,
            "added_wait_hours": 1.0,
            "capacity_source": "test",
            "lat": lat,
            "lon": 70.0,
        }

    return {
        "settings": {"departure": "2025-06-01"},
        "totals": {"trucks_per_day_assigned": 300.0, "waiting_truck_hours_per_year": 1000.0},
        "posts": [
            post("Chaman", 250.0, 200.0, 30.9),
            post("Ghulam Khan", 50.0, 100.0, 33.0),
            post("Unlisted", 5.0, None, 34.0),
        ],
        "ods": [
            {
                "od": "AFG pak_export",
                "origin": "Karachi",
                "destination": "Kabul",
                "routes": [
                    _route("best", 250.0, 0.833, ["Chaman"], 0.0),
                    _route("via Ghulam Khan", 50.0, 0.167, ["Ghulam Khan"], 1.0),
                    _route("unused", 0.0, 0.0, ["Unlisted"], 2.0),
                ],
            }
        ],
    }


def test_flow_map_is_offline_with_widths_and_colours(tmp_path: Path) -> None:
    out = tmp_path / "flows.html"
    flow_map(_assignment()).save(str(out))
    html = out.read_text(encoding="utf-8")
    assert external_references(html) == []
    weights = [float(w) for w in re.findall(r'"weight": ([0-9.]+)', html)]
    assert max(weights) > min(weights)  # the bigger flow is wider
    assert utilisation_colour(1.25) in html and utilisation_colour(0.5) in html
    assert utilisation_colour(None) in html
    assert "Ghulam Khan" in html and "Chaman" in html
    assert "unused" not in html  # routes without flow are not drawn


def test_utilisation_bands() -> None:
    assert utilisation_colour(0.2) == UTILISATION_COLOURS[0][1]
    assert utilisation_colour(0.9) == UTILISATION_COLOURS[1][1]
    assert utilisation_colour(3.0) == UTILISATION_COLOURS[2][1]


def test_not_an_assignment() -> None:
    with pytest.raises(InvalidInputError, match="not an assignment"):
        flow_map({"posts": []})


def test_cli_assign_writes_csv_and_map(tmp_path: Path) -> None:
    text = DEMAND.read_text(encoding="utf-8")
    head, _, flows = text.partition("[[flows]]")
    kabul = [f for f in flows.split("[[flows]]") if 'origin = "Kabul"' in f]
    small = tmp_path / "demand.toml"
    small.write_text(head + "[[flows]]" + kabul[0], encoding="utf-8")
    out = tmp_path / "flows.html"
    res = CliRunner().invoke(
        cli,
        [
            "assign",
            "--demand",
            str(small),
            "--date",
            "2025-06-01",
            "--csv",
            "posts",
            "--map",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert lines[0].startswith("post,name,mode,trucks_per_day")
    assert any(line.startswith("torkham,Torkham,road,") for line in lines)
    assert external_references(out.read_text(encoding="utf-8")) == []
