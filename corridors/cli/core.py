"""The everyday commands: route, places, matrix, rules, validate and network."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from corridors.cli._common import (
    backhaul_option,
    cli,
    console,
    file_option,
    friendly,
    is_quiet,
    print_table,
    progress,
    writable,
)
from geodata.errors import InvalidInputError


@cli.command()
@click.argument("origin")
@click.argument("destination")
@click.option(
    "--objective",
    type=click.Choice(["cost", "time", "generalized", "distance"]),
    default="cost",
    show_default=True,
    help="What to minimise: USD, hours, USD + value of time, or km.",
)
@click.option(
    "--modes",
    default="road,rail,ferry,sea",
    show_default=True,
    help="Comma-separated modes the route may use.",
)
@click.option("--planned", is_flag=True, help="Also use planned / under-construction lines.")
@click.option(
    "--cargo",
    type=click.Choice(["20ft", "40ft", "bulk"]),
    default="20ft",
    show_default=True,
    help="Cargo unit.",
)
@click.option("--tonnes", type=float, help="Weight of bulk cargo, t.")
@click.option("--value", "value_usd", type=float, help="Cargo value, USD.")
@click.option(
    "--carrier", help="ISO3 country where the truck is registered (default: the origin's country)."
)
@click.option("--date", "date_text", help="Departure date YYYY-MM-DD (default: today).")
@click.option("--tir/--no-tir", default=True, show_default=True, help="Move under a TIR carnet.")
@backhaul_option
@click.option("--vot", type=float, help="Value of time, % of cargo value per day.")
@click.option(
    "--deadline",
    "deadline_text",
    help="Arrival deadline YYYY-MM-DD: report the probability of meeting it.",
)
@click.option(
    "--avoid", default="", help="Comma-separated countries (ISO3), border posts or places to avoid."
)
@click.option("--via", default="", help="Comma-separated places the route must pass, in order.")
@click.option(
    "--alternatives",
    "k",
    type=int,
    default=1,
    show_default=True,
    help="Also find up to K-1 genuinely different alternatives (1-20).",
)
@click.option(
    "--pareto", is_flag=True, help="All routes not beaten on both cost and time (a Pareto front)."
)
@click.option(
    "--max-transshipments",
    "max_transshipments",
    metavar="N",
    help="At most N transloads, gauge changes, road-rail lifts and port handlings (exact).",
)
@click.option(
    "--regime",
    metavar="tir",
    help="'tir': only routes whose every border crossing is legal under TIR on the date.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the route as JSON.")
@click.option(
    "--csv", "as_csv", is_flag=True, help="Print the bill as CSV (one row per item and route)."
)
@file_option("--map", "map_file", "Write an HTML map of the route to this file.")
@file_option(
    "--gpkg",
    "gpkg_file",
    "Write the legs (EPSG:4326, one layer 'legs', column 'route') to this GeoPackage.",
)
@file_option("--network", "network_file", "Route on this network file instead of the embedded one.")
@friendly
def route(
    origin: str,
    destination: str,
    objective: str,
    modes: str,
    planned: bool,
    cargo: str,
    tonnes: float | None,
    value_usd: float | None,
    carrier: str | None,
    date_text: str | None,
    tir: bool,
    backhaul: bool,
    vot: float | None,
    deadline_text: str | None,
    avoid: str,
    via: str,
    k: int,
    pareto: bool,
    max_transshipments: str | None,
    regime: str | None,
    as_json: bool,
    as_csv: bool,
    map_file: Path | None,
    gpkg_file: Path | None,
    network_file: Path | None,
) -> None:
    """Find the best route from ORIGIN to DESTINATION, with its itemised bill.

    Places are names (any common spelling), UN/LOCODEs (PKKHI) or 'lat,lon'; the
    destination may also be port:ISO3 (any sea port of a country, e.g. port:PAK) or port:*
    (any sea port), and the best port is chosen on the whole trip.
    """
    import datetime as dt

    from corridors.planner import Planner
    from corridors.shipment import Shipment, shipment_defaults
    from geodata.network import load_network
    from routing.alternatives import MAX_ALTERNATIVES

    if as_json and as_csv:
        raise InvalidInputError("choose one of --json and --csv")
    if not 1 <= k <= MAX_ALTERNATIVES:  # before any work
        raise InvalidInputError(f"--alternatives must be from 1 to {MAX_ALTERNATIVES}, not {k}")
    from corridors.planner import MAX_TRANSSHIPMENTS

    max_tr = None
    if max_transshipments is not None:
        text = max_transshipments.strip()
        if not text.isdigit() or int(text) > MAX_TRANSSHIPMENTS:
            raise InvalidInputError(
                f"--max-transshipments must be an integer from 0 to {MAX_TRANSSHIPMENTS}, "
                f"not {max_transshipments!r}"
            )
        max_tr = int(text)
    if regime is not None and regime.strip().lower() != "tir":
        raise InvalidInputError(f"unknown --regime {regime!r}; the only one is tir")
    if regime is not None and not tir:
        raise InvalidInputError("--regime tir needs a shipment under TIR (drop --no-tir)")
    if pareto and (max_tr is not None or regime is not None):
        raise InvalidInputError("--pareto cannot be combined with --max-transshipments or --regime")
    for out in (map_file, gpkg_file):
        if out is not None:
            writable(out)
    departure = Shipment.parse_date(date_text) if date_text else dt.date.today()
    mode_list = [m.strip() for m in modes.split(",") if m.strip()]
    planner = Planner(load_network(network_file))
    o = planner.places.resolve(origin)
    shipment = Shipment(
        carrier=(carrier or planner.default_shipment(o, departure).carrier).upper(),
        departure=departure,
        cargo=cargo,
        tonnes=tonnes,
        value_usd=value_usd
        if value_usd is not None
        else float(shipment_defaults()["value_usd"]["value"]),
        tir=tir,
        value_of_time_pct_per_day=vot,
        backhaul=backhaul,
    )
    deadline = None
    if deadline_text:
        deadline = dt.datetime.combine(
            Shipment.parse_date(deadline_text), dt.time(23, 59), tzinfo=dt.UTC
        )
    avoid_list = [x for x in avoid.split(",") if x.strip()]
    via_list = [x.strip() for x in via.split(",") if x.strip()]
    for name in via_list:  # unknown names fail before the cost model is built
        planner.places.resolve(name)
    planner.parse_avoid(avoid_list)
    query = dict(
        modes=mode_list,
        include_planned=planned,
        shipment=shipment,
        deadline=deadline,
        avoid=avoid_list,
    )
    with _working("finding the route (a new shipment profile takes a few seconds)"):
        if pareto:
            found = planner.pareto(origin, destination, **query)
        else:
            found = planner.routes(
                origin,
                destination,
                k=k,
                objective=objective,
                via=via_list,
                max_transshipments=max_tr,
                regime=None if regime is None else "tir",
                **query,
            )
    data = found[0].to_dict()
    if map_file is not None:
        from maps.route_map import route_map

        route_map(data, alternatives=[r.to_dict() for r in found[1:]]).save(str(map_file))
    if gpkg_file is not None:
        _write_gpkg(found, gpkg_file)
    if as_json:
        if len(found) == 1 and not pareto and k == 1:
            click.echo(json.dumps(data, ensure_ascii=False))
        else:
            click.echo(json.dumps({"routes": [r.to_dict() for r in found]}, ensure_ascii=False))
        return
    if as_csv:
        rows = [
            {"route": i, "route_label": r.label, **_bill_row(item)}
            for i, r in enumerate(found)
            for item in r.to_dict()["breakdown"]
        ]
        click.echo(_csv(rows), nl=False)
        return
    _print_route(data)
    if len(found) > 1 or pareto:
        _print_alternatives(found, "Pareto front (cost vs time)" if pareto else "alternatives")
    for what, out in (("map", map_file), ("GeoPackage", gpkg_file)):
        if out is not None and not is_quiet():
            click.echo(f"{what} written to {out}")


def _working(message: str) -> Any:
    """A spinner on stderr while slow work runs (only on a terminal, not with --quiet)."""
    import contextlib

    err = console(stderr=True)
    if is_quiet() or not err.is_terminal:
        return contextlib.nullcontext()
    return err.status(message)


def _csv(rows: list[dict[str, Any]]) -> str:
    import csv
    import io

    if not rows:
        return ""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n", extrasaction="ignore")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


def _bill_row(item: dict[str, Any]) -> dict[str, Any]:
    keys = ("kind", "label", "cost_usd", "hours", "distance_km", "source")
    return {k: item.get(k) for k in keys}


def _write_gpkg(found: list[Any], path: Path) -> None:
    """The legs of every route as one GeoPackage layer ``legs`` (``route`` = 0 for the best)."""
    import pandas as pd

    frames = []
    for i, r in enumerate(found):
        gdf = r.to_geodataframe()
        gdf.insert(0, "route", i)
        gdf.insert(1, "label", r.label)
        frames.append(gdf)
    out = pd.concat(frames, ignore_index=True)
    if path.exists():
        path.unlink()  # a GeoPackage is a database: replace, do not append
    out.to_file(path, layer="legs", driver="GPKG")


def _print_alternatives(found: list[Any], title: str) -> None:
    from rich.table import Table

    click.echo(f"  {title}:")
    table = Table(box=None, pad_edge=False)
    for col, just in (("#", "right"), ("USD", "right"), ("h", "right"), ("km", "right")):
        table.add_column(col, justify=just)  # type: ignore[arg-type]
    table.add_column("what differs")
    table.add_column("border posts")
    for i, r in enumerate(found, start=1):
        posts = ", ".join(c["name"] for c in r.bill.border_crossings())
        table.add_row(
            f"{i}.",
            f"{r.cost_usd:,.0f}",
            f"{r.hours:,.0f}",
            f"{r.distance_km:,.0f}",
            r.label,
            posts,
        )
    print_table(table, indent=4)


def _print_route(data: dict[str, Any]) -> None:
    sh = data["shipment"]
    click.echo(
        f"{data['origin']} → {data['destination']}: USD {data['cost_usd']:,.0f}, "
        f"{data['hours']:,.1f} h ({data['hours'] / 24:.1f} days), {data['distance_km']:,.0f} km"
    )
    click.echo(
        f"  {sh['cargo']} · {sh['carrier']} truck · departing {sh['departure']} · "
        f"{'TIR' if sh['tir'] else 'no TIR'} · objective {data['objective']} · "
        f"generalized USD {data['generalized_cost_usd']:,.0f}"
    )
    rel = data.get("reliability") or {}
    if rel:
        line = (
            f"  door-to-door time: P50 {rel['p50']:,.0f} h, P90 {rel['p90']:,.0f} h "
            f"({rel['draws']} draws)"
        )
        if rel.get("p_on_time") is not None:
            line += f"; P(arrive by {rel['deadline'][:10]}) = {rel['p_on_time']:.0%}"
        click.echo(line)
    from rich.table import Table

    click.echo("  bill:")
    table = Table(box=None, pad_edge=False)
    table.add_column("item")
    for col in ("USD", "h", "km"):
        table.add_column(col, justify="right")
    table.add_column("what")
    for it in data["breakdown"]:
        km = f"{it['distance_km']:,.0f}" if it["distance_km"] else ""
        label = it["label"] + (f" (why: {it['reason']})" if it.get("reason") else "")
        table.add_row(it["kind"], f"{it['cost_usd']:,.0f}", f"{it['hours']:.1f}", km, label)
    print_table(table, indent=4)
    if data["regimes"]:
        click.echo("  relies on: " + ", ".join(data["regimes"]))
    if "co2e_kg" in data:
        click.echo(f"  CO2e: {data['co2e_kg']:,.0f} kg well-to-wheel (corridors rules --emissions)")
    for note in data.get("notes", ()):
        click.echo(f"  note: {note}")
    for p in (data["origin_place"], data["destination_place"]):
        snaps = ", ".join(f"{m} {km:.1f} km" for m, km in p["snap_km"].items())
        click.echo(f"  ({p['name']}: snapped to the network at {snaps})")


@cli.command()
@click.option("--search", "text", help="Text in the name, alternate names, key or LOCODE.")
@click.option("--kind", type=click.Choice(["city", "port", "border", "terminal"]))
@click.option("--country", help="ISO 3166 alpha-3 code, e.g. PAK.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV.")
@friendly
def places(
    text: str | None, kind: str | None, country: str | None, as_json: bool, as_csv: bool
) -> None:
    """List and find places (cities, ports, border posts, terminals)."""
    from corridors.gazetteer import PlaceIndex
    from geodata.network import load_network

    if as_json and as_csv:
        raise InvalidInputError("choose one of --json and --csv")
    found = PlaceIndex(load_network()).search(text, kind=kind, country=country)
    if as_json:
        click.echo(json.dumps([p.to_dict() for p in found], ensure_ascii=False))
        return
    if as_csv:
        keys = ("key", "name", "kind", "country", "lat", "lon", "locode")
        rows = [{k: p.to_dict()[k] for k in keys} | {"modes": ",".join(p.nodes)} for p in found]
        click.echo(_csv(rows), nl=False)
        return
    if not found:
        click.echo("no place matches", err=True)
        return
    from rich.table import Table

    table = Table(box=None, pad_edge=False)
    for col, just in (
        ("name", "left"),
        ("kind", "left"),
        ("country", "left"),
        ("lat", "right"),
        ("lon", "right"),
        ("modes", "left"),
        ("LOCODE", "left"),
    ):
        table.add_column(col, justify=just)  # type: ignore[arg-type]
    for p in found:
        table.add_row(
            p.name, p.kind, p.country, f"{p.lat:.4f}", f"{p.lon:.4f}", ",".join(p.nodes), p.locode
        )
    print_table(table)


@cli.command()
@click.option(
    "--from", "origins", required=True, help="Comma-separated origins (names or UN/LOCODEs)."
)
@click.option("--to", "destinations", required=True, help="Comma-separated destinations.")
@click.option(
    "--objective",
    type=click.Choice(["cost", "time", "generalized", "distance"]),
    default="cost",
    show_default=True,
)
@click.option("--modes", default="road,rail,ferry,sea", show_default=True)
@click.option(
    "--carrier",
    help="ISO3 truck registration for every origin (default: each origin's own country).",
)
@click.option("--date", "date_text", help="Departure date YYYY-MM-DD (default: today).")
@backhaul_option
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@friendly
def matrix(
    origins: str,
    destinations: str,
    objective: str,
    modes: str,
    carrier: str | None,
    date_text: str | None,
    backhaul: bool,
    as_csv: bool,
    as_json: bool,
) -> None:
    """Cost, time and distance for many origins × destinations in one call.

    One search per origin (a progress bar shows on a terminal); every name is checked before
    the first search.
    """
    import datetime as dt

    from corridors.planner import Planner
    from corridors.shipment import Shipment
    from geodata.network import load_network

    if as_json and as_csv:
        raise InvalidInputError("choose one of --json and --csv")
    departure = Shipment.parse_date(date_text) if date_text else dt.date.today()
    shipment = Shipment(carrier.upper(), departure) if carrier else None
    planner = Planner(load_network())
    origin_list = [x.strip() for x in origins.split(",") if x.strip()]
    dest_list = [x.strip() for x in destinations.split(",") if x.strip()]
    if not origin_list or not dest_list:
        raise InvalidInputError("a matrix needs at least one origin and one destination")
    for name in (*origin_list, *dest_list):  # unknown names fail before any search
        planner.places.resolve(name)
    rows: list[dict[str, Any]] = []
    with progress(len(origin_list), "matrix: one search per origin", quiet=is_quiet()) as bar:
        for o in origin_list:
            rows += planner.matrix(
                [o],
                dest_list,
                objective=objective,
                modes=[m.strip() for m in modes.split(",") if m.strip()],
                shipment=shipment,
                departure=departure,
                backhaul=backhaul,
            )
            bar.advance()
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    if as_csv:
        click.echo(_csv(rows), nl=False)
        return
    from rich.table import Table

    table = Table(box=None, pad_edge=False)
    table.add_column("from")
    table.add_column("to")
    for col in ("USD", "h", "km"):
        table.add_column(col, justify="right")
    table.add_column("border posts or reason")
    for r in rows:
        if r["cost_usd"] is None:
            table.add_row(r["origin"], r["destination"], "", "", "", r["reason"])
        else:
            table.add_row(
                r["origin"],
                r["destination"],
                f"{r['cost_usd']:,.0f}",
                f"{r['hours']:,.0f}",
                f"{r['distance_km']:,.0f}",
                r["border_posts"],
            )
    print_table(table)


@cli.command()
@click.option("--post", help="Border post key, e.g. torkham, khunjerab.")
@click.option("--agreement", help="Agreement key, e.g. aptta, uptta, qtta, tir.")
@click.option("--country", help="ISO3 code: country-level figures and tariffs.")
@click.option(
    "--section",
    type=click.Choice(["border_posts", "agreements", "carrier_rights", "linehaul", "handling"]),
)
@click.option(
    "--emissions", is_flag=True, help="Emission factors per mode (kg CO2e/t-km) and sources."
)
@click.option("--json", "as_json", is_flag=True)
@friendly
def rules(
    post: str | None,
    agreement: str | None,
    country: str | None,
    section: str | None,
    as_json: bool,
    emissions: bool = False,
) -> None:
    """Print what the model believes and why: value, unit, year and source of each figure."""
    from corridors.rules import describe

    if emissions:
        from corridors.cli.assign import print_emissions

        print_emissions(as_json)
        return

    rows = describe(
        post=post,
        agreement=agreement,
        country=country.upper() if country else None,
        section=section,
    )
    if as_json:
        click.echo(json.dumps([r._asdict() for r in rows], ensure_ascii=False, default=str))
        return
    for r in rows:
        year = f" ({r.year})" if r.year else ""
        flag = " [estimate]" if r.estimate else ""
        click.echo(f"{r.name}: {r.value} {r.unit}{year}{flag}")
        click.echo(f"    source: {r.source}")
        if r.note:
            click.echo(f"    note: {r.note}")


@cli.command()
@click.option(
    "--case",
    "case_ids",
    multiple=True,
    help="Only this validation case (repeatable), e.g. C14-distance.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the results and summary as JSON.")
@friendly
def validate(case_ids: tuple[str, ...], as_json: bool) -> None:
    """Run the model on published observations: model vs observed, error, band.

    The cases are corridors/data/validation.toml (distances, door-to-door times and costs
    with their sources).  Bands: distance ±10 %, time within the observed range or ±25 %,
    cost ±25 %.  Cases the model knowingly misses are listed with the reason.
    """
    from corridors.validate import format_observed, format_value, run_validation, summarize

    results = run_validation(cases=list(case_ids) or None)
    summary = summarize(results)
    if as_json:
        click.echo(json.dumps({"summary": summary, "cases": results}, ensure_ascii=False))
        return
    click.echo(f"{'case':<40} {'model':>13} {'observed':>15} {'error':>8}  band")
    for r in results:
        err = "" if r["error_pct"] is None else f"{r['error_pct']:+.1f} %"
        mark = "in" if r["in_band"] else "OUT"
        if r["expected_out_of_band"]:
            mark += " (expected)" if not r["in_band"] else " (expected out: update the table)"
        elif not r["in_band"]:
            mark += " (unexpected)"
        click.echo(
            f"{r['id']:<40} {format_value(r['model'], r['unit']):>13} "
            f"{format_observed(r['observed'], r['unit']):>15} {err:>8}  {mark}"
        )
        if not r["in_band"] and (r["reason"] or r["error"]):
            click.echo(f"{'':6}why: {r['reason'] or r['error']}")
    share = summary["share_in_band"] or 0.0
    click.echo(
        f"within band: {summary['in_band']} of {summary['cases']} ({share * 100:.0f} %); "
        + ", ".join(f"{m} {s['in_band']} of {s['cases']}" for m, s in summary["per_metric"].items())
    )
    ind, meant = summary["independent"], summary["meant_to_pass"]
    click.echo(
        f"  independent observations: {ind['in_band']} of {ind['cases']}; "
        f"cases the model is meant to reproduce: {meant['in_band']} of {meant['cases']}; "
        f"known misses: {summary['expected_out_of_band']}"
    )
    if summary["unexpected"]:
        click.echo(
            "  off expectation (update the table or fix the model): "
            + ", ".join(summary["unexpected"])
        )


@cli.group()
def network() -> None:
    """Build and inspect the network."""


@network.command("build")
@click.option(
    "--sources",
    required=True,
    type=click.Path(path_type=Path),
    help="Folder with the raw sources (laid out like shared/data).",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Network file to write (.npz).",
)
@click.option(
    "--osm",
    "osm_files",
    multiple=True,
    type=click.Path(path_type=Path),
    help="An OSM XML extract whose roads are merged in (repeatable).",
)
@click.option(
    "--osm-classes",
    default="motorway,trunk,primary,secondary",
    show_default=True,
    help="Highway classes to take from --osm files.",
)
@friendly
def network_build(sources: Path, out: Path, osm_files: tuple[Path, ...], osm_classes: str) -> None:
    """Build the network from the raw sources and write it to OUT."""
    from geodata.build import build_network
    from geodata.sources import check_sources

    writable(out)
    check_sources(sources)
    extra = None
    if osm_files:
        import pandas as pd

        from geodata.osm_import import read_osm_roads

        classes = tuple(c.strip() for c in osm_classes.split(",") if c.strip())
        frames = [read_osm_roads(p, highway_classes=classes) for p in osm_files]
        extra = pd.concat(frames, ignore_index=True)
    net = build_network(sources, extra_roads=extra)
    digest = net.save(out)
    click.echo(f"wrote {out}: {net.n_nodes:,} nodes, {net.n_edges:,} edges, sha256 {digest[:16]}")


@network.command("info")
@file_option("--file", "network_file", "Network file (default: the embedded one).")
@click.option("--json", "as_json", is_flag=True)
@friendly
def network_info(network_file: Path | None, as_json: bool) -> None:
    """Print the network's size, components, provenance and licences."""
    from geodata.network import load_network

    net = load_network(network_file)
    info = {
        "content_hash": net.content_hash,
        "summary": net.summary(),
        "components": net.meta.get("report", {}),
        "attribution": net.meta.get("attribution"),
        "licence": net.meta.get("licence"),
        "sources": net.meta.get("sources", {}),
        "additions": net.meta.get("additions", {}),
    }
    if as_json:
        click.echo(json.dumps(info, ensure_ascii=False, indent=1))
        return
    s = info["summary"]
    click.echo(f"network {net.content_hash[:16]}: {net.n_nodes:,} nodes, {net.n_edges:,} edges")
    click.echo("  nodes: " + ", ".join(f"{k} {v:,}" for k, v in s["nodes"].items()))
    click.echo("  km:    " + ", ".join(f"{k} {v:,.0f}" for k, v in s["length_km"].items()))
    for mode, rep in info["components"].items():
        if isinstance(rep, dict):
            click.echo(
                f"  {mode}: {rep['components']} components, largest "
                f"{rep['largest_components'][:3]} vertices"
            )
    click.echo(f"  licence: {info['licence']}")
    click.echo(f"  attribution: {info['attribution']}")
    click.echo("sources:")
    for key, src in info["sources"].items():
        click.echo(f"  {key}: {src['title']} — {src['version']} — {src['licence']}")
    click.echo("additions (fills and planned lines):")
    for key, a in info["additions"].items():
        click.echo(
            f"  {key}: {a.get('status')}, {a.get('length_km')} km — "
            f"{a.get('source_title', '')[:90]}"
        )
