"""`legacy-maintenance`: a node left in maintenance through a legacy
nodemaintenance.kubevirt.io CR, the 4.10 -> 4.11 precondition to clear."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from cnvtui.sim.server import SimServer

from .test_scenario_kit import running, scenario, until


async def test_legacy_maintenance_keeps_its_node_drained_until_the_cr_goes(
    sim: Callable[..., Awaitable[SimServer]],
) -> None:
    built = scenario("legacy-maintenance", vmis=8)
    async with running(sim, built) as (_, api):
        legacy = await api.list("nm-legacy")
        assert len(legacy) == 1
        node = legacy[0]["spec"]["nodeName"]
        assert await api.list("nm") == []
        assert (await api.get("node", node, None))["spec"]["unschedulable"] is True
        cv = await api.get("cv", "version", None)
        assert cv["status"]["desired"]["version"].startswith("4.10.")
        assert [u["version"] for u in cv["status"]["availableUpdates"]] == ["4.11.50"]

        async def empty() -> bool:
            vmis = await api.list("vmi")
            return all(v["status"].get("nodeName") != node for v in vmis)

        await until(built.clock, empty, step=30, limit=3600, what=f"{node} drained")
        nm = (await api.list("nm-legacy"))[0]
        assert nm["status"]["phase"] == "Succeeded"

        await api.session.delete(
            api.base
            + f"/apis/nodemaintenance.kubevirt.io/v1beta1/nodemaintenances/{nm['metadata']['name']}"
        )

        async def back() -> bool:
            return not (await api.get("node", node, None))["spec"].get("unschedulable")

        await until(built.clock, back, step=10, limit=600, what=f"{node} uncordoned")
