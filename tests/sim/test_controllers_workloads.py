"""virt-controller's workload updates by method: Evict in batches (VMs that should run come
back on the new launcher), an empty list does nothing, and the live migration limits set in
the HCO hold."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from datetime import datetime

from cnvtui.sim.server import SimServer

from .test_scenario_kit import (
    Api,
    Recorder,
    check_limits,
    cond,
    parse_ts,
    running,
    scenario,
    until,
)

HCO = "kubevirt-hyperconverged"
OUTDATED = "kubevirt.io/outdatedLauncherImage"
Sim = Callable[..., Awaitable[SimServer]]


async def _set_strategy(api: Api, strategy: dict[str, object]) -> None:
    await api.patch("hco", HCO, {"spec": {"workloadUpdateStrategy": strategy}})


async def _cnv_updated(api: Api) -> bool:
    hco = await api.get("hco", HCO)
    return bool(hco["status"]["versions"][0]["version"] == "4.14.4")


async def test_evict_shuts_vmis_down_in_batches_and_always_vms_come_back(sim: Sim) -> None:
    built = scenario("zstream", vmis=10, seed=3)
    clock = built.clock
    async with running(sim, built) as (_, api):
        await _set_strategy(api, {"workloadUpdateMethods": ["Evict"], "batchEvictionSize": 2,
                                  "batchEvictionInterval": "1m0s"})  # fmt: skip
        before = {v["metadata"]["name"]: v for v in await api.list("vmi")}
        strategies = {
            vm["metadata"]["name"]: vm["spec"]["runStrategy"] for vm in await api.list("vm")
        }
        kv = await api.get("kv", "kubevirt-kubevirt-hyperconverged")
        blocked = {
            n for n, v in before.items()
            if cond(v, "LiveMigratable")["status"] == "False"
            and (v["spec"].get("evictionStrategy")
                 or kv["spec"]["configuration"].get("evictionStrategy")) == "LiveMigrate"
        }  # fmt: skip
        assert blocked and "Always" in strategies.values()
        assert {"Manual", "RerunOnFailure"} & set(strategies.values())
        recorder = Recorder(api, "vmi")
        await recorder.start()
        await until(clock, lambda: _cnv_updated(api), step=30, limit=3600, what="CNV 4.14.4")

        async def settled() -> bool:
            outdated = {v["metadata"]["name"] for v in await api.list("vmi", labels=OUTDATED)}
            return outdated == blocked

        await until(clock, settled, step=60, limit=4 * 3600, what="evictions done")
        await clock.advance(300)
        await recorder.caught_up()
        await recorder.stop()

        assert await api.list("vmim") == []
        deleted = sorted(
            parse_ts(o["metadata"]["deletionTimestamp"])
            for kind, o in recorder.events
            if kind == "DELETED"
        )
        assert len(deleted) == len(before) - len(blocked)
        batches: list[list[datetime]] = []
        for when in deleted:
            if batches and (when - batches[-1][0]).total_seconds() < 30:
                batches[-1].append(when)
            else:
                batches.append([when])
        assert all(len(batch) <= 2 for batch in batches)
        assert len(batches) >= (len(deleted) + 1) // 2
        starts = [batch[0] for batch in batches]
        assert all((b - a).total_seconds() >= 60 for a, b in itertools.pairwise(starts))

        new_csv = await api.get("csv", "kubevirt-hyperconverged-operator.v4.14.4")
        launcher = {i["name"]: i["image"] for i in new_csv["spec"]["relatedImages"]}[
            "virt-launcher"
        ]
        after = {v["metadata"]["name"]: v for v in await api.list("vmi")}
        vms = {vm["metadata"]["name"]: vm for vm in await api.list("vm")}
        for name, old in before.items():
            if name in blocked:
                assert after[name]["metadata"]["uid"] == old["metadata"]["uid"]
            elif strategies[name] == "Always":
                assert after[name]["metadata"]["uid"] != old["metadata"]["uid"]
                assert after[name]["status"]["phase"] == "Running"
                assert after[name]["status"]["launcherContainerImageVersion"] == launcher
                assert vms[name]["status"]["printableStatus"] == "Running"
            else:
                assert name not in after
                assert vms[name]["status"]["printableStatus"] == "Stopped"


async def test_an_empty_method_list_leaves_every_vmi_outdated(sim: Sim) -> None:
    built = scenario("zstream", vmis=8)
    clock = built.clock
    async with running(sim, built) as (_, api):
        await api.patch(
            "hco", HCO,
            [{"op": "replace", "path": "/spec/workloadUpdateStrategy/workloadUpdateMethods",
              "value": []}],
            json_patch=True,
        )  # fmt: skip
        uids = {v["metadata"]["name"]: v["metadata"]["uid"] for v in await api.list("vmi")}
        await until(clock, lambda: _cnv_updated(api), step=30, limit=3600, what="CNV 4.14.4")
        await clock.advance(3600)
        outdated = await api.list("vmi", labels=OUTDATED)
        assert {v["metadata"]["name"] for v in outdated} == set(uids)
        kv = await api.get("kv", "kubevirt-kubevirt-hyperconverged")
        assert kv["status"]["outdatedVirtualMachineInstanceWorkloads"] == len(uids)
        assert await api.list("vmim") == []
        assert {v["metadata"]["name"]: v["metadata"]["uid"] for v in await api.list("vmi")} == uids


async def test_live_migration_limits_from_the_hco_hold(sim: Sim) -> None:
    built = scenario("zstream", vmis=14, seed=1)
    clock = built.clock
    async with running(sim, built) as (_, api):
        await api.patch(
            "hco", HCO,
            {"spec": {"liveMigrationConfig": {
                "parallelMigrationsPerCluster": 3, "parallelOutboundMigrationsPerNode": 1}}},
        )  # fmt: skip
        await until(clock, lambda: _cnv_updated(api), step=30, limit=3600, what="CNV 4.14.4")

        async def migrated() -> bool:
            vmims = await api.list("vmim")
            return bool(vmims) and all(m["status"].get("phase") == "Succeeded" for m in vmims)

        await until(clock, migrated, step=60, limit=4 * 3600, what="migrations done")
        await clock.advance(600)
        vmims = await api.list("vmim")
        assert len(vmims) >= 6
        check_limits(vmims, per_cluster=3, per_node=1)
        migratable = [
            v for v in await api.list("vmi") if cond(v, "LiveMigratable")["status"] == "True"
        ]
        assert {m["spec"]["vmiName"] for m in vmims} == {v["metadata"]["name"] for v in migratable}
