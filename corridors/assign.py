"""Capacity-constrained assignment of the yearly demand over the corridors.

A path-based user equilibrium (Wardrop's first principle) on per-OD route choice sets:

1. For each demand row, the :class:`~corridors.planner.Planner` gives up to ``k`` genuinely
   different routes (best first, generalized cost: USD + value of time) for a truck of the
   flow's carrier (Pakistani for Pakistan's exports, the partner's for its imports) whose
   cargo is worth the row's value per truckload.
2. Each route's free-flow generalised cost and the border posts it crosses (with the CPMM
   hours ``t0`` of the direction used) form a small path–post incidence matrix.
3. At a capacitated post (``capacity.toml``) the crossing time grows with the post's
   two-way volume ``v`` against its capacity ``c`` (:class:`DelayModel`: by default the
   HCM time-dependent queueing delay over a period ``T``, or BPR on the CPMM hours); the
   added waiting is charged at the shipment's value of time plus the waiting costs of
   ``capacity.toml`` (container detention, the standing truck).
4. Path-based gradient projection (Jayakrishnan et al. 1994) moves flow from costlier to the
   cheapest path of each OD until the relative gap
   ``(sum_p f_p c_p - sum_od d_od min_p c_p) / sum_p f_p c_p`` is below ``gap``.  The
   iteration is deterministic.

Volumes are trucks per day (a rail crossing uses ``tonnes_per_truck`` tonnes of a rail
capacity in t/day).  Uncapacitated posts are reported with ``capacity = None``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from corridors.demand import Demand, DemandRow
from corridors.shipment import Shipment
from geodata.errors import CorridorError, InvalidInputError, UnknownPlaceError

if TYPE_CHECKING:
    from corridors.planner import Planner, Route

__all__ = [
    "DEFAULT_GAP",
    "DEFAULT_K",
    "DEFAULT_MAX_ITER",
    "Assignment",
    "Candidate",
    "DelayModel",
    "Equilibrium",
    "assign",
    "delay_model",
    "equilibrate",
]

log = logging.getLogger(__name__)

#: Default relative gap at which the equilibrium is accepted.
DEFAULT_GAP = 1e-4
#: Default iteration limit (sweeps over all ODs).
DEFAULT_MAX_ITER = 500
#: Default number of candidate routes per OD.
DEFAULT_K = 6
#: Shares below this are not listed among an OD's routes.
_SHARE_SHOWN = 1e-4
_HOURS_PER_DAY = 24.0
#: Coordinates kept per route geometry in ``to_dict`` (decimated for the flow map).
_MAX_COORDS = 400


# --------------------------------------------------------------------------------------------
# The equilibrium on a path–post incidence matrix
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Equilibrium:
    """Result of :func:`equilibrate`.

    Attributes
    ----------
    flows
        Flow on each path (demand units per day).
    costs
        Generalised cost of each path at equilibrium (free-flow + waiting).
    volumes
        Volume at each post in capacity units per day.
    added_hours
        Added waiting hours of each path.
    gap
        Relative gap reached.
    iterations
        Sweeps done.
    converged
        Whether ``gap`` is at or below the target.
    """

    flows: np.ndarray
    costs: np.ndarray
    volumes: np.ndarray
    added_hours: np.ndarray
    gap: float
    iterations: int
    converged: bool


def _volumes(flows: np.ndarray, uses: np.ndarray) -> np.ndarray:
    return np.asarray(flows @ uses, dtype=float)


@dataclass(frozen=True)
class DelayModel:
    """The delay a crossing adds as a post fills (hours), and its slope.

    ``function="queue"`` is the time-dependent queueing delay of the Highway Capacity
    Manual's incremental delay (random arrivals below capacity, a growing queue above it,
    averaged over ``period_hours``)::

        d(X) = T/4 [(X - 1) + sqrt((X - 1)^2 + 4 X / (c T))]   hours, X = v/c,

    with ``c`` in trucks per hour of the day.  ``function="bpr"`` is the BPR function on the
    post's CPMM crossing hours ``t0``: ``d = t0 alpha X^beta``.
    """

    function: str = "queue"
    alpha: float = 0.15
    beta: float = 4.0
    period_hours: float = 168.0
    hours_per_day: float = _HOURS_PER_DAY

    def weights(self, t0: np.ndarray, uses: np.ndarray) -> np.ndarray:
        """How much of a post's delay each path gets: its CPMM hours (BPR) or one per crossing."""
        if self.function == "bpr":
            return t0
        return (uses > 0).astype(float)

    def per_post(self, vol: np.ndarray, capacity: np.ndarray) -> np.ndarray:
        """Delay of each post per unit weight at volumes ``vol``."""
        capped = np.isfinite(capacity) & (capacity > 0)
        x = np.where(capped, vol / np.where(capped, capacity, 1.0), 0.0)
        if self.function == "bpr":
            return np.where(capped, self.alpha * x**self.beta, 0.0)
        ct = np.where(capped, capacity, 1.0) / self.hours_per_day * self.period_hours
        root = np.sqrt((x - 1.0) ** 2 + 4.0 * x / ct)
        return np.where(capped, 0.25 * self.period_hours * ((x - 1.0) + root), 0.0)

    def slope(self, vol: np.ndarray, capacity: np.ndarray) -> np.ndarray:
        """Derivative of :meth:`per_post` with respect to the volume."""
        capped = np.isfinite(capacity) & (capacity > 0)
        cap = np.where(capped, capacity, 1.0)
        x = np.where(capped, vol / cap, 0.0)
        if self.function == "bpr":
            d = self.alpha * self.beta * x ** (self.beta - 1.0)
        else:
            ct = cap / self.hours_per_day * self.period_hours
            root = np.sqrt((x - 1.0) ** 2 + 4.0 * x / ct)
            d = 0.25 * self.period_hours * (1.0 + ((x - 1.0) + 2.0 / ct) / root)
        return np.where(capped, d / cap, 0.0)

    def describe(self) -> str:
        """One line for reports."""
        if self.function == "bpr":
            return f"BPR: t0 * (1 + {self.alpha:g} * (v/c)^{self.beta:g})"
        return (
            "queue (HCM incremental delay): T/4 [(X-1) + sqrt((X-1)^2 + 4X/(cT))], "
            f"X = v/c, T = {self.period_hours:g} h"
        )


def equilibrate(
    free_cost: np.ndarray,
    od_of_path: np.ndarray,
    demand: np.ndarray,
    t0: np.ndarray,
    uses: np.ndarray,
    capacity: np.ndarray,
    value_per_hour: np.ndarray,
    *,
    delay: DelayModel,
    max_iter: int = DEFAULT_MAX_ITER,
    gap: float = DEFAULT_GAP,
) -> Equilibrium:
    """Path-based user equilibrium with delays at capacitated posts.

    Parameters
    ----------
    free_cost
        Free-flow generalised cost of each path, shape ``(P,)``.
    od_of_path
        OD index of each path, shape ``(P,)``.
    demand
        Demand of each OD per day, shape ``(OD,)``.
    t0
        Free-flow crossing hours of path ``p`` at post ``k`` (0 if it does not cross),
        shape ``(P, K)``.
    uses
        Capacity units one unit of path flow takes at each post, shape ``(P, K)``.
    capacity
        Capacity of each post per day (``inf`` = uncapacitated), shape ``(K,)``.
    value_per_hour
        Value of an hour of waiting on each path, shape ``(P,)``.
    delay
        The delay function.
    max_iter, gap
        Stop after ``max_iter`` sweeps or when the relative gap is ``<= gap``.

    Returns
    -------
    Equilibrium
    """
    free_cost = np.asarray(free_cost, dtype=float)
    od_of_path = np.asarray(od_of_path, dtype=np.int64)
    demand = np.asarray(demand, dtype=float)
    t0 = np.asarray(t0, dtype=float).reshape(len(free_cost), -1)
    uses = np.asarray(uses, dtype=float).reshape(t0.shape)
    capacity = np.asarray(capacity, dtype=float)
    vot = np.asarray(value_per_hour, dtype=float)
    weights = delay.weights(t0, uses)
    n_od = len(demand)
    if not (max_iter >= 1 and gap > 0):
        raise InvalidInputError("max_iter must be >= 1 and gap > 0")
    paths_of = [np.flatnonzero(od_of_path == i) for i in range(n_od)]
    if any(len(p) == 0 for p in paths_of):
        raise InvalidInputError("every OD needs at least one path")

    def added(vol: np.ndarray, rows: Any = slice(None)) -> np.ndarray:
        return np.asarray(weights[rows] @ delay.per_post(vol, capacity), dtype=float)

    # all-or-nothing start on free-flow costs
    flows = np.zeros(len(free_cost))
    for i, ps in enumerate(paths_of):
        flows[ps[np.argmin(free_cost[ps])]] = demand[i]
    vol = _volumes(flows, uses)
    rel_gap = np.inf
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 - reported below
        for ps in paths_of:
            if len(ps) < 2:
                continue
            cost = free_cost[ps] + vot[ps] * added(vol, ps)
            s_local = int(np.argmin(cost))
            s = ps[s_local]
            sl = delay.slope(vol, capacity)
            for j, p in enumerate(ps):
                if p == s or flows[p] <= 0:
                    continue
                diff = cost[j] - cost[s_local]
                if diff <= 0:
                    continue
                # derivative of (c_p - c_s) when flow moves from p to s
                g_p = vot[p] * weights[p] * sl
                g_s = vot[s] * weights[s] * sl
                d2 = float(np.sum((g_p - g_s) * (uses[p] - uses[s])))
                step = flows[p] if d2 <= 0 else min(flows[p], diff / d2)
                flows[p] -= step
                flows[s] += step
                vol += step * (uses[s] - uses[p])
                sl = delay.slope(vol, capacity)
                cost = free_cost[ps] + vot[ps] * added(vol, ps)
        costs = free_cost + vot * added(vol)
        total = float(flows @ costs)
        best = sum(float(demand[i] * costs[ps].min()) for i, ps in enumerate(paths_of))
        rel_gap = 0.0 if total <= 0 else max(0.0, (total - best) / total)
        if rel_gap <= gap:
            break
    add_h = added(vol)
    costs = free_cost + vot * add_h
    return Equilibrium(
        flows=flows,
        costs=costs,
        volumes=vol,
        added_hours=add_h,
        gap=float(rel_gap),
        iterations=it,
        converged=bool(rel_gap <= gap),
    )


# --------------------------------------------------------------------------------------------
# Candidate routes from the Planner
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Crossing:
    """One border crossing of a candidate route."""

    resource: str  # "<post key or name>/<mode>"
    post: str
    name: str
    mode: str
    direction: str
    hours: float
    lon: float = float("nan")
    lat: float = float("nan")


@dataclass(frozen=True)
class Candidate:
    """A candidate route of one OD: free-flow cost, time and the posts it crosses."""

    label: str
    cost_usd: float
    generalized_usd: float
    hours: float
    distance_km: float
    co2e_kg: float
    value_per_hour: float
    crossings: tuple[Crossing, ...]
    coords: tuple[tuple[tuple[float, float], ...], ...] = field(repr=False, default=())

    @property
    def posts(self) -> list[str]:
        """Names of the posts crossed, in order."""
        return [c.name for c in self.crossings]


def _candidate(route: Route, waiting_cost: float) -> Candidate:
    where = {
        leg.post: (float(leg.coords[0][0]), float(leg.coords[0][1]))
        for leg in reversed(route.legs)
        if leg.mode == "border" and len(leg.coords)
    }
    crossings = []
    for it in route.bill.items:
        if it.kind != "border":
            continue
        det = it.details
        key = det.get("post_key") or det["post"]
        crossings.append(
            Crossing(
                resource=f"{key}/{det['mode']}",
                post=str(key),
                name=str(det["post"]),
                mode=str(det["mode"]),
                direction=str(det["direction"]),
                hours=float(it.hours),
                lon=where.get(str(det["post"]), (np.nan, np.nan))[0],
                lat=where.get(str(det["post"]), (np.nan, np.nan))[1],
            )
        )
    vot = route.bill.vot_pct_per_day / 100.0 * route.shipment.value_usd / _HOURS_PER_DAY
    vot += waiting_cost
    coords = []
    for leg in route.legs:
        c = np.asarray(leg.coords)
        step = max(1, len(c) // max(1, _MAX_COORDS // max(1, len(route.legs))))
        kept = c[::step] if len(c) > 2 else c
        if len(c) > 1 and not np.array_equal(kept[-1], c[-1]):
            kept = np.vstack([kept, c[-1:]])
        coords.append(tuple((round(float(x), 4), round(float(y), 4)) for x, y in kept))
    return Candidate(
        label=route.label,
        cost_usd=route.cost_usd,
        generalized_usd=route.bill.generalized_usd,
        hours=route.hours,
        distance_km=route.distance_km,
        co2e_kg=route.co2e_kg,
        value_per_hour=vot,
        crossings=tuple(crossings),
        coords=tuple(coords),
    )


def shipment_for(row: DemandRow, demand: Demand, departure: dt.date) -> Shipment:
    """The truck of a demand row: its carrier and a cargo worth one truckload of the flow."""
    carrier = "PAK" if row.direction == "pak_export" else row.country
    value = row.usd_per_tonne * demand.tonnes_per_truck
    return Shipment(carrier=carrier, departure=departure, value_usd=value)


def candidates(
    planner: Planner,
    row: DemandRow,
    demand: Demand,
    *,
    departure: dt.date,
    k: int = DEFAULT_K,
    avoid: Sequence[str] = (),
) -> list[Candidate]:
    """Up to ``k`` distinct candidate routes of a demand row (best first).

    Raises
    ------
    NoRouteError, UnknownPlaceError
        When the row has no route at all.
    """
    routes = planner.routes(
        row.origin,
        row.destination,
        k=k,
        objective="generalized",
        shipment=shipment_for(row, demand, departure),
        draws=0,
        avoid=avoid,
    )
    out: list[Candidate] = []
    seen: set[tuple[Any, ...]] = set()
    delay = planner.rules.capacity.delay if planner.rules.capacity is not None else None
    waiting_cost = delay.waiting_cost_per_hour if delay is not None else 0.0
    for r in routes:
        c = _candidate(r, waiting_cost)
        sig = (tuple(x.resource for x in c.crossings), round(c.generalized_usd, 2))
        if sig not in seen:
            seen.add(sig)
            out.append(c)
    return out


# --------------------------------------------------------------------------------------------
# The assignment
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Assignment:
    """Demand assigned over the network with capacity effects.

    Attributes
    ----------
    posts
        One row per post and mode: volume, capacity, utilisation, added waiting hours.
    ods
        One row per demand row: routes with shares, mean cost and time, or why unserved.
    totals
        System cost and waiting per year, CO2e, gap, iterations.
    """

    posts: list[dict[str, Any]]
    ods: list[dict[str, Any]]
    totals: dict[str, Any]
    settings: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form (JSON)."""
        return {
            "settings": self.settings,
            "totals": self.totals,
            "posts": self.posts,
            "ods": self.ods,
        }

    def post(self, name: str, mode: str = "road") -> dict[str, Any]:
        """The row of a post by key or name (``KeyError`` if it carries nothing)."""
        low = name.lower()
        for p in self.posts:
            if p["mode"] == mode and low in (p["post"].lower(), p["name"].lower()):
                return p
        raise KeyError(name)

    def to_csv(self, table: str = "posts") -> str:
        """``posts`` or ``ods`` as CSV text (routes flattened, one line per OD route)."""
        buf = io.StringIO()
        if table == "posts":
            cols = [
                "post",
                "name",
                "mode",
                "trucks_per_day",
                "trucks_per_year",
                "capacity_per_day",
                "capacity_unit",
                "utilisation",
                "added_wait_hours",
                "capacity_source",
            ]
            w = csv.DictWriter(buf, fieldnames=cols, extrasaction="ignore", lineterminator="\n")
            w.writeheader()
            for p in self.posts:
                w.writerow(p)
        elif table == "ods":
            cols = [
                "od",
                "origin",
                "destination",
                "trucks_per_day",
                "route",
                "posts",
                "share",
                "cost_usd",
                "generalized_usd",
                "hours",
                "added_wait_hours",
                "co2e_kg_per_truck",
                "unserved_reason",
            ]
            w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
            w.writeheader()
            for od in self.ods:
                base = {c: od.get(c, "") for c in ("od", "origin", "destination")}
                base["trucks_per_day"] = od["trucks_per_day"]
                if not od["routes"]:
                    w.writerow({**base, "unserved_reason": od.get("unserved_reason", "")})
                for r in od["routes"]:
                    w.writerow(
                        {
                            **base,
                            "route": r["label"],
                            "posts": "; ".join(r["posts"]),
                            "share": r["share"],
                            "cost_usd": r["cost_usd"],
                            "generalized_usd": r["generalized_usd"],
                            "hours": r["hours"],
                            "added_wait_hours": r["added_wait_hours"],
                            "co2e_kg_per_truck": r["co2e_kg_per_truck"],
                            "unserved_reason": "",
                        }
                    )
        else:
            raise InvalidInputError(f"unknown table {table!r}; use posts or ods")
        return buf.getvalue()


def assign(
    planner: Planner,
    demand: Demand,
    *,
    departure: dt.date | None = None,
    avoid: Iterable[str] = (),
    k: int = DEFAULT_K,
    max_iter: int = DEFAULT_MAX_ITER,
    gap: float = DEFAULT_GAP,
) -> Assignment:
    """Assign the yearly demand over the planner's network with capacity effects.

    Parameters
    ----------
    planner
        The network and rules (a scenario's planner works the same).
    demand
        The demand table (:func:`corridors.demand.load_demand`).
    departure
        Date whose rules apply (closures, agreements); default today.
    avoid
        Border posts, countries or places no route may use (as ``corridors route --avoid``).
    k
        Candidate routes per OD.
    max_iter, gap
        Stop after ``max_iter`` sweeps or at relative gap ``gap``.

    Returns
    -------
    Assignment

    Raises
    ------
    InvalidInputError
        For bad parameters or avoid names.
    """
    if k < 1:
        raise InvalidInputError("k (candidate routes per OD) must be at least 1")
    if not (max_iter >= 1 and 0 < gap < 1):
        raise InvalidInputError("max_iter must be >= 1 and 0 < gap < 1")
    day = departure or dt.date.today()
    avoid_list = [a for a in avoid if a.strip()]
    planner.parse_avoid(avoid_list)  # validate names before any search
    rules = planner.rules
    if rules.capacity is None:
        raise InvalidInputError("the rules have no capacity.toml: nothing to assign against")
    cap_file = rules.capacity
    delay = delay_model(rules)

    sets: list[tuple[DemandRow, list[Candidate]]] = []
    unserved: list[dict[str, Any]] = []
    for row in demand.rows:
        try:
            cands = candidates(planner, row, demand, departure=day, k=k, avoid=avoid_list)
        except CorridorError as exc:
            if isinstance(exc, InvalidInputError | UnknownPlaceError):
                raise  # a bad demand table or avoid list, not a missing route
            log.info("no route for %s: %s", row.key, exc)
            unserved.append(_unserved(row, str(exc)))
            continue
        sets.append((row, cands))

    resources: dict[str, Crossing] = {}
    for _, cands in sets:
        for c in cands:
            for x in c.crossings:
                resources.setdefault(x.resource, x)
    res_keys = sorted(resources)
    index = {r: i for i, r in enumerate(res_keys)}
    capacity, cap_unit, cap_src = _capacities(res_keys, resources, rules)

    paths = [(i, c) for i, (_, cands) in enumerate(sets) for c in cands]
    n_p, n_k = len(paths), len(res_keys)
    t0 = np.zeros((n_p, n_k))
    uses = np.zeros((n_p, n_k))
    for p, (_, c) in enumerate(paths):
        for x in c.crossings:
            t0[p, index[x.resource]] += x.hours
            uses[p, index[x.resource]] += demand.tonnes_per_truck if x.mode == "rail" else 1.0
    if paths:
        eq = equilibrate(
            np.array([c.generalized_usd for _, c in paths]),
            np.array([i for i, _ in paths]),
            np.array([row.trucks_per_day for row, _ in sets]),
            t0,
            uses,
            capacity,
            np.array([c.value_per_hour for _, c in paths]),
            delay=delay,
            max_iter=max_iter,
            gap=gap,
        )
    else:
        eq = Equilibrium(np.zeros(0), np.zeros(0), np.zeros(n_k), np.zeros(0), 0.0, 0, True)
    days = demand.operating_days_per_year
    posts = _post_rows(res_keys, resources, eq, paths, t0, uses, capacity, cap_unit, cap_src, delay)
    posts = [dict(p, trucks_per_year=round(p["trucks_per_day"] * days, 1)) for p in posts]
    ods = _od_rows(sets, paths, eq) + unserved
    flows = eq.flows
    wait_h = float(sum(flows[p] * eq.added_hours[p] for p in range(n_p)) * days)
    totals = {
        "system_generalized_cost_usd_per_year": round(float(flows @ eq.costs) * days, 0),
        "system_cost_usd_per_year": round(
            float(sum(flows[p] * c.cost_usd for p, (_, c) in enumerate(paths))) * days, 0
        ),
        "waiting_truck_hours_per_year": round(wait_h, 1),
        "waiting_cost_usd_per_year": round(
            float(
                sum(
                    flows[p] * eq.added_hours[p] * c.value_per_hour
                    for p, (_, c) in enumerate(paths)
                )
            )
            * days,
            0,
        ),
        "co2e_t_per_year": round(
            float(sum(flows[p] * c.co2e_kg for p, (_, c) in enumerate(paths))) * days / 1000.0, 1
        ),
        "trucks_per_day_assigned": round(float(flows.sum()), 3),
        "trucks_per_day_unserved": round(sum(u["trucks_per_day"] for u in unserved), 3),
        "relative_gap": eq.gap,
        "iterations": eq.iterations,
        "converged": eq.converged,
    }
    settings = {
        "departure": day.isoformat(),
        "avoid": avoid_list,
        "k": k,
        "gap": gap,
        "max_iter": max_iter,
        "delay_function": delay.describe(),
        "delay_source": cap_file.delay.provenance(),
        "demand": demand.origin,
        "operating_days_per_year": days,
        "rules": rules.origin,
    }
    return Assignment(posts=posts, ods=ods, totals=totals, settings=settings)


def delay_model(rules: Any) -> DelayModel:
    """The delay function of the rules' ``capacity.toml``."""
    d = rules.capacity.delay
    return DelayModel(
        function=d.function,
        alpha=float(d.alpha.value),
        beta=float(d.beta.value),
        period_hours=float(d.period_hours.value),
    )


def _unserved(row: DemandRow, reason: str) -> dict[str, Any]:
    return {
        "od": row.key,
        "country": row.country,
        "direction": row.direction,
        "origin": row.origin,
        "destination": row.destination,
        "trucks_per_day": round(row.trucks_per_day, 4),
        "trucks_per_year": round(row.trucks_per_year, 1),
        "routes": [],
        "unserved_reason": reason,
    }


def _capacities(
    keys: list[str], resources: dict[str, Crossing], rules: Any
) -> tuple[np.ndarray, list[str], list[str]]:
    cap = np.full(len(keys), np.inf)
    units, srcs = [""] * len(keys), [""] * len(keys)
    posts = rules.capacity.posts
    for i, r in enumerate(keys):
        x = resources[r]
        entry = posts.get(x.post)
        q = (
            getattr(entry, x.mode, None)
            if entry is not None and x.mode in ("road", "rail")
            else None
        )
        if q is not None:
            cap[i] = float(q.value)
            units[i] = q.unit
            srcs[i] = (
                ("ESTIMATE " if q.estimate else "")
                + (f"({q.year}) " if q.year else "")
                + "; ".join(s.title for s in q.all_sources)
            )
        else:
            srcs[i] = "no published capacity: uncapacitated"
    return cap, units, srcs


def _post_rows(
    keys: list[str],
    resources: dict[str, Crossing],
    eq: Equilibrium,
    paths: list[tuple[int, Candidate]],
    t0: np.ndarray,
    uses: np.ndarray,
    capacity: np.ndarray,
    units: list[str],
    srcs: list[str],
    delay: DelayModel,
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    flows = eq.flows
    for k, r in enumerate(keys):
        x = resources[r]
        through = flows * (uses[:, k] > 0)
        trucks = float(through.sum())
        cap = capacity[k]
        ratio = float(eq.volumes[k] / cap) if np.isfinite(cap) else None
        # flow-weighted added hours of the crossings here
        add = 0.0
        if trucks > 0 and np.isfinite(cap):
            w = delay.weights(t0[:, k : k + 1], uses[:, k : k + 1])[:, 0]
            unit = float(delay.per_post(eq.volumes[k : k + 1], capacity[k : k + 1])[0])
            add = float((through * w * unit).sum() / trucks)
        by_dir: dict[str, float] = {}
        for p, (_, c) in enumerate(paths):
            if through[p] <= 0:
                continue
            for cx in c.crossings:
                if cx.resource == r:
                    by_dir[cx.direction] = by_dir.get(cx.direction, 0.0) + float(flows[p])
        rows.append(
            {
                "post": x.post,
                "name": x.name,
                "mode": x.mode,
                "trucks_per_day": round(trucks, 3),
                "volume_per_day": round(float(eq.volumes[k]), 3),
                "by_direction_trucks_per_day": {d: round(v, 3) for d, v in sorted(by_dir.items())},
                "capacity_per_day": float(cap) if np.isfinite(cap) else None,
                "capacity_unit": units[k] or None,
                "utilisation": None if ratio is None else round(ratio, 4),
                "added_wait_hours": round(add, 3),
                "capacity_source": srcs[k],
                "lon": None if np.isnan(x.lon) else round(x.lon, 4),
                "lat": None if np.isnan(x.lat) else round(x.lat, 4),
            }
        )
    rows.sort(key=lambda d: (-float(d["trucks_per_day"]), str(d["name"])))
    return rows


def _od_rows(
    sets: list[tuple[DemandRow, list[Candidate]]],
    paths: list[tuple[int, Candidate]],
    eq: Equilibrium,
) -> list[dict[str, Any]]:
    out = []
    for i, (row, _) in enumerate(sets):
        idx = [p for p, (j, _) in enumerate(paths) if j == i]
        d = row.trucks_per_day
        routes: list[dict[str, Any]] = []
        for p in idx:
            c = paths[p][1]
            share = float(eq.flows[p] / d) if d > 0 else 0.0
            routes.append(
                {
                    "label": c.label,
                    "posts": c.posts,
                    "share": round(share, 4),
                    "trucks_per_day": round(float(eq.flows[p]), 4),
                    "cost_usd": round(c.cost_usd, 2),
                    "generalized_usd": round(float(eq.costs[p]), 2),
                    "free_flow_generalized_usd": round(c.generalized_usd, 2),
                    "hours": round(c.hours + float(eq.added_hours[p]), 2),
                    "added_wait_hours": round(float(eq.added_hours[p]), 3),
                    "distance_km": round(c.distance_km, 1),
                    "co2e_kg_per_truck": round(c.co2e_kg, 1),
                    "geometry": {
                        "type": "MultiLineString",
                        "coordinates": [list(map(list, leg)) for leg in c.coords],
                    },
                    "shown": share >= _SHARE_SHOWN,
                }
            )
        flow = [float(r["trucks_per_day"]) for r in routes]
        tot = sum(flow) or 1.0
        gen = sum(float(r["generalized_usd"]) * f for r, f in zip(routes, flow, strict=True))
        hrs = sum(float(r["hours"]) * f for r, f in zip(routes, flow, strict=True))
        out.append(
            {
                "od": row.key,
                "country": row.country,
                "direction": row.direction,
                "origin": row.origin,
                "destination": row.destination,
                "trucks_per_day": round(d, 4),
                "trucks_per_year": round(row.trucks_per_year, 1),
                "tonnes_per_year": round(row.tonnes_per_year, 1),
                "mean_generalized_usd": round(gen / tot, 2),
                "mean_hours": round(hrs / tot, 2),
                "routes": routes,
            }
        )
    return out
