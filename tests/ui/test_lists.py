"""Lists in panels: `/` filters the focused one, whichever panel it is in, and says so where
the list is; the plans list says why a plan that looks approvable is not; a recording that
stops is not a silent loss."""

from __future__ import annotations

import math
import os
import threading
from pathlib import Path

from textual.pilot import Pilot

from cnvtui.kube import resources as res
from cnvtui.kube.record import Recorder, RecordingSource
from cnvtui.report.replayed import state_at
from cnvtui.ui.app import DashboardApp
from cnvtui.ui.source import KubeSource
from cnvtui.ui.textshot import screen_text
from cnvtui.ui.widgets.hco import HcoPanel
from cnvtui.ui.widgets.header import Target
from cnvtui.ui.widgets.keyed_table import KeyedTable
from cnvtui.ui.widgets.plans import PlansPanel
from tests.actions.cluster import NS, Awaiting, Cluster

from .test_actions_app import _stop as stop_workloads
from .test_actions_app import dashboard, ready, toasts, until, until_methods


def _rows(pilot: Pilot[int]) -> list[str]:
    return pilot.app.query_one(HcoPanel).query_one(KeyedTable).row_keys


async def _to_hco(pilot: Pilot[int]) -> None:
    await until(pilot, lambda: len(_rows(pilot)) == 5, "the HCO conditions listed")
    while not pilot.app.query_one(HcoPanel).query_one(KeyedTable).has_focus:
        await pilot.press("tab")


async def test_slash_filters_the_hco_conditions_and_esc_brings_them_back(steady: Cluster) -> None:
    app = dashboard(steady)
    async with app.run_test(size=(180, 50)) as pilot:
        await ready(pilot, app)
        await _to_hco(pilot)
        await pilot.press("slash", *"DEGR")
        await until(pilot, lambda: len(_rows(pilot)) == 1, "one condition left")
        text = screen_text(app)
        assert "filter: DEGR" in text and "1 of 5 rows" in text, text
        assert "HyperConverged · filter DEGR (1 of 5)" in text, text
        await pilot.press("enter")  # keeps the filter, back to the list
        await pilot.pause(0.1)
        text = screen_text(app)
        assert "filter: DEGR" not in text and "HyperConverged · filter DEGR (1 of 5)" in text, text
        assert "esc Clear filter" in text.splitlines()[-1]
        await pilot.press("escape")
        await until(pilot, lambda: len(_rows(pilot)) == 5, "every condition back")
        assert "filter DEGR" not in screen_text(app)


async def test_a_filter_that_matches_nothing_is_marked_on_the_tab(steady: Cluster) -> None:
    app = dashboard(steady)
    async with app.run_test(size=(100, 30)) as pilot:  # tabbed: the tab marks the filter
        await ready(pilot, app)
        await _to_hco(pilot)
        await pilot.press("slash", *"zzz", "enter")
        await until(pilot, lambda: _rows(pilot) == [], "nothing left")
        text = screen_text(app)
        assert "HCO /" in text.splitlines()[3] or "HCO ! /" in text, text


async def test_a_superseded_plan_says_why_it_cannot_be_approved(awaiting: Awaiting) -> None:
    """After 4.14.5 supersedes it, the 4.14.4 plan still reads RequiresApproval: the panel
    must say it is not the one to approve."""
    c, first = awaiting
    await c.advance(3 * 3600 + 120)

    async def superseded() -> bool:
        sub = (await c.items(res.SUBSCRIPTION, NS))[0]
        ref = ((sub.get("status") or {}).get("installPlanRef") or {}).get("name")
        return bool(ref) and ref != first

    await c.wait_for(superseded)
    app = dashboard(c)
    async with app.run_test(size=(180, 50)) as pilot:
        await ready(pilot, app)
        panel = app.query_one(PlansPanel)
        table = panel.query_one(KeyedTable)
        await until(pilot, lambda: len(table.row_keys) >= 2, "both plans listed")
        table.focus()
        key = next(k for k in table.row_keys if k.endswith(f"/{first}"))
        table.move_cursor(row=table.get_row_index(key))
        await pilot.pause(0.2)
        text = screen_text(app)
        assert "✗ superseded" in text, text
        assert f"{first} cannot be approved: not the plan the Subscription names (" in text, text


async def test_a_recording_that_stops_says_so_and_the_dashboard_carries_on(
    steady: Cluster, tmp_path: Path
) -> None:
    """`--record` onto a disk that fails (here a pipe whose reader has gone): REC in the
    header turns into "REC stopped", with a notification and a timeline entry."""
    path = tmp_path / "gone.cnvrec.gz"
    os.mkfifo(path)
    opened = threading.Event()

    def read_then_leave() -> None:
        with path.open("rb") as pipe:
            pipe.read(1)
            opened.set()

    reader = threading.Thread(target=read_then_leave, daemon=True)
    reader.start()
    recorder = Recorder(path, flush_interval=0.05, fsync=False)
    source = RecordingSource(KubeSource(steady.client, NS), recorder)
    app = DashboardApp(source, target=Target("cnvtui-sim", steady.server.url, NS))
    async with app.run_test(size=(160, 40), notifications=True) as pilot:
        await until(pilot, opened.is_set, "the recording started")
        await steady.set_strategy("batchEvictionSize", 3)  # more to record, into the gone pipe
        await until(pilot, lambda: "✗ REC stopped" in screen_text(app), "the stop shown")
        await until(pilot, lambda: "Recording stopped" in toasts(app), "the notification")
        assert "the dashboard carries on without recording" in toasts(app)
        assert any(
            e.kind == "record" and "recording to" in e.text for e in app.store.timeline.entries()
        )
        assert app.is_running
    reader.join(5)


async def test_a_recording_dashboard_says_rec(steady: Cluster, tmp_path: Path) -> None:
    recorder = Recorder(tmp_path / "on.cnvrec.gz", fsync=False)
    source = RecordingSource(KubeSource(steady.client, NS), recorder)
    app = DashboardApp(source, target=Target("cnvtui-sim", steady.server.url, NS))
    async with app.run_test(size=(160, 40)) as pilot:
        await until(pilot, lambda: "● REC" in screen_text(app).splitlines()[0], "REC shown")


async def test_a_recorded_session_replays_its_actions_on_the_timeline(
    steady: Cluster, tmp_path: Path
) -> None:
    """A write made while recording is in the recording, so a replay's timeline shows who
    stopped workload updates, and when, beside what the cluster did."""
    path = tmp_path / "acted.cnvrec.gz"
    recorder = Recorder(path, fsync=False)
    runner = steady.runner()
    source = RecordingSource(KubeSource(steady.client, NS), recorder)
    target = Target("cnvtui-sim", steady.server.url, NS)
    app = DashboardApp(source, target=target, actions=runner)
    async with app.run_test(size=(160, 40)) as pilot:
        await ready(pilot, app, need="stop_workloads")
        await stop_workloads(pilot, app)
        await until_methods(pilot, steady, [], "methods emptied")
        await until(
            pilot,
            lambda: any(e.kind == "action" for e in app.store.timeline.entries()),
            "the action on the live timeline",
        )
    live = [e for e in app.store.timeline.entries() if e.kind == "action"]
    replayed = state_at(str(path), math.inf)  # what `cnvtui replay` and `status --replay` read
    actions = [e for e in replayed.timeline.entries() if e.kind == "action"]
    assert [(e.at, e.object, e.text, e.severity) for e in actions] == [
        (e.at, e.object, e.text, e.severity) for e in live
    ]
    assert actions and "Stop workload updates: done" in actions[0].text, actions
