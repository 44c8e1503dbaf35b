"""The one path from a confirmed change to the cluster, with every safety check on it.

`availability` decides what the UI offers (hidden in read-only mode or when the action does
not apply; shown but unavailable, with the missing permission, when the access review said
no). `propose` reads fresh objects and builds the preview. `apply` sends the confirmed patch
once (a second press while it is in flight is ignored), and turns the answer into an
`Outcome`: after a 409/422 it re-reads the object, and if a `test` no longer holds it reports
"changed since you looked" with a fresh preview, or "already done" when someone (or an earlier
press) already made the change. Every attempt is audited and put on the timeline.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from cnvtui.actions.audit import audit_record
from cnvtui.actions.base import (
    Action,
    Availability,
    Change,
    Changed,
    Outcome,
    OutcomeKind,
    Permission,
    Refused,
    View,
)
from cnvtui.actions.context import ActionContext
from cnvtui.actions.fetch import get_object
from cnvtui.actions.jsonpatch import failed_tests
from cnvtui.actions.permissions import Permissions
from cnvtui.kube.events import SessionNote
from cnvtui.kube.writer import WriteResult
from cnvtui.state.model import Severity

__all__ = ["ActionRunner"]

READ_ONLY = "read-only mode: cnvtui sends no writes"


class ActionRunner:
    """Runs the actions of one dashboard against one cluster."""

    def __init__(self, ctx: ActionContext, actions: Iterable[Action]) -> None:
        self.ctx = ctx
        self.actions: dict[str, Action] = {a.id: a for a in actions}
        self._inflight: set[str] = set()

    def action(self, action_id: str) -> Action:
        return self.actions[action_id]

    # ---- offering

    def permission(self, action_id: str) -> Permission:
        return self.actions[action_id].permission(self.ctx)

    def availability(self, action_id: str, view: View | None) -> Availability:
        """Whether to show the action's key and whether it may run (see the module doc)."""
        if self.ctx.read_only:
            return Availability.hidden(READ_ONLY)
        action = self.actions.get(action_id)
        if action is None:
            return Availability.hidden(f"unknown action {action_id}")
        if view is None:
            return Availability.hidden("no data from the cluster yet")
        why = action.applies(view)
        if why:
            return Availability.hidden(why)
        perm = action.permission(self.ctx)
        denied = Permissions.explain(perm, self.ctx.permissions.cached(perm))
        if denied:
            return Availability.denied(denied)
        return Availability.ok()

    async def check_permissions(self, *, again: bool = False) -> None:
        """Ask the access reviews of every action (nothing in read-only mode)."""
        if self.ctx.read_only:
            return
        perms = [a.permission(self.ctx) for a in self.actions.values()]
        if again:
            await self.ctx.permissions.refresh(perms)
        else:
            await self.ctx.permissions.check_all(perms)

    # ---- previewing

    async def ensure_allowed(self, action_id: str) -> None:
        """Raise `Refused` in read-only mode or when the access review says no."""
        if self.ctx.read_only:
            raise Refused(READ_ONLY)
        perm = self.actions[action_id].permission(self.ctx)
        denied = Permissions.explain(perm, await self.ctx.permissions.check(perm))
        if denied:
            raise Refused(denied)

    async def propose(self, action_id: str, **params: Any) -> Change:
        """The preview of an action from fresh objects; raises `Refused` with the reason."""
        await self.ensure_allowed(action_id)
        return await self.actions[action_id].propose(self.ctx, **params)

    # ---- applying

    async def apply(self, change: Change) -> Outcome:
        """Send a confirmed change once and say what came of it."""
        if self.ctx.read_only:
            return Outcome(OutcomeKind.REFUSED, READ_ONLY, change)
        key = f"{change.action}:{change.target.describe()}"
        if key in self._inflight:
            return Outcome(OutcomeKind.BUSY, f"{change.title}: already being sent", change)
        self._inflight.add(key)
        try:
            outcome = await self._apply(self.actions[change.action], change)
        finally:
            self._inflight.discard(key)
        await self._record(change, outcome)
        return outcome

    async def _apply(self, action: Action, change: Change) -> Outcome:
        try:
            await action.before_send(self.ctx, change)
        except Changed as exc:
            return await self._conflict(action, change, str(exc), None)
        except Refused as exc:
            return Outcome(OutcomeKind.REFUSED, str(exc), change)
        target = change.target
        result = await self.ctx.writer.json_patch(
            target.kind, target.name, list(change.operations), namespace=target.namespace
        )
        await action.after_send(self.ctx, change, result)
        if result.ok:
            return Outcome(OutcomeKind.DONE, f"{change.title}: done", change, result=result)
        if result.code in (409, 422):
            return await self._rejected(action, change, result)
        if result.code == 403:
            self.ctx.permissions.mark_denied(action.permission(self.ctx), result.message)
        return Outcome(OutcomeKind.FAILED, result.message, change, result=result)

    async def _rejected(self, action: Action, change: Change, result: WriteResult) -> Outcome:
        target = change.target
        try:
            obj = await get_object(self.ctx.client, target.kind, target.namespace, target.name)
        except Refused as exc:
            message = f"{result.message}; re-reading {target.describe()} failed too: {exc}"
            return Outcome(OutcomeKind.FAILED, message, change, result=result)
        failed = failed_tests(obj, list(change.operations))
        if not failed and result.code != 409:
            return Outcome(OutcomeKind.FAILED, result.message, change, result=result)
        if action.done_in(change, obj):
            message = (
                f"{change.title}: already done ({target.describe()} is already in that state; "
                "nothing changed)"
            )
            return Outcome(OutcomeKind.ALREADY, message, change, result=result)
        what = "; ".join(
            f"{path} is now {_short(found)} (you saw {_short(seen)})"
            for path, seen, found in failed[:3]
        )
        return await self._conflict(action, change, what or "its resourceVersion moved", result)

    async def _conflict(
        self, action: Action, change: Change, what: str, result: WriteResult | None
    ) -> Outcome:
        head = f"{change.target.describe()} changed since you looked: {what}"
        try:
            fresh = await action.propose(self.ctx, **change.params)
        except Refused as exc:
            return Outcome(OutcomeKind.CONFLICT, f"{head}; {exc}", change, result=result)
        message = f"{head}. Nothing was changed; review the fresh preview."
        return Outcome(OutcomeKind.CONFLICT, message, change, fresh=fresh, result=result)

    async def _record(self, change: Change, outcome: Outcome) -> None:
        ctx = self.ctx
        result = outcome.result
        target = change.target
        at = ctx.now()
        record = audit_record(
            ctx.info,
            at=at,
            action=change.action,
            title=change.title,
            target={
                "apiVersion": target.kind.api_version,
                "kind": target.kind.kind,
                "namespace": target.namespace if target.kind.namespaced else None,
                "name": target.name,
                "seenResourceVersion": change.seen_version,
            },
            patch=list(change.operations),
            before=change.before,
            after=change.after,
            outcome=outcome.kind.value,
            ok=outcome.ok,
            code=result.code if result is not None else 0,
            reason=result.reason if result is not None else outcome.kind.value,
            message=outcome.message,
            sent=result is not None and result.sent,
        )
        try:
            await ctx.audit.append(record)
        except OSError as exc:
            if ctx.timeline is not None:
                note = f"audit log {ctx.audit.path} not written: {exc}"
                ctx.timeline.add(at, "action", target.describe(), note, Severity.ERROR)
        severity = {
            OutcomeKind.DONE: Severity.OK,
            OutcomeKind.ALREADY: Severity.INFO,
            OutcomeKind.BUSY: Severity.INFO,
            OutcomeKind.CONFLICT: Severity.WARNING,
        }.get(outcome.kind, Severity.ERROR)
        who = ctx.info.user or ctx.info.context
        text = f"{who}: {outcome.message}"
        if ctx.timeline is not None:
            ctx.timeline.add(at, "action", target.describe(), text, severity)
        if ctx.journal is not None:
            ctx.journal(SessionNote(at, "action", target.describe(), text, severity.value))


def _short(value: object, limit: int = 80) -> str:
    text = "absent" if value is None else json.dumps(value, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 1] + "…"
