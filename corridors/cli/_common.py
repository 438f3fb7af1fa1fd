"""Shared pieces of the ``corridors`` command line: the group, error handling, paths.

Exit codes: 0 success, 1 no route, 2 bad input (also click's usage errors),
3 data error (a missing or corrupt network or source file), 70 internal error (a bug).
Library code logs; this module decides what a person sees.  Heavy libraries are imported
inside the commands so that ``corridors --help`` starts quickly.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from geodata.errors import CorridorError, InvalidInputError

__all__ = ["EXIT_INTERNAL", "cli", "fail", "friendly", "writable"]

EXIT_INTERNAL = 70
F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str, code: int) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def friendly(func: F) -> F:
    """Turn library errors into one line on stderr and the documented exit code."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except CorridorError as exc:
            fail(str(exc), exc.exit_code)
        except OSError as exc:
            fail(f"{exc.strerror or exc} ({exc.filename})" if exc.filename else str(exc), 2)
        except Exception as exc:  # a bug: say so in one line, keep details in the log
            logging.getLogger("corridors").debug("internal error", exc_info=True)
            fail(f"internal error: {type(exc).__name__}: {exc} (please report it)", EXIT_INTERNAL)

    return wrapper  # type: ignore[return-value]


def writable(path: Path) -> Path:
    parent = path.expanduser().resolve().parent
    if not parent.is_dir():
        raise InvalidInputError(f"cannot write {path}: folder {parent} does not exist")
    return path


def _version() -> str:
    from corridors import __version__

    return __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(_version(), "--version", prog_name="corridors")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors.")
def cli(verbose: int, quiet: bool) -> None:
    """Plan freight routes between Central Asia and the Arabian Sea.

    Exit codes: 0 ok, 1 no route, 2 bad input, 3 data error, 70 internal error.
    """
    level = (
        logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    )
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
