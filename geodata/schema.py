"""Codes of the network schema: the vocabularies every array in a :class:`Network` uses.

Node modes say which physical network a node belongs to; a city has a road node and may
have a rail node and a port node, joined by explicit ``transfer`` edges.  Edge modes add the
links between networks (``transfer``), the Caspian ``ferry`` lines, ``sea`` lanes and
``border`` crossings.  All codes are small integers so the network packs into numpy arrays.
"""

from __future__ import annotations

__all__ = [
    "EDGE_MODES",
    "GAUGES_MM",
    "NODE_MODES",
    "PLACE_KINDS",
    "SCHEMA_VERSION",
    "STATUSES",
    "code_of",
]

SCHEMA_VERSION = 1

NODE_MODES: tuple[str, ...] = ("road", "rail", "port", "sea")
EDGE_MODES: tuple[str, ...] = ("road", "rail", "ferry", "sea", "transfer", "border")
STATUSES: tuple[str, ...] = ("operational", "under_construction", "planned", "closed")
PLACE_KINDS: tuple[str, ...] = ("city", "port", "border", "terminal")
#: Track gauges that occur in the region, mm: 1,520 (former USSR), 1,676 (Pakistan),
#: 1,435 (Iran, China, Herat–Khaf).  0 means "not rail".
GAUGES_MM: tuple[int, ...] = (0, 1435, 1520, 1676)


def code_of(vocabulary: tuple[str, ...], value: str) -> int:
    """Return the integer code of ``value`` in ``vocabulary``.

    Raises
    ------
    ValueError
        If the value is not part of the vocabulary.
    """
    try:
        return vocabulary.index(value)
    except ValueError:
        raise ValueError(f"{value!r} is not one of {', '.join(vocabulary)}") from None
