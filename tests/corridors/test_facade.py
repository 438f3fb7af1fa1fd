"""The package facade: ``corridors.route``, ``corridors.matrix`` and ``corridors.places``."""

from __future__ import annotations

import datetime as dt

import pytest

import corridors
from corridors.planner import Matrix
from corridors.shipment import Shipment

SHIPMENT = Shipment("UZB", dt.date(2025, 6, 1))


def test_matrix_returns_rows_and_places(network) -> None:
    m = corridors.matrix(["Tashkent", "Samarkand"], ["PKKHI", "IRBND"], shipment=SHIPMENT)
    assert isinstance(m, Matrix)
    assert [p.name for p in m.origins] == ["Tashkent", "Samarkand"]
    assert [(r["origin"], r["destination"]) for r in m.rows] == [
        ("Tashkent", "Karachi Port"),
        ("Tashkent", "Shahid Rajaee Port"),
        ("Samarkand", "Karachi Port"),
        ("Samarkand", "Shahid Rajaee Port"),
    ]
    assert all(r["cost_usd"] > 0 and r["hours"] > 0 for r in m.rows)
    # a cell equals the route's totals
    r = corridors.route("Tashkent", "PKKHI", shipment=SHIPMENT)
    assert m.rows[0]["cost_usd"] == pytest.approx(r.cost_usd, abs=0.01)
    d = m.to_dict()
    assert len(d["rows"]) == 4 and d["destinations"][1]["locode"] == "IRBND"
    df = m.to_dataframe()
    assert list(df["cost_usd"]) == [x["cost_usd"] for x in m.rows]
    gdf = m.to_geodataframe()
    assert gdf.crs.to_epsg() == 4326 and len(gdf) == 4
    o, dest = m.origins[0], m.destinations[0]
    assert list(gdf.geometry.iloc[0].coords) == [(o.lon, o.lat), (dest.lon, dest.lat)]
    html = m._repr_html_()
    assert "<table" in html and "Samarkand" in html and "Shahid Rajaee Port" in html


def test_matrix_reports_unreachable_pairs_and_bad_names(network) -> None:
    m = corridors.matrix(["Tashkent"], ["Tashkent", "PKKHI"], shipment=SHIPMENT)
    assert m.rows[0]["cost_usd"] is None and m.rows[0]["reason"] == "same place"
    assert "no route" in m._repr_html_()
    with pytest.raises(corridors.UnknownPlaceError):
        corridors.matrix(["Tashkentt-nowhere"], ["PKKHI"])
    with pytest.raises(corridors.InvalidInputError):
        corridors.matrix([], ["PKKHI"])
    with pytest.raises(corridors.InvalidInputError, match="objective"):
        corridors.matrix(["Tashkent"], ["PKKHI"], objective="bogus")
    with pytest.raises(corridors.InvalidInputError, match="mode"):
        corridors.matrix(["Tashkent"], ["PKKHI"], modes=["rocket"])


def test_matrix_html_keeps_a_place_asked_twice(network) -> None:
    m = corridors.matrix(["Tashkent", "Samarkand", "Tashkent"], ["PKKHI"], shipment=SHIPMENT)
    html = m._repr_html_()
    assert html.count("<th>Tashkent</th>") == 2  # not averaged into one row
    assert f"{m.rows[1]['cost_usd']:,.0f}" in html


def test_places_stays_the_search_function_after_routing(network) -> None:
    corridors.route("Tashkent", "Samarkand", shipment=SHIPMENT)
    found = corridors.places("karachi", kind="port")
    assert callable(corridors.places) and found and found[0].locode == "PKKHI"


def test_a_route_reaching_a_post_before_it_shuts_for_good_is_still_a_route(planner) -> None:
    """Torkham shuts from 2025-10-12 with no known reopening (rules). A KAZ truck leaving
    Almaty on 2025-10-04 reaches it on 2025-10-10, but slower Monte Carlo draws would arrive
    after: the route comes back with its bill and a note, without a time distribution,
    instead of failing."""
    sh = Shipment(carrier="KAZ", departure=dt.date(2025, 10, 4))
    route = planner.route("Almaty", "Karachi", shipment=sh)
    assert any(it.details.get("post_key") == "torkham" for it in route.bill.items)
    assert route.reliability == {}
    assert any("Torkham" in n and "no door-to-door time distribution" in n for n in route.notes)
    assert route.to_dict()["notes"] == route.notes
    # without draws nothing was in the way, and nothing is said
    assert planner.route("Almaty", "Karachi", shipment=sh, draws=0).notes == []
    # a deadline before the departure is still refused, not hidden behind the closure
    with pytest.raises(corridors.InvalidInputError, match="not after the departure"):
        planner.route("Almaty", "Karachi", shipment=sh, deadline=dt.datetime(2025, 10, 1))


@pytest.mark.parametrize(
    ("origins", "destinations", "message"),
    [
        ("Osh", ["PKKHI"], "origins must be a list of places"),
        (["Osh"], "PKKHI", "destinations must be a list of places"),
        (["Osh"], [], "at least one origin and one destination"),
    ],
)
def test_matrix_refuses_a_bare_name_or_no_destination(network, origins, destinations, message):
    with pytest.raises(corridors.InvalidInputError, match=message):
        corridors.matrix(origins, destinations)
