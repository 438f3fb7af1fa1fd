"""Route constraints (maximum transshipments, TIR-only regime) and the matrix's cell totals."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from corridors.bill import itemise
from corridors.costing import ARC_KINDS, TRAVEL_MODES
from corridors.planner import Planner, _node_modes
from corridors.shipment import Shipment
from geodata.errors import InvalidInputError, NoRouteError
from routing import CostedGraph, alternatives, best_path

DAY = dt.date(2025, 6, 1)
ALL = frozenset(TRAVEL_MODES)


def _count(route) -> int:
    return len(route.bill.transshipments())


@pytest.mark.parametrize("limit", [0, 1])
def test_max_transshipments_is_the_best_route_under_the_limit(planner: Planner, limit) -> None:
    sh = Shipment("UZB", DAY)
    best = planner.route("Tashkent", "Karachi", shipment=sh, draws=0)
    assert _count(best) > limit  # the limit binds
    got = planner.route("Tashkent", "Karachi", shipment=sh, draws=0, max_transshipments=limit)
    assert _count(got) <= limit
    assert got.cost_usd >= best.cost_usd
    # no route the unconstrained search can see is cheaper and within the limit
    model = planner.model(sh, ALL, False)
    g = planner.graph(model, "cost")
    nm = _node_modes(ALL)
    o, d = planner.places.resolve("Tashkent"), planner.places.resolve("Karachi")
    src, sw = planner._ends(model, o, nm, "cost", start=True)
    dst, dw = planner._ends(model, d, nm, "cost", start=False)
    paths = alternatives(
        g, src, sw, dst, dw, k=12, max_overlap=1.0, segments=planner._segments(model)
    )
    for p in paths:
        r = planner._make_route(
            model, o, d, "cost", list(p.edges), p.nodes[0], p.nodes[-1], draws=0
        )
        if _count(r) <= limit:
            assert got.cost_usd <= r.cost_usd + 1e-6
    if limit == 0:  # independently: the graph without transfer arcs, starting by road
        a = model.arcs
        transfer = np.isin(
            a["kind"],
            [ARC_KINDS.index(k) for k in ("transload", "gauge_change", "terminal", "port")],
        )
        plain = CostedGraph(model.n_states, a["src"], a["dst"], np.ones(len(transfer), bool),
                            a["cost"], ~transfer)  # fmt: skip
        road = [(s, w) for s, w in zip(src, sw, strict=True) if s < model.n_road_states]
        ends = [(s, w) for s, w in zip(dst, dw, strict=True) if s < model.n_road_states]
        ref = best_path(plain, *zip(*road, strict=True), *zip(*ends, strict=True))
        arcs = [i for i in got.bill.items if i.kind not in ("regime", "value_of_time")]
        assert sum(i.cost_usd for i in arcs) == pytest.approx(ref.cost, abs=1e-6)


def test_a_loose_limit_gives_the_unconstrained_route(planner: Planner) -> None:
    sh = Shipment("UZB", DAY)
    best = planner.route("Tashkent", "Karachi", shipment=sh, draws=0)
    got = planner.route(
        "Tashkent", "Karachi", shipment=sh, draws=0, max_transshipments=_count(best)
    )
    assert got.cost_usd == pytest.approx(best.cost_usd, abs=1e-9)


@pytest.mark.parametrize("bad", [-1, 7, 1.5, True, "2"])
def test_bad_max_transshipments_are_rejected(planner: Planner, bad) -> None:
    with pytest.raises(InvalidInputError, match="max_transshipments"):
        planner.route("Tashkent", "Karachi", max_transshipments=bad)


def test_tir_regime_avoids_crossings_not_legal_under_tir(planner: Planner) -> None:
    # 2017: Pakistan (TIR operational 19 Apr 2018) and Afghanistan (3 Nov 2018) not yet
    day = dt.date(2017, 6, 1)
    sh = Shipment("UZB", day)
    free = planner.route("Tashkent", "Karachi", shipment=sh, draws=0)
    assert "Torkham" in {c["name"] for c in free.bill.border_crossings()}
    tir = planner.route("Tashkent", "Karachi", shipment=sh, draws=0, regime="tir")
    shut = planner.non_tir_posts(day)
    crossed = tir.bill.border_crossings()
    assert crossed and not {c["name"] for c in crossed} & shut
    for c in crossed:
        assert not {"AFG", "PAK"} & set(c["countries"])
    assert tir.cost_usd >= free.cost_usd
    # in 2025 every country of the rules runs TIR: the constraint changes nothing
    assert not planner.non_tir_posts(DAY) & {c["name"] for c in free.bill.border_crossings()}
    with pytest.raises(InvalidInputError, match="regime"):
        planner.route("Tashkent", "Karachi", shipment=sh, regime="eu")
    with pytest.raises(InvalidInputError, match="under TIR"):
        planner.route("Tashkent", "Karachi", shipment=Shipment("UZB", day, tir=False), regime="tir")


def test_matrix_cells_equal_the_bill_of_the_same_path(planner: Planner) -> None:
    sh = Shipment("UZB", DAY)
    model = planner.model(sh, ALL, False)
    g = planner.graph(model, "cost")
    nm = _node_modes(ALL)
    origins = ["Tashkent", "Dushanbe", "Almaty", "Ashgabat"]
    ports = ["PKKHI", "IRBND", "AEJEA"]
    starts = [planner._ends(model, planner.places.resolve(x), nm, "cost", start=True)
              for x in origins]  # fmt: skip
    compared = 0
    for port in ports:
        d = planner.places.resolve(port)
        dst, dw = planner._ends(model, d, nm, "cost", start=False)
        found = g.search_to(
            np.asarray(dst), np.asarray(dw, float),
            [(np.asarray(s), np.asarray(w, float)) for s, w in starts],
        )  # fmt: skip
        for name, p in zip(origins, found, strict=True):
            assert p is not None
            o = planner.places.resolve(name)
            bill = itemise(model, list(p.edges), o, d, planner._name_of,
                           start_state=p.nodes[0], end_state=p.nodes[-1])  # fmt: skip
            cost, hours, km, posts = planner.totals(model, p.edges, p.nodes[0], p.nodes[-1])
            assert cost == pytest.approx(bill.cost_usd, rel=0, abs=1e-9)
            assert hours == pytest.approx(bill.hours, rel=0, abs=1e-9)
            assert km == pytest.approx(planner._legs_km(model, list(p.edges)), rel=0, abs=1e-9)
            assert posts == [c["name"] for c in bill.border_crossings()]
            compared += 1
    assert compared == len(origins) * len(ports)
    # and the matrix (forward or backward searches) agrees with single routes on cost
    rows = planner.matrix(origins[:2], ports, shipment=sh)
    for row in rows:
        single = planner.route(row["origin"], row["destination"], shipment=sh, draws=0)
        assert row["cost_usd"] == pytest.approx(round(single.cost_usd, 2), abs=1e-9)


def test_matrix_by_guided_searches_equals_the_matrix_by_trees(
    planner: Planner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Few origins per destination: one guided search per cell, no tree built; many (here
    forced): the destination's backward tree, then kept.  Same cells either way."""
    import routing.graph as routing_graph

    sh = Shipment("UZB", dt.date(2025, 7, 14))
    origins = ["Tashkent", "Samarkand", "Dushanbe", "Osh", "Ashgabat", "Almaty"]
    ports = ["PKKHI", "PKGWD", "IRBND", "AEJEA"]
    model = planner.model(sh, ALL, False)
    g = planner.graph(model, "cost")
    ends = [
        planner._ends(model, planner.places.resolve(p), _node_modes(ALL), "cost", start=False)
        for p in ports
    ]
    g.drop_trees()
    guided = planner.matrix(origins, ports, shipment=sh)
    assert not any(g.has_tree(np.asarray(t), np.asarray(c, float)) for t, c in ends)
    monkeypatch.setattr(routing_graph, "TREE_SOURCES", 1)
    trees = planner.matrix(origins, ports, shipment=sh)
    assert all(g.has_tree(np.asarray(t), np.asarray(c, float)) for t, c in ends)
    assert len(guided) == len(trees) == len(origins) * len(ports)
    for a, b in zip(guided, trees, strict=True):
        assert (a["origin"], a["destination"]) == (b["origin"], b["destination"])
        assert a["cost_usd"] is not None and a["cost_usd"] == b["cost_usd"]


def test_matrix_with_many_destinations_per_origin_equals_the_guided_one(
    planner: Planner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From enough destinations per origin (here forced) the matrix runs one search per
    origin towards all of them (``paths_to_sets``): the same cells as one guided search per
    cell."""
    import corridors.planner as planner_module

    sh = Shipment("UZB", dt.date(2025, 7, 21))
    origins, ports = ["Tashkent", "Dushanbe", "Almaty"], ["PKKHI", "PKGWD", "IRBND"]
    guided = planner.matrix(origins, ports, shipment=sh)
    monkeypatch.setattr(planner_module, "_DESTINATIONS_PER_ORIGIN", 1)
    calls = []
    real = CostedGraph.paths_to_sets
    monkeypatch.setattr(
        CostedGraph, "paths_to_sets", lambda *a, **k: calls.append(1) or real(*a, **k)
    )
    per_origin = planner.matrix(origins, ports, shipment=sh)
    assert calls  # the other branch really ran
    assert len(guided) == len(per_origin) == 9
    for a, b in zip(guided, per_origin, strict=True):
        assert (a["origin"], a["destination"]) == (b["origin"], b["destination"])
        assert a["reason"] == b["reason"]
        assert a["cost_usd"] == b["cost_usd"] and a["distance_km"] == b["distance_km"]


def test_alternatives_skip_the_monte_carlo_unless_asked(planner: Planner) -> None:
    sh = Shipment("UZB", DAY)
    routes = planner.routes("Tashkent", "Karachi", k=2, shipment=sh, draws=100)
    assert routes[0].reliability and not routes[1].reliability
    routes = planner.routes(
        "Tashkent", "Karachi", k=2, shipment=sh, draws=100, alternative_draws=100
    )
    assert routes[1].reliability["p50"] > 0
    with pytest.raises(NoRouteError):
        planner.route("Tashkent", "Karachi", shipment=sh, modes=["rail"], max_transshipments=0)
