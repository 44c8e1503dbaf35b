"""The replay's time bar: where in the recording the dashboard is, and whether it plays.

One line above the footer: play state and speed, the recorded moment being shown, a bar over
the recording's span, the offset from its start, and what is wrong with the file (cut off
mid-write) when something is. It reads the replay source on a timer, so it moves while the
recording plays without any event arriving. A click on the bar seeks there.
"""

from __future__ import annotations

import time

from rich.text import Text
from textual import events
from textual.message import Message
from textual.widgets import Static

from cnvtui.kube.replay import ReplaySource
from cnvtui.ui import render as r

REFRESH = 0.25


def _moment(at: float) -> str:
    """Local time with its zone, and UTC beside it when they differ: `status --replay --at`
    reads clock times as UTC, so a time read off this bar can be passed on as it is."""
    local = time.localtime(at)
    shown = time.strftime("%Y-%m-%d %H:%M:%S %Z", local)
    if local.tm_gmtoff:
        shown += time.strftime(" (%H:%M:%S UTC)", time.gmtime(at))
    return shown


def _speed(speed: float) -> str:
    return f"{speed:g}x"


class TimeBar(Static):
    """`▶ 4x  2024-05-01 03:15:02  ━━━━━●──────  +12m05s of 1h05m  (file incomplete: …)`."""

    DEFAULT_CSS = """
    TimeBar {
        height: 1;
        padding: 0 1;
        background: $boost;
    }
    """

    class Seek(Message):
        """The user clicked the bar: show the recorded moment `when`."""

        def __init__(self, when: float) -> None:
            super().__init__()
            self.when = when

    def __init__(self, source: ReplaySource) -> None:
        super().__init__(id="timebar")
        self.source = source
        self._track = (0, 0)
        """Where the bar was last drawn: its first cell and its width."""

    def on_mount(self) -> None:
        self.set_interval(REFRESH, self.refresh)

    def describe(self, width: int) -> Text:
        """The bar for a line `width` cells wide."""
        s = self.source
        now = s.now()
        span = max(0.0, s.end - s.start)
        if s.at_end:
            state = Text("■ end ", "bold")
        elif s.paused:
            state = Text("⏸ paused ", r.WARN)
        else:
            state = Text(f"▶ {_speed(s.speed)} ", r.OK)
        left = state.append(_moment(now), "bold").append("  ")
        right = Text(f"  +{r.duration(now - s.start)} of {r.duration(span)}", r.DIM)
        if s.note:  # the whole note is a notification when the replay opens
            ends = time.strftime("%H:%M:%S", time.localtime(s.end))
            right.append(f"  (file incomplete: ends {ends})", r.WARN)
        room = max(4, width - left.cell_len - right.cell_len)
        fraction = 1.0 if span <= 0 else min(1.0, max(0.0, (now - s.start) / span))
        done = min(room - 1, int(fraction * (room - 1)))
        bar = Text("━" * done, r.BUSY).append("●", "bold").append("─" * (room - 1 - done), r.DIM)
        self._track = (left.cell_len, room)
        return left.append_text(bar).append_text(right)

    def on_click(self, event: events.Click) -> None:
        """A click on the bar jumps to that point of the recording."""
        offset = event.get_content_offset(self)
        first, room = self._track
        if offset is None or room < 2 or not first <= offset.x < first + room:
            return
        s = self.source
        fraction = (offset.x - first) / (room - 1)
        self.post_message(self.Seek(s.start + fraction * max(0.0, s.end - s.start)))

    def render(self) -> Text:
        return self.describe(max(20, self.size.width))
