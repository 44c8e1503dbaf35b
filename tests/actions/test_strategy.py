"""The workload update strategy: validation, the exact patch per HCO version, conflicts."""

from __future__ import annotations

import pytest

from cnvtui.actions import OutcomeKind
from cnvtui.actions.strategy import (
    StrategyEdit,
    choice_of,
    effect_lines,
    go_duration_seconds,
    parse_interval,
    parse_size,
)
from cnvtui.kube import resources as res
from tests.actions.cluster import HCO_NAME, NS, Cluster, ClusterFactory

BOTH = StrategyEdit(("LiveMigrate", "Evict"), 5, "2m30s")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("1m0s", 60.0), ("90s", 90.0), ("1h30m", 5400.0), ("1.5m", 90.0), ("250ms", 0.25)],
)
def test_go_durations_are_understood(text: str, seconds: float) -> None:
    assert go_duration_seconds(text) == pytest.approx(seconds)
    assert parse_interval(text) == text


@pytest.mark.parametrize("text", ["", "1", "1x", "m1", "1m 0s", "-1m", "0s", "1m0"])
def test_bad_intervals_are_refused_with_the_reason(text: str) -> None:
    with pytest.raises(ValueError, match=r"Go duration|longer than zero"):
        parse_interval(text)


@pytest.mark.parametrize("text", ["0", "-3", "ten", "1.5", ""])
def test_batch_size_must_be_a_positive_integer(text: str) -> None:
    with pytest.raises(ValueError, match="batch eviction size"):
        parse_size(text)


def test_batch_size_accepts_whole_numbers() -> None:
    assert parse_size(" 25 ") == 25


def test_method_labels() -> None:
    assert choice_of(["Evict", "LiveMigrate"]) == "both"
    assert choice_of([]) == "none"
    assert choice_of(["Evict"]) == "Evict"


def test_effect_without_a_store_still_says_what_the_methods_mean() -> None:
    assert (
        "No VMI will be updated automatically"
        in effect_lines(StrategyEdit((), 10, "1m0s"), None)[0]
    )
    lines = effect_lines(BOTH, None)
    assert any("batches of 5 VMIs every 2m30s" in line for line in lines)


async def test_v1beta1_patch_goes_to_spec_workload_update_strategy(steady: Cluster) -> None:
    runner = steady.runner()
    view = await steady.view()
    change = await runner.propose("strategy", edit=BOTH, store=view.store)
    paths = {op["path"] for op in change.operations}
    assert paths == {"/spec/workloadUpdateStrategy"}
    assert change.operations[0]["op"] == "test"

    outcome = await runner.apply(change)

    assert outcome.kind is OutcomeKind.DONE, outcome.message
    strategy = (await steady.hco())["spec"]["workloadUpdateStrategy"]
    assert strategy == {
        "workloadUpdateMethods": ["LiveMigrate", "Evict"],
        "batchEvictionSize": 5,
        "batchEvictionInterval": "2m30s",
    }
    assert steady.patches == [res.HCO.path(NS, HCO_NAME)]


async def test_v1_patch_goes_to_spec_virtualization(cluster: ClusterFactory) -> None:
    c = await cluster("zstream-hco-v1")
    runner = c.runner()
    change = await runner.propose("strategy", edit=StrategyEdit(("Evict",), 3, "45s"))
    assert {op["path"] for op in change.operations} == {
        "/spec/virtualization/workloadUpdateStrategy"
    }

    outcome = await runner.apply(change)

    assert outcome.kind is OutcomeKind.DONE, outcome.message
    assert c.patches == [res.HCO_V1.path(NS, HCO_NAME)]
    hco = await c.get(res.HCO_V1, NS, HCO_NAME)
    strategy = hco["spec"]["virtualization"]["workloadUpdateStrategy"]
    assert strategy["workloadUpdateMethods"] == ["Evict"]
    assert (strategy["batchEvictionSize"], strategy["batchEvictionInterval"]) == (3, "45s")
    old_view = await c.get(res.HCO, NS, HCO_NAME)
    assert old_view["spec"]["workloadUpdateStrategy"]["workloadUpdateMethods"] == ["Evict"]


async def test_liveMigrate_only_names_the_vmis_that_will_never_update(
    cluster: ClusterFactory,
) -> None:
    c = await cluster("steady", vmis=30)
    view = await c.view()
    stuck = [
        row
        for row in ((key, view.store.objects("vmi")[key]) for key in view.store.objects("vmi"))
        if any(
            cond.get("type") == "LiveMigratable" and cond.get("status") == "False"
            for cond in row[1].get("status", {}).get("conditions", [])
        )
    ]
    assert stuck, "the seeded cluster has VMIs that cannot live migrate"
    lines = effect_lines(StrategyEdit(("LiveMigrate",), 10, "1m0s"), view.store)
    ns, name = stuck[0][0]
    assert "cannot live migrate and will never be updated" in lines[0]
    assert f"{ns}/{name}" in lines[0] or "more" in lines[0]


async def test_a_concurrent_edit_is_a_conflict_with_a_fresh_preview(steady: Cluster) -> None:
    runner = steady.runner()
    change = await runner.propose("strategy", edit=BOTH)
    await steady.set_strategy("batchEvictionSize", 7)

    outcome = await runner.apply(change)

    assert outcome.kind is OutcomeKind.CONFLICT
    assert "changed since you looked" in outcome.message
    hco = await steady.hco()
    assert hco["spec"]["workloadUpdateStrategy"]["batchEvictionSize"] == 7
    assert hco["spec"]["workloadUpdateStrategy"]["workloadUpdateMethods"] == ["LiveMigrate"]
    fresh = outcome.fresh
    assert fresh is not None
    assert any("batchEvictionSize: 7 -> 5" in line for line in fresh.summary)

    second = await runner.apply(fresh)

    assert second.kind is OutcomeKind.DONE
    hco = await steady.hco()
    assert hco["spec"]["workloadUpdateStrategy"]["batchEvictionSize"] == 5


async def test_a_retry_after_a_conflict_keeps_the_other_persons_change(steady: Cluster) -> None:
    """You change only the methods; meanwhile someone sets the batch size. The fresh preview
    must not put your (stale) batch size back."""
    runner = steady.runner()
    only_methods = StrategyEdit(("LiveMigrate", "Evict"), 10, "1m0s")
    change = await runner.propose("strategy", edit=only_methods)
    await steady.set_strategy("batchEvictionSize", 7)

    outcome = await runner.apply(change)

    assert outcome.kind is OutcomeKind.CONFLICT
    fresh = outcome.fresh
    assert fresh is not None
    assert not any("batchEvictionSize" in line for line in fresh.summary[:3]), fresh.summary
    assert any("batchEvictionSize was changed to 7 since you looked" in n for n in fresh.notes)
    second = await runner.apply(fresh)
    assert second.kind is OutcomeKind.DONE
    strategy = (await steady.hco())["spec"]["workloadUpdateStrategy"]
    assert strategy["batchEvictionSize"] == 7
    assert strategy["workloadUpdateMethods"] == ["LiveMigrate", "Evict"]


async def test_an_edit_that_changes_nothing_is_refused(steady: Cluster) -> None:
    runner = steady.runner()
    with pytest.raises(Exception, match="nothing to change"):
        await runner.propose("strategy", edit=StrategyEdit(("LiveMigrate",), 10, "1m0s"))
    assert steady.patches == []
