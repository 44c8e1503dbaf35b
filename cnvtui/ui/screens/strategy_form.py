"""The workload update strategy form: methods, batch eviction size and interval.

Validation runs as the user types and says what is wrong next to the field; below, the exact
JSON patch and what it means for the VMIs running now update live. The form returns the
change (or None); the confirmation comes after it, like every write.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, RadioButton, RadioSet, Static

from cnvtui.actions.base import Change, Refused
from cnvtui.actions.hco_api import HcoApi, methods_of, strategy_of
from cnvtui.actions.strategy import (
    METHOD_CHOICES,
    StrategyEdit,
    choice_of,
    parse_interval,
    parse_size,
    strategy_change,
)
from cnvtui.kube.events import Obj
from cnvtui.state.store import Store
from cnvtui.state.views import as_int, as_str
from cnvtui.ui import render as r
from cnvtui.ui.screens.confirm import change_text
from cnvtui.ui.screens.dialog import DialogScreen, dialog_css

__all__ = ["StrategyFormScreen"]

METHOD_HELP = {
    "LiveMigrate": "move each VMI to a new launcher; VMIs that cannot migrate are never updated",
    "Evict": "shut VMIs down in batches; VMs with runStrategy Always restart updated",
    "both": "live migrate where possible, evict the rest",
    "none": "no automatic workload update (EUS: set before, restore after)",
}


class StrategyFormScreen(DialogScreen[Change | None]):
    """Edit `workloadUpdateStrategy`; returns the change to confirm, or None."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]
    AUTO_FOCUS = "#methods"
    BODY_MAX = 40
    DEFAULT_CSS = (
        dialog_css("StrategyFormScreen")
        + """
    #methods {
        height: auto;
        width: 100%;
    }
    .field {
        height: auto;
        margin-top: 1;
    }
    .field Static {
        width: 26;
        padding-top: 1;
    }
    #strategy-preview-box {
        height: auto;
        margin-top: 1;
        border-top: solid $border-blurred;
    }
    """
    )

    def __init__(self, hco: Obj, api: HcoApi, namespace: str, store: Store | None) -> None:
        super().__init__()
        self.hco = hco
        self.api = api
        self.namespace = namespace
        self.store = store
        block = strategy_of(hco, api) or {}
        self._initial = choice_of(methods_of(strategy_of(hco, api)))
        self._batch_size = str(as_int(block.get("batchEvictionSize"), 10))
        self._interval = as_str(block.get("batchEvictionInterval"), "1m0s")
        self.change: Change | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="action-dialog", id="strategy-dialog") as dialog:
            dialog.border_title = f"Workload update strategy ({self.api.label})"
            with VerticalScroll(classes="body"):
                with RadioSet(id="methods"):
                    for label in METHOD_CHOICES:
                        now = " (now)" if label == self._initial else ""
                        yield RadioButton(
                            f"{label + now:<18} {METHOD_HELP[label]}",
                            value=label == self._initial,
                            id=f"method-{label}",
                        )
                with Horizontal(classes="field"):
                    yield Static("Batch eviction size")
                    yield Input(self._batch_size, id="size")
                yield Static(id="size-error", classes="error")
                with Horizontal(classes="field"):
                    yield Static("Batch eviction interval")
                    yield Input(self._interval, id="interval", placeholder="1m0s")
                yield Static(id="interval-error", classes="error")
                with Vertical(id="strategy-preview-box"):
                    yield Static(id="strategy-preview")
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Review…", id="apply", variant="warning", disabled=True)
        yield from self.compose_footer()

    def on_mount(self) -> None:
        self._update()

    def _methods(self) -> tuple[str, ...]:
        pressed = self.query_one("#methods", RadioSet).pressed_button
        label = (pressed.id or "").removeprefix("method-") if pressed is not None else ""
        return METHOD_CHOICES.get(label, METHOD_CHOICES[self._initial])

    def edit(self) -> StrategyEdit | None:
        """The form's values, or None (with the errors shown) when a field is invalid."""
        size_error = self.query_one("#size-error", Static)
        interval_error = self.query_one("#interval-error", Static)
        size: int | None = None
        interval: str | None = None
        try:
            size = parse_size(self.query_one("#size", Input).value)
            size_error.update("")
        except ValueError as exc:
            size_error.update(Text(f"✗ {exc}"))
        try:
            interval = parse_interval(self.query_one("#interval", Input).value)
            interval_error.update("")
        except ValueError as exc:
            interval_error.update(Text(f"✗ {exc}"))
        if size is None or interval is None:
            return None
        return StrategyEdit(self._methods(), size, interval)

    def _update(self) -> None:
        preview = self.query_one("#strategy-preview", Static)
        button = self.query_one("#apply", Button)
        edit = self.edit()
        self.change = None
        if edit is None:
            preview.update(Text("Fix the fields above to see the patch.", r.DIM))
        else:
            try:
                self.change = strategy_change(self.hco, self.api, self.namespace, edit, self.store)
            except Refused as exc:
                preview.update(Text(str(exc), r.DIM))
            else:
                preview.update(change_text(self.change))
        button.disabled = self.change is None

    @on(RadioSet.Changed)
    @on(Input.Changed)
    def _changed(self) -> None:
        self._update()

    @on(Input.Submitted)
    @on(Button.Pressed, "#apply")
    def action_apply(self) -> None:
        if self.change is not None:
            self.dismiss(self.change)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
