"""`cnvtui status --replay FILE --at TIME`: the status as it was at a moment of a recording.

The recording's events up to TIME are applied to a fresh store, in order, exactly as the
live session applied them, and the picture is built for TIME. With `--watch`, the lines
`status --watch` would have printed are printed from the recording, up to TIME. A recording
that was cut off mid-write is used up to its last complete event, and a note says so.
"""

from __future__ import annotations

from typing import TextIO

from cnvtui.exitcodes import ExitCode, StatusFailure
from cnvtui.kube.record import RecordingError
from cnvtui.kube.replay import RecordingReader, scan_recording
from cnvtui.report.formats import Source, stamp
from cnvtui.report.status import Printer, StatusOptions
from cnvtui.report.timeparse import parse_at
from cnvtui.report.watching import Watcher
from cnvtui.state.picture import build_picture
from cnvtui.state.store import Store
from cnvtui.state.text import safe_text

__all__ = ["run_replay", "state_at"]

_READ = 5000


def state_at(path: str, when: float, *, namespace: str | None = None) -> Store:
    """What the recording at `path` knew at `when`, in a store (RecordingError: unreadable)."""
    store, _ = _replay(path, when, namespace, None, None)
    return store


def _replay(
    path: str,
    when: float,
    namespace: str | None,
    watcher: Watcher | None,
    printer: Printer | None,
) -> tuple[Store, RecordingReader]:
    reader = RecordingReader(path)
    header = reader.open()
    try:
        recorded_ns = header.get("hco_namespace")
        ns = namespace or (recorded_ns if isinstance(recorded_ns, str) else None)
        store = Store(ns)
        second: int | None = None
        done = False
        while not done:
            batch = reader.read(_READ)
            if not batch:
                break
            for item in batch:
                if item.t > when:
                    done = True
                    break
                if watcher is not None and second is not None and int(item.t) != second:
                    _observe(store, float(second), watcher, printer)
                second = int(item.t)
                store.apply(item.event)
        if watcher is not None and second is not None:
            _observe(store, float(second), watcher, printer)
    finally:
        reader.close()
    return store, reader


def _observe(store: Store, when: float, watcher: Watcher, printer: Printer | None) -> None:
    picture = build_picture(store, when)
    changes = watcher.observe(picture)
    if changes is not None and printer is not None:
        printer.line(picture, changes)


def run_replay(options: StatusOptions, out: TextIO, err: TextIO) -> int:
    """Print the recorded status at `options.at` (default: the end of the recording)."""
    path = options.replay or ""
    try:
        info = scan_recording(path)
    except RecordingError as exc:
        raise StatusFailure(str(exc), ExitCode.RECORDING) from None
    start = info.start or 0.0
    end = info.end or start
    try:
        when = parse_at(options.at or "end", start, end)
    except ValueError as exc:
        raise StatusFailure(str(exc), ExitCode.USAGE) from None
    notes = [info.problem] if info.problem else []
    if when < start:
        notes.append(f"{options.at} is before the recording starts ({stamp(start)})")
    elif when > end:
        notes.append(f"{options.at} is after the last recorded event ({stamp(end)})")
    cluster = info.header.get("cluster")
    cluster = cluster if isinstance(cluster, dict) else {}
    recorded_ns = info.header.get("hco_namespace")
    namespace = options.namespace or (recorded_ns if isinstance(recorded_ns, str) else "")
    source = Source(
        "recording",
        context=str(cluster.get("context") or ""),
        server=str(cluster.get("server") or ""),
        namespace=namespace,
        recording=path,
        note="; ".join(notes),
    )
    printer = Printer(options, source, out)
    watcher = Watcher(options.interval) if options.watch else None
    try:
        store, _ = _replay(path, when, options.namespace, watcher, printer)
    except RecordingError as exc:
        raise StatusFailure(str(exc), ExitCode.RECORDING) from None
    if not options.watch:
        printer.status(build_picture(store, when))
    for note in notes:
        err.write(f"cnvtui status: note: {safe_text(note, 400)}\n")
    err.flush()
    return ExitCode.OK
