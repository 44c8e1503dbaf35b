"""The preflight screen (`f`): the checks on the live cluster, following it as it changes."""

from __future__ import annotations

from cnvtui.kube import resources as res
from cnvtui.ui.app import DashboardApp
from cnvtui.ui.screens.preflight import PreflightScreen
from cnvtui.ui.source import KubeSource
from cnvtui.ui.textshot import screen_text
from cnvtui.ui.widgets.header import Target
from tests.actions.cluster import NS, Cluster

from . import until_shows


def dashboard(c: Cluster) -> DashboardApp:
    target = Target("cnvtui-sim", c.server.url, NS, read_only=True)
    return DashboardApp(KubeSource(c.client, NS), target=target)


async def test_f_shows_the_checks_and_a_blocker_fixed_with_oc_disappears(steady: Cluster) -> None:
    await steady.patch(
        res.MCP, None, "worker", [{"op": "add", "path": "/spec/paused", "value": True}]
    )
    app = dashboard(steady)
    async with app.run_test(size=(140, 40)) as pilot:
        await until_shows(pilot, "● live")
        await pilot.press("f")
        await until_shows(pilot, "Preflight checks", "machine pools paused: worker")
        assert isinstance(app.screen, PreflightScreen)

        # Someone else unpauses the pool; the finding goes without a key being pressed.
        await steady.patch(
            res.MCP, None, "worker", [{"op": "replace", "path": "/spec/paused", "value": False}]
        )
        text = await until_shows(pilot, "no machine pool paused")
        assert "machine pools paused" not in text

        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, PreflightScreen)
        assert "Preflight checks" not in screen_text(app)
