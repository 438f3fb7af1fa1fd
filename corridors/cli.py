"""The ``corridors`` command line.

Exit codes: 0 success, 1 no route, 2 bad input (also click's usage errors),
3 data error (a missing or corrupt network or source file), 70 internal error (a bug).
Library code logs; this module decides what a person sees.  Heavy libraries are imported
inside the commands so that ``corridors --help`` starts quickly.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from geodata.errors import CorridorError, InvalidInputError

__all__ = ["main"]

EXIT_INTERNAL = 70
F = TypeVar("F", bound=Callable[..., Any])


def _fail(message: str, code: int) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def _friendly(func: F) -> F:
    """Turn library errors into one line on stderr and the documented exit code."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except CorridorError as exc:
            _fail(str(exc), exc.exit_code)
        except OSError as exc:
            _fail(f"{exc.strerror or exc} ({exc.filename})" if exc.filename else str(exc), 2)
        except Exception as exc:  # a bug: say so in one line, keep details in the log
            logging.getLogger("corridors").debug("internal error", exc_info=True)
            _fail(f"internal error: {type(exc).__name__}: {exc} (please report it)", EXIT_INTERNAL)

    return wrapper  # type: ignore[return-value]


def _writable(path: Path) -> Path:
    parent = path.expanduser().resolve().parent
    if not parent.is_dir():
        raise InvalidInputError(f"cannot write {path}: folder {parent} does not exist")
    return path


def _version() -> str:
    from corridors import __version__

    return __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(_version(), "--version", prog_name="corridors")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors.")
def cli(verbose: int, quiet: bool) -> None:
    """Plan freight routes between Central Asia and the Arabian Sea.

    Exit codes: 0 ok, 1 no route, 2 bad input, 3 data error, 70 internal error.
    """
    level = (
        logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    )
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


@cli.command()
@click.argument("origin")
@click.argument("destination")
@click.option(
    "--objective",
    type=click.Choice(["distance", "time"]),
    default="distance",
    show_default=True,
    help="What to minimise (time = moving hours, no waits yet).",
)
@click.option(
    "--modes",
    default="road,rail,ferry,sea",
    show_default=True,
    help="Comma-separated modes the route may use.",
)
@click.option("--planned", is_flag=True, help="Also use planned / under-construction lines.")
@click.option("--json", "as_json", is_flag=True, help="Print the route as JSON.")
@click.option(
    "--map",
    "map_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write an HTML map of the route to this file.",
)
@click.option(
    "--network",
    "network_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Route on this network file instead of the embedded one.",
)
@_friendly
def route(
    origin: str,
    destination: str,
    objective: str,
    modes: str,
    planned: bool,
    as_json: bool,
    map_file: Path | None,
    network_file: Path | None,
) -> None:
    """Find the best route from ORIGIN to DESTINATION.

    Places are names (any common spelling), UN/LOCODEs (PKKHI) or 'lat,lon'.
    """
    from corridors.planner import route as find_route
    from geodata.network import load_network

    if map_file is not None:
        _writable(map_file)
    mode_list = [m.strip() for m in modes.split(",") if m.strip()]
    net = load_network(network_file)
    r = find_route(
        origin,
        destination,
        objective=objective,
        modes=mode_list,
        include_planned=planned,
        network=net,
    )
    data = r.to_dict()
    if map_file is not None:
        from maps.route_map import route_map

        route_map(data).save(str(map_file))
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False))
        return
    click.echo(
        f"{data['origin']} → {data['destination']}: {data['distance_km']:,.0f} km, "
        f"{data['hours']:,.1f} h moving ({objective}; border waits and fees not included)"
    )
    for leg in data["legs"]:
        what = leg.get("post", "") if leg["mode"] == "border" else f"{leg['from']} → {leg['to']}"
        click.echo(
            f"  {leg['mode']:<8} {leg['country']:<4} {leg['distance_km']:>8,.1f} km "
            f"{leg['hours']:>6.1f} h  {what}"
        )
    for p in (r.origin, r.destination):
        snaps = ", ".join(f"{m} {km:.1f} km" for m, km in p.snap_km.items())
        click.echo(f"  ({p.name}: snapped to the network at {snaps})")
    if map_file is not None:
        click.echo(f"map written to {map_file}")


@cli.command()
@click.option("--search", "text", help="Text in the name, alternate names, key or LOCODE.")
@click.option("--kind", type=click.Choice(["city", "port", "border", "terminal"]))
@click.option("--country", help="ISO 3166 alpha-3 code, e.g. PAK.")
@click.option("--json", "as_json", is_flag=True)
@_friendly
def places(text: str | None, kind: str | None, country: str | None, as_json: bool) -> None:
    """List and find places (cities, ports, border posts, terminals)."""
    from corridors.places import PlaceIndex
    from geodata.network import load_network

    found = PlaceIndex(load_network()).search(text, kind=kind, country=country)
    if as_json:
        click.echo(json.dumps([p.to_dict() for p in found], ensure_ascii=False))
        return
    if not found:
        click.echo("no place matches", err=True)
        return
    for p in found:
        code = f" [{p.locode}]" if p.locode else ""
        modes = ",".join(p.nodes)
        click.echo(
            f"{p.name:<38} {p.kind:<8} {p.country:<4} {p.lat:8.4f} {p.lon:8.4f} {modes:<14}{code}"
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
@_friendly
def network_build(sources: Path, out: Path, osm_files: tuple[Path, ...], osm_classes: str) -> None:
    """Build the network from the raw sources and write it to OUT."""
    from geodata.build import build_network
    from geodata.sources import check_sources

    _writable(out)
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
@click.option(
    "--file",
    "network_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Network file (default: the embedded one).",
)
@click.option("--json", "as_json", is_flag=True)
@_friendly
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


def main() -> None:
    """Entry point of the ``corridors`` console script."""
    cli(prog_name="corridors")


if __name__ == "__main__":  # pragma: no cover
    main()
