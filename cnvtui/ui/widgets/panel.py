"""The common shape of a dashboard panel: a titled box that renders part of the picture."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.containers import Vertical
from textual.message import Message
from textual.widget import Widget

from cnvtui.kube.events import StreamState
from cnvtui.kube.resources import BY_KEY
from cnvtui.state.model import StreamRow, UpdatePicture
from cnvtui.state.text import safe_text

_ACCESS_STATES = (StreamState.FORBIDDEN, StreamState.UNAUTHORIZED, StreamState.NOT_INSTALLED)


@dataclass(frozen=True, slots=True)
class ObjectRef:
    """Which cluster object a row stands for (a `cnvtui.kube.resources` key, namespace, name)."""

    kind: str
    namespace: str
    name: str

    @property
    def key(self) -> str:
        return f"{self.kind}/{self.namespace}/{self.name}"

    @classmethod
    def parse(cls, key: str) -> ObjectRef | None:
        """The object of a row key `kind/namespace/name[#part]`; None for other keys."""
        parts = key.split("#", 1)[0].split("/", 2)
        if len(parts) != 3 or parts[0] not in BY_KEY or not parts[2]:
            return None
        return cls(parts[0], parts[1], parts[2])


class OpenDetails(Message):
    """Asks the app to show an object's YAML and events."""

    def __init__(self, ref: ObjectRef) -> None:
        super().__init__()
        self.ref = ref


class Panel(Vertical):
    """A panel of the dashboard. Subclasses render `UpdatePicture` parts in `show`.

    `badge` is a short marker for the panel's tab ("!" when it needs attention), so that in
    the narrow (tabbed) layout trouble is visible even when the panel is not.
    """

    TITLE = ""
    TAB = ""
    KINDS: tuple[str, ...] = ()
    """The watched kinds this panel shows; their trouble is named on its bottom border."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="panel")
        self.border_title = self.TITLE
        self.badge: Text = Text()
        self.filter_note = ""
        """The filter of the panel's list ("" when none), set by the list."""
        self._access = ""

    def show(self, picture: UpdatePicture) -> None:
        raise NotImplementedError

    def show_access(self, streams: Sequence[StreamRow]) -> None:
        """Say on the border why data is missing here (forbidden: which permission; not
        installed), so an empty panel is never mistaken for an empty cluster."""
        notes = [
            f"✗ {safe_text(s.message, 100) or f'{s.kind}: {s.state.value}'}"
            for s in streams
            if s.kind in self.KINDS and s.state in _ACCESS_STATES
        ]
        subtitle = " · ".join(notes)
        if subtitle != self._access:
            self._access = subtitle
            self.border_subtitle = Text(subtitle) if subtitle else ""

    @property
    def focus_target(self) -> Widget:
        """The widget that takes focus when the user tabs to this panel."""
        return self

    @property
    def filterable(self) -> bool:
        return False

    def start_filter(self) -> None:
        """Open the panel's filter (only called when `filterable`)."""
