"""Migrations panel: VMIMs across namespaces, attempts per VMI, and pending-target timeouts.

The cluster keeps only the five most recent migrations per VMI; the attempt numbers and the
"repeated failures" list come from cnvtui's own history, so they count what was deleted.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widget import Widget

from cnvtui.state.model import MigrationRow, MigrationsPicture, UpdatePicture
from cnvtui.ui import render as r
from cnvtui.ui.widgets.keyed_table import KeyedTable, Row
from cnvtui.ui.widgets.panel import ObjectRef, Panel
from cnvtui.ui.widgets.quiet import QuietStatic

FAILURE_LINES = 5
_RANK = {"Succeeded": 2, "Failed": 1}
"""Sort order of the table: migrations in flight first, then failures, then successes."""

COLUMNS = (
    ("vmi", "VMI"),
    ("phase", "PHASE"),
    ("attempt", "TRY"),
    ("duration", "DURATION"),
    ("pending", "TARGET PENDING"),
    ("failure", "FAILURE"),
    ("started", "STARTED"),
    ("name", "MIGRATION"),
)


class MigrationsPanel(Panel):
    """What `oc get vmim -A` shows, plus the history the cluster throws away."""

    TITLE = "Migrations"
    TAB = "Migrations"
    KINDS = ("vmim",)

    def __init__(self) -> None:
        super().__init__(id="migrations")

    def compose(self) -> ComposeResult:
        yield QuietStatic(id="migrations-summary", classes="summary")
        yield KeyedTable(COLUMNS, id="migrations-table")
        yield QuietStatic(id="migrations-failures", classes="history")

    @property
    def focus_target(self) -> Widget:
        return self.query_one(KeyedTable)

    def show(self, picture: UpdatePicture) -> None:
        m = picture.migrations
        ordered = sorted(m.rows, key=lambda row: (_RANK.get(row.phase, 0), -(row.started or 0.0)))
        rows: list[Row] = [
            (ObjectRef("vmim", row.namespace, row.name).key, self._cells(row, picture.now))
            for row in ordered
        ]
        self.query_one(KeyedTable).sync(rows)
        self.query_one("#migrations-summary", QuietStatic).update(self._summary(m))
        failures = self.query_one("#migrations-failures", QuietStatic)
        failures.update(self._failures(m, max(30, failures.size.width)))
        over = any(row.over_limit for row in m.rows)
        self.badge = Text("✗", r.BAD) if (m.failed or over) else Text()

    @staticmethod
    def _summary(m: MigrationsPicture) -> Text:
        return r.joined(
            [
                Text(f"running {m.running}", r.BUSY if m.running else r.DIM),
                Text(f"pending {m.pending}", r.WARN if m.pending else r.DIM),
                Text(f"failed {m.failed}", r.BAD if m.failed else r.DIM),
                Text(f"succeeded {m.succeeded}", r.OK if m.succeeded else r.DIM),
            ]
        )

    @staticmethod
    def _failures(m: MigrationsPicture, width: int) -> Text:
        """One line per VMI with failed attempts, counting those the cluster deleted."""
        if not m.by_vmi:
            return Text("No failed migrations seen.", r.DIM)
        text = Text("Failed attempts per VMI (history kept by cnvtui)", r.DIM)
        for vmi in m.by_vmi[:FAILURE_LINES]:
            line = Text("✓ " if vmi.succeeded else "✗ ", r.OK if vmi.succeeded else r.BAD)
            line.append_text(r.lit(f"{vmi.namespace}/{vmi.vmi}", "bold"))
            line.append(f"  {vmi.failures} of {vmi.attempts} failed", r.WARN)
            if vmi.last_failure_reason:
                line.append("  ")
                line.append_text(r.lit(vmi.last_failure_reason, limit=200))
            line.truncate(width, overflow="ellipsis")
            text.append("\n")
            text.append_text(line)
        if len(m.by_vmi) > FAILURE_LINES:
            text.append(f"\n… and {len(m.by_vmi) - FAILURE_LINES} more VMIs", r.DIM)
        return text

    @staticmethod
    def _cells(m: MigrationRow, now: float) -> list[Text | str]:
        if m.target_pending_for is None or m.pending_limit is None:
            pending = Text("-", r.DIM)
        else:
            limit = "5m unschedulable" if m.unschedulable else "15m"
            mark = "✗ " if m.over_limit else ""
            style = r.BAD if m.over_limit else r.WARN
            pending = Text(f"{mark}{r.duration(m.target_pending_for)}/{limit}", style)
        attempt = Text(str(m.attempt), r.BAD if m.attempt > 1 else "")
        return [
            r.lit(f"{m.namespace}/{m.vmi}", "bold"),
            r.migration_phase(m.phase),
            attempt,
            Text(r.duration(m.duration)),
            pending,
            r.lit(m.failure_reason or "", r.BAD, limit=100),
            Text(r.stamp(m.started, now), r.DIM),
            r.lit(m.name, r.DIM),
        ]
