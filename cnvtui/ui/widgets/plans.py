"""Install plans panel: the plan the Subscription points at is unmistakable.

Approving any other plan, or approving early, is a known way to wedge an update, so the
current plan is marked on its row and named in a line above the table, with its state.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widget import Widget

from cnvtui.state.model import InstallPlanRow, UpdatePicture
from cnvtui.ui import render as r
from cnvtui.ui.widgets.keyed_table import KeyedTable, Row
from cnvtui.ui.widgets.panel import ObjectRef, Panel
from cnvtui.ui.widgets.quiet import QuietStatic

COLUMNS = (
    ("mark", ""),
    ("name", "NAME"),
    ("phase", "PHASE"),
    ("approved", "APPROVED"),
    ("approval", "APPROVAL"),
    ("csv", "CSV"),
    ("age", "AGE"),
)


class PlansPanel(Panel):
    """InstallPlans in the HCO namespace, current first."""

    TITLE = "Install plans"
    TAB = "Plans"
    KINDS = ("installplan",)

    def __init__(self) -> None:
        super().__init__(id="plans")

    def compose(self) -> ComposeResult:
        yield QuietStatic(id="plans-summary", classes="summary")
        yield KeyedTable(COLUMNS, id="plans-table")

    @property
    def focus_target(self) -> Widget:
        return self.query_one(KeyedTable)

    def show(self, picture: UpdatePicture) -> None:
        plans = sorted(
            picture.install_plans, key=lambda p: (not p.is_current, -(p.created or 0.0), p.name)
        )
        rows: list[Row] = [
            (ObjectRef("installplan", p.namespace, p.name).key, self._cells(p, picture.now))
            for p in plans
        ]
        self.query_one(KeyedTable).sync(rows)
        self.query_one("#plans-summary", QuietStatic).update(self._summary(picture))
        waiting = picture.awaiting_approval is not None
        self.badge = Text("!", "bold yellow") if waiting else Text()

    @staticmethod
    def _summary(picture: UpdatePicture) -> Text:
        sub = picture.cluster.subscription
        if sub is None:
            return Text("No Subscription for the operator seen (yet).", r.DIM)
        if not sub.install_plan_ref:
            return Text("The Subscription names no install plan.", r.DIM)
        current = next((p for p in picture.install_plans if p.is_current), None)
        text = Text("Subscription → ")
        text.append_text(r.lit(sub.install_plan_ref, "bold"))
        if current is None:
            text.append("  (not visible in the namespace)", r.WARN)
        elif current.awaits_approval:
            text.append("  ")
            text.append(" WAITS FOR APPROVAL ", "bold reverse yellow")
            text.append_text(r.lit("  " + ", ".join(current.csv_names)))
        else:
            text.append("  ")
            text.append_text(r.plan_phase(current.phase))
            if current.why_not and current.phase == "RequiresApproval":
                text.append_text(r.lit("  " + current.why_not, r.DIM))
        return text

    @staticmethod
    def _cells(p: InstallPlanRow, now: float) -> list[Text | str]:
        if p.awaits_approval:
            mark = Text("▶ NEEDS APPROVAL", "bold reverse yellow")
        elif p.is_current:
            mark = Text("▶ current", "bold")
        else:
            mark = Text("  old", r.DIM)
        style = "" if p.is_current else r.DIM
        return [
            mark,
            r.lit(p.name, "bold" if p.is_current else r.DIM),
            r.plan_phase(p.phase),
            r.flag(p.approved) if p.is_current else Text("yes" if p.approved else "no", r.DIM),
            r.lit(p.approval, style),
            r.lit(", ".join(p.csv_names) or "-", style),
            Text(r.since(p.created, now), style),
        ]
