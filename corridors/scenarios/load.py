"""Find, read and validate scenario files, following ``extends`` chains.

Shipped scenarios live in ``corridors/data/scenarios/*.toml``; a user's scenario is any
TOML file given by path.  Errors are one :class:`ScenarioError` line naming the file, the
key path and the reason.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import tomllib
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from corridors.rules.load import first_error
from corridors.scenarios.schema import ScenarioFile
from geodata.errors import InvalidInputError

__all__ = [
    "Scenario",
    "ScenarioError",
    "list_scenarios",
    "load_scenario",
    "scenario_names",
]

#: Longest ``extends`` chain accepted (a longer one is almost surely a mistake).
MAX_EXTENDS_DEPTH = 8


class ScenarioError(InvalidInputError):
    """A scenario is unknown, malformed or inconsistent with the rules or the network."""


@dataclass(frozen=True, eq=False)
class Scenario:
    """A validated scenario with the chain of files it extends (base first).

    Attributes
    ----------
    name, title, description
        From the ``[scenario]`` table.
    extends
        The scenario it starts from, or None.
    chain
        The parsed files, the most basic first and this one last.
    origin
        Where each file of the chain came from (``package:<name>`` or a path).
    hash
        SHA-256 of the chain's file texts: results record it.
    """

    name: str
    title: str
    description: str
    extends: str | None
    chain: tuple[ScenarioFile, ...]
    origin: tuple[str, ...]
    hash: str

    def __hash__(self) -> int:
        return hash(self.hash)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Scenario) and other.hash == self.hash

    def to_dict(self) -> dict[str, Any]:
        """Plain-data summary (JSON-ready)."""
        last = self.chain[-1]
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "extends": self.extends,
            "origin": self.origin[-1],
            "hash": self.hash,
            "overrides": {
                key: len(getattr(last, key))
                for key in (
                    "infrastructure",
                    "closures",
                    "reopen",
                    "posts",
                    "tariffs",
                    "rights",
                    "set",
                )
                if getattr(last, key)
            },
        }


def _package_dir() -> Traversable:
    return resources.files("corridors") / "data" / "scenarios"


def scenario_names() -> list[str]:
    """Names of the shipped scenarios, sorted."""
    return sorted(
        entry.name.removesuffix(".toml")
        for entry in _package_dir().iterdir()
        if entry.name.endswith(".toml")
    )


def list_scenarios() -> list[Scenario]:
    """The shipped scenarios, loaded and validated."""
    return [load_scenario(name) for name in scenario_names()]


def load_scenario(name_or_path: str | Path) -> Scenario:
    """A shipped scenario by name, or a scenario file by path.

    Raises
    ------
    ScenarioError
        Unknown name (with suggestions), unreadable file, invalid TOML or a bad key.
    """
    text = str(name_or_path).strip()
    if not text:
        raise ScenarioError("empty scenario name")
    if text in scenario_names():
        return _load_shipped(text)
    return _load(text)  # files are read afresh: the user may have edited them


@functools.lru_cache(maxsize=64)
def _load_shipped(name: str) -> Scenario:
    return _load(name)


def _load(text: str) -> Scenario:
    chain: list[ScenarioFile] = []
    origins: list[str] = []
    texts: list[str] = []
    here = text
    seen: list[str] = []
    base_dir: Path | None = None
    child = ""
    while True:
        origin, raw_text, parsed = _read(here, base_dir, child)
        if origin in seen:
            raise ScenarioError(
                f"{origin}: scenario.extends: circular ({' → '.join([*seen, origin])})"
            )
        seen.append(origin)
        chain.insert(0, parsed)
        origins.insert(0, origin)
        texts.insert(0, raw_text)
        if parsed.scenario.extends is None:
            break
        if len(chain) > MAX_EXTENDS_DEPTH:
            raise ScenarioError(
                f"{origin}: scenario.extends: chain longer than {MAX_EXTENDS_DEPTH}"
            )
        if not origin.startswith("package:"):
            base_dir = Path(origin).parent
        here = parsed.scenario.extends
        child = origin
    digest = hashlib.sha256("\n\0".join(texts).encode("utf-8")).hexdigest()
    head = chain[-1].scenario
    return Scenario(
        name=head.name,
        title=head.title,
        description=head.description,
        extends=head.extends,
        chain=tuple(chain),
        origin=tuple(origins),
        hash=digest,
    )


def _read(text: str, base_dir: Path | None, child: str = "") -> tuple[str, str, ScenarioFile]:
    """(origin, file text, parsed file) of a shipped name or a path; ``child`` is the file
    whose ``extends`` named it (a relative path is taken from that file's folder)."""
    looks_like_path = text.endswith(".toml") or "/" in text or "\\" in text
    where = f"{child}: scenario.extends: " if child else ""
    if looks_like_path and base_dir is not None and not Path(text).expanduser().is_absolute():
        text = str(base_dir / text)
    if not looks_like_path:
        names = scenario_names()
        if text in names:
            entry = _package_dir() / f"{text}.toml"
            return (
                f"package:{text}",
                entry.read_text(encoding="utf-8"),
                _parse(entry.read_text(encoding="utf-8"), f"{text}.toml"),
            )
        if base_dir is not None and (base_dir / f"{text}.toml").is_file():
            text = str(base_dir / f"{text}.toml")
        else:
            close = difflib.get_close_matches(text, names, n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise ScenarioError(
                f"{where}unknown scenario {text!r}{hint} (shipped: {', '.join(names)}; "
                "or give a path to a .toml file)"
            )
    path = Path(text).expanduser()
    if path.is_dir():
        raise ScenarioError(f"{where}{path} is a folder, not a scenario file")
    if not path.is_file():
        raise ScenarioError(f"{where}scenario file not found: {path}")
    try:
        raw_text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"cannot read scenario file {path}: {exc}") from None
    return str(path.resolve()), raw_text, _parse(raw_text, str(path))


def _parse(raw_text: str, where: str) -> ScenarioFile:
    try:
        data = tomllib.loads(raw_text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{where}: invalid TOML: {exc}") from None
    try:
        return ScenarioFile.model_validate(data)
    except ValidationError as exc:
        path, reason = first_error(exc)
        raise ScenarioError(f"{where}: {path or '(top level)'}: {reason}") from None
