"""``corridors assign``: the yearly demand assigned with capacity effects at border posts.

Also holds the printer of ``corridors rules --emissions``.  Exit codes as for every command:
0 ok, 2 bad input, 3 data error (an unusable demand or rules file).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from corridors.cli._common import cli, file_option, friendly, writable

__all__ = ["assign_cmd", "print_emissions"]


@cli.command("assign")
@click.option("--date", "date_text", help="Date whose rules apply, YYYY-MM-DD (default: today).")
@click.option("--avoid", default="", help="Comma-separated border posts, countries or places.")
@file_option(
    "--demand",
    "demand_file",
    "A demand table like corridors/data/demand.toml (default: the shipped one).",
)
@click.option("--k", "k", type=int, default=None, help="Candidate routes per OD (default 6).")
@click.option("--gap", type=float, default=None, help="Relative gap to reach (default 1e-4).")
@click.option("--max-iter", type=int, default=None, help="Iteration limit (default 500).")
@click.option("--json", "as_json", is_flag=True, help="Print the whole assignment as JSON.")
@click.option(
    "--csv",
    "csv_table",
    type=click.Choice(["posts", "ods"]),
    help="Print one table as CSV: posts or ods.",
)
@file_option(
    "--map", "map_file", "Write an offline HTML map of the flows and the posts' utilisation."
)
@friendly
def assign_cmd(
    date_text: str | None,
    avoid: str,
    demand_file: Path | None,
    k: int | None,
    gap: float | None,
    max_iter: int | None,
    as_json: bool,
    csv_table: str | None,
    map_file: Path | None,
) -> None:
    """Assign the yearly Pakistan–Central Asia demand over the corridors with capacities.

    Each flow of the demand table chooses among its best routes; a border post's crossing
    time grows as it fills (capacity.toml's queueing delay, HCM, on its capacities), so
    traffic spills to the next-best crossing.  Prints per post the trucks per day,
    capacity, utilisation and added waiting, per OD the routes' shares, and the system's
    cost, waiting and CO2e.
    """
    from corridors.assign import DEFAULT_GAP, DEFAULT_K, DEFAULT_MAX_ITER, assign
    from corridors.demand import load_demand
    from corridors.planner import Planner
    from corridors.shipment import Shipment
    from geodata.errors import InvalidInputError

    if as_json and csv_table:
        raise InvalidInputError("use either --json or --csv, not both")
    if map_file is not None:
        writable(map_file)
    day = Shipment.parse_date(date_text) if date_text else None
    demand = load_demand(demand_file)
    planner = Planner()
    result = assign(
        planner,
        demand,
        departure=day,
        avoid=[a.strip() for a in avoid.split(",") if a.strip()],
        k=DEFAULT_K if k is None else k,
        gap=DEFAULT_GAP if gap is None else gap,
        max_iter=DEFAULT_MAX_ITER if max_iter is None else max_iter,
    )
    data = result.to_dict()
    if map_file is not None:
        from maps.flow_map import flow_map

        flow_map(data).save(map_file)
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, default=str))
    elif csv_table:
        click.echo(result.to_csv(csv_table), nl=False)
    else:
        _print(data)
    if map_file is not None and not as_json and not csv_table:
        click.echo(f"map written to {map_file}")


def _print(data: dict[str, Any]) -> None:
    s, t = data["settings"], data["totals"]
    avoid = f", avoiding {', '.join(s['avoid'])}" if s["avoid"] else ""
    click.echo(
        f"Assignment on {s['departure']}{avoid}: {t['trucks_per_day_assigned']:,.1f} trucks/day "
        f"({'converged' if t['converged'] else 'NOT converged'}: relative gap "
        f"{t['relative_gap']:.1e} after {t['iterations']} iterations)"
    )
    click.echo(
        f"  system: USD {t['system_cost_usd_per_year'] / 1e6:,.1f} M/yr "
        f"(generalized {t['system_generalized_cost_usd_per_year'] / 1e6:,.1f} M), waiting "
        f"{t['waiting_truck_hours_per_year']:,.0f} truck-h/yr, CO2e "
        f"{t['co2e_t_per_year']:,.0f} t/yr"
    )
    if t["trucks_per_day_unserved"]:
        click.echo(f"  unserved: {t['trucks_per_day_unserved']:,.1f} trucks/day (no route)")
    click.echo(f"  delay: {s['delay_function']}")
    click.echo("  border posts:")
    click.echo(f"    {'post':<40} {'trucks/d':>9} {'capacity':>14} {'util':>6} {'+wait h':>8}")
    for p in data["posts"]:
        if p["trucks_per_day"] <= 0:
            continue
        cap = (
            f"{p['capacity_per_day']:,.0f} {'t/d' if p['capacity_unit'] == 't/day' else 'tr/d'}"
            if p["capacity_per_day"]
            else "none"
        )
        util = f"{p['utilisation']:.0%}" if p["utilisation"] is not None else "-"
        name = f"{p['name']} ({p['mode']})" if p["mode"] != "road" else p["name"]
        click.echo(
            f"    {name[:40]:<40} {p['trucks_per_day']:>9,.1f} {cap:>14} {util:>6} "
            f"{p['added_wait_hours']:>8.1f}"
        )
    click.echo("  flows:")
    for od in data["ods"]:
        head = (
            f"    {od['od']:<16} {od['origin']} → {od['destination']}: "
            f"{od['trucks_per_day']:,.1f} trucks/day"
        )
        if not od["routes"]:
            click.echo(f"{head}; UNSERVED: {od.get('unserved_reason', '')}")
            continue
        click.echo(f"{head}, {od['mean_hours']:,.0f} h, USD {od['mean_generalized_usd']:,.0f}")
        for r in od["routes"]:
            if r["share"] <= 0:
                continue
            click.echo(
                f"      {r['share']:>5.0%} via {', '.join(r['posts']) or '(no border)'}"
                f" (+{r['added_wait_hours']:.1f} h wait)"
            )


def print_emissions(as_json: bool) -> None:
    """Print the emission factors with their sources (``corridors rules --emissions``)."""
    from corridors.emissions import factors_table
    from corridors.rules import load_rules

    table = factors_table(load_rules())
    if as_json:
        click.echo(json.dumps(table, ensure_ascii=False, default=str))
        return
    click.echo(f"Emission factors: {table['method']}")
    click.echo("  CO2e of a leg = distance_km × tonnes of cargo × factor; route = sum of legs")
    for key, f in table["factors"].items():
        year = f" ({f['year']})" if f["year"] else ""
        flag = " [estimate]" if f["estimate"] else ""
        click.echo(f"{key}: {f['value']} {f['unit']}{year}{flag} — {f['name']}")
        click.echo(f"    source: {f['source']}")
    for box, q in table["cargo_tonnes"].items():
        click.echo(f"cargo {box}: {q['value']} {q['unit']}")
        click.echo(f"    source: {q['source']}")
    traction = ", ".join(f"{c}: {v}" for c, v in table["rail_traction"].items()) or "none"
    click.echo(f"electric rail countries: {traction} (other rail: rail_diesel)")
