"""Route maps as written HTML: self-contained, small, one polyline per leg, the right stops."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import folium
import folium.plugins
import pytest
from route_samples import expected_markers, make_route

import maps._assets as assets_mod
from geodata.errors import DataError, InvalidInputError
from maps import (
    MODE_COLOURS,
    OfflineAssetError,
    OfflineMap,
    external_references,
    route_features,
    route_map,
    route_maps,
)
from maps.basemap import load_basemap

MAX_BYTES = 3 * 1024 * 1024
TILE_TEMPLATE = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"


class _Tags(HTMLParser):
    """Every tag attribute that names a URL, outside scripts' text."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str, str]] = []
        self.scripts_with_src: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for k, v in attrs:
            if k in ("src", "href", "data", "poster", "srcset") and v:
                self.urls.append((tag, k, v))
        if tag == "script" and any(k == "src" for k, _ in attrs):
            self.scripts_with_src.append(str(dict(attrs)["src"]))


def _html(m: folium.Map, tmp_path: Path, name: str = "map.html") -> str:
    out = tmp_path / name
    m.save(str(out))
    return out.read_text(encoding="utf-8")


def _payloads(html: str) -> list[dict[str, Any]]:
    """The data of each ``corridors.addRoute(group, {...})`` call, in order."""
    return [
        json.loads(m.group(1))
        for m in re.finditer(r"corridors\.addRoute\(feature_group_\w+, (\{.*\})\);\n", html)
    ]


def _assert_self_contained(html: str) -> None:
    assert external_references(html) == []
    tags = _Tags()
    tags.feed(html)
    assert tags.scripts_with_src == [], "a <script src> would be fetched"
    assert [u for _, _, u in tags.urls if re.match(r"(https?:)?//", u)] == []
    assert "<link" not in html.lower()
    # The only URL template a browser could fetch from is the optional, hidden tile layer.
    assert [u for u in re.findall(r"https?://[^\s\"'`<>]*\{z\}[^\s\"'`<>]*", html)] in (
        [],
        [TILE_TEMPLATE],
    )


def test_route_map_is_self_contained(route: dict[str, Any], tmp_path: Path) -> None:
    html = _html(route_map(route), tmp_path)
    _assert_self_contained(html)
    assert "Leaflet 1.9.4" in html and "BSD 2-Clause License" in html
    for gone in ("bootstrap", "jquery-", "awesome-markers", "font-awesome", "fontawesome"):
        assert gone not in html.lower()


def test_one_polyline_per_leg_with_its_mode_geometry_and_dash(
    route: dict[str, Any], tmp_path: Path
) -> None:
    html = _html(route_map(route), tmp_path)
    (payload,) = _payloads(html)
    assert len(payload["legs"]) == len(route["legs"])
    for drawn, leg, line in zip(
        payload["legs"], route["legs"], route["geometry"]["coordinates"], strict=True
    ):
        mode, dashed, tip, coords = drawn
        assert mode == leg["mode"]
        assert dashed == (leg["status"] != "operational")
        assert coords == [[round(lat, 4), round(lon, 4)] for lon, lat in line]
        assert leg["from"] in tip or leg["mode"] == "border"
    # The JS draws each leg with L.polyline inside the helper, with the mode colours given.
    assert "L.polyline(l[3]" in html
    for mode in {leg["mode"] for leg in route["legs"]}:
        assert MODE_COLOURS[mode] in html


def test_markers_for_ends_borders_and_handling_places(route: dict[str, Any]) -> None:
    feats = route_features(route)
    kinds = [m[0] for m in feats["markers"]]
    assert len(kinds) == expected_markers(route) == 8
    assert kinds.count("origin") == kinds.count("destination") == 1
    assert kinds.count("border") == 2
    assert kinds.count("port") == 2  # Karachi Port, Shahid Rajaee Port
    assert kinds.count("transfer") == 2  # Mazar-i-Sharif; Kabul (gauge change + transload)
    by_tip = {m[3].split(" (")[0].split(":")[0]: m for m in feats["markers"]}
    torkham = by_tip["Torkham"][4]
    for text in (
        "Torkham",
        "AFG → PAK",
        "80.0 h",
        "P90 time",
        "160 h",
        "USD 525",
        "AFG truck",
        "TIR",
    ):
        assert text in torkham
    kabul = by_tip["Kabul"]
    assert "gauge change at Kabul" in kabul[4] and "transload at Kabul" in kabul[4]
    assert "USD 140" in kabul[4]  # total at the place
    assert (kabul[1], kabul[2]) == (34.53, 69.17)  # where the transfer leg is
    origin = next(m for m in feats["markers"] if m[0] == "origin")
    assert "loading on rail at Tashkent" in origin[4] and origin[5] == "Tashkent"


def test_summary_legend_attribution_scale(route: dict[str, Any], tmp_path: Path) -> None:
    html = _html(route_map(route), tmp_path)
    for text in (
        "USD 5,200",
        "380 h (15.8 d)",
        "350 h / 520 h",
        "Torkham",
        "af-uz (UZB truck in AFG)",
        "corridors-summary",
        "corridors-legend",
        "planned / under construction",
        "border post",
        "L.control.scale()",
    ):
        assert text in html, text
    assert "© OpenStreetMap contributors" in html and "Made with Natural Earth" in html
    assert f"{route['distance_km']:,.0f} km" in html
    assert re.search(r"corridors\.finish\(map_\w+, \[\[[\d.]+,[\d.]+\],\[[\d.]+,[\d.]+\]\]\)", html)


def test_basemap_is_drawn_and_online_tiles_are_optional(
    route: dict[str, Any], tmp_path: Path
) -> None:
    html = _html(route_map(route), tmp_path)
    assert "corridors.addBasemap(map_" in html
    # The OSM layer is built but not added: it only appears in the layer control.
    tile_var = re.search(r"var (tile_layer_\w+) = L\.tileLayer\(", html)
    assert tile_var is not None
    assert f"{tile_var.group(1)}.addTo(" not in html
    assert re.search(r"feature_group_\w+\.addTo\(map_\w+\)", html)  # routes are shown
    no_tiles = _html(route_map(route, tiles=None), tmp_path, "plain.html")
    assert "L.tileLayer" not in no_tiles and "tile.openstreetmap.org" not in no_tiles


def test_alternatives_are_layers_of_their_own(tmp_path: Path) -> None:
    routes = [make_route("best"), make_route("east", 1.5), make_route("far east", 3.0)]
    html = _html(route_maps(routes), tmp_path)
    payloads = _payloads(html)
    assert [p["name"] for p in payloads] == ["best", "east", "far east"]
    assert [p["primary"] for p in payloads] == [True, False, False]
    assert html.count("L.featureGroup(") == 3
    for i, name in enumerate(("best", "east", "far east"), start=1):
        assert json.dumps(f"{i} · {name} · USD 5,200 · 380 h") in html
    _assert_self_contained(html)


def test_tashkent_karachi_with_alternatives_under_3_mb(
    tk_routes: list[dict[str, Any]], tmp_path: Path
) -> None:
    html = _html(route_maps(tk_routes), tmp_path)
    size = len(html.encode())
    assert size <= MAX_BYTES, f"{size:,} bytes"
    _assert_self_contained(html)
    payloads = _payloads(html)
    assert [len(p["legs"]) for p in payloads] == [len(r["legs"]) for r in tk_routes]
    assert [len(p["markers"]) for p in payloads] == [expected_markers(r) for r in tk_routes]
    assert "Torkham" in html


def test_cli_map_is_offline(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from corridors.cli import cli

    out = tmp_path / "cli.html"
    res = CliRunner().invoke(
        cli, ["route", "Tashkent", "Karachi", "--date", "2025-06-01", "--map", str(out)]
    )
    assert res.exit_code == 0, res.output
    html = out.read_text(encoding="utf-8")
    _assert_self_contained(html)
    assert len(_payloads(html)) >= 1


def test_bad_input_is_refused() -> None:
    r = make_route()
    r["geometry"]["coordinates"].pop()
    with pytest.raises(InvalidInputError, match="one line per leg"):
        route_map(r)
    with pytest.raises(InvalidInputError, match="missing"):
        route_map({"origin": "x"})
    with pytest.raises(InvalidInputError):
        route_maps([])


def test_offline_map_refuses_what_needs_a_cdn(tmp_path: Path) -> None:
    m = OfflineMap(tiles=None)
    folium.Marker((40, 60), icon=folium.Icon(color="red")).add_to(m)
    with pytest.raises(OfflineAssetError, match=r"folium\.Icon"):
        m.get_root().render()
    m = OfflineMap(tiles=None)
    folium.plugins.Fullscreen().add_to(m)
    with pytest.raises(OfflineAssetError, match="Fullscreen"):
        m.get_root().render()
    # Core folium elements need no CDN: their HTML is self-contained.
    m = OfflineMap(tiles=None)
    folium.Marker((40, 60), popup=folium.Popup("<b>hello</b>")).add_to(m)
    folium.CircleMarker((41, 61), radius=5).add_to(m)
    _assert_self_contained(_html(m, tmp_path))


def test_leaflet_is_checked_against_the_released_files(monkeypatch: pytest.MonkeyPatch) -> None:
    assert assets_mod.assets().leaflet_js.startswith("/* @preserve\n * Leaflet 1.9.4")
    monkeypatch.setitem(assets_mod._LEAFLET_SHA256, "leaflet.js", "0" * 64)
    with pytest.raises(OfflineAssetError, match=r"not Leaflet 1\.9\.4"):
        assets_mod._leaflet_file("leaflet.js")
    assert issubclass(OfflineAssetError, DataError)


def test_packaged_basemap_is_small_valid_and_covers_the_corridor() -> None:
    import shapely
    from shapely.geometry import shape

    path = Path(assets_mod.__file__).parent / "data" / "basemap.geojson"
    assert path.stat().st_size < 400_000
    fc = load_basemap()
    countries = {
        f["properties"]["iso3"]: f for f in fc["features"] if f["geometry"]["type"] != "Point"
    }
    for iso3 in ("UZB", "TJK", "KGZ", "KAZ", "TKM", "AFG", "PAK", "IRN", "CHN", "IND", "OMN"):
        assert iso3 in countries
        assert shapely.is_valid(shape(countries[iso3]["geometry"]))
    capitals = {
        f["properties"]["name"] for f in fc["features"] if f["properties"].get("kind") == "capital"
    }
    assert {"Tashkent", "Kabul", "Islamabad", "Tehran"} <= capitals
    assert fc["bbox"] == [44.0, 20.0, 90.0, 56.0]
    assert "public domain" in fc["source"]["licence"]
    readme = (path.parent / "README.md").read_text(encoding="utf-8")
    assert "Natural Earth" in readme and "_make_basemap" in readme


SOURCES = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "natural_earth"


@pytest.mark.skipif(not SOURCES.is_dir(), reason="../shared/data/natural_earth is absent")
def test_basemap_rebuilds_from_natural_earth(tmp_path: Path) -> None:
    from maps._make_basemap import main

    out = tmp_path / "basemap.geojson"
    rc = main(
        [
            str(SOURCES / "ne_10m_admin_0_countries.geojson"),
            str(SOURCES / "ne_10m_populated_places.geojson"),
            str(out),
        ]
    )
    assert rc == 0
    packaged = Path(assets_mod.__file__).parent / "data" / "basemap.geojson"
    assert json.loads(out.read_text()) == json.loads(packaged.read_text())


def test_handling_right_at_an_end_goes_into_its_popup(route: dict[str, Any]) -> None:
    # Put the import port within a kilometre of the destination: its marker would hide
    # under the destination's, so the destination's popup lists the port handling.
    route["geometry"]["coordinates"][-1] = [[56.265, 27.18], [56.27, 27.18]]
    feats = route_features(route)
    kinds = [m[0] for m in feats["markers"]]
    assert kinds.count("port") == 1 and len(kinds) == expected_markers(route) - 1
    dest = next(m for m in feats["markers"] if m[0] == "destination")
    assert "port handling and dwell, import at Shahid Rajaee Port" in dest[4]
