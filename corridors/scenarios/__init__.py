"""What-if scenarios: named overrides of the rules and the network, compared side by side.

>>> from corridors.scenarios import compare                       # doctest: +SKIP
>>> c = compare("baseline", "tarp-open", [("Tashkent", "Karachi")])
>>> c.rows[0]["delta"]["cost_usd"]
"""

from corridors.scenarios.apply import Applied, apply_scenario, scenario_planner
from corridors.scenarios.compare import Comparison, compare, default_pairs
from corridors.scenarios.load import (
    Scenario,
    ScenarioError,
    list_scenarios,
    load_scenario,
    scenario_names,
)

__all__ = [
    "Applied",
    "Comparison",
    "Scenario",
    "ScenarioError",
    "apply_scenario",
    "compare",
    "default_pairs",
    "list_scenarios",
    "load_scenario",
    "scenario_names",
    "scenario_planner",
]
