"""The refusals: read-only sends nothing, RBAC is asked first, errors are plain sentences."""

from __future__ import annotations

import asyncio
import stat

import pytest
import yaml

from cnvtui.actions import OutcomeKind, Refused
from cnvtui.actions.strategy import StrategyEdit
from cnvtui.kube import resources as res
from cnvtui.kube.client import KubeClient
from cnvtui.kube.config import ConfigSource
from cnvtui.state.timeline import Timeline
from tests.actions.cluster import HCO_NAME, NS, Awaiting, Cluster, ClusterFactory, pending_plan

ACTIONS = (
    "approve",
    "strategy",
    "stop_workloads",
    "restore_workloads",
    "pool_paused",
    "ocp_update",
)


async def test_read_only_offers_nothing_and_sends_nothing(awaiting: Awaiting) -> None:
    c = awaiting.cluster
    proposal = await c.runner().propose("approve")
    hco_before = await c.get(res.HCO, NS, HCO_NAME)
    sent_before = len(c.writes)
    runner = c.runner(read_only=True)
    view = await c.view()

    await runner.check_permissions()
    for action in ACTIONS:
        availability = runner.availability(action, view)
        assert not availability.shown and "read-only" in availability.reason
        with pytest.raises(Refused, match="read-only"):
            await runner.propose(action)
    outcome = await runner.apply(proposal)

    assert outcome.kind is OutcomeKind.REFUSED
    assert c.writes[sent_before:] == []
    assert (await c.get(res.HCO, NS, HCO_NAME)) == hco_before
    plan = await c.get(res.INSTALL_PLAN, NS, proposal.target.name)
    assert plan["spec"]["approved"] is False


async def test_read_only_writer_refuses_below_the_ui(steady: Cluster) -> None:
    runner = steady.runner(read_only=True)
    result = await runner.ctx.writer.json_patch(
        res.MCP, "worker", [{"op": "add", "path": "/spec/paused", "value": True}]
    )
    assert not result.ok and not result.sent
    assert steady.writes == []


async def test_viewer_sees_actions_unavailable_and_why(cluster: ClusterFactory) -> None:
    c = await cluster("manual-approval", role="viewer")
    await pending_plan(c)
    runner = c.runner()
    view = await c.view()

    await runner.check_permissions()

    approve = runner.availability("approve", view)
    assert approve.shown and not approve.allowed
    assert approve.reason == (
        "not permitted: needs patch installplans.operators.coreos.com in openshift-cnv"
    )
    strategy = runner.availability("strategy", view)
    assert not strategy.allowed
    assert "patch hyperconvergeds.hco.kubevirt.io kubevirt-hyperconverged" in strategy.reason
    pools = runner.availability("pool_paused", view)
    assert "machineconfigpools" in pools.reason and "cluster-scoped" in pools.reason
    with pytest.raises(Refused, match="not permitted"):
        await runner.propose("approve")
    assert c.patches == []


async def test_an_operator_may_steer_workloads_but_not_update_openshift(
    cluster: ClusterFactory,
) -> None:
    c = await cluster("eus", role="operator")
    runner = c.runner()
    view = await c.view()
    await runner.check_permissions()
    assert runner.availability("strategy", view).allowed
    assert runner.availability("pool_paused", view).allowed
    ocp = runner.availability("ocp_update", view)
    assert ocp.shown and not ocp.allowed and "clusterversions" in ocp.reason


async def test_permission_revoked_after_the_preview_is_a_clear_403(steady: Cluster) -> None:
    runner = steady.runner()
    change = await runner.propose("pool_paused", pool="worker", paused=True)
    steady.set_role("viewer")

    outcome = await runner.apply(change)

    assert outcome.kind is OutcomeKind.FAILED
    assert outcome.message.startswith("forbidden:")
    assert "cannot patch" in outcome.message
    assert not runner.availability("pool_paused", await steady.view()).allowed
    assert (await steady.pool("worker"))["spec"].get("paused") is not True


async def test_expired_credentials_say_so(steady: Cluster) -> None:
    assert steady.server.kubeconfig_path is not None
    config = yaml.safe_load(steady.server.kubeconfig_path.read_text())
    config["users"][0]["user"]["token"] = "expired-token-000000"
    stale = steady.server.kubeconfig_path.with_name("stale.kubeconfig")
    stale.write_text(yaml.safe_dump(config))
    client = await KubeClient.connect(ConfigSource(kubeconfig=str(stale)))
    try:
        runner = steady.runner(client=client)
        with pytest.raises(Refused, match="unauthorized"):
            await runner.propose("stop_workloads")
    finally:
        await client.close()


async def test_a_slow_server_times_out_with_a_warning_to_check(steady: Cluster) -> None:
    runner = steady.runner()
    change = await runner.propose("pool_paused", pool="worker", paused=True)
    runner.ctx.writer.timeout = 0.2
    steady.write_delay[0] = 1.0

    outcome = await runner.apply(change)

    assert outcome.kind is OutcomeKind.FAILED
    assert "may or may not have been changed" in outcome.message
    steady.write_delay[0] = 0.0


async def test_an_unreachable_server_is_a_message_not_a_crash(steady: Cluster) -> None:
    runner = steady.runner()
    change = await runner.propose("pool_paused", pool="worker", paused=True)
    await steady.server.stop()

    outcome = await runner.apply(change)

    assert outcome.kind is OutcomeKind.FAILED
    assert "cannot reach the API server" in outcome.message
    with pytest.raises(Refused, match="cannot reach"):
        await runner.propose("pool_paused", pool="worker", paused=True)


async def test_simultaneous_presses_send_one_patch(steady: Cluster) -> None:
    runner = steady.runner()
    change = await runner.propose(
        "strategy", edit=StrategyEdit(("LiveMigrate", "Evict"), 10, "1m0s")
    )

    outcomes = await asyncio.gather(runner.apply(change), runner.apply(change))

    assert sorted(o.kind.value for o in outcomes) == ["busy", "done"]
    assert steady.patches == [res.HCO.path(NS, HCO_NAME)]


async def test_writes_appear_on_the_timeline(steady: Cluster) -> None:
    runner = steady.runner()
    runner.ctx.timeline = Timeline()
    await runner.apply(await runner.propose("pool_paused", pool="worker", paused=True))

    entries = runner.ctx.timeline.entries()
    assert len(entries) == 1
    assert entries[0].kind == "action"
    assert entries[0].text == "alice: Pause machine pool worker: done"


async def test_access_reviews_are_cached_and_asked_again_on_reload(cluster: ClusterFactory) -> None:
    c = await cluster("steady", role="viewer")
    runner = c.runner()
    view = await c.view()
    await runner.check_permissions()
    reviews = runner.ctx.permissions.reviews_sent
    await runner.check_permissions()
    assert runner.ctx.permissions.reviews_sent == reviews
    assert not runner.availability("pool_paused", view).allowed
    c.set_role("admin")

    await runner.check_permissions(again=True)

    assert runner.availability("pool_paused", view).allowed
    assert runner.ctx.permissions.reviews_sent > reviews


async def test_a_state_directory_left_open_to_others_is_closed(steady: Cluster) -> None:
    """The audit log and backups live in cnvtui's own directory; made 0755 by someone (or an
    older version), it is tightened to 0700 on the first write."""
    state = steady.state_dir.parent / "shared-state"
    state.mkdir(mode=0o755)
    state.chmod(0o755)
    runner = steady.runner(state_dir=state)
    await runner.apply(await runner.propose("pool_paused", pool="worker", paused=True))
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    assert [p.name for p in state.iterdir() if p.is_file()], "the audit log is there"
