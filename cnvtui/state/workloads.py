"""VMIs and the workload update strategy: who is outdated, and who will never be updated.

`vmi_flags` runs on every VMI event (tens of thousands a second), so it reads only the four
facts the store counts incrementally; the full row is built lazily when shown.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping

from cnvtui.kube.events import Obj
from cnvtui.state.model import MethodsBackup, OutdatedVmiRow, WorkloadStrategy
from cnvtui.state.views import as_dict, as_int, as_str, as_str_list, condition, dig, parse_time

__all__ = [
    "BACKUP_ANNOTATION",
    "BACKUP_TAKEN_AT_ANNOTATION",
    "EVICT_LIVE_MIGRATE",
    "NOT_MIGRATABLE",
    "OUTDATED",
    "OUTDATED_LABEL",
    "RUNNING",
    "never_reason",
    "outdated_row_maker",
    "read_strategy",
    "vmi_flags",
]

OUTDATED_LABEL = "kubevirt.io/outdatedLauncherImage"
BACKUP_ANNOTATION = "cnvtui.io/workload-update-methods-backup"
BACKUP_TAKEN_AT_ANNOTATION = "cnvtui.io/backup-taken-at"
LIVE_MIGRATE = "LiveMigrate"
EVICT = "Evict"
DEFAULT_METHODS = (LIVE_MIGRATE,)

OUTDATED = 1
RUNNING = 2
NOT_MIGRATABLE = 4
"""LiveMigratable condition is False (unknown counts as migratable)."""
EVICT_LIVE_MIGRATE = 8
"""spec.evictionStrategy is LiveMigrate."""


def vmi_flags(obj: Obj) -> int:
    """The bit flags the store counts for one VMI object."""
    flags = 0
    meta = obj.get("metadata")
    if isinstance(meta, dict):
        labels = meta.get("labels")
        if isinstance(labels, dict) and OUTDATED_LABEL in labels:
            flags = OUTDATED
    status = obj.get("status")
    if isinstance(status, dict):
        if status.get("phase") == "Running":
            flags |= RUNNING
        conds = status.get("conditions")
        if isinstance(conds, list):
            for cond in conds:
                if (
                    isinstance(cond, dict)
                    and cond.get("type") == "LiveMigratable"
                    and cond.get("status") == "False"
                ):
                    flags |= NOT_MIGRATABLE
                    break
    spec = obj.get("spec")
    if isinstance(spec, dict) and spec.get("evictionStrategy") == LIVE_MIGRATE:
        flags |= EVICT_LIVE_MIGRATE
    return flags


def never_reason(flags: int, methods: tuple[str, ...]) -> str:
    """Why an outdated VMI will never be updated under `methods` ("" if it will be)."""
    if not flags & OUTDATED:
        return ""
    if not methods:
        return "workloadUpdateMethods is empty"
    stuck = flags & NOT_MIGRATABLE
    if stuck and flags & EVICT_LIVE_MIGRATE:
        return "not live-migratable and evictionStrategy LiveMigrate: eviction is refused"
    if stuck and EVICT not in methods:
        return "not live-migratable and methods are LiveMigrate only"
    return ""


def outdated_row_maker(
    methods: tuple[str, ...],
    vmis: Mapping[tuple[str, str], Obj],
    outdated_since: Mapping[tuple[str, str], float],
    now: float,
) -> Callable[[tuple[str, str]], OutdatedVmiRow]:
    """A function from a VMI key (namespace, name) to its row, for `Rows`.

    `vmis` and `outdated_since` must be snapshots (copies) taken with the key list.
    """

    def make(key: tuple[str, str]) -> OutdatedVmiRow:
        obj = vmis.get(key, {})
        namespace, name = key
        flags = vmi_flags(obj)
        cond = condition(obj, "LiveMigratable")
        migratable = None if cond is None else cond.status == "True"
        reason = ""
        if cond is not None and not migratable:
            reason = cond.message or cond.reason
        created = parse_time(dig(obj, "metadata", "creationTimestamp"))
        since = outdated_since.get(key)
        why = never_reason(flags, methods)
        return OutdatedVmiRow(
            namespace=namespace,
            name=name,
            node=as_str(dig(obj, "status", "nodeName")),
            phase=as_str(dig(obj, "status", "phase")),
            migratable=migratable,
            migratable_reason=reason,
            eviction_strategy=as_str(dig(obj, "spec", "evictionStrategy")),
            age=None if created is None else max(0.0, now - created),
            outdated_for=None if since is None else max(0.0, now - since),
            never_updates=bool(why),
            never_reason=why,
        )

    return make


def _strategy_block(hco: Obj) -> tuple[str, dict[str, object], dict[str, object]]:
    spec = as_dict(hco.get("spec"))
    virt = as_dict(spec.get("virtualization"))
    if "workloadUpdateStrategy" in virt or "liveMigrationConfig" in virt:
        return (
            "hco spec.virtualization.workloadUpdateStrategy",
            as_dict(virt.get("workloadUpdateStrategy")),
            as_dict(virt.get("liveMigrationConfig")),
        )
    return (
        "hco spec.workloadUpdateStrategy",
        as_dict(spec.get("workloadUpdateStrategy")),
        as_dict(spec.get("liveMigrationConfig")),
    )


def read_backup(hco: Obj) -> MethodsBackup | None:
    """The methods backup held in the HCO's annotations, if any."""
    annotations = as_dict(dig(hco, "metadata", "annotations"))
    if BACKUP_ANNOTATION not in annotations:
        return None
    raw = as_str(annotations.get(BACKUP_ANNOTATION))
    taken_at = parse_time(annotations.get(BACKUP_TAKEN_AT_ANNOTATION))
    try:
        parsed = json.loads(raw)
    except ValueError:
        parsed = None
    valid = isinstance(parsed, list) and all(isinstance(m, str) for m in parsed)
    methods = tuple(parsed) if valid and isinstance(parsed, list) else ()
    return MethodsBackup(methods=methods, taken_at=taken_at, valid=valid, raw=raw)


def read_strategy(hco: Obj | None, kubevirt: Obj | None) -> WorkloadStrategy:
    """The strategy in force, with warnings a person should act on.

    A missing `workloadUpdateMethods` means the CRD default, LiveMigrate; an explicit empty
    list means no automatic workload update at all.
    """
    if hco is None:
        kv_methods = _kubevirt_methods(kubevirt)
        return WorkloadStrategy(
            source="none",
            methods=kv_methods or (),
            batch_eviction_size=10,
            batch_eviction_interval="1m0s",
            parallel_migrations_per_cluster=5,
            parallel_outbound_migrations_per_node=2,
            kubevirt_methods=kv_methods,
            in_sync=True,
            backup=None,
            warnings=(),
        )
    source, strategy, migration = _strategy_block(hco)
    raw_methods = strategy.get("workloadUpdateMethods")
    methods = DEFAULT_METHODS if raw_methods is None else as_str_list(raw_methods)
    kv_methods = _kubevirt_methods(kubevirt)
    in_sync = kv_methods is None or kv_methods == methods
    backup = read_backup(hco)
    warnings: list[str] = []
    if not methods:
        warnings.append("workloadUpdateMethods is empty: no VM will be updated automatically")
    if backup is not None:
        if not backup.valid:
            warnings.append(f"methods backup annotation is not a JSON list: {backup.raw!r}")
        else:
            warnings.append(
                "a backup of workloadUpdateMethods is held: "
                f"[{', '.join(backup.methods)}] (restore it when the update is done)"
            )
    if not in_sync:
        warnings.append(
            f"KubeVirt methods [{', '.join(kv_methods or ())}] differ from the HCO's "
            f"[{', '.join(methods)}]: HCO has not reconciled yet"
        )
    return WorkloadStrategy(
        source=source,
        methods=methods,
        batch_eviction_size=as_int(strategy.get("batchEvictionSize"), 10),
        batch_eviction_interval=as_str(strategy.get("batchEvictionInterval"), "1m0s"),
        parallel_migrations_per_cluster=as_int(migration.get("parallelMigrationsPerCluster"), 5),
        parallel_outbound_migrations_per_node=as_int(
            migration.get("parallelOutboundMigrationsPerNode"), 2
        ),
        kubevirt_methods=kv_methods,
        in_sync=in_sync,
        backup=backup,
        warnings=tuple(warnings),
    )


def _kubevirt_methods(kubevirt: Obj | None) -> tuple[str, ...] | None:
    if kubevirt is None:
        return None
    strategy = dig(kubevirt, "spec", "workloadUpdateStrategy")
    if not isinstance(strategy, dict):
        return ()
    return as_str_list(strategy.get("workloadUpdateMethods"))
