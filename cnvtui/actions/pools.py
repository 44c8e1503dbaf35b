"""Pause and unpause MachineConfigPools (EUS steps 1 and 7), with the consequence stated.

Pausing the worker pools makes workers reboot once, not twice, across an EUS update, but a
paused pool also holds back certificate rotation; unpausing rolls out every pending config
at once. The preview says both, with the machine counts that make them concrete.
"""

from __future__ import annotations

from typing import Any

from cnvtui.actions.base import Action, Change, Permission, Refused, Target, View
from cnvtui.actions.context import ActionContext
from cnvtui.actions.fetch import get_object, resource_version
from cnvtui.actions.jsonpatch import Operation, pointer
from cnvtui.kube.events import Obj
from cnvtui.kube.resources import MCP
from cnvtui.state.views import as_dict, as_int, dig

__all__ = ["SetPoolPaused", "pool_consequences"]


def pool_consequences(pool: str, paused: bool, status: dict[str, Any]) -> list[str]:
    """What pausing (or unpausing) `pool` means, from its status counts."""
    machines = as_int(status.get("machineCount"))
    behind = max(0, machines - as_int(status.get("updatedMachineCount")))
    if paused:
        lines = [
            f"While paused, the machine-config operator applies no configuration to the "
            f"{machines} machines of {pool}: they are not updated or rebooted, not even by an "
            "OpenShift update.",
            "A paused pool blocks certificate rotation (kube-apiserver-to-kubelet): unpause it "
            "when the update is done, and before the certificates expire.",
        ]
        if pool == "master":
            lines.append("The master pool is not paused in an EUS update: only worker pools are.")
        return lines
    if behind:
        return [
            f"The machine-config operator then rolls out the pending configuration: {behind} of "
            f"{machines} machines will be drained and rebooted, a few at a time "
            "(maxUnavailable), and their VMs live migrated or shut down.",
        ]
    return [f"All {machines} machines of {pool} are on the latest configuration: no reboot."]


class SetPoolPaused(Action):
    """Set `spec.paused` of one MachineConfigPool."""

    id = "pool_paused"
    title = "Pause or unpause a machine pool"
    dangerous = True

    def permission(self, ctx: ActionContext) -> Permission:
        return Permission("patch", MCP)

    def applies(self, view: View) -> str:
        return "" if view.picture.cluster.pools else "no MachineConfigPools seen"

    async def propose(self, ctx: ActionContext, **params: Any) -> Change:
        """`pool=` its name, `paused=` the wanted state."""
        name = str(params["pool"])
        paused = bool(params["paused"])
        pool = await get_object(ctx.client, MCP, None, name)
        spec = as_dict(pool.get("spec"))
        current = spec.get("paused") is True
        if current == paused:
            raise Refused(f"pool {name} is already {'paused' if paused else 'unpaused'}")
        path = pointer("spec", "paused")
        ops: list[Operation] = []
        # An absent field cannot be tested; it means "not paused", and the result of adding
        # it is the same whoever else set it meanwhile.
        if "paused" in spec:
            ops.append({"op": "test", "path": path, "value": spec["paused"]})
        ops.append({"op": "add", "path": path, "value": paused})
        verb = "Pause" if paused else "Unpause"
        summary = (
            f"Sets spec.paused from {str(current).lower()} to {str(paused).lower()} on "
            f"MachineConfigPool {name}.",
            *pool_consequences(name, paused, as_dict(pool.get("status"))),
        )
        return Change(
            action=self.id,
            title=f"{verb} machine pool {name}",
            target=Target(MCP, None, name),
            operations=tuple(ops),
            summary=summary,
            before={"spec.paused": current},
            after={"spec.paused": paused},
            dangerous=True,
            params={"pool": name, "paused": paused},
            seen_version=resource_version(pool),
        )

    def done_in(self, change: Change, obj: Obj) -> bool:
        return (dig(obj, "spec", "paused") is True) == bool(change.params.get("paused"))
