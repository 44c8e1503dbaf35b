"""Start the dashboard against a kubeconfig: the `cnvtui` command (and `cnvtui demo`).

This module imports Textual only when the dashboard actually starts, so `cnvtui.cli` can
import it without loading the UI for its headless commands. Failures before the UI is up
(no kubeconfig, unknown context, unreachable cluster, rejected credentials, a namespace it
may not read) are one line on stderr that suggests `cnvtui demo`, and the exit code of
`cnvtui.exitcodes` that says why (the same as `cnvtui status`); never a traceback.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TextIO

from cnvtui.exitcodes import ExitCode
from cnvtui.kube.client import KubeClient
from cnvtui.kube.cnv import pick_hco_namespace
from cnvtui.kube.config import ConfigSource
from cnvtui.kube.errors import ConfigError, Unreachable
from cnvtui.kube.record import Recorder, RecordingError, RecordingSource
from cnvtui.kube.replay import ReplaySource
from cnvtui.kube.resources import HCO
from cnvtui.kube.settings import DEFAULT_SETTINGS, WatchSettings

DEMO_HINT = "try 'cnvtui demo' to see the dashboard against a simulated cluster"


class StartError(Exception):
    """The dashboard cannot start; the message is one line for the user."""

    def __init__(self, message: str, code: ExitCode) -> None:
        super().__init__(message)
        self.code = code


def run_dashboard(
    *,
    kubeconfig: str | None = None,
    context: str | None = None,
    namespace: str | None = None,
    read_only: bool = False,
    theme: str | None = None,
    now: Callable[[], float] | None = None,
    stderr: TextIO | None = None,
    record: str | None = None,
    low_bandwidth: bool | None = None,
) -> int:
    """Run the dashboard until the user quits; return the exit code. `low_bandwidth` (None:
    the `CNVTUI_LOW_BANDWIDTH` environment variable decides) redraws at most every 2 s and
    moves ages once a minute, for slow SSH links."""
    return asyncio.run(
        run_dashboard_async(
            kubeconfig=kubeconfig,
            context=context,
            namespace=namespace,
            read_only=read_only,
            theme=theme,
            now=now,
            stderr=stderr,
            record=record,
            low_bandwidth=low_bandwidth,
        )
    )


async def run_dashboard_async(
    *,
    kubeconfig: str | None = None,
    context: str | None = None,
    namespace: str | None = None,
    read_only: bool = False,
    theme: str | None = None,
    now: Callable[[], float] | None = None,
    settings: WatchSettings = DEFAULT_SETTINGS,
    stderr: TextIO | None = None,
    record: str | None = None,
    low_bandwidth: bool | None = None,
) -> int:
    """The same, inside a running event loop (the demo runs its simulated cluster beside it).

    `now` replaces the wall clock everywhere (ages, ETA, the stream stamps), so a simulated
    cluster running at 60x shows simulated minutes. `record` (`cnvtui --record FILE`) also
    writes every watch event to a new recording file.
    """
    err = stderr or sys.stderr
    try:
        client = await KubeClient.connect(ConfigSource(kubeconfig=kubeconfig, context=context))
    except ConfigError as exc:
        print(f"cnvtui: {exc}; {DEMO_HINT}", file=err)
        return ExitCode.CONFIG
    try:
        try:
            hco_namespace = await detect_hco_namespace(client, namespace)
        except StartError as exc:
            print(f"cnvtui: {exc}; {DEMO_HINT}", file=err)
            return exc.code
        from cnvtui.actions import ActionRunner, all_actions, build_context
        from cnvtui.ui.app import DashboardApp
        from cnvtui.ui.source import DashboardSource, KubeSource
        from cnvtui.ui.widgets.header import Target

        info = client.info
        target = Target(info.context, info.server, hco_namespace, read_only=read_only)
        if now is not None:
            settings = replace(settings, clock=now)
        # A recording keeps whole objects (replays and `sim --from` need them); otherwise VMIs
        # are slimmed as they arrive, which halves the memory of a big cluster.
        source: DashboardSource = KubeSource(
            client, hco_namespace, settings=settings, slim=not record
        )
        if record:
            recorder = Recorder(
                record,
                cluster={"context": info.context, "server": info.server, "user": info.user},
                hco_namespace=hco_namespace,
                redact=client.redact,
            )
            try:
                await recorder.open()
            except RecordingError as exc:
                print(f"cnvtui: {exc}", file=err)
                return ExitCode.RECORDING
            source = RecordingSource(source, recorder)
        clock = now or time.time
        writes = build_context(client, hco_namespace, read_only=read_only, now=clock)
        actions = ActionRunner(writes, all_actions())
        app = DashboardApp(
            source,
            target=target,
            theme=theme,
            now=clock,
            actions=actions,
            low_bandwidth=low_bandwidth,
        )
        await app.run_async()
        return app.return_code or 0
    finally:
        await client.close()


async def detect_hco_namespace(client: KubeClient, namespace: str | None = None) -> str:
    """Where the HyperConverged lives (`namespace` when given, else detected). Doubles as the
    access check before the UI starts: StartError UNREACHABLE, UNAUTHORIZED, or FORBIDDEN
    when the user may not list HyperConvergeds in the namespace they named. A forbidden
    cluster-wide list is no error: the default namespace may still be readable."""
    try:
        status, body = await client.get_json(HCO.path(namespace), {"limit": "5"}, within=10.0)
    except Unreachable as exc:
        message = f"cannot reach the cluster at {client.server}: {exc}"
        raise StartError(message, ExitCode.UNREACHABLE) from None
    if status == 401:
        message = (
            f"the API server at {client.server} rejected the credentials (expired token?): "
            "log in again, e.g. 'oc login'"
        )
        raise StartError(message, ExitCode.UNAUTHORIZED)
    if status == 403 and namespace is not None:
        message = f"forbidden: you may not list hyperconvergeds in {namespace}"
        raise StartError(message, ExitCode.FORBIDDEN)
    if namespace is not None:
        return namespace
    items = body.get("items") if status == 200 and isinstance(body, dict) else None
    return pick_hco_namespace(items or [])


def run_replay(
    path: str, *, speed: float = 1.0, theme: str | None = None, stderr: TextIO | None = None
) -> int:
    """`cnvtui replay FILE [--speed X]`: the dashboard on a recording, until the user quits."""
    return asyncio.run(run_replay_async(path, speed=speed, theme=theme, stderr=stderr))


async def run_replay_async(
    path: str, *, speed: float = 1.0, theme: str | None = None, stderr: TextIO | None = None
) -> int:
    """The same, inside a running event loop. An unreadable file is one line on stderr."""
    err = stderr or sys.stderr
    source = ReplaySource(path, speed=speed)
    try:
        await source.open()
    except RecordingError as exc:
        print(f"cnvtui: {exc}", file=err)
        return ExitCode.RECORDING
    from cnvtui.ui.replay import ReplayApp

    app = ReplayApp(source, theme=theme)
    try:
        await app.run_async()
    finally:
        await source.close()
    return app.return_code or 0
