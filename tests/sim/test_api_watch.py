"""Watches over HTTP: events in order, resume, bookmarks, 410 Gone, timeouts, selectors,
dropped connections and restarts, Table and metadata-only events."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest

from cnvtui.sim.errors import ApiError

from . import POM, TABLE, VMIS, api_of, minimal_vmi, vmis_in

GROUP, PLURAL = "kubevirt.io", "virtualmachineinstances"


def relabel(store: Any, name: str, labels: dict[str, Any]) -> None:
    store.patch(GROUP, PLURAL, "vm-test", name, "merge", {"metadata": {"labels": labels}})


async def test_watch_from_list_sees_every_change_in_order(sim: Any) -> None:
    server = await sim(vmis=3)
    store = server.store
    async with api_of(server) as api:
        listed = (await api.get(VMIS)).json
        rv = listed["metadata"]["resourceVersion"]
        async with api.watch(VMIS, {"resourceVersion": rv}) as stream:
            store.create(GROUP, PLURAL, minimal_vmi("w1"))
            relabel(store, "w1", {"x": "1"})
            store.delete(GROUP, PLURAL, "vm-test", "w1")
            events = await stream.take(3)
        assert [e["type"] for e in events] == ["ADDED", "MODIFIED", "DELETED"]
        rvs = [int(e["object"]["metadata"]["resourceVersion"]) for e in events]
        assert rvs == sorted(rvs) and rvs[0] > int(rv)
        assert events[1]["object"]["metadata"]["labels"] == {"x": "1"}
        assert events[2]["object"]["metadata"]["resourceVersion"] == str(store.resource_version)
        assert events[0]["object"]["kind"] == "VirtualMachineInstance"


async def test_watch_without_resource_version_starts_with_the_current_objects(sim: Any) -> None:
    server = await sim(vmis=4)
    async with api_of(server) as api, api.watch(vmis_in("vm-test")) as stream:
        names = {o["metadata"]["name"] for o in server.store.list(GROUP, PLURAL, "vm-test")[0]}
        events = await stream.take(len(names))
        assert {e["type"] for e in events} == {"ADDED"}
        assert {e["object"]["metadata"]["name"] for e in events} == names


async def test_resume_replays_what_happened_since(sim: Any) -> None:
    server = await sim(vmis=2)
    store = server.store
    rv = store.resource_version
    store.create(GROUP, PLURAL, minimal_vmi("r1"))
    store.create(GROUP, PLURAL, minimal_vmi("r2", "vm-prod"))
    relabel(store, "r1", {"y": "2"})
    async with api_of(server) as api:
        async with api.watch(vmis_in("vm-test"), {"resourceVersion": str(rv)}) as stream:
            events = await stream.take(2)
        assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [
            ("ADDED", "r1"),
            ("MODIFIED", "r1"),
        ]


async def test_too_old_resource_version_gets_an_error_event_with_410(sim: Any) -> None:
    server = await sim(vmis=2, history_size=3)
    store = server.store
    old = store.resource_version
    for i in range(5):
        store.create(GROUP, PLURAL, minimal_vmi(f"h{i}"))
    async with api_of(server) as api:
        async with api.watch(VMIS, {"resourceVersion": str(old)}) as stream:
            event = await stream.next()
            assert event is not None and event["type"] == "ERROR"
            status = event["object"]
            assert status["kind"] == "Status" and status["code"] == 410
            assert status["reason"] == "Expired"
            assert status["message"].startswith(f"too old resource version: {old} (")
            assert await stream.next() is None
        recent = store.resource_version - 1
        async with api.watch(VMIS, {"resourceVersion": str(recent)}) as stream:
            store.create(GROUP, PLURAL, minimal_vmi("h-after"))
            assert (await stream.take(2))[1]["object"]["metadata"]["name"] == "h-after"
        store.compact()
        async with api.watch(VMIS, {"resourceVersion": str(recent)}) as stream:
            event = await stream.next()
            assert event is not None and event["object"]["code"] == 410


async def test_bookmarks_periodically_and_on_request_only_when_allowed(sim: Any) -> None:
    server = await sim(vmis=1, bookmark_interval=0.2)
    store = server.store
    async with api_of(server) as api:
        rv = str(store.resource_version)
        params = {"resourceVersion": rv, "allowWatchBookmarks": "true"}
        async with api.watch(VMIS, params) as stream:
            bookmark = await stream.next()
            assert bookmark is not None and bookmark["type"] == "BOOKMARK"
            assert bookmark["object"]["kind"] == "VirtualMachineInstance"
            assert bookmark["object"]["metadata"]["resourceVersion"] == rv
            store.create(
                "",
                "namespaces",
                {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "elsewhere"}},
            )
            store.bookmark()
            moved = await stream.until(lambda e: e["object"]["metadata"]["resourceVersion"] != rv)
            assert moved["type"] == "BOOKMARK"
            assert moved["object"]["metadata"]["resourceVersion"] == str(store.resource_version)
        async with api.watch(VMIS, {"resourceVersion": rv, "timeoutSeconds": "1"}) as stream:
            store.bookmark()
            assert await stream.next(wait=5) is None, "no bookmarks unless asked for"


async def test_timeout_seconds_ends_the_stream(sim: Any) -> None:
    server = await sim(vmis=1)
    async with api_of(server) as api:
        rv = str(server.store.resource_version)
        async with api.watch(VMIS, {"resourceVersion": rv, "timeoutSeconds": "1"}) as stream:
            assert await stream.next(wait=10) is None
        # Negative: a timer that has already fired (the apiserver does not refuse it).
        async with api.watch(VMIS, {"resourceVersion": rv, "timeoutSeconds": "-5"}) as stream:
            assert await stream.next(wait=2) is None


async def test_selector_watch_turns_relabels_into_added_and_deleted(sim: Any) -> None:
    server = await sim(vmis=1)
    store = server.store
    store.create(GROUP, PLURAL, minimal_vmi("s1", tier="db"))
    async with api_of(server) as api:
        rv = str(store.resource_version)
        params = {"resourceVersion": rv, "labelSelector": "tier=web"}
        async with api.watch(VMIS, params) as stream:
            relabel(store, "s1", {"tier": "web"})
            relabel(store, "s1", {"tier": "web", "more": "x"})
            relabel(store, "s1", {"tier": "db"})
            events = await stream.take(3)
        assert [e["type"] for e in events] == ["ADDED", "MODIFIED", "DELETED"]
        assert events[2]["object"]["metadata"]["labels"]["tier"] == "web", "last state it matched"


async def test_dropped_watches_and_restart_keep_the_store(sim: Any) -> None:
    server = await sim(vmis=2)
    store = server.store
    async with api_of(server) as api:
        rv = str(store.resource_version)
        async with api.watch(VMIS, {"resourceVersion": rv}) as stream:
            await asyncio.sleep(0.1)
            assert server.close_watches() == 1
            assert await stream.next() is None
        port = server.port
        store.create(GROUP, PLURAL, minimal_vmi("during"))
        async with api.watch(VMIS, {"resourceVersion": rv}) as stream:
            assert (await stream.take(1))[0]["object"]["metadata"]["name"] == "during"
            await server.restart()
            with pytest.raises(aiohttp.ClientError):
                await stream.next()
        assert server.port == port
        reply = await api.get(f"{vmis_in('vm-test')}/during")
        assert reply.status == 200


async def test_table_and_metadata_only_watches(sim: Any) -> None:
    server = await sim(vmis=1)
    store = server.store
    async with api_of(server) as api:
        rv = str(store.resource_version)
        async with api.watch(VMIS, {"resourceVersion": rv}, accept=TABLE) as stream:
            store.create(GROUP, PLURAL, minimal_vmi("t1"))
            relabel(store, "t1", {"a": "b"})
            first, second = await stream.take(2)
        assert first["object"]["kind"] == "Table"
        names = [c["name"] for c in first["object"]["columnDefinitions"]]
        assert names[:2] == ["Name", "Age"] and "Phase" in names
        assert second["object"]["columnDefinitions"] is None
        row = second["object"]["rows"][0]
        assert row["cells"][0] == "t1"
        assert row["object"]["kind"] == "PartialObjectMetadata"
        async with api.watch(VMIS, {"resourceVersion": rv}, accept=POM) as stream:
            event = (await stream.take(1))[0]
        assert event["object"]["kind"] == "PartialObjectMetadata"
        assert event["object"]["apiVersion"] == "meta.k8s.io/v1"
        assert set(event["object"]) == {"kind", "apiVersion", "metadata"}


async def test_send_initial_events_ends_with_a_marked_bookmark(sim: Any) -> None:
    server = await sim(vmis=3)
    async with api_of(server) as api:
        params = {
            "sendInitialEvents": "true",
            "allowWatchBookmarks": "true",
            "resourceVersionMatch": "NotOlderThan",
        }
        async with api.watch(VMIS, params) as stream:
            events = await stream.take(4)
        assert [e["type"] for e in events] == ["ADDED"] * 3 + ["BOOKMARK"]
        annotations = events[3]["object"]["metadata"]["annotations"]
        assert annotations == {"k8s.io/initial-events-end": "true"}


async def test_watch_one_object_by_name(sim: Any) -> None:
    server = await sim(vmis=1)
    store = server.store
    store.create(GROUP, PLURAL, minimal_vmi("one"))
    store.create(GROUP, PLURAL, minimal_vmi("two"))
    async with api_of(server) as api:
        rv = str(store.resource_version)
        async with api.watch(f"{vmis_in('vm-test')}/one", {"resourceVersion": rv}) as stream:
            relabel(store, "two", {"n": "2"})
            relabel(store, "one", {"n": "1"})
            event = (await stream.take(1))[0]
        assert event["object"]["metadata"]["name"] == "one"


async def test_in_process_watch_yields_copies(sim: Any) -> None:
    server = await sim(vmis=1)
    store = server.store
    rv = str(store.resource_version)
    watch = store.watch(GROUP, PLURAL, "vm-test", resource_version=rv)
    store.create(GROUP, PLURAL, minimal_vmi("p1"))
    iterator = aiter(watch)
    kind, obj = await asyncio.wait_for(anext(iterator), 5)
    assert kind == "ADDED"
    obj["metadata"]["name"] = "tampered"
    assert store.get(GROUP, PLURAL, "vm-test", "p1")["metadata"]["name"] == "p1"
    watch.close()
    store.compact()
    try:
        store.watch(GROUP, PLURAL, resource_version=rv)
        raise AssertionError("expected 410")
    except ApiError as exc:
        assert exc.code == 410
