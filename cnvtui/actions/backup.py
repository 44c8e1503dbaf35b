"""The backup of `workloadUpdateMethods` taken before workload updates are stopped.

Losing it leaves VMs on old launchers forever, so it is kept twice: as annotations on the
HyperConverged CR (written in the same patch that empties the methods, so a second operator
on another machine sees it, and it survives this bastion), and in a local file written before
the patch is sent (it survives the annotation being dropped, e.g. by someone editing the CR
by hand). The cluster copy wins when both exist: it is the one every operator shares.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cnvtui.actions.audit import private_dir
from cnvtui.actions.jsonpatch import Operation, pointer
from cnvtui.kube.events import Obj
from cnvtui.state.model import MethodsBackup
from cnvtui.state.views import as_dict, dig
from cnvtui.state.workloads import BACKUP_ANNOTATION, BACKUP_TAKEN_AT_ANNOTATION, read_backup

__all__ = [
    "BACKUP_ANNOTATION",
    "BACKUP_TAKEN_AT_ANNOTATION",
    "LocalBackup",
    "LocalBackups",
    "cluster_backup",
    "drop_backup_operations",
    "stamp",
    "take_backup_operations",
]


def stamp(at: float) -> str:
    """RFC 3339 time, as Kubernetes writes timestamps."""
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def cluster_backup(hco: Obj) -> MethodsBackup | None:
    """The backup held in the HCO's annotations, if any (read as the dashboard reads it)."""
    return read_backup(hco)


def take_backup_operations(hco: Obj, methods: tuple[str, ...], at: float) -> list[Operation]:
    """Patch operations that write the backup annotations (replacing an older backup)."""
    value = json.dumps(list(methods))
    annotations = dig(hco, "metadata", "annotations")
    if not isinstance(annotations, dict):
        return [
            {
                "op": "add",
                "path": pointer("metadata", "annotations"),
                "value": {BACKUP_ANNOTATION: value, BACKUP_TAKEN_AT_ANNOTATION: stamp(at)},
            }
        ]
    return [
        {"op": "add", "path": pointer("metadata", "annotations", key), "value": val}
        for key, val in ((BACKUP_ANNOTATION, value), (BACKUP_TAKEN_AT_ANNOTATION, stamp(at)))
    ]


def drop_backup_operations(hco: Obj) -> list[Operation]:
    """Patch operations that test and remove the backup annotations that are present."""
    annotations = as_dict(dig(hco, "metadata", "annotations"))
    ops: list[Operation] = []
    for key in (BACKUP_ANNOTATION, BACKUP_TAKEN_AT_ANNOTATION):
        if key in annotations:
            path = pointer("metadata", "annotations", key)
            ops.append({"op": "test", "path": path, "value": annotations[key]})
            ops.append({"op": "remove", "path": path})
    return ops


@dataclass(frozen=True, slots=True)
class LocalBackup:
    """The local copy of a backup, for one HCO on one cluster."""

    methods: tuple[str, ...]
    taken_at: float
    server: str
    context: str
    user: str
    namespace: str
    name: str
    state: str
    """"sending" until the server confirmed the stop, then "held"."""

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["methods"] = list(self.methods)
        return data

    @classmethod
    def from_json(cls, data: object) -> LocalBackup | None:
        if not isinstance(data, dict):
            return None
        methods = data.get("methods")
        taken = data.get("taken_at")
        if not isinstance(methods, list) or not all(isinstance(m, str) for m in methods):
            return None
        if not isinstance(taken, int | float) or isinstance(taken, bool):
            return None
        fields = ("server", "context", "user", "namespace", "name", "state")
        if not all(isinstance(data.get(f), str) for f in fields):
            return None
        return cls(
            methods=tuple(methods),
            taken_at=float(taken),
            server=data["server"],
            context=data["context"],
            user=data["user"],
            namespace=data["namespace"],
            name=data["name"],
            state=data["state"],
        )


class LocalBackups:
    """Backup files under `directory`, one per (API server, HCO); mode 0600.

    Reads are cached in memory, so the UI can ask on every redraw; `load` goes to the disk
    (at start, and before a restore, in case another dashboard on this machine wrote it).
    """

    def __init__(self, directory: Path, server: str) -> None:
        self.directory = directory
        self.server = server
        self._known: dict[tuple[str, str], LocalBackup | None] = {}

    def path(self, namespace: str, name: str) -> Path:
        host = re.sub(r"^[a-z]+://", "", self.server)
        slug = re.sub(r"[^A-Za-z0-9.-]+", "-", f"{host}_{namespace}_{name}").strip("-")
        digest = hashlib.sha256(f"{self.server}\0{namespace}\0{name}".encode()).hexdigest()[:8]
        return self.directory / f"{slug[:80]}-{digest}.json"

    def get(self, namespace: str, name: str) -> LocalBackup | None:
        """The backup last read or written (no disk access)."""
        return self._known.get((namespace, name))

    async def load(self, namespace: str, name: str) -> LocalBackup | None:
        """Read the backup from disk (None when there is none or it is unreadable)."""
        backup = await asyncio.to_thread(self._read, self.path(namespace, name))
        self._known[(namespace, name)] = backup
        return backup

    async def save(self, backup: LocalBackup) -> Path:
        """Write the backup (atomically: a crash leaves the old file or the new one)."""
        path = self.path(backup.namespace, backup.name)
        await asyncio.to_thread(self._write, path, backup)
        self._known[(backup.namespace, backup.name)] = backup
        return path

    async def remove(self, namespace: str, name: str) -> None:
        path = self.path(namespace, name)
        await asyncio.to_thread(_unlink, path)
        self._known[(namespace, name)] = None

    @staticmethod
    def _read(path: Path) -> LocalBackup | None:
        try:
            return LocalBackup.from_json(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            return None

    @staticmethod
    def _write(path: Path, backup: LocalBackup) -> None:
        private_dir(path.parent)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, (json.dumps(backup.to_json(), indent=2) + "\n").encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)


def _unlink(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
