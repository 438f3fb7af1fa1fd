"""Scenario commands: ``scenarios`` (list / show), ``compare`` and ``sweep``."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import sys
from pathlib import Path
from typing import Any

import click

from corridors.cli._common import cli, file_option, friendly, writable
from geodata.errors import InvalidInputError

OBJECTIVES = ["cost", "time", "generalized", "distance"]


def _date(text: str | None) -> dt.date | None:
    if text is None:
        return None
    from corridors.shipment import Shipment

    return Shipment.parse_date(text)


_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")


def _split(text: str) -> list[str]:
    """Comma-separated places; a ``lat,lon`` pair stays one place."""
    parts = [x.strip() for x in text.split(",") if x.strip()]
    out: list[str] = []
    i = 0
    while i < len(parts):
        if i + 1 < len(parts) and _NUMBER.match(parts[i]) and _NUMBER.match(parts[i + 1]):
            out.append(f"{parts[i]},{parts[i + 1]}")
            i += 2
        else:
            out.append(parts[i])
            i += 1
    return out


def read_od_file(path: Path) -> list[tuple[str, str]]:
    """OD pairs from a CSV file with ``origin`` and ``destination`` columns."""
    if path.is_dir():
        raise InvalidInputError(f"{path} is a folder, not a CSV file")
    if not path.is_file():
        raise InvalidInputError(f"OD file not found: {path}")
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:  # -sig: Excel's BOM
            reader = csv.DictReader(fh)
            reader.fieldnames = [f.strip().lower() for f in reader.fieldnames or []]
            fields = reader.fieldnames
            if "origin" not in fields or "destination" not in fields:
                raise InvalidInputError(
                    f"{path}: needs a header with 'origin' and 'destination' columns "
                    f"(found: {', '.join(fields) or 'none'})"
                )
            pairs = []
            for i, row in enumerate(reader, start=2):
                o, d = (row.get("origin") or "").strip(), (row.get("destination") or "").strip()
                if not o or not d:
                    raise InvalidInputError(f"{path}: line {i}: empty origin or destination")
                pairs.append((o, d))
    except UnicodeDecodeError:
        raise InvalidInputError(f"{path}: not a UTF-8 text file") from None
    if not pairs:
        raise InvalidInputError(f"{path}: no OD pairs")
    return pairs


def _pairs(od_file: Path | None, origins: str | None, destinations: str | None) -> Any:
    if od_file is not None and (origins or destinations):
        raise InvalidInputError("give --od FILE or --from/--to, not both")
    if od_file is not None:
        return read_od_file(od_file)
    if bool(origins) != bool(destinations):
        raise InvalidInputError("--from and --to go together")
    if origins and destinations:
        return [(o, d) for o in _split(origins) for d in _split(destinations)]
    return None


class _Progress:
    """A progress bar on stderr when it is a terminal (silent otherwise, e.g. in pipes)."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.bar: Any = None

    def __call__(self, done: int, total: int) -> None:
        if not sys.stderr.isatty():
            return
        if self.bar is None:
            self.bar = click.progressbar(length=total, label=self.label, file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(1)
        if done == total:
            self.bar.__exit__(None, None, None)
            self.bar = None


def _od_options(func: Any) -> Any:
    """The OD-pair, date and carrier options shared by compare and sweep."""
    options = [
        click.option(
            "--od",
            "od_file",
            type=click.Path(dir_okay=False, path_type=Path),
            help="CSV of OD pairs (columns origin, destination).",
        ),
        click.option("--from", "origins", help="Comma-separated origins (with --to: every pair)."),
        click.option(
            "--to", "destinations", help="Comma-separated destinations (port:PAK, port:* too)."
        ),
        click.option("--date", "date_text", help="Departure date YYYY-MM-DD (default: today)."),
        click.option("--carrier", help="Truck nationality ISO3 (default: the origin's)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@cli.group("scenarios", invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@friendly
def scenarios(ctx: click.Context, as_json: bool) -> None:
    """List the shipped what-if scenarios (or `scenarios show NAME`)."""
    if ctx.invoked_subcommand is not None:
        return
    from corridors.scenarios import list_scenarios

    found = list_scenarios()
    if as_json:
        click.echo(json.dumps([s.to_dict() for s in found], ensure_ascii=False))
        return
    for s in found:
        base = f" (extends {s.extends})" if s.extends else ""
        click.echo(f"{s.name:26} {s.title}{base}")


@scenarios.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@friendly
def scenarios_show(name: str, as_json: bool) -> None:
    """Describe scenario NAME (a shipped name or a .toml path) and what it changes."""
    from corridors.scenarios import apply_scenario, load_scenario

    sc = load_scenario(name)
    applied = apply_scenario(sc)
    data = {**sc.to_dict(), "changes": list(applied.changes), "rules_hash": applied.rules_hash}
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False))
        return
    click.echo(f"{sc.name}: {sc.title}")
    click.echo(click.wrap_text(sc.description, 96, initial_indent="  ", subsequent_indent="  "))
    click.echo(f"  extends: {sc.extends or '-'} · hash {sc.hash[:16]} · from {sc.origin[-1]}")
    for line in applied.changes or ["(no changes: the shipped rules and network)"]:
        click.echo(f"  - {line}")


@cli.command()
@click.argument("scenario_a")
@click.argument("scenario_b")
@_od_options
@click.option("--objective", type=click.Choice(OBJECTIVES), default="cost", show_default=True)
@click.option("--cargo", type=click.Choice(["20ft", "40ft"]), default="20ft", show_default=True)
@click.option("--draws", type=click.IntRange(0, 100_000), default=1000, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV (one line per pair).")
@file_option("--map", "map_file", "Write an offline HTML comparison map.")
@click.option(
    "--assign",
    "with_assign",
    is_flag=True,
    help="Also assign the demand table under both scenarios with capacity effects.",
)
@friendly
def compare(
    scenario_a: str,
    scenario_b: str,
    od_file: Path | None,
    origins: str | None,
    destinations: str | None,
    date_text: str | None,
    carrier: str | None,
    objective: str,
    cargo: str,
    draws: int,
    seed: int,
    as_json: bool,
    as_csv: bool,
    map_file: Path | None,
    with_assign: bool,
) -> None:
    """Compare SCENARIO_A and SCENARIO_B on OD pairs: cost, time, P90, port, posts, deltas.

    Without --od or --from/--to the pairs are those of the demand table (each CAR's main
    city to and from Karachi), and the yearly totals weight the deltas by its TEU per year.
    """
    from corridors.scenarios import compare as run

    if as_json and as_csv:
        raise InvalidInputError("give --json or --csv, not both")
    if map_file is not None:
        writable(map_file)
    if carrier is not None and not (len(carrier) == 3 and carrier.isalpha()):
        raise InvalidInputError(f"bad carrier {carrier!r}: use an ISO3 code such as UZB")
    pairs = _pairs(od_file, origins, destinations)
    result = run(
        scenario_a,
        scenario_b,
        pairs,
        departure=_date(date_text),
        carrier=carrier.upper() if carrier else None,
        objective=objective,
        cargo=cargo,
        draws=draws,
        seed=seed,
        progress=_Progress("pairs"),
    )
    if map_file is not None:
        result.map().save(str(map_file))
    system = None
    if with_assign:
        from corridors.scenarios.compare import compare_assignments

        system = compare_assignments(scenario_a, scenario_b, departure=_date(date_text))
    if as_json:
        data = result.to_dict()
        if system is not None:
            data["assignment"] = system
        click.echo(json.dumps(data, ensure_ascii=False))
    elif as_csv:
        click.echo(result.to_csv(), nl=False)
    else:
        _print_comparison(result)
        if system is not None:
            _print_assignment(system)
    if map_file is not None and not as_json and not as_csv:
        click.echo(f"map written to {map_file}")


def _fmt(v: Any, unit: str = "") -> str:
    if v is None:
        return "—"
    return f"{v:,.0f}{unit}"


def _signed(v: Any, unit: str = "") -> str:
    if v is None:
        return ""
    return f"{v:+,.0f}{unit}"


def _pair(row: dict[str, Any], key: str, fmt: str) -> str:
    va, vb = row.get(f"{key}_a"), row.get(f"{key}_b")
    left = "—" if va is None else format(va, fmt)
    right = "—" if vb is None else format(vb, fmt)
    return f"{left} → {right}"


def _print_assignment(system: dict[str, Any]) -> None:
    a, b = system["scenarios"]["a"], system["scenarios"]["b"]
    click.echo(f"\nsystem: the demand table assigned with capacity effects, {a} → {b}")
    click.echo(f"  {'post':28} {'trucks/day':>17} {'utilisation':>15} {'added wait h':>15}")
    for p in system["posts"]:
        if not (p.get("trucks_per_day_a") or p.get("trucks_per_day_b")):
            continue

        click.echo(
            f"  {p['name'][:28]:28} {_pair(p, 'trucks_per_day', '.1f'):>17}"
            f" {_pair(p, 'utilisation', '.0%'):>15} {_pair(p, 'added_wait_hours', '.1f'):>15}"
        )
    for k, v in system["totals"].items():
        if k in ("iterations", "relative_gap"):
            continue
        click.echo(f"  {k.replace('_', ' ')}: {v['a']:,} → {v['b']:,} ({v['delta']:+,})")


def _print_comparison(result: Any) -> None:
    a, b = result.a.scenario.name, result.b.scenario.name
    s = result.settings
    click.echo(
        f"{a} → {b} · departing {s['departure']} · objective {s['objective']} · {s['cargo']}"
    )
    for name, applied in ((a, result.a), (b, result.b)):
        for line in applied.changes:
            click.echo(f"  {name}: {line}")
    for r in result.rows:
        fa, fb, dl = r["a"] or {}, r["b"] or {}, r["delta"]
        click.echo(f"\n{r['origin']} → {r['destination']}")
        for name, fig, why in ((a, fa, r["reason_a"]), (b, fb, r["reason_b"])):
            if not fig:
                click.echo(f"  {name:24} no route: {why}")
                continue
            port = f" · port {fig['port']}" if fig.get("port") else ""
            click.echo(
                f"  {name:24} USD {_fmt(fig['cost_usd'])}, {_fmt(fig['hours'], ' h')} "
                f"(P90 {_fmt(fig['p90_hours'], ' h')}), {_fmt(fig['distance_km'], ' km')}, "
                f"{_fmt(fig.get('co2e_kg'), ' kg CO2e')}{port}"
                f" · via {', '.join(fig['border_posts']) or '-'}"
            )
        if dl:
            click.echo(
                f"  {'Δ':24} USD {_signed(dl.get('cost_usd'))}, {_signed(dl.get('hours'), ' h')}"
                f" (P90 {_signed(dl.get('p90_hours'), ' h')}), "
                f"{_signed(dl.get('distance_km'), ' km')}, {_signed(dl.get('co2e_kg'), ' kg CO2e')}"
            )
        if r["route_changed"] and r["changed_legs"]:
            shown = r["changed_legs"][:6]
            more = len(r["changed_legs"]) - len(shown)
            click.echo("  route change: " + "; ".join(shown) + (f"; … {more} more" if more else ""))
        if "yearly_delta_cost_usd" in r:
            click.echo(
                f"  yearly ({r['teu_per_year']:,.0f} TEU/yr): USD "
                f"{r['yearly_delta_cost_usd']:+,.0f}, {r['yearly_delta_teu_days']:+,.0f} TEU-days"
            )
    t = result.totals
    click.echo(
        f"\ntotal over {t['pairs_weighted']} weighted pair(s), {t['teu_per_year_weighted']:,.0f}"
        f" TEU/yr: USD {t['yearly_delta_cost_usd']:+,.0f} per year, "
        f"{t['yearly_delta_teu_days']:+,.0f} TEU-days per year; "
        f"{t['pairs_route_changed']} of {t['pairs']} route(s) changed"
        + (
            f"; {t['teu_per_year_without_route_in_b']:,.0f} TEU/yr without a route under {b}"
            if t["teu_per_year_without_route_in_b"]
            else ""
        )
    )


@cli.command()
@click.option(
    "--param",
    "params",
    multiple=True,
    required=True,
    help="PARAMETER=RANGE, e.g. post:torkham.hours=0:120:13 or tariff:road=1:1.5:6 "
    "(once or twice).",
)
@_od_options
@click.option("--base", default="baseline", show_default=True, help="Scenario to vary.")
@click.option(
    "--objective", type=click.Choice(OBJECTIVES), default="generalized", show_default=True
)
@click.option(
    "--workers", type=click.IntRange(1, 256), help="Local processes (default: all cores)."
)
@click.option("--scheduler", help="Dask scheduler address, e.g. tcp://10.0.0.5:8786.")
@click.option(
    "--batch/--no-batch",
    default=None,
    help="Route the whole grid at once with the parametric certificate (default: for grids "
    "of 64 values or more without --scheduler), or value by value.",
)
@click.option(
    "--bisect",
    "bisect_steps",
    type=click.IntRange(0, 30),
    default=8,
    show_default=True,
    help="Bisection steps at each switch (0: grid only).",
)
@file_option("--plot", "plot_file", "Write a plot (.png or .svg).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV.")
@friendly
def sweep(
    params: tuple[str, ...],
    od_file: Path | None,
    origins: str | None,
    destinations: str | None,
    base: str,
    date_text: str | None,
    carrier: str | None,
    objective: str,
    workers: int | None,
    scheduler: str | None,
    batch: bool | None,
    bisect_steps: int,
    plot_file: Path | None,
    as_json: bool,
    as_csv: bool,
) -> None:
    """Vary one or two scenario parameters and find where the preferred route switches.

    Parameters: post:KEY.hours, post:KEY.cost, post:KEY[AFG->PAK].hours (absolute values),
    tariff:MODE or tariff:MODE.ISO3 (a factor on line-haul rates), set:FILE.toml:PATH.
    Ranges: START:STOP:N or a,b,c.
    """
    from corridors.scenarios.sweep import sweep as run

    if as_json and as_csv:
        raise InvalidInputError("give --json or --csv, not both")
    if plot_file is not None:
        writable(plot_file)
        if plot_file.suffix.lower() not in (".png", ".svg"):
            raise InvalidInputError(f"--plot: use a .png or .svg file name, not {plot_file.name}")
    if len(params) > 2:
        raise InvalidInputError("sweep one or two parameters (--param at most twice)")
    parsed = []
    for p in params:
        name, sep, rng = p.partition("=")
        if not sep or not rng.strip():
            raise InvalidInputError(f"bad --param {p!r}: use PARAMETER=RANGE")
        parsed.append((name.strip(), rng.strip()))
    pairs = _pairs(od_file, origins, destinations)
    if pairs is None:
        raise InvalidInputError("give the OD pairs: --from/--to or --od FILE")
    if scheduler is not None and not scheduler.startswith(("tcp://", "tls://", "inproc://")):
        raise InvalidInputError(f"bad --scheduler {scheduler!r}: use tcp://HOST:PORT")
    result = run(
        parsed,
        pairs,
        base=base,
        departure=_date(date_text),
        objective=objective,
        carrier=carrier.upper() if carrier else None,
        workers=workers,
        scheduler=scheduler,
        refine=bisect_steps > 0,
        bisect_steps=bisect_steps,
        progress=_Progress("runs"),
        batch=batch,
    )
    if plot_file is not None:
        result.plot(str(plot_file))
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False))
        return
    if as_csv:
        click.echo(result.to_csv(), nl=False)
        return
    names = [p.text for p in result.parameters]
    click.echo(f"sweep of {', '.join(names)} on {base} ({result.settings['runs']} runs)")
    for r in result.rows:
        vals = ", ".join(f"{v:g}" for v in r["values"])
        fig = r.get("generalized_cost_usd")
        money = f"USD {fig:,.0f} generalized, {r['hours']:,.0f} h" if fig is not None else ""
        click.echo(f"  {vals:>14}  {r['origin']} → {r['destination']}: {r['choice']}  {money}")
    for s in result.switches:
        fixed = "".join(f", {k}={v:g}" for k, v in s.get("fixed", {}).items())
        click.echo(
            f"switch for {s['origin']} → {s['destination']} at {s['parameter']} ≈ {s['at']:.4g}"
            f" (between {s['low']:.4g} and {s['high']:.4g}{fixed}): "
            f"{s['below']} → {s['above']}"
        )
    if not result.switches:
        click.echo("no switch in the range")
    if plot_file is not None:
        click.echo(f"plot written to {plot_file}")
