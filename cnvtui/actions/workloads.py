"""Stop workload updates around an EUS update, and restore them afterwards.

Stop backs the methods up and sets `[]` in one patch: the backup annotations are written in
the same request that empties the list, so there is never a moment with the methods gone and
no backup on the cluster. The local copy is written before the request leaves, and removed
again only when the server definitely refused it.

Restore puts the backup back (the cluster's annotation first, the local file when the
annotation is gone) and removes the annotations in the same patch. With no backup anywhere it
offers the default, LiveMigrate, and says so.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from cnvtui.actions.backup import (
    LocalBackup,
    cluster_backup,
    drop_backup_operations,
    stamp,
    take_backup_operations,
)
from cnvtui.actions.base import Change, Refused, View
from cnvtui.actions.context import ActionContext
from cnvtui.actions.fetch import resource_version
from cnvtui.actions.hco_action import HcoAction, hco_target, listed
from cnvtui.actions.hco_api import methods_of, methods_operations, strategy_of
from cnvtui.kube.events import Obj
from cnvtui.kube.writer import WriteResult
from cnvtui.state.hco import HCO_NAME
from cnvtui.state.views import as_dict, dig
from cnvtui.state.workloads import BACKUP_ANNOTATION, DEFAULT_METHODS

__all__ = ["RestoreWorkloadUpdates", "StopWorkloadUpdates"]


def _backup_held(obj: Obj) -> bool:
    return BACKUP_ANNOTATION in as_dict(dig(obj, "metadata", "annotations"))


class StopWorkloadUpdates(HcoAction):
    """Back up `workloadUpdateMethods` and set it to `[]` (EUS step 2)."""

    id = "stop_workloads"
    title = "Stop workload updates"
    dangerous = True

    def __init__(self) -> None:
        self._previous: dict[float, LocalBackup | None] = {}
        """The local backup a stop in flight replaced, to put back if the server refuses."""

    def applies_to_hco(self, view: View) -> str:
        if not view.picture.workload_strategy.methods:
            return "workload updates are already stopped (methods [])"
        return ""

    async def propose(self, ctx: ActionContext, **params: Any) -> Change:
        hco, api = await self.current(ctx)
        methods = methods_of(strategy_of(hco, api))
        if not methods:
            raise Refused("workload updates are already stopped (workloadUpdateMethods is [])")
        at = ctx.now()
        old = cluster_backup(hco)
        ops = [*methods_operations(hco, api, ()), *take_backup_operations(hco, methods, at)]
        summary = [
            f"Backs up workloadUpdateMethods {listed(methods)} into the annotation "
            f"{BACKUP_ANNOTATION} on HyperConverged {ctx.hco_namespace}/{HCO_NAME}, "
            "and into a local file, then sets it to [].",
            "From then on no VM is live migrated or evicted to a new launcher; outdated VMIs "
            "stay outdated until workload updates are restored.",
        ]
        if old is not None:
            summary.append(
                f"Replaces the older backup {old.raw} "
                f"(taken {stamp(old.taken_at) if old.taken_at else 'at an unknown time'})."
            )
        return Change(
            action=self.id,
            title=self.title,
            target=hco_target(api, ctx.hco_namespace),
            operations=tuple(ops),
            summary=tuple(summary),
            before={api.key("workloadUpdateMethods"): list(methods)},
            after={
                api.key("workloadUpdateMethods"): [],
                f"metadata.annotations.{BACKUP_ANNOTATION}": list(methods),
            },
            dangerous=True,
            params={},
            detail=LocalBackup(
                methods=methods,
                taken_at=at,
                server=ctx.client.server,
                context=ctx.info.context,
                user=ctx.info.user,
                namespace=ctx.hco_namespace,
                name=HCO_NAME,
                state="sending",
            ),
            seen_version=resource_version(hco),
        )

    async def before_send(self, ctx: ActionContext, change: Change) -> None:
        backup = change.detail
        if isinstance(backup, LocalBackup):
            self._previous[backup.taken_at] = await ctx.backups.load(backup.namespace, backup.name)
            try:
                await ctx.backups.save(backup)
            except OSError as exc:
                raise Refused(
                    f"the local backup could not be written, nothing sent: {exc}"
                ) from exc

    async def after_send(self, ctx: ActionContext, change: Change, result: WriteResult) -> None:
        backup = change.detail
        if not isinstance(backup, LocalBackup):
            return
        previous = self._previous.pop(backup.taken_at, None)
        if result.ok:
            await ctx.backups.save(replace(backup, state="held"))
        elif not result.sent or 400 <= result.code < 500:
            if previous is not None:
                await ctx.backups.save(previous)
            else:
                await ctx.backups.remove(backup.namespace, backup.name)

    def done_in(self, change: Change, obj: Obj) -> bool:
        return not self.methods_in(change, obj) and _backup_held(obj)


class RestoreWorkloadUpdates(HcoAction):
    """Put the backed-up methods back and drop the backup (EUS step 6)."""

    id = "restore_workloads"
    title = "Restore workload updates"
    dangerous = False

    def applies_to_hco(self, view: View) -> str:
        strategy = view.picture.workload_strategy
        if not strategy.methods or strategy.backup is not None:
            return ""
        return "workload updates are running and no backup is held"

    async def propose(self, ctx: ActionContext, **params: Any) -> Change:
        hco, api = await self.current(ctx)
        current = methods_of(strategy_of(hco, api))
        on_cluster = cluster_backup(hco)
        local = await ctx.backups.load(ctx.hco_namespace, HCO_NAME)
        notes: list[str] = []
        if on_cluster is not None and on_cluster.valid:
            methods, source = on_cluster.methods, f"the backup on the cluster ({BACKUP_ANNOTATION})"
            if local is not None and local.methods != methods:
                notes.append(
                    f"The local backup says {listed(local.methods)}; the cluster's, shared "
                    "with every operator, wins."
                )
        elif local is not None:
            methods, source = (
                local.methods,
                f"the local backup ({ctx.backups.path(ctx.hco_namespace, HCO_NAME)})",
            )
            if on_cluster is not None:
                notes.append(
                    f"The backup annotation on the cluster is unreadable: {on_cluster.raw!r}"
                )
            else:
                notes.append(
                    "The backup annotation is gone from the cluster; using the local copy."
                )
        else:
            methods, source = DEFAULT_METHODS, "the default (no backup found)"
            notes.append(
                "No backup was found on the cluster or locally: this restores the default "
                f"{listed(DEFAULT_METHODS)}. Check that this is what the cluster used before."
            )
        if methods == current and on_cluster is None and local is None:
            raise Refused(
                f"nothing to restore: workloadUpdateMethods is already {listed(current)} "
                "and no backup is held"
            )
        ops = [*methods_operations(hco, api, methods), *drop_backup_operations(hco)]
        summary = [
            f"Sets workloadUpdateMethods {listed(current)} -> {listed(methods)} on "
            f"HyperConverged {ctx.hco_namespace}/{HCO_NAME}, from {source}.",
            "Outdated VMIs are then updated: "
            + (
                "live migrated where they can be, evicted otherwise."
                if len(methods) > 1
                else "by live migration only; VMIs that cannot migrate stay outdated."
                if methods == DEFAULT_METHODS
                else "by eviction (VMs restart)."
                if methods
                else "not at all (the backup itself is [])."
            ),
        ]
        if on_cluster is not None:
            summary.append("Removes the backup annotations from the HCO and the local copy.")
        elif local is not None:
            summary.append("Removes the local backup copy.")
        return Change(
            action=self.id,
            title=self.title,
            target=hco_target(api, ctx.hco_namespace),
            operations=tuple(ops),
            summary=tuple(summary),
            before={api.key("workloadUpdateMethods"): list(current)},
            after={api.key("workloadUpdateMethods"): list(methods)},
            notes=tuple(notes),
            params={},
            detail=methods,
            seen_version=resource_version(hco),
        )

    async def after_send(self, ctx: ActionContext, change: Change, result: WriteResult) -> None:
        if result.ok:
            await ctx.backups.remove(change.target.namespace or ctx.hco_namespace, HCO_NAME)

    def done_in(self, change: Change, obj: Obj) -> bool:
        return self.methods_in(change, obj) == change.detail and not _backup_held(obj)
