"""A DataTable that is synchronised with a list of keyed rows instead of being rebuilt.

Rebuilding a table on every refresh loses the cursor and scroll position and costs time in
proportion to the whole table; syncing by key touches only the rows and cells that changed.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from rich.text import Text
from textual.binding import Binding
from textual.coordinate import Coordinate
from textual.message import Message
from textual.widgets.data_table import ColumnKey, RowKey

from cnvtui.ui.widgets.measured_table import MeasuredTable
from cnvtui.ui.widgets.panel import ObjectRef, OpenDetails, Panel

Cell = Text | str
Row = tuple[str, Sequence[Cell]]
FILTER_BAR = "#list-filter"
"""The screen's filter bar (`ListFilter`); `/` filters a table only where one exists."""


class FilterChanged(Message):
    """The table's filter changed (the app marks the panel's tab)."""

    def __init__(self, table: KeyedTable) -> None:
        super().__init__()
        self.table = table


class FilterRequested(Message):
    """`/` in a table: asks the screen's filter bar to edit this table's filter."""

    def __init__(self, table: KeyedTable) -> None:
        super().__init__()
        self.table = table


class KeyedTable(MeasuredTable[Cell]):
    """A row-cursor table whose rows are keyed by a stable id.

    When a key has the form `kind/namespace/name` (an `ObjectRef`), enter opens the object's
    details; the binding is shown only while the cursor is on such a row.
    """

    BINDINGS = [
        Binding("enter", "details", "Details"),
        # DataTable's home/end scroll sideways; in a list of rows they mean first and last row.
        Binding("home", "scroll_top", "First row", show=False),
        Binding("end", "scroll_bottom", "Last row", show=False),
        Binding("slash", "filter", "Filter", show=False),
        Binding("escape", "clear_filter", "Clear filter"),
    ]

    def __init__(
        self,
        columns: Sequence[tuple[str, str]],
        *,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes, cursor_type="row", zebra_stripes=False)
        self._column_spec = tuple(columns)
        self._could_open = False
        """Whether enter had a row to open when the footer was last refreshed: the footer
        rebuilds its keys on every refresh, so it is refreshed only when this flips."""
        self.filter_text = ""
        """Rows shown are those with this text (any case) in a cell; "" shows all."""
        self._source: Sequence[Row] = ()
        self._shown = 0
        self._named = False
        """Whether the panel's border names a filter (to be taken off when it is cleared)."""

    def on_mount(self) -> None:
        for key, label in self._column_spec:
            self.add_column(label, key=key)

    @property
    def column_keys(self) -> tuple[str, ...]:
        return tuple(key for key, _ in self._column_spec)

    @property
    def row_keys(self) -> list[str]:
        """Keys of the rows in display order."""
        return [str(row.key.value) for row in self.ordered_rows]

    @property
    def cursor_key(self) -> str | None:
        """The key of the row under the cursor, if any."""
        if not self.row_count or not self.columns or not self.is_valid_row_index(self.cursor_row):
            return None
        # By coordinate, not `ordered_rows`: that list is rebuilt after every row added or
        # removed, and the cursor watcher asks for this key on each of those.
        return str(self.coordinate_to_cell_key(Coordinate(self.cursor_row, 0)).row_key.value)

    @property
    def source_count(self) -> int:
        """Rows before the filter."""
        return len(self._source)

    def sync(self, rows: Sequence[Row]) -> None:
        """Show `rows` (those that pass the filter), in order, touching only what changed."""
        self._source = rows
        self._show(self._passing(rows))

    def set_filter(self, text: str) -> None:
        self.filter_text = text.strip()
        self._show(self._passing(self._source))
        self.refresh_bindings()
        self.post_message(FilterChanged(self))

    def _passing(self, rows: Sequence[Row]) -> Sequence[Row]:
        needle = self.filter_text.casefold()
        shown = [r for r in rows if needle in _plain_text(*r)] if needle else rows
        self._shown = len(shown)
        if needle or self._named:
            self._name_filter()
        return shown

    def _name_filter(self) -> None:
        """Put the filter on the panel's border title too (the bar may be closed)."""
        panel = next((a for a in self.ancestors if isinstance(a, Panel)), None)
        if panel is None:
            return
        self._named = bool(self.filter_text)
        panel.filter_note = self.filter_text
        if not self.filter_text:
            panel.border_title = panel.TITLE
            return
        panel.border_title = Text.assemble(
            panel.TITLE,
            " · filter ",
            (self.filter_text, "bold"),
            f" ({self._shown} of {self.source_count})",
        )

    def _show(self, rows: Sequence[Row]) -> None:
        """Make the table show exactly `rows`, in order, touching only what changed.

        A changed cell asks the table to re-measure only when it is wider than its column:
        DataTable re-measures the whole column whenever a cell narrows, which is O(rows) per
        changed cell, and columns that never shrink are a small price.

        While the table has focus the cursor stays on its row (the user is reading it);
        otherwise it stays at its position, so an unattended table keeps showing its top.
        """
        wanted = {key: cells for key, cells in rows}
        if len(wanted) != len(rows):
            raise ValueError("row keys must be unique")
        keep_cursor = self.cursor_key if self.has_focus else None
        columns = self.column_keys
        gone = [k for k in self.row_keys if k not in wanted]
        if len(gone) > max(8, self.row_count // 2):
            self.clear()
        else:
            for key in gone:
                self.remove_row(key)
        present = {str(key.value) for key in self.rows}
        for key, cells in rows:
            if key in present:
                current = self.get_row(key)
                for index, (column, old, new) in enumerate(
                    zip(columns, current, cells, strict=False)
                ):
                    if old != new:
                        value = _own(new) if index == 0 else new
                        wider = _width(value) > self.columns[ColumnKey(column)].content_width
                        self.update_cell(key, column, value, update_width=wider)
            elif cells:
                self.add_row(_own(cells[0]), *cells[1:], key=key)
            else:
                self.add_row(key=key)
        order = [key for key, _ in rows]
        if self.row_keys != order:
            self._reorder(order)
        self.settle()
        if keep_cursor is not None and keep_cursor in wanted:
            index = self.get_row_index(keep_cursor)
            if index != self.cursor_row:
                self.move_cursor(row=index, animate=False, scroll=False)

    def _reorder(self, order: Sequence[str]) -> None:
        """Sort rows into `order`. The sort key sees only cell values, so the first cell's
        identity (the exact object stored for that row) stands in for the row key."""
        position = {id(self.get_row(key)[0]): index for index, key in enumerate(order)}
        self.sort(key=lambda values: position.get(id(values[0]), len(position)))

    def row_key_at(self, row_key: RowKey) -> str:
        return str(row_key.value)

    @property
    def cursor_ref(self) -> ObjectRef | None:
        key = self.cursor_key
        return ObjectRef.parse(key) if key is not None else None

    def _panel_filter(self) -> Panel | None:
        """The enclosing panel when it has a filter of its own (the windowed VMI list)."""
        panel = next((a for a in self.ancestors if isinstance(a, Panel)), None)
        return panel if panel is not None and panel.filterable else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "details":
            return self.cursor_ref is not None
        if action == "filter":
            return self._panel_filter() is not None or bool(self.screen.query(FILTER_BAR))
        if action == "clear_filter":
            return bool(self.filter_text)
        return True

    def action_filter(self) -> None:
        panel = self._panel_filter()
        if panel is not None:
            panel.start_filter()
        else:
            self.post_message(FilterRequested(self))

    def action_clear_filter(self) -> None:
        self.set_filter("")

    def action_details(self) -> None:
        ref = self.cursor_ref
        if ref is not None:
            self.post_message(OpenDetails(ref))

    def watch_cursor_coordinate(
        self, old_coordinate: Coordinate, new_coordinate: Coordinate
    ) -> None:
        super().watch_cursor_coordinate(old_coordinate, new_coordinate)
        can_open = self.cursor_ref is not None
        if can_open != self._could_open:
            self._could_open = can_open
            self.refresh_bindings()


def _plain_text(key: str, cells: Sequence[Cell]) -> str:
    """What the filter matches a row against: its key and every cell, case-folded."""
    parts = [key, *(cell.plain if isinstance(cell, Text) else cell for cell in cells)]
    return " ".join(parts).casefold()


def _width(cell: Cell) -> int:
    return cell.cell_len if isinstance(cell, Text) else cell_len(cell)


def _own(cell: Cell) -> Text:
    """A fresh object for a row's first cell, so that its identity is unique to the row."""
    return Text(cell) if isinstance(cell, str) else cell.copy()
