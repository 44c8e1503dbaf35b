"""`status --wait-for`: each goal against a scenario that reaches (or never reaches) it."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Awaitable, Callable

from aiohttp import web

from cnvtui.exitcodes import ExitCode
from cnvtui.report.command import run_options
from cnvtui.report.status import StatusOptions
from cnvtui.report.waiting import Goal
from cnvtui.sim.server import SimServer

from .kit import FAST, SimFactory, scenario_server

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def _wait(server: SimServer, goal: Goal, **extra: object) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    options = StatusOptions(
        kubeconfig=str(server.kubeconfig_path),
        wait_for=goal,
        tick=0.2,
        settings=FAST,
        **extra,  # type: ignore[arg-type]
    )
    code = await run_options(options, out, err)
    return code, out.getvalue(), err.getvalue()


async def test_approval_needed_is_reached_when_the_plan_waits(sim: SimFactory) -> None:
    server = await scenario_server(sim, "manual-approval", speed=300.0)
    code, out, err = await _wait(server, Goal.APPROVAL_NEEDED, timeout=60.0)
    assert (code, err) == (ExitCode.OK, "")
    assert "Verdict: Waiting for approval: install plan install-" in out
    last = out.splitlines()[-1]
    assert last.startswith("Wait for approval-needed: reached: install plan install-")
    assert "kubevirt-hyperconverged-operator.v4.14.4" in last


async def test_healthy_at_a_version_waits_for_the_update(sim: SimFactory) -> None:
    server = await scenario_server(sim, "zstream", speed=300.0)
    code, out, err = await _wait(
        server, Goal.HEALTHY, cnv_version="4.14.4", timeout=60.0, output="json"
    )
    assert (code, err) == (ExitCode.OK, "")
    data = json.loads(out)
    assert data["wait"] == {
        "goal": "healthy",
        "result": "reached",
        "message": "HCO healthy, CNV 4.14.4",
        "exit_code": 0,
    }
    assert data["hco"]["healthy"] is True
    assert [c["phase"] for c in data["csvs"]] == ["Succeeded"]


async def test_done_is_immediate_on_a_settled_cluster(sim: SimFactory) -> None:
    server = await sim(vmis=3)
    code, out, _ = await _wait(server, Goal.DONE, timeout=30.0)
    assert code == ExitCode.OK
    assert out.splitlines()[-1] == "Wait for done: reached: CNV 4.14.3, no update in progress"


async def test_a_failed_update_ends_the_wait_with_its_reason(sim: SimFactory) -> None:
    server = await scenario_server(sim, "degraded", speed=300.0)
    code, out, err = await _wait(server, Goal.DONE, cnv_version="4.14.4", timeout=60.0, grace=0.0)
    assert code == ExitCode.FAILED
    assert err.startswith("cnvtui status: the update failed: Degraded: ")
    assert len(err.splitlines()) == 1
    assert "Wait for done: failed" in out


async def test_timeout_says_where_the_update_stands(sim: SimFactory) -> None:
    server = await sim(vmis=3)
    code, _, err = await _wait(server, Goal.APPROVAL_NEEDED, timeout=0.5)
    assert code == ExitCode.TIMEOUT
    assert err == (
        "cnvtui status: timed out after 0s waiting for approval-needed; "
        "now Idle: CNV 4.14.3, no update in progress\n"
    )


async def test_the_timeout_counts_from_the_start_not_from_the_first_lists(
    sim: SimFactory,
) -> None:
    """A pipeline's `--timeout 1s` holds even while the first lists hang: it once waited
    for `--sync-timeout` (60 s) first, and then said the server was unreachable."""

    @web.middleware
    async def hang_vmi_lists(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.endswith("/virtualmachineinstances") and "watch" not in request.query:
            await asyncio.sleep(3600)
        return await handler(request)

    server = await sim(vmis=3, middlewares=[hang_vmi_lists])
    async with asyncio.timeout(30):  # far below the 60 s sync timeout
        code, out, err = await _wait(server, Goal.DONE, timeout=1.0)
    assert (code, out) == (ExitCode.TIMEOUT, "")
    assert err.startswith("cnvtui status: timed out after 1s waiting for done: no complete "), err
    assert "still waiting for vmi" in err and len(err.splitlines()) == 1, err


async def test_no_cnv_in_the_namespace_fails_instead_of_waiting(sim: SimFactory) -> None:
    server = await sim(vmis=3)
    code, _, err = await _wait(server, Goal.DONE, namespace="nowhere", grace=0.0)
    assert code == ExitCode.FAILED
    assert err == "cnvtui status: no OpenShift Virtualization found in namespace nowhere\n"


async def test_a_wait_that_loses_its_credentials_says_so_once(sim: SimFactory) -> None:
    """An overnight token expiry: the wait goes on (the kubeconfig is re-read), but stderr
    says why nothing moves instead of waiting without a word."""
    server = await sim(vmis=3, token="old-token")
    task = asyncio.create_task(_wait(server, Goal.APPROVAL_NEEDED, timeout=4.0))
    await asyncio.sleep(1.0)
    server.authorizer.token = "new-token"
    server.close_watches()
    code, _out, err = await task
    assert code == ExitCode.TIMEOUT
    lines = err.splitlines()
    assert lines[0] == (
        "cnvtui status: still waiting: the API server rejects the credentials (expired "
        "token?): log in again, e.g. 'oc login'; the kubeconfig is read again every 30s, "
        "and waiting goes on"
    ), err
    assert len(lines) == 2 and lines[1].startswith("cnvtui status: timed out after 4s"), err


async def test_a_wait_started_while_the_server_is_away_waits_for_it(sim: SimFactory) -> None:
    """A pipeline started during an API server restart (an OpenShift update) once failed at
    the first request with exit 3; a wait rides through it as it does later on."""
    server = await sim(vmis=3)
    away = asyncio.create_task(server.restart(downtime=1.5))
    await asyncio.sleep(0.2)  # the port is closed now
    code, out, err = await _wait(server, Goal.DONE, timeout=30.0)
    await away
    assert code == ExitCode.OK, err
    assert out.splitlines()[-1] == "Wait for done: reached: CNV 4.14.3, no update in progress"
    assert len(err.splitlines()) == 1 and err.startswith("cnvtui status: cannot reach"), err
    assert err.rstrip().endswith("; trying again"), err


async def test_a_one_shot_status_still_fails_at_once_when_the_server_is_away(
    sim: SimFactory,
) -> None:
    server = await sim(vmis=1)
    away = asyncio.create_task(server.restart(downtime=1.0))
    await asyncio.sleep(0.2)
    out, err = io.StringIO(), io.StringIO()
    options = StatusOptions(kubeconfig=str(server.kubeconfig_path), settings=FAST)
    code = await run_options(options, out, err)
    await away
    assert code == ExitCode.UNREACHABLE, err.getvalue()
