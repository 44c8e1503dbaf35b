"""One read of everything preflight looks at, into a state `Store`.

Preflight is a one-shot command, so it lists each kind once (paged) instead of watching.
A kind the user may not read becomes a FORBIDDEN stream state in the store, so the checks
know their answer is incomplete; a kind the cluster does not serve (no legacy
NodeMaintenance CRD, say) is simply empty. Only a cluster that cannot be reached at all, or
rejects the credentials, stops the collection (`CannotCheck`).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass

import aiohttp

from cnvtui.kube import resources as res
from cnvtui.kube.client import KubeClient
from cnvtui.kube.cnv import DEFAULT_HCO_NAMESPACE, pick_hco_namespace
from cnvtui.kube.errors import api_error_from_body, one_line, unreachable_reason
from cnvtui.kube.events import Obj, ObjectChange, StreamState, StreamStatus
from cnvtui.kube.resources import ResourceKind
from cnvtui.state.store import Store

__all__ = ["CannotCheck", "Collected", "collect", "detect_hco_namespace"]

PAGE_SIZE = 500


class CannotCheck(Exception):
    """Nothing could be checked; the message is one line for the user."""


@dataclass(frozen=True, slots=True)
class _Read:
    kind: ResourceKind
    in_hco_namespace: bool = False


READS: tuple[_Read, ...] = (
    _Read(res.CSV, True),
    _Read(res.SUBSCRIPTION, True),
    _Read(res.INSTALL_PLAN, True),
    _Read(res.HCO, True),
    _Read(res.KUBEVIRT, True),
    _Read(res.VMI),
    _Read(res.VMIM),
    _Read(res.CLUSTER_VERSION),
    _Read(res.MCP),
    _Read(res.NODE_MAINTENANCE),
    _Read(res.LEGACY_NODE_MAINTENANCE),
    _Read(res.NODE),
)
"""Nodes are read in full (not metadata only): preflight needs `spec.unschedulable`."""


@dataclass(frozen=True, slots=True)
class Collected:
    store: Store
    hco_namespace: str
    objects: int


class _Denied(Exception):
    def __init__(self, state: StreamState, message: str) -> None:
        super().__init__(message)
        self.state = state


async def _list(client: KubeClient, kind: ResourceKind, namespace: str | None) -> list[Obj]:
    """Every object of `kind` (page by page). Raises `_Denied` or `CannotCheck`."""
    items: list[Obj] = []
    token = ""
    path = kind.path(namespace if kind.namespaced else None)
    while True:
        query = [("limit", str(PAGE_SIZE))]
        if token:
            query.append(("continue", token))
        try:
            response = await client.request("GET", path, query=query)
            async with response:
                status, reason, body = response.status, response.reason or "", await response.read()
        except (aiohttp.ClientError, OSError, TimeoutError, RuntimeError) as exc:
            detail = client.redact(unreachable_reason(exc))
            raise CannotCheck(f"cannot reach the cluster at {client.server}: {detail}") from None
        if status != 200:
            err = api_error_from_body(status, reason, body[:65536])
            message = client.redact(one_line(err.message or err.reason, 200))
            if status == 401:
                raise CannotCheck(
                    f"unauthorized: the API server rejected the credentials ({message}); "
                    "log in again (oc login)"
                )
            if status == 403:
                raise _Denied(StreamState.FORBIDDEN, message)
            if status == 404:
                raise _Denied(StreamState.NOT_INSTALLED, message)
            raise CannotCheck(f"listing {kind.plural} failed: {status} {message}")
        try:
            data = json.loads(body)
        except ValueError:
            raise CannotCheck(f"the API server sent unreadable JSON for {kind.plural}") from None
        for item in data.get("items") or ():
            if isinstance(item, dict):
                item.setdefault("kind", kind.kind)
                item.setdefault("apiVersion", kind.api_version)
                items.append(item)
        token = str((data.get("metadata") or {}).get("continue") or "")
        if not token:
            return items


async def detect_hco_namespace(client: KubeClient) -> str:
    """Where the HyperConverged lives: openshift-cnv, kubevirt-hyperconverged, else the first."""
    try:
        found = await _list(client, res.HCO, None)
    except _Denied:
        return DEFAULT_HCO_NAMESPACE
    return pick_hco_namespace(found)


async def collect(
    client: KubeClient,
    namespace: str | None = None,
    *,
    within: float = 60.0,
    clock: Callable[[], float] = time.time,
) -> Collected:
    """List every kind preflight reads into a fresh `Store` (CannotCheck on failure)."""
    try:
        async with asyncio.timeout(within):
            hco_namespace = namespace or await detect_hco_namespace(client)
            results = await asyncio.gather(
                *(_read(client, r, hco_namespace) for r in READS), return_exceptions=True
            )
    except TimeoutError:
        raise CannotCheck(
            f"the cluster at {client.server} did not answer within {within:g} s"
        ) from None
    store = Store(hco_namespace)
    count = 0
    now = clock()
    for read, result in zip(READS, results, strict=True):
        key = read.kind.key
        if isinstance(result, CannotCheck):
            raise result
        if isinstance(result, _Denied):
            store.apply(StreamStatus(key, result.state, now, None, str(result)))
            continue
        if isinstance(result, BaseException):
            raise result
        for obj in result:
            store.apply(ObjectChange(key, "ADDED", obj, now))
        count += len(result)
        store.apply(StreamStatus(key, StreamState.LIVE, now))
    return Collected(store, hco_namespace, count)


async def _read(client: KubeClient, read: _Read, namespace: str) -> list[Obj]:
    where = namespace if read.in_hco_namespace else None
    try:
        return await _list(client, read.kind, where)
    except _Denied as denied:
        if read.kind is res.HCO and denied.state == StreamState.NOT_INSTALLED:
            return await _list(client, res.HCO_V1, where)
        raise
