"""A DataTable that redraws rows it drew before it had measured them.

DataTable keys its cell, row and line caches on an update counter that its idle re-measure
pass does not advance. A frame drawn between adding rows and that pass caches cells cut to
the old (label-wide) column widths; in a fixed-size panel nothing else advances the counter,
so the cut rows ("kube  Succe") stayed on screen until the table's next change.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from textual.widgets import DataTable
from textual.widgets.data_table import RowKey

CellT = TypeVar("CellT")


class MeasuredTable(DataTable[CellT]):
    """DataTable whose renders are dropped whenever its column widths change."""

    _measured: tuple[int, ...] = ()

    def _widths(self) -> tuple[int, ...]:
        return tuple(column.content_width for column in self.columns.values())

    def settle(self) -> None:
        """Measure the rows and cells changed so far now, not when the app is next idle (what
        DataTable's idle handler would do, done early): rows synced in a redraw are then drawn
        in the same frame as the rest of that picture, not one frame later."""
        if self._updated_cells:
            updated = self._updated_cells.copy()
            self._updated_cells.clear()
            self._update_column_widths(updated)
        if self._require_update_dimensions:
            self._require_update_dimensions = False
            new_rows = self._new_rows.copy()
            self._new_rows.clear()
            self._update_dimensions(new_rows)

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        super()._update_dimensions(new_rows)
        widths = self._widths()
        if widths != self._measured:
            self._measured = widths
            self._update_count += 1
            self.refresh()
