"""What is being served: the package version, the network's content hash, the rules' hash.

Kept free of heavy imports so that ``corridors --version`` stays quick.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

__all__ = ["package_version", "rules_version", "versions"]


def package_version() -> str:
    """The version of the installed ``corridors`` package."""
    from corridors import __version__

    return __version__


@cache
def rules_version() -> str:
    """SHA-256 (hex) of the packaged rules files (``corridors/data/rules/*.toml``, by name).

    Two installs with the same rules report the same value; any edit of a rules file changes it.
    """
    from corridors.rules.load import default_rules_dir

    h = hashlib.sha256()
    files = sorted(
        (f for f in default_rules_dir().iterdir() if f.name.endswith(".toml")), key=lambda f: f.name
    )
    for f in files:
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def versions(network_file: Path | None = None) -> dict[str, str]:
    """Package version, network content hash and rules hash.

    Parameters
    ----------
    network_file
        The network file served (default: the embedded one).

    Returns
    -------
    dict
        ``{"package": ..., "network": ..., "rules": ...}``; the hashes are SHA-256 hex.
    """
    from geodata.network import load_network

    return {
        "package": package_version(),
        "network": load_network(network_file).content_hash,
        "rules": rules_version(),
    }
