"""The itemised bill of a route: every line-haul, crossing, transshipment, wait and fee.

The totals are sums of the items, nothing else: ``cost_usd`` adds every item but the
value of time, ``generalized_usd`` adds them all, ``hours`` adds every item's hours.
Waits for opening hours (weekends at Torugart and Irkeshtam, holidays) are found by
walking the path from the departure instant.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from corridors.costing import ARC_KINDS
from corridors.rules import next_opening, post_open
from geodata.schema import EDGE_MODES, NODE_MODES, STATUSES

if TYPE_CHECKING:
    from corridors.costing import CostModel
    from corridors.gazetteer import Place

__all__ = [
    "HAUL_KINDS",
    "NO_LEG",
    "Bill",
    "Item",
    "arc_keys",
    "item_runs",
    "itemise",
    "path_keys",
    "run_starts",
    "run_sums",
]

#: Arc kinds grouped into line-haul items (consecutive arcs of one kind, edge mode, country
#: and truck or gauge make one item); every other arc is an item of its own.
HAUL_KINDS = ("linehaul", "sea", "ferry")
_IS_HAUL = np.array([k in HAUL_KINDS for k in ARC_KINDS])
#: Mode codes of :meth:`corridors.costing.CostModel.describe_states` (road, rail, other).
_STATE_MODES = 3


@dataclass(frozen=True)
class Item:
    """One line of the bill."""

    kind: str
    label: str
    cost_usd: float
    hours: float
    distance_km: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form."""
        d = {
            "kind": self.kind,
            "label": self.label,
            "cost_usd": round(self.cost_usd, 2),
            "hours": round(self.hours, 3),
            "distance_km": round(self.distance_km, 3),
        }
        d.update(self.details)
        if self.source:
            d["source"] = self.source
        return d


@dataclass(frozen=True)
class Bill:
    """The items of a route and the regimes it relies on."""

    items: tuple[Item, ...]
    regimes: tuple[str, ...]
    vot_pct_per_day: float
    carrier_rights: tuple[dict[str, Any], ...] = ()

    @property
    def cost_usd(self) -> float:
        """Sum of all items except the value of time, USD."""
        return float(sum(i.cost_usd for i in self.items if i.kind != "value_of_time"))

    @property
    def generalized_usd(self) -> float:
        """Sum of all items, value of time included, USD."""
        return float(sum(i.cost_usd for i in self.items))

    @property
    def hours(self) -> float:
        """Sum of the items' hours (moving, crossing, handling, waiting)."""
        return float(sum(i.hours for i in self.items))

    def border_crossings(self) -> list[dict[str, Any]]:
        """The crossings, in order."""
        return [
            {
                "name": i.details["post"],
                "countries": [i.details["from_country"], i.details["to_country"]],
                "direction": i.details["direction"],
                "hours": round(i.hours, 3),
                "cost_usd": round(i.cost_usd, 2),
                "carrier": i.details.get("carrier", ""),
                "mode": i.details["mode"],
            }
            for i in self.items
            if i.kind == "border"
        ]

    def transshipments(self) -> list[dict[str, Any]]:
        """Transloads, gauge changes, terminal lifts and port handling, in order."""
        return [
            i.to_dict()
            for i in self.items
            if i.kind in ("transload", "gauge_change", "terminal", "port")
        ]


def cite(q: Any) -> str:
    """Citation of a rules quantity: its source, or that it is an estimate and why."""
    if q is None:
        return ""
    src = getattr(q, "source", None)
    year = f" ({q.year})" if getattr(q, "year", None) else ""
    if getattr(q, "estimate", False):
        base = f"estimate: {q.reasoning or ''}".strip()
        return f"{base} [{src.title}]" if src is not None else base
    if src is not None:
        return f"{src.title}{year} {src.url}".strip()
    return ""


def itemise(
    model: CostModel,
    arcs: list[int],
    origin: Place,
    destination: Place,
    name_of: Callable[[int], str],
    *,
    start_state: int,
    end_state: int,
    keys: tuple[np.ndarray, np.ndarray] | None = None,
) -> Bill:
    """Build the bill of a path given as arc indexes of ``model`` (``keys``: the path's
    :func:`arc_keys`, if the caller has them already)."""
    net, a, sh = model.network, model.arcs, model.shipment
    hd = model.rules.handling
    items: list[Item] = []
    lift = hd.terminals["road_rail"]
    if model.describe_state(start_state)[1] == "rail":
        items.append(
            Item(
                "terminal",
                f"loading on rail at {origin.name}",
                lift.cost.value * model.boxes,
                lift.hours.value,
                source=cite(lift.cost),
            )
        )
    arr = np.asarray(arcs, dtype=np.int64)
    starts = item_runs(model, arr) if keys is None else run_starts(keys[0])
    arc_list = arr.tolist()
    # each item's sums (a single arc's own figures for the others)
    run_cost = run_sums(a["cost"][arr], starts)
    run_hours = run_sums(a["hours"][arr], starts)
    run_km = run_sums(a["km"][arr], starts)

    def haul_item(k: int, i0: int, i1: int) -> Item:
        first, last = arc_list[i0], arc_list[i1 - 1]
        e0 = int(a["edge"][first])
        info = int(a["info"][first])
        note = model.notes[info] if info >= 0 else {}
        node, smode, tag = model.describe_state(int(a["src"][first]))
        end = model.describe_state(int(a["dst"][last]))[0]
        mode = EDGE_MODES[net.edge_mode[e0]]
        country = net.countries[net.edge_country[e0]]
        details: dict[str, Any] = {
            "mode": mode,
            "country": country,
            "from": name_of(node),
            "to": name_of(end),
        }
        if smode == "road":
            details["carrier"] = tag
            if note.get("backhaul") is not None:  # a return load at a share of the rate
                details["backhaul_factor"] = float(note["backhaul"].value)
        elif smode == "rail":
            details["gauge_mm"] = int(net.edge_gauge_mm[e0])
        kind = ARC_KINDS[a["kind"][first]]
        label = f"{mode} {country}: {details['from']} → {details['to']}"
        if kind in ("ferry", "sea"):
            label = f"{kind}: {details['from']} → {details['to']}"
        cited = ("rate", "backhaul", "fare", "speed", "stops")
        src = "; ".join(dict.fromkeys(x for x in (cite(note.get(k)) for k in cited) if x))
        return Item(
            kind=kind,
            label=label,
            cost_usd=run_cost[k],
            hours=run_hours[k],
            distance_km=run_km[k],
            details=details,
            source=src,
        )

    firsts = starts.tolist()
    ends = [*firsts[1:], len(arr)]
    is_haul = _IS_HAUL[a["kind"][arr[starts]]].tolist()
    for k, (i0, i1) in enumerate(zip(firsts, ends, strict=True)):
        if is_haul[k]:
            items.append(haul_item(k, i0, i1))
        else:
            items.append(_item(model, arc_list[i0], name_of))
    if model.describe_state(end_state)[1] == "rail":
        items.append(
            Item(
                "terminal",
                f"unloading from rail at {destination.name}",
                lift.cost.value * model.boxes,
                lift.hours.value,
                source=cite(lift.cost),
            )
        )
    items = _with_transload_reasons(model, items)
    items = _with_waits(model, items)
    regimes = _regimes(model, items)
    if sh.tir and any(i.kind == "border" for i in items):
        carnet = hd.regimes["tir"].items["carnet_price"]
        items.append(
            Item(
                "regime",
                "TIR carnet",
                carnet.value,
                0.0,
                details={"regime": "TIR"},
                source=cite(carnet),
            )
        )
    pct = sh.value_of_time_pct_per_day
    if pct is None:
        pct = model.rules.handling.value_of_time.default.value
        vot_src = cite(model.rules.handling.value_of_time.default)
    else:
        vot_src = "given by the user"
    hours = sum(i.hours for i in items)
    items.append(
        Item(
            "value_of_time",
            f"value of time: {pct} % of USD {sh.value_usd:,.0f} per day",
            sh.value_usd * pct / 100.0 * hours / 24.0,
            0.0,
            details={"pct_per_day": pct, "over_hours": round(hours, 3)},
            source=vot_src,
        )
    )
    return Bill(tuple(items), tuple(regimes), pct, _carrier_rights(model, items))


def run_sums(col: np.ndarray, starts: np.ndarray) -> list[float]:
    """Sums of ``col`` over the runs beginning at ``starts`` (each run ends where the next
    begins), as Python floats: the one summation of the bill's items, the planner's legs
    and :meth:`corridors.planner.Planner.totals`, so that they agree to the last bit."""
    if not len(starts):
        return []
    return list(np.add.reduceat(col, starts).tolist())


def run_starts(keys: np.ndarray, begins: np.ndarray | None = None) -> np.ndarray:
    """Where each run of equal consecutive ``keys`` begins; with ``begins``, a run also
    begins at each of those positions (the first arcs of several paths laid end to end)."""
    new = np.ones(len(keys), dtype=bool)
    new[1:] = keys[1:] != keys[:-1]
    if begins is not None:
        new[begins[begins < len(keys)]] = True
    return np.flatnonzero(new)


def arc_keys(
    model: CostModel, arcs: np.ndarray, *, index: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """The item key and the leg key of each of ``arcs`` (:func:`path_keys`).

    With ``index`` (a caller asking for many paths, e.g. a matrix or a sweep), the keys of
    every arc of the model are computed once the model has spent as much work on paths'
    keys as that costs, and kept on the model; later paths only gather them.  The keys
    depend only on the structure of the state graph (states, arc kinds and edges), never
    on costs, rules or dates; the memo notes the arc arrays it was built from and is
    rebuilt if they are replaced.
    """
    a = model.arcs
    memo: dict[str, Any] = model.__dict__.setdefault("_arc_keys", {})
    full = memo.get("all")
    if full is not None and full[0] is a["src"] and full[1] is a["kind"] and full[2] is a["edge"]:
        return full[3][arcs], full[4][arcs]
    if index:
        memo["spent"] = memo.get("spent", 0) + len(arcs)
        if memo["spent"] >= len(a["src"]):
            items, legs = path_keys(model, np.arange(len(a["src"]), dtype=np.int64))
            memo["all"] = (a["src"], a["kind"], a["edge"], items, legs)
            return items[arcs], legs[arcs]
    return path_keys(model, arcs)


#: Leg key of an arc without a network edge (a transfer inside a node): in no leg.
NO_LEG = -1


def path_keys(model: CostModel, arcs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two integer keys per arc (arc indexes of ``model``, int64) that are equal for two
    consecutive arcs of a path exactly when they belong to one item of the bill, or to one
    leg of the route.

    Item key: haul arcs (:data:`HAUL_KINDS`) of one kind, state mode (road, rail, port or
    sea), truck layer or gauge, edge mode and country share a key (>= 0); any other arc is
    an item of its own (``-1 - arc``).  Leg key: arcs of one edge mode, country and status
    whose start states have one mode and truck layer or gauge share a key (>= 0); a border
    crossing is a leg of its own (``-2 - arc``); an arc without an edge is in no leg
    (:data:`NO_LEG`).
    """
    net, a = model.network, model.arcs
    kind = a["kind"][arcs].astype(np.int64)
    e = a["edge"][arcs]
    ee = np.maximum(e, 0)
    node, smode, tag = model.describe_states(a["src"][arcs])
    tag = tag + 1  # from 0
    n_tag = model.tag_bound + 1
    em = net.edge_mode[ee].astype(np.int64)
    ec = net.edge_country[ee]
    n_em, n_ec = len(EDGE_MODES), len(net.countries)
    leg = ((em * n_ec + ec) * len(STATUSES) + net.edge_status[ee]) * _STATE_MODES + smode
    leg = leg * n_tag + tag
    leg = np.where(em == EDGE_MODES.index("border"), -2 - arcs, leg)
    leg = np.where(e >= 0, leg, NO_LEG)
    other = smode == 2
    if other.any():  # the bill tells port from sea states by their node's mode
        smode = np.where(other, 2 + net.node_mode[node].astype(np.int64), smode)
    n_smode = 2 + len(NODE_MODES)
    item = (((kind * n_smode + smode) * n_tag + tag) * n_em + em) * n_ec + ec
    item = np.where(_IS_HAUL[kind], item, -1 - arcs)
    return item, leg


def item_runs(model: CostModel, arcs: np.ndarray) -> np.ndarray:
    """Where each item of the bill of a path (arc indexes of ``model``, int64) begins:
    runs of equal item keys (:func:`path_keys`)."""
    return run_starts(arc_keys(model, arcs)[0])


def _carrier_rights(model: CostModel, items: list[Item]) -> tuple[dict[str, Any], ...]:
    """For each country the route passes: may the shipment's own truck run there, and why."""
    carrier = model.shipment.carrier
    seen: list[str] = []
    for it in items:
        for c in (it.details.get("country"), it.details.get("to_country")):
            if c and c not in seen and it.details.get("mode") in ("road", None):
                seen.append(c)
    out = []
    for c in seen:
        if c not in model.layers:
            continue
        d = model._permission[(carrier, c)]
        out.append(
            {
                "carrier": carrier,
                "country": c,
                "allowed": bool(d.allowed),
                "basis": d.basis if d.allowed else refusal_reason(model, carrier, c),
            }
        )
    return tuple(out)


def _item(model: CostModel, i: int, name_of: Callable[[int], str]) -> Item:
    net, a = model.network, model.arcs
    kind = ARC_KINDS[a["kind"][i]]
    note = model.notes[int(a["info"][i])] if a["info"][i] >= 0 else {}
    n_from, m_from, t_from = model.describe_state(int(a["src"][i]))
    n_to, m_to, t_to = model.describe_state(int(a["dst"][i]))
    cost, hours, km = float(a["cost"][i]), float(a["hours"][i]), float(a["km"][i])
    if kind == "border":
        e = int(a["edge"][i])
        fc = net.countries[net.node_country[net.edge_u[e]]]
        tc = net.countries[net.node_country[net.edge_v[e]]]
        fig = note.get("figures")
        src = cite(fig.quantities[0][1]) if fig is not None else note.get("basis", "")
        details = {
            "post": note.get("post", net.strings[net.edge_post[e]]),
            "post_key": note.get("post_key"),
            "direction": f"{fc}->{tc}",
            "from_country": fc,
            "to_country": tc,
            "mode": m_from,
            "regime": "TIR" if model.shipment.tir else "national transit",
            "basis": note.get("basis", ""),
        }
        if m_from == "road":
            details["carrier"] = t_from
        if m_from == "rail" and t_from != t_to:
            details["gauge_change"] = f"{t_from}->{t_to} mm"
        if m_from == "road":
            fee, wait = model._entry_surcharge(t_from, tc)
            if fee or wait:
                hd = model.rules.handling
                details["entry_surcharge"] = {
                    "cost_usd": fee,
                    "hours": wait,
                    "what": f"{hd.regimes['tkm'].name}; {hd.misc['turkmen_convoy_wait'].name}",
                    "source": cite(hd.misc["turkmen_convoy_wait"].hours),
                }
        return Item(
            "border", f"border {details['post']} ({fc} → {tc})", cost, hours, km, details, src
        )
    item = note.get("item")
    if kind == "transload":
        return Item(
            "transload",
            f"transload at {name_of(n_from)}: {t_from} truck → {t_to} truck",
            cost,
            hours,
            km,
            {
                "at": name_of(n_from),
                "from_carrier": t_from,
                "to_carrier": t_to,
                "handling": note.get("handling"),
            },
            cite(item.cost) if item else "",
        )
    if kind == "gauge_change":
        return Item(
            "gauge_change",
            f"gauge change at {name_of(n_from)}: {t_from} → {t_to} mm",
            cost,
            hours,
            km,
            {"at": name_of(n_from)},
            cite(item.cost) if item else "",
        )
    if kind == "terminal":
        return Item(
            "terminal",
            f"road–rail transfer at {name_of(n_from)}",
            cost,
            hours,
            km,
            {"at": name_of(n_from), "from": m_from, "to": m_to},
            cite(item.cost) if item else "",
        )
    # port handling
    port_node = n_to if m_to == "port" else n_from
    src = cite(note.get("tariff")) or note.get("basis") or ""
    return Item(
        "port",
        f"{note.get('what', 'port handling')} at {name_of(port_node)}",
        cost,
        hours,
        km,
        {"at": name_of(port_node), "direction": "export" if m_to == "port" else "import"},
        src,
    )


def refusal_reason(model: CostModel, carrier: str, country: str) -> str:
    """Why a truck of ``carrier`` may not run in ``country`` on the departure date, naming
    the agreements that would allow it at another date or under TIR."""
    decision = model._permission[(carrier, country)]
    day = model.shipment.departure
    reason = decision.basis
    other = []
    for r in model.rules.carrier_rights.rights:
        if r.effect != "allow" or carrier not in r.carriers or country not in r.countries:
            continue
        when = []
        if r.valid_from and day < r.valid_from:
            when.append(f"from {r.valid_from.isoformat()}")
        if r.valid_until and day > r.valid_until:
            when.append(f"until {r.valid_until.isoformat()}")
        if r.requires_tir and not model.shipment.tir:
            when.append("under TIR only")
        if when:
            other.append(f"{r.basis or r.id} ({', '.join(when)})")
    if other:
        reason += "; not applicable on this date or regime: " + "; ".join(other)
    return reason


def _with_transload_reasons(model: CostModel, items: list[Item]) -> list[Item]:
    """Say why each transload happens: the next country the first truck may not enter."""
    out = list(items)
    for k, it in enumerate(out):
        if it.kind != "transload":
            continue
        carrier = it.details["from_carrier"]
        for nxt in out[k + 1 :]:
            country = (
                nxt.details.get("to_country")
                if nxt.kind == "border"
                else nxt.details.get("country")
            )
            if not country:
                continue
            if not model._permission[(carrier, country)].allowed:
                details = dict(
                    it.details,
                    reason=refusal_reason(model, carrier, country),
                    blocked_country=country,
                )
                out[k] = Item(
                    it.kind, it.label, it.cost_usd, it.hours, it.distance_km, details, it.source
                )
                break
    return out


def _with_waits(model: CostModel, items: list[Item]) -> list[Item]:
    """Insert waits where a listed post is shut when the shipment arrives."""
    clock = model.shipment.departure_time()
    out: list[Item] = []
    for it in items:
        key = it.details.get("post_key") if it.kind == "border" else None
        if key:
            mode = it.details.get("mode", "road")
            status = post_open(key, it.details["direction"], clock, mode=mode, rules=model.rules)
            if not status.open:
                # costing leaves out posts shut for good soon after departure, not every
                # later closure: next_opening raises PostClosedError for a route that arrives
                # after one (a route that cannot be completed)
                opening = next_opening(
                    key, it.details["direction"], clock, mode=mode, rules=model.rules
                )
                wait = (opening - clock) / dt.timedelta(hours=1)
                out.append(
                    Item(
                        "wait",
                        f"wait at {it.details['post']}: {status.reason}",
                        0.0,
                        wait,
                        details={
                            "post": it.details["post"],
                            "arrival": clock.isoformat(),
                            "opens": opening.isoformat(),
                        },
                    )
                )
                clock = opening
        out.append(it)
        clock += dt.timedelta(hours=it.hours)
    return out


def _regimes(model: CostModel, items: list[Item]) -> list[str]:
    """Agreements and regimes the route relies on, in order of first use."""
    out: list[str] = []
    for it in items:
        carrier = it.details.get("carrier")
        country = it.details.get("to_country") if it.kind == "border" else it.details.get("country")
        if it.kind in ("linehaul", "border") and carrier and country:
            decision = model._permission[(carrier, country)]
            basis = decision.basis if decision.allowed else ""
            if basis and basis != "domestic":
                label = f"{basis} ({carrier} truck in {country})"
                if label not in out:
                    out.append(label)
    if model.shipment.tir and any(i.kind == "border" for i in items):
        out.append("TIR")
    return out
