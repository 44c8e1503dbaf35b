"""A simulated cluster for the action tests, with an independent observer beside it.

`clusters(tmp_path)` yields `start(scenario, role=...)`, which starts a scenario with its
clock stopped (time moves only with `await c.advance(seconds)`), connects cnvtui's own
client with the role under test, and gives the test a second identity ("other",
cluster-admin) that reads and writes over plain aiohttp: the judge of cluster state, and the
colleague who changes things behind the user's back.

`c.writes` counts, at the server (a middleware of the simulated API server), every request
cnvtui's identity sent that is not a read (POST/PUT/PATCH/DELETE, access reviews included).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NamedTuple

import aiohttp
from aiohttp import web

from cnvtui.actions import ActionRunner, View, all_actions, build_context
from cnvtui.kube import resources as res
from cnvtui.kube.client import KubeClient
from cnvtui.kube.config import ConfigSource
from cnvtui.kube.events import ObjectChange
from cnvtui.kube.resources import ResourceKind
from cnvtui.sim.clock import SimClock
from cnvtui.sim.scenarios import build
from cnvtui.sim.server import SimServer
from cnvtui.state.picture import build_picture
from cnvtui.state.store import Store

MAIN_TOKEN = "main-token-0123456789"
OTHER_TOKEN = "other-token-0123456789"
NS = "openshift-cnv"
HCO_NAME = "kubevirt-hyperconverged"
READS = ("GET", "HEAD", "OPTIONS")
VIEW_KINDS = (
    res.CSV,
    res.SUBSCRIPTION,
    res.INSTALL_PLAN,
    res.HCO,
    res.KUBEVIRT,
    res.VMI,
    res.CLUSTER_VERSION,
    res.MCP,
)


@dataclass
class Cluster:
    server: SimServer
    clock: SimClock
    client: KubeClient
    state_dir: Path
    requests: list[tuple[str, str, bool]] = field(default_factory=list)
    """(method, path, sent with cnvtui's token) of every request the server received."""
    write_delay: list[float] = field(default_factory=lambda: [0.0])
    """Seconds the server waits before answering a PATCH (to provoke client timeouts)."""

    @property
    def writes(self) -> list[tuple[str, str]]:
        """Non-read requests cnvtui's identity sent, as (method, path)."""
        return [(m, p) for m, p, ours in self.requests if ours and m not in READS]

    @property
    def patches(self) -> list[str]:
        """Paths cnvtui's identity sent a PATCH to."""
        return [p for m, p in self.writes if m == "PATCH"]

    async def advance(self, seconds: float) -> None:
        await self.clock.advance(seconds)

    def runner(
        self,
        *,
        read_only: bool = False,
        state_dir: Path | None = None,
        client: KubeClient | None = None,
    ) -> ActionRunner:
        ctx = build_context(
            client or self.client,
            NS,
            read_only=read_only,
            state_dir=state_dir or self.state_dir,
            rate_limit=50,
        )
        return ActionRunner(ctx, all_actions())

    async def connect(self) -> KubeClient:
        """Another cnvtui client with the same kubeconfig (a second dashboard)."""
        assert self.server.kubeconfig_path is not None
        return await KubeClient.connect(ConfigSource(kubeconfig=str(self.server.kubeconfig_path)))

    async def request(
        self, method: str, path: str, body: Any = None, *, content_type: str = "application/json"
    ) -> tuple[int, Any]:
        """One request as "other" (cluster-admin), independent of cnvtui's client."""
        headers = {"Authorization": f"Bearer {OTHER_TOKEN}", "Content-Type": content_type}
        async with (
            aiohttp.ClientSession() as session,
            session.request(
                method,
                self.server.url + path,
                headers=headers,
                data=None if body is None else json.dumps(body),
            ) as response,
        ):
            raw = await response.read()
            return response.status, json.loads(raw) if raw else None

    async def get(self, kind: ResourceKind, namespace: str | None, name: str) -> dict[str, Any]:
        status, body = await self.request("GET", kind.path(namespace, name))
        assert status == 200, body
        assert isinstance(body, dict)
        return body

    async def items(self, kind: ResourceKind, namespace: str | None = None) -> list[dict[str, Any]]:
        status, body = await self.request("GET", kind.path(namespace))
        assert status == 200, body
        return list(body["items"])

    async def patch(
        self,
        kind: ResourceKind,
        namespace: str | None,
        name: str,
        ops: list[dict[str, Any]],
        *,
        subresource: str | None = None,
    ) -> dict[str, Any]:
        path = kind.path(namespace, name) + (f"/{subresource}" if subresource else "")
        status, body = await self.request(
            "PATCH", path, ops, content_type="application/json-patch+json"
        )
        assert status == 200, body
        return dict(body)

    async def hco(self) -> dict[str, Any]:
        """The HyperConverged CR as "other" reads it (v1beta1)."""
        return await self.get(res.HCO, NS, HCO_NAME)

    async def methods(self) -> list[str]:
        """`workloadUpdateMethods` on the cluster now."""
        return list((await self.hco())["spec"]["workloadUpdateStrategy"]["workloadUpdateMethods"])

    async def annotations(self) -> dict[str, str]:
        """The HCO's annotations on the cluster now."""
        return dict((await self.hco())["metadata"].get("annotations") or {})

    async def pool(self, name: str) -> dict[str, Any]:
        """The MachineConfigPool `name` on the cluster now."""
        return await self.get(res.MCP, None, name)

    async def cluster_version(self) -> dict[str, Any]:
        """The ClusterVersion on the cluster now."""
        return await self.get(res.CLUSTER_VERSION, None, "version")

    async def set_strategy(self, name: str, value: Any) -> None:
        """A colleague replaces one field of the HCO's workload update strategy."""
        path = f"/spec/workloadUpdateStrategy/{name}"
        await self.patch(res.HCO, NS, HCO_NAME, [{"op": "replace", "path": path, "value": value}])

    def set_role(self, role: str) -> None:
        """Give cnvtui's identity `role` from now on (its RBAC changed behind its back)."""
        authorizer = self.server.authorizer
        authorizer.default = replace(authorizer.default, role=role, rules=authorizer.roles[role])

    async def view(self) -> View:
        """The picture a dashboard would show now (listed through cnvtui's client)."""
        store = Store(NS)
        now = time.time()
        for kind in VIEW_KINDS:
            response = await self.client.request("GET", kind.path())
            async with response:
                if response.status != 200:
                    continue
                body = json.loads(await response.read())
            for item in body.get("items") or []:
                item.setdefault("apiVersion", kind.api_version)
                item.setdefault("kind", kind.kind)
                store.apply(ObjectChange(kind.key, "ADDED", item, now))
        return View(build_picture(store, now), store)

    async def wait_for(
        self, check: Callable[[], Awaitable[bool]], *, step: float = 30.0, limit: int = 200
    ) -> None:
        """Advance simulated time until `check()` holds."""
        for _ in range(limit):
            if await check():
                return
            await self.advance(step)
        raise AssertionError("the simulated cluster never got there")


ClusterFactory = Callable[..., Awaitable[Cluster]]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@contextlib.asynccontextmanager
async def clusters(tmp_path: Path) -> AsyncIterator[ClusterFactory]:
    """A factory of clusters; every one started is stopped on exit."""
    started: list[Cluster] = []

    async def start(
        scenario: str = "steady", *, role: str = "admin", vmis: int = 6, **options: Any
    ) -> Cluster:
        built = build(scenario, vmis=vmis, namespaces=2, nodes=5, speed=0)
        requests: list[tuple[str, str, bool]] = []
        delay = [0.0]

        @web.middleware
        async def counting(request: web.Request, handler: Handler) -> web.StreamResponse:
            ours = request.headers.get("Authorization", "").endswith(MAIN_TOKEN)
            requests.append((request.method, request.path, ours))
            if request.method == "PATCH" and delay[0]:
                await asyncio.sleep(delay[0])
            return await handler(request)

        server = SimServer(
            **built.server_options(),
            token=MAIN_TOKEN,
            role=role,
            user="alice",
            users=[("other", OTHER_TOKEN, "admin")],
            kubeconfig_path=tmp_path / f"sim-{len(started)}.kubeconfig",
            middlewares=[counting],
            **options,
        )
        await server.start()
        client = await KubeClient.connect(ConfigSource(kubeconfig=str(server.kubeconfig_path)))
        c = Cluster(
            server, built.clock, client, tmp_path / f"state-{len(started)}", requests, delay
        )
        started.append(c)
        await asyncio.sleep(0)
        return c

    try:
        yield start
    finally:
        for c in reversed(started):
            await c.client.close()
            await c.server.stop()


async def pending_plan(c: Cluster) -> str:
    """Advance a Manual-approval scenario until the Subscription's plan waits; its name."""
    name = ""

    async def waiting() -> bool:
        nonlocal name
        sub = (await c.items(res.SUBSCRIPTION, NS))[0]
        name = ((sub.get("status") or {}).get("installPlanRef") or {}).get("name") or ""
        if not name:
            return False
        plan = await c.get(res.INSTALL_PLAN, NS, name)
        return (plan.get("status") or {}).get("phase") == "RequiresApproval"

    await c.wait_for(waiting)
    return name


class Awaiting(NamedTuple):
    """A Manual-approval cluster whose Subscription's install plan waits for approval."""

    cluster: Cluster
    plan: str


async def awaiting_approval(start: ClusterFactory, **options: Any) -> Awaiting:
    """Start the "manual-approval" scenario and advance it until its plan waits."""
    c = await start("manual-approval", **options)
    return Awaiting(c, await pending_plan(c))
