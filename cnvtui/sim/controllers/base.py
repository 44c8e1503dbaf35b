"""What every simulated controller shares: the store it talks to, the loop it runs in, and
small helpers for timestamps and conditions.

A controller is a `reconcile(store)` function run every few simulated seconds: it lists what
it needs, compares it with what should be, and writes the difference, the way a real level-
triggered controller does. All state it needs between passes lives in the objects
themselves (phases and their timestamps), so a user's edit through the API is seen at the
next pass and nothing is lost when the order of events changes.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from cnvtui.sim.clock import SimClock
from cnvtui.sim.errors import ApiError
from cnvtui.sim.store import Store

Json = dict[str, Any]
Task = Callable[[Any], Awaitable[None]]

log = logging.getLogger("cnvtui.sim.controllers")

CSV_GROUP = "operators.coreos.com"
HCO_GROUP = "hco.kubevirt.io"
KUBEVIRT_GROUP = "kubevirt.io"
CONFIG_GROUP = "config.openshift.io"
MCO_GROUP = "machineconfiguration.openshift.io"


def api_status(exc: BaseException) -> int | None:
    """The HTTP status of a store error (404, 409...), None for anything else."""
    return exc.code if isinstance(exc, ApiError) else None


def get_or_none(
    store: Store, group: str, plural: str, namespace: str | None, name: str
) -> Json | None:
    """The stored object itself (shared with the store: read it, never modify it)."""
    try:
        return store.get_entry(group, plural, namespace, name).obj
    except ApiError as exc:
        if exc.code == 404:
            return None
        raise


def read_all(
    store: Store,
    group: str,
    plural: str,
    namespace: str | None = None,
    *,
    label_selector: str | None = None,
) -> list[Json]:
    """The stored objects themselves, without copies (read them, never modify them): a
    controller pass over 10,000 VMIs must not copy 10,000 VMIs."""
    page = store.list_page(group, plural, namespace, label_selector=label_selector)
    return [entry.obj for entry in page.entries]


def write_status(
    store: Store, group: str, plural: str, namespace: str | None, name: str, *, status: Json
) -> Json:
    """Merge `status` into an object's status: through the status subresource where the
    resource has one, else through the object itself (as for VMIs, which have none)."""
    sub = "status" if store.resource(group, plural).has_status else None
    return store.patch(group, plural, namespace, name, "merge", {"status": status}, subresource=sub)


def run_every(
    clock: SimClock, interval: float, reconcile: Callable[[Store], None], name: str
) -> Task:
    """A server task that calls `reconcile(store)` every `interval` simulated seconds.

    An error in one pass is logged and the next pass tries again, as a real controller
    requeues: a 409 from a concurrent write or a 404 for an object deleted meanwhile is
    normal in a cluster where the user edits objects too.
    """

    async def task(store: Store) -> None:
        while True:
            try:
                reconcile(store)
            except Exception as exc:
                if api_status(exc) not in (404, 409):
                    log.exception("%s: reconcile failed", name)
            await clock.sleep(interval)

    task.__name__ = task.__qualname__ = f"{name}_controller"
    return task


# -- time ------------------------------------------------------------------------------


def stamp(when: datetime) -> str:
    """An RFC 3339 timestamp as Kubernetes writes them."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_stamp(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def seconds_since(clock: SimClock, value: object) -> float:
    """Simulated seconds since a timestamp; 0 for a missing one (treat as just now)."""
    when = parse_stamp(value)
    return (clock.now() - when).total_seconds() if when else 0.0


# -- objects ---------------------------------------------------------------------------


def meta(obj: Json) -> Json:
    value = obj.get("metadata")
    return value if isinstance(value, dict) else {}


def name_of(obj: Json) -> str:
    return str(meta(obj).get("name", ""))


def namespace_of(obj: Json) -> str:
    return str(meta(obj).get("namespace", ""))


def labels_of(obj: Json) -> dict[str, str]:
    value = meta(obj).get("labels")
    return value if isinstance(value, dict) else {}


def annotations_of(obj: Json) -> dict[str, str]:
    value = meta(obj).get("annotations")
    return value if isinstance(value, dict) else {}


def status_of(obj: Json) -> Json:
    value = obj.get("status")
    return value if isinstance(value, dict) else {}


def dig(obj: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def find_condition(conditions: Iterable[Json] | None, ctype: str) -> Json | None:
    for cond in conditions or ():
        if isinstance(cond, dict) and cond.get("type") == ctype:
            return cond
    return None


def condition_is(obj: Json, ctype: str, status: str) -> bool:
    cond = find_condition(status_of(obj).get("conditions"), ctype)
    return cond is not None and cond.get("status") == status


def merge_conditions(old: list[Json] | None, new: Iterable[Json], when: str) -> list[Json]:
    """Conditions `new` laid over `old`: lastTransitionTime moves only when status changes.

    Returns the old list unchanged (same content) when nothing differs, so callers can
    compare and skip a write that would only churn resourceVersions.
    """
    merged = [dict(c) for c in old or () if isinstance(c, dict)]
    for cond in new:
        index = next((i for i, c in enumerate(merged) if c.get("type") == cond["type"]), None)
        if index is None:
            merged.append({**cond, "lastTransitionTime": when})
            continue
        current = merged[index]
        since = current.get("lastTransitionTime")
        if current.get("status") != cond.get("status") or not since:
            since = when
        merged[index] = {**cond, "lastTransitionTime": since}
    return merged


def owner_ref(obj: Json, *, controller: bool = True) -> Json:
    return {
        "apiVersion": obj.get("apiVersion", ""),
        "kind": obj.get("kind", ""),
        "name": name_of(obj),
        "uid": meta(obj).get("uid", ""),
        "controller": controller,
        "blockOwnerDeletion": True,
    }
