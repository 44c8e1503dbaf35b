"""Preflight panel: what to fix before the next update, from the same checks as
`cnvtui preflight`, kept current as the cluster changes.

Problems come first (blockers, then warnings); under the table, the whole finding under the
cursor and what to do about it; enter on a row opens the first object it names. The checks
read every VMI, so they run again only when an object they read has changed, not on every
redraw.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import DataTable

from cnvtui.state.model import UpdatePicture
from cnvtui.state.preflight import Finding, FindingVerdict, PreflightReport, run_preflight
from cnvtui.state.store import Store
from cnvtui.ui import render as r
from cnvtui.ui.widgets.keyed_table import KeyedTable, Row
from cnvtui.ui.widgets.panel import ObjectRef, Panel
from cnvtui.ui.widgets.quiet import QuietStatic

__all__ = ["PreflightPanel"]

COLUMNS = (("verdict", "VERDICT"), ("check", "CHECK"), ("finding", "FINDING"))
BUSY_INTERVAL = 2.0
"""Seconds between runs while only VMIs and migrations change (thousands of events during a
workload update; every run reads every VMI)."""
READ_KINDS = (
    "csv",
    "subscription",
    "installplan",
    "hco",
    "kubevirt",
    "clusterversion",
    "mcp",
    "node",
    "nodemaintenance",
    "legacynodemaintenance",
    "stream",
    "vmi",
    "vmim",
)
BUSY_KINDS = 2
"""The last READ_KINDS: the ones that change all the time during a workload update."""
_STYLES = {
    FindingVerdict.BLOCKER: ("✗ blocker", r.BAD),
    FindingVerdict.WARNING: ("! warning", r.WARN),
    FindingVerdict.OK: ("✓ ok", r.OK),
    FindingVerdict.UNKNOWN: ("? unknown", r.DIM),
}


def row_key(finding: Finding) -> str:
    """`kind/namespace/name#check` when the finding names an object (enter opens it)."""
    if finding.objects:
        first = finding.objects[0]
        return f"{ObjectRef(first.kind, first.namespace, first.name).key}#{finding.check}"
    return f"check:{finding.check}"


class PreflightPanel(Panel):
    """Preflight findings over the dashboard's store."""

    TITLE = "Preflight"
    TAB = "Preflight"

    def __init__(
        self, store: Callable[[], Store], *, target: str | None = None, classes: str = ""
    ) -> None:
        super().__init__(id="preflight")
        if classes:
            self.add_class(*classes.split())
        self._store = store
        self.target = target
        self.report: PreflightReport | None = None
        self._stamp: tuple[int, ...] = ()
        self._checked_at = 0.0

    def compose(self) -> ComposeResult:
        yield QuietStatic(id="preflight-summary", classes="summary")
        yield KeyedTable(COLUMNS, id="preflight-table")
        yield QuietStatic(id="preflight-todo", classes="problems")

    @property
    def focus_target(self) -> Widget:
        return self.query_one(KeyedTable)

    def set_target(self, target: str | None) -> None:
        """Check the path to `target` too (the EUS guide passes its target)."""
        if target != self.target:
            self.target = target
            self._stamp = ()

    def show(self, picture: UpdatePicture) -> None:
        store = self._store()
        stamp = (id(store), *(store.version(kind) for kind in READ_KINDS))
        if stamp == self._stamp and self.report is not None:
            return
        busy = stamp[:-BUSY_KINDS] == self._stamp[:-BUSY_KINDS]
        if busy and picture.now - self._checked_at < BUSY_INTERVAL:
            return
        self._stamp = stamp
        self._checked_at = picture.now
        report = run_preflight(store, picture.now, target=self.target)
        self.report = report
        rows: list[Row] = [(row_key(f), self._cells(f)) for f in report.findings]
        self.query_one(KeyedTable).sync(rows)
        self.query_one("#preflight-summary", QuietStatic).update(self._summary(report))
        self._show_todo()
        if report.blockers:
            self.badge = Text(f"✗{len(report.blockers)}", r.BAD)
        elif report.warnings:
            self.badge = Text(f"!{len(report.warnings)}", r.WARN)
        else:
            self.badge = Text()

    @staticmethod
    def _cells(finding: Finding) -> list[Text | str]:
        label, style = _STYLES[finding.verdict]
        return [
            Text(label, style),
            Text(finding.check, r.DIM if finding.verdict == FindingVerdict.OK else ""),
            r.lit(finding.message, limit=200),
        ]

    @staticmethod
    def _summary(report: PreflightReport) -> Text:
        unknown = len(report.not_checked)
        ok = len(report.findings) - len(report.blockers) - len(report.warnings) - unknown
        text = r.joined(
            [
                Text(f"{len(report.blockers)} blockers", r.BAD if report.blockers else r.DIM),
                Text(f"{len(report.warnings)} warnings", r.WARN if report.warnings else r.DIM),
                *([Text(f"{unknown} not checked", r.WARN)] if unknown else []),
                Text(f"{ok} ok", r.OK),
            ]
        )
        for reason in report.unreadable:
            text.append("\ncould not read ", r.WARN)
            text.append_text(r.lit(reason, r.WARN))
        return text

    @on(DataTable.RowHighlighted, "#preflight-table")
    def _highlighted(self) -> None:
        self._show_todo()

    def _show_todo(self) -> None:
        """What to do about the finding under the cursor (the first problem by default)."""
        report = self.report
        todo = self.query_one("#preflight-todo", QuietStatic)
        if report is None or not report.findings:
            todo.update("")
            return
        key = self.query_one(KeyedTable).cursor_key
        finding = next((f for f in report.findings if row_key(f) == key), report.findings[0])
        text = r.lit(finding.message)
        if finding.verdict != FindingVerdict.OK and finding.what_to_do:
            text.append("\n→ ", "bold")
            text.append_text(r.lit(finding.what_to_do))
        todo.update(text)
