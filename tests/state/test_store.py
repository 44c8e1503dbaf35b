"""The store: counts, never-update flags, migration history, timeline, streams, snapshots."""

from __future__ import annotations

import json
from typing import Any

from cnvtui.kube.events import StreamState
from cnvtui.state.model import Severity, Verdict
from cnvtui.state.picture import build_picture
from cnvtui.state.serialize import PICTURE_SCHEMA, to_json
from cnvtui.state.store import Store

from . import (
    NS,
    T0,
    change,
    csv,
    hco,
    installplan,
    kubevirt,
    stream,
    subscription,
    vmi,
    vmim,
)


def store_with(methods: list[str]) -> Store:
    store = Store()
    store.apply(change("hco", hco(methods=methods)))
    store.apply(change("kubevirt", kubevirt(methods)))
    store.apply(change("csv", csv("4.14.3")))
    return store


def mixed_vmis(store: Store) -> None:
    """Four outdated VMIs of different kinds and one up to date."""
    for obj in (
        vmi("web", "a", outdated=True),
        vmi("db", "a", outdated=True, migratable=False, eviction=None),
        vmi("hostpath", "b", outdated=True, migratable=False, eviction="LiveMigrate"),
        vmi("batch", "b", outdated=True, migratable=None, eviction=None, phase="Scheduling"),
        vmi("fresh", "b"),
    ):
        store.apply(change("vmi", obj, T0 + 5))


def test_outdated_counts_and_rows() -> None:
    store = store_with(["LiveMigrate"])
    mixed_vmis(store)
    out = build_picture(store, T0 + 65).outdated
    assert (out.count, out.running_total, out.updated) == (4, 4, 1)
    assert [(r.namespace, r.name) for r in out.rows] == [
        ("a", "db"),
        ("a", "web"),
        ("b", "batch"),
        ("b", "hostpath"),
    ]
    db = out.rows[0]
    assert db.migratable is False
    assert db.migratable_reason == "cannot migrate VMI: PVC disk is not shared"
    assert db.age == 65 and db.outdated_for == 60 and db.node == "worker-0"
    assert out.rows[2].migratable is None and out.rows[2].phase == "Scheduling"
    assert out.rows[-1] == out.rows[3]
    assert [r.name for r in out.rows[1:3]] == ["web", "batch"]


def test_never_updates_under_live_migrate_only() -> None:
    store = store_with(["LiveMigrate"])
    mixed_vmis(store)
    out = build_picture(store, T0 + 10).outdated
    never = {r.name: r.never_reason for r in out.rows if r.never_updates}
    assert never == {
        "db": "not live-migratable and methods are LiveMigrate only",
        "hostpath": "not live-migratable and evictionStrategy LiveMigrate: eviction is refused",
    }
    assert out.never_updates_count == 2
    assert [r.name for r in out.filtered(never_only=True)] == ["db", "hostpath"]


def test_never_updates_under_evict() -> None:
    store = store_with(["LiveMigrate", "Evict"])
    mixed_vmis(store)
    out = build_picture(store, T0 + 10).outdated
    assert [r.name for r in out.rows if r.never_updates] == ["hostpath"]
    assert out.never_updates_count == 1


def test_methods_change_reflags_rows_and_counts() -> None:
    store = store_with(["LiveMigrate"])
    mixed_vmis(store)
    assert build_picture(store, T0 + 10).outdated.never_updates_count == 2
    store.apply(change("hco", hco(methods=["Evict"]), T0 + 20, "MODIFIED"))
    assert build_picture(store, T0 + 30).outdated.never_updates_count == 1
    store.apply(change("hco", hco(methods=[]), T0 + 40, "MODIFIED"))
    p = build_picture(store, T0 + 50)
    assert p.outdated.never_updates_count == 4
    assert all(r.never_reason == "workloadUpdateMethods is empty" for r in p.outdated.rows)


def test_filter_by_text() -> None:
    store = store_with(["LiveMigrate"])
    mixed_vmis(store)
    out = build_picture(store, T0 + 10).outdated
    assert [r.name for r in out.filtered("HOST")] == ["hostpath"]
    assert [r.name for r in out.filtered("web")] == ["web"]
    assert [r.name for r in out.filtered("")] == ["db", "web", "batch", "hostpath"]
    assert len(out.filtered("worker-0")) == 4


def test_updated_and_deleted_vmis_leave_the_outdated_set() -> None:
    store = store_with(["LiveMigrate"])
    mixed_vmis(store)
    store.apply(change("vmi", vmi("web", "a"), T0 + 30, "MODIFIED"))
    store.apply(change("vmi", vmi("db", "a", outdated=True), T0 + 31, "DELETED"))
    out = build_picture(store, T0 + 40).outdated
    assert out.count == 2 and out.running_total == 3 and out.updated == 2
    assert [r.name for r in out.rows] == ["batch", "hostpath"]


def test_migration_attempts_count_past_five_with_garbage_collected_vmims() -> None:
    """virt-controller keeps five VMIMs per VMI; cnvtui keeps counting past them."""
    store = store_with(["LiveMigrate"])
    store.apply(change("vmi", vmi("db", outdated=True), T0))
    names = []
    for attempt in range(1, 8):
        at = T0 + attempt * 100
        name = f"kubevirt-workload-update-{attempt}"
        names.append(name)
        store.apply(change("vmim", vmim(name, "db", "Scheduling", created=at), at))
        store.apply(
            change(
                "vmim",
                vmim(name, "db", "Failed", created=at, failure="target pod Unschedulable"),
                at + 50,
                "MODIFIED",
            )
        )
        if len(names) > 5:
            gone = names.pop(0)
            old = vmim(gone, "db", "Failed", created=at, failure="target pod Unschedulable")
            store.apply(change("vmim", old, at + 60, "DELETED"))
    p = build_picture(store, T0 + 800)
    assert [(r.name, r.attempt) for r in p.migrations.rows] == [
        (f"kubevirt-workload-update-{n}", n) for n in (7, 6, 5, 4, 3)
    ]
    (hist,) = p.migrations.by_vmi
    assert (hist.attempts, hist.failures, hist.failures_since_success) == (7, 7, 7)
    assert hist.last_failure_reason == "target pod Unschedulable"
    texts = [e.text for e in p.timeline if e.kind == "vmim"]
    assert texts[-1] == "migration of vms/db failed (attempt 7): target pod Unschedulable"
    assert p.verdict is Verdict.STUCK


def test_attempt_numbers_follow_creation_order_when_listed_out_of_order() -> None:
    store = Store()
    for n in (3, 1, 2):
        store.apply(change("vmim", vmim(f"m{n}", "db", "Failed", created=T0 + n), T0 + 10))
    rows = build_picture(store, T0 + 20).migrations.rows
    assert [(r.name, r.attempt) for r in rows] == [("m3", 3), ("m2", 2), ("m1", 1)]


def test_success_resets_the_failure_streak() -> None:
    store = Store()
    store.apply(change("vmim", vmim("m1", "db", "Failed"), T0))
    store.apply(change("vmim", vmim("m2", "db", "Succeeded", created=T0 + 5), T0 + 5))
    p = build_picture(store, T0 + 9)
    (hist,) = p.migrations.by_vmi
    assert (hist.failures, hist.failures_since_success, hist.succeeded) == (1, 0, True)
    assert (p.migrations.failed, p.migrations.succeeded) == (1, 1)


def test_timeline_records_transitions() -> None:
    store = Store()
    store.apply(change("csv", csv("4.14.3"), T0))
    store.apply(change("hco", hco(), T0))
    store.apply(change("subscription", subscription(), T0))
    store.apply(change("installplan", installplan("install-x", "4.14.4"), T0 + 10))
    store.apply(
        change(
            "installplan", installplan("install-x", "4.14.4", approved=True), T0 + 20, "MODIFIED"
        )
    )
    store.apply(
        change("csv", csv("4.14.3", "Replacing", reason="BeingReplaced"), T0 + 30, "MODIFIED")
    )
    store.apply(change("hco", hco(conditions={"Upgradeable": "False"}), T0 + 40, "MODIFIED"))
    for i in range(3):
        store.apply(change("vmi", vmi(f"v{i}", outdated=True), T0 + 50 + i))
    store.apply(change("vmi", vmi("v0"), T0 + 200, "MODIFIED"))
    store.apply(stream("vmi", StreamState.LIVE, T0))
    store.apply(stream("vmi", StreamState.RECONNECTING, T0 + 300, T0 + 299, "connection reset"))
    store.apply(stream("vmi", StreamState.LIVE, T0 + 330))
    entries = build_picture(store, T0 + 400).timeline
    assert [(e.at - T0, e.text) for e in entries] == [
        (0, "CSV kubevirt-hyperconverged-operator.v4.14.3 seen in phase Succeeded"),
        (
            10,
            "install plan install-x (kubevirt-hyperconverged-operator.v4.14.4) created, "
            "phase RequiresApproval",
        ),
        (20, "install plan install-x approved"),
        (30, "CSV kubevirt-hyperconverged-operator.v4.14.3: Succeeded → Replacing (BeingReplaced)"),
        (40, "HCO Upgradeable: True → False (AsExpected)"),
        (50, "3 VMIs became outdated (last vms/v2)"),
        (200, "VMI vms/v0 updated"),
        (300, "watch vmi reconnecting: connection reset"),
        (330, "watch vmi restored"),
    ]
    severities = [e.severity for e in entries]
    assert severities[2] is Severity.OK and severities[4] is Severity.WARNING


def test_timeline_is_bounded_and_keeps_major_entries_under_a_vmi_flood() -> None:
    store = Store(timeline_cap=50)
    store.apply(change("csv", csv("4.14.3", "Installing"), T0))
    for i in range(5000):
        at = T0 + 1 + i * 0.5
        store.apply(change("vmi", vmi(f"v{i}", outdated=True), at))
        store.apply(change("vmi", vmi(f"v{i}"), at + 0.1, "MODIFIED"))
    entries = build_picture(store, T0 + 9999).timeline
    assert len(entries) <= 100
    assert any(e.kind == "csv" for e in entries)
    assert len(store.burndown) <= 3600


def test_stream_states_reach_the_picture() -> None:
    store = Store()
    store.apply(stream("vmi", StreamState.RECONNECTING, T0 + 100, as_of=T0 + 40))
    store.apply(
        stream("installplan", StreamState.FORBIDDEN, T0, message="needs list on installplans")
    )
    p = build_picture(store, T0 + 160)
    by_kind = {s.kind: s for s in p.streams}
    assert by_kind["vmi"].state is StreamState.RECONNECTING and by_kind["vmi"].as_of == T0 + 40
    assert "watch vmi reconnecting, data as of 2m ago" in p.problems
    assert "watch installplan forbidden: needs list on installplans" in p.problems


def test_hco_v1_strategy_and_warnings() -> None:
    store = Store()
    store.apply(
        change(
            "hco",
            hco(
                methods=[],
                api="v1",
                annotations={"cnvtui.io/workload-update-methods-backup": "not json"},
            ),
        )
    )
    store.apply(change("kubevirt", kubevirt(["LiveMigrate"])))
    strategy = build_picture(store, T0).workload_strategy
    assert strategy.source == "hco spec.virtualization.workloadUpdateStrategy"
    assert strategy.methods == () and not strategy.in_sync
    assert strategy.kubevirt_methods == ("LiveMigrate",)
    assert strategy.backup is not None and not strategy.backup.valid
    assert strategy.warnings == (
        "workloadUpdateMethods is empty: no VM will be updated automatically",
        "methods backup annotation is not a JSON list: 'not json'",
        "KubeVirt methods [LiveMigrate] differ from the HCO's []: HCO has not reconciled yet",
    )
    assert (strategy.batch_eviction_size, strategy.batch_eviction_interval) == (10, "1m0s")
    assert strategy.parallel_migrations_per_cluster == 5
    hco_p = build_picture(store, T0).hco
    assert hco_p is not None and hco_p.api_version == "hco.kubevirt.io/v1"


def test_snapshot_restores_the_same_picture() -> None:
    store = store_with(["LiveMigrate"])
    store.apply(change("subscription", subscription(plan="install-x", state="UpgradePending")))
    store.apply(change("installplan", installplan("install-x", "4.14.4"), T0 + 1))
    mixed_vmis(store)
    store.apply(change("vmim", vmim("m1", "db", "Failed", "a", failure="no"), T0 + 7))
    store.apply(change("vmim", vmim("m1", "db", "Failed", "a"), T0 + 8, "DELETED"))
    store.apply(stream("vmi", StreamState.RECONNECTING, T0 + 9, as_of=T0 + 8))
    saved = json.loads(json.dumps(store.snapshot()))
    restored = Store.restore(saved)
    now = T0 + 100
    assert to_json(build_picture(restored, now)) == to_json(build_picture(store, now))
    assert restored.migrations.by_vmi[("a", "db")].failures == 1


def test_to_json_schema() -> None:
    store = store_with(["LiveMigrate"])
    mixed_vmis(store)
    data = to_json(build_picture(store, T0 + 60), max_vmis=2)
    assert data["schema"] == PICTURE_SCHEMA
    assert data["verdict"] == "Migrating workloads"
    assert data["headline"] == "Migrating workloads: 4 of 4 VMIs outdated"
    assert data["now"] == "2023-11-14T22:14:20Z"
    assert data["outdated"]["count"] == 4 and data["outdated"]["rows_total"] == 4
    assert len(data["outdated"]["rows"]) == 2
    assert data["outdated"]["rows"][0]["name"] == "db"
    assert data["outdated"]["burndown"][0] == {"at": "2023-11-14T22:13:25Z", "count": 4}
    assert data["hco"]["versions"] == [{"name": "operator", "version": "4.14.3"}]
    assert data["csvs"][0]["phase_since"] == "2023-11-14T22:13:20Z"
    assert {c["type"] for c in data["hco"]["conditions"]} >= {"Available", "Degraded"}
    json.dumps(data)


def test_hco_namespace_is_detected_from_the_hco() -> None:
    store = Store()
    obj = hco()
    obj["metadata"]["namespace"] = "kubevirt-hyperconverged"
    store.apply(change("hco", obj))
    assert store.hco_namespace == "kubevirt-hyperconverged"
    assert Store("elsewhere").hco_namespace == "elsewhere"
    assert Store().hco_namespace == NS


def test_wrongly_typed_fields_never_raise() -> None:
    store = Store()
    hostile: list[tuple[str, dict[str, Any]]] = [
        ("csv", {"metadata": {"name": "x", "namespace": NS}, "spec": [], "status": 5}),
        (
            "csv",
            {
                "metadata": {"name": "y", "namespace": NS},
                "status": {"phase": 3, "conditions": "nope", "lastTransitionTime": 7},
            },
        ),
        (
            "hco",
            {
                "metadata": {"name": "kubevirt-hyperconverged", "namespace": NS, "annotations": []},
                "spec": {
                    "workloadUpdateStrategy": {
                        "workloadUpdateMethods": "LiveMigrate",
                        "batchEvictionSize": "ten",
                    }
                },
                "status": {
                    "conditions": [1, {"type": 2}, {"type": "Degraded", "status": True}],
                    "versions": {"operator": 1},
                },
            },
        ),
        (
            "subscription",
            {
                "metadata": {"name": "s", "namespace": NS},
                "spec": {"name": "kubevirt-hyperconverged"},
                "status": {"installPlanRef": "install-x", "state": None},
            },
        ),
        (
            "installplan",
            {
                "metadata": {"name": "install-x", "namespace": NS},
                "spec": {"approved": "yes", "clusterServiceVersionNames": "a"},
            },
        ),
        (
            "vmi",
            {
                "metadata": {"name": "v", "namespace": "n", "labels": ["x"]},
                "status": {"conditions": {"type": "LiveMigratable"}},
            },
        ),
        (
            "vmi",
            {
                "metadata": {
                    "name": "w",
                    "namespace": "n",
                    "labels": {"kubevirt.io/outdatedLauncherImage": None},
                    "creationTimestamp": "yesterday",
                },
                "spec": None,
                "status": {
                    "phase": "Running",
                    "nodeName": 4,
                    "conditions": [
                        None,
                        {"type": "LiveMigratable", "status": "False", "message": {"a": 1}},
                    ],
                },
            },
        ),
        ("vmim", {"metadata": {"name": "m", "namespace": "n"}, "spec": {"vmiName": 3}}),
        (
            "vmim",
            {
                "metadata": {"name": "m2", "namespace": "n", "creationTimestamp": 5},
                "spec": {"vmiName": "w"},
                "status": {
                    "phase": "Failed",
                    "phaseTransitionTimestamps": "x",
                    "migrationState": [],
                    "conditions": [{"status": "True"}],
                },
            },
        ),
        (
            "clusterversion",
            {
                "metadata": {"name": "version"},
                "status": {"history": [{"state": "Partial"}, 3], "desired": 1},
            },
        ),
        (
            "mcp",
            {
                "metadata": {"name": "worker"},
                "spec": {"paused": "maybe"},
                "status": {"machineCount": "3"},
            },
        ),
        ("node", {"metadata": {"name": "n1"}, "spec": "x"}),
        ("nodemaintenance", {"metadata": {"name": "nm"}, "spec": {"nodeName": []}}),
        (
            "kubevirt",
            {"metadata": {"name": "kv", "namespace": NS}, "spec": {"workloadUpdateStrategy": []}},
        ),
        ("csv", {"metadata": "nameless"}),
        ("vmi", {"no": "metadata"}),
    ]
    for kind, obj in hostile:
        store.apply(change(kind, obj))
        store.apply(change(kind, obj, T0 + 1, "MODIFIED"))
    p = build_picture(store, T0 + 2)
    assert p.outdated.count == 1
    row = p.outdated.rows[0]
    assert row.node == "4" and row.age is None and row.migratable is False
    assert p.verdict is Verdict.DEGRADED
    json.dumps(to_json(p))
    assert (plan := p.install_plans[0]).approved is False and plan.csv_names == ()
    json.dumps(store.snapshot())
    for kind, obj in hostile:
        store.apply(change(kind, obj, T0 + 3, "DELETED"))
    assert build_picture(store, T0 + 4).outdated.count == 0
