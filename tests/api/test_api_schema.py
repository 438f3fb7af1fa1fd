"""The committed OpenAPI schema matches the app, and the app honours it under fuzzing.

Regenerate the committed schema after changing the API:
``python -m corridors.api.schema docs/openapi.json``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from corridors.api import create_app
from corridors.api.schema import openapi_text
from corridors.planner import Planner

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
#: Examples per operation: enough to reach every error branch, bounded to keep the suite fast.
MAX_EXAMPLES = 25


def test_committed_schema_is_current() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == openapi_text(), (
        "docs/openapi.json is out of date: run "
        "`python -m corridors.api.schema docs/openapi.json` and commit it"
    )


def _schema() -> schemathesis.schemas.BaseSchema:
    config = SchemathesisConfig.from_dict(
        {
            "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
            "generation": {"max-examples": MAX_EXAMPLES},
        }
    )
    loaded = schemathesis.openapi.from_dict(
        json.loads(COMMITTED.read_text(encoding="utf-8")), config=config
    )
    loaded.app = APP
    return loaded


APP = create_app()  # cheap: the planner is given below, before the first request
schema = _schema()


@pytest.fixture(scope="module")
def served(planner: Planner) -> None:
    """Serve the session's planner: the schema's examples (Tashkent, UZB truck, 2025-06-01)
    reuse the cost model the other tests built; fuzzed places rarely resolve."""
    APP.state.service.planner = planner


def _no_server_error(ctx, response, case) -> None:
    assert response.status_code < 500, (response.status_code, response.text[:500])


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
)
def test_fuzzed_requests_get_no_500_and_conform(case, served: None) -> None:
    case.call_and_validate(
        checks=[
            _no_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ]
    )
