"""OLM's olm-operator: ClusterServiceVersion phases.

A new CSV goes Pending -> InstallReady -> Installing -> Succeeded (or Failed, for a bundle
the scenario marks as failing); the CSV it replaces goes Replacing (BeingReplaced) while the
new one installs, Deleting (Replaced) once it has succeeded, and then disappears. Every step
appends to `status.conditions`, which is the phase history `oc get csv -o yaml` shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cnvtui.sim import seed
from cnvtui.sim.clock import SimClock
from cnvtui.sim.controllers import releases
from cnvtui.sim.controllers.base import (
    CSV_GROUP,
    Json,
    dig,
    name_of,
    read_all,
    seconds_since,
    stamp,
    status_of,
)
from cnvtui.sim.controllers.config import SimConfig
from cnvtui.sim.store import Store

_HISTORY = 20


@dataclass(frozen=True)
class _Step:
    phase: str
    reason: str
    message: str
    # Simulated seconds the CSV stays at this step before the next one (min, max).
    lasts: tuple[float, float]


_INSTALL = (
    _Step("Pending", "RequirementsUnknown", "requirements not yet checked", (2, 5)),
    _Step(
        "InstallReady", "AllRequirementsMet", "all requirements found, attempting install", (3, 8)
    ),
    _Step(
        "Installing", "InstallSucceeded", "waiting for install components to report healthy",
        (8, 20),
    ),
    _Step(
        "Installing", "InstallWaiting",
        'installing: waiting for deployment hco-operator to become ready: deployment '
        '"hco-operator" not available: Deployment does not have minimum availability.',
        (60, 180),
    ),
)  # fmt: skip
_SUCCEEDED = _Step(
    "Succeeded", "InstallSucceeded", "install strategy completed with no errors", (0, 0)
)
# How long a failing install waits before it gives up (a Deployment's progress deadline).
_FAIL_AFTER = 600.0
_REPLACED = "has been replaced by a newer ClusterServiceVersion that has successfully installed."


def new_csv(version: str, *, replaces: str | None, now: datetime) -> Json:
    """A CNV CSV as its bundle defines it (spec only; the controller writes status)."""
    csv = seed.csv_object(version, started=now, replaces=replaces)
    csv.pop("status", None)
    for key in ("uid", "creationTimestamp"):
        csv["metadata"].pop(key, None)
    return csv


class OlmOperator:
    """Moves CNV CSVs through their install and replacement phases."""

    interval = 3.0

    def __init__(self, clock: SimClock, config: SimConfig) -> None:
        self.clock = clock
        self.config = config

    def reconcile(self, store: Store) -> None:
        csvs = read_all(store, CSV_GROUP, "clusterserviceversions", self.config.namespace)
        csvs = [c for c in csvs if releases.version_of_csv(name_of(c))]
        replacer = {str(dig(c, "spec", "replaces")): c for c in csvs if dig(c, "spec", "replaces")}
        for csv in csvs:
            newer = replacer.get(name_of(csv))
            if newer is not None and self._replace(store, csv, newer):
                continue
            self._install(store, csv)

    def _install(self, store: Store, csv: Json) -> None:
        status = status_of(csv)
        phase = str(status.get("phase") or "")
        if phase in ("Succeeded", "Failed", "Replacing", "Deleting"):
            return
        if not phase:
            self._write(store, csv, _INSTALL[0])
            return
        index = next(
            (
                i
                for i, s in enumerate(_INSTALL)
                if s.phase == phase and s.reason == status.get("reason")
            ),
            0,
        )
        step = _INSTALL[index]
        waited = seconds_since(self.clock, status.get("lastUpdateTime"))
        version = releases.version_of_csv(name_of(csv)) or ""
        bundle = self.config.bundle(version)
        failure = bundle.failure if bundle else None
        if failure is not None and index == len(_INSTALL) - 1:
            if waited >= _FAIL_AFTER:
                self._write(
                    store, csv, _Step("Failed", failure.csv_reason, failure.csv_message, (0, 0))
                )
            return
        low, high = step.lasts
        if waited < self.clock.rng("csv", name_of(csv), index).uniform(low, high):
            return
        self._write(store, csv, _INSTALL[index + 1] if index + 1 < len(_INSTALL) else _SUCCEEDED)

    def _replace(self, store: Store, csv: Json, newer: Json) -> bool:
        """Handle a CSV that a newer one replaces; False if it is not being replaced yet."""
        phase = status_of(csv).get("phase")
        newer_phase = status_of(newer).get("phase")
        if phase not in ("Replacing", "Deleting"):
            message = f"being replaced by csv: {name_of(newer)}"
            self._write(store, csv, _Step("Replacing", "BeingReplaced", message, (0, 0)))
        elif phase == "Replacing" and newer_phase == "Succeeded":
            self._write(store, csv, _Step("Deleting", "Replaced", _REPLACED, (0, 0)))
        elif phase == "Deleting":
            waited = seconds_since(self.clock, status_of(csv).get("lastTransitionTime"))
            if waited >= self.clock.rng("csv-delete", name_of(csv)).uniform(3, 10):
                store.delete(
                    CSV_GROUP, "clusterserviceversions", self.config.namespace, name_of(csv)
                )
        return True

    def _write(self, store: Store, csv: Json, step: _Step) -> None:
        now = stamp(self.clock.now())
        old = status_of(csv)
        entry = {
            "phase": step.phase,
            "reason": step.reason,
            "message": step.message,
            "lastUpdateTime": now,
            "lastTransitionTime": now
            if old.get("phase") != step.phase
            else old.get("lastTransitionTime", now),
        }
        history = [*(old.get("conditions") or []), entry][-_HISTORY:]
        store.patch(
            CSV_GROUP, "clusterserviceversions", self.config.namespace, name_of(csv), "merge",
            {"status": {**entry, "conditions": history, "requirementStatus": old.get(
                "requirementStatus") or []}},
            subresource="status",
        )  # fmt: skip
