"""`degraded`: CNV 4.14.4 fails to install; the CSV says Failed, the HCO says Degraded."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from cnvtui.sim.server import SimServer

from .test_scenario_kit import NS, cond, running, scenario, until

NEW_CSV = "kubevirt-hyperconverged-operator.v4.14.4"
OLD_CSV = "kubevirt-hyperconverged-operator.v4.14.3"


async def test_failed_install_leaves_csv_failed_and_hco_degraded(
    sim: Callable[..., Awaitable[SimServer]],
) -> None:
    built = scenario("degraded", vmis=6)
    async with running(sim, built) as (_, api):

        async def failed() -> bool:
            csvs = {c["metadata"]["name"]: c for c in await api.list("csv", NS)}
            return bool(csvs.get(NEW_CSV, {}).get("status", {}).get("phase") == "Failed")

        await until(built.clock, failed, step=30, limit=3 * 3600, what="CSV Failed")
        await built.clock.advance(600)

        new = await api.get("csv", NEW_CSV)
        phases = [c["phase"] for c in new["status"]["conditions"]]
        assert phases[0] == "Pending" and phases[-1] == "Failed"
        assert "Succeeded" not in phases
        assert new["status"]["reason"] == "InstallCheckFailed"
        assert "virt-operator" in new["status"]["message"]
        old = await api.get("csv", OLD_CSV)
        assert old["status"]["phase"] == "Replacing"
        assert old["status"]["message"] == f"being replaced by csv: {NEW_CSV}"

        hco = await api.get("hco", "kubevirt-hyperconverged")
        degraded = cond(hco, "Degraded")
        assert degraded["status"] == "True"
        assert degraded["reason"] == "KubeVirtDegraded" and degraded["message"]
        assert cond(hco, "Upgradeable")["status"] == "False"
        assert cond(hco, "Progressing")["status"] == "True"
        assert hco["status"]["systemHealthStatus"] == "error"
        assert hco["status"]["versions"][0]["version"] == "4.14.3"

        # Nothing rolls out to workloads: the new KubeVirt never came up.
        kv = await api.get("kv", "kubevirt-kubevirt-hyperconverged")
        assert kv["status"]["observedKubeVirtVersion"] != kv["status"]["targetKubeVirtVersion"]
        assert await api.list("vmi", labels="kubevirt.io/outdatedLauncherImage") == []
        assert await api.list("vmim") == []
        # A minor OpenShift update would be refused while the HCO is not upgradeable.
        cv = await api.get("cv", "version", None)
        assert cond(cv, "Upgradeable")["status"] == "False"
