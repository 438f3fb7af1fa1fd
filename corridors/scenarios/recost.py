"""Re-cost only what a scenario changes, when it changes only border-post figures or road rates.

Rebuilding a cost model for every scenario of a sweep costs seconds; most sweep parameters
(a post's hours or cost, a road rate factor) change a few hundred arcs.  When the rules of a
scenario differ from its base's only in

- ``border_posts.toml`` ``posts.<key>.directions.<dir>.hours`` / ``.cost``, and
- ``linehaul.toml`` ``road.<ISO3>.cost_per_truck_km``

(plus new source entries), and the network and TIR default are the base's, the scenario's
cost models are the base planner's models with those arcs re-costed:

- a border arc's cost and hours move by the change of the post's crossing figures
  (:func:`corridors.rules.query.crossing_figures`, same carrier, date and regime);
- a road line-haul arc's cost is scaled by the new rate over the old.

Everything else (states, arcs, notes but the changed ones) is shared with the base model.
The result equals a full rebuild (tested to 1e-9 on whole routes and bills).
"""

from __future__ import annotations

import copy
import logging
import re
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np

from corridors.costing import CostModel
from corridors.planner import Avoid, Planner
from corridors.rules.query import crossing_figures
from corridors.rules.schema import Rules
from corridors.shipment import Shipment

__all__ = [
    "NoteChanges",
    "RecostedPlanner",
    "RulesDelta",
    "derived_planner",
    "note_changes",
    "recost",
    "rules_delta",
]

log = logging.getLogger(__name__)

_POST_FIGURE = re.compile(
    r"border_posts\.toml/posts/([^/]+)/directions/([^/]+)/(hours|cost)(/.*)?$"
)
_ROAD_RATE = re.compile(r"linehaul\.toml/road/([A-Z]{3})/cost_per_truck_km(/.*)?$")
_SOURCES = re.compile(r"sources\.toml/sources/[^/]+(/.*)?$")


@dataclass(frozen=True)
class RulesDelta:
    """What changed between two rule sets, when it can be re-costed in place."""

    posts: frozenset[str]
    road: frozenset[str]

    @property
    def empty(self) -> bool:
        return not self.posts and not self.road


def rules_delta(old: dict[str, Any], new: dict[str, Any]) -> RulesDelta | None:
    """The posts and road countries whose figures differ between two raw rule sets, or None
    when anything else differs (then a full rebuild is needed)."""
    posts: set[str] = set()
    road: set[str] = set()
    for path in _diff(old, new, ""):
        if m := _POST_FIGURE.match(path):
            posts.add(m.group(1))
        elif m := _ROAD_RATE.match(path):
            road.add(m.group(1))
        elif not _SOURCES.match(path):
            return None
    return RulesDelta(frozenset(posts), frozenset(road))


def _diff(a: Any, b: Any, path: str) -> list[str]:
    if a is b:  # a file a scenario left untouched is the base's very object
        return []
    if isinstance(a, dict) and isinstance(b, dict):
        out: list[str] = []
        for k in set(a) | set(b):
            here = f"{path}/{k}" if path else str(k)
            if k not in a or k not in b:
                out.append(here)
            else:
                out += _diff(a[k], b[k], here)
        return out
    return [] if a == b else [path]


@dataclass(frozen=True)
class NoteChanges:
    """Per-note changes of a re-costed model, indexed by note id; the last slot stands for
    arcs without a note (``info == -1``) and never changes.

    An arc's new cost is ``cost * factor[note] + d_cost[note]``, its new hours
    ``hours + d_hours[note]``.
    """

    factor: np.ndarray
    d_cost: np.ndarray
    d_hours: np.ndarray
    notes: tuple[dict[str, Any], ...]

    def arc_slot(self, info: np.ndarray) -> np.ndarray:
        """The slot of each arc (its note, or the last slot for arcs without one)."""
        return np.where(info >= 0, info, len(self.factor) - 1)

    def columns(self, model: Any, arcs: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """New cost and hours of ``arcs`` of ``model`` (all arcs by default)."""
        a = model.arcs
        if arcs is None:
            cost, hours, info = a["cost"], a["hours"], a["info"]
        else:
            cost, hours, info = a["cost"][arcs], a["hours"][arcs], a["info"][arcs]
        slot = self.arc_slot(info)
        return cost * self.factor[slot] + self.d_cost[slot], hours + self.d_hours[slot]


def note_changes(model: Any, rules: Rules, delta: RulesDelta) -> NoteChanges:
    """How ``delta`` changes ``model``'s notes under ``rules`` (see :class:`NoteChanges`);
    the arguments are those of :func:`recost`."""
    notes = list(model.notes)
    sh = model.shipment
    n = len(notes) + 1
    factor = np.ones(n)
    d_cost = np.zeros(n)
    d_hours = np.zeros(n)
    for nid, parts in _relevant_notes(model, delta):
        if parts[0] == "road":
            old_q, new_q = notes[nid]["rate"], rules.linehaul.road[parts[1]].cost_per_truck_km
            factor[nid] = new_q.value / old_q.value
            notes[nid] = {**notes[nid], "rate": new_q}
        else:
            old = notes[nid].get("figures")
            if old is None:
                continue
            carrier = None if parts[3] == "None" else parts[3]
            new = crossing_figures(
                parts[1], parts[2], sh.departure, carrier=carrier, tir=sh.tir, rules=rules
            )
            d_cost[nid] = new.cost_usd - old.cost_usd
            d_hours[nid] = new.hours - old.hours
            notes[nid] = {**notes[nid], "figures": new}
    return NoteChanges(factor, d_cost, d_hours, tuple(notes))


def _relevant_notes(model: Any, delta: RulesDelta) -> list[tuple[int, list[str]]]:
    """The notes of ``model`` that ``delta`` may change: road-rate notes of its countries
    and border notes of its posts (note id, key split on ``:``); kept on the model per
    delta, as a sweep asks the same again for every value."""
    cache: dict[RulesDelta, list[tuple[int, list[str]]]] = model.__dict__.setdefault(
        "_relevant_notes", {}
    )
    if delta not in cache:
        cache[delta] = _find_relevant_notes(model, delta)
    return cache[delta]


def _find_relevant_notes(model: Any, delta: RulesDelta) -> list[tuple[int, list[str]]]:
    out = []
    for key, nid in model._note_ids.items():
        parts = key.split(":")
        if (parts[0] == "road" and parts[1] in delta.road) or (
            parts[0] == "border" and len(parts) == 4 and parts[1] in delta.posts
        ):
            out.append((nid, parts))
    return out


def recost(model: Any, rules: Rules, delta: RulesDelta) -> Any:
    """A copy of ``model`` under ``rules`` with the arcs of ``delta`` re-costed.

    Parameters
    ----------
    model
        A :class:`corridors.costing.CostModel` of the base rules.
    rules
        The scenario's rules.
    delta
        What differs (:func:`rules_delta`).
    """
    m = copy.copy(model)
    m.__dict__ = {
        k: v for k, v in model.__dict__.items() if k not in ("searchable", "_crossing_cache")
    }
    m.rules = rules
    m.base_model = model  # lets Planner.graph() reuse the base graph's structure
    ch = note_changes(model, rules, delta)
    cost, hours = ch.columns(model)
    changed = int(np.count_nonzero((ch.factor != 1.0) | (ch.d_cost != 0.0) | (ch.d_hours != 0.0)))
    m.arcs = {**model.arcs, "cost": cost, "hours": hours}
    m.notes = list(ch.notes)
    log.debug("re-costed the arcs of %d note(s) of %d arcs", changed, len(cost))
    return m


class RecostedPlanner(Planner):
    """A planner sharing ``base``'s network, places and caches, whose cost models are
    ``base``'s re-costed for ``rules`` (built lazily, one per shipment and options)."""

    def __init__(self, base: Planner, rules: Rules, delta: RulesDelta) -> None:
        self.__dict__.update(base.__dict__)  # network, places, name caches: all shared
        self.rules = rules
        self.base = base
        self.delta = delta
        self._models = OrderedDict()

    def model(
        self,
        shipment: Shipment,
        modes: frozenset[str],
        include_planned: bool,
        avoid: Avoid | None = None,
    ) -> CostModel:
        """The base planner's model for these options, re-costed (cached)."""
        key = (shipment, modes, include_planned, avoid or Avoid())
        if key not in self._models:
            base_model = self.base.model(shipment, modes, include_planned, avoid)
            self._models[key] = recost(base_model, self.rules, self.delta)
        return self._models[key]


def derived_planner(base: Planner, rules: Rules, delta: RulesDelta) -> RecostedPlanner:
    """A planner whose cost models are ``base``'s, re-costed for ``rules`` (lazily)."""
    return RecostedPlanner(base, rules, delta)
