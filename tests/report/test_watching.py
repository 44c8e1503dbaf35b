"""`status --watch`: a line per meaningful change, through forced disconnects."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path

from cnvtui.report.command import run_options
from cnvtui.report.status import StatusOptions
from cnvtui.report.watching import problem_key
from cnvtui.sim.server import SimServer

from .kit import FAST, Lines, SimFactory, scenario_server, set_hco_condition


@contextlib.asynccontextmanager
async def watching(options: StatusOptions) -> AsyncIterator[tuple[Lines, Lines]]:
    out, err = Lines(), Lines()
    task = asyncio.create_task(run_options(options, out, err))
    try:
        yield out, err
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _drop_watches(server: SimServer) -> None:
    """Close the open watches, once there are some (they open just after the first list)."""
    async with asyncio.timeout(10):
        while True:
            if server.close_watches():
                return
            await asyncio.sleep(0.05)


def _options(server: SimServer, **extra: object) -> StatusOptions:
    return StatusOptions(
        kubeconfig=str(server.kubeconfig_path),
        watch=True,
        interval=0.0,
        tick=0.2,
        settings=FAST,
        **extra,  # type: ignore[arg-type]
    )


async def test_watch_prints_changes_and_rides_through_disconnects(sim: SimFactory) -> None:
    server = await sim(vmis=4)
    async with watching(_options(server)) as (out, err):
        first = await out.wait_for("Idle: CNV 4.14.3")
        assert "[" not in first  # the first line is the state, not a change

        await _drop_watches(server)
        set_hco_condition(server, "Degraded", "True", "ComponentFailed")
        line = await out.wait_for("HCO Degraded: False → True")
        assert "Degraded: HCO Degraded=True" in line
        assert "verdict: Idle → Degraded" in line

        await server.restart()  # every connection dropped; the port answers again
        set_hco_condition(server, "Degraded", "False", "ReconcileCompleted")
        line = await out.wait_for("HCO Degraded: True → False")
        assert "verdict: Degraded → Idle" in line
        assert err.getvalue() == ""
    lines = out.lines
    assert len([x for x in lines if "HCO Degraded: False → True" in x]) == 1
    assert all(x.startswith("20") for x in lines)  # every line starts with its time


async def test_watch_is_quiet_when_nothing_meaningful_changes(sim: SimFactory) -> None:
    server = await sim(vmis=4)
    async with watching(_options(server)) as (out, _):
        await out.wait_for("Idle")
        vmi = server.store.list("kubevirt.io", "virtualmachineinstances")[0][0]
        meta = vmi["metadata"]
        for i in range(3):  # VMI events that change no count, phase or condition
            server.store.patch(
                "kubevirt.io", "virtualmachineinstances", meta["namespace"], meta["name"],
                "merge", {"metadata": {"annotations": {"touched": str(i)}}},
            )  # fmt: skip
        set_hco_condition(server, "Upgradeable", "False", "Marker")
        await out.wait_for("HCO Upgradeable: True → False")
    assert len(out.lines) == 2


async def test_watch_json_lines_follow_an_update(sim: SimFactory, tmp_path: Path) -> None:
    server = await scenario_server(sim, "zstream", vmis=4, speed=300.0)
    async with watching(_options(server, output="json")) as (out, _):
        await out.wait_for('"cnv_version":"4.14.4"')
    docs = [json.loads(line) for line in out.lines]
    assert docs[0]["changes"] == []
    assert all(d["schema"] == "cnvtui.io/update-picture/v1" for d in docs)
    assert all(d["source"]["kind"] == "cluster" for d in docs)
    changes = [c for d in docs for c in d["changes"]]
    assert "Updating" in {d["verdict"] for d in docs}
    assert any(c.startswith("CSV kubevirt-hyperconverged-operator.v4.14.4: ") for c in changes)
    assert docs[-1]["cluster"]["cnv_version"] == "4.14.4"
    assert all(len(d["timeline"]) <= 20 for d in docs)


def test_a_problem_is_the_same_while_it_ages_and_new_for_another_object() -> None:
    """Blanking every digit once merged "... for vms/vm-1" with "... for vms/vm-2", so a
    second stuck VMI printed no line."""
    first = problem_key("3 migrations failed for vms/vm-1 (target pod pending)")
    assert first == problem_key("4 migrations failed for vms/vm-1 (target pod pending)")
    assert first != problem_key("3 migrations failed for vms/vm-2 (target pod pending)")
    pending = "migration vms/kubevirt-workload-update-abc12: target pod pending {} (limit 5m)"
    assert problem_key(pending.format("6m")) == problem_key(pending.format("1h30m"))
    assert problem_key(pending.format("6m")) != problem_key(
        pending.replace("abc12", "abc13").format("6m")
    )
    assert problem_key("CSV x Installing for 31m") == problem_key("CSV x Installing for 2h")
