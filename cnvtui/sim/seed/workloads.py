"""Virtual machines: the VM, its running VMI and the virt-launcher pod, decided up front
by `plan_workloads` and built by one function each."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from cnvtui.sim.seed.common import (
    KUBEVIRT_API,
    Json,
    name_suffix,
    new_uid,
    owner_ref,
    ts,
)


@dataclass(frozen=True)
class Guest:
    """A guest OS as the VM templates and the guest agent describe it."""

    os: str
    template: str
    agent_id: str
    name: str
    pretty: str
    version: str
    kernel: str
    machine: str = "pc-q35-rhel9.2.0"


GUESTS = (
    Guest("rhel9", "rhel9-server-small", "rhel", "Red Hat Enterprise Linux",
          "Red Hat Enterprise Linux 9.2 (Plow)", "9.2", "5.14.0-284.30.1.el9_2.x86_64"),
    Guest("rhel8", "rhel8-server-small", "rhel", "Red Hat Enterprise Linux",
          "Red Hat Enterprise Linux 8.8 (Ootpa)", "8.8", "4.18.0-477.27.1.el8_8.x86_64"),
    Guest("fedora", "fedora-server-small", "fedora", "Fedora Linux",
          "Fedora Linux 38 (Cloud Edition)", "38", "6.2.9-300.fc38.x86_64"),
    Guest("centos-stream9", "centos-stream9-server-small", "centos", "CentOS Stream",
          "CentOS Stream 9", "9", "5.14.0-325.el9.x86_64"),
    Guest("win2k22", "windows2k22-server-medium", "mswindows", "Microsoft Windows",
          "Windows Server 2022 Datacenter", "2022", "20348"),
)  # fmt: skip
_SIZES = (("small", 1, "2Gi"), ("medium", 1, "4Gi"), ("large", 2, "8Gi"))
_ADJECTIVES = (
    "amber", "azure", "brave", "calm", "coral", "crimson", "gray", "green", "ivory", "jade",
    "lime", "navy", "olive", "plum", "quick", "ruby", "silver", "tan", "teal", "violet",
)  # fmt: skip
_ANIMALS = (
    "badger", "bat", "bee", "cat", "crane", "deer", "eagle", "fox", "gull", "hare",
    "heron", "lynx", "mole", "otter", "owl", "panda", "seal", "swan", "toad", "wolf",
)  # fmt: skip
STORAGE_SHARED = "ocs-storagecluster-ceph-rbd-virtualization"
STORAGE_HOSTPATH = "hostpath-csi-basic"


@dataclass(frozen=True)
class Workload:
    """One VM and its running VMI: everything the three builders need, decided up front."""

    name: str
    namespace: str
    node: str
    guest: Guest
    size: str
    cores: int
    memory: str
    run_strategy: str
    eviction_strategy: str | None
    # None when live-migratable; else (reason, message) of LiveMigratable=False.
    not_migratable: tuple[str, str] | None
    storage_class: str
    vm_uid: str
    vmi_uid: str
    pod_uid: str
    pod_name: str
    ip: str
    mac: str
    vm_created: datetime
    vmi_created: datetime
    # (source node, target node, start, end, migration uid) of the last migration, if any.
    migration: tuple[str, str, datetime, datetime, str] | None = None


def _disks() -> list[Json]:
    return [
        {"disk": {"bus": "virtio"}, "name": "rootdisk"},
        {"disk": {"bus": "virtio"}, "name": "cloudinitdisk"},
    ]


def _domain(w: Workload, *, firmware_uuid: str | None = None) -> Json:
    domain: Json = {
        "cpu": {"cores": w.cores, "model": "host-model", "sockets": 1, "threads": 1},
        "devices": {
            "disks": _disks(),
            "interfaces": [
                {"macAddress": w.mac, "masquerade": {}, "model": "virtio", "name": "default"}
            ],
            "networkInterfaceMultiqueue": True,
            "rng": {},
        },
        "features": {"acpi": {"enabled": True}, "smm": {"enabled": True}},
        "firmware": {"bootloader": {"efi": {}}},
        "machine": {"type": w.guest.machine},
        "memory": {"guest": w.memory},
        "resources": {"requests": {"memory": w.memory}},
    }
    if firmware_uuid:
        domain["firmware"]["uuid"] = firmware_uuid
    if w.not_migratable and w.not_migratable[0] == "HostDeviceNotLiveMigratable":
        domain["devices"]["hostDevices"] = [
            {"deviceName": "nvidia.com/GA102GL_A10", "name": "gpu1"}
        ]
    return domain


def _vmi_spec(w: Workload, *, firmware_uuid: str | None = None) -> Json:
    spec: Json = {
        "architecture": "amd64",
        "domain": _domain(w, firmware_uuid=firmware_uuid),
        "networks": [{"name": "default", "pod": {}}],
        "terminationGracePeriodSeconds": 180,
        "volumes": [
            {"dataVolume": {"name": w.name}, "name": "rootdisk"},
            {
                "cloudInitNoCloud": {"userData": "#cloud-config\nuser: cloud-user\n"},
                "name": "cloudinitdisk",
            },
        ],
    }
    if w.eviction_strategy:
        spec["evictionStrategy"] = w.eviction_strategy
    return spec


def _template_labels(w: Workload) -> Json:
    return {"kubevirt.io/domain": w.name, "kubevirt.io/size": w.size}


def _template_annotations(w: Workload) -> Json:
    return {
        "vm.kubevirt.io/flavor": w.size,
        "vm.kubevirt.io/os": w.guest.os,
        "vm.kubevirt.io/workload": "server",
    }


def vm_object(w: Workload, *, running: bool = True, ready: bool = True) -> Json:
    """The VirtualMachine of a workload; `running=False` makes a stopped (Halted) VM."""
    created = ts(w.vm_created)
    run_strategy = w.run_strategy if running else "Halted"
    conditions: list[Json] = []
    if running:
        conditions.append(
            {
                "lastProbeTime": None,
                "lastTransitionTime": ts(w.vmi_created),
                "status": "True" if ready else "False",
                "type": "Ready",
            }
        )
        conditions.append(_live_migratable(w))
    else:
        conditions.append(
            {
                "lastProbeTime": None,
                "lastTransitionTime": created,
                "message": "VMI does not exist",
                "reason": "VMINotExists",
                "status": "False",
                "type": "Ready",
            }
        )
    return {
        "apiVersion": KUBEVIRT_API,
        "kind": "VirtualMachine",
        "metadata": {
            "annotations": {
                "kubevirt.io/latest-observed-api-version": "v1",
                "kubevirt.io/storage-observed-api-version": "v1",
            },
            "creationTimestamp": created,
            "finalizers": ["kubevirt.io/virtualMachineControllerFinalize"],
            "labels": {
                "app": w.name,
                "vm.kubevirt.io/template": w.guest.template,
                "vm.kubevirt.io/template.namespace": "openshift",
            },
            "name": w.name,
            "namespace": w.namespace,
            "uid": w.vm_uid,
        },
        "spec": {
            "dataVolumeTemplates": [
                {
                    "apiVersion": "cdi.kubevirt.io/v1beta1",
                    "kind": "DataVolume",
                    "metadata": {"name": w.name},
                    "spec": {
                        "sourceRef": {
                            "kind": "DataSource",
                            "name": w.guest.os,
                            "namespace": "openshift-virtualization-os-images",
                        },
                        "storage": {
                            "resources": {"requests": {"storage": "30Gi"}},
                            "storageClassName": w.storage_class,
                        },
                    },
                }
            ],
            "runStrategy": run_strategy,
            "template": {
                "metadata": {
                    "annotations": _template_annotations(w),
                    "labels": _template_labels(w),
                },
                "spec": _vmi_spec(w),
            },
        },
        "status": {
            "conditions": conditions,
            "created": running,
            "desiredGeneration": 1,
            "observedGeneration": 1,
            "printableStatus": "Running" if running else "Stopped",
            "ready": running and ready,
            "runStrategy": run_strategy,
            "volumeSnapshotStatuses": [
                {"enabled": True, "name": "rootdisk"},
                {
                    "enabled": False,
                    "name": "cloudinitdisk",
                    "reason": "Snapshot is not supported for this volumeSource type "
                    "[cloudinitdisk]",
                },
            ],
        },
    }


def _live_migratable(w: Workload) -> Json:
    if w.not_migratable is None:
        return {
            "lastProbeTime": None,
            "lastTransitionTime": None,
            "status": "True",
            "type": "LiveMigratable",
        }
    reason, message = w.not_migratable
    return {
        "lastProbeTime": None,
        "lastTransitionTime": None,
        "message": message,
        "reason": reason,
        "status": "False",
        "type": "LiveMigratable",
    }


def vmi_object(w: Workload, *, launcher_image: str) -> Json:
    """The running VirtualMachineInstance of a workload, with the status virt-handler and
    virt-controller write (shaped after the upstream running-VMI example)."""
    created = w.vmi_created
    stamp = ts(created)
    access = "ReadWriteOnce" if w.storage_class == STORAGE_HOSTPATH else "ReadWriteMany"
    volume_mode = "Filesystem" if w.storage_class == STORAGE_HOSTPATH else "Block"
    status: Json = {
        "activePods": {w.pod_uid: w.node},
        "conditions": [
            {
                "lastProbeTime": None,
                "lastTransitionTime": ts(created + timedelta(seconds=12)),
                "status": "True",
                "type": "Ready",
            },
            _live_migratable(w),
            {
                "lastProbeTime": ts(created + timedelta(seconds=40)),
                "lastTransitionTime": None,
                "status": "True",
                "type": "AgentConnected",
            },
        ],
        "currentCPUTopology": {"cores": w.cores, "sockets": 1, "threads": 1},
        "guestOSInfo": {
            "id": w.guest.agent_id,
            "kernelRelease": w.guest.kernel,
            "machine": "x86_64",
            "name": w.guest.name,
            "prettyName": w.guest.pretty,
            "version": w.guest.version,
            "versionId": w.guest.version,
        },
        "interfaces": [
            {
                "infoSource": "domain, guest-agent",
                "interfaceName": "eth0",
                "ipAddress": w.ip,
                "ipAddresses": [w.ip],
                "mac": w.mac,
                "name": "default",
                "queueCount": 1,
            }
        ],
        "launcherContainerImageVersion": launcher_image,
        "machine": {"type": w.guest.machine},
        "memory": {"guestAtBoot": w.memory, "guestCurrent": w.memory, "guestRequested": w.memory},
        "migrationMethod": "BlockMigration" if access == "ReadWriteOnce" else "LiveMigration",
        "migrationTransport": "Unix",
        "nodeName": w.node,
        "phase": "Running",
        "phaseTransitionTimestamps": [
            {"phase": phase, "phaseTransitionTimestamp": ts(created + timedelta(seconds=delay))}
            for phase, delay in (
                ("Pending", 0),
                ("Scheduling", 0),
                ("Scheduled", 9),
                ("Running", 11),
            )
        ],
        "qosClass": "Burstable",
        "runtimeUser": 107,
        "selinuxContext": "system_u:object_r:container_file_t:s0:c707,c898",
        "virtualMachineRevisionName": f"revision-start-vm-{w.vm_uid}-1",
        "volumeStatus": [
            {"name": "cloudinitdisk", "size": 1048576, "target": "vdb"},
            {
                "name": "rootdisk",
                "persistentVolumeClaimInfo": {
                    "accessModes": [access],
                    "capacity": {"storage": "30Gi"},
                    "filesystemOverhead": "0.055",
                    "requests": {"storage": "30Gi"},
                    "volumeMode": volume_mode,
                },
                "target": "vda",
            },
        ],
    }
    if w.migration is not None:
        source, target, start, end, migration_uid = w.migration
        status["migrationState"] = {
            "completed": True,
            "endTimestamp": ts(end),
            "migrationUid": migration_uid,
            "mode": "PreCopy",
            "sourceNode": source,
            "sourcePod": f"virt-launcher-{w.name}-{migration_uid[:5]}",
            "startTimestamp": ts(start),
            "targetNode": target,
            "targetNodeAddress": "",
            "targetNodeDomainDetected": True,
            "targetPod": w.pod_name,
        }
    return {
        "apiVersion": KUBEVIRT_API,
        "kind": "VirtualMachineInstance",
        "metadata": {
            "annotations": {
                "kubevirt.io/latest-observed-api-version": "v1",
                "kubevirt.io/storage-observed-api-version": "v1",
                **_template_annotations(w),
            },
            "creationTimestamp": stamp,
            "finalizers": [
                "kubevirt.io/virtualMachineControllerFinalize",
                "foregroundDeleteVirtualMachine",
            ],
            "labels": {**_template_labels(w), "kubevirt.io/nodeName": w.node},
            "name": w.name,
            "namespace": w.namespace,
            "ownerReferences": [owner_ref(KUBEVIRT_API, "VirtualMachine", w.name, w.vm_uid)],
            "uid": w.vmi_uid,
        },
        "spec": _vmi_spec(w, firmware_uuid=w.vm_uid),
        "status": status,
    }


def launcher_pod_object(w: Workload, *, launcher_image: str) -> Json:
    """The virt-launcher pod that runs a VMI (owned by it, on its node)."""
    started = w.migration[3] if w.migration is not None else w.vmi_created
    stamp = ts(started)
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "annotations": {
                "kubevirt.io/domain": w.name,
                "kubevirt.io/migrationTransportUnix": "true",
                "vm.kubevirt.io/os": w.guest.os,
            },
            "creationTimestamp": stamp,
            "generateName": f"virt-launcher-{w.name}-",
            "labels": {
                "kubevirt.io": "virt-launcher",
                "kubevirt.io/created-by": w.vmi_uid,
                "kubevirt.io/domain": w.name,
                "kubevirt.io/nodeName": w.node,
                "kubevirt.io/size": w.size,
                "vm.kubevirt.io/name": w.name,
            },
            "name": w.pod_name,
            "namespace": w.namespace,
            "ownerReferences": [
                owner_ref(KUBEVIRT_API, "VirtualMachineInstance", w.name, w.vmi_uid)
            ],
            "uid": w.pod_uid,
        },
        "spec": {
            "containers": [
                {
                    "image": launcher_image,
                    "name": "compute",
                    "resources": {
                        "limits": {"devices.kubevirt.io/kvm": "1"},
                        "requests": {"devices.kubevirt.io/kvm": "1", "memory": w.memory},
                    },
                }
            ],
            "nodeName": w.node,
            "priority": 0,
            "restartPolicy": "Never",
            "serviceAccountName": "default",
            "terminationGracePeriodSeconds": 210,
        },
        "status": {
            "conditions": [
                {"lastTransitionTime": stamp, "status": "True", "type": kind}
                for kind in ("Initialized", "Ready", "ContainersReady", "PodScheduled")
            ],
            "containerStatuses": [
                {
                    "image": launcher_image,
                    "imageID": launcher_image,
                    "name": "compute",
                    "ready": True,
                    "restartCount": 0,
                    "started": True,
                    "state": {"running": {"startedAt": stamp}},
                }
            ],
            "hostIP": "",
            "phase": "Running",
            "podIP": w.ip,
            "podIPs": [{"ip": w.ip}],
            "qosClass": "Burstable",
            "startTime": stamp,
        },
    }


def _hostpath_message(name: str) -> str:
    return (
        f"cannot migrate VMI: PVC {name} is not shared, live migration requires that all "
        "PVCs must be shared (using ReadWriteMany access mode)"
    )


def plan_workloads(
    rng: random.Random,
    *,
    count: int,
    namespaces: Sequence[str],
    nodes: Sequence[str],
    now: datetime,
    since: datetime,
    cnv_installed: datetime,
    taken: set[str] | None = None,
) -> list[Workload]:
    """Decide every VM up front: names, placement, storage, strategies, times.

    One VMI in ten cannot live migrate (mostly hostpath-provisioner disks, sometimes a
    passed-through GPU); half of those still carry `evictionStrategy: LiveMigrate`, the
    trap that blocks node drains. Run strategies are mostly Always.
    """
    used: set[str] = taken if taken is not None else set()
    out: list[Workload] = []
    span = max((now - since).total_seconds(), 3600.0)
    per_node: dict[str, int] = {}
    for index in range(count):
        guest = GUESTS[rng.randrange(len(GUESTS))]
        name = (
            f"{guest.os}-{rng.choice(_ADJECTIVES)}-{rng.choice(_ANIMALS)}-{rng.randrange(10, 100)}"
        )
        if name in used:
            name = f"{name}-{index}"
        used.add(name)
        size, cores, memory = _SIZES[rng.randrange(len(_SIZES))]
        node = nodes[rng.randrange(len(nodes))]
        node_index = nodes.index(node)
        seq = per_node.get(node, 0)
        per_node[node] = seq + 1
        not_migratable: tuple[str, str] | None = None
        storage = STORAGE_SHARED
        if index % 10 == 3:
            if (index // 10) % 4 == 3:
                not_migratable = (
                    "HostDeviceNotLiveMigratable",
                    "VMI uses a PCI host devices",
                )
            else:
                storage = STORAGE_HOSTPATH
                not_migratable = ("DisksNotLiveMigratable", _hostpath_message(name))
            eviction: str | None = "LiveMigrate" if (index // 10) % 2 == 0 else None
        else:
            eviction = "LiveMigrate" if rng.random() < 0.9 else None
        draw = rng.random()
        run_strategy = "Always" if draw < 0.85 else "RerunOnFailure" if draw < 0.97 else "Manual"
        if not_migratable is not None and eviction is None:
            run_strategy = "Always"
        vm_created = since + timedelta(seconds=int(rng.random() * span * 0.8))
        vmi_created = vm_created + timedelta(
            seconds=int(rng.random() * (now - vm_created).total_seconds())
        )
        migration = None
        migration_uid = new_uid(rng)
        if vmi_created < cnv_installed:
            if not_migratable is None:
                start = cnv_installed + timedelta(seconds=600 + int(rng.random() * 5400))
                source = nodes[(node_index + 1) % len(nodes)]
                migration = (source, node, start, start + timedelta(seconds=40), migration_uid)
            else:
                # A VMI that cannot migrate got the new launcher by being restarted.
                vmi_created = cnv_installed + timedelta(seconds=900 + int(rng.random() * 3600))
        pod_uid = new_uid(rng)
        mac = "02:" + ":".join(f"{rng.randrange(256):02x}" for _ in range(5))
        out.append(
            Workload(
                name=name,
                namespace=namespaces[rng.randrange(len(namespaces))],
                node=node,
                guest=guest,
                size=size,
                cores=cores,
                memory=memory,
                run_strategy=run_strategy,
                eviction_strategy=eviction,
                not_migratable=not_migratable,
                storage_class=storage,
                vm_uid=new_uid(rng),
                vmi_uid=new_uid(rng),
                pod_uid=pod_uid,
                pod_name=f"virt-launcher-{name}-{name_suffix(rng)}",
                ip=f"10.{128 + node_index}.{seq // 250}.{seq % 250 + 2}",
                mac=mac,
                vm_created=vm_created,
                vmi_created=vmi_created,
                migration=migration,
            )
        )
    return out
