"""The JavaScript and CSS that a written map carries inline, read from installed files.

Leaflet comes from the PyPI package ``django-js-lib-leaflet`` (module ``js_lib_leaflet``),
which ships Leaflet's ``dist`` files unchanged. Each file is checked against the SHA-256 of
the same file in the npm registry's ``leaflet@1.9.4`` tarball, so a map never carries a
Leaflet that differs from the released one. The images that Leaflet's CSS refers to are
inlined as ``data:`` URIs. The project's own helpers (``maps/static``) are read from this
package.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from geodata.errors import DataError

__all__ = ["LEAFLET_VERSION", "Assets", "OfflineAssetError", "assets"]

LEAFLET_VERSION = "1.9.4"
_LEAFLET_PACKAGE = "js_lib_leaflet"
_LEAFLET_DIST = "django-js-lib-leaflet"
#: SHA-256 of the files of npm ``leaflet@1.9.4`` (``package/dist/...``).
_LEAFLET_SHA256 = {
    "leaflet.js": "db49d009c841f5ca34a888c96511ae936fd9f5533e90d8b2c4d57596f4e5641a",
    "leaflet.css": "a7837102824184820dfa198d1ebcd109ff6d0ff9a2672a074b9a1b4d147d04c6",
    "images/layers.png": "1dbbe9d028e292f36fcba8f8b3a28d5e8932754fc2215b9ac69e4cdecf5107c6",
    "images/layers-2x.png": "066daca850d8ffbef007af00b06eac0015728dee279c51f3cb6c716df7c42edf",
    "images/marker-icon.png": "574c3a5cca85f4114085b6841596d62f00d7c892c7b03f28cbfa301deb1dc437",
    "images/marker-icon-2x.png": "00179c4c1ee830d3a108412ae0d294f55776cfeb085c60129a39aa6fc4ae2528",
    "images/marker-shadow.png": "264f5c640339f042dd729062cfc04c17f8ea0f29882b538e3848ed8f10edb4da",
}


class OfflineAssetError(DataError):
    """An asset a map needs cannot be inlined (missing, altered, or only on a CDN)."""


@dataclass(frozen=True)
class Assets:
    """Inline ``<script>``/``<style>`` bodies for a self-contained map."""

    leaflet_js: str
    leaflet_css: str
    icon_default_js: str
    corridors_js: str
    corridors_css: str
    leaflet_licence: str


def _leaflet_file(name: str) -> bytes:
    try:
        root = resources.files(_LEAFLET_PACKAGE) / "static" / _LEAFLET_PACKAGE
        data = (root / name).read_bytes()
    except (ModuleNotFoundError, FileNotFoundError) as exc:
        raise OfflineAssetError(
            f"Leaflet {LEAFLET_VERSION} is not installed: `pip install "
            f"{_LEAFLET_DIST}=={LEAFLET_VERSION}.1` (it ships Leaflet's dist files)"
        ) from exc
    digest = hashlib.sha256(data).hexdigest()
    if digest != _LEAFLET_SHA256[name]:
        raise OfflineAssetError(
            f"{_LEAFLET_DIST}'s {name} is not Leaflet {LEAFLET_VERSION}'s (sha256 {digest})"
        )
    return data


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _own(name: str) -> str:
    return (resources.files("maps") / "static" / name).read_text(encoding="utf-8")


@cache
def assets() -> Assets:
    """Read, check and prepare the inline assets (cached for the process)."""
    js = _leaflet_file("leaflet.js").decode("utf-8")
    css = _leaflet_file("leaflet.css").decode("utf-8")
    images = {
        n.split("/", 1)[1]: _data_uri(_leaflet_file(n))
        for n in _LEAFLET_SHA256
        if n.startswith("images/")
    }
    css = re.sub(r"url\(images/([\w.-]+\.png)\)", lambda m: f"url({images[m.group(1)]})", css)
    if "url(images/" in css:  # pragma: no cover - guards a future Leaflet CSS
        raise OfflineAssetError("leaflet.css refers to an image that is not inlined")
    # L.Icon.Default would otherwise guess an image path from the CSS and fetch it.
    icon_default = (
        "L.Icon.Default.imagePath = '';\n"
        "L.Icon.Default.mergeOptions({"
        f"iconUrl: '{images['marker-icon.png']}', "
        f"iconRetinaUrl: '{images['marker-icon-2x.png']}', "
        f"shadowUrl: '{images['marker-shadow.png']}'}});\n"
    )
    return Assets(
        leaflet_js=js,
        leaflet_css=css,
        icon_default_js=icon_default,
        corridors_js=_own("corridors.js"),
        corridors_css=_own("corridors.css"),
        leaflet_licence=_leaflet_licence(),
    )


def _leaflet_licence() -> str:
    """Leaflet's BSD-2-Clause licence, as the package ships it (carried in every map)."""
    from importlib import metadata

    for f in metadata.distribution(_LEAFLET_DIST).files or []:
        if f.name.upper().startswith("LICENSE"):
            text = f.read_text(encoding="utf-8")
            if "Agafonkin" in text:
                return text.replace("--", "- -")
    raise OfflineAssetError(f"{_LEAFLET_DIST} ships no Leaflet licence file")
