"""Start the OpenShift update: ClusterVersion `spec.desiredUpdate` to an available version.

The most far-reaching write cnvtui can send (every node reboots), so it sits behind the
strongest confirmation: the user types the version. Only versions in
`status.availableUpdates` are offered, with their release image, as `oc adm upgrade --to`
does. The patch tests the version the cluster was heading to and the whole spec as the user
saw it (JSON patch cannot test that `desiredUpdate` is absent), so an update someone else
requested meanwhile is never overridden.
"""

from __future__ import annotations

import contextlib
from typing import Any

from cnvtui.actions.base import Action, Change, Permission, Refused, Target, View
from cnvtui.actions.context import ActionContext
from cnvtui.actions.fetch import get_object, list_objects, resource_version
from cnvtui.actions.hco_api import read_hco
from cnvtui.actions.jsonpatch import Operation, pointer
from cnvtui.kube.events import Obj
from cnvtui.kube.resources import CLUSTER_VERSION, MCP
from cnvtui.state.views import as_dict, as_list, as_str, condition, dig

__all__ = ["StartOpenShiftUpdate", "available_updates", "minor_of"]

CV_NAME = "version"


def available_updates(cv: Obj | None) -> list[tuple[str, str]]:
    """(version, image) of each entry of `status.availableUpdates`, newest first."""
    found = []
    for raw in as_list(dig(cv, "status", "availableUpdates")):
        entry = as_dict(raw)
        version = as_str(entry.get("version"))
        if version:
            found.append((version, as_str(entry.get("image"))))
    return sorted(found, key=lambda vi: _numbers(vi[0]), reverse=True)


def _numbers(version: str) -> tuple[int, ...]:
    parts = []
    for part in version.split("-", 1)[0].split("."):
        parts.append(int(part) if part.isdigit() else 0)
    return tuple(parts)


def minor_of(version: str) -> str:
    """ "4.14.8" -> "4.14"."""
    return ".".join(version.split(".")[:2])


def _in_progress(cv: Obj) -> str:
    history = [h for h in as_list(dig(cv, "status", "history")) if isinstance(h, dict)]
    if history and history[0].get("state") == "Partial":
        return as_str(history[0].get("version"))
    return ""


class StartOpenShiftUpdate(Action):
    """Set ClusterVersion `spec.desiredUpdate` to one of the available updates."""

    id = "ocp_update"
    title = "Start the OpenShift update"
    dangerous = True

    def permission(self, ctx: ActionContext) -> Permission:
        return Permission("patch", CLUSTER_VERSION, None, CV_NAME)

    def applies(self, view: View) -> str:
        cv = view.store.get("clusterversion", "", CV_NAME)
        if cv is None:
            return "no ClusterVersion seen (not an OpenShift cluster?)"
        update = view.picture.cluster.openshift_update
        if update is not None:
            return f"an OpenShift update to {update.to_version} is already in progress"
        if not available_updates(cv):
            return "the cluster offers no OpenShift update"
        return ""

    async def propose(self, ctx: ActionContext, **params: Any) -> Change:
        """`version=` one of the available updates."""
        version = str(params["version"])
        cv = await get_object(ctx.client, CLUSTER_VERSION, None, CV_NAME)
        running = _in_progress(cv)
        if running:
            raise Refused(f"an OpenShift update to {running} is already in progress")
        offered = dict(available_updates(cv))
        if version not in offered:
            listed = ", ".join(offered) or "none"
            raise Refused(f"{version} is not an available update (available: {listed})")
        current = as_str(dig(cv, "status", "desired", "version"))
        ops: list[Operation] = []
        if current:
            ops.append(
                {"op": "test", "path": pointer("status", "desired", "version"), "value": current}
            )
        spec = as_dict(cv.get("spec"))
        ops.append({"op": "test", "path": pointer("spec"), "value": spec})
        desired: dict[str, Any] = {"version": version}
        if offered[version]:
            desired["image"] = offered[version]
        ops.append({"op": "add", "path": pointer("spec", "desiredUpdate"), "value": desired})
        kind = "minor" if minor_of(version) != minor_of(current) else "z-stream"
        summary = [
            f"Sets spec.desiredUpdate on ClusterVersion {CV_NAME}: OpenShift "
            f"{current or '(unknown)'} -> {version} ({kind} update).",
            "The cluster-version operator updates the control plane; then the machine-config "
            "operator drains and reboots every node of each pool that is not paused.",
        ]
        notes = await self._notes(ctx, version, kind)
        return Change(
            action=self.id,
            title=f"Update OpenShift to {version}",
            target=Target(CLUSTER_VERSION, None, CV_NAME),
            operations=tuple(ops),
            summary=tuple(summary),
            before={"spec.desiredUpdate": spec.get("desiredUpdate"), "status.desired": current},
            after={"spec.desiredUpdate": desired},
            dangerous=True,
            confirm_word=version,
            notes=tuple(notes),
            params={"version": version},
            seen_version=resource_version(cv),
        )

    async def _notes(self, ctx: ActionContext, version: str, kind: str) -> list[str]:
        """Facts that change the decision: paused pools, a CNV that blocks a minor update."""
        notes: list[str] = []
        with contextlib.suppress(Refused):
            pools = await list_objects(ctx.client, MCP, None)
            paused = sorted(
                as_str(dig(p, "metadata", "name"))
                for p in pools
                if dig(p, "spec", "paused") is True
            )
            if paused:
                notes.append(
                    f"Paused pools ({', '.join(paused)}) keep their nodes on the old version "
                    "until unpaused."
                )
        if kind == "minor":
            with contextlib.suppress(Refused):
                hco = await read_hco(ctx.client, await ctx.hco_api(), ctx.hco_namespace)
                upgradeable = condition(hco, "Upgradeable")
                if upgradeable is not None and upgradeable.status == "False":
                    notes.append(
                        "The HCO reports Upgradeable=False"
                        + (f" ({upgradeable.message})" if upgradeable.message else "")
                        + ": the cluster-version operator refuses a minor update until it is True."
                    )
            notes.append(
                f"OpenShift Virtualization must follow: CNV {minor_of(version)} is offered only "
                f"once OpenShift runs {minor_of(version)}."
            )
        return notes

    def done_in(self, change: Change, obj: Obj) -> bool:
        return as_str(dig(obj, "spec", "desiredUpdate", "version")) == change.params.get("version")
