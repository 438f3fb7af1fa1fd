"""Write the API's OpenAPI schema: ``python -m corridors.api.schema docs/openapi.json``.

The committed ``docs/openapi.json`` is compared with the generated one by the tests
(``tests/api/test_schema.py``); rerun this command after changing the API.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

__all__ = ["openapi_schema", "openapi_text"]


def openapi_schema() -> dict[str, Any]:
    """The OpenAPI schema of :func:`corridors.api.app.create_app` (no network is loaded)."""
    from corridors.api.app import create_app

    return create_app().openapi()


def openapi_text() -> str:
    """The schema as the committed file holds it (sorted keys, two-space indent, newline)."""
    return json.dumps(openapi_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write the schema to the path given (or print it)."""
    args = sys.argv[1:] if argv is None else argv
    text = openapi_text()
    if args:
        Path(args[0]).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
