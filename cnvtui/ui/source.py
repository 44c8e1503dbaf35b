"""The dashboard's data source: an interface, and its implementation over the kube layer.

The app gets its source injected (as harlequin gets its database adapter), so tests, the demo
and a real cluster all run the same app: the demo and tests pass a `KubeSource` connected to
the simulated cluster over real HTTP.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any, Protocol

from cnvtui.kube import resources as res
from cnvtui.kube.client import KubeClient
from cnvtui.kube.cnv import WATCHED, Watched, stream_specs
from cnvtui.kube.errors import Unreachable
from cnvtui.kube.events import KubeEvent
from cnvtui.kube.hub import WatchHub
from cnvtui.kube.settings import DEFAULT_SETTINGS, WatchSettings
from cnvtui.state.slim import PROJECTIONS

Obj = dict[str, Any]


class DashboardSource(Protocol):
    """What the app needs from the cluster: batches of events and, on demand, the Events
    (core v1) that concern one object. Nothing else; writes go through actions."""

    def batches(self) -> AsyncIterator[Sequence[KubeEvent]]: ...

    async def related_events(self, kind: str, namespace: str, name: str) -> list[Obj]: ...

    async def close(self) -> None: ...


class KubeSource:
    """The kube layer's watch hub (one list+watch loop per kind), plus Events on demand."""

    def __init__(
        self,
        client: KubeClient,
        hco_namespace: str,
        *,
        watched: Sequence[Watched] = WATCHED,
        settings: WatchSettings = DEFAULT_SETTINGS,
        slim: bool = True,
    ) -> None:
        """`slim`: keep only what the store reads of each VMI from the moment it arrives
        (the start-up memory peak); pass False where full objects must be passed on."""
        self.client = client
        self.hco_namespace = hco_namespace
        specs = stream_specs(hco_namespace, watched, projections=PROJECTIONS if slim else None)
        self.hub = WatchHub(client, specs, settings=settings)

    async def batches(self) -> AsyncIterator[Sequence[KubeEvent]]:
        """Everything that arrived since the last batch; the streams start on first use."""
        self.hub.start()
        async for batch in self.hub.batches():
            yield batch

    async def related_events(self, kind: str, namespace: str, name: str) -> list[Obj]:
        """Core Events whose involvedObject is the object, oldest first ([] when unreadable)."""
        resource = res.BY_KEY.get(kind)
        if resource is None:
            return []
        selector = f"involvedObject.name={name},involvedObject.kind={resource.kind}"
        try:
            status, body = await self.client.get_json(
                res.EVENT.path(namespace or None),
                {"fieldSelector": selector, "limit": "200"},
                within=10.0,
            )
        except Unreachable:
            return []
        if status != 200:
            return []
        items = body.get("items") if isinstance(body, dict) else None
        events = [i for i in items or [] if isinstance(i, dict)]
        events.sort(key=lambda e: str(e.get("lastTimestamp") or e.get("eventTime") or ""))
        return events

    async def fetch_object(self, kind: str, namespace: str, name: str) -> Obj | str:
        """The full object with one GET (the store keeps some kinds slimmed), or why not."""
        resource = res.BY_KEY.get(kind)
        if resource is None:
            return f"unknown kind {kind}"
        try:
            status, body = await self.client.get_json(
                resource.path(namespace or None, name), within=10.0
            )
        except Unreachable as exc:
            return str(exc)
        if status != 200 or not isinstance(body, dict):
            return f"the API server answered {status}"
        return body

    async def reload(self) -> str:
        """Re-read the kubeconfig (after `oc login`) and wake every waiting stream, so a
        dashboard whose token expired resumes without a restart. Raises ConfigError."""
        info = await self.client.reload()
        return f"kubeconfig reloaded: context {info.context or '(none)'}"

    async def close(self) -> None:
        await self.hub.stop()
