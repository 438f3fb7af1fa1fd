"""``corridors serve``: the HTTP API (FastAPI) on uvicorn."""

from __future__ import annotations

import socket

import click

from corridors.cli._common import cli, friendly
from geodata.errors import InvalidInputError


def _check_free(host: str, port: int) -> None:
    """Fail with one line (exit 2) if ``host:port`` cannot be listened on."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise InvalidInputError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    family, kind, proto, _, addr = infos[0]
    with socket.socket(family, kind, proto) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(addr)
        except OSError as exc:
            raise InvalidInputError(
                f"cannot listen on {host}:{port}: {exc.strerror or exc}"
            ) from None


@cli.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on (0.0.0.0 exposes the API to the network).",
)
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Worker processes; each holds its own network and cost-model cache (~0.5 GB).",
)
@friendly
def serve(host: str, port: int, workers: int) -> None:
    """Serve the HTTP API (OpenAPI schema at /openapi.json, docs at /docs).

    Errors are JSON {"error", "message", "details"}; the limits on k, matrix size,
    comparison size and request size are in the schema's description.
    """
    import logging

    import uvicorn

    _check_free(host, port)
    level = logging.getLogger().getEffectiveLevel()  # set by --quiet / --verbose
    uv_level = "error" if level >= logging.ERROR else "debug" if level <= logging.DEBUG else "info"
    uvicorn.run(
        "corridors.api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=uv_level,
        access_log=level <= logging.INFO,  # -v logs every request
    )
