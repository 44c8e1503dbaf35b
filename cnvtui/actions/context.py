"""Everything an action needs from the outside world, gathered once per dashboard."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cnvtui.actions.audit import AUDIT_FILE, AuditLog, default_state_dir
from cnvtui.actions.backup import LocalBackups
from cnvtui.actions.hco_api import HcoApi, detect_hco_api
from cnvtui.actions.permissions import Permissions
from cnvtui.kube.client import KubeClient
from cnvtui.kube.config import ClusterInfo
from cnvtui.kube.events import SessionNote
from cnvtui.kube.writer import Writer
from cnvtui.state.timeline import Timeline

__all__ = ["ActionContext", "build_context"]


@dataclass
class ActionContext:
    """The writer (read-only aware, rate-limited), identity, audit log, backups and answers
    to access reviews; `timeline` (the dashboard's) gets one entry per write."""

    writer: Writer
    hco_namespace: str
    audit: AuditLog
    backups: LocalBackups
    permissions: Permissions
    now: Callable[[], float] = time.time
    timeline: Timeline | None = None
    journal: Callable[[SessionNote], None] | None = None
    """Also told of each write's outcome (`--record` writes it into the recording)."""
    _hco_api: HcoApi | None = field(default=None, repr=False)

    @property
    def client(self) -> KubeClient:
        return self.writer.client

    @property
    def info(self) -> ClusterInfo:
        return self.writer.client.info

    @property
    def read_only(self) -> bool:
        return self.writer.read_only

    async def hco_api(self) -> HcoApi:
        """The served HCO version (asked once per connection)."""
        if self._hco_api is None:
            self._hco_api = await detect_hco_api(self.client)
        return self._hco_api

    def forget(self) -> None:
        """Drop what was learnt from the server (after the credentials were reloaded)."""
        self._hco_api = None


def build_context(
    client: KubeClient,
    hco_namespace: str,
    *,
    read_only: bool = False,
    state_dir: Path | None = None,
    timeline: Timeline | None = None,
    now: Callable[[], float] = time.time,
    rate_limit: int = 5,
) -> ActionContext:
    """A context whose audit log and backups live under `state_dir` (XDG default)."""
    directory = state_dir or default_state_dir()
    writer = Writer(client, read_only=read_only, rate_limit=rate_limit)
    return ActionContext(
        writer=writer,
        hco_namespace=hco_namespace,
        audit=AuditLog(directory / AUDIT_FILE),
        backups=LocalBackups(directory / "backups", client.server),
        permissions=Permissions(writer),
        now=now,
        timeline=timeline,
    )
