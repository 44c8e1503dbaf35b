"""The store keeps VMIs slimmed: everything shown stays the same, the details screen fetches
the full object (and says "partial" when it cannot)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from rich.syntax import Syntax
from textual.containers import VerticalScroll
from textual.widgets import Static

from cnvtui.kube import resources as res
from cnvtui.kube.client import KubeClient
from cnvtui.kube.config import ConfigSource
from cnvtui.kube.events import ObjectChange
from cnvtui.kube.hub import StreamSpec, WatchHub
from cnvtui.sim.seed import initial_objects
from cnvtui.sim.server import SimServer
from cnvtui.state.picture import build_picture
from cnvtui.state.slim import slim_vmi
from cnvtui.state.store import Store
from cnvtui.state.views import conditions, dig, meta_key
from cnvtui.state.workloads import OUTDATED_LABEL, outdated_row_maker, vmi_flags
from cnvtui.ui.screens.details import DetailsScreen
from cnvtui.ui.widgets.panel import ObjectRef
from tests.ui import dashboard, until

from . import T0, vmi

Sim = Callable[..., Awaitable[SimServer]]
Obj = dict[str, Any]
VMI = ("kubevirt.io", "virtualmachineinstances")


def varied_vmis() -> list[Obj]:
    """Seeded VMIs (a few KB each, some not migratable), some outdated, plus odd shapes."""
    objs = [
        o
        for o in initial_objects(vmis=40, namespaces=3, nodes=3)
        if o["kind"] == "VirtualMachineInstance"
    ]
    for index, obj in enumerate(objs):
        if index % 3 == 0:
            obj["metadata"]["labels"][OUTDATED_LABEL] = ""
        if index % 7 == 0:
            obj["spec"].pop("evictionStrategy", None)
    objs[1]["status"] = "garbage"
    objs[2]["spec"] = None
    objs[4]["status"]["conditions"] = [{"type": None}, "junk", {"type": "LiveMigratable"}]
    objs.append(vmi("plain", outdated=True, migratable=False, eviction=None))
    return objs


def by_key(objs: list[Obj]) -> dict[tuple[str, str], Obj]:
    out: dict[tuple[str, str], Obj] = {}
    for obj in objs:
        key = meta_key(obj)
        assert key is not None
        out[key] = obj
    return out


def test_slim_vmi_reads_the_same_to_every_reader_and_is_small() -> None:
    methods = ("LiveMigrate",)
    vmis = varied_vmis()
    full = by_key(vmis)
    slim = {k: slim_vmi(o) for k, o in full.items()}
    since = {k: T0 for k in full}
    rows_full = outdated_row_maker(methods, full, since, T0 + 60)
    rows_slim = outdated_row_maker(methods, slim, since, T0 + 60)
    for key, obj in full.items():
        small = slim[key]
        assert meta_key(small) == key
        assert vmi_flags(small) == vmi_flags(obj)
        assert rows_slim(key) == rows_full(key)
        assert conditions(small) == conditions(obj)
        assert dig(small, "spec", "evictionStrategy") == dig(obj, "spec", "evictionStrategy")
        assert dig(small, "metadata", "resourceVersion") == dig(obj, "metadata", "resourceVersion")
    seeded = vmis[0]
    assert len(json.dumps(slim_vmi(seeded))) * 3 < len(json.dumps(seeded))


def test_restoring_a_snapshot_of_full_objects_slims_them() -> None:
    objs = varied_vmis()
    snapshot = {"objects": {"vmi": objs}}
    store = Store.restore(snapshot)
    assert store.n_outdated == sum(1 for o in objs if vmi_flags(o) & 1)
    key = meta_key(objs[0])
    assert key is not None
    held = store.get("vmi", *key)
    assert held is not None and "domain" not in held["spec"] and "guestOSInfo" not in held["status"]


async def test_store_fed_over_http_shows_what_the_full_objects_say(sim: Sim) -> None:
    server = await sim(objects=[*initial_objects(vmis=0), *varied_vmis()])
    listed = [o for o in server.store.list(*VMI)[0] if isinstance(o, dict)]
    client = await KubeClient.connect(ConfigSource(kubeconfig=str(server.kubeconfig_path)))
    store = Store("openshift-cnv")
    seen = 0
    async with client, WatchHub(client, [StreamSpec(res.VMI)]) as hub:
        async for batch in hub.batches():
            store.apply_all(batch)
            seen += sum(1 for e in batch if isinstance(e, ObjectChange))
            if seen >= len(listed):
                break
    assert len(store.objects("vmi")) == len(listed)
    full = by_key(listed)
    outdated = [k for k, o in full.items() if OUTDATED_LABEL in o["metadata"]["labels"]]
    picture = build_picture(store, T0 + 3600)
    assert picture.outdated.count == len(outdated) > 0
    make = outdated_row_maker(
        picture.workload_strategy.methods,
        full,
        store.outdated_since,
        T0 + 3600,
    )
    assert list(picture.outdated.rows) == [make(k) for k in sorted(outdated)]
    for key, obj in store.objects("vmi").items():
        assert "domain" not in (obj.get("spec") or {}), key


def yaml_of(screen: DetailsScreen) -> tuple[str, str]:
    body = screen.query_one("#details-yaml-body", Static).content
    title = screen.query_one("#details-yaml", VerticalScroll).border_title
    return (body.code if isinstance(body, Syntax) else str(body)), str(title)


async def test_details_screen_fetches_the_full_vmi_or_says_partial(sim: Sim) -> None:
    server = await sim(vmis=3)
    md = server.store.list(*VMI)[0][0]["metadata"]
    name, namespace = md["name"], md["namespace"]
    ref = ObjectRef("vmi", namespace, name)
    async with dashboard(server) as (app, pilot):
        await until(pilot, lambda _: app.store.get("vmi", namespace, name) is not None, what="vmi")
        app.open_details(ref)
        app.refresh_picture()  # a redraw before the screen is mounted must not spoil it
        await until(pilot, lambda t: "fetched from the API server" in t, what="fetched")
        screen = app.screen
        assert isinstance(screen, DetailsScreen)
        code, title = yaml_of(screen)
        assert "fetched from the API server" in title
        assert "\n  domain:\n" in code and "guestOSInfo" in code and name in code
        await pilot.press("escape")

        async def refused(_: ObjectRef) -> Obj | str:
            return "the API server answered 403"

        held = app.store.get("vmi", namespace, name)
        app.push_screen(DetailsScreen(ref, held, None, fetch=refused))
        await until(pilot, lambda t: "partial" in t, what="partial")
        screen = app.screen
        assert isinstance(screen, DetailsScreen)
        code, title = yaml_of(screen)
        assert "partial" in title and "403" in title
        assert name in code and "\n  domain:\n" not in code
