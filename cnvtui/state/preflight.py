"""Preflight: what to fix before an OpenShift or CNV update, read from the watched objects.

Each check gives one `Finding`: a verdict (ok, warning, blocker), the objects concerned, what
is wrong and what to do. Blockers are what stops an update or makes it unsafe (a degraded
HCO, Upgradeable=False, a VMI that must live migrate but cannot and so blocks node drains);
warnings are what people regret later (Manual approval drifting out of step, a paused pool,
VMIs that will never be updated). Every check also reports "ok", so a clean run shows what
was looked at.

Pure: `run_preflight(store, now, target=...)` reads a `Store`; the `cnvtui preflight` command
and the dashboard panel feed it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from cnvtui.kube.events import Obj, StreamState
from cnvtui.state.eus import (
    Minor,
    available_updates,
    channel_hint,
    minor_of,
    next_step,
    parse_minor,
    update_path,
)
from cnvtui.state.model import UpdatePicture
from cnvtui.state.picture import build_picture
from cnvtui.state.store import Store
from cnvtui.state.views import as_str, condition, dig, name_of
from cnvtui.state.workloads import EVICT, LIVE_MIGRATE

__all__ = [
    "CHECKS",
    "Finding",
    "FindingVerdict",
    "ObjectName",
    "PreflightReport",
    "run_preflight",
]

LEGACY_LAST_MINOR = (4, 10)
"""Legacy nodemaintenance.kubevirt.io CRs must be gone before updating past this minor."""
LIST_LIMIT = 5
"""Objects named in a message (the finding's `objects` has them all)."""
_PVC = re.compile(r"PVC (\S+) is not shared")


class FindingVerdict(StrEnum):
    OK = "ok"
    WARNING = "warning"
    BLOCKER = "blocker"
    UNKNOWN = "unknown"
    """Not checked: a kind the check reads could not be read (its answer would be a guess)."""


@dataclass(frozen=True, slots=True)
class ObjectName:
    """An object a finding is about: a `cnvtui.kube.resources` key, namespace, name."""

    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind}/{name_of(self.namespace, self.name)}"


@dataclass(frozen=True, slots=True)
class Finding:
    """The result of one check."""

    check: str
    verdict: FindingVerdict
    objects: tuple[ObjectName, ...]
    message: str
    what_to_do: str

    def to_json(self) -> dict[str, object]:
        return {
            "check": self.check,
            "verdict": self.verdict.value,
            "objects": [
                {"kind": o.kind, "namespace": o.namespace or None, "name": o.name}
                for o in self.objects
            ],
            "message": self.message,
            "whatToDo": self.what_to_do,
        }


@dataclass(frozen=True, slots=True)
class PreflightReport:
    """Every finding, worst first, and what could not be read."""

    findings: tuple[Finding, ...]
    unreadable: tuple[str, ...]
    """Kinds that could not be read ("installplans: forbidden ..."): their checks are
    incomplete, so "no blocker" cannot be claimed."""
    openshift_version: str | None
    cnv_version: str | None
    target: str | None

    @property
    def blockers(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.verdict == FindingVerdict.BLOCKER)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.verdict == FindingVerdict.WARNING)

    @property
    def not_checked(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.verdict == FindingVerdict.UNKNOWN)

    @property
    def unreadable_kinds(self) -> tuple[str, ...]:
        """Just the kinds of `unreadable`, for a one-line summary."""
        return tuple(reason.split(":", 1)[0] for reason in self.unreadable)

    def to_json(self) -> dict[str, object]:
        return {
            "openshiftVersion": self.openshift_version,
            "cnvVersion": self.cnv_version,
            "target": self.target,
            "blockers": len(self.blockers),
            "warnings": len(self.warnings),
            "notChecked": len(self.not_checked),
            "unreadable": list(self.unreadable),
            "findings": [f.to_json() for f in self.findings],
        }


# ---- helpers


def _names(objects: Iterable[ObjectName], limit: int = LIST_LIMIT) -> str:
    items = [name_of(o.namespace, o.name) for o in objects]
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _ok(check: str, message: str, objects: tuple[ObjectName, ...] = ()) -> Finding:
    return Finding(check, FindingVerdict.OK, objects, message, "")


@dataclass(frozen=True, slots=True)
class _Input:
    store: Store
    picture: UpdatePicture
    target: Minor | None


Check = Callable[[_Input], list[Finding]]


# ---- Subscription


def _subscription(inp: _Input) -> list[Finding]:
    sub = inp.picture.cluster.subscription
    ns = inp.picture.cluster.hco_namespace
    if sub is None:
        verdict = FindingVerdict.WARNING if inp.picture.hco is not None else FindingVerdict.BLOCKER
        return [
            Finding(
                "subscription",
                verdict,
                (),
                f"no OLM Subscription for OpenShift Virtualization in {ns}",
                "check the namespace (--namespace) and that the operator was installed "
                "through OperatorHub; updates arrive through its Subscription",
            )
        ]
    ref = (ObjectName("subscription", sub.namespace, sub.name),)
    out: list[Finding] = []
    if sub.channel and sub.channel != "stable":
        out.append(
            Finding(
                "subscription.channel",
                FindingVerdict.WARNING,
                ref,
                f"channel is {sub.channel!r}, not 'stable'",
                "OpenShift Virtualization ships in the 'stable' channel, which keeps it "
                "compatible with OpenShift; switch the Subscription to it",
            )
        )
    else:
        out.append(_ok("subscription.channel", f"channel {sub.channel or 'stable'}", ref))
    if sub.approval == "Manual":
        out.append(
            Finding(
                "subscription.approval",
                FindingVerdict.WARNING,
                ref,
                "approval is Manual: every CNV update waits until someone approves it",
                "approve each CNV update as soon as OpenShift reaches its minor: CNV and "
                "OpenShift out of step is an unsupported cluster (Automatic is recommended)",
            )
        )
    else:
        out.append(_ok("subscription.approval", f"approval {sub.approval}", ref))
    out.append(_plans(inp, ref))
    if sub.state == "UpgradeFailed":
        out.append(
            Finding(
                "subscription.state",
                FindingVerdict.BLOCKER,
                ref,
                f"Subscription state UpgradeFailed{': ' + sub.message if sub.message else ''}",
                "look at the failed InstallPlan and CSV (oc get ip,csv -n "
                f"{sub.namespace}) and fix the cause before any further update",
            )
        )
    elif sub.message and not sub.message.startswith("InstallPlanPending"):
        out.append(
            Finding(
                "subscription.state",
                FindingVerdict.WARNING,
                ref,
                f"Subscription reports {sub.message}",
                "OLM cannot resolve updates until this clears; check the catalog sources",
            )
        )
    else:
        out.append(_ok("subscription.state", f"state {sub.state or 'unknown'}", ref))
    return out


def _plans(inp: _Input, sub_ref: tuple[ObjectName, ...]) -> Finding:
    ns = inp.picture.cluster.hco_namespace
    current = next((p for p in inp.picture.install_plans if p.is_current), None)
    if current is None:
        return _ok("subscription.installplan", "no install plan pending", sub_ref)
    ref = (ObjectName("installplan", ns, current.name),)
    csvs = ", ".join(current.csv_names)
    if current.phase == "Failed":
        return Finding(
            "subscription.installplan",
            FindingVerdict.BLOCKER,
            ref,
            f"install plan {current.name} ({csvs}) Failed",
            "read its status.conditions; delete it so OLM resolves again once the cause is fixed",
        )
    if current.awaits_approval:
        return Finding(
            "subscription.installplan",
            FindingVerdict.WARNING,
            ref,
            f"install plan {current.name} ({csvs}) waits for approval",
            f"review and approve {current.name} (only this plan, the one the Subscription "
            "names) when you are ready for the CNV update",
        )
    if current.phase not in ("Complete", ""):
        return Finding(
            "subscription.installplan",
            FindingVerdict.WARNING,
            ref,
            f"install plan {current.name} ({csvs}) is {current.phase}",
            "a CNV update is under way: let it finish before starting another update",
        )
    return _ok("subscription.installplan", f"install plan {current.name} Complete", ref)


# ---- versions


def _versions(inp: _Input) -> list[Finding]:
    cluster = inp.picture.cluster
    ocp = parse_minor(cluster.openshift_version)
    cnv = parse_minor(cluster.cnv_version)
    cv = _cluster_version(inp.store)
    cv_ref = (ObjectName("clusterversion", "", "version"),) if cv is not None else ()
    if ocp is None:
        return [
            Finding(
                "versions.skew",
                FindingVerdict.WARNING,
                (),
                "the OpenShift version is unknown (no readable ClusterVersion)",
                "version checks need ClusterVersion 'version' (get/list on "
                "clusterversions.config.openshift.io)",
            )
        ]
    out: list[Finding] = []
    ocp_text = cluster.openshift_version
    if cnv is None:
        out.append(
            Finding(
                "versions.skew",
                FindingVerdict.WARNING,
                cv_ref,
                f"OpenShift {ocp_text}; the CNV version is unknown (HCO status.versions)",
                "check that the HyperConverged CR exists and reports its operator version",
            )
        )
    elif cnv == ocp:
        out.append(
            _ok("versions.skew", f"CNV {cluster.cnv_version} matches OpenShift {ocp_text}", cv_ref)
        )
    elif cnv < ocp:
        behind = ocp[1] - cnv[1]
        out.append(
            Finding(
                "versions.skew",
                FindingVerdict.BLOCKER if behind > 1 else FindingVerdict.WARNING,
                cv_ref,
                f"CNV {cluster.cnv_version} is {behind} minor behind OpenShift {ocp_text}: "
                "an unsupported combination",
                f"update CNV to {minor_of(ocp)} (approve its install plan if approval is "
                "Manual) before the next OpenShift minor update",
            )
        )
    else:
        out.append(
            Finding(
                "versions.skew",
                FindingVerdict.BLOCKER,
                cv_ref,
                f"CNV {cluster.cnv_version} runs ahead of OpenShift {ocp_text}",
                f"update OpenShift to {minor_of(cnv)}",
            )
        )
    out.append(_ok("versions.next", f"next allowed step: {next_step(ocp, cnv)}", cv_ref))
    if inp.target is not None:
        out.append(_path(inp.target, ocp, cnv, cv, cv_ref))
    return out


def _path(
    target: Minor, ocp: Minor, cnv: Minor | None, cv: Obj | None, ref: tuple[ObjectName, ...]
) -> Finding:
    name = minor_of(target)
    if target < ocp or (cnv is not None and target < cnv):
        return Finding(
            "versions.path",
            FindingVerdict.BLOCKER,
            ref,
            f"target {name} is older than what runs: downgrades are not supported",
            "pick a target at or above the running minor",
        )
    hops = update_path(ocp, cnv, target)
    if not hops:
        return _ok("versions.path", f"already at {name}", ref)
    path = " -> ".join(h.describe() for h in hops)
    eus = ocp[1] % 2 == 0 and target == (ocp[0], ocp[1] + 2)
    lead = f"path to {name}: {path}"
    if eus:
        lead += f" (EUS-to-EUS: passes through {minor_of((ocp[0], ocp[1] + 1))})"
    first = next((h for h in hops if h.what == "openshift"), None)
    if first is not None and hops[0] is first:
        offered = [v for v in available_updates(cv) if parse_minor(v) == first.minor]
        if not offered:
            return Finding(
                "versions.path",
                FindingVerdict.WARNING,
                ref,
                f"{lead}; the cluster offers no OpenShift {minor_of(first.minor)} update yet",
                "set the ClusterVersion channel that offers it "
                f"(e.g. {channel_hint(target, first.minor)})",
            )
        lead += f"; OpenShift {minor_of(first.minor)} offered: {', '.join(offered)}"
    if target[1] > ocp[1] + 2:
        return Finding(
            "versions.path",
            FindingVerdict.WARNING,
            ref,
            lead,
            "that is more than one EUS hop: go EUS to EUS, one even minor at a time",
        )
    todo = (
        "follow the EUS guide (pause worker pools, stop workload updates, then the hops)"
        if eus
        else "update one minor at a time, OpenShift first, then CNV"
    )
    return Finding("versions.path", FindingVerdict.OK, ref, lead, todo)


def _cluster_version(store: Store) -> Obj | None:
    return store.get("clusterversion", "", "version") or next(
        iter(store.objects("clusterversion").values()), None
    )


# ---- HCO and KubeVirt


def _hco(inp: _Input) -> list[Finding]:
    hco = inp.picture.hco
    ns = inp.picture.cluster.hco_namespace
    if hco is None:
        return [
            Finding(
                "hco",
                FindingVerdict.BLOCKER,
                (),
                f"no HyperConverged CR in {ns}",
                "check the namespace (--namespace) and that OpenShift Virtualization is deployed",
            )
        ]
    ref = (ObjectName("hco", hco.namespace, hco.name),)
    conds = {c.type: c for c in hco.conditions}

    def detail(ctype: str) -> str:
        cond = conds.get(ctype)
        if cond is None:
            return ""
        text = ": ".join(p for p in (cond.reason, cond.message) if p)
        return f" ({text})" if text else ""

    def status(ctype: str) -> str:
        cond = conds.get(ctype)
        return cond.status if cond is not None else "Unknown"

    out: list[Finding] = []
    for ctype, wanted_true, verdict, advice in _HCO_CONDITIONS:
        check, shown = f"hco.{ctype.lower()}", f"{ctype}={status(ctype)}"
        if (status(ctype) == "True") == wanted_true:
            out.append(_ok(check, shown, ref))
        else:
            out.append(Finding(check, verdict, ref, shown + detail(ctype), advice))
    out.append(_kubevirt(inp))
    return out


_HCO_CONDITIONS: tuple[tuple[str, bool, FindingVerdict, str], ...] = (
    # (condition, healthy when True?, verdict when not healthy, what to do)
    (
        "Available",
        True,
        FindingVerdict.BLOCKER,
        "fix the HCO's components before updating anything",
    ),
    (
        "Degraded",
        False,
        FindingVerdict.BLOCKER,
        "an update on a degraded HCO fails; fix the component it names first",
    ),
    (
        "Progressing",
        False,
        FindingVerdict.WARNING,
        "an update or reconcile is under way: wait for Progressing=False",
    ),
    (
        "Upgradeable",
        True,
        FindingVerdict.BLOCKER,
        "the cluster-version operator refuses a minor OpenShift update until the HCO "
        "is Upgradeable=True; wait for it or fix what it names",
    ),
)


def _kubevirt(inp: _Input) -> Finding:
    ns = inp.picture.cluster.hco_namespace
    kvs = [(k, o) for k, o in sorted(inp.store.objects("kubevirt").items()) if k[0] == ns]
    if not kvs:
        return Finding(
            "kubevirt.sync",
            FindingVerdict.WARNING,
            (),
            f"no KubeVirt CR seen in {ns}",
            "the HCO deploys it; check the HCO's status",
        )
    (kns, kname), kv = kvs[0]
    ref = (ObjectName("kubevirt", kns, kname),)
    strategy = inp.picture.workload_strategy
    problems = []
    if not strategy.in_sync:
        problems.append(
            f"KubeVirt methods [{', '.join(strategy.kubevirt_methods or ())}] differ from the "
            f"HCO's [{', '.join(strategy.methods)}]"
        )
    observed = as_str(dig(kv, "status", "observedKubeVirtVersion"))
    wanted = as_str(dig(kv, "status", "targetKubeVirtVersion"))
    if observed and wanted and observed != wanted:
        problems.append(f"KubeVirt is rolling out {wanted} (runs {observed})")
    if problems:
        return Finding(
            "kubevirt.sync",
            FindingVerdict.WARNING,
            ref,
            "; ".join(problems),
            "wait for the HCO to reconcile KubeVirt; never edit the KubeVirt CR directly",
        )
    return _ok("kubevirt.sync", f"KubeVirt in sync with the HCO ({observed or 'version ?'})", ref)


# ---- workloads


def _cluster_eviction(inp: _Input) -> str:
    """The cluster-wide eviction strategy (KubeVirt's, else the HCO's), "" when unset."""
    ns = inp.picture.cluster.hco_namespace
    for (kns, _), kv in sorted(inp.store.objects("kubevirt").items()):
        if kns == ns:
            found = as_str(dig(kv, "spec", "configuration", "evictionStrategy"))
            if found:
                return found
    for (hns, _), hco in sorted(inp.store.objects("hco").items()):
        if hns == ns:
            return as_str(dig(hco, "spec", "evictionStrategy"))
    return ""


def _why_not_migratable(vmi: Obj) -> str:
    cond = condition(vmi, "LiveMigratable")
    if cond is None:
        return ""
    if cond.reason == "DisksNotLiveMigratable":
        match = _PVC.search(cond.message)
        pvc = f" (PVC {match.group(1)})" if match else ""
        return (
            f"disks not shared{pvc}: hostpath-provisioner or other ReadWriteOnce storage "
            "cannot live migrate"
        )
    return cond.message or cond.reason


def _workloads(inp: _Input) -> list[Finding]:
    methods = inp.picture.workload_strategy.methods
    default_eviction = _cluster_eviction(inp)
    drain: list[tuple[ObjectName, str]] = []
    never: list[tuple[ObjectName, str]] = []
    for (ns, name), vmi in sorted(inp.store.objects("vmi").items()):
        if as_str(dig(vmi, "status", "phase")) != "Running":
            continue
        cond = condition(vmi, "LiveMigratable")
        if cond is None or cond.status != "False":
            continue
        ref = ObjectName("vmi", ns, name)
        why = _why_not_migratable(vmi)
        own = as_str(dig(vmi, "spec", "evictionStrategy"))
        if (own or default_eviction) == LIVE_MIGRATE:
            source = "" if own else " (the cluster-wide default)"
            drain.append((ref, f"{why}; evictionStrategy LiveMigrate{source}"))
            never.append((ref, why))
        elif methods and EVICT not in methods:
            never.append((ref, why))
    out: list[Finding] = []
    if drain:
        refs = tuple(r for r, _ in drain)
        hostpath = sum(1 for _, why in drain if "hostpath" in why)
        stored = f" ({hostpath} on hostpath-provisioner storage)" if hostpath else ""
        out.append(
            Finding(
                "workloads.drain_blockers",
                FindingVerdict.BLOCKER,
                refs,
                f"{_count(len(drain), 'VMI')} must live migrate when evicted but cannot: "
                f"they block node drains and so the OpenShift update{stored}: {_names(refs)}; "
                f"{name_of(refs[0].namespace, refs[0].name)}: {drain[0][1]}",
                "for each VM: set runStrategy: Always and evictionStrategy: None in "
                "spec.template.spec (it is then shut down and restarted during the drain), or "
                "move its disks to shared ReadWriteMany storage",
            )
        )
    else:
        out.append(_ok("workloads.drain_blockers", "no VMI blocks node drains"))
    if never and methods:
        refs = tuple(r for r, _ in never)
        how = (
            f"methods are [{', '.join(methods)}]"
            if EVICT not in methods
            else "eviction is refused for evictionStrategy LiveMigrate"
        )
        out.append(
            Finding(
                "workloads.never_update",
                FindingVerdict.WARNING,
                refs,
                f"{_count(len(never), 'running VMI')} cannot live migrate and {how}: "
                f"they will never be updated ({_names(refs)})",
                "add Evict to workloadUpdateMethods (and drop evictionStrategy LiveMigrate), "
                "or restart these VMs after the update",
            )
        )
    elif not methods:
        out.append(
            Finding(
                "workloads.never_update",
                FindingVerdict.WARNING,
                (),
                "workloadUpdateMethods is []: no VMI will be updated automatically",
                "restore the methods when the update is done (an EUS update sets [] on "
                "purpose, with a backup)",
            )
        )
    else:
        out.append(
            _ok("workloads.never_update", f"every VMI can be updated under [{', '.join(methods)}]")
        )
    out.append(_outdated(inp))
    out.append(_migrations(inp))
    return out


def _outdated(inp: _Input) -> Finding:
    outdated = inp.picture.outdated
    if not outdated.count:
        return _ok("workloads.outdated", "no outdated VMI")
    rows = outdated.rows[:LIST_LIMIT]
    refs = tuple(ObjectName("vmi", r.namespace, r.name) for r in rows)
    progressing = any(
        c.type == "Progressing" and c.status == "True"
        for c in (inp.picture.hco.conditions if inp.picture.hco else ())
    )
    never = (
        f", {outdated.never_updates_count} of them will never be updated"
        if outdated.never_updates_count
        else ""
    )
    when = "from the update in progress" if progressing else "left from a previous update"
    return Finding(
        "workloads.outdated",
        FindingVerdict.WARNING,
        refs,
        f"{_count(outdated.count, 'VMI')} still run old launchers, {when}{never}",
        "let the workload update finish (or restart them) before the next update, so no VMI "
        "falls two versions behind",
    )


def _migrations(inp: _Input) -> Finding:
    rows = inp.picture.migrations.rows
    failed = [r for r in rows if r.phase == "Failed"]
    pending = [r for r in rows if r.target_pending_for is not None]
    if not failed and not pending:
        return _ok("workloads.migrations", "no failed or pending migration")
    refs = tuple(ObjectName("vmim", r.namespace, r.name) for r in [*failed, *pending])
    parts = []
    if failed:
        reasons = sorted({r.failure_reason for r in failed if r.failure_reason})
        parts.append(f"{len(failed)} failed" + (f" ({'; '.join(reasons[:2])})" if reasons else ""))
    if pending:
        over = sum(1 for r in pending if r.over_limit)
        parts.append(
            f"{len(pending)} waiting for a target pod"
            + (f", {over} past the timeout" if over else "")
        )
    return Finding(
        "workloads.migrations",
        FindingVerdict.WARNING,
        refs,
        "migrations: " + ", ".join(parts),
        "find out why (node capacity, node selectors, image pulls) before a drain needs "
        "them: oc get vmim -A",
    )


# ---- nodes and pools


def _nodes(inp: _Input) -> list[Finding]:
    cluster = inp.picture.cluster
    out: list[Finding] = []
    legacy = tuple(
        ObjectName("legacynodemaintenance", "", key[1])
        for key in sorted(inp.store.objects("legacynodemaintenance"))
    )
    if legacy:
        cnv = parse_minor(cluster.cnv_version)
        early = cnv is None or cnv <= LEGACY_LAST_MINOR
        out.append(
            Finding(
                "nodes.legacy_maintenance",
                FindingVerdict.BLOCKER if early else FindingVerdict.WARNING,
                legacy,
                f"nodes in maintenance through legacy nodemaintenance.kubevirt.io CRs: "
                f"{', '.join(cluster.legacy_maintenance)}"
                + (": the update to 4.11 is blocked" if early else ""),
                "take the nodes out of maintenance, or install the standalone Node Maintenance "
                "Operator and replace each CR with a nodemaintenance.medik8s.io one",
            )
        )
    else:
        out.append(_ok("nodes.legacy_maintenance", "no legacy nodemaintenance.kubevirt.io CR"))
    nodes = inp.store.objects("node")
    cordoned = tuple(
        ObjectName("node", "", key[1])
        for key, obj in sorted(nodes.items())
        if dig(obj, "spec", "unschedulable") is True
    )
    maint = tuple(
        ObjectName("nodemaintenance", "", key[1])
        for key in sorted(inp.store.objects("nodemaintenance"))
    )
    if cordoned or maint:
        parts = []
        if maint:
            parts.append(f"in maintenance: {', '.join(cluster.nodes_in_maintenance)}")
        if cordoned:
            parts.append(f"unschedulable: {_names(cordoned)}")
        out.append(
            Finding(
                "nodes.schedulable",
                FindingVerdict.WARNING,
                cordoned + maint,
                "nodes " + "; ".join(parts),
                "fewer nodes to migrate VMs to, and the machine-config operator waits for "
                "them: finish the maintenance before updating",
            )
        )
    else:
        out.append(_ok("nodes.schedulable", f"all {cluster.nodes_total} nodes schedulable"))
    out.extend(_pools(inp))
    return out


def _pools(inp: _Input) -> list[Finding]:
    pools = inp.picture.cluster.pools
    out: list[Finding] = []
    paused = tuple(ObjectName("mcp", "", p.name) for p in pools if p.paused)
    degraded = tuple(ObjectName("mcp", "", p.name) for p in pools if p.degraded)
    if degraded:
        out.append(
            Finding(
                "nodes.pools_degraded",
                FindingVerdict.BLOCKER,
                degraded,
                f"machine pools degraded: {_names(degraded)}",
                "oc describe mcp: fix the node it names (often a drain that cannot finish) "
                "before updating",
            )
        )
    else:
        out.append(_ok("nodes.pools_degraded", "no machine pool degraded"))
    if paused:
        out.append(
            Finding(
                "nodes.pools_paused",
                FindingVerdict.WARNING,
                paused,
                f"machine pools paused: {_names(paused)}",
                "expected during an EUS update (worker pools only); otherwise unpause them: "
                "a paused pool holds back updates and certificate rotation",
            )
        )
    else:
        out.append(_ok("nodes.pools_paused", "no machine pool paused"))
    return out


CHECKS: Mapping[str, Check] = {
    "subscription": _subscription,
    "versions": _versions,
    "hco": _hco,
    "workloads": _workloads,
    "nodes": _nodes,
}
"""The check groups, in the order they are reported."""

_ORDER = {
    FindingVerdict.BLOCKER: 0,
    FindingVerdict.WARNING: 1,
    FindingVerdict.UNKNOWN: 2,
    FindingVerdict.OK: 3,
}
_UNREADABLE = (StreamState.FORBIDDEN, StreamState.UNAUTHORIZED)
_READS: Mapping[str, tuple[str, ...]] = {
    "subscription": ("subscription",),
    "subscription.installplan": ("subscription", "installplan"),
    "versions": ("clusterversion", "hco", "csv"),
    "hco": ("hco",),
    "kubevirt": ("hco", "kubevirt"),
    "workloads": ("hco", "kubevirt", "vmi"),
    "workloads.outdated": ("hco", "vmi"),
    "workloads.migrations": ("vmim",),
    "nodes.legacy_maintenance": ("legacynodemaintenance",),
    "nodes.schedulable": ("node", "nodemaintenance"),
    "nodes.pools_degraded": ("mcp",),
    "nodes.pools_paused": ("mcp",),
}
"""The kinds each check reads (by check id, else by its group before the dot)."""


def _reads(check: str) -> tuple[str, ...]:
    return _READS.get(check) or _READS.get(check.split(".", 1)[0], ())


def _unless_unread(finding: Finding, unread: set[str]) -> Finding:
    """A finding drawn from a kind that could not be read is replaced by "not checked"."""
    missing = [kind for kind in _reads(finding.check) if kind in unread]
    if not missing:
        return finding
    return Finding(
        finding.check,
        FindingVerdict.UNKNOWN,
        (),
        f"not checked: could not read {', '.join(missing)}",
        "needs get, list and watch on them (the API server's reasons are listed below)",
    )


def run_preflight(store: Store, now: float, target: str | None = None) -> PreflightReport:
    """Every check over `store`; `target` ("4.14") adds the update path to it."""
    picture = build_picture(store, now)
    inp = _Input(store, picture, parse_minor(target) if target else None)
    unread = {kind for kind, status in store.streams.items() if status.state in _UNREADABLE}
    findings: list[Finding] = []
    not_checked: set[str] = set()
    for check in CHECKS.values():
        for finding in (_unless_unread(f, unread) for f in check(inp)):
            if finding.verdict == FindingVerdict.UNKNOWN:
                if finding.check in not_checked:
                    continue
                not_checked.add(finding.check)
            findings.append(finding)
    findings.sort(key=lambda f: _ORDER[f.verdict])
    unreadable = tuple(
        f"{kind}: {status.state.value}" + (f" ({status.message})" if status.message else "")
        for kind, status in sorted(store.streams.items())
        if status.state in _UNREADABLE
    )
    return PreflightReport(
        findings=tuple(findings),
        unreadable=unreadable,
        openshift_version=picture.cluster.openshift_version,
        cnv_version=picture.cluster.cnv_version,
        target=minor_of(inp.target) if inp.target else None,
    )
