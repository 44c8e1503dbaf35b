"""The machine-config operator: MachineConfigPools rolling their nodes to a new release.

When CVO hands machine-config a new release, every pool gets a new rendered config. A pool
that is not `spec.paused` then updates its nodes `maxUnavailable` (default 1) at a time:
cordon, drain (see `drain.py`), reboot, uncordon, with the node's
`machineconfiguration.openshift.io/*` annotations telling where each node is. A paused
pool keeps its nodes as they are and says it is not updated. A drain that cannot finish
(a VMI that can neither migrate nor be evicted) keeps the node Working; after an hour the
node and its pool are Degraded, naming the node and the reason.
"""

from __future__ import annotations

from cnvtui.sim.clock import SimClock
from cnvtui.sim.controllers import releases
from cnvtui.sim.controllers.base import (
    CONFIG_GROUP,
    KUBEVIRT_GROUP,
    MCO_GROUP,
    Json,
    annotations_of,
    dig,
    get_or_none,
    labels_of,
    merge_conditions,
    meta,
    name_of,
    read_all,
    seconds_since,
    stamp,
    status_of,
)
from cnvtui.sim.controllers.config import SimConfig
from cnvtui.sim.controllers.cvo import CV_NAME, machine_config_release
from cnvtui.sim.controllers.drain import cordon, drain, node_ready
from cnvtui.sim.store import Store

PREFIX = "machineconfiguration.openshift.io/"
CURRENT = PREFIX + "currentConfig"
DESIRED = PREFIX + "desiredConfig"
STATE = PREFIX + "state"
REASON = PREFIX + "reason"
DESIRED_DRAIN = PREFIX + "desiredDrain"
LAST_DRAIN = PREFIX + "lastAppliedDrain"
# When the node entered its current step (a bookkeeping annotation of the simulation).
STEP_SINCE = "sim.cnvtui.io/mco-step-since"
DRAIN_DEGRADED_AFTER = 3600.0
_REBOOT = (180.0, 360.0)


def pool_members(pool: Json, nodes: list[Json]) -> list[Json]:
    selector = dig(pool, "spec", "nodeSelector", "matchLabels") or {}
    if not selector:
        return []
    return [n for n in nodes if all(labels_of(n).get(k) == v for k, v in selector.items())]


class MachineConfigOperator:
    """Renders configs for pools and rolls the nodes of the pools that are not paused."""

    interval = 10.0

    def __init__(self, clock: SimClock, config: SimConfig) -> None:
        self.clock = clock
        self.config = config

    def reconcile(self, store: Store) -> None:
        cv = get_or_none(store, CONFIG_GROUP, "clusterversions", None, CV_NAME)
        release = machine_config_release(self.clock, cv)
        kv = get_or_none(
            store, KUBEVIRT_GROUP, "kubevirts", self.config.namespace, self.config.kubevirt_name
        )
        nodes = read_all(store, "", "nodes")
        pools = read_all(store, MCO_GROUP, "machineconfigpools")
        claimed: set[str] = set()
        for pool in sorted(pools, key=lambda p: name_of(p) != "master"):
            members = [n for n in pool_members(pool, nodes) if name_of(n) not in claimed]
            claimed.update(name_of(n) for n in members)
            self._sync_pool(store, pool, members, release, kv)

    def _sync_pool(
        self, store: Store, pool: Json, members: list[Json], release: str | None, kv: Json | None
    ) -> None:
        name = name_of(pool)
        current = str(dig(pool, "spec", "configuration", "name") or "")
        target = releases.rendered_config(name, release) if release else current
        if target and target != current:
            pool = store.patch(
                MCO_GROUP, "machineconfigpools", None, name, "merge",
                {"spec": {"configuration": {"name": target}}},
            )  # fmt: skip
        applied = str(dig(pool, "status", "configuration", "name") or current or target)
        members = [self._adopt(store, n, applied) for n in members]
        if not dig(pool, "spec", "paused"):
            members = self._roll(store, pool, members, target, kv)
        self._write_status(store, pool, members, target)

    def _adopt(self, store: Store, node: Json, applied: str) -> Json:
        """Give a node the MCO annotations it lacks (it runs the pool's applied config)."""
        notes = annotations_of(node)
        if notes.get(CURRENT):
            return node
        return store.patch(
            "", "nodes", None, name_of(node), "merge",
            {"metadata": {"annotations": {CURRENT: applied, DESIRED: applied, STATE: "Done"}}},
        )  # fmt: skip

    # -- rolling ------------------------------------------------------------------------

    def _roll(
        self, store: Store, pool: Json, members: list[Json], target: str, kv: Json | None
    ) -> list[Json]:
        limit = dig(pool, "spec", "maxUnavailable")
        max_unavailable = int(limit) if isinstance(limit, int) and limit > 0 else 1
        out = []
        working = 0
        for member in members:
            notes = annotations_of(member)
            node = member
            if notes.get(DESIRED) == target and notes.get(CURRENT) != target:
                node = self._step(store, member, target, kv)
                working += annotations_of(node).get(CURRENT) != target
            out.append(node)
        for i, node in enumerate(out):
            if working >= max_unavailable:
                break
            notes = annotations_of(node)
            if notes.get(CURRENT) != target and notes.get(DESIRED) != target:
                out[i] = self._begin(store, node, target)
                working += 1
        return out

    def _begin(self, store: Store, node: Json, target: str) -> Json:
        node = cordon(store, node, True)
        return self._annotate(
            store, node,
            {DESIRED: target, STATE: "Working", REASON: "", DESIRED_DRAIN: f"drain-{target}"},
        )  # fmt: skip

    def _step(self, store: Store, node: Json, target: str, kv: Json | None) -> Json:
        notes = annotations_of(node)
        name = name_of(node)
        since = seconds_since(self.clock, notes.get(STEP_SINCE))
        if notes.get(LAST_DRAIN) != f"drain-{target}":
            state = drain(store, name, kv)
            if not state.done:
                if state.blockers and since >= DRAIN_DEGRADED_AFTER:
                    message = (
                        f"failed to drain node: {name} after 1 hour. Please see "
                        "machine-config-controller logs for more information"
                    )
                    if notes.get(STATE) != "Degraded" or notes.get(REASON) != message:
                        return self._annotate(
                            store, node, {STATE: "Degraded", REASON: message}, keep_since=True
                        )
                elif state.blockers and notes.get(REASON) != state.blockers[0]:
                    return self._annotate(store, node, {REASON: state.blockers[0]}, keep_since=True)
                return node
            node = self._annotate(store, node, {LAST_DRAIN: f"drain-{target}", STATE: "Working",
                                                REASON: ""})  # fmt: skip
            return self._set_ready(store, node, False)
        if since < self.clock.rng("reboot", name, target).uniform(*_REBOOT):
            return node
        node = self._set_ready(store, node, True)
        node = cordon(store, node, False)
        return self._annotate(
            store, node,
            {CURRENT: target, STATE: "Done", REASON: "", DESIRED_DRAIN: f"uncordon-{target}",
             LAST_DRAIN: f"uncordon-{target}"},
        )  # fmt: skip

    def _annotate(
        self, store: Store, node: Json, notes: dict[str, str], *, keep_since: bool = False
    ) -> Json:
        body = dict(notes)
        if not keep_since:
            body[STEP_SINCE] = stamp(self.clock.now())
        return store.patch(
            "", "nodes", None, name_of(node), "merge", {"metadata": {"annotations": body}}
        )

    def _set_ready(self, store: Store, node: Json, ready: bool) -> Json:
        conditions = status_of(node).get("conditions")
        if not conditions:
            return node
        now = stamp(self.clock.now())
        new = []
        for old in conditions:
            cond = old
            if old.get("type") == "Ready":
                cond = {
                    **old,
                    "status": "True" if ready else "Unknown",
                    "reason": "KubeletReady" if ready else "NodeStatusUnknown",
                    "message": "kubelet is posting ready status" if ready
                    else "Kubelet stopped posting node status.",
                    "lastTransitionTime": now,
                }  # fmt: skip
            new.append(cond)
        return store.patch(
            "", "nodes", None, name_of(node), "merge", {"status": {"conditions": new}},
            subresource="status",
        )  # fmt: skip

    # -- the pool's status --------------------------------------------------------------

    def _write_status(self, store: Store, pool: Json, members: list[Json], target: str) -> None:
        name = name_of(pool)
        paused = bool(dig(pool, "spec", "paused"))
        updated = [n for n in members if annotations_of(n).get(CURRENT) == target]
        degraded = [n for n in members if annotations_of(n).get(STATE) == "Degraded"]
        unavailable = [
            n for n in members
            if dig(n, "spec", "unschedulable") or not node_ready(n)
            or annotations_of(n).get(STATE) in ("Working", "Degraded")
        ]  # fmt: skip
        ready = [n for n in updated if n not in unavailable]
        all_updated = len(updated) == len(members)
        old = status_of(pool)
        applied = target if all_updated else dig(old, "configuration", "name") or target
        degraded_message = "; ".join(
            f'Node {name_of(n)} is reporting: "{annotations_of(n).get(REASON, "")}"'
            for n in degraded
        )
        conditions = [
            {"type": "RenderDegraded", "status": "False", "reason": "", "message": ""},
            {"type": "NodeDegraded", "status": "True" if degraded else "False",
             "reason": f"{len(degraded)} nodes are reporting degraded status on sync"
             if degraded else "", "message": degraded_message},
            {"type": "Degraded", "status": "True" if degraded else "False",
             "reason": "", "message": degraded_message},
            {"type": "Updated", "status": "True" if all_updated else "False",
             "reason": "", "message": f"All nodes are updated with {target}"
             if all_updated else ""},
            {"type": "Updating", "status": "True" if not all_updated and not paused else "False",
             "reason": "", "message": f"All nodes are updating to {target}"
             if not all_updated and not paused else ""},
        ]  # fmt: skip
        new: Json = {
            "machineCount": len(members),
            "updatedMachineCount": len(updated),
            "readyMachineCount": len(ready),
            "unavailableMachineCount": len(unavailable),
            "degradedMachineCount": len(degraded),
            "configuration": {"name": applied},
            "observedGeneration": meta(pool).get("generation", 1),
            "conditions": merge_conditions(
                old.get("conditions"), conditions, stamp(self.clock.now())
            ),
        }
        if all(old.get(k) == v for k, v in new.items()):
            return
        store.patch(
            MCO_GROUP, "machineconfigpools", None, name, "merge", {"status": new},
            subresource="status",
        )  # fmt: skip
