"""What the KubeVirt controllers need to know about a VMI, read from the object alone."""

from __future__ import annotations

from cnvtui.sim.controllers import releases
from cnvtui.sim.controllers.base import (
    Json,
    condition_is,
    dig,
    labels_of,
    meta,
    status_of,
)

OUTDATED_LABEL = "kubevirt.io/outdatedLauncherImage"
NODE_LABEL = "kubevirt.io/nodeName"
WORKLOAD_UPDATE_ANNOTATION = "kubevirt.io/workloadUpdateMigration"
EVACUATION_ANNOTATION = "kubevirt.io/evacuationMigration"
VMI_NAME_LABEL = "kubevirt.io/vmi-name"
ACTIVE_MIGRATION_PHASES = (
    "Scheduling",
    "Scheduled",
    "PreparingTarget",
    "TargetReady",
    "Running",
)
FINAL_MIGRATION_PHASES = ("Succeeded", "Failed")


def key(obj: Json) -> tuple[str, str]:
    """(namespace, name) of a stored object (always has metadata: hot path, no checks)."""
    metadata = obj["metadata"]
    return metadata.get("namespace", ""), metadata["name"]


def is_running(vmi: Json) -> bool:
    return status_of(vmi).get("phase") == "Running" and not meta(vmi).get("deletionTimestamp")


def is_migratable(vmi: Json) -> bool:
    return condition_is(vmi, "LiveMigratable", "True")


def is_outdated(vmi: Json) -> bool:
    return OUTDATED_LABEL in labels_of(vmi)


def eviction_strategy(vmi: Json, kubevirt: Json | None) -> str:
    """The VMI's eviction strategy, falling back to the cluster-wide one (None if unset)."""
    own = dig(vmi, "spec", "evictionStrategy")
    if own:
        return str(own)
    cluster = dig(kubevirt, "spec", "configuration", "evictionStrategy") if kubevirt else None
    return str(cluster) if cluster else "None"


def blocks_eviction(vmi: Json, kubevirt: Json | None) -> bool:
    """True when an eviction of the VMI is refused: it must live migrate but cannot."""
    return eviction_strategy(vmi, kubevirt) == "LiveMigrate" and not is_migratable(vmi)


def migrates_on_eviction(vmi: Json, kubevirt: Json | None) -> bool:
    strategy = eviction_strategy(vmi, kubevirt)
    return strategy in ("LiveMigrate", "LiveMigrateIfPossible") and is_migratable(vmi)


def current_launcher(kubevirt: Json | None) -> str | None:
    """The launcher image virt-controller deploys now (from KubeVirt's observed version)."""
    observed = dig(kubevirt, "status", "observedKubeVirtVersion") if kubevirt else None
    cnv = releases.cnv_of_kubevirt(str(observed)) if observed else None
    return releases.launcher_image(cnv) if cnv else None


def is_deployed(kubevirt: Json | None) -> bool:
    """KubeVirt runs the version it targets (no rollout in progress)."""
    if kubevirt is None:
        return False
    status = status_of(kubevirt)
    observed = status.get("observedKubeVirtVersion")
    return bool(observed) and observed == status.get("targetKubeVirtVersion")


def migration_phase(vmim: Json) -> str:
    return str(status_of(vmim).get("phase") or "")
