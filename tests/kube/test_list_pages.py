"""The first list is handed on page by page, objects shrunk on arrival, and the hub's backlog
is bounded: memory at start-up stays about one page of full objects, while the consumer's
view still converges to the server's and "live" still comes only after the whole list."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import dataclasses
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

from cnvtui.kube.events import KubeEvent, Obj, ObjectChange, StreamState, StreamStatus
from cnvtui.kube.hub import StreamSpec, WatchHub
from cnvtui.kube.projection import Projection
from cnvtui.kube.resources import VMI
from cnvtui.kube.watch import ListWatch

from . import FAST, Key, Mirror, Proxy, connect, eventually, key_of, server_view

PAGED = dataclasses.replace(FAST, page_size=5)


TINY = Projection("Tiny", {"kind": None, "metadata": ("labels",)})
"""Identity and labels only, as a consumer's slimming would keep."""


def tiny(obj: Obj) -> Obj:
    """What TINY should make of `obj`, written out by hand."""
    md = obj["metadata"]
    keep = ("name", "namespace", "uid", "resourceVersion", "labels")
    return {"kind": obj["kind"], "metadata": {k: md[k] for k in keep if k in md}}


def apply(view: dict[Key, Obj], batch: Sequence[KubeEvent]) -> None:
    for event in batch:
        if isinstance(event, ObjectChange):
            if event.type == "DELETED":
                view.pop(key_of(event.obj), None)
            else:
                view[key_of(event.obj)] = event.obj


def drop_finalizers(server: Any) -> None:
    for obj in server.store.list(VMI.group, VMI.plural)[0]:
        md = obj["metadata"]
        server.store.patch(
            VMI.group, VMI.plural, md["namespace"], md["name"], "merge",
            {"metadata": {"finalizers": None}},
        )  # fmt: skip


async def changes_until_live(
    batches: AsyncIterator[Sequence[KubeEvent]], states: list[StreamState]
) -> AsyncIterator[Sequence[KubeEvent]]:
    """The change batches of a stream up to its first LIVE, noting each state in `states`."""
    async for batch in batches:
        if isinstance(batch[0], StreamStatus):
            states.append(batch[0].state)
            if batch[0].state == StreamState.LIVE:
                return
            continue
        yield batch


async def test_first_list_arrives_page_by_page_and_live_only_at_the_end(
    sim: Any, tmp_path: Path
) -> None:
    server = await sim(vmis=23)
    proxy = await Proxy(server.port).start()
    client = await connect(proxy.kubeconfig(server, tmp_path / "kc"))
    batches = ListWatch(client, VMI, settings=PAGED).batches()
    view: dict[Key, Obj] = {}
    pages_when_seen: list[int] = []
    states: list[StreamState] = []
    try:
        async for batch in changes_until_live(batches, states):
            # The generator waits for us: each page is ours before the next is asked for.
            pages_when_seen.append(sum("watch=" not in r for r in proxy.requests))
            assert len(batch) <= 5
            assert states == [StreamState.SYNCING]
            apply(view, batch)
        assert pages_when_seen == [1, 2, 3, 4, 5]
        assert states == [StreamState.SYNCING, StreamState.LIVE]
        assert view == server_view(server, VMI)
    finally:
        await batches.aclose()
        await client.close()
        await proxy.close()


async def test_shrunk_objects_on_list_watch_and_relist(sim: Any) -> None:
    server = await sim(vmis=9)
    client = await connect(server.kubeconfig_path)
    mirror = Mirror(ListWatch(client, VMI, projection=TINY, settings=PAGED).events())
    try:
        await mirror.until_state(StreamState.LIVE)
        assert mirror.view == {k: tiny(o) for k, o in server_view(server, VMI).items()}
        assert all(set(c.obj) == {"kind", "metadata"} for c in mirror.changes)

        drop_finalizers(server)
        first = next(iter(server_view(server, VMI).values()))["metadata"]
        server.store.patch(
            VMI.group, VMI.plural, first["namespace"], first["name"], "merge",
            {"metadata": {"labels": {"seen": "live"}}},
        )  # fmt: skip
        await eventually(
            lambda: mirror.view == {k: tiny(o) for k, o in server_view(server, VMI).items()},
            "a watched change arrives shrunk",
        )
        # While the watch is down a VMI goes and the history with it: the relist's diff
        # against what was shrunk still reports exactly the deletion.
        server.close_watches()
        gone = sorted(server_view(server, VMI))[-1]
        server.store.delete(VMI.group, VMI.plural, gone[0], gone[1])
        server.store.compact()
        await eventually(lambda: gone not in mirror.view, "relisted")
        assert mirror.view == {k: tiny(o) for k, o in server_view(server, VMI).items()}
        deleted = [c for c in mirror.changes if c.type == "DELETED"]
        assert [key_of(c.obj) for c in deleted] == [gone]
        assert mirror.states().count(StreamState.SYNCING) == 2
    finally:
        await mirror.close()
        await client.close()


async def test_a_list_broken_midway_converges_on_the_fresh_snapshot(sim: Any) -> None:
    server = await sim(vmis=17)
    drop_finalizers(server)
    client = await connect(server.kubeconfig_path)
    batches = ListWatch(client, VMI, settings=PAGED).batches()
    view: dict[Key, Obj] = {}
    states: list[StreamState] = []
    deleted: list[Key] = []
    try:
        async for batch in changes_until_live(batches, states):
            apply(view, batch)
            deleted += [
                key_of(c.obj) for c in batch if isinstance(c, ObjectChange) and c.type == "DELETED"
            ]
            if len(view) == 5 and not deleted:
                # After the first page: one VMI already handed on goes, one not yet listed
                # goes, one is born, and the continue token expires (410 on the next page).
                listed = sorted(view)
                unlisted = sorted(set(server_view(server, VMI)) - set(view))
                gone = (listed[0], unlisted[0])
                for key in gone:
                    server.store.delete(VMI.group, VMI.plural, key[0], key[1])
                born = copy.deepcopy(view[listed[1]])
                born["metadata"] = {"name": "born-midway", "namespace": "vm-dev"}
                server.store.create(VMI.group, VMI.plural, born, namespace="vm-dev")
                server.store.compact()
        assert states == [StreamState.SYNCING, StreamState.LIVE]
        assert view == server_view(server, VMI)
        assert ("vm-dev", "born-midway") in view
        assert deleted == [gone[0]]
    finally:
        await batches.aclose()
        await client.close()


async def test_hub_backlog_is_bounded_and_every_event_arrives_in_order(
    sim: Any, tmp_path: Path
) -> None:
    server = await sim(vmis=40)
    proxy = await Proxy(server.port).start()
    client = await connect(proxy.kubeconfig(server, tmp_path / "kc"))
    hub = WatchHub(client, [StreamSpec(VMI, projection=TINY)], settings=PAGED, max_pending=4)
    try:
        hub.start()
        await eventually(lambda: len(proxy.requests) >= 1, "first page asked for")
        await asyncio.sleep(0.3)
        # Nobody reads: the stream stops once the backlog is full (one page over the limit)
        # instead of listing on.
        assert sum("watch=" not in r for r in proxy.requests) <= 2
        view: dict[Key, Obj] = {}
        got: list[KubeEvent] = []
        reader = hub.batches(max_size=3)
        with contextlib.suppress(TimeoutError):
            while True:
                batch = await asyncio.wait_for(anext(reader), 0.5)
                assert len(batch) <= 3
                got += batch
                apply(view, batch)
        await reader.aclose()
        assert view == {k: tiny(o) for k, o in server_view(server, VMI).items()}
        states = [e.state for e in got if isinstance(e, StreamStatus)]
        assert states == [StreamState.SYNCING, StreamState.LIVE]
        assert isinstance(got[-1], StreamStatus)
    finally:
        await hub.stop()
        await client.close()
        await proxy.close()
