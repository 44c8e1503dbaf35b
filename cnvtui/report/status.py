"""`cnvtui status` against a live cluster: once, `--watch`, or `--wait-for`.

All three share one path: connect, find the HCO namespace, start the same watch streams as
the dashboard, wait until each has answered, then either print the picture once or keep
building pictures (after each burst of events, and at least every `tick` seconds so that ages
and timeouts move) and hand them to the `Watcher` and/or the `Waiter`.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

from cnvtui.exitcodes import ExitCode, StatusFailure
from cnvtui.kube.client import KubeClient
from cnvtui.kube.settings import DEFAULT_SETTINGS, WatchSettings
from cnvtui.report.formats import Source, render, render_data, stamp, status_data
from cnvtui.report.live import LiveFeed, connect, find_hco_namespace
from cnvtui.report.waiting import DEFAULT_GRACE, Goal, Outcome, Waiter, blocked
from cnvtui.report.watching import Watcher, text_line
from cnvtui.state.model import UpdatePicture
from cnvtui.state.picture import build_picture
from cnvtui.state.text import human_duration, safe_text

__all__ = ["StatusOptions", "run_live"]

WATCH_MAX_VMIS = 20
"""Outdated-VMI rows in each --watch JSON line (the full list is one `status -o json` away)."""
WATCH_TIMELINE = 20
"""Timeline entries in each --watch JSON line."""


@dataclass(frozen=True)
class StatusOptions:
    """Everything `cnvtui status` was asked to do (built from the command line or by tests)."""

    kubeconfig: str | None = None
    context: str | None = None
    namespace: str | None = None
    output: str = "table"
    watch: bool = False
    wait_for: Goal | None = None
    timeout: float | None = None
    grace: float = DEFAULT_GRACE
    cnv_version: str | None = None
    """--wait-for done/healthy: also wait until the HCO reports this CNV version."""
    interval: float = 5.0
    """--watch: least seconds between lines that only report new counts."""
    record: str | None = None
    replay: str | None = None
    at: str | None = None
    max_vmis: int | None = None
    sync_timeout: float = 60.0
    """Seconds to wait for every stream's first answer before giving up."""
    tick: float = 1.0
    """Seconds between pictures while nothing happens."""
    settings: WatchSettings = DEFAULT_SETTINGS
    clock: Callable[[], float] = field(default=time.time)


class Printer:
    """Writes --watch lines and final results in the chosen format, flushing each."""

    def __init__(self, options: StatusOptions, source: Source, out: TextIO) -> None:
        self.options = options
        self.source = source
        self.out = out

    def _write(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def line(self, picture: UpdatePicture, changes: list[str]) -> None:
        o = self.options
        if o.output == "table":
            self._write(text_line(stamp(picture.now), picture, changes))
            return
        data = self._data(picture, watch=True)
        data["changes"] = changes
        self._write(render_data(data, o.output, compact=True))

    def _data(self, picture: UpdatePicture, *, watch: bool) -> dict[str, Any]:
        o = self.options
        max_vmis = o.max_vmis
        if watch and max_vmis is None:
            max_vmis = WATCH_MAX_VMIS
        timeline = WATCH_TIMELINE if watch else None
        return status_data(picture, self.source, max_vmis=max_vmis, timeline=timeline)

    def status(self, picture: UpdatePicture) -> None:
        o = self.options
        self._write(render(picture, o.output, self.source, max_vmis=o.max_vmis))

    def outcome(self, picture: UpdatePicture, outcome: Outcome, goal: Goal) -> None:
        o = self.options
        result = {ExitCode.OK: "reached", ExitCode.TIMEOUT: "timeout"}.get(outcome.code, "failed")
        if o.output == "table":
            if o.watch:
                message = safe_text(outcome.message, 300)
                self._write(f"{stamp(picture.now)}  wait for {goal.value}: {result}: {message}")
            else:
                self._write(render(picture, "table", self.source, max_vmis=o.max_vmis))
                self._write(f"Wait for {goal.value}: {result}: {safe_text(outcome.message, 300)}")
            return
        data = self._data(picture, watch=o.watch)
        data["wait"] = {
            "goal": goal.value,
            "result": result,
            "message": outcome.message,
            "exit_code": int(outcome.code),
        }
        self._write(render_data(data, o.output, compact=o.watch))


async def run_live(options: StatusOptions, out: TextIO, err: TextIO) -> int:
    """Run the command against the cluster; StatusFailure for connection problems."""
    loop = asyncio.get_running_loop()
    # One deadline from the start: a pipeline's `--timeout 2h` includes connecting and the
    # first lists, not only the wait after them.
    deadline = None if options.timeout is None else loop.time() + options.timeout
    client = await connect(options.kubeconfig, options.context)
    try:
        namespace = await _first_contact(client, options, err, deadline)
        feed = LiveFeed(
            client,
            namespace,
            settings=options.settings,
            record=options.record,
            clock=options.clock,
        )
        async with feed:
            await _sync(feed, options, deadline)
            info = client.info
            source = Source("cluster", info.context, info.server, namespace)
            printer = Printer(options, source, out)
            if not options.watch and options.wait_for is None:
                printer.status(build_picture(feed.store, options.clock()))
                return ExitCode.OK
            return await _follow(feed, options, printer, err, deadline)
    finally:
        await client.close()


async def _sync(feed: LiveFeed, options: StatusOptions, deadline: float | None) -> None:
    """The first complete answer, within `--sync-timeout` and what is left of `--timeout`;
    running out of the latter is a timeout (7), not an unreachable server (3)."""
    left = math.inf if deadline is None else deadline - asyncio.get_running_loop().time()
    if left >= options.sync_timeout or options.wait_for is None:
        await feed.sync(options.sync_timeout)
        return
    try:
        await feed.sync(max(0.0, left))
    except StatusFailure as exc:
        if exc.code != ExitCode.UNREACHABLE:
            raise
        waited = human_duration(options.timeout or 0.0)
        message = f"timed out after {waited} waiting for {options.wait_for.value}: {exc}"
        raise StatusFailure(message, ExitCode.TIMEOUT) from None


async def _first_contact(
    client: KubeClient, options: StatusOptions, err: TextIO, deadline: float | None
) -> str:
    """The HCO namespace. A one-shot status fails at once on an unreachable server; `--watch`
    and `--wait-for` keep trying (until `--timeout`, if given), as they ride through an API
    server restart later on, and say so once on stderr."""
    if not options.watch and options.wait_for is None:
        return await find_hco_namespace(client, options.namespace)
    loop = asyncio.get_running_loop()
    delay = options.settings.backoff_initial
    said = False
    while True:
        try:
            return await find_hco_namespace(client, options.namespace)
        except StatusFailure as exc:
            if exc.code != ExitCode.UNREACHABLE:
                raise
            if deadline is not None and loop.time() + delay >= deadline:
                raise
            if not said:
                said = True
                err.write(f"cnvtui status: {safe_text(str(exc), 300)}; trying again\n")
                err.flush()
        await asyncio.sleep(delay)
        delay = min(delay * 2, options.settings.backoff_max)


async def _follow(
    feed: LiveFeed,
    options: StatusOptions,
    printer: Printer,
    err: TextIO,
    deadline: float | None,
) -> int:
    loop = asyncio.get_running_loop()
    watcher = Watcher(options.interval) if options.watch else None
    goal = options.wait_for
    waiter = Waiter(goal, options.grace, options.cnv_version) if goal is not None else None
    said = ""
    while True:
        picture = build_picture(feed.store, options.clock())
        if waiter is not None and (why := blocked(picture)) != said:
            said = why
            if why:
                err.write(f"cnvtui status: still waiting: {safe_text(why, 400)}\n")
                err.flush()
        if watcher is not None:
            changes = watcher.observe(picture)
            if changes is not None:
                printer.line(picture, changes)
        if waiter is not None and goal is not None:
            outcome = waiter.observe(picture)
            if outcome is None and deadline is not None and loop.time() >= deadline:
                waited = human_duration(options.timeout)
                outcome = Outcome(
                    ExitCode.TIMEOUT,
                    f"timed out after {waited} waiting for {goal.value}; now {picture.headline}",
                )
            if outcome is not None:
                printer.outcome(picture, outcome, goal)
                if outcome.code != ExitCode.OK:
                    err.write(f"cnvtui status: {safe_text(outcome.message, 400)}\n")
                    err.flush()
                return outcome.code
        await feed.relogin()
        wait = options.tick
        if deadline is not None:
            wait = max(0.0, min(wait, deadline - loop.time()))
        if await feed.wait(wait):
            await asyncio.sleep(min(0.2, options.tick))  # let a burst finish: one picture for it
