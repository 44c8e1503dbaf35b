"""Generated objects and event sequences, through the state layer and the real widgets: the
dashboard never raises, and no control character from the cluster reaches the terminal."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cnvtui.kube.events import ChangeType, KubeEvent, ObjectChange, StreamState, StreamStatus
from cnvtui.report.formats import Source, render, render_data, status_data
from cnvtui.report.waiting import Goal, reached
from cnvtui.report.watching import Watcher, text_line
from cnvtui.state.picture import build_picture
from cnvtui.state.store import Store
from cnvtui.ui.app import DashboardApp
from cnvtui.ui.textshot import screen_text
from cnvtui.ui.widgets.header import Target
from tests.ui import AppPilot

Obj = dict[str, Any]
NS = "openshift-cnv"
SNIPPETS = [
    "\x1b[2J",
    "\x1b]52;c;ZXZpbA==\x07",
    "\x1b]8;;https://x/\x1b\\",
    "[bold]",
    "[@click=app.quit]",
    "\x9b",
    "\u202e",
    "e\u0301",
    "漢字",
    "مرحبا",
    "\x00",
    "\n",
]
texts = st.one_of(
    st.text(max_size=12),
    st.lists(st.sampled_from(SNIPPETS), max_size=4).map("".join),
    st.just("z" * 5000),
)
scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 10**12), texts)
junk = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=8,
)
PHASES = ["Succeeded", "Failed", "Installing", "Pending", "Running", "Complete",
          "RequiresApproval", "Replacing", "Scheduling", "Teleporting", ""]  # fmt: skip
CONDITION_TYPES = ["Available", "Degraded", "Progressing", "Upgradeable", "LiveMigratable"]


@st.composite
def conditions(draw: st.DrawFn) -> Any:
    if draw(st.integers(0, 5)) == 0:
        return draw(junk)
    return [
        {
            "type": draw(st.sampled_from(CONDITION_TYPES) | texts),
            "status": draw(st.sampled_from(["True", "False", "Unknown"]) | scalars),
            "reason": draw(texts),
            "message": draw(texts),
            "lastTransitionTime": draw(st.sampled_from(["2026-01-01T00:00:00Z", "", "x"])),
        }
        for _ in range(draw(st.integers(0, 3)))
    ]


@st.composite
def objects(draw: st.DrawFn, kind: str) -> Obj:
    labels: Any = {}
    if draw(st.booleans()):
        labels["kubevirt.io/outdatedLauncherImage"] = ""
    if draw(st.integers(0, 6)) == 0:
        labels = draw(junk)
    status: Any = {
        "phase": draw(st.sampled_from(PHASES) | scalars),
        "conditions": draw(conditions()),
        "message": draw(texts),
        "reason": draw(texts),
        "nodeName": draw(texts),
        "currentCSV": draw(texts),
        "state": draw(texts),
        "migrationState": draw(junk),
        "versions": draw(junk),
        "history": draw(junk),
    }
    if draw(st.integers(0, 6)) == 0:
        status = draw(junk)
    spec: Any = {
        "version": draw(texts),
        "approval": draw(st.sampled_from(["Manual", "Automatic"]) | scalars),
        "approved": draw(scalars),
        "clusterServiceVersionNames": draw(junk),
        "vmiName": draw(texts),
        "workloadUpdateStrategy": draw(junk),
        "evictionStrategy": draw(st.sampled_from(["LiveMigrate", "None"]) | scalars),
    }
    return {
        "apiVersion": "v1",
        "kind": kind,
        "metadata": {
            "name": draw(st.sampled_from(["a", "b", "kubevirt-hyperconverged"]) | texts),
            "namespace": draw(st.sampled_from([NS, "vm-ns"])),
            "resourceVersion": str(draw(st.integers(1, 99))),
            "labels": labels,
            "annotations": draw(junk),
            "creationTimestamp": draw(st.sampled_from(["2026-01-01T00:00:00Z", "", None])),
        },
        "spec": spec,
        "status": status,
    }


KINDS = ["csv", "subscription", "installplan", "hco", "kubevirt", "vmi", "vmim",
         "clusterversion", "mcp", "nodemaintenance", "node"]  # fmt: skip
CHANGE: list[ChangeType] = ["ADDED", "MODIFIED", "DELETED"]


@st.composite
def events(draw: st.DrawFn) -> KubeEvent:
    at = 1_700_000_000.0 + draw(st.integers(0, 10_000))
    if draw(st.integers(0, 5)) == 0:
        return StreamStatus(
            draw(st.sampled_from(KINDS)),
            draw(st.sampled_from(list(StreamState))),
            at,
            draw(st.none() | st.just(at - 5)),
            draw(texts),
        )
    kind = draw(st.sampled_from(KINDS))
    return ObjectChange(kind, draw(st.sampled_from(CHANGE)), draw(objects(kind)), at)


class Quiet:
    """A source with nothing to say: the test feeds the store itself."""

    async def batches(self) -> AsyncIterator[Sequence[KubeEvent]]:
        await asyncio.Event().wait()
        yield []

    async def related_events(self, kind: str, namespace: str, name: str) -> list[Obj]:
        return []

    async def close(self) -> None:
        return None


async def show(app: DashboardApp, pilot: AppPilot, batch: list[KubeEvent]) -> str:
    """A fresh store with `batch` applied, drawn by every panel and the details screen."""
    while len(app.screen_stack) > 1:
        app.pop_screen()
    app.store = Store(NS)
    app.store.apply_all(batch)
    app.refresh_picture()
    await pilot.press("enter")  # the details screen of whatever row is selected
    await pilot.pause()
    return screen_text(app)


async def test_generated_events_never_break_the_state_or_the_screen() -> None:
    """Hypothesis runs in a thread; each example is drawn by one long-lived app on the
    test's event loop (starting an app per example would take most of the time)."""
    app = DashboardApp(Quiet(), target=Target("ctx", "https://api:6443", NS), now=time.time)
    loop = asyncio.get_running_loop()
    async with app.run_test(size=(150, 45)) as pilot:

        @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
        @given(st.lists(events(), min_size=1, max_size=25))
        def check(batch: list[KubeEvent]) -> None:
            store = Store(NS)
            store.apply_all(batch)
            build_picture(store, 1_700_005_000.0)
            text = asyncio.run_coroutine_threadsafe(show(app, pilot, batch), loop).result(30)
            for raw in ("\x1b", "\x9b", "\x07", "\x00", "\u202e"):
                assert raw not in text, repr(raw)

        await asyncio.to_thread(check)
        assert app.is_running


CONTROLS = ("\x1b", "\x9b", "\x07", "\x00", "\u202e")


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(events(), min_size=1, max_size=25), st.lists(events(), max_size=10))
def test_generated_events_never_break_the_status_outputs(
    batch: list[KubeEvent], more: list[KubeEvent]
) -> None:
    """`cnvtui status` in every format, and the lines of `--watch` and `--wait-for`, for
    whatever the cluster holds: the table and the lines carry no control character, and JSON
    and YAML parse back to the same document."""
    store = Store(NS)
    store.apply_all(batch)
    first = build_picture(store, 1_700_005_000.0)
    store.apply_all(more)
    second = build_picture(store, 1_700_005_060.0)
    source = Source("cluster", context="ctx", server="https://api:6443", namespace=NS)
    for picture in (first, second):
        table = render(picture, "table", source, max_vmis=5)
        data = status_data(picture, source, max_vmis=5)
        assert json.loads(render(picture, "json", source, max_vmis=5)) == data
        assert yaml.safe_load(render_data(data, "yaml")) == data
        assert json.loads(render_data(data, "json", compact=True)) == data
        for goal in Goal:
            reached(goal, picture)  # what --wait-for decides (printed through safe_text)
        for raw in CONTROLS:
            assert raw not in table, repr(raw)
    watcher = Watcher(min_interval=0)
    lines = []
    for picture in (first, second):
        changes = watcher.observe(picture)
        if changes is not None:
            lines.append(text_line("2023-11-14T22:13:20Z", picture, changes))
    assert lines, "the first picture always gives a line"
    for raw in CONTROLS:
        assert not any(raw in line for line in lines), repr(raw)
