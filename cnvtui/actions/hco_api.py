"""Where the workload update strategy lives in the HyperConverged API the server serves.

HCO v1beta1 has `spec.workloadUpdateStrategy`; v1 moved it to
`spec.virtualization.workloadUpdateStrategy`. A patch written for the wrong one is silently
pruned or rejected, so writes go through the version discovery says is served: v1 when the
server has it, else v1beta1. The strategy and stop/restore actions share this.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from cnvtui.actions.fetch import get_object, served_versions
from cnvtui.actions.jsonpatch import Operation, pointer, resolve
from cnvtui.kube.client import KubeClient
from cnvtui.kube.events import Obj
from cnvtui.kube.resources import HCO, HCO_V1, ResourceKind
from cnvtui.state.hco import HCO_NAME
from cnvtui.state.workloads import DEFAULT_METHODS

__all__ = [
    "V1",
    "V1BETA1",
    "HcoApi",
    "api_of_kind",
    "detect_hco_api",
    "methods_of",
    "methods_operations",
    "read_hco",
    "strategy_of",
    "strategy_operations",
]


@dataclass(frozen=True, slots=True)
class HcoApi:
    """One served HCO version and the pointer of its strategy block."""

    kind: ResourceKind
    parents: tuple[str, ...]
    """Keys from the root down to the block's parent (spec, or spec.virtualization)."""

    @property
    def strategy_path(self) -> str:
        return pointer(*self.parents, "workloadUpdateStrategy")

    @property
    def label(self) -> str:
        return f"{self.kind.version} {'.'.join((*self.parents, 'workloadUpdateStrategy'))}"

    def key(self, name: str) -> str:
        """A strategy field by its full path and version, as previews and the audit log name it."""
        return f"{self.label}.{name}"


V1BETA1 = HcoApi(HCO, ("spec",))
V1 = HcoApi(HCO_V1, ("spec", "virtualization"))


def api_of_kind(kind: ResourceKind) -> HcoApi:
    """The API a change addressed to `kind` was built for."""
    return V1 if kind == HCO_V1 else V1BETA1


async def detect_hco_api(client: KubeClient) -> HcoApi:
    """V1 when the server serves hco.kubevirt.io/v1, else V1BETA1."""
    versions = await served_versions(client, HCO.group)
    return V1 if "v1" in versions else V1BETA1


async def read_hco(client: KubeClient, api: HcoApi, namespace: str) -> Obj:
    """The HyperConverged CR of `namespace`, fresh, in `api`'s version."""
    return await get_object(client, api.kind, namespace, HCO_NAME)


def strategy_of(hco: Obj, api: HcoApi) -> dict[str, Any] | None:
    """The strategy block as served (None when absent)."""
    found, block = resolve(hco, api.strategy_path)
    return block if found and isinstance(block, dict) else None


def methods_of(block: dict[str, Any] | None) -> tuple[str, ...]:
    """The methods in force: an absent list means the CRD default, LiveMigrate."""
    if block is None or "workloadUpdateMethods" not in block:
        return DEFAULT_METHODS
    raw = block.get("workloadUpdateMethods")
    return tuple(m for m in raw if isinstance(m, str)) if isinstance(raw, list) else ()


def strategy_operations(hco: Obj, api: HcoApi, new_block: dict[str, Any]) -> list[Operation]:
    """Test the block as seen, then replace it with `new_block` (adding parents if absent).

    Testing the whole block makes any concurrent edit of the strategy a conflict, which is
    what a person confirming "methods: X, batch: Y" expects.
    """
    block = strategy_of(hco, api)
    path = api.strategy_path
    if block is not None:
        return [
            {"op": "test", "path": path, "value": json.loads(json.dumps(block))},
            {"op": "replace", "path": path, "value": new_block},
        ]
    ops: list[Operation] = []
    value: Any = new_block
    key = "workloadUpdateStrategy"
    for depth in range(len(api.parents), 0, -1):
        found, parent = resolve(hco, pointer(*api.parents[:depth]))
        if found and isinstance(parent, dict):
            ops.append({"op": "add", "path": pointer(*api.parents[:depth], key), "value": value})
            return ops
        value = {key: value}
        key = api.parents[depth - 1]
    ops.append({"op": "add", "path": pointer(key), "value": value})
    return ops


def methods_operations(hco: Obj, api: HcoApi, methods: tuple[str, ...]) -> list[Operation]:
    """Set `workloadUpdateMethods` to `methods`, the rest of the block as seen."""
    new_block = dict(strategy_of(hco, api) or {})
    new_block["workloadUpdateMethods"] = list(methods)
    return strategy_operations(hco, api, new_block)
