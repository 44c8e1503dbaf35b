"""Each preflight check: a cluster state that triggers it and one that does not (pure)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from cnvtui.kube.events import Obj, StreamState
from cnvtui.state.preflight import Finding, FindingVerdict, PreflightReport, run_preflight
from cnvtui.state.store import Store

from . import (
    T0,
    change,
    csv,
    hco,
    installplan,
    kubevirt,
    meta,
    stamp,
    stream,
    subscription,
    vmi,
    vmim,
)

OK, WARNING, BLOCKER = FindingVerdict.OK, FindingVerdict.WARNING, FindingVerdict.BLOCKER
Tweak = Callable[[dict[str, Obj | list[Obj] | None]], None]


def cluster_version(
    version: str = "4.14.8", available: tuple[str, ...] = (), previous: tuple[str, ...] = ()
) -> Obj:
    history = [{"state": "Completed", "version": version, "completionTime": stamp(T0 - 3600)}]
    history += [{"state": "Completed", "version": v} for v in previous]
    return {
        "apiVersion": "config.openshift.io/v1",
        "kind": "ClusterVersion",
        "metadata": meta("version", None),
        "spec": {"channel": "stable-4.14"},
        "status": {
            "desired": {"version": version},
            "history": history,
            "availableUpdates": [{"version": v, "image": f"img:{v}"} for v in available],
            "conditions": [{"type": "Progressing", "status": "False"}],
        },
    }


def pool(name: str, *, paused: bool = False, degraded: bool = False, machines: int = 3) -> Obj:
    return {
        "apiVersion": "machineconfiguration.openshift.io/v1",
        "kind": "MachineConfigPool",
        "metadata": meta(name, None),
        "spec": {"paused": paused},
        "status": {
            "machineCount": machines,
            "updatedMachineCount": machines,
            "readyMachineCount": machines,
            "degradedMachineCount": 1 if degraded else 0,
            "conditions": [
                {"type": "Updated", "status": "True"},
                {"type": "Degraded", "status": "True" if degraded else "False"},
            ],
        },
    }


def node(name: str, *, unschedulable: bool = False) -> Obj:
    spec: Obj = {"unschedulable": True} if unschedulable else {}
    return {"apiVersion": "v1", "kind": "Node", "metadata": meta(name, None), "spec": spec}


def maintenance(node_name: str, legacy: bool = False) -> Obj:
    group = "nodemaintenance.kubevirt.io" if legacy else "nodemaintenance.medik8s.io"
    return {
        "apiVersion": f"{group}/v1beta1",
        "kind": "NodeMaintenance",
        "metadata": meta(f"{node_name}-maintenance", None),
        "spec": {"nodeName": node_name, "reason": "DIMM"},
    }


def kubevirt_with(methods: list[str], *, eviction: str | None = None) -> Obj:
    obj = kubevirt(methods)
    obj["spec"]["configuration"] = {"evictionStrategy": eviction} if eviction else {}
    obj["status"] = {"observedKubeVirtVersion": "v1.0.3", "targetKubeVirtVersion": "v1.0.3"}
    return obj


def healthy() -> dict[str, Obj | list[Obj] | None]:
    """A cluster at rest on OpenShift 4.14.8 / CNV 4.14.3, Automatic, nothing wrong."""
    return {
        "csv": csv("4.14.3"),
        "hco": hco("4.14.3"),
        "subscription": subscription(approval="Automatic"),
        "kubevirt": kubevirt_with(["LiveMigrate"]),
        "clusterversion": cluster_version(),
        "mcp": [pool("master"), pool("worker")],
        "node": [node("master-0"), node("worker-0"), node("worker-1")],
        "vmi": [vmi("fedora-01"), vmi("fedora-02", node="worker-1")],
        "vmim": [],
        "installplan": [],
        "nodemaintenance": [],
        "legacynodemaintenance": [],
    }


def report(tweak: Tweak | None = None, *, target: str | None = None) -> PreflightReport:
    objects = healthy()
    if tweak is not None:
        tweak(objects)
    store = Store()
    for kind, value in objects.items():
        for obj in value if isinstance(value, list) else [value] if value else []:
            store.apply(change(kind, obj))
    return run_preflight(store, T0, target=target)


def finding(rep: PreflightReport, check: str) -> Finding:
    found = [f for f in rep.findings if f.check == check]
    assert len(found) == 1, [f.check for f in rep.findings]
    return found[0]


def test_a_healthy_cluster_has_no_blocker_and_says_what_was_checked() -> None:
    rep = report()
    assert rep.blockers == ()
    assert rep.warnings == ()
    checks = {f.check for f in rep.findings}
    assert {
        "subscription.channel",
        "subscription.approval",
        "subscription.installplan",
        "subscription.state",
        "versions.skew",
        "versions.next",
        "hco.available",
        "hco.degraded",
        "hco.progressing",
        "hco.upgradeable",
        "kubevirt.sync",
        "workloads.drain_blockers",
        "workloads.never_update",
        "workloads.outdated",
        "workloads.migrations",
        "nodes.legacy_maintenance",
        "nodes.schedulable",
        "nodes.pools_paused",
        "nodes.pools_degraded",
    } <= checks
    assert finding(rep, "versions.skew").message == "CNV 4.14.3 matches OpenShift 4.14.8"


# ---- Subscription


def test_missing_subscription_is_a_warning_beside_an_hco_and_a_blocker_without() -> None:
    def no_sub(o: dict[str, Obj | list[Obj] | None]) -> None:
        o["subscription"] = None

    def nothing(o: dict[str, Obj | list[Obj] | None]) -> None:
        o["subscription"] = None
        o["hco"] = None

    assert finding(report(no_sub), "subscription").verdict == WARNING
    assert finding(report(nothing), "subscription").verdict == BLOCKER
    assert finding(report(nothing), "hco").verdict == BLOCKER
    assert not [f for f in report().findings if f.check == "subscription"]


def test_a_channel_other_than_stable_is_a_warning() -> None:
    def candidate(o: dict[str, Obj | list[Obj] | None]) -> None:
        sub = subscription(approval="Automatic")
        sub["spec"]["channel"] = "candidate"
        o["subscription"] = sub

    found = finding(report(candidate), "subscription.channel")
    assert found.verdict == WARNING
    assert "'candidate'" in found.message and "stable" in found.what_to_do
    assert finding(report(), "subscription.channel").verdict == OK


def test_manual_approval_warns_about_keeping_openshift_and_cnv_in_step() -> None:
    def manual(o: dict[str, Obj | list[Obj] | None]) -> None:
        o["subscription"] = subscription(approval="Manual")

    found = finding(report(manual), "subscription.approval")
    assert found.verdict == WARNING
    assert "out of step" in found.what_to_do
    assert found.objects[0].kind == "subscription"
    assert finding(report(), "subscription.approval").verdict == OK


def test_a_pending_install_plan_is_named_and_a_failed_one_blocks() -> None:
    def pending(o: dict[str, Obj | list[Obj] | None]) -> None:
        o["subscription"] = subscription(state="UpgradePending", plan="install-abcde")
        o["installplan"] = [installplan("install-abcde", "4.14.4")]

    def failed(o: dict[str, Obj | list[Obj] | None]) -> None:
        o["subscription"] = subscription(state="UpgradePending", plan="install-abcde")
        o["installplan"] = [installplan("install-abcde", "4.14.4", "Failed", True)]

    found = finding(report(pending), "subscription.installplan")
    assert found.verdict == WARNING
    assert "install-abcde" in found.message and "waits for approval" in found.message
    assert [str(x) for x in found.objects] == ["installplan/openshift-cnv/install-abcde"]
    assert finding(report(failed), "subscription.installplan").verdict == BLOCKER
    assert finding(report(), "subscription.installplan").verdict == OK


def test_upgrade_failed_subscription_state_is_a_blocker() -> None:
    def broken(o: dict[str, Obj | list[Obj] | None]) -> None:
        o["subscription"] = subscription(approval="Automatic", state="UpgradeFailed")

    assert finding(report(broken), "subscription.state").verdict == BLOCKER
    assert finding(report(), "subscription.state").verdict == OK


# ---- versions


@pytest.mark.parametrize(
    ("ocp", "cnv", "verdict", "words"),
    [
        ("4.13.35", "4.12.14", WARNING, "1 minor behind"),
        ("4.14.8", "4.12.14", BLOCKER, "2 minor behind"),
        ("4.12.49", "4.13.9", BLOCKER, "ahead"),
        ("4.12.49", "4.12.14", OK, "matches"),
    ],
)
def test_version_skew_of_cnv_against_openshift(
    ocp: str, cnv: str, verdict: FindingVerdict, words: str
) -> None:
    def versions(o: dict[str, Obj | list[Obj] | None]) -> None:
        o["clusterversion"] = cluster_version(ocp)
        o["hco"] = hco(cnv)

    found = finding(report(versions), "versions.skew")
    assert found.verdict == verdict
    assert words in found.message


def test_next_allowed_step_follows_the_minors() -> None:
    def lagging(o: dict[str, Obj | list[Obj] | None]) -> None:
        o["clusterversion"] = cluster_version("4.13.35")
        o["hco"] = hco("4.12.14")

    assert "update CNV to 4.13" in finding(report(lagging), "versions.next").message
    assert "update OpenShift to 4.15" in finding(report(), "versions.next").message


def test_the_path_to_an_eus_target_passes_through_the_odd_minor() -> None:
    def eus(o: dict[str, Obj | list[Obj] | None]) -> None:
        o["clusterversion"] = cluster_version("4.12.49", available=("4.13.35", "4.12.50"))
        o["hco"] = hco("4.12.14")

    found = finding(report(eus, target="4.14"), "versions.path")
    assert found.verdict == OK
    assert "OpenShift 4.13 -> CNV 4.13 -> OpenShift 4.14 -> CNV 4.14" in found.message
    assert "EUS-to-EUS" in found.message and "4.13.35" in found.message
    assert "EUS guide" in found.what_to_do


def test_the_path_warns_when_the_first_hop_is_not_offered_and_blocks_downgrades() -> None:
    def nothing_offered(o: dict[str, Obj | list[Obj] | None]) -> None:
        o["clusterversion"] = cluster_version("4.12.49", available=("4.12.50",))
        o["hco"] = hco("4.12.14")

    found = finding(report(nothing_offered, target="4.14"), "versions.path")
    assert found.verdict == WARNING
    assert "offers no OpenShift 4.13 update" in found.message
    assert "(e.g. eus-4.14 or stable-4.13)" in found.what_to_do
    odd = finding(report(nothing_offered, target="4.13"), "versions.path")
    assert "(e.g. stable-4.13)" in odd.what_to_do, "no EUS channel for an odd minor"
    assert finding(report(target="4.12"), "versions.path").verdict == BLOCKER
    assert finding(report(target="4.14"), "versions.path").message == "already at 4.14"
    assert not [f for f in report().findings if f.check == "versions.path"]


def test_a_path_of_more_than_one_eus_hop_is_a_warning() -> None:
    def old(o: dict[str, Obj | list[Obj] | None]) -> None:
        o["clusterversion"] = cluster_version("4.12.49", available=("4.13.35",))
        o["hco"] = hco("4.12.14")

    found = finding(report(old, target="4.16"), "versions.path")
    assert found.verdict == WARNING
    assert "one even minor at a time" in found.what_to_do


# ---- HCO and KubeVirt


@pytest.mark.parametrize(
    ("check", "ctype", "bad", "verdict"),
    [
        ("hco.available", "Available", "False", BLOCKER),
        ("hco.degraded", "Degraded", "True", BLOCKER),
        ("hco.progressing", "Progressing", "True", WARNING),
        ("hco.upgradeable", "Upgradeable", "False", BLOCKER),
    ],
)
def test_hco_conditions(check: str, ctype: str, bad: str, verdict: FindingVerdict) -> None:
    def unhealthy(o: dict[str, Obj | list[Obj] | None]) -> None:
        o["hco"] = hco("4.14.3", {ctype: bad}, messages={ctype: ("SomeReason", "something is off")})

    found = finding(report(unhealthy), check)
    assert found.verdict == verdict
    assert f"{ctype}={bad}" in found.message and "something is off" in found.message
    assert [str(x) for x in found.objects] == ["hco/openshift-cnv/kubevirt-hyperconverged"]
    assert finding(report(), check).verdict == OK


def test_kubevirt_out_of_sync_with_the_hco_is_a_warning() -> None:
    def differs(o: dict[str, Obj | list[Obj] | None]) -> None:
        o["kubevirt"] = kubevirt_with(["LiveMigrate", "Evict"])

    def rolling(o: dict[str, Obj | list[Obj] | None]) -> None:
        kv = kubevirt_with(["LiveMigrate"])
        kv["status"]["targetKubeVirtVersion"] = "v1.0.4"
        o["kubevirt"] = kv

    assert "differ from the HCO's" in finding(report(differs), "kubevirt.sync").message
    assert "rolling out v1.0.4" in finding(report(rolling), "kubevirt.sync").message
    assert finding(report(), "kubevirt.sync").verdict == OK


# ---- workloads


def hostpath_vmi(name: str, eviction: str | None) -> Obj:
    obj = vmi(name, migratable=False, eviction=eviction)
    obj["status"]["conditions"][1]["message"] = (
        f"cannot migrate VMI: PVC {name}-disk is not shared, live migration requires that all "
        "PVCs must be shared (using ReadWriteMany access mode)"
    )
    return obj


def test_a_vmi_that_must_live_migrate_but_cannot_blocks_drains_and_names_hostpath() -> None:
    def stuck(o: dict[str, Obj | list[Obj] | None]) -> None:
        o["vmi"] = [vmi("fedora-01"), hostpath_vmi("db-01", "LiveMigrate")]

    found = finding(report(stuck), "workloads.drain_blockers")
    assert found.verdict == BLOCKER
    assert [str(x) for x in found.objects] == ["vmi/vms/db-01"]
    assert "block node drains" in found.message
    assert "hostpath-provisioner" in found.message and "PVC db-01-disk" in found.message
    assert "runStrategy: Always" in found.what_to_do
    assert finding(report(), "workloads.drain_blockers").verdict == OK


def test_the_cluster_wide_eviction_strategy_counts_and_an_explicit_none_does_not() -> None:
    def inherited(o: dict[str, Obj | list[Obj] | None]) -> None:
        o["kubevirt"] = kubevirt_with(["LiveMigrate"], eviction="LiveMigrate")
        o["vmi"] = [hostpath_vmi("db-01", None)]

    def opted_out(o: dict[str, Obj | list[Obj] | None]) -> None:
        o["kubevirt"] = kubevirt_with(["LiveMigrate"], eviction="LiveMigrate")
        o["vmi"] = [hostpath_vmi("db-01", "None")]

    found = finding(report(inherited), "workloads.drain_blockers")
    assert found.verdict == BLOCKER and "cluster-wide default" in found.message
    assert finding(report(opted_out), "workloads.drain_blockers").verdict == OK


def test_vmis_that_will_never_update_under_live_migrate_only() -> None:
    def never(o: dict[str, Obj | list[Obj] | None]) -> None:
        o["vmi"] = [vmi("fedora-01"), hostpath_vmi("db-01", "None")]

    def with_evict(o: dict[str, Obj | list[Obj] | None]) -> None:
        never(o)
        o["hco"] = hco("4.14.3", methods=["LiveMigrate", "Evict"])
        o["kubevirt"] = kubevirt_with(["LiveMigrate", "Evict"])

    found = finding(report(never), "workloads.never_update")
    assert found.verdict == WARNING
    assert "never be updated" in found.message and "vms/db-01" in found.message
    assert finding(report(with_evict), "workloads.never_update").verdict == OK


def test_outdated_vmis_left_from_a_previous_update() -> None:
    def left(o: dict[str, Obj | list[Obj] | None]) -> None:
        o["vmi"] = [vmi("fedora-01", outdated=True), vmi("fedora-02")]

    found = finding(report(left), "workloads.outdated")
    assert found.verdict == WARNING
    assert "left from a previous update" in found.message
    assert [str(x) for x in found.objects] == ["vmi/vms/fedora-01"]
    assert finding(report(), "workloads.outdated").verdict == OK


def test_failed_and_pending_migrations_are_warnings() -> None:
    def failing(o: dict[str, Obj | list[Obj] | None]) -> None:
        o["vmim"] = [
            vmim("kubevirt-workload-update-a", "fedora-01", "Failed", failure="target pod lost"),
            vmim("kubevirt-workload-update-b", "fedora-02", "Scheduling", unschedulable=True),
        ]

    def succeeded(o: dict[str, Obj | list[Obj] | None]) -> None:
        o["vmim"] = [vmim("kubevirt-workload-update-a", "fedora-01", "Succeeded")]

    found = finding(report(failing), "workloads.migrations")
    assert found.verdict == WARNING
    assert "1 failed (target pod lost)" in found.message
    assert "1 waiting for a target pod" in found.message
    assert finding(report(succeeded), "workloads.migrations").verdict == OK


# ---- nodes and pools


def test_legacy_node_maintenance_blocks_the_update_from_4_10_and_warns_later() -> None:
    def legacy_410(o: dict[str, Obj | list[Obj] | None]) -> None:
        o["clusterversion"] = cluster_version("4.10.55")
        o["hco"] = hco("4.10.3")
        o["legacynodemaintenance"] = [maintenance("worker-0", legacy=True)]

    def legacy_414(o: dict[str, Obj | list[Obj] | None]) -> None:
        o["legacynodemaintenance"] = [maintenance("worker-0", legacy=True)]

    found = finding(report(legacy_410), "nodes.legacy_maintenance")
    assert found.verdict == BLOCKER
    assert "worker-0" in found.message and "4.11" in found.message
    assert "nodemaintenance.medik8s.io" in found.what_to_do
    assert finding(report(legacy_414), "nodes.legacy_maintenance").verdict == WARNING
    assert finding(report(), "nodes.legacy_maintenance").verdict == OK


def test_nodes_in_maintenance_or_unschedulable_are_warnings() -> None:
    def cordoned(o: dict[str, Obj | list[Obj] | None]) -> None:
        o["node"] = [node("master-0"), node("worker-0", unschedulable=True)]

    def in_maintenance(o: dict[str, Obj | list[Obj] | None]) -> None:
        o["nodemaintenance"] = [maintenance("worker-1")]

    assert "unschedulable: worker-0" in finding(report(cordoned), "nodes.schedulable").message
    assert "maintenance: worker-1" in finding(report(in_maintenance), "nodes.schedulable").message
    assert finding(report(), "nodes.schedulable").verdict == OK


def test_paused_pools_warn_and_degraded_pools_block() -> None:
    def paused(o: dict[str, Obj | list[Obj] | None]) -> None:
        o["mcp"] = [pool("master"), pool("worker", paused=True)]

    def degraded(o: dict[str, Obj | list[Obj] | None]) -> None:
        o["mcp"] = [pool("master"), pool("worker", degraded=True)]

    found = finding(report(paused), "nodes.pools_paused")
    assert found.verdict == WARNING and "worker" in found.message
    assert "certificate rotation" in found.what_to_do
    assert finding(report(degraded), "nodes.pools_degraded").verdict == BLOCKER
    assert finding(report(), "nodes.pools_paused").verdict == OK
    assert finding(report(), "nodes.pools_degraded").verdict == OK


def test_a_kind_that_could_not_be_read_is_reported() -> None:
    store = Store()
    store.apply(change("hco", hco("4.14.3")))
    store.apply(stream("installplan", StreamState.FORBIDDEN, message="cannot list installplans"))
    store.apply(stream("legacynodemaintenance", StreamState.NOT_INSTALLED))
    rep = run_preflight(store, T0)
    assert rep.unreadable == ("installplan: forbidden (cannot list installplans)",)


def test_findings_are_worst_first_and_serialise() -> None:
    def bad(o: dict[str, Obj | list[Obj] | None]) -> None:
        o["hco"] = hco("4.14.3", {"Degraded": "True"})
        o["mcp"] = [pool("master"), pool("worker", paused=True)]

    rep = report(bad)
    verdicts = [f.verdict for f in rep.findings]
    assert verdicts == sorted(verdicts, key=[BLOCKER, WARNING, OK].index)
    data = rep.to_json()
    assert data["blockers"] == 1 and data["warnings"] == 1
    first = rep.findings[0].to_json()
    assert first["check"] == "hco.degraded" and first["verdict"] == "blocker"
