"""Approving the pending update: the Subscription's plan, only while it waits, once."""

from __future__ import annotations

import os
import stat
from typing import Any

import pytest

from cnvtui.actions import OutcomeKind, Refused
from cnvtui.actions.approve import PlanPreview
from cnvtui.kube import resources as res
from tests.actions.cluster import MAIN_TOKEN, NS, OTHER_TOKEN, Awaiting, Cluster, ClusterFactory


async def _plans(c: Cluster) -> dict[str, dict[str, Any]]:
    return {p["metadata"]["name"]: p for p in await c.items(res.INSTALL_PLAN, NS)}


async def _older_plan(c: Cluster, current: str) -> str:
    """The completed plan the scenario keeps beside the one that waits."""
    return next(name for name in await _plans(c) if name != current)


async def test_approves_the_current_plan_and_no_other(awaiting: Awaiting) -> None:
    c, current = awaiting
    before = await _plans(c)
    assert len(before) >= 2, "the scenario has an older, completed plan beside the new one"
    runner = c.runner()

    assert runner.availability("approve", await c.view()).allowed
    change = await runner.propose("approve")
    preview = change.detail
    assert isinstance(preview, PlanPreview)
    assert change.target.name == current
    assert (preview.from_version, preview.to_version) == ("4.14.3", "4.14.4")
    assert any(step.kind == "ClusterServiceVersion" for step in preview.steps)
    assert {"op": "test", "path": "/status/phase", "value": "RequiresApproval"} in change.operations

    outcome = await runner.apply(change)

    assert outcome.kind is OutcomeKind.DONE, outcome.message
    after = await _plans(c)
    assert after[current]["spec"]["approved"] is True
    for name, plan in before.items():
        if name != current:
            assert after[name]["metadata"] == plan["metadata"], f"{name} was touched"
    assert c.patches == [res.INSTALL_PLAN.path(NS, current)]


async def test_a_second_press_changes_nothing(awaiting: Awaiting) -> None:
    c, current = awaiting
    runner = c.runner()
    change = await runner.propose("approve")
    assert (await runner.apply(change)).ok
    version = (await c.get(res.INSTALL_PLAN, NS, current))["metadata"]["resourceVersion"]

    again = await runner.apply(change)

    assert again.kind is OutcomeKind.ALREADY
    assert "already" in again.message
    assert (await c.get(res.INSTALL_PLAN, NS, current))["metadata"]["resourceVersion"] == version
    with pytest.raises(Refused, match="already approved"):
        await runner.propose("approve")


async def test_a_plan_the_subscription_does_not_name_cannot_be_approved(awaiting: Awaiting) -> None:
    c, current = awaiting
    old = await _older_plan(c, current)
    runner = c.runner()

    with pytest.raises(Refused, match=f"not the plan the Subscription names \\({current}\\)"):
        await runner.propose("approve", plan=old)

    assert c.patches == []
    view = await c.view()
    row = next(p for p in view.picture.install_plans if p.name == old)
    assert not row.can_approve and "not the plan the Subscription names" in row.why_not


async def test_a_plan_still_planning_is_not_offered(cluster: ClusterFactory) -> None:
    c = await cluster("steady")
    runner = c.runner()
    availability = runner.availability("approve", await c.view())
    assert not availability.shown
    with pytest.raises(Refused):
        await runner.propose("approve")


async def test_subscription_moving_on_is_a_conflict_with_nothing_sent(awaiting: Awaiting) -> None:
    c, current = awaiting
    old = await _older_plan(c, current)
    runner = c.runner()
    change = await runner.propose("approve")
    sub = (await c.items(res.SUBSCRIPTION, NS))[0]
    ref = dict(sub["status"]["installPlanRef"], name=old)
    await c.patch(
        res.SUBSCRIPTION,
        NS,
        sub["metadata"]["name"],
        [{"op": "replace", "path": "/status/installPlanRef", "value": ref}],
        subresource="status",
    )

    outcome = await runner.apply(change)

    assert outcome.kind is OutcomeKind.CONFLICT
    assert "changed since you looked" in outcome.message
    assert f"now names {old}" in outcome.message
    assert (await c.get(res.INSTALL_PLAN, NS, current))["spec"]["approved"] is False
    assert c.patches == []


async def test_every_attempt_is_audited_privately_without_secrets(awaiting: Awaiting) -> None:
    c, current = awaiting
    runner = c.runner()
    await runner.apply(await runner.propose("approve"))

    entries = runner.ctx.audit.entries()
    assert len(entries) == 1
    entry = entries[0]
    assert entry["user"] == "alice" and entry["context"] and entry["server"] == c.server.url
    assert entry["target"]["name"] == current
    assert entry["before"]["spec.approved"] is False and entry["after"]["spec.approved"] is True
    assert entry["result"]["ok"] is True and entry["result"]["code"] == 200
    path = runner.ctx.audit.path
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    text = path.read_text()
    assert MAIN_TOKEN not in text and OTHER_TOKEN not in text
