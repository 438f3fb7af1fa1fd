"""The command line as a user runs it: output, one-line errors and documented exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from corridors.cli import cli
from corridors.rules import load_rules


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the installed command in a fresh process from a neutral folder, as a user would
    (so the installed package is what runs, not the checkout)."""
    return subprocess.run(
        [sys.executable, "-m", "corridors.cli", *args],
        cwd=tempfile.gettempdir(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_route_tashkent_karachi_json_and_map(tmp_path: Path) -> None:
    out = tmp_path / "route.html"
    p = run("route", "Tashkent", "Karachi", "--json", "--map", str(out))
    assert p.returncode == 0, p.stderr
    data = json.loads(p.stdout)
    for key in ("origin", "destination", "distance_km", "hours", "legs", "geometry"):
        assert key in data
    assert data["origin"] == "Tashkent" and data["destination"] == "Karachi"
    assert 2000 < data["distance_km"] < 3500
    assert data["geometry"]["type"] == "MultiLineString"
    for leg in data["legs"]:
        assert {"mode", "from", "to", "country", "distance_km"} <= set(leg)
    assert sum(leg["distance_km"] for leg in data["legs"]) == pytest.approx(
        data["distance_km"], abs=0.01 * len(data["legs"])
    )
    html = out.read_text()
    assert "leaflet" in html.lower() and "OpenStreetMap contributors" in html


def test_route_human_summary() -> None:
    p = run("route", "Kashgar", "Islamabad", "--modes", "road")
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("Kashgar → Islamabad:")
    assert "Khunjerab" in p.stdout
    assert "snapped to the network" in p.stdout


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("route", "Tashkentt", "Karachi"), 2, "unknown place 'Tashkentt'; did you mean Tashkent"),
        (("route", "Tashkent", "toshkent"), 2, "origin and destination are the same place"),
        (("route", "41.3,abc", "Karachi"), 2, "malformed coordinates"),
        (("route", "95,69", "Karachi"), 2, "out of range"),
        (("route", "Termez", "Kabul", "--modes", "rail"), 1, "Kabul is not on the rail network"),
        (("route", "Mazar-i-Sharif", "Kharlachi", "--modes", "rail"), 1, "no connection by rail"),
        (("route", "Karachi", "Lahore", "--modes", "rail,bus"), 2, "unknown mode bus"),
        (("route", "Karachi", "Lahore", "--map", "/nonexistent/dir/m.html"), 2, "does not exist"),
        (("places", "--country", "Pakistan"), 2, "alpha-3"),
        (
            ("network", "build", "--sources", "/nonexistent", "--out", "/tmp/x.npz"),
            3,
            "source folder not found",
        ),
        (("network", "info", "--file", "/nonexistent.npz"), 3, "network file not found"),
    ],
)
def test_bad_input_one_line_and_exit_code(args, code, message) -> None:
    p = run(*args)
    assert p.returncode == code, (p.returncode, p.stderr)
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, p.stderr
    assert lines[0].startswith("error: ")
    assert message in lines[0]
    assert "Traceback" not in p.stderr


def test_network_build_names_the_missing_source_file(tmp_path: Path) -> None:
    (tmp_path / "natural_earth").mkdir()
    p = run("network", "build", "--sources", str(tmp_path), "--out", str(tmp_path / "n.npz"))
    assert p.returncode == 3
    assert "is missing osm_tokenless_tiles_2021/osm_major_roads.geojson" in p.stderr


def test_places_search_and_json() -> None:
    r = CliRunner().invoke(cli, ["places", "--search", "karachi", "--kind", "port", "--json"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.output)
    assert [row["locode"] for row in rows] == ["PKKHI"]
    assert rows[0]["nodes"]["port"] >= 0


def test_network_info_prints_provenance_and_attribution() -> None:
    r = CliRunner().invoke(cli, ["network", "info"])
    assert r.exit_code == 0, r.output
    assert "© OpenStreetMap contributors" in r.output
    assert "osm_roads_2021" in r.output and "searoute" in r.output
    assert "trans-afghan-railway" in r.output


def test_version() -> None:
    r = CliRunner().invoke(cli, ["--version"])
    assert r.exit_code == 0 and "corridors" in r.output


def test_route_with_shipment_profile_json() -> None:
    p = run(
        "route",
        "Tashkent",
        "Karachi",
        "--carrier",
        "UZB",
        "--date",
        "2022-06-01",
        "--tir",
        "--cargo",
        "40ft",
        "--value",
        "80000",
        "--objective",
        "generalized",
        "--modes",
        "road",
        "--json",
    )
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)
    assert d["shipment"] == {
        "carrier": "UZB",
        "departure": "2022-06-01",
        "cargo": "40ft",
        "tonnes": None,
        "value_usd": 80000.0,
        "tir": True,
        "backhaul": False,
        "value_of_time_pct_per_day": 0.6,
    }
    for key in (
        "cost_usd",
        "hours",
        "border_crossings",
        "transshipments",
        "regimes",
        "breakdown",
        "carrier_rights",
    ):
        assert key in d
    assert any(r.startswith("uptta") for r in d["regimes"])
    assert d["cost_usd"] == pytest.approx(
        sum(i["cost_usd"] for i in d["breakdown"] if i["kind"] != "value_of_time"), abs=0.05
    )
    crossing = d["border_crossings"][0]
    assert {"name", "countries", "direction", "hours", "cost_usd"} <= set(crossing)


def test_route_bill_is_printed_for_people() -> None:
    p = run(
        "route", "Naryn", "Kashgar", "--carrier", "KGZ", "--date", "2025-06-06", "--modes", "road"
    )
    assert p.returncode == 0, p.stderr
    assert "bill:" in p.stdout and "Torugart" in p.stdout
    assert "wait" in p.stdout  # reached on a Saturday


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("route", "Tashkent", "Karachi", "--date", "2022-13-01"), "invalid date"),
        (("route", "Tashkent", "Karachi", "--carrier", "UZBEK"), "alpha-3"),
        (("route", "Tashkent", "Karachi", "--cargo", "bulk"), "tonnes"),
        (("route", "Tashkent", "Karachi", "--value", "-1"), "non-negative"),
        (("rules", "--post", "torkhum"), "torkham"),
        (("rules", "--agreement", "apta"), "aptta"),
    ],
)
def test_bad_profile_and_rules_input(args, message) -> None:
    p = run(*args)
    assert p.returncode == 2, (p.returncode, p.stderr)
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert message in lines[0]


def test_rules_audit_of_a_post() -> None:
    p = run("rules", "--post", "torugart")
    assert p.returncode == 0, p.stderr
    assert "border_posts.posts.torugart" in p.stdout
    assert "source:" in p.stdout and "cpmm.carecprogram.org" in p.stdout
    p = run("rules", "--agreement", "uptta", "--json")
    rows = json.loads(p.stdout)
    assert rows and all({"name", "value", "unit", "source"} <= set(r) for r in rows)


def test_alternatives_pareto_and_matrix_commands() -> None:
    p = run("route", "Tashkent", "Karachi", "--date", "2025-06-01", "--alternatives", "3", "--json")
    assert p.returncode == 0, p.stderr
    routes = json.loads(p.stdout)["routes"]
    assert 2 <= len(routes) <= 3 and routes[0]["label"].startswith("best")
    p = run("route", "Tashkent", "Karachi", "--date", "2025-06-01", "--pareto")
    assert p.returncode == 0 and "Pareto front" in p.stdout
    p = run(
        "matrix",
        "--from",
        "Tashkent,Dushanbe",
        "--to",
        "PKKHI,PKGWD",
        "--date",
        "2025-06-01",
        "--csv",
    )
    assert p.returncode == 0, p.stderr
    lines = p.stdout.strip().splitlines()
    assert lines[0].startswith("origin,destination,carrier") and len(lines) == 5
    for bad in (
        ("route", "Tashkent", "Karachi", "--alternatives", "0"),
        ("route", "Tashkent", "Karachi", "--alternatives", "99"),
        ("matrix", "--from", "Tashkentt", "--to", "PKKHI"),
    ):
        p = run(*bad)
        assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1, bad


def test_backhaul_flag_on_route_and_matrix() -> None:
    # the matrix with and without --backhaul (each origin's own truck, here a Pakistani one)
    args = ("--from", "Lahore", "--to", "Karachi Port", "--modes", "road", "--date", "2025-07-17")
    out = run("matrix", *args, "--json")
    back = run("matrix", *args, "--backhaul", "--json")
    assert out.returncode == 0 and back.returncode == 0, out.stderr + back.stderr
    (o,), (b,) = json.loads(out.stdout), json.loads(back.stdout)
    assert b["carrier"] == "PAK" and b["hours"] == o["hours"]
    factor = load_rules().linehaul.road["PAK"].backhaul_factor
    assert factor is not None
    assert b["cost_usd"] == pytest.approx(factor.value * o["cost_usd"], rel=1e-3)
    p = run("route", "Lahore", "Karachi Port", "--modes", "road", "--backhaul", "--csv")
    assert p.returncode == 0, p.stderr
    assert "Daily Pakistan" in p.stdout


def test_sweep_help_names_the_batch_threshold_the_code_uses() -> None:
    from corridors.scenarios.sweep import BATCH_MIN_RUNS

    out = CliRunner().invoke(cli, ["sweep", "--help"], terminal_width=200).output
    assert f"of {BATCH_MIN_RUNS} values or more" in " ".join(out.split())
