"""Errors of the HTTP API: every answer that is not 2xx is ``{"error", "message", "details"}``.

============================  ======  ====================================================
what                          status  ``error``
============================  ======  ====================================================
bad value (date, coordinates, 400     ``invalid_input`` (details: null)
same place, mode, scenario...)
unknown place                 404     ``unknown_place`` (details: query, suggestions)
no route                      422     ``no_route`` (details: reasons that blocked it)
request fails the schema      422     ``validation_error`` (details: list of loc, msg, type)
a documented limit exceeded   422     ``limit_exceeded`` (details: limit, value)
body larger than the limit    413     ``body_too_large``
unknown path / method         404/405 ``not_found`` / ``method_not_allowed``
data unusable on the server   503     ``data_error``
anything else                 500     ``internal_error`` (a bug)
============================  ======  ====================================================
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from geodata.errors import DataError, InvalidInputError, NoRouteError, UnknownPlaceError

__all__ = ["ERROR_RESPONSES", "BodySizeLimit", "LimitExceededError", "install_error_handlers"]

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class LimitExceededError(InvalidInputError):
    """A request asks for more than a documented limit of :data:`corridors.api.LIMITS`."""

    def __init__(self, message: str, limit: int, value: int) -> None:
        self.limit = limit
        self.value = value
        super().__init__(message)


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    """The JSON body of every error answer."""
    return {"error": code, "message": message, "details": details}


def _json(status: int, code: str, message: str, details: Any = None) -> JSONResponse:
    return JSONResponse(error_body(code, message, details), status_code=status)


def _describe(exc: Exception) -> tuple[int, str, Any]:
    """Status, code and details of a library error."""
    if isinstance(exc, UnknownPlaceError):
        return 404, "unknown_place", {"query": exc.query, "suggestions": exc.suggestions}
    if isinstance(exc, NoRouteError):
        return 422, "no_route", {"reasons": exc.reasons}
    if isinstance(exc, LimitExceededError):
        return 422, "limit_exceeded", {"limit": exc.limit, "value": exc.value}
    if isinstance(exc, InvalidInputError):
        return 400, "invalid_input", None
    if isinstance(exc, DataError):
        return 503, "data_error", None
    return 500, "internal_error", None


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for err in exc.errors():
        loc = [str(x) for x in err.get("loc", ())]
        out.append({"loc": loc, "msg": str(err.get("msg", "")), "type": str(err.get("type", ""))})
    return out


def install_error_handlers(app: FastAPI) -> None:
    """Map library errors, FastAPI's validation errors and HTTP errors to the error body."""

    async def on_library_error(request: Request, exc: Exception) -> JSONResponse:
        status, code, details = _describe(exc)
        return _json(status, code, str(exc), details)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        details = _validation_details(exc)
        first = details[0] if details else {"loc": [], "msg": "invalid request"}
        where = ".".join(first["loc"][1:] or first["loc"]) or "request"
        return _json(422, "validation_error", f"{where}: {first['msg']}", details)

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        code = {404: "not_found", 405: "method_not_allowed", 413: "body_too_large"}.get(
            exc.status_code, "http_error"
        )
        resp = _json(exc.status_code, code, str(exc.detail))
        if exc.headers:
            resp.headers.update(exc.headers)
        return resp

    async def on_bug(request: Request, exc: Exception) -> JSONResponse:
        log.exception("internal error on %s %s", request.method, request.url.path)
        return _json(500, "internal_error", f"internal error: {type(exc).__name__} (a bug)")

    app.add_exception_handler(InvalidInputError, on_library_error)
    app.add_exception_handler(UnknownPlaceError, on_library_error)
    app.add_exception_handler(NoRouteError, on_library_error)
    app.add_exception_handler(DataError, on_library_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_bug)


class BodySizeLimit:
    """ASGI middleware: answer 413 ``body_too_large`` to a body above ``max_bytes``.

    Checks the declared ``Content-Length`` first and also counts a streamed body.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        message = f"request body larger than {self.max_bytes} bytes"
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    too_big = int(value) > self.max_bytes
                except ValueError:
                    too_big = False
                if too_big:
                    await _json(413, "body_too_large", message)(scope, receive, send)
                    return
        # Read the (bounded) body first, then hand it on: a chunked body has no length.
        chunks: list[bytes] = []
        seen = 0
        more = True
        while more:
            msg = await receive()
            if msg["type"] != "http.request":
                await self.app(scope, _replay([], msg, receive), send)
                return
            body = msg.get("body", b"")
            seen += len(body)
            if seen > self.max_bytes:
                await _json(413, "body_too_large", message)(scope, receive, send)
                return
            chunks.append(body)
            more = bool(msg.get("more_body", False))
        await self.app(scope, _replay(chunks, None, receive), send)


def _replay(chunks: list[bytes], pending: Message | None, receive: Receive) -> Receive:
    """A ``receive`` that first gives the buffered body (or message), then the real one."""
    queue: list[Message] = []
    if chunks:
        queue.append({"type": "http.request", "body": b"".join(chunks), "more_body": False})
    elif pending is None:
        queue.append({"type": "http.request", "body": b"", "more_body": False})
    if pending is not None:
        queue.append(pending)

    async def replay() -> Message:
        if queue:
            return queue.pop(0)
        return await receive()

    return replay


def _error_response(description: str) -> dict[str, Any]:
    from corridors.api.models import ErrorOut

    return {"model": ErrorOut, "description": description}


#: The error answers every operation documents (OpenAPI ``responses``).
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _error_response("invalid_input: a bad value (date, coordinates, mode, scenario, ...)"),
    404: _error_response("unknown_place (with suggestions)"),
    413: _error_response("body_too_large: the body exceeds the documented limit"),
    422: _error_response(
        "no_route (with the reasons), validation_error (the request does not fit the "
        "schema) or limit_exceeded (a documented limit)"
    ),
    500: _error_response("internal_error: a bug"),
    503: _error_response("data_error: the server's data is unusable"),
}
