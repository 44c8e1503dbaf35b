"""Where a VMI can go: the scheduler's view of nodes, shared by migrations and restarts.

A node takes a new virt-launcher pod when it is a Ready, schedulable worker whose labels
match the VMI's `spec.nodeSelector`. Among those the one with the fewest VMIs wins (ties by
name), which keeps the spread even and the choice deterministic.

A node annotated `sim.cnvtui.io/image-pull-failure` (a knob of the simulation, set by
scenarios) schedules pods but cannot pull the launcher image onto them, so they stay
Pending: the "pending for any other reason" case of the migration timeouts.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from cnvtui.sim.controllers.base import (
    Json,
    annotations_of,
    condition_is,
    dig,
    labels_of,
    name_of,
)

IMAGE_PULL_FAILURE = "sim.cnvtui.io/image-pull-failure"
WORKER_ROLE = "node-role.kubernetes.io/worker"
_UNITS = {"Ki": 2**-20, "Mi": 2**-10, "Gi": 1.0, "Ti": 1024.0, "M": 1e6 / 2**30, "G": 1e9 / 2**30}


@dataclass(frozen=True)
class Placement:
    """The outcome of scheduling a launcher pod: a node, or why there is none."""

    node: str | None
    # Why the pod stays Pending: "Unschedulable" (no node fits) or "ImagePullBackOff".
    pending_reason: str | None = None
    message: str = ""


def is_worker(node: Json) -> bool:
    labels = labels_of(node)
    return WORKER_ROLE in labels or not any(k.startswith("node-role") for k in labels)


def schedulable(node: Json) -> bool:
    return not dig(node, "spec", "unschedulable") and (
        condition_is(node, "Ready", "True") or not dig(node, "status", "conditions")
    )


def place(
    vmi: Json,
    nodes: list[Json],
    load: Counter[str],
    *,
    avoid: str | None = None,
    healthy_first: bool = False,
) -> Placement:
    """Pick a node for a new launcher pod of `vmi` (not `avoid`, the migration source).

    `healthy_first` prefers nodes that can pull images (a VM restart waits for a healthy
    node; a migration takes the scheduler's first pick and lives with it).
    """
    selector = dig(vmi, "spec", "nodeSelector") or {}
    workers = [n for n in nodes if is_worker(n)]
    fits = []
    mismatched = cordoned = 0
    for node in workers:
        if name_of(node) == avoid:
            continue
        labels = labels_of(node)
        if any(labels.get(k) != v for k, v in selector.items()):
            mismatched += 1
            continue
        if not schedulable(node):
            cordoned += 1
            continue
        fits.append(node)
    if not fits:
        parts = []
        if avoid:
            parts.append("1 node(s) didn't match pod anti-affinity rules")
        if mismatched:
            parts.append(f"{mismatched} node(s) didn't match Pod's node affinity/selector")
        if cordoned:
            parts.append(f"{cordoned} node(s) were unschedulable")
        masters = len(nodes) - len(workers)
        if masters:
            parts.append(
                f"{masters} node(s) had untolerated taint {{node-role.kubernetes.io/master: }}"
            )
        message = f"0/{len(nodes)} nodes are available: " + ", ".join(parts) + "."
        return Placement(None, "Unschedulable", message)
    if healthy_first:
        fits = [n for n in fits if IMAGE_PULL_FAILURE not in annotations_of(n)] or fits
    best = min(fits, key=lambda n: (load[name_of(n)], name_of(n)))
    failure = annotations_of(best).get(IMAGE_PULL_FAILURE)
    if failure is not None:
        return Placement(name_of(best), "ImagePullBackOff", failure or "Back-off pulling image")
    return Placement(name_of(best))


def memory_gib(vmi: Json) -> float:
    """The guest memory of a VMI in GiB (1 when it says nothing we can read)."""
    raw = dig(vmi, "spec", "domain", "memory", "guest") or dig(
        vmi, "spec", "domain", "resources", "requests", "memory"
    )
    if not isinstance(raw, str):
        return 1.0
    units = {
        "Ki": 2**-20,
        "Mi": 2**-10,
        "Gi": 1.0,
        "Ti": 1024.0,
        "M": 1e6 / 2**30,
        "G": 1e9 / 2**30,
    }
    for suffix, factor in units.items():
        if raw.endswith(suffix):
            try:
                return float(raw[: -len(suffix)]) * factor
            except ValueError:
                return 1.0
    try:
        return float(raw) / 2**30
    except ValueError:
        return 1.0
