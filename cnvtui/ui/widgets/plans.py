"""Install plans panel: the plan the Subscription points at is unmistakable.

Approving any other plan, or approving early, is a known way to wedge an update, so the
current plan is marked on its row and named in a line above the table, with its state.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import DataTable

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
        self._plans: dict[str, InstallPlanRow] = {}

    def compose(self) -> ComposeResult:
        yield QuietStatic(id="plans-summary", classes="summary")
        yield KeyedTable(COLUMNS, id="plans-table")
        yield QuietStatic(id="plans-why", classes="problems")

    @property
    def focus_target(self) -> Widget:
        return self.query_one(KeyedTable)

    def show(self, picture: UpdatePicture) -> None:
        plans = sorted(
            picture.install_plans, key=lambda p: (not p.is_current, -(p.created or 0.0), p.name)
        )
        self._plans = {ObjectRef("installplan", p.namespace, p.name).key: p for p in plans}
        rows: list[Row] = [(key, self._cells(p, picture.now)) for key, p in self._plans.items()]
        self.query_one(KeyedTable).sync(rows)
        self._show_why()
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

    @on(DataTable.RowHighlighted, "#plans-table")
    def _highlighted(self) -> None:
        self._show_why()

    def _show_why(self) -> None:
        """Why the plan under the cursor cannot be approved, when it looks as if it could
        (a superseded plan still in RequiresApproval is the classic trap)."""
        key = self.query_one(KeyedTable).cursor_key
        plan = self._plans.get(key) if key is not None else None
        text = Text()
        if plan is not None and _pending(plan) and not plan.awaits_approval and plan.why_not:
            text = r.lit(f"{plan.name} cannot be approved: {plan.why_not}", r.WARN)
        self.query_one("#plans-why", QuietStatic).update(text)

    @staticmethod
    def _cells(p: InstallPlanRow, now: float) -> list[Text | str]:
        if p.awaits_approval:
            mark = Text("▶ NEEDS APPROVAL", "bold reverse yellow")
        elif p.is_current:
            mark = Text("▶ current", "bold")
        elif _pending(p):
            mark = Text("✗ superseded", r.WARN)
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


def _pending(plan: InstallPlanRow) -> bool:
    return plan.phase == "RequiresApproval" and not plan.approved
