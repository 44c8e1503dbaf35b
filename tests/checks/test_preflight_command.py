"""`cnvtui preflight` against the simulated cluster over HTTP: output and exit status."""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import yaml

from cnvtui.checks.command import add_arguments, run_async
from cnvtui.sim.auth import Rule
from cnvtui.sim.scenarios import build
from cnvtui.sim.server import SimServer

Sim = Callable[..., Awaitable[SimServer]]


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(list(argv))


async def preflight(kubeconfig: Path | str | None, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = await run_async(
        parse("--kubeconfig", str(kubeconfig), "--timeout", "10", *argv),
        stdout=out,
        stderr=err,
        environ={},
    )
    return code, out.getvalue(), err.getvalue()


def write(path: Path, config: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(config))
    return path


def scenario(name: str, vmis: int) -> list[dict[str, Any]]:
    return build(name, vmis=vmis, speed=0).objects


async def test_a_healthy_cluster_exits_0_with_a_table_of_what_was_checked(sim: Sim) -> None:
    server = await sim(objects=scenario("steady", 3))
    code, out, err = await preflight(server.kubeconfig_path)
    assert code == 0, out + err
    assert "OpenShift 4.14.8, CNV 4.14.3" in out
    assert "0 blockers, 0 warnings" in out
    assert "ok       hco.upgradeable" in out
    assert err == ""


async def test_blockers_exit_1_and_json_names_them(sim: Sim) -> None:
    server = await sim(objects=scenario("legacy-maintenance", 6))
    code, out, _ = await preflight(server.kubeconfig_path, "-o", "json", "--target", "4.12")
    assert code == 1
    data = json.loads(out)
    assert data["exitCode"] == 1
    assert data["openshiftVersion"] == "4.10.55" and data["cnvVersion"] == "4.10.3"
    assert data["source"]["namespace"] == "openshift-cnv"
    by_check = {f["check"]: f for f in data["findings"]}
    legacy = by_check["nodes.legacy_maintenance"]
    assert legacy["verdict"] == "blocker"
    assert legacy["objects"] == [
        {"kind": "legacynodemaintenance", "namespace": None, "name": "worker-0-maintenance"}
    ]
    assert by_check["nodes.schedulable"]["verdict"] == "warning"
    assert "EUS-to-EUS" in by_check["versions.path"]["message"]
    assert data["blockers"] == sum(1 for f in data["findings"] if f["verdict"] == "blocker")


READABLE_GROUPS = ["", "hco.kubevirt.io", "kubevirt.io", "config.openshift.io",
                   "machineconfiguration.openshift.io", "nodemaintenance.medik8s.io",
                   "nodemaintenance.kubevirt.io"]  # fmt: skip
NO_INSTALL_PLANS = [
    Rule.of({"verbs": ["get", "list"], "apiGroups": READABLE_GROUPS, "resources": ["*"]}),
    Rule.of(
        {
            "verbs": ["get", "list"],
            "apiGroups": ["operators.coreos.com"],
            "resources": ["clusterserviceversions", "subscriptions"],
        }
    ),
]


async def test_a_kind_it_may_not_read_exits_2_with_the_reason(sim: Sim) -> None:
    server = await sim(
        objects=scenario("steady", 3), roles={"no-plans": NO_INSTALL_PLANS}, role="no-plans"
    )
    code, out, err = await preflight(server.kubeconfig_path)
    assert code == 2
    assert "could not check everything: cannot read installplan" in err
    assert "could not read installplan: forbidden" in out
    assert "unknown  subscription.installplan   not checked: could not read installplan" in out
    assert "ok       hco.upgradeable" in out  # what could be read is still checked


async def test_unread_kinds_win_over_blockers_found(sim: Sim) -> None:
    server = await sim(
        objects=scenario("legacy-maintenance", 3),
        roles={"no-plans": NO_INSTALL_PLANS},
        role="no-plans",
    )
    code, out, _ = await preflight(server.kubeconfig_path, "-o", "json")
    data = json.loads(out)
    assert data["blockers"] >= 1 and data["unreadable"]
    assert code == data["exitCode"] == 2


async def test_could_not_check_exits_2_with_the_reason(sim: Sim, tmp_path: Path) -> None:
    server = await sim(objects=scenario("steady", 3), token="right-token")
    config = server.kubeconfig()
    config["users"][0]["user"]["token"] = "wrong-token"
    wrong = write(tmp_path / "wrong.kubeconfig", config)
    code, out, err = await preflight(wrong, "-o", "json")
    assert code == 2
    assert "unauthorized" in err and "wrong-token" not in err + out
    assert json.loads(out)["error"].startswith("unauthorized")
    assert json.loads(out)["exitCode"] == 2

    config["clusters"][0]["cluster"]["server"] = "http://127.0.0.1:9"
    gone = write(tmp_path / "gone.kubeconfig", config)
    code, out, err = await preflight(gone, "-o", "json")
    assert code == 2 and "cannot reach the cluster" in err
    assert json.loads(out)["exitCode"] == 2

    code, _, err = await preflight(tmp_path / "missing.kubeconfig")
    assert code == 2 and "does not exist" in err


async def test_the_installed_command_exits_1_on_blockers(sim: Sim) -> None:
    server = await sim(objects=scenario("legacy-maintenance", 3))
    env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
    proc = await _run(
        [sys.executable, "-m", "cnvtui", "preflight", "--kubeconfig",
         str(server.kubeconfig_path), "--output", "json"],
        env,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    assert data["blockers"] >= 1 and data["exitCode"] == 1


async def _run(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    process = await asyncio.create_subprocess_exec(
        *argv, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    stdout, stderr = await process.communicate()
    return subprocess.CompletedProcess(
        argv, process.returncode or 0, stdout.decode(), stderr.decode()
    )


async def test_nothing_readable_concludes_nothing(sim: Sim) -> None:
    """With every read forbidden no check may claim ok, blocker or warning from empty data."""
    server = await sim(objects=scenario("steady", 3), roles={"none": []}, role="none")
    code, out, err = await preflight(server.kubeconfig_path)
    assert code == 2
    verdicts = {line.split()[0] for line in out.splitlines()[3:] if line[:1].isalpha()}
    assert verdicts >= {"unknown"} and not verdicts & {"ok", "blocker", "warning"}, out
    assert "0 blockers, 0 warnings, 11 not checked, 0 ok" in out
    assert "unknown  hco                        not checked: could not read hco" in out
    assert len(err.splitlines()) == 1 and len(err) < 200, err
    assert err.startswith("cnvtui preflight: could not check everything: cannot read ")
    code, out, _ = await preflight(server.kubeconfig_path, "-o", "json")
    data = json.loads(out)
    assert (data["blockers"], data["warnings"], data["notChecked"]) == (0, 0, 11)
