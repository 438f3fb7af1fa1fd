"""Fixtures for the map tests: a hand-made route with every kind of leg and stop, the real
Tashkent → Karachi routes, and a headless Chromium with the network shut off."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from headless_chromium import Browser, find_chromium
from route_samples import make_route

from corridors.planner import Planner


@pytest.fixture
def route() -> dict[str, Any]:
    return make_route()


@pytest.fixture(scope="session")
def tk_routes(planner: Planner) -> list[dict[str, Any]]:
    """Tashkent → Karachi, the best route and two alternatives, as plain dicts."""
    shipment = planner.default_shipment(planner.places.resolve("Tashkent"), dt.date(2025, 6, 1))
    found = planner.routes("Tashkent", "Karachi", k=3, shipment=shipment)
    assert len(found) >= 2
    return [r.to_dict() for r in found]


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    """One headless Chromium for the module, network blocked. Skipped only where no
    Chromium is installed, and never under CI (CI=true), where it must be there."""
    exe = find_chromium()
    if exe is None:
        msg = (
            "Chromium not found (Debian package 'chromium'; or set CORRIDORS_CHROMIUM): "
            "the real-browser map tests cannot run"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(msg + " -- and CI=true, so this is a failure, not a skip")
        pytest.skip(msg)
    b = Browser(exe, Path(tmp_path_factory.mktemp("chromium")))
    try:
        yield b
    finally:
        b.close()
