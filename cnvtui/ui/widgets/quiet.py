"""A `Static` that ignores an update with the content it already shows.

Textual repaints every line of a widget whose `update()` is called, even when the content is
identical; on a slow SSH link the unchanged header and summaries re-sent four times a second
were most of what the dashboard wrote. Comparing the new content with the old is far cheaper
than painting and sending it.
"""

from __future__ import annotations

from collections.abc import Hashable

from rich.console import Group
from rich.text import Text
from textual.visual import VisualType
from textual.widgets import Static

_NEVER = object()


def text_key(text: Text) -> Hashable:
    """Everything that changes how a `Text` looks. (`Text.__eq__` ignores the base style and
    the wrapping settings, so a colour change alone would be missed.)"""
    return (
        text.plain,
        str(text.style),
        tuple(text.spans),
        text.justify,
        text.overflow,
        text.no_wrap,
        text.end,
    )


def content_key(content: object) -> Hashable | None:
    """A comparable key for strings, `Text` and groups of them; None for anything else
    (which is then always drawn)."""
    if isinstance(content, str):
        return ("str", content)
    if isinstance(content, Text):
        return text_key(content)
    if isinstance(content, Group):
        parts = [content_key(part) for part in content.renderables]
        if any(part is None for part in parts):
            return None
        return ("group", tuple(parts))
    return None


class QuietStatic(Static):
    """A drop-in `Static` whose `update` does nothing when the content is unchanged.

    `updates` counts the updates that were drawn (the tests read it); `show_keyed` takes an explicit
    key for content that cannot be compared itself (such as a `rich.table.Table`).
    """

    def __init__(
        self, content: VisualType = "", *, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(content, id=id, classes=classes)
        self._key: Hashable = _NEVER
        self.updates = 0

    def update(self, content: VisualType = "", *, layout: bool = True) -> None:
        self.show_keyed(content, content_key(content), layout=layout)

    def show_keyed(self, content: VisualType, key: Hashable | None, *, layout: bool = True) -> bool:
        """Draw `content` unless `key` equals the key of what is shown; True when drawn."""
        if key is not None and key == self._key:
            return False
        self._key = _NEVER if key is None else key
        self.updates += 1
        super().update(content, layout=layout)
        return True
