"""virt-controller's VM controller: VirtualMachines and the VMIs they run.

A VM set to `runStrategy: Halted` has its VMI shut down (what `virtctl stop` does).
A VM with `runStrategy: Always` (or `running: true`) whose VMI is gone gets a new one from
its template, started on a node the scheduler picks, with the launcher image KubeVirt
deploys now: that is how an evicted VM comes back updated. VMIs that have not started yet
(created by a VM, or by a user) go Pending -> Scheduling -> Scheduled -> Running here.
The VM's status follows its VMI, including the LiveMigratable condition, which the VM keeps
while it has no VMI, so the next VMI starts with the same verdict.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from cnvtui.sim.clock import SimClock
from cnvtui.sim.controllers import pods, vmis
from cnvtui.sim.controllers.base import (
    KUBEVIRT_GROUP,
    Json,
    dig,
    find_condition,
    get_or_none,
    meta,
    name_of,
    namespace_of,
    owner_ref,
    read_all,
    seconds_since,
    stamp,
    status_of,
)
from cnvtui.sim.controllers.config import SimConfig
from cnvtui.sim.controllers.drain import shut_down
from cnvtui.sim.controllers.placement import place
from cnvtui.sim.store import Store

VMS = "virtualmachines"
VMIS = "virtualmachineinstances"
_STARTUP = {"Pending": ("Scheduling", (1.0, 3.0)), "Scheduled": ("Running", (5.0, 15.0))}
_SYNCED_CONDITIONS = ("Ready", "LiveMigratable")


_STARTING = ("", "Pending", "Scheduling", "Scheduled")


def _phase(vmi: Json) -> str:
    return str((vmi.get("status") or {}).get("phase") or "")


def run_strategy(vm: Json) -> str:
    spec = vm.get("spec") or {}
    if spec.get("runStrategy"):
        return str(spec["runStrategy"])
    return "Always" if spec.get("running") else "Halted"


class VmController:
    """Restarts VMs that should run, starts new VMIs, and keeps VM status in step."""

    interval = 3.0

    def __init__(self, clock: SimClock, config: SimConfig) -> None:
        self.clock = clock
        self.config = config
        # (VM, VMI) resourceVersions last found in step: skips unchanged pairs (a cache only).
        self._synced: dict[tuple[str, str], tuple[Any, Any]] = {}

    def reconcile(self, store: Store) -> None:
        kv = get_or_none(
            store, KUBEVIRT_GROUP, "kubevirts", self.config.namespace, self.config.kubevirt_name
        )
        image = vmis.current_launcher(kv)
        all_vmis = {vmis.key(v): v for v in read_all(store, KUBEVIRT_GROUP, VMIS)}
        for vm in read_all(store, KUBEVIRT_GROUP, VMS):
            key = vmis.key(vm)
            vmi = all_vmis.get(key)
            # Most passes change nothing: skip a pair seen unchanged (a cache only).
            versions = (vm["metadata"]["resourceVersion"], vmi["metadata"]["resourceVersion"]
                        if vmi else "")  # fmt: skip
            if self._synced.get(key) == versions:
                continue
            strategy = run_strategy(vm)
            if vmi is None and strategy == "Always" and image:
                vmi = all_vmis[key] = self._create_vmi(store, vm, image)
            elif vmi is not None and strategy == "Halted":
                shut_down(store, vmi)
                del all_vmis[key]
                vmi = None
            self._sync_vm_status(store, vm, vmi)
        starting = [v for v in all_vmis.values() if _phase(v) in _STARTING]
        if starting:
            nodes = read_all(store, "", "nodes")
            load = Counter(str(status_of(v).get("nodeName", "")) for v in all_vmis.values())
            for vmi in starting:
                self._start(store, vmi, nodes, load, image)

    def _create_vmi(self, store: Store, vm: Json, image: str) -> Json:
        template = dig(vm, "spec", "template") or {}
        ns = namespace_of(vm)
        now = stamp(self.clock.now())
        migratable = find_condition(status_of(vm).get("conditions"), "LiveMigratable") or {
            "type": "LiveMigratable", "status": "True"}  # fmt: skip
        return store.create(
            KUBEVIRT_GROUP, VMIS,
            {
                "apiVersion": "kubevirt.io/v1",
                "kind": "VirtualMachineInstance",
                "metadata": {
                    "name": name_of(vm),
                    "namespace": ns,
                    "labels": dict(dig(template, "metadata", "labels") or {}),
                    "annotations": dict(dig(template, "metadata", "annotations") or {}),
                    "ownerReferences": [owner_ref(vm)],
                },
                "spec": dict(template.get("spec") or {}),
                "status": {
                    "phase": "Pending",
                    "phaseTransitionTimestamps": [
                        {"phase": "Pending", "phaseTransitionTimestamp": now}],
                    "conditions": [
                        {**migratable, "lastProbeTime": None, "lastTransitionTime": None},
                        {"type": "Ready", "status": "False", "reason": "GuestNotRunning",
                         "lastProbeTime": None, "lastTransitionTime": now},
                    ],
                    "launcherContainerImageVersion": image,
                },
            },
            namespace=ns,
        )  # fmt: skip

    def _start(
        self, store: Store, vmi: Json, nodes: list[Json], load: Counter[str], image: str | None
    ) -> None:
        """Move a starting VMI one phase on, when its time has come."""
        status = status_of(vmi)
        phase = str(status.get("phase") or "")
        stamps = list(status.get("phaseTransitionTimestamps") or [])
        entered = stamps[-1].get("phaseTransitionTimestamp") if stamps else None
        since = seconds_since(self.clock, entered)
        now = stamp(self.clock.now())
        ns, name = namespace_of(vmi), name_of(vmi)
        rng = self.clock.rng("vmi-start", ns, name, meta(vmi).get("creationTimestamp"), phase)
        body: Json = {}
        labels: Json = {}
        if phase in ("", "Pending"):
            if phase and since < rng.uniform(*_STARTUP["Pending"][1]):
                return
            body = {"phase": "Scheduling"}
            if not status.get("launcherContainerImageVersion") and image:
                body["launcherContainerImageVersion"] = image
        elif phase == "Scheduling":
            placement = place(vmi, nodes, load, healthy_first=True)
            if placement.node is None or placement.pending_reason:
                return
            load[placement.node] += 1
            launcher = image or str(status.get("launcherContainerImageVersion", ""))
            pods.create_launcher(store, vmi, placement, launcher, rng, now=now)
            body = {"phase": "Scheduled", "nodeName": placement.node}
            labels = {vmis.NODE_LABEL: placement.node}
        elif phase == "Scheduled":
            if since < rng.uniform(*_STARTUP["Scheduled"][1]):
                return
            conditions = [
                c for c in status.get("conditions") or [] if c.get("type") != "Ready"
            ] + [{"type": "Ready", "status": "True", "lastProbeTime": None,
                  "lastTransitionTime": now}]  # fmt: skip
            body = {"phase": "Running", "conditions": conditions}
        stamps.append({"phase": body["phase"], "phaseTransitionTimestamp": now})
        body["phaseTransitionTimestamps"] = stamps
        patch: Json = {"status": body}
        if labels:
            patch["metadata"] = {"labels": labels}
        store.patch(KUBEVIRT_GROUP, VMIS, ns, name, "merge", patch)

    def _sync_vm_status(self, store: Store, vm: Json, vmi: Json | None) -> None:
        vmi_version = vmi["metadata"]["resourceVersion"] if vmi else ""
        self._synced[vmis.key(vm)] = (vm["metadata"]["resourceVersion"], vmi_version)
        old = status_of(vm)
        new: Json
        if vmi is None:
            stopped = run_strategy(vm) != "Always"
            new = {
                "printableStatus": "Stopped" if stopped else "Starting",
                "ready": False,
                "created": False,
            }
        else:
            phase = status_of(vmi).get("phase")
            running = phase == "Running"
            migrating = dig(vmi, "status", "migrationState", "startTimestamp") and not (
                dig(vmi, "status", "migrationState", "endTimestamp")
            )
            new = {
                "printableStatus": "Migrating" if migrating else (
                    "Running" if running else "Starting"),
                "ready": running,
                "created": True,
            }  # fmt: skip
            synced = [
                c
                for c in status_of(vmi).get("conditions") or []
                if c.get("type") in _SYNCED_CONDITIONS
            ]
            if _verdicts(synced) != _verdicts(old.get("conditions")):
                others = [
                    c
                    for c in old.get("conditions") or []
                    if c.get("type") not in _SYNCED_CONDITIONS
                ]
                new["conditions"] = others + synced
        if all(old.get(k) == v for k, v in new.items()):
            return
        store.patch(
            KUBEVIRT_GROUP, VMS, namespace_of(vm), name_of(vm), "merge", {"status": new},
            subresource="status",
        )  # fmt: skip


def _verdicts(conditions: list[Json] | None) -> set[tuple[str, str, str]]:
    """What the synced conditions say (type, status, reason), times aside."""
    return {
        (str(c.get("type")), str(c.get("status")), str(c.get("reason", "")))
        for c in conditions or []
        if c.get("type") in _SYNCED_CONDITIONS
    }
