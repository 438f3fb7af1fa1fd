"""Find the compiled kernel (``routing._kernel``, built by setuptools from ``_kernel.c``).

``pip install .`` builds the extension into the installed copy of the package.  When the
package is then imported from a source checkout instead (``python -m pytest`` or a
benchmark run from the repository puts the checkout first on ``sys.path``), the checkout
has no compiled file; the extension of the installed distribution is loaded from there.
Nothing is compiled or downloaded at run time.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
from importlib import metadata
from pathlib import Path
from types import ModuleType

_NAME = "routing._kernel"
_HINT = (
    "the compiled search kernel routing._kernel is missing: install the package "
    "(pip install .) or build it in place (python setup.py build_ext --inplace)"
)


def load() -> ModuleType:
    """The kernel module, imported normally or from the installed distribution."""
    try:
        from routing import _kernel  # type: ignore[attr-defined]

        return _kernel
    except ImportError:
        pass
    path = _installed_extension()
    if path is None:
        raise ImportError(_HINT)
    loader = importlib.machinery.ExtensionFileLoader(_NAME, str(path))
    spec = importlib.util.spec_from_file_location(_NAME, path, loader=loader)
    if spec is None:
        raise ImportError(_HINT)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    sys.modules[_NAME] = module
    return module


def _installed_extension() -> Path | None:
    suffixes = tuple(importlib.machinery.EXTENSION_SUFFIXES)
    # every record of the distribution: a checkout's own egg-info (left by pip) may come
    # first on sys.path and list no compiled files
    for dist in metadata.distributions(name="corridors"):
        for f in dist.files or []:
            name = str(f).replace("\\", "/")
            if name.startswith("routing/_kernel") and name.endswith(suffixes):
                path = Path(str(f.locate()))
                if path.is_file():
                    return path
    return None
