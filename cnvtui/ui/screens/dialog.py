"""What every action dialog shares: its look, its own footer, and fitting any terminal.

A dialog's buttons are docked to its bottom and its `.body` scrolls, sized so that the whole
dialog and the footer fit the screen: at 80x24 a preview taller than the screen still shows
Cancel and Confirm. The footer lists the dialog's own keys, not the dashboard's beneath it.
"""

from __future__ import annotations

from typing import TypeVar

from textual.app import ComposeResult
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Footer

__all__ = ["DIALOG_CSS", "DialogScreen", "dialog_css"]

DIALOG_CSS = """
.action-dialog {
    width: 120;
    max-width: 96%;
    height: auto;
    max-height: 100%;
    border: thick $warning 80%;
    border-title-style: bold;
    background: $surface;
    padding: 0 1;
}
.action-dialog.-dangerous {
    border: thick $error 80%;
}
.action-dialog .body {
    height: auto;
}
.action-dialog .buttons {
    dock: bottom;
    height: auto;
    align-horizontal: right;
    margin-top: 1;
}
.action-dialog .buttons Button {
    margin-left: 2;
}
.action-dialog .error {
    color: $error;
    height: auto;
}
.action-dialog Input {
    width: 40;
}
"""

MIN_BODY = 3
"""Rows the scrolling body keeps however small the terminal."""

ResultType = TypeVar("ResultType")


def dialog_css(screen: str) -> str:
    """The dialog styles for the modal class `screen`, centred over the dashboard."""
    return f"{screen} {{ align: center middle; }}\n" + DIALOG_CSS


class DialogScreen(ModalScreen[ResultType]):
    """A modal with one `.action-dialog` whose `.body` shrinks (and scrolls) to fit."""

    BODY_MAX = 28
    """The body's height on a screen with room to spare."""

    def compose_footer(self) -> ComposeResult:
        yield Footer()

    def on_mount(self) -> None:
        self.call_after_refresh(self.fit_body)

    def on_resize(self) -> None:
        self.call_after_refresh(self.fit_body)

    def fit_body(self) -> None:
        """Give the body the rows the screen has left after the dialog's fixed parts."""
        dialogs = self.query(".action-dialog")
        bodies = self.query(".body")
        if not dialogs or not bodies:
            return
        dialog, body = dialogs.first(), bodies.first()
        room = self.size.height - sum(f.outer_size.height for f in self.query(Footer))
        fixed = dialog.styles.gutter.height + sum(
            _rows(child) for child in dialog.children if child is not body and child.display
        )
        wanted = max(MIN_BODY, min(self.BODY_MAX, room - fixed))
        if body.styles.max_height is None or body.styles.max_height.value != wanted:
            body.styles.max_height = wanted


def _rows(widget: Widget) -> int:
    return widget.outer_size.height + widget.styles.margin.top + widget.styles.margin.bottom
