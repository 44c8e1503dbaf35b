"""`manual-approval`: an update waits for approval, and approving has real consequences."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace

from cnvtui.sim.controllers.releases import Bundle
from cnvtui.sim.scenarios import SCENARIOS
from cnvtui.sim.scenarios.model import build_scenario
from cnvtui.sim.server import SimServer

from .test_scenario_kit import NS, START, Api, Json, cond, running, scenario, until

OLD_CSV = "kubevirt-hyperconverged-operator.v4.14.3"
NEW_CSV = "kubevirt-hyperconverged-operator.v4.14.4"
SUB = "kubevirt-hyperconverged"
Sim = Callable[..., Awaitable[SimServer]]


async def _referenced(api: Api) -> Json:
    sub = await api.get("sub", SUB)
    return await api.get("ip", sub["status"]["installPlanRef"]["name"])


async def _approve(api: Api, plan: str) -> None:
    await api.patch("ip", plan, {"spec": {"approved": True}})


async def _csvs(api: Api) -> dict[str, str]:
    return {c["metadata"]["name"]: c["status"].get("phase", "") for c in await api.list("csv", NS)}


async def test_update_waits_for_approval_of_the_referenced_plan(sim: Sim) -> None:
    built = scenario("manual-approval", vmis=6)
    clock = built.clock
    async with running(sim, built) as (_, api):
        first_plan = (await _referenced(api))["metadata"]["name"]

        async def waiting() -> bool:
            plan = await _referenced(api)
            return bool(plan["status"].get("phase") == "RequiresApproval")

        await until(clock, waiting, step=10, limit=600, what="RequiresApproval")
        plan = await _referenced(api)
        assert plan["metadata"]["name"] != first_plan
        assert plan["spec"]["approval"] == "Manual" and plan["spec"]["approved"] is False
        assert plan["spec"]["clusterServiceVersionNames"] == [NEW_CSV]
        preview = {s["resource"]["kind"] for s in plan["status"]["plan"]}
        assert {"ClusterServiceVersion", "CustomResourceDefinition"} <= preview
        sub = await api.get("sub", SUB)
        assert sub["status"]["state"] == "UpgradePending"
        pending = cond(sub, "InstallPlanPending")
        assert (pending["status"], pending["reason"]) == ("True", "RequiresApproval")
        assert sub["status"]["currentCSV"] == NEW_CSV
        assert sub["status"]["installedCSV"] == OLD_CSV

        # An hour later nothing has moved: nobody approved.
        await clock.advance(3600)
        assert (await _referenced(api))["status"]["phase"] == "RequiresApproval"
        assert await _csvs(api) == {OLD_CSV: "Succeeded"}
        hco = await api.get("hco", "kubevirt-hyperconverged")
        assert hco["status"]["versions"][0]["version"] == "4.14.3"

        # Approving an old, completed plan does nothing.
        await _approve(api, first_plan)
        await clock.advance(600)
        assert await _csvs(api) == {OLD_CSV: "Succeeded"}
        assert (await _referenced(api))["status"]["phase"] == "RequiresApproval"

        await _approve(api, plan["metadata"]["name"])

        async def installed() -> bool:
            return (await _csvs(api)) == {NEW_CSV: "Succeeded"}

        await until(clock, installed, step=30, limit=3600, what="CSV 4.14.4 Succeeded")
        done = await api.get("ip", plan["metadata"]["name"])
        assert done["status"]["phase"] == "Complete"
        sub = await api.get("sub", SUB)
        assert sub["status"]["state"] == "AtLatestKnown"
        assert sub["status"]["installedCSV"] == NEW_CSV
        assert not cond(sub, "InstallPlanPending")


async def test_approving_a_plan_still_planning_makes_olm_write_a_duplicate(sim: Sim) -> None:
    built = scenario("manual-approval", vmis=4)
    clock = built.clock
    async with running(sim, built) as (_, api):
        first_plan = (await _referenced(api))["metadata"]["name"]

        async def planning() -> bool:
            plan = await _referenced(api)
            return bool(plan["metadata"]["name"] != first_plan)

        await until(clock, planning, step=5, limit=600, what="a new plan")
        early = await _referenced(api)
        assert early["status"]["phase"] == "Planning"
        await _approve(api, early["metadata"]["name"])

        async def duplicated() -> bool:
            plan = await _referenced(api)
            return bool(plan["metadata"]["name"] != early["metadata"]["name"])

        await until(clock, duplicated, step=5, limit=600, what="a duplicate plan")
        await clock.advance(60)
        duplicate = await _referenced(api)
        assert duplicate["spec"]["clusterServiceVersionNames"] == [NEW_CSV]
        assert duplicate["spec"]["approved"] is False
        assert duplicate["spec"]["generation"] > early["spec"]["generation"]
        assert duplicate["status"]["phase"] == "RequiresApproval"
        left = await api.get("ip", early["metadata"]["name"])
        assert left["spec"]["approved"] is True and left["status"]["phase"] == "Planning"
        # The update is stuck until someone approves the duplicate.
        await clock.advance(1800)
        assert await _csvs(api) == {OLD_CSV: "Succeeded"}
        assert (await api.get("sub", SUB))["status"]["state"] == "UpgradePending"

        await _approve(api, duplicate["metadata"]["name"])

        async def installed() -> bool:
            return (await _csvs(api)).get(NEW_CSV) == "Succeeded"

        await until(clock, installed, step=30, limit=3600, what="CSV 4.14.4 Succeeded")


async def test_a_newer_bundle_supersedes_a_waiting_plan_and_approving_the_old_one_does_nothing(
    sim: Sim,
) -> None:
    story = replace(
        SCENARIOS["manual-approval"],
        bundles=(Bundle("4.14.3"), Bundle("4.14.4", after=60), Bundle("4.14.5", after=1800)),
    )
    built = build_scenario(story, vmis=4, seed=0, speed=0, start=START)
    clock = built.clock
    async with running(sim, built) as (_, api):

        async def waiting_for(csv: str) -> bool:
            plan = await _referenced(api)
            return bool(
                plan["spec"]["clusterServiceVersionNames"] == [csv]
                and plan["status"].get("phase") == "RequiresApproval"
            )

        await until(clock, lambda: waiting_for(NEW_CSV), step=10, limit=900, what="4.14.4 plan")
        stale = (await _referenced(api))["metadata"]["name"]
        newest = "kubevirt-hyperconverged-operator.v4.14.5"
        await until(clock, lambda: waiting_for(newest), step=30, limit=3600, what="4.14.5 plan")
        assert (await api.get("ip", stale))["status"]["phase"] == "RequiresApproval"

        await _approve(api, stale)
        await clock.advance(900)
        assert await _csvs(api) == {OLD_CSV: "Succeeded"}
        assert (await _referenced(api))["spec"]["clusterServiceVersionNames"] == [newest]
        assert (await api.get("sub", SUB))["status"]["state"] == "UpgradePending"

        await _approve(api, (await _referenced(api))["metadata"]["name"])

        async def installed() -> bool:
            return (await _csvs(api)) == {newest: "Succeeded"}

        await until(clock, installed, step=30, limit=3600, what="CSV 4.14.5 Succeeded")
        csv = await api.get("csv", newest)
        assert csv["spec"]["replaces"] == OLD_CSV
