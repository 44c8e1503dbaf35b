"""Stop and restore workload updates: the backup on the cluster and on disk, across restarts
and machines."""

from __future__ import annotations

import json
import os
import stat

from cnvtui.actions import OutcomeKind
from cnvtui.kube import resources as res
from cnvtui.state.workloads import BACKUP_ANNOTATION, BACKUP_TAKEN_AT_ANNOTATION
from tests.actions.cluster import HCO_NAME, NS, Cluster


async def _stop(c: Cluster) -> None:
    runner = c.runner()
    outcome = await runner.apply(await runner.propose("stop_workloads"))
    assert outcome.kind is OutcomeKind.DONE, outcome.message


async def test_stop_backs_up_then_empties_in_one_patch(steady: Cluster) -> None:
    runner = steady.runner()
    change = await runner.propose("stop_workloads")

    outcome = await runner.apply(change)

    assert outcome.kind is OutcomeKind.DONE, outcome.message
    assert await steady.methods() == []
    annotations = await steady.annotations()
    assert json.loads(annotations[BACKUP_ANNOTATION]) == ["LiveMigrate"]
    assert annotations[BACKUP_TAKEN_AT_ANNOTATION].endswith("Z")
    assert steady.patches == [res.HCO.path(NS, HCO_NAME)]
    local = runner.ctx.backups.path(NS, HCO_NAME)
    assert stat.S_IMODE(os.stat(local).st_mode) == 0o600
    saved = json.loads(local.read_text())
    assert saved["methods"] == ["LiveMigrate"] and saved["state"] == "held"
    view = await steady.view()
    assert view.picture.workload_strategy.backup is not None
    assert view.picture.workload_strategy.backup.methods == ("LiveMigrate",)
    assert not runner.availability("stop_workloads", view).shown
    assert runner.availability("restore_workloads", view).allowed


async def test_restore_after_a_dashboard_restart(steady: Cluster) -> None:
    await _stop(steady)
    client = await steady.connect()
    try:
        restarted = steady.runner(client=client)
        change = await restarted.propose("restore_workloads")
        assert any("from the backup on the cluster" in line for line in change.summary)

        outcome = await restarted.apply(change)
    finally:
        await client.close()

    assert outcome.kind is OutcomeKind.DONE, outcome.message
    assert await steady.methods() == ["LiveMigrate"]
    annotations = await steady.annotations()
    assert BACKUP_ANNOTATION not in annotations and BACKUP_TAKEN_AT_ANNOTATION not in annotations
    assert not restarted.ctx.backups.path(NS, HCO_NAME).exists()


async def test_restore_from_a_second_machine_uses_the_cluster_backup(steady: Cluster) -> None:
    await steady.set_strategy("workloadUpdateMethods", ["LiveMigrate", "Evict"])
    await _stop(steady)
    client = await steady.connect()
    try:
        elsewhere = steady.runner(
            client=client, state_dir=steady.state_dir.parent / "other-machine"
        )
        assert elsewhere.ctx.backups.get(NS, HCO_NAME) is None
        assert elsewhere.availability("restore_workloads", await steady.view()).allowed
        outcome = await elsewhere.apply(await elsewhere.propose("restore_workloads"))
    finally:
        await client.close()

    assert outcome.kind is OutcomeKind.DONE, outcome.message
    assert await steady.methods() == ["LiveMigrate", "Evict"]
    assert BACKUP_ANNOTATION not in await steady.annotations()


async def test_restore_falls_back_to_the_local_copy(steady: Cluster) -> None:
    await _stop(steady)
    await steady.patch(
        res.HCO,
        NS,
        HCO_NAME,
        [
            {
                "op": "remove",
                "path": "/metadata/annotations/cnvtui.io~1workload-update-methods-backup",
            },
            {"op": "remove", "path": "/metadata/annotations/cnvtui.io~1backup-taken-at"},
        ],
    )
    runner = steady.runner()
    change = await runner.propose("restore_workloads")
    assert any("gone from the cluster" in note for note in change.notes)

    outcome = await runner.apply(change)

    assert outcome.kind is OutcomeKind.DONE, outcome.message
    assert await steady.methods() == ["LiveMigrate"]
    assert not runner.ctx.backups.path(NS, HCO_NAME).exists()


async def test_restore_without_any_backup_offers_the_default_and_says_so(steady: Cluster) -> None:
    await steady.set_strategy("workloadUpdateMethods", [])
    runner = steady.runner()
    change = await runner.propose("restore_workloads")
    assert any("No backup was found" in note for note in change.notes)
    assert any("[] -> [LiveMigrate]" in line for line in change.summary)

    outcome = await runner.apply(change)

    assert outcome.kind is OutcomeKind.DONE
    assert await steady.methods() == ["LiveMigrate"]


async def test_a_stop_that_meets_a_concurrent_edit_leaves_no_backup_behind(steady: Cluster) -> None:
    runner = steady.runner()
    change = await runner.propose("stop_workloads")
    await steady.set_strategy("batchEvictionInterval", "5m0s")

    outcome = await runner.apply(change)

    assert outcome.kind is OutcomeKind.CONFLICT
    assert outcome.fresh is not None
    assert await steady.methods() == ["LiveMigrate"]
    assert BACKUP_ANNOTATION not in await steady.annotations()
    assert not runner.ctx.backups.path(NS, HCO_NAME).exists()


async def test_stopping_twice_is_harmless(steady: Cluster) -> None:
    runner = steady.runner()
    change = await runner.propose("stop_workloads")
    assert (await runner.apply(change)).ok
    backup = (await steady.annotations())[BACKUP_ANNOTATION]

    again = await runner.apply(change)

    assert again.kind is OutcomeKind.ALREADY
    assert (await steady.annotations())[BACKUP_ANNOTATION] == backup
    assert json.loads(runner.ctx.backups.path(NS, HCO_NAME).read_text())["methods"] == [
        "LiveMigrate"
    ]
