"""`zstream`: CNV 4.14.3 -> 4.14.4 with Automatic approval, told through the API alone."""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable

from cnvtui.sim.server import SimServer

from .test_scenario_kit import (
    Api,
    Json,
    Recorder,
    check_limits,
    cond,
    parse_ts,
    running,
    scenario,
    until,
)

NEW_CSV = "kubevirt-hyperconverged-operator.v4.14.4"
OLD_CSV = "kubevirt-hyperconverged-operator.v4.14.3"
OUTDATED = "kubevirt.io/outdatedLauncherImage"
MIGRATION_PHASES = [
    "Pending", "Scheduling", "Scheduled", "PreparingTarget", "TargetReady", "Running", "Succeeded",
]  # fmt: skip


def _phases(csv: Json) -> list[str]:
    out: list[str] = []
    for entry in csv["status"]["conditions"]:
        if not out or out[-1] != entry["phase"]:
            out.append(entry["phase"])
    return out


def _migratable(vmi: Json) -> bool:
    return cond(vmi, "LiveMigratable").get("status") == "True"


async def test_zstream_update_runs_from_new_bundle_to_updated_workloads(
    sim: Callable[..., Awaitable[SimServer]],
) -> None:
    built = scenario("zstream", vmis=14)
    async with running(sim, built) as (_, api):
        assert (await api.get("csv", OLD_CSV))["status"]["phase"] == "Succeeded"
        vmis_before = {v["metadata"]["name"]: v for v in await api.list("vmi")}
        recorders = {kind: Recorder(api, kind) for kind in ("csv", "hco", "vmi", "vmim")}
        for recorder in recorders.values():
            await recorder.start()

        async def workloads_updated() -> bool:
            vmis = await api.list("vmi")
            return all(OUTDATED not in v["metadata"].get("labels", {}) for v in vmis if
                       _migratable(v)) and (await api.get("hco", "kubevirt-hyperconverged"))[
                "status"]["versions"][0]["version"] == "4.14.4"  # fmt: skip

        await until(built.clock, workloads_updated, step=30, limit=3 * 3600, what="update")
        for recorder in recorders.values():
            await recorder.caught_up()
            await recorder.stop()

        await _check_olm(api, recorders["csv"])
        await _check_hco(api, recorders["hco"])
        await _check_workloads(api, vmis_before, recorders["vmi"], recorders["vmim"])


async def _check_olm(api: Api, csv_events: Recorder) -> None:
    new = await api.get("csv", NEW_CSV)
    assert new["spec"]["replaces"] == OLD_CSV
    assert _phases(new) == ["Pending", "InstallReady", "Installing", "Succeeded"]
    assert not await api.exists("csv", OLD_CSV)
    old_seen = [(t, o["status"]) for t, o in csv_events.events if o["metadata"]["name"] == OLD_CSV]
    old_phases = [s.get("phase") for _, s in old_seen]
    assert "Replacing" in old_phases and "Deleting" in old_phases
    assert old_phases.index("Replacing") < old_phases.index("Deleting")
    replacing = next(s for _, s in old_seen if s.get("phase") == "Replacing")
    assert replacing["reason"] == "BeingReplaced"
    assert replacing["message"] == f"being replaced by csv: {NEW_CSV}"
    deleting = next(s for _, s in old_seen if s.get("phase") == "Deleting")
    assert deleting["reason"] == "Replaced"
    assert old_seen[-1][0] == "DELETED"

    sub = await api.get("sub", "kubevirt-hyperconverged")
    assert sub["status"]["state"] == "AtLatestKnown"
    assert sub["status"]["currentCSV"] == sub["status"]["installedCSV"] == NEW_CSV
    assert not cond(sub, "InstallPlanPending")
    plan = await api.get("ip", sub["status"]["installPlanRef"]["name"])
    assert plan["spec"]["approval"] == "Automatic" and plan["spec"]["approved"] is True
    assert plan["spec"]["clusterServiceVersionNames"] == [NEW_CSV]
    assert plan["status"]["phase"] == "Complete"
    kinds = Counter(step["resource"]["kind"] for step in plan["status"]["plan"])
    assert kinds["ClusterServiceVersion"] == 1 and kinds["CustomResourceDefinition"] >= 3


async def _check_hco(api: Api, hco_events: Recorder) -> None:
    seen = [{c["type"]: c for c in o["status"]["conditions"]} for _, o in hco_events.events]
    upgrading = [c for c in seen if c["Progressing"]["status"] == "True"]
    assert upgrading, "HCO never reported Progressing"
    assert all(c["Upgradeable"]["status"] == "False" for c in upgrading)
    assert "4.14.4" in upgrading[0]["Progressing"]["message"]
    hco = await api.get("hco", "kubevirt-hyperconverged")
    now = {c["type"]: c["status"] for c in hco["status"]["conditions"]}
    assert now == {
        "ReconcileComplete": "True", "Available": "True", "Progressing": "False",
        "Degraded": "False", "Upgradeable": "True",
    }  # fmt: skip
    assert hco["status"]["versions"][0] == {"name": "operator", "version": "4.14.4"}


async def _check_workloads(
    api: Api, before: dict[str, Json], vmi_events: Recorder, vmim_events: Recorder
) -> None:
    new_csv = await api.get("csv", NEW_CSV)
    launcher = next(
        i["image"] for i in new_csv["spec"]["relatedImages"] if i["name"] == "virt-launcher"
    )
    vmis = {v["metadata"]["name"]: v for v in await api.list("vmi")}
    stuck = [n for n, v in vmis.items() if not _migratable(v)]
    kv = await api.get("kv", "kubevirt-kubevirt-hyperconverged")
    assert kv["status"]["observedKubeVirtVersion"] == kv["status"]["targetKubeVirtVersion"]
    assert kv["status"]["outdatedVirtualMachineInstanceWorkloads"] == len(stuck)
    outdated = await api.list("vmi", labels=OUTDATED)
    assert sorted(v["metadata"]["name"] for v in outdated) == sorted(stuck)

    migrations = await api.list("vmim")
    by_vmi = Counter(m["spec"]["vmiName"] for m in migrations)
    for name, vmi in vmis.items():
        labels = [OUTDATED in o["metadata"].get("labels", {}) for _, o in vmi_events.events
                  if o["metadata"]["name"] == name]  # fmt: skip
        assert True in labels, f"{name} was never labelled outdated"
        if name in stuck:
            assert by_vmi[name] == 0, "a non-migratable VMI was migrated"
            assert vmi["status"]["launcherContainerImageVersion"] != launcher
            continue
        assert labels.index(True) < len(labels) - 1 and labels[-1] is False
        assert vmi["status"]["launcherContainerImageVersion"] == launcher
        assert by_vmi[name] == 1
        state = vmi["status"]["migrationState"]
        assert state["completed"] is True
        assert (
            vmi["status"]["nodeName"] == state["targetNode"] != before[name]["status"]["nodeName"]
        )

    for m in migrations:
        assert m["metadata"]["generateName"] == "kubevirt-workload-update-"
        assert "kubevirt.io/workloadUpdateMigration" in m["metadata"]["annotations"]
        stamps = m["status"]["phaseTransitionTimestamps"]
        assert [s["phase"] for s in stamps] == MIGRATION_PHASES
        times = [parse_ts(s["phaseTransitionTimestamp"]) for s in stamps]
        assert times == sorted(times)
    check_limits(migrations, per_cluster=5, per_node=2)
