"""The screen as plain text: what a user reads, for tests, the screenshot tool and debugging.

Textual exports SVG; tests that ask "does the screen say X" want the characters. This renders
the current screen exactly as `App.export_screenshot` does, then keeps only the text.

Widgets change their content at once, but a change of size or visibility reaches the
screen's layout only after the widget's idle handler and then the screen's next tick: a read
in between mixes new text with the old layout (a line just shown is not there yet), a frame
no terminal ever gets. `is_settled` tells whether such work is pending, so that a reader can
wait for it.
"""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console
from textual.app import App
from textual.widget import Widget


def screen_text(app: App[Any]) -> str:
    """Every line of the app's current screen (including screens below a modal)."""
    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        force_terminal=True,
        color_system=None,
        record=True,
        legacy_windows=False,
        safe_box=False,
    )
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    console.print(update)
    return console.export_text(styles=False)


def is_settled(app: App[Any]) -> bool:
    """No layout, scroll or repaint is pending on the current screen or any of its widgets,
    nor on its way from one to the other (a widget passes its layout request to the screen
    as a message)."""
    screen = app.screen
    if (
        screen.message_queue_size
        or screen._layout_required
        or screen._scroll_required
        or screen._repaint_required
        or screen._dirty_widgets
    ):
        return False
    return not any(w._layout_required or w._repaint_required for w in screen.walk_children(Widget))
