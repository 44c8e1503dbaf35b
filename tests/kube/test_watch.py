"""The list+watch loop against the simulated cluster over real HTTP: whatever happens to the
connection or the server, what the consumer holds ends equal to what the server holds."""

from __future__ import annotations

import asyncio
import copy
import dataclasses
from pathlib import Path
from typing import Any

from cnvtui.kube.events import ObjectChange, StreamState
from cnvtui.kube.hub import StreamSpec, WatchHub
from cnvtui.kube.resources import CSV, HCO, HCO_V1, NODE, VMI
from cnvtui.kube.watch import ListWatch, watch_stream
from cnvtui.sim.auth import Rule
from cnvtui.sim.server import SimServer

from . import (
    FAST,
    Mirror,
    Proxy,
    connect,
    eventually,
    server_view,
    versions,
    write_kubeconfig,
)

OUTDATED = "kubevirt.io/outdatedLauncherImage"


def new_vmi(server: SimServer, name: str, namespace: str, **labels: str) -> dict[str, Any]:
    """Create a VMI shaped like the seeded ones (without finalizers, so deletes are final)."""
    items, _ = server.store.list(VMI.group, VMI.plural)
    obj = copy.deepcopy(items[0])
    obj["metadata"] = {"name": name, "namespace": namespace, "labels": dict(labels)}
    return server.store.create(VMI.group, VMI.plural, obj, namespace=namespace)


def drop_finalizers(server: SimServer) -> None:
    for obj in server.store.list(VMI.group, VMI.plural)[0]:
        md = obj["metadata"]
        server.store.patch(
            VMI.group, VMI.plural, md["namespace"], md["name"], "merge",
            {"metadata": {"finalizers": None}},
        )  # fmt: skip


def relabel(server: SimServer, obj: dict[str, Any], labels: dict[str, str | None]) -> None:
    md = obj["metadata"]
    server.store.patch(
        VMI.group,
        VMI.plural,
        md["namespace"],
        md["name"],
        "merge",
        {"metadata": {"labels": labels}},
    )


async def test_list_then_watch_converges_on_every_change(sim: Any) -> None:
    server = await sim(vmis=12)
    client = await connect(server.kubeconfig_path)
    mirror = Mirror(watch_stream(client, VMI, settings=FAST))
    try:
        await mirror.until_state(StreamState.LIVE)
        assert mirror.view == server_view(server, VMI)
        assert mirror.states() == [StreamState.SYNCING, StreamState.LIVE]
        listed = [c for c in mirror.changes if c.type == "ADDED"]
        assert len(listed) == 12
        assert all(c.obj["kind"] == "VirtualMachineInstance" for c in listed)

        drop_finalizers(server)
        added = new_vmi(server, "fresh-vm", "vm-prod", app="db")
        relabel(server, added, {"app": "web"})
        victim = next(iter(server_view(server, VMI).values()))["metadata"]
        server.store.delete(VMI.group, VMI.plural, victim["namespace"], victim["name"])
        await eventually(lambda: mirror.view == server_view(server, VMI), "mirror == server")
        assert mirror.view[("vm-prod", "fresh-vm")]["metadata"]["labels"] == {"app": "web"}
        kinds = [c.type for c in mirror.changes[len(listed) :]]
        assert "ADDED" in kinds
        assert "DELETED" in kinds
        assert mirror.state == StreamState.LIVE
    finally:
        await mirror.close()
        await client.close()


async def test_dropped_connections_resume_without_loss(sim: Any) -> None:
    server = await sim(vmis=8)
    client = await connect(server.kubeconfig_path)
    lw = ListWatch(client, VMI, settings=FAST)
    mirror = Mirror(lw.events())
    try:
        await mirror.until_state(StreamState.LIVE)
        drop_finalizers(server)
        for round_ in range(15):
            assert server.close_watches() <= 1
            new_vmi(server, f"churn-{round_}", "vm-test", round=str(round_))
            if round_ % 3 == 0:
                server.store.delete(VMI.group, VMI.plural, "vm-test", f"churn-{round_}")
            await eventually(lambda: mirror.view == server_view(server, VMI), "converged")
        # Every drop was resumed from the last resourceVersion: one list, no re-list.
        assert mirror.states().count(StreamState.SYNCING) == 1
        assert StreamState.FORBIDDEN not in mirror.states()
        assert lw.resource_version == max(versions(mirror.view).values(), key=int)
    finally:
        await mirror.close()
        await client.close()


async def test_gone_resume_point_relists_and_reports_deletions(sim: Any) -> None:
    server = await sim(vmis=6)
    client = await connect(server.kubeconfig_path)
    mirror = Mirror(watch_stream(client, VMI, settings=FAST))
    try:
        await mirror.until_state(StreamState.LIVE)
        drop_finalizers(server)
        before = server_view(server, VMI)
        # While the watch is down: a deletion, an addition, a change; then the history goes.
        server.close_watches()
        gone_key = sorted(before)[0]
        server.store.delete(VMI.group, VMI.plural, gone_key[0], gone_key[1])
        new_vmi(server, "born-offline", "vm-dev")
        relabel(server, before[sorted(before)[1]], {"changed": "offline"})
        server.store.compact()

        await eventually(lambda: mirror.view == server_view(server, VMI), "converged")
        deleted = [c for c in mirror.changes if c.type == "DELETED"]
        assert [(c.obj["metadata"]["namespace"], c.obj["metadata"]["name"]) for c in deleted] == [
            gone_key
        ]
        assert deleted[0].obj["kind"] == "VirtualMachineInstance"
        assert mirror.states().count(StreamState.SYNCING) == 2
        assert mirror.state == StreamState.LIVE
    finally:
        await mirror.close()
        await client.close()


async def test_server_restart_reports_reconnecting_then_recovers(sim: Any) -> None:
    server = await sim(vmis=5)
    client = await connect(server.kubeconfig_path)
    mirror = Mirror(watch_stream(client, VMI, settings=FAST))
    try:
        await mirror.until_state(StreamState.LIVE)
        await server._close_listener()
        drop_finalizers(server)
        new_vmi(server, "while-down", "vm-prod")
        status = await mirror.until_state(StreamState.RECONNECTING)
        assert status.as_of is not None
        assert status.message == "cannot connect to the API server"
        await server._listen()
        await mirror.until_state(StreamState.LIVE)
        await eventually(lambda: mirror.view == server_view(server, VMI), "converged")

        await server.restart()
        new_vmi(server, "after-restart", "vm-prod")
        await eventually(lambda: mirror.view == server_view(server, VMI), "converged again")
    finally:
        await mirror.close()
        await client.close()


async def test_bookmarks_move_the_resume_point(sim: Any) -> None:
    server = await sim(vmis=4)
    client = await connect(server.kubeconfig_path)
    # Nothing matches the selector, so only bookmarks can tell the stream where the server is.
    lw = ListWatch(client, VMI, label_selector="app=nothing", settings=FAST)
    mirror = Mirror(lw.events())
    try:
        await mirror.until_state(StreamState.LIVE)
        listed_at = lw.resource_version
        drop_finalizers(server)
        for i in range(3):
            new_vmi(server, f"other-{i}", "vm-dev")
        server.store.bookmark()
        now = str(server.store.resource_version)
        await eventually(lambda: lw.resource_version == now, "bookmark received")
        assert listed_at != now
        # History before the bookmark is forgotten: the resume still works, no re-list.
        server.store.compact()
        server.close_watches()
        new_vmi(server, "match", "vm-dev", app="nothing")
        await eventually(lambda: ("vm-dev", "match") in mirror.view, "event after resume")
        assert mirror.states().count(StreamState.SYNCING) == 1
    finally:
        await mirror.close()
        await client.close()


async def test_small_pages_list_everything(sim: Any, tmp_path: Path) -> None:
    server = await sim(vmis=23)
    proxy = await Proxy(server.port).start()
    client = await connect(proxy.kubeconfig(server, tmp_path / "kc"))
    settings = dataclasses.replace(FAST, page_size=5)
    mirror = Mirror(watch_stream(client, VMI, settings=settings))
    try:
        await mirror.until_state(StreamState.LIVE)
        assert mirror.view == server_view(server, VMI)
        assert len(mirror.changes) == 23
        lists = [r for r in proxy.requests if "watch=" not in r]
        assert len(lists) == 5
        assert all("limit=5" in r for r in lists)
        assert sum("continue=" in r for r in lists) == 4
    finally:
        await mirror.close()
        await client.close()
        await proxy.close()


async def test_label_and_field_selectors(sim: Any) -> None:
    server = await sim(vmis=10)
    client = await connect(server.kubeconfig_path)
    outdated = Mirror(watch_stream(client, VMI, label_selector=OUTDATED, settings=FAST))
    in_ns = Mirror(watch_stream(client, VMI, namespace="vm-prod", settings=FAST))
    by_field = Mirror(
        watch_stream(client, VMI, field_selector="metadata.namespace=vm-dev", settings=FAST)
    )
    try:
        for m in (outdated, in_ns, by_field):
            await m.until_state(StreamState.LIVE)
        vmis = sorted(server_view(server, VMI).values(), key=lambda o: o["metadata"]["name"])
        relabel(server, vmis[0], {OUTDATED: ""})
        relabel(server, vmis[1], {OUTDATED: ""})
        relabel(server, vmis[1], {OUTDATED: None})
        await eventually(
            lambda: outdated.view == server_view(server, VMI, label_selector=OUTDATED),
            "outdated VMIs",
        )
        assert list(outdated.view) == [
            (vmis[0]["metadata"]["namespace"], vmis[0]["metadata"]["name"])
        ]
        await eventually(lambda: in_ns.view == server_view(server, VMI, "vm-prod"), "namespace")
        await eventually(lambda: by_field.view == server_view(server, VMI, "vm-dev"), "field")
        assert in_ns.view
        assert by_field.view
    finally:
        for m in (outdated, in_ns, by_field):
            await m.close()
        await client.close()


async def test_metadata_only_stream(sim: Any) -> None:
    server = await sim(vmis=6)
    client = await connect(server.kubeconfig_path)
    mirror = Mirror(watch_stream(client, VMI, metadata_only=True, settings=FAST))
    try:
        await mirror.until_state(StreamState.LIVE)
        full = server_view(server, VMI)
        assert set(mirror.view) == set(full)
        for key, obj in mirror.view.items():
            assert obj["kind"] == "PartialObjectMetadata"
            assert "status" not in obj
            assert "spec" not in obj
            assert obj["metadata"]["uid"] == full[key]["metadata"]["uid"]
        relabel(server, next(iter(full.values())), {OUTDATED: ""})
        await eventually(
            lambda: versions(mirror.view) == versions(server_view(server, VMI)), "versions"
        )
        changed = mirror.changes[-1].obj
        assert changed["kind"] == "PartialObjectMetadata"
        assert OUTDATED in changed["metadata"]["labels"]
    finally:
        await mirror.close()
        await client.close()


async def test_wrong_token_is_unauthorized_until_reload(sim: Any, tmp_path: Path) -> None:
    server = await sim(vmis=3, token="right-token")
    path = write_kubeconfig(server, tmp_path / "kc", token="stale-token")
    client = await connect(path)
    mirror = Mirror(watch_stream(client, CSV, namespace="openshift-cnv", settings=FAST))
    try:
        status = await mirror.until_state(StreamState.UNAUTHORIZED)
        assert "log in again" in status.message
        assert "stale-token" not in status.message
        assert mirror.view == {}
        # `oc login` writes a new token; reload wakes the stream (it would wait a minute).
        write_kubeconfig(server, path, token="right-token")
        await client.reload()
        await mirror.until_state(StreamState.LIVE)
        assert mirror.view == server_view(server, CSV, "openshift-cnv")
    finally:
        await mirror.close()
        await client.close()


async def test_forbidden_for_one_kind_live_for_another(sim: Any) -> None:
    server = await sim(
        vmis=3,
        role="nodes-only",
        roles={"nodes-only": [_rule(["get", "list", "watch"], [""], ["nodes"])]},
    )
    client = await connect(server.kubeconfig_path)
    nodes = Mirror(watch_stream(client, NODE, settings=FAST))
    vmis = Mirror(watch_stream(client, VMI, settings=FAST))
    try:
        status = await vmis.until_state(StreamState.FORBIDDEN)
        assert status.message == (
            "needs list and watch on virtualmachineinstances.kubevirt.io in all namespaces"
        )
        await nodes.until_state(StreamState.LIVE)
        assert nodes.view == server_view(server, NODE)
    finally:
        await nodes.close()
        await vmis.close()
        await client.close()


def _rule(verbs: list[str], groups: list[str], resources: list[str]) -> Rule:
    return Rule(frozenset(verbs), frozenset(groups), frozenset(resources))


async def test_not_installed_api(sim: Any) -> None:
    server = await sim(vmis=2)
    client = await connect(server.kubeconfig_path)
    v1 = Mirror(watch_stream(client, HCO_V1, namespace="openshift-cnv", settings=FAST))
    v1beta1 = Mirror(watch_stream(client, HCO, namespace="openshift-cnv", settings=FAST))
    try:
        status = await v1.until_state(StreamState.NOT_INSTALLED)
        assert status.message == "hyperconvergeds.hco.kubevirt.io/v1 is not served by this cluster"
        await v1beta1.until_state(StreamState.LIVE)
        assert len(v1beta1.view) == 1
    finally:
        await v1.close()
        await v1beta1.close()
        await client.close()


async def test_tls_with_the_generated_ca(sim: Any, tmp_path: Path) -> None:
    server = await sim(vmis=2, tls=True)
    client = await connect(server.kubeconfig_path)
    mirror = Mirror(watch_stream(client, NODE, settings=FAST))
    untrusted = await connect(
        write_kubeconfig(server, tmp_path / "no-ca", certificate_authority_data=None)
    )
    refused = Mirror(watch_stream(untrusted, NODE, settings=FAST))
    try:
        await mirror.until_state(StreamState.LIVE)
        assert mirror.view == server_view(server, NODE)
        status = await refused.until_state(StreamState.RECONNECTING)
        assert status.message.startswith("TLS verification failed")
        assert refused.view == {}
    finally:
        await mirror.close()
        await refused.close()
        await client.close()
        await untrusted.close()


async def test_half_open_connection_is_detected_by_the_idle_timeout(
    sim: Any, tmp_path: Path
) -> None:
    server = await sim(vmis=3)
    proxy = await Proxy(server.port).start()
    client = await connect(proxy.kubeconfig(server, tmp_path / "kc"))
    settings = dataclasses.replace(FAST, idle_timeout=0.3, connect_timeout=0.3)
    mirror = Mirror(watch_stream(client, VMI, settings=settings))
    try:
        await mirror.until_state(StreamState.LIVE)
        proxy.freeze()
        drop_finalizers(server)
        new_vmi(server, "unseen-while-frozen", "vm-dev")
        status = await mirror.until_state(StreamState.RECONNECTING)
        assert status.as_of is not None
        assert ("vm-dev", "unseen-while-frozen") not in mirror.view
        proxy.cut()
        proxy.thaw()
        await mirror.until_state(StreamState.LIVE)
        await eventually(lambda: mirror.view == server_view(server, VMI), "converged")
    finally:
        await mirror.close()
        await client.close()
        await proxy.close()


async def test_hub_merges_streams_and_stops_cleanly(sim: Any) -> None:
    server = await sim(vmis=4)
    client = await connect(server.kubeconfig_path)
    hub = WatchHub(
        client,
        [StreamSpec(VMI), StreamSpec(CSV, namespace="openshift-cnv"), StreamSpec(HCO_V1)],
        settings=FAST,
    )
    wanted = {"vmi": StreamState.LIVE, "csv": StreamState.LIVE, "hco": StreamState.NOT_INSTALLED}
    seen: dict[str, int] = {}
    async with hub:
        async for batch in hub.batches():
            for event in batch:
                if isinstance(event, ObjectChange):
                    seen[event.kind] = seen.get(event.kind, 0) + 1
            states = {k: s.state for k, s in hub.statuses.items()}
            if states == wanted and seen.get("vmi") == 4:
                break
        await eventually(lambda: len(server.api.watches.open) == 2, "two watches open")
    assert seen == {"vmi": 4, "csv": 1}
    await client.close()


async def test_server_errors_back_off_and_honour_retry_after(sim: Any, tmp_path: Path) -> None:
    server = await sim(vmis=3)
    proxy = await Proxy(server.port).start()
    client = await connect(proxy.kubeconfig(server, tmp_path / "kc"))
    mirror = Mirror(watch_stream(client, VMI, settings=FAST))
    try:
        await mirror.until_state(StreamState.LIVE)
        proxy.answer(503, "ServiceUnavailable")
        proxy.cut()
        status = await mirror.until_state(StreamState.RECONNECTING)
        assert status.message == "server error 503 ServiceUnavailable: injected 503"
        await eventually(lambda: len(proxy.requests) >= 4, "retries with a short backoff")

        # 429 with Retry-After: 30 s, far beyond FAST's 0.2 s backoff cap: one try, then quiet.
        proxy.answer(429, "TooManyRequests", {"Retry-After": "30"})
        client.wake()
        await eventually(
            lambda: mirror.statuses[-1].message == "the API server is throttling requests (429)",
            "throttled",
        )
        tried = len(proxy.requests)
        await asyncio.sleep(0.5)
        assert len(proxy.requests) == tried

        # An HTTP 410 on the watch means the resume point is gone: list again.
        proxy.answer(410, "Gone")
        client.wake()
        await eventually(lambda: any("watch=" not in r for r in proxy.requests[tried:]), "relist")
        proxy.forward()
        client.wake()
        await mirror.until_state(StreamState.LIVE)
        await eventually(lambda: mirror.view == server_view(server, VMI), "converged")
    finally:
        await mirror.close()
        await client.close()
        await proxy.close()
