"""virt-controller's workload updater and evacuation controller.

Once KubeVirt runs the version it targets, every running VMI whose launcher image is not the
current one gets `kubevirt.io/outdatedLauncherImage: ""` (and loses it once it is current),
and KubeVirt's `status.outdatedVirtualMachineInstanceWorkloads` counts them. Then, by the
methods in KubeVirt's `spec.workloadUpdateStrategy`:

- LiveMigrate: a VMIM per live-migratable outdated VMI (generateName
  `kubevirt-workload-update-`, annotation `kubevirt.io/workloadUpdateMigration`), never
  more in flight than the cluster's parallel migration limit; a VMI whose last attempts
  failed waits an exponential backoff before the next attempt.
- Evict: the others (or all, without LiveMigrate) are shut down, `batchEvictionSize` every
  `batchEvictionInterval`, except VMIs whose eviction strategy demands a live migration they
  cannot do; a VM with `runStrategy: Always` then starts a new VMI (see `vms.py`).
- An empty list: nothing happens; the VMIs stay outdated.

A VMI marked for evacuation (`status.evacuationNodeName`, set when its node is drained) gets
a `kubevirt-evacuation-` migration instead, ahead of workload updates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from cnvtui.sim.clock import SimClock
from cnvtui.sim.controllers import pods, vmis
from cnvtui.sim.controllers.base import (
    KUBEVIRT_GROUP,
    Json,
    dig,
    get_or_none,
    meta,
    name_of,
    namespace_of,
    parse_stamp,
    read_all,
    stamp,
    status_of,
)
from cnvtui.sim.controllers.config import SimConfig
from cnvtui.sim.controllers.drain import shut_down
from cnvtui.sim.controllers.migrations import VMIMS, VMIS, limits
from cnvtui.sim.store import Store

BACKOFF_START = 20.0
BACKOFF_MAX = 300.0


def parse_duration(text: object, default: float = 60.0) -> float:
    """'1m0s' -> 60.0 (a Go duration, as the API writes batchEvictionInterval)."""
    if not isinstance(text, str) or not text:
        return default
    units = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
    total = 0.0
    found = False
    for number, unit in re.findall(r"(\d+(?:\.\d+)?)(ms|h|m|s)", text):
        total += float(number) * units[unit]
        found = True
    return total if found else default


@dataclass
class _Pass:
    """What one pass reads once: the KubeVirt CR, and the migrations per VMI."""

    store: Store
    kv: Json
    per_cluster: int
    attempts: dict[tuple[str, str], list[Json]] = field(default_factory=dict)
    in_flight: set[tuple[str, str]] = field(default_factory=set)

    @property
    def busy(self) -> int:
        return len(self.in_flight)


class VirtController:
    """Labels outdated VMIs and turns the workload update strategy into migrations/evictions."""

    interval = 3.0

    def __init__(self, clock: SimClock, config: SimConfig) -> None:
        self.clock = clock
        self.config = config
        # When the last eviction batch went out (simulated seconds); the interval is paced
        # from here, as virt-controller paces it in memory.
        self._last_batch: float | None = None

    def reconcile(self, store: Store) -> None:
        ns = self.config.namespace
        kv = get_or_none(store, KUBEVIRT_GROUP, "kubevirts", ns, self.config.kubevirt_name)
        if kv is None:
            return
        image = vmis.current_launcher(kv)
        all_vmis = read_all(store, KUBEVIRT_GROUP, VMIS)
        migrations = read_all(store, KUBEVIRT_GROUP, VMIMS)
        migrations.sort(key=lambda m: (str(meta(m).get("creationTimestamp", "")), name_of(m)))
        run = _Pass(store, kv, per_cluster=limits(kv)[0])
        for m in migrations:
            key = (namespace_of(m), str(dig(m, "spec", "vmiName")))
            run.attempts.setdefault(key, []).append(m)
            if vmis.migration_phase(m) not in vmis.FINAL_MIGRATION_PHASES:
                run.in_flight.add(key)
        outdated = self._label(store, kv, all_vmis, image) if image and vmis.is_deployed(kv) else []
        self._evacuate(run, all_vmis)
        if outdated:
            self._update_workloads(run, outdated)

    # -- outdated launchers -------------------------------------------------------------

    def _label(self, store: Store, kv: Json, all_vmis: list[Json], image: str) -> list[Json]:
        outdated = []
        for vmi in all_vmis:
            if not vmis.is_running(vmi):
                continue
            old = status_of(vmi).get("launcherContainerImageVersion") != image
            labelled = vmis.is_outdated(vmi)
            if old:
                outdated.append(vmi)
            if old != labelled:
                store.patch(
                    KUBEVIRT_GROUP, "virtualmachineinstances", namespace_of(vmi), name_of(vmi),
                    "merge", {"metadata": {"labels": {vmis.OUTDATED_LABEL: "" if old else None}}},
                )  # fmt: skip
        if status_of(kv).get("outdatedVirtualMachineInstanceWorkloads") != len(outdated):
            store.patch(
                KUBEVIRT_GROUP, "kubevirts", self.config.namespace, name_of(kv), "merge",
                {"status": {"outdatedVirtualMachineInstanceWorkloads": len(outdated)}},
                subresource="status",
            )  # fmt: skip
        return outdated

    # -- evacuation ---------------------------------------------------------------------

    def _evacuate(self, run: _Pass, all_vmis: list[Json]) -> None:
        for vmi in all_vmis:
            if run.busy >= run.per_cluster:
                return
            node = status_of(vmi).get("evacuationNodeName")
            if not node or node != status_of(vmi).get("nodeName") or not vmis.is_running(vmi):
                continue
            if vmis.key(vmi) in run.in_flight or self._backing_off(run, vmi):
                continue
            annotations = {vmis.EVACUATION_ANNOTATION: str(node)}
            self._create_migration(run, vmi, "kubevirt-evacuation-", annotations)

    # -- workload updates ---------------------------------------------------------------

    def _update_workloads(self, run: _Pass, outdated: list[Json]) -> None:
        strategy = dig(run.kv, "spec", "workloadUpdateStrategy") or {}
        methods = strategy.get("workloadUpdateMethods")
        methods = list(methods) if isinstance(methods, list) else []
        live = "LiveMigrate" in methods
        to_evict = []
        for vmi in outdated:
            if vmis.key(vmi) in run.in_flight:
                continue
            if live and vmis.is_migratable(vmi):
                if run.busy < run.per_cluster and not self._backing_off(run, vmi):
                    annotations = {vmis.WORKLOAD_UPDATE_ANNOTATION: ""}
                    self._create_migration(run, vmi, "kubevirt-workload-update-", annotations)
            elif "Evict" in methods and not vmis.blocks_eviction(vmi, run.kv):
                to_evict.append(vmi)
        if not to_evict:
            return
        now = self.clock.elapsed()
        interval = parse_duration(strategy.get("batchEvictionInterval"))
        if self._last_batch is not None and now - self._last_batch < interval:
            return
        size = int(strategy.get("batchEvictionSize") or 10)
        for vmi in to_evict[:size]:
            self._evict(run.store, vmi)
        self._last_batch = now

    def _evict(self, store: Store, vmi: Json) -> None:
        """Shut the VMI down, as an eviction of its launcher pod does."""
        shut_down(store, vmi)

    def _backing_off(self, run: _Pass, vmi: Json) -> bool:
        """True while the VMI waits out the backoff after its latest failed attempts."""
        failures = 0
        last_end = None
        for m in reversed(run.attempts.get(vmis.key(vmi), [])):
            if vmis.migration_phase(m) != "Failed":
                break
            failures += 1
            last_end = last_end or parse_stamp(dig(m, "status", "migrationState", "endTimestamp"))
        if not failures or last_end is None:
            return False
        wait = min(BACKOFF_START * 2 ** (failures - 1), BACKOFF_MAX)
        return bool((self.clock.now() - last_end).total_seconds() < wait)

    def _create_migration(
        self, run: _Pass, vmi: Json, prefix: str, annotations: dict[str, str]
    ) -> None:
        ns = namespace_of(vmi)
        rng = self.clock.rng("vmim", ns, name_of(vmi), stamp(self.clock.now()))
        run.store.create(
            KUBEVIRT_GROUP, VMIMS,
            {
                "apiVersion": "kubevirt.io/v1",
                "kind": "VirtualMachineInstanceMigration",
                "metadata": {
                    "name": pods.generated_name(prefix, rng),
                    "generateName": prefix,
                    "namespace": ns,
                    "annotations": annotations,
                    "labels": {vmis.VMI_NAME_LABEL: name_of(vmi)},
                },
                "spec": {"vmiName": name_of(vmi)},
            },
            namespace=ns,
        )  # fmt: skip
        run.in_flight.add(vmis.key(vmi))
