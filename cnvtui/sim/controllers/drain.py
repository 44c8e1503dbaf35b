"""Draining a node of its VMIs, as `oc adm drain` and the MCO do through evictions.

Evicting a virt-launcher pod does what KubeVirt makes of it: a VMI whose eviction strategy
is LiveMigrate (or LiveMigrateIfPossible) and that can live migrate is marked for
evacuation and migrated away by virt-controller; a VMI without such a strategy is shut
down (its VM restarts it elsewhere if `runStrategy: Always`); a VMI that must live migrate
but cannot refuses the eviction, and the drain is stuck on it until someone acts.
"""

from __future__ import annotations

from dataclasses import dataclass

from cnvtui.sim.controllers import pods, vmis
from cnvtui.sim.controllers.base import (
    KUBEVIRT_GROUP,
    Json,
    condition_is,
    find_condition,
    name_of,
    namespace_of,
    read_all,
    status_of,
    write_status,
)
from cnvtui.sim.store import Store


@dataclass(frozen=True)
class DrainState:
    """How far a drain has got: done, or the VMIs still on the node and who blocks."""

    done: bool
    remaining: int
    blockers: tuple[str, ...] = ()


def cordon(store: Store, node: Json, unschedulable: bool) -> Json:
    if bool((node.get("spec") or {}).get("unschedulable")) == unschedulable:
        return node
    return store.patch(
        "", "nodes", None, name_of(node), "merge",
        {"spec": {"unschedulable": True if unschedulable else None}},
    )  # fmt: skip


def drain(store: Store, node: str, kubevirt: Json | None) -> DrainState:
    """One round of evictions from `node`; call again until `done`."""
    on_node = [
        vmi
        for vmi in read_all(store, KUBEVIRT_GROUP, "virtualmachineinstances")
        if status_of(vmi).get("nodeName") == node
        and status_of(vmi).get("phase") not in ("Succeeded", "Failed")
    ]
    blockers = []
    for vmi in on_node:
        where = f"{namespace_of(vmi)}/{name_of(vmi)}"
        if vmis.blocks_eviction(vmi, kubevirt):
            cond = find_condition(status_of(vmi).get("conditions"), "LiveMigratable") or {}
            why = cond.get("message") or cond.get("reason") or "it is not live migratable"
            blockers.append(
                f'error when evicting pods/"virt-launcher-{name_of(vmi)}" -n '
                f'"{namespace_of(vmi)}": VMI {where} has evictionStrategy LiveMigrate but '
                f"cannot be live migrated: {why}"
            )
        elif vmis.migrates_on_eviction(vmi, kubevirt):
            if status_of(vmi).get("evacuationNodeName") != node:
                write_status(
                    store, KUBEVIRT_GROUP, "virtualmachineinstances", namespace_of(vmi),
                    name_of(vmi), status={"evacuationNodeName": node},
                )  # fmt: skip
        else:
            shut_down(store, vmi)
    return DrainState(not on_node, len(on_node), tuple(blockers))


def shut_down(store: Store, vmi: Json) -> None:
    """Stop a VMI, as an eviction of its launcher pod does: the pod goes, then the VMI (its
    finalizers are virt-controller's own, released once the pod is gone)."""
    pods.delete_launchers(store, vmi)
    ns, name = namespace_of(vmi), name_of(vmi)
    gone = store.delete(KUBEVIRT_GROUP, "virtualmachineinstances", ns, name)
    if (gone.get("metadata") or {}).get("deletionTimestamp"):
        store.patch(
            KUBEVIRT_GROUP, "virtualmachineinstances", ns, name, "merge",
            {"metadata": {"finalizers": None}},
        )  # fmt: skip


def node_ready(node: Json) -> bool:
    return condition_is(node, "Ready", "True") or not status_of(node).get("conditions")
