"""`cnvtui replay FILE`: the dashboard on a recording, with a time bar and keys to move in it.

The panels are the live dashboard's, fed by a `ReplaySource` instead of the cluster, and the
app's clock is the recorded moment, so ages, ETAs and "data as of" read as they did then.
Going back in time rebuilds the state store: the source hands back one of the checkpoints it
asked this app for (store snapshots every few thousand events), or asks for an empty store,
and replays forward from there. Nothing is written anywhere: no actions in a replay.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import Footer

from cnvtui.kube.replay import ReplaySource
from cnvtui.state.store import Store
from cnvtui.ui.app import DashboardApp
from cnvtui.ui.widgets.header import Target
from cnvtui.ui.widgets.timebar import TimeBar

__all__ = ["SEEK", "ReplayApp"]

SEEK = 60.0
"""Seconds moved by [ and ] (ten times that by { and })."""
SPEEDS = (0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)


class ReplayApp(DashboardApp):
    """The dashboard showing a recording; it is also the source's `Rewindable`."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "play_pause", "Play/pause"),
        Binding("full_stop", "step", "Step", key_display="."),
        # Priority: the VMI list pages with the same keys, and in a replay moving in time wins.
        Binding("left_square_bracket", "seek(-1)", "-1m", key_display="[", priority=True),
        Binding("right_square_bracket", "seek(1)", "+1m", key_display="]", priority=True),
        Binding("left_curly_bracket", "seek(-10)", "-10m", key_display="{", show=False),
        Binding("right_curly_bracket", "seek(10)", "+10m", key_display="}", show=False),
        Binding("less_than_sign", "to_start", "Start", key_display="<", show=False),
        Binding("greater_than_sign", "to_end", "End", key_display=">", show=False),
        Binding("minus", "speed(-1)", "Slower", key_display="-", show=False),
        Binding("plus", "speed(1)", "Faster", key_display="+", show=False),
    ]

    def __init__(self, source: ReplaySource, *, theme: str | None = None) -> None:
        if source.info is None:
            raise RuntimeError("open the ReplaySource before showing it")
        cluster = source.cluster
        where = cluster.get("server") or "unknown cluster"
        target = Target(
            cluster.get("context") or "recording",
            f"{where} · recording {Path(source.path).name}",
            source.hco_namespace or "",
            read_only=True,
        )
        store = Store(source.hco_namespace)
        super().__init__(source, target=target, store=store, now=source.now, theme=theme)
        self.replay = source
        source.rewindable = self

    def on_mount(self) -> None:
        self.mount(TimeBar(self.replay), before=self.query_one(Footer))
        if self.replay.note:
            self.notify(
                self.replay.note, title="Recording", severity="warning", timeout=20, markup=False
            )

    def binding_sections(self) -> list[tuple[str, Iterable[BindingType]]]:
        return [("Replay", ReplayApp.BINDINGS), *super().binding_sections()]

    # ---- Rewindable

    def checkpoint(self) -> object:
        return self.store.snapshot()

    def restore(self, state: object | None) -> None:
        namespace = self.replay.hco_namespace
        self.store = Store.restore(state) if isinstance(state, dict) else Store(namespace)
        self._shown_revision = -1

    # ---- keys

    def _moved(self) -> None:
        self._shown_revision = -1
        self.query_one(TimeBar).refresh()

    def action_play_pause(self) -> None:
        self.replay.toggle_pause()
        self._moved()

    def action_step(self) -> None:
        self.replay.step()
        self._moved()

    def action_seek(self, minutes: float) -> None:
        self.replay.seek(self.replay.now() + minutes * SEEK)
        self._moved()

    def action_to_start(self) -> None:
        self.replay.seek(self.replay.start)
        self._moved()

    def action_to_end(self) -> None:
        self.replay.seek(self.replay.end)
        self._moved()

    def on_time_bar_seek(self, message: TimeBar.Seek) -> None:
        self.replay.seek(message.when)
        self._moved()

    def action_speed(self, step: int) -> None:
        current = self.replay.speed
        index = min(range(len(SPEEDS)), key=lambda i: abs(SPEEDS[i] - current))
        index = min(len(SPEEDS) - 1, max(0, index + step))
        self.replay.set_speed(SPEEDS[index])
        self._moved()
