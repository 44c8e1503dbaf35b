"""The `cnvtui status` command as scripts run it: a separate process, its output, its exit
codes, and one clear line on stderr for every failure (never a traceback).

Until the lead wires `status` into `cnvtui`, the same command runs as `python -m cnvtui.report`.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable
from functools import cache
from pathlib import Path

import yaml

from cnvtui.exitcodes import ExitCode
from cnvtui.kube.replay import scan_recording
from cnvtui.sim.scenarios import build
from cnvtui.sim.server import SimServer

SimFactory = Callable[..., Awaitable[SimServer]]
CNVTUI = str(Path(sys.executable).with_name("cnvtui"))


@cache
def _command() -> tuple[str, ...]:
    probe = subprocess.run(
        [CNVTUI, "status", "--help"], capture_output=True, text=True, check=False, timeout=60
    )
    if probe.returncode == 0 and "--wait-for" in probe.stdout:
        return (CNVTUI, "status")
    return (sys.executable, "-m", "cnvtui.report")


async def _status(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """Run the command while the simulated cluster keeps serving in this event loop."""
    process = await asyncio.create_subprocess_exec(
        *_command(), *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "CNVTUI_DEBUG": "", **(env or {})},
    )  # fmt: skip
    async with asyncio.timeout(90):
        out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def _one_clear_line(err: str) -> str:
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("cnvtui status: ")
    return lines[0]


async def test_formats_for_people_and_for_scripts(sim: SimFactory) -> None:
    server = await sim(vmis=3)
    config = str(server.kubeconfig_path)
    (code, table, err), (jcode, as_json, _), (ycode, as_yaml, _) = await asyncio.gather(
        _status("--kubeconfig", config),
        _status("--kubeconfig", config, "-o", "json"),
        _status("--kubeconfig", config, "--output", "yaml", "--max-vmis", "1"),
    )
    assert (code, jcode, ycode, err) == (0, 0, 0, "")
    assert "Verdict: Idle: CNV 4.14.3, no update in progress" in table.splitlines()
    data = json.loads(as_json)
    assert (data["schema"], data["verdict"]) == ("cnvtui.io/update-picture/v1", "Idle")
    assert data["outdated"]["running_total"] == 3
    doc = yaml.safe_load(as_yaml)
    assert doc["reason"] == data["reason"]
    assert doc["outdated"]["rows_total"] == 0


async def test_connection_failures_are_one_line_and_an_exit_code(
    sim: SimFactory, tmp_path: Path
) -> None:
    token = "sha256~TheRightTokenForThisTestCluster0123456789"
    guarded = await sim(vmis=1, token=token)
    expired = tmp_path / "expired.kubeconfig"
    expired.write_text(
        guarded.kubeconfig_path.read_text().replace(token, "sha256~ExpiredLongAgo00000000000")  # type: ignore[union-attr]
    )
    forbidden = await sim(vmis=1, role="none")
    gone = await sim(vmis=1)
    await gone.stop()
    empty_home = {"HOME": str(tmp_path), "KUBECONFIG": ""}
    results = await asyncio.gather(
        _status(env=empty_home),
        _status("--kubeconfig", str(gone.kubeconfig_path), "--sync-timeout", "5"),
        _status("--kubeconfig", str(expired)),
        _status("--kubeconfig", str(forbidden.kubeconfig_path)),
        _status("--kubeconfig", str(tmp_path / "nope.yaml")),
    )
    codes = [code for code, _, _ in results]
    assert codes == [
        ExitCode.CONFIG,
        ExitCode.UNREACHABLE,
        ExitCode.UNAUTHORIZED,
        ExitCode.FORBIDDEN,
        ExitCode.CONFIG,
    ]
    lines = [_one_clear_line(err) for _, _, err in results]
    assert all(out == "" for _, out, _ in results)
    assert "no kubeconfig found" in lines[0]
    assert lines[1].startswith(f"cnvtui status: cannot reach the API server at {gone.url}")
    assert "rejected the credentials" in lines[2] and "log in again" in lines[2]
    assert "ExpiredLongAgo" not in lines[2]
    assert lines[3] == (
        "cnvtui status: forbidden: needs list and watch on "
        "clusterserviceversions.operators.coreos.com in openshift-cnv"
    )
    assert "nope.yaml does not exist" in lines[4]


async def test_usage_errors(tmp_path: Path) -> None:
    code, out, err = await _status("--at", "10:00")
    assert (code, out) == (ExitCode.USAGE, "")
    assert _one_clear_line(err) == "cnvtui status: --at needs --replay FILE"
    code, _, err = await _status("--wait-for", "done", "--timeout", "soon")
    assert code == ExitCode.USAGE and "not a duration" in err and "Traceback" not in err


async def test_a_pipeline_waits_for_the_approval_then_for_the_update(sim: SimFactory) -> None:
    built = build("manual-approval", vmis=3, speed=300.0)
    server = await sim(**built.server_options())
    config = str(server.kubeconfig_path)
    code, out, err = await _status(
        "--kubeconfig", config, "--wait-for", "approval-needed", "--timeout", "60s", "-o", "json"
    )
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert data["wait"]["result"] == "reached"
    plan = next(p for p in data["install_plans"] if p["awaits_approval"])
    server.store.patch(
        "operators.coreos.com", "installplans", "openshift-cnv", plan["name"],
        "merge", {"spec": {"approved": True}},
    )  # fmt: skip
    code, out, err = await _status(
        "--kubeconfig", config, "--wait-for", "healthy", "--cnv-version", "4.14.4",
        "--timeout", "60s",
    )  # fmt: skip
    assert (code, err) == (0, ""), out
    assert out.splitlines()[-1] == "Wait for healthy: reached: HCO healthy, CNV 4.14.4"


async def test_replay_at_a_moment(sim: SimFactory, tmp_path: Path) -> None:
    server = await sim(vmis=2)
    recording = tmp_path / "night.cnvrec.gz"
    code, _, err = await _status(
        "--kubeconfig", str(server.kubeconfig_path), "--record", str(recording)
    )
    assert (code, err) == (0, "")
    code, out, err = await _status("--replay", str(recording), "--at=-0s")
    assert (code, err) == (0, "")
    assert out.startswith(f"CNV update status of recording {recording} of cnvtui-sim")
    assert "Verdict: Idle: CNV 4.14.3, no update in progress" in out
    code, _, err = await _status("--replay", str(recording), "--at", "yesterday")
    assert code == ExitCode.USAGE and _one_clear_line(err).startswith("cnvtui status: not a moment")
    code, _, err = await _status("--replay", str(tmp_path / "missing.gz"))
    assert code == ExitCode.RECORDING and "cannot read recording" in _one_clear_line(err)


async def test_the_global_record_flag_records_status_too(sim: SimFactory, tmp_path: Path) -> None:
    """`cnvtui --record FILE status`: the flag before the command once recorded nothing."""
    server = await sim(vmis=2)
    path = tmp_path / "global.cnvrec.gz"
    process = await asyncio.create_subprocess_exec(
        CNVTUI, "--record", str(path), "status", "--kubeconfig", str(server.kubeconfig_path),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    async with asyncio.timeout(90):
        _out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    info = scan_recording(path)
    assert info.complete and info.events > 0, info
