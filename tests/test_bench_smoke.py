"""A smoke run of the benchmark harness on tiny sizes (no timing assertions), and the
per-client accounting it relies on at the simulated API server."""

from __future__ import annotations

import asyncio
import gc
import shutil
from pathlib import Path

import aiohttp
import pytest

from bench.ingest import run_ingest
from bench.latency import run_latency
from bench.run import render_table
from cnvtui.kube.client import KubeClient
from cnvtui.kube.config import ConfigSource
from cnvtui.kube.gc_tuning import STREAM_THRESHOLDS
from cnvtui.kube.hub import StreamSpec, WatchHub
from cnvtui.kube.resources import VMI
from cnvtui.sim.accounting import Accounting, token_id
from cnvtui.sim.server import SimServer

VMIS = "/apis/kubevirt.io/v1/virtualmachineinstances"


async def test_accounting_counts_each_client_and_open_watches() -> None:
    accounting = Accounting()
    users = [("alice", "token-a", "admin"), ("bob", "token-b", "admin")]
    alice = {"Authorization": "Bearer token-a"}
    bob = {"Authorization": "Bearer token-b"}
    server = SimServer(vmis=20, users=users, middlewares=[accounting])
    async with server, aiohttp.ClientSession() as session:
        async with session.get(server.url + VMIS, headers=alice) as response:
            listed = await response.read()
        async with session.get(server.url + VMIS, params={"watch": "true"}, headers=bob) as watch:
            await watch.content.readline()
            while_open = accounting.snapshot()["token:" + token_id("token-b")]
    snap = accounting.snapshot()
    a = snap["token:" + token_id("token-a")]
    assert a["requests"] == 1 and a["watches"] == 0
    assert a["bytes"] > len(listed)
    assert while_open["watches"] == 1 and while_open["bytes"] > 1000
    assert snap["token:" + token_id("token-b")]["bytes"] >= while_open["bytes"]


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="needs kubectl")
def test_ingest_smoke_every_consumer_reads_the_whole_stream(tmp_path: Path) -> None:
    result = run_ingest(tmp_path, events=300, objects=40, repeats=1)
    for consumer in ("cnvtui", "floor", "kubectl"):
        assert result[consumer]["events"] == 300, consumer
        assert result[consumer]["events_per_s"] > 0
    assert result["cnvtui"]["objects"] == 40
    assert result["mean_event_bytes"] > 1000
    table = render_table({"plan": {}, "ingest": [result]})
    assert "cnvtui vs kubectl" in table and "cnvtui vs floor" in table


def test_latency_smoke_every_change_reaches_the_screen(tmp_path: Path) -> None:
    result = run_latency(tmp_path, vmis=60, rates={40: 20}, idle_seconds=0.5)
    assert result["start_to_screen_s"] is not None
    assert result["rate_40"]["changes"] == 20
    assert result["rate_40"]["seen"] == 20
    assert result["peak_rss_mb"] > 0
    table = render_table({"plan": {}, "latency": [result]})
    assert "start to screen (60)" in table


async def test_watch_hub_raises_gc_thresholds_for_large_heaps(tmp_path: Path) -> None:
    """The ingest benchmark's fix: a hub that starts streaming tunes the collector."""
    saved = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    try:
        async with SimServer(vmis=5, kubeconfig_path=tmp_path / "kubeconfig") as server:
            client = await KubeClient.connect(ConfigSource(kubeconfig=str(server.kubeconfig_path)))
            async with client, WatchHub(client, [StreamSpec(VMI)]) as hub:
                event = await asyncio.wait_for(hub.get(), 10)
        assert event is not None
        assert gc.get_threshold() == STREAM_THRESHOLDS
    finally:
        gc.set_threshold(*saved)
