"""The list+watch loop of one resource kind, as an async iterator of `KubeEvent`s.

It lists (paged), then watches from the list's resourceVersion and resumes from the last
one seen (bookmarks move it too). When the server has forgotten that version (410) it lists
again and diffs the new list against what it holds, so the consumer gets ADDED/MODIFIED for
what changed and DELETED for what vanished: whatever happened, the consumer's view
converges to the server's. Failures never escape: they become `StreamStatus` events, and
the loop retries with jittered exponential backoff, honouring Retry-After.

Speed: bodies are read as raw chunks, split on newlines and parsed with the projection's
msgspec decoder when there is one, else with orjson (several times faster than `json`); no
model classes. (The line splitting is our own because aiohttp's readline refuses lines over
a few MB, and objects can be that large.) Changes come out in batches, one per list page or
chunk read, so the per-event overhead of the hops upward is paid per batch.

Memory: each list page is diffed and handed on as it arrives, and an optional `projection`
(`cnvtui.kube.projection`) parses only the fields the consumer keeps, so full objects are
not even built (a body the projection cannot take is parsed whole and cut down). Without
one, only one page of full objects is alive at a time: the first list of a large
cluster used to hold every page until the list was done, the start-up peak in memory.
"""

from __future__ import annotations

import gc
import json
import logging
import random
from collections.abc import AsyncGenerator, Iterable, Iterator, Sequence
from contextlib import aclosing, contextmanager
from typing import Any

import aiohttp
import orjson

from cnvtui.kube.client import KubeClient
from cnvtui.kube.errors import ApiError, api_error_from_body, api_error_from_status, one_line
from cnvtui.kube.events import (
    ChangeType,
    KubeEvent,
    Obj,
    ObjectChange,
    StreamState,
    StreamStatus,
)
from cnvtui.kube.projection import Projection
from cnvtui.kube.resources import ResourceKind
from cnvtui.kube.settings import DEFAULT_SETTINGS, WatchSettings

log = logging.getLogger(__name__)

META_LIST_ACCEPT = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"
META_WATCH_ACCEPT = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1"
_MAX_ERROR_BODY = 64 * 1024

Key = tuple[str, str]
Seen = tuple[Any, Any]
"""(resourceVersion, uid) of an object as last reported."""
_CHANGE_TYPES = frozenset(("ADDED", "MODIFIED", "DELETED"))
_TRANSPORT_ERRORS = (aiohttp.ClientError, TimeoutError, OSError, ValueError, RuntimeError)


class _Relist(Exception):
    """The resume point is gone (410): list again."""


def watch_stream(
    api: KubeClient,
    kind: ResourceKind,
    *,
    namespace: str | None = None,
    label_selector: str | None = None,
    field_selector: str | None = None,
    metadata_only: bool = False,
    projection: Projection | None = None,
    settings: WatchSettings = DEFAULT_SETTINGS,
) -> AsyncGenerator[KubeEvent, None]:
    """Stream `kind` (in `namespace`, or all namespaces) forever; close the iterator to stop."""
    loop = ListWatch(
        api,
        kind,
        namespace=namespace,
        label_selector=label_selector,
        field_selector=field_selector,
        metadata_only=metadata_only,
        projection=projection,
        settings=settings,
    )
    return loop.events()


def backoff_delay(failures: int, settings: WatchSettings, rng: random.Random) -> float:
    """Delay before retry number `failures` (1-based): exponential, capped, jittered."""
    base = min(settings.backoff_max, settings.backoff_initial * 2.0 ** max(0, failures - 1))
    return base * (1.0 - settings.backoff_jitter * rng.random())


class ListWatch:
    """State of one stream: the objects it has reported, the resume point, its health.

    `cache` maps (namespace, name) to the (resourceVersion, uid) last reported: the keys
    equal the consumer's view after every event, and a re-list is diffed against it. Only
    versions are kept, not bodies: holding thousands of large objects here would cost
    memory and, through cache misses on every replacement, a good part of the ingest rate.

    `projection`, if given, is what each object is cut down to before it is handed on
    (tombstones included: they keep their identity).
    """

    def __init__(
        self,
        api: KubeClient,
        kind: ResourceKind,
        *,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        metadata_only: bool = False,
        projection: Projection | None = None,
        settings: WatchSettings = DEFAULT_SETTINGS,
    ) -> None:
        self.api = api
        self.kind = kind
        self.namespace = namespace if kind.namespaced else None
        self.label_selector = label_selector
        self.field_selector = field_selector
        self.metadata_only = metadata_only
        self.projection = projection
        self.settings = settings
        self.cache: dict[Key, Seen] = {}
        self.resource_version: str | None = None
        self.state: StreamState | None = None
        self.message = ""
        self._since = 0.0
        self._as_of: float | None = None
        self._rng = random.Random()
        self._got_data = False
        self._path = kind.path(self.namespace)
        self._listed_version: str | None = None

    # -- status ---------------------------------------------------------------------------

    def _status(self, state: StreamState, message: str = "") -> StreamStatus | None:
        """A StreamStatus if the state or message changed, else None."""
        if state == self.state and message == self.message:
            return None
        now = self.settings.clock()
        if state != self.state:
            self._since = now
        self.state, self.message = state, message
        as_of = None if state == StreamState.LIVE else self._as_of
        return StreamStatus(self.kind.key, state, self._since, as_of, message)

    def _where(self) -> str:
        return f"in {self.namespace}" if self.namespace else "in all namespaces"

    def _resource_name(self) -> str:
        return f"{self.kind.plural}.{self.kind.group}" if self.kind.group else self.kind.plural

    def _denied(self, err: ApiError) -> tuple[StreamState, str] | None:
        if err.code == 401:
            return StreamState.UNAUTHORIZED, "credentials expired or rejected: log in again"
        if err.code == 403:
            return (
                StreamState.FORBIDDEN,
                f"needs list and watch on {self._resource_name()} {self._where()}",
            )
        if err.code == 404:
            return (
                StreamState.NOT_INSTALLED,
                f"{self._resource_name()}/{self.kind.version} is not served by this cluster",
            )
        return None

    # -- the loop -------------------------------------------------------------------------

    async def events(self) -> AsyncGenerator[KubeEvent, None]:
        """The stream, forever: object changes and state changes, one at a time."""
        async with aclosing(self.batches()) as batches:
            async for batch in batches:
                for event in batch:
                    yield event

    async def batches(self) -> AsyncGenerator[Sequence[KubeEvent], None]:
        """The stream, forever, in non-empty batches: the changes of one list page or one
        chunk read, or a single state change."""
        s = self.settings
        failures = quick_relists = 0
        need_list = True
        listed_at = 0.0
        while True:
            try:
                if need_list:
                    # A retry from a denied or failing state keeps that state until the list
                    # succeeds: flipping through "syncing" would log the trouble again each time.
                    if self.state in (None, StreamState.LIVE):
                        status = self._status(StreamState.SYNCING)
                        if status:
                            yield [status]
                    async with aclosing(self._list()) as pages:
                        async for changes in pages:
                            yield changes
                    self.resource_version, need_list = self._listed_version, False
                    self._as_of = listed_at = s.clock()
                    status = self._status(StreamState.LIVE)
                    if status:
                        yield [status]
                    failures = 0
                started = s.clock()
                self._got_data = False
                async with aclosing(self._watch()) as stream:
                    async for item in stream:
                        if item is not None:
                            yield item
                            continue
                        failures = 0
                        status = self._status(StreamState.LIVE)
                        if status:
                            yield [status]
                if self.state == StreamState.LIVE:
                    self._as_of = s.clock()
                if not self._got_data and s.clock() - started < s.min_watch_seconds:
                    failures += 1
                    await self.api.sleep(backoff_delay(failures, s, self._rng))
            except _Relist:
                need_list = True
                if self.state == StreamState.LIVE:
                    self._as_of = s.clock()
                # A server that forgets every version at once must not make us list in a loop.
                if s.clock() - listed_at < s.min_watch_seconds:
                    quick_relists += 1
                    await self.api.sleep(backoff_delay(quick_relists, s, self._rng))
                else:
                    quick_relists = 0
            except ApiError as err:
                failures += 1
                denied = self._denied(err)
                if denied is not None:
                    need_list = need_list or err.code == 404
                    status = self._status(*denied)
                    if status:
                        yield [status]
                    await self.api.sleep(s.denied_retry)
                    continue
                stale = err.code == 410 or "ResourceVersionTooLarge" in err.causes
                if stale and not need_list:
                    need_list = True
                    continue
                status = self._status(StreamState.RECONNECTING, self.api.redact(_describe(err)))
                if status:
                    yield [status]
                delay = backoff_delay(failures, s, self._rng)
                if err.retry_after is not None:
                    delay = min(s.retry_after_max, max(err.retry_after, delay))
                await self.api.sleep(delay)
            except Exception as exc:
                failures += 1
                if self.state == StreamState.LIVE:
                    idle = isinstance(exc, TimeoutError)
                    self._as_of = s.clock() - (s.idle_timeout if idle else 0.0)
                if not isinstance(exc, _TRANSPORT_ERRORS):
                    log.warning("%s stream: unexpected %s", self.kind.key, type(exc).__name__)
                if failures == 1 and not need_list:
                    continue
                message = self.api.redact(_describe(exc))
                status = self._status(StreamState.RECONNECTING, message)
                if status:
                    yield [status]
                await self.api.sleep(backoff_delay(failures, s, self._rng))

    async def _list(self) -> AsyncGenerator[list[ObjectChange], None]:
        """List page by page: each page's changes against the cache as it arrives, then
        DELETED for whatever the list no longer holds. The list's resourceVersion is left
        in `_listed_version`.

        The cache is updated with every page handed on, so if the list fails midway the
        cache still equals what the consumer holds and the next list diffs against that.
        """
        listed: set[Key] = set()
        token: str | None = None
        restarted = False
        while True:
            try:
                body = await self._fetch_page(token)
            except ApiError as err:
                if err.code == 410 and token and not restarted:
                    # The continue token expired: a fresh list, a fresh snapshot.
                    listed, token, restarted = set(), None, True
                    continue
                raise
            data, projected = self._parse_page(body)
            del body
            metadata = data.get("metadata") or {}
            token = metadata.get("continue") or None
            changes = self._page(data.get("items") or (), listed, projected)
            del data
            if changes:
                yield changes
            if not token:
                break
        gone = self._gone(listed)
        if gone:
            yield gone
        self._listed_version = metadata.get("resourceVersion")

    async def _fetch_page(self, token: str | None) -> bytes:
        """The body of one list page; ApiError if the server answers otherwise."""
        s = self.settings
        timeout = aiohttp.ClientTimeout(total=s.request_timeout, sock_connect=s.connect_timeout)
        headers = {"Accept": f"{META_LIST_ACCEPT},application/json"} if self.metadata_only else {}
        query = self._selectors()
        query.append(("limit", str(s.page_size)))
        if token:
            query.append(("continue", token))
        response = await self.api.request(
            "GET", self._path, query=query, headers=headers, timeout=timeout
        )
        async with response:
            body = await response.read()
            if response.status != 200:
                raise api_error_from_body(
                    response.status,
                    response.reason or "",
                    body[:_MAX_ERROR_BODY],
                    response.headers.get("Retry-After"),
                )
        return body

    def _parse_page(self, body: bytes) -> tuple[dict[str, Any], bool]:
        """The page, and whether its items are projected already."""
        if self.projection is not None:
            with _paused_gc():
                page = self.projection.decode_page(body)
            if page is not None:
                return page, True
        with _paused_gc():
            data = _loads(body)
        if not isinstance(data, dict):
            raise ValueError("a list page that is not a JSON object")
        return data, False

    def _page(
        self, items: Iterable[Any], listed: set[Key], projected: bool = False
    ) -> list[ObjectChange]:
        """The changes one list page makes to the cache (which it updates), its objects
        given the kind/apiVersion a watch event has (list items come without) and cut
        down to the projection unless `projected` says they are already."""
        if self.metadata_only:
            kind, api_version = "PartialObjectMetadata", "meta.k8s.io/v1"
        else:
            kind, api_version = self.kind.kind, self.kind.api_version
        cache = self.cache
        projection = self.projection
        shrink = None if projected or projection is None else projection.apply
        # A projected item gets only what the projection keeps.
        add_kind = not projected or projection is None or "kind" in projection.parts
        add_api_version = not projected or projection is None or "apiVersion" in projection.parts
        key_kind = self.kind.key
        now = self.settings.clock()
        changes: list[ObjectChange] = []
        for obj in items:
            if not isinstance(obj, dict):
                continue
            md = obj.get("metadata")
            if not isinstance(md, dict):
                continue
            key = (md.get("namespace") or "", md.get("name") or "")
            seen = (md.get("resourceVersion"), md.get("uid"))
            listed.add(key)
            prev = cache.get(key)
            if prev == seen:
                continue
            cache[key] = seen
            if "kind" not in obj and add_kind:
                obj["kind"] = kind
            if "apiVersion" not in obj and add_api_version:
                obj["apiVersion"] = api_version
            change: ChangeType = "ADDED" if prev is None else "MODIFIED"
            changes.append(ObjectChange(key_kind, change, shrink(obj) if shrink else obj, now))
        return changes

    def _gone(self, listed: set[Key]) -> list[ObjectChange]:
        """DELETED for each cached object a completed list did not hold (dropped from the
        cache)."""
        cache = self.cache
        now = self.settings.clock()
        key_kind = self.kind.key
        gone = [key for key in cache if key not in listed]
        return [
            ObjectChange(key_kind, "DELETED", self._tombstone(key, cache.pop(key)), now)
            for key in gone
        ]

    def _selectors(self) -> list[tuple[str, str]]:
        query: list[tuple[str, str]] = []
        if self.label_selector:
            query.append(("labelSelector", self.label_selector))
        if self.field_selector:
            query.append(("fieldSelector", self.field_selector))
        return query

    def _tombstone(self, key: Key, seen: Seen) -> Obj:
        """What a DELETED event carries for an object that vanished while we weren't
        watching: its identity and last known version (the body itself is not kept)."""
        metadata: dict[str, Any] = {"name": key[1], "resourceVersion": seen[0], "uid": seen[1]}
        if key[0]:
            metadata["namespace"] = key[0]
        if self.metadata_only:
            return {
                "apiVersion": "meta.k8s.io/v1",
                "kind": "PartialObjectMetadata",
                "metadata": metadata,
            }
        return {"apiVersion": self.kind.api_version, "kind": self.kind.kind, "metadata": metadata}

    async def _watch(self) -> AsyncGenerator[list[ObjectChange] | None, None]:
        """One watch request: None once the stream is open, then the changes of each read.

        Returns when the server ends the watch; raises _Relist on 410, ApiError on other
        error statuses, transport errors (incl. the idle timeout) as they come.
        """
        s = self.settings
        spread = 1.0 + 0.25 * self._rng.random()
        query = self._selectors()
        query.append(("watch", "true"))
        query.append(("timeoutSeconds", str(max(1, int(s.watch_timeout * spread)))))
        if self.resource_version:
            query.append(("resourceVersion", self.resource_version))
        if s.bookmarks:
            query.append(("allowWatchBookmarks", "true"))
        headers = {"Accept": f"{META_WATCH_ACCEPT},application/json"} if self.metadata_only else {}
        timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=s.connect_timeout, sock_read=s.idle_timeout
        )
        response = await self.api.request(
            "GET", self._path, query=query, headers=headers, timeout=timeout
        )
        async with response:
            if response.status != 200:
                body = await response.read()
                err = api_error_from_body(
                    response.status,
                    response.reason or "",
                    body[:_MAX_ERROR_BODY],
                    response.headers.get("Retry-After"),
                )
                if err.code == 410:
                    raise _Relist
                raise err
            yield None
            pending: list[bytes] = []
            async for received in response.content.iter_any():
                if b"\n" not in received:
                    pending.append(received)
                    continue
                chunk = received
                if pending:
                    pending.append(received)
                    chunk = b"".join(pending)
                    pending.clear()
                lines = chunk.split(b"\n")
                del chunk, received
                tail = lines.pop()
                if tail:
                    pending.append(tail)
                self._got_data = True
                changes, failure = self._decode(lines)
                del lines
                if changes:
                    yield changes
                if failure is not None:
                    raise failure

    def _decode(self, lines: list[bytes]) -> tuple[list[ObjectChange], Exception | None]:
        """The changes of complete watch-event lines, and what stopped the decoding early
        (undecodable JSON, an ERROR event: raised by the caller once the changes before it
        are handed on, so the cache never runs ahead of the consumer)."""
        cache = self.cache
        kind_key = self.kind.key
        projection = self.projection
        loads = _loads
        now = self.settings.clock()
        changes: list[ObjectChange] = []
        try:
            for line in lines:
                if not line:
                    continue
                event = projection.decode_event(line) if projection is not None else None
                whole = event is None
                if event is None:
                    event = loads(line)
                etype = event.get("type")
                obj = event.get("object")
                if not isinstance(obj, dict):
                    continue
                if etype in _CHANGE_TYPES:
                    md = obj.get("metadata")
                    if not isinstance(md, dict):
                        continue
                    key = (md.get("namespace") or "", md.get("name") or "")
                    rv = md.get("resourceVersion")
                    if etype == "DELETED":
                        cache.pop(key, None)
                    else:
                        cache[key] = (rv, md.get("uid"))
                    if rv:
                        self.resource_version = rv
                    if whole and projection is not None:
                        obj = projection.apply(obj)
                    changes.append(ObjectChange(kind_key, etype, obj, now))
                elif etype == "BOOKMARK":
                    md = obj.get("metadata")
                    if isinstance(md, dict) and md.get("resourceVersion"):
                        self.resource_version = md["resourceVersion"]
                elif etype == "ERROR":
                    err = api_error_from_status(obj)
                    return changes, (_Relist() if err.code == 410 else err)
        except Exception as exc:
            return changes, exc
        return changes, None


def _loads(data: bytes) -> Any:
    """orjson, or `json` for what only it accepts (lone surrogate escapes, NaN), so a
    hostile object cannot stall a stream that parsed before."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)


@contextmanager
def _paused_gc() -> Iterator[None]:
    """The cyclic GC paused: a page of large objects allocates so many containers that
    collections (which find nothing: JSON has no cycles) would take about as long as the
    parsing itself."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _describe(exc: BaseException) -> str:
    """A short, human line for a failure (no tracebacks, no URLs with secrets)."""
    if isinstance(exc, ApiError):
        if exc.code == 429:
            return "the API server is throttling requests (429)"
        if exc.code >= 500:
            text = f"server error {exc.code} {exc.reason}"
            return f"{text}: {one_line(exc.message, 120)}" if exc.message else text
        return one_line(str(exc), 160)
    if isinstance(exc, TimeoutError):
        return "no answer from the API server (timed out)"
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return f"TLS verification failed: {one_line(str(exc.certificate_error), 120)}"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return "cannot connect to the API server"
    if isinstance(exc, aiohttp.ServerDisconnectedError | aiohttp.ClientPayloadError):
        return "the API server closed the connection"
    if isinstance(exc, ValueError):
        return "the API server sent data that is not JSON"
    return one_line(f"{type(exc).__name__}: {exc}", 160)
