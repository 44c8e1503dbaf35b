"""The verdict and its reason through the stages of a CNV update, from event sequences."""

from __future__ import annotations

from cnvtui.kube.events import Obj
from cnvtui.state.model import UpdatePicture, Verdict
from cnvtui.state.picture import build_picture
from cnvtui.state.store import Store

from . import (
    ALL_KINDS,
    T0,
    change,
    csv,
    hco,
    installplan,
    kubevirt,
    live_streams,
    subscription,
    vmi,
    vmim,
)

OLD, NEW = "4.14.3", "4.14.4"
NEW_CSV = f"kubevirt-hyperconverged-operator.v{NEW}"


def steady(n_vmis: int = 10, methods: list[str] | None = None) -> Store:
    """A cluster at rest on CNV 4.14.3 with `n_vmis` running, up-to-date VMIs."""
    store = Store()
    store.apply_all(live_streams(*ALL_KINDS))
    methods = ["LiveMigrate"] if methods is None else methods
    for kind, obj in (
        ("csv", csv(OLD)),
        ("hco", hco(OLD, methods=methods)),
        ("subscription", subscription()),
        ("kubevirt", kubevirt(methods)),
    ):
        store.apply(change(kind, obj))
    for i in range(n_vmis):
        store.apply(change("vmi", vmi(f"vm-{i:02d}")))
    return store


def put(store: Store, kind: str, obj: Obj, at: float) -> None:
    store.apply(change(kind, obj, at, "MODIFIED"))


def picture(store: Store, now: float) -> UpdatePicture:
    return build_picture(store, now)


def approve_and_install(store: Store, at: float) -> None:
    store.apply(change("installplan", installplan("install-abcde", NEW), at))
    put(store, "subscription", subscription(state="UpgradePending", plan="install-abcde"), at)
    put(store, "installplan", installplan("install-abcde", NEW, "Installing", True), at + 10)
    store.apply(
        change("csv", csv(NEW, "Installing", replaces=OLD, reason="InstallWaiting"), at + 20)
    )
    put(
        store,
        "csv",
        csv(OLD, "Replacing", reason="BeingReplaced", message=f"being replaced by csv: {NEW_CSV}"),
        at + 20,
    )


def finish_operator(store: Store, at: float) -> None:
    put(store, "csv", csv(NEW, "Succeeded", replaces=OLD, reason="InstallSucceeded"), at)
    store.apply(change("csv", csv(OLD, "Deleting"), at + 5, "DELETED"))
    put(store, "installplan", installplan("install-abcde", NEW, "Complete", True), at)
    put(store, "subscription", subscription(current=NEW, installed=NEW, plan="install-abcde"), at)
    put(store, "hco", hco(NEW), at + 10)


def test_idle_when_nothing_moves() -> None:
    p = picture(steady(), T0 + 60)
    assert p.verdict is Verdict.IDLE
    assert p.reason == "CNV 4.14.3, no update in progress"
    assert p.settled
    assert p.problems == ()


def test_idle_before_first_data_says_so() -> None:
    p = picture(Store(), T0)
    assert p.verdict is Verdict.IDLE
    assert p.reason == "waiting for the first data from the cluster"


def test_waiting_for_approval_names_the_current_plan() -> None:
    store = steady()
    store.apply(
        change("installplan", installplan("install-old", OLD, "Complete", True, created=T0 - 86400))
    )
    store.apply(change("installplan", installplan("install-abcde", NEW), T0 + 10))
    put(store, "subscription", subscription(state="UpgradePending", plan="install-abcde"), T0 + 10)
    p = picture(store, T0 + 20)
    assert p.verdict is Verdict.WAITING_FOR_APPROVAL
    assert p.headline == (
        "Waiting for approval: install plan install-abcde "
        "(kubevirt-hyperconverged-operator.v4.14.4) needs approval"
    )
    current, old = p.install_plans
    assert (current.name, current.is_current, current.awaits_approval, current.can_approve) == (
        "install-abcde",
        True,
        True,
        True,
    )
    assert (old.name, old.is_current, old.awaits_approval, old.can_approve) == (
        "install-old",
        False,
        False,
        False,
    )
    assert old.why_not == "not the plan the Subscription names (install-abcde)"
    assert p.awaiting_approval == current
    assert p.cluster.subscription is not None
    assert p.cluster.subscription.message == "InstallPlanPending: RequiresApproval"


def test_plan_not_named_by_subscription_does_not_await_approval() -> None:
    store = steady()
    store.apply(change("installplan", installplan("install-stray", NEW), T0 + 10))
    p = picture(store, T0 + 20)
    (plan,) = p.install_plans
    assert not plan.is_current and not plan.awaits_approval and not plan.can_approve
    assert plan.why_not == "the Subscription names no install plan"
    assert p.verdict is not Verdict.WAITING_FOR_APPROVAL


def test_updating_while_the_new_csv_installs() -> None:
    store = steady()
    approve_and_install(store, T0 + 100)
    p = picture(store, T0 + 150)
    assert p.verdict is Verdict.UPDATING
    assert (
        p.reason == f"CSV {NEW_CSV} Installing (replaces kubevirt-hyperconverged-operator.v4.14.3)"
    )
    phases = {row.version: row.phase for row in p.csvs}
    assert phases == {OLD: "Replacing", NEW: "Installing"}
    assert not p.settled


def test_updating_while_hco_progresses() -> None:
    store = steady()
    approve_and_install(store, T0 + 100)
    finish_operator(store, T0 + 200)
    put(
        store,
        "hco",
        hco(
            NEW,
            {"Progressing": "True", "Upgradeable": "False"},
            messages={"Progressing": ("HCOUpgrading", "HCO is now upgrading")},
        ),
        T0 + 220,
    )
    p = picture(store, T0 + 230)
    assert p.verdict is Verdict.UPDATING
    assert p.reason == "HCO Progressing: HCO is now upgrading"
    assert p.hco is not None and not p.hco.healthy


def test_migrating_with_progress_and_eta() -> None:
    store = steady(n_vmis=10)
    approve_and_install(store, T0 + 100)
    finish_operator(store, T0 + 200)
    start = T0 + 300
    for i in range(10):
        put(store, "vmi", vmi(f"vm-{i:02d}", outdated=True), start)
    for i in range(7):  # one VMI updated per minute
        put(store, "vmi", vmi(f"vm-{i:02d}"), start + 60 * (i + 1))
    now = start + 7 * 60
    p = picture(store, now)
    assert p.verdict is Verdict.MIGRATING
    assert p.headline == "Migrating workloads: 3 of 10 VMIs outdated, ETA 3m"
    out = p.outdated
    assert (out.count, out.running_total, out.updated) == (3, 10, 7)
    assert abs(out.progress - 0.7) < 1e-9
    assert out.rate_per_minute is not None and abs(out.rate_per_minute - 1.0) < 1e-9
    assert out.burndown[0] == (start, 10)
    assert out.burndown[-1] == (now, 3)


def test_done_after_an_update_was_seen() -> None:
    store = steady(n_vmis=4)
    approve_and_install(store, T0 + 100)
    finish_operator(store, T0 + 200)
    for i in range(4):
        put(store, "vmi", vmi(f"vm-{i:02d}", outdated=True), T0 + 300)
        put(store, "vmi", vmi(f"vm-{i:02d}"), T0 + 400)
    p = picture(store, T0 + 500)
    assert p.verdict is Verdict.DONE
    assert p.reason == "CNV 4.14.4 installed, all 4 running VMIs up to date"
    assert p.settled
    assert p.cluster.cnv_version == NEW
    assert [row.version for row in p.csvs] == [NEW]


def test_stuck_after_three_failed_migrations_of_one_vmi() -> None:
    store = steady(n_vmis=3)
    put(store, "vmi", vmi("rhel9-db", "vm-ns-1", outdated=True), T0 + 10)
    for attempt in range(3):
        at = T0 + 20 + attempt * 400
        obj = vmim(
            f"kubevirt-workload-update-{attempt}",
            "rhel9-db",
            "Scheduling",
            "vm-ns-1",
            created=at,
            unschedulable=True,
        )
        store.apply(change("vmim", obj, at))
        failed = vmim(
            f"kubevirt-workload-update-{attempt}",
            "rhel9-db",
            "Failed",
            "vm-ns-1",
            created=at,
            failure="target pod Unschedulable",
            unschedulable=True,
        )
        put(store, "vmim", failed, at + 300)
    p = picture(store, T0 + 1300)
    assert p.verdict is Verdict.STUCK
    assert p.headline == (
        "Stuck: 3 migrations failed for vm-ns-1/rhel9-db (target pod Unschedulable)"
    )
    assert p.migrations.failed == 3
    (hist,) = p.migrations.by_vmi
    assert (hist.vmi, hist.attempts, hist.failures_since_success) == ("rhel9-db", 3, 3)


def test_failed_migrations_are_not_stuck_once_the_vmi_is_updated() -> None:
    store = steady(n_vmis=0)
    put(store, "vmi", vmi("db", outdated=True), T0)
    for attempt in range(3):
        store.apply(change("vmim", vmim(f"m{attempt}", "db", "Failed", failure="boom"), T0 + 1))
    put(store, "vmi", vmi("db"), T0 + 2)
    assert picture(store, T0 + 3).verdict is not Verdict.STUCK


def test_stuck_when_target_pod_pends_past_the_unschedulable_limit() -> None:
    store = steady(n_vmis=0)
    put(store, "vmi", vmi("db", outdated=True), T0)
    store.apply(change("vmim", vmim("m1", "db", "Scheduling", unschedulable=True), T0))
    early = picture(store, T0 + 120)
    (row,) = early.migrations.rows
    assert row.target_pending_for == 120 and row.pending_limit == 300 and not row.over_limit
    assert early.verdict is Verdict.MIGRATING
    late = picture(store, T0 + 360)
    assert late.migrations.rows[0].over_limit
    assert late.verdict is Verdict.STUCK
    assert late.reason == "migration vms/m1: target pod pending 6m (Unschedulable, limit 5m)"


def test_pending_limit_is_fifteen_minutes_when_not_unschedulable() -> None:
    store = steady(n_vmis=0)
    store.apply(change("vmim", vmim("m1", "db", "Pending"), T0))
    row = picture(store, T0 + 600).migrations.rows[0]
    assert row.pending_limit == 900 and not row.over_limit and not row.unschedulable


def test_degraded_outranks_waiting_for_approval() -> None:
    store = steady()
    store.apply(change("installplan", installplan("install-abcde", NEW), T0 + 10))
    put(store, "subscription", subscription(state="UpgradePending", plan="install-abcde"), T0 + 10)
    put(
        store,
        "hco",
        hco(
            OLD,
            {"Degraded": "True"},
            messages={"Degraded": ("KubeVirtDegraded", "virt-handler crashing")},
        ),
        T0 + 20,
    )
    p = picture(store, T0 + 30)
    assert p.verdict is Verdict.DEGRADED
    assert p.headline == "Degraded: HCO Degraded=True: KubeVirtDegraded: virt-handler crashing"
    assert p.problems[1].endswith("needs approval")
    degraded = next(c for c in p.hco.conditions if c.type == "Degraded") if p.hco else None
    assert degraded is not None and not degraded.healthy


def test_degraded_when_the_new_csv_fails() -> None:
    store = steady()
    store.apply(
        change("csv", csv(NEW, "Failed", OLD, "InstallCheckFailed", "deployment bad"), T0 + 10)
    )
    p = picture(store, T0 + 20)
    assert p.headline == f"Degraded: CSV {NEW_CSV} Failed: InstallCheckFailed: deployment bad"


def test_empty_methods_without_backup_is_stuck_and_with_backup_is_updating() -> None:
    store = steady(n_vmis=2, methods=[])
    put(store, "vmi", vmi("vm-00", outdated=True), T0 + 10)
    p = picture(store, T0 + 20)
    assert p.verdict is Verdict.STUCK
    assert p.reason == "1 VMIs outdated but workloadUpdateMethods is empty: no VM will be updated"
    assert p.outdated.never_updates_count == 1
    backup = {
        "cnvtui.io/workload-update-methods-backup": '["LiveMigrate"]',
        "cnvtui.io/backup-taken-at": "2023-11-14T22:00:00Z",
    }
    put(store, "hco", hco(OLD, methods=[], annotations=backup), T0 + 30)
    p = picture(store, T0 + 40)
    assert p.verdict is Verdict.UPDATING
    assert p.reason == "workload updates paused (methods backed up): 1 VMIs outdated"
    held = p.workload_strategy.backup
    assert held is not None and held.methods == ("LiveMigrate",) and held.valid
    assert held.taken_at == T0 - 800


def test_stuck_when_no_outdated_vmi_can_ever_update() -> None:
    store = steady(n_vmis=0)
    put(store, "vmi", vmi("pinned", outdated=True, migratable=False, eviction=None), T0)
    p = picture(store, T0 + 10)
    assert p.verdict is Verdict.STUCK
    assert p.reason == "1 outdated VMIs can never be updated under [LiveMigrate]"


def test_waiting_for_approval_from_the_subscription_when_plans_are_forbidden() -> None:
    store = steady()
    put(store, "subscription", subscription(state="UpgradePending", plan="install-abcde"), T0 + 10)
    p = picture(store, T0 + 20)
    assert p.verdict is Verdict.WAITING_FOR_APPROVAL
    assert p.reason == (
        "install plan install-abcde needs approval (the Subscription says RequiresApproval)"
    )


def test_a_new_plan_being_planned_after_done_is_updating_not_done() -> None:
    """The next hop of a chain: OLM plans 4.14.5 before it asks for approval."""
    store = steady(n_vmis=2)
    approve_and_install(store, T0 + 100)
    finish_operator(store, T0 + 200)
    assert picture(store, T0 + 300).verdict is Verdict.DONE
    store.apply(change("installplan", installplan("install-next", "4.14.5", "Planning"), T0 + 310))
    put(
        store,
        "subscription",
        subscription(state="UpgradePending", current="4.14.5", installed=NEW, plan="install-next"),
        T0 + 310,
    )
    p = picture(store, T0 + 320)
    assert p.verdict is Verdict.UPDATING
    assert p.reason == "install plan install-next Planning"


def test_a_subscription_offering_a_newer_csv_is_updating_not_done() -> None:
    store = steady(n_vmis=2)
    approve_and_install(store, T0 + 100)
    finish_operator(store, T0 + 200)
    put(
        store,
        "subscription",
        subscription(state="UpgradeAvailable", current="4.14.5", installed=NEW),
        T0 + 310,
    )
    p = picture(store, T0 + 320)
    assert p.verdict is Verdict.UPDATING
    assert p.reason == (
        "subscription hco-operatorhub UpgradeAvailable: "
        "kubevirt-hyperconverged-operator.v4.14.4 → kubevirt-hyperconverged-operator.v4.14.5"
    )
