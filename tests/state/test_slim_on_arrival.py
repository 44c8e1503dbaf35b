"""VMIs slimmed as they arrive (the kube layer's `projection`, injected by the dashboard's source):
the store ends with the same objects and shows the same picture as when it slims full
objects itself, and slimming an already slim VMI hands it back unchanged."""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable
from typing import Any

from cnvtui.kube.client import KubeClient
from cnvtui.kube.cnv import WATCHED
from cnvtui.kube.config import ConfigSource
from cnvtui.kube.events import StreamState
from cnvtui.kube.settings import WatchSettings
from cnvtui.sim.seed import initial_objects
from cnvtui.sim.server import SimServer
from cnvtui.state.picture import build_picture
from cnvtui.state.serialize import to_json
from cnvtui.state.slim import slim_vmi
from cnvtui.state.store import Store
from cnvtui.ui.source import KubeSource

from . import T0
from .test_slim import varied_vmis

Sim = Callable[..., Awaitable[SimServer]]
Obj = dict[str, Any]
FIXED_CLOCK = WatchSettings(clock=lambda: T0)


def test_slimming_a_slim_vmi_returns_it_and_a_full_one_is_still_slimmed() -> None:
    for full in varied_vmis():
        slim = slim_vmi(full)
        assert slim_vmi(slim) is slim
        assert slim_vmi(copy.deepcopy(slim)) == slim
    full = varied_vmis()[5]
    assert "domain" in full["spec"]
    assert "domain" not in slim_vmi(full)["spec"]
    # Shaped like a slim VMI but for one extra field anywhere: slimmed, not passed through.
    for part, extra in (("metadata", "annotations"), ("status", "guestOSInfo"), ("spec", "x")):
        odd = copy.deepcopy(slim_vmi(full))
        odd[part][extra] = {"big": "x" * 100}
        assert extra not in slim_vmi(odd)[part]
    odd = copy.deepcopy(slim_vmi(full))
    odd["status"] = None
    assert "status" not in slim_vmi(odd)


async def _live_store(server: SimServer, *, slim: bool) -> tuple[Store, int]:
    """A store fed by the dashboard's source until every stream has listed; and how many of
    the VMI objects it received still had a `spec.domain` (a full body)."""
    client = await KubeClient.connect(ConfigSource(kubeconfig=str(server.kubeconfig_path)))
    source = KubeSource(client, "openshift-cnv", settings=FIXED_CLOCK, slim=slim)
    store = Store("openshift-cnv")
    full_bodies = 0
    try:
        async for batch in source.batches():
            for event in batch:
                obj = getattr(event, "obj", None)
                if getattr(event, "kind", "") == "vmi" and isinstance(obj, dict):
                    full_bodies += "domain" in (obj.get("spec") or {})
            store.apply_all(batch)
            states = {status.state for status in store.streams.values()}
            if len(store.streams) == len(WATCHED) and StreamState.SYNCING not in states:
                break
    finally:
        await source.close()
        await client.close()
    return store, full_bodies


async def test_dashboard_source_slims_on_arrival_and_shows_the_same(sim: Sim) -> None:
    server = await sim(objects=[*initial_objects(vmis=0), *varied_vmis()])
    slimmed, full_in_slimmed = await _live_store(server, slim=True)
    whole, full_in_whole = await _live_store(server, slim=False)
    assert full_in_slimmed == 0
    assert full_in_whole > 30
    assert len(slimmed.objects("vmi")) == len(whole.objects("vmi")) == 41
    assert dict(slimmed.objects("vmi")) == dict(whole.objects("vmi"))
    seen, expected = to_json(build_picture(slimmed, T0)), to_json(build_picture(whole, T0))
    # The streams interleave in no fixed order, and so does the timeline: compare it as a set.
    timeline = sorted(map(str, seen.pop("timeline"))), sorted(map(str, expected.pop("timeline")))
    assert timeline[0] == timeline[1]
    assert seen == expected
