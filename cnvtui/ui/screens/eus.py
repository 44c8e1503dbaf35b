"""The EUS guide: the EUS-to-EUS procedure as a list of steps, each with its live state.

The states come from `cnvtui.state.eus.eus_guide`, recomputed from the dashboard's store as
events arrive, never from what was pressed here: a step done with `oc` shows as done, and
the screen opened hours later (or on another bastion) lands on the right step. The cursor
follows the first step that is not done until the user moves it.

`d` (or enter) carries out the selected step when it waits for you, through the same safe
actions as the dashboard's keys: a fresh preview, a confirmation that says exactly what
changes (typing the version for an OpenShift update), one write, an audit entry. The
OpenShift steps list the versions the cluster offers for that minor. Below the steps, the
preflight panel lists what to fix before (and during) the update.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from cnvtui.actions import ActionRunner, Change, Outcome, OutcomeKind, Refused, View
from cnvtui.actions.openshift import available_updates
from cnvtui.state.eus import EusGuide, EusStep, StepOffer, StepState, eus_guide
from cnvtui.state.picture import build_picture
from cnvtui.state.store import Store
from cnvtui.ui import render as r
from cnvtui.ui.screens.confirm import ConfirmScreen
from cnvtui.ui.screens.ocp_update import OcpUpdateScreen
from cnvtui.ui.screens.preview import InstallPlanPreviewScreen
from cnvtui.ui.widgets.measured_table import MeasuredTable
from cnvtui.ui.widgets.preflight import PreflightPanel

__all__ = ["STATE_STYLES", "EusScreen", "StepFlow"]

REFRESH = 0.25
STATE_STYLES: dict[StepState, tuple[str, str]] = {
    StepState.DONE: ("✓", r.OK),
    StepState.IN_PROGRESS: ("…", r.BUSY),
    StepState.WAITING: ("▶", "bold yellow"),
    StepState.BLOCKED: ("✗", r.BAD),
    StepState.TODO: (" ", r.DIM),
}
"""Marker and style per state: the marker keeps the state readable without colour."""

_SEVERITY: dict[OutcomeKind, SeverityLevel] = {
    OutcomeKind.DONE: "information",
    OutcomeKind.ALREADY: "information",
    OutcomeKind.BUSY: "information",
    OutcomeKind.CONFLICT: "warning",
    OutcomeKind.REFUSED: "warning",
    OutcomeKind.FAILED: "error",
}
_VERBS = {
    "pool_paused": "Apply",
    "stop_workloads": "Stop workload updates",
    "restore_workloads": "Restore",
    "ocp_update": "Start the update",
    "approve": "Approve",
}


class StepFlow:
    """Carries a step's offer out through the actions layer: preview, confirm, send once.

    Needs a worker (it waits for modal screens on `app`). Returns the outcome, or None when nothing
    was sent (cancelled, refused, not available).
    """

    def __init__(self, runner: ActionRunner) -> None:
        self.runner = runner

    async def run(
        self, app: App[Any], offer: StepOffer, store: Store, now: float
    ) -> Outcome | None:
        runner = self.runner
        view = View(build_picture(store, now), store)
        state = runner.availability(offer.action, view)
        title = runner.action(offer.action).title
        if not state.allowed:
            app.notify(
                state.reason, title=f"{title}: not possible", severity="warning", markup=False
            )
            return None
        params = dict(offer.params)
        if offer.action == "ocp_update":
            offered = dict(available_updates(store.get("clusterversion", "", "version")))
            choices = [(v, offered.get(v, "")) for v in offer.choices]
            current = view.picture.cluster.openshift_version
            version = await app.push_screen_wait(OcpUpdateScreen(current, choices))
            if version is None:
                return self._cancelled(app)
            params["version"] = version
        try:
            change = await runner.propose(offer.action, **params)
        except Refused as exc:
            app.notify(str(exc), title=f"{title}: not possible", severity="warning", markup=False)
            return None
        if offer.action == "approve" and not await app.push_screen_wait(
            InstallPlanPreviewScreen(change)
        ):
            return self._cancelled(app)
        return await self._confirm_and_apply(app, change, _VERBS.get(offer.action, "Confirm"))

    async def _confirm_and_apply(self, app: App[Any], change: Change, verb: str) -> Outcome | None:
        while True:
            if not await app.push_screen_wait(ConfirmScreen(change, verb=verb)):
                return self._cancelled(app)
            outcome = await self.runner.apply(change)
            app.notify(
                outcome.message,
                title=change.title,
                severity=_SEVERITY.get(outcome.kind, "information"),
                timeout=12 if outcome.ok else 20,
                markup=False,
            )
            if outcome.kind is OutcomeKind.CONFLICT and outcome.fresh is not None:
                change = outcome.fresh
                continue
            return outcome

    @staticmethod
    def _cancelled(app: App[Any]) -> None:
        app.notify("Cancelled: nothing was sent.", timeout=4)


class EusScreen(Screen[None]):
    """The guide for one target (default: the one the cluster is heading to)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("d", "do_step", "Do this step"),
        Binding("c", "current_step", "Current step"),
        Binding("q", "app.quit", "Quit"),
    ]
    DEFAULT_CSS = """
    EusScreen {
        layout: vertical;
    }
    #eus-head {
        height: auto;
        padding: 0 1;
        border-bottom: solid $border-blurred;
    }
    #eus-steps {
        height: auto;
        max-height: 12;
        margin: 0 1;
        scrollbar-size-horizontal: 0;
    }
    #eus-next {
        height: auto;
        padding: 0 1;
        margin: 1 1 0 1;
        background: $boost;
    }
    #eus-warnings {
        height: auto;
        padding: 0 1;
        margin-top: 1;
        color: $warning;
        display: none;
    }
    #eus-warnings.-shown {
        display: block;
    }
    #eus-body {
        height: 1fr;
    }
    EusScreen #preflight {
        height: 1fr;
        min-height: 6;
        margin-top: 1;
    }
    """

    def __init__(
        self,
        store: Store,
        *,
        now: Callable[[], float],
        runner: ActionRunner | None = None,
        target: str | None = None,
    ) -> None:
        super().__init__()
        self.store = store
        self.now = now
        self.runner = runner
        self.target = target
        self.guide: EusGuide | None = None
        self._shown_revision = -1
        self._shown_at = 0.0
        self._follow = True

    def compose(self) -> ComposeResult:
        yield Static(id="eus-head")
        with Vertical(id="eus-body"):
            yield MeasuredTable(id="eus-steps", cursor_type="row", zebra_stripes=False)
            yield Static(id="eus-next")
            yield Static(id="eus-warnings")
            yield PreflightPanel(lambda: self.store, classes="-active")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#eus-steps", DataTable)
        table.add_column("#", key="n")
        table.add_column("STATE", key="state")
        table.add_column("STEP", key="step")
        table.add_column("WHY", key="why")
        self.refresh_guide()
        self.set_interval(REFRESH, self._tick)
        table.focus()

    def _tick(self) -> None:
        now = self.now()
        if self.store.revision == self._shown_revision and now - self._shown_at < 1.0:
            return
        self.refresh_guide(now)

    def refresh_guide(self, now: float | None = None) -> EusGuide:
        """Work the steps out from the store again and show them."""
        now = self.now() if now is None else now
        self._shown_revision = self.store.revision
        self._shown_at = now
        guide = eus_guide(self.store, now, self.target)
        self.guide = guide
        self._show(guide)
        panel = self.query_one(PreflightPanel)
        panel.set_target(guide.target if not guide.problem else None)
        panel.show(build_picture(self.store, now))
        return guide

    # ---- rendering

    def _show(self, guide: EusGuide) -> None:
        self.query_one("#eus-head", Static).update(self._head(guide))
        table = self.query_one("#eus-steps", DataTable)
        for index, step in enumerate(guide.steps):
            cells = self._cells(index, step)
            if step.id in table.rows:
                for column, value in zip(("n", "state", "step", "why"), cells, strict=True):
                    table.update_cell(step.id, column, value, update_width=True)
            else:
                table.add_row(*cells, key=step.id)
        current = guide.current
        if self._follow and current is not None:
            row = table.get_row_index(current.id)
            if row != table.cursor_row:
                table.move_cursor(row=row, animate=False)
        self.query_one("#eus-next", Static).update(self._next(guide))
        warnings = Text()
        for warning in guide.warnings:
            if warning != guide.warnings[0]:
                warnings.append("\n")
            warnings.append("! ", "bold")
            warnings.append_text(r.lit(warning))
        shown = self.query_one("#eus-warnings", Static)
        shown.update(warnings)
        shown.set_class(bool(guide.warnings), "-shown")
        self.refresh_bindings()

    @staticmethod
    def _head(guide: EusGuide) -> Text:
        text = Text("EUS-to-EUS update  ", "bold")
        text.append(f"{guide.source} → {guide.odd} → {guide.target}", "bold")
        if guide.target_inferred:
            text.append("  (target worked out from the cluster)", r.DIM)
        text.append("\n")
        text.append_text(
            r.joined(
                [
                    Text("OpenShift ").append_text(r.lit(guide.openshift_version or "?", "bold")),
                    Text("CNV ").append_text(r.lit(guide.cnv_version or "?", "bold")),
                    Text("every state is read from the cluster", r.DIM),
                ]
            )
        )
        if guide.problem:
            text.append("\n")
            text.append_text(r.lit(guide.problem, r.BAD))
        return text

    @staticmethod
    def _cells(index: int, step: EusStep) -> tuple[Text, Text, Text, Text]:
        mark, style = STATE_STYLES[step.state]
        title_style = "bold" if step.state == StepState.WAITING else ""
        return (
            Text(f"{index + 1:>2}", r.DIM),
            Text(f"{mark} {step.state.value}", style),
            r.lit(step.title, title_style),
            r.lit(step.why, r.DIM if step.state == StepState.TODO else "", limit=160),
        )

    def _next(self, guide: EusGuide) -> Text:
        """The step under the cursor in full: state, why, and the key that carries it out."""
        if guide.problem:
            return Text("")
        step = self._selected() or guide.current
        if step is None:
            return Text("✓ The EUS update is complete.", f"bold {r.OK}")
        number = guide.steps.index(step) + 1
        mark, style = STATE_STYLES[step.state]
        text = Text(f"Step {number} of {len(guide.steps)}: ", "bold")
        text.append_text(r.lit(step.title, "bold"))
        text.append(f"  {mark} {step.state.value}", style)
        if guide.current is None:
            text.append("  ✓ The EUS update is complete.", f"bold {r.OK}")
        elif guide.current.id != step.id:
            text.append(f"  (the current step is {guide.steps.index(guide.current) + 1}: c)", r.DIM)
        text.append("\n")
        text.append_text(r.lit(step.why))
        offer = step.offer
        if step.state == StepState.WAITING and offer is not None:
            if self.runner is None or self.runner.ctx.read_only:
                text.append("\nRead-only: cnvtui sends no writes. With oc:", r.WARN)
                text.append("\n$ ", r.DIM)
                text.append_text(r.lit(offer.command or offer.label))
            else:
                text.append("\nPress ")
                text.append("d", "bold reverse")
                text.append_text(r.lit(f" to {offer.label}"))
                text.append(": you see a preview and confirm before anything is sent.", r.DIM)
        elif step.state == StepState.IN_PROGRESS:
            text.append("\nNothing to do: the cluster is working on it.", r.DIM)
        return text

    # ---- acting

    def _selected(self) -> EusStep | None:
        guide = self.guide
        table = self.query_one("#eus-steps", DataTable)
        if guide is None or not table.row_count:
            return None
        index = table.cursor_row
        return guide.steps[index] if 0 <= index < len(guide.steps) else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "do_step":
            step = self._selected()
            if step is None or step.offer is None or step.state != StepState.WAITING:
                return False
            return self.runner is not None and not self.runner.ctx.read_only
        return True

    @on(DataTable.RowHighlighted, "#eus-steps")
    def _moved(self, event: DataTable.RowHighlighted) -> None:
        guide = self.guide
        current = guide.current if guide is not None else None
        self._follow = current is None or str(event.row_key.value) == current.id
        if guide is not None:
            self.query_one("#eus-next", Static).update(self._next(guide))
        self.refresh_bindings()

    @on(DataTable.RowSelected, "#eus-steps")
    def _selected_row(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_do_step()

    def action_current_step(self) -> None:
        self._follow = True
        if self.guide is not None:
            self._show(self.guide)

    def action_do_step(self) -> None:
        step = self._selected()
        if step is None:
            return
        if step.offer is None or step.state != StepState.WAITING:
            self.notify(f"{step.title}: {step.state.value}: {step.why}", timeout=6, markup=False)
            return
        if self.runner is None or self.runner.ctx.read_only:
            self.notify(
                "Read-only: cnvtui sends no writes. Do this step with oc.",
                severity="warning",
                markup=False,
            )
            return
        self._run(step.offer)

    @work(exclusive=True, group="eus-step")
    async def _run(self, offer: StepOffer) -> None:
        assert self.runner is not None
        await StepFlow(self.runner).run(self.app, offer, self.store, self.now())
        self.refresh_guide()
