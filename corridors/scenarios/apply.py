"""Apply a scenario: edit the rules (as parsed TOML, then validated as shipped) and the network.

Rules overrides are applied to :func:`corridors.rules.load.load_raw_rules` and the result goes
through :func:`corridors.rules.load.build_rules`, so an overridden figure is validated and
cross-checked exactly like a shipped one, and the bill cites the scenario as its source.
Infrastructure overrides change ``Network.edge_status`` of the edges whose name matches.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import functools
import logging
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from corridors.rules.load import (
    RulesError,
    build_rules,
    load_raw_rules,
    load_rules,
    packaged_raw_rules,
    rules_hash,
    tree_copy,
)
from corridors.rules.schema import Rules
from corridors.scenarios.load import Scenario, ScenarioError, load_scenario
from corridors.scenarios.schema import (
    DEFAULT_TARIFF_FIELD,
    ClosureOverride,
    InfrastructureOverride,
    PostOverride,
    ReopenOverride,
    RightsOverride,
    ScenarioFile,
    SetOverride,
    TariffOverride,
    _Cited,
)
from geodata.network import Network, load_network
from geodata.schema import EDGE_MODES, STATUSES

__all__ = ["Applied", "apply_scenario", "scenario_planner"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class Applied:
    """A scenario made concrete.

    Attributes
    ----------
    scenario
        What was applied.
    network, rules
        The network and rules under the scenario.
    tir
        The scenario's TIR default for shipments (None: keep the caller's).
    changes
        One line per override, saying what it changed (e.g. "12 edges of 'Trans-Afghan
        Railway' → operational").
    rules_hash
        SHA-256 of the rules under the scenario (their version).
    raw
        The rules as parsed TOML (what :mod:`corridors.scenarios.recost` compares).
    """

    scenario: Scenario
    network: Network
    rules: Rules
    tir: bool | None
    changes: tuple[str, ...]
    raw: dict[str, dict[str, Any]] = dataclasses.field(repr=False, default_factory=dict)

    @functools.cached_property
    def rules_hash(self) -> str:
        """SHA-256 of the rules under the scenario (computed when first asked)."""
        return rules_hash(self.raw)


def apply_scenario(
    scenario: str | Scenario,
    *,
    network: Network | None = None,
    raw_rules: dict[str, dict[str, Any]] | None = None,
) -> Applied:
    """Apply ``scenario`` to the packaged (or given) network and rules.

    Parameters
    ----------
    scenario
        A shipped name, a path, or a loaded :class:`Scenario`.
    network
        The base network (default: the embedded one).
    raw_rules
        Base rules as parsed TOML (default: the packaged rules).

    Raises
    ------
    ScenarioError
        When an override names something unknown or produces invalid rules.
    """
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    if network is None and raw_rules is None:
        return _apply_default(sc)
    return _apply(sc, network or load_network(), raw_rules or load_raw_rules())


@functools.lru_cache(maxsize=32)
def _apply_default(sc: Scenario) -> Applied:
    return _apply(sc, load_network(), packaged_raw_rules())


class _CopyOnWrite(dict):  # type: ignore[type-arg]
    """Parsed rules files, each deep-copied the first time an override asks for it; the
    files no override touches stay the base's very objects (so that
    :func:`corridors.rules.load.build_rules` reuses their validation)."""

    def __init__(self, base: Mapping[str, dict[str, Any]]) -> None:
        super().__init__(base)
        self._copied: set[str] = set()

    def __getitem__(self, key: str) -> Any:
        if key not in self._copied:
            super().__setitem__(key, tree_copy(super().__getitem__(key)))
            self._copied.add(key)
        return super().__getitem__(key)

    def plain(self) -> dict[str, dict[str, Any]]:
        """The files as a plain dict (copied or shared), without copying any more."""
        return {k: dict.__getitem__(self, k) for k in dict.keys(self)}


def _apply(sc: Scenario, network: Network, base_raw: Mapping[str, dict[str, Any]]) -> Applied:
    cow = _CopyOnWrite(base_raw)
    raw: Any = cow
    status = network.edge_status.copy()
    gauge = network.edge_gauge_mm.copy()
    changes: list[str] = []
    tir: bool | None = None
    for file, origin in zip(sc.chain, sc.origin, strict=True):
        ed = _Editor(file, origin, raw, network, status, gauge)
        ed.run()
        changes += ed.changes
        if file.shipment.tir is not None:
            tir = file.shipment.tir
            changes.append(f"shipments {'under' if tir else 'without'} a TIR carnet")
    raw = cow.plain()
    try:
        rules = build_rules(raw, origin=f"scenario:{sc.name}")
    except RulesError as exc:
        load_rules()  # the shipped rules themselves broken: that data error, exit 3
        raise ScenarioError(f"scenario {sc.name}: the rules it makes are invalid: {exc}") from None
    net = network
    if not (
        np.array_equal(status, network.edge_status) and np.array_equal(gauge, network.edge_gauge_mm)
    ):
        net = dataclasses.replace(network, edge_status=status, edge_gauge_mm=gauge)
    log.info("scenario %s: %d change(s)", sc.name, len(changes))
    return Applied(sc, net, rules, tir, tuple(changes), raw)


def scenario_planner(scenario: str | Scenario) -> Any:
    """A :class:`~corridors.planner.Planner` on the scenario's network and rules (cached)."""
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    return _planner(sc)


#: Scenario planners kept (least recently used dropped) and cost models each keeps: a cost
#: model with its graphs takes ~100 MB, so a long-running server comparing many scenarios
#: stays within ~3 GB; 8 models cover the carriers of the demand table's pairs (a sweep
#: that evicts its base models rebuilds them for every scenario, ~4× slower).
MAX_SCENARIO_PLANNERS = 4
MAX_MODELS_PER_PLANNER = 8


@functools.lru_cache(maxsize=MAX_SCENARIO_PLANNERS)
def _planner(sc: Scenario) -> Any:
    from corridors.planner import Planner

    applied = apply_scenario(sc)
    planner = Planner(applied.network, applied.rules, max_models=MAX_MODELS_PER_PLANNER)
    planner.scenario = applied  # type: ignore[attr-defined]
    return planner


# --------------------------------------------------------------------------------------------
class _Editor:
    """Applies one scenario file's overrides to raw rules and an edge-status array."""

    def __init__(
        self,
        file: ScenarioFile,
        origin: str,
        raw: dict[str, dict[str, Any]],
        network: Network,
        status: np.ndarray,
        gauge: np.ndarray,
    ) -> None:
        self.file = file
        self.name = file.scenario.name
        self.where = f"scenario {self.name} ({origin})"
        self.raw = raw
        self.network = network
        self.status = status
        self.gauge = gauge
        self.changes: list[str] = []
        self._key = ""

    def fail(self, key: str, reason: str) -> None:
        raise ScenarioError(f"{self.where}: {key}: {reason}")

    @property
    def posts(self) -> dict[str, Any]:
        """The border posts table of the rules being edited."""
        return self.raw["border_posts.toml"].setdefault("posts", {})

    def run(self) -> None:
        for key, src in self.file.scenario.sources.items():
            catalogue = self.raw["sources.toml"].setdefault("sources", {})
            if key in catalogue:
                self.fail(f"scenario.sources.{key}", "a source of that key already exists")
            catalogue[key] = src.model_dump(exclude_none=True)
        steps: list[tuple[str, Iterable[Any], Any]] = [
            ("infrastructure", self.file.infrastructure, self._infrastructure),
            ("reopen", self.file.reopen, self._reopen),
            ("closures", self.file.closures, self._closure),
            ("posts", self.file.posts, self._post),
            ("tariffs", self.file.tariffs, self._tariff),
            ("rights", self.file.rights, self._rights),
            ("set", self.file.set, self._set),
        ]
        for table, items, fn in steps:
            for i, item in enumerate(items):
                self._key = f"{table}[{i}]"
                fn(self._key, item)

    # ------------------------------------------------------------------ provenance
    def _provenance(self, item: _Cited, what: str) -> dict[str, Any]:
        note = f"scenario {self.name}: {what}"
        if item.source is not None or item.sources:
            out: dict[str, Any] = {"note": note}
            if item.year is not None:
                out["year"] = item.year
            if item.source is not None:
                out["source"] = item.source
            if item.sources:
                out["sources"] = list(item.sources)
            if item.reasoning:
                out["reasoning"] = item.reasoning
            return out
        return {"estimate": True, "reasoning": f"{note}: {item.reasoning}"}

    def _set_quantity(
        self, q: dict[str, Any], item: _Cited, *, value: float | None, factor: float | None
    ) -> tuple[float, float]:
        old = float(q["value"])
        try:
            new = float(value) if value is not None else old * float(factor or 0.0)
        except (TypeError, ValueError):
            self.fail(self._key, f"the value must be a number, not {value!r}")
        if not math.isfinite(new):
            self.fail(self._key, f"the new value {new!r} is not a finite number")
        for key in (
            "source",
            "sources",
            "estimate",
            "reasoning",
            "year",
            "derivation",
            "low",
            "high",
            "note",
        ):
            q.pop(key, None)
        if q.get("basis") not in (None, "post"):
            q["basis"] = "post"
            q.pop("basis_country", None)
        q["value"] = new
        what = f"{old:g} → {new:g} {q.get('unit', '')}".strip()
        if (item.source is not None or item.sources) and item.year is None:
            self.fail(
                self._key, f"a sourced figure needs the year it refers to (year = ...) for {what}"
            )
        q.update(self._provenance(item, what))
        return old, new

    # ------------------------------------------------------------------ posts
    def _post_keys(self, key: str, posts: Iterable[str], between: Any) -> list[str]:
        keys: list[str] = []
        for p in posts:
            if p not in self.posts:
                self.fail(key, f"unknown border post {p!r}{_suggest(p, self.posts)}")
            keys.append(p)
        if between is not None:
            pair = set(between)
            found = [k for k, v in self.posts.items() if set(v.get("countries", ())) == pair]
            if not found:
                self.fail(key, f"no listed border post between {between[0]} and {between[1]}")
            keys += [k for k in found if k not in keys]
        return keys

    def _closure(self, key: str, item: ClosureOverride) -> None:
        posts = self._post_keys(key, item.posts, item.between)
        self._check_directions(key, posts, item.directions)
        closure: dict[str, Any] = {
            "start": item.start,
            "reason": f"scenario {self.name}: {item.reason}",
            "modes": list(item.modes),
        }
        if item.directions:
            closure["directions"] = list(item.directions)
        if item.end is None:
            closure["open_ended"] = True
            closure["last_confirmed"] = _day(item.start)
        else:
            closure["end"] = item.end
        closure.update(self._provenance(item, "closure"))
        # Closures of one post may not overlap: the parts of existing closures that the new
        # one covers (same time, directions and modes) give way; the rest stays as it was.
        trimmed = self._subtract(posts, item.start, item.end, item.directions, item.modes)
        for p in posts:
            self.posts[p].setdefault("closures", []).append(
                {**closure, "id": f"scenario-{self.name}-{key}-{p}"}
            )
        if trimmed:
            self.changes.append(f"{trimmed} overlapping closure(s) trimmed to make room")
        until = f"until {item.end}" if item.end else "open-ended"
        self.changes.append(f"closed {', '.join(posts)} from {item.start} {until}: {item.reason}")

    def _check_directions(self, key: str, posts: list[str], directions: Iterable[str]) -> None:
        for d in directions:
            for p in posts:
                if d not in self.posts[p].get("directions", {}):
                    known = ", ".join(self.posts[p].get("directions", {}))
                    self.fail(f"{key}.directions", f"{p} has no direction {d!r} ({known})")

    def _localise(self, posts: list[str]) -> None:
        """Copy the shared closures that list ``posts`` into those posts (so they can be
        edited per post) and take the posts off the shared lists."""
        shared = self.raw["border_posts.toml"].get("closures", [])
        for c in shared:
            for p in [p for p in c.get("posts", []) if p in posts]:
                own = {k: copy.deepcopy(v) for k, v in c.items() if k != "posts"}
                if own.get("id"):
                    own["id"] = f"{own['id']}-{p}"
                self.posts[p].setdefault("closures", []).append(own)
            c["posts"] = [p for p in c.get("posts", []) if p not in posts]
        self.raw["border_posts.toml"]["closures"] = [c for c in shared if c.get("posts")]

    def _subtract(
        self,
        posts: list[str],
        start: dt.date | dt.datetime,
        end: dt.date | dt.datetime | None,
        directions: Iterable[str],
        modes: Iterable[str],
        ids: Iterable[str] = (),
    ) -> int:
        """Remove [start, end) × directions × modes from the closures of ``posts`` (only the
        closures with the given ids, if any); returns how many closures were cut."""
        self._localise(posts)
        wanted = set(ids)
        cut = 0
        for p in posts:
            post_dirs = list(self.posts[p].get("directions", {}))
            kept: list[dict[str, Any]] = []
            for c in self.posts[p].get("closures", []):
                if wanted and not any(str(c.get("id", "")).startswith(i) for i in wanted):
                    kept.append(c)
                    continue
                pieces = _closure_minus(
                    c, start, end, set(directions or post_dirs), set(modes), post_dirs
                )
                cut += pieces != [c]
                kept += pieces
            self.posts[p]["closures"] = kept
        return cut

    def _reopen(self, key: str, item: ReopenOverride) -> None:
        posts = self._post_keys(key, item.posts, item.between)
        if item.ids:
            start: dt.date | dt.datetime = dt.date.min
            lifted = self._subtract(posts, start, None, (), ("road", "rail"), item.ids)
        elif item.from_date is not None:
            lifted = self._subtract(posts, item.from_date, None, (), ("road", "rail"))
        else:  # the closures in force with no end: open-ended ones
            self._localise(posts)
            lifted = 0
            for p in posts:
                own = self.posts[p].get("closures", [])
                keep = [c for c in own if not c.get("open_ended")]
                lifted += len(own) - len(keep)
                self.posts[p]["closures"] = keep
        if lifted == 0:
            self.fail(key, f"no closure to lift at {', '.join(posts)}")
        self.changes.append(f"lifted {lifted} closure(s) at {', '.join(posts)}: {item.reason}")

    def _post(self, key: str, item: PostOverride) -> None:
        if item.post not in self.posts:
            self.fail(
                f"{key}.post", f"unknown border post {item.post!r}{_suggest(item.post, self.posts)}"
            )
        post = self.posts[item.post]
        directions = post.get("directions", {})
        chosen = list(item.directions) or list(directions)
        for d in chosen:
            if d not in directions:
                self.fail(
                    f"{key}.directions",
                    f"{item.post} has no direction {d!r} ({', '.join(directions)})",
                )
        said: list[str] = []
        for d in chosen:
            figs = directions[d]
            if item.hours is not None or item.hours_factor is not None:
                old, new = self._set_quantity(
                    figs["hours"], item, value=item.hours, factor=item.hours_factor
                )
                said.append(f"{d} hours {old:g} → {new:g}")
            if item.cost is not None or item.cost_factor is not None:
                old, new = self._set_quantity(
                    figs["cost"], item, value=item.cost, factor=item.cost_factor
                )
                said.append(f"{d} cost {old:g} → {new:g} USD")
        if item.sigma is not None:
            sigma = {"value": item.sigma, "unit": "sigma_ln"}
            sigma.update(self._provenance(item, f"sigma {item.sigma:g}"))
            post["sigma"] = sigma
            said.append(f"sigma → {item.sigma:g}")
        if item.seasons is not None:
            seasons = []
            for s in item.seasons:
                entry = dict(s)
                if not any(k in entry for k in ("source", "sources", "estimate")):
                    entry.update(self._provenance(item, "season"))
                seasons.append(entry)
            post["seasons"] = seasons
            spans = ", ".join(
                f"open {x.get('open_from', '?')}–{x.get('open_until', '?')}" for x in seasons
            )
            said.append(f"seasons replaced: {spans or 'none (open all year)'}")
        self.changes.append(f"{item.post}: {'; '.join(said)}")

    # ------------------------------------------------------------------ tariffs
    def _tariff(self, key: str, item: TariffOverride) -> None:
        lh = self.raw["linehaul.toml"]
        field = item.field or DEFAULT_TARIFF_FIELD[item.mode]
        targets: list[tuple[str, dict[str, Any]]] = []
        if item.mode == "sea":
            targets.append(("sea", lh.get("sea", {})))
        elif item.mode == "ferry":
            ferries = lh.get("ferries", {})
            names = list(item.routes) or list(ferries)
            for n in names:
                if n not in ferries:
                    self.fail(f"{key}.routes", f"unknown ferry {n!r}{_suggest(n, ferries)}")
                targets.append((f"ferries.{n}", ferries[n]))
        else:
            table = lh.get(item.mode, {})
            countries = list(table) if "*" in item.countries else list(item.countries)
            for c in countries:
                if c not in table:
                    self.fail(f"{key}.countries", f"no {item.mode} rates for {c!r}")
                if item.mode == "road":
                    targets.append((f"road.{c}", table[c]))
                    continue
                gauges = [str(g) for g in item.gauges] or list(table[c])
                for g in gauges:
                    if g not in table[c]:
                        self.fail(f"{key}.gauges", f"no rail rates for {c} gauge {g}")
                    targets.append((f"rail.{c}.{g}", table[c][g]))
        done = 0
        for where, entry in targets:
            q = entry.get(field)
            if not isinstance(q, dict) or "value" not in q:
                if "*" in item.countries or (item.mode == "ferry" and not item.routes):
                    continue  # e.g. a country without this field when all are meant
                self.fail(f"{key}.field", f"{where} has no {field!r}")
            self._set_quantity(q, item, value=item.value, factor=item.factor)
            done += 1
        if done == 0:
            self.fail(f"{key}.field", f"no {item.mode} rate has a field {field!r}")
        how = f"× {item.factor:g}" if item.factor is not None else f"= {item.value:g}"
        self.changes.append(f"{item.mode} {field} {how} ({done} rate table(s))")

    # ------------------------------------------------------------------ rights
    def _rights(self, key: str, item: RightsOverride) -> None:
        cr = self.raw["carrier_rights.toml"]
        rights = cr.setdefault("rights", [])
        ids = {r.get("id") for r in rights}
        for w in item.withdraw:
            if w not in ids:
                self.fail(f"{key}.withdraw", f"unknown carrier right {w!r}{_suggest(w, ids)}")
        if item.withdraw:
            cr["rights"] = rights = [r for r in rights if r.get("id") not in set(item.withdraw)]
            self.changes.append(f"withdrew carrier rights {', '.join(item.withdraw)}")
        for j, add in enumerate(item.add):
            if add.get("id") in ids or add.get("id") in [a.get("id") for a in item.add[:j]]:
                self.fail(f"{key}.add[{j}].id", f"a right {add.get('id')!r} already exists")
            rights.append(dict(add))
            self.changes.append(f"granted carrier right {add.get('id')}: {add.get('reason', '')}")

    # ------------------------------------------------------------------ generic
    def _set(self, key: str, item: SetOverride) -> None:
        parent, last = _walk(
            self.raw[item.file],
            item.path,
            lambda r: self.fail(f"{key}.path", r),
            create=item.value is not None,
        )
        if isinstance(parent, dict) and last not in parent:
            parent[last] = item.value
            self.changes.append(f"{item.file}: {item.path} added")
            return
        target = parent[last]
        if isinstance(target, dict) and "value" in target:
            old, new = self._set_quantity(target, item, value=item.value, factor=item.factor)
        else:
            if item.factor is not None and not isinstance(target, int | float):
                self.fail(f"{key}.factor", f"{item.path} is not a number")
            old = target
            new = item.value if item.value is not None else float(target) * float(item.factor)
            parent[last] = new
            if isinstance(parent, dict) and "value" in parent and last == "value":
                self._set_quantity(parent, item, value=float(new), factor=None)
        self.changes.append(f"{item.file}: {item.path} {old!r} → {new!r}")

    # ------------------------------------------------------------------ network
    def _infrastructure(self, key: str, item: InfrastructureOverride) -> None:
        net = self.network
        strings = np.asarray(net.strings, dtype=object)
        needle = item.match.lower()
        hit = np.zeros(net.n_edges, dtype=bool)
        for column in (net.edge_name, net.edge_source):
            texts = strings[column]
            hit |= np.array([needle in str(t).lower() for t in texts], dtype=bool)
        if item.mode is not None:
            hit &= net.edge_mode == EDGE_MODES.index(item.mode)
        if not hit.any():
            self.fail(f"{key}.match", f"no network edge is named like {item.match!r}")
        hit = _with_connectors(net, hit)
        self.status[hit] = STATUSES.index(item.status)
        if item.gauge_mm is not None:
            rail = hit & (net.edge_mode == EDGE_MODES.index("rail")) & (net.edge_gauge_mm > 0)
            if not rail.any():
                self.fail(f"{key}.gauge_mm", f"no rail edge named like {item.match!r}")
            self.gauge[rail] = item.gauge_mm
            self.changes.append(f"gauge of {int(rail.sum())} rail edges → {item.gauge_mm} mm")
        km = float(net.edge_length_km[hit].sum())
        self.changes.append(
            f"{int(hit.sum())} edges ({km:,.0f} km) named like {item.match!r} → {item.status}"
        )


def _with_connectors(net: Network, hit: np.ndarray) -> np.ndarray:
    """Add the builder's connector edges (joins and border crossings made for a line) that
    touch the matched edges and share their non-operational status."""
    strings = np.asarray(net.strings, dtype=object)
    connector = np.array([str(t).startswith("connector:") for t in strings], dtype=bool)
    candidates = connector[net.edge_source] & (net.edge_status != STATUSES.index("operational"))
    out = hit.copy()
    while True:
        nodes = np.union1d(net.edge_u[out], net.edge_v[out])
        more = candidates & ~out & (np.isin(net.edge_u, nodes) | np.isin(net.edge_v, nodes))
        if not more.any():
            return out
        out |= more


def _closure_minus(
    c: dict[str, Any],
    start: dt.date | dt.datetime,
    end: dt.date | dt.datetime | None,
    directions: set[str],
    modes: set[str],
    post_dirs: list[str],
) -> list[dict[str, Any]]:
    """The pieces of closure ``c`` outside [start, end) × directions × modes."""
    c_dirs = set(c.get("directions") or post_dirs)
    c_modes = set(c.get("modes") or ("road", "rail"))
    s1, e1 = _as_start(c["start"]), None if c.get("end") is None else _as_end(c["end"])
    s2, e2 = _as_start(start), None if end is None else _as_end(end)
    in_time = (e2 is None or s1 < e2) and (e1 is None or s2 < e1)
    if not in_time or not (c_dirs & directions) or not (c_modes & modes):
        return [c]
    cid = str(c.get("id") or "closure")
    pieces: list[dict[str, Any]] = []
    if c_dirs - directions:
        pieces.append(
            {**c, "id": f"{cid}-other-directions", "directions": sorted(c_dirs - directions)}
        )
    common = sorted(c_dirs & directions)
    if c_modes - modes:
        pieces.append(
            {
                **c,
                "id": f"{cid}-other-modes",
                "directions": common,
                "modes": sorted(c_modes - modes),
            }
        )
    base = {**c, "directions": common, "modes": sorted(c_modes & modes)}
    if s1 < s2:
        before = {k: v for k, v in base.items() if k not in ("open_ended", "last_confirmed")}
        pieces.append({**before, "id": f"{cid}-before", "end": s2})
    if e2 is not None and (e1 is None or e1 > e2):
        after = {**base, "id": f"{cid}-after", "start": e2}
        if after.get("open_ended") and _day(after.get("last_confirmed", e2)) < _day(e2):
            after["last_confirmed"] = _day(e2)
        pieces.append(after)
    return pieces


def _as_start(x: dt.date | dt.datetime) -> dt.datetime:
    return x if isinstance(x, dt.datetime) else dt.datetime.combine(x, dt.time.min)


def _as_end(x: dt.date | dt.datetime) -> dt.datetime:
    """Exclusive end: a date means the end of that day."""
    if isinstance(x, dt.datetime):
        return x
    return dt.datetime.combine(x, dt.time.min) + dt.timedelta(days=1)


def _day(x: dt.date | dt.datetime) -> dt.date:
    return x.date() if isinstance(x, dt.datetime) else x


def _walk(root: Any, path: str, fail: Any, *, create: bool = False) -> tuple[Any, Any]:
    """(container, key) of a dotted path with ``[i]`` list indices; with ``create`` the last
    key of a table may be new."""
    parts = [p for p in re.split(r"\.(?![^\[]*\])", path) if p]
    node = root
    steps: list[Any] = []
    for part in parts:
        m = re.fullmatch(r"(.+?)((?:\[\d+\])*)", part)
        assert m is not None
        steps.append(m.group(1).strip('"'))
        steps += [int(i) for i in re.findall(r"\[(\d+)\]", m.group(2))]
    for i, step in enumerate(steps):
        last = i == len(steps) - 1
        ok = (isinstance(node, dict) and step in node) or (
            isinstance(node, list) and isinstance(step, int) and step < len(node)
        )
        if not ok and last and create and isinstance(node, dict):
            return node, step
        if not ok:
            known = list(node) if isinstance(node, dict) else []
            fail(f"no key {step!r} in {path!r}{_suggest(str(step), known)}")
        if last:
            return node, step
        node = node[step]
    fail("empty path")
    raise AssertionError  # unreachable: fail raises


def _suggest(key: str, known: Iterable[Any]) -> str:
    import difflib

    close = difflib.get_close_matches(str(key), [str(k) for k in known if k], n=3)
    return f"; did you mean {', '.join(close)}?" if close else ""
