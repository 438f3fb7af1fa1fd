"""Yearly freight demand: trade values turned into tonnes, trucks and TEU per OD pair.

The table ships as ``corridors/data/demand.toml`` (Pakistan's trade with each Central Asian
Republic and with Afghanistan, each mapped to a representative origin–destination pair) and
can be replaced by an edited copy.  Every conversion (USD per tonne by direction and
country, tonnes per truck, TEU per truck, operating days) is in the file with its source or
its reasoning as an estimate.

Examples
--------
>>> demand = load_demand()
>>> row = demand.rows[0]
>>> row.trucks_per_year == row.tonnes_per_year / demand.tonnes_per_truck
True
"""

from __future__ import annotations

import copy
import functools
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from corridors.rules.load import first_error
from corridors.rules.schema import COUNTRIES, FrozenMap, Iso3, NonEmpty, Quantity, Source
from geodata.errors import DataError

__all__ = ["DIRECTIONS", "Demand", "DemandError", "DemandRow", "load_demand"]

#: Directions of a flow, seen from Pakistan.
DIRECTIONS: tuple[str, ...] = ("pak_export", "pak_import")
_FILE = "demand.toml"


class DemandError(DataError):
    """The demand table is missing, malformed or inconsistent (one line: file, key, reason)."""

    def __init__(self, file: str, path: str, reason: str) -> None:
        self.file, self.path, self.reason = file, path, reason
        where = f"{file}: {path}" if path else file
        super().__init__(f"{where}: {reason}")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DemandSource(_Frozen):
    """A cited work; ``url`` may be missing only when ``note`` says why."""

    title: NonEmpty
    url: str | None = Field(default=None, pattern=r"^https?://\S+$")
    note: str | None = None

    @model_validator(mode="after")
    def _check(self) -> DemandSource:
        if self.url is None and not (self.note and self.note.strip()):
            raise ValueError("a source without 'url' needs a 'note' saying where it comes from")
        return self

    def cite(self) -> str:
        """``"title <url>"`` or ``"title (note)"``."""
        return f"{self.title} <{self.url}>" if self.url else f"{self.title} ({self.note})"


class Flow(_Frozen):
    """One yearly flow as written in the file."""

    country: Iso3
    direction: Literal["pak_export", "pak_import"]
    value_usd: float = Field(gt=0)
    year: int = Field(gt=1900)
    period: NonEmpty
    origin: NonEmpty
    destination: NonEmpty
    source: NonEmpty
    note: str | None = None

    @model_validator(mode="after")
    def _check(self) -> Flow:
        if self.origin.strip().lower() == self.destination.strip().lower():
            raise ValueError("origin and destination are the same place")
        return self


class Conversions(_Frozen):
    """Value densities and loads that turn USD into tonnes, trucks and TEU."""

    tonnes_per_truck: Quantity
    teu_per_truck: Quantity
    operating_days_per_year: Quantity
    usd_per_tonne: FrozenMap[Literal["pak_export", "pak_import"], Quantity]
    usd_per_tonne_by_country: FrozenMap[
        Iso3, FrozenMap[Literal["pak_export", "pak_import"], Quantity]
    ] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> Conversions:
        expect = {
            "tonnes_per_truck": "t/truck",
            "teu_per_truck": "TEU/truck",
            "operating_days_per_year": "days/yr",
        }
        for name, unit in expect.items():
            q: Quantity = getattr(self, name)
            if q.unit != unit:
                raise ValueError(f"{name} must be in {unit!r}, not {q.unit!r}")
            if q.value <= 0:
                raise ValueError(f"{name} must be positive")
        missing = sorted(set(DIRECTIONS) - set(self.usd_per_tonne))
        if missing:
            raise ValueError(f"usd_per_tonne needs {', '.join(missing)}")
        groups = [self.usd_per_tonne, *self.usd_per_tonne_by_country.values()]
        for q in (q for g in groups for q in g.values()):
            if q.unit != "USD/t" or q.value <= 0:
                raise ValueError(f"a value density must be a positive 'USD/t', not {q.unit!r}")
        return self


class DemandFile(_Frozen):
    """``demand.toml``."""

    schema_version: Literal[1]
    sources: FrozenMap[str, DemandSource]
    conversions: Conversions
    flows: tuple[Flow, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> DemandFile:
        seen: set[tuple[str, str, str, str]] = set()
        for i, f in enumerate(self.flows):
            if f.source not in self.sources:
                raise ValueError(f"flows[{i}].source: unknown source {f.source!r}")
            key = (f.country, f.direction, f.origin, f.destination)
            if key in seen:
                raise ValueError(f"flows[{i}]: duplicate flow {key}")
            seen.add(key)
        return self


class DemandRow(_Frozen):
    """One OD flow with its yearly tonnes, trucks and TEU.

    Attributes
    ----------
    country
        ISO3 of Pakistan's partner.
    direction
        ``"pak_export"`` (Karachi → partner) or ``"pak_import"`` (partner → Karachi).
    value_usd
        Trade value per year, USD.
    year
        Year the value refers to (the end of a fiscal year).
    origin, destination
        Place names the :class:`~corridors.planner.Planner` resolves.
    tonnes_per_year, trucks_per_year, teu_per_year
        The value converted with the file's conversions.
    usd_per_tonne
        The value density used.
    source
        Citation of the trade value.
    """

    country: str
    direction: str
    value_usd: float
    year: int
    period: str
    origin: str
    destination: str
    usd_per_tonne: float
    tonnes_per_year: float
    trucks_per_year: float
    teu_per_year: float
    trucks_per_day: float
    source: str
    note: str = ""

    @property
    def key(self) -> str:
        """``"UZB pak_export"``: the row's name in tables."""
        return f"{self.country} {self.direction}"

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form."""
        return self.model_dump()


class Demand(_Frozen):
    """The demand table: rows and the conversions that produced them."""

    origin: str
    rows: tuple[DemandRow, ...]
    tonnes_per_truck: float
    teu_per_truck: float
    operating_days_per_year: float
    conversions: Conversions
    sources: Mapping[str, DemandSource]

    @property
    def total_tonnes_per_year(self) -> float:
        """Sum of the rows' tonnes per year."""
        return float(sum(r.tonnes_per_year for r in self.rows))

    @property
    def total_trucks_per_year(self) -> float:
        """Sum of the rows' trucks per year."""
        return float(sum(r.trucks_per_year for r in self.rows))

    def select(
        self, *, countries: tuple[str, ...] = (), directions: tuple[str, ...] = ()
    ) -> Demand:
        """A copy restricted to some partners and directions (empty = all).

        Raises
        ------
        InvalidInputError
            If a country or direction is unknown or nothing is left.
        """
        from geodata.errors import InvalidInputError

        bad = [c for c in countries if c not in COUNTRIES] + [
            d for d in directions if d not in DIRECTIONS
        ]
        if bad:
            raise InvalidInputError(f"unknown country or direction {', '.join(bad)}")
        rows = tuple(
            r
            for r in self.rows
            if (not countries or r.country in countries)
            and (not directions or r.direction in directions)
        )
        if not rows:
            raise InvalidInputError("the demand selection is empty")
        return self.model_copy(update={"rows": rows})

    def scaled(self, factor: float) -> Demand:
        """A copy with every flow multiplied by ``factor`` (growth scenarios)."""
        from geodata.errors import InvalidInputError

        if not factor > 0:
            raise InvalidInputError("a demand scale factor must be positive")
        keys = ("value_usd", "tonnes_per_year", "trucks_per_year", "teu_per_year")
        rows = tuple(
            r.model_copy(update={k: getattr(r, k) * factor for k in (*keys, "trucks_per_day")})
            for r in self.rows
        )
        return self.model_copy(update={"rows": rows})

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form: the rows and the conversions with their provenance."""
        c = self.conversions
        return {
            "origin": self.origin,
            "rows": [r.to_dict() for r in self.rows],
            "conversions": {
                "tonnes_per_truck": self.tonnes_per_truck,
                "teu_per_truck": self.teu_per_truck,
                "operating_days_per_year": self.operating_days_per_year,
                "usd_per_tonne": {k: q.value for k, q in c.usd_per_tonne.items()},
                "usd_per_tonne_by_country": {
                    k: {d: q.value for d, q in v.items()}
                    for k, v in c.usd_per_tonne_by_country.items()
                },
            },
        }


def load_demand(path: str | Path | None = None) -> Demand:
    """Load and convert the demand table (the packaged one by default; cached per file).

    Parameters
    ----------
    path
        A TOML file in the format of ``corridors/data/demand.toml``; ``None`` for the
        packaged table.

    Returns
    -------
    Demand
        Frozen rows with tonnes, trucks and TEU per year.

    Raises
    ------
    DemandError
        On the first problem, naming the file, the key path and the reason.
    """
    if path is None:
        return _load("package:corridors/data/demand.toml")
    p = Path(path).expanduser().resolve()
    if not p.is_file():
        raise DemandError(str(path), "", "demand file not found")
    return _load(str(p))


@functools.lru_cache(maxsize=8)
def _load(key: str) -> Demand:
    if key.startswith("package:"):
        text = (resources.files("corridors") / "data" / _FILE).read_text(encoding="utf-8")
        name = _FILE
    else:
        text = Path(key).read_text(encoding="utf-8")
        name = Path(key).name
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DemandError(name, "", f"invalid TOML: {exc}") from None
    data = _resolve(name, raw)
    try:
        parsed = DemandFile.model_validate(data)
    except ValidationError as exc:
        raise DemandError(name, *first_error(exc)) from None
    return _convert(parsed, key)


def _resolve(name: str, raw: dict[str, Any]) -> dict[str, Any]:
    """Replace ``source = "key"`` inside ``conversions`` by the catalogue entry."""
    data = copy.deepcopy(raw)
    raw_sources = data.get("sources")
    catalogue: dict[str, Any] = raw_sources if isinstance(raw_sources, dict) else {}

    def walk(node: Any, path: str) -> Any:
        if isinstance(node, dict):
            for k, v in node.items():
                here = f"{path}.{k}"
                if k == "source" and isinstance(v, str):
                    entry = catalogue.get(v)
                    if not isinstance(entry, dict):
                        raise DemandError(name, here, f"unknown source {v!r}")
                    if not entry.get("url"):
                        raise DemandError(name, here, f"source {v!r} has no url")
                    node[k] = Source.model_validate(
                        {key: entry[key] for key in ("title", "url", "note") if key in entry}
                        | {"key": v}
                    ).model_dump()
                else:
                    node[k] = walk(v, here)
        return node

    if isinstance(data.get("conversions"), dict):
        try:
            walk(data["conversions"], "conversions")
        except ValidationError as exc:
            raise DemandError(name, "sources", str(exc.errors()[0]["msg"])) from None
    return data


def _density(c: Conversions, country: str, direction: str) -> float:
    by_country: Mapping[Any, Quantity] = c.usd_per_tonne_by_country.get(country, {})
    generic: Mapping[Any, Quantity] = c.usd_per_tonne
    q = by_country.get(direction) or generic[direction]
    return float(q.value)


def _convert(parsed: DemandFile, origin: str) -> Demand:
    c = parsed.conversions
    t_truck = float(c.tonnes_per_truck.value)
    teu_truck = float(c.teu_per_truck.value)
    days = float(c.operating_days_per_year.value)
    rows = []
    for f in parsed.flows:
        density = _density(c, f.country, f.direction)
        tonnes = f.value_usd / density
        trucks = tonnes / t_truck
        rows.append(
            DemandRow(
                country=f.country,
                direction=f.direction,
                value_usd=f.value_usd,
                year=f.year,
                period=f.period,
                origin=f.origin,
                destination=f.destination,
                usd_per_tonne=density,
                tonnes_per_year=tonnes,
                trucks_per_year=trucks,
                teu_per_year=trucks * teu_truck,
                trucks_per_day=trucks / days,
                source=parsed.sources[f.source].cite(),
                note=f.note or "",
            )
        )
    return Demand(
        origin=origin,
        rows=tuple(rows),
        tonnes_per_truck=t_truck,
        teu_per_truck=teu_truck,
        operating_days_per_year=days,
        conversions=c,
        sources=parsed.sources,
    )
