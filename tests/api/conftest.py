"""Fixtures of the API tests: one app on the session's planner, and an in-process client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from corridors.api import create_app
from corridors.planner import Planner


@pytest.fixture(scope="module")
def app(planner: Planner) -> FastAPI:
    return create_app(planner)


@pytest.fixture(scope="module")
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c
