"""The HTTP API of corridors (FastAPI): ``corridors serve``, or ``create_app()`` in Python.

Importing this package is cheap; FastAPI loads with :func:`create_app`.
"""

from __future__ import annotations

from typing import Any

__all__ = ["LIMITS", "create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from corridors.api.app import create_app

        return create_app
    if name == "LIMITS":
        from corridors.api.models import LIMITS

        return LIMITS
    raise AttributeError(name)
