"""Small branca elements that put prepared text into the page without Jinja re-parsing it."""

from __future__ import annotations

import json
from typing import Any

from branca.element import Element, Figure, MacroElement

__all__ = ["CorridorsCall", "Raw", "js_literal"]


def js_literal(obj: Any) -> str:
    """``obj`` as a JSON literal that is safe inside an HTML ``<script>``."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


class Raw(Element):
    """Markup placed as is: neither a Jinja template nor re-parsed as one."""

    def __init__(self, markup: str) -> None:
        super().__init__()
        self.markup = markup

    def render(self, **kwargs: Any) -> str:
        """The markup, unchanged."""
        return self.markup


class CorridorsCall(MacroElement):
    """A call of one of the inlined ``corridors`` helpers on the parent layer or map.

    Puts ``corridors.<function>(<parent>, <argument as JSON>, ...);`` into the page's script,
    after the parent's own script.
    """

    def __init__(self, function: str, *arguments: Any) -> None:
        super().__init__()
        self._name = "CorridorsCall"
        self.function = function
        self.arguments = arguments

    def render(self, **kwargs: Any) -> None:
        """Add the call to the figure's script."""
        figure = self.get_root()
        if not isinstance(figure, Figure):  # pragma: no cover - folium always gives one
            raise TypeError("a CorridorsCall renders only inside a branca Figure")
        args = "".join(f", {js_literal(a)}" for a in self.arguments)
        figure.script.add_child(
            Raw(f"corridors.{self.function}({self._parent.get_name()}{args});\n"),
            name=self.get_name(),
        )
