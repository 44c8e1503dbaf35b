"""The audit log: one JSON line per write attempt, in a file only the user can read.

A maintenance window ends with questions ("who approved that plan, when, from which
bastion?"), so every attempt is recorded whatever its result: who (kubeconfig context, user,
API server), what (action, object, the exact patch), the fields before and after, and the
result. Credentials never reach the record: the writer scrubs them from messages and the
identity comes from the kubeconfig's names, not its secrets.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cnvtui.kube.config import ClusterInfo

__all__ = ["AuditLog", "audit_record", "default_state_dir"]

AUDIT_FILE = "audit.jsonl"


def default_state_dir(environ: Mapping[str, str] | None = None) -> Path:
    """`$XDG_STATE_HOME/cnvtui`, else `~/.local/state/cnvtui` (the XDG default)."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_STATE_HOME")
    if base and Path(base).is_absolute():
        return Path(base) / "cnvtui"
    home = Path(env.get("HOME") or Path.home())
    return home / ".local" / "state" / "cnvtui"


def private_dir(path: Path) -> None:
    """Create `path` (mode 0700) if needed, and make it 0700 if it was left open to others:
    it is cnvtui's own directory, and the names of its files say which clusters you run."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o077:
        path.chmod(0o700)


def audit_record(
    info: ClusterInfo,
    *,
    at: float,
    action: str,
    title: str,
    target: Mapping[str, Any],
    patch: list[dict[str, Any]],
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    outcome: str,
    ok: bool,
    code: int,
    reason: str,
    message: str,
    sent: bool,
) -> dict[str, Any]:
    """One audit entry (the shape `AuditLog.append` writes)."""
    return {
        "time": datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds"),
        "context": info.context,
        "user": info.user,
        "server": info.server,
        "action": action,
        "title": title,
        "target": dict(target),
        "patch": patch,
        "before": dict(before),
        "after": dict(after),
        "result": {
            "outcome": outcome,
            "ok": ok,
            "sent": sent,
            "code": code,
            "reason": reason,
            "message": message,
        },
    }


class AuditLog:
    """Appends JSON lines to `path` (mode 0600, directory 0700)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    async def append(self, record: Mapping[str, Any]) -> None:
        """Append one record; the file write runs off the event loop."""
        line = json.dumps(record, sort_keys=True, default=str) + "\n"
        await asyncio.to_thread(self._write, line)

    def _write(self, line: str) -> None:
        private_dir(self.path.parent)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, line.encode("utf-8"))
        finally:
            os.close(fd)

    def entries(self) -> list[dict[str, Any]]:
        """Every record so far, oldest first (unreadable lines are skipped)."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        records = []
        for line in text.splitlines():
            try:
                parsed = json.loads(line)
            except ValueError:
                continue
            if isinstance(parsed, dict):
                records.append(parsed)
        return records
