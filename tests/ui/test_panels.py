"""Each panel against a simulated cluster over real HTTP, as a user reads the screen."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from textual import events

from cnvtui.sim.server import SimServer
from cnvtui.ui.textshot import screen_text
from cnvtui.ui.widgets.keyed_table import KeyedTable

from . import dashboard, until, until_shows

Sim = Callable[..., Awaitable[SimServer]]

HCO = ("hco.kubevirt.io", "hyperconvergeds", "openshift-cnv", "kubevirt-hyperconverged")
VMIS = ("kubevirt.io", "virtualmachineinstances")
CSV_NAME = "kubevirt-hyperconverged-operator.v4.14.3"


def set_hco_condition(server: SimServer, type_: str, status: str, reason: str, msg: str) -> None:
    hco = server.store.get(*HCO)
    conditions: list[dict[str, Any]] = hco["status"]["conditions"]
    for condition in conditions:
        if condition["type"] == type_:
            condition.update(status=status, reason=reason, message=msg)
    server.store.patch(*HCO, "merge", {"status": {"conditions": conditions}}, subresource="status")


def mark_outdated(server: SimServer, count: int) -> list[tuple[str, str]]:
    vmis, _ = server.store.list(*VMIS)
    names = sorted((v["metadata"]["namespace"], v["metadata"]["name"]) for v in vmis)[:count]
    for namespace, name in names:
        server.store.patch(
            *VMIS,
            namespace,
            name,
            "merge",
            {"metadata": {"labels": {"kubevirt.io/outdatedLauncherImage": ""}}},
        )
    return names


async def test_steady_cluster_fills_every_panel(sim: Sim) -> None:
    server = await sim(vmis=12)
    async with dashboard(server) as (_app, pilot):
        # The versions line appears with the first picture, a layout pass after its text.
        text = await until_shows(pilot, "IDLE", "● live", CSV_NAME, "OpenShift 4.14.8")
    header = text.splitlines()[:3]
    assert "OpenShift 4.14.8" in header[1]
    assert "CNV 4.14.3" in header[1]
    assert "Subscription stable · Automatic · AtLatestKnown" in header[1]
    assert server.url.removeprefix("http://") in header[0]
    for panel in ("Operator", "HyperConverged", "Install plans", "Workload updates"):
        assert panel in text
    assert "Succeeded" in text
    for condition in ("ReconcileComplete", "Available", "Progressing", "Degraded", "Upgradeable"):
        assert condition in text
    assert "✗" not in text, "a healthy cluster shows no failure marker"
    assert "▶ current" in text
    assert "Methods      LiveMigrate" in text
    assert "Outdated 0 of 12 running" in text
    assert "seen in phase Succeeded" in text


async def test_hco_trouble_stands_out_and_changes_the_verdict(sim: Sim) -> None:
    server = await sim(vmis=4)
    async with dashboard(server) as (_app, pilot):
        await until_shows(pilot, "IDLE")
        set_hco_condition(server, "Degraded", "True", "DiskFull", "etcd is out of space")
        # The timeline is a table: its new row is drawn once the table has measured it,
        # which may be a frame after the header and the HCO panel.
        text = await until_shows(
            pilot, "DEGRADED", "✗ Degraded", "HCO Degraded: False → True (DiskFull)"
        )
        row = next(line for line in text.splitlines() if "✗ Degraded" in line)
        assert "True" in row and "DiskFull" in row


async def test_cluster_text_is_shown_literally(sim: Sim) -> None:
    server = await sim(vmis=2)
    hostile = "\x1b[31mred [b]bold[/b] \x1b]52;c;aGk=\x07 [link=x]y[/link]"
    async with dashboard(server) as (_app, pilot):
        await until_shows(pilot, "IDLE")
        set_hco_condition(server, "Upgradeable", "False", "Blocked", hostile)
        text = await until_shows(pilot, "✗ Upgradeable")
    assert "␛[31mred [b]bold[/b] ␛]52;c;aGk=␇" in text
    assert "[link=x]y[/link]" in text


async def test_outdated_vmis_count_list_and_filter(sim: Sim) -> None:
    server = await sim(vmis=10)
    async with dashboard(server) as (app, pilot):
        await until_shows(pilot, "Outdated 0 of 10")
        names = mark_outdated(server, 4)
        text = await until_shows(pilot, "Outdated 4 of 10")
        for _namespace, name in names:
            assert name in text
        app.focus_panel("outdated")
        await pilot.press("slash")
        _namespace, target = names[1]
        await pilot.press(*target)
        text = await until_shows(pilot, f"filter {target}")
        listed = [n for _ns, n in names if f" {n} " in text]
        assert listed == [target]
        await pilot.press("escape")
        text = await until(pilot, lambda t: all(f" {n} " in t for _ns, n in names))
        assert "filter" not in text


async def test_enter_opens_yaml_and_events_and_escape_returns(sim: Sim) -> None:
    server = await sim(vmis=2)
    async with dashboard(server) as (app, pilot):
        # The install plan's timeline line names the CSV too, so wait for the CSV's own row.
        await until_shows(pilot, f"{CSV_NAME}  Succeeded")
        app.focus_panel("operator")
        await pilot.press("enter")
        text = await until_shows(pilot, "kind: ClusterServiceVersion", "Events")
        assert f"name: {CSV_NAME}" in text
        assert "esc Back" in text
        await pilot.press("escape")
        await until_shows(pilot, "Operator (ClusterServiceVersions)", "IDLE")


async def test_narrow_terminal_shows_tabs_and_tab_moves_between_panels(sim: Sim) -> None:
    server = await sim(vmis=2)
    async with dashboard(server, size=(80, 24)) as (_app, pilot):
        text = await until_shows(pilot, "IDLE", CSV_NAME)
        assert "Operator" in text and "Timeline" in text
        assert "ReconcileComplete" not in text, "one panel at a time"
        await pilot.press("tab")
        text = await until_shows(pilot, "ReconcileComplete")
        assert CSV_NAME + " " not in text.split("ReconcileComplete")[1]
        for _ in range(6):
            await pilot.press("tab")
        await until_shows(pilot, CSV_NAME, "Phase history")


async def test_help_lists_every_binding(sim: Sim) -> None:
    server = await sim(vmis=2)
    async with dashboard(server) as (_app, pilot):
        await until_shows(pilot, "IDLE")
        await pilot.press("question_mark")
        text = await until_shows(pilot, "Command palette", "Never-updating only", "Details")
        assert "Waiting for approval" in text
        await pilot.press("escape")
        text = await until_shows(pilot, "IDLE")
        assert "Command palette" not in text


async def test_no_color_keeps_every_signal_in_characters(
    sim: Sim, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    server = await sim(vmis=2)
    async with dashboard(server) as (app, pilot):
        assert app.no_color
        await until_shows(pilot, "IDLE")
        set_hco_condition(server, "Available", "False", "Down", "virt-api is not ready")
        text = await until_shows(pilot, "✗ Available", "✗ not healthy")
        assert "✗ Available: virt-api is not ready" in text
        svg = app.export_screenshot()
    for colour in ("#98a84b", "#cc555a", "#d0b344"):  # green, red, yellow in the SVG palette
        assert colour not in svg, "NO_COLOR strips the colours"


async def test_enter_on_a_timeline_entry_opens_its_object(sim: Sim) -> None:
    server = await sim(vmis=2)
    async with dashboard(server) as (app, pilot):
        await until_shows(pilot, "install plan install-")
        app.focus_panel("timeline")
        table = app.query_one("#timeline-table", KeyedTable)
        row = next(i for i, key in enumerate(table.row_keys) if key.startswith("installplan/"))
        table.move_cursor(row=row)
        await pilot.press("enter")
        text = await until_shows(pilot, "kind: InstallPlan", "clusterServiceVersionNames")
        assert "namespace: openshift-cnv" in text


async def test_long_outdated_list_is_windowed_and_paged(sim: Sim) -> None:
    server = await sim(vmis=230)
    mark_outdated(server, 230)
    async with dashboard(server, size=(120, 40)) as (app, pilot):
        app.focus_panel("outdated")
        text = await until_shows(pilot, "Outdated 230 of 230", "rows 1-100 of 230", "] Next page")
        assert "[ Prev page" not in text
        table = app.query_one("#outdated-table", KeyedTable)
        assert table.row_count == 100
        await pilot.press("right_square_bracket")
        await until_shows(pilot, "rows 101-200 of 230", "[ Prev page")
        await pilot.press("right_square_bracket")
        await until(pilot, lambda t: "rows 201-230 of 230" in t and "] Next page" not in t)
        assert table.row_count == 30


async def test_a_burst_of_tabs_moves_one_panel_per_tab(sim: Sim) -> None:
    """Tab typed fast (or held down) over SSH arrives as a burst: each one still moves on."""
    server = await sim(vmis=2)
    async with dashboard(server, size=(100, 30)) as (app, pilot):
        await until_shows(pilot, "IDLE", CSV_NAME)
        for _ in range(4):  # queued before any of them is handled
            app.post_message(events.Key("tab", "\t"))
        text = await until_shows(pilot, "Outdated 0 of 2")
        assert "ReconcileComplete" not in text, "the VMIs panel, four panels on"
        await pilot.pause(0.5)
        assert "Outdated 0 of 2" in screen_text(app), "and there it stays"
        for _ in range(2):
            app.post_message(events.Key("shift+tab", None))
        await until_shows(pilot, "Subscription → install-")
        await pilot.click("#tab-timeline")  # and a click on a tab still goes there
        await until_shows(pilot, "WHAT HAPPENED")
