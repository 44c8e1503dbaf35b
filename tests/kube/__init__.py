"""Helpers for the access-layer tests: a consumer that mirrors a stream, the server's view
to compare it with, and a TCP proxy that can count, freeze and cut connections."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import yaml

from cnvtui.kube.client import KubeClient
from cnvtui.kube.config import ConfigSource
from cnvtui.kube.events import KubeEvent, ObjectChange, StreamState, StreamStatus
from cnvtui.kube.resources import ResourceKind
from cnvtui.kube.settings import WatchSettings
from cnvtui.sim.server import SimServer

Obj = dict[str, Any]
_REQUEST_LINE = re.compile(rb"(?:^|\r\n)((?:GET|POST|PUT|PATCH|DELETE) \S+) HTTP/1\.1\r\n")
Key = tuple[str, str]

FAST = WatchSettings(
    watch_timeout=30,
    idle_timeout=5.0,
    connect_timeout=2.0,
    request_timeout=10.0,
    backoff_initial=0.02,
    backoff_max=0.2,
    denied_retry=60.0,
    min_watch_seconds=0.05,
)
"""Quick retries, but a denied stream waits a minute unless something wakes it."""

WAIT = 15.0


async def eventually(check: Callable[[], bool], what: str, within: float = WAIT) -> None:
    """Wait until `check()` holds (bounded, so a broken stream fails instead of hanging)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not check():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for: {what}")
        await asyncio.sleep(0.02)


def key_of(obj: Obj) -> Key:
    md = obj["metadata"]
    return (md.get("namespace") or "", md["name"])


class Mirror:
    """What a consumer of a stream knows: applies every event it receives, in a task."""

    def __init__(self, stream: AsyncIterator[KubeEvent]) -> None:
        self.view: dict[Key, Obj] = {}
        self.changes: list[ObjectChange] = []
        self.statuses: list[StreamStatus] = []
        self._stream = stream
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        async for event in self._stream:
            if isinstance(event, StreamStatus):
                self.statuses.append(event)
                continue
            self.changes.append(event)
            if event.type == "DELETED":
                self.view.pop(key_of(event.obj), None)
            else:
                self.view[key_of(event.obj)] = event.obj

    @property
    def state(self) -> StreamState | None:
        return self.statuses[-1].state if self.statuses else None

    def states(self) -> list[StreamState]:
        return [s.state for s in self.statuses]

    async def until_state(self, state: StreamState) -> StreamStatus:
        await eventually(lambda: self.state == state, f"stream state {state}")
        return self.statuses[-1]

    async def close(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        aclose = getattr(self._stream, "aclose", None)
        if aclose is not None:
            await aclose()


def server_view(
    server: SimServer,
    kind: ResourceKind,
    namespace: str | None = None,
    label_selector: str | None = None,
) -> dict[Key, Obj]:
    """The objects the server holds now, keyed like the mirror's view."""
    items, _ = server.store.list(kind.group, kind.plural, namespace, label_selector=label_selector)
    return {key_of(o): o for o in items}


def versions(view: dict[Key, Obj]) -> dict[Key, str]:
    return {k: o["metadata"]["resourceVersion"] for k, o in view.items()}


def write_kubeconfig(sim_server: SimServer, path: Path, **cluster: Any) -> Path:
    """The server's kubeconfig with changes: `token=` for the user, anything else (server,
    certificate-authority-data=None, ...) for the cluster entry (None removes a key)."""
    data = sim_server.kubeconfig()
    token = cluster.pop("token", None)
    for key, value in cluster.items():
        entry = data["clusters"][0]["cluster"]
        if value is None:
            entry.pop(key.replace("_", "-"), None)
        else:
            entry[key.replace("_", "-")] = value
    if token is not None:
        data["users"][0]["user"]["token"] = token
    path.write_text(yaml.safe_dump(data))
    return path


async def connect(path: Path | str) -> KubeClient:
    return await KubeClient.connect(ConfigSource(kubeconfig=str(path)), environ={})


class Proxy:
    """A TCP proxy in front of the server: records the request lines sent through it, can
    freeze (connections stay open, nothing is forwarded: a half-open link) and cut
    every connection."""

    def __init__(self, port: int) -> None:
        self.target_port = port
        self.connections = 0
        self.requests: list[str] = []
        self.frozen = False
        self._thawed = asyncio.Event()
        self._thawed.set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._canned: bytes | None = None
        self._server: asyncio.Server | None = None
        self.port = 0

    async def start(self) -> Proxy:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def freeze(self) -> None:
        self.frozen = True
        self._thawed.clear()

    def thaw(self) -> None:
        self.frozen = False
        self._thawed.set()

    def answer(self, status: int, reason: str, headers: dict[str, str] | None = None) -> None:
        """Answer every new request with this error (a Status body) instead of forwarding."""
        body = (
            '{"kind":"Status","apiVersion":"v1","status":"Failure",'
            f'"message":"injected {status}","reason":"{reason}","code":{status}}}'
        ).encode()
        head = f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n"
        for name, value in (headers or {}).items():
            head += f"{name}: {value}\r\n"
        head += f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        self._canned = head.encode() + body

    def forward(self) -> None:
        """Forward requests again (after `answer`)."""
        self._canned = None

    def cut(self) -> None:
        for writer in list(self._writers):
            writer.transport.abort()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        if self._canned is not None:
            await self._answer(reader, writer, self._canned)
            return
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.transport.abort()
            return
        self._writers.update((writer, up_writer))
        try:
            await asyncio.gather(
                self._pipe(reader, up_writer, count=True),
                self._pipe(up_reader, writer, count=False),
            )
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            for w in (writer, up_writer):
                self._writers.discard(w)
                w.transport.abort()

    async def _answer(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, canned: bytes
    ) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            self.requests.extend(m.decode() for m in _REQUEST_LINE.findall(head))
            writer.write(canned)
            await writer.drain()
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, count: bool
    ) -> None:
        while True:
            data = await reader.read(65536)
            if not data:
                writer.transport.abort()
                return
            await self._thawed.wait()
            if count:
                self.requests.extend(m.decode() for m in _REQUEST_LINE.findall(data))
            writer.write(data)
            await writer.drain()

    def kubeconfig(self, sim_server: SimServer, path: Path) -> Path:
        """A kubeconfig that reaches `sim_server` through this proxy."""
        return write_kubeconfig(sim_server, path, server=self.url)

    async def close(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
