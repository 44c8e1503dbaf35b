"""Shared fixtures: `sim`, a factory of simulated clusters served over real HTTP.

    server = await sim(vmis=10, token="t", role="viewer", tls=True, history_size=5,
                       hco_v1=True, tasks=[...], objects=[...])
    server.url, server.kubeconfig_path, server.store, server.close_watches(),
    await server.restart()

Every server started is stopped at teardown.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from cnvtui.sim.server import SimServer

SimFactory = Callable[..., Awaitable[SimServer]]


@pytest.fixture
async def sim(tmp_path: Path) -> AsyncIterator[SimFactory]:
    servers: list[SimServer] = []

    async def start(**options: Any) -> SimServer:
        options.setdefault("kubeconfig_path", tmp_path / f"sim-{len(servers)}.kubeconfig")
        server = SimServer(**options)
        await server.start()
        servers.append(server)
        return server

    yield start
    for server in reversed(servers):
        await server.stop()
