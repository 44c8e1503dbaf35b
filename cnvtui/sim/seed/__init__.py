"""The simulated cluster's starting state: an OpenShift cluster running OpenShift
Virtualization, healthy and at rest, with VMs spread over workload namespaces.

Objects are shaped after the real ones in `../shared/upstream/` (the VMI example's full
status, the HCO default CR, captured ClusterVersion/MachineConfigPool/Node/CSV objects) and
after what OLM, HCO and KubeVirt write, trimmed to what `oc get` and a dashboard read. Every
object passes the CRD schema of its kind (see `cnvtui.sim.schema`).

The builders (`csv_object`, `install_plan_object`, `vmi_object`, ...) are public so that
scenarios and simulated controllers make new objects shaped the same way. Names, images and
versions come from `cnvtui.sim.controllers.releases`, the one place the simulated operators
agree on what "the launcher of CNV 4.14.3" is.

Everything is deterministic for a given `seed` and `now`: one `random.Random(seed)` drives
every choice, in a fixed order. Objects carry `uid` and `creationTimestamp` (owner references
point at those uids); the store is expected to keep them for seeded objects.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from cnvtui.sim.controllers import releases
from cnvtui.sim.seed.cluster import (
    NodeSpec,
    cluster_version_conditions,
    cluster_version_history,
    cluster_version_object,
    mcp_object,
    namespace_object,
    node_object,
)
from cnvtui.sim.seed.common import (
    CNV_NAMESPACE,
    DEFAULT_STRATEGY,
    HCO_NAME,
    KUBEVIRT_API,
    KUBEVIRT_NAME,
    OUTDATED_LABEL,
    PACKAGE,
    SYSTEM_NAMESPACES,
    WORKLOAD_NAMESPACES,
    WORKLOAD_UPDATE_ANNOTATION,
    Json,
    gc_paused,
    name_suffix,
    new_uid,
    ts,
)
from cnvtui.sim.seed.olm import (
    CSV_DELETING,
    CSV_INSTALL_STEPS,
    CSV_REPLACING,
    PLAN_RESOURCES,
    catalog_source_object,
    csv_condition,
    csv_object,
    install_plan_object,
    install_plan_steps,
    operator_group_object,
    set_csv_phase,
    subscription_object,
    subscription_status,
)
from cnvtui.sim.seed.virt import (
    hco_healthy_conditions,
    hco_object,
    hco_spec,
    kubevirt_conditions,
    kubevirt_object,
    migrations_config,
    workload_update_strategy,
)
from cnvtui.sim.seed.workloads import (
    GUESTS,
    Guest,
    Workload,
    launcher_pod_object,
    plan_workloads,
    vm_object,
    vmi_object,
)

__all__ = [
    "CNV_NAMESPACE",
    "CSV_DELETING",
    "CSV_INSTALL_STEPS",
    "CSV_REPLACING",
    "DEFAULT_STRATEGY",
    "GUESTS",
    "HCO_NAME",
    "KUBEVIRT_API",
    "KUBEVIRT_NAME",
    "OUTDATED_LABEL",
    "PACKAGE",
    "PLAN_RESOURCES",
    "WORKLOAD_UPDATE_ANNOTATION",
    "Guest",
    "Json",
    "NodeSpec",
    "Workload",
    "catalog_source_object",
    "cluster_version_conditions",
    "cluster_version_history",
    "cluster_version_object",
    "csv_condition",
    "csv_object",
    "hco_healthy_conditions",
    "hco_object",
    "hco_spec",
    "initial_objects",
    "install_plan_object",
    "install_plan_steps",
    "kubevirt_conditions",
    "kubevirt_object",
    "launcher_pod_object",
    "mcp_object",
    "migrations_config",
    "name_suffix",
    "namespace_object",
    "new_uid",
    "node_object",
    "operator_group_object",
    "plan_workloads",
    "set_csv_phase",
    "subscription_object",
    "subscription_status",
    "ts",
    "vm_object",
    "vmi_object",
    "workload_namespace_names",
    "workload_update_strategy",
]


def _previous_z(version: str) -> str | None:
    major, mnr, patch = (*releases.parse(version), 0, 0)[:3]
    return f"{major}.{mnr}.{patch - 1}" if patch > 0 else None


def _nodes(total: int) -> list[NodeSpec]:
    masters = min(3, max(total, 1))
    workers = max(total - 3, 0)
    compact = workers == 0
    specs = [
        NodeSpec(
            f"master-{i}",
            ("control-plane", "master", "worker") if compact else ("control-plane", "master"),
            "master",
            i,
        )
        for i in range(masters)
    ]
    specs.extend(
        NodeSpec(f"worker-{i}", ("worker",), "worker", masters + i) for i in range(workers)
    )
    return specs


def workload_namespace_names(count: int) -> list[str]:
    """`vm-*` workload namespace names: friendly ones first, then numbered."""
    names = list(WORKLOAD_NAMESPACES[:count])
    names.extend(f"vm-ns-{i}" for i in range(len(names), count))
    return names


def initial_objects(
    *,
    vmis: int = 40,
    namespaces: int = 4,
    nodes: int = 6,
    cnv_version: str = "4.14.3",
    ocp_version: str = "4.14.8",
    approval: str = "Automatic",
    hco_api: str = "v1beta1",
    seed: int = 0,
    now: datetime | None = None,
    ocp_updates: Sequence[str] | None = None,
    stopped_vms: int | None = None,
) -> list[Json]:
    """A healthy OpenShift cluster running OpenShift Virtualization `cnv_version`.

    Namespaces come first, then cluster-scoped objects, then namespaced ones, in the order
    a store can create them. `vmis` running VMIs (each with its VM and virt-launcher pod)
    are spread over `namespaces` workload namespaces and the worker nodes (`nodes` counts
    three masters plus workers; three or fewer make a compact cluster whose masters run
    VMs). `stopped_vms` (default: one per twenty VMIs) adds Halted VMs without a VMI.
    `ocp_updates` are the ClusterVersion's availableUpdates (default: the next two
    z-streams). `hco_api` is the HCO's version as stored ("v1beta1", or "v1" when the
    server runs with the v1 CRD).
    """
    with gc_paused():
        return _build(
            vmis=vmis,
            namespaces=namespaces,
            nodes=nodes,
            cnv_version=cnv_version,
            ocp_version=ocp_version,
            approval=approval,
            hco_api=hco_api,
            seed=seed,
            now=now,
            ocp_updates=ocp_updates,
            stopped_vms=stopped_vms,
        )


def _build(
    *,
    vmis: int,
    namespaces: int,
    nodes: int,
    cnv_version: str,
    ocp_version: str,
    approval: str,
    hco_api: str,
    seed: int,
    now: datetime | None,
    ocp_updates: Sequence[str] | None,
    stopped_vms: int | None,
) -> list[Json]:
    rng = random.Random(seed)
    at = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    installed = at - timedelta(days=200)
    ocp_updated = at - timedelta(days=20)
    cnv_installed = at - timedelta(days=12)
    csv_name = releases.csv_name(cnv_version)
    launcher = releases.launcher_image(cnv_version)

    objects: list[Json] = []
    vm_namespaces = workload_namespace_names(max(namespaces, 1))
    for name in (*SYSTEM_NAMESPACES, *vm_namespaces):
        created = installed if name not in vm_namespaces else installed + timedelta(days=25)
        objects.append(namespace_object(name, created=created, uid=new_uid(rng)))

    node_specs = _nodes(nodes)
    ocp_patch = (*releases.parse(ocp_version), 0, 0, 0)[2]
    if ocp_updates is None:
        major, mnr = releases.minor(ocp_version)
        ocp_updates = [f"{major}.{mnr}.{ocp_patch + step}" for step in (2, 1)]
    previous_ocp = [f"{v[0]}.{v[1]}.{max(ocp_patch - 3, 0)}" for v in [releases.minor(ocp_version)]]
    if previous_ocp[0] == ocp_version:
        previous_ocp = []
    objects.append(
        cluster_version_object(
            ocp_version,
            now=at,
            installed=installed,
            updated=ocp_updated,
            previous=previous_ocp,
            available=ocp_updates,
            cluster_id=new_uid(rng),
            uid=new_uid(rng),
        )
    )
    for spec in node_specs:
        objects.append(node_object(spec, ocp=ocp_version, created=installed, uid=new_uid(rng)))
    masters = sum(1 for spec in node_specs if spec.pool == "master")
    workers = len(node_specs) - masters
    for pool, count in (("master", masters), ("worker", workers)):
        objects.append(
            mcp_object(pool, ocp=ocp_version, machines=count, created=installed, uid=new_uid(rng))
        )

    olm_created = installed + timedelta(days=30)
    objects.append(
        catalog_source_object(ocp=ocp_version, now=at, created=installed, uid=new_uid(rng))
    )
    objects.append(operator_group_object(created=olm_created, uid=new_uid(rng)))
    sub_uid = new_uid(rng)
    subscription = subscription_object(approval=approval, starting_csv=csv_name,
                                       created=olm_created, uid=sub_uid)  # fmt: skip
    plan_name = f"install-{name_suffix(rng)}"
    plan_uid = new_uid(rng)
    subscription["status"] = subscription_status(
        now=cnv_installed + timedelta(minutes=2),
        state="AtLatestKnown",
        current_csv=csv_name,
        installed_csv=csv_name,
        install_plan=plan_name,
        install_plan_uid=plan_uid,
        since=olm_created,
    )
    objects.append(subscription)
    previous = _previous_z(cnv_version)
    replaces = releases.csv_name(previous) if previous else None
    objects.append(
        install_plan_object(
            plan_name,
            csv=csv_name,
            approval=approval,
            approved=True,
            phase="Complete",
            created=cnv_installed - timedelta(seconds=30),
            now=cnv_installed + timedelta(seconds=100),
            replaces=replaces,
            uid=plan_uid,
            subscription_uid=sub_uid,
        )
    )
    objects.append(
        csv_object(cnv_version, started=cnv_installed, replaces=replaces, uid=new_uid(rng))
    )
    hco_uid = new_uid(rng)
    kv_uid = new_uid(rng)
    related = [
        {
            "apiVersion": KUBEVIRT_API,
            "kind": "KubeVirt",
            "name": KUBEVIRT_NAME,
            "namespace": CNV_NAMESPACE,
            "uid": kv_uid,
        },
        {
            "apiVersion": "cdi.kubevirt.io/v1beta1",
            "kind": "CDI",
            "name": "cdi-kubevirt-hyperconverged",
        },
        {
            "apiVersion": "networkaddonsoperator.network.kubevirt.io/v1",
            "kind": "NetworkAddonsConfig",
            "name": "cluster",
        },
        {
            "apiVersion": "ssp.kubevirt.io/v1beta2",
            "kind": "SSP",
            "name": "ssp-kubevirt-hyperconverged",
            "namespace": CNV_NAMESPACE,
        },
    ]
    hco = hco_object(
        cnv_version,
        api=hco_api,
        created=olm_created + timedelta(minutes=5),
        reconciled=cnv_installed + timedelta(minutes=4),
        uid=hco_uid,
        related=related,
    )
    objects.append(hco)
    objects.append(
        kubevirt_object(
            cnv_version,
            strategy=workload_update_strategy(hco) or dict(DEFAULT_STRATEGY),
            migrations=migrations_config(hco),
            created=olm_created + timedelta(minutes=5),
            reconciled=cnv_installed + timedelta(minutes=3),
            hco_uid=hco_uid,
            uid=kv_uid,
        )
    )

    vm_nodes = [spec.name for spec in node_specs if "worker" in spec.roles]
    taken: set[str] = set()
    planned = plan_workloads(
        rng,
        count=vmis,
        namespaces=vm_namespaces,
        nodes=vm_nodes,
        now=at - timedelta(hours=1),
        since=installed + timedelta(days=30),
        cnv_installed=cnv_installed,
        taken=taken,
    )
    stopped = vmis // 20 if stopped_vms is None else stopped_vms
    halted = plan_workloads(
        rng,
        count=stopped,
        namespaces=vm_namespaces,
        nodes=vm_nodes,
        now=at - timedelta(hours=1),
        since=installed + timedelta(days=30),
        cnv_installed=cnv_installed,
        taken=taken,
    )
    for w in planned:
        objects.append(vm_object(w))
    for w in halted:
        objects.append(vm_object(w, running=False))
    for w in planned:
        objects.append(vmi_object(w, launcher_image=launcher))
    for w in planned:
        objects.append(launcher_pod_object(w, launcher_image=launcher))
    return objects
