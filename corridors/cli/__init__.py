"""The ``corridors`` command line.

Exit codes: 0 success, 1 no route, 2 bad input (also click's usage errors),
3 data error (a missing or corrupt network or source file), 70 internal error (a bug).
Library code logs; these modules decide what a person sees.  Each module registers its
commands on the group in :mod:`corridors.cli._common`; heavy libraries are imported inside
the commands so that ``corridors --help`` starts quickly.
"""

from __future__ import annotations

from corridors.cli import (
    assign,  # noqa: F401  (registers `corridors assign`)
    core,  # noqa: F401  (registers the commands)
    maps,  # noqa: F401  (registers `corridors map`)
    scenarios,  # noqa: F401  (registers scenarios, compare, sweep)
    serve,  # noqa: F401  (registers `corridors serve`)
)
from corridors.cli._common import cli

__all__ = ["cli", "main"]


def main() -> None:
    """Entry point of the ``corridors`` console script."""
    import signal
    import sys

    import click

    if hasattr(signal, "SIGPIPE"):  # `corridors rules | head` ends quietly
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    try:
        code = cli.main(prog_name="corridors", standalone_mode=False)
    except click.exceptions.UsageError as exc:  # bad options: one line, exit 2 as documented
        click.echo(f"error: {exc.format_message()}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.ClickException as exc:
        click.echo(f"error: {exc.format_message()}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)
