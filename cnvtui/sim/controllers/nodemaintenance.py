"""The node maintenance operator: NodeMaintenance CRs cordon and drain their node.

Both the standalone operator's `nodemaintenance.medik8s.io` CRs and the legacy
`nodemaintenance.kubevirt.io` ones (shipped with CNV up to 4.10, which must be gone before
updating to 4.11) are honoured the same way: phase Running while the node drains, Succeeded
once it is empty. When a CR disappears, the node it had cordoned is uncordoned.
"""

from __future__ import annotations

from cnvtui.sim.clock import SimClock
from cnvtui.sim.controllers.base import (
    KUBEVIRT_GROUP,
    Json,
    annotations_of,
    dig,
    get_or_none,
    name_of,
    read_all,
    stamp,
    status_of,
)
from cnvtui.sim.controllers.config import SimConfig
from cnvtui.sim.controllers.drain import cordon, drain
from cnvtui.sim.store import Store

GROUPS = ("nodemaintenance.medik8s.io", "nodemaintenance.kubevirt.io")
# Which NodeMaintenance cordoned a node (a bookkeeping annotation of the simulation).
CORDONED_BY = "sim.cnvtui.io/cordoned-by-maintenance"


class NodeMaintenanceOperator:
    """Puts nodes in and out of maintenance as NodeMaintenance CRs come and go."""

    interval = 5.0

    def __init__(self, clock: SimClock, config: SimConfig) -> None:
        self.clock = clock
        self.config = config

    def reconcile(self, store: Store) -> None:
        kv = get_or_none(
            store, KUBEVIRT_GROUP, "kubevirts", self.config.namespace, self.config.kubevirt_name
        )
        wanted: set[str] = set()
        for group in GROUPS:
            try:
                items = read_all(store, group, "nodemaintenances")
            except KeyError:
                continue
            for nm in items:
                node_name = str(dig(nm, "spec", "nodeName") or "")
                if node_name:
                    wanted.add(node_name)
                    self._maintain(store, group, nm, node_name, kv)
        nodes = read_all(store, "", "nodes")
        for node in nodes:
            if annotations_of(node).get(CORDONED_BY) and name_of(node) not in wanted:
                cordon(store, node, False)
                store.patch(
                    "", "nodes", None, name_of(node), "merge",
                    {"metadata": {"annotations": {CORDONED_BY: None}}},
                )  # fmt: skip

    def _maintain(
        self, store: Store, group: str, nm: Json, node_name: str, kv: Json | None
    ) -> None:
        node = get_or_none(store, "", "nodes", None, node_name)
        old = status_of(nm)
        now = stamp(self.clock.now())
        if node is None:
            new: Json = {"phase": "Failed", "lastError": f'nodes "{node_name}" not found'}
        else:
            if not annotations_of(node).get(CORDONED_BY):
                node = cordon(store, node, True)
                store.patch(
                    "", "nodes", None, node_name, "merge",
                    {"metadata": {"annotations": {CORDONED_BY: name_of(nm)}}},
                )  # fmt: skip
            state = drain(store, node_name, kv)
            total = max(int(old.get("totalpods") or 0), state.remaining)
            progress = 100 if state.done else int(100 * (total - state.remaining) / max(total, 1))
            new = {
                "phase": "Succeeded" if state.done else "Running",
                "totalpods": total,
                "evictionPods": state.remaining,
                "drainProgress": progress,
                "lastError": state.blockers[0] if state.blockers else "",
            }
        if all(old.get(k) == v for k, v in new.items()):
            return
        new["lastUpdate"] = now
        store.patch(
            group, "nodemaintenances", None, name_of(nm), "merge", {"status": new},
            subresource="status",
        )  # fmt: skip
