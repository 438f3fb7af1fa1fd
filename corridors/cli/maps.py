"""``corridors map``: maps that are not of one route (the network map).

Exit codes as for every command: 0 ok, 2 bad input (unknown mode or country, a bad bbox, an
unwritable path), 3 data error.
"""

from __future__ import annotations

from pathlib import Path

import click

from corridors.cli._common import cli, friendly, writable
from geodata.errors import InvalidInputError

__all__ = ["map_group"]


def _bbox(text: str | None) -> tuple[float, float, float, float] | None:
    if not text:
        return None
    try:
        w, s, e, n = (float(x) for x in text.split(","))
    except ValueError:
        raise InvalidInputError(
            f"invalid bbox {text!r}: write it as WEST,SOUTH,EAST,NORTH in degrees, e.g. 66,24,75,37"
        ) from None
    return w, s, e, n


@cli.group("map")
def map_group() -> None:
    """Write self-contained HTML maps (they work offline)."""


@map_group.command("network")
@click.option(
    "--map",
    "-o",
    "map_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("network.html"),
    show_default=True,
    help="HTML file to write.",
)
@click.option(
    "--modes",
    default="road,rail,ferry,sea",
    show_default=True,
    help="Comma-separated modes whose lines are drawn.",
)
@click.option(
    "--country",
    "countries",
    multiple=True,
    help="ISO3 code (repeat or comma-separate): only this country's network, posts and ports.",
)
@click.option("--bbox", "bbox_text", help="Only what lies in WEST,SOUTH,EAST,NORTH (degrees).")
@click.option("--all-roads", is_flag=True, help="Also draw secondary roads and connector links.")
@click.option(
    "--tolerance",
    type=float,
    default=None,
    help="Simplification tolerance in degrees (default 0.01; 0 keeps every vertex).",
)
@click.option(
    "--date",
    "date_text",
    help="Day whose closures the border posts show, YYYY-MM-DD (default: today).",
)
@click.option("--no-energy", is_flag=True, help="Leave out the energy corridors (not freight).")
@friendly
def network_cmd(
    map_file: Path,
    modes: str,
    countries: tuple[str, ...],
    bbox_text: str | None,
    all_roads: bool,
    tolerance: float | None,
    date_text: str | None,
    no_energy: bool,
) -> None:
    """The whole network by mode and status, border posts, ports, corridors.

    \b
    corridors map network -o network.html
    corridors map network --country PAK --date 2026-11-29 -o pakistan.html
    corridors map network --modes rail --bbox 60,29,76,42 -o rail.html
    """
    import datetime as dt

    from corridors.shipment import Shipment
    from maps.network_map import DEFAULT_TOLERANCE_DEG, network_map

    writable(map_file)
    day = Shipment.parse_date(date_text) if date_text else dt.date.today()
    cs = [c.strip() for item in countries for c in item.split(",") if c.strip()]
    m = network_map(
        modes=[x.strip() for x in modes.split(",") if x.strip()],
        countries=cs or None,
        bbox=_bbox(bbox_text),
        road_classes=_classes(all_roads),
        tolerance_deg=DEFAULT_TOLERANCE_DEG if tolerance is None else tolerance,
        date=day,
        energy=not no_energy,
    )
    m.save(str(map_file))
    size = map_file.stat().st_size / 1e6
    click.echo(f"map written to {map_file} ({size:.1f} MB)")


def _classes(all_roads: bool) -> tuple[str, ...] | None:
    from maps.network_map import DEFAULT_ROAD_CLASSES

    return None if all_roads else DEFAULT_ROAD_CLASSES
