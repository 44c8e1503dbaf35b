"""The seeded cluster: deterministic, realistic, consistent, valid, and fast to build."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cnvtui.sim.catalog import ResourceDef, load_catalog
from cnvtui.sim.controllers import releases
from cnvtui.sim.schema import prune, validate
from cnvtui.sim.seed import (
    CSV_INSTALL_STEPS,
    OUTDATED_LABEL,
    csv_object,
    initial_objects,
    install_plan_object,
    set_csv_phase,
    subscription_object,
    subscription_status,
)

Json = dict[str, Any]
NOW = datetime(2024, 6, 1, 12, 0, 0, tzinfo=UTC)


def _kinds(objects: list[Json]) -> Counter[str]:
    return Counter(o["kind"] for o in objects)


def _by_kind(objects: list[Json], kind: str) -> list[Json]:
    return [o for o in objects if o["kind"] == kind]


def _one(objects: list[Json], kind: str) -> Json:
    found = _by_kind(objects, kind)
    assert len(found) == 1, kind
    return found[0]


def _resource(catalog: list[ResourceDef], obj: Json) -> tuple[ResourceDef, str]:
    group, _, version = obj["apiVersion"].rpartition("/")
    for rdef in catalog:
        if rdef.group == group and rdef.kind == obj["kind"] and rdef.version(version):
            return rdef, version
    raise AssertionError(f"no resource serves {obj['apiVersion']} {obj['kind']}")


def _problems(objects: list[Json], *, hco_v1: bool = False) -> list[str]:
    """Schema errors, and fields a real server would silently prune, over every object."""
    catalog = load_catalog(hco_v1=hco_v1)
    out: list[str] = []
    for obj in objects:
        rdef, version = _resource(catalog, obj)
        vdef = rdef.version(version)
        assert vdef is not None
        if vdef.schema is None:
            continue
        where = f"{obj['kind']}/{obj['metadata']['name']}"
        out += [f"{where}: {err}" for err in validate(obj, vdef.schema)]
        if prune(obj, vdef.schema) != obj:
            out.append(f"{where}: has fields the schema does not know")
    return out


def test_same_seed_same_cluster_other_seed_other_cluster() -> None:
    first = initial_objects(vmis=30, seed=7, now=NOW)
    assert first == initial_objects(vmis=30, seed=7, now=NOW)
    other = initial_objects(vmis=30, seed=8, now=NOW)
    assert [o["metadata"]["name"] for o in first] != [o["metadata"]["name"] for o in other]


def test_default_cluster_shape() -> None:
    objects = initial_objects(now=NOW)
    kinds = _kinds(objects)
    assert kinds["VirtualMachineInstance"] == 40
    assert kinds["Pod"] == 40
    assert kinds["VirtualMachine"] == 42, "40 running and 2 stopped"
    assert kinds["Node"] == 6
    assert kinds["MachineConfigPool"] == 2
    for kind in ("ClusterVersion", "Subscription", "InstallPlan", "ClusterServiceVersion",
                 "HyperConverged", "KubeVirt", "OperatorGroup", "CatalogSource"):  # fmt: skip
        assert kinds[kind] == 1, kind
    names = {o["metadata"]["name"] for o in _by_kind(objects, "Namespace")}
    assert {
        "openshift-cnv",
        "openshift-operator-lifecycle-manager",
        "openshift-marketplace",
    } <= names
    assert sorted(n for n in names if n.startswith("vm-")) == [
        "vm-dev", "vm-finance", "vm-prod", "vm-test",
    ]  # fmt: skip


def test_namespaces_come_first_and_every_namespace_used_exists() -> None:
    objects = initial_objects(vmis=20, now=NOW)
    first_other = next(i for i, o in enumerate(objects) if o["kind"] != "Namespace")
    assert all(o["kind"] != "Namespace" for o in objects[first_other:])
    namespaces = {o["metadata"]["name"] for o in objects[:first_other]}
    used = {o["metadata"].get("namespace") for o in objects} - {None}
    assert used <= namespaces


@pytest.mark.parametrize(("vmis", "namespaces", "nodes"), [(0, 1, 4), (7, 2, 5), (120, 6, 9)])
def test_counts_scale_with_the_options(vmis: int, namespaces: int, nodes: int) -> None:
    objects = initial_objects(vmis=vmis, namespaces=namespaces, nodes=nodes, now=NOW)
    kinds = _kinds(objects)
    assert kinds["VirtualMachineInstance"] == kinds["Pod"] == vmis
    assert kinds["VirtualMachine"] == vmis + vmis // 20
    assert kinds["Node"] == nodes
    vm_namespaces = [
        o["metadata"]["name"] for o in _by_kind(objects, "Namespace")
        if o["metadata"]["name"].startswith("vm-")
    ]  # fmt: skip
    assert len(vm_namespaces) == namespaces
    pools = {p["metadata"]["name"]: p["status"] for p in _by_kind(objects, "MachineConfigPool")}
    assert pools["master"]["machineCount"] == 3
    assert pools["worker"]["machineCount"] == nodes - 3
    assert pools["worker"]["updatedMachineCount"] == nodes - 3
    workers = {
        n["metadata"]["name"] for n in _by_kind(objects, "Node")
        if "node-role.kubernetes.io/worker" in n["metadata"]["labels"]
    }  # fmt: skip
    assert {v["status"]["nodeName"] for v in _by_kind(objects, "VirtualMachineInstance")} <= workers
    assert _problems(objects) == []


def test_a_compact_cluster_runs_vms_on_its_masters() -> None:
    objects = initial_objects(vmis=10, nodes=3, now=NOW)
    pools = {
        p["metadata"]["name"]: p["status"]["machineCount"]
        for p in _by_kind(objects, "MachineConfigPool")
    }
    assert pools == {"master": 3, "worker": 0}
    nodes = {v["status"]["nodeName"] for v in _by_kind(objects, "VirtualMachineInstance")}
    assert nodes <= {"master-0", "master-1", "master-2"}
    master = _by_kind(objects, "Node")[0]
    assert "taints" not in master["spec"], "schedulable masters carry no NoSchedule taint"


@pytest.mark.parametrize("hco_api", ["v1beta1", "v1"])
def test_every_object_passes_its_crd_schema_unchanged(hco_api: str) -> None:
    objects = initial_objects(vmis=60, hco_api=hco_api, approval="Manual", now=NOW)
    assert _problems(objects, hco_v1=hco_api == "v1") == []


def test_hco_places_the_strategy_per_api_version() -> None:
    beta = _one(initial_objects(vmis=0, now=NOW), "HyperConverged")
    assert beta["apiVersion"] == "hco.kubevirt.io/v1beta1"
    strategy = {
        "batchEvictionInterval": "1m0s",
        "batchEvictionSize": 10,
        "workloadUpdateMethods": ["LiveMigrate"],
    }
    assert beta["spec"]["workloadUpdateStrategy"] == strategy
    assert beta["spec"]["liveMigrationConfig"]["parallelMigrationsPerCluster"] == 5
    v1 = _one(initial_objects(vmis=0, hco_api="v1", now=NOW), "HyperConverged")
    assert v1["apiVersion"] == "hco.kubevirt.io/v1"
    assert "workloadUpdateStrategy" not in v1["spec"]
    assert v1["spec"]["virtualization"]["workloadUpdateStrategy"] == strategy


def test_the_operator_stack_is_healthy_and_consistent() -> None:
    objects = initial_objects(vmis=40, cnv_version="4.14.3", ocp_version="4.14.8", now=NOW)
    sub = _one(objects, "Subscription")
    plan = _one(objects, "InstallPlan")
    csv = _one(objects, "ClusterServiceVersion")
    hco = _one(objects, "HyperConverged")
    kv = _one(objects, "KubeVirt")
    cv = _one(objects, "ClusterVersion")

    assert sub["spec"]["channel"] == "stable"
    assert sub["spec"]["source"] == "redhat-operators"
    assert sub["spec"]["installPlanApproval"] == "Automatic"
    assert sub["status"]["state"] == "AtLatestKnown"
    assert sub["status"]["currentCSV"] == sub["status"]["installedCSV"] == csv["metadata"]["name"]
    assert sub["status"]["installPlanRef"]["name"] == plan["metadata"]["name"]
    assert sub["status"]["installPlanRef"]["uid"] == plan["metadata"]["uid"]
    assert plan["status"]["phase"] == "Complete" and plan["spec"]["approved"] is True
    assert plan["spec"]["clusterServiceVersionNames"] == [csv["metadata"]["name"]]
    assert {s["status"] for s in plan["status"]["plan"]} <= {"Created", "Present"}

    assert csv["metadata"]["name"] == "kubevirt-hyperconverged-operator.v4.14.3"
    assert csv["spec"]["version"] == "4.14.3"
    assert csv["spec"]["replaces"] == "kubevirt-hyperconverged-operator.v4.14.2"
    assert csv["status"]["phase"] == "Succeeded"
    assert [c["phase"] for c in csv["status"]["conditions"]] == [
        "Pending", "Pending", "InstallReady", "Installing", "Installing", "Succeeded",
    ]  # fmt: skip

    conditions = {c["type"]: (c["status"], c["reason"]) for c in hco["status"]["conditions"]}
    assert conditions == {
        "ReconcileComplete": ("True", "ReconcileCompleted"),
        "Available": ("True", "ReconcileCompleted"),
        "Progressing": ("False", "ReconcileCompleted"),
        "Degraded": ("False", "ReconcileCompleted"),
        "Upgradeable": ("True", "ReconcileCompleted"),
    }
    assert hco["status"]["versions"] == [{"name": "operator", "version": "4.14.3"}]
    assert hco["status"]["systemHealthStatus"] == "healthy"

    assert kv["spec"]["workloadUpdateStrategy"] == hco["spec"]["workloadUpdateStrategy"]
    assert kv["status"]["phase"] == "Deployed"
    assert kv["status"]["observedKubeVirtVersion"] == releases.kubevirt_version("4.14.3")
    assert kv["status"]["targetKubeVirtVersion"] == kv["status"]["observedKubeVirtVersion"]
    assert kv["status"]["outdatedVirtualMachineInstanceWorkloads"] == 0
    assert kv["metadata"]["ownerReferences"][0]["uid"] == hco["metadata"]["uid"]

    assert cv["metadata"]["name"] == "version"
    assert cv["status"]["desired"]["version"] == "4.14.8"
    assert cv["status"]["history"][0] == cv["status"]["history"][0] | {
        "state": "Completed", "version": "4.14.8",
    }  # fmt: skip
    assert all(h["state"] == "Completed" for h in cv["status"]["history"])
    assert [u["version"] for u in cv["status"]["availableUpdates"]] == ["4.14.10", "4.14.9"]
    conds = {c["type"]: c["status"] for c in cv["status"]["conditions"]}
    assert (conds["Available"], conds["Progressing"], conds["Failing"]) == (
        "True",
        "False",
        "False",
    )


def test_manual_approval_is_carried_through() -> None:
    objects = initial_objects(vmis=0, approval="Manual", now=NOW)
    assert _one(objects, "Subscription")["spec"]["installPlanApproval"] == "Manual"
    assert _one(objects, "InstallPlan")["spec"]["approval"] == "Manual"


def test_workloads_are_realistic_and_wired_together() -> None:
    objects = initial_objects(vmis=200, now=NOW)
    vms = {
        (v["metadata"]["namespace"], v["metadata"]["name"]): v
        for v in _by_kind(objects, "VirtualMachine")
    }
    pods = {p["metadata"]["uid"]: p for p in _by_kind(objects, "Pod")}
    vmis = _by_kind(objects, "VirtualMachineInstance")
    launcher = releases.launcher_image("4.14.3")
    for vmi in vmis:
        meta, status = vmi["metadata"], vmi["status"]
        vm = vms[meta["namespace"], meta["name"]]
        assert meta["ownerReferences"][0]["uid"] == vm["metadata"]["uid"]
        ((pod_uid, node),) = status["activePods"].items()
        pod = pods[pod_uid]
        assert pod["metadata"]["ownerReferences"][0]["uid"] == meta["uid"]
        assert pod["metadata"]["namespace"] == meta["namespace"]
        assert (
            pod["spec"]["nodeName"]
            == node
            == status["nodeName"]
            == meta["labels"]["kubevirt.io/nodeName"]
        )
        assert status["phase"] == "Running"
        assert status["launcherContainerImageVersion"] == launcher
        assert OUTDATED_LABEL not in meta["labels"], "nothing is outdated at rest"
        assert status["guestOSInfo"]["prettyName"]
        assert status["interfaces"][0]["ipAddress"] == pod["status"]["podIP"]
        assert vm["status"]["printableStatus"] == "Running"
    ips = [v["status"]["interfaces"][0]["ipAddress"] for v in vmis]
    assert len(set(ips)) == len(ips)
    stopped = [v for v in vms.values() if v["spec"]["runStrategy"] == "Halted"]
    assert len(stopped) == 10 and all(v["status"]["printableStatus"] == "Stopped" for v in stopped)
    running = [v for v in vms.values() if v["spec"]["runStrategy"] != "Halted"]
    strategies = Counter(v["spec"]["runStrategy"] for v in running)
    assert strategies["Always"] > len(running) * 0.7
    assert set(strategies) <= {"Always", "RerunOnFailure", "Manual"}


def test_one_vmi_in_ten_cannot_live_migrate_and_half_of_those_are_traps() -> None:
    vmis = _by_kind(initial_objects(vmis=200, now=NOW), "VirtualMachineInstance")

    def migratable(vmi: Json) -> Json:
        return next(c for c in vmi["status"]["conditions"] if c["type"] == "LiveMigratable")

    stuck = [v for v in vmis if migratable(v)["status"] == "False"]
    assert len(stuck) == 20
    reasons = Counter(migratable(v)["reason"] for v in stuck)
    assert reasons["DisksNotLiveMigratable"] > reasons["HostDeviceNotLiveMigratable"] > 0
    hostpath = [v for v in stuck if migratable(v)["reason"] == "DisksNotLiveMigratable"]
    for vmi in hostpath:
        assert (
            "is not shared, live migration requires that all PVCs must be shared"
            in (migratable(vmi)["message"])
        )
        claim = vmi["status"]["volumeStatus"][1]["persistentVolumeClaimInfo"]
        assert claim["accessModes"] == ["ReadWriteOnce"]
    traps = [v for v in stuck if v["spec"].get("evictionStrategy") == "LiveMigrate"]
    assert len(traps) == 10, "half carry evictionStrategy LiveMigrate and block drains"
    assert all("evictionStrategy" not in v["spec"] for v in stuck if v not in traps)


def test_builders_cover_every_csv_and_install_plan_phase() -> None:
    started = NOW - timedelta(hours=1)
    for phase in ("Pending", "InstallReady", "Installing", "Succeeded", "Failed", "Replacing",
                  "Deleting"):  # fmt: skip
        csv = csv_object(
            "4.14.4",
            started=started,
            replaces=releases.csv_name("4.14.3"),
            phase=phase,
            replaced_by=releases.csv_name("4.14.5"),
        )
        assert csv["status"]["phase"] == phase
        assert csv["status"]["conditions"][-1]["phase"] == phase
        assert _problems([csv]) == [], phase
    replacing = csv_object("4.14.3", started=started, phase="Replacing", replaced_by="next.v1")
    assert replacing["status"]["reason"] == "BeingReplaced"
    assert replacing["status"]["message"] == "being replaced by csv: next.v1"
    csv = csv_object("4.14.4", started=started, phase="Pending")
    set_csv_phase(csv, *CSV_INSTALL_STEPS[2][:3], NOW)
    assert csv["status"]["phase"] == "InstallReady"
    assert csv["status"]["lastTransitionTime"] == "2024-06-01T12:00:00Z"
    for phase in ("Planning", "RequiresApproval", "Installing", "Complete", "Failed"):
        plan = install_plan_object(
            "install-abcde", csv="kubevirt-hyperconverged-operator.v4.14.4", approval="Manual",
            approved=phase != "RequiresApproval", phase=phase, created=started, now=NOW,
            replaces="kubevirt-hyperconverged-operator.v4.14.3",
        )  # fmt: skip
        assert plan["status"]["phase"] == phase
        assert _problems([plan]) == [], phase
        steps = plan["status"]["plan"]
        if phase != "Planning":
            assert steps[0]["resource"]["kind"] == "ClusterServiceVersion"
            assert {s["resolving"] for s in steps} == {"kubevirt-hyperconverged-operator.v4.14.4"}
    sub = subscription_object(approval="Manual", starting_csv="x.v1", created=started)
    sub["status"] = subscription_status(
        now=NOW, state="UpgradePending", current_csv="x.v2", installed_csv="x.v1",
        install_plan="install-abcde", plan_phase="RequiresApproval",
    )  # fmt: skip
    pending = [c for c in sub["status"]["conditions"] if c["type"] == "InstallPlanPending"]
    assert pending == [pending[0] | {"status": "True", "reason": "RequiresApproval"}]
    assert _problems([sub]) == []


def test_building_ten_thousand_vmis_is_reported(capsys: pytest.CaptureFixture[str]) -> None:
    start = time.perf_counter()
    objects = initial_objects(vmis=10_000, now=NOW)
    took = time.perf_counter() - start
    assert _kinds(objects)["VirtualMachineInstance"] == 10_000
    with capsys.disabled():
        print(f"\n[seed] {len(objects)} objects for 10,000 VMIs built in {took:.2f}s")
