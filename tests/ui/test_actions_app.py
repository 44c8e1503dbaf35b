"""Every write through the dashboard's keys (Pilot), judged by the cluster state over the API."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Input
from textual.widgets._toast import Toast

from cnvtui.kube import resources as res
from cnvtui.kube.client import KubeClient
from cnvtui.state.workloads import BACKUP_ANNOTATION
from cnvtui.ui.actions_bindings import ActionsBar
from cnvtui.ui.app import DashboardApp
from cnvtui.ui.screens.confirm import ConfirmScreen
from cnvtui.ui.screens.ocp_update import OcpUpdateScreen
from cnvtui.ui.screens.pools import PoolsScreen
from cnvtui.ui.screens.preview import InstallPlanPreviewScreen
from cnvtui.ui.screens.strategy_form import StrategyFormScreen
from cnvtui.ui.source import KubeSource
from cnvtui.ui.textshot import screen_text
from cnvtui.ui.widgets.header import Target
from cnvtui.ui.widgets.keyed_table import KeyedTable
from tests.actions.cluster import HCO_NAME, NS, Awaiting, Cluster, ClusterFactory, pending_plan

SIZE = (160, 50)
KEYS = ("approve", "strategy", "stop_workloads", "restore_workloads", "pools", "ocp_update")


def dashboard(
    c: Cluster,
    *,
    read_only: bool = False,
    state_dir: Path | None = None,
    client: KubeClient | None = None,
) -> DashboardApp:
    client = client or c.client
    runner = c.runner(read_only=read_only, state_dir=state_dir, client=client)
    target = Target("cnvtui-sim", c.server.url, NS, read_only=read_only)
    return DashboardApp(KubeSource(client, NS), target=target, actions=runner)


def run(app: DashboardApp) -> AbstractAsyncContextManager[Pilot[int]]:
    """The dashboard headless, at the size the tests read it, with its notifications."""
    return app.run_test(size=SIZE, notifications=True)


async def until(pilot: Pilot[int], check: Callable[[], bool], what: str = "") -> None:
    for _ in range(200):
        if check():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"never happened: {what}")


async def until_api(
    pilot: Pilot[int], check: Callable[[], Awaitable[bool]], what: str = ""
) -> None:
    for _ in range(100):
        if await check():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"the cluster never got there: {what}")


async def shown(pilot: Pilot[int], app: DashboardApp, screen: type[Screen[Any]]) -> None:
    """`screen` is on top and has the focus, so keys reach it."""

    def up() -> bool:
        focused = app.focused
        return (
            isinstance(app.screen, screen)
            and focused is not None
            and (focused.screen is app.screen)
        )

    await until(pilot, up, screen.__name__)


def toasts(app: DashboardApp) -> str:
    """The text of the notifications on screen now."""
    return "\n".join(t.render().plain for s in app.screen_stack for t in s.query(Toast))


async def ready(pilot: Pilot[int], app: DashboardApp, *, need: str = "") -> None:
    """The first picture is on screen and the access reviews are answered."""
    await until(pilot, lambda: app.picture is not None, "a picture")
    runner = app.actions
    assert runner is not None
    if not runner.ctx.read_only:
        perms = [runner.permission(a) for a in runner.actions]
        await until(
            pilot,
            lambda: all(runner.ctx.permissions.cached(p) is not None for p in perms),
            "access reviews",
        )
    if need:
        await until(
            pilot, lambda: app.action_state(need) is not None and bool(app.action_state(need)), need
        )


async def until_methods(pilot: Pilot[int], c: Cluster, want: list[str], what: str) -> None:
    """Wait until the cluster's `workloadUpdateMethods` are `want`."""

    async def reached() -> bool:
        return await c.methods() == want

    await until_api(pilot, reached, what)


def backup_seen(app: DashboardApp) -> Callable[[], bool]:
    """Whether `app`'s picture shows the backup of the methods."""
    return lambda: app.picture is not None and app.picture.workload_strategy.backup is not None


async def test_approve_through_preview_and_confirmation(awaiting: Awaiting) -> None:
    c, current = awaiting
    before = {p["metadata"]["name"]: p for p in await c.items(res.INSTALL_PLAN, NS)}
    app = dashboard(c)
    async with run(app) as pilot:
        await ready(pilot, app, need="approve")
        await pilot.press("a")
        await shown(pilot, app, InstallPlanPreviewScreen)
        await pilot.press("a")
        await shown(pilot, app, ConfirmScreen)
        await pilot.press("y")

        async def approved() -> bool:
            plan = await c.get(res.INSTALL_PLAN, NS, current)
            return plan["spec"]["approved"] is True

        await until_api(pilot, approved, "plan approved")
        await until(pilot, lambda: "done" in toasts(app), "the outcome shown")
        assert any(e.kind == "action" and current in e.object for e in app.store.timeline.entries())
    after = {p["metadata"]["name"]: p for p in await c.items(res.INSTALL_PLAN, NS)}
    for name, plan in before.items():
        if name != current:
            assert after[name]["metadata"] == plan["metadata"]
    assert c.patches == [res.INSTALL_PLAN.path(NS, current)]


async def test_the_old_plan_under_the_cursor_cannot_be_approved(awaiting: Awaiting) -> None:
    c, current = awaiting
    app = dashboard(c)
    async with run(app) as pilot:
        await ready(pilot, app, need="approve")
        table = app.query_one("#plans-table", KeyedTable)
        await until(pilot, lambda: table.row_count >= 2, "both plans listed")
        table.focus()
        table.move_cursor(row=1)
        await pilot.pause()
        assert table.cursor_key is not None and current not in table.cursor_key
        await pilot.press("a")
        await until(pilot, lambda: "cannot be approved" in toasts(app), "the refusal")
        assert "not the plan the Subscription names" in toasts(app)
        assert app.screen is app.screen_stack[0]
    assert c.patches == []
    plan = await c.get(res.INSTALL_PLAN, NS, current)
    assert plan["spec"]["approved"] is False


async def _edit_strategy(pilot: Pilot[int], app: DashboardApp) -> None:
    await pilot.press("w")
    await shown(pilot, app, StrategyFormScreen)
    await pilot.pause()
    await pilot.click("#method-both")
    app.screen.query_one("#size", Input).value = "4"
    interval = app.screen.query_one("#interval", Input)
    interval.value = "2m0s"
    interval.focus()
    await pilot.pause()
    await pilot.press("enter")
    await shown(pilot, app, ConfirmScreen)
    await pilot.press("y")


async def test_strategy_form_on_v1beta1(steady: Cluster) -> None:
    app = dashboard(steady)
    async with run(app) as pilot:
        await ready(pilot, app, need="strategy")
        await _edit_strategy(pilot, app)
        await until_methods(pilot, steady, ["LiveMigrate", "Evict"], "strategy written")
    strategy = (await steady.hco())["spec"]["workloadUpdateStrategy"]
    assert (strategy["batchEvictionSize"], strategy["batchEvictionInterval"]) == (4, "2m0s")
    assert steady.patches == [res.HCO.path(NS, HCO_NAME)]


async def test_strategy_form_on_v1(cluster: ClusterFactory) -> None:
    c = await cluster("zstream-hco-v1")
    app = dashboard(c)
    async with run(app) as pilot:
        await ready(pilot, app, need="strategy")
        await _edit_strategy(pilot, app)

        async def written() -> bool:
            hco = await c.get(res.HCO_V1, NS, HCO_NAME)
            block = hco["spec"]["virtualization"]["workloadUpdateStrategy"]
            return bool(block["workloadUpdateMethods"] == ["LiveMigrate", "Evict"])

        await until_api(pilot, written, "strategy written under spec.virtualization")
    assert c.patches == [res.HCO_V1.path(NS, HCO_NAME)]


async def _press_and_confirm(pilot: Pilot[int], app: DashboardApp, action: str, key: str) -> None:
    """Once `action` is offered, press its `key` and confirm."""
    await ready(pilot, app, need=action)
    await pilot.press(key)
    await shown(pilot, app, ConfirmScreen)
    await pilot.press("y")


async def _stop(pilot: Pilot[int], app: DashboardApp) -> None:
    await _press_and_confirm(pilot, app, "stop_workloads", "S")


async def _restore(pilot: Pilot[int], app: DashboardApp) -> None:
    await _press_and_confirm(pilot, app, "restore_workloads", "R")


async def test_stop_and_restore_across_a_restart(steady: Cluster) -> None:
    first = dashboard(steady)
    async with run(first) as pilot:
        await _stop(pilot, first)
        await until_methods(pilot, steady, [], "methods emptied")
        bar = first.query_one(ActionsBar)
        await until(pilot, lambda: "Local backup" in bar.text, "the local backup shown")
    assert json.loads((await steady.annotations())[BACKUP_ANNOTATION]) == ["LiveMigrate"]

    client = await steady.connect()
    try:
        second = dashboard(steady, client=client)
        async with run(second) as pilot:
            await until(pilot, backup_seen(second), "the backup seen after the restart")
            await _restore(pilot, second)
            await until_methods(pilot, steady, ["LiveMigrate"], "methods restored")
    finally:
        await client.close()
    assert BACKUP_ANNOTATION not in await steady.annotations()


async def test_restore_from_a_second_instance(steady: Cluster) -> None:
    client = await steady.connect()
    try:
        here = dashboard(steady)
        there = dashboard(steady, client=client, state_dir=steady.state_dir.parent / "bastion-2")
        async with run(here) as pilot_here:
            await _stop(pilot_here, here)
            await until_methods(pilot_here, steady, [], "methods emptied")
            async with run(there) as pilot_there:
                await until(pilot_there, backup_seen(there), "the second instance sees the backup")
                await _restore(pilot_there, there)
                await until_methods(
                    pilot_there, steady, ["LiveMigrate"], "restored from the other instance"
                )
    finally:
        await client.close()


async def test_pause_and_unpause_the_worker_pool(cluster: ClusterFactory) -> None:
    c = await cluster("eus")
    app = dashboard(c)

    async def paused() -> bool:
        return (await c.pool("worker"))["spec"].get("paused") is True

    async with run(app) as pilot:
        await ready(pilot, app, need="pools")
        for want in (True, False):
            await pilot.press("p")
            await shown(pilot, app, PoolsScreen)
            await pilot.press("space")
            await shown(pilot, app, ConfirmScreen)
            text = str(app.screen.query_one("#confirm-text").render())
            assert ("certificate rotation" in text) is want
            await pilot.press("y")

            async def reached(want: bool = want) -> bool:
                return await paused() is want

            await until_api(pilot, reached, f"paused={want}")
            await until(pilot, lambda: app.screen is app.screen_stack[0], "back on the dashboard")

            def seen(want: bool = want) -> bool:
                pools = app.picture.cluster.pools if app.picture is not None else ()
                return any(p.name == "worker" and p.paused is want for p in pools)

            await until(pilot, seen, "the dashboard shows the pool's new state")
    assert c.patches == [res.MCP.path(None, "worker")] * 2


async def test_openshift_update_needs_the_version_typed(cluster: ClusterFactory) -> None:
    c = await cluster("eus")
    app = dashboard(c)
    async with run(app) as pilot:
        await ready(pilot, app, need="ocp_update")
        await pilot.press("U")
        await shown(pilot, app, OcpUpdateScreen)
        await pilot.press("enter")
        await shown(pilot, app, ConfirmScreen)
        screen = app.screen
        assert isinstance(screen, ConfirmScreen)
        word = screen.change.confirm_word
        assert word
        await pilot.press("y", "enter")
        await pilot.pause()
        assert app.screen is screen, "a wrong word does not confirm"
        screen.query_one("#confirm-word", Input).value = ""
        await pilot.press(*word, "enter")

        async def requested() -> bool:
            cv = await c.cluster_version()
            return bool((cv["spec"].get("desiredUpdate") or {}).get("version") == word)

        await until_api(pilot, requested, "desiredUpdate set")


async def test_read_only_hides_every_write_key_and_sends_nothing(awaiting: Awaiting) -> None:
    c = awaiting.cluster
    app = dashboard(c, read_only=True)
    async with run(app) as pilot:
        await ready(pilot, app)
        await pilot.pause(0.3)
        for key in KEYS:
            assert app.action_state(key) is False
        shown = {b.binding.action for b in app.active_bindings.values()}
        assert not shown & set(KEYS)
        for key in ("a", "w", "S", "R", "p", "U"):
            await pilot.press(key)
            await pilot.pause()
            assert app.screen is app.screen_stack[0]
        bar = app.query_one(ActionsBar)
        await until(pilot, lambda: "READ-ONLY" in bar.text, "read-only said")
    assert c.writes == []


async def test_viewer_sees_why_actions_are_unavailable(cluster: ClusterFactory) -> None:
    c = await cluster("manual-approval", role="viewer")
    await pending_plan(c)
    app = dashboard(c)
    async with run(app) as pilot:
        await ready(pilot, app)
        await until(
            pilot, lambda: app.picture is not None and app.picture.awaiting_approval is not None
        )
        bar = app.query_one(ActionsBar)
        await until(pilot, lambda: "a unavailable" in bar.text, "the reason shown")
        assert (
            "a unavailable: not permitted: needs patch installplans.operators.coreos.com "
            "in openshift-cnv"
        ) in bar.text
        # One line per reason, three at most: the HCO keys share theirs (R: no backup).
        lines = bar.text.splitlines()
        assert len(lines) == 3, lines
        assert any(
            line.startswith("w, S unavailable: not permitted: needs patch hyperconvergeds")
            for line in lines
        ), lines
        assert lines[-1] == "… 2 more: ? lists them all", lines
        assert app.action_state("approve") is None
        await pilot.press("a")
        await pilot.pause()
        assert app.screen is app.screen_stack[0]
        await pilot.press("question_mark")
        await pilot.pause(0.2)
        help_text = screen_text(app)
        assert "Unavailable now" in help_text
        assert "U unavailable: not permitted: needs patch clusterversions" in help_text, help_text
    assert c.patches == []


async def test_a_concurrent_change_brings_a_fresh_preview(steady: Cluster) -> None:
    app = dashboard(steady)
    async with run(app) as pilot:
        await ready(pilot, app, need="stop_workloads")
        await pilot.press("S")
        await shown(pilot, app, ConfirmScreen)
        first = app.screen
        await steady.set_strategy("batchEvictionSize", 3)
        await pilot.press("y")
        await until(
            pilot,
            lambda: isinstance(app.screen, ConfirmScreen) and app.screen is not first,
            "the fresh preview",
        )
        await until(pilot, lambda: "changed since you looked" in toasts(app), "the conflict said")
        await shown(pilot, app, ConfirmScreen)
        await pilot.press("n")
        await until(pilot, lambda: app.screen is app.screen_stack[0], "cancelled")
        await asyncio.sleep(0)
    assert await steady.methods() == ["LiveMigrate"]
    hco = await steady.hco()
    assert hco["spec"]["workloadUpdateStrategy"]["batchEvictionSize"] == 3
    assert BACKUP_ANNOTATION not in (hco["metadata"].get("annotations") or {})
