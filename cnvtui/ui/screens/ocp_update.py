"""Choose the OpenShift version to update to, among those the cluster offers.

Only `status.availableUpdates` are listed (newest first), with their release images. The
choice leads to the strongest confirmation there is: the user types the version.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, OptionList, Static
from textual.widgets.option_list import Option

from cnvtui.actions.openshift import minor_of
from cnvtui.ui import render as r
from cnvtui.ui.screens.dialog import DialogScreen, dialog_css

__all__ = ["OcpUpdateScreen"]


class OcpUpdateScreen(DialogScreen[str | None]):
    """Returns the chosen version, or None."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]
    AUTO_FOCUS = "#ocp-versions"
    DEFAULT_CSS = (
        dialog_css("OcpUpdateScreen")
        + """
    #ocp-versions {
        height: auto;
        max-height: 12;
        margin-top: 1;
    }
    """
    )

    def __init__(self, current: str | None, updates: Sequence[tuple[str, str]]) -> None:
        super().__init__()
        self.current = current or ""
        self.updates = list(updates)

    def compose(self) -> ComposeResult:
        with Vertical(classes="action-dialog -dangerous", id="ocp-dialog") as dialog:
            dialog.border_title = "Start an OpenShift update"
            intro = Text("OpenShift now runs ")
            intro.append_text(r.lit(self.current or "an unknown version", "bold"))
            intro.append(
                ". Every node will be drained and rebooted. Choose a version; you will be "
                "asked to type it to confirm.",
            )
            options = []
            for version, image in self.updates:
                label = r.lit(version, "bold")
                kind = "minor" if minor_of(version) != minor_of(self.current) else "z-stream"
                label.append(f"  {kind}", r.WARN if kind == "minor" else r.DIM)
                if image:
                    label.append_text(r.lit(f"  {image}", r.DIM, limit=70))
                options.append(Option(label, id=version))
            with VerticalScroll(classes="body"):
                yield Static(intro)
                yield OptionList(*options, id="ocp-versions")
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Choose…", id="choose", variant="error")
        yield from self.compose_footer()

    def _chosen(self) -> str | None:
        options = self.query_one("#ocp-versions", OptionList)
        index = options.highlighted
        if index is None:
            return None
        return options.get_option_at_index(index).id

    @on(OptionList.OptionSelected, "#ocp-versions")
    @on(Button.Pressed, "#choose")
    def action_choose(self) -> None:
        version = self._chosen()
        if version is not None:
            self.dismiss(version)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
