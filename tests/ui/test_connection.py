"""Connection states a user must see: reconnecting (with the age of the data), forbidden,
unauthorized; and the one-line refusals before the UI starts."""

from __future__ import annotations

import io
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import yaml

from cnvtui.exitcodes import ExitCode
from cnvtui.kube.client import KubeClient
from cnvtui.kube.config import ConfigSource
from cnvtui.kube.events import KubeEvent, StreamState, StreamStatus
from cnvtui.sim.auth import Rule
from cnvtui.sim.server import SimServer
from cnvtui.ui.app import DashboardApp
from cnvtui.ui.run import detect_hco_namespace, run_dashboard_async
from cnvtui.ui.widgets.header import Target

from . import dashboard, until, until_shows

Sim = Callable[..., Awaitable[SimServer]]

READ_ALL_BUT_INSTALL_PLANS = [
    Rule.of(
        {
            "verbs": ["get", "list", "watch"],
            "apiGroups": [
                "",
                "hco.kubevirt.io",
                "kubevirt.io",
                "config.openshift.io",
                "machineconfiguration.openshift.io",
                "nodemaintenance.medik8s.io",
                "nodemaintenance.kubevirt.io",
            ],
            "resources": ["*"],
        }
    ),
    Rule.of(
        {
            "verbs": ["get", "list", "watch"],
            "apiGroups": ["operators.coreos.com"],
            "resources": ["clusterserviceversions", "subscriptions"],
        }
    ),
]


async def test_server_outage_shows_reconnecting_then_recovers(sim: Sim) -> None:
    server = await sim(vmis=3)
    async with dashboard(server) as (_app, pilot):
        await until_shows(pilot, "IDLE", "● live 12/12")
        await server.stop()
        # The streams notice one by one; wait until the line names the first of them all.
        text = await until(pilot, lambda t: "data as of" in t and "csv, hco" in t, what="all")
        trouble = next(line for line in text.splitlines() if "data as of" in line)
        assert "reconnecting" in trouble and "csv" in trouble and "hco" in trouble
        vmi = server.store.list("kubevirt.io", "virtualmachineinstances")[0][0]
        server.store.patch(
            "kubevirt.io",
            "virtualmachineinstances",
            vmi["metadata"]["namespace"],
            vmi["metadata"]["name"],
            "merge",
            {"metadata": {"labels": {"kubevirt.io/outdatedLauncherImage": ""}}},
        )
        await server.start()
        text = await until_shows(pilot, "● live 12/12", "Outdated 1 of 3")
        assert "data as of" not in text
        assert "watch" in text and "restored" in text, "the timeline records the outage"


async def test_forbidden_resource_is_named_not_shown_as_empty(sim: Sim) -> None:
    server = await sim(vmis=2, role="limited", roles={"limited": READ_ALL_BUT_INSTALL_PLANS})
    async with dashboard(server) as (_app, pilot):
        text = await until_shows(pilot, "forbidden: installplan")
        assert "kubevirt-hyperconverged-operator.v4.14.3" in text, "the rest still works"


async def test_wrong_token_shows_unauthorized(sim: Sim, tmp_path: Path) -> None:
    server = await sim(vmis=2, token="right-token")
    config = server.kubeconfig()
    config["users"][0]["user"]["token"] = "wrong-token"
    path = tmp_path / "wrong.kubeconfig"
    path.write_text(yaml.safe_dump(config))
    async with dashboard(server, kubeconfig=str(path)) as (_app, pilot):
        text = await until(pilot, lambda t: "unauthorized" in t, what="unauthorized")
    assert "wrong-token" not in text and "right-token" not in text


async def test_no_kubeconfig_is_one_line_suggesting_the_demo(tmp_path: Path) -> None:
    err = io.StringIO()
    code = await run_dashboard_async(kubeconfig=str(tmp_path / "missing"), stderr=err)
    assert code == ExitCode.CONFIG
    lines = err.getvalue().splitlines()
    assert len(lines) == 1
    assert "missing" in lines[0] and "cnvtui demo" in lines[0]


async def test_unreachable_cluster_is_one_line_suggesting_the_demo(
    sim: Sim, tmp_path: Path
) -> None:
    server = await sim(vmis=1)
    await server.stop()
    err = io.StringIO()
    code = await run_dashboard_async(kubeconfig=str(server.kubeconfig_path), stderr=err)
    assert code == ExitCode.UNREACHABLE
    lines = err.getvalue().splitlines()
    assert len(lines) == 1
    assert "cannot reach the cluster" in lines[0] and "cnvtui demo" in lines[0]
    assert "Traceback" not in err.getvalue()


async def test_rejected_credentials_at_start_up_exit_5(sim: Sim, tmp_path: Path) -> None:
    server = await sim(vmis=1, token="right-token")
    config = server.kubeconfig()
    config["users"][0]["user"]["token"] = "wrong-token"
    path = tmp_path / "wrong.kubeconfig"
    path.write_text(yaml.safe_dump(config))
    err = io.StringIO()
    code = await run_dashboard_async(kubeconfig=str(path), stderr=err)
    assert code == ExitCode.UNAUTHORIZED
    lines = err.getvalue().splitlines()
    assert len(lines) == 1 and "rejected the credentials" in lines[0]
    assert "wrong-token" not in lines[0]


HCO_IN_OPENSHIFT_CNV_ONLY = [
    Rule.of(
        {
            "verbs": ["get", "list", "watch"],
            "apiGroups": ["hco.kubevirt.io"],
            "resources": ["*"],
            "namespaces": ["openshift-cnv"],
        }
    )
]


async def test_a_namespace_it_may_not_read_exits_6(sim: Sim) -> None:
    server = await sim(vmis=1, role="cnv", roles={"cnv": HCO_IN_OPENSHIFT_CNV_ONLY})
    err = io.StringIO()
    code = await run_dashboard_async(
        kubeconfig=str(server.kubeconfig_path), namespace="kube-system", stderr=err
    )
    assert code == ExitCode.FORBIDDEN
    lines = err.getvalue().splitlines()
    assert len(lines) == 1 and "forbidden" in lines[0] and "kube-system" in lines[0]

    client = await KubeClient.connect(ConfigSource(kubeconfig=str(server.kubeconfig_path)))
    try:  # a forbidden cluster-wide list is no refusal: the default namespace is tried
        assert await detect_hco_namespace(client) == "openshift-cnv"
        assert await detect_hco_namespace(client, "openshift-cnv") == "openshift-cnv"
    finally:
        await client.close()


async def test_connections_screen_lists_every_watch(sim: Sim) -> None:
    server = await sim(vmis=2, role="limited", roles={"limited": READ_ALL_BUT_INSTALL_PLANS})
    async with dashboard(server) as (_app, pilot):
        await until_shows(pilot, "forbidden: installplan")
        await pilot.press("c")
        text = await until(
            pilot,
            lambda t: re.search(r"│ installplan\s+forbidden", t) is not None,
            what="the installplan watch listed as forbidden",
        )
        assert re.search(r"│ csv\s+live", text)
        assert "DATA AS OF" in text
        await pilot.press("escape")
        text = await until_shows(pilot, "Operator")
        assert "DATA AS OF" not in text


class EndingSource:
    """A source whose stream breaks after the first batch, as a bug below the UI would."""

    async def batches(self) -> AsyncIterator[Sequence[KubeEvent]]:
        yield [StreamStatus("csv", StreamState.LIVE, time.time())]
        raise RuntimeError("socket exploded")

    async def related_events(self, kind: str, namespace: str, name: str) -> list[dict[str, Any]]:
        return []

    async def close(self) -> None:
        return None


async def test_a_broken_event_stream_is_shown_as_stale_not_current() -> None:
    app = DashboardApp(EndingSource(), target=Target("ctx", "https://x:6443", "openshift-cnv"))
    async with app.run_test(size=(120, 30)) as pilot:
        text = await until_shows(pilot, "STALE", "socket exploded")
        assert "Traceback" not in text
