"""Operator panel: the CSVs in the HCO namespace (what `oc get csv` shows) and phase history."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import DataTable

from cnvtui.state.model import CsvRow, UpdatePicture
from cnvtui.ui import render as r
from cnvtui.ui.widgets.keyed_table import KeyedTable, Row
from cnvtui.ui.widgets.panel import ObjectRef, Panel
from cnvtui.ui.widgets.quiet import QuietStatic

HISTORY_LINES = 4

COLUMNS = (
    ("name", "NAME"),
    ("phase", "PHASE"),
    ("in_phase", "IN PHASE"),
    ("version", "VERSION"),
    ("replaces", "REPLACES"),
    ("message", "REASON / MESSAGE"),
)


class OperatorPanel(Panel):
    """CSVs with coloured phases; below, the phase history of the highlighted CSV."""

    TITLE = "Operator (ClusterServiceVersions)"
    TAB = "Operator"
    KINDS = ("csv", "subscription")

    def __init__(self) -> None:
        super().__init__(id="operator")
        self._csvs: dict[str, CsvRow] = {}
        self._now = 0.0

    def compose(self) -> ComposeResult:
        yield KeyedTable(COLUMNS, id="csv-table")
        yield QuietStatic(id="csv-history", classes="history")

    @property
    def focus_target(self) -> Widget:
        return self.query_one(KeyedTable)

    def show(self, picture: UpdatePicture) -> None:
        self._now = picture.now
        self._csvs = {ObjectRef("csv", c.namespace, c.name).key: c for c in picture.csvs}
        rows: list[Row] = [(key, self._cells(c, picture.now)) for key, c in self._csvs.items()]
        table = self.query_one(KeyedTable)
        table.sync(rows)
        self._show_history(table.cursor_key)
        failed = any(c.phase == "Failed" for c in picture.csvs)
        busy = any(c.phase not in ("Succeeded", "") for c in picture.csvs)
        self.badge = Text("✗", r.BAD) if failed else Text("…", r.BUSY) if busy else Text()

    @staticmethod
    def _cells(c: CsvRow, now: float) -> list[Text | str]:
        reason = r.lit(c.reason, "bold")
        if c.message:
            reason.append("  " if c.reason else "")
            reason.append_text(r.lit(c.message, limit=100))
        return [
            r.lit(c.name),
            r.csv_phase(c.phase),
            Text(r.since(c.phase_since, now)),
            r.lit(c.version),
            r.lit(short_replaces(c.name, c.replaces), r.DIM),
            reason,
        ]

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._show_history(str(event.row_key.value))

    def _show_history(self, key: str | None) -> None:
        box = self.query_one("#csv-history", QuietStatic)
        csv = self._csvs.get(key or "") or next(reversed(self._csvs.values()), None)
        if csv is None:
            box.update(Text("No ClusterServiceVersion in the namespace yet.", r.DIM))
            return
        text = Text()
        text.append("Phase history of ", r.DIM)
        text.append_text(r.lit(csv.name, "bold"))
        steps = sorted(csv.history, key=lambda step: step.at or 0.0)
        for step in steps[-HISTORY_LINES:]:
            text.append("\n")
            line = Text(f"{r.stamp(step.at, self._now):>12}  ", r.DIM)
            line.append_text(r.csv_phase(step.phase))
            detail = "  ".join(s for s in (step.reason, step.message) if s)
            if detail:
                line.append("  ")
                line.append_text(r.lit(detail, r.DIM, limit=200))
            line.truncate(max(20, self.size.width - 2), overflow="ellipsis")
            text.append_text(line)
        box.update(text)


def short_replaces(name: str, replaces: str) -> str:
    """`replaces` without the package prefix it shares with `name` (`…v4.14.2`): the column
    is there for the version step, and full CSV names would push PHASE off a narrow screen."""
    if not replaces:
        return "-"
    package, sep, _ = name.rpartition(".v")
    if sep and replaces.startswith(package + sep):
        return "…" + replaces[len(package) + 1 :]
    return replaces
