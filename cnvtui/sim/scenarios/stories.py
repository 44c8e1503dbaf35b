"""The update stories the simulated cluster can play.

Each is data (versions, bundles, releases and when they appear, in simulated seconds from
the start) plus, where the story needs it, a `prepare` hook that bends the seeded cluster:
pins VMIs to their node, breaks image pulls on a node, requests an OpenShift update, leaves
a node in legacy maintenance. Adding a story is adding an entry here.
"""

from __future__ import annotations

import random
from dataclasses import replace

from cnvtui.sim.controllers.base import Json, dig, labels_of, name_of, status_of
from cnvtui.sim.controllers.placement import IMAGE_PULL_FAILURE, WORKER_ROLE
from cnvtui.sim.controllers.releases import Bundle, Failure, OcpRelease, ocp_image
from cnvtui.sim.scenarios.model import Scenario

HOUR = 3600.0
_Z_RELEASES = (OcpRelease("4.14.8"), OcpRelease("4.14.9"), OcpRelease("4.14.10"))


def _kind(obj: Json, kind: str) -> bool:
    return obj.get("kind") == kind


def _workers(objects: list[Json]) -> list[Json]:
    return [o for o in objects if _kind(o, "Node") and WORKER_ROLE in labels_of(o)]


def _request_ocp_update(objects: list[Json], version: str) -> None:
    for obj in objects:
        if _kind(obj, "ClusterVersion"):
            obj.setdefault("spec", {})["desiredUpdate"] = {
                "version": version,
                "image": ocp_image(version),
                "force": False,
            }


def _pin(vmi: Json) -> None:
    """Tie a VMI to the node it runs on (a nodeSelector on its hostname)."""
    node = str(status_of(vmi).get("nodeName", ""))
    vmi.setdefault("spec", {})["nodeSelector"] = {"kubernetes.io/hostname": node}


def _prepare_stuck(objects: list[Json], rng: random.Random) -> None:
    """Break things the way real clusters break them during an update.

    Two migratable VMIs are pinned to their node (their target pods are Unschedulable:
    5-minute timeouts, retries), the last worker cannot pull the new launcher image (its
    target pods stay Pending: 15-minute timeouts), and an OpenShift z-stream update is
    requested, so the worker pool drains nodes holding VMIs that cannot leave.
    """
    vmis = [
        o
        for o in objects
        if _kind(o, "VirtualMachineInstance")
        and any(
            c.get("type") == "LiveMigratable" and c.get("status") == "True"
            for c in status_of(o).get("conditions") or []
        )
    ]
    for vmi in rng.sample(vmis, min(2, len(vmis))):
        _pin(vmi)
        vm = next(
            (
                o
                for o in objects
                if _kind(o, "VirtualMachine")
                and name_of(o) == name_of(vmi)
                and dig(o, "metadata", "namespace") == dig(vmi, "metadata", "namespace")
            ),
            None,
        )
        template = dig(vm, "spec", "template", "spec") if vm else None
        if isinstance(template, dict):
            template["nodeSelector"] = dict(vmi["spec"]["nodeSelector"])
    workers = _workers(objects)
    if workers:
        workers[-1].setdefault("metadata", {}).setdefault("annotations", {})[IMAGE_PULL_FAILURE] = (
            'Back-off pulling image "registry.redhat.io/container-native-virtualization/'
            'virt-launcher-rhel9": rpc error: code = Unknown desc = pinging container registry '
            "registry.redhat.io: dial tcp: i/o timeout"
        )
    _request_ocp_update(objects, "4.14.10")


def _prepare_eus(objects: list[Json], _rng: random.Random) -> None:
    """Give VMs that cannot live migrate the documented workaround (no live-migrate
    eviction, `runStrategy: Always`), so node drains shut them down and restart them on
    the new launcher instead of blocking: the EUS procedure can then run to the end."""
    stuck = {
        (dig(o, "metadata", "namespace"), name_of(o))
        for o in objects
        if _kind(o, "VirtualMachineInstance")
        and any(
            c.get("type") == "LiveMigratable" and c.get("status") == "False"
            for c in status_of(o).get("conditions") or []
        )
    }
    for obj in objects:
        if (dig(obj, "metadata", "namespace"), name_of(obj)) not in stuck:
            continue
        if _kind(obj, "VirtualMachineInstance"):
            obj["spec"]["evictionStrategy"] = "None"
        elif _kind(obj, "VirtualMachine"):
            obj["spec"]["runStrategy"] = "Always"
            obj["spec"].pop("running", None)
            obj["spec"]["template"]["spec"]["evictionStrategy"] = "None"


def _prepare_legacy_maintenance(objects: list[Json], _rng: random.Random) -> None:
    """Leave the first worker in maintenance through a legacy nodemaintenance.kubevirt.io CR
    (drained long ago: its VMIs run on the other workers)."""
    workers = _workers(objects)
    if len(workers) < 2:
        return
    node = name_of(workers[0])
    workers[0].setdefault("spec", {})["unschedulable"] = True
    others = [name_of(w) for w in workers[1:]]
    moved = 0
    for obj in objects:
        if _kind(obj, "VirtualMachineInstance") and status_of(obj).get("nodeName") == node:
            target = others[moved % len(others)]
            obj["status"]["nodeName"] = target
            obj["metadata"].setdefault("labels", {})["kubevirt.io/nodeName"] = target
            moved += 1
        elif _kind(obj, "Pod") and dig(obj, "spec", "nodeName") == node:
            obj["spec"]["nodeName"] = others[0]
    objects.append(
        {
            "apiVersion": "nodemaintenance.kubevirt.io/v1beta1",
            "kind": "NodeMaintenance",
            "metadata": {"name": f"{node}-maintenance"},
            "spec": {"nodeName": node, "reason": "Replacing a failed DIMM"},
            "status": {"phase": "Succeeded", "drainProgress": 100},
        }
    )


STEADY = Scenario(
    name="steady",
    description="Healthy OpenShift 4.14 / CNV 4.14.3 cluster at rest: nothing to do.",
    ocp_version="4.14.8",
    cnv_version="4.14.3",
    bundles=(Bundle("4.14.3"),),
    ocp_releases=_Z_RELEASES,
)
ZSTREAM = Scenario(
    name="zstream",
    description="Automatic z-stream update CNV 4.14.3 -> 4.14.4; VMIs live migrate to the "
    "new launcher.",
    ocp_version="4.14.8",
    cnv_version="4.14.3",
    bundles=(Bundle("4.14.3"), Bundle("4.14.4", after=60)),
    ocp_releases=_Z_RELEASES,
)
ZSTREAM_HCO_V1 = replace(
    ZSTREAM,
    name="zstream-hco-v1",
    description="The zstream story on a cluster that stores the HyperConverged as "
    "hco.kubevirt.io/v1.",
    hco_api="v1",
)
MANUAL_APPROVAL = Scenario(
    name="manual-approval",
    description="Manual approval: CNV 4.14.4 waits for someone to approve its InstallPlan "
    "(4.14.5 supersedes it after 3 h).",
    ocp_version="4.14.8",
    cnv_version="4.14.3",
    approval="Manual",
    bundles=(Bundle("4.14.3"), Bundle("4.14.4", after=60), Bundle("4.14.5", after=3 * HOUR)),
    ocp_releases=_Z_RELEASES,
)
EUS = Scenario(
    name="eus",
    description="EUS-to-EUS 4.12 -> 4.14 with Manual approval: OpenShift 4.13 and 4.14 are "
    "offered; follow the documented procedure.",
    prepare=_prepare_eus,
    ocp_version="4.12.49",
    cnv_version="4.12.14",
    approval="Manual",
    bundles=(Bundle("4.12.14"), Bundle("4.13.9"), Bundle("4.14.4")),
    ocp_releases=(OcpRelease("4.12.49"), OcpRelease("4.13.35"), OcpRelease("4.14.12")),
)
STUCK_MIGRATIONS = Scenario(
    name="stuck-migrations",
    description="CNV z-stream plus OpenShift 4.14.10: pinned VMIs and a node that cannot "
    "pull the launcher time out and retry; a drain is blocked.",
    ocp_version="4.14.8",
    cnv_version="4.14.3",
    bundles=(Bundle("4.14.3"), Bundle("4.14.4", after=60)),
    ocp_releases=_Z_RELEASES,
    prepare=_prepare_stuck,
)
DEGRADED = Scenario(
    name="degraded",
    description="CNV 4.14.4 fails to install: its CSV goes Failed and the HCO reports Degraded.",
    ocp_version="4.14.8",
    cnv_version="4.14.3",
    bundles=(Bundle("4.14.3"), Bundle("4.14.4", after=60, failure=Failure())),
    ocp_releases=_Z_RELEASES,
)
LEGACY_MAINTENANCE = Scenario(
    name="legacy-maintenance",
    description="OpenShift 4.10 / CNV 4.10.3 with a node left in legacy "
    "nodemaintenance.kubevirt.io maintenance before the 4.11 update.",
    ocp_version="4.10.55",
    cnv_version="4.10.3",
    bundles=(Bundle("4.10.3"), Bundle("4.11.7")),
    ocp_releases=(OcpRelease("4.10.55"), OcpRelease("4.11.50")),
    prepare=_prepare_legacy_maintenance,
)

ALL = (
    STEADY,
    ZSTREAM,
    MANUAL_APPROVAL,
    EUS,
    STUCK_MIGRATIONS,
    DEGRADED,
    ZSTREAM_HCO_V1,
    LEGACY_MAINTENANCE,
)
