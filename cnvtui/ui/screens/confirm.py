"""The confirmation every write goes through: what will change, exactly, before anything is sent.

It shows the change's plain statement and consequences, its warnings, the object it patches,
the fields before and after, and the JSON patch as it will be sent. Cancel has the focus, so a
stray Enter sends nothing. The strongest confirmation (for the OpenShift update) asks the user
to type a word, the version, before the confirm button wakes up.
"""

from __future__ import annotations

import json
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Static

from cnvtui.actions.base import Change
from cnvtui.ui import render as r
from cnvtui.ui.screens.dialog import DialogScreen, dialog_css

__all__ = ["ConfirmScreen", "change_text"]


def change_text(change: Change, *, patch: bool = True) -> Text:
    """The change as one block of text; cluster strings are never read as markup."""
    text = Text()
    for line in change.summary:
        if text:
            text.append("\n")
        text.append_text(r.lit(line))
    for note in change.notes:
        text.append("\n! ", r.WARN)
        text.append_text(r.lit(note, r.WARN))
    text.append("\n\nObject  ", r.DIM)
    text.append_text(r.lit(change.target.describe(), "bold"))
    for field, value in change.before.items():
        after = change.after.get(field, value)
        if after == value:
            continue
        text.append("\n  ")
        text.append_text(r.lit(field, r.DIM))
        text.append("  ")
        text.append_text(r.lit(json.dumps(value), r.BAD))
        text.append(" -> ")
        text.append_text(r.lit(json.dumps(after), r.OK))
    for field, value in change.after.items():
        if field not in change.before:
            text.append("\n  ")
            text.append_text(r.lit(field, r.DIM))
            text.append("  + ")
            text.append_text(r.lit(json.dumps(value), r.OK))
    if patch:
        text.append("\n\nJSON patch sent (the test operations are what you saw):", r.DIM)
        for line in change.patch_text().splitlines():
            text.append("\n")
            text.append_text(r.lit(line, r.DIM))
    return text


class ConfirmScreen(DialogScreen[bool]):
    """Yes/no on one change; returns True only on an explicit confirmation."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,n", "cancel", "Cancel"),
        Binding("y", "confirm", "Confirm"),
    ]
    DEFAULT_CSS = dialog_css("ConfirmScreen")
    AUTO_FOCUS = "#confirm-word, #cancel"

    def __init__(self, change: Change, *, verb: str = "Confirm") -> None:
        super().__init__()
        self.change = change
        self.verb = verb

    def compose(self) -> ComposeResult:
        change = self.change
        classes = "action-dialog" + (" -dangerous" if change.dangerous else "")
        with Vertical(classes=classes, id="confirm-dialog") as dialog:
            dialog.border_title = change.title
            with VerticalScroll(classes="body"):
                yield Static(change_text(change), id="confirm-text")
            if change.confirm_word:
                yield Static(
                    Text.assemble("Type ", (change.confirm_word, "bold"), " to confirm:"),
                    id="confirm-prompt",
                )
                yield Input(placeholder="type the version here", id="confirm-word")
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button(
                    self.verb,
                    id="confirm",
                    variant="error" if change.dangerous else "warning",
                    disabled=bool(change.confirm_word),
                )
        yield from self.compose_footer()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "confirm" and not self._typed():
            return None  # shown greyed until the word is typed
        return True

    def _typed(self) -> bool:
        word = self.change.confirm_word
        if not word:
            return True
        typed = self.query("#confirm-word").results(Input)
        return any(field.value.strip() == word for field in typed)

    @on(Input.Changed, "#confirm-word")
    def _word_changed(self) -> None:
        self.query_one("#confirm", Button).disabled = not self._typed()
        self.refresh_bindings()

    @on(Input.Submitted, "#confirm-word")
    def _word_submitted(self) -> None:
        if self._typed():
            self.dismiss(True)

    @on(Button.Pressed, "#confirm")
    def action_confirm(self) -> None:
        if self._typed():
            self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)
