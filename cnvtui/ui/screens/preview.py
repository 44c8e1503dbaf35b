"""Preview Install Plan: what approving will install, before the confirmation.

Like the console's preview: the CSV that will be installed and the one it replaces, with
their versions, and every resource in the plan's `status.plan[]` with OLM's step status.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, DataTable, Static

from cnvtui.actions.approve import PlanPreview
from cnvtui.actions.base import Change
from cnvtui.ui import render as r
from cnvtui.ui.screens.dialog import DialogScreen, dialog_css
from cnvtui.ui.widgets.measured_table import MeasuredTable

__all__ = ["InstallPlanPreviewScreen"]


class InstallPlanPreviewScreen(DialogScreen[bool]):
    """The plan's contents; True when the user goes on to approve."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,n", "cancel", "Cancel"),
        Binding("a", "approve", "Approve…"),
    ]
    AUTO_FOCUS = "#cancel"
    DEFAULT_CSS = (
        dialog_css("InstallPlanPreviewScreen")
        + """
    #plan-steps {
        height: auto;
        max-height: 18;
    }
    """
    )

    def __init__(self, change: Change) -> None:
        super().__init__()
        self.change = change
        preview = change.detail
        if not isinstance(preview, PlanPreview):
            raise TypeError("the approve change carries a PlanPreview")
        self.preview = preview

    def compose(self) -> ComposeResult:
        p = self.preview
        with Vertical(classes="action-dialog", id="preview-dialog") as dialog:
            dialog.border_title = f"Preview Install Plan {p.plan}"
            with VerticalScroll(classes="body"):
                yield Static(self._header(), id="plan-header")
                yield MeasuredTable(id="plan-steps", cursor_type="row", zebra_stripes=True)
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Approve…", id="approve", variant="warning")
        yield from self.compose_footer()

    def _header(self) -> Text:
        p = self.preview
        text = Text()
        text.append("Install   ", r.DIM)
        text.append_text(r.lit(p.to_csv or "-", "bold"))
        if p.to_version:
            text.append_text(r.lit(f"  version {p.to_version}", r.OK))
        text.append("\nReplaces  ", r.DIM)
        text.append_text(r.lit(p.from_csv or "nothing installed"))
        if p.from_version:
            text.append_text(r.lit(f"  version {p.from_version}", r.DIM))
        text.append("\nPlan      ", r.DIM)
        text.append_text(r.lit(f"{p.namespace}/{p.plan}"))
        text.append("  ")
        text.append_text(r.plan_phase(p.phase))
        text.append(f"\n{len(p.steps)} resources:", r.DIM)
        return text

    def on_mount(self) -> None:
        table = self.query_one("#plan-steps", DataTable)
        table.add_columns("KIND", "NAME", "API", "STATUS")
        for step in self.preview.steps:
            api = f"{step.group}/{step.version}" if step.group else step.version
            table.add_row(r.lit(step.kind), r.lit(step.name), r.lit(api, r.DIM), r.lit(step.status))

    @on(Button.Pressed, "#approve")
    def action_approve(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)
