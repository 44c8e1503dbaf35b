"""Approve the pending CNV update: only the InstallPlan the Subscription names, only while it
waits in RequiresApproval.

Approving any other plan (an old Complete one, one a newer bundle superseded) or approving a
plan OLM is still resolving is a known way to wedge an update, so those are refused with the
reason before any preview. The preview is the console's "Preview Install Plan": the CSV it
installs and the one it replaces, and every resource in `status.plan[]`. The patch tests that
the plan is still unapproved and still RequiresApproval; just before sending, the Subscription
is read again to make sure it still names the same plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cnvtui.actions.base import Action, Change, Changed, Permission, Refused, Target, View
from cnvtui.actions.context import ActionContext
from cnvtui.actions.fetch import get_object, list_objects, resource_version
from cnvtui.actions.jsonpatch import Operation, pointer
from cnvtui.kube.events import Obj
from cnvtui.kube.resources import INSTALL_PLAN, SUBSCRIPTION
from cnvtui.state.cluster import find_subscription, plan_ref
from cnvtui.state.views import as_dict, as_list, as_str, as_str_list, dig

__all__ = ["ApprovePlan", "PlanPreview", "PlanStep", "version_of_csv"]

REQUIRES_APPROVAL = "RequiresApproval"


@dataclass(frozen=True, slots=True)
class PlanStep:
    """One entry of `status.plan[]`: a resource the plan creates or updates."""

    kind: str
    name: str
    group: str
    version: str
    status: str


@dataclass(frozen=True, slots=True)
class PlanPreview:
    """What approving the plan will install."""

    plan: str
    namespace: str
    phase: str
    csv_names: tuple[str, ...]
    from_csv: str
    to_csv: str
    steps: tuple[PlanStep, ...]

    @property
    def from_version(self) -> str:
        return version_of_csv(self.from_csv)

    @property
    def to_version(self) -> str:
        return version_of_csv(self.to_csv)


def version_of_csv(name: str) -> str:
    """ "kubevirt-hyperconverged-operator.v4.14.3" -> "4.14.3" ("" when there is none)."""
    _, sep, tail = name.rpartition(".v")
    return tail if sep and tail[:1].isdigit() else ""


def _steps(plan: Obj) -> tuple[PlanStep, ...]:
    steps = []
    for raw in as_list(dig(plan, "status", "plan")):
        resource = as_dict(as_dict(raw).get("resource"))
        steps.append(
            PlanStep(
                kind=as_str(resource.get("kind")),
                name=as_str(resource.get("name")),
                group=as_str(resource.get("group")),
                version=as_str(resource.get("version")),
                status=as_str(as_dict(raw).get("status")),
            )
        )
    return tuple(steps)


class ApprovePlan(Action):
    """Set `spec.approved: true` on the Subscription's current InstallPlan."""

    id = "approve"
    title = "Approve the pending update"
    dangerous = True

    def permission(self, ctx: ActionContext) -> Permission:
        return Permission("patch", INSTALL_PLAN, ctx.hco_namespace)

    def applies(self, view: View) -> str:
        if view.picture.awaiting_approval is not None:
            return ""
        current = next((p for p in view.picture.install_plans if p.is_current), None)
        if current is None:
            return "no install plan waits for approval"
        return f"install plan {current.name} cannot be approved: {current.why_not}"

    async def _subscription(self, ctx: ActionContext) -> Obj:
        subs = await list_objects(ctx.client, SUBSCRIPTION, ctx.hco_namespace)
        keyed = {(ctx.hco_namespace, as_str(dig(s, "metadata", "name"))): s for s in subs}
        sub = find_subscription(keyed, ctx.hco_namespace)
        if sub is None:
            raise Refused(f"no Subscription for OpenShift Virtualization in {ctx.hco_namespace}")
        return sub

    async def propose(self, ctx: ActionContext, **params: Any) -> Change:
        """`plan=` the plan the user pointed at (default: the Subscription's).

        A fresh preview after a conflict omits `plan`: it shows whatever the Subscription
        names now, and needs its own confirmation.
        """
        wanted = params.get("plan")
        sub = await self._subscription(ctx)
        ref = plan_ref(sub)
        if not ref:
            raise Refused("the Subscription names no install plan: there is nothing to approve")
        name = str(wanted) if wanted else ref
        if name != ref:
            raise Refused(
                f"{name} cannot be approved: it is not the plan the Subscription names ({ref}); "
                "approving another plan can wedge the update"
            )
        plan = await get_object(ctx.client, INSTALL_PLAN, ctx.hco_namespace, name)
        spec = as_dict(plan.get("spec"))
        phase = as_str(dig(plan, "status", "phase"))
        if spec.get("approved") is True:
            raise Refused(f"{name} is already approved")
        if phase != REQUIRES_APPROVAL:
            raise Refused(
                f"{name} is {phase or 'not yet resolved'}, not RequiresApproval: approving "
                "before OLM has finished planning can wedge the update; wait for it"
            )
        csvs = as_str_list(spec.get("clusterServiceVersionNames"))
        preview = PlanPreview(
            plan=name,
            namespace=ctx.hco_namespace,
            phase=phase,
            csv_names=csvs,
            from_csv=as_str(dig(sub, "status", "installedCSV")),
            to_csv=csvs[0] if csvs else as_str(dig(sub, "status", "currentCSV")),
            steps=_steps(plan),
        )
        ops: list[Operation] = []
        if "approved" in spec:
            ops.append({"op": "test", "path": pointer("spec", "approved"), "value": False})
        ops.append({"op": "test", "path": pointer("status", "phase"), "value": REQUIRES_APPROVAL})
        ops.append({"op": "add", "path": pointer("spec", "approved"), "value": True})
        to = preview.to_csv + (f" ({preview.to_version})" if preview.to_version else "")
        frm = preview.from_csv or "nothing installed"
        if preview.from_version:
            frm += f" ({preview.from_version})"
        summary = (
            f"Sets spec.approved from false to true on InstallPlan {ctx.hco_namespace}/{name}.",
            f"OLM then installs {to}, replacing {frm}.",
            f"{len(preview.steps)} resources in the plan are created or updated.",
            "This starts the update at once; it cannot be taken back by un-approving.",
        )
        return Change(
            action=self.id,
            title=f"Approve install plan {name}",
            target=Target(INSTALL_PLAN, ctx.hco_namespace, name),
            operations=tuple(ops),
            summary=summary,
            before={"spec.approved": spec.get("approved", False), "status.phase": phase},
            after={"spec.approved": True},
            dangerous=True,
            detail=preview,
            params={"subscription": as_str(dig(sub, "metadata", "name"))},
            seen_version=resource_version(plan),
        )

    async def before_send(self, ctx: ActionContext, change: Change) -> None:
        sub = await get_object(
            ctx.client, SUBSCRIPTION, ctx.hco_namespace, str(change.params["subscription"])
        )
        ref = plan_ref(sub)
        if ref != change.target.name:
            now = ref or "no plan"
            raise Changed(f"the Subscription now names {now} instead of {change.target.name}")

    def done_in(self, change: Change, obj: Obj) -> bool:
        return dig(obj, "spec", "approved") is True
