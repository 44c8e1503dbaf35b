"""The simulated cluster's storage: objects, one resourceVersion counter, history, watches.

Plays etcd plus the apiserver's registry: every write gets the next resourceVersion, server
metadata and validation, and becomes an event that open watches receive and that a watch
resumed from an older resourceVersion replays. The retained history is bounded; older
resourceVersions get 410 Gone, as after an etcd compaction.

Stored objects are never modified in place: a write replaces the entry. That lets lists,
paging snapshots and watch events share them, and each is serialised to JSON once per
version however many clients read it. Callers get copies (`get`, `list`, `watch`) and hand
in objects the store copies, so nothing outside can change what is stored.

Everything here is synchronous and runs on the event loop's thread; only waiting for watch
events is async.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import bisect
import json
import random
import uuid
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cnvtui.sim import schema as schemas
from cnvtui.sim.catalog import ResourceDef
from cnvtui.sim.conversion import convert
from cnvtui.sim.errors import (
    ApiError,
    already_exists,
    bad_request,
    conflict,
    gone,
    invalid,
    not_found,
    too_old_resource_version,
)
from cnvtui.sim.objectmeta import (
    NAME_CHARS,
    SERVER_META,
    check_precondition,
    check_type,
    field_error,
    merged_meta,
    meta_errors,
    metadata_of,
    namespace_for,
    ordered_meta,
    parse_resource_version,
    prepare_create,
    spec_of,
)
from cnvtui.sim.patch import clone, json_patch, merge_patch
from cnvtui.sim.selectors import FieldSelector, LabelSelector, Matcher, matcher

Json = dict[str, Any]
Key = tuple[str, str]  # (namespace or "", name)
ResourceKey = tuple[str, str]  # (group, plural)
# Aliases: inside Store, `list` names the method.
KeyList = list[Key]
JsonList = list[Json]

# A watcher that falls this far behind is dropped, as the real watch cache drops slow
# watchers; its client resumes from the last resourceVersion it saw.
WATCH_BUFFER_LIMIT = 250_000

_CONTINUE_EXPIRED = (
    "The provided continue parameter is too old to display a consistent list result. You can "
    "start a new list without the continue parameter, or use the continue token in this "
    "response to retrieve the remainder of the results. Continuing with the provided token "
    "results in an inconsistent list - objects that were created, modified, or deleted "
    "between the time the first chunk was returned and now may show up in the list."
)
# ObjectMeta's fields in the order the server writes them.


def _utcnow() -> datetime:
    return datetime.now(UTC)


def timestamp(when: datetime) -> str:
    """RFC 3339 with seconds, as Kubernetes writes metav1.Time."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Entry:
    """One stored object (read-only by convention) and its cached encodings."""

    __slots__ = ("cache", "obj")

    def __init__(self, obj: Json) -> None:
        self.obj = obj
        self.cache: dict[Any, Any] = {}

    @property
    def resource_version(self) -> str:
        return str(self.obj["metadata"]["resourceVersion"])


EntryList = list[Entry]


def _copy(obj: Json) -> Json:
    out = clone(obj)
    assert isinstance(out, dict)
    return out


class Event:
    """One write, as kept in the history: the entry after it, and the one before it."""

    __slots__ = ("entry", "key", "old", "resource", "rv", "type")

    def __init__(
        self,
        rv: int,
        type_: str,
        resource: ResourceKey,
        key: Key,
        *,
        entry: Entry,
        old: Entry | None,
    ) -> None:
        self.rv = rv
        self.type = type_
        self.resource = resource
        self.key = key
        self.entry = entry
        self.old = old


# A watch item: (type, entry, rv). BOOKMARKs carry no entry.
Item = tuple[str, Entry | None, int]
INITIAL_END = "BOOKMARK:initial-events-end"


@dataclass(frozen=True)
class Page:
    """One page of a list, with what its metadata needs."""

    entries: list[Entry]
    resource_version: int
    continue_token: str | None = None
    remaining: int | None = None


def _with_rv(entry: Entry, rv: int) -> Entry:
    obj = dict(entry.obj)
    meta = dict(obj["metadata"])
    meta["resourceVersion"] = str(rv)
    obj["metadata"] = meta
    return Entry(obj)


class Watch:
    """A watch on one resource: an async iterator of `(type, object)` copies.

    Types are ADDED, MODIFIED, DELETED, and BOOKMARK when asked for. Iteration ends when the
    watch is closed, by `close()` or by the store (a watcher that fell too far behind).
    """

    def __init__(
        self,
        store: Store,
        rdef: ResourceDef,
        namespace: str | None,
        match: Matcher | None,
        allow_bookmarks: bool,
    ) -> None:
        self._store = store
        self.rdef = rdef
        self.namespace = namespace
        self.match = match
        self.allow_bookmarks = allow_bookmarks
        self._items: deque[Item] = deque()
        self._wakeup = asyncio.Event()
        self.closed = False

    def _push(self, item: Item) -> None:
        if self.closed:
            return
        self._items.append(item)
        if len(self._items) > WATCH_BUFFER_LIMIT:
            self.close()
        self._wakeup.set()

    def _offer(self, event: Event) -> None:
        """Deliver `event` as this watcher sees it (selectors turn updates into ADD/DELETE)."""
        if self.namespace is not None and event.key[0] != self.namespace:
            return
        match = self.match
        if match is None:
            self._push((event.type, event.entry, event.rv))
            return
        if event.type == "ADDED":
            if match(event.entry.obj):
                self._push(("ADDED", event.entry, event.rv))
        elif event.type == "DELETED":
            if match(event.entry.obj):
                self._push(("DELETED", event.entry, event.rv))
        else:
            now = match(event.entry.obj)
            before = event.old is not None and match(event.old.obj)
            if now and before:
                self._push(("MODIFIED", event.entry, event.rv))
            elif now:
                self._push(("ADDED", event.entry, event.rv))
            elif before and event.old is not None:
                self._push(("DELETED", _with_rv(event.old, event.rv), event.rv))

    def bookmark(self, rv: int) -> None:
        if self.allow_bookmarks:
            self._push(("BOOKMARK", None, rv))

    async def batch(self) -> list[Item] | None:
        """Every item waiting (at least one), or None once the watch is closed and drained."""
        while not self._items:
            if self.closed:
                return None
            self._wakeup.clear()
            await self._wakeup.wait()
        items = list(self._items)
        self._items.clear()
        return items

    def silence(self) -> None:
        """Receive nothing more, bookmarks included, yet stay open (fault control)."""
        self.allow_bookmarks = False
        self._store._forget(self)
        self._items.clear()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._store._forget(self)
            self._wakeup.set()

    def __aiter__(self) -> AsyncIterator[tuple[str, Json]]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[tuple[str, Json]]:
        try:
            while True:
                items = await self.batch()
                if items is None:
                    return
                for kind, entry, rv in items:
                    if entry is None:
                        yield "BOOKMARK", self._bookmark_object(rv, kind == INITIAL_END)
                    else:
                        yield kind, _copy(entry.obj)
        finally:
            self.close()

    def _bookmark_object(self, rv: int, initial_end: bool) -> Json:
        meta: Json = {"resourceVersion": str(rv)}
        if initial_end:
            meta["annotations"] = {"k8s.io/initial-events-end": "true"}
        return {"kind": self.rdef.kind, "apiVersion": self.rdef.api_version(), "metadata": meta}


class Store:
    """Objects of every resource in `resources`, with Kubernetes write semantics."""

    def _uid(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def __init__(
        self,
        resources: Iterable[ResourceDef],
        *,
        history_size: int = 50_000,
        now: Callable[[], datetime] = _utcnow,
        seed: int | None = None,
    ) -> None:
        self.resources: list[ResourceDef] = list(resources)
        # Generated names and uids come from a seeded generator, so that a scenario with a
        # given seed names its InstallPlans and migrations the same way every run.
        self._rng = random.Random(seed)
        self._defs: dict[ResourceKey, ResourceDef] = {}
        self._kinds: dict[tuple[str, str], ResourceDef] = {}
        for rdef in self.resources:
            self._defs[(rdef.group, rdef.plural)] = rdef
            self._kinds.setdefault((rdef.group, rdef.kind), rdef)
        self._objects: dict[ResourceKey, dict[Key, Entry]] = {k: {} for k in self._defs}
        self._sorted: dict[ResourceKey, KeyList | None] = {k: None for k in self._defs}
        self._history: deque[Event] = deque(maxlen=max(1, history_size))
        self._compacted = 0
        self._rv = 0
        self._watchers: dict[ResourceKey, set[Watch]] = {k: set() for k in self._defs}
        self.now = now

    # -- lookups ------------------------------------------------------------------------

    def resource(self, group: str, plural: str) -> ResourceDef:
        """The resource `plural` of `group` (KeyError when it is not served)."""
        return self._defs[(group, plural)]

    def resource_for_kind(self, api_version: str, kind: str) -> ResourceDef:
        """The resource that serves `kind` in `api_version`'s group (KeyError when none)."""
        group = api_version.rpartition("/")[0]
        return self._kinds[(group, kind)]

    @property
    def resource_version(self) -> int:
        """The last resourceVersion handed out."""
        return self._rv

    @property
    def oldest_resource_version(self) -> int:
        """The oldest resourceVersion a watch can still resume from."""
        return self._compacted

    def get(self, group: str, plural: str, namespace: str | None, name: str) -> Json:
        """A copy of one object (storage version); ApiError 404 when absent."""
        return _copy(self.get_entry(group, plural, namespace, name).obj)

    def get_entry(self, group: str, plural: str, namespace: str | None, name: str) -> Entry:
        rdef = self.resource(group, plural)
        entry = self._objects[(group, plural)].get(self._key(rdef, namespace, name))
        if entry is None:
            raise not_found(group, plural, name)
        return entry

    def list(
        self,
        group: str,
        plural: str,
        namespace: str | None = None,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> tuple[JsonList, str]:
        """Copies of the matching objects (sorted by namespace and name) and the list's RV."""
        page = self.list_page(
            group, plural, namespace, label_selector=label_selector, field_selector=field_selector
        )
        return [_copy(e.obj) for e in page.entries], str(page.resource_version)

    def list_page(
        self,
        group: str,
        plural: str,
        namespace: str | None = None,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
        limit: int | None = None,
        continue_token: str | None = None,
        resource_version: int | None = None,
    ) -> Page:
        """A page of the list as of `resource_version` (default: now), or as of the
        continue token's snapshot. The entries are shared: treat them as read-only."""
        rdef = self.resource(group, plural)
        rk = (group, plural)
        match = matcher(
            LabelSelector.parse(label_selector),
            FieldSelector.parse(field_selector, group, plural),
        )
        scope_ns = namespace if rdef.namespaced else None
        after: Key | None = None
        at = self._rv if resource_version is None else resource_version
        if continue_token:
            at, after = self._decode_continue(continue_token, rdef, scope_ns)
            if at < self._compacted:
                raise gone(_CONTINUE_EXPIRED)
        if at > self._rv:
            raise too_large_resource_version(at, self._rv)
        state, keys = self._state_at(rk, at)
        if scope_ns is not None:
            lo = bisect.bisect_left(keys, (scope_ns, ""))
            hi = bisect.bisect_left(keys, (scope_ns + "\x00", ""))
        else:
            lo, hi = 0, len(keys)
        if after is not None:
            lo = max(lo, bisect.bisect_right(keys, after))
        if name := self._pinned_name(field_selector, group, plural):
            keys_iter = [k for k in keys[lo:hi] if k[1] == name]
            lo, hi = 0, len(keys_iter)
        else:
            keys_iter = keys
        out: EntryList = []
        pos = lo
        while pos < hi:
            entry = state[keys_iter[pos]]
            pos += 1
            if match is None or match(entry.obj):
                out.append(entry)
                if limit and len(out) >= limit:
                    break
        token: str | None = None
        remaining: int | None = None
        more = bool(limit) and len(out) >= (limit or 0) and pos < hi
        if more and (match is None or any(match(state[keys_iter[p]].obj) for p in range(pos, hi))):
            token = self._encode_continue(at, keys_iter[pos - 1], rdef, scope_ns)
            if match is None:
                remaining = hi - pos
        return Page(out, at, token, remaining)

    @staticmethod
    def _pinned_name(field_selector: str | None, group: str, plural: str) -> str | None:
        if not field_selector:
            return None
        return FieldSelector.parse(field_selector, group, plural).exact("metadata.name")

    def _state_at(self, rk: ResourceKey, rv: int) -> tuple[dict[Key, Entry], KeyList]:
        """The objects of one resource as they were at `rv`, rebuilt from the history."""
        objects = self._objects[rk]
        if rv < self._rv:
            if rv < self._compacted:
                raise gone(f"too old resource version: {rv} ({self._compacted})")
            changed: dict[Key, Entry | None] = {}
            for event in reversed(self._history):
                if event.rv <= rv:
                    break
                if event.resource == rk:
                    changed[event.key] = event.old
            if changed:
                state = dict(objects)
                for key, old in changed.items():
                    if old is None:
                        state.pop(key, None)
                    else:
                        state[key] = old
                return state, sorted(state)
        keys = self._sorted[rk]
        if keys is None:
            keys = self._sorted[rk] = sorted(objects)
        return objects, keys

    @staticmethod
    def _encode_continue(rv: int, key: Key, rdef: ResourceDef, scope_ns: str | None) -> str:
        start = f"{key[0]}/{key[1]}" if rdef.namespaced and scope_ns is None else key[1]
        raw = json.dumps({"v": "meta.k8s.io/v1", "rv": rv, "start": start + "\x00"})
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @staticmethod
    def _decode_continue(token: str, rdef: ResourceDef, scope_ns: str | None) -> tuple[int, Key]:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            data = json.loads(raw)
            if not isinstance(data, dict) or data.get("v") != "meta.k8s.io/v1":
                raise ValueError("continue key is not valid: incorrect encoded start")
            rv = data["rv"]
            start = data["start"]
            if not isinstance(rv, int) or isinstance(rv, bool) or not isinstance(start, str):
                raise ValueError("continue key is not valid: incorrect encoded start")
        except (ValueError, KeyError, binascii.Error, UnicodeDecodeError) as exc:
            message = (
                str(exc) if str(exc).startswith("continue key") else "continue key is not valid"
            )
            raise bad_request(message) from exc
        start = start.rstrip("\x00")
        if rdef.namespaced and scope_ns is None:
            ns, _, name = start.partition("/")
            return rv, (ns, name)
        return rv, (scope_ns or "", start)

    # -- writes -------------------------------------------------------------------------

    def create(
        self,
        group: str,
        plural: str,
        obj: Json,
        *,
        namespace: str | None = None,
        dry_run: bool = False,
    ) -> Json:
        """Create `obj` (any served version); returns the stored copy (storage version)."""
        return _copy(
            self.create_entry(group, plural, obj, namespace=namespace, dry_run=dry_run).obj
        )

    def create_entry(
        self,
        group: str,
        plural: str,
        obj: Json,
        *,
        namespace: str | None = None,
        dry_run: bool = False,
    ) -> Entry:
        rdef = self.resource(group, plural)
        version = check_type(rdef, obj)
        meta = metadata_of(obj)
        ns = namespace_for(rdef, meta, namespace)
        name = meta.get("name") or ""
        if not name and meta.get("generateName"):
            name = str(meta["generateName"]) + "".join(
                self._rng.choice(NAME_CHARS) for _ in range(5)
            )
        if meta.get("resourceVersion"):
            raise bad_request("resourceVersion should not be set on objects to be created")
        errors = meta_errors(rdef, meta, name)
        if errors:
            raise invalid(rdef.kind, group, name, errors)
        if (
            ns
            and ("", "namespaces") in self._defs
            and ("", ns) not in self._objects[("", "namespaces")]
        ):
            raise not_found("", "namespaces", ns)
        new_meta: Json = {k: v for k, v in meta.items() if k not in SERVER_META}
        new_meta.pop("managedFields", None)
        new_meta.pop("selfLink", None)
        new_meta.pop("deletionGracePeriodSeconds", None)
        new_meta["name"] = name
        if rdef.namespaced:
            new_meta["namespace"] = ns
        else:
            new_meta.pop("namespace", None)
        new_meta["uid"] = self._uid()
        if rdef.is_crd:
            new_meta["generation"] = 1
        new_meta["creationTimestamp"] = timestamp(self.now())
        new = dict(obj)
        new["metadata"] = new_meta
        prepare_create(rdef, new, name)
        new = self._admit(rdef, version, new, name)
        new = convert(rdef, new, rdef.storage_version)
        key = (ns, name)
        rk = (group, plural)
        if key in self._objects[rk]:
            raise already_exists(group, plural, name)
        if dry_run:
            new["metadata"] = ordered_meta(new["metadata"], self._rv)
            return Entry(new)
        rv = self._next_rv()
        new["metadata"] = ordered_meta(new["metadata"], rv)
        entry = Entry(new)
        self._commit(Event(rv, "ADDED", rk, key, entry=entry, old=None))
        return entry

    def update(
        self,
        group: str,
        plural: str,
        obj: Json,
        *,
        subresource: str | None = None,
        name: str | None = None,
        namespace: str | None = None,
        dry_run: bool = False,
    ) -> Json:
        """Replace an object (PUT); `subresource="status"` replaces only its status.

        Custom resources need `metadata.resourceVersion` (422 otherwise), and a stale one
        answers 409 Conflict. `name`/`namespace` are the request URL's, if any.
        """
        entry = self.update_entry(
            group,
            plural,
            obj,
            subresource=subresource,
            name=name,
            namespace=namespace,
            dry_run=dry_run,
        )
        return _copy(entry.obj)

    def update_entry(
        self,
        group: str,
        plural: str,
        obj: Json,
        *,
        subresource: str | None = None,
        name: str | None = None,
        namespace: str | None = None,
        dry_run: bool = False,
        is_patch: bool = False,
    ) -> Entry:
        rdef = self.resource(group, plural)
        version = check_type(rdef, obj)
        meta = metadata_of(obj)
        body_name = meta.get("name") or ""
        if name is not None and body_name != name:
            if not body_name and is_patch:
                body_name = name
            else:
                raise bad_request(
                    f"the name of the object ({body_name}) does not match the name on the URL "
                    f"({name})"
                )
        if not body_name:
            raise invalid(
                rdef.kind,
                group,
                "",
                [field_error("metadata.name", "Required value: name is required")],
            )
        ns = namespace_for(rdef, meta, namespace)
        rk = (group, plural)
        key = (ns, body_name)
        old = self._objects[rk].get(key)
        if old is None:
            raise not_found(group, plural, body_name)
        check_precondition(rdef, meta, int(old.resource_version), body_name, is_patch=is_patch)
        errors = meta_errors(rdef, meta, body_name)
        if errors:
            raise invalid(rdef.kind, group, body_name, errors)
        old_obj = convert(rdef, old.obj, version)
        if subresource == "status" and not rdef.has_status:
            raise not_found(group, plural, body_name)
        if subresource == "status":
            new = dict(old_obj)
            if "status" in obj:
                new["status"] = obj["status"]
            else:
                new.pop("status", None)
        elif subresource is None:
            new = dict(obj)
            new["metadata"] = merged_meta(rdef, meta, old_obj["metadata"], body_name)
            if rdef.has_status:
                if "status" in old_obj:
                    new["status"] = old_obj["status"]
                else:
                    new.pop("status", None)
        else:
            raise ValueError(f"unknown subresource {subresource!r}")
        if new == old_obj:
            # A write that changes nothing is not a write (no new resourceVersion, no event);
            # level-triggered controllers do this all the time, so skip validating it too.
            return old
        new = self._admit(rdef, version, new, body_name)
        new = convert(rdef, new, rdef.storage_version)
        stored_old = old.obj
        if rdef.is_crd:
            generation = stored_old["metadata"].get("generation", 1)
            if spec_of(new, rdef) != spec_of(stored_old, rdef):
                generation += 1
            new["metadata"]["generation"] = generation
        new["metadata"] = ordered_meta(new["metadata"], int(old.resource_version))
        if new == stored_old:
            return old
        if dry_run:
            return Entry(new)
        finalize = bool(new["metadata"].get("deletionTimestamp")) and not new["metadata"].get(
            "finalizers"
        )
        rv = self._next_rv()
        new["metadata"]["resourceVersion"] = str(rv)
        entry = Entry(new)
        if finalize:
            self._commit(Event(rv, "DELETED", rk, key, entry=entry, old=old))
        else:
            self._commit(Event(rv, "MODIFIED", rk, key, entry=entry, old=old))
        return entry

    def patch(  # noqa: PLR0917 (the signature controllers code against)
        self,
        group: str,
        plural: str,
        namespace: str | None,
        name: str,
        patch_type: str,
        body: Any,
        *,
        subresource: str | None = None,
        version: str | None = None,
        dry_run: bool = False,
    ) -> Json:
        """Apply a "json" (RFC 6902) or "merge" (RFC 7386) patch to the object as seen in
        `version` (default: storage). A `metadata.resourceVersion` the patch sets is a
        precondition (409 when stale)."""
        entry = self.patch_entry(
            group,
            plural,
            namespace,
            name,
            patch_type,
            body,
            subresource=subresource,
            version=version,
            dry_run=dry_run,
        )
        return _copy(entry.obj)

    def patched(  # noqa: PLR0917 (same as patch)
        self,
        group: str,
        plural: str,
        namespace: str | None,
        name: str,
        patch_type: str,
        body: Any,
        *,
        version: str | None = None,
    ) -> Json:
        """What the patch makes of the stored object, in `version`, nothing stored yet
        (the handlers judge its fields first)."""
        rdef = self.resource(group, plural)
        old = self.get_entry(group, plural, namespace, name)
        current = convert(rdef, old.obj, version or rdef.storage_version)
        if patch_type == "json":
            patched = json_patch(current, body)
        elif patch_type == "merge":
            if not isinstance(body, dict):
                raise bad_request(
                    "json: cannot unmarshal array into Go value of type map[string]interface {}"
                    if isinstance(body, list)
                    else "error decoding patch: not a JSON object"
                )
            patched = merge_patch(current, body)
        else:
            raise ValueError(f"unknown patch type {patch_type!r}")
        if not isinstance(patched, dict):
            raise bad_request("the patched object is not a JSON object")
        meta = patched.get("metadata")
        if isinstance(meta, dict) and not meta.get("resourceVersion"):
            meta["resourceVersion"] = old.resource_version
        return patched

    def patch_entry(  # noqa: PLR0917 (same as patch)
        self,
        group: str,
        plural: str,
        namespace: str | None,
        name: str,
        patch_type: str,
        body: Any,
        *,
        subresource: str | None = None,
        version: str | None = None,
        dry_run: bool = False,
    ) -> Entry:
        rdef = self.resource(group, plural)
        patched = self.patched(group, plural, namespace, name, patch_type, body, version=version)
        return self.update_entry(
            group,
            plural,
            patched,
            subresource=subresource,
            name=name,
            namespace=namespace if rdef.namespaced else None,
            dry_run=dry_run,
            is_patch=True,
        )

    def delete(
        self,
        group: str,
        plural: str,
        namespace: str | None,
        name: str,
        *,
        uid: str | None = None,
        resource_version: str | None = None,
        dry_run: bool = False,
    ) -> Json:
        """Delete an object, or mark it deleted while it has finalizers; returns it.

        `uid`/`resource_version` are DeleteOptions preconditions (409 when they differ).
        Deleting a namespace deletes everything in it.
        """
        return _copy(
            self.delete_entry(
                group,
                plural,
                namespace,
                name,
                uid=uid,
                resource_version=resource_version,
                dry_run=dry_run,
            ).obj
        )

    def delete_entry(
        self,
        group: str,
        plural: str,
        namespace: str | None,
        name: str,
        *,
        uid: str | None = None,
        resource_version: str | None = None,
        dry_run: bool = False,
    ) -> Entry:
        rdef = self.resource(group, plural)
        rk = (group, plural)
        key = self._key(rdef, namespace, name)
        old = self._objects[rk].get(key)
        if old is None:
            raise not_found(group, plural, name)
        meta = old.obj["metadata"]
        if uid is not None and uid != meta.get("uid"):
            raise conflict(
                group,
                plural,
                name,
                f"Precondition failed: UID in precondition: {uid}, UID in object meta: "
                f"{meta.get('uid')}",
            )
        if resource_version is not None and resource_version != meta.get("resourceVersion"):
            raise conflict(
                group,
                plural,
                name,
                f"Precondition failed: ResourceVersion in precondition: {resource_version}, "
                f"ResourceVersion in object meta: {meta.get('resourceVersion')}",
            )
        if dry_run:
            return old
        if meta.get("finalizers"):
            if meta.get("deletionTimestamp"):
                return old
            obj = dict(old.obj)
            new_meta = dict(meta)
            new_meta["deletionTimestamp"] = timestamp(self.now())
            new_meta["deletionGracePeriodSeconds"] = 0
            rv = self._next_rv()
            obj["metadata"] = ordered_meta(new_meta, rv)
            entry = Entry(obj)
            self._commit(Event(rv, "MODIFIED", rk, key, entry=entry, old=old))
            return entry
        if rk == ("", "namespaces"):
            for other, objects in self._objects.items():
                if self._defs[other].namespaced:
                    for okey in [k for k in objects if k[0] == name]:
                        gone_entry = objects[okey]
                        rv = self._next_rv()
                        deleted = _with_rv(gone_entry, rv)
                        self._commit(
                            Event(rv, "DELETED", other, okey, entry=deleted, old=gone_entry)
                        )
        rv = self._next_rv()
        entry = _with_rv(old, rv)
        self._commit(Event(rv, "DELETED", rk, key, entry=entry, old=old))
        return entry

    def load(self, objects: Iterable[Json], *, validate: bool = False, copy: bool = True) -> int:
        """Put trusted objects in place without events (the initial cluster); returns how
        many. Sets server metadata that is missing and creates namespaces they name.
        Call it before anyone watches: watches cannot resume from before a load.
        `copy=False` takes the dicts over (the caller must never touch them again)."""
        count = 0
        now = timestamp(self.now())
        for raw in objects:
            api_version = str(raw.get("apiVersion", ""))
            rdef = self.resource_for_kind(api_version, str(raw.get("kind", "")))
            obj = _copy(raw) if copy else dict(raw)
            version = api_version.rpartition("/")[2]
            if validate:
                obj = self._admit(rdef, version, obj, str(obj.get("metadata", {}).get("name")))
            obj = convert(rdef, obj, rdef.storage_version)
            meta = obj.setdefault("metadata", {})
            ns = str(meta.get("namespace") or "") if rdef.namespaced else ""
            if ns:
                self._ensure_namespace(ns, now)
            meta.setdefault("uid", self._uid())
            meta.setdefault("creationTimestamp", now)
            if rdef.is_crd:
                meta.setdefault("generation", 1)
            rv = self._next_rv()
            obj["metadata"] = ordered_meta(meta, rv)
            rk = (rdef.group, rdef.plural)
            key = (ns, str(meta["name"]))
            if key not in self._objects[rk]:
                self._sorted[rk] = None
            self._objects[rk][key] = Entry(obj)
            count += 1
        self._history.clear()
        self._compacted = self._rv
        return count

    def _ensure_namespace(self, ns: str, now: str) -> None:
        namespaces = self._objects.get(("", "namespaces"))
        if namespaces is None or ("", ns) in namespaces:
            return
        obj: Json = {
            "kind": "Namespace",
            "apiVersion": "v1",
            "metadata": {
                "name": ns,
                "uid": self._uid(),
                "creationTimestamp": now,
                "labels": {"kubernetes.io/metadata.name": ns},
            },
            "spec": {"finalizers": ["kubernetes"]},
            "status": {"phase": "Active"},
        }
        obj["metadata"] = ordered_meta(obj["metadata"], self._next_rv())
        namespaces[("", ns)] = Entry(obj)
        self._sorted[("", "namespaces")] = None

    # -- watches ------------------------------------------------------------------------

    def watch(
        self,
        group: str,
        plural: str,
        namespace: str | None = None,
        *,
        resource_version: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        allow_bookmarks: bool = False,
        send_initial_events: bool = False,
    ) -> Watch:
        """Watch one resource. Without `resource_version` (or with "0") it starts with an
        ADDED event per existing object; with one, it replays what happened after it
        (ApiError 410 when that is older than the history). `send_initial_events` sends the
        existing objects and then a BOOKMARK marking their end (the watch-list protocol)."""
        rdef = self.resource(group, plural)
        match = matcher(
            LabelSelector.parse(label_selector),
            FieldSelector.parse(field_selector, group, plural),
        )
        scope_ns = namespace if rdef.namespaced and namespace else None
        start = parse_resource_version(resource_version)
        if start and start < self._compacted:
            raise too_old_resource_version(start, self._compacted)
        if start and start > self._rv:
            raise too_large_resource_version(start, self._rv)
        w = Watch(self, rdef, scope_ns, match, allow_bookmarks or False)
        rk = (group, plural)
        if not start or send_initial_events:
            state, keys = self._state_at(rk, self._rv)
            for key in keys:
                if scope_ns is not None and key[0] != scope_ns:
                    continue
                entry = state[key]
                if match is None or match(entry.obj):
                    w._items.append(("ADDED", entry, int(entry.resource_version)))
            if send_initial_events:
                w._items.append((INITIAL_END, None, self._rv))
        else:
            replay = [e for e in reversed(self._history) if e.rv > start]
            for event in reversed(replay):
                if event.resource == rk:
                    w._offer(event)
        self._watchers[rk].add(w)
        return w

    def bookmark(self) -> None:
        """Send a BOOKMARK with the current resourceVersion to every watch that asked for them."""
        for watchers in self._watchers.values():
            for w in list(watchers):
                w.bookmark(self._rv)

    def close_watches(self) -> int:
        """Close every open watch (fault control); returns how many."""
        closed = [w for ws in self._watchers.values() for w in ws]
        for w in closed:
            w.close()
        return len(closed)

    def compact(self) -> None:
        """Forget the history: resuming a watch or a paged list from before now gets 410."""
        self._history.clear()
        self._compacted = self._rv

    def _forget(self, w: Watch) -> None:
        self._watchers[(w.rdef.group, w.rdef.plural)].discard(w)

    # -- internals ----------------------------------------------------------------------

    def _next_rv(self) -> int:
        self._rv += 1
        return self._rv

    def _commit(self, event: Event) -> None:
        rk, key, entry = event.resource, event.key, event.entry
        objects = self._objects[rk]
        if event.type == "DELETED":
            objects.pop(key, None)
            self._sorted[rk] = None
        else:
            if key not in objects:
                self._sorted[rk] = None
            objects[key] = entry
        history = self._history
        if len(history) == history.maxlen:
            self._compacted = history[0].rv
        history.append(event)
        watchers = self._watchers[rk]
        if watchers:
            for w in tuple(watchers):
                w._offer(event)

    def _key(self, rdef: ResourceDef, namespace: str | None, name: str) -> Key:
        return ((namespace or "") if rdef.namespaced else "", name)

    def _admit(self, rdef: ResourceDef, version: str, obj: Json, name: str) -> Json:
        """Prune, default and validate against the version's schema (422 when invalid)."""
        vdef = rdef.version(version)
        schema = vdef.schema if vdef is not None else None
        if schema is None:
            return _copy(obj)
        admitted, errors = schemas.admit(obj, schema)
        if errors:
            raise invalid(rdef.kind, rdef.group, name, errors)
        return admitted


def too_large_resource_version(requested: int, current: int) -> ApiError:
    return ApiError(
        504,
        "Timeout",
        f"Too large resource version: {requested}, current: {current}",
        {
            "causes": [
                {"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}
            ],
            "retryAfterSeconds": 1,
        },
    )
