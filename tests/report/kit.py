"""Shared helpers of the `status` tests: scenario servers, fast watch settings, a line sink."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Awaitable, Callable
from typing import Any

from cnvtui.kube.settings import WatchSettings
from cnvtui.sim.scenarios import build
from cnvtui.sim.server import SimServer

SimFactory = Callable[..., Awaitable[SimServer]]

FAST = WatchSettings(
    watch_timeout=30,
    idle_timeout=5.0,
    connect_timeout=2.0,
    request_timeout=10.0,
    backoff_initial=0.02,
    backoff_max=0.2,
    denied_retry=0.5,
)
"""Watch settings that ride through a restart in a fraction of a second."""


async def scenario_server(
    sim: SimFactory, name: str, *, vmis: int = 6, speed: float = 600.0, **options: Any
) -> SimServer:
    """A simulated cluster playing scenario `name`, its clock `speed` times real time."""
    built = build(name, vmis=vmis, speed=speed)
    return await sim(**built.server_options(), **options)


class Lines(io.StringIO):
    """stdout for an in-process run: collects lines and lets a test wait for one."""

    def __init__(self) -> None:
        super().__init__()
        self.changed = asyncio.Event()

    def write(self, text: str) -> int:
        written = super().write(text)
        self.changed.set()
        return written

    @property
    def lines(self) -> list[str]:
        return self.getvalue().splitlines()

    async def wait_for(self, needle: str, within: float = 20.0) -> str:
        """The first line containing `needle`; fails the test if none comes `within` seconds."""
        async with asyncio.timeout(within):
            while True:
                for line in self.lines:
                    if needle in line:
                        return line
                self.changed.clear()
                await self.changed.wait()


def set_hco_condition(server: SimServer, kind: str, status: str, reason: str = "Test") -> None:
    """Flip one HCO condition through the simulated API's store (as the HCO would)."""
    store = server.store
    hco = store.get(
        "hco.kubevirt.io", "hyperconvergeds", "openshift-cnv", "kubevirt-hyperconverged"
    )
    conditions = hco["status"]["conditions"]
    for cond in conditions:
        if cond["type"] == kind:
            cond["status"] = status
            cond["reason"] = reason
    store.patch(
        "hco.kubevirt.io",
        "hyperconvergeds",
        "openshift-cnv",
        "kubevirt-hyperconverged",
        "merge",
        {"status": {"conditions": conditions}},
        subresource="status",
    )
