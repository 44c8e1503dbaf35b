"""The write keys of the dashboard, as a mixin of the app: a, w, S, R, p, U.

Each key is shown only when its action applies to what is on screen, hidden altogether in
read-only mode, and greyed out when the access review said no; the actions bar under the
panels says why, naming the missing permission. A key starts a worker that reads fresh
objects, shows the preview or form, then the confirmation, and sends the change once through
the `ActionRunner`; the outcome is a notification and a timeline entry. A conflict brings up
the fresh preview to confirm again. Errors are messages; the dashboard keeps running.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widgets import Static

from cnvtui.actions import (
    ActionRunner,
    Availability,
    Change,
    Outcome,
    OutcomeKind,
    Refused,
    View,
)
from cnvtui.actions.backup import LocalBackup
from cnvtui.actions.openshift import available_updates
from cnvtui.actions.strategy import EditStrategy
from cnvtui.kube.record import Recorder
from cnvtui.state.hco import HCO_NAME
from cnvtui.state.model import UpdatePicture
from cnvtui.state.store import Store
from cnvtui.ui import render as r
from cnvtui.ui.screens.confirm import ConfirmScreen
from cnvtui.ui.screens.ocp_update import OcpUpdateScreen
from cnvtui.ui.screens.pools import PoolsScreen
from cnvtui.ui.screens.preview import InstallPlanPreviewScreen
from cnvtui.ui.screens.strategy_form import StrategyFormScreen
from cnvtui.ui.widgets.keyed_table import KeyedTable
from cnvtui.ui.widgets.panel import ObjectRef

__all__ = ["ACTION_BINDINGS", "ACTION_KEYS", "ActionKeys", "ActionsBar"]

ACTION_KEYS: dict[str, str] = {
    "approve": "approve",
    "strategy": "strategy",
    "stop_workloads": "stop_workloads",
    "restore_workloads": "restore_workloads",
    "pools": "pool_paused",
    "ocp_update": "ocp_update",
}
"""Binding action name -> `ActionRunner` action id."""

_SEVERITY: dict[OutcomeKind, SeverityLevel] = {
    OutcomeKind.DONE: "information",
    OutcomeKind.ALREADY: "information",
    OutcomeKind.BUSY: "information",
    OutcomeKind.CONFLICT: "warning",
    OutcomeKind.REFUSED: "warning",
    OutcomeKind.FAILED: "error",
}


BAR_LINES = 3
"""The actions bar's height at most; more lines are summed up in its last line."""


class ActionsBar(Static):
    """One or two lines: read-only mode, or the actions the user may not take and why."""

    DEFAULT_CSS = """
    ActionsBar {
        height: auto;
        max-height: 3;  /* BAR_LINES */
        padding: 0 1;
        display: none;
    }
    ActionsBar.-shown {
        display: block;
    }
    """

    def __init__(self) -> None:
        super().__init__(id="actions-bar")
        self.text = ""

    def show_text(self, text: Text) -> None:
        self.text = text.plain
        self.set_class(bool(text.plain), "-shown")
        self.update(text)


ACTION_BINDINGS: list[BindingType] = [
    Binding("a", "approve", "Approve update"),
    Binding("w", "strategy", "Workload strategy"),
    Binding("S", "stop_workloads", "Stop workload updates", key_display="S"),
    Binding("R", "restore_workloads", "Restore workload updates", key_display="R"),
    Binding("p", "pools", "Pause pools"),
    Binding("U", "ocp_update", "Update OpenShift", key_display="U"),
]
"""The write keys. The app lists them after `q` and `?`, so a narrow footer that cuts
its end still shows how to quit and get help."""


class ActionKeys(App[int]):
    """Mixin for the dashboard app; it needs `store`, `picture` and `actions`.

    Its keys are `ACTION_BINDINGS`, which the app puts into its own `BINDINGS`."""

    store: Store
    picture: UpdatePicture | None
    actions: ActionRunner | None = None
    _offered: tuple[Availability | LocalBackup | None, ...] = ()

    # ---- wiring

    def start_actions(self) -> None:
        """Hook the runner to the app's timeline and ask the access reviews (at mount)."""
        if self.actions is None:
            return
        self.actions.ctx.timeline = self.store.timeline
        recorder = getattr(getattr(self, "source", None), "recorder", None)
        if isinstance(recorder, Recorder):
            self.actions.ctx.journal = recorder.record  # a replay's timeline shows the actions
        self._prepare_actions()

    @work(exclusive=True, group="action-permissions")
    async def _prepare_actions(self, again: bool = False) -> None:
        runner = self.actions
        if runner is None:
            return
        if again:
            runner.ctx.forget()
        if not runner.ctx.read_only:
            await runner.ctx.backups.load(runner.ctx.hco_namespace, HCO_NAME)
        await runner.check_permissions(again=again)
        self._offer()

    def recheck_permissions(self) -> None:
        """Ask every access review again (after the credentials were reloaded)."""
        self._prepare_actions(again=True)

    def _view(self) -> View | None:
        return View(self.picture, self.store) if self.picture is not None else None

    def action_state(self, name: str) -> bool | None:
        """check_action for a write key: True offered, None greyed out, False hidden."""
        runner = self.actions
        if runner is None or self.screen is not self.screen_stack[0]:
            return False
        availability = runner.availability(ACTION_KEYS[name], self._view())
        if not availability.shown:
            return False
        return True if availability.allowed else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ACTION_KEYS:
            return self.action_state(action)
        return super().check_action(action, parameters)

    def show_actions(self, picture: UpdatePicture) -> None:
        """Refresh the actions bar and the footer's keys (called with each new picture)."""
        self._offer()

    def _offer(self) -> None:
        runner = self.actions
        if runner is None:
            return
        view = self._view()
        states = tuple(runner.availability(a, view) for a in ACTION_KEYS.values())
        local: LocalBackup | None = None
        if not runner.ctx.read_only:
            local = runner.ctx.backups.get(runner.ctx.hco_namespace, HCO_NAME)
        signature = (*states, local)
        if signature == self._offered:
            return
        self._offered = signature
        self.refresh_bindings()
        bars = list(self.query(ActionsBar))
        if bars:
            bars[0].show_text(self._bar_text(states, local))

    def _bar_text(self, states: tuple[Availability, ...], local: LocalBackup | None) -> Text:
        runner = self.actions
        text = Text()
        if runner is None:
            return text
        if runner.ctx.read_only:
            text.append(" READ-ONLY ", "bold reverse")
            text.append("  write keys are hidden; cnvtui sends no writes", r.DIM)
            return text
        lines = self.unavailable_lines(states)
        if local is not None:
            line = Text("Local backup of workloadUpdateMethods: ", r.DIM)
            line.append_text(r.lit("[" + ", ".join(local.methods) + "]", "bold"))
            path = runner.ctx.backups.path(runner.ctx.hco_namespace, HCO_NAME)
            line.append_text(r.lit(f"  ({path})", r.DIM))
            lines.append(line)
        if len(lines) > BAR_LINES:
            hidden = len(lines) - (BAR_LINES - 1)
            lines = [*lines[: BAR_LINES - 1], Text(f"… {hidden} more: ? lists them all", r.DIM)]
        for line in lines:
            line.no_wrap = True
            line.overflow = "ellipsis"
        return Text("\n").join(lines)

    def unavailable_lines(self, states: tuple[Availability, ...] | None = None) -> list[Text]:
        """One line per reason: the write keys it keeps unavailable, and the reason."""
        if states is None:
            runner = self.actions
            if runner is None or runner.ctx.read_only:
                return []
            view = self._view()
            states = tuple(runner.availability(a, view) for a in ACTION_KEYS.values())
        keys = {b.action: b.key for b in Binding.make_bindings(ACTION_BINDINGS)}
        by_reason: dict[str, list[str]] = {}
        for name, state in zip(ACTION_KEYS, states, strict=False):
            if state.shown and not state.allowed:
                by_reason.setdefault(state.reason, []).append(keys.get(name, name))
        lines = []
        for reason, names in by_reason.items():
            line = Text(f"{', '.join(names)} unavailable: ", r.WARN)
            line.append_text(r.lit(reason))
            lines.append(line)
        return lines

    # ---- the keys

    def _selected_plan(self) -> str | None:
        focused = self.focused
        if isinstance(focused, KeyedTable) and focused.id == "plans-table":
            key = focused.cursor_key
            ref = ObjectRef.parse(key) if key else None
            if ref is not None and ref.kind == "installplan":
                return ref.name
        return None

    @work(exclusive=True, group="action")
    async def action_approve(self) -> None:
        change = await self._propose("approve", plan=self._selected_plan())
        if change is None:
            return
        if not await self.push_screen_wait(InstallPlanPreviewScreen(change)):
            self._cancelled()
            return
        await self._confirm_and_apply(change, verb="Approve")

    @work(exclusive=True, group="action")
    async def action_strategy(self) -> None:
        runner = self.actions
        if runner is None:
            return
        action = runner.action("strategy")
        assert isinstance(action, EditStrategy)
        try:
            await runner.ensure_allowed("strategy")
            hco, api = await action.current(runner.ctx)
        except Refused as exc:
            self._refused(action.title, exc)
            return
        form = StrategyFormScreen(hco, api, runner.ctx.hco_namespace, self.store)
        change = await self.push_screen_wait(form)
        if change is None:
            self._cancelled()
            return
        await self._confirm_and_apply(change, verb="Apply")

    @work(exclusive=True, group="action")
    async def action_stop_workloads(self) -> None:
        change = await self._propose("stop_workloads")
        if change is not None:
            await self._confirm_and_apply(change, verb="Stop workload updates")

    @work(exclusive=True, group="action")
    async def action_restore_workloads(self) -> None:
        change = await self._propose("restore_workloads")
        if change is not None:
            await self._confirm_and_apply(change, verb="Restore")

    @work(exclusive=True, group="action")
    async def action_pools(self) -> None:
        if self.picture is None:
            return
        chosen = await self.push_screen_wait(PoolsScreen(self.picture.cluster.pools))
        if chosen is None:
            self._cancelled()
            return
        pool, paused = chosen
        change = await self._propose("pool_paused", pool=pool, paused=paused)
        if change is not None:
            await self._confirm_and_apply(change, verb="Pause" if paused else "Unpause")

    @work(exclusive=True, group="action")
    async def action_ocp_update(self) -> None:
        if self.picture is None:
            return
        cv = self.store.get("clusterversion", "", "version")
        screen = OcpUpdateScreen(self.picture.cluster.openshift_version, available_updates(cv))
        version = await self.push_screen_wait(screen)
        if version is None:
            self._cancelled()
            return
        change = await self._propose("ocp_update", version=version)
        if change is not None:
            await self._confirm_and_apply(change, verb="Start the update")

    # ---- shared steps

    async def _propose(self, action_id: str, **params: object) -> Change | None:
        runner = self.actions
        if runner is None:
            return None
        try:
            return await runner.propose(action_id, **params)
        except Refused as exc:
            self._refused(runner.action(action_id).title, exc)
            return None

    async def _confirm_and_apply(self, change: Change, *, verb: str) -> Outcome | None:
        runner = self.actions
        if runner is None:
            return None
        while True:
            if not await self.push_screen_wait(ConfirmScreen(change, verb=verb)):
                self._cancelled()
                return None
            outcome = await runner.apply(change)
            self.notify(
                outcome.message,
                title=change.title,
                severity=_SEVERITY.get(outcome.kind, "information"),
                timeout=12 if outcome.ok else 20,
                markup=False,
            )
            self._offered = ()
            self._offer()
            if outcome.kind is OutcomeKind.CONFLICT and outcome.fresh is not None:
                change = outcome.fresh
                continue
            return outcome

    def _refused(self, title: str, exc: Refused) -> None:
        self.notify(str(exc), title=f"{title}: not possible", severity="warning", markup=False)

    def _cancelled(self) -> None:
        self.notify("Cancelled: nothing was sent.", timeout=4)

    def write_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """Palette entries of the write side (for the app's `get_system_commands`)."""
        if self.actions is None or self.actions.ctx.read_only:
            return
        yield SystemCommand(
            "Re-check permissions",
            "Ask the API server again which actions this user may take",
            self.recheck_permissions,
        )
