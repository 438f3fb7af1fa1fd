"""Scenario comparison maps: the same origin–destination pair routed under two scenarios.

Both routes are drawn overlaid, each scenario in its own toggleable layer (the first as the
main route, the second thinner and paler), and the legs that only one of the two routes uses
are highlighted under it (blue halo: only in the first scenario; red: only in the second).
Their popups, and a summary panel, give the differences: cost, time, P90 time, distance, the
ports and the border posts. Several pairs may share one map (one pair of layers each).

A leg counts as *only in* one route when most of its vertices (rounded to
:data:`MATCH_DECIMALS` decimals, ≈100 m) are not vertices of the other route: both routes
come from the same network edges, so shared stretches share their vertices exactly. A
border leg is compared by its post's name.

Example
-------
>>> from maps.compare_map import compare_map                         # doctest: +SKIP
>>> compare_map(before.to_dict(), after.to_dict(), labels=("2022", "2026")).save("c.html")
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources
from typing import Any

import folium

from geodata.errors import InvalidInputError
from maps._elements import CorridorsCall
from maps.offline import OfflineMap
from maps.route_map import MODE_COLOURS, base_map, route_features

__all__ = ["MATCH_DECIMALS", "SCENARIO_COLOURS", "compare_map", "compare_summary", "only_in"]

#: Coordinates are compared after rounding to this many decimals (1e-3° ≈ 100 m).
MATCH_DECIMALS = 3
#: A leg is "only in" its route when more than this share of its vertices is not in the other.
ONLY_SHARE = 0.5
#: Halo colours of the legs only one scenario uses (first, second).
SCENARIO_COLOURS = ("#2c7bb6", "#d7191c")
_HALO = {"weight": 11, "opacity": 0.45}

Route = Mapping[str, Any]


def _esc(x: Any) -> str:
    return html.escape(str(x))


def _vertices(route: Route) -> set[tuple[float, float]]:
    return {
        (round(p[0], MATCH_DECIMALS), round(p[1], MATCH_DECIMALS))
        for line in route["geometry"]["coordinates"]
        for p in line
    }


def _posts(route: Route) -> list[str]:
    return [str(leg.get("post", "")) for leg in route["legs"] if leg["mode"] == "border"]


def _ports(route: Route) -> list[str]:
    items = route.get("breakdown") or route.get("transshipments") or []
    ports = [str(i.get("at") or i.get("label", "")) for i in items if i.get("kind") == "port"]
    return list(dict.fromkeys(ports))


def only_in(route: Route, other: Route | None) -> list[int]:
    """Indexes of the legs of ``route`` that ``other`` does not use (all, if ``other`` is None).

    Transfer legs are never counted: they are handling at a place, not a way.
    """
    legs = route["legs"]
    if other is None:
        return [i for i, leg in enumerate(legs) if leg["mode"] != "transfer"]
    theirs = _vertices(other)
    their_posts = set(_posts(other))
    out = []
    for i, (leg, line) in enumerate(zip(legs, route["geometry"]["coordinates"], strict=True)):
        if leg["mode"] == "transfer":
            continue
        if leg["mode"] == "border":
            if str(leg.get("post", "")) not in their_posts:
                out.append(i)
            continue
        pts = [(round(p[0], MATCH_DECIMALS), round(p[1], MATCH_DECIMALS)) for p in line]
        if pts and sum(p not in theirs for p in pts) / len(pts) > ONLY_SHARE:
            out.append(i)
    return out


def _fmt(metric: str, x: Any) -> str:
    if x is None:
        return "—"
    if isinstance(x, str):
        return x
    if metric == "cost_usd":
        return f"USD {x:,.0f}"
    if metric in ("hours", "p90_hours"):
        return f"{x:,.1f} h ({x / 24:.1f} d)"
    if metric == "distance_km":
        return f"{x:,.0f} km"
    return f"{x:,.2f}" if isinstance(x, float) else str(x)


def _signed(metric: str, d: float | None) -> str:
    if d is None:
        return "—"
    sign = "+" if d > 0 else ("−" if d < 0 else "±")
    return sign + _fmt(metric, abs(d)).split(" (")[0]


_METRICS = (
    ("cost_usd", "Cost"),
    ("hours", "Time"),
    ("p90_hours", "P90 time"),
    ("distance_km", "Distance"),
)


def compare_summary(
    a: Route | None, b: Route | None, deltas: Mapping[str, Any] | None = None
) -> list[tuple[str, str, str, str]]:
    """Rows ``(what, first, second, difference)`` of a pair, as the map shows them.

    Differences are second minus first; ``deltas`` (e.g. computed by the caller) replaces the
    computed difference of a metric with the same key, and adds rows for other keys.
    """
    rows = []
    given = dict(deltas or {})
    for key, label in _METRICS:
        va = None if a is None else a.get(key)
        vb = None if b is None else b.get(key)
        if key in given:
            d = given.pop(key)
            diff = _signed(key, d) if isinstance(d, int | float) else str(d)
        else:
            diff = _signed(key, vb - va) if va is not None and vb is not None else "—"
        rows.append((label, _fmt(key, va), _fmt(key, vb), diff))
    for label, fn in (("Ports", _ports), ("Border posts", _posts)):
        la = [] if a is None else fn(a)
        lb = [] if b is None else fn(b)
        gone = [x for x in la if x not in lb]
        new = [x for x in lb if x not in la]
        diff = "; ".join(
            p
            for p in (f"− {', '.join(gone)}" if gone else "", f"+ {', '.join(new)}" if new else "")
            if p
        )
        rows.append(
            (
                label,
                ", ".join(la) or ("no route" if a is None else "none"),
                ", ".join(lb) or ("no route" if b is None else "none"),
                diff or "same",
            )
        )
    for k, v in given.items():
        rows.append((str(k), "", "", str(v)))
    return rows


def _table(rows: Sequence[tuple[str, str, str, str]], labels: tuple[str, str]) -> str:
    head = (
        f"<tr><th></th><th>{_esc(labels[0])}</th><th>{_esc(labels[1])}</th>"
        f"<th>Δ ({_esc(labels[1])} − {_esc(labels[0])})</th></tr>"
    )
    body = "".join(
        f"<tr><th>{_esc(w)}</th><td>{_esc(x)}</td><td>{_esc(y)}</td><td>{_esc(d)}</td></tr>"
        for w, x, y, d in rows
    )
    return f"<table>{head}{body}</table>"


def _od(a: Route | None, b: Route | None) -> str:
    r = a if a is not None else b
    assert r is not None
    return f"{r['origin']} → {r['destination']}"


@cache
def _network_js() -> str:
    return (resources.files("maps") / "static" / "network.js").read_text(encoding="utf-8")


def _halo_layer(route: Route, legs: list[int], side: int, label: str, popup: str) -> dict[str, Any]:
    lines = []
    for i in legs:
        leg = route["legs"][i]
        pts = [[round(p[1], 5), round(p[0], 5)] for p in route["geometry"]["coordinates"][i]]
        if len(pts) < 2:
            continue
        what = leg.get("post") if leg["mode"] == "border" else f"{leg['from']} → {leg['to']}"
        lines.append([0, _esc(f"only in {label}: {leg['mode']} {what}"), pts])
    return {
        "id": f"only:{side}",
        "name": f"only in {label}",
        "style": {"color": SCENARIO_COLOURS[side], **_HALO, "dashArray": None, "extraWeight": 0},
        "lines": lines,
        "popup": popup,
        "markers": [],
    }


def _legend_html(
    todo: Sequence[tuple[Route | None, Route | None, Mapping[str, Any]]], labels: tuple[str, str]
) -> str:
    def row(colour: str, text: str, style: str = "solid", width: int = 4) -> str:
        return (
            f'<div class="row"><span class="line" style="border-top-style:{style};'
            f'border-top-width:{width}px;border-top-color:{colour}"></span>{_esc(text)}</div>'
        )

    routes = [r for x, y, _ in todo for r in (x, y) if r is not None]
    modes = {leg["mode"] for r in routes for leg in r["legs"]} - {"border"}
    rows = [row(c, m) for m, c in MODE_COLOURS.items() if m in modes]
    if any(leg.get("status") not in (None, "operational") for r in routes for leg in r["legs"]):
        rows.append(row("#444", "planned / under construction", "dashed"))
    rows += [row(SCENARIO_COLOURS[i], f"only in {labels[i]}", width=9) for i in (0, 1)]
    rows.append(row("#999", f"{labels[1]}: thinner, paler", width=2))
    return f"<details open><summary>Legend</summary>{''.join(rows)}</details>"


def compare_map(
    a: Route | None,
    b: Route | None,
    *,
    labels: tuple[str, str] = ("A", "B"),
    deltas: Mapping[str, Any] | None = None,
    pairs: Sequence[tuple[Route | None, Route | None, Mapping[str, Any]]] | None = None,
    tiles: str | None = "OpenStreetMap",
) -> OfflineMap:
    """A self-contained map comparing routes of the same OD pair under two scenarios.

    Parameters
    ----------
    a, b
        ``Route.to_dict()`` of the pair under the first and the second scenario; None where
        the scenario has no route. Both None (with ``pairs``) draws only the pairs.
    labels
        Names of the two scenarios (layer names, popups, summary).
    deltas
        Differences computed by the caller (second minus first), shown instead of the
        computed ones for the same keys (``cost_usd``, ``hours``, ``p90_hours``,
        ``distance_km``); other keys are added as rows.
    pairs
        More OD pairs ``(a, b, deltas)``: one pair of layers each.
    tiles
        A folium tile-layer name offered as an optional online layer (off by default).

    Returns
    -------
    OfflineMap
        ``.save(path)`` writes HTML that loads nothing from the network.

    Raises
    ------
    InvalidInputError
        If there is no route at all to draw, a dictionary is not a route's, or the labels
        are not two non-empty, different names.
    """
    if len(labels) != 2 or not all(str(x).strip() for x in labels) or labels[0] == labels[1]:
        raise InvalidInputError(f"labels must be two different names, got {labels!r}")
    todo: list[tuple[Route | None, Route | None, Mapping[str, Any]]] = []
    if a is not None or b is not None:
        todo.append((a, b, deltas or {}))
    todo += [(x, y, d or {}) for x, y, d in (pairs or [])]
    todo = [t for t in todo if t[0] is not None or t[1] is not None]
    if not todo:
        raise InvalidInputError("nothing to compare: no route under either scenario")

    feats = []
    lats: list[float] = []
    lons: list[float] = []
    countries: set[str] = set()
    for x, y, _ in todo:
        for r in (x, y):
            if r is None:
                continue
            feats.append(route_features(r))  # validates the dictionary
            for line in r["geometry"]["coordinates"]:
                lons += [p[0] for p in line]
                lats += [p[1] for p in line]
            for p in (r["origin_place"], r["destination_place"]):
                lats.append(p["lat"])
                lons.append(p["lon"])
            countries |= {str(leg.get(k)) for leg in r["legs"] for k in ("country", "to_country")}
    s, w, n, e = min(lats), min(lons), max(lats), max(lons)

    m = base_map(
        s,
        w,
        n,
        e,
        title=f"{_od(todo[0][0], todo[0][1])} · {labels[0]} vs {labels[1]} · corridors",
        highlight={c for c in countries if c and c != "None"},
        tiles=tiles,
        head_scripts={"corridors_network_js": _network_js()},
    )

    panels = []
    for k, (x, y, d) in enumerate(todo, start=1):
        rows = compare_summary(x, y, d)
        table = _table(rows, labels)
        od = _od(x, y)
        prefix = f"{k} · " if len(todo) > 1 else ""
        popup = (
            f'<div class="corridors-popup"><h4>{_esc(od)}: {_esc(labels[0])} vs '
            f"{_esc(labels[1])}</h4>{table}</div>"
        )
        for side, (r, other) in enumerate(((x, y), (y, x))):
            label = labels[side]
            if r is None:
                continue
            group = folium.FeatureGroup(
                name=f"{prefix}{label}: {od} · {_fmt('cost_usd', r.get('cost_usd'))} · "
                f"{_fmt('hours', r.get('hours'))}",
                overlay=True,
                control=True,
                show=True,
            )
            halo = _halo_layer(r, only_in(r, other), side, label, popup)
            CorridorsCall("addNetworkLayer", halo, {}).add_to(group)
            data = route_features(r, primary=(side == 0))
            data["name"] = f"{prefix}{label}"
            CorridorsCall("addRoute", data).add_to(group)
            group.add_to(m)
        panels.append(f"<div><b>{_esc(prefix + od)}</b>{table}</div>")

    summary = (
        f"<details{' open' if len(todo) == 1 else ''}>"
        f"<summary>{_esc(labels[0])} vs {_esc(labels[1])}</summary>"
        f"{''.join(panels)}"
        '<div class="muted">Halo: legs only one scenario uses '
        f'(<span style="color:{SCENARIO_COLOURS[0]}">■</span> {_esc(labels[0])}, '
        f'<span style="color:{SCENARIO_COLOURS[1]}">■</span> {_esc(labels[1])}); '
        f"{_esc(labels[1])} is drawn thinner.</div></details>"
    )
    CorridorsCall("addPanel", "bottomleft", "corridors-summary", summary).add_to(m)
    CorridorsCall("addPanel", "bottomright", "corridors-legend", _legend_html(todo, labels)).add_to(
        m
    )
    folium.LayerControl(collapsed=False).add_to(m)
    CorridorsCall("finish", [[s, w], [n, e]]).add_to(m)
    return m
