"""Scenario comparison maps from real routes: Tashkent → Karachi when Torkham is open
(2022-06-01) and when all Pakistan–Afghanistan posts are closed (2026-11-29), and with
Torkham avoided; checked as data and in a real (network-blocked) Chromium."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from headless_chromium import Browser
from route_samples import expected_markers

from corridors.planner import Planner
from geodata.errors import InvalidInputError
from maps import external_references
from maps.compare_map import compare_map, compare_summary, only_in


def _route(planner: Planner, day: dt.date, **kw: Any) -> dict[str, Any]:
    sh = planner.default_shipment(planner.places.resolve("Tashkent"), day)
    return planner.route("Tashkent", "Karachi", shipment=sh, **kw).to_dict()


@pytest.fixture(scope="module")
def scenarios(planner: Planner) -> dict[str, dict[str, Any]]:
    return {
        "open": _route(planner, dt.date(2022, 6, 1)),
        "closed": _route(planner, dt.date(2026, 11, 29)),
        "avoid": _route(planner, dt.date(2022, 6, 1), avoid=["Torkham"]),
    }


def _posts(r: dict[str, Any]) -> list[str]:
    return [leg["post"] for leg in r["legs"] if leg["mode"] == "border"]


def test_only_in_finds_the_legs_that_differ(scenarios: dict[str, dict[str, Any]]) -> None:
    a, b = scenarios["open"], scenarios["closed"]
    assert "Torkham" in _posts(a) and "Torkham" not in _posts(b)
    diff_a, diff_b = only_in(a, b), only_in(b, a)
    torkham = next(i for i, leg in enumerate(a["legs"]) if leg.get("post") == "Torkham")
    assert torkham in diff_a
    assert all(b["legs"][i]["mode"] != "transfer" for i in diff_b)
    # Against itself nothing differs; against no route, every non-transfer leg does.
    assert only_in(a, a) == []
    assert only_in(a, None) == [i for i, leg in enumerate(a["legs"]) if leg["mode"] != "transfer"]
    # Avoiding Torkham keeps the Uzbek–Tajik–Afghan start: the shared legs are not flagged.
    c = scenarios["avoid"]
    shared = [i for i, leg in enumerate(a["legs"]) if leg.get("post") in _posts(c)]
    assert shared and not set(shared) & set(only_in(a, c))


def test_summary_gives_the_differences(scenarios: dict[str, dict[str, Any]]) -> None:
    a, b = scenarios["open"], scenarios["closed"]
    rows = {r[0]: r for r in compare_summary(a, b)}
    cost = b["cost_usd"] - a["cost_usd"]
    assert rows["Cost"][3] == ("+" if cost > 0 else "−") + f"USD {abs(cost):,.0f}"
    assert rows["Distance"][3].endswith(f"{abs(b['distance_km'] - a['distance_km']):,.0f} km")
    assert "− " in rows["Border posts"][3] and "Torkham" in rows["Border posts"][3]
    assert rows["P90 time"][1].startswith(f"{a['p90_hours']:,.1f} h")
    given = {r[0]: r for r in compare_summary(a, None, {"cost_usd": 12.0, "why": "closure"})}
    assert given["Cost"][2] == "—" and given["Cost"][3] == "+USD 12"
    assert given["Border posts"][2] == "no route" and given["why"][3] == "closure"


def test_bad_input() -> None:
    with pytest.raises(InvalidInputError):
        compare_map(None, None)
    with pytest.raises(InvalidInputError):
        compare_map({"origin": "x"}, None)
    with pytest.raises(InvalidInputError):
        compare_map(None, None, pairs=[(None, None, {})])


STATE_JS = """
(() => {
  const map = Object.keys(window).filter(k => k.startsWith("map_"))
    .map(k => window[k]).find(v => v instanceof L.Map);
  const count = (g, cls) => g.getLayers().filter(x => x instanceof cls).length;
  return {
    routes: corridors.routes.map(r => ({
      name: r.name, on: map.hasLayer(r.group),
      polylines: count(r.group, L.Polyline), markers: count(r.group, L.Marker)})),
    halos: corridors.layers.map(l => l.lines),
    summary: document.querySelector(".corridors-summary").textContent,
    paths: document.querySelectorAll(".leaflet-overlay-pane path").length,
  };
})()
"""


def test_compare_map_in_chromium(
    browser: Browser, scenarios: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    a, b, c = scenarios["open"], scenarios["closed"], scenarios["avoid"]
    page = tmp_path / "compare.html"
    compare_map(a, b, labels=("2022-06-01", "2026-11-29"), pairs=[(a, c, {})]).save(str(page))
    assert external_references(page.read_text(encoding="utf-8")) == []
    since = browser.open(page.resolve().as_uri())
    assert browser.problems(since) == []
    state = browser.evaluate(STATE_JS)
    routes = [a, b, a, c]
    halos = [only_in(a, b), only_in(b, a), only_in(a, c), only_in(c, a)]
    assert state["halos"] == [len(h) for h in halos]
    # Each scenario's group holds its legs, its halo lines and its stops.
    assert [r["polylines"] for r in state["routes"]] == [
        len(r["legs"]) + len(h) for r, h in zip(routes, halos, strict=True)
    ]
    assert [r["markers"] for r in state["routes"]] == [expected_markers(r) for r in routes]
    assert all(r["on"] for r in state["routes"])
    for text in ("2022-06-01", "2026-11-29", "Torkham", "Δ", "P90"):
        assert text in state["summary"]

    # A halo's popup gives the deltas.
    popup = browser.evaluate(
        """(() => {
          const l = corridors.layers[0].group.getLayers().find(x => x.getPopup());
          l.openPopup(l.getLatLngs()[0]);
          return document.querySelector(".leaflet-popup-content").textContent;
        })()"""
    )
    assert "Cost" in popup and "Border posts" in popup and "USD" in popup

    png = browser.screenshot(tmp_path / "compare.png")
    assert len(png) > 50_000

    # Switching scenario B of the first pair off hides its route and its halo.
    toggle = """
    (() => {
      const input = [...document.querySelectorAll(".leaflet-control-layers-overlays label")]
        .find(l => l.textContent.trim().startsWith("1 · 2026-11-29")).querySelector("input");
      input.click();
      return input.checked;
    })()"""
    assert browser.evaluate(toggle) is False
    off = browser.evaluate(STATE_JS)
    assert [r["on"] for r in off["routes"]] == [True, False, True, True]
    assert off["paths"] == state["paths"] - state["routes"][1]["polylines"]
    assert browser.problems(since) == []
    json.dumps(off)  # plain data all the way
