"""Import `kubernetes.aio` without running the `kubernetes` package's `__init__`.

That `__init__` imports the whole synchronous client and its config loader (about 0.2 s of
the dashboard's start-up on a 2-core machine), none of which cnvtui uses: it only needs the
asyncio client, whose modules import nothing from the synchronous side. Registering the
package as an uninitialised module with its search path lets `kubernetes.aio` load on its
own. If something imported `kubernetes` already, this does nothing.
"""

from __future__ import annotations

import importlib.util
import sys

__all__ = ["skip_sync_client"]


_PACKAGES = ("kubernetes", "kubernetes.aio")
"""Packages whose `__init__` only gathers submodules: `kubernetes.aio`'s pulls in the
dynamic client, leader election, websocket streams and utilities, which cnvtui never uses."""


def skip_sync_client() -> None:
    for name in _PACKAGES:
        if name in sys.modules:
            return
        spec = importlib.util.find_spec(name)
        if spec is None or spec.submodule_search_locations is None:
            return  # not installed as a package: let the normal import say so
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        parent, _, child = name.rpartition(".")
        if parent:
            # What the import system would have done: `kubernetes.aio` as an attribute too
            # (the client resolves its models through it).
            setattr(sys.modules[parent], child, module)
