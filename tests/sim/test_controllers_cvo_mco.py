"""CVO and MCO: an OpenShift update through ClusterVersion, refused across minors while an
operator is not upgradeable; worker pools that roll one node at a time unless paused."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace

from cnvtui.sim.controllers.releases import OcpRelease
from cnvtui.sim.scenarios import SCENARIOS
from cnvtui.sim.scenarios.model import build_scenario
from cnvtui.sim.server import SimServer

from .test_scenario_kit import START, Api, Recorder, cond, running, scenario, until

Sim = Callable[..., Awaitable[SimServer]]


async def _request(api: Api, version: str) -> None:
    await api.patch("cv", "version", {"spec": {"desiredUpdate": {"version": version}}},
                    namespace=None)  # fmt: skip


async def test_openshift_update_runs_and_a_paused_pool_waits(sim: Sim) -> None:
    built = scenario("steady", vmis=6)
    clock = built.clock
    async with running(sim, built) as (_, api):
        await api.patch("mcp", "worker", {"spec": {"paused": True}}, namespace=None)
        pools = Recorder(api, "mcp")
        await pools.start()
        await _request(api, "4.14.10")
        await clock.advance(60)
        cv = await api.get("cv", "version", None)
        assert cv["status"]["history"][0]["state"] == "Partial"
        assert cv["status"]["history"][0]["version"] == "4.14.10"
        assert cv["status"]["history"][1]["state"] == "Completed"
        assert cv["status"]["desired"]["version"] == "4.14.10"
        progressing = cond(cv, "Progressing")
        assert progressing["status"] == "True"
        assert progressing["message"].startswith("Working towards 4.14.10")

        async def completed() -> bool:
            cv = await api.get("cv", "version", None)
            return bool(cv["status"]["history"][0]["state"] == "Completed")

        await until(clock, completed, step=120, limit=4 * 3600, what="4.14.10 Completed")
        cv = await api.get("cv", "version", None)
        assert cond(cv, "Progressing")["status"] == "False"
        assert cv["status"]["history"][0]["completionTime"]
        master = await api.get("mcp", "master", None)
        assert cond(master, "Updated")["status"] == "True"
        worker = await api.get("mcp", "worker", None)
        assert cond(worker, "Updated")["status"] == "False"
        assert cond(worker, "Updating")["status"] == "False"
        assert worker["status"]["updatedMachineCount"] == 0
        assert worker["spec"]["configuration"]["name"] != worker["status"]["configuration"]["name"]
        await clock.advance(3600)
        assert (await api.get("mcp", "worker", None))["status"]["updatedMachineCount"] == 0

        await api.patch("mcp", "worker", {"spec": {"paused": False}}, namespace=None)
        # A VMI that must live migrate but cannot holds its node's drain until stopped.
        await clock.advance(600)
        blocker = next(
            v for v in await api.list("vmi")
            if cond(v, "LiveMigratable")["status"] == "False"
            and v["spec"].get("evictionStrategy") == "LiveMigrate"
        )  # fmt: skip
        held = await api.get("node", blocker["status"]["nodeName"], None)
        notes = held["metadata"]["annotations"]
        assert blocker["metadata"]["name"] in notes["machineconfiguration.openshift.io/reason"]
        assert held["spec"]["unschedulable"] is True
        await api.patch("vm", blocker["metadata"]["name"], {"spec": {"runStrategy": "Halted"}},
                        namespace=blocker["metadata"]["namespace"])  # fmt: skip

        async def rolled() -> bool:
            pool = await api.get("mcp", "worker", None)
            return cond(pool, "Updated").get("status") == "True"

        await until(clock, rolled, step=120, limit=4 * 3600, what="workers rolled")
        await pools.caught_up()
        await pools.stop()
        seen = [o["status"] for _, o in pools.events if o["metadata"]["name"] == "worker"]
        updated = [s["updatedMachineCount"] for s in seen]
        assert updated[0] == 3, "the pool was up to date before the update"
        rolling = updated[updated.index(0) :]
        assert rolling == sorted(rolling) and rolling[-1] == 3
        assert max(s["unavailableMachineCount"] for s in seen) == 1
        assert any(cond({"status": s}, "Updating").get("status") == "True" for s in seen)
        nodes = await api.list("node")
        target = (await api.get("mcp", "worker", None))["status"]["configuration"]["name"]
        workers = [n for n in nodes if "node-role.kubernetes.io/worker" in n["metadata"]["labels"]]
        for node in workers:
            notes = node["metadata"]["annotations"]
            assert notes["machineconfiguration.openshift.io/currentConfig"] == target
            assert notes["machineconfiguration.openshift.io/state"] == "Done"
            assert not node["spec"].get("unschedulable")
        # Every other VMI left its node while that node was drained, and runs again.
        vmis = await api.list("vmi")
        assert len(vmis) == 5 and all(v["status"]["phase"] == "Running" for v in vmis)


async def test_minor_update_waits_while_the_hco_is_not_upgradeable(sim: Sim) -> None:
    story = replace(
        SCENARIOS["degraded"],
        ocp_releases=(OcpRelease("4.14.8"), OcpRelease("4.14.10"), OcpRelease("4.15.2")),
    )
    built = build_scenario(story, vmis=4, seed=0, speed=0, start=START)
    clock = built.clock
    async with running(sim, built) as (_, api):

        async def hco_blocks() -> bool:
            hco = await api.get("hco", "kubevirt-hyperconverged")
            return cond(hco, "Upgradeable").get("status") == "False"

        await until(clock, hco_blocks, step=30, limit=3600, what="HCO not upgradeable")
        await clock.advance(30)
        cv = await api.get("cv", "version", None)
        assert cond(cv, "Upgradeable")["status"] == "False"
        await _request(api, "4.15.2")
        await clock.advance(120)
        cv = await api.get("cv", "version", None)
        accepted = cond(cv, "ReleaseAccepted")
        assert accepted["status"] == "False"
        assert "ClusterVersionUpgradeable" in accepted["message"]
        assert cv["status"]["history"][0]["version"] == "4.14.8"
        assert cv["status"]["history"][0]["state"] == "Completed"
        # A z-stream is not a minor update: it goes ahead.
        await _request(api, "4.14.10")
        await clock.advance(60)
        cv = await api.get("cv", "version", None)
        assert cv["status"]["history"][0]["version"] == "4.14.10"
        assert cond(cv, "ReleaseAccepted")["status"] == "True"
