"""Bad input on the command line: one line on stderr, ``error: ...``, and the documented code.

Exit codes (README, *Exit codes*): 1 no route, 2 bad input, 3 data error.  These run the
commands in process (click's runner); ``test_cli.py`` runs the installed command.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from corridors.cli import cli

TK = ("route", "Tashkent", "Karachi", "--date", "2025-06-01")


def _run(*args: str):
    return CliRunner().invoke(cli, list(args), prog_name="corridors")


def _one_line(result, code: int, message: str) -> None:
    assert result.exit_code == code, (result.exit_code, result.output, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert message in lines[0], lines[0]
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        # unknown places, with suggestions, wherever a place is named
        (("route", "Tashkentt", "Karachi"), 2, "did you mean Tashkent"),
        ((*TK, "--via", "Samarkandd"), 2, "unknown place 'Samarkandd'"),
        ((*TK, "--avoid", "Narnia"), 2, "cannot avoid 'Narnia'"),
        (("matrix", "--from", "Tashkent", "--to", "Karachii"), 2, "did you mean Karachi"),
        # malformed coordinates
        (("route", "41.3;69.2", "Karachi"), 2, "unknown place"),
        (("route", "41.3,abc", "Karachi"), 2, "malformed coordinates"),
        (("route", "95,69", "Karachi"), 2, "out of range"),
        # unknown scenario
        (("scenarios", "show", "tarp-opne"), 2, "unknown scenario"),
        (("compare", "baseline", "no-such-scenario"), 2, "unknown scenario"),
        # bad dates
        ((*TK[:3], "--date", "2025-02-30"), 2, "invalid date"),
        ((*TK[:3], "--date", "01/06/2025"), 2, "invalid date"),
        ((*TK, "--deadline", "soon"), 2, "invalid date"),
        (("matrix", "--from", "Tashkent", "--to", "PKKHI", "--date", "2025-6-1x"), 2, "invalid"),
        # k out of range
        ((*TK, "--alternatives", "0"), 2, "--alternatives must be from 1 to 20, not 0"),
        ((*TK, "--alternatives", "21"), 2, "--alternatives must be from 1 to 20, not 21"),
        # missing files
        ((*TK, "--network", "/nonexistent/network.npz"), 3, "network file not found"),
        (("network", "info", "--file", "/nonexistent.npz"), 3, "network file not found"),
        # unwritable output paths
        ((*TK, "--map", "/nonexistent/dir/m.html"), 2, "does not exist"),
        ((*TK, "--gpkg", "/nonexistent/dir/r.gpkg"), 2, "does not exist"),
        # contradictory output options
        ((*TK, "--json", "--csv"), 2, "choose one of --json and --csv"),
        (("places", "--json", "--csv"), 2, "choose one of --json and --csv"),
    ],
)
def test_bad_input(args: tuple[str, ...], code: int, message: str) -> None:
    _one_line(_run(*args), code, message)


def test_gpkg_and_csv_outputs(tmp_path: Path) -> None:
    out = tmp_path / "route.gpkg"
    args = ("route", "Karachi", "Peshawar", "--carrier", "PAK", "--date", "2025-06-01")
    r = _run(*args, "--alternatives", "2", "--gpkg", str(out), "--csv")
    assert r.exit_code == 0, r.stderr
    import csv
    import io

    import geopandas as gpd

    bill = list(csv.DictReader(io.StringIO(r.stdout)))
    assert list(bill[0])[:4] == ["route", "route_label", "kind", "label"]
    assert {row["route"] for row in bill} == {"0", "1"}
    legs = gpd.read_file(out, layer="legs")
    assert str(legs.crs).endswith("4326")
    assert set(legs["route"]) == {0, 1}
    assert legs.geometry.geom_type.eq("LineString").all()
    for i in (0, 1):  # the legs and the bill describe the same routes
        km = sum(float(row["distance_km"] or 0) for row in bill if row["route"] == str(i))
        assert legs[legs["route"] == i]["distance_km"].sum() == pytest.approx(km, rel=0.01)


def test_version_names_network_and_rules() -> None:
    from corridors.api.versions import rules_version
    from geodata.network import load_network

    r = _run("--version")
    assert r.exit_code == 0
    assert r.stdout.splitlines() == [
        f"corridors {__import__('corridors').__version__}",
        f"network {load_network().content_hash}",
        f"rules {rules_version()}",
    ]


def test_shell_completion_script() -> None:
    r = CliRunner().invoke(
        cli, [], prog_name="corridors", env={"_CORRIDORS_COMPLETE": "bash_source"}
    )
    assert r.exit_code == 0
    assert "_CORRIDORS_COMPLETE=bash_complete" in r.stdout
    r = CliRunner().invoke(
        cli,
        [],
        prog_name="corridors",
        env={
            "_CORRIDORS_COMPLETE": "bash_complete",
            "COMP_WORDS": "corridors ro",
            "COMP_CWORD": "1",
        },
    )
    assert "route" in r.stdout


def test_places_table_for_people() -> None:
    r = _run("places", "--kind", "port", "--country", "PAK")
    assert r.exit_code == 0
    header, *rows = r.stdout.splitlines()
    assert header.split()[:3] == ["name", "kind", "country"]
    assert any("PKKHI" in row for row in rows)
    assert all(line == line.rstrip() for line in r.stdout.splitlines())
