"""HyperConverged panel: the five conditions, versions and health, unhealthy ones standing out."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widget import Widget

from cnvtui.state.model import ConditionRow, HcoPicture, UpdatePicture
from cnvtui.ui import render as r
from cnvtui.ui.widgets.keyed_table import KeyedTable, Row
from cnvtui.ui.widgets.panel import ObjectRef, Panel
from cnvtui.ui.widgets.quiet import QuietStatic

COLUMNS = (
    ("type", "CONDITION"),
    ("status", "STATUS"),
    ("reason", "REASON"),
    ("changed", "CHANGED"),
    ("message", "MESSAGE"),
)


class HcoPanel(Panel):
    """What `oc get hco ... -o jsonpath='{range .status.conditions[*]}...'` prints, coloured."""

    TITLE = "HyperConverged"
    TAB = "HCO"
    KINDS = ("hco", "kubevirt")

    def __init__(self) -> None:
        super().__init__(id="hco")

    def compose(self) -> ComposeResult:
        yield QuietStatic(id="hco-summary", classes="summary")
        yield KeyedTable(COLUMNS, id="hco-table")
        yield QuietStatic(id="hco-problems", classes="problems")

    @property
    def focus_target(self) -> Widget:
        return self.query_one(KeyedTable)

    def show(self, picture: UpdatePicture) -> None:
        hco = picture.hco
        table = self.query_one(KeyedTable)
        summary = self.query_one("#hco-summary", QuietStatic)
        if hco is None:
            table.sync([])
            summary.update(Text("No HyperConverged object seen (yet).", r.DIM))
            self.query_one("#hco-problems", QuietStatic).update("")
            self.badge = Text()
            return
        summary.update(self._summary(hco))
        ref = ObjectRef("hco", hco.namespace, hco.name).key
        rows: list[Row] = [(f"{ref}#{c.type}", self._cells(c, picture.now)) for c in hco.conditions]
        table.sync(rows)
        self.query_one("#hco-problems", QuietStatic).update(self._problems(hco))
        self.badge = Text() if hco.healthy else Text("!", r.WARN)

    @staticmethod
    def _problems(hco: HcoPicture) -> Text:
        """The messages of unhealthy conditions in full: they say why, and the table has no
        room for them."""
        text = Text()
        for c in hco.conditions:
            if c.healthy or not c.message:
                continue
            if text:
                text.append("\n")
            text.append(f"✗ {c.type}: ", r.BAD)
            text.append_text(r.lit(c.message, limit=400))
        return text

    @staticmethod
    def _summary(hco: HcoPicture) -> Text:
        health = hco.system_health_status or "unknown"
        versions = ", ".join(f"{name} {version}" for name, version in hco.versions) or "-"
        return r.joined(
            [
                r.lit(f"{hco.namespace}/{hco.name}", "bold"),
                Text("healthy", r.OK) if hco.healthy else Text("✗ not healthy", r.BAD),
                Text("systemHealthStatus ").append_text(
                    r.lit(health, r.OK if health == "healthy" else r.WARN)
                ),
                Text("versions ").append_text(r.lit(versions)),
                r.lit(hco.api_version, r.DIM),
            ]
        )

    @staticmethod
    def _cells(c: ConditionRow, now: float) -> list[Text | str]:
        style = "" if c.healthy else r.BAD
        mark = "  " if c.healthy else "✗ "
        return [
            Text(mark, style).append_text(r.lit(c.type, style or "bold")),
            r.lit(c.status, r.OK if c.healthy else r.BAD),
            r.lit(c.reason, style),
            Text(r.since(c.last_transition, now) + " ago" if c.last_transition else "-"),
            r.lit(c.message, style, limit=160),
        ]
