"""The refresh loop: an unchanged picture costs the terminal nothing, the first change after a
quiet spell is drawn at once, and changes that keep coming wait for the throttle."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import pytest
from rich.console import Group
from rich.table import Table
from rich.text import Text

from cnvtui.sim.server import SimServer
from cnvtui.ui.app import DashboardApp, low_bandwidth_from_env
from cnvtui.ui.textshot import screen_text
from cnvtui.ui.widgets.quiet import QuietStatic, content_key

from . import AppPilot, dashboard, settled, until_shows
from .test_panels import set_hco_condition

Sim = Callable[..., Awaitable[SimServer]]
START = datetime(2026, 3, 2, 9, 30, 5, tzinfo=UTC).timestamp()
SLOW = 30.0
"""A throttle interval no test waits for: whatever is drawn was drawn without the timer."""


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, at: float) -> None:
        self.at = at

    def __call__(self) -> float:
        return self.at


async def settle(app: DashboardApp, pilot: AppPilot, throttle: Clock) -> None:
    """Let the start-up lists through by hand (each time as if the interval were over)
    until the dashboard is live and every applied event is on screen."""
    for _ in range(200):
        throttle.at += 100
        app.request_redraw()
        await pilot.pause(0.05)
        await settled(pilot)
        text = screen_text(app)
        if "IDLE" in text and "● live" in text and app.store.revision == app.shown_revision:
            return
    raise AssertionError(f"the dashboard never settled:\n{screen_text(app)}")


def update_counts(app: DashboardApp) -> dict[str, int]:
    return {str(w.id): w.updates for w in app.query(QuietStatic)}


def test_content_keys_see_style_changes_that_text_equality_misses() -> None:
    assert Text("3", "red") == Text("3", "green")
    assert content_key(Text("3", "red")) != content_key(Text("3", "green"))
    assert content_key(Group(Text("a"), Text("b"))) == content_key(Group(Text("a"), Text("b")))
    assert content_key(Group(Text("a"), Table())) is None


async def test_unchanged_picture_sends_no_widget_update(sim: Sim) -> None:
    server = await sim(vmis=6)
    clock = Clock(START)
    async with dashboard(server, now=clock) as (app, pilot):
        await until_shows(pilot, "IDLE", "● live", "09:30 ")
        await pilot.pause(0.3)
        app.refresh_picture()
        await pilot.pause()
        before = update_counts(app)
        assert before["header"] >= 1
        clock.at += 40
        app.refresh_picture()
        app.refresh_picture()
        await pilot.pause()
        assert update_counts(app) == before, "same minute, same data: nothing is redrawn"
        clock.at += 20
        app.refresh_picture()
        await pilot.pause()
        after = update_counts(app)
        assert after["header"] == before["header"] + 1
        assert {k: v for k, v in after.items() if k != "header"} == {
            k: v for k, v in before.items() if k != "header"
        }
        assert "09:31 " in screen_text(app).splitlines()[0]


async def test_first_change_after_quiet_spell_is_drawn_at_once(sim: Sim) -> None:
    server = await sim(vmis=4)
    throttle = Clock(0.0)
    async with dashboard(server, refresh_interval=SLOW, monotonic=throttle) as (app, pilot):
        await settle(app, pilot, throttle)
        throttle.at += 100
        set_hco_condition(server, "Degraded", "True", "DiskFull", "etcd is out of space")
        text = await until_shows(pilot, "DEGRADED", "✗ Degraded")
        assert "DiskFull" in text


async def test_changes_that_keep_coming_wait_for_the_trailing_edge(sim: Sim) -> None:
    server = await sim(vmis=4)
    throttle = Clock(0.0)
    async with dashboard(server, refresh_interval=SLOW, monotonic=throttle) as (app, pilot):
        await settle(app, pilot, throttle)
        throttle.at += 100
        set_hco_condition(server, "Degraded", "True", "DiskFull", "etcd is out of space")
        await until_shows(pilot, "DEGRADED")
        built = app.pictures_built
        set_hco_condition(server, "Degraded", "False", "AsExpected", "")
        while app.store.revision == app.shown_revision:
            await pilot.pause(0.05)
        await pilot.pause(0.2)
        assert app.pictures_built == built, "within the interval the change waits"
        assert "DEGRADED" in screen_text(app)
        throttle.at += SLOW
        app.request_redraw()
        await until_shows(pilot, "IDLE")


def test_low_bandwidth_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CNVTUI_LOW_BANDWIDTH", "1")
    assert low_bandwidth_from_env()
    monkeypatch.setenv("CNVTUI_LOW_BANDWIDTH", "0")
    assert not low_bandwidth_from_env()


async def test_low_bandwidth_redraws_seldom_and_without_animation(sim: Sim) -> None:
    server = await sim(vmis=2)
    async with dashboard(server, low_bandwidth=True) as (app, pilot):
        await until_shows(pilot, "IDLE", "● live")
        assert app.refresh_interval >= 2.0
        assert app.animation_level == "none"
