"""The header facts: OpenShift version and update, CNV version, Subscription, pools, nodes."""

from __future__ import annotations

from collections.abc import Mapping

from cnvtui.kube.events import Obj
from cnvtui.state.model import ClusterFacts, OpenShiftUpdate, PoolRow, SubscriptionFacts
from cnvtui.state.views import (
    as_bool,
    as_dict,
    as_int,
    as_list,
    as_str,
    condition,
    conditions,
    dig,
    parse_time,
)

__all__ = ["cnv_version", "find_subscription", "read_cluster", "read_subscription"]

Objects = Mapping[tuple[str, str], Obj]

_SUBSCRIPTION_TROUBLE = (
    "InstallPlanPending",
    "InstallPlanFailed",
    "InstallPlanMissing",
    "ResolutionFailed",
    "CatalogSourcesUnhealthy",
)


def cnv_version(hco: Obj | None) -> str | None:
    """HCO `status.versions[name=operator].version`."""
    for raw in as_list(dig(hco, "status", "versions")):
        if isinstance(raw, dict) and raw.get("name") == "operator":
            return as_str(raw.get("version")) or None
    return None


def find_subscription(subs: Objects, namespace: str) -> Obj | None:
    """The CNV Subscription: the one for an HCO package in `namespace`, else its only one."""
    local = [obj for (ns, _), obj in sorted(subs.items()) if ns == namespace]
    for obj in local:
        package = as_str(dig(obj, "spec", "name"))
        if "hyperconverged" in package or "kubevirt" in package:
            return obj
    return local[0] if len(local) == 1 else None


def plan_ref(sub: Obj | None) -> str:
    """The InstallPlan named by the Subscription (`status.installPlanRef`, else `installplan`)."""
    ref = as_str(dig(sub, "status", "installPlanRef", "name"))
    return ref or as_str(dig(sub, "status", "installplan", "name"))


def read_subscription(sub: Obj | None) -> SubscriptionFacts | None:
    """The Subscription's facts, or None."""
    if sub is None:
        return None
    message = ""
    for cond in conditions(sub):
        if cond.type in _SUBSCRIPTION_TROUBLE and cond.status == "True":
            message = f"{cond.type}: {cond.reason}" + (f": {cond.message}" if cond.message else "")
            break
    return SubscriptionFacts(
        name=as_str(dig(sub, "metadata", "name")),
        namespace=as_str(dig(sub, "metadata", "namespace")),
        package=as_str(dig(sub, "spec", "name")),
        channel=as_str(dig(sub, "spec", "channel")),
        approval=as_str(dig(sub, "spec", "installPlanApproval"), "Automatic"),
        state=as_str(dig(sub, "status", "state")),
        current_csv=as_str(dig(sub, "status", "currentCSV")),
        installed_csv=as_str(dig(sub, "status", "installedCSV")),
        install_plan_ref=plan_ref(sub),
        message=message,
    )


def _openshift(cv: Obj | None) -> tuple[str | None, OpenShiftUpdate | None]:
    if cv is None:
        return None, None
    history = [h for h in as_list(dig(cv, "status", "history")) if isinstance(h, dict)]
    completed = next(
        (as_str(h.get("version")) for h in history if h.get("state") == "Completed"), None
    )
    desired = as_str(dig(cv, "status", "desired", "version"))
    progressing = condition(cv, "Progressing")
    partial = bool(history) and history[0].get("state") == "Partial"
    moving = progressing is not None and progressing.status == "True"
    if (partial or moving) and desired and desired != completed:
        update = OpenShiftUpdate(
            from_version=completed,
            to_version=desired,
            started=parse_time(history[0].get("startedTime")) if history else None,
            message=progressing.message if progressing is not None else "",
        )
        return completed, update
    return completed or desired or None, None


def _pool(obj: Obj) -> PoolRow:
    status = as_dict(obj.get("status"))
    updating = condition(obj, "Updating")
    degraded = condition(obj, "Degraded")
    return PoolRow(
        name=as_str(dig(obj, "metadata", "name")),
        paused=as_bool(dig(obj, "spec", "paused")),
        machine_count=as_int(status.get("machineCount")),
        updated_count=as_int(status.get("updatedMachineCount")),
        ready_count=as_int(status.get("readyMachineCount")),
        degraded_count=as_int(status.get("degradedMachineCount")),
        updating=updating is not None and updating.status == "True",
        degraded=degraded is not None and degraded.status == "True",
    )


def _maintained(objs: Objects) -> tuple[str, ...]:
    return tuple(
        sorted({as_str(dig(obj, "spec", "nodeName")) or name for (_, name), obj in objs.items()})
    )


def read_cluster(
    *,
    hco_namespace: str,
    hco: Obj | None,
    clusterversions: Objects,
    subscriptions: Objects,
    pools: Objects,
    nodes: Objects,
    maintenance: Objects,
    legacy_maintenance: Objects,
) -> ClusterFacts:
    """The header facts from the objects of each kind."""
    cv = clusterversions.get(("", "version")) or next(iter(clusterversions.values()), None)
    version, update = _openshift(cv)
    return ClusterFacts(
        hco_namespace=hco_namespace,
        openshift_version=version,
        openshift_update=update,
        cnv_version=cnv_version(hco),
        subscription=read_subscription(find_subscription(subscriptions, hco_namespace)),
        pools=tuple(_pool(obj) for _, obj in sorted(pools.items())),
        nodes_total=len(nodes),
        nodes_unschedulable=sum(
            1 for obj in nodes.values() if as_bool(dig(obj, "spec", "unschedulable"))
        ),
        nodes_in_maintenance=_maintained(maintenance),
        legacy_maintenance=_maintained(legacy_maintenance),
    )
