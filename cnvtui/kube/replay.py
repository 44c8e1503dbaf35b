"""Reading recordings back: a tolerant file reader, and a replay source for the dashboard.

`RecordingReader` reads a recording (format in `cnvtui.kube.record`) in order, chunk by
chunk, with bounded memory. A file cut off mid-write (a crash, or a recording still being
written) is not an error: the reader returns every complete event and then `problem` says
what was missing. It can also go back to a line it passed, without starting over, from the
decompressor state it keeps for recent chunks.

`ReplaySource` plays a recording as if it were the cluster: the dashboard reads `batches()`
exactly as from the live source, and `now()` gives the recorded moment being shown. It can
pause, step to the next event, change speed and seek. Seeking forward applies the events in
between at once; seeking backward needs the consumer to start over: the source calls
`restore` of the `Rewindable` it was given, either with a checkpoint it took earlier (via
`checkpoint()`, every few thousand events) or with None (start from empty), and then replays
from that point. Checkpoints are opaque here: this layer knows nothing of the state store.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import threading
import time
import zlib
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Protocol

from cnvtui.kube.events import (
    KubeEvent,
    Obj,
    ObjectChange,
    SessionNote,
    StreamState,
    StreamStatus,
)
from cnvtui.kube.record import FORMAT, NOTE_KIND, VERSION, RecordingError

__all__ = [
    "ObjectFinder",
    "Recorded",
    "RecordingInfo",
    "RecordingReader",
    "ReplaySource",
    "Rewindable",
    "decode_line",
    "scan_recording",
]

CHUNK = 1 << 16
"""Compressed bytes read at a time."""
_EVENT_PREFIX = b'{"t":'
_CHANGE_TYPES = ("ADDED", "MODIFIED", "DELETED")


@dataclass(frozen=True, slots=True)
class Recorded:
    """One event with its arrival time `t` and its line number in the file."""

    t: float
    event: KubeEvent
    line: int


def decode_line(data: bytes | str) -> tuple[float, KubeEvent] | None:
    """(t, event) of an event line; None for any other line (header, end, unknown, broken)."""
    try:
        raw = json.loads(data)
    except ValueError:
        return None
    if not isinstance(raw, dict):
        return None
    t, kind = raw.get("t"), raw.get("kind")
    if not isinstance(t, int | float) or isinstance(t, bool) or not isinstance(kind, str):
        return None
    t = float(t)
    at = raw.get("at", t)
    at = float(at) if isinstance(at, int | float) and not isinstance(at, bool) else t
    note = raw.get("note")
    if kind == NOTE_KIND and isinstance(note, dict):
        return t, SessionNote(
            at,
            str(note.get("kind") or ""),
            str(note.get("object") or ""),
            str(note.get("text") or ""),
            str(note.get("severity") or "info"),
        )
    obj = raw.get("object")
    if isinstance(obj, dict):
        change = raw.get("type")
        if change not in _CHANGE_TYPES:
            return None
        return t, ObjectChange(kind, change, obj, at)
    try:
        state = StreamState(str(raw.get("state")))
    except ValueError:
        return None
    since = raw.get("since")
    as_of = raw.get("as_of")
    return t, StreamStatus(
        kind,
        state,
        float(since) if isinstance(since, int | float) else t,
        float(as_of) if isinstance(as_of, int | float) else None,
        str(raw.get("message") or ""),
    )


def _event_time(line: bytes) -> float | None:
    """`t` of an event line, read from its prefix without parsing the whole line."""
    if not line.startswith(_EVENT_PREFIX):
        return None
    end = line.find(b",", len(_EVENT_PREFIX))
    try:
        return float(line[len(_EVENT_PREFIX) : end])
    except ValueError:
        return None


def _when(stamp: float | None) -> str:
    if stamp is None:
        return "-"
    return datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


@dataclass(slots=True)
class _Mark:
    """Where a chunk started: enough to decompress again from there."""

    offset: int
    decompressor: Any
    tail: bytes
    line: int


class _Lines:
    """Compressed chunks in, complete lines out (the sans-I/O half of the reader)."""

    def __init__(self) -> None:
        self.zip: Any = zlib.decompressobj(31)
        self.tail = b""
        self.damage = ""

    def feed(self, chunk: bytes) -> list[bytes]:
        out: list[bytes] = []
        data = chunk
        while data and not self.damage:
            try:
                out.append(self.zip.decompress(data))
            except zlib.error as exc:
                self.damage = str(exc)
                break
            data = b""
            if self.zip.eof:
                data = self.zip.unused_data
                if data:
                    self.zip = zlib.decompressobj(31)
        text = self.tail + b"".join(out)
        lines = text.split(b"\n")
        self.tail = lines.pop()
        return lines

    @property
    def finished(self) -> bool:
        """The gzip stream ended properly (not cut off)."""
        return bool(self.zip.eof) and not self.tail and not self.damage


class RecordingReader:
    """Reads one recording in order; `read(n)` gives the next events until [] at the end.

    Blocking file I/O: call it from a thread inside an event loop (as `ReplaySource` does).
    """

    def __init__(self, path: str | Path, *, chunk_size: int = CHUNK, marks_kept: int = 256) -> None:
        self.path = Path(path)
        self.header: dict[str, Any] = {}
        self.ended: dict[str, Any] | None = None
        self.events_read = 0
        self.skipped = 0
        self.last_t: float | None = None
        self._chunk_size = chunk_size
        self._handle: IO[bytes] | None = None
        self._decoder = _Lines()
        self._pending: collections.deque[bytes] = collections.deque()
        self._next_line = 0
        self._offset = 0
        self._eof = False
        self._marks: collections.deque[_Mark] = collections.deque(maxlen=marks_kept)

    # ---- opening

    def open(self) -> dict[str, Any]:
        """Open the file and read the header (RecordingError if it is not a recording)."""
        try:
            self._handle = self.path.open("rb")
        except OSError as exc:
            raise RecordingError(
                f"cannot read recording {self.path}: {exc.strerror or exc}"
            ) from None
        first = self._next_raw()
        header: Any = None
        if first is not None:
            with contextlib.suppress(ValueError):
                header = json.loads(first[1])
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            self.close()
            if self._decoder.damage:
                raise RecordingError(f"{self.path} is not a cnvtui recording (not gzip data)")
            if first is None:
                raise RecordingError(f"{self.path} is empty or was cut off before its header")
            raise RecordingError(f"{self.path} is not a cnvtui recording")
        version = header.get("version")
        if not isinstance(version, int) or version > VERSION:
            self.close()
            raise RecordingError(
                f"{self.path} is a recording of format version {version}; "
                f"this cnvtui reads version {VERSION}"
            )
        self.header = header
        return header

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def __enter__(self) -> RecordingReader:
        self.open()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # ---- lines

    def _fill(self) -> bool:
        """Decompress one more chunk; False at the end of the file."""
        if self._eof or self._handle is None:
            return False
        decoder = self._decoder
        self._marks.append(
            _Mark(
                self._offset, decoder.zip.copy(), decoder.tail, self._next_line + len(self._pending)
            )
        )
        chunk = self._handle.read(self._chunk_size)
        if not chunk:
            self._eof = True
            return False
        self._offset += len(chunk)
        self._pending.extend(decoder.feed(chunk))
        if decoder.damage:
            self._eof = True
        return True

    def _next_raw(self) -> tuple[int, bytes] | None:
        while not self._pending:
            if not self._fill():
                return None
        number = self._next_line
        self._next_line += 1
        return number, self._pending.popleft()

    def raw_lines(self) -> Iterator[tuple[int, bytes]]:
        """The remaining lines, numbered, undecoded (for searches that decode few)."""
        while (raw := self._next_raw()) is not None:
            yield raw

    @property
    def next_line(self) -> int:
        """The number of the line `read` looks at next (the header is line 0)."""
        return self._next_line

    def read(self, limit: int) -> list[Recorded]:
        """Up to `limit` further events ([] once the file is exhausted)."""
        out: list[Recorded] = []
        while len(out) < limit:
            raw = self._next_raw()
            if raw is None:
                break
            number, line = raw
            if not line.startswith(_EVENT_PREFIX):
                if line.startswith(b'{"end":'):
                    with contextlib.suppress(ValueError):
                        self.ended = json.loads(line)
                elif line.strip():
                    self.skipped += 1
                continue
            decoded = decode_line(line)
            if decoded is None:
                self.skipped += 1
                continue
            t, event = decoded
            self.last_t = t
            self.events_read += 1
            out.append(Recorded(t, event, number))
        return out

    @property
    def exhausted(self) -> bool:
        return self._eof and not self._pending

    @property
    def complete(self) -> bool:
        """The whole file was read and it ended properly."""
        return self.exhausted and self._decoder.finished

    @property
    def problem(self) -> str:
        """Once exhausted: what was wrong with the end of the file ("" if nothing)."""
        if not self.exhausted:
            return ""
        return _describe_end(self.path, self._decoder, self.events_read, self.last_t)

    # ---- going back

    def mark_at(self, line: int) -> _Mark | None:
        """The latest kept chunk mark at or before `line` (for checkpoints)."""
        return next((m for m in reversed(self._marks) if m.line <= line), None)

    def rewind_to_mark(self, mark: _Mark, line: int) -> None:
        """Continue reading at `line` starting from `mark` (taken with `mark_at`)."""
        if self._handle is None:
            raise RecordingError(f"{self.path} is closed")
        self._handle.seek(mark.offset)
        decoder = _Lines()
        decoder.zip = mark.decompressor.copy()
        decoder.tail = mark.tail
        self._decoder = decoder
        self._offset = mark.offset
        self._eof = False
        self._pending.clear()
        self._next_line = mark.line
        self._marks.clear()
        while self._next_line < line and self._next_raw() is not None:
            pass


def _describe_end(path: Path, decoder: _Lines, events: int, last_t: float | None) -> str:
    if decoder.damage:
        return (
            f"{path.name} is damaged after {events} events (up to {_when(last_t)}); "
            "replaying what comes before"
        )
    if not decoder.finished:
        return (
            f"{path.name} was cut off mid-write (a crash, or still being written): "
            f"using the {events} complete events, up to {_when(last_t)}"
        )
    return ""


@dataclass(frozen=True, slots=True)
class RecordingInfo:
    """What a quick pass over a recording found."""

    header: dict[str, Any]
    events: int
    start: float | None
    end: float | None
    complete: bool
    problem: str


class ObjectFinder:
    """Finds an object's version as last recorded before a line. The details screen asks
    again at every new version while a replay plays, so a search for the same object goes
    on from where the last one stopped instead of reading the file again; one for another
    object, or for an earlier moment, starts over. Decodes only the lines that name it."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._key: tuple[str, str, str] | None = None
        self._reader: RecordingReader | None = None
        self._lines: Iterator[tuple[int, bytes]] = iter(())
        self._held: tuple[int, bytes] | None = None  # read, but at or past the last bound
        self._next = 0
        self._found: Obj | None = None
        self._lock = threading.Lock()

    def find(self, kind: str, namespace: str, name: str, before_line: int) -> Obj | str:
        """The object whole (the recorder keeps every field), or why there is none. Runs
        in a worker thread; one search at a time (they share the reader)."""
        with self._lock:
            return self._find(kind, namespace, name, before_line)

    def _find(self, kind: str, namespace: str, name: str, before_line: int) -> Obj | str:
        key = (kind, namespace, name)
        if key != self._key or before_line < self._next or self._reader is None:
            self._drop()
            self._reader = RecordingReader(self.path)
            self._reader.open()
            self._lines = self._reader.raw_lines()
            self._key, self._next, self._found = key, 0, None
        needle = b'"name":' + json.dumps(name).encode()
        while True:
            raw = self._held or next(self._lines, None)
            self._held = None
            if raw is None:
                break
            number, line = raw
            if number >= before_line:
                self._held = raw
                break
            self._next = number + 1
            if needle in line and line.startswith(_EVENT_PREFIX):
                self._take(decode_line(line), kind, namespace, name)
        self._next = max(self._next, before_line)
        if self._found is None:
            return "not in the recording at this moment"
        return self._found

    def _take(
        self, decoded: tuple[float, KubeEvent] | None, kind: str, namespace: str, name: str
    ) -> None:
        if decoded is None or not isinstance(decoded[1], ObjectChange):
            return
        change = decoded[1]
        md = change.obj.get("metadata") or {}
        if (
            change.kind == kind
            and md.get("name") == name
            and (md.get("namespace") or "") == namespace
        ):
            self._found = None if change.type == "DELETED" else change.obj

    def close(self) -> None:
        with self._lock:
            self._drop()

    def _drop(self) -> None:
        if self._reader is not None:
            self._reader.close()
        self._reader, self._lines, self._held = None, iter(()), None


def scan_recording(path: str | Path) -> RecordingInfo:
    """Count the events and find the time span of a recording, without parsing objects."""
    reader = RecordingReader(path)
    header = reader.open()
    try:
        events, first, last = 0, None, None
        while True:
            raw = reader._next_raw()
            if raw is None:
                break
            t = _event_time(raw[1])
            if t is None:
                continue
            events += 1
            first = t if first is None else first
            last = t
        decoder = reader._decoder
        complete = decoder.finished
        problem = _describe_end(reader.path, decoder, events, last)
    finally:
        reader.close()
    started = header.get("started")
    if first is None and isinstance(started, int | float):
        first = last = float(started)
    return RecordingInfo(header, events, first, last, complete, problem)


class Rewindable(Protocol):
    """The consumer's side of seeking backward: take and restore its own state."""

    def checkpoint(self) -> object:
        """A copy of everything built from the events applied so far."""
        ...

    def restore(self, state: object | None) -> None:
        """Go back to a checkpoint (None: to the empty state before the first event)."""
        ...


@dataclass(slots=True)
class _Checkpoint:
    line: int
    """The first line not yet applied when it was taken."""
    last_t: float
    """The time of the last event applied."""
    mark: _Mark
    state: object


class ReplaySource:
    """A recording played back as an event source, with pause, step, speed and seek.

    Consumers must apply each batch before asking for the next (the dashboard does): the
    source takes checkpoints between batches.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        speed: float = 1.0,
        paused: bool = False,
        rewindable: Rewindable | None = None,
        checkpoint_every: int = 5000,
        max_checkpoints: int = 48,
        batch_size: int = 2000,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = Path(path)
        self.rewindable = rewindable
        self.info: RecordingInfo | None = None
        self.rewinds = 0
        self._speed = max(0.0, speed)
        self._paused = paused
        self._monotonic = monotonic
        self._checkpoint_every = checkpoint_every
        self._max_checkpoints = max_checkpoints
        self._batch_size = batch_size
        self._reader: RecordingReader | None = None
        self._io = asyncio.Lock()
        self._opening = asyncio.Lock()
        self._buffer: collections.deque[Recorded] = collections.deque()
        self._pos = 0.0
        self._anchor = monotonic()
        self._applied_t: float | None = None
        self._applied_line = 1
        self._since_checkpoint = 0
        self._checkpoints: list[_Checkpoint] = []
        self._changed = asyncio.Event()
        self._want_step = False
        self._want_seek: float | None = None
        self._closed = False
        self._finder = ObjectFinder(self.path)

    # ---- opening and facts

    async def open(self) -> RecordingInfo:
        """Scan the recording (its span, whether it is complete) and get ready to play."""
        async with self._opening:
            if self.info is not None:
                return self.info
            info = await asyncio.to_thread(scan_recording, self.path)
            reader = RecordingReader(self.path)
            await asyncio.to_thread(reader.open)
            self._reader, self.info = reader, info
            self._pos = info.start or 0.0
            self._anchor = self._monotonic()
            return info

    @property
    def start(self) -> float:
        return self.info.start or 0.0 if self.info else 0.0

    @property
    def end(self) -> float:
        return self.info.end or 0.0 if self.info else 0.0

    @property
    def note(self) -> str:
        """What is wrong with the file, for the user ("" when it is complete)."""
        return self.info.problem if self.info else ""

    @property
    def hco_namespace(self) -> str | None:
        value = self.info.header.get("hco_namespace") if self.info else None
        return value if isinstance(value, str) and value else None

    @property
    def cluster(self) -> dict[str, str]:
        raw = self.info.header.get("cluster") if self.info else None
        return {str(k): str(v) for k, v in raw.items()} if isinstance(raw, dict) else {}

    # ---- the clock

    def now(self) -> float:
        """The recorded moment being shown."""
        if self._paused or not self._speed:
            return self._pos
        moved = self._pos + (self._monotonic() - self._anchor) * self._speed
        return min(moved, max(self.end, self._pos))

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def speed(self) -> float:
        return self._speed

    @property
    def at_end(self) -> bool:
        reader = self._reader
        exhausted = reader is None or reader.exhausted
        return self.info is not None and self.now() >= self.end and exhausted and not self._buffer

    def _rebase(self) -> None:
        self._pos = self.now()
        self._anchor = self._monotonic()

    def _poke(self) -> None:
        self._changed.set()

    def pause(self) -> None:
        self._rebase()
        self._paused = True
        self._poke()

    def resume(self) -> None:
        if self.info is not None and self.now() >= self.end:
            self.seek(self.start)
        self._rebase()
        self._paused = False
        self._poke()

    def toggle_pause(self) -> None:
        if self._paused:
            self.resume()
        else:
            self.pause()

    def set_speed(self, speed: float) -> None:
        self._rebase()
        self._speed = max(0.0, speed)
        self._poke()

    def step(self) -> None:
        """Pause and move to the next recorded moment (all events that arrived together)."""
        self.pause()
        self._want_step = True
        self._poke()

    def seek(self, when: float) -> None:
        """Show the recorded moment `when` (clamped to the recording's span).

        Without a `rewindable`, the source cannot go back before what it already emitted.
        """
        when = min(max(when, self.start), self.end)
        if self.rewindable is None and self._applied_t is not None:
            when = max(when, self._applied_t)
        self._anchor = self._monotonic()
        self._pos = when
        self._want_seek = when
        self._poke()

    # ---- reading

    async def _fetch(self) -> bool:
        """Read more events into the buffer; False when the file has no more."""
        reader = self._reader
        if reader is None:
            return False
        async with self._io:
            got = await asyncio.to_thread(reader.read, self._batch_size)
        self._buffer.extend(got)
        return bool(got)

    async def _peek(self) -> Recorded | None:
        if not self._buffer and not await self._fetch():
            return None
        return self._buffer[0] if self._buffer else None

    async def _rewind(self, when: float) -> None:
        """Go back so that exactly the events up to `when` will be emitted again."""
        reader = self._reader
        if reader is None:
            return
        usable = [c for c in self._checkpoints if c.last_t <= when]
        checkpoint = usable[-1] if usable and self.rewindable is not None else None
        self._checkpoints = [c for c in self._checkpoints if c.last_t <= when]
        self.rewinds += 1
        if self.rewindable is not None:
            self.rewindable.restore(checkpoint.state if checkpoint else None)
        self._buffer.clear()
        async with self._io:
            if checkpoint is not None:
                await asyncio.to_thread(reader.rewind_to_mark, checkpoint.mark, checkpoint.line)
                self._applied_line, self._applied_t = checkpoint.line, checkpoint.last_t
            else:
                fresh = RecordingReader(self.path)
                await asyncio.to_thread(fresh.open)
                reader.close()
                self._reader = fresh
                self._applied_line, self._applied_t = 1, None
        self._since_checkpoint = 0

    def _maybe_checkpoint(self) -> None:
        reader = self._reader
        if (
            self.rewindable is None
            or reader is None
            or self._applied_t is None
            or self._since_checkpoint < self._checkpoint_every
        ):
            return
        mark = reader.mark_at(self._applied_line)
        if mark is None:
            return
        self._since_checkpoint = 0
        state = self.rewindable.checkpoint()
        self._checkpoints.append(_Checkpoint(self._applied_line, self._applied_t, mark, state))
        if len(self._checkpoints) > self._max_checkpoints:
            # Thin the older half, so checkpoints stay spread over the whole recording.
            half = len(self._checkpoints) // 2
            self._checkpoints = self._checkpoints[:half:2] + self._checkpoints[half:]

    async def batches(self) -> AsyncIterator[Sequence[KubeEvent]]:
        """The events due at the shown moment, as it moves; forever, until closed."""
        await self.open()
        while not self._closed:
            self._changed.clear()
            seek = self._want_seek
            if seek is not None:
                self._want_seek = None
                if self._applied_t is not None and self._applied_t > seek:
                    await self._rewind(seek)
            if self._want_step:
                self._want_step = False
                head = await self._peek()
                if head is not None:
                    self._pos = max(self._pos, head.t)
            target = self.now()
            due: list[Recorded] = []
            while len(due) < self._batch_size:
                head = await self._peek()
                if head is None or head.t > target:
                    break
                due.append(self._buffer.popleft())
            if due:
                self._applied_t = due[-1].t
                self._applied_line = due[-1].line + 1
                self._since_checkpoint += len(due)
                yield [r.event for r in due]
                self._maybe_checkpoint()
                continue
            await self._wait(await self._peek())

    async def _wait(self, head: Recorded | None) -> None:
        timeout: float | None = None
        if head is not None and not self._paused and self._speed:
            timeout = min(1.0, max(0.0, (head.t - self.now()) / self._speed))
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self._changed.wait()

    fetched_title = "YAML (whole, as recorded at the moment shown)"
    """What the details screen calls an object from `fetch_object`."""

    async def fetch_object(self, kind: str, namespace: str, name: str) -> Obj | str:
        """The object whole, as recorded at the moment shown (the store keeps some kinds
        slimmed, the recording does not), or why not."""
        if self.info is None:
            return "the recording is not open yet"
        before = self._applied_line
        try:
            return await asyncio.to_thread(self._finder.find, kind, namespace, name, before)
        except (OSError, RecordingError) as exc:
            await asyncio.to_thread(self._finder.close)
            return str(exc)

    no_events_note = "A recording holds no Events (cnvtui does not watch them)."
    """What the details screen says instead of an empty Events list."""

    async def related_events(self, kind: str, namespace: str, name: str) -> list[Obj]:
        """Recordings hold no core Events."""
        return []

    async def close(self) -> None:
        self._closed = True
        self._poke()
        await asyncio.to_thread(self._finder.close)
        if self._reader is not None:
            async with self._io:
                self._reader.close()
