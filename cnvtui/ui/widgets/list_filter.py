"""The one-line filter bar for whichever list has focus (`/`), above the footer.

The bar edits the filter of the table that asked for it; the table keeps its filter when the
bar closes, and the table's panel names the filter and how many rows it lets through on its
border, so a filtered list is never mistaken for the whole one.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Input, Label

from cnvtui.ui.widgets.keyed_table import FilterRequested, KeyedTable

__all__ = ["ListFilter"]


class ListFilter(Horizontal):
    """`filter: [text]  3 of 12 rows`; enter keeps the filter, esc clears it."""

    DEFAULT_CSS = """
    ListFilter {
        height: 1;
        display: none;
        padding: 0 1;
    }
    ListFilter.-open {
        display: block;
    }
    ListFilter Input, ListFilter Input:focus {
        border: none;
        height: 1;
        padding: 0;
        width: 1fr;
    }
    ListFilter Label {
        width: auto;
        padding: 0 1 0 0;
    }
    """

    BINDINGS = [Binding("escape", "clear", "Clear filter")]

    def __init__(self) -> None:
        super().__init__(id="list-filter")
        self._table: KeyedTable | None = None

    def compose(self) -> ComposeResult:
        yield Label("filter:")
        yield Input(placeholder="text in any column", id="list-filter-input")
        yield Label("", id="list-filter-count")

    def open(self, request: FilterRequested) -> None:
        self._table = request.table
        box = self.query_one(Input)
        box.value = request.table.filter_text
        self.add_class("-open")
        self._count()
        box.focus()

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        if self._table is not None:
            self._table.set_filter(event.value)
            self._count()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._close()

    def action_clear(self) -> None:
        if self._table is not None:
            self._table.set_filter("")
        self._close()

    def _count(self) -> None:
        table = self._table
        text = f"{table.row_count} of {table.source_count} rows" if table is not None else ""
        self.query_one("#list-filter-count", Label).update(text)

    def _close(self) -> None:
        self.remove_class("-open")
        if self._table is not None:
            self._table.focus()
