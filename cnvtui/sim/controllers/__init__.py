"""The simulated controllers: OLM, HCO, virt-controller, CVO, MCO and node maintenance.

Each is a level-triggered `reconcile(store)` run every few simulated seconds on the
scenario's clock; `controller_tasks` turns them into the server's background tasks.
"""

from __future__ import annotations

from typing import Protocol

from cnvtui.sim.clock import SimClock
from cnvtui.sim.controllers.base import Task, run_every
from cnvtui.sim.controllers.config import SimConfig
from cnvtui.sim.controllers.csv import OlmOperator
from cnvtui.sim.controllers.cvo import ClusterVersionOperator
from cnvtui.sim.controllers.hco import HyperConvergedOperator
from cnvtui.sim.controllers.mco import MachineConfigOperator
from cnvtui.sim.controllers.migrations import MigrationController
from cnvtui.sim.controllers.nodemaintenance import NodeMaintenanceOperator
from cnvtui.sim.controllers.olm import OlmCatalogOperator
from cnvtui.sim.controllers.virt import VirtController
from cnvtui.sim.controllers.vms import VmController
from cnvtui.sim.store import Store

__all__ = ["CONTROLLERS", "SimConfig", "controller_tasks"]


class Controller(Protocol):
    interval: float

    def reconcile(self, store: Store) -> None: ...


class _Factory(Protocol):
    def __call__(self, clock: SimClock, config: SimConfig) -> Controller: ...


CONTROLLERS: dict[str, _Factory] = {
    "olm-catalog": OlmCatalogOperator,
    "olm": OlmOperator,
    "hco": HyperConvergedOperator,
    "virt-workload-updater": VirtController,
    "virt-migration": MigrationController,
    "virt-vm": VmController,
    "cvo": ClusterVersionOperator,
    "mco": MachineConfigOperator,
    "node-maintenance": NodeMaintenanceOperator,
}


def controller_tasks(
    clock: SimClock, config: SimConfig, *, only: tuple[str, ...] | None = None
) -> list[Task]:
    """The clock's driver plus one task per controller (all, or those named in `only`)."""
    tasks: list[Task] = [clock.run]
    for name, factory in CONTROLLERS.items():
        if only is None or name in only:
            controller = factory(clock, config)
            tasks.append(run_every(clock, controller.interval, controller.reconcile, name))
    return tasks
