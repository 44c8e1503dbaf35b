"""Machine pools paused and unpaused; the OpenShift update started to an offered version."""

from __future__ import annotations

import pytest

from cnvtui.actions import OutcomeKind, Refused
from cnvtui.actions.openshift import available_updates
from cnvtui.kube import resources as res
from tests.actions.cluster import Cluster


async def test_pause_and_unpause_the_worker_pool(eus: Cluster) -> None:
    runner = eus.runner()
    assert runner.availability("pool_paused", await eus.view()).allowed
    pause = await runner.propose("pool_paused", pool="worker", paused=True)
    assert any("certificate rotation" in line for line in pause.summary)

    assert (await runner.apply(pause)).kind is OutcomeKind.DONE
    assert (await eus.pool("worker"))["spec"]["paused"] is True
    assert (await eus.pool("master"))["spec"].get("paused") is not True
    view = await eus.view()
    assert next(p for p in view.picture.cluster.pools if p.name == "worker").paused

    unpause = await runner.propose("pool_paused", pool="worker", paused=False)
    assert unpause.before == {"spec.paused": True}
    assert any(
        "machines of worker" in line or "will be drained" in line for line in unpause.summary
    )
    assert (await runner.apply(unpause)).kind is OutcomeKind.DONE
    assert (await eus.pool("worker"))["spec"]["paused"] is False
    assert eus.patches == [res.MCP.path(None, "worker")] * 2


async def test_pausing_a_paused_pool_is_refused(eus: Cluster) -> None:
    runner = eus.runner()
    await runner.apply(await runner.propose("pool_paused", pool="worker", paused=True))
    with pytest.raises(Refused, match="already paused"):
        await runner.propose("pool_paused", pool="worker", paused=True)


async def test_openshift_update_to_an_offered_version(eus: Cluster) -> None:
    cv = await eus.cluster_version()
    offered = available_updates(cv)
    assert offered, "the EUS scenario offers OpenShift updates"
    version, image = offered[-1]
    runner = eus.runner()
    assert runner.availability("ocp_update", await eus.view()).allowed

    change = await runner.propose("ocp_update", version=version)

    assert change.confirm_word == version
    assert change.dangerous
    outcome = await runner.apply(change)
    assert outcome.kind is OutcomeKind.DONE, outcome.message
    cv = await eus.cluster_version()
    assert cv["spec"]["desiredUpdate"]["version"] == version
    if image:
        assert cv["spec"]["desiredUpdate"]["image"] == image


async def test_openshift_update_to_a_version_not_offered_is_refused(eus: Cluster) -> None:
    runner = eus.runner()
    with pytest.raises(Refused, match="not an available update"):
        await runner.propose("ocp_update", version="4.99.0")
    assert eus.patches == []


async def test_an_update_started_meanwhile_is_not_overridden(eus: Cluster) -> None:
    offered = available_updates(await eus.cluster_version())
    runner = eus.runner()
    change = await runner.propose("ocp_update", version=offered[-1][0])
    other = "4.13.1"
    await eus.patch(
        res.CLUSTER_VERSION,
        None,
        "version",
        [{"op": "add", "path": "/spec/desiredUpdate", "value": {"version": other}}],
    )

    outcome = await runner.apply(change)

    assert outcome.kind is OutcomeKind.CONFLICT
    cv = await eus.cluster_version()
    assert cv["spec"]["desiredUpdate"]["version"] == other
