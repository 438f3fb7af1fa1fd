"""The exception hierarchy shared by every package of corridors.

It lives in the lowest layer (``geodata``) so that ``routing`` and ``corridors`` can raise
and catch the same classes; ``corridors`` re-exports them.  Each class subclasses a builtin
so that callers who do not know corridors still catch the natural type.  ``exit_code`` is
what the command line returns for it (0 ok, 1 no route, 2 bad input, 3 data error).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = [
    "CorridorError",
    "DataError",
    "InvalidInputError",
    "NoRouteError",
    "SourceMissingError",
    "UnknownPlaceError",
]


class CorridorError(Exception):
    """Base class of every error corridors raises on purpose."""

    exit_code: int = 2

    def __str__(self) -> str:  # one line, always
        return " ".join(str(self.args[0]).split()) if self.args else self.__class__.__name__


class InvalidInputError(CorridorError, ValueError):
    """The user gave a value that cannot be used (malformed, out of range, contradictory)."""

    exit_code = 2


class UnknownPlaceError(CorridorError, KeyError):
    """A place name, code or coordinate could not be resolved.

    Parameters
    ----------
    query
        What the user typed.
    suggestions
        The nearest known names, best first.
    """

    exit_code = 2

    def __init__(self, query: str, suggestions: Sequence[str] = ()) -> None:
        self.query = query
        self.suggestions = list(suggestions)
        hint = f"; did you mean {', '.join(self.suggestions)}?" if self.suggestions else ""
        super().__init__(f"unknown place {query!r}{hint}")

    def __reduce__(self) -> tuple[Any, ...]:
        # pickled (e.g. from a worker process) with the query, not the formatted message
        return type(self), (self.query, self.suggestions)


class NoRouteError(CorridorError, LookupError):
    """No path exists between two places under the given modes and rules.

    Parameters
    ----------
    message
        The one-line explanation.
    reasons
        What blocked the route (e.g. ``"no connection by rail"``), most specific first.
    """

    exit_code = 1

    def __init__(self, message: str, reasons: Sequence[str] = ()) -> None:
        self.reasons = list(reasons)
        super().__init__(message)

    def __reduce__(self) -> tuple[Any, ...]:
        # pickled with its reasons (the default keeps only the message)
        return type(self), (self.args[0] if self.args else "", self.reasons)


class DataError(CorridorError, RuntimeError):
    """The shipped or supplied data is unusable (corrupt, inconsistent, wrong schema)."""

    exit_code = 3


class SourceMissingError(DataError, FileNotFoundError):
    """A raw source file that a network build needs is not in the source folder."""

    exit_code = 3
