"""Cluster-level objects: namespaces, ClusterVersion, nodes and MachineConfigPools, at rest."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from cnvtui.sim.controllers import releases
from cnvtui.sim.seed.common import Json, kube_minor, object_meta, ocp_minor, ts


def namespace_object(name: str, *, created: datetime, uid: str | None = None) -> Json:
    labels: Json = {"kubernetes.io/metadata.name": name}
    if name.startswith("openshift-"):
        labels["openshift.io/cluster-monitoring"] = "true"
        labels["pod-security.kubernetes.io/enforce"] = "privileged"
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": object_meta(name, created=created, uid=uid, labels=labels),
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    }


def cluster_version_object(
    version: str,
    *,
    now: datetime,
    installed: datetime,
    updated: datetime,
    previous: Sequence[str] = (),
    available: Sequence[str] = (),
    cluster_id: str = "",
    uid: str | None = None,
) -> Json:
    """ClusterVersion `version` at rest on `version` (history newest first, as the CVO
    keeps it), offering `available` updates."""
    channel = f"stable-4.{ocp_minor(version)}"
    channels = sorted(
        {
            f"candidate-4.{ocp_minor(version)}",
            f"fast-4.{ocp_minor(version)}",
            channel,
            *([f"eus-4.{ocp_minor(version)}"] if ocp_minor(version) % 2 == 0 else []),
        }
    )
    history = cluster_version_history(version, previous, installed=installed, updated=updated)
    return {
        "apiVersion": "config.openshift.io/v1",
        "kind": "ClusterVersion",
        "metadata": object_meta("version", created=installed, uid=uid),
        "spec": {
            "channel": channel,
            "clusterID": cluster_id or "84ef291d-8f1b-4d28-ab34-cfddff941b84",
        },
        "status": {
            "availableUpdates": [
                {
                    "channels": channels,
                    "image": releases.ocp_image(ver),
                    "url": "https://access.redhat.com/errata/RHSA-2024:0001",
                    "version": ver,
                }
                for ver in available
            ]
            or None,
            "capabilities": {
                "enabledCapabilities": ["Console", "Insights", "MachineAPI", "Storage"],
                "knownCapabilities": ["Console", "Insights", "MachineAPI", "Storage"],
            },
            "conditions": cluster_version_conditions(version, at=updated, since=installed),
            "desired": {
                "channels": channels,
                "image": releases.ocp_image(version),
                "url": "https://access.redhat.com/errata/RHSA-2024:0001",
                "version": version,
            },
            "history": history,
            "observedGeneration": 1,
            "versionHash": "eY5iY9nt7EE=",
        },
    }


def cluster_version_history(
    version: str, previous: Sequence[str], *, installed: datetime, updated: datetime
) -> list[Json]:
    """`status.history`, newest first: the update to `version` completed at `updated`, then
    `previous` (newest first), the last of which was installed at `installed`."""
    versions = [version, *previous]
    if len(versions) == 1:
        updated = installed + timedelta(minutes=40)
    step = (updated - installed) / max(len(versions) - 1, 1)
    history: list[Json] = []
    for index, ver in enumerate(versions):
        done = updated - step * index
        first = index == len(versions) - 1
        started = installed if first else done - timedelta(minutes=75)
        if first:
            done = installed + timedelta(minutes=40)
        history.append(
            {
                "completionTime": ts(done),
                "image": releases.ocp_image(ver),
                "startedTime": ts(started),
                "state": "Completed",
                "verified": not first,
                "version": ver,
            }
        )
    return history


def cluster_version_conditions(version: str, *, at: datetime, since: datetime) -> list[Json]:
    """The conditions of a ClusterVersion at rest on `version`."""
    return [
        {"lastTransitionTime": ts(since), "status": "True", "type": "RetrievedUpdates"},
        {
            "lastTransitionTime": ts(at),
            "message": f"Done applying {version}",
            "status": "True",
            "type": "Available",
        },
        {"lastTransitionTime": ts(at), "status": "False", "type": "Failing"},
        {
            "lastTransitionTime": ts(at),
            "message": f"Cluster version is {version}",
            "status": "False",
            "type": "Progressing",
        },
        {"lastTransitionTime": ts(at), "status": "True", "type": "Upgradeable"},
    ]


@dataclass(frozen=True)
class NodeSpec:
    """One node: its name, roles, pool and the addresses the seed hands out."""

    name: str
    roles: tuple[str, ...]
    pool: str
    index: int

    @property
    def internal_ip(self) -> str:
        return f"192.168.111.{20 + self.index}"


def node_object(node: NodeSpec, *, ocp: str, created: datetime, uid: str | None = None) -> Json:
    """A Ready node with the labels, capacity and MCO annotations OpenShift gives it."""
    labels: Json = {
        "beta.kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": node.name,
        "kubernetes.io/os": "linux",
        "node.openshift.io/os_id": "rhcos",
    }
    for role in node.roles:
        labels[f"node-role.kubernetes.io/{role}"] = ""
    if "worker" in node.roles:
        labels["kubevirt.io/schedulable"] = "true"
        labels["cpumanager"] = "false"
    rendered = releases.rendered_config(node.pool, ocp)
    annotations = {
        "machineconfiguration.openshift.io/controlPlaneTopology": "HighlyAvailable",
        "machineconfiguration.openshift.io/currentConfig": rendered,
        "machineconfiguration.openshift.io/desiredConfig": rendered,
        "machineconfiguration.openshift.io/desiredDrain": f"uncordon-{rendered}",
        "machineconfiguration.openshift.io/lastAppliedDrain": f"uncordon-{rendered}",
        "machineconfiguration.openshift.io/reason": "",
        "machineconfiguration.openshift.io/state": "Done",
    }
    spec: Json = {}
    if "worker" not in node.roles:
        spec["taints"] = [{"effect": "NoSchedule", "key": "node-role.kubernetes.io/master"}]
    stamp = ts(created)
    kube = kube_minor(ocp)
    worker = "worker" in node.roles
    capacity = {
        "cpu": "64" if worker else "16",
        "ephemeral-storage": "936104940Ki",
        "hugepages-1Gi": "0",
        "hugepages-2Mi": "0",
        "memory": "527938404Ki" if worker else "65586460Ki",
        "pods": "250",
    }
    allocatable = dict(capacity, cpu="63500m" if worker else "15500m")
    if worker:
        for device in ("kvm", "tun", "vhost-net"):
            capacity[f"devices.kubevirt.io/{device}"] = "1k"
            allocatable[f"devices.kubevirt.io/{device}"] = "1k"
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": object_meta(
            node.name, created=created, uid=uid, labels=labels, annotations=annotations
        ),
        "spec": spec,
        "status": {
            "addresses": [
                {"address": node.internal_ip, "type": "InternalIP"},
                {"address": node.name, "type": "Hostname"},
            ],
            "allocatable": allocatable,
            "capacity": capacity,
            "conditions": [
                _node_condition(
                    "MemoryPressure",
                    "False",
                    "KubeletHasSufficientMemory",
                    "kubelet has sufficient memory available",
                    stamp,
                ),
                _node_condition(
                    "DiskPressure",
                    "False",
                    "KubeletHasNoDiskPressure",
                    "kubelet has no disk pressure",
                    stamp,
                ),
                _node_condition(
                    "PIDPressure",
                    "False",
                    "KubeletHasSufficientPID",
                    "kubelet has sufficient PID available",
                    stamp,
                ),
                _node_condition(
                    "Ready", "True", "KubeletReady", "kubelet is posting ready status", stamp
                ),
            ],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "architecture": "amd64",
                "bootID": str(uuid.UUID(int=node.index + 1, version=4)),
                "containerRuntimeVersion": f"cri-o://1.{kube}.3-4.rhaos4.{ocp_minor(ocp)}.el9",
                "kernelVersion": "5.14.0-284.45.1.el9_2.x86_64",
                "kubeProxyVersion": f"v1.{kube}.8+4fab27b",
                "kubeletVersion": f"v1.{kube}.8+4fab27b",
                "machineID": f"{node.index:032x}",
                "operatingSystem": "linux",
                "osImage": (
                    f"Red Hat Enterprise Linux CoreOS 4{ocp_minor(ocp)}.92.202401081705-0 (Plow)"
                ),
                "systemUUID": str(uuid.UUID(int=(node.index + 1) << 64, version=4)),
            },
        },
    }


def _node_condition(kind: str, status: str, reason: str, message: str, stamp: str) -> Json:
    return {
        "lastHeartbeatTime": stamp,
        "lastTransitionTime": stamp,
        "message": message,
        "reason": reason,
        "status": status,
        "type": kind,
    }


def mcp_object(
    pool: str, *, ocp: str, machines: int, created: datetime, uid: str | None = None
) -> Json:
    """A MachineConfigPool at rest: every machine updated to the rendered config of `ocp`."""
    rendered = releases.rendered_config(pool, ocp)
    stamp = ts(created)
    role_label = f"node-role.kubernetes.io/{pool}"

    def cond(kind: str, status: str, message: str = "") -> Json:
        return {
            "lastTransitionTime": stamp,
            "message": message,
            "reason": "",
            "status": status,
            "type": kind,
        }

    return {
        "apiVersion": "machineconfiguration.openshift.io/v1",
        "kind": "MachineConfigPool",
        "metadata": object_meta(
            pool,
            created=created,
            uid=uid,
            labels={
                "machineconfiguration.openshift.io/mco-built-in": "",
                f"pools.operator.machineconfiguration.openshift.io/{pool}": "",
            },
        ),
        "spec": {
            "configuration": {
                "name": rendered,
                "source": [
                    {
                        "apiVersion": "machineconfiguration.openshift.io/v1",
                        "kind": "MachineConfig",
                        "name": f"00-{pool}",
                    },
                    {
                        "apiVersion": "machineconfiguration.openshift.io/v1",
                        "kind": "MachineConfig",
                        "name": f"01-{pool}-kubelet",
                    },
                ],
            },
            "machineConfigSelector": {
                "matchLabels": {"machineconfiguration.openshift.io/role": pool}
            },
            "nodeSelector": {"matchLabels": {role_label: ""}},
            "paused": False,
        },
        "status": {
            "conditions": [
                cond("RenderDegraded", "False"),
                cond("NodeDegraded", "False"),
                cond("Degraded", "False"),
                cond("Updated", "True", f"All nodes are updated with MachineConfig {rendered}"),
                cond("Updating", "False"),
            ],
            "configuration": {"name": rendered},
            "degradedMachineCount": 0,
            "machineCount": machines,
            "observedGeneration": 1,
            "readyMachineCount": machines,
            "unavailableMachineCount": 0,
            "updatedMachineCount": machines,
        },
    }
