"""Greenhouse-gas emissions of a route: distance × tonnes of cargo × a per-mode factor.

The factors (kg CO2e per tonne-km, well-to-wheel, GLEC Framework / ISO 14083 method) and the
cargo weight of a box are rules data (``corridors/data/rules/emissions.toml``), each with
its source or its reasoning as an estimate.  Every leg of a route gets
``co2e_kg = distance_km × tonnes × factor``; the route's total is the sum of its legs.
Border legs use the factor of the vehicle crossing (truck or train); transfer legs
(road–rail lifts, port gates) carry no line-haul emissions, and terminal handling is not
counted.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from geodata.errors import DataError

if TYPE_CHECKING:
    from corridors.planner import Leg
    from corridors.rules import Rules
    from corridors.rules.schema import EmissionFactor, EmissionsFile
    from corridors.shipment import Shipment

__all__ = ["cargo_tonnes", "factor_for", "factors_table", "with_emissions"]

#: Leg modes that carry no line-haul emissions of their own.
NO_LINEHAUL = ("transfer",)


def _file(rules: Rules) -> EmissionsFile:
    if rules.emissions is None:
        raise DataError("the rules have no emissions.toml: emission factors are unavailable")
    return rules.emissions


def cargo_tonnes(shipment: Shipment, rules: Rules) -> float:
    """Tonnes of goods the shipment moves (bulk: its own weight; boxes: emissions.toml)."""
    if shipment.cargo == "bulk":
        return float(shipment.tonnes or 0.0)
    return float(_file(rules).cargo_tonnes[shipment.cargo].value)  # type: ignore[index]


def factor_for(leg: Leg, rules: Rules) -> tuple[str, EmissionFactor | None]:
    """The factor key and factor of a leg (``None`` for legs without line-haul)."""
    em = _file(rules)
    mode = leg.mode
    if mode == "border":
        mode = "rail" if leg.gauge_mm and not leg.carrier else "road"
    if mode in NO_LINEHAUL:
        return mode, None
    key: str
    if mode == "rail":
        key = em.rail_traction.get(leg.country, "rail_diesel")
    elif mode in ("road", "sea", "ferry"):
        key = mode
    else:
        return mode, None
    return key, em.factors[key]


def with_emissions(legs: Iterable[Leg], shipment: Shipment, rules: Rules) -> list[Leg]:
    """Copies of the legs with ``co2e_kg`` and ``co2e_factor`` set."""
    tonnes = cargo_tonnes(shipment, rules)
    out = []
    for leg in legs:
        key, factor = factor_for(leg, rules)
        kg = 0.0 if factor is None else leg.distance_km * tonnes * factor.value
        out.append(dataclasses.replace(leg, co2e_kg=kg, co2e_factor=key if factor else ""))
    return out


def factors_table(rules: Rules) -> dict[str, Any]:
    """The method, factors and cargo weights with their provenance (for ``corridors rules``)."""
    em = _file(rules)
    return {
        "method": em.method,
        "factors": {
            key: {
                "name": f.name,
                "value": f.value,
                "unit": f.unit,
                "year": f.year,
                "estimate": f.estimate,
                "low": f.low,
                "high": f.high,
                "source": f.provenance(),
            }
            for key, f in em.factors.items()
        },
        "cargo_tonnes": {
            box: {"value": q.value, "unit": q.unit, "source": q.provenance()}
            for box, q in em.cargo_tonnes.items()
        },
        "rail_traction": dict(em.rail_traction),
    }
