"""A folium map that writes a self-contained HTML file: it fetches nothing when viewed.

Folium's :class:`folium.Map` links Leaflet, jQuery, Bootstrap and Font Awesome from CDNs
(its ``default_js`` / ``default_css`` lists), which leaves a blank page where there is no
internet. :class:`OfflineMap` links nothing: when it is rendered it inlines Leaflet and the
project's own helpers (see :mod:`maps._assets`), drops folium's CDN defaults, and refuses any
element that would still need a CDN (an awesome-markers :class:`folium.Icon`, a plugin with its
own ``default_js``). Online tile layers remain possible as optional extra layers.
"""

from __future__ import annotations

import re
from typing import Any

import folium
from branca.element import Figure

from maps._assets import LEAFLET_VERSION, OfflineAssetError, assets
from maps._elements import Raw

__all__ = ["OfflineAssetError", "OfflineMap", "external_references"]

#: Enough of jQuery's ``$`` for folium's core templates: ``$(`<div>..</div>`)[0]`` (Popup) and
#: ``$(document).ready(fn)`` (objects_in_front). jQuery itself is not carried.
_JQUERY_SUBSET = """
if (typeof window.$ === "undefined") {
  window.$ = function (x) {
    if (typeof x === "string") {
      var t = document.createElement("template");
      t.innerHTML = x.trim();
      return [t.content.firstElementChild];
    }
    return {ready: function (f) {
      if (document.readyState !== "loading") { f(); }
      else { document.addEventListener("DOMContentLoaded", f); }
    }};
  };
}
"""

#: Folium's own CDN defaults, which OfflineMap replaces or does without.
_REPLACED = {
    "leaflet",
    "leaflet_css",
    "jquery",
    "bootstrap",
    "bootstrap_css",
    "glyphicons_css",
    "awesome_markers",
    "awesome_markers_css",
    "awesome_markers_font_css",
    "awesome_rotate_css",
}

_EXTERNAL = re.compile(
    r"""<(?:script|link|img|iframe|source|embed)\b[^>]*?\b(?:src|href)\s*=\s*["']?"""
    r"""((?:https?:)?//[^"'\s>]+)"""
    r"""|@import\s+(?:url\()?["']?((?:https?:)?//[^"')\s]+)"""
    r"""|url\(\s*["']?((?:https?:)?//[^"')\s]+)""",
    re.IGNORECASE,
)


def external_references(html: str) -> list[str]:
    """URLs that a browser would fetch by itself on opening ``html``.

    Script and stylesheet links, images, frames, CSS ``@import`` and ``url(...)`` pointing at
    another host. Links a person may click (``<a href>``, e.g. in the attribution) and tile
    URL templates inside JavaScript strings are not fetched at load and are not reported.
    """
    return [next(g for g in m.groups() if g) for m in _EXTERNAL.finditer(html)]


def _walk(el: Any) -> Any:
    yield el
    for child in list(getattr(el, "_children", {}).values()):
        yield from _walk(child)


class OfflineMap(folium.Map):
    """A :class:`folium.Map` whose written HTML carries Leaflet inline and fetches nothing.

    Use it as a ``folium.Map``; ``save`` and ``_repr_html_`` give self-contained HTML.
    Elements that need files from a CDN raise :class:`OfflineAssetError` when rendered:
    use :class:`folium.DivIcon` or circle markers instead of :class:`folium.Icon`.
    """

    default_js: list[tuple[str, str]] = []  # noqa: RUF012 - folium's own class attribute
    default_css: list[tuple[str, str]] = []  # noqa: RUF012

    def render(self, **kwargs: Any) -> None:
        """Inline the assets into the page header, then render as folium does."""
        figure = self.get_root()
        if not isinstance(figure, Figure):  # pragma: no cover - folium always gives a Figure
            raise OfflineAssetError("an OfflineMap renders only inside a branca Figure")
        for el in _walk(figure):
            if el is self:
                continue
            if isinstance(el, folium.Icon):
                raise OfflineAssetError(
                    "folium.Icon needs Font Awesome and Bootstrap from a CDN; use folium.DivIcon"
                )
            links = [*getattr(el, "default_js", []), *getattr(el, "default_css", [])]
            foreign = [(n, u) for n, u in links if n not in _REPLACED]
            if foreign:
                raise OfflineAssetError(
                    f"{type(el).__name__} loads {foreign[0][1]} from the network; "
                    "it cannot be inlined into an offline map"
                )
            if links:
                el.default_js, el.default_css = [], []
        a = assets()
        head = figure.header
        head.add_child(
            Raw(f"<!-- Leaflet {LEAFLET_VERSION}, inlined. Its licence:\n{a.leaflet_licence}-->"),
            name="leaflet_licence",
        )
        head.add_child(Raw(f"<style>{a.leaflet_css}</style>"), name="leaflet_css")
        head.add_child(Raw(f"<style>{a.corridors_css}</style>"), name="corridors_css")
        head.add_child(Raw(f"<script>{a.leaflet_js}</script>"), name="leaflet")
        head.add_child(
            Raw(f"<script>{a.icon_default_js}{_JQUERY_SUBSET}</script>"),
            name="leaflet_offline",
        )
        head.add_child(Raw(f"<script>{a.corridors_js}</script>"), name="corridors_js")
        super().render(**kwargs)
