"""The FastAPI application: thin handlers that parse, call the library and format.

Run it with ``corridors serve`` (uvicorn, 127.0.0.1:8000 by default).  The OpenAPI schema is
served at ``/openapi.json`` and committed as ``docs/openapi.json``; regenerate it with
``python -m corridors.api.schema docs/openapi.json``.  Handlers are plain ``def`` functions
(FastAPI runs them in its thread pool) and share one planner behind a lock
(:class:`corridors.api.service.Service`).  The API takes no file paths and never writes files:
content (JSON, GeoJSON, CSV, HTML) is returned in the answer.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any, Literal

import anyio
import anyio.to_thread
from fastapi import FastAPI, Query
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from corridors.api.errors import ERROR_RESPONSES, BodySizeLimit, install_error_handlers
from corridors.api.models import (
    LIMITS,
    CompareOut,
    CompareRequest,
    FeatureCollectionOut,
    HealthOut,
    Limits,
    MatrixOut,
    MatrixRequest,
    PlacesOut,
    RouteMapQuery,
    RouteQuery,
    RoutesOut,
    RulesOut,
    ScenariosOut,
    VersionOut,
)
from corridors.api.service import Service, rows_to_csv
from corridors.api.versions import package_version, rules_version
from corridors.planner import Planner

__all__ = ["create_app"]


def _description(limits: Limits) -> str:
    return f"""Freight routes between Central Asia and the Arabian Sea, with itemised bills.

Every error is `{{"error": code, "message": one line, "details": ...}}`: 400 invalid_input,
404 unknown_place (with suggestions), 422 no_route (with the reasons), validation_error or
limit_exceeded, 413 body_too_large, 503 data_error; a 500 internal_error is a bug.

Limits: request body ≤ {limits.max_body_bytes} bytes; text fields ≤ {limits.max_text_chars}
characters; k ≤ {limits.max_k}; via ≤ {limits.max_via} places; avoid ≤ {limits.max_avoid}
items; matrix ≤ {limits.max_matrix_origins} origins, ≤ {limits.max_matrix_destinations}
destinations and ≤ {limits.max_matrix_cells} cells; comparison ≤ {limits.max_sweep_pairs}
pairs; places search ≤ {limits.max_places} results.

Map data © OpenStreetMap contributors (ODbL), Natural Earth, searoute (Apache-2.0).
"""


_CSV = {"content": {"text/csv": {"schema": {"type": "string"}}}}
_HTML = {"content": {"text/html": {"schema": {"type": "string"}}}}
_GEOJSON = {
    "content": {
        "application/geo+json": {"schema": {"$ref": "#/components/schemas/FeatureCollectionOut"}}
    }
}


def _json(data: Any) -> JSONResponse:
    return JSONResponse(data)


def create_app(
    planner: Planner | None = None,
    *,
    network_file: Path | None = None,
    limits: Limits = LIMITS,
) -> FastAPI:
    """Build the HTTP API.

    Parameters
    ----------
    planner
        The planner to share between requests (default: one on ``network_file``, built at the
        first request, with a bounded cost-model cache).
    network_file
        The network to serve when no planner is given (default: the embedded one).
    limits
        Request limits (documented in the schema's description).

    Returns
    -------
    FastAPI
        The application (an ASGI app: run it with uvicorn).
    """
    service = Service(planner, network_file=network_file, limits=limits)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = limits.threads
        yield

    app = FastAPI(
        title="corridors",
        version=package_version(),
        description=_description(limits),
        responses=ERROR_RESPONSES,
        lifespan=lifespan,
    )
    install_error_handlers(app)
    _add_schemas(app, [FeatureCollectionOut])
    app.add_middleware(BodySizeLimit, max_bytes=limits.max_body_bytes)
    app.state.service = service

    @app.get("/health", response_model=HealthOut, tags=["service"])
    async def health() -> JSONResponse:
        """The server is up (the network is loaded on the first call)."""
        if not service.ready:  # answers at once while routes are being computed
            await anyio.to_thread.run_sync(lambda: service.planner)
        return _json({"status": "ok"})

    @app.get("/version", response_model=VersionOut, tags=["service"])
    async def version() -> JSONResponse:
        """Package version, network content hash and rules hash."""
        if not service.ready:
            await anyio.to_thread.run_sync(lambda: service.planner)
        net_hash = service.planner.network.content_hash
        return _json({"package": package_version(), "network": net_hash, "rules": rules_version()})

    @app.get(
        "/route",
        response_model=RoutesOut,
        responses={200: _GEOJSON},
        tags=["routes"],
    )
    def route(q: Annotated[RouteQuery, Query()]) -> Response:
        """The best route with its itemised bill; alternatives (k), Pareto front, deadline."""
        found = service.routes(q)
        if q.format == "geojson":
            return JSONResponse(service.geojson(found), media_type="application/geo+json")
        return _json({"routes": [r.to_dict() for r in found]})

    @app.get("/route/map", response_class=HTMLResponse, responses={200: _HTML}, tags=["routes"])
    def route_map(q: Annotated[RouteMapQuery, Query()]) -> HTMLResponse:
        """A self-contained HTML map (works offline) of the routes of ``GET /route``."""
        found = service.routes(q)
        return HTMLResponse(service.route_map_html(found))

    @app.post("/matrix", response_model=MatrixOut, responses={200: _CSV}, tags=["routes"])
    def matrix(
        req: MatrixRequest,
        format: Annotated[
            Literal["json", "csv"], Query(description="json: {rows: [...]}; csv: the rows.")
        ] = "json",
    ) -> Response:
        """Cost, time and distance for origins × destinations, one search per origin."""
        rows = service.matrix(req)
        if format == "csv":
            return Response(rows_to_csv(rows), media_type="text/csv")
        return _json({"rows": rows})

    @app.post("/compare", response_model=CompareOut, responses={200: _CSV}, tags=["scenarios"])
    def compare(
        req: CompareRequest,
        format: Annotated[Literal["json", "csv"], Query(description="json or csv.")] = "json",
    ) -> Response:
        """Two shipped scenarios on the same origin–destination pairs."""
        result = service.compare(req)
        if format == "csv":
            return Response(result.to_csv(), media_type="text/csv")
        return _json(result.to_dict())

    @app.post(
        "/compare/map", response_class=HTMLResponse, responses={200: _HTML}, tags=["scenarios"]
    )
    def compare_map(req: CompareRequest) -> HTMLResponse:
        """A self-contained HTML map of a comparison."""
        result = service.compare(req)
        return HTMLResponse(str(result.map().get_root().render()))

    @app.get("/scenarios", response_model=ScenariosOut, tags=["scenarios"])
    def scenarios() -> JSONResponse:
        """The shipped scenarios."""
        return _json({"scenarios": service.scenarios()})

    @app.get("/places", response_model=PlacesOut, tags=["look-ups"])
    def places(
        search: Annotated[
            str | None,
            Query(max_length=limits.max_text_chars, description="Text in a name, alias or code."),
        ] = None,
        kind: Annotated[Literal["city", "port", "border", "terminal"] | None, Query()] = None,
        country: Annotated[
            str | None, Query(pattern=r"^[A-Za-z]{3}$", description="ISO3 code, e.g. PAK.")
        ] = None,
        limit: Annotated[int, Query(ge=1, le=limits.max_places)] = 50,
    ) -> JSONResponse:
        """Find places (cities, ports, border posts, terminals)."""
        found = service.locked(lambda p: p.places.search(search, kind=kind, country=country))
        return _json(
            {"places": [p.to_dict() for p in found[:limit]], "truncated": len(found) > limit}
        )

    @app.get("/rules", response_model=RulesOut, tags=["look-ups"])
    def rules(
        post: Annotated[str | None, Query(max_length=limits.max_text_chars)] = None,
        agreement: Annotated[str | None, Query(max_length=limits.max_text_chars)] = None,
        country: Annotated[str | None, Query(pattern=r"^[A-Za-z]{3}$")] = None,
        section: Annotated[
            Literal["border_posts", "agreements", "carrier_rights", "linehaul", "handling"] | None,
            Query(),
        ] = None,
    ) -> JSONResponse:
        """Every figure the model uses, with value, unit, year and source (filters: or)."""
        from corridors.rules import describe

        rows = service.locked(
            lambda p: describe(
                post=post,
                agreement=agreement,
                country=country.upper() if country else None,
                section=section,
                rules=p.rules,
            )
        )
        return _json({"rows": [_plain(r._asdict()) for r in rows]})

    return app


def _add_schemas(app: FastAPI, models: list[type[BaseModel]]) -> None:
    """Add models that only non-JSON media types refer to to the schema's components."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            _, defs = models_json_schema(
                [(m, "serialization") for m in models],
                ref_template="#/components/schemas/{model}",
            )
            schema.setdefault("components", {}).setdefault("schemas", {}).update(
                defs.get("$defs", {})
            )
            _errors_are_json(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _errors_are_json(schema: dict[str, Any]) -> None:
    """Error answers of HTML and CSV operations are JSON too: say so in the schema."""
    for operations in schema.get("paths", {}).values():
        for op in operations.values():
            for status, resp in op.get("responses", {}).items():
                content = resp.get("content", {})
                if int(status) >= 400 and "application/json" not in content and content:
                    resp["content"] = {"application/json": next(iter(content.values()))}


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    """An audit row with JSON-safe values (dates as ISO text)."""
    value = row["value"]
    if not isinstance(value, int | float | str) or isinstance(value, bool):
        row["value"] = str(value)
    return row
