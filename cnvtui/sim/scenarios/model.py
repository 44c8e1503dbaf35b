"""What a scenario is (data, plus a small hook), and what building one gives.

A scenario names a starting cluster (versions, approval, HCO API), the CNV bundles and
OpenShift releases that will appear over time, and optionally a `prepare` hook that
adjusts the seeded objects (pin a VMI, request an update, break a node). `build` turns it
into objects, a clock and controller tasks for `SimServer`.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cnvtui.sim.clock import SimClock
from cnvtui.sim.controllers import controller_tasks
from cnvtui.sim.controllers.base import Json, Task
from cnvtui.sim.controllers.config import SimConfig
from cnvtui.sim.controllers.releases import Bundle, OcpRelease, minor, parse
from cnvtui.sim.seed import initial_objects

Prepare = Callable[[list[Json], random.Random], None]


@dataclass(frozen=True)
class Scenario:
    """One update story the simulated cluster can play."""

    name: str
    description: str
    ocp_version: str
    cnv_version: str
    approval: str = "Automatic"
    hco_api: str = "v1beta1"
    bundles: tuple[Bundle, ...] = ()
    ocp_releases: tuple[OcpRelease, ...] = ()
    prepare: Prepare | None = None
    # Extra keyword arguments for the seed's `initial_objects`.
    seed_options: dict[str, Any] = field(default_factory=dict)


@dataclass
class BuiltScenario:
    """A scenario made concrete: what to hand to `SimServer`."""

    scenario: Scenario
    clock: SimClock
    config: SimConfig
    objects: list[Json]
    tasks: list[Task]

    @property
    def hco_v1(self) -> bool:
        return self.scenario.hco_api == "v1"

    def server_options(self) -> dict[str, Any]:
        """Keyword arguments for `SimServer(...)`: objects, tasks, clock and HCO API."""
        return {
            "objects": self.objects,
            "tasks": self.tasks,
            "now": self.clock.now,
            "hco_v1": self.hco_v1,
        }


def build_scenario(
    scenario: Scenario,
    *,
    vmis: int = 40,
    namespaces: int = 4,
    nodes: int = 6,
    seed: int = 0,
    speed: float = 60.0,
    start: datetime | None = None,
    controllers: tuple[str, ...] | None = None,
) -> BuiltScenario:
    """Objects, clock and controller tasks for `scenario`, deterministic for `seed`."""
    clock = SimClock(speed=speed, seed=seed, start=start)
    have = parse(scenario.ocp_version)
    offered = [
        r.version
        for r in scenario.ocp_releases
        if r.after <= 0
        and parse(r.version) > have
        and minor(r.version)[1] <= minor(scenario.ocp_version)[1] + 1
    ]
    objects = initial_objects(
        vmis=vmis,
        namespaces=namespaces,
        nodes=nodes,
        cnv_version=scenario.cnv_version,
        ocp_version=scenario.ocp_version,
        approval=scenario.approval,
        hco_api=scenario.hco_api,
        seed=seed,
        now=clock.start,
        ocp_updates=sorted(offered, key=parse, reverse=True),
        **scenario.seed_options,
    )
    if scenario.prepare is not None:
        scenario.prepare(objects, random.Random(f"{seed}/prepare/{scenario.name}"))
    config = SimConfig(bundles=scenario.bundles, ocp_releases=scenario.ocp_releases)
    tasks = controller_tasks(clock, config, only=controllers)
    return BuiltScenario(scenario, clock, config, objects, tasks)
