"""Every number in the rules files is sourced or flagged as an estimate, and consistent."""

from __future__ import annotations

import json
import math
import re
import statistics
import tomllib
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from corridors.rules import RULES_FILES, describe, load_rules
from corridors.rules.schema import Quantity, Rules

RULES_DIR = resources.files("corridors") / "data" / "rules"
# Numbers that are metadata of the table they sit in, not figures of the model.
METADATA_KEYS = {"schema_version", "year"}
REFERENCE_JSON = (
    Path(__file__).resolve().parents[3] / "shared" / "reference" / "border-crossings.json"
)
EXPECTED_POSTS = {
    "torkham", "chaman", "ghulam-khan", "kharlachi", "angoor-adda", "khunjerab", "hairatan",
    "sher-khan-bandar", "torugart", "irkeshtam", "islam-qala", "torghundi", "aqina", "taftan",
    "gabd", "zhibek-zholy", "khorgos", "dusti", "fotehobod", "wagah",
}  # fmt: skip
# posts beyond the reference crossings, added to close gaps the validation table found
ADDED_POSTS = {"bolashak-serhetyaka", "milak-zaranj", "kulma-karasu"}


def _raw(name: str) -> dict[str, Any]:
    return tomllib.loads((RULES_DIR / name).read_text(encoding="utf-8"))


def _numbers(
    node: Any, path: str, table: dict[str, Any] | None
) -> Iterator[tuple[str, dict[str, Any] | None]]:
    """Yield (path, enclosing table) for every number in a parsed TOML document."""
    if isinstance(node, dict):
        for key, value in node.items():
            here = f"{path}.{key}" if path else key
            if isinstance(value, bool):
                continue
            if isinstance(value, int | float):
                if key not in METADATA_KEYS:
                    yield here, node
            else:
                yield from _numbers(value, here, node)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            if isinstance(value, bool):
                continue
            if isinstance(value, int | float):
                yield f"{path}[{i}]", table
            else:
                yield from _numbers(value, f"{path}[{i}]", table)


def _has_provenance(table: dict[str, Any] | None) -> bool:
    if table is None:
        return False
    if table.get("estimate") is True:
        return bool(str(table.get("reasoning", "")).strip())
    return bool(table.get("source")) or bool(table.get("sources"))


@pytest.mark.parametrize("name", [n for n in RULES_FILES if n != "sources.toml"])
def test_every_number_has_a_source_or_an_estimate_flag(name: str) -> None:
    missing = [path for path, table in _numbers(_raw(name), "", None) if not _has_provenance(table)]
    assert not missing, f"{name}: numbers without source or estimate flag: {missing}"


def test_the_walker_catches_a_bare_number() -> None:
    doc = tomllib.loads('[a]\nvalue = 3\nunit = "h"\n[b]\nvalue = 1\nsource = "x"\nyear = 2020\n')
    bad = [p for p, t in _numbers(doc, "", None) if not _has_provenance(t)]
    assert bad == ["a.value"]


def test_sourced_numbers_carry_a_unit_and_year() -> None:
    rules = load_rules()
    for path, quantity in rules.iter_quantities():
        assert quantity.unit, path
        assert quantity.estimate or quantity.year is not None, path
        assert quantity.estimate or quantity.all_sources, path
        if quantity.estimate:
            assert quantity.reasoning and quantity.reasoning.strip(), path


def test_every_audit_row_names_its_source() -> None:
    rows = describe()
    assert len(rows) > 300
    for row in rows:
        assert row.source.strip(), row.name
        if row.estimate:
            assert row.source.startswith("ESTIMATE: "), row.name
        else:
            assert "<http" in row.source, row.name


def test_every_source_in_the_catalogue_is_used() -> None:
    used: set[str] = set()

    def collect(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "source" and isinstance(value, str):
                    used.add(value)
                elif key == "sources" and isinstance(value, list):
                    used.update(v for v in value if isinstance(v, str))
                else:
                    collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    for name in RULES_FILES[1:]:
        collect(_raw(name))
    catalogue = set(_raw("sources.toml")["sources"])
    assert not catalogue - used, f"unused sources: {sorted(catalogue - used)}"


def test_all_reference_crossings_are_posts() -> None:
    rules = load_rules()
    assert set(rules.posts) == EXPECTED_POSTS | ADDED_POSTS
    if REFERENCE_JSON.exists():
        crossings = json.loads(REFERENCE_JSON.read_text(encoding="utf-8"))["crossings"]
        assert len(crossings) == len(EXPECTED_POSTS)


def test_derived_linehaul_rates_match_their_tfi3() -> None:
    rules = load_rules()
    per = rules.linehaul.conversions["tfi3_distance"].value
    for country, road in rules.linehaul.road.items():
        assert math.isclose(road.cost_per_truck_km.value, road.tfi3.value / per, rel_tol=1e-3), (
            country
        )
        assert road.speed_without_delay.value > road.speed_with_delay.value, country
    for country, by_gauge in rules.linehaul.rail.items():
        for gauge, rail in by_gauge.items():
            if rail.tfi3 is not None:
                expected = rail.tfi3.value / per
                assert math.isclose(rail.cost_per_teu_km.value, expected, rel_tol=1e-3), (
                    country,
                    gauge,
                )
            assert rail.speed_without_delay.value >= rail.speed_with_delay.value, (country, gauge)


def test_road_stops_use_the_cpmm_border_time_of_their_country() -> None:
    """The non-border stops subtract the same CPMM TFI1 the border model charges per
    unlisted crossing (border_posts.toml country_level), and lie within CPMM's delay."""
    rules = load_rules()
    levels = rules.border_posts.country_level
    for country, road in rules.linehaul.road.items():
        st = road.stops
        delay = 1 / road.speed_with_delay.value - 1 / road.speed_without_delay.value
        assert 0 <= st.hours_per_km.value <= delay, country
        if country in levels:
            assert st.border_hours is not None and st.section_km is not None, country
            assert st.border_hours.value == levels[country].hours.value, country
        assert road.hours_per_km() == 1 / road.speed_without_delay.value + st.hours_per_km.value


#: Significant figures to which a stated stop allowance must equal its recomputed formula.
STOPS_SIG_FIGS = 4
#: ``hours_per_km.derivation`` of a country with a CPMM section, e.g.
#: ``1/12.4 - 1/33.7 - 19.5/451 = 0.050972 - 0.043237 = 0.007734 h/km``.
STOPS_DERIVATION = re.compile(
    r"^(?P<clamp>max\(0, )?1/(?P<swd>[\d.]+) - 1/(?P<swod>[\d.]+) - "
    r"(?P<border>[\d.]+)/(?P<km>[\d,.]+)\)? = (?P<delay>[\d.]+) - (?P<per_km>[\d.]+) = "
    r"(?P<result>[\d.]+) h/km"
)
#: ``value ISO3`` pairs listed in a median country's derivation.
MEDIAN_TERM = re.compile(r"(\d+\.\d+) ([A-Z]{3})\b")


def _sig(x: float, digits: int = STOPS_SIG_FIGS) -> float:
    return float(f"{x:.{digits}g}")


def _within_printed_precision(text: str, exact: float) -> bool:
    """Whether ``text`` (a decimal as printed in a derivation) rounds ``exact``."""
    decimals = len(text.partition(".")[2])
    return abs(float(text) - exact) <= 0.5 * 10.0**-decimals + 1e-12


def _same_figure(a: Quantity, b: Quantity) -> bool:
    key_a = a.source.key if a.source is not None else None
    key_b = b.source.key if b.source is not None else None
    return (a.value, a.unit, a.year, key_a) == (b.value, b.unit, b.year, key_b)


def road_stops_problems(rules: Rules) -> list[str]:
    """Recompute every road ``stops`` figure of linehaul.toml from the file's own numbers.

    For a country with a CPMM section: ``hours_per_km`` equals
    ``max(0, 1/SWD - 1/SWOD - border_hours / section_km)`` to :data:`STOPS_SIG_FIGS`
    significant figures, its derivation states exactly those four numbers and correctly
    rounded terms, and ``border_hours`` is ``border_posts.toml`` ``country_level.<ISO3>.hours``
    (value, unit, year, source) from the same CPMM chapter as the speeds.  For a country
    without one: an estimate with its reasoning, equal to the median of the derived countries,
    whose derivation lists every derived country with its stored value.
    """
    problems: list[str] = []
    levels = rules.border_posts.country_level
    derived: dict[str, float] = {}
    for country, road in rules.linehaul.road.items():
        st = road.stops
        if st.section_km is None or st.border_hours is None:
            continue
        swd, swod = road.speed_with_delay.value, road.speed_without_delay.value
        border, km = st.border_hours.value, st.section_km.value
        delay, per_km = 1 / swd - 1 / swod, border / km
        want = _sig(max(0.0, delay - per_km))
        stored = st.hours_per_km.value
        derived[country] = stored
        if stored != want:
            problems.append(f"{country}: hours_per_km {stored} != formula {want}")
        m = STOPS_DERIVATION.match(st.hours_per_km.derivation or "")
        if m is None:
            problems.append(f"{country}: derivation not '1/SWD - 1/SWOD - h/km = a - b = c h/km'")
        else:
            stated = (float(m["swd"]), float(m["swod"]), float(m["border"]))
            if (*stated, float(m["km"].replace(",", ""))) != (swd, swod, border, km):
                problems.append(f"{country}: derivation uses other numbers than the file")
            for name, exact in (("delay", delay), ("per_km", per_km)):
                if not _within_printed_precision(m[name], exact):
                    problems.append(f"{country}: derivation term {m[name]} != {exact:.6f}")
            if float(m["result"]) != stored:
                problems.append(f"{country}: derivation result {m['result']} != {stored}")
            if (delay < per_km) != bool(m["clamp"]):
                problems.append(f"{country}: max(0, ...) clamp missing or needless")
        level = levels.get(country)
        if level is None:
            problems.append(f"{country}: no border_posts.toml country_level")
        elif not _same_figure(st.border_hours, level.hours):
            problems.append(f"{country}: border_hours differs from country_level.hours")
        for speed in (road.speed_with_delay, road.speed_without_delay, st.hours_per_km):
            source = speed.source.key if speed.source is not None else None
            border_source = st.border_hours.source.key if st.border_hours.source else None
            if source != border_source:
                problems.append(f"{country}: border_hours and speeds from other CPMM chapters")
        if road.speed_with_delay.year != st.border_hours.year:
            problems.append(f"{country}: border_hours year differs from the speeds' year")
    if not derived:
        return [*problems, "no country has a CPMM section"]
    median = _sig(statistics.median(derived.values()))
    for country, road in rules.linehaul.road.items():
        hpk = road.stops.hours_per_km
        if country in derived:
            continue
        if not (hpk.estimate and hpk.reasoning and "median" in (hpk.derivation or "")):
            problems.append(f"{country}: median allowance must be an estimate with reasoning")
        if hpk.value != median:
            problems.append(f"{country}: hours_per_km {hpk.value} != median {median}")
        listed = {iso: float(v) for v, iso in MEDIAN_TERM.findall(hpk.derivation or "")}
        if listed != derived:
            problems.append(f"{country}: median derivation lists {listed}, file has {derived}")
    return problems


def test_road_stops_recompute_from_the_files_own_figures() -> None:
    """Every stop allowance, its derivation text, the median countries and the border hours
    agree with linehaul.toml's own SWD, SWOD, border_hours and section_km (issue #8)."""
    rules = load_rules()
    assert road_stops_problems(rules) == []
    assert {c for c, r in rules.linehaul.road.items() if r.stops.section_km is None} == {
        "CHN", "IRN", "AZE", "IND"
    }  # fmt: skip


@pytest.mark.parametrize(
    ("name", "old", "new"),
    [
        # within the loader's rounding tolerance, but not the stated 4 significant figures
        ("linehaul.toml", "value = 0.007734,", "value = 0.00775,"),
        # the derivation text names another section length than the file
        ("linehaul.toml", "2.8/255 = ", "2.8/250 = "),
        # a median country that is not the median
        (
            "linehaul.toml",
            'value = 0.007450, unit = "h/km", estimate = true, derivation = '
            "\"median of the seven CPMM countries' derived allowances",
            "value = 0.007734, unit = "
            '"h/km", estimate = true, derivation = "median of the seven CPMM countries\' derived '
            "allowances",
        ),
        # the border-post fallback of a different year than the line-haul's CPMM figure
        (
            "border_posts.toml",
            'hours = { value = 4.1, unit = "h", year = 2022, source = "cpmm2022_tjk" }',
            'hours = { value = 4.1, unit = "h", year = 2022, source = "cpmm2022_kgz" }',
        ),
    ],
)
def test_road_stops_check_catches_an_edit(tmp_path: Path, name: str, old: str, new: str) -> None:
    for file in RULES_FILES:
        text = (RULES_DIR / file).read_text(encoding="utf-8")
        if file == name:
            assert text.count(old) >= 1, old
            text = text.replace(old, new, 1)
        (tmp_path / file).write_text(text, encoding="utf-8")
    assert road_stops_problems(load_rules(tmp_path))


def test_country_fallbacks_and_units_of_post_figures() -> None:
    rules = load_rules()
    for post in rules.posts.values():
        for direction, figures in post.directions.items():
            assert figures.hours.unit == "h"
            assert figures.cost.unit == "USD/truck"
            assert figures.hours.value > 0, (post.key, direction)
            if figures.hours.basis == "country_fallback":
                level = rules.border_posts.country_level[figures.hours.basis_country or ""]
                assert figures.hours.value == level.hours.value


def test_cpmm_anchor_values() -> None:
    """Spot-check figures against domain-facts.md so a typo in the data is caught."""
    rules = load_rules()
    torkham = rules.posts["torkham"].directions
    assert (torkham["PAK->AFG"].hours.value, torkham["PAK->AFG"].hours.year) == (24.2, 2022)
    assert (torkham["AFG->PAK"].cost.value, torkham["AFG->PAK"].cost.year) == (525, 2021)
    assert rules.posts["chaman"].directions["PAK->AFG"].hours.value == 54.0
    assert rules.posts["sher-khan-bandar"].directions["AFG->TJK"].cost.value == 185
    assert rules.linehaul.road["PAK"].tfi3.value == 569
    assert rules.linehaul.road["PAK"].speed_with_delay.value == 11.4
    assert rules.handling.ports["gwadar"].tariffs["import_20ft"].value == 73
    assert rules.handling.value_of_time.default.value == 0.6
