"""Loaders, one module per source family. See :mod:`sna.io.common` for the loader contract.

``LOADERS`` maps each config key to ``"module:function"`` (derived from :mod:`sna.registry`);
:func:`get_loader` imports lazily so that loading one source never imports geopandas unless
needed.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from sna import registry

LOADERS: dict[str, str] = registry.loaders()  # from the one source registry


def get_loader(key: str) -> Callable:
    """Return the loader function for a config key."""
    module, func = LOADERS[key].split(":")
    return getattr(importlib.import_module(module), func)
