"""`/` filters the focused list, whichever panel it is in, and says so where the list is."""

from __future__ import annotations

from textual.pilot import Pilot

from cnvtui.ui.textshot import screen_text
from cnvtui.ui.widgets.hco import HcoPanel
from cnvtui.ui.widgets.keyed_table import KeyedTable
from tests.actions.cluster import Cluster

from .test_actions_app import dashboard, ready, until


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


async def test_a_filter_that_matches_nothing_says_0_of_n(steady: Cluster) -> None:
    app = dashboard(steady)
    async with app.run_test(size=(100, 30)) as pilot:  # tabbed: the tab marks the filter
        await ready(pilot, app)
        await _to_hco(pilot)
        await pilot.press("slash", *"zzz", "enter")
        await until(pilot, lambda: _rows(pilot) == [], "nothing left")
        text = screen_text(app)
        assert "HCO /" in text.splitlines()[3] or "HCO ! /" in text, text
