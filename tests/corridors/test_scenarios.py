"""What-if scenarios: files, validation, the shipped scenarios' effects, compare and sweep."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from corridors.cli import cli
from corridors.scenarios import (
    ScenarioError,
    apply_scenario,
    compare,
    list_scenarios,
    load_scenario,
    scenario_names,
    scenario_planner,
)
from corridors.scenarios.sweep import parse_parameter, parse_range, sweep
from corridors.shipment import Shipment
from geodata.errors import NoRouteError

#: A date when every Pakistan–Afghanistan post was open in the shipped rules.
OPEN_DAY = dt.date(2025, 6, 1)
PK_AF_POSTS = {"Torkham", "Chaman–Spin Boldak", "Ghulam Khan", "Kharlachi", "Angoor Adda"}
SHIPPED = {
    "baseline",
    "tarp-open",
    "pak-afghan-closed",
    "torkham-closed",
    "khunjerab-seasonal",
    "qtta-through",
    "uzbek-permits",
    "tir-everywhere",
    "cku-rail-open",
    "fuel-plus-20",
}


def _uzb(day: dt.date = OPEN_DAY, tir: bool = True) -> Shipment:
    return Shipment(carrier="UZB", departure=day, tir=tir)


def _posts(route: object) -> list[str]:
    return [c["name"] for c in route.bill.border_crossings()]  # type: ignore[attr-defined]


# ----------------------------------------------------------------------------- files
def test_every_scenario_the_issue_names_is_shipped_and_applies() -> None:
    assert set(scenario_names()) >= SHIPPED
    for sc in list_scenarios():
        applied = apply_scenario(sc)
        assert len(sc.hash) == 64 and len(applied.rules_hash) == 64
        if sc.name != "baseline":
            assert sc.extends == "baseline"
            assert applied.changes, f"{sc.name} changes nothing"


def write(tmp_path: Path, text: str, name: str = "mine.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


HEADER = '[scenario]\nname = "mine"\ntitle = "t"\ndescription = "d"\nextends = "baseline"\n'


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[[posts]]\npost = 'torkam'\nhours = 5\nreasoning = 'x'\n", "did you mean torkham"),
        ("[[posts]]\npost = 'torkham'\nhours = 5\n", "posts[0]: give a source"),
        ("[[posts]]\npost = 'torkham'\nhourz = 5\nreasoning = 'x'\n", "posts[0].hourz"),
        ("[[tariffs]]\nmode = 'road'\nfactor = 1.1\nvalue = 2\nreasoning = 'x'\n", "exactly one"),
        ("[[tariffs]]\nmode = 'road'\ncountries=['XXX']\nfactor = 1.1\nreasoning = 'x'\n", "XXX"),
        ("[[rights]]\nwithdraw = ['no-such-right']\n", "unknown carrier right"),
        (
            "[[infrastructure]]\nmatch = 'Atlantis Railway'\nstatus = 'operational'\n"
            "reasoning = 'x'\n",
            "no network edge",
        ),
        ("[[posts]]\npost = 'torkham'\nhours = 5\nsource = 'dawn_khunjerab_2024'\n", "year"),
        ("[[closures]]\nreason = 'x'\nreasoning = 'y'\n", "name the posts"),
        (
            "[[set]]\nfile = 'linehaul.toml'\npath = 'road.PAK.nope.value'\nvalue = 1\n"
            "reasoning = 'x'\n",
            "no key 'nope'",
        ),
        ("[[posts]]\npost = 'torkham'\nhours = -5\nreasoning = 'x'\n", "greater than or equal"),
    ],
)
def test_bad_scenario_files_name_the_key(tmp_path: Path, body: str, message: str) -> None:
    path = write(tmp_path, HEADER + body)
    with pytest.raises(ScenarioError, match=re.escape(message)) as err:
        apply_scenario(load_scenario(str(path)))
    assert "\n" not in str(err.value)


def test_unknown_names_cycles_and_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="did you mean tarp-open"):
        load_scenario("tarp-opne")
    with pytest.raises(ScenarioError, match="invalid TOML"):
        load_scenario(str(write(tmp_path, "[scenario\n")))
    a = write(tmp_path, HEADER.replace('"mine"', '"a"').replace("baseline", "b"), "a.toml")
    write(tmp_path, HEADER.replace('"mine"', '"b"').replace("baseline", "a"), "b.toml")
    with pytest.raises(ScenarioError, match="circular"):
        load_scenario(str(a))
    with pytest.raises(ScenarioError, match="not found"):
        load_scenario(str(tmp_path / "missing.toml"))


def test_user_scenario_extends_a_shipped_one_and_cites_itself_in_the_bill(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEADER.replace("baseline", "pak-afghan-reopened")
        + "[[posts]]\npost = 'torkham'\nhours = 2\nreasoning = 'a new integrated post'\n",
    )
    sc = load_scenario(str(path))
    assert [f.scenario.name for f in sc.chain] == ["baseline", "pak-afghan-reopened", "mine"]
    planner = scenario_planner(sc)
    post = planner.rules.posts["torkham"]
    assert post.directions["AFG->PAK"].hours.value == 2
    assert "scenario mine" in (post.directions["AFG->PAK"].hours.reasoning or "")
    # the reopening is inherited: today's departures may use Torkham again
    r = planner.route("Tashkent", "Karachi", shipment=_uzb(dt.date(2026, 11, 29)), draws=0)
    assert "Torkham" in _posts(r)


# ----------------------------------------------------------------------------- effects
def test_pak_afghan_closed_moves_tashkent_karachi_off_the_closed_posts() -> None:
    base = scenario_planner("baseline").route(
        "Tashkent", "Karachi", shipment=_uzb(), draws=0, objective="generalized"
    )
    assert PK_AF_POSTS & set(_posts(base)), "baseline uses a Pakistan–Afghanistan post"
    planner = scenario_planner("pak-afghan-closed")
    for objective in ("cost", "time", "generalized"):
        try:
            r = planner.route("Tashkent", "Karachi", shipment=_uzb(), draws=0, objective=objective)
        except NoRouteError as exc:  # acceptable if it names the closure
            assert "closed" in " ".join(exc.reasons)
            continue
        assert not PK_AF_POSTS & set(_posts(r)), _posts(r)
        assert r.cost_usd != pytest.approx(base.cost_usd)


def test_tarp_open_makes_rail_an_option_termez_peshawar() -> None:
    sh = _uzb()
    base = scenario_planner("baseline").route("Termez", "Peshawar", modes=["rail"], shipment=sh)
    tarp = scenario_planner("tarp-open").route("Termez", "Peshawar", modes=["rail"], shipment=sh)
    assert "Kharlachi" in _posts(tarp) and "Kharlachi" not in _posts(base)
    assert {leg.country for leg in tarp.legs if leg.mode == "rail"} == {"UZB", "AFG", "PAK"}
    assert tarp.distance_km < 0.5 * base.distance_km  # the baseline goes round through Iran
    crossing = next(c for c in tarp.bill.border_crossings() if c["name"] == "Kharlachi")
    assert crossing["mode"] == "rail"
    assert tarp.cost_usd < base.cost_usd


def test_compare_tarp_open_names_the_changed_legs_and_weights_the_demand() -> None:
    c = compare("baseline", "tarp-open", [("Tashkent", "Karachi")], departure=OPEN_DAY, draws=200)
    row = c.rows[0]
    assert row["route_changed"]
    assert any("Kharlachi" in leg for leg in row["changed_legs"])
    assert row["delta"]["cost_usd"] == pytest.approx(row["b"]["cost_usd"] - row["a"]["cost_usd"])
    assert row["teu_per_year"] > 0
    assert row["yearly_delta_cost_usd"] == pytest.approx(
        row["delta"]["cost_usd"] * row["teu_per_year"], rel=1e-3, abs=2
    )
    d = c.to_dict()
    assert d["provenance"]["scenario_hash_b"] == load_scenario("tarp-open").hash
    assert d["provenance"]["network_hash"]
    assert c.to_csv().splitlines()[0].startswith("origin,destination,cost_usd_a")


def test_compare_is_reproducible() -> None:
    args = ("baseline", "torkham-closed", [("Tashkent", "Karachi")])
    one = compare(*args, departure=OPEN_DAY, draws=300, seed=7).to_dict()
    two = compare(*args, departure=OPEN_DAY, draws=300, seed=7).to_dict()
    assert json.dumps(one, sort_keys=True) == json.dumps(two, sort_keys=True)
    row = one["rows"][0]
    assert "Torkham" in row["a"]["border_posts"] and "Torkham" not in row["b"]["border_posts"]


def test_fuel_plus_20_raises_road_costs_by_the_stated_factor() -> None:
    base = scenario_planner("baseline").rules.linehaul.road["PAK"].cost_per_truck_km
    fuel = scenario_planner("fuel-plus-20").rules.linehaul.road["PAK"].cost_per_truck_km
    assert fuel.value == pytest.approx(base.value * 1.07)
    assert fuel.sources and fuel.year == 2024


def test_uzbek_permits_withdrawn_means_a_transload() -> None:
    sh = _uzb()
    with_permits = scenario_planner("baseline").route(
        "Tashkent", "Karachi", shipment=sh, modes=["road"], draws=0
    )
    without = scenario_planner("uzbek-permits-withdrawn").route(
        "Tashkent", "Karachi", shipment=sh, modes=["road"], draws=0
    )
    kinds = [t["kind"] for t in without.bill.transshipments()]
    assert "transload" in kinds
    assert "transload" not in [t["kind"] for t in with_permits.bill.transshipments()]


# ----------------------------------------------------------------------------- sweeps
def test_parameters_and_ranges_parse_or_fail_clearly() -> None:
    assert parse_parameter("post:torkham.hours").target == "torkham"
    assert parse_parameter("post:torkham[AFG->PAK].cost").directions == ("AFG->PAK",)
    assert parse_parameter("tariff:rail.AFG").target == "rail.AFG"
    assert list(parse_range("0:10:3")) == [0.0, 5.0, 10.0]
    with pytest.raises(ScenarioError, match="bad sweep parameter"):
        parse_parameter("torkham")
    with pytest.raises(ScenarioError, match="bad range"):
        parse_range("0:10")
    with pytest.raises(ScenarioError, match="at least 2"):
        parse_range("0:10:1")


def test_torkham_sweep_finds_a_switch_that_direct_runs_confirm(tmp_path: Path) -> None:
    result = sweep(
        [("post:torkham.hours", "0,300")],
        [("Tashkent", "Karachi")],
        departure=OPEN_DAY,
        workers=1,
        bisect_steps=4,
    )
    assert len(result.switches) == 1
    s = result.switches[0]
    assert 0 < s["low"] < s["high"] < 300 and s["below"] != s["above"]
    assert "Torkham" in s["below"] and "Torkham" not in s["above"]
    # a direct run of a scenario file at each side of the switch agrees with the sweep
    for value, expected in ((s["low"], s["below"]), (s["high"], s["above"])):
        path = write(
            tmp_path,
            HEADER + f"[[posts]]\npost = 'torkham'\nhours = {value!r}\nreasoning = 'check'\n",
            f"at-{value:g}.toml",
        )
        r = scenario_planner(str(path)).route(
            "Tashkent", "Karachi", shipment=_uzb(), objective="generalized", draws=0
        )
        from corridors.scenarios.compare import route_summary
        from corridors.scenarios.sweep import _choice

        assert _choice(route_summary(r)) == expected


def test_sweep_on_a_dask_cluster_matches_the_local_run() -> None:
    from distributed import Client, LocalCluster

    args = ([("tariff:road", "1.0,1.5")], [("Tashkent", "Karachi")])
    local = sweep(*args, departure=OPEN_DAY, workers=1, refine=False)
    with (
        LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        remote = sweep(*args, departure=OPEN_DAY, scheduler=client, refine=False)
    assert remote.rows == local.rows
    costs = [r["cost_usd"] for r in local.rows]
    assert costs[1] > costs[0]


# ----------------------------------------------------------------------------- CLI
def test_cli_scenarios_compare_and_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    got = runner.invoke(cli, ["scenarios"])
    assert got.exit_code == 0 and "tarp-open" in got.output
    got = runner.invoke(cli, ["scenarios", "show", "tarp-open", "--json"])
    assert got.exit_code == 0 and json.loads(got.output)["changes"]
    od = write(tmp_path, "origin,destination\nTashkent,Karachi\n", "od.csv")
    got = runner.invoke(
        cli,
        [
            "compare",
            "baseline",
            "torkham-closed",
            "--od",
            str(od),
            "--date",
            "2025-06-01",
            "--csv",
            "--draws",
            "100",
            "--map",
            str(tmp_path / "cmp.html"),
        ],
    )
    assert got.exit_code == 0, got.output
    lines = got.output.strip().splitlines()
    assert len(lines) == 2 and lines[1].startswith("Tashkent,Karachi,")
    page = (tmp_path / "cmp.html").read_text(encoding="utf-8")
    assert "torkham-closed" in page and "baseline" in page
    for args, message in [
        (["compare", "baseline", "nope"], "unknown scenario 'nope'"),
        (["compare", "baseline", "tarp-open", "--date", "2025-02-30"], "invalid date"),
        (["compare", "baseline", "tarp-open", "--from", "Tashkent"], "--from and --to"),
        (["compare", "baseline", "tarp-open", "--od", str(tmp_path / "no.csv")], "no.csv"),
        (["sweep", "--param", "post:torkham.hours", "--from", "A", "--to", "B"], "RANGE"),
        (
            [
                "sweep",
                "--param",
                "post:torkham.hours=0:1:3",
                "--from",
                "Tashkent",
                "--to",
                "Karachi",
                "--plot",
                str(tmp_path / "x.gif"),
            ],
            ".png or .svg",
        ),
    ]:
        got = runner.invoke(cli, args)
        assert got.exit_code == 2, (args, got.output)
        assert message in got.output
        assert "Traceback" not in got.output


def test_cli_sweep_writes_a_plot(tmp_path: Path) -> None:
    plot = tmp_path / "sweep.svg"
    got = CliRunner().invoke(
        cli,
        [
            "sweep",
            "--param",
            "tariff:road=1,1.2",
            "--from",
            "Tashkent",
            "--to",
            "Karachi",
            "--date",
            "2025-06-01",
            "--workers",
            "1",
            "--bisect",
            "0",
            "--plot",
            str(plot),
        ],
    )
    assert got.exit_code == 0, got.output
    svg = plot.read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<?xml") and "<path" in svg
    rows = [line for line in got.output.splitlines() if "Tashkent → Karachi:" in line]
    assert len(rows) == 2  # one run per value
    costs = [float(r.split("USD ")[1].split(" generalized")[0].replace(",", "")) for r in rows]
    assert costs[1] > costs[0]  # dearer road, dearer trip


@pytest.mark.parametrize(
    ("parameter", "value"),
    [
        ("post:torkham.hours", 150.0),
        ("post:torkham.hours", 2.0),  # lowered: base landmarks would not be admissible
        ("post:chaman[AFG->PAK].cost", 900.0),
        ("tariff:road", 1.3),
    ],
)
def test_recosting_in_place_equals_a_full_rebuild(parameter: str, value: float) -> None:
    from corridors.planner import Planner
    from corridors.scenarios.sweep import _planner_for, derived_scenario

    base = load_scenario("baseline")
    sc = derived_scenario(base, [parse_parameter(parameter)], [value])
    applied = apply_scenario(sc)
    fast = _planner_for(base, sc, applied)
    assert type(fast).__name__ == "RecostedPlanner"  # the in-place path was taken
    full = Planner(applied.network, applied.rules)
    args = {"shipment": _uzb(), "objective": "generalized", "draws": 200}
    # the re-costed graph reuses the base graph (with_weights); give the base graph its
    # landmarks, as after a few queries, so that reusing them wrongly would show
    model = fast.model(args["shipment"], frozenset({"road", "rail", "ferry", "sea"}), False)
    assert model.base_model is not None
    fast.graph(model.base_model, "generalized")._landmarks  # noqa: B018
    one = fast.route("Tashkent", "Karachi", **args).to_dict()
    two = full.route("Tashkent", "Karachi", **args).to_dict()
    again = fast.route("Tashkent", "Karachi", **args).to_dict()  # A* with landmarks now
    assert again["breakdown"] == two["breakdown"]
    assert one["cost_usd"] == pytest.approx(two["cost_usd"], abs=1e-9)
    assert one["hours"] == pytest.approx(two["hours"], abs=1e-9)
    assert one["breakdown"] == two["breakdown"]
    assert one["reliability"] == two["reliability"]


def test_a_network_change_is_not_recosted_in_place() -> None:
    from corridors.scenarios.recost import rules_delta

    base, tarp = apply_scenario("baseline"), apply_scenario("tarp-open")
    assert tarp.network is not base.network
    assert rules_delta(base.raw, tarp.raw) is None  # posts.kharlachi.modes changed too


def test_a_set_override_changes_a_regime_cost_and_the_bill(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEADER
        + "[[set]]\nfile = 'handling.toml'\npath = 'regimes.tir.items.carnet_price'\n"
        + "factor = 3.0\nreasoning = 'what if carnets cost three times as much'\n",
    )
    applied = apply_scenario(load_scenario(str(path)))
    assert any("carnet_price" in c for c in applied.changes)
    price = applied.rules.handling.regimes["tir"].items["carnet_price"]
    assert price.value == pytest.approx(300.0) and price.estimate
    sh = _uzb()
    base = scenario_planner("baseline").route("Tashkent", "Karachi", shipment=sh, draws=0)
    dear = scenario_planner(str(path)).route("Tashkent", "Karachi", shipment=sh, draws=0)
    assert dear.cost_usd - base.cost_usd == pytest.approx(200.0, abs=1e-6)


def test_an_infrastructure_override_can_change_the_gauge(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEADER
        + "[[infrastructure]]\nmatch = 'Trans-Afghan Railway (Mazar'\nstatus = 'operational'\n"
        + "gauge_mm = 1435\nreasoning = 'what if TARP were built to standard gauge'\n",
    )
    applied = apply_scenario(load_scenario(str(path)))
    net = applied.network
    names = [net.strings[i] for i in net.edge_name]
    tarp = [i for i, n in enumerate(names) if n.startswith("Trans-Afghan Railway (Mazar")]
    assert tarp and all(net.edge_gauge_mm[i] == 1435 for i in tarp)
    assert any("1435 mm" in c for c in applied.changes)


# ----------------------------------------------------------------------------- review fixes
def _closures(applied: object, post: str) -> list[tuple[str, str, tuple[str, ...]]]:
    rules = applied.rules  # type: ignore[attr-defined]
    return [(str(c.start), str(c.end), c.directions) for c in rules.posts[post].closures]


def test_a_short_closure_does_not_lift_a_longer_one(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEADER + "[[closures]]\nposts = ['torkham']\nstart = 2025-11-01\nend = 2025-11-05\n"
        "reason = 'x'\nreasoning = 'y'\n",
    )
    applied = apply_scenario(load_scenario(str(path)))
    from corridors.rules.query import post_open

    for day in (dt.date(2025, 10, 20), dt.date(2025, 11, 3), dt.date(2026, 1, 15)):
        when = dt.datetime.combine(day, dt.time(12))
        assert not post_open("torkham", "AFG->PAK", when, rules=applied.rules).open, day
    spans = _closures(applied, "torkham")
    assert ("2025-10-12", "2025-11-01 00:00:00", ("AFG->PAK", "PAK->AFG")) in spans


def test_a_one_way_closure_keeps_the_other_direction_closed(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEADER + "[[closures]]\nposts = ['torkham']\ndirections = ['PAK->AFG']\n"
        "reason = 'x'\nreasoning = 'y'\n",
    )
    applied = apply_scenario(load_scenario(str(path)))
    from corridors.rules.query import post_open

    when = dt.datetime(2026, 1, 15, 12)
    assert not post_open("torkham", "AFG->PAK", when, rules=applied.rules).open
    assert not post_open(
        "torkham", "PAK->AFG", dt.datetime(2020, 6, 1, 12), rules=applied.rules
    ).open


def test_reopen_without_ids_lifts_only_open_ended_closures(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "[[reopen]]\nposts = ['torkham']\nreason = 'x'\n")
    applied = apply_scenario(load_scenario(str(path)))
    spans = _closures(applied, "torkham")
    assert ("2023-09-06", "2023-09-14", ()) in spans  # past closures stay
    assert all(end != "None" for _, end, _ in spans)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "[[set]]\nfile = 'border_posts.toml'\n"
            "path = 'posts.torkham.directions.\"AFG->PAK\".hours'\n"
            "value = 'abc'\nreasoning = 'x'\n",
            "must be a number",
        ),
        ("[[posts]]\npost = 'torkham'\nhours = inf\nreasoning = 'x'\n", "finite"),
        ("[[posts]]\npost = 'torkham'\ncost_factor = 1e308\nreasoning = 'x'\n", "finite"),
        (
            "[[tariffs]]\nmode = 'road'\ngauges = [1520]\nfactor = 2\nreasoning = 'x'\n",
            "rail rates only",
        ),
        (
            "[[closures]]\nposts = ['torkham']\ndirections = ['PAK->IND']\nreason = 'x'\n"
            "reasoning = 'y'\n",
            "no direction",
        ),
    ],
)
def test_more_bad_files_give_one_line(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(ScenarioError, match=message) as err:
        apply_scenario(load_scenario(str(write(tmp_path, HEADER + body))))
    assert "\n" not in str(err.value)


def test_extends_is_relative_to_the_file_and_edits_are_seen(tmp_path: Path) -> None:
    sub = tmp_path / "sub"
    sub.mkdir()
    write(sub, HEADER.replace('"mine"', '"parent"'), "parent.toml")
    child = write(
        sub, HEADER.replace("baseline", "parent.toml").replace('"mine"', '"kid"'), "child.toml"
    )
    assert [f.scenario.name for f in load_scenario(str(child)).chain] == [
        "baseline",
        "parent",
        "kid",
    ]
    twin = write(tmp_path, HEADER.replace('"mine"', '"baseline"'), "baseline.toml")
    assert load_scenario(str(twin)).chain[0].scenario.name == "baseline"  # not circular
    first = load_scenario(str(child)).hash
    child.write_text(child.read_text() + "\n# edited\n", encoding="utf-8")
    assert load_scenario(str(child)).hash != first
    with pytest.raises(ScenarioError, match="is a folder"):
        load_scenario(str(write(tmp_path, "", "x.toml").parent / "sub"))


def test_od_files_from_spreadsheets_and_any_spelling_weigh_the_same(tmp_path: Path) -> None:
    from corridors.cli.scenarios import read_od_file

    bom = tmp_path / "excel.csv"
    bom.write_bytes("\ufefforigin, destination\r\nToshkent, PKKHI\r\n".encode())
    assert read_od_file(bom) == [("Toshkent", "PKKHI")]
    c = compare("baseline", "fuel-plus-20", [("Toshkent", "karachi")], departure=OPEN_DAY, draws=0)
    assert c.rows[0]["teu_per_year"] > 0 and c.totals["pairs_weighted"] == 1


def test_sweep_rejects_bad_values_before_running() -> None:
    for param, rng, message in [
        ("post:torkham.hours", "5,-1", "greater than or equal"),
        ("set:foo.toml:x", "1,2", "Input should be 'border_posts.toml'"),
        ("post:torkham.hours", "0:1:1000000000000", "at most"),
    ]:
        with pytest.raises(ScenarioError, match=message):
            sweep([(param, rng)], [("Tashkent", "Karachi")], departure=OPEN_DAY, workers=1)


# ----------------------------------------------------------------------------- batch
def test_batch_evaluator_certifies_the_best_weight_and_matches_direct_runs() -> None:
    """The batch evaluator's route at any value in the box weighs exactly what a direct
    search on that scenario's re-costed graph finds, and its rows equal direct runs."""
    from corridors.scenarios.batch import BatchEvaluator
    from corridors.scenarios.sweep import _Job, _run

    base = load_scenario("baseline")
    params = (parse_parameter("post:torkham.hours"), parse_parameter("tariff:road"))
    pairs = (("Tashkent", "Karachi"), ("Dushanbe", "Gwadar"))

    def direct(values: tuple[float, ...], some: tuple[tuple[str, str], ...]) -> Any:
        return _run(_Job(base, params, values, some, OPEN_DAY, "generalized", None))

    ev = BatchEvaluator(
        base, params, (0.0, 0.9), (300.0, 1.4), pairs,
        departure=OPEN_DAY, objective="generalized", carrier=None, direct=direct,
    )  # fmt: skip
    assert ev.searches >= 4 and not ev.uncertified
    rng = np.random.default_rng(7)
    choices = set()
    for values in [(0.0, 0.9), (300.0, 1.4)] + [
        (float(rng.uniform(0, 300)), float(rng.uniform(0.9, 1.4))) for _ in range(3)
    ]:
        got = ev.rows(values)
        want = direct(values, pairs)
        for k in range(len(pairs)):
            exact = ev.searched_weight(values, k)
            assert ev.certified_weight(values, k) == pytest.approx(exact, rel=1e-9, abs=1e-6)
            assert got[k]["choice"] == want[k]["choice"]
            for key in ("cost_usd", "generalized_cost_usd", "hours", "distance_km"):
                assert got[k][key] == pytest.approx(want[k][key], abs=0.011), key
            choices.add(got[k]["choice"])
    assert len(choices) >= 3  # the box holds a switch (Torkham left out at high hours)
    assert ev.rows((300.0, 1.4), only=[1]) == [ev.rows((300.0, 1.4))[1]]
    from geodata.errors import InvalidInputError

    with pytest.raises(InvalidInputError, match="one per swept parameter"):
        ev.rows((300.0,))


def test_sweep_batch_and_value_by_value_agree() -> None:
    args = ([("post:torkham.hours", "0,150,300")], [("Tashkent", "Karachi")])
    one_by_one = sweep(*args, departure=OPEN_DAY, workers=1, refine=False, batch=False)
    batch = sweep(*args, departure=OPEN_DAY, workers=1, refine=False, batch=True)
    assert [r["choice"] for r in batch.rows] == [r["choice"] for r in one_by_one.rows]
    for a, b in zip(batch.rows, one_by_one.rows, strict=True):
        assert a["generalized_cost_usd"] == pytest.approx(b["generalized_cost_usd"], abs=0.011)
    assert batch.rows[0]["choice"] != batch.rows[-1]["choice"]
    assert (batch.settings["method"], one_by_one.settings["method"]) == ("batch", "value by value")


def test_cli_sweep_batch_flag() -> None:
    got = CliRunner().invoke(
        cli,
        [
            "sweep", "--param", "post:torkham.hours=0,300", "--from", "Tashkent", "--to",
            "Karachi", "--date", "2025-06-01", "--workers", "1", "--bisect", "0", "--batch",
            "--json",
        ],
    )  # fmt: skip
    assert got.exit_code == 0, got.output
    data = json.loads(got.output)
    assert data["settings"]["method"] == "batch"
    choices = [r["choice"] for r in data["rows"]]
    assert len(choices) == 2 and choices[0] != choices[1]


def test_batch_evaluator_refuses_a_bad_box() -> None:
    from corridors.scenarios.batch import BatchEvaluator
    from geodata.errors import InvalidInputError

    params = (parse_parameter("post:torkham.hours"),)
    for low, high in (((10.0,), (5.0,)), ((0.0, 1.0), (5.0, 2.0)), ((np.nan,), (5.0,))):
        with pytest.raises(InvalidInputError, match="one finite low <= high"):
            BatchEvaluator(
                load_scenario("baseline"), params, low, high, [("Tashkent", "Karachi")],
                departure=OPEN_DAY, objective="generalized", carrier=None, direct=None,  # type: ignore[arg-type]
            )  # fmt: skip
