"""What a change costs the terminal: Textual repaints every line of a widget it updates, so a
count that changes with every migration must live in a widget of its own, and the lines
around it must not be sent again. (Issue 9, figure 3; `bench` measures the bytes.)"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from bench.run import render_table
from cnvtui.sim.server import SimServer
from cnvtui.ui.app import DashboardApp
from cnvtui.ui.textshot import screen_text
from cnvtui.ui.widgets.outdated import rate_text
from cnvtui.ui.widgets.quiet import QuietStatic

from . import dashboard, until_shows
from .test_panels import mark_outdated, set_hco_condition

Sim = Callable[..., Awaitable[SimServer]]
NOW = datetime(2026, 3, 2, 9, 30, 5, tzinfo=UTC).timestamp()


def drawn(app: DashboardApp) -> dict[str, int]:
    """How often each quiet widget has been redrawn."""
    return {str(w.id): w.updates for w in app.query(QuietStatic)}


async def test_a_changing_count_redraws_only_the_verdict_reason(sim: Sim) -> None:
    server = await sim(vmis=6)
    async with dashboard(server, size=(80, 24), now=lambda: NOW) as (app, pilot):
        await until_shows(pilot, "IDLE", "● live 12/12", "09:30 ")
        assert all(drawn(app)[line] >= 1 for line in ("header", "header-versions"))
        mark_outdated(server, 2)
        await until_shows(pilot, "MIGRATING WORKLOADS   2 of 6 VMIs outdated")
        await pilot.pause(0.3)
        before = drawn(app)
        for count in (3, 4):
            mark_outdated(server, count)
            text = await until_shows(pilot, f"MIGRATING WORKLOADS   {count} of 6 VMIs outdated")
        after = drawn(app)
        assert after["header-reason"] >= before["header-reason"] + 2
        unchanged = ("header", "header-versions", "header-verdict", "header-trouble")
        assert {k: after[k] for k in unchanged} == {k: before[k] for k in unchanged}
        lines = text.splitlines()
        assert "cnvtui" in lines[0] and "● live 12/12 09:30" in lines[0]
        assert "OpenShift 4.14.8" in lines[1] and "CNV 4.14.3" in lines[1]
        assert lines[2].strip().startswith("MIGRATING WORKLOADS   4 of 6 VMIs outdated")
        tabs = lines[3]
        assert "VMIs …" in tabs or "VMIs !" in tabs, "the tab marks what the header counts"


async def test_the_tab_counts_outdated_vmis_when_the_header_does_not(sim: Sim) -> None:
    server = await sim(vmis=6)
    async with dashboard(server, size=(80, 24), now=lambda: NOW) as (_app, pilot):
        mark_outdated(server, 3)
        await until_shows(pilot, "MIGRATING WORKLOADS   3 of 6 VMIs outdated")
        set_hco_condition(server, "Degraded", "True", "DiskFull", "etcd is out of space")
        text = await until_shows(pilot, "DEGRADED")
        assert "VMIs 3" in text.splitlines()[3]


async def test_the_outdated_count_and_its_pace_are_separate_lines(sim: Sim) -> None:
    server = await sim(vmis=6)
    async with dashboard(server, size=(160, 50), now=lambda: NOW) as (app, pilot):
        await until_shows(pilot, "IDLE", "Outdated 0 of 6", "Rate -  ETA -")
        await pilot.pause(0.3)
        before = drawn(app)
        mark_outdated(server, 2)
        text = await until_shows(pilot, "Outdated 2 of 6")
        after = drawn(app)
        assert after["outdated-summary"] > before["outdated-summary"]
        assert after["outdated-pace"] == before["outdated-pace"], "the pace did not change"
        summary = next(line for line in text.splitlines() if "Outdated 2 of 6" in line)
        pace = text.splitlines()[text.splitlines().index(summary) + 1]
        assert "Rate -  ETA -" in pace


async def test_the_header_says_what_it_connects_to_before_the_first_picture(sim: Sim) -> None:
    server = await sim(vmis=2)
    async with dashboard(server, size=(100, 24), refresh_interval=30.0) as (app, pilot):
        text = await until_shows(pilot, "CONNECTING", "listing objects from")
        assert text.splitlines()[1].strip().startswith("CONNECTING")
        assert app.query_one("#header-verdict", QuietStatic).display
        assert not app.query_one("#header-versions", QuietStatic).display
        assert not app.query_one("#header-trouble", QuietStatic).display


def test_rates_show_tenths_only_while_they_matter() -> None:
    assert rate_text(None) == "-"
    assert rate_text(2.345) == "2.3/min"
    assert rate_text(41.7) == "42/min"


def test_the_bench_table_has_a_low_bandwidth_row() -> None:
    def screen(rate: int) -> dict[str, int]:
        return {"bytes": rate * 60, "bytes_per_s": rate}

    served = {"bytes": 10, "requests": 1, "bytes_total": 20}
    api = {
        "simulated_minutes": 60,
        "served": {"dashboard": served, "loop": served},
        "screen": {
            "tui-80x24": screen(360),
            "tui-lowbw-80x24": screen(100),
            "tui-200x50": screen(17000),
            "loop": screen(3),
            "loop-200x50": screen(7),
        },
    }
    table = render_table({"plan": {}, "apicost": api})
    row = next(line for line in table.splitlines() if "80x24 low-bw" in line)
    assert "100" in row and "33.33x" in row


async def test_a_long_reason_is_cut_to_the_screen_and_recut_on_resize(sim: Sim) -> None:
    server = await sim(vmis=6)
    message = "etcd is out of space " * 6
    async with dashboard(server, size=(60, 24), now=lambda: NOW) as (app, pilot):
        set_hco_condition(server, "Degraded", "True", "DiskFull", message)
        text = await until_shows(pilot, "DEGRADED   HCO Degraded=True: DiskFull: etcd")
        verdict = text.splitlines()[2]
        assert verdict.rstrip().endswith("…")
        await pilot.resize_terminal(120, 24)
        text = await until_shows(pilot, "etcd is out of space etcd is out of space etcd")
        assert text.splitlines()[2].rstrip().endswith("…")
        await pilot.resize_terminal(50, 24)
        await pilot.pause(0.3)
        verdict = screen_text(app).splitlines()[2]
        assert "DEGRADED   HCO Degraded=True" in verdict and verdict.rstrip().endswith("…")
