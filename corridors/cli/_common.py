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

__all__ = [
    "EXIT_INTERNAL",
    "cli",
    "console",
    "fail",
    "friendly",
    "is_quiet",
    "print_table",
    "progress",
    "writable",
]

EXIT_INTERNAL = 70
#: Width of tables written to a pipe or file, characters (a terminal uses its own width).
_PIPE_WIDTH = 160
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


def file_option(flag: str, dest: str, help: str) -> Callable[[F], F]:
    """A ``--flag FILE`` option (a file path, not a folder) stored in ``dest``."""
    return click.option(  # type: ignore[return-value]
        flag, dest, type=click.Path(dir_okay=False, path_type=Path), help=help
    )


#: The ``--backhaul`` flag of the commands that price a load (route, matrix).
backhaul_option = click.option(
    "--backhaul",
    is_flag=True,
    help="A back-haul load (the return leg of a round trip): road line-haul in countries whose "
    "rules give a back-haul factor (linehaul.toml) is charged at that share of the rate.",
)


def writable(path: Path) -> Path:
    parent = path.expanduser().resolve().parent
    if not parent.is_dir():
        raise InvalidInputError(f"cannot write {path}: folder {parent} does not exist")
    return path


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    """``--version``: the package, the network's content hash and the rules' hash."""
    if not value or ctx.resilient_parsing:
        return
    from corridors.api.versions import package_version, rules_version
    from geodata.network import load_network

    click.echo(f"corridors {package_version()}")
    try:
        click.echo(f"network {load_network().content_hash}")
        click.echo(f"rules {rules_version()}")
    except (CorridorError, OSError) as exc:
        fail(str(exc), getattr(exc, "exit_code", 3))
    ctx.exit(0)


def console(*, stderr: bool = False) -> Any:
    """A :class:`rich.console.Console` for people (imported here, so ``--help`` stays fast)."""
    from rich.console import Console

    con = Console(stderr=stderr, highlight=False)
    if not con.is_terminal:  # piped or captured: wide lines rather than wrapped cells
        con = Console(stderr=stderr, highlight=False, width=_PIPE_WIDTH)
    return con


def print_table(table: Any, *, indent: int = 0) -> None:
    """Print a rich table for people: indented, without trailing blanks (clean in a pipe)."""
    con = console()
    with con.capture() as cap:
        con.print(table)
    pad = " " * indent
    for line in cap.get().splitlines():
        click.echo((pad + line).rstrip())


def progress(total: int, description: str, *, quiet: bool = False) -> Any:
    """A rich progress bar on stderr; silent when stderr is not a terminal or with --quiet.

    Use as a context manager: ``with progress(n, "searching") as bar: ... bar.advance()``.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    err = console(stderr=True)
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=quiet or not err.is_terminal,
    )
    return _Bar(bar, total, description)


class _Bar:
    def __init__(self, bar: Any, total: int, description: str) -> None:
        self._bar = bar
        self._task = bar.add_task(description, total=total)

    def __enter__(self) -> _Bar:
        self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._bar.stop()

    def advance(self, n: int = 1) -> None:
        self._bar.advance(self._task, n)


def is_quiet() -> bool:
    """Whether ``--quiet`` was given to the group."""
    ctx = click.get_current_context(silent=True)
    root = ctx.find_root() if ctx else None
    return bool(root and root.params.get("quiet"))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Print the package version, the network's content hash and the rules' hash.",
)
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors.")
def cli(verbose: int, quiet: bool) -> None:
    """Plan freight routes between Central Asia and the Arabian Sea.

    Exit codes: 0 ok, 1 no route, 2 bad input, 3 data error, 70 internal error.
    Shell completion (bash): eval "$(_CORRIDORS_COMPLETE=bash_source corridors)"
    (zsh_source, fish_source for zsh and fish).
    """
    level = (
        logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    )
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
