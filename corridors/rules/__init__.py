"""Corridor rules as versioned data: border posts, agreements, carrier rights, tariffs.

The rules live in ``corridors/data/rules/*.toml``; :func:`load_rules` validates them into a
frozen :class:`Rules` object and the functions of :mod:`corridors.rules.query` answer the
questions the cost model asks (is a post open, may this truck run here, which agreements are
in force) and list every figure with its source for auditing (:func:`describe`).
"""

from corridors.rules.load import RULES_FILES, RulesError, clear_cache, load_rules
from corridors.rules.query import (
    AuditRow,
    CarrierDecision,
    CrossingFigures,
    Permission,
    PostClosedError,
    PostStatus,
    agreements_in_force,
    carrier_may_run,
    crossing_figures,
    decide_carrier,
    describe,
    next_opening,
    post_open,
    seasonal_road_open,
    tir_available,
    transloads_at,
)
from corridors.rules.schema import Rules

__all__ = [
    "RULES_FILES",
    "AuditRow",
    "CarrierDecision",
    "CrossingFigures",
    "Permission",
    "PostClosedError",
    "PostStatus",
    "Rules",
    "RulesError",
    "agreements_in_force",
    "carrier_may_run",
    "clear_cache",
    "crossing_figures",
    "decide_carrier",
    "describe",
    "load_rules",
    "next_opening",
    "post_open",
    "seasonal_road_open",
    "tir_available",
    "transloads_at",
]
