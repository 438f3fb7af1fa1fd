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

from typing import TYPE_CHECKING, Any

from geodata.errors import DataError

if TYPE_CHECKING:
    from corridors.rules import Rules
    from corridors.rules.schema import EmissionFactor, EmissionsFile
    from corridors.shipment import Shipment

__all__ = ["cargo_tonnes", "factor_of", "factors_table", "leg_co2e"]

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


def factor_of(
    mode: str, *, country: str, carrier: str, gauge_mm: int, rules: Rules
) -> tuple[str, EmissionFactor | None]:
    """The factor key and factor of a leg of ``mode`` in ``country`` (a border leg by the
    vehicle crossing: a train where it has a gauge and no truck ``carrier``)."""
    em = _file(rules)
    if mode == "border":
        mode = "rail" if gauge_mm and not carrier else "road"
    if mode in NO_LINEHAUL:
        return mode, None
    key: str
    if mode == "rail":
        key = em.rail_traction.get(country, "rail_diesel")
    elif mode in ("road", "sea", "ferry"):
        key = mode
    else:
        return mode, None
    return key, em.factors[key]


def leg_co2e(
    mode: str,
    *,
    country: str,
    carrier: str,
    gauge_mm: int,
    km: float,
    tonnes: float,
    rules: Rules,
) -> tuple[float, str]:
    """``(co2e_kg, co2e_factor)`` of a leg (see :func:`factor_of`) of ``km`` carrying
    ``tonnes`` (:func:`cargo_tonnes`): ``(0.0, "")`` without line-haul."""
    key, factor = factor_of(mode, country=country, carrier=carrier, gauge_mm=gauge_mm, rules=rules)
    if factor is None:
        return 0.0, ""
    return km * tonnes * factor.value, key


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
