"""Loading: caching, immutability, and bad rules files rejected with file, key and reason."""

from __future__ import annotations

import datetime as dt
from importlib import resources
from pathlib import Path

import pytest
from pydantic import ValidationError

from corridors.rules import RULES_FILES, RulesError, load_rules, post_open
from corridors.rules.load import clear_cache
from geodata.errors import DataError

RULES_DIR = resources.files("corridors") / "data" / "rules"


@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    """A writable copy of the packaged rules directory."""
    for name in RULES_FILES:
        (tmp_path / name).write_text(
            (RULES_DIR / name).read_text(encoding="utf-8"), encoding="utf-8"
        )
    clear_cache()
    return tmp_path


def _edit(directory: Path, name: str, old: str, new: str) -> None:
    path = directory / name
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} must occur exactly once in {name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def _error(directory: Path) -> RulesError:
    with pytest.raises(RulesError) as info:
        load_rules(directory)
    message = str(info.value)
    assert "\n" not in message
    return info.value


def test_packaged_rules_load_and_are_cached() -> None:
    first = load_rules()
    assert load_rules() is first
    assert first.origin.startswith("package:")
    assert len(first.posts) == 23


def test_a_copy_loads_like_the_package(rules_copy: Path) -> None:
    rules = load_rules(rules_copy)
    assert rules.origin == str(rules_copy.resolve())
    assert set(rules.posts) == set(load_rules().posts)


def test_rules_are_frozen() -> None:
    rules = load_rules()
    post = rules.posts["torkham"]
    with pytest.raises(ValidationError):
        post.name = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        rules.posts["x"] = post  # type: ignore[index]
    with pytest.raises(TypeError):
        post.directions["PAK->AFG"] = post.directions["AFG->PAK"]  # type: ignore[index]


def test_rules_error_is_a_data_error() -> None:
    assert issubclass(RulesError, DataError)
    assert RulesError.exit_code == 3


def test_unknown_post_referenced_by_an_agreement(rules_copy: Path) -> None:
    _edit(
        rules_copy,
        "agreements.toml",
        'posts = ["torkham", "chaman", "ghulam-khan", "wagah", "khunjerab"]',
        'posts = ["torkham", "chaman", "ghulam-khan", "wagah", "khunjerab-pass"]',
    )
    err = _error(rules_copy)
    assert err.file == "agreements.toml"
    assert err.path == "agreements.aptta.posts[4]"
    assert "unknown border post 'khunjerab-pass'" in err.reason
    assert "did you mean khunjerab" in err.reason


def test_negative_cost(rules_copy: Path) -> None:
    _edit(
        rules_copy,
        "border_posts.toml",
        'cost = { value = 267, unit = "USD/truck", year = 2022',
        'cost = { value = -267, unit = "USD/truck", year = 2022',
    )
    err = _error(rules_copy)
    assert err.file == "border_posts.toml"
    assert err.path == "posts.torkham.directions.PAK->AFG.cost.value"
    assert "greater than or equal to 0" in err.reason


def test_missing_unit(rules_copy: Path) -> None:
    _edit(
        rules_copy,
        "linehaul.toml",
        'tfi3 = { value = 569, unit = "USD/500km/20t", year = 2023',
        "tfi3 = { value = 569, year = 2023",
    )
    err = _error(rules_copy)
    assert err.file == "linehaul.toml"
    assert err.path == "road.PAK.tfi3.unit"
    assert "Field required" in err.reason


def test_unknown_unit(rules_copy: Path) -> None:
    _edit(
        rules_copy,
        "handling.toml",
        'import_40ft = { value = 104, unit = "USD/40ft"',
        'import_40ft = { value = 104, unit = "USD/40 ft"',
    )
    err = _error(rules_copy)
    assert err.path == "ports.gwadar.tariffs.import_40ft.unit"
    assert "unknown unit 'USD/40 ft'" in err.reason


def test_overlapping_closures(rules_copy: Path) -> None:
    _edit(
        rules_copy,
        "border_posts.toml",
        "start = 2023-09-06\nend = 2023-09-14",
        "start = 2023-02-22\nend = 2023-09-14",
    )
    err = _error(rules_copy)
    assert err.file == "border_posts.toml"
    assert err.path == "posts.torkham"
    assert "torkham-2023-02" in err.reason and "torkham-2023-09" in err.reason
    assert "overlap" in err.reason


def test_shared_closure_overlapping_a_post_closure(rules_copy: Path) -> None:
    _edit(
        rules_copy,
        "border_posts.toml",
        '"angoor-adda"]\nstart = 2025-10-12',
        '"angoor-adda"]\nstart = 2025-10-01',
    )
    err = _error(rules_copy)
    assert err.path == "posts.ghulam-khan"
    assert "gk-2025-08" in err.reason and "pk-af-all-2025" in err.reason


def test_unknown_post_in_a_shared_closure(rules_copy: Path) -> None:
    _edit(
        rules_copy,
        "border_posts.toml",
        'posts = ["torkham", "chaman"]\nstart = 2020-03-16',
        'posts = ["torkham", "chamann"]\nstart = 2020-03-16',
    )
    err = _error(rules_copy)
    assert err.path == "closures[0].posts[1]"
    assert "unknown border post 'chamann'" in err.reason


def test_number_without_source_or_estimate(rules_copy: Path) -> None:
    _edit(
        rules_copy,
        "linehaul.toml",
        'value = 11.4, unit = "km/h", year = 2023, source = "cpmm2023_pak" }',
        'value = 11.4, unit = "km/h" }',
    )
    err = _error(rules_copy)
    assert err.path == "road.PAK.speed_with_delay"
    assert "needs a 'source'" in err.reason


def test_estimate_without_reasoning(rules_copy: Path) -> None:
    _edit(
        rules_copy,
        "handling.toml",
        ', reasoning = "Coupling, seal and document checks; the swap waiting is largely inside '
        'the CPMM crossing time (Torugart 2022)." }',
        " }",
    )
    err = _error(rules_copy)
    assert err.path == "transloads.trailer_swap.hours"
    assert "needs a 'reasoning'" in err.reason


def test_unknown_source_key(rules_copy: Path) -> None:
    _edit(
        rules_copy,
        "linehaul.toml",
        'tfi3 = { value = 569, unit = "USD/500km/20t", year = 2023, source = "cpmm2023_pak" }',
        'tfi3 = { value = 569, unit = "USD/500km/20t", year = 2023, source = "cpmm2023_pk" }',
    )
    err = _error(rules_copy)
    assert err.path == "road.PAK.tfi3.source"
    assert "unknown source 'cpmm2023_pk'" in err.reason
    assert "did you mean cpmm2023_pak" in err.reason


def test_unknown_agreement_as_basis(rules_copy: Path) -> None:
    _edit(
        rules_copy,
        "carrier_rights.toml",
        'basis = "uptta"\nconditions = ["road transport permit", "sealed container", '
        '"TIR carnet", "U',
        'basis = "upta"\nconditions = ["road transport permit", "sealed container", "TIR carnet", '
        '"U',
    )
    err = _error(rules_copy)
    assert err.file == "carrier_rights.toml"
    assert err.path.endswith(".basis")
    assert "unknown agreement 'upta'" in err.reason


def test_schedule_gap(rules_copy: Path) -> None:
    _edit(
        rules_copy,
        "border_posts.toml",
        "valid_from = 2019-09-18\nvalid_until = 2020-04-09",
        "valid_from = 2019-09-20\nvalid_until = 2020-04-09",
    )
    err = _error(rules_copy)
    assert err.path == "posts.torkham"
    assert "gap or overlap" in err.reason


def test_wrong_direction(rules_copy: Path) -> None:
    _edit(
        rules_copy,
        "border_posts.toml",
        '[posts.wagah.directions."IND->PAK"]',
        '[posts.wagah.directions."IND->AFG"]',
    )
    err = _error(rules_copy)
    assert err.path == "posts.wagah"
    assert "directions must be exactly" in err.reason


def test_fallback_inconsistent_with_country_level(rules_copy: Path) -> None:
    _edit(
        rules_copy,
        "border_posts.toml",
        'hours = { value = 4.2, unit = "h", year = 2022, source = "cpmm2022_uzb" }',
        'hours = { value = 4.4, unit = "h", year = 2022, source = "cpmm2022_uzb" }',
    )
    err = _error(rules_copy)
    assert "differs from country_level.UZB" in err.reason


def test_invalid_toml(rules_copy: Path) -> None:
    _edit(rules_copy, "handling.toml", "schema_version = 1", "schema_version = = 1")
    err = _error(rules_copy)
    assert err.file == "handling.toml"
    assert "invalid TOML" in err.reason and "line" in err.reason


def test_missing_file(rules_copy: Path) -> None:
    (rules_copy / "linehaul.toml").unlink()
    err = _error(rules_copy)
    assert err.file == "linehaul.toml"
    assert "file not found" in err.reason


def test_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(RulesError, match="rules directory not found"):
        load_rules(tmp_path / "nope")


def test_edited_copy_changes_answers(rules_copy: Path) -> None:
    """A planner can dispute a rule by editing a copy: here, reopen Torkham on 2026-01-01."""
    _edit(
        rules_copy,
        "border_posts.toml",
        "start = 2025-10-12\nopen_ended = true\nlast_confirmed = 2026-02-05",
        "start = 2025-10-12\nend = 2025-12-31",
    )
    rules = load_rules(rules_copy)
    assert post_open("torkham", "PAK->AFG", dt.datetime(2026, 1, 2, 12), rules=rules).open
    assert not post_open("torkham", "PAK->AFG", dt.datetime(2026, 1, 2, 12)).open


def test_road_stops_must_match_their_derivation(rules_copy: Path) -> None:
    _edit(
        rules_copy,
        "linehaul.toml",
        'hours_per_km = { value = 0.02417, unit = "h/km"',
        'hours_per_km = { value = 0.03, unit = "h/km"',
    )
    err = _error(rules_copy)
    assert err.path.startswith("road.PAK")
    assert "differs from its derivation" in err.reason


def test_road_stops_section_too_short_for_cpmm(rules_copy: Path) -> None:
    # one 33.1 h crossing on 600 km is already slower than CPMM's 11.4 km/h with delay
    _edit(
        rules_copy,
        "linehaul.toml",
        'section_km = { value = 1425, unit = "km"',
        'section_km = { value = 600, unit = "km"',
    )
    err = _error(rules_copy)
    assert err.path.startswith("road.PAK")
    assert "too short" in err.reason
