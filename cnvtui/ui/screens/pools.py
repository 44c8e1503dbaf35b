"""Choose a MachineConfigPool to pause or unpause (EUS steps 1 and 7).

The list shows each pool's state and machine counts, and what pausing means, so the choice is
made knowing the cost; the confirmation that follows spells out the consequence for that pool.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, DataTable, Static

from cnvtui.state.model import PoolRow
from cnvtui.ui import render as r
from cnvtui.ui.screens.dialog import DialogScreen, dialog_css

__all__ = ["PoolsScreen"]

HINT = (
    "EUS updates pause the worker pools first, so workers reboot once, and unpause them at "
    "the end. A paused pool blocks certificate rotation: never leave one paused."
)


class PoolsScreen(DialogScreen[tuple[str, bool] | None]):
    """Returns (pool, wanted paused state) for the chosen row, or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("space", "flip", "Pause / unpause"),
    ]
    AUTO_FOCUS = "#pools-table"
    DEFAULT_CSS = (
        dialog_css("PoolsScreen")
        + """
    #pools-table {
        height: auto;
        max-height: 12;
        margin-top: 1;
    }
    """
    )

    def __init__(self, pools: Sequence[PoolRow]) -> None:
        super().__init__()
        self.pools = list(pools)

    def compose(self) -> ComposeResult:
        with Vertical(classes="action-dialog", id="pools-dialog") as dialog:
            dialog.border_title = "Machine config pools"
            with VerticalScroll(classes="body"):
                yield Static(Text(HINT, r.DIM))
                yield DataTable(id="pools-table", cursor_type="row")
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Pause / unpause…", id="toggle", variant="warning")
        yield from self.compose_footer()

    def on_mount(self) -> None:
        table = self.query_one("#pools-table", DataTable)
        table.add_columns("POOL", "PAUSED", "UPDATED", "READY", "STATE")
        for pool in self.pools:
            state = (
                Text("degraded", r.BAD)
                if pool.degraded
                else Text("updating", r.BUSY)
                if pool.updating
                else Text("up to date", r.OK)
                if pool.updated_count >= pool.machine_count
                else Text("behind", r.WARN)
            )
            table.add_row(
                r.lit(pool.name, "bold"),
                Text("⏸ paused", "bold yellow") if pool.paused else Text("no", r.DIM),
                f"{pool.updated_count}/{pool.machine_count}",
                f"{pool.ready_count}/{pool.machine_count}",
                state,
                key=pool.name,
            )
        worker = next((i for i, p in enumerate(self.pools) if p.name == "worker"), 0)
        table.move_cursor(row=worker)

    def _chosen(self) -> PoolRow | None:
        table = self.query_one("#pools-table", DataTable)
        if not self.pools or table.cursor_row < 0 or table.cursor_row >= len(self.pools):
            return None
        return self.pools[table.cursor_row]

    @on(DataTable.RowSelected, "#pools-table")
    @on(Button.Pressed, "#toggle")
    def action_flip(self) -> None:
        pool = self._chosen()
        if pool is not None:
            self.dismiss((pool.name, not pool.paused))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
