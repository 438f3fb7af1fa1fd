"""Load, validate and cross-check the rules files.

The rules ship inside the package (``corridors/data/rules/*.toml``) and are read through
:mod:`importlib.resources`, so they work from a wheel or a zip as well as from a checkout.
Any problem is reported as one :class:`RulesError` line naming the file, the key path and the
reason, e.g.::

    border_posts.toml: posts.torkham.directions.PAK->AFG.cost.value: Input should be greater
    than or equal to 0
"""

from __future__ import annotations

import copy
import difflib
import functools
import hashlib
import json
import logging
import tomllib
from collections.abc import Iterable, Mapping
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from corridors.rules.schema import (
    AgreementsFile,
    BorderPostsFile,
    CapacityFile,
    CarrierRightsFile,
    EmissionsFile,
    HandlingFile,
    LinehaulFile,
    Rules,
    SourcesFile,
)
from geodata.errors import DataError

__all__ = [
    "RULES_FILES",
    "RulesError",
    "build_rules",
    "clear_cache",
    "default_rules_dir",
    "first_error",
    "load_raw_rules",
    "load_rules",
    "packaged_raw_rules",
    "rules_hash",
    "tree_copy",
]

log = logging.getLogger(__name__)

#: The files a rules directory must contain, in load order.
RULES_FILES: tuple[str, ...] = (
    "sources.toml",
    "border_posts.toml",
    "agreements.toml",
    "carrier_rights.toml",
    "linehaul.toml",
    "handling.toml",
    "capacity.toml",
    "emissions.toml",
)
#: Files that may carry their own ``[sources.*]`` table besides ``sources.toml``.
_LOCAL_SOURCES: tuple[str, ...] = ("capacity.toml", "emissions.toml")

M = TypeVar("M", bound=BaseModel)

_PACKAGE_ORIGIN = "package:corridors/data/rules"
#: ``basis`` value of a carrier right backed by documented practice rather than an agreement.
PRACTICE = "practice"


class RulesError(DataError):
    """A rules file is missing, malformed, inconsistent or refers to something unknown.

    Parameters
    ----------
    file
        The file name (``"border_posts.toml"``).
    path
        The dotted key path inside the file (``"posts.torkham.closures[2]"``), or ``""``.
    reason
        What is wrong.
    """

    def __init__(self, file: str, path: str, reason: str) -> None:
        self.file = file
        self.path = path
        self.reason = reason
        where = f"{file}: {path}" if path else file
        super().__init__(f"{where}: {reason}")


def default_rules_dir() -> Traversable:
    """The rules directory shipped with the package."""
    return resources.files("corridors") / "data" / "rules"


def load_rules(path: str | Path | None = None) -> Rules:
    """Load the rules, by default those shipped with the package (cached per location).

    Parameters
    ----------
    path
        A directory holding the files of :data:`RULES_FILES`; ``None`` for the packaged rules.

    Returns
    -------
    Rules
        Frozen, validated and cross-checked rules.

    Raises
    ------
    RulesError
        On the first problem found, naming the file, the key path and the reason.

    Examples
    --------
    >>> rules = load_rules()
    >>> rules.posts["torugart"].countries
    ('KGZ', 'CHN')
    """
    key = _PACKAGE_ORIGIN if path is None else str(Path(path).resolve())
    return _load_cached(key)


def clear_cache() -> None:
    """Forget every loaded rules set (e.g. after editing a rules directory in place)."""
    _load_cached.cache_clear()
    _raw_cached.cache_clear()


def load_raw_rules(path: str | Path | None = None) -> dict[str, dict[str, Any]]:
    """The rules files as parsed TOML, before validation (a fresh deep copy each call).

    Scenarios edit this form and hand it to :func:`build_rules`, so that an override is
    validated exactly like the shipped files.

    Parameters
    ----------
    path
        A rules directory; ``None`` for the packaged rules.

    Returns
    -------
    dict
        File name → parsed TOML table.
    """
    key = _PACKAGE_ORIGIN if path is None else str(Path(path).resolve())
    return copy.deepcopy(_raw_cached(key))


def tree_copy(data: Any) -> Any:
    """A copy of parsed TOML: every dict and list new, scalars (str, numbers, dates) shared.

    Several times faster than :func:`copy.deepcopy` on these trees, which hold nothing else.
    """
    if isinstance(data, dict):
        return {k: tree_copy(v) for k, v in data.items()}
    if isinstance(data, list):
        return [tree_copy(v) for v in data]
    return data


def packaged_raw_rules() -> Mapping[str, dict[str, Any]]:
    """The packaged rules as parsed TOML, shared and cached: read it, never change it (the
    mapping itself is read-only; the files' tables are the cache's own objects).

    A caller that edits some files copies those and keeps the others as they are; then
    :func:`build_rules` reuses the packaged validation of every file left untouched (the
    very same object) instead of validating it again.
    """
    return MappingProxyType(_raw_cached(_PACKAGE_ORIGIN))


def build_rules(raw: Mapping[str, dict[str, Any]], *, origin: str) -> Rules:
    """Validate and cross-check rules given as parsed TOML (see :func:`load_raw_rules`).

    Raises
    ------
    RulesError
        On the first problem found, naming the file, the key path and the reason.
    """
    return _build(raw, origin=origin)


def rules_hash(raw: Mapping[str, Any] | None = None) -> str:
    """SHA-256 (hex) of rules in parsed-TOML form: the rules version results record.

    Parameters
    ----------
    raw
        Parsed rules (see :func:`load_raw_rules`); ``None`` for the packaged rules.
    """
    data = _raw_cached(_PACKAGE_ORIGIN) if raw is None else raw
    text = json.dumps(data, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@functools.lru_cache(maxsize=8)
def _raw_cached(key: str) -> dict[str, dict[str, Any]]:
    base: Traversable | Path = default_rules_dir() if key == _PACKAGE_ORIGIN else Path(key)
    if isinstance(base, Path) and not base.is_dir():
        raise RulesError(str(base), "", "rules directory not found")
    return {name: _read_toml(base, name) for name in RULES_FILES}


@functools.lru_cache(maxsize=8)
def _load_cached(key: str) -> Rules:
    rules = _build(_raw_cached(key), origin=key)
    log.debug(
        "loaded rules from %s: %d posts, %d agreements, %d carrier rights",
        key,
        len(rules.posts),
        len(rules.agreements.agreements),
        len(rules.carrier_rights.rights),
    )
    return rules


def _read_toml(base: Traversable | Path, name: str) -> dict[str, Any]:
    entry = base / name
    if not entry.is_file():
        raise RulesError(name, "", f"file not found in {base}")
    try:
        return tomllib.loads(entry.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(name, "", f"invalid TOML: {exc}") from None


# --------------------------------------------------------------------------------------------
# Building
# --------------------------------------------------------------------------------------------
def _build(raw: Mapping[str, dict[str, Any]], *, origin: str) -> Rules:
    # files that are the packaged parsed files themselves (same object, with the packaged
    # sources) were validated when the packaged rules were loaded: reuse that
    pkg = _raw_cached(_PACKAGE_ORIGIN)
    shipped = None
    if raw is not pkg and raw.get("sources.toml") is pkg["sources.toml"]:
        shipped = _load_cached(_PACKAGE_ORIGIN)

    def reuse(name: str) -> Any:
        return shipped is not None and raw.get(name) is pkg[name]

    if shipped is not None:
        sources = shipped.sources
    else:
        sources = _validate(
            "sources.toml", SourcesFile, _with_keys(tree_copy(raw["sources.toml"]), "sources")
        ).sources
    catalogue = {key: src.model_dump() for key, src in sources.items()}

    def resolved(name: str) -> Any:
        return _resolve_sources(name, raw[name], _catalogue(name, raw, catalogue))

    def part(name: str, attr: str, schema: Any, table: str | None = None) -> Any:
        if reuse(name):
            return getattr(shipped, attr)
        data = resolved(name)
        if table is not None:
            data = _with_keys(data, table)
        if name == "border_posts.toml":
            data = _merge_shared_closures(data)
        return _validate(name, schema, data)

    border_posts = part("border_posts.toml", "border_posts", BorderPostsFile, "posts")
    agreements = part("agreements.toml", "agreements", AgreementsFile, "agreements")
    rights = part("carrier_rights.toml", "carrier_rights", CarrierRightsFile)
    linehaul = part("linehaul.toml", "linehaul", LinehaulFile)
    handling = part("handling.toml", "handling", HandlingFile)
    capacity = part("capacity.toml", "capacity", CapacityFile)
    emissions = part("emissions.toml", "emissions", EmissionsFile)

    rules = Rules(
        origin=origin,
        sources=sources,
        border_posts=border_posts,
        agreements=agreements,
        carrier_rights=rights,
        linehaul=linehaul,
        handling=handling,
        capacity=capacity,
        emissions=emissions,
    )
    _cross_check(rules)
    return rules


def _catalogue(
    name: str, raw: Mapping[str, dict[str, Any]], catalogue: Mapping[str, Any]
) -> Mapping[str, Any]:
    """The sources a file may cite: ``sources.toml`` plus the file's own ``[sources]``."""
    local = raw[name].get("sources") if name in _LOCAL_SOURCES else None
    if not isinstance(local, dict):
        return catalogue
    merged = dict(catalogue)
    for key, entry in local.items():
        if isinstance(entry, dict):
            merged[key] = {**entry, "key": key}
    return merged


def _with_keys(data: dict[str, Any], table: str) -> dict[str, Any]:
    """Copy each entry's key of ``data[table]`` into the entry (``key = ...``)."""
    entries = data.get(table)
    if isinstance(entries, dict):
        for key, entry in entries.items():
            if isinstance(entry, dict):
                entry.setdefault("key", key)
    return data


def _resolve_sources(file: str, data: Any, catalogue: Mapping[str, Any], path: str = "") -> Any:
    """A copy of ``data`` with ``source = "key"`` and ``sources = ["key", ...]`` replaced by
    the catalogue entries (``data`` itself is left as it is)."""
    if isinstance(data, dict):
        out: dict[str, Any] = {}
        for key, value in data.items():
            here = f"{path}.{key}" if path else key
            if key == "source" and isinstance(value, str):
                out[key] = _lookup_source(file, here, value, catalogue)
            elif key == "sources" and isinstance(value, list):
                out[key] = [
                    _lookup_source(file, f"{here}[{i}]", item, catalogue)
                    if isinstance(item, str)
                    else tree_copy(item)
                    for i, item in enumerate(value)
                ]
            else:
                out[key] = _resolve_sources(file, value, catalogue, here)
        return out
    if isinstance(data, list):
        return [_resolve_sources(file, v, catalogue, f"{path}[{i}]") for i, v in enumerate(data)]
    return data


def _lookup_source(file: str, path: str, key: str, catalogue: Mapping[str, Any]) -> Any:
    if key not in catalogue:
        raise RulesError(file, path, f"unknown source {key!r}{_suggest(key, catalogue)}")
    return tree_copy(catalogue[key])


def _merge_shared_closures(data: dict[str, Any]) -> dict[str, Any]:
    """Copy each top-level ``[[closures]]`` entry into the posts it lists."""
    raw_posts = data.get("posts")
    posts: dict[str, Any] = raw_posts if isinstance(raw_posts, dict) else {}
    closures = data.get("closures", [])
    if not isinstance(closures, list):
        return data
    for i, closure in enumerate(closures):
        if not isinstance(closure, dict):
            continue
        listed = closure.get("posts", [])
        if not isinstance(listed, list):
            continue  # the model reports the wrong type with its key path
        if not listed:
            raise RulesError(
                "border_posts.toml", f"closures[{i}].posts", "a shared closure must list its posts"
            )
        for j, post in enumerate(listed):
            if post not in posts:
                raise RulesError(
                    "border_posts.toml",
                    f"closures[{i}].posts[{j}]",
                    f"unknown border post {post!r}{_suggest(post, posts)}",
                )
            own = {k: copy.deepcopy(v) for k, v in closure.items() if k != "posts"}
            if isinstance(posts[post], dict) and isinstance(posts[post].get("closures", []), list):
                posts[post].setdefault("closures", []).append(own)
    return data


def _validate(file: str, model: type[M], data: dict[str, Any]) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise RulesError(file, *first_error(exc)) from None


def first_error(exc: ValidationError) -> tuple[str, str]:
    """(dotted key path, reason) of a pydantic error's first problem, saying how many more
    there are: the one line every data file of the project reports."""
    errors = exc.errors()
    first = errors[0]
    more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
    return _loc_path(first["loc"]), _clean(str(first["msg"])) + more


def _loc_path(loc: Iterable[int | str]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif "[" in part:  # validator or union-member tags such as 'function-after[...]'
            continue
        else:
            path += f".{part}" if path else part
    return path


def _clean(message: str) -> str:
    return message.removeprefix("Value error, ")


def _suggest(key: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(key, list(known), n=3)
    return f"; did you mean {', '.join(close)}?" if close else ""


# --------------------------------------------------------------------------------------------
# Cross-file checks
# --------------------------------------------------------------------------------------------
def _cross_check(rules: Rules) -> None:
    posts = rules.posts
    ports = rules.handling.ports
    agreements = rules.agreements.agreements
    handling_keys = rules.handling.transloads

    def known(file: str, path: str, value: str, catalogue: Mapping[str, Any], what: str) -> None:
        if value not in catalogue:
            raise RulesError(file, path, f"unknown {what} {value!r}{_suggest(value, catalogue)}")

    for key, agreement in agreements.items():
        for i, post in enumerate(agreement.posts):
            known("agreements.toml", f"agreements.{key}.posts[{i}]", post, posts, "border post")
        for i, port in enumerate(agreement.ports):
            known("agreements.toml", f"agreements.{key}.ports[{i}]", port, ports, "port")

    for i, right in enumerate(rules.carrier_rights.rights):
        here = f"rights[{i}]"
        if right.basis is not None and right.basis != PRACTICE:
            known("carrier_rights.toml", f"{here}.basis", right.basis, agreements, "agreement")
        for j, post in enumerate(right.transload_at):
            known("carrier_rights.toml", f"{here}.transload_at[{j}]", post, posts, "border post")
            _check_touches(
                "carrier_rights.toml",
                f"{here}.transload_at[{j}]",
                posts[post].countries,
                right.countries,
            )

    if rules.capacity is not None:
        for key, cap in rules.capacity.posts.items():
            known("capacity.toml", f"posts.{key}", key, posts, "border post")
            for mode in ("road", "rail"):
                if getattr(cap, mode) is not None and mode not in posts[key].modes:
                    raise RulesError(
                        "capacity.toml", f"posts.{key}.{mode}", f"{key} has no {mode} crossing"
                    )

    for i, transload in enumerate(rules.carrier_rights.transloads):
        here = f"transloads[{i}]"
        known("carrier_rights.toml", f"{here}.post", transload.post, posts, "border post")
        known(
            "carrier_rights.toml",
            f"{here}.handling",
            transload.handling,
            handling_keys,
            "handling item",
        )
        _check_touches(
            "carrier_rights.toml",
            f"{here}.post",
            posts[transload.post].countries,
            transload.from_carriers + transload.to_carriers,
        )


def _check_touches(
    file: str, path: str, post_countries: Iterable[str], countries: Iterable[str]
) -> None:
    post_set, others = set(post_countries), set(countries)
    if not post_set & others:
        raise RulesError(
            file, path, f"post between {sorted(post_set)} does not touch {sorted(others)}"
        )
