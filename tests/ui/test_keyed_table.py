"""The keyed table: rows follow a list by key, without rebuilding, keeping the cursor."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult

from cnvtui.ui.widgets.keyed_table import KeyedTable, Row

COLUMNS = (("name", "NAME"), ("phase", "PHASE"))


class TableApp(App[None]):
    CSS = "KeyedTable { height: 5; }"  # a fixed size, as in the dashboard's panels

    def compose(self) -> ComposeResult:
        yield KeyedTable(COLUMNS)


def rows(*pairs: tuple[str, str]) -> list[Row]:
    return [(f"csv/ns/{name}", [Text(name), Text(phase)]) for name, phase in pairs]


def shown(table: KeyedTable) -> list[tuple[str, str]]:
    return [(str(table.get_row(key)[0]), str(table.get_row(key)[1])) for key in table.row_keys]


async def test_sync_adds_updates_removes_and_orders() -> None:
    app = TableApp()
    async with app.run_test() as pilot:
        table = app.query_one(KeyedTable)
        table.sync(rows(("a", "Pending"), ("b", "Installing"), ("c", "Succeeded")))
        await pilot.pause()
        assert shown(table) == [("a", "Pending"), ("b", "Installing"), ("c", "Succeeded")]

        table.sync(rows(("d", "Pending"), ("a", "Succeeded"), ("c", "Succeeded")))
        await pilot.pause()
        assert shown(table) == [("d", "Pending"), ("a", "Succeeded"), ("c", "Succeeded")]

        table.sync([])
        await pilot.pause()
        assert table.row_count == 0


async def test_unchanged_cells_are_not_touched_and_cursor_stays_on_its_row() -> None:
    app = TableApp()
    async with app.run_test() as pilot:
        table = app.query_one(KeyedTable)
        table.sync(rows(("a", "x"), ("b", "x"), ("c", "x")))
        await pilot.pause()
        table.move_cursor(row=1)
        untouched = table.get_row("csv/ns/c")[1]
        table.sync(rows(("new", "x"), ("a", "x"), ("b", "y"), ("c", "x")))
        await pilot.pause()
        assert table.cursor_key == "csv/ns/b"
        assert table.get_row("csv/ns/c")[1] is untouched


async def test_duplicate_first_cells_still_sort_by_key() -> None:
    """Rows whose first cells are equal strings must still land in the requested order."""
    app = TableApp()
    async with app.run_test() as pilot:
        table = app.query_one(KeyedTable)
        same: list[Row] = [(f"k/ns/{i}", ["same", str(i)]) for i in range(5)]
        table.sync(same)
        table.sync(list(reversed(same)))
        await pilot.pause()
        assert table.row_keys == [f"k/ns/{i}" for i in reversed(range(5))]


async def test_rows_drawn_before_the_width_pass_are_redrawn_at_full_width() -> None:
    """A frame drawn between adding rows and the table's idle re-measure must not stick.

    DataTable caches rendered cells by an update counter that its idle width pass does not
    advance, so a row drawn early kept label-wide columns ("kube  Succe") until the next change.
    """
    app = TableApp()
    async with app.run_test(size=(80, 6)) as pilot:
        table = app.query_one(KeyedTable)
        await pilot.pause()
        table.sync(rows(("kubevirt-hyperconverged-operator.v4.14.3", "Succeeded")))
        table.render_line(1)  # draw row 0 now, before the idle pass measures the new cells
        await pilot.pause()
        await pilot.pause()
        line = table.render_line(1).text
        assert "kubevirt-hyperconverged-operator.v4.14.3" in line, line
        assert "Succeeded" in line, line


async def test_synced_rows_are_measured_at_once_and_drawn_in_the_same_frame() -> None:
    """`sync` settles the table's measurements itself: the rows it added are drawn at full
    width by the very next frame, not after the app's next idle moment."""
    app = TableApp()
    async with app.run_test(size=(80, 6)) as pilot:
        table = app.query_one(KeyedTable)
        await pilot.pause()
        table.sync(rows(("kubevirt-hyperconverged-operator.v4.14.3", "Succeeded")))
        line = table.render_line(1).text  # no pause: nothing idle has run in between
        assert "kubevirt-hyperconverged-operator.v4.14.3  Succeeded" in line, line
