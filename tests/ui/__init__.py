"""Dashboard test helpers: the real app, over real HTTP, on a simulated cluster.

`dashboard(server, ...)` builds a `DashboardApp` whose source is the kube layer's watch hub
connected to the server through its kubeconfig. `until(pilot, check)` polls the screen text
(what a user reads) until `check` holds, failing with the screen when it never does.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

from textual.pilot import Pilot

from cnvtui.kube.client import KubeClient
from cnvtui.kube.config import ConfigSource
from cnvtui.kube.settings import WatchSettings
from cnvtui.sim.server import SimServer
from cnvtui.ui.app import DashboardApp
from cnvtui.ui.source import KubeSource
from cnvtui.ui.textshot import is_settled, screen_text
from cnvtui.ui.widgets.header import Target

FAST = WatchSettings(
    watch_timeout=30,
    idle_timeout=5.0,
    connect_timeout=2.0,
    request_timeout=10.0,
    backoff_initial=0.02,
    backoff_max=0.2,
    denied_retry=0.3,
    min_watch_seconds=0.0,
)

AppPilot = Pilot[int]
Check = Callable[[str], bool]


@asynccontextmanager
async def dashboard(
    server: SimServer,
    *,
    size: tuple[int, int] = (160, 50),
    namespace: str = "openshift-cnv",
    now: Callable[[], float] | None = None,
    settings: WatchSettings = FAST,
    kubeconfig: str | None = None,
    display_server: str | None = None,
    **app_options: Any,
) -> AsyncIterator[tuple[DashboardApp, AppPilot]]:
    """The app on `server`; yields (app, pilot) inside `run_test`."""
    path = kubeconfig or str(server.kubeconfig_path)
    client = await KubeClient.connect(ConfigSource(kubeconfig=path), environ=dict(os.environ))
    if now is not None:
        settings = _with_clock(settings, now)
    source = KubeSource(client, namespace, settings=settings)
    target = Target(client.info.context, display_server or client.info.server, namespace)
    app = DashboardApp(source, target=target, now=now or time.time, **app_options)
    try:
        async with app.run_test(size=size) as pilot:
            yield app, pilot
    finally:
        await client.close()


def _with_clock(settings: WatchSettings, now: Callable[[], float]) -> WatchSettings:
    return replace(settings, clock=now)


async def until(pilot: AppPilot, check: Check, *, within: float = 15.0, what: str = "") -> str:
    """Poll the screen text until `check(text)`; return the text. Fails showing the screen."""
    deadline = time.monotonic() + within
    text = ""
    while time.monotonic() < deadline:
        await pilot.pause(0.05)
        await settled(pilot)
        text = screen_text(pilot.app)
        if check(text):
            return text
    raise AssertionError(f"screen never showed {what or check}:\n{text}")


async def settled(pilot: AppPilot, *, within: float = 1.0) -> None:
    """Let pending layout reach the screen, so that a read sees a frame a terminal would get
    (see `cnvtui.ui.textshot`); give up after `within` and read as it is."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if is_settled(pilot.app):
            return
        await asyncio.sleep(0.005)  # not pilot.pause(): that waits for an idle CPU


def shows(*needles: str) -> Check:
    """All of `needles` are on screen."""
    return lambda text: all(n in text for n in needles)


async def until_shows(pilot: AppPilot, *needles: str, within: float = 15.0) -> str:
    return await until(pilot, shows(*needles), within=within, what=repr(needles))
