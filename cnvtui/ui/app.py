"""The dashboard app: one screen that replaces five `oc` commands in a `watch` loop.

Data flow: a worker feeds every event from the injected source into the state store as it
arrives (cheap, O(1)) and asks for a redraw. The first change after a quiet spell is drawn at
once; changes that keep coming are drawn every `MIN_INTERVAL`-`REFRESH_INTERVAL` s, as often as
the cost of a redraw allows (the trailing edge catches the last of them). Watch state changes
alone wait one interval, since a dropped connection reaches every watch within moments. When
nothing changes, the picture is rebuilt only when a clock or age on screen may have moved,
and widgets skip content equal to what they show, so an idle dashboard writes next to nothing
to the terminal. The event rate never drives the redraw rate, so a slow SSH link keeps up;
`low_bandwidth` slows it further.

Layout: on a big terminal all panels are on screen at once; below 140x40 the panels become
tabs (the same widgets, switched by CSS classes that Textual's breakpoints set on the screen).
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable, Hashable, Iterable
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Container
from textual.dom import DOMNode
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Tab, Tabs

from cnvtui.actions import ActionRunner
from cnvtui.exitcodes import ExitCode
from cnvtui.kube.events import ObjectChange
from cnvtui.kube.record import Recorder
from cnvtui.state.model import Severity, UpdatePicture
from cnvtui.state.picture import build_picture
from cnvtui.state.store import Store
from cnvtui.state.text import safe_text
from cnvtui.ui.actions_bindings import ACTION_BINDINGS, ActionKeys, ActionsBar
from cnvtui.ui.run import run_dashboard, run_dashboard_async
from cnvtui.ui.screens.details import DetailsScreen
from cnvtui.ui.screens.eus import EusScreen
from cnvtui.ui.screens.help import HelpScreen
from cnvtui.ui.screens.preflight import PreflightScreen
from cnvtui.ui.screens.streams import StreamsScreen
from cnvtui.ui.source import DashboardSource
from cnvtui.ui.theme import DEFAULT_THEME, keep_no_color_readable, register_themes
from cnvtui.ui.widgets.hco import HcoPanel
from cnvtui.ui.widgets.header import ClusterHeader, Target
from cnvtui.ui.widgets.keyed_table import FilterChanged, FilterRequested
from cnvtui.ui.widgets.list_filter import ListFilter
from cnvtui.ui.widgets.migrations import MigrationsPanel
from cnvtui.ui.widgets.operator import OperatorPanel
from cnvtui.ui.widgets.outdated import OutdatedPanel
from cnvtui.ui.widgets.panel import ObjectRef, OpenDetails, Panel
from cnvtui.ui.widgets.plans import PlansPanel
from cnvtui.ui.widgets.quiet import text_key
from cnvtui.ui.widgets.timeline import TimelinePanel
from cnvtui.ui.widgets.workloads import WorkloadsPanel

__all__ = ["DashboardApp", "run_dashboard", "run_dashboard_async"]

REFRESH_INTERVAL = 0.25
"""Most seconds between redraws while events keep coming: at least four a second."""
MIN_INTERVAL = 0.1
"""Least seconds between redraws, when a redraw is cheap: a change waits at most this long plus
a redraw, which keeps p99 change-to-screen under 250 ms at 100 changes/s with 10,000 VMIs."""
DRAW_SHARE = 3.0
"""The interval is at least this many times what the last redraw cost, so a big cluster
spends at most a third of its time drawing."""
LOW_BANDWIDTH_INTERVAL = 2.0
"""The same with `low_bandwidth`."""
IDLE_CHECK = 1.0
"""Seconds (wall clock) between checks whether a time-derived text is due; a check that finds
nothing due costs a comparison."""
AGE_STEP = 10.0
"""Clock seconds between rebuilds for ages (shown to the minute) while nothing changes."""
LOW_BANDWIDTH_AGE_STEP = 60.0
LOW_BANDWIDTH_ENV = "CNVTUI_LOW_BANDWIDTH"
"""Set to 1 to start in low-bandwidth mode without the command-line flag."""
YIELD_EVERY = 200
"""Give the event loop a turn after this many events in a burst, so keys answer at once."""


def low_bandwidth_from_env() -> bool:
    """Whether `CNVTUI_LOW_BANDWIDTH` asks for low-bandwidth mode (1, true, yes, on)."""
    return os.environ.get(LOW_BANDWIDTH_ENV, "").strip().lower() in ("1", "true", "yes", "on")


class DashboardApp(ActionKeys):
    """The live update dashboard. `source` is injected: a real cluster, the simulated one in
    tests and the demo, or anything else that yields `KubeEvent`s. `actions` (optional) adds
    the write keys (see `cnvtui.ui.actions_bindings`)."""

    CSS_PATH = "app.tcss"
    TITLE = "cnvtui"
    HORIZONTAL_BREAKPOINTS = [
        (0, "-narrow"),
        (140, "-wide"),
    ]
    VERTICAL_BREAKPOINTS = [
        (0, "-short"),
        (40, "-tall"),
    ]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        # Over SSH, Ctrl-C is how a terminal program is left; it ends with the shell's 130.
        Binding("ctrl+c", "interrupt", "Quit (exit 130)", show=False, priority=True),
        Binding("question_mark", "help", "Help", key_display="?"),
        *ACTION_BINDINGS,
        Binding("c", "connections", "Connections", show=False),
        Binding("e", "eus_guide", "EUS guide"),
        Binding("f", "preflight", "Preflight", show=False),
        Binding("ctrl+r", "reload_config", "Reload kubeconfig", show=False),
        Binding("tab", "next_panel", "Next panel", priority=True),
        Binding("shift+tab", "previous_panel", "Previous panel", show=False, priority=True),
    ]

    def __init__(
        self,
        source: DashboardSource,
        *,
        target: Target,
        store: Store | None = None,
        now: Callable[[], float] = time.time,
        refresh_interval: float | None = None,
        theme: str | None = None,
        actions: ActionRunner | None = None,
        low_bandwidth: bool | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.monotonic = monotonic
        """The throttle's clock (real seconds, whatever `now` is); tests replace it."""
        if low_bandwidth is None:
            low_bandwidth = low_bandwidth_from_env()
        self.low_bandwidth = low_bandwidth
        if low_bandwidth:
            self.animation_level = "none"
        self.min_interval = MIN_INTERVAL
        """With `refresh_interval`, the bounds of the interval between redraws; it follows
        what redraws cost. An explicit `refresh_interval` (or low bandwidth) fixes it."""
        if low_bandwidth and refresh_interval is None:
            refresh_interval = LOW_BANDWIDTH_INTERVAL
        if refresh_interval is None:
            refresh_interval = REFRESH_INTERVAL
        else:
            self.min_interval = refresh_interval
        self.source = source
        self.actions = actions
        self.target = target
        self.store = store if store is not None else Store(target.namespace or None)
        self.now = now
        self.refresh_interval = refresh_interval
        self.picture: UpdatePicture | None = None
        self.pictures_built = 0
        self.apply_errors = 0
        self._shown_revision = -1
        self._drawn_at = -1e9
        """`monotonic()` at the last redraw."""
        self._due_at = 0.0
        """Clock time at which a time-derived text may next change when nothing else does."""
        self._draw_timer: Timer | None = None
        self._draw_cost = 0.0
        """Seconds the last picture took to build and hand to the widgets."""
        register_themes(self)
        self.theme = theme or DEFAULT_THEME
        keep_no_color_readable(self)
        self._header = ClusterHeader(target)
        self._panels: tuple[Panel, ...] = (
            OperatorPanel(),
            HcoPanel(),
            PlansPanel(),
            WorkloadsPanel(),
            OutdatedPanel(),
            MigrationsPanel(),
            TimelinePanel(),
        )
        self._tab_labels: dict[str, Text] = {}
        self._tab_keys: dict[str, Hashable] = {}
        self._tabs = Tabs(*[Tab(p.TAB, id=f"tab-{p.id}") for p in self._panels], id="panel-tabs")

    # ---- layout

    def compose(self) -> ComposeResult:
        yield self._header
        yield self._tabs
        with Container(id="panels"):
            yield from self._panels
        yield ListFilter()
        yield ActionsBar()
        yield Footer()

    @property
    def panels(self) -> list[Panel]:
        return list(self._panels)

    def _watch_recording(self, now: float) -> None:
        """With `--record`: REC in the header, and if the recording stops (disk full), say so
        at once, in the header and on the timeline, while the dashboard carries on."""
        recorder = getattr(self.source, "recorder", None)
        if not isinstance(recorder, Recorder):
            return
        state = f"stopped: {recorder.error}" if recorder.error else "on"
        if state == self._header.recording:
            return
        self._header.recording = state
        if recorder.error:
            message = f"{recorder.error}; the dashboard carries on without recording"
            self.store.timeline.add(now, "record", str(recorder.path), message, Severity.ERROR)
            self.notify(
                safe_text(message),
                title="Recording stopped",
                severity="error",
                timeout=30,
                markup=False,
            )

    def on_filter_requested(self, request: FilterRequested) -> None:
        self.query_one(ListFilter).open(request)

    def on_filter_changed(self, changed: FilterChanged) -> None:
        panel = next((a for a in changed.table.ancestors if isinstance(a, Panel)), None)
        if panel is not None:
            self._label_tab(panel)

    def _label_tab(self, panel: Panel) -> None:
        """The panel's tab: its name, its badge, and "/" with a filter (borders are hidden
        in the tabbed layout, so the tab is where a filtered list says so)."""
        tab = self._tabs.get_tab(f"tab-{panel.id}")
        if tab is None:
            return
        label = Text(panel.TAB)
        if panel.badge:
            label.append(" ")
            label.append_text(panel.badge)
        if panel.filter_note:
            label.append(" /", "bold")
        if text_key(label) != self._tab_keys.get(panel.TAB):
            self._tab_keys[panel.TAB] = text_key(label)
            self._tab_labels[panel.TAB] = label
            tab.label = label

    def on_mount(self) -> None:
        self._activate(self.panels[0], focus=True)
        self._drawn_at = self.monotonic()  # the first picture waits for more than one list
        self.set_interval(max(IDLE_CHECK, self.refresh_interval), self._tick)
        self._consume()
        self.start_actions()

    async def on_unmount(self) -> None:
        await self.source.close()

    # ---- data

    @work(exclusive=True, group="events", exit_on_error=False)
    async def _consume(self) -> None:
        """Feed every event into the store as it arrives; drawing is the timer's job.

        An event the store cannot apply is reported once and skipped, so one odd object
        never freezes the dashboard; if the stream itself ends, the header says the data
        is stale rather than letting it look current.
        """
        try:
            async for batch in self.source.batches():
                for start in range(0, len(batch), YIELD_EVERY):
                    try:
                        self.store.apply_all(batch[start : start + YIELD_EVERY])
                    except Exception as exc:
                        self._apply_failed(exc)
                    await asyncio.sleep(0)
                self.request_redraw(leading=any(isinstance(e, ObjectChange) for e in batch))
        except Exception as exc:
            self._header.stale = f"the event stream stopped ({type(exc).__name__}: {exc})"
            self._shown_revision = -1
            self.request_redraw()
            raise
        self._header.stale = "the event stream ended"
        self._shown_revision = -1
        self.request_redraw()

    def _apply_failed(self, exc: Exception) -> None:
        self.apply_errors += 1
        if self.apply_errors == 1:
            self.notify(
                f"An event could not be applied and was skipped ({type(exc).__name__}: {exc}).",
                title="cnvtui",
                severity="warning",
                timeout=15,
            )

    def request_redraw(self, *, leading: bool = True) -> None:
        """Something changed: draw now if the last redraw is older than `interval` (leading
        edge), else once that interval is over (trailing edge); never more often."""
        wait = self._drawn_at + self.interval - self.monotonic()
        if not leading:
            wait = max(wait, self.interval)
        if self._draw_timer is not None:
            if wait > 0:
                return
            self._draw_timer.stop()
            self._draw_timer = None
        if wait <= 0:
            self._draw_if_changed()
        else:
            self._draw_timer = self.set_timer(wait, self._trailing_edge)

    @property
    def interval(self) -> float:
        """Seconds between redraws while changes keep coming."""
        return min(self.refresh_interval, max(self.min_interval, DRAW_SHARE * self._draw_cost))

    def _trailing_edge(self) -> None:
        self._draw_timer = None
        self._draw_if_changed()

    def _draw_if_changed(self) -> None:
        if self.store.revision == self._shown_revision:
            return
        if self.store.revision == 0 and not self.store.streams:
            return
        if self._can_draw:
            self.refresh_picture()

    @property
    def _can_draw(self) -> bool:
        """The widgets are there: not before they are mounted, and not once shutting down
        has begun (a timer may still fire while the panels' children are being removed)."""
        return self.is_running and self._header.is_attached

    def _tick(self) -> None:
        """The slow timer: a change that reached the store some other way, or a clock or age
        on screen that may have moved."""
        if self.store.revision != self._shown_revision:
            self.request_redraw()
        elif (
            self.now() >= self._due_at
            and self._draw_timer is None
            and self.picture is not None
            and self._can_draw
        ):
            self.refresh_picture()

    def _next_due(self, picture: UpdatePicture) -> float:
        """When a time-derived text may next change: the header clock's next minute, the next
        age step, or the next second while a migration's running time is shown."""
        now = picture.now
        step = LOW_BANDWIDTH_AGE_STEP if self.low_bandwidth else AGE_STEP
        due = min((now // 60 + 1) * 60, now + step)
        if picture.migrations.running and not self.low_bandwidth:
            due = min(due, now + 1)
        return due

    def refresh_picture(self, now: float | None = None) -> UpdatePicture:
        """Rebuild the picture from the store and show it (the throttle and the idle check call
        this)."""
        now = self.now() if now is None else now
        self._shown_revision = self.store.revision
        self._drawn_at = self.monotonic()
        started = time.perf_counter()
        picture = build_picture(self.store, now)
        self._due_at = self._next_due(picture)
        self.picture = picture
        self.pictures_built += 1
        self._watch_recording(now)
        with self.batch_update():
            self._header.show(picture)
            for panel in self._panels:
                panel.show(picture)
                panel.show_access(picture.streams)
                self._label_tab(panel)
            screen = self.screen
            # A screen just pushed shows its object in its own on_mount, which comes later.
            if isinstance(screen, DetailsScreen) and screen.is_mounted:
                ref = screen.ref
                screen.show_object(self.store.get(ref.kind, ref.namespace, ref.name))
            elif isinstance(screen, StreamsScreen) and screen.is_mounted:
                screen.show(picture.streams, picture.now)
            self.picture_shown(picture)
        self._draw_cost = time.perf_counter() - started
        return picture

    @property
    def shown_revision(self) -> int:
        """The store revision on screen (-1 before the first picture or after the stream
        ended)."""
        return self._shown_revision

    def picture_shown(self, picture: UpdatePicture) -> None:
        """Called after every redraw; a hook for what builds on the dashboard (actions)."""
        self.show_actions(picture)

    # ---- panels and focus

    def _panel_of_focus(self) -> Panel | None:
        if not self.screen_stack:
            return None
        node: DOMNode | None = self.focused
        while node is not None:
            if isinstance(node, Panel):
                return node
            node = node.parent
        return None

    def _activate(self, panel: Panel, *, focus: bool) -> None:
        for other in self._panels:
            other.set_class(other is panel, "-active")
        if self._tabs.active != f"tab-{panel.id}":
            self._tabs.active = f"tab-{panel.id}"
        if focus:
            panel.focus_target.focus()

    def _step_panel(self, step: int) -> None:
        panels = self.panels
        # The active panel, not the focused one: focus moves a message later, so a burst of
        # tabs read from focus would all step from the same panel.
        current = next((p for p in panels if p.has_class("-active")), None)
        current = current or self._panel_of_focus()
        index = panels.index(current) if current in panels else -step
        self._activate(panels[(index + step) % len(panels)], focus=True)

    def action_next_panel(self) -> None:
        self._step_panel(1)

    def action_previous_panel(self) -> None:
        self._step_panel(-1)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("next_panel", "previous_panel", "connections", "eus_guide"):
            return self.on_dashboard
        return super().check_action(action, parameters)

    @property
    def on_dashboard(self) -> bool:
        """The dashboard itself is showing (no details, help, form or palette over it); the
        panel keys apply only then, so tab still moves between fields of a form."""
        stack = self.screen_stack
        return len(stack) == 1 and stack[0] is self.screen

    @on(Tabs.TabActivated, "#panel-tabs")
    def _tab_activated(self, event: Tabs.TabActivated) -> None:
        if not self._can_draw or event.tab.id != self._tabs.active:
            return  # stale: a burst of tabs has moved on since (or the app is closing)
        panel_id = (event.tab.id or "").removeprefix("tab-")
        panel = next((p for p in self.panels if p.id == panel_id), None)
        if panel is not None and not panel.has_class("-active"):
            self._activate(panel, focus=True)

    def on_descendant_focus(self) -> None:
        panel = self._panel_of_focus()
        if panel is not None and not panel.has_class("-active"):
            self._activate(panel, focus=False)

    def focus_panel(self, panel_id: str) -> None:
        panel = next((p for p in self.panels if p.id == panel_id), None)
        if panel is not None:
            self._activate(panel, focus=True)

    # ---- screens

    async def action_reload_config(self) -> None:
        """Re-read the kubeconfig after a new login; the streams resume at once."""
        reload: Callable[[], Awaitable[str]] | None = getattr(self.source, "reload", None)
        if reload is None:
            self.notify("This data source has no kubeconfig to reload.", title="cnvtui")
            return
        try:
            message = await reload()
        except Exception as exc:
            self.notify(
                f"kubeconfig reload failed: {exc}", title="cnvtui", severity="error", timeout=15
            )
            return
        self.notify(message, title="cnvtui")
        self.recheck_permissions()

    def action_connections(self) -> None:
        picture = self.picture
        streams = picture.streams if picture is not None else ()
        self.push_screen(StreamsScreen(streams, self.now()))

    def action_interrupt(self) -> None:
        self.exit(return_code=ExitCode.INTERRUPTED)

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.binding_sections(), self.unavailable_lines()))

    def action_eus_guide(self) -> None:
        """The EUS-to-EUS guide (with preflight); its writes go through the app's actions."""
        self.push_screen(EusScreen(self.store, now=self.now, runner=self.actions))

    def action_preflight(self) -> None:
        """The preflight checks for any update, kept current from the store."""
        self.push_screen(PreflightScreen(self.store, now=self.now))

    def binding_sections(self) -> list[tuple[str, Iterable[BindingType]]]:
        return [
            (
                "Everywhere",
                [
                    *(b for b in DashboardApp.BINDINGS if b not in ACTION_BINDINGS),
                    Binding("ctrl+p", "", "Command palette"),
                ],
            ),
            (
                "In a table",
                [
                    Binding("enter", "", "Details of the row's object", key_display="⏎"),
                    Binding("up", "", "Move between rows", key_display="↑ ↓"),
                    Binding("pageup", "", "Page through rows", key_display="pgup pgdn"),
                    Binding("home", "", "First / last row", key_display="home end"),
                    Binding("slash", "", "Filter the list (esc clears)", key_display="/"),
                    Binding("left", "", "Scroll sideways (wide columns)", key_display="← →"),
                ],
            ),
            ("Actions (writes; hidden in read-only mode)", ACTION_BINDINGS),
            ("Outdated VMIs panel", OutdatedPanel.BINDINGS),
            ("Details screen", DetailsScreen.BINDINGS),
            ("EUS guide", EusScreen.BINDINGS),
        ]

    @on(OpenDetails)
    def _open_details(self, event: OpenDetails) -> None:
        self.open_details(event.ref)

    def open_details(self, ref: ObjectRef) -> None:
        obj = self.store.get(ref.kind, ref.namespace, ref.name)
        self.push_screen(DetailsScreen(ref, obj, self._related_events))

    async def _related_events(self, ref: ObjectRef) -> list[dict[str, object]]:
        try:
            return await self.source.related_events(ref.kind, ref.namespace, ref.name)
        except Exception:
            return []

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        """A mouse click on a selected row opens its details, like enter."""
        ref = ObjectRef.parse(str(event.row_key.value))
        if ref is not None and not isinstance(self.screen, DetailsScreen):
            self.open_details(ref)

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for panel in self.panels:
            yield SystemCommand(
                f"Go to {panel.TITLE}",
                f"Show and focus the {panel.TAB} panel",
                lambda panel_id=panel.id or "": self.focus_panel(panel_id),
            )
        yield SystemCommand("Help: keys and verdicts", "List every key binding", self.action_help)
        yield SystemCommand(
            "EUS-to-EUS guide", "The EUS update step by step, and preflight checks",
            self.action_eus_guide,
        )  # fmt: skip
        yield from self.write_commands(screen)
        yield SystemCommand(
            "Connections", "The state of every watch (live, reconnecting, forbidden...)",
            self.action_connections,
        )  # fmt: skip
