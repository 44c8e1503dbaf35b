"""The scenario kit: the registry, the builder, the clock; and the helpers the scenario and
controller tests share (an HTTP reader, a watch recorder, a way to let time pass).

Every check goes through the API over HTTP, with the requests `oc` would make.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest

from cnvtui.sim.clock import SimClock
from cnvtui.sim.scenarios import (
    SCENARIOS,
    BuiltScenario,
    add_scenario_arguments,
    build,
    build_from_args,
    describe_scenarios,
)
from cnvtui.sim.server import SimServer

Json = dict[str, Any]
START = datetime(2024, 6, 3, 9, 0, tzinfo=UTC)
NS = "openshift-cnv"

# short name -> (apiVersion path, plural, namespaced)
PATHS = {
    "csv": ("apis/operators.coreos.com/v1alpha1", "clusterserviceversions", True),
    "sub": ("apis/operators.coreos.com/v1alpha1", "subscriptions", True),
    "ip": ("apis/operators.coreos.com/v1alpha1", "installplans", True),
    "hco": ("apis/hco.kubevirt.io/v1beta1", "hyperconvergeds", True),
    "hco-v1": ("apis/hco.kubevirt.io/v1", "hyperconvergeds", True),
    "kv": ("apis/kubevirt.io/v1", "kubevirts", True),
    "vmi": ("apis/kubevirt.io/v1", "virtualmachineinstances", True),
    "vm": ("apis/kubevirt.io/v1", "virtualmachines", True),
    "vmim": ("apis/kubevirt.io/v1", "virtualmachineinstancemigrations", True),
    "cv": ("apis/config.openshift.io/v1", "clusterversions", False),
    "mcp": ("apis/machineconfiguration.openshift.io/v1", "machineconfigpools", False),
    "node": ("api/v1", "nodes", False),
    "pod": ("api/v1", "pods", True),
    "event": ("api/v1", "events", True),
    "nm": ("apis/nodemaintenance.medik8s.io/v1beta1", "nodemaintenances", False),
    "nm-legacy": ("apis/nodemaintenance.kubevirt.io/v1beta1", "nodemaintenances", False),
}


def path(kind: str, name: str | None = None, namespace: str | None = None) -> str:
    prefix, plural, namespaced = PATHS[kind]
    url = f"/{prefix}"
    if namespaced and namespace:
        url += f"/namespaces/{namespace}"
    url += f"/{plural}"
    return f"{url}/{name}" if name else url


def cond(obj: Json, ctype: str) -> Json:
    for c in (obj.get("status") or {}).get("conditions") or []:
        if c.get("type") == ctype:
            return dict(c)
    return {}


def parse_ts(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class Api:
    """Reads and writes the simulated cluster over HTTP, as a client would."""

    def __init__(self, server: SimServer) -> None:
        self.base = server.url
        self.session = aiohttp.ClientSession()

    async def close(self) -> None:
        await self.session.close()

    async def get(self, kind: str, name: str, namespace: str | None = NS) -> Json:
        async with self.session.get(self.base + path(kind, name, namespace)) as resp:
            assert resp.status == 200, await resp.text()
            body: Json = await resp.json()
            return body

    async def exists(self, kind: str, name: str, namespace: str | None = NS) -> bool:
        async with self.session.get(self.base + path(kind, name, namespace)) as resp:
            return resp.status == 200

    async def list(
        self, kind: str, namespace: str | None = None, *, labels: str | None = None
    ) -> list[Json]:
        params = {"labelSelector": labels} if labels is not None else {}
        async with self.session.get(self.base + path(kind, None, namespace), params=params) as r:
            assert r.status == 200, await r.text()
            body = await r.json()
            return list(body["items"])

    async def patch(
        self,
        kind: str,
        name: str,
        body: Any,
        *,
        namespace: str | None = NS,
        json_patch: bool = False,
    ) -> Json:
        ctype = "application/json-patch+json" if json_patch else "application/merge-patch+json"
        async with self.session.patch(
            self.base + path(kind, name, namespace),
            data=json.dumps(body),
            headers={"Content-Type": ctype},
        ) as resp:
            assert resp.status == 200, await resp.text()
            result: Json = await resp.json()
            return result

    async def create(self, kind: str, body: Json, *, namespace: str | None = NS) -> Json:
        async with self.session.post(self.base + path(kind, None, namespace), json=body) as resp:
            assert resp.status == 201, await resp.text()
            result: Json = await resp.json()
            return result


@dataclass
class Recorder:
    """Keeps every watch event of one resource (type, object), as `oc get -w` would see."""

    api: Api
    kind: str
    events: list[tuple[str, Json]] = field(default_factory=list)
    task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        ready = asyncio.Event()

        async def run() -> None:
            url = self.api.base + path(self.kind)
            params = {"watch": "1", "allowWatchBookmarks": "false"}
            async with self.api.session.get(url, params=params, timeout=None) as resp:
                ready.set()
                async for line in resp.content:
                    if line.strip():
                        event = json.loads(line)
                        self.events.append((event["type"], event["object"]))

        self.task = asyncio.create_task(run())
        await ready.wait()

    async def caught_up(self) -> None:
        """Wait until the stream has delivered everything the list shows now."""
        listed = {
            (o["metadata"].get("namespace"), o["metadata"]["name"]): o["metadata"][
                "resourceVersion"
            ]
            for o in await self.api.list(self.kind)
        }
        for _ in range(1000):
            if self.state() == listed:
                return
            await asyncio.sleep(0.01)
        raise AssertionError(f"the {self.kind} watch did not catch up with the list")

    def state(self) -> dict[tuple[str | None, str], str]:
        """What the events say exists now: (namespace, name) -> resourceVersion."""
        out: dict[tuple[str | None, str], str] = {}
        for kind, obj in self.events:
            key = (obj["metadata"].get("namespace"), obj["metadata"]["name"])
            if kind == "DELETED":
                out.pop(key, None)
            else:
                out[key] = obj["metadata"]["resourceVersion"]
        return out

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, aiohttp.ClientError):
                await self.task


async def until(
    clock: SimClock,
    check: Callable[[], Awaitable[bool]],
    *,
    step: float = 30.0,
    limit: float = 4 * 3600.0,
    what: str = "condition",
) -> float:
    """Let simulated time pass in `step`s until `check()` holds; the simulated seconds it took."""
    start = clock.elapsed()
    while not await check():
        if clock.elapsed() - start > limit:
            raise AssertionError(f"{what}: not reached after {limit:.0f} simulated seconds")
        await clock.advance(step)
    return clock.elapsed() - start


@contextlib.asynccontextmanager
async def running(
    sim: Callable[..., Awaitable[SimServer]], built: BuiltScenario
) -> AsyncIterator[tuple[SimServer, Api]]:
    server = await sim(**built.server_options())
    api = Api(server)
    try:
        yield server, api
    finally:
        await api.close()


def scenario(name: str, *, vmis: int = 10, seed: int = 0, **options: Any) -> BuiltScenario:
    """Scenario `name` with its clock stopped: tests move time with `clock.advance`."""
    return build(name, vmis=vmis, seed=seed, speed=0, start=START, **options)


def check_limits(migrations: list[Json], *, per_cluster: int, per_node: int) -> None:
    """No instant had more migrations in flight than the limits allow."""
    spans: list[tuple[datetime, datetime, str]] = []
    for m in migrations:
        stamps = {s["phase"]: parse_ts(s["phaseTransitionTimestamp"])
                  for s in m["status"]["phaseTransitionTimestamps"]}  # fmt: skip
        spans.append(
            (stamps["Scheduling"], stamps["Succeeded"], m["status"]["migrationState"]["sourceNode"])
        )
    busiest = busiest_node = 0
    for start, _, _ in spans:
        live = [s for s in spans if s[0] <= start < s[1]]
        busiest = max(busiest, len(live))
        busiest_node = max([busiest_node, *Counter(s[2] for s in live).values()])
    assert busiest <= per_cluster
    assert busiest_node <= per_node
    assert busiest >= 2, "migrations never ran in parallel"


# -- tests of the kit itself --------------------------------------------------------------


def test_every_scenario_is_listed_with_one_line() -> None:
    lines = describe_scenarios().splitlines()
    assert len(lines) == len(SCENARIOS)
    for name in ("steady", "zstream", "manual-approval", "eus", "stuck-migrations", "degraded"):
        assert any(line.split()[0] == name for line in lines)


def test_arguments_build_the_named_scenario() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--vmis", type=int, default=40)
    add_scenario_arguments(parser)
    args = parser.parse_args(["--scenario", "eus", "--speed", "600", "--seed", "3", "--vmis", "7"])
    built = build_from_args(args)
    assert built.scenario.name == "eus"
    assert built.clock.speed == 600 and built.clock.seed == 3
    vmis = [o for o in built.objects if o["kind"] == "VirtualMachineInstance"]
    assert len(vmis) == 7
    with pytest.raises(SystemExit):
        parser.parse_args(["--scenario", "no-such-story"])


def test_a_seed_gives_the_same_cluster_and_another_seed_another() -> None:
    def names(seed: int) -> list[str]:
        built = build("zstream", vmis=6, seed=seed, start=START)
        return [o["metadata"]["name"] for o in built.objects if o["kind"] == "VirtualMachine"]

    assert names(1) == names(1)
    assert names(1) != names(2)


async def test_the_clock_wakes_sleepers_in_order_and_timestamps_follow_it() -> None:
    clock = SimClock(speed=0, seed=0, start=START)
    woke: list[tuple[str, float]] = []

    async def sleeper(name: str, every: float) -> None:
        while True:
            await clock.sleep(every)
            woke.append((name, clock.elapsed()))

    tasks = [
        asyncio.create_task(clock.run()),
        asyncio.create_task(sleeper("a", 5)),
        asyncio.create_task(sleeper("b", 7)),
    ]
    try:
        await clock.advance(15)
        assert woke == [("a", 5), ("b", 7), ("a", 10), ("b", 14), ("a", 15)]
        assert (clock.now() - START).total_seconds() == 15
        clock.speed = 1000.0
        await asyncio.sleep(0.05)
        assert clock.elapsed() > 15
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def test_the_clock_random_streams_do_not_depend_on_call_order() -> None:
    a, b = SimClock(speed=0, seed=4), SimClock(speed=0, seed=4)
    first = a.rng("vmim", "x").random()
    a.rng("other").random()
    assert b.rng("vmim", "x").random() == first
    assert SimClock(speed=0, seed=5).rng("vmim", "x").random() != first


async def test_objects_written_by_controllers_carry_simulated_time(
    sim: Callable[..., Awaitable[SimServer]],
) -> None:
    built = scenario("zstream", vmis=4)
    async with running(sim, built) as (_, api):
        await until(built.clock, lambda: _has_plan(api), step=10, limit=600, what="plan")
        plans = await api.list("ip", NS)
        newest = max(plans, key=lambda p: p["metadata"]["creationTimestamp"])
        created = parse_ts(newest["metadata"]["creationTimestamp"])
        assert START.timestamp() + 60 <= created.timestamp() <= built.clock.now().timestamp()


async def test_the_same_seed_plays_the_same_story(sim: Callable[..., Awaitable[SimServer]]) -> None:
    async def play(seed: int) -> list[tuple[str, ...]]:
        built = scenario("zstream", vmis=8, seed=seed)
        async with running(sim, built) as (_, api):
            await built.clock.advance(1800)
            story = [
                (m["metadata"]["name"], m["spec"]["vmiName"],
                 m["status"]["migrationState"].get("targetNode", ""),
                 *(s["phaseTransitionTimestamp"] for s in m["status"]["phaseTransitionTimestamps"]))
                for m in await api.list("vmim")
            ]  # fmt: skip
            csv = await api.get("csv", "kubevirt-hyperconverged-operator.v4.14.4")
            story.append(tuple(c["lastTransitionTime"] for c in csv["status"]["conditions"]))
            return sorted(story)

    first = await play(7)
    assert len(first) > 3
    assert await play(7) == first
    assert await play(8) != first


async def _has_plan(api: Api) -> bool:
    return len(await api.list("ip", NS)) > 1
