"""Run one list+watch stream per kind as tasks and merge their events for the app.

The backlog is bounded: if the consumer falls behind by `max_pending` events, the streams
stop reading and TCP pushes back on the server, instead of memory growing without limit.
The streams hand over whole batches (a list page, a chunk read) and `batches()` hands out
everything waiting at once, so the per-event cost of the hop is a deque append and pop,
and the state layer can apply a burst in one go.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Iterable
from dataclasses import dataclass

from cnvtui.kube.client import KubeClient
from cnvtui.kube.events import KubeEvent, StreamStatus
from cnvtui.kube.gc_tuning import tune_for_streams
from cnvtui.kube.projection import Projection
from cnvtui.kube.resources import ResourceKind
from cnvtui.kube.settings import DEFAULT_SETTINGS, WatchSettings
from cnvtui.kube.watch import ListWatch


@dataclass(frozen=True, slots=True)
class StreamSpec:
    """What one stream watches, and optionally how each object is shrunk on arrival (see
    `cnvtui.kube.watch`): the consumer's keep-only-what-is-read, applied before the full
    object is ever queued."""

    kind: ResourceKind
    namespace: str | None = None
    label_selector: str | None = None
    field_selector: str | None = None
    metadata_only: bool = False
    projection: Projection | None = None


class WatchHub:
    """The streams of one dashboard session, merged into one ordered-per-kind feed."""

    def __init__(
        self,
        client: KubeClient,
        specs: Iterable[StreamSpec],
        *,
        settings: WatchSettings = DEFAULT_SETTINGS,
        max_pending: int = 50_000,
    ) -> None:
        self.client = client
        self.specs = tuple(specs)
        self.settings = settings
        self.max_pending = max_pending
        self.statuses: dict[str, StreamStatus] = {}
        self._pending: deque[KubeEvent] = deque()
        self._arrived = asyncio.Event()
        self._room = asyncio.Event()
        self._room.set()
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        """Start every stream (idempotent); see `gc_tuning` for why the GC is tuned here."""
        if self._tasks:
            return
        tune_for_streams()
        for spec in self.specs:
            name = f"watch-{spec.kind.key}-{spec.namespace or 'all'}"
            self._tasks.append(asyncio.create_task(self._pump(spec), name=name))

    async def stop(self) -> None:
        """Cancel every stream and wait until their connections are closed."""
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _pump(self, spec: StreamSpec) -> None:
        stream = ListWatch(
            self.client,
            spec.kind,
            namespace=spec.namespace,
            label_selector=spec.label_selector,
            field_selector=spec.field_selector,
            metadata_only=spec.metadata_only,
            projection=spec.projection,
            settings=self.settings,
        ).batches()
        pending = self._pending
        async with contextlib.aclosing(stream):
            async for events in stream:
                first = events[0]
                if isinstance(first, StreamStatus):
                    self.statuses[first.kind] = first
                while len(pending) >= self.max_pending:
                    self._room.clear()
                    await self._room.wait()
                pending.extend(events)
                self._arrived.set()

    async def _take(self, max_size: int) -> list[KubeEvent]:
        """At least one waiting event, at most `max_size`, oldest first."""
        pending = self._pending
        while not pending:
            self._arrived.clear()
            await self._arrived.wait()
        if len(pending) <= max_size:
            batch = list(pending)
            pending.clear()
        else:
            popleft = pending.popleft
            batch = [popleft() for _ in range(max_size)]
        if len(pending) < self.max_pending:
            self._room.set()
        return batch

    async def get(self) -> KubeEvent:
        """The next event from any stream."""
        return (await self._take(1))[0]

    async def batches(self, max_size: int = 5_000) -> AsyncGenerator[list[KubeEvent], None]:
        """Everything waiting (at least one event, at most `max_size`), forever."""
        while True:
            yield await self._take(max_size)

    def __aiter__(self) -> AsyncIterator[KubeEvent]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[KubeEvent]:
        while True:
            yield await self.get()

    async def __aenter__(self) -> WatchHub:
        self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()
