"""The bill's items, the planner's legs and its totals: the vectorised groupings against
arc-by-arc references, and the matrix totals equal to the bill of the same path."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from corridors.bill import arc_keys, item_runs, itemise, path_keys
from corridors.costing import ARC_KINDS, TRAVEL_MODES, CostModel
from corridors.gazetteer import Place
from corridors.planner import Planner, _node_modes
from corridors.shipment import Shipment
from geodata.network import COORD_SCALE
from geodata.schema import EDGE_MODES
from routing import Path, best_path

DAY = dt.date(2025, 6, 1)
ALL = frozenset(TRAVEL_MODES)
PAIRS = [
    ("Tashkent", "Karachi"),
    ("Almaty", "PKKHI"),
    ("Dushanbe", "IRBND"),
    ("Bishkek", "Gwadar"),
    ("Ashgabat", "Chabahar"),
]


def _paths(
    planner: Planner, model: CostModel, pairs: list[tuple[str, str]], modes: frozenset[str]
) -> Iterator[tuple[Place, Place, Path]]:
    g = planner.graph(model, "cost")
    nm = _node_modes(modes)
    for o, d in pairs:
        op, dp = planner.places.resolve(o, modes=nm), planner.places.resolve(d, modes=nm)
        src, sw = planner._ends(model, op, nm, "cost", start=True)
        dst, dw = planner._ends(model, dp, nm, "cost", start=False)
        yield op, dp, best_path(g, src, sw, dst, dw)


@pytest.fixture(scope="module")
def uzb(planner: Planner) -> tuple[CostModel, list[tuple[Place, Place, Path]]]:
    model = planner.model(Shipment("UZB", DAY), ALL, False)
    return model, list(_paths(planner, model, PAIRS, ALL))


@pytest.fixture(scope="module")
def khunjerab_shut(planner: Planner) -> tuple[CostModel, list[tuple[Place, Place, Path]]]:
    """A Chinese truck reaching Khunjerab while it is shut (January 2023): a wait."""
    road = frozenset({"road"})
    model = planner.model(Shipment("CHN", dt.date(2023, 1, 15)), road, False)
    return model, list(_paths(planner, model, [("Kashgar", "Islamabad")], road))


def _reference_item_starts(model: CostModel, arcs: list[int]) -> list[int]:
    """Where items begin, arc by arc, as the bill grouped them before vectorising."""
    net, a = model.network, model.arcs
    out, prev = [], None
    for k, i in enumerate(arcs):
        kind = ARC_KINDS[a["kind"][i]]
        if kind in ("linehaul", "sea", "ferry"):
            e = int(a["edge"][i])
            _, smode, tag = model.describe_state(int(a["src"][i]))
            key: Any = (kind, int(net.edge_mode[e]), int(net.edge_country[e]), smode, tag)
            if key != prev:
                out.append(k)
        else:
            key = None
            out.append(k)
        prev = key
    return out


def _reference_legs(model: CostModel, arcs: list[int]) -> tuple[list[int], list[int]]:
    """The arcs with an edge and where each leg begins among them, arc by arc."""
    net, a = model.network, model.arcs
    kept = [i for i in arcs if a["edge"][i] >= 0]
    starts, prev = [], None
    for k, i in enumerate(kept):
        e = int(a["edge"][i])
        _, mode, tag = model.describe_state(int(a["src"][i]))
        border = net.edge_mode[e] == EDGE_MODES.index("border")
        key = (net.edge_mode[e], net.edge_country[e], net.edge_status[e], mode, tag)
        if border or prev is None or key != prev:
            starts.append(k)
        prev = None if border else key
    return kept, starts


def test_items_and_legs_group_as_arc_by_arc(planner: Planner, uzb, khunjerab_shut) -> None:
    compared = 0
    for model, paths in (uzb, khunjerab_shut):
        for _, _, p in paths:
            arcs = list(p.edges)
            arr = np.asarray(arcs, dtype=np.int64)
            expected = _reference_item_starts(model, arcs)
            assert item_runs(model, arr).tolist() == expected
            kept, starts = _reference_legs(model, arcs)
            arr_e, _, _, _, _, got_starts, _ = planner._leg_groups(model, arcs)
            assert arr_e.tolist() == kept and got_starts == starts
            compared += 1
    assert compared == len(PAIRS) + 1


def test_keys_of_all_arcs_equal_a_paths_keys(planner: Planner, khunjerab_shut) -> None:
    """A model that has keyed enough paths keys all its arcs once; a path's keys read from
    that memo are the keys computed for the path alone."""
    model, paths = khunjerab_shut
    arr = np.asarray(paths[0][2].edges, dtype=np.int64)
    alone = path_keys(model, arr)
    # keyed paths add up (whatever earlier tests keyed): all arcs are keyed at the latest
    # once as many arcs as the model has went through paths
    most = -(-len(model.arcs["src"]) // len(arr))
    for _ in range(most):
        if "all" in model.__dict__.get("_arc_keys", {}):
            break
        got = arc_keys(model, arr, index=True)
        assert all(np.array_equal(x, y) for x, y in zip(got, alone, strict=True))
    assert "all" in model.__dict__["_arc_keys"]
    memo = model.__dict__["_arc_keys"]["all"]
    assert all(np.array_equal(x, y) for x, y in zip(arc_keys(model, arr), alone, strict=True))
    assert all(len(k) == len(model.arcs["src"]) for k in memo[3:])


def test_leg_geometry_joins_the_edges_vertices(planner: Planner, uzb) -> None:
    """Each leg's vertices are its edges' vertices, each edge reversed where it is used
    from v to u, the shared end points once (built edge by edge here)."""
    net = planner.network
    model, paths = uzb
    for _, _, p in paths[:3]:
        arcs = list(p.edges)
        legs = planner._legs(model, arcs)
        kept, starts = _reference_legs(model, arcs)
        assert len(legs) == len(starts)
        for leg, i0, i1 in zip(legs, starts, [*starts[1:], len(kept)], strict=True):
            pts: list[int] = []
            for i in kept[i0:i1]:
                e = int(model.arcs["edge"][i])
                lo, hi = int(net.geom_offsets[e]), int(net.geom_offsets[e + 1])
                node = model.describe_state(int(model.arcs["src"][i]))[0]
                part = (
                    list(range(lo, hi))
                    if net.edge_u[e] == node
                    else list(range(hi - 1, lo - 1, -1))
                )
                pts += part if not pts else part[1:]
            expected = net.geom_coords[pts].astype(np.float64) / COORD_SCALE
            assert leg.coords.dtype == np.float64
            assert np.array_equal(leg.coords, expected)


def test_totals_equal_the_route_to_the_last_bit(planner: Planner, uzb, khunjerab_shut) -> None:
    waits = 0
    for model, paths in (uzb, khunjerab_shut):
        for o, d, p in paths:
            arcs = list(p.edges)
            start, end = p.nodes[0], p.nodes[-1]
            route = planner._make_route(model, o, d, "cost", arcs, start, end, draws=0)
            bill = itemise(model, arcs, o, d, planner._name_of, start_state=start, end_state=end)
            assert route.bill == bill
            cost, hours, km, posts = planner.totals(model, p.edges, start, end)
            assert (cost, hours, km) == (bill.cost_usd, bill.hours, route.distance_km)
            assert posts == [c["name"] for c in bill.border_crossings()]
            waits += sum(i.kind == "wait" for i in bill.items)
    assert waits  # the shut post made the clock walk matter


def test_totals_of_many_paths_at_once_equal_each_path_alone(
    planner: Planner, uzb, khunjerab_shut
) -> None:
    """A matrix's cells are summed together (:meth:`Planner.totals_many`): each equals
    :meth:`Planner.totals` of its path alone to the last bit, whichever paths come before
    and after it (a run of one item kind across two paths must not merge)."""
    rng = np.random.default_rng(3)
    for model, paths in (uzb, khunjerab_shut):
        cells = [(list(p.edges), p.nodes[0], p.nodes[-1]) for _, _, p in paths]
        cells = cells + cells[::-1]  # each path after a different neighbour
        order = rng.permutation(len(cells))
        cells = [cells[i] for i in order]
        # and each path cut in two in the middle of a road run, the halves side by side:
        # laid end to end they would make one item and one leg of two paths' arcs
        for _, _, p in paths:
            k = len(p.edges) // 2
            cells += [
                (list(p.edges[:k]), p.nodes[0], p.nodes[k]),
                (list(p.edges[k:]), p.nodes[k], p.nodes[-1]),
            ]
        alone = [planner.totals(model, *c) for c in cells]
        assert planner.totals_many(model, cells) == alone
        # given columns and distances pass through, as for totals
        cols = [(model.arcs["cost"][c[0]] * 2, model.arcs["hours"][c[0]]) for c in cells]
        kms = [float(i) for i in range(len(cells))]
        many = planner.totals_many(model, cells, columns=cols, km=kms)
        for c, col, km, got in zip(cells, cols, kms, many, strict=True):
            assert got == planner.totals(model, *c, columns=col, km=km)
    assert planner.totals_many(model, []) == []
