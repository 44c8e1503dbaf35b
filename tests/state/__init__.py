"""Pure tests of `cnvtui.state`, and the builders of the raw objects they feed it.

The builders shape objects as the API returns them (see DOMAIN.md and
/work/shared/upstream/examples/): only the fields the state layer reads, with the same types.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from cnvtui.kube.events import ChangeType, Obj, ObjectChange, StreamState, StreamStatus

NS = "openshift-cnv"
T0 = 1_700_000_000.0
OUTDATED_LABEL = "kubevirt.io/outdatedLauncherImage"
HEALTHY = {
    "ReconcileComplete": "True",
    "Available": "True",
    "Progressing": "False",
    "Degraded": "False",
    "Upgradeable": "True",
}


def stamp(at: float) -> str:
    """An RFC 3339 timestamp as the API writes it."""
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def meta(name: str, namespace: str | None = NS, created: float = T0, **extra: Any) -> Obj:
    out: Obj = {"name": name, "creationTimestamp": stamp(created), "uid": f"uid-{name}"}
    if namespace is not None:
        out["namespace"] = namespace
    out.update(extra)
    return out


def change(kind: str, obj: Obj, at: float = T0, type: ChangeType = "ADDED") -> ObjectChange:
    return ObjectChange(kind=kind, type=type, obj=obj, at=at)


def stream(
    kind: str, state: StreamState, since: float = T0, as_of: float | None = None, message: str = ""
) -> StreamStatus:
    return StreamStatus(kind=kind, state=state, since=since, as_of=as_of, message=message)


def csv(
    version: str,
    phase: str = "Succeeded",
    replaces: str = "",
    reason: str = "",
    message: str = "",
    *,
    since: float = T0,
) -> Obj:
    name = f"kubevirt-hyperconverged-operator.v{version}"
    spec: Obj = {"version": version, "displayName": "OpenShift Virtualization"}
    if replaces:
        spec["replaces"] = f"kubevirt-hyperconverged-operator.v{replaces}"
    return {
        "apiVersion": "operators.coreos.com/v1alpha1",
        "kind": "ClusterServiceVersion",
        "metadata": meta(name),
        "spec": spec,
        "status": {
            "phase": phase,
            "reason": reason,
            "message": message,
            "lastTransitionTime": stamp(since),
            "conditions": [
                {
                    "phase": phase,
                    "reason": reason,
                    "message": message,
                    "lastTransitionTime": stamp(since),
                }
            ],
        },
    }


def hco(
    version: str = "4.14.3",
    conditions: dict[str, str] | None = None,
    methods: list[str] | None = None,
    *,
    annotations: dict[str, str] | None = None,
    messages: dict[str, tuple[str, str]] | None = None,
    api: str = "v1beta1",
) -> Obj:
    conds = dict(HEALTHY)
    conds.update(conditions or {})
    texts = messages or {}
    strategy = {
        "batchEvictionInterval": "1m0s",
        "batchEvictionSize": 10,
        "workloadUpdateMethods": ["LiveMigrate"] if methods is None else methods,
    }
    migration = {"parallelMigrationsPerCluster": 5, "parallelOutboundMigrationsPerNode": 2}
    spec: Obj = (
        {"workloadUpdateStrategy": strategy, "liveMigrationConfig": migration}
        if api == "v1beta1"
        else {
            "virtualization": {"workloadUpdateStrategy": strategy, "liveMigrationConfig": migration}
        }
    )
    return {
        "apiVersion": f"hco.kubevirt.io/{api}",
        "kind": "HyperConverged",
        "metadata": meta("kubevirt-hyperconverged", annotations=annotations or {}),
        "spec": spec,
        "status": {
            "conditions": [
                {
                    "type": t,
                    "status": s,
                    "reason": texts.get(t, ("AsExpected", ""))[0],
                    "message": texts.get(t, ("", "Reconcile completed successfully"))[1],
                    "lastTransitionTime": stamp(T0),
                }
                for t, s in conds.items()
            ],
            "versions": [{"name": "operator", "version": version}],
            "systemHealthStatus": "healthy" if conds == HEALTHY else "warning",
        },
    }


def kubevirt(methods: list[str]) -> Obj:
    return {
        "apiVersion": "kubevirt.io/v1",
        "kind": "KubeVirt",
        "metadata": meta("kubevirt-kubevirt-hyperconverged"),
        "spec": {"workloadUpdateStrategy": {"workloadUpdateMethods": methods}},
    }


def subscription(
    approval: str = "Manual",
    state: str = "AtLatestKnown",
    current: str = "4.14.3",
    installed: str = "4.14.3",
    plan: str = "",
) -> Obj:
    status: Obj = {
        "state": state,
        "currentCSV": f"kubevirt-hyperconverged-operator.v{current}",
        "installedCSV": f"kubevirt-hyperconverged-operator.v{installed}",
    }
    if plan:
        status["installPlanRef"] = {"kind": "InstallPlan", "name": plan, "namespace": NS}
        status["conditions"] = [
            {"type": "InstallPlanPending", "status": "True", "reason": "RequiresApproval"}
        ]
    return {
        "apiVersion": "operators.coreos.com/v1alpha1",
        "kind": "Subscription",
        "metadata": meta("hco-operatorhub"),
        "spec": {
            "channel": "stable",
            "name": "kubevirt-hyperconverged",
            "installPlanApproval": approval,
        },
        "status": status,
    }


def installplan(
    name: str,
    version: str,
    phase: str = "RequiresApproval",
    approved: bool = False,
    *,
    approval: str = "Manual",
    created: float = T0,
) -> Obj:
    return {
        "apiVersion": "operators.coreos.com/v1alpha1",
        "kind": "InstallPlan",
        "metadata": meta(name, created=created),
        "spec": {
            "approval": approval,
            "approved": approved,
            "clusterServiceVersionNames": [f"kubevirt-hyperconverged-operator.v{version}"],
        },
        "status": {"phase": phase},
    }


def vmi(
    name: str,
    namespace: str = "vms",
    *,
    outdated: bool = False,
    phase: str = "Running",
    migratable: bool | None = True,
    eviction: str | None = "LiveMigrate",
    node: str = "worker-0",
    created: float = T0,
) -> Obj:
    labels = {"kubevirt.io/domain": name}
    if outdated:
        labels[OUTDATED_LABEL] = ""
    conditions: list[Obj] = [{"type": "Ready", "status": "True"}]
    if migratable is not None:
        conditions.append(
            {
                "type": "LiveMigratable",
                "status": "True" if migratable else "False",
                "reason": "" if migratable else "DisksNotLiveMigratable",
                "message": "" if migratable else "cannot migrate VMI: PVC disk is not shared",
            }
        )
    spec: Obj = {"domain": {}}
    if eviction is not None:
        spec["evictionStrategy"] = eviction
    return {
        "apiVersion": "kubevirt.io/v1",
        "kind": "VirtualMachineInstance",
        "metadata": meta(name, namespace, created=created, labels=labels),
        "spec": spec,
        "status": {"phase": phase, "nodeName": node, "conditions": conditions},
    }


def vmim(
    name: str,
    vmi_name: str,
    phase: str,
    namespace: str = "vms",
    *,
    created: float = T0,
    failure: str = "",
    unschedulable: bool = False,
) -> Obj:
    status: Obj = {
        "phase": phase,
        "phaseTransitionTimestamps": [
            {"phase": "Pending", "phaseTransitionTime": stamp(created)},
            {"phase": "Scheduling", "phaseTransitionTime": stamp(created)},
        ],
    }
    if failure:
        status["migrationState"] = {"failed": True, "failureReason": failure}
    if unschedulable:
        status["conditions"] = [
            {
                "type": "PodScheduled",
                "status": "False",
                "reason": "Unschedulable",
                "message": "0/3 nodes are available: 3 Insufficient memory.",
            }
        ]
    return {
        "apiVersion": "kubevirt.io/v1",
        "kind": "VirtualMachineInstanceMigration",
        "metadata": meta(
            name,
            namespace,
            created=created,
            generateName="kubevirt-workload-update-",
            annotations={"kubevirt.io/workloadUpdateMigration": vmi_name},
        ),
        "spec": {"vmiName": vmi_name},
        "status": status,
    }


def live_streams(*kinds: str, at: float = T0) -> list[StreamStatus]:
    return [stream(k, StreamState.LIVE, at) for k in kinds]


ALL_KINDS = ("csv", "subscription", "installplan", "hco", "kubevirt", "vmi", "vmim")
