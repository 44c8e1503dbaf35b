"""The one-word verdict for the whole update, with its reason and the list of problems.

Most urgent first: Degraded (something reports failure), Stuck (it will not finish by
itself), Waiting for approval (a person must act), Updating (operators are working),
Migrating workloads (only VMIs are left), then Done or Idle (Done when an update was seen
while watching).
"""

from __future__ import annotations

from dataclasses import dataclass

from cnvtui.kube.events import StreamState
from cnvtui.state.model import (
    ClusterFacts,
    CsvRow,
    HcoPicture,
    InstallPlanRow,
    MigrationsPicture,
    OutdatedPicture,
    StreamRow,
    Verdict,
    WorkloadStrategy,
)
from cnvtui.state.text import human_duration

__all__ = ["CSV_STUCK_AFTER", "STUCK_FAILURES", "Judgement", "judge"]

STUCK_FAILURES = 3
"""Failed migrations in a row (since the last success) that make a VMI stuck."""
CSV_STUCK_AFTER = 1800.0
"""A CSV this long in an installing phase is stuck."""
INSTALLING_PHASES = frozenset({"Pending", "InstallReady", "Installing", "Unknown"})
SETTLED_PHASES = frozenset({"Succeeded", ""})


@dataclass(frozen=True, slots=True)
class Judgement:
    """The verdict, why (without the verdict word), and every problem found."""

    verdict: Verdict
    reason: str
    problems: tuple[str, ...]


def _degraded(
    hco: HcoPicture | None,
    csvs: tuple[CsvRow, ...],
    plans: tuple[InstallPlanRow, ...],
    cluster: ClusterFacts,
) -> list[str]:
    found = []
    if hco is not None:
        for cond in hco.conditions:
            if cond.type == "Degraded" and cond.status == "True":
                detail = ": ".join(p for p in (cond.reason, cond.message) if p)
                found.append("HCO Degraded=True" + (f": {detail}" if detail else ""))
    for csv in csvs:
        if csv.phase == "Failed":
            detail = ": ".join(p for p in (csv.reason, csv.message) if p)
            found.append(f"CSV {csv.name} Failed" + (f": {detail}" if detail else ""))
    for plan in plans:
        if plan.is_current and plan.phase == "Failed":
            found.append(f"install plan {plan.name} Failed")
    sub = cluster.subscription
    if sub is not None and sub.state == "UpgradeFailed":
        found.append(
            f"subscription {sub.name} UpgradeFailed" + (f": {sub.message}" if sub.message else "")
        )
    return found


def _stuck(
    *,
    csvs: tuple[CsvRow, ...],
    strategy: WorkloadStrategy,
    outdated: OutdatedPicture,
    migrations: MigrationsPicture,
    still_outdated: set[tuple[str, str]],
    now: float,
) -> list[str]:
    found = []
    for vmi in migrations.by_vmi:
        if vmi.failures_since_success < STUCK_FAILURES:
            continue
        if (vmi.namespace, vmi.vmi) not in still_outdated:
            continue
        why = f" ({vmi.last_failure_reason})" if vmi.last_failure_reason else ""
        found.append(
            f"{vmi.failures_since_success} migrations failed for {vmi.namespace}/{vmi.vmi}{why}"
        )
    for row in migrations.rows:
        if row.over_limit and row.target_pending_for is not None:
            cause = "Unschedulable, " if row.unschedulable else ""
            found.append(
                f"migration {row.namespace}/{row.name}: target pod pending "
                f"{human_duration(row.target_pending_for)} ({cause}limit "
                f"{human_duration(row.pending_limit)})"
            )
    if outdated.count and not strategy.methods and strategy.backup is None:
        found.append(
            f"{outdated.count} VMIs outdated but workloadUpdateMethods is empty: "
            "no VM will be updated"
        )
    elif outdated.count and strategy.methods and outdated.never_updates_count == outdated.count:
        found.append(
            f"{outdated.count} outdated VMIs can never be updated under "
            f"[{', '.join(strategy.methods)}]"
        )
    for csv in csvs:
        if csv.phase in INSTALLING_PHASES and csv.phase_since is not None:
            stay = now - csv.phase_since
            if stay > CSV_STUCK_AFTER:
                found.append(f"CSV {csv.name} {csv.phase} for {human_duration(stay)}")
    return found


def _updating(
    *,
    hco: HcoPicture | None,
    csvs: tuple[CsvRow, ...],
    plans: tuple[InstallPlanRow, ...],
    cluster: ClusterFacts,
    strategy: WorkloadStrategy,
    outdated: OutdatedPicture,
) -> str:
    for csv in csvs:
        if csv.phase not in SETTLED_PHASES and csv.reason != "Copied":
            if csv.phase in ("Replacing", "Deleting"):
                continue
            source = f" (replaces {csv.replaces})" if csv.replaces else ""
            return f"CSV {csv.name} {csv.phase}{source}"
    for plan in plans:
        if plan.is_current and plan.phase == "Installing" and plan.approved:
            return f"install plan {plan.name} Installing"
        if plan.is_current and plan.phase in ("", "Planning"):
            # Approved or not: it is OLM's turn until the plan reaches RequiresApproval.
            return f"install plan {plan.name} {plan.phase or 'created'}"
    offered = _sub_offer(cluster)
    if offered:
        return offered
    for csv in csvs:
        if csv.phase in ("Replacing", "Deleting"):
            return f"CSV {csv.name} {csv.phase}"
    if hco is not None:
        for cond in hco.conditions:
            if cond.type == "Progressing" and cond.status == "True":
                return "HCO Progressing" + (f": {cond.message}" if cond.message else "")
    if outdated.count and not strategy.methods and strategy.backup is not None:
        return f"workload updates paused (methods backed up): {outdated.count} VMIs outdated"
    update = cluster.openshift_update
    if update is not None:
        return f"OpenShift update {update.from_version or '?'} → {update.to_version}"
    if not strategy.in_sync:
        return "KubeVirt workload update strategy not yet in sync with the HCO"
    return ""


def _stream_problems(streams: tuple[StreamRow, ...], now: float) -> list[str]:
    found = []
    for s in streams:
        if s.state == StreamState.RECONNECTING:
            age = f", data as of {human_duration(now - s.as_of)} ago" if s.as_of else ""
            found.append(f"watch {s.kind} reconnecting{age}")
        elif s.state in (StreamState.FORBIDDEN, StreamState.UNAUTHORIZED):
            found.append(
                f"watch {s.kind} {s.state.value}" + (f": {s.message}" if s.message else "")
            )
    return found


def judge(
    *,
    now: float,
    update_seen: bool,
    cluster: ClusterFacts,
    streams: tuple[StreamRow, ...],
    csvs: tuple[CsvRow, ...],
    hco: HcoPicture | None,
    plans: tuple[InstallPlanRow, ...],
    strategy: WorkloadStrategy,
    outdated: OutdatedPicture,
    migrations: MigrationsPicture,
    still_outdated: set[tuple[str, str]],
) -> Judgement:
    """Decide the verdict. `still_outdated`: VMIs (namespace, name) currently outdated."""
    degraded = _degraded(hco, csvs, plans, cluster)
    stuck = _stuck(
        csvs=csvs,
        strategy=strategy,
        outdated=outdated,
        migrations=migrations,
        still_outdated=still_outdated,
        now=now,
    )
    waiting = next((p for p in plans if p.awaits_approval), None)
    if waiting is not None:
        waiting_text = _approval_text(waiting)
    elif not any(p.is_current for p in plans):
        waiting_text = _sub_waiting(cluster)
    else:
        waiting_text = ""
    problems = [*degraded, *stuck]
    if waiting_text:
        problems.append(waiting_text)
    problems += _stream_problems(streams, now)
    problems += strategy.warnings
    unique = tuple(dict.fromkeys(problems))

    if degraded:
        return Judgement(Verdict.DEGRADED, degraded[0], unique)
    if stuck:
        return Judgement(Verdict.STUCK, stuck[0], unique)
    if waiting_text:
        return Judgement(Verdict.WAITING_FOR_APPROVAL, waiting_text, unique)
    updating = _updating(
        hco=hco, csvs=csvs, plans=plans, cluster=cluster, strategy=strategy, outdated=outdated
    )
    if updating:
        return Judgement(Verdict.UPDATING, updating, unique)
    if outdated.count:
        eta = f", ETA {human_duration(outdated.eta_seconds)}" if outdated.eta_seconds else ""
        running = f", {migrations.running} migrating" if migrations.running else ""
        reason = f"{outdated.count} of {outdated.running_total} VMIs outdated{running}{eta}"
        return Judgement(Verdict.MIGRATING, reason, unique)
    version = f"CNV {cluster.cnv_version}" if cluster.cnv_version else "CNV"
    if hco is None and not csvs:
        if any(s.state == StreamState.SYNCING for s in streams) or not streams:
            return Judgement(Verdict.IDLE, "waiting for the first data from the cluster", unique)
        return Judgement(
            Verdict.IDLE,
            f"no OpenShift Virtualization found in namespace {cluster.hco_namespace}",
            unique,
        )
    if update_seen:
        return Judgement(
            Verdict.DONE,
            f"{version} installed, all {outdated.running_total} running VMIs up to date",
            unique,
        )
    return Judgement(Verdict.IDLE, f"{version}, no update in progress", unique)


def _sub_offer(cluster: ClusterFacts) -> str:
    """OLM has found a newer CSV but nothing else shows it yet (no plan, no new CSV)."""
    sub = cluster.subscription
    if sub is None:
        return ""
    moving = sub.current_csv and sub.installed_csv and sub.current_csv != sub.installed_csv
    if sub.state not in ("UpgradePending", "UpgradeAvailable") and not moving:
        return ""
    target = f": {sub.installed_csv or '?'} → {sub.current_csv}" if moving else ""
    return f"subscription {sub.name} {sub.state or 'updating'}{target}"


def _sub_waiting(cluster: ClusterFacts) -> str:
    """Approval pending per the Subscription alone, for when its plan cannot be read."""
    sub = cluster.subscription
    if sub is None or not sub.message.startswith("InstallPlanPending: RequiresApproval"):
        return ""
    if sub.install_plan_ref:
        return (
            f"install plan {sub.install_plan_ref} needs approval "
            "(the Subscription says RequiresApproval)"
        )
    return "an install plan needs approval (the Subscription says RequiresApproval)"


def _approval_text(plan: InstallPlanRow) -> str:
    csvs = ", ".join(plan.csv_names)
    return f"install plan {plan.name} ({csvs}) needs approval"
