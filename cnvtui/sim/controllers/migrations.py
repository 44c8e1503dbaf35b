"""virt-controller's migration controller: VirtualMachineInstanceMigrations, start to end.

Every VMIM, whoever created it (the workload updater, a node drain, a user), goes
Pending -> Scheduling -> Scheduled -> PreparingTarget -> TargetReady -> Running ->
Succeeded, each step recorded in `status.phaseTransitionTimestamps`. A migration leaves
Pending only within the live migration limits of the KubeVirt CR (parallel migrations per
cluster, outbound migrations per source node). Its target pod may stay Pending: the
migration then fails after 5 simulated minutes if the pod is Unschedulable and after 15
minutes for any other reason, as virt-controller's pending timeouts do. Only the five most
recent finished migrations of a VMI are kept.

A successful migration moves the VMI: new node, new launcher image (the one KubeVirt
deploys now, so a migration is also how a VMI gets updated), `status.migrationState`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from cnvtui.sim.clock import SimClock
from cnvtui.sim.controllers import pods, vmis
from cnvtui.sim.controllers.base import (
    KUBEVIRT_GROUP,
    Json,
    dig,
    get_or_none,
    labels_of,
    meta,
    name_of,
    namespace_of,
    read_all,
    seconds_since,
    stamp,
    status_of,
    write_status,
)
from cnvtui.sim.controllers.config import SimConfig
from cnvtui.sim.controllers.hco import DEFAULT_MIGRATIONS
from cnvtui.sim.controllers.placement import memory_gib, place
from cnvtui.sim.store import Store

UNSCHEDULABLE_TIMEOUT = 5 * 60.0
PENDING_TIMEOUT = 15 * 60.0
KEEP_FINISHED = 5
# Simulated seconds spent in each phase before the next (min, max); Running is per GiB.
_STEPS = {
    "Scheduling": ("Scheduled", (3.0, 8.0)),
    "Scheduled": ("PreparingTarget", (1.0, 3.0)),
    "PreparingTarget": ("TargetReady", (2.0, 5.0)),
    "TargetReady": ("Running", (1.0, 2.0)),
}
_RUNNING_PER_GIB = (8.0, 20.0)
VMIS = "virtualmachineinstances"
VMIMS = "virtualmachineinstancemigrations"


def limits(kubevirt: Json | None) -> tuple[int, int]:
    """(parallel migrations per cluster, outbound migrations per node) in force."""
    conf = dig(kubevirt, "spec", "configuration", "migrations") if kubevirt else None
    conf = conf if isinstance(conf, dict) else {}
    per_cluster = conf.get("parallelMigrationsPerCluster")
    per_node = conf.get("parallelOutboundMigrationsPerNode")
    return (
        int(per_cluster if per_cluster is not None else DEFAULT_MIGRATIONS[
            "parallelMigrationsPerCluster"]),
        int(per_node if per_node is not None else DEFAULT_MIGRATIONS[
            "parallelOutboundMigrationsPerNode"]),
    )  # fmt: skip


@dataclass
class _Pass:
    """What one pass of the controller reads once and shares between its steps."""

    store: Store
    nodes: list[Json]
    load: Counter[str]
    image: str | None


def _order(vmim: Json) -> tuple[int, str, str]:
    evacuation = vmis.EVACUATION_ANNOTATION in (meta(vmim).get("annotations") or {})
    return (0 if evacuation else 1, str(meta(vmim).get("creationTimestamp", "")), name_of(vmim))


class MigrationController:
    """Drives every VMIM through its phases and keeps the last five per VMI."""

    interval = 2.0

    def __init__(self, clock: SimClock, config: SimConfig) -> None:
        self.clock = clock
        self.config = config

    def reconcile(self, store: Store) -> None:
        ns, kv_name = self.config.namespace, self.config.kubevirt_name
        kv = get_or_none(store, KUBEVIRT_GROUP, "kubevirts", ns, kv_name)
        migrations = read_all(store, KUBEVIRT_GROUP, VMIMS)
        if not migrations:
            return
        self._collect_garbage(store, migrations)
        per_cluster, per_node = limits(kv)
        all_vmis = {vmis.key(v): v for v in read_all(store, KUBEVIRT_GROUP, VMIS)}
        load = Counter(str(status_of(v).get("nodeName", "")) for v in all_vmis.values())
        nodes = read_all(store, "", "nodes")
        run = _Pass(store, nodes, load, vmis.current_launcher(kv))
        active = [m for m in migrations if vmis.migration_phase(m) in vmis.ACTIVE_MIGRATION_PHASES]
        outbound = Counter(str(dig(m, "status", "migrationState", "sourceNode")) for m in active)
        for vmim in sorted(migrations, key=_order):
            phase = vmis.migration_phase(vmim)
            if phase in vmis.FINAL_MIGRATION_PHASES:
                continue
            vmi = all_vmis.get((namespace_of(vmim), str(dig(vmim, "spec", "vmiName"))))
            if vmi is None or not vmis.is_running(vmi):
                self._fail(store, vmim, None, "VMI is not running")
                continue
            if phase in ("", "Pending"):
                source = str(status_of(vmi).get("nodeName", ""))
                current = self._move(store, vmim, "Pending") if not phase else vmim
                if len(active) >= per_cluster or outbound[source] >= per_node:
                    continue
                active.append(self._start(run, current, vmi))
                outbound[source] += 1
                continue
            self._advance(run, vmim, vmi)

    # -- steps --------------------------------------------------------------------------

    def _start(self, run: _Pass, vmim: Json, vmi: Json) -> Json:
        source = str(status_of(vmi).get("nodeName", ""))
        placement = place(vmi, run.nodes, run.load, avoid=source)
        image = run.image or str(status_of(vmi).get("launcherContainerImageVersion", ""))
        pod = pods.create_launcher(
            run.store, vmi, placement, image, self.clock.rng("target-pod", name_of(vmim)),
            now=stamp(self.clock.now()), migration_uid=str(meta(vmim).get("uid", "")),
        )  # fmt: skip
        if placement.node:
            run.load[placement.node] += 1
        state: Json = {
            "migrationUid": meta(vmim).get("uid"),
            "sourceNode": source,
            "targetPod": name_of(pod),
        }
        if placement.node:
            state["targetNode"] = placement.node
        return self._move(run.store, vmim, "Scheduling", migration_state=state)

    def _advance(self, run: _Pass, vmim: Json, vmi: Json) -> None:
        store = run.store
        phase = vmis.migration_phase(vmim)
        since = seconds_since(self.clock, _entered(vmim, phase))
        state = dict(dig(vmim, "status", "migrationState") or {})
        rng = self.clock.rng("vmim", name_of(vmim), phase)
        if phase == "Scheduling" and not self._target_ready(run, vmim, vmi, state, since):
            return
        if phase in _STEPS:
            nxt, (low, high) = _STEPS[phase]
            if since < rng.uniform(low, high):
                return
            if nxt == "Running":
                state["startTimestamp"] = stamp(self.clock.now())
                state["mode"] = "PreCopy"
            if nxt == "Scheduled":
                state["targetNodeAddress"] = f"10.129.{rng.randrange(8)}.{rng.randrange(2, 250)}"
            self._move(store, vmim, nxt, migration_state=state)
            if nxt in ("Scheduled", "Running"):
                self._set_vmi_state(store, vmi, state)
            return
        if phase == "Running":
            low, high = _RUNNING_PER_GIB
            if since < rng.uniform(low, high) * max(memory_gib(vmi), 0.5):
                return
            self._succeed(store, vmim, vmi, state, run.image)

    def _target_ready(self, run: _Pass, vmim: Json, vmi: Json, state: Json, since: float) -> bool:
        """Whether the target pod runs; fails the migration when it has waited too long."""
        store = run.store
        pod = get_or_none(store, "", "pods", namespace_of(vmim), str(state.get("targetPod")))
        reason = pods.pending_reason(pod) if pod else "Unschedulable"
        if reason == "Unschedulable" and pod is not None:
            retry = place(vmi, run.nodes, run.load, avoid=str(state.get("sourceNode")))
            if retry.node:
                pod = pods.set_pod_state(store, pod, retry, now=stamp(self.clock.now()))
                run.load[retry.node] += 1
                state["targetNode"] = retry.node
                reason = pods.pending_reason(pod)
                self._move(store, vmim, "Scheduling", migration_state=state, record=False)
        if reason is None:
            return True
        timeout = UNSCHEDULABLE_TIMEOUT if reason == "Unschedulable" else PENDING_TIMEOUT
        if since >= timeout:
            why = (
                "is currently unschedulable"
                if reason == "Unschedulable"
                else f"has been pending for too long ({reason})"
            )
            where = f"{namespace_of(vmi)}/{name_of(vmi)}"
            self._fail(store, vmim, vmi, f"Migration target pod for VMI [{where}] {why}.")
        return False

    def _succeed(self, store: Store, vmim: Json, vmi: Json, state: Json, image: str | None) -> None:
        now = stamp(self.clock.now())
        state.update({"completed": True, "endTimestamp": now,
                      "targetNodeDomainDetected": True})  # fmt: skip
        self._move(store, vmim, "Succeeded", migration_state=state)
        target = str(state.get("targetNode") or status_of(vmi).get("nodeName"))
        ns, name = namespace_of(vmi), name_of(vmi)
        current = image or status_of(vmi).get("launcherContainerImageVersion")
        labels: Json = {vmis.NODE_LABEL: target}
        if vmis.OUTDATED_LABEL in labels_of(vmi) and image:
            labels[vmis.OUTDATED_LABEL] = None
        store.patch(
            KUBEVIRT_GROUP, VMIS, ns, name, "merge",
            {"metadata": {"labels": labels}, "status": {
                "nodeName": target,
                "launcherContainerImageVersion": current,
                "migrationState": state,
                "evacuationNodeName": None,
            }},
        )  # fmt: skip
        pods.delete_launchers(store, vmi, keep=str(state.get("targetPod")))

    def _fail(self, store: Store, vmim: Json, vmi: Json | None, reason: str) -> None:
        now = stamp(self.clock.now())
        state = dict(dig(vmim, "status", "migrationState") or {})
        state.update({"failed": True, "endTimestamp": now, "failureReason": reason})
        self._move(store, vmim, "Failed", migration_state=state)
        target_pod = state.get("targetPod")
        if target_pod:
            pod = get_or_none(store, "", "pods", namespace_of(vmim), str(target_pod))
            if pod is not None:
                store.delete("", "pods", namespace_of(pod), name_of(pod))
        if vmi is not None:
            self._set_vmi_state(store, vmi, state)
            self._event(store, vmim, "FailedMigration", reason)

    def _move(
        self, store: Store, vmim: Json, phase: str, *, migration_state: Json | None = None,
        record: bool = True,
    ) -> Json:  # fmt: skip
        status = dict(status_of(vmim))
        stamps = list(status.get("phaseTransitionTimestamps") or [])
        if record:
            stamps.append({"phase": phase, "phaseTransitionTimestamp": stamp(self.clock.now())})
        body: Json = {"phase": phase, "phaseTransitionTimestamps": stamps}
        if migration_state is not None:
            body["migrationState"] = migration_state
        return store.patch(
            KUBEVIRT_GROUP, "virtualmachineinstancemigrations", namespace_of(vmim), name_of(vmim),
            "merge", {"status": body}, subresource="status",
        )  # fmt: skip

    def _set_vmi_state(self, store: Store, vmi: Json, state: Json) -> None:
        write_status(
            store, KUBEVIRT_GROUP, VMIS, namespace_of(vmi), name_of(vmi),
            status={"migrationState": state},
        )  # fmt: skip

    def _event(self, store: Store, vmim: Json, reason: str, message: str) -> None:
        now = stamp(self.clock.now())
        rng = self.clock.rng("event", name_of(vmim), reason)
        ns = namespace_of(vmim)
        store.create(
            "", "events",
            {
                "apiVersion": "v1",
                "kind": "Event",
                "metadata": {
                    "name": pods.generated_name(f"{name_of(vmim)}.", rng),
                    "namespace": ns,
                },
                "involvedObject": {
                    "apiVersion": "kubevirt.io/v1",
                    "kind": "VirtualMachineInstanceMigration",
                    "name": name_of(vmim),
                    "namespace": ns,
                    "uid": meta(vmim).get("uid"),
                },
                "reason": reason,
                "message": message,
                "type": "Warning",
                "source": {"component": "virtualmachine-controller"},
                "firstTimestamp": now,
                "lastTimestamp": now,
                "count": 1,
            },
            namespace=ns,
        )  # fmt: skip

    def _collect_garbage(self, store: Store, migrations: list[Json]) -> None:
        finished: dict[tuple[str, str], list[Json]] = defaultdict(list)
        for vmim in migrations:
            if vmis.migration_phase(vmim) in vmis.FINAL_MIGRATION_PHASES:
                finished[(namespace_of(vmim), str(dig(vmim, "spec", "vmiName")))].append(vmim)
        for group in finished.values():
            if len(group) <= KEEP_FINISHED:
                continue
            group.sort(key=lambda m: (str(meta(m).get("creationTimestamp", "")), name_of(m)))
            for old in group[: len(group) - KEEP_FINISHED]:
                store.delete(
                    KUBEVIRT_GROUP, "virtualmachineinstancemigrations", namespace_of(old),
                    name_of(old),
                )  # fmt: skip


def _entered(vmim: Json, phase: str) -> str | None:
    """When the VMIM entered `phase` (its last transition into it)."""
    for entry in reversed(dig(vmim, "status", "phaseTransitionTimestamps") or []):
        if entry.get("phase") == phase:
            return str(entry.get("phaseTransitionTimestamp"))
    return None
