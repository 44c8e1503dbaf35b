"""Every write dialog fits an 80x24 terminal: its buttons stay on screen however long the
preview is, and the footer lists the dialog's own keys, not the dashboard's beneath it."""

from __future__ import annotations

from textual.pilot import Pilot

from cnvtui.ui.app import DashboardApp
from cnvtui.ui.screens.confirm import ConfirmScreen
from cnvtui.ui.screens.preview import InstallPlanPreviewScreen
from cnvtui.ui.screens.strategy_form import StrategyFormScreen
from cnvtui.ui.textshot import screen_text
from tests.actions.cluster import Awaiting, Cluster

from .test_actions_app import dashboard, ready, shown

SMALL = (80, 24)


async def _screen(pilot: Pilot[int]) -> list[str]:
    await pilot.pause(0.2)
    return screen_text(pilot.app).splitlines()


def _buttons_shown(lines: list[str], *labels: str) -> bool:
    return any(all(label in line for label in labels) for line in lines)


async def test_the_stop_confirmation_fits_80x24(steady: Cluster) -> None:
    app = dashboard(steady)
    async with app.run_test(size=SMALL) as pilot:
        await ready(pilot, app, need="stop_workloads")
        await pilot.press("S")
        await shown(pilot, app, ConfirmScreen)
        lines = await _screen(pilot)
        assert _buttons_shown(lines, "Cancel", "Stop workload updates"), "\n".join(lines)
        footer = lines[-1]
        assert "esc Cancel" in footer and "y Confirm" in footer, footer
        assert "Quit" not in footer and "Details" not in footer, footer
        await pilot.press("n")
    assert await steady.methods() == ["LiveMigrate"]


async def test_the_strategy_form_fits_80x24(steady: Cluster) -> None:
    app = dashboard(steady)
    async with app.run_test(size=SMALL) as pilot:
        await ready(pilot, app, need="strategy")
        await pilot.press("w")
        await shown(pilot, app, StrategyFormScreen)
        lines = await _screen(pilot)
        assert _buttons_shown(lines, "Cancel", "Review…"), "\n".join(lines)
        assert "esc Cancel" in lines[-1], lines[-1]
        assert any("LiveMigrate" in line for line in lines), "the form starts at its top"


async def test_the_plan_preview_and_its_confirmation_fit_80x24(awaiting: Awaiting) -> None:
    c, _current = awaiting
    app: DashboardApp = dashboard(c)
    async with app.run_test(size=SMALL) as pilot:
        await ready(pilot, app, need="approve")
        await pilot.press("a")
        await shown(pilot, app, InstallPlanPreviewScreen)
        lines = await _screen(pilot)
        assert _buttons_shown(lines, "Cancel", "Approve…"), "\n".join(lines)
        assert "a Approve…" in lines[-1] and "esc Cancel" in lines[-1], lines[-1]
        await pilot.press("a")
        await shown(pilot, app, ConfirmScreen)
        lines = await _screen(pilot)
        assert _buttons_shown(lines, "Cancel", "Approve"), "\n".join(lines)
        assert "y Confirm" in lines[-1], lines[-1]
