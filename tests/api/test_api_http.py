"""The HTTP API in process: answers, formats, and every error as a 4xx JSON body."""

from __future__ import annotations

import csv
import io
import json

import pytest
from fastapi.testclient import TestClient

from corridors.api import LIMITS
from maps.offline import external_references

TK = "/route?origin=Tashkent&destination=Karachi&carrier=UZB&date=2025-06-01"


def _error(r, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error", "message", "details"}
    assert body["error"] == code
    assert "\n" not in body["message"] and "Traceback" not in body["message"]
    return body


def test_health_and_version(client: TestClient, planner) -> None:
    assert client.get("/health").json() == {"status": "ok"}
    v = client.get("/version").json()
    assert v["network"] == planner.network.content_hash
    assert len(v["rules"]) == 64 and v["package"]


def test_route_json_matches_the_library(client: TestClient, planner) -> None:
    import datetime as dt

    from corridors.shipment import Shipment

    r = client.get(TK)
    assert r.status_code == 200, r.text
    (route,) = r.json()["routes"]
    lib = planner.route("Tashkent", "Karachi", shipment=Shipment("UZB", dt.date(2025, 6, 1)))
    assert route["cost_usd"] == pytest.approx(lib.cost_usd, abs=0.01)
    assert route["distance_km"] == pytest.approx(lib.distance_km, abs=0.01)
    assert route["shipment"]["carrier"] == "UZB"
    assert route["network_hash"] == planner.network.content_hash
    assert route["cost_usd"] == pytest.approx(
        sum(i["cost_usd"] for i in route["breakdown"] if i["kind"] != "value_of_time"), abs=0.05
    )


def test_route_geojson_alternatives_and_deadline(client: TestClient) -> None:
    r = client.get(TK + "&k=2&deadline=2025-06-30&format=geojson")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/geo+json")
    fc = r.json()
    assert fc["type"] == "FeatureCollection"
    assert {f["properties"]["route"] for f in fc["features"]} == {0, 1}
    assert all(f["geometry"]["type"] == "LineString" for f in fc["features"])
    routes = client.get(TK + "&k=2&deadline=2025-06-30").json()["routes"]
    assert len(routes) == 2 and routes[0]["label"].startswith("best")
    assert 0 <= routes[0]["reliability"]["p_on_time"] <= 1


def test_route_map_is_self_contained_html(client: TestClient) -> None:
    r = client.get(TK.replace("/route?", "/route/map?"))
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "OpenStreetMap contributors" in r.text
    assert external_references(r.text) == []


def test_matrix_json_and_csv(client: TestClient) -> None:
    body = {"origins": ["Tashkent"], "destinations": ["PKKHI", "PKGWD"], "date": "2025-06-01"}
    rows = client.post("/matrix", json=body).json()["rows"]
    assert [r["destination"] for r in rows] == ["Karachi Port", "Gwadar Port"]
    assert all(r["cost_usd"] > 0 for r in rows)
    r = client.post("/matrix?format=csv", json=body)
    assert r.headers["content-type"].startswith("text/csv")
    parsed = list(csv.DictReader(io.StringIO(r.text)))
    assert [float(p["cost_usd"]) for p in parsed] == [x["cost_usd"] for x in rows]


def test_matrix_backhaul(client: TestClient) -> None:
    body = {
        "origins": ["Lahore"],
        "destinations": ["Karachi"],
        "date": "2025-07-01",
        "modes": ["road"],
    }
    out = client.post("/matrix", json=body).json()["rows"][0]
    back = client.post("/matrix", json={**body, "backhaul": True}).json()["rows"][0]
    # Pakistani road line-haul at the back-haul share (0.34): well under half the fare
    assert 0 < back["cost_usd"] < 0.5 * out["cost_usd"]


def test_places_and_rules(client: TestClient) -> None:
    r = client.get("/places", params={"search": "karachi", "kind": "port"}).json()
    assert [p["locode"] for p in r["places"]] == ["PKKHI"] and r["truncated"] is False
    r = client.get("/places", params={"limit": 3}).json()
    assert len(r["places"]) == 3 and r["truncated"] is True
    rows = client.get("/rules", params={"post": "torugart"}).json()["rows"]
    assert rows and all(row["source"] for row in rows)
    assert any(row["name"].startswith("border_posts.posts.torugart") for row in rows)


@pytest.mark.parametrize(
    ("url", "status", "code", "needle"),
    [
        ("/route?origin=Tashkentt&destination=Karachi", 404, "unknown_place", "Tashkent"),
        ("/route?origin=41.3,abc&destination=Karachi", 400, "invalid_input", "malformed"),
        ("/route?origin=95,69&destination=Karachi", 400, "invalid_input", "out of range"),
        (TK.replace("2025-06-01", "2025-13-01"), 400, "invalid_input", "invalid date"),
        (TK + "&deadline=tomorrow", 400, "invalid_input", "invalid date"),
        (TK + "&modes=rail,bus", 400, "invalid_input", "unknown mode bus"),
        ("/route?origin=Tashkent&destination=toshkent", 400, "invalid_input", "same place"),
        (TK + "&k=0", 422, "validation_error", "k"),
        (TK + f"&k={LIMITS.max_k + 1}", 422, "validation_error", "k"),
        (TK + "&value_usd=-5", 422, "validation_error", "value_usd"),
        (TK + "&carrier=UZBEK", 422, "validation_error", "carrier"),
        (TK + "&colour=red", 422, "validation_error", "colour"),
        ("/route?origin=Tashkent", 422, "validation_error", "destination"),
        (TK + "&via=" + ",".join(["Termez"] * (LIMITS.max_via + 1)), 422, "limit_exceeded", "via"),
        ("/route?origin=Termez&destination=Kabul&modes=rail", 422, "no_route", "rail"),
        ("/places?country=Pakistan", 422, "validation_error", "country"),
        ("/rules?post=torkhum", 400, "invalid_input", "torkham"),
        ("/no/such/path", 404, "not_found", "Not Found"),
    ],
)
def test_errors_are_json(client: TestClient, url: str, status: int, code: str, needle: str) -> None:
    body = _error(client.get(url), status, code)
    assert needle in body["message"] or needle in json.dumps(body["details"])


def test_unknown_place_suggests_and_no_route_gives_reasons(client: TestClient) -> None:
    body = _error(client.get("/route?origin=Tashkentt&destination=Karachi"), 404, "unknown_place")
    assert body["details"] == {"query": "Tashkentt", "suggestions": ["Tashkent"]}
    url = "/route?origin=Mazar-i-Sharif&destination=Kharlachi&modes=rail&date=2025-06-01"
    body = _error(client.get(url), 422, "no_route")
    assert body["details"]["reasons"][0].startswith("no connection by rail")


def test_limits_on_body_matrix_and_method(client: TestClient) -> None:
    big = b'{"origins": ["' + b"x" * LIMITS.max_body_bytes + b'"], "destinations": ["y"]}'
    r = client.post("/matrix", content=big, headers={"content-type": "application/json"})
    _error(r, 413, "body_too_large")

    def chunks():
        yield big[: len(big) // 2]
        yield big[len(big) // 2 :]

    r = client.post("/matrix", content=chunks(), headers={"content-type": "application/json"})
    _error(r, 413, "body_too_large")  # a chunked body has no Content-Length
    n_dest = LIMITS.max_matrix_cells // LIMITS.max_matrix_origins + 1
    body = {"origins": ["Tashkent"] * LIMITS.max_matrix_origins, "destinations": ["PKKHI"] * n_dest}
    d = _error(client.post("/matrix", json=body), 422, "limit_exceeded")["details"]
    assert d == {"limit": LIMITS.max_matrix_cells, "value": LIMITS.max_matrix_origins * n_dest}
    body = {"origins": ["Tashkent"] * (LIMITS.max_matrix_origins + 1), "destinations": ["PKKHI"]}
    _error(client.post("/matrix", json=body), 422, "validation_error")
    _error(client.post("/matrix", content=b"{not json"), 422, "validation_error")
    _error(client.put("/health"), 405, "method_not_allowed")


def test_the_api_takes_no_file_paths(app) -> None:
    """Nothing in the schema is a path to write: content comes back in the answer."""
    schema = json.dumps(app.openapi()).lower()
    for word in ('"path"', '"file"', '"out"', '"output"', "filename"):
        assert word not in schema


def test_scenarios_and_compare(client: TestClient) -> None:
    names = [s["name"] for s in client.get("/scenarios").json()["scenarios"]]
    assert "baseline" in names and "tarp-open" in names
    body = {
        "a": "baseline",
        "b": "tarp-open",
        "pairs": [["Tashkent", "Karachi"]],
        "date": "2025-06-01",
        "carrier": "UZB",
    }
    r = client.post("/compare", json=body)
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["scenarios"]["a"]["name"] == "baseline" and d["scenarios"]["b"]["name"] == "tarp-open"
    assert [(row["origin"], row["destination"]) for row in d["rows"]] == [("Tashkent", "Karachi")]
    r = client.post("/compare?format=csv", json=body)
    assert r.headers["content-type"].startswith("text/csv")
    header, line = r.text.strip().splitlines()
    assert header.startswith("origin,destination") and line.startswith("Tashkent,Karachi")


@pytest.mark.parametrize("name", ["/etc/passwd", "../data/scenarios/baseline.toml", "tarp-opne"])
def test_compare_takes_shipped_scenario_names_only(client: TestClient, name: str) -> None:
    body = {"a": "baseline", "b": name, "pairs": [["Tashkent", "Karachi"]]}
    msg = _error(client.post("/compare", json=body), 400, "invalid_input")["message"]
    assert msg.startswith(f"unknown scenario {name!r}")
    body["pairs"] = [["Tashkent", "Karachi"]] * (LIMITS.max_sweep_pairs + 1)
    _error(client.post("/compare", json=body), 422, "validation_error")
