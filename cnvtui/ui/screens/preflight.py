"""The preflight checks on a screen of their own (`f`), for any update, not only EUS.

The same panel as in the EUS guide and the same checks as `cnvtui preflight`, over the
dashboard's store, so the findings follow the cluster as it changes: fix a paused pool with
`oc` and its blocker disappears here within a moment.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, Static

from cnvtui.state.picture import build_picture
from cnvtui.state.store import Store
from cnvtui.ui import render as r
from cnvtui.ui.widgets.preflight import PreflightPanel

__all__ = ["PreflightScreen"]

REFRESH = 1.0
"""Seconds between looks at the store; the panel itself re-runs the checks only when an
object they read has changed."""


class PreflightScreen(Screen[None]):
    """Preflight findings, worst first; enter opens the first object a finding names."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,f", "app.pop_screen", "Back", key_display="esc"),
        Binding("q", "app.quit", "Quit"),
    ]

    DEFAULT_CSS = """
    #preflight-head {
        height: auto;
        padding: 0 1;
        border-bottom: solid $border-blurred;
    }
    PreflightScreen #preflight {
        height: 1fr;
    }
    """

    def __init__(self, store: Store, *, now: Callable[[], float]) -> None:
        super().__init__()
        self.store = store
        self.now = now
        self._shown_revision = -1

    def compose(self) -> ComposeResult:
        head = Text("Preflight checks", "bold")
        head.append(
            "  what to fix before the next update (the same checks as `cnvtui preflight`)",
            r.DIM,
        )
        yield Static(head, id="preflight-head")
        yield PreflightPanel(lambda: self.store, classes="-active")
        yield Footer()

    def on_mount(self) -> None:
        self._refresh()
        self.set_interval(REFRESH, self._refresh)
        self.query_one(PreflightPanel).focus_target.focus()

    def _refresh(self) -> None:
        if self.store.revision == self._shown_revision:
            return
        self._shown_revision = self.store.revision
        self.query_one(PreflightPanel).show(build_picture(self.store, self.now()))
