"""The `c` screen: the state of every watch, for when the header says something is wrong.

The header names troubled watches in one line; this lists all of them with when they entered
their state, how old their data is and what the server said (e.g. which permission is
missing), so "forbidden" is never confused with "empty".
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from cnvtui.kube.events import StreamState
from cnvtui.state.model import StreamRow
from cnvtui.ui import render as r

_STYLES = {
    StreamState.LIVE: r.OK,
    StreamState.SYNCING: r.BUSY,
    StreamState.RECONNECTING: "bold yellow",
    StreamState.FORBIDDEN: r.BAD,
    StreamState.UNAUTHORIZED: r.BAD,
    StreamState.NOT_INSTALLED: r.DIM,
}


def streams_table(streams: tuple[StreamRow, ...], now: float) -> Table:
    table = Table(box=None, padding=(0, 2, 0, 0), expand=True)
    for header in ("WATCH", "STATE", "SINCE", "DATA AS OF", "MESSAGE"):
        table.add_column(header, no_wrap=header != "MESSAGE")
    for s in sorted(streams, key=lambda s: s.kind):
        table.add_row(
            r.lit(s.kind, "bold"),
            Text(s.state.value, _STYLES[s.state]),
            Text(r.since(s.since, now) + " ago"),
            Text(r.stamp(s.as_of, now) if s.as_of is not None else "-"),
            r.lit(s.message, limit=300),
        )
    return table


class StreamsScreen(ModalScreen[None]):
    """Every watch with its state; refreshed by the app while open."""

    BINDINGS = [Binding("escape,c,q", "dismiss", "Close", key_display="esc")]

    def __init__(self, streams: tuple[StreamRow, ...], now: float) -> None:
        super().__init__()
        self._streams = streams
        self._now = now

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="streams-body") as scroll:
            scroll.border_title = "Watches (esc closes)"
            yield Static(streams_table(self._streams, self._now), id="streams-table")
        yield Footer()

    def show(self, streams: tuple[StreamRow, ...], now: float) -> None:
        self.query_one("#streams-table", Static).update(streams_table(streams, now))
