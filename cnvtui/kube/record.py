"""Recording watch events to a file, so a session can be replayed (and rehearsed) later.

The file format, version 1 (`cnvtui.sim.loadfrom` parses it on its own, so keep it simple):

- One gzip stream (RFC 1952) of UTF-8 JSON Lines. The writer ends a gzip "sync flush" block
  at least once a second, so a reader can decompress everything up to the last flush of a
  file that was cut off by a crash or is still being written; it drops the partial last line.
- Line 1, the header::

      {"format": "cnvtui-recording", "version": 1, "started": 1714557600.0,
       "cnvtui": "0.1.0", "cluster": {"context": "...", "server": "https://...", "user": "..."},
       "hco_namespace": "openshift-cnv" | null,
       "kinds": {"csv": {"apiVersion": "operators.coreos.com/v1alpha1",
                         "kind": "ClusterServiceVersion"}, "node": {...}, ...}}

  `kinds` maps each stream key to the real resource, which matters for metadata-only
  streams (nodes), whose objects are `PartialObjectMetadata`.
- Then one line per watch event, in arrival order, `t` (epoch seconds) never decreasing and
  always the first key (`{"t":` starts every event line):

      {"t": 1714557601.25, "kind": "vmi", "type": "MODIFIED", "object": {...}}
      {"t": 1714557602.5, "kind": "vmi", "state": "reconnecting", "since": 1714557602.5,
       "as_of": 1714557590.0, "message": "cannot connect to the API server"}

  An object change carries `type` and `object` (a DELETED object may be a tombstone with
  metadata only) and, only when it differs from `t`, the event's own time `at`. A stream
  state change carries `state`, `since`, `as_of` and `message` (see `cnvtui.kube.events`).
  What the session itself did (the outcome of a write) is a note, kind `session`:

      {"t": 1714557700.0, "kind": "session", "note": {"kind": "action",
       "object": "installplan openshift-cnv/install-abcde", "text": "...",
       "severity": "info"}}

  Like an object change, a note carries its own time `at` when that differs from `t`.
- The last line of a recording that was closed cleanly: `{"end": 1714561200.0, "events": 1234}`.

Readers skip lines they do not understand and keys they do not know.

Secrets never reach the file: Secret `data`/`stringData`, string fields whose name says
password/token/secret/credential/private key or cloud-init `userData`, bearer tokens,
OpenShift `sha256~` tokens and JWTs anywhere in a string, and the session's own credentials
(the `redact` function the client provides) are replaced by "<redacted>".
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import time
import zlib
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO, Any, Protocol, TypeVar

from cnvtui import __version__
from cnvtui.kube.errors import REDACTED
from cnvtui.kube.events import KubeEvent, Obj, ObjectChange, SessionNote, StreamStatus
from cnvtui.kube.resources import ALL

_T = TypeVar("_T")

__all__ = [
    "FORMAT",
    "VERSION",
    "EventSource",
    "Recorder",
    "RecordingError",
    "RecordingSource",
    "encode_event",
    "scrub",
]

NOTE_KIND = "session"
"""The `kind` of a recording line that holds a `SessionNote` (no stream has this key)."""

FORMAT = "cnvtui-recording"
VERSION = 1
FLUSH_INTERVAL = 1.0
"""Seconds between gzip sync flushes: a crash loses at most this much."""
YIELD_EVERY = 200
MAX_BUFFER = 4 << 20
"""Compressed bytes held before the writer waits for the disk (bounded memory)."""

_SECRET_KEY = re.compile(
    r"password|passwd|token|secret|credential|api_?key|private_?key|userdata|key[-_]?data",
    re.IGNORECASE,
)
_HARMLESS_SUFFIXES = ("name", "ref", "file", "path", "namespace", "names", "refs")
_SECRET_VALUE = re.compile(
    r"sha256~[A-Za-z0-9_\-]{16,}"
    r"|eyJ[A-Za-z0-9_\-]{4,}\.eyJ[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{8,}"
    r"|(?<=[Bb]earer )[A-Za-z0-9._~+/\-]{8,}=*"
    r"|(?<=BEARER )[A-Za-z0-9._~+/\-]{8,}=*"
)
_VALUE_HINTS = ("sha256~", "eyJ", "earer ", "EARER ")


class RecordingError(Exception):
    """A recording cannot be written or read; the message is one line for the user."""


_verdicts: dict[str, bool] = {}


def _secret_key(key: str) -> bool:
    """Whether a field named `key` holds a credential (memoised: field names repeat)."""
    verdict = _verdicts.get(key)
    if verdict is None:
        found = _SECRET_KEY.search(key) is not None
        verdict = found and not key.lower().endswith(_HARMLESS_SUFFIXES)
        if len(_verdicts) > 50_000:
            _verdicts.clear()
        _verdicts[key] = verdict
    return verdict


def _scrub_value(value: Any) -> Any:
    """`value` with secret-named string fields redacted; unchanged parts are not copied."""
    kind = type(value)
    if kind is dict:
        out: dict[str, Any] | None = None
        for key, item in value.items():
            item_kind = type(item)
            if item_kind is str:
                if not item or not _secret_key(key):
                    continue
                new: Any = REDACTED
            elif item_kind is dict or item_kind is list:
                new = _scrub_value(item)
                if new is item:
                    continue
            else:
                continue
            if out is None:
                out = dict(value)
            out[key] = new
        return value if out is None else out
    if kind is list:
        items: list[Any] | None = None
        for index, item in enumerate(value):
            if type(item) is dict or type(item) is list:
                new = _scrub_value(item)
                if new is not item:
                    if items is None:
                        items = list(value)
                    items[index] = new
        return value if items is None else items
    return value


def scrub(obj: Obj) -> Obj:
    """A copy of `obj` fit to be written down (the original is never changed).

    Secrets lose every value of `data` and `stringData`; other objects lose the string
    values of fields whose names say they hold credentials.
    """
    if obj.get("kind") == "Secret":
        obj = dict(obj)
        for field in ("data", "stringData"):
            values = obj.get(field)
            if isinstance(values, dict):
                obj[field] = dict.fromkeys(values, REDACTED)
    return _scrub_value(obj)  # type: ignore[no-any-return]


def redact_text(text: str) -> str:
    """`text` with bearer tokens, `sha256~` tokens and JWTs replaced."""
    if any(hint in text for hint in _VALUE_HINTS):
        return _SECRET_VALUE.sub(REDACTED, text)
    return text


def encode_event(event: KubeEvent, t: float) -> dict[str, Any]:
    """The JSON line (as a dict) for `event` arriving at `t` (secrets not yet removed)."""
    if isinstance(event, ObjectChange):
        line: dict[str, Any] = {
            "t": t,
            "kind": event.kind,
            "type": event.type,
            "object": scrub(event.obj),
        }
        if event.at != t:
            line["at"] = event.at
        return line
    if isinstance(event, SessionNote):
        note: dict[str, Any] = {
            "t": t,
            "kind": NOTE_KIND,
            "note": {
                "kind": event.kind,
                "object": event.obj,
                "text": event.text,
                "severity": event.severity,
            },
        }
        if event.at != t:  # t never goes back; the note keeps the moment the action ended
            note["at"] = event.at
        return note
    return {
        "t": t,
        "kind": event.kind,
        "state": event.state.value,
        "since": event.since,
        "as_of": event.as_of,
        "message": event.message,
    }


def _dumps(line: Mapping[str, Any]) -> str:
    return json.dumps(line, separators=(",", ":"), allow_nan=False, default=str)


def _open_new(path: Path) -> IO[bytes]:
    try:
        if path.exists() and path.stat().st_size > 0:
            raise RecordingError(f"{path} already exists; record to a new file")
        # Readable by the user only: a recording holds the cluster's objects.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)
        return os.fdopen(fd, "wb")
    except OSError as exc:
        raise RecordingError(f"cannot write recording {path}: {exc.strerror or exc}") from None


def _write(handle: IO[bytes], data: bytes, sync: bool) -> None:
    handle.write(data)
    handle.flush()
    if sync:
        os.fsync(handle.fileno())


class Recorder:
    """Appends watch events to a new recording file: streaming, compressed, flushed.

    `record_batch` compresses in memory (cheap); the disk is written from a worker thread once
    a second and whenever more than `max_buffer` compressed bytes wait, so memory stays
    bounded and the event loop never blocks on the disk. If writing fails (disk full), the
    recording stops, `error` says why, and the caller's session carries on.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        cluster: Mapping[str, str] | None = None,
        hco_namespace: str | None = None,
        redact: Callable[[str], str] | None = None,
        flush_interval: float = FLUSH_INTERVAL,
        max_buffer: int = MAX_BUFFER,
        clock: Callable[[], float] = time.time,
        fsync: bool = True,
    ) -> None:
        self.path = Path(path)
        self.cluster = dict(cluster or {})
        self.hco_namespace = hco_namespace
        self.events = 0
        self.error = ""
        self._redact = redact
        self._flush_interval = flush_interval
        self._max_buffer = max_buffer
        self._clock = clock
        self._fsync = fsync
        self._handle: IO[bytes] | None = None
        self._zip = zlib.compressobj(3, zlib.DEFLATED, 31)
        self._out: list[bytes] = []
        self._out_size = 0
        self._dirty = False
        self._last_t = float("-inf")
        self._lock = asyncio.Lock()
        # One thread writes, in the order the blocks were made. A write whose awaiting task
        # is cancelled (the ticker, at close) may not have started yet; in a pool of threads
        # the next block could then reach the file first and spoil the gzip stream.
        self._disk = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cnvtui-record")
        self._ticker: asyncio.Task[None] | None = None
        self._closed = False

    @property
    def active(self) -> bool:
        """Open, and no write has failed."""
        return self._handle is not None and not self.error and not self._closed

    async def open(self) -> None:
        """Create the file (never overwriting a recording) and write the header."""
        if self._handle is not None:
            return
        try:
            self._handle = await self._on_disk(_open_new, self.path)
        except RecordingError:
            self._disk.shutdown(wait=False)
            raise
        header = {
            "format": FORMAT,
            "version": VERSION,
            "started": self._clock(),
            "cnvtui": __version__,
            "cluster": self.cluster,
            "hco_namespace": self.hco_namespace,
            "kinds": {r.key: {"apiVersion": r.api_version, "kind": r.kind} for r in ALL},
        }
        self._add_line(_dumps(header))
        await self.flush()
        self._ticker = asyncio.create_task(self._tick(), name="recording-flush")

    def _add_line(self, text: str) -> None:
        if self._redact is not None:
            text = self._redact(text)
        data = self._zip.compress(redact_text(text).encode() + b"\n")
        if data:
            self._out.append(data)
            self._out_size += len(data)
        self._dirty = True

    def record(self, event: KubeEvent) -> None:
        """Add one event (in memory; the ticker writes it within a second)."""
        if not self.active:
            return
        own = event.since if isinstance(event, StreamStatus) else event.at
        t = max(own, self._last_t)
        self._last_t = t
        self._add_line(_dumps(encode_event(event, t)))
        self.events += 1

    async def record_batch(self, events: Iterable[KubeEvent]) -> None:
        """Add events; waits for the disk only when too much is buffered. Gives the event
        loop a turn every few hundred events, so a burst does not freeze the dashboard."""
        for count, event in enumerate(events, 1):
            self.record(event)
            if count % YIELD_EVERY == 0:
                await asyncio.sleep(0)
        if self._out_size > self._max_buffer:
            await self.flush()

    async def flush(self) -> None:
        """Write everything recorded so far, ending a gzip sync-flush block."""
        async with self._lock:
            await self._flush(zlib.Z_SYNC_FLUSH)

    async def _flush(self, mode: int) -> None:
        handle = self._handle
        if handle is None or self.error or (not self._dirty and mode == zlib.Z_SYNC_FLUSH):
            return
        self._out.append(self._zip.flush(mode))
        data = b"".join(self._out)
        self._out, self._out_size, self._dirty = [], 0, False
        try:
            await self._on_disk(_write, handle, data, self._fsync)
        except OSError as exc:
            self.error = f"recording to {self.path} stopped: {exc.strerror or exc}"

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(self._flush_interval)
            await self.flush()

    async def close(self) -> None:
        """Write the end line, finish the gzip stream and close the file."""
        if self._closed:
            return
        self._closed = True
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
        handle = self._handle
        if handle is None:
            return
        async with self._lock:
            if not self.error:
                self._add_line(
                    _dumps({"end": max(self._clock(), self._last_t), "events": self.events})
                )
                await self._flush(zlib.Z_FINISH)
            with contextlib.suppress(OSError):
                await self._on_disk(handle.close)
        self._disk.shutdown(wait=False)

    async def _on_disk(self, call: Callable[..., _T], *args: Any) -> _T:
        return await asyncio.get_running_loop().run_in_executor(self._disk, call, *args)

    async def __aenter__(self) -> Recorder:
        await self.open()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()


class EventSource(Protocol):
    """What the dashboard and `status --watch` read: the same shape as the UI's source."""

    def batches(self) -> AsyncIterator[Sequence[KubeEvent]]: ...

    async def related_events(self, kind: str, namespace: str, name: str) -> list[Obj]: ...

    async def close(self) -> None: ...


class RecordingSource:
    """A source that records every batch of another before handing it on (`--record`)."""

    def __init__(self, inner: EventSource, recorder: Recorder) -> None:
        self.inner = inner
        self.recorder = recorder

    async def batches(self) -> AsyncIterator[Sequence[KubeEvent]]:
        await self.recorder.open()
        async for batch in self.inner.batches():
            await self.recorder.record_batch(batch)
            yield batch

    async def related_events(self, kind: str, namespace: str, name: str) -> list[Obj]:
        return await self.inner.related_events(kind, namespace, name)

    def __getattr__(self, name: str) -> Any:
        """Whatever else the recorded source offers (such as `reload`) is its own."""
        return getattr(self.inner, name)

    async def close(self) -> None:
        try:
            await self.inner.close()
        finally:
            await self.recorder.close()
