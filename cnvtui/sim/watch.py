"""Watch streams over HTTP: one JSON event per line, chunked, as the apiserver sends them.

A watch from a resourceVersion older than the history answers 200 with a single ERROR event
carrying a 410 Expired Status, as a real server does. `timeoutSeconds` ends the stream
(without it, a random 30-60 minutes, like the apiserver's default); `allowWatchBookmarks`
adds BOOKMARK events every `bookmark_interval` seconds and whenever the store is asked for
them. Events waiting for a client are written in one chunk.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
from dataclasses import dataclass

from aiohttp import web

from cnvtui.sim import media
from cnvtui.sim.errors import ApiError, bad_request, internal
from cnvtui.sim.routing import ResourceRequest
from cnvtui.sim.store import INITIAL_END, Item, Store, Watch

log = logging.getLogger(__name__)

_TRUE = ("true", "1")
# How often an idle stream checks that its client is still connected.
_LIVENESS_CHECK = 5.0
_TYPES = {t: t.encode() for t in ("ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR")}


def _event(type_: str, obj: bytes) -> bytes:
    return b'{"type":"' + _TYPES[type_] + b'","object":' + obj + b"}\n"


class WatchStreams:
    """Serves watch requests and keeps track of the open ones (to drop them on demand)."""

    def __init__(self, store: Store, *, bookmark_interval: float = 60.0) -> None:
        self.store = store
        self.bookmark_interval = bookmark_interval
        self.open: dict[Watch, web.Request] = {}

    def close_all(self, *, abort: bool = False) -> int:
        """End every open watch stream (fault control); returns how many. `abort` resets
        the connections instead, as a crashing apiserver would."""
        watches = list(self.open.items())
        for w, request in watches:
            if abort and request.transport is not None:
                request.transport.abort()
            w.close()
        return len(watches)

    def silence_all(self) -> int:
        """Make every open watch go quiet without closing (fault control: a half-open
        link); returns how many. The connections stay up until the client gives up."""
        watches = list(self.open)
        for w in watches:
            w.silence()
        return len(watches)

    async def serve(
        self, request: web.Request, req: ResourceRequest, out: media.Output
    ) -> web.StreamResponse:
        q = request.query
        timeout = _timeout(q.get("timeoutSeconds"))
        include = media.check_include(q.get("includeObject")) if out.kind == media.TABLE else ""
        field_selector = q.get("fieldSelector") or ""
        if req.name is not None:
            pinned = f"metadata.name={req.name}"
            field_selector = f"{field_selector},{pinned}" if field_selector else pinned
        allow_bookmarks = (q.get("allowWatchBookmarks") or "").lower() in _TRUE
        initial = (q.get("sendInitialEvents") or "").lower() in _TRUE
        error: ApiError | None = None
        watch: Watch | None = None
        try:
            watch = self.store.watch(
                req.group,
                req.plural,
                req.namespace,
                resource_version=q.get("resourceVersion"),
                label_selector=q.get("labelSelector"),
                field_selector=field_selector or None,
                allow_bookmarks=allow_bookmarks,
                send_initial_events=initial,
            )
        except ApiError as exc:
            if exc.code not in (410, 504):
                raise
            error = exc
        response = web.StreamResponse(
            status=200,
            headers={"Content-Type": "application/json", "Cache-Control": "no-cache, private"},
        )
        response.enable_chunked_encoding()
        await response.prepare(request)
        if error is not None or watch is None:
            assert error is not None
            with contextlib.suppress(ConnectionError):
                await response.write(_event("ERROR", media.dumps(error.status())))
                await response.write_eof()
            return response
        self.open[watch] = request
        stream = _Stream(self.store, request, response, watch, req, out, include)
        interval = self.bookmark_interval if allow_bookmarks else math.inf
        try:
            await stream.run(deadline_in=timeout, bookmark_every=interval)
            await response.write_eof()
        except ConnectionError:
            pass
        except Exception as exc:  # the headers are out: end the stream with an ERROR event
            log.exception("watch stream of %s failed", req.rbac_resource)
            with contextlib.suppress(ConnectionError, RuntimeError):
                error = internal(f"{type(exc).__name__}: {exc}")
                await response.write(_event("ERROR", media.dumps(error.status())))
                await response.write_eof()
        finally:
            watch.close()
            self.open.pop(watch, None)
        return response


@dataclass
class _Stream:
    """One open watch connection."""

    store: Store
    request: web.Request
    response: web.StreamResponse
    watch: Watch
    req: ResourceRequest
    out: media.Output
    include: str
    headers: bool = True  # a Table stream sends column definitions with its first row only

    async def run(self, *, deadline_in: float, bookmark_every: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + deadline_in
        interval = bookmark_every if bookmark_every > 0 else math.inf
        next_bookmark = loop.time() + interval
        while True:
            now = loop.time()
            if now >= deadline:
                return
            if now >= next_bookmark:
                self.watch.bookmark(self.store.resource_version)
                next_bookmark = now + interval
            wake = min(deadline, next_bookmark, now + _LIVENESS_CHECK)
            try:
                items = await asyncio.wait_for(self.watch.batch(), wake - now)
            except TimeoutError:
                transport = self.request.transport
                if transport is None or transport.is_closing():
                    return
                continue
            if items is None:
                return
            await self.response.write(self._encode(items))

    def _encode(self, items: list[Item]) -> bytes:
        rdef, version, out = self.req.rdef, self.req.version, self.out
        lines: list[bytes] = []
        now = self.store.now() if out.kind == media.TABLE else None
        for type_, entry, rv in items:
            if entry is None:
                lines.append(_event("BOOKMARK", self._bookmark(rv, type_ == INITIAL_END)))
                continue
            if now is not None:
                obj = media.table_body(
                    rdef,
                    version,
                    out,
                    [entry],
                    include=self.include,
                    now=now,
                    resource_version=entry.resource_version,
                    headers=self.headers,
                )
                self.headers = False
            elif out.kind == media.POM:
                obj = media.partial_metadata(entry, out.meta_version)
            else:
                obj = media.object_json(rdef, entry, version)
            lines.append(_event(type_, obj))
        return b"".join(lines)

    def _bookmark(self, rv: int, initial_end: bool) -> bytes:
        req, out = self.req, self.out
        meta: dict[str, object] = {"resourceVersion": str(rv)}
        if initial_end:
            meta["annotations"] = {"k8s.io/initial-events-end": "true"}
        if out.kind == media.TABLE:
            return media.dumps(
                {
                    "kind": "Table",
                    "apiVersion": out.meta_api_version,
                    "metadata": meta,
                    "columnDefinitions": None,
                    "rows": None,
                }
            )
        if out.kind == media.POM:
            return media.dumps(
                {"kind": media.POM, "apiVersion": out.meta_api_version, "metadata": meta}
            )
        return media.dumps(
            {
                "kind": req.rdef.kind,
                "apiVersion": req.rdef.api_version(req.version),
                "metadata": meta,
            }
        )


def _timeout(value: str | None) -> float:
    if value is None or value == "":
        return random.uniform(1800, 3600)
    try:
        seconds = int(value)
    except ValueError:
        raise bad_request(f'timeoutSeconds: Invalid value: "{value}": must be an integer') from None
    if seconds == 0:
        return random.uniform(1800, 3600)
    # As the apiserver: a negative timeout is a timer that has already fired.
    return float(max(seconds, 0))
