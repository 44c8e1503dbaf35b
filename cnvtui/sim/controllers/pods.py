"""virt-launcher pods: the pod a VMI runs in, and the target pod a migration creates.

The pod carries the scheduling outcome (`PodScheduled=False/Unschedulable`, or a container
waiting in `ImagePullBackOff`), which is what the migration timeouts are measured against,
and what `oc get pods` shows an administrator looking for the cause.
"""

from __future__ import annotations

import random

from cnvtui.sim.controllers.base import Json, dig, meta, name_of, namespace_of, read_all
from cnvtui.sim.controllers.placement import Placement
from cnvtui.sim.store import Store

LAUNCHER_LABEL = "kubevirt.io"
CREATED_BY_LABEL = "kubevirt.io/created-by"
MIGRATION_LABEL = "kubevirt.io/migrationJobUID"
_NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789"


def generated_name(prefix: str, rng: random.Random) -> str:
    """A name like the server's generateName gives, but from a seeded generator."""
    return prefix + "".join(rng.choice(_NAME_CHARS) for _ in range(5))


def create_launcher(
    store: Store,
    vmi: Json,
    placement: Placement,
    image: str,
    rng: random.Random,
    *,
    now: str,
    migration_uid: str | None = None,
) -> Json:
    """Create a virt-launcher pod for `vmi` where `placement` says, in the state it implies."""
    labels = {
        LAUNCHER_LABEL: "virt-launcher",
        CREATED_BY_LABEL: str(meta(vmi).get("uid", "")),
        "vm.kubevirt.io/name": name_of(vmi),
    }
    if migration_uid:
        labels[MIGRATION_LABEL] = migration_uid
    spec: Json = {
        "containers": [{"name": "compute", "image": image}],
        "restartPolicy": "Never",
    }
    selector = dig(vmi, "spec", "nodeSelector")
    if selector:
        spec["nodeSelector"] = dict(selector)
    if placement.node:
        spec["nodeName"] = placement.node
    pod = store.create(
        "",
        "pods",
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": generated_name(f"virt-launcher-{name_of(vmi)}-", rng),
                "generateName": f"virt-launcher-{name_of(vmi)}-",
                "namespace": namespace_of(vmi),
                "labels": labels,
            },
            "spec": spec,
        },
        namespace=namespace_of(vmi),
    )
    return set_pod_state(store, pod, placement, now=now)


def set_pod_state(store: Store, pod: Json, placement: Placement, *, now: str) -> Json:
    """Write the pod status that goes with `placement` (Pending for a reason, or Running)."""
    status: Json
    if placement.pending_reason == "Unschedulable":
        status = {
            "phase": "Pending",
            "conditions": [
                {"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                 "message": placement.message, "lastTransitionTime": now},
            ],
        }  # fmt: skip
    elif placement.pending_reason:
        status = {
            "phase": "Pending",
            "conditions": [{"type": "PodScheduled", "status": "True", "lastTransitionTime": now}],
            "containerStatuses": [
                {"name": "compute", "ready": False, "restartCount": 0,
                 "image": _image(pod),
                 "state": {"waiting": {"reason": placement.pending_reason,
                                       "message": placement.message}}},
            ],
        }  # fmt: skip
    else:
        status = {
            "phase": "Running",
            "conditions": [
                {"type": "PodScheduled", "status": "True", "lastTransitionTime": now},
                {"type": "Ready", "status": "True", "lastTransitionTime": now},
            ],
            "containerStatuses": [
                {"name": "compute", "ready": True, "restartCount": 0, "started": True,
                 "state": {"running": {"startedAt": now}}},
            ],
            "startTime": now,
        }  # fmt: skip
    if placement.node and not dig(pod, "spec", "nodeName"):
        binding = {"spec": {"nodeName": placement.node}}
        pod = store.patch("", "pods", namespace_of(pod), name_of(pod), "merge", binding)
    return store.patch(
        "", "pods", namespace_of(pod), name_of(pod), "merge", {"status": status},
        subresource="status",
    )  # fmt: skip


def _image(pod: Json) -> str:
    containers = dig(pod, "spec", "containers") or [{}]
    return str(containers[0].get("image", ""))


def pending_reason(pod: Json) -> str | None:
    """Why a pod is Pending ("Unschedulable", "ImagePullBackOff"...), None once it runs."""
    if dig(pod, "status", "phase") != "Pending":
        return None
    for cond in dig(pod, "status", "conditions") or []:
        if cond.get("type") == "PodScheduled" and cond.get("status") == "False":
            return str(cond.get("reason") or "Pending")
    for cs in dig(pod, "status", "containerStatuses") or []:
        waiting = dig(cs, "state", "waiting")
        if isinstance(waiting, dict):
            return str(waiting.get("reason") or "ContainerCreating")
    return "ContainerCreating"


def delete_launchers(store: Store, vmi: Json, *, keep: str | None = None) -> None:
    """Delete the launcher pods of `vmi` (all but `keep`)."""
    uid = meta(vmi).get("uid")
    if not uid:
        return
    pods = read_all(
        store, "", "pods", namespace_of(vmi), label_selector=f"{CREATED_BY_LABEL}={uid}"
    )
    for pod in pods:
        if name_of(pod) != keep:
            store.delete("", "pods", namespace_of(pod), name_of(pod))
