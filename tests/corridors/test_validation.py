"""The validation table: its schema, and the model against every published observation.

Cases the model is meant to reproduce must fall in their band; cases marked
``expected_out_of_band`` must stay out of it and say why.  If the model improves and such a
case comes into band, the test fails so that the table is updated (never silently).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from corridors.planner import Planner
from corridors.validate import (
    METRICS,
    Band,
    ValidationTableError,
    band_limits,
    load_table,
    run_validation,
    summarize,
)
from geodata.errors import InvalidInputError

TABLE = load_table()
CASES = {c.id: c for c in TABLE.cases}
MEANT_TO_PASS = [c.id for c in TABLE.cases if not c.expected_out_of_band]
KNOWN_MISSES = [c.id for c in TABLE.cases if c.expected_out_of_band]


@pytest.fixture(scope="module")
def results(planner: Planner) -> dict[str, dict[str, Any]]:
    """Every case run once on the session's planner (about 45 s)."""
    before = set(planner._models)
    out = run_validation(planner)
    # the run drops the cost models (and their graphs) it built, so a shared planner is not
    # left holding GBs (a planner with a cap may also have dropped older ones meanwhile)
    assert set(planner._models) <= before
    return {r["id"]: r for r in out}


# ------------------------------------------------------------------------------------------
# The table itself
# ------------------------------------------------------------------------------------------
def test_bands_are_the_issue_s_rules() -> None:
    by_metric = {m: b for b in TABLE.bands.values() for m in b.metrics}
    assert set(by_metric) == set(METRICS)
    assert (by_metric["distance_km"].rule, by_metric["distance_km"].tolerance) == ("relative", 0.10)
    for m in ("hours", "days", "speed_kmh"):
        assert (by_metric[m].rule, by_metric[m].tolerance) == ("range_or_relative", 0.25)
    assert (by_metric["cost_usd"].rule, by_metric["cost_usd"].tolerance) == ("relative", 0.25)


def test_every_case_is_sourced_and_carries_its_metric_s_band() -> None:
    assert len(TABLE.cases) >= 40
    for c in TABLE.cases:
        assert c.source or c.sources or (c.estimate and c.reasoning), c.id
        for s in ([c.source] if c.source else []) + list(c.sources):
            assert s.url.startswith(("http://", "https://")) and s.title and s.year, c.id
        assert c.unit == METRICS[c.metric], c.id
        assert c.metric in TABLE.band_of(c).metrics, c.id
        assert c.conditions.strip(), c.id
        if c.expected_out_of_band:
            assert c.reason and len(c.reason) > 30, c.id


def test_every_metric_and_several_corridors_are_covered() -> None:
    metrics = {c.metric for c in TABLE.cases}
    assert {"distance_km", "cost_usd"} <= metrics and metrics & {"hours", "days"}
    # the calibration observations of shared/reference are all in the table
    assert {"C14", "C15", "C16", "C17", "C19", "C24", "C25"} <= {c.observation for c in TABLE.cases}
    assert sum(not c.independent for c in TABLE.cases) < len(TABLE.cases) / 4


def test_every_place_of_the_table_resolves(planner: Planner) -> None:
    for c in TABLE.cases:
        for name in (c.origin, *c.via, c.destination):
            planner.places.resolve(name)  # raises UnknownPlaceError with suggestions


def test_a_malformed_case_is_reported_in_one_line(tmp_path: Path) -> None:
    text = (Path(__file__).parents[2] / "corridors" / "data" / "validation.toml").read_text(
        encoding="utf-8"
    )
    head, first = text.split("[[cases]]")[:2]
    broken = first.replace('band = "distance"', 'band = "cost"')
    path = tmp_path / "v.toml"
    path.write_text(head + "[[cases]]" + broken, encoding="utf-8")
    with pytest.raises(ValidationTableError, match=r"case C14-distance.*band 'distance'"):
        load_table(path)
    unsourced = "\n".join(
        line for line in first.splitlines() if not line.startswith(("source", "sources"))
    )
    path.write_text(head + "[[cases]]" + unsourced, encoding="utf-8")
    with pytest.raises(ValidationTableError, match="needs a 'source'"):
        load_table(path)
    path.write_text(head + "[[cases]]" + first + "[[cases]]" + first, encoding="utf-8")
    with pytest.raises(ValidationTableError, match="used twice"):
        load_table(path)


def test_band_limits() -> None:
    time = Band(rule="range_or_relative", tolerance=0.25, metrics=("days",), text="")
    cost = Band(rule="relative", tolerance=0.25, metrics=("cost_usd",), text="")
    assert band_limits(time, (3.0, 4.0)) == (3.0, 4.0)
    assert band_limits(time, 5.0) == (3.75, 6.25)
    assert band_limits(cost, (2000.0, 2100.0)) == (1500.0, 2625.0)


def test_unknown_case_id_names_the_nearest() -> None:
    with pytest.raises(InvalidInputError, match="C14-distance"):
        run_validation(cases=["C14-distanc"])


# ------------------------------------------------------------------------------------------
# The model against the observations
# ------------------------------------------------------------------------------------------
def _describe(r: dict[str, Any]) -> str:
    return (
        f"{r['id']}: model {r['model']} {r['unit']} vs observed {r['observed']} "
        f"(band {r['band']}, error {r['error_pct']} %) {r['error']}"
    )


@pytest.mark.parametrize("case_id", MEANT_TO_PASS)
def test_the_model_reproduces_the_observation(results, case_id: str) -> None:
    r = results[case_id]
    assert r["model"] is not None, _describe(r)
    assert r["in_band"], _describe(r)


@pytest.mark.parametrize("case_id", KNOWN_MISSES)
def test_a_known_miss_stays_out_of_band_with_its_reason(results, case_id: str) -> None:
    r = results[case_id]
    assert r["reason"], case_id
    assert not r["in_band"], (
        f"{_describe(r)} is now within band: the model improved, so set "
        "expected_out_of_band = false (and drop the reason) in validation.toml"
    )


def test_summary_counts_add_up(results) -> None:
    rows = list(results.values())
    s = summarize(rows)
    assert s["cases"] == len(TABLE.cases)
    assert s["in_band"] == sum(r["in_band"] for r in rows)
    assert sum(m["cases"] for m in s["per_metric"].values()) == s["cases"]
    assert s["meant_to_pass"]["cases"] + s["expected_out_of_band"] == s["cases"]
    assert s["unexpected"] == []
    assert 0 < s["share_in_band"] <= 1


def test_via_places_force_the_published_path_in_one_bill(results) -> None:
    r = results["UZB-2022-karachi-tashkent-distance"]  # Karachi–Peshawar–Kabul–Termez–Tashkent
    assert r["via"] == ["Torkham", "Kabul", "Mazar-i-Sharif", "Termez", "Samarkand"]
    posts = r["route"]["border_posts"]
    assert posts[0] == "Torkham" and posts[-1].startswith("Hairatan")
    assert r["route"]["regimes"] == ["TIR carnet"]  # one route, one carnet


def test_cpmm_speeds_are_measured_on_the_country_section_with_its_crossings(results) -> None:
    """A CPMM speed with delay includes the border: the case divides the country's road km
    by its line-haul hours plus the hours of its crossings, all taken from the route."""
    for cid in ("CPMM-PAK-2023-swd", "CPMM-KAZ-2022-swd"):
        r = results[cid]
        route = r["route"]
        assert route["section_border_hours"] > 0, cid
        assert route["section_km"] < route["distance_km"], cid
        speed = route["section_km"] / (
            route["section_linehaul_hours"] + route["section_border_hours"]
        )
        assert r["model"] == pytest.approx(speed, rel=1e-3), cid
        # the line-haul alone is faster than CPMM's speed with delay (no double count)
        assert route["section_km"] / route["section_linehaul_hours"] > r["observed"], cid


# ------------------------------------------------------------------------------------------
# The command
# ------------------------------------------------------------------------------------------
def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "corridors.cli", *args],
        cwd=tempfile.gettempdir(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_validate_command_prints_model_observed_error_and_band() -> None:
    p = _run("validate", "--case", "C14-distance", "--case", "PPI-2023-karachi-peshawar-40ft")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0].split() == ["case", "model", "observed", "error", "band"]
    assert any(ln.startswith("C14-distance") and ln.rstrip().endswith("in") for ln in lines)
    assert any("OUT (expected)" in ln for ln in lines)
    assert any(ln.strip().startswith("why: The model has one road rate") for ln in lines)
    assert "within band: 1 of 2 (50 %)" in p.stdout
    assert " passed, " not in p.stdout and " failed" not in p.stdout


def test_validate_command_json() -> None:
    p = _run("validate", "--case", "UZB-2022-karachi-tashkent-days", "--json")
    assert p.returncode == 0, p.stderr
    data = json.loads(p.stdout)
    (case,) = data["cases"]
    assert case["id"] == "UZB-2022-karachi-tashkent-days" and case["unit"] == "days"
    assert case["in_band"]
    assert data["summary"]["cases"] == 1 and data["summary"]["share_in_band"] == 1.0
    bad = _run("validate", "--case", "nope")
    assert bad.returncode == 2 and bad.stderr.startswith("error: unknown validation case")
    assert len(bad.stderr.strip().splitlines()) == 1
