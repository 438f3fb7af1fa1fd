"""The error classes: one line, an exit code, and intact after a trip between processes."""

from __future__ import annotations

import pickle

import pytest

from corridors.rules.query import PostClosedError
from geodata.errors import DataError, InvalidInputError, NoRouteError, UnknownPlaceError


def test_unknown_place_survives_pickling_with_its_query() -> None:
    e = UnknownPlaceError("Tashkint", ["Tashkent"])
    back = pickle.loads(pickle.dumps(e))
    assert type(back) is UnknownPlaceError
    assert back.query == "Tashkint" and back.suggestions == ["Tashkent"]
    assert str(back) == str(e) == "unknown place 'Tashkint'; did you mean Tashkent?"


@pytest.mark.parametrize("cls", [NoRouteError, PostClosedError])
def test_no_route_survives_pickling_with_its_reasons(cls: type[NoRouteError]) -> None:
    e = cls("no route from A to B", ["Torkham closed on 2025-06-01"])
    back = pickle.loads(pickle.dumps(e))
    assert type(back) is cls and str(back) == str(e)
    assert back.reasons == ["Torkham closed on 2025-06-01"]


@pytest.mark.parametrize("cls", [InvalidInputError, DataError])
def test_other_errors_survive_pickling(cls: type[Exception]) -> None:
    back = pickle.loads(pickle.dumps(cls("bad\n  value")))
    assert type(back) is cls and str(back) == "bad value"
