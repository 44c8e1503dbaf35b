"""A live feed for the headless commands: connect, find the HCO, watch, keep a store current.

It uses the dashboard's machinery (the kube layer's `WatchHub`, the state `Store`), so
`status` sees what the dashboard sees and rides through disconnects the same way. Connection
problems become a `StatusFailure` with one line and an exit code, never a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Sequence

from cnvtui.exitcodes import ExitCode, StatusFailure
from cnvtui.kube import resources as res
from cnvtui.kube.client import KubeClient
from cnvtui.kube.cnv import WATCHED, pick_hco_namespace, stream_specs
from cnvtui.kube.config import ConfigSource
from cnvtui.kube.errors import ConfigError, Unreachable, one_line
from cnvtui.kube.events import KubeEvent, Obj, StreamState
from cnvtui.kube.hub import WatchHub
from cnvtui.kube.record import EventSource, Recorder, RecordingError, RecordingSource
from cnvtui.kube.settings import DEFAULT_SETTINGS, WatchSettings
from cnvtui.state.slim import PROJECTIONS
from cnvtui.state.store import Store

__all__ = ["ESSENTIAL", "WATCHED", "LiveFeed", "connect", "find_hco_namespace"]

RELOAD_EVERY = 30.0
"""Seconds between kubeconfig re-reads while the server rejects our credentials."""

ESSENTIAL = frozenset({"csv", "subscription", "installplan", "hco"})
"""Without these the status would be a guess: not being allowed to read them is an error."""

_SETTLED = (
    StreamState.LIVE,
    StreamState.FORBIDDEN,
    StreamState.NOT_INSTALLED,
    StreamState.UNAUTHORIZED,
)


async def connect(kubeconfig: str | None, context: str | None) -> KubeClient:
    """A client for the kubeconfig (StatusFailure CONFIG if there is none usable)."""
    try:
        return await KubeClient.connect(ConfigSource(kubeconfig=kubeconfig, context=context))
    except ConfigError as exc:
        raise StatusFailure(str(exc), ExitCode.CONFIG) from None


async def _get(client: KubeClient, path: str, query: dict[str, str]) -> tuple[int, object]:
    """(HTTP status, decoded body) of one GET; StatusFailure UNREACHABLE without an answer."""
    try:
        return await client.get_json(path, query)
    except Unreachable as exc:
        raise StatusFailure(
            f"cannot reach the API server at {client.server}: {exc}", ExitCode.UNREACHABLE
        ) from None


def _status_message(body: object) -> str:
    return str(body.get("message") or "") if isinstance(body, dict) else ""


async def find_hco_namespace(client: KubeClient, namespace: str | None) -> str:
    """Where the HyperConverged lives (the given one, else detected); also the first contact,
    so a dead server, a rejected token or a missing permission fails here with one line."""
    path = res.HCO.path(namespace)
    code, body = await _get(client, path, {"limit": "5"})
    if code == 401:
        raise StatusFailure(
            f"the API server at {client.server} rejected the credentials (expired token?): "
            "log in again, e.g. 'oc login'",
            ExitCode.UNAUTHORIZED,
        )
    if code == 403 and namespace is not None:
        detail = client.redact(one_line(_status_message(body), 200))
        raise StatusFailure(
            f"forbidden: cannot list hyperconvergeds in {namespace}"
            + (f" ({detail})" if detail else ""),
            ExitCode.FORBIDDEN,
        )
    if namespace is not None:
        return namespace
    items = body.get("items") if code == 200 and isinstance(body, dict) else None
    return pick_hco_namespace(items or [])


class HubSource:
    """The watch hub as an event source (what `RecordingSource` wraps)."""

    def __init__(self, hub: WatchHub) -> None:
        self.hub = hub

    async def batches(self) -> AsyncIterator[Sequence[KubeEvent]]:
        self.hub.start()
        async for batch in self.hub.batches():
            yield batch

    async def related_events(self, kind: str, namespace: str, name: str) -> list[Obj]:
        return []

    async def close(self) -> None:
        await self.hub.stop()


class LiveFeed:
    """Watches the cluster into a `Store`; `changed` is set whenever events arrive."""

    def __init__(
        self,
        client: KubeClient,
        hco_namespace: str,
        *,
        settings: WatchSettings = DEFAULT_SETTINGS,
        record: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.hco_namespace = hco_namespace
        self.store = Store(hco_namespace)
        self.clock = clock
        # VMIs parsed into the fields the store keeps, unless recording (which keeps them whole).
        specs = stream_specs(hco_namespace, projections=None if record else PROJECTIONS)
        self.kinds = tuple(dict.fromkeys(w.kind.key for w in WATCHED))
        source: EventSource = HubSource(WatchHub(client, specs, settings=settings))
        self.recorder: Recorder | None = None
        if record:
            info = client.info
            self.recorder = Recorder(
                record,
                cluster={"context": info.context, "server": info.server, "user": info.user},
                hco_namespace=hco_namespace,
                redact=client.redact,
            )
            source = RecordingSource(source, self.recorder)
        self.source = source
        self.changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._failure: BaseException | None = None
        self._last_reload = 0.0

    async def start(self) -> None:
        if self.recorder is not None:
            try:
                await self.recorder.open()
            except RecordingError as exc:
                raise StatusFailure(str(exc), ExitCode.RECORDING) from None
        self._task = asyncio.create_task(self._consume(), name="status-feed")

    async def _consume(self) -> None:
        try:
            async for batch in self.source.batches():
                self.store.apply_all(batch)
                self.changed.set()
        except Exception as exc:
            self._failure = exc
            self.changed.set()

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.source.close()

    async def __aenter__(self) -> LiveFeed:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    def check(self) -> None:
        """Raise what broke the feed, if anything did."""
        if self._failure is not None:
            raise self._failure
        recorder = self.recorder
        if recorder is not None and recorder.error:
            raise StatusFailure(recorder.error, ExitCode.RECORDING)

    async def wait(self, seconds: float) -> bool:
        """Wait up to `seconds` for news; True if events arrived."""
        try:
            async with asyncio.timeout(seconds):
                await self.changed.wait()
        except TimeoutError:
            return False
        finally:
            self.changed.clear()
        self.check()
        return True

    def unsettled(self) -> list[str]:
        """The kinds whose first list has not come back yet (or that lost it)."""
        streams = self.store.streams
        return [k for k in self.kinds if k not in streams or streams[k].state not in _SETTLED]

    async def sync(self, within: float) -> None:
        """Wait until every stream has its first answer; then check that the data is usable.

        StatusFailure: UNAUTHORIZED, FORBIDDEN (on an essential kind) or UNREACHABLE (no
        answer within `within` seconds).
        """
        deadline = asyncio.get_running_loop().time() + within
        while self.unsettled():
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                break
            await self.wait(min(left, 1.0))
        self.check()
        streams = self.store.streams
        for kind in self.kinds:
            status = streams.get(kind)
            if status is not None and status.state == StreamState.UNAUTHORIZED:
                raise StatusFailure(
                    f"the API server rejected the credentials (expired token?): {status.message}",
                    ExitCode.UNAUTHORIZED,
                )
        for kind in sorted(ESSENTIAL):
            status = streams.get(kind)
            if status is not None and status.state == StreamState.FORBIDDEN:
                raise StatusFailure(f"forbidden: {status.message}", ExitCode.FORBIDDEN)
        waiting = self.unsettled()
        if waiting:
            messages = [streams[k].message for k in waiting if k in streams and streams[k].message]
            why = f": {messages[0]}" if messages else ""
            raise StatusFailure(
                f"no complete answer from {self.client.server} within {within:.0f}s "
                f"(still waiting for {', '.join(waiting)}){why}",
                ExitCode.UNREACHABLE,
            )

    async def relogin(self) -> None:
        """While the server rejects us, re-read the kubeconfig now and then (`oc login`)."""
        streams = self.store.streams
        if not any(s.state == StreamState.UNAUTHORIZED for s in streams.values()):
            return
        now = self.clock()
        if now - self._last_reload < RELOAD_EVERY:
            return
        self._last_reload = now
        with contextlib.suppress(ConfigError):
            await self.client.reload()
