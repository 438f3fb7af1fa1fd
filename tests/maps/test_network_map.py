"""The network map: layers counted against the network and the rules, the energy-corridor
data file, the command line, and the page in a real (network-blocked) Chromium."""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from headless_chromium import Browser

from corridors.cli import cli
from corridors.rules import load_rules
from geodata.errors import InvalidInputError
from geodata.network import Network
from geodata.schema import EDGE_MODES, STATUSES
from maps import external_references
from maps.network_map import (
    DEFAULT_ROAD_CLASSES,
    load_energy_corridors,
    network_features,
    network_map,
)

CLOSED_DAY = dt.date(2026, 11, 29)  # all Pakistan–Afghanistan posts closed since 12 Oct 2025
OPEN_DAY = dt.date(2022, 6, 1)


@pytest.fixture(scope="module")
def pak(network: Network) -> dict[str, Any]:
    return network_features(network, countries=["PAK"], date=CLOSED_DAY)


def _layer(feats: dict[str, Any], layer_id: str) -> dict[str, Any]:
    return next(x for x in feats["layers"] if x["id"] == layer_id)


def test_line_layers_hold_every_selected_edge(network: Network, pak: dict[str, Any]) -> None:
    strings = np.asarray(network.strings, dtype=object)
    in_pak = network.edge_country == network.countries.index("PAK")
    for layer in pak["layers"]:
        if ":" not in layer["id"] or layer["id"].startswith("energy"):
            continue
        mode, status = layer["id"].split(":")
        sel = (
            in_pak
            & (network.edge_mode == EDGE_MODES.index(mode))
            & (network.edge_status == STATUSES.index(status))
        )
        if mode == "road":
            sel &= np.isin(strings[network.edge_class], DEFAULT_ROAD_CLASSES)
        if mode in ("sea", "ferry"):  # also the lanes within the country's extent
            assert layer["edges"] >= int(sel.sum()), layer["id"]
        else:
            assert layer["edges"] == int(sel.sum()), layer["id"]
        assert 0 < len(layer["lines"]) <= layer["edges"]  # merged, never split
        dashed = status != "operational"
        assert (layer["style"]["dashArray"] is not None) == dashed
    ids = {x["id"] for x in pak["layers"]}
    assert {"road:operational", "rail:operational", "rail:planned", "sea:operational"} <= ids


def test_posts_ports_and_closures_come_from_rules_and_places(
    network: Network, pak: dict[str, Any]
) -> None:
    rules = load_rules()
    pk_posts = {k for k, p in rules.border_posts.posts.items() if "PAK" in p.countries}
    posts = _layer(pak, "posts")["markers"]
    placed = pk_posts - set(pak["unplaced_posts"])
    assert len(posts) == len(placed) >= 6
    torkham = next(m for m in posts if "Border post: Torkham" in m[4])
    assert torkham[0] == "post_closed" and "CLOSED (road)" in torkham[4]
    assert "Closures in force on 2026-11-29" in torkham[4] and "open-ended" in torkham[4]
    assert "CPMM" in torkham[4] and "USD" in torkham[4]
    khunjerab = next(m for m in posts if "Khunjerab" in m[4])
    assert "PAK → CHN" in khunjerab[4] and "CHN → PAK" in khunjerab[4]
    places = _layer(pak, "places")["markers"]
    expected = [p for p in network.places if p["country"] == "PAK"]
    expected = [p for p in expected if p["kind"] in ("port", "terminal")]
    assert sorted(m[3] for m in places) == sorted(f"{p['name']} ({p['kind']})" for p in expected)

    # On a day before the closure, Torkham is open.
    before = network_features(
        network,
        countries=["PAK"],
        date=OPEN_DAY,
        overlays=False,
        energy=False,
        bbox=(70.5, 33.8, 71.6, 34.4),
    )
    torkham = next(m for m in _layer(before, "posts")["markers"] if "Torkham" in m[4])
    assert torkham[0] == "post" and "CLOSED" not in torkham[4]


def test_corridor_overlays(network: Network, pak: dict[str, Any]) -> None:
    tarp = _layer(pak, "tarp")
    assert "planned" in tarp["name"] and len(tarp["lines"]) >= 1
    aptta = _layer(pak, "aptta")
    assert "Torkham" in aptta["lines"][0][1] and "Chaman" in aptta["lines"][0][1]
    qtta = _layer(pak, "qtta")
    pts = np.array([p for line in qtta["lines"] for p in line[2]])
    # From Kashgar (39.5 N 76 E) over Khunjerab (36.85 N 75.4 E) down to Karachi (24.9 N).
    assert pts[:, 0].max() > 39.3 and pts[:, 0].min() < 25.0
    assert np.any(np.hypot(pts[:, 0] - 36.85, pts[:, 1] - 75.43) < 0.1)
    # The CKU railway lies outside Pakistan: left out of the Pakistan map.
    assert all(x["id"] != "cku" for x in pak["layers"])


def test_energy_corridors_are_cited_schematic_and_not_freight(pak: dict[str, Any]) -> None:
    raw = tomllib.loads(
        (resources.files("maps") / "data" / "energy_corridors.toml").read_text("utf-8")
    )
    corridors = load_energy_corridors()
    assert [c.key for c in corridors] == ["tapi", "casa-1000", "tap"]
    for c, r in zip(corridors, raw["corridor"], strict=True):
        assert len(c.waypoints) == len(r["waypoints"])
        for w in r["waypoints"]:
            assert w["source"] in raw["sources"]
            assert raw["sources"][w["source"]]["url"].startswith("http")
        layer = _layer(pak, f"energy:{c.key}")
        assert layer["name"].startswith("Not freight")
        assert "NOT FREIGHT" in layer["popup"] and "schematic" in layer["popup"]
        assert len(layer["markers"]) == len(c.waypoints)
    names = {c.key: [w[0] for w in c.waypoints] for c in corridors}
    assert names["tapi"][0].startswith("Galkynysh") and names["tapi"][-1].startswith("Fazilka")
    assert names["casa-1000"][0].startswith("Datka") and "Nowshera" in names["casa-1000"][-1]


def test_bad_filters(network: Network) -> None:
    for kw in (
        {"countries": ["XXX"]},
        {"modes": ["bus"]},
        {"road_classes": ["track"]},
        {"bbox": (70, 30, 60, 40)},
        {"tolerance_deg": -1},
    ):
        with pytest.raises(InvalidInputError):
            network_features(network, **kw)


def test_country_map_is_small_and_offline(network: Network, tmp_path: Path) -> None:
    page = tmp_path / "pak.html"
    network_map(network, countries=["PAK"], date=CLOSED_DAY).save(str(page))
    text = page.read_text(encoding="utf-8")
    assert page.stat().st_size <= 3_000_000
    assert external_references(text) == []
    for who in ("OpenStreetMap contributors (ODbL)", "Natural Earth", "searoute", "MapTiler"):
        assert who in text


def test_cli_errors_and_output(tmp_path: Path) -> None:
    runner = CliRunner()
    for args in (
        ["--country", "XXX"],
        ["--modes", "bus"],
        ["--bbox", "1,2,3"],
        ["--date", "2026-13-01"],
        ["-o", str(tmp_path / "missing" / "x.html")],
    ):
        res = runner.invoke(cli, ["map", "network", "-o", str(tmp_path / "x.html"), *args])
        assert res.exit_code == 2, (args, res.output)
        assert res.output.startswith("error: ") and res.output.count("\n") == 1
    out = tmp_path / "tjk.html"
    res = runner.invoke(
        cli, ["map", "network", "--country", "TJK", "--date", "2026-11-29", "-o", str(out)]
    )
    assert res.exit_code == 0, res.output
    assert out.stat().st_size > 100_000 and "map written to" in res.output


STATE_JS = """
(() => {
  const map = Object.keys(window).filter(k => k.startsWith("map_"))
    .map(k => window[k]).find(v => v instanceof L.Map);
  return {
    map: !!map,
    zoom: map.getZoom(),
    layers: corridors.layers.map(l => ({
      id: l.id, on: map.hasLayer(l.group),
      polylines: l.group.getLayers().filter(x => x instanceof L.Polyline).length,
      markers: l.group.getLayers().filter(x => x instanceof L.Marker).length,
    })),
    scale: !!document.querySelector(".leaflet-control-scale"),
    legend: !!document.querySelector(".corridors-legend"),
    attribution: document.querySelector(".leaflet-control-attribution").textContent,
  };
})()
"""

TOGGLE_JS = """
((prefix) => {
  const input = [...document.querySelectorAll(".leaflet-control-layers-overlays label")]
    .find(l => l.textContent.trim().startsWith(prefix)).querySelector("input");
  input.click();
  return input.checked;
})(%s)
"""


def test_network_map_in_chromium(browser: Browser, network: Network, tmp_path: Path) -> None:
    feats = network_features(network, countries=["TJK"], date=CLOSED_DAY)
    page = tmp_path / "tjk.html"
    network_map(network, countries=["TJK"], date=CLOSED_DAY).save(str(page))
    since = browser.open(page.resolve().as_uri())
    assert browser.problems(since) == []
    state = browser.evaluate(STATE_JS)
    assert state["map"] and state["scale"] and state["legend"]
    assert "Natural Earth" in state["attribution"] and "OpenStreetMap" in state["attribution"]
    drawn = {x["id"]: x for x in state["layers"]}
    assert list(drawn) == [x["id"] for x in feats["layers"]]
    for layer in feats["layers"]:
        got = drawn[layer["id"]]
        assert got["polylines"] == len(layer["lines"]), layer["id"]
        assert got["markers"] == len(layer["markers"]), layer["id"]
        assert got["on"] == layer["show"], layer["id"]
    assert drawn["energy:casa-1000"]["polylines"] == 1
    assert 4 <= state["zoom"] <= 8

    png = browser.screenshot(tmp_path / "tjk.png")
    assert len(png) > 50_000  # a painted map, not a blank page

    # Switching the CASA-1000 layer off removes it from the map.
    assert browser.evaluate(TOGGLE_JS % json.dumps("Not freight: CASA-1000")) is False
    off = {x["id"]: x["on"] for x in browser.evaluate(STATE_JS)["layers"]}
    assert off["energy:casa-1000"] is False and off["road:operational"] is True
    assert browser.problems(since) == []
