"""The header: which cluster, what versions, the one-word verdict, and how fresh the data is.

It is never blank: before the first picture it says what it is connecting to, and whenever a
watch is not live it says which one and since when its data dates, so stale data never looks
current.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical

from cnvtui.kube.events import StreamState
from cnvtui.state.model import ClusterFacts, StreamRow, UpdatePicture
from cnvtui.state.text import safe_text
from cnvtui.ui import render as r
from cnvtui.ui.widgets.quiet import QuietStatic, text_key

_NAMED = 3
"""Watches named per state in the header; the rest are counted."""
RELOGIN = "credentials expired: log in again, then press ctrl+r"

_STREAM_STYLES = {
    StreamState.LIVE: r.OK,
    StreamState.SYNCING: r.BUSY,
    StreamState.RECONNECTING: "bold yellow",
    StreamState.FORBIDDEN: r.BAD,
    StreamState.UNAUTHORIZED: r.BAD,
    StreamState.NOT_INSTALLED: r.DIM,
}


@dataclass(frozen=True, slots=True)
class Target:
    """What the dashboard is connected to, as shown in the first header line."""

    context: str
    server: str
    namespace: str
    read_only: bool = False


class ClusterHeader(Vertical):
    """Three to four lines at the top of the screen, each part that changes on its own in a
    widget of its own.

    Textual repaints every line of a widget that is updated. While VMIs migrate, the verdict
    line's count changes with every redraw; as separate widgets, the identity and versions
    lines (and the verdict's label) are sent to the terminal only when they change themselves.
    """

    def __init__(self, target: Target) -> None:
        super().__init__(id="masthead")
        self.target = target
        self.stale = ""
        """Why no more data will come (the event stream ended); shown until the app exits."""
        self.recording = ""
        """With --record: "on", or "stopped: why"; "" when not recording."""
        self._identity_line = HeaderLine(id="header")
        self._versions_line = HeaderLine(id="header-versions")
        self._verdict = HeaderLine(id="header-verdict")
        self._reason = HeaderLine(id="header-reason")
        self._trouble_line = HeaderLine(id="header-trouble")
        self._reason_text = Text()
        """The verdict's reason in full, cut to the room beside the label when shown."""

    def compose(self) -> ComposeResult:
        yield self._identity_line
        yield self._versions_line
        with Horizontal(id="header-verdict-line"):
            yield self._verdict
            yield self._reason
        yield self._trouble_line

    def on_mount(self) -> None:
        left, right = self._identity(None)
        self._show_identity(left, right)
        self._versions_line.show_line(None)
        self._verdict.show_line(Text().append(" CONNECTING ", "bold reverse"), layout=True)
        reason = Text("  listing objects from ")
        reason.append_text(r.lit(self.target.server, "bold"))
        self._show_reason(reason)
        self._trouble_line.show_line(None)

    def show(self, picture: UpdatePicture) -> None:
        left, right = self._identity(picture)
        self._show_identity(left, right)
        self._versions_line.show_line(self._versions(picture.cluster))
        style = r.VERDICT_STYLES.get(picture.verdict, "bold reverse")
        label = Text().append(f" {picture.verdict.value.upper()} ", style)
        self._verdict.show_line(label, layout=True)
        reason = safe_text(picture.reason, limit=300)
        self._show_reason(Text().append(f"  {reason}", style))
        trouble = self._stream_trouble(picture.streams)
        if self.stale:
            stale = r.lit(self.stale, "bold", limit=200)
            trouble = Text("! STALE: ", "bold red").append_text(stale)
        self._trouble_line.show_line(trouble)

    def on_resize(self) -> None:
        self._show_reason(self._reason_text)

    def _show_reason(self, reason: Text) -> None:
        """The reason is as wide as its text, not the line, so that Textual sends no padding
        after it with every change of its count; it is cut with … here, since an auto-wide
        widget is not. Its layout is redone only when its width changes."""
        self._reason_text = reason
        label = self._verdict.shown
        room = self.size.width - (label.cell_len if isinstance(label, Text) else 0)
        shown = reason.copy()
        if room > 0 and shown.cell_len > room:
            shown.truncate(room, overflow="ellipsis")
        old = self._reason.shown
        wider = not isinstance(old, Text) or old.cell_len != shown.cell_len
        self._reason.show_line(shown, layout=wider)

    def _show_identity(self, left: Text, right: Text) -> None:
        """Left cut with … when narrow, right kept whole and flush right."""
        grid = Table.grid(expand=True, padding=(0, 0, 0, 1))
        grid.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
        grid.add_column(no_wrap=True, justify="right")
        grid.add_row(left, right)
        key = (text_key(left), text_key(right))
        self._identity_line.show_keyed(grid, key, layout=False)

    def _identity(self, picture: UpdatePicture | None) -> tuple[Text, Text]:
        """Who and where on the left (cut with … when narrow), freshness on the right."""
        t = self.target
        left = Text()
        left.append("cnvtui ", "bold")
        left.append_text(r.lit(t.context or "(no context)", "bold"))
        left.append(" · ", r.DIM)
        left.append_text(r.lit(t.server))
        left.append(" · ns ", r.DIM)
        left.append_text(r.lit(t.namespace))
        right = Text()
        if self.recording == "on":
            right.append("● REC ", "bold red")
        elif self.recording:
            right.append("✗ REC stopped ", r.BAD)
        if t.read_only:
            right.append("READ-ONLY ", "bold yellow")
        if picture is not None:
            right.append_text(self._stream_summary(picture.streams))
            right.append(f" {r.minute(picture.now)}", r.DIM)
        return left, right

    @staticmethod
    def _versions(c: ClusterFacts) -> Text:
        ocp = Text("OpenShift ", r.DIM).append_text(r.lit(c.openshift_version or "?", "bold"))
        if c.openshift_update is not None:
            u = c.openshift_update
            if u.from_version and u.from_version != c.openshift_version:
                ocp.append(" from ", r.DIM)
                ocp.append_text(r.lit(u.from_version))
            ocp.append(" updating → ", r.BUSY)
            ocp.append_text(r.lit(u.to_version, "bold"))
        cnv = Text("CNV ", r.DIM).append_text(r.lit(c.cnv_version or "?", "bold"))
        parts: list[Text | str] = [ocp, cnv]
        s = c.subscription
        if s is None:
            parts.append(Text("no Subscription seen", r.DIM))
        else:
            sub = Text("Subscription ", r.DIM)
            sub.append_text(r.lit(s.channel or "?"))
            sub.append(" · ", r.DIM)
            manual = s.approval == "Manual"
            sub.append_text(r.lit(s.approval or "?", "bold yellow" if manual else ""))
            sub.append(" · ", r.DIM)
            good = s.state == "AtLatestKnown"
            sub.append_text(r.lit(s.state or "?", r.OK if good else r.WARN))
            parts.append(sub)
        paused = [p.name for p in c.pools if p.paused]
        if paused:
            parts.append(Text("paused pools: ", r.WARN).append_text(r.lit(", ".join(paused))))
        return r.joined(parts, "   ")

    @staticmethod
    def _stream_summary(streams: tuple[StreamRow, ...]) -> Text:
        if not streams:
            return Text("no watches", r.DIM)
        live = sum(1 for s in streams if s.state is StreamState.LIVE)
        bad = [s for s in streams if s.state not in (StreamState.LIVE, StreamState.NOT_INSTALLED)]
        absent = sum(1 for s in streams if s.state is StreamState.NOT_INSTALLED)
        if not bad:
            text = Text(f"● live {live}/{len(streams)}", r.OK)
            if absent:
                text.append(f" ({absent} not installed)", r.DIM)
            return text
        worst = max(bad, key=lambda s: _severity(s.state))
        return Text(f"● {worst.state.value} {live}/{len(streams)}", _STREAM_STYLES[worst.state])

    @staticmethod
    def _stream_trouble(streams: tuple[StreamRow, ...]) -> Text | None:
        """One part per troubled state, naming its first watches (all are on the connections
        screen): with thirteen watches dropping at once the line must still say why."""
        groups: dict[StreamState, list[StreamRow]] = {}
        for s in streams:
            if s.state not in (StreamState.LIVE, StreamState.NOT_INSTALLED):
                groups.setdefault(s.state, []).append(s)
        if not groups:
            return None
        parts: list[Text | str] = []
        for state in sorted(groups, key=_severity, reverse=True):
            rows = sorted(groups[state], key=lambda s: s.kind)
            if state is StreamState.UNAUTHORIZED:
                part = Text(f"! {RELOGIN} ", _STREAM_STYLES[state])
                part.append(f"(unauthorized: {', '.join(s.kind for s in rows)})", r.DIM)
                parts.append(part)
                continue
            part = Text(f"! {state.value}: ", _STREAM_STYLES[state])
            names = ", ".join(s.kind for s in rows[:_NAMED])
            if len(rows) > _NAMED:
                names += f" +{len(rows) - _NAMED} more"
            part.append_text(r.lit(names, "bold"))
            dates = [s.as_of for s in rows if s.as_of is not None]
            if state is StreamState.RECONNECTING or dates:
                part.append(f" (data as of {r.clock(min(dates) if dates else None)})", r.WARN)
            message = next((s.message for s in rows if s.message), "")
            if message:
                part.append(" ")
                part.append_text(r.lit(message, limit=80))
            parts.append(part)
        return r.joined(parts, "  ")


class HeaderLine(QuietStatic):
    """One line (or part of one) of the header; hidden while it has nothing to say."""

    shown: Text | None = None

    def show_line(self, text: Text | None, *, layout: bool = False) -> None:
        """Show `text`; `layout` when its width may change what is beside it."""
        self.display = text is not None
        if text is not None:
            self.shown = text
            self.show_keyed(text, text_key(text), layout=layout)


def _severity(state: StreamState) -> int:
    return {
        StreamState.UNAUTHORIZED: 5,
        StreamState.FORBIDDEN: 4,
        StreamState.RECONNECTING: 3,
        StreamState.SYNCING: 2,
        StreamState.NOT_INSTALLED: 1,
        StreamState.LIVE: 0,
    }[state]
