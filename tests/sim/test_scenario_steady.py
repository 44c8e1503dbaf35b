"""`steady`: a healthy cluster at rest stays at rest; nothing for anyone to do."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from cnvtui.sim.server import SimServer

from .test_scenario_kit import NS, Json, cond, running, scenario


def _placement(vmis: list[Json]) -> dict[str, str]:
    return {v["metadata"]["name"]: v["status"]["nodeName"] for v in vmis}


async def test_steady_cluster_stays_healthy_and_quiet(
    sim: Callable[..., Awaitable[SimServer]],
) -> None:
    built = scenario("steady", vmis=10)
    async with running(sim, built) as (_, api):
        vmis_before = {
            v["metadata"]["name"]: v["status"]["nodeName"] for v in await api.list("vmi")
        }
        await built.clock.advance(2 * 3600)

        csvs = await api.list("csv", NS)
        assert [(c["spec"]["version"], c["status"]["phase"]) for c in csvs] == [
            ("4.14.3", "Succeeded")
        ]
        assert len(await api.list("ip", NS)) == 1
        sub = await api.get("sub", "kubevirt-hyperconverged")
        assert sub["status"]["state"] == "AtLatestKnown"
        assert not cond(sub, "InstallPlanPending")
        hco = await api.get("hco", "kubevirt-hyperconverged")
        assert {c["type"]: c["status"] for c in hco["status"]["conditions"]} == {
            "ReconcileComplete": "True", "Available": "True", "Progressing": "False",
            "Degraded": "False", "Upgradeable": "True",
        }  # fmt: skip
        assert hco["status"]["systemHealthStatus"] == "healthy"
        kv = await api.get("kv", "kubevirt-kubevirt-hyperconverged")
        assert kv["status"]["outdatedVirtualMachineInstanceWorkloads"] == 0
        assert await api.list("vmi", labels="kubevirt.io/outdatedLauncherImage") == []
        assert await api.list("vmim") == []
        vmis_after = _placement(await api.list("vmi"))
        assert vmis_after == vmis_before
        for pool in await api.list("mcp"):
            assert cond(pool, "Updated")["status"] == "True"
            assert pool["status"]["updatedMachineCount"] == pool["status"]["machineCount"]
        cv = await api.get("cv", "version", None)
        assert cond(cv, "Progressing")["status"] == "False"
        assert cv["status"]["desired"]["version"] == "4.14.8"
        assert [u["version"] for u in cv["status"]["availableUpdates"]] == ["4.14.10", "4.14.9"]
