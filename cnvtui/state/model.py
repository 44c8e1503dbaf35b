"""The derived update picture: what the dashboard, `status` and record/replay render.

Everything here is a frozen value computed by `build_picture(store, now)`. Times are wall-clock
epoch seconds (floats); durations are seconds. Strings taken from the cluster are kept as they
came: callers that print them pass them through `cnvtui.state.text.safe_text` (the UI also
renders them with markup disabled).

Large lists (outdated VMIs) are `Rows`: a read-only sequence that builds rows on demand, so a
windowed table asks only for the rows it shows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Generic, TypeVar, overload

from cnvtui.kube.events import StreamState

__all__ = [
    "ClusterFacts",
    "ConditionRow",
    "CsvRow",
    "HcoPicture",
    "InstallPlanRow",
    "MethodsBackup",
    "MigrationRow",
    "MigrationsPicture",
    "OpenShiftUpdate",
    "OutdatedPicture",
    "OutdatedVmiRow",
    "PhaseStep",
    "PoolRow",
    "Rows",
    "Severity",
    "StreamRow",
    "StreamState",
    "SubscriptionFacts",
    "TimelineEntry",
    "UpdatePicture",
    "Verdict",
    "VmiAttempts",
    "WorkloadStrategy",
]

T = TypeVar("T")


class Verdict(StrEnum):
    """One word for the whole CNV update, most urgent first in `build_picture`'s logic."""

    IDLE = "Idle"
    UPDATING = "Updating"
    WAITING_FOR_APPROVAL = "Waiting for approval"
    MIGRATING = "Migrating workloads"
    STUCK = "Stuck"
    DEGRADED = "Degraded"
    DONE = "Done"


class Severity(StrEnum):
    """How a timeline entry or a warning should stand out."""

    INFO = "info"
    OK = "ok"
    WARNING = "warning"
    ERROR = "error"


class Rows(Sequence[T], Generic[T]):
    """A read-only, lazily built list of rows.

    Holds references to immutable inputs (raw objects are replaced, never mutated, by the
    store) and a function that turns one input into a row, so indexing row 9,000 of 10,000
    builds only that row. Rows are cached once built.
    """

    __slots__ = ("_cache", "_items", "_make")

    def __init__(self, items: Sequence[Any], make: Callable[[Any], T]) -> None:
        self._items = items
        self._make = make
        self._cache: dict[int, T] = {}

    @classmethod
    def of(cls, rows: Sequence[T]) -> Rows[T]:
        """Wrap already built rows."""
        return cls(rows, _identity)

    def __len__(self) -> int:
        return len(self._items)

    @overload
    def __getitem__(self, index: int) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> list[T]: ...
    def __getitem__(self, index: int | slice) -> T | list[T]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self._items)))]
        if index < 0:
            index += len(self._items)
        row = self._cache.get(index)
        if row is None:
            row = self._make(self._items[index])
            self._cache[index] = row
        return row

    def __iter__(self) -> Iterator[T]:
        for i in range(len(self._items)):
            yield self[i]

    def filter(self, keep: Callable[[T], bool]) -> Rows[T]:
        """The rows for which `keep` is true (builds every row once)."""
        return Rows.of([row for row in self if keep(row)])

    def __repr__(self) -> str:
        return f"Rows(len={len(self)})"


def _identity(x: Any) -> Any:
    return x


@dataclass(frozen=True, slots=True)
class StreamRow:
    """The connection state of one watch (a `cnvtui.kube.resources` key)."""

    kind: str
    state: StreamState
    since: float
    as_of: float | None
    message: str


@dataclass(frozen=True, slots=True)
class OpenShiftUpdate:
    """An OpenShift (ClusterVersion) update in progress."""

    from_version: str | None
    to_version: str
    started: float | None
    message: str


@dataclass(frozen=True, slots=True)
class SubscriptionFacts:
    """The CNV Subscription: how updates arrive and where OLM is with them."""

    name: str
    namespace: str
    package: str
    channel: str
    approval: str
    state: str
    current_csv: str
    installed_csv: str
    install_plan_ref: str
    """Name of the InstallPlan in `status.installPlanRef` ("" when none)."""
    message: str
    """The most telling condition message (e.g. InstallPlanPending: RequiresApproval)."""


@dataclass(frozen=True, slots=True)
class PoolRow:
    """A MachineConfigPool: paused pools matter for EUS updates."""

    name: str
    paused: bool
    machine_count: int
    updated_count: int
    ready_count: int
    degraded_count: int
    updating: bool
    degraded: bool


@dataclass(frozen=True, slots=True)
class ClusterFacts:
    """The header: what runs where, and what is updating."""

    hco_namespace: str
    openshift_version: str | None
    openshift_update: OpenShiftUpdate | None
    cnv_version: str | None
    """HCO `status.versions[name=operator]`."""
    subscription: SubscriptionFacts | None
    pools: tuple[PoolRow, ...]
    nodes_total: int
    nodes_unschedulable: int
    nodes_in_maintenance: tuple[str, ...]
    legacy_maintenance: tuple[str, ...]
    """Nodes under the old `nodemaintenance.kubevirt.io` CRs (block 4.10 -> 4.11)."""


@dataclass(frozen=True, slots=True)
class PhaseStep:
    """One entry of a CSV's phase history."""

    phase: str
    reason: str
    message: str
    at: float | None


@dataclass(frozen=True, slots=True)
class CsvRow:
    """A ClusterServiceVersion in the HCO namespace."""

    name: str
    namespace: str
    version: str
    replaces: str
    phase: str
    reason: str
    message: str
    phase_since: float | None
    history: tuple[PhaseStep, ...]
    """From `status.conditions[]` merged with the transitions cnvtui saw itself."""


@dataclass(frozen=True, slots=True)
class ConditionRow:
    """One HCO condition; `healthy` is whether its status is the good one for its type."""

    type: str
    status: str
    reason: str
    message: str
    last_transition: float | None
    healthy: bool


@dataclass(frozen=True, slots=True)
class HcoPicture:
    """The HyperConverged CR: the five conditions first, in their usual order."""

    name: str
    namespace: str
    api_version: str
    """The apiVersion of the object as served (hco.kubevirt.io/v1beta1 or /v1)."""
    conditions: tuple[ConditionRow, ...]
    healthy: bool
    """Available=True, Progressing=False, Degraded=False, Upgradeable=True."""
    versions: tuple[tuple[str, str], ...]
    system_health_status: str


@dataclass(frozen=True, slots=True)
class InstallPlanRow:
    """An InstallPlan in the HCO namespace."""

    name: str
    namespace: str
    csv_names: tuple[str, ...]
    approval: str
    approved: bool
    phase: str
    created: float | None
    is_current: bool
    """Named by the Subscription's `status.installPlanRef`: the only one safe to approve."""
    awaits_approval: bool
    """Current, phase RequiresApproval and not yet approved."""
    can_approve: bool
    why_not: str
    """Why approving it would be wrong ("" when it can be approved)."""


@dataclass(frozen=True, slots=True)
class MethodsBackup:
    """A backup of `workloadUpdateMethods` held in the HCO's annotations (EUS step 2)."""

    methods: tuple[str, ...]
    taken_at: float | None
    valid: bool
    """False when the annotation is not a JSON list of strings (the raw text is kept)."""
    raw: str


@dataclass(frozen=True, slots=True)
class WorkloadStrategy:
    """How outdated VMIs get updated, as the HCO says (KubeVirt should agree)."""

    source: str
    """Where it was read: "hco spec.workloadUpdateStrategy", "...virtualization..." or "none"."""
    methods: tuple[str, ...]
    batch_eviction_size: int
    batch_eviction_interval: str
    parallel_migrations_per_cluster: int
    parallel_outbound_migrations_per_node: int
    kubevirt_methods: tuple[str, ...] | None
    in_sync: bool
    """KubeVirt's `spec.workloadUpdateStrategy.workloadUpdateMethods` equals the HCO's."""
    backup: MethodsBackup | None
    warnings: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class OutdatedVmiRow:
    """A VMI whose virt-launcher runs old components (`kubevirt.io/outdatedLauncherImage`)."""

    namespace: str
    name: str
    node: str
    phase: str
    migratable: bool | None
    """LiveMigratable condition; None when the VMI does not say."""
    migratable_reason: str
    eviction_strategy: str
    age: float | None
    """Seconds since the VMI was created."""
    outdated_for: float | None
    """Seconds since cnvtui first saw it outdated."""
    never_updates: bool
    never_reason: str


@dataclass(frozen=True, slots=True)
class OutdatedPicture:
    """Progress of the workload update."""

    count: int
    running_total: int
    updated: int
    progress: float
    """updated / running_total, 1.0 when nothing runs."""
    burndown: tuple[tuple[float, int], ...]
    """(time, outdated count) samples, oldest first, at most one per second."""
    rate_per_minute: float | None
    """VMIs leaving the outdated set per minute over the recent window; None if unknown."""
    eta_seconds: float | None
    never_updates_count: int
    rows: Rows[OutdatedVmiRow]
    """Sorted by namespace, name. Lazy: index or slice what is shown."""

    def filtered(self, text: str = "", *, never_only: bool = False) -> Rows[OutdatedVmiRow]:
        """Rows whose namespace/name/node contains `text` (case-insensitive)."""
        needle = text.casefold()

        def keep(row: OutdatedVmiRow) -> bool:
            if never_only and not row.never_updates:
                return False
            if not needle:
                return True
            return any(needle in s.casefold() for s in (row.namespace, row.name, row.node))

        if not needle and not never_only:
            return self.rows
        return self.rows.filter(keep)


@dataclass(frozen=True, slots=True)
class MigrationRow:
    """A VMIM that exists now, with what cnvtui remembers of earlier attempts for its VMI."""

    namespace: str
    name: str
    vmi: str
    phase: str
    workload_update: bool
    """Created by the workload updater (annotation or generateName)."""
    started: float | None
    duration: float | None
    """Seconds from creation to the end (or to now while running)."""
    attempt: int
    """Which attempt this is for its VMI, counting attempts already garbage-collected."""
    failure_reason: str
    target_pending_for: float | None
    """Seconds the target pod has been pending (phase Pending/Scheduling), else None."""
    unschedulable: bool
    pending_limit: float | None
    """The timeout that applies: 300 s when Unschedulable, else 900 s; None when not pending."""
    over_limit: bool


@dataclass(frozen=True, slots=True)
class VmiAttempts:
    """Every migration attempt seen for one VMI, including deleted VMIMs."""

    namespace: str
    vmi: str
    attempts: int
    failures: int
    failures_since_success: int
    last_phase: str
    last_failure_reason: str
    succeeded: bool


@dataclass(frozen=True, slots=True)
class MigrationsPicture:
    """Migrations across namespaces and the per-VMI history."""

    rows: tuple[MigrationRow, ...]
    """Current VMIMs, newest first."""
    running: int
    pending: int
    failed: int
    succeeded: int
    by_vmi: tuple[VmiAttempts, ...]
    """VMIs with at least one failure, most failures since success first."""


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One transition cnvtui saw. `object` is "namespace/name" or "name"."""

    at: float
    kind: str
    object: str
    text: str
    severity: Severity


@dataclass(frozen=True, slots=True)
class UpdatePicture:
    """Everything the dashboard shows, at time `now`."""

    now: float
    verdict: Verdict
    reason: str
    """Why, without the verdict word ("install plan install-abcde (...) needs approval")."""
    problems: tuple[str, ...]
    """Top problems, most urgent first (status prints them)."""
    cluster: ClusterFacts
    streams: tuple[StreamRow, ...]
    csvs: tuple[CsvRow, ...]
    hco: HcoPicture | None
    install_plans: tuple[InstallPlanRow, ...]
    workload_strategy: WorkloadStrategy
    outdated: OutdatedPicture
    migrations: MigrationsPicture
    timeline: tuple[TimelineEntry, ...]
    """Oldest first, bounded."""

    @property
    def headline(self) -> str:
        """ "Verdict: reason", e.g. "Migrating workloads: 120 of 400 VMIs outdated, ETA 14m"."""
        return f"{self.verdict.value}: {self.reason}" if self.reason else self.verdict.value

    @property
    def settled(self) -> bool:
        """Nothing in flight: Idle or Done."""
        return self.verdict in (Verdict.IDLE, Verdict.DONE)

    @property
    def awaiting_approval(self) -> InstallPlanRow | None:
        """The current install plan if it waits for approval."""
        return next((p for p in self.install_plans if p.awaits_approval), None)
