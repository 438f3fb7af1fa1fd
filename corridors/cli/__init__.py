"""The ``corridors`` command line.

Exit codes: 0 success, 1 no route, 2 bad input (also click's usage errors),
3 data error (a missing or corrupt network or source file), 70 internal error (a bug).
Library code logs; these modules decide what a person sees.  Each module registers its
commands on the group in :mod:`corridors.cli._common`; heavy libraries are imported inside
the commands so that ``corridors --help`` starts quickly.
"""

from __future__ import annotations

from corridors.cli import core  # noqa: F401  (registers the commands)
from corridors.cli._common import cli

__all__ = ["cli", "main"]


def main() -> None:
    """Entry point of the ``corridors`` console script."""
    import signal

    if hasattr(signal, "SIGPIPE"):  # `corridors rules | head` ends quietly
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    cli(prog_name="corridors")
