"""A known token, echoed back by a hostile or buggy server in its error messages, never
reaches the screen, a screenshot, a recording, the audit log, a backup or the logs; and
every file cnvtui writes is readable by the user only."""

from __future__ import annotations

import gzip
import io
import logging
import os
import stat
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp import web

from cnvtui.actions import ActionRunner, all_actions, build_context
from cnvtui.exitcodes import ExitCode
from cnvtui.kube.client import KubeClient
from cnvtui.kube.config import ConfigSource
from cnvtui.kube.record import Recorder, RecordingSource
from cnvtui.report.command import run_options
from cnvtui.report.status import StatusOptions
from cnvtui.sim.scenarios import build
from cnvtui.sim.server import SimServer
from cnvtui.ui.app import DashboardApp
from cnvtui.ui.source import KubeSource
from cnvtui.ui.textshot import screen_text
from cnvtui.ui.widgets.header import Target
from tests.ui import FAST, until, until_shows

from . import HCO_NS, LIVE, run, toasts

Sim = Callable[..., Awaitable[SimServer]]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
TOKEN = "sha256~never-show-this-token-7f3a9c"


class Echo:
    """When on, every request is answered 500 with its own credentials in the message."""

    def __init__(self) -> None:
        self.on = False

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if not self.on:
            return await handler(request)
        auth = request.headers.get("Authorization", "")
        message = f"upstream rejected {auth!r} (token {auth.removeprefix('Bearer ')})"
        body = {
            "kind": "Status",
            "apiVersion": "v1",
            "status": "Failure",
            "code": 500,
            "reason": "InternalError",
            "message": message,
        }
        return web.json_response(body, status=500)


def private(path: Path) -> bool:
    mode = stat.S_IMODE(os.stat(path).st_mode)
    return mode & 0o077 == 0


async def test_a_known_token_never_leaks_and_files_are_private(
    sim: Sim, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    echo = Echo()
    built = build("steady", vmis=3, speed=0)
    server = await sim(**built.server_options(), token=TOKEN, middlewares=[echo.middleware])
    assert server.kubeconfig_path is not None
    client = await KubeClient.connect(ConfigSource(kubeconfig=str(server.kubeconfig_path)))
    recording = tmp_path / "session.cnvrec"
    recorder = Recorder(recording, cluster={"server": client.server}, redact=client.redact)
    source = RecordingSource(KubeSource(client, HCO_NS, settings=FAST), recorder)
    state_dir = tmp_path / "state"
    runner = ActionRunner(build_context(client, HCO_NS, state_dir=state_dir), all_actions())
    target = Target(client.info.context, client.info.server, HCO_NS)
    app = DashboardApp(source, target=target, actions=runner)
    try:
        async with app.run_test(size=(160, 50), notifications=True) as pilot:
            await until_shows(pilot, LIVE)
            change = await runner.propose("pool_paused", pool="worker", paused=True)
            echo.on = True
            outcome = await runner.apply(change)
            server.close_watches()
            text = await until_shows(pilot, "reconnecting", "server error 500")
            svg = app.export_screenshot()
            await until(pilot, lambda _t: True)
            notes = toasts(app)
            screen = screen_text(app)
    finally:
        await client.close()

    assert "upstream rejected 'Bearer <redacted>' (token <redacted>)" in outcome.message
    leaks = {
        "action outcome": outcome.message,
        "screen": text + screen,
        "screenshot": svg,
        "notifications": notes,
        "logs": caplog.text,
        "recording": gzip.decompress(recording.read_bytes()).decode(),
    }
    written = [p for p in state_dir.rglob("*") if p.is_file()]
    assert written, "the attempt was audited (and backed up)"
    for path in written:
        leaks[str(path.relative_to(tmp_path))] = path.read_text()
    assert "<redacted>" in text, "the echoed message reached the header, redacted"
    assert "upstream rejected" in leaks["recording"], "and the recording, redacted"
    found = [where for where, content in leaks.items() if TOKEN in content]
    assert not found, f"the token leaked into: {found}"
    for path in [recording, *written]:
        assert private(path), f"{path} is readable by others"
    for directory in [p for p in state_dir.rglob("*") if p.is_dir()] + [state_dir]:
        assert stat.S_IMODE(os.stat(directory).st_mode) & 0o077 == 0, directory


@pytest.mark.parametrize("command", [[], ["preflight"], ["demo"]])
async def test_no_flag_turns_tls_verification_off(tmp_path: Path, command: list[str]) -> None:
    code, out, _ = await run([*command, "--help"], tmp_path)
    assert code == 0 and "usage:" in out
    for word in ("insecure", "skip-tls", "skip-verify", "no-verify", "verify"):
        assert word not in out.lower(), word


async def test_status_redacts_a_token_echoed_in_a_403(sim: Sim) -> None:
    """`cnvtui status -n NS` prints the server's reason for a 403; a server that puts the
    caller's token in it must not get it printed."""

    @web.middleware
    async def deny(request: web.Request, handler: Handler) -> web.StreamResponse:
        if "hyperconvergeds" not in request.path:
            return await handler(request)
        auth = request.headers.get("Authorization", "")
        body = {
            "kind": "Status",
            "apiVersion": "v1",
            "status": "Failure",
            "code": 403,
            "reason": "Forbidden",
            "message": f"no, {auth.removeprefix('Bearer ')} may not list hyperconvergeds",
        }
        return web.json_response(body, status=403)

    server = await sim(vmis=1, token=TOKEN, middlewares=[deny])
    out, err = io.StringIO(), io.StringIO()
    options = StatusOptions(kubeconfig=str(server.kubeconfig_path), namespace=HCO_NS)
    code = await run_options(options, out, err)
    assert code == ExitCode.FORBIDDEN
    assert "may not list hyperconvergeds" in err.getvalue()
    assert TOKEN not in err.getvalue() + out.getvalue(), err.getvalue()
