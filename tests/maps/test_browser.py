"""Route maps in a real browser: headless Chromium with the network blocked.

The page must run without a single console error or outside request, hold a Leaflet map with
exactly the route's polylines and markers, hide an alternative when its layer is switched
off, and paint a picture that is not blank. A plain folium map (Leaflet from a CDN) is opened
too, to prove that the harness really blocks the network and sees the failure.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import folium
from headless_chromium import Browser
from route_samples import expected_markers, make_route

from maps import MODE_COLOURS, OfflineMap, route_maps

STATE_JS = """
(() => {
  const map = Object.keys(window).filter(k => k.startsWith("map_"))
    .map(k => window[k]).find(v => v instanceof L.Map);
  const routes = (window.corridors ? corridors.routes : []).map(r => ({
    name: r.name,
    on: map.hasLayer(r.group),
    polylines: r.group.getLayers().filter(l => l instanceof L.Polyline).length,
    markers: r.group.getLayers().filter(l => l instanceof L.Marker).length,
  }));
  return {
    leaflet: typeof L !== "undefined" && L.version,
    map: !!map,
    zoom: map && map.getZoom(),
    routes,
    legPaths: document.querySelectorAll("path.corridors-leg").length,
    icons: document.querySelectorAll(".leaflet-marker-pane .corridors-icon").length,
    summary: !!document.querySelector(".corridors-summary"),
    legend: !!document.querySelector(".corridors-legend"),
    scale: !!document.querySelector(".leaflet-control-scale"),
    attribution: (document.querySelector(".leaflet-control-attribution") || {}).textContent,
    basemap: document.querySelectorAll(".leaflet-corridorsBasemap-pane path").length,
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

PIXELS_JS = """
(async (b64, targets) => {
  const img = new Image();
  img.src = "data:image/png;base64," + b64;
  await img.decode();
  const c = document.createElement("canvas");
  c.width = img.width; c.height = img.height;
  const g = c.getContext("2d");
  g.drawImage(img, 0, 0);
  const d = g.getImageData(0, 0, c.width, c.height).data;
  const colours = new Set();
  let nonWhite = 0;
  const near = targets.map(() => 0);
  const rgb = targets.map(h => [1, 3, 5].map(i => parseInt(h.substr(i, 2), 16)));
  for (let i = 0; i < d.length; i += 4) {
    colours.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
    if (d[i] < 250 || d[i + 1] < 250 || d[i + 2] < 250) nonWhite++;
    rgb.forEach((t, k) => {
      const dist = Math.abs(d[i] - t[0]) + Math.abs(d[i + 1] - t[1]) + Math.abs(d[i + 2] - t[2]);
      if (dist < 40) near[k]++;
    });
  }
  return {width: c.width, height: c.height, colours: colours.size, nonWhite, near};
})(%s, %s)
"""


def _open(browser: Browser, path: Path) -> tuple[int, dict[str, Any]]:
    since = browser.open(path.resolve().as_uri())
    return since, browser.evaluate(STATE_JS)


def _pixels(browser: Browser, png: bytes, colours: list[str]) -> dict[str, Any]:
    import base64

    b64 = json.dumps(base64.b64encode(png).decode())
    return browser.evaluate(PIXELS_JS % (b64, json.dumps(colours)), await_promise=True)


def test_tashkent_karachi_map_in_chromium(
    browser: Browser, tk_routes: list[dict[str, Any]], tmp_path: Path
) -> None:
    page = tmp_path / "tashkent-karachi.html"
    route_maps(tk_routes).save(str(page))
    since, state = _open(browser, page)
    assert browser.problems(since) == []
    assert state["leaflet"] == "1.9.4" and state["map"]
    assert [r["polylines"] for r in state["routes"]] == [len(r["legs"]) for r in tk_routes]
    assert [r["markers"] for r in state["routes"]] == [expected_markers(r) for r in tk_routes]
    assert all(r["on"] for r in state["routes"])
    assert state["legPaths"] == sum(len(r["legs"]) for r in tk_routes)
    assert state["summary"] and state["legend"] and state["scale"] and state["basemap"] > 20
    assert "OpenStreetMap contributors" in state["attribution"]
    assert "Made with Natural Earth" in state["attribution"]
    assert 4 <= state["zoom"] <= 7  # fitted to the route, not the world

    png = browser.screenshot(tmp_path / "tashkent-karachi.png")
    px = _pixels(browser, png, [MODE_COLOURS["road"], MODE_COLOURS["rail"]])
    assert (px["width"], px["height"]) == (1280, 800)
    assert px["colours"] > 200, px  # a map, not a blank page
    assert px["nonWhite"] > 0.5 * px["width"] * px["height"], px  # sea and land are painted
    assert min(px["near"]) > 300, px  # the road and rail lines are visible

    # Switching the second route's layer off hides it, and on again shows it.
    second = state["routes"][1]
    assert browser.evaluate(TOGGLE_JS % json.dumps("2 ·")) is False
    off = browser.evaluate(STATE_JS)
    assert [r["on"] for r in off["routes"]] == [True, False] + [True] * (len(tk_routes) - 2)
    assert off["legPaths"] == state["legPaths"] - second["polylines"]
    assert off["icons"] == state["icons"] - second["markers"]
    assert browser.evaluate(TOGGLE_JS % json.dumps("2 ·")) is True
    assert browser.evaluate(STATE_JS)["legPaths"] == state["legPaths"]
    assert browser.problems(since) == []


def test_every_kind_of_stop_and_leg_in_chromium(browser: Browser, tmp_path: Path) -> None:
    routes = [make_route("best"), make_route("east", 1.5)]
    page = tmp_path / "synthetic.html"
    route_maps(routes).save(str(page))
    since, state = _open(browser, page)
    assert browser.problems(since) == []
    assert [r["polylines"] for r in state["routes"]] == [len(r["legs"]) for r in routes]
    assert [r["markers"] for r in state["routes"]] == [expected_markers(r) for r in routes]
    # Dashed legs (under construction) are dashed in the drawing.
    dashed = browser.evaluate(
        "document.querySelectorAll('path.corridors-leg[stroke-dasharray]').length"
    )
    assert dashed == sum(leg["status"] != "operational" for r in routes for leg in r["legs"])
    # A border post's popup opens with its facts.
    popup = browser.evaluate(
        """(() => {
          const r = corridors.routes[0];
          const m = r.group.getLayers().find(l => l instanceof L.Marker &&
            l.getPopup().getContent().includes("Border post: Torkham"));
          m.openPopup();
          return document.querySelector(".leaflet-popup-content").textContent;
        })()"""
    )
    for text in ("Torkham", "AFG → PAK", "USD 525", "AFG truck", "TIR", "160 h"):
        assert text in popup
    assert browser.problems(since) == []


def test_plain_folium_elements_work_offline(browser: Browser, tmp_path: Path) -> None:
    m = OfflineMap(location=(40, 65), zoom_start=5, tiles=None)
    folium.Marker((40, 65), popup=folium.Popup("<b>hello offline</b>")).add_to(m)
    folium.CircleMarker((41, 66), radius=6, tooltip="circle").add_to(m)
    folium.PolyLine([(40, 60), (41, 70)], color="red").add_to(m)
    page = tmp_path / "plain.html"
    m.save(str(page))
    since = browser.open(page.resolve().as_uri())
    text = browser.evaluate(
        """(() => {
          const mk = Object.keys(window).filter(k => k.startsWith("marker_"))
            .map(k => window[k]).find(v => v instanceof L.Marker);
          mk.openPopup();
          return [document.querySelector(".leaflet-popup-content").textContent,
                  document.querySelector(".leaflet-marker-icon").getAttribute("src").slice(0, 22)];
        })()"""
    )
    assert text == ["hello offline", "data:image/png;base64,"]
    assert browser.problems(since) == []


def test_the_harness_blocks_the_network(browser: Browser, tmp_path: Path) -> None:
    """A stock folium map (Leaflet from a CDN) must fail here: proof the network is off."""
    m = folium.Map(location=(40, 65), zoom_start=5, tiles=None)
    page = tmp_path / "cdn.html"
    m.save(str(page))
    since = browser.open(page.resolve().as_uri())
    problems = browser.problems(since)
    assert any(p.startswith("request: https://cdn.jsdelivr.net/") for p in problems)
    assert any("ERR_NAME_NOT_RESOLVED" in p or "L is not defined" in p for p in problems)
    assert browser.evaluate("typeof L") == "undefined"
