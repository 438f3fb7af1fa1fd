"""Hand-made route data for the map tests: a route with every kind of leg and stop, and the
number of markers a route's map must show.  A module of its own (not conftest) so that test
modules can import it whichever other conftest.py pytest has loaded."""

from __future__ import annotations

from typing import Any


def _leg(mode: str, a: str, b: str, country: str, km: float, h: float, usd: float, **kw: Any):
    return {
        "mode": mode,
        "from": a,
        "to": b,
        "country": country,
        "distance_km": km,
        "hours": h,
        "cost_usd": usd,
        "status": kw.pop("status", "operational"),
        **kw,
    }


def make_route(label: str = "best", shift: float = 0.0) -> dict[str, Any]:
    """A small route through every kind of leg and stop, shaped as ``Route.to_dict()``.

    Tashkent by road to Termez, across to Hairatan, road to Mazar, an unbuilt railway to
    Kabul (under construction), road to Torkham, across to Pakistan, road to Karachi Port,
    sea to Shahid Rajaee Port, and a transfer to Bandar Abbas. ``shift`` moves the middle
    of the line east, to make a distinct alternative.
    """
    s = shift
    legs_lines = [
        (
            _leg("road", "Tashkent", "Termez", "UZB", 690, 14, 900, carrier="UZB"),
            [[69.29, 41.31], [68.5 + s, 39.5], [67.28, 37.23]],
        ),
        (
            _leg(
                "border",
                "Termez",
                "Hairatan",
                "UZB",
                0.5,
                2.8,
                74,
                post="Hairatan–Termez",
                to_country="AFG",
                carrier="UZB",
            ),
            [[67.28, 37.23], [67.29, 37.21]],
        ),
        (
            _leg("road", "Hairatan", "Mazar-i-Sharif", "AFG", 75, 2, 150, carrier="UZB"),
            [[67.29, 37.21], [67.11, 36.71]],
        ),
        (
            _leg("transfer", "Mazar-i-Sharif", "Mazar-i-Sharif", "AFG", 1, 4, 50),
            [[67.11, 36.71], [67.12, 36.70]],
        ),
        (
            _leg(
                "rail",
                "Mazar-i-Sharif",
                "Kabul",
                "AFG",
                420,
                10,
                300,
                status="under_construction",
                gauge_mm=1520,
            ),
            [[67.12, 36.70], [68.4 + s, 35.6], [69.17, 34.53]],
        ),
        (_leg("transfer", "Kabul", "Kabul", "AFG", 1, 4, 50), [[69.17, 34.53], [69.18, 34.52]]),
        (
            _leg("road", "Kabul", "34.132,71.081", "AFG", 230, 8, 400, carrier="AFG"),
            [[69.18, 34.52], [70.5, 34.3], [71.081, 34.132]],
        ),
        (
            _leg(
                "border",
                "34.132,71.081",
                "34.132,71.081",
                "AFG",
                0,
                80,
                525,
                post="Torkham",
                to_country="PAK",
                carrier="AFG",
            ),
            [[71.081, 34.132], [71.081, 34.132]],
        ),
        (
            _leg("road", "34.132,71.081", "Karachi Port", "PAK", 1500, 40, 1700, carrier="AFG"),
            [[71.081, 34.132], [69.0 + s, 29.0], [66.98, 24.84]],
        ),
        (
            _leg("sea", "Karachi Port", "Shahid Rajaee Port", "PAK", 1100, 60, 800),
            [[66.98, 24.84], [61.0, 24.5], [56.06, 27.1]],
        ),
        (
            _leg("transfer", "Shahid Rajaee Port", "Bandar Abbas", "IRN", 20, 4, 50),
            [[56.06, 27.1], [56.27, 27.18]],
        ),
    ]
    legs = [leg for leg, _ in legs_lines]
    lines = [line for _, line in legs_lines]
    border = {
        "kind": "border",
        "cost_usd": 74.0,
        "hours": 2.8,
        "post": "Hairatan–Termez",
        "direction": "UZB->AFG",
        "from_country": "UZB",
        "to_country": "AFG",
        "mode": "road",
        "regime": "TIR",
        "basis": "CPMM post figures",
        "carrier": "UZB",
        "source": "CAREC CPMM 2022",
    }
    breakdown = [
        {
            "kind": "terminal",
            "label": "loading on rail at Tashkent",
            "cost_usd": 50.0,
            "hours": 4.0,
            "source": "estimate",
        },
        {"kind": "linehaul", "label": "road UZB", "cost_usd": 900.0, "hours": 14.0},
        {**border, "label": "border Hairatan–Termez (UZB → AFG)"},
        {
            "kind": "terminal",
            "label": "road–rail transfer at Mazar-i-Sharif",
            "cost_usd": 50.0,
            "hours": 4.0,
            "at": "Mazar-i-Sharif",
            "from": "road",
            "to": "rail",
        },
        {
            "kind": "gauge_change",
            "label": "gauge change at Kabul: 1520 → 1676 mm",
            "cost_usd": 80.0,
            "hours": 6.0,
            "at": "Kabul",
        },
        {
            "kind": "transload",
            "label": "transload at Kabul: AFG truck → PAK truck",
            "cost_usd": 60.0,
            "hours": 3.0,
            "at": "Kabul",
        },
        {
            **border,
            "label": "border Torkham (AFG → PAK)",
            "post": "Torkham",
            "direction": "AFG->PAK",
            "from_country": "AFG",
            "to_country": "PAK",
            "cost_usd": 525.0,
            "hours": 80.0,
            "carrier": "AFG",
            "p90_hours": 160.0,
        },
        {
            "kind": "port",
            "label": "port handling, export at Karachi Port",
            "cost_usd": 120.0,
            "hours": 30.0,
            "at": "Karachi Port",
            "direction": "export",
        },
        {
            "kind": "sea",
            "label": "sea: Karachi Port → Shahid Rajaee Port",
            "cost_usd": 800.0,
            "hours": 60.0,
        },
        {
            "kind": "port",
            "label": "port handling and dwell, import at Shahid Rajaee Port",
            "cost_usd": 150.0,
            "hours": 72.0,
            "at": "Shahid Rajaee Port",
            "direction": "import",
        },
        {"kind": "regime", "label": "TIR carnet", "cost_usd": 100.0, "hours": 0.0},
    ]
    return {
        "origin": "Tashkent",
        "destination": "Bandar Abbas",
        "origin_place": {
            "name": "Tashkent",
            "country": "UZB",
            "kind": "city",
            "lat": 41.31365,
            "lon": 69.29299,
            "locode": "UZTAS",
        },
        "destination_place": {
            "name": "Bandar Abbas",
            "country": "IRN",
            "kind": "city",
            "lat": 27.18,
            "lon": 56.27,
            "locode": "IRBND",
        },
        "objective": "cost",
        "label": label,
        "shipment": {
            "carrier": "UZB",
            "departure": "2025-06-01",
            "cargo": "20ft",
            "value_usd": 30000.0,
            "tir": True,
        },
        "distance_km": sum(leg["distance_km"] for leg in legs),
        "hours": 380.0,
        "p50_hours": 350.0,
        "p90_hours": 520.0,
        "reliability": {"p50": 350.0, "p90": 520.0},
        "cost_usd": 5200.0,
        "modes": sorted({leg["mode"] for leg in legs}),
        "regimes": ["TIR", "af-uz (UZB truck in AFG)"],
        "legs": legs,
        "geometry": {"type": "MultiLineString", "coordinates": lines},
        "breakdown": breakdown,
        "border_crossings": [],
        "transshipments": [
            b for b in breakdown if b["kind"] in ("terminal", "gauge_change", "transload", "port")
        ],
    }


def expected_markers(route: dict[str, Any]) -> int:
    """Origin, destination, one per border leg, one per other place of handling."""
    ends = {route["origin_place"]["name"], route["destination_place"]["name"]}
    places = set()
    for it in route["breakdown"]:
        if it["kind"] in ("terminal", "gauge_change", "transload", "port"):
            place = it.get("at") or it["label"].rsplit(" at ", 1)[1]
            if place not in ends:
                places.add(place)
    return 2 + sum(leg["mode"] == "border" for leg in route["legs"]) + len(places)
