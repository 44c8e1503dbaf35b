"""Migration attempts per VMI, kept after the cluster deletes them, and VMIM readings.

virt-controller keeps only the five most recent VMIMs of a VMI, so "attempt 7 failed again"
is only knowable by remembering. `MigrationHistory` remembers, within bounds: per VMI the
last `per_vmi_cap` attempts in detail (older ones are only counted), and at most `vmi_cap`
VMIs (the least recently active are forgotten first).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cnvtui.kube.events import Obj
from cnvtui.state.model import VmiAttempts
from cnvtui.state.views import as_dict, as_list, as_str, conditions, dig, parse_time

__all__ = [
    "FAILED",
    "PENDING_LIMIT",
    "SUCCEEDED",
    "UNSCHEDULABLE_LIMIT",
    "WORKLOAD_UPDATE_ANNOTATION",
    "MigrationHistory",
    "failure_reason",
    "is_unschedulable",
    "is_workload_update",
    "pending_since",
    "phase_time",
    "vmi_of",
]

SUCCEEDED = "Succeeded"
FAILED = "Failed"
PENDING_PHASES = frozenset({"", "Pending", "Scheduling"})
UNSCHEDULABLE_LIMIT = 300.0
"""A target pod Pending because Unschedulable fails the migration after 5 minutes."""
PENDING_LIMIT = 900.0
"""A target pod Pending for any reason fails the migration after 15 minutes."""
WORKLOAD_UPDATE_ANNOTATION = "kubevirt.io/workloadUpdateMigration"
WORKLOAD_UPDATE_PREFIX = "kubevirt-workload-update-"


def vmi_of(obj: Obj) -> tuple[str, str] | None:
    """(namespace, vmiName) a VMIM migrates."""
    vmi = dig(obj, "spec", "vmiName")
    if not isinstance(vmi, str) or not vmi:
        return None
    return (as_str(dig(obj, "metadata", "namespace")), vmi)


def failure_reason(obj: Obj) -> str:
    """Why a migration failed, from the most specific field present."""
    state = as_dict(dig(obj, "status", "migrationState"))
    reason = as_str(state.get("failureReason"))
    if reason:
        return reason
    for cond in reversed(conditions(obj)):
        if cond.status == "True" and (cond.message or cond.reason):
            return cond.message or cond.reason
    return ""


def is_unschedulable(obj: Obj) -> bool:
    """The target pod is reported Unschedulable (condition reason or message, or reason)."""
    if "Unschedulable" in as_str(dig(obj, "status", "migrationState", "failureReason")):
        return True
    return any(
        "Unschedulable" in cond.reason or "Unschedulable" in cond.message
        for cond in conditions(obj)
    )


def is_workload_update(obj: Obj) -> bool:
    """Created by KubeVirt's workload updater rather than by a person."""
    meta = as_dict(obj.get("metadata"))
    if WORKLOAD_UPDATE_ANNOTATION in as_dict(meta.get("annotations")):
        return True
    return as_str(meta.get("generateName")).startswith(WORKLOAD_UPDATE_PREFIX) or as_str(
        meta.get("name")
    ).startswith(WORKLOAD_UPDATE_PREFIX)


def phase_time(obj: Obj, phase: str) -> float | None:
    """When the VMIM entered `phase`, from `status.phaseTransitionTimestamps`."""
    found = None
    for raw in as_list(dig(obj, "status", "phaseTransitionTimestamps")):
        if isinstance(raw, dict) and raw.get("phase") == phase:
            found = parse_time(raw.get("phaseTransitionTime"))
    return found


def pending_since(obj: Obj) -> float | None:
    """When the target pod started pending, while the VMIM is Pending/Scheduling."""
    phase = as_str(dig(obj, "status", "phase"))
    if phase not in PENDING_PHASES:
        return None
    return (
        phase_time(obj, "Scheduling")
        or phase_time(obj, "Pending")
        or parse_time(dig(obj, "metadata", "creationTimestamp"))
    )


@dataclass(slots=True)
class Attempt:
    """One VMIM as remembered."""

    key: str
    name: str
    created: float | None
    first_seen: float
    phase: str = ""
    failure_reason: str = ""


@dataclass(slots=True)
class VmiHistory:
    """Every attempt seen for one VMI."""

    attempts: dict[str, Attempt] = field(default_factory=dict)
    dropped: int = 0
    failures: int = 0
    failures_since_success: int = 0
    succeeded: bool = False
    last_phase: str = ""
    last_failure_reason: str = ""

    def ordinal(self, key: str) -> int:
        """The attempt number of VMIM `key` (1-based, counting forgotten attempts)."""
        ordered = sorted(self.attempts.values(), key=_attempt_order)
        for index, attempt in enumerate(ordered):
            if attempt.key == key:
                return self.dropped + index + 1
        return self.dropped + len(ordered) + 1


def _attempt_order(attempt: Attempt) -> tuple[float, float]:
    return (
        attempt.created if attempt.created is not None else attempt.first_seen,
        attempt.first_seen,
    )


Transition = tuple[str, str]
"""(new phase, failure reason) when a VMIM reached Succeeded or Failed."""


class MigrationHistory:
    """Attempt history keyed by (namespace, vmi)."""

    def __init__(self, per_vmi_cap: int = 50, vmi_cap: int = 20000) -> None:
        self.per_vmi_cap = per_vmi_cap
        self.vmi_cap = vmi_cap
        self.by_vmi: dict[tuple[str, str], VmiHistory] = {}

    def observe(self, obj: Obj, at: float) -> tuple[tuple[str, str], VmiHistory, str] | None:
        """Record a VMIM's current phase; returns (vmi key, history, terminal phase reached).

        The terminal phase is "" unless this observation moved the attempt to Succeeded or
        Failed (each attempt is counted once, however often it is seen in that phase).
        """
        vmi = vmi_of(obj)
        if vmi is None:
            return None
        meta = as_dict(obj.get("metadata"))
        name = as_str(meta.get("name"))
        key = as_str(meta.get("uid")) or name
        history = self.by_vmi.pop(vmi, None)
        if history is None:
            history = VmiHistory()
            if len(self.by_vmi) >= self.vmi_cap:
                del self.by_vmi[next(iter(self.by_vmi))]
        self.by_vmi[vmi] = history  # most recently active last
        attempt = history.attempts.get(key)
        if attempt is None:
            attempt = Attempt(key, name, parse_time(meta.get("creationTimestamp")), at)
            history.attempts[key] = attempt
            if len(history.attempts) > self.per_vmi_cap:
                oldest = min(history.attempts.values(), key=_attempt_order)
                del history.attempts[oldest.key]
                history.dropped += 1
        phase = as_str(dig(obj, "status", "phase"))
        reached = ""
        if phase != attempt.phase:
            if phase == FAILED:
                attempt.failure_reason = failure_reason(obj)
                history.failures += 1
                history.failures_since_success += 1
                history.last_failure_reason = attempt.failure_reason
                reached = FAILED
            elif phase == SUCCEEDED:
                history.failures_since_success = 0
                history.succeeded = True
                reached = SUCCEEDED
            attempt.phase = phase
            history.last_phase = phase
        return vmi, history, reached

    def summary(self, vmi: tuple[str, str], history: VmiHistory) -> VmiAttempts:
        """The public view of one VMI's history."""
        return VmiAttempts(
            namespace=vmi[0],
            vmi=vmi[1],
            attempts=history.dropped + len(history.attempts),
            failures=history.failures,
            failures_since_success=history.failures_since_success,
            last_phase=history.last_phase,
            last_failure_reason=history.last_failure_reason,
            succeeded=history.succeeded,
        )

    def to_json(self) -> list[dict[str, Any]]:
        """JSON-able form for store snapshots."""
        return [
            {
                "namespace": ns,
                "vmi": vmi,
                "dropped": h.dropped,
                "failures": h.failures,
                "failures_since_success": h.failures_since_success,
                "succeeded": h.succeeded,
                "last_phase": h.last_phase,
                "last_failure_reason": h.last_failure_reason,
                "attempts": [
                    [a.key, a.name, a.created, a.first_seen, a.phase, a.failure_reason]
                    for a in h.attempts.values()
                ],
            }
            for (ns, vmi), h in self.by_vmi.items()
        ]

    def load_json(self, data: object) -> None:
        """Restore from `to_json` output; malformed parts are skipped."""
        for raw in as_list(data):
            if not isinstance(raw, dict):
                continue
            history = VmiHistory(
                dropped=_int(raw.get("dropped")),
                failures=_int(raw.get("failures")),
                failures_since_success=_int(raw.get("failures_since_success")),
                succeeded=raw.get("succeeded") is True,
                last_phase=as_str(raw.get("last_phase")),
                last_failure_reason=as_str(raw.get("last_failure_reason")),
            )
            for item in as_list(raw.get("attempts")):
                if not isinstance(item, list) or len(item) != 6:
                    continue
                key, name, created, first_seen, phase, reason = item
                history.attempts[as_str(key)] = Attempt(
                    as_str(key),
                    as_str(name),
                    _float_or_none(created),
                    _float_or_none(first_seen) or 0.0,
                    as_str(phase),
                    as_str(reason),
                )
            self.by_vmi[(as_str(raw.get("namespace")), as_str(raw.get("vmi")))] = history


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _float_or_none(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None
