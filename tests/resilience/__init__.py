"""Helpers for the resilience tests: the cluster's truth to compare the dashboard with, and
changes made to the cluster while the dashboard is looking away."""

from __future__ import annotations

import asyncio
import copy
import itertools
import os
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from textual.widgets._toast import Toast

from cnvtui.kube.client import KubeClient
from cnvtui.kube.cnv import WATCHED
from cnvtui.kube.config import ConfigSource
from cnvtui.sim.server import SimServer
from cnvtui.state.slim import slim
from cnvtui.ui.app import DashboardApp
from cnvtui.ui.source import KubeSource
from cnvtui.ui.widgets.header import Target
from tests.ui import FAST, AppPilot

Obj = dict[str, Any]
Key = tuple[str, str]
HCO_NS = "openshift-cnv"
STREAMS = len(WATCHED)
LIVE = f"● live {STREAMS}/{STREAMS}"
VMI = ("kubevirt.io", "virtualmachineinstances")
OUTDATED = "kubevirt.io/outdatedLauncherImage"
_names = itertools.count()


@asynccontextmanager
async def noisy_dashboard(server: SimServer) -> AsyncIterator[tuple[DashboardApp, AppPilot]]:
    """The app on `server` with notifications shown (the reload reports through them)."""
    assert server.kubeconfig_path is not None
    source = ConfigSource(kubeconfig=str(server.kubeconfig_path))
    client = await KubeClient.connect(source, environ=dict(os.environ))
    app = DashboardApp(
        KubeSource(client, HCO_NS, settings=FAST),
        target=Target(client.info.context, client.info.server, HCO_NS),
        now=time.time,
    )
    try:
        async with app.run_test(size=(160, 50), notifications=True) as pilot:
            yield app, pilot
    finally:
        await client.close()


def toasts(app: DashboardApp) -> str:
    """The notifications on screen now."""
    return "\n".join(str(t.render()) for t in app.screen.query(Toast))


def differences(app: DashboardApp, server: SimServer, namespace: str = HCO_NS) -> list[str]:
    """Every way the dashboard's store differs from the server, for every watched kind:
    missing, extra and out-of-date objects (by resourceVersion), and differing status."""
    problems: list[str] = []
    for watched in WATCHED:
        kind = watched.kind
        scope = namespace if watched.in_hco_namespace else None
        try:
            items, _ = server.store.list(kind.group, kind.plural, scope)
        except KeyError:
            items = []
        truth = {_key(o): o for o in items}
        seen = dict(app.store.objects(kind.key))
        if set(truth) != set(seen):
            missing, extra = set(truth) - set(seen), set(seen) - set(truth)
            problems.append(f"{kind.key}: missing {sorted(missing)} extra {sorted(extra)}")
            continue
        for key, obj in truth.items():
            mine = seen[key]
            if obj["metadata"]["resourceVersion"] != mine["metadata"]["resourceVersion"]:
                problems.append(f"{kind.key} {key}: resourceVersion differs")
            elif (
                not watched.metadata_only
                and obj.get("apiVersion") == mine.get("apiVersion")
                and slim(kind.key, obj).get("status") != mine.get("status")
            ):
                problems.append(f"{kind.key} {key}: status differs")
    return problems


async def converged(app: DashboardApp, server: SimServer, within: float = 15.0) -> None:
    """Wait until the dashboard holds exactly what the server holds (bounded)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while problems := differences(app, server):
        if loop.time() > deadline:
            raise AssertionError("the dashboard never converged: " + "; ".join(problems[:5]))
        await asyncio.sleep(0.05)


def _key(obj: Obj) -> Key:
    md = obj["metadata"]
    return (md.get("namespace") or "", md["name"])


def churn(server: SimServer, *, label: str = "resilience.test/touched") -> None:
    """Change the cluster: relabel two VMIs, delete one, create one (a copy under a new
    name), and mark a VMI outdated, so a consumer that missed it must catch up."""
    store = server.store
    vmis, _ = store.list(*VMI, None)
    vmis = sorted(vmis, key=_key)
    n = next(_names)
    for vmi in vmis[:2]:
        md = vmi["metadata"]
        patch = {"metadata": {"labels": {label: str(n), OUTDATED: ""}}}
        store.patch(*VMI, md["namespace"], md["name"], "merge", patch)
    if len(vmis) > 3:
        victim = vmis[-1]["metadata"]
        store.delete(*VMI, victim["namespace"], victim["name"])
    clone = copy.deepcopy(vmis[0])
    md = clone["metadata"]
    md["name"] = f"churned-{n}"
    for field in ("uid", "resourceVersion", "creationTimestamp", "generation", "managedFields"):
        md.pop(field, None)
    store.create(*VMI, clone, namespace=md["namespace"])


async def run(args: list[str], home: Path) -> tuple[int, str, str]:
    """`python -m cnvtui ARGS` with HOME at `home` and no KUBECONFIG: (exit, stdout, stderr)."""
    env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
    env["HOME"] = str(home)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cnvtui", *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()
