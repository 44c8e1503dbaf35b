"""The `eus` scenario carried out end to end through the EUS guide (Pilot, real HTTP).

The simulated cluster's clock is stopped; the test moves it on while it waits for the cluster
to get somewhere. Every write goes through the guide's `d` key and the actions' preview and
confirmation; each step's detected state is checked on screen along the way, and every write
is judged by reading the cluster over the API as another user.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from textual.pilot import Pilot

from cnvtui.actions import ActionRunner, all_actions, build_context
from cnvtui.kube import resources as res
from cnvtui.kube.client import KubeClient
from cnvtui.kube.config import ConfigSource
from cnvtui.kube.resources import ResourceKind
from cnvtui.sim.clock import SimClock
from cnvtui.sim.scenarios import build
from cnvtui.sim.server import SimServer
from cnvtui.state.eus import StepState
from cnvtui.state.workloads import BACKUP_ANNOTATION
from cnvtui.ui.app import DashboardApp
from cnvtui.ui.screens.confirm import ConfirmScreen
from cnvtui.ui.screens.eus import EusScreen
from cnvtui.ui.screens.ocp_update import OcpUpdateScreen
from cnvtui.ui.screens.preview import InstallPlanPreviewScreen
from cnvtui.ui.source import KubeSource
from cnvtui.ui.textshot import screen_text
from cnvtui.ui.widgets.header import Target

from . import FAST

NS = "openshift-cnv"
HCO_NAME = "kubevirt-hyperconverged"
TOKEN = "eus-guide-token-0123456789"
ADMIN_TOKEN = "eus-admin-token-0123456789"


@dataclass
class Cluster:
    """The simulated cluster with its clock stopped, cnvtui's client, and a judge beside it.

    `get`/`items`/`patch` go over plain HTTP as another cluster-admin ("other"), not through
    cnvtui's code; `writes` are the non-read requests cnvtui's identity sent, counted at the
    server.
    """

    server: SimServer
    clock: SimClock
    client: KubeClient
    state_dir: Path
    requests: list[tuple[str, bool]] = field(default_factory=list)

    @property
    def writes(self) -> list[str]:
        return [m for m, ours in self.requests if ours and m not in ("GET", "HEAD")]

    async def advance(self, seconds: float) -> None:
        await self.clock.advance(seconds)

    def runner(self, client: KubeClient | None = None, *, read_only: bool = False) -> ActionRunner:
        ctx = build_context(
            client or self.client, NS, read_only=read_only, state_dir=self.state_dir, rate_limit=50
        )
        return ActionRunner(ctx, all_actions())

    async def request(self, method: str, path: str, body: Any = None) -> Any:
        headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        if body is not None:
            headers["Content-Type"] = "application/merge-patch+json"
        async with (
            aiohttp.ClientSession() as session,
            session.request(
                method,
                self.server.url + path,
                headers=headers,
                data=None if body is None else json.dumps(body),
            ) as response,
        ):
            assert response.status == 200, await response.text()
            return await response.json()

    async def get(self, kind: ResourceKind, namespace: str | None, name: str) -> dict[str, Any]:
        body: dict[str, Any] = await self.request("GET", kind.path(namespace, name))
        return body

    async def items(self, kind: ResourceKind, namespace: str | None = None) -> list[Any]:
        return list((await self.request("GET", kind.path(namespace)))["items"])

    async def merge(
        self, kind: ResourceKind, namespace: str | None, name: str, body: dict[str, Any]
    ) -> None:
        await self.request("PATCH", kind.path(namespace, name), body)


ClusterFactory = Callable[..., Awaitable[Cluster]]


@pytest.fixture
async def eus(tmp_path: Path) -> AsyncIterator[ClusterFactory]:
    started: list[Cluster] = []

    async def start(vmis: int = 3) -> Cluster:
        built = build("eus", vmis=vmis, namespaces=2, nodes=5, speed=0)
        server = SimServer(
            **built.server_options(),
            token=TOKEN,
            user="alice",
            users=[("other", ADMIN_TOKEN, "admin")],
            kubeconfig_path=tmp_path / f"sim-{len(started)}.kubeconfig",
        )
        requests: list[tuple[str, bool]] = []
        inner = server.api.handle

        async def counting(request: web.Request) -> web.StreamResponse:
            ours = request.headers.get("Authorization", "").endswith(TOKEN)
            requests.append((request.method, ours))
            return await inner(request)

        server.api.handle = counting  # type: ignore[method-assign]
        await server.start()
        client = await KubeClient.connect(ConfigSource(kubeconfig=str(server.kubeconfig_path)))
        c = Cluster(server, built.clock, client, tmp_path / f"state-{len(started)}", requests)
        started.append(c)
        await asyncio.sleep(0)
        return c

    yield start
    for c in reversed(started):
        await c.client.close()
        await c.server.stop()


SIZE = (160, 50)
D, P, W, B, T = (
    StepState.DONE,
    StepState.IN_PROGRESS,
    StepState.WAITING,
    StepState.BLOCKED,
    StepState.TODO,
)
STEP_IDS = (
    "pause_pools",
    "stop_workloads",
    "hco_upgradeable",
    "ocp_odd",
    "cnv_odd",
    "ocp_target",
    "cnv_target",
    "restore_workloads",
    "migrations_done",
    "unpause_pools",
)


def dashboard(
    c: Cluster, client: KubeClient | None = None, *, read_only: bool = False
) -> DashboardApp:
    """The dashboard on `c` with its actions (`read_only`: the mode that sends no write)."""
    source = KubeSource(client or c.client, NS, settings=FAST)
    runner = c.runner(client, read_only=read_only)
    return DashboardApp(source, target=Target("cnvtui-sim", c.server.url, NS), actions=runner)


async def open_guide(pilot: Pilot[int], app: DashboardApp) -> EusScreen:
    """Wait for the first picture, then press `e` on the dashboard."""
    for _ in range(200):
        if app.picture is not None and app.picture.cluster.openshift_version:
            break
        await pilot.pause(0.05)
    await pilot.press("e")
    await until(pilot, lambda: isinstance(app.screen, EusScreen), "the EUS guide")
    screen = app.screen
    assert isinstance(screen, EusScreen)
    return screen


def states(screen: EusScreen) -> dict[str, StepState]:
    assert screen.guide is not None
    return {s.id: s.state for s in screen.guide.steps}


async def until_states(
    pilot: Pilot[int],
    c: Cluster,
    screen: EusScreen,
    want: dict[str, StepState],
    *,
    step: float = 0.0,
    limit: int = 120,
    seen: set[tuple[str, StepState]] | None = None,
) -> None:
    """Wait (moving simulated time by `step` each round, if any) until the guide on screen
    shows `want`; every (step, state) passed through is added to `seen`."""
    now: dict[str, StepState] = {}
    for _ in range(limit):
        await pilot.pause(0.02)
        screen.refresh_guide()
        now = states(screen)
        if seen is not None:
            seen.update(now.items())
        if all(now[k] == v for k, v in want.items()):
            return
        if step:
            await c.advance(step)
    raise AssertionError(f"guide never showed {want}; it shows {now}\n{screen_text(pilot.app)}")


async def until(pilot: Pilot[int], check: Callable[[], bool], what: str) -> None:
    for _ in range(200):
        if check():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"never happened: {what}\n{screen_text(pilot.app)}")


async def until_api(pilot: Pilot[int], check: Callable[[], Awaitable[bool]], what: str) -> None:
    for _ in range(100):
        if await check():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"the cluster never got there: {what}")


async def do_step(pilot: Pilot[int], app: DashboardApp, screen: EusScreen, step_id: str) -> None:
    """The cursor is on `step_id` (the guide moved it there), and `d` starts its action."""
    await until(pilot, lambda: app.screen is screen, "back on the guide")
    current = screen.guide.current if screen.guide is not None else None
    assert current is not None and current.id == step_id, current
    selected = screen._selected()
    assert selected is not None and selected.id == step_id
    await pilot.press("d")


async def confirm(pilot: Pilot[int], app: DashboardApp) -> None:
    await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirmation")
    await pilot.press("y")


async def choose_version(pilot: Pilot[int], app: DashboardApp, version: str) -> None:
    await until(pilot, lambda: isinstance(app.screen, OcpUpdateScreen), "the versions")
    text = screen_text(app)
    assert version in text
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirmation")
    await pilot.press(*version, "enter")


async def approve(pilot: Pilot[int], app: DashboardApp) -> None:
    await until(pilot, lambda: isinstance(app.screen, InstallPlanPreviewScreen), "the preview")
    await pilot.press("a")
    await confirm(pilot, app)


async def test_the_eus_scenario_end_to_end_through_the_guide(eus: ClusterFactory) -> None:
    c = await eus()
    app = dashboard(c)
    seen: set[tuple[str, StepState]] = set()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_guide(pilot, app)
        text = screen_text(app)
        assert "4.12 → 4.13 → 4.14" in text and "OpenShift 4.12.49" in text
        await until_states(
            pilot, c, screen,
            {"pause_pools": W, "stop_workloads": W, "hco_upgradeable": D, "ocp_odd": T},
        )  # fmt: skip
        assert "Press d to pause pool worker" in screen_text(app)

        # 1. Pause the worker pool.
        await do_step(pilot, app, screen, "pause_pools")
        await confirm(pilot, app)

        async def paused() -> bool:
            pool = await c.get(res.MCP, None, "worker")
            return pool["spec"].get("paused") is True

        await until_api(pilot, paused, "worker pool paused")
        await until_states(pilot, c, screen, {"pause_pools": D, "stop_workloads": W})
        master = await c.get(res.MCP, None, "master")
        assert master["spec"].get("paused") is not True

        # 2. Back up the methods and set [].
        await do_step(pilot, app, screen, "stop_workloads")
        await confirm(pilot, app)

        async def stopped() -> bool:
            hco = await c.get(res.HCO, NS, HCO_NAME)
            strategy = hco["spec"]["workloadUpdateStrategy"]
            annotations = hco["metadata"].get("annotations") or {}
            return strategy["workloadUpdateMethods"] == [] and (
                annotations.get(BACKUP_ANNOTATION) == '["LiveMigrate"]'
            )

        await until_api(pilot, stopped, "methods backed up and empty")
        await until_states(
            pilot, c, screen, {"stop_workloads": D, "hco_upgradeable": D, "ocp_odd": W}
        )
        assert screen.guide is not None and not screen.guide.warnings

        # 3-4. OpenShift to the odd minor, among the versions offered for it.
        await do_step(pilot, app, screen, "ocp_odd")
        await choose_version(pilot, app, "4.13.35")

        async def requested() -> bool:
            cv = await c.get(res.CLUSTER_VERSION, None, "version")
            return (cv["spec"].get("desiredUpdate") or {}).get("version") == "4.13.35"

        await until_api(pilot, requested, "OpenShift update requested")
        await until_states(pilot, c, screen, {"ocp_odd": P}, step=60)
        await until_states(pilot, c, screen, {"ocp_odd": D}, step=120)
        await until_states(pilot, c, screen, {"cnv_odd": W}, step=5)

        # 5. Approve the CNV 4.13 plan (approval is Manual), wait for it to settle.
        sub = (await c.items(res.SUBSCRIPTION, NS))[0]
        plan_odd = sub["status"]["installPlanRef"]["name"]
        await do_step(pilot, app, screen, "cnv_odd")
        await approve(pilot, app)

        async def approved_odd() -> bool:
            plan = await c.get(res.INSTALL_PLAN, NS, plan_odd)
            return plan["spec"]["approved"] is True

        await until_api(pilot, approved_odd, "CNV 4.13 plan approved")
        seen.clear()
        await until_states(pilot, c, screen, {"cnv_odd": D, "ocp_target": W}, step=30, seen=seen)
        assert ("cnv_odd", P) in seen
        hco = await c.get(res.HCO, NS, HCO_NAME)
        assert hco["status"]["versions"][0]["version"] == "4.13.9"

        # 6. OpenShift to the target.
        await do_step(pilot, app, screen, "ocp_target")
        await choose_version(pilot, app, "4.14.12")
        seen.clear()
        await until_states(
            pilot, c, screen, {"ocp_target": D, "cnv_target": W}, step=120, seen=seen
        )
        assert ("ocp_target", P) in seen

        # 7. Approve CNV 4.14.
        await do_step(pilot, app, screen, "cnv_target")
        await approve(pilot, app)
        await until_states(pilot, c, screen, {"cnv_target": D, "restore_workloads": W}, step=30)
        assert screen.guide is not None
        assert any("left empty" in w for w in screen.guide.warnings)
        vmis = await c.items(res.VMI)
        assert all("kubevirt.io/outdatedLauncherImage" in v["metadata"]["labels"] for v in vmis)
        assert await c.items(res.VMIM) == []  # nothing migrated while the methods were []

        # 8. Restore the methods; 9. VMs migrate once.
        await do_step(pilot, app, screen, "restore_workloads")
        await confirm(pilot, app)

        async def restored() -> bool:
            hco = await c.get(res.HCO, NS, HCO_NAME)
            annotations = hco["metadata"].get("annotations") or {}
            methods = hco["spec"]["workloadUpdateStrategy"]["workloadUpdateMethods"]
            return methods == ["LiveMigrate"] and BACKUP_ANNOTATION not in annotations

        await until_api(pilot, restored, "methods restored")
        seen.clear()
        await until_states(
            pilot, c, screen, {"migrations_done": D, "unpause_pools": W}, step=30, seen=seen
        )
        assert ("migrations_done", P) in seen
        migrations = await c.items(res.VMIM)
        assert len(migrations) == 3
        assert all(m["status"]["phase"] == "Succeeded" for m in migrations)

        # 10. Unpause; the workers update once.
        await do_step(pilot, app, screen, "unpause_pools")
        await confirm(pilot, app)
        seen.clear()
        await until_states(pilot, c, screen, dict.fromkeys(STEP_IDS, D), step=120, seen=seen)
        assert ("unpause_pools", P) in seen
        assert "The EUS update is complete" in screen_text(app)
        assert screen.guide is not None and not screen.guide.warnings
    cv = await c.get(res.CLUSTER_VERSION, None, "version")
    assert cv["status"]["history"][0]["version"] == "4.14.12"
    assert c.writes.count("PATCH") == 8


async def test_closing_and_reopening_mid_procedure_lands_on_the_right_step(
    eus: ClusterFactory,
) -> None:
    c = await eus()
    app = dashboard(c)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_guide(pilot, app)
        await do_step(pilot, app, screen, "pause_pools")
        await confirm(pilot, app)
        await until_states(pilot, c, screen, {"pause_pools": D, "stop_workloads": W})
        await do_step(pilot, app, screen, "stop_workloads")
        await confirm(pilot, app)
        await until_states(pilot, c, screen, {"stop_workloads": D, "ocp_odd": W})
        await pilot.press("q")

    # Hours later, someone started the OpenShift update with oc; OLM then offered CNV 4.13.
    await c.merge(res.CLUSTER_VERSION, None, "version", {"spec": {"desiredUpdate": {
        "version": "4.13.35", "image": "", "force": False}}})  # fmt: skip
    plan = ""
    for _ in range(200):
        sub = (await c.items(res.SUBSCRIPTION, NS))[0]
        plan = ((sub.get("status") or {}).get("installPlanRef") or {}).get("name") or ""
        found = await c.get(res.INSTALL_PLAN, NS, plan) if plan else {}
        csvs = (found.get("spec") or {}).get("clusterServiceVersionNames") or []
        phase = (found.get("status") or {}).get("phase")
        if phase == "RequiresApproval" and csvs == ["kubevirt-hyperconverged-operator.v4.13.9"]:
            break
        await c.advance(120)
    else:
        raise AssertionError("OLM never offered CNV 4.13")

    client = await KubeClient.connect(ConfigSource(kubeconfig=str(c.server.kubeconfig_path)))
    try:
        again = dashboard(c, client)
        async with again.run_test(size=SIZE) as pilot:
            screen = await open_guide(pilot, again)
            await until_states(
                pilot, c, screen,
                {"pause_pools": D, "stop_workloads": D, "hco_upgradeable": D, "ocp_odd": D,
                 "cnv_odd": W, "ocp_target": T},
            )  # fmt: skip
            guide = screen.guide
            assert guide is not None
            assert (guide.target, guide.target_inferred) == ("4.14", True)
            current = guide.current
            assert current is not None and current.id == "cnv_odd"
            assert current.offer is not None and dict(current.offer.params) == {"plan": plan}
            selected = screen._selected()
            assert selected is not None and selected.id == "cnv_odd"
            text = screen_text(again)
            assert f"Press d to approve install plan {plan}" in text
            assert "with a backup of [LiveMigrate]" in text
            assert "nodes.pools_paused" in text  # the preflight panel below the steps
            assert guide.warnings == ()
    finally:
        await client.close()


async def test_read_only_guide_shows_oc_commands_and_the_preflight_panel_follows(
    eus: ClusterFactory,
) -> None:
    c = await eus()
    app = dashboard(c, read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_guide(pilot, app)
        await until_states(pilot, c, screen, {"pause_pools": W})
        text = screen_text(app)
        assert "Read-only: cnvtui sends no writes" in text
        assert """$ oc patch mcp/worker --type merge -p '{"spec":{"paused":true}}'""" in text
        assert "Press d" not in text
        await pilot.press("d")
        await pilot.pause(0.2)
        assert app.screen is screen
        assert "! warning  subscription.approval" in text
        assert "nodes.pools_paused" in text and "no machine pool paused" in text

        await c.merge(res.MCP, None, "master", {"spec": {"paused": True}})
        await until(
            pilot,
            lambda: "machine pools paused: master" in screen_text(app),
            "the preflight panel to see the paused pool",
        )
        await until(
            pilot,
            lambda: "the master pool is paused" in screen_text(app),
            "the guide to warn about it",
        )
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is not screen, "back to the dashboard")
    assert c.writes == []
