"""`stuck-migrations`: pending target pods time out at 5 (Unschedulable) and 15 minutes,
migrations are retried with backoff, only five attempts per VMI are kept, and a drain
blocked by a VMI that can neither migrate nor be evicted degrades the worker pool."""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import datetime

from cnvtui.sim.server import SimServer

from .test_scenario_kit import Json, Recorder, cond, parse_ts, running, scenario, until

PULL_FAILURE = "sim.cnvtui.io/image-pull-failure"


def _stamp(vmim: Json, phase: str) -> datetime:
    return next(
        parse_ts(s["phaseTransitionTimestamp"])
        for s in vmim["status"]["phaseTransitionTimestamps"]
        if s["phase"] == phase
    )


async def test_stuck_migrations_time_out_retry_and_block_the_drain(
    sim: Callable[..., Awaitable[SimServer]],
) -> None:
    built = scenario("stuck-migrations", vmis=12)
    clock = built.clock
    async with running(sim, built) as (_, api):
        vmis = await api.list("vmi")
        pinned = {v["metadata"]["name"] for v in vmis if v["spec"].get("nodeSelector")}
        assert len(pinned) == 2
        bad_nodes = {n["metadata"]["name"] for n in await api.list("node")
                     if PULL_FAILURE in n["metadata"].get("annotations", {})}  # fmt: skip
        assert len(bad_nodes) == 1
        blocker = next(
            v for v in vmis
            if cond(v, "LiveMigratable")["status"] == "False"
            and v["spec"].get("evictionStrategy") == "LiveMigrate"
        )  # fmt: skip
        recorders = {kind: Recorder(api, kind) for kind in ("vmim", "pod")}
        for recorder in recorders.values():
            await recorder.start()

        async def pool_degraded() -> bool:
            pool = await api.get("mcp", "worker", None)
            return cond(pool, "Degraded").get("status") == "True"

        await until(clock, pool_degraded, step=300, limit=6 * 3600, what="worker pool Degraded")
        await clock.advance(2 * 3600)
        for recorder in recorders.values():
            await recorder.caught_up()
            await recorder.stop()

        # The drain is stuck on the VMI that must live migrate but cannot, and says so.
        pool = await api.get("mcp", "worker", None)
        node = blocker["status"]["nodeName"]
        assert node in cond(pool, "Degraded")["message"]
        assert "failed to drain node" in cond(pool, "Degraded")["message"]
        assert pool["status"]["degradedMachineCount"] == 1
        assert pool["status"]["updatedMachineCount"] < pool["status"]["machineCount"]
        drained = await api.get("node", node, None)
        assert drained["spec"]["unschedulable"] is True
        notes = drained["metadata"]["annotations"]
        assert notes["machineconfiguration.openshift.io/state"] == "Degraded"
        still = await api.get("vmi", blocker["metadata"]["name"], blocker["metadata"]["namespace"])
        assert still["status"]["nodeName"] == node
        cv = await api.get("cv", "version", None)
        assert cv["status"]["history"][0]["state"] == "Completed"

        # Every attempt the watch saw, per VMI, in order.
        attempts: dict[str, dict[str, Json]] = defaultdict(dict)
        for _, obj in recorders["vmim"].events:
            attempts[obj["spec"]["vmiName"]][obj["metadata"]["name"]] = obj
        finished = {
            vmi: sorted(
                (
                    m
                    for m in by_name.values()
                    if m["status"].get("phase") in ("Failed", "Succeeded")
                ),
                key=lambda m: _stamp(m, "Pending"),
            )
            for vmi, by_name in attempts.items()
        }

        # Pending target pods fail after 5 minutes when Unschedulable, 15 otherwise.
        unschedulable = pulling = 0
        for vmi, runs in finished.items():
            for m in runs:
                if m["status"]["phase"] != "Failed":
                    continue
                waited = (_stamp(m, "Failed") - _stamp(m, "Scheduling")).total_seconds()
                reason = m["status"]["migrationState"]["failureReason"]
                if "unschedulable" in reason:
                    unschedulable += 1
                    assert vmi in pinned
                    assert 300 <= waited <= 305, waited
                else:
                    pulling += 1
                    assert "ImagePullBackOff" in reason
                    assert m["status"]["migrationState"]["targetNode"] in bad_nodes
                    assert 900 <= waited <= 905, waited
        assert unschedulable >= 6 and pulling >= 2

        # The target pods said why they were pending.
        reasons = set()
        for _, pod in recorders["pod"].events:
            for c in pod.get("status", {}).get("conditions", []):
                if c["type"] == "PodScheduled" and c["status"] == "False":
                    reasons.add(c["reason"])
            for cs in pod.get("status", {}).get("containerStatuses", []):
                if "waiting" in cs.get("state", {}):
                    reasons.add(cs["state"]["waiting"]["reason"])
        assert {"Unschedulable", "ImagePullBackOff"} <= reasons

        # Retries back off, and only the five most recent attempts are kept.
        for vmi in pinned:
            runs = finished[vmi]
            assert len(runs) > 5, f"{vmi}: only {len(runs)} attempts"
            gaps = [
                (_stamp(b, "Pending") - _stamp(a, "Failed")).total_seconds()
                for a, b in itertools.pairwise(runs)
            ]
            assert all(g >= 20 for g in gaps)
            assert max(gaps) >= 4 * min(gaps)
        listed: dict[str, int] = defaultdict(int)
        for m in await api.list("vmim"):
            if m["status"].get("phase") in ("Failed", "Succeeded"):
                listed[m["spec"]["vmiName"]] += 1
        assert max(listed.values()) == 5
        assert all(count <= 5 for count in listed.values())

        events = [e for e in await api.list("event") if e["reason"] == "FailedMigration"]
        assert events and all(e["involvedObject"]["kind"] == "VirtualMachineInstanceMigration"
                              for e in events)  # fmt: skip
