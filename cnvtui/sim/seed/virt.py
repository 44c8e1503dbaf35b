"""The HyperConverged CR and the KubeVirt CR it manages, as HCO and virt-operator keep them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from cnvtui.sim import schema
from cnvtui.sim.catalog import find, load_catalog, read_data
from cnvtui.sim.controllers import releases
from cnvtui.sim.seed.common import (
    CNV_NAMESPACE,
    HCO_NAME,
    KUBEVIRT_API,
    KUBEVIRT_NAME,
    PACKAGE,
    REGISTRY,
    Json,
    hash_text,
    object_meta,
    owner_ref,
    ts,
)


def hco_healthy_conditions(at: datetime, generation: int = 1) -> list[Json]:
    """The five conditions of a reconciled, healthy HyperConverged, as HCO writes them."""
    return [
        {
            "lastTransitionTime": ts(at),
            "message": "Reconcile completed successfully",
            "observedGeneration": generation,
            "reason": "ReconcileCompleted",
            "status": status,
            "type": kind,
        }
        for kind, status in (
            ("ReconcileComplete", "True"),
            ("Available", "True"),
            ("Progressing", "False"),
            ("Degraded", "False"),
            ("Upgradeable", "True"),
        )
    ]


def hco_spec(api: str = "v1beta1") -> Json:
    """The spec of the default HyperConverged CR of the given API version (upstream
    hco.cr.yaml, with the CRD's defaults filled in as the apiserver stores it)."""
    cr = read_data("hco-cr.v1.json" if api == "v1" else "hco-cr.v1beta1.json")
    obj: Json = {"spec": json.loads(json.dumps(cr["spec"]))}
    rdef = find(load_catalog(hco_v1=api == "v1"), "hco.kubevirt.io", "hyperconvergeds")
    version = rdef.version(api)
    if version is not None and version.schema is not None:
        schema.apply_defaults(obj, version.schema)
    spec: Json = obj["spec"]
    return spec


def workload_update_strategy(hco: Json) -> Json | None:
    """The strategy of an HCO CR of either API version (v1beta1 at spec, v1 under
    spec.virtualization)."""
    spec = hco.get("spec") or {}
    if hco.get("apiVersion", "").endswith("/v1"):
        spec = spec.get("virtualization") or {}
    strategy = spec.get("workloadUpdateStrategy")
    return strategy if isinstance(strategy, dict) else None


def hco_object(
    cnv: str,
    *,
    api: str = "v1beta1",
    created: datetime,
    reconciled: datetime,
    uid: str | None = None,
    related: Sequence[Json] = (),
) -> Json:
    """The HyperConverged `kubevirt-hyperconverged`, healthy, at `cnv`."""
    return {
        "apiVersion": f"hco.kubevirt.io/{api}",
        "kind": "HyperConverged",
        "metadata": {
            **object_meta(
                HCO_NAME,
                namespace=CNV_NAMESPACE,
                created=created,
                uid=uid,
                labels={"app": PACKAGE},
                annotations={"deployOVS": "false"},
            ),
            "finalizers": ["kubevirt.io/hyperconverged"],
        },
        "spec": hco_spec(api),
        "status": {
            "conditions": hco_healthy_conditions(reconciled),
            "dataImportSchedule": "17 3/12 * * *",
            "infrastructureHighlyAvailable": True,
            "nodeInfo": {
                "controlPlaneArchitectures": ["amd64"],
                "workloadsArchitectures": ["amd64"],
            },
            "observedGeneration": 1,
            "relatedObjects": list(related),
            "systemHealthStatus": "healthy",
            "versions": [{"name": "operator", "version": cnv}],
        },
    }


def kubevirt_conditions(at: datetime, *, deploying: bool = False) -> list[Json]:
    stamp = ts(at)
    if deploying:
        rows = (
            ("Available", "True", "DeploymentInProgress", "Deploying version {v}"),
            ("Progressing", "True", "DeploymentInProgress", "Deploying version {v}"),
            ("Degraded", "False", "DeploymentInProgress", "Deploying version {v}"),
        )
    else:
        rows = (
            ("Available", "True", "AllComponentsReady", "All components are ready."),
            ("Progressing", "False", "AllComponentsReady", "All components are ready."),
            ("Degraded", "False", "AllComponentsReady", "All components are ready."),
        )
    conds = [
        {
            "lastProbeTime": stamp,
            "lastTransitionTime": stamp,
            "message": message,
            "reason": reason,
            "status": status,
            "type": kind,
        }
        for kind, status, reason, message in rows
    ]
    conds.append(
        {
            "lastProbeTime": stamp,
            "lastTransitionTime": stamp,
            "message": "All resources were created.",
            "reason": "AllResourcesCreated",
            "status": "True",
            "type": "Created",
        }
    )
    return conds


def kubevirt_object(
    cnv: str,
    *,
    strategy: Json,
    migrations: Json,
    created: datetime,
    reconciled: datetime,
    hco_uid: str | None = None,
    uid: str | None = None,
    outdated: int = 0,
) -> Json:
    """The KubeVirt CR HCO manages, deployed at the KubeVirt version of `cnv`."""
    kv = releases.kubevirt_version(cnv)
    deployment_id = f"{hash_text('deployment:' + cnv):016x}"
    config = json.dumps({"id": deployment_id, "namespace": CNV_NAMESPACE, "registry": REGISTRY,
                         "kubeVirtVersion": kv}, separators=(",", ":"))  # fmt: skip
    meta = object_meta(
        KUBEVIRT_NAME,
        namespace=CNV_NAMESPACE,
        created=created,
        uid=uid,
        labels={
            "app": PACKAGE,
            "app.kubernetes.io/component": "compute",
            "app.kubernetes.io/managed-by": "hco-operator",
            "app.kubernetes.io/part-of": "hyperconverged-cluster",
            "app.kubernetes.io/version": cnv,
        },
    )
    meta["finalizers"] = ["foregroundDeleteKubeVirt"]
    meta["ownerReferences"] = [
        owner_ref("hco.kubevirt.io/v1beta1", "HyperConverged", HCO_NAME, hco_uid)
    ]
    return {
        "apiVersion": KUBEVIRT_API,
        "kind": "KubeVirt",
        "metadata": meta,
        "spec": {
            "certificateRotateStrategy": {
                "selfSigned": {
                    "ca": {"duration": "48h0m0s", "renewBefore": "24h0m0s"},
                    "server": {"duration": "24h0m0s", "renewBefore": "12h0m0s"},
                }
            },
            "configuration": {
                "developerConfiguration": {
                    "featureGates": [
                        "CPUManager",
                        "Snapshot",
                        "HotplugVolumes",
                        "ExpandDisks",
                        "HostDevices",
                        "VMExport",
                        "DataVolumes",
                    ]
                },
                "evictionStrategy": "LiveMigrate",
                "migrations": migrations,
                "network": {
                    "defaultNetworkInterface": "masquerade",
                    "permitBridgeInterfaceOnPodNetwork": True,
                    "permitSlirpInterface": False,
                },
            },
            "customizeComponents": {},
            "uninstallStrategy": "BlockUninstallIfWorkloadsExist",
            "workloadUpdateStrategy": json.loads(json.dumps(strategy)),
        },
        "status": {
            "conditions": kubevirt_conditions(reconciled),
            "defaultArchitecture": "amd64",
            "observedDeploymentConfig": config,
            "observedDeploymentID": deployment_id,
            "observedGeneration": 1,
            "observedKubeVirtRegistry": REGISTRY,
            "observedKubeVirtVersion": kv,
            "operatorVersion": kv,
            "outdatedVirtualMachineInstanceWorkloads": outdated,
            "phase": "Deployed",
            "targetDeploymentConfig": config,
            "targetDeploymentID": deployment_id,
            "targetKubeVirtRegistry": REGISTRY,
            "targetKubeVirtVersion": kv,
        },
    }


def migrations_config(hco: Json) -> Json:
    """KubeVirt `spec.configuration.migrations` from the HCO's liveMigrationConfig."""
    spec = hco.get("spec") or {}
    if hco.get("apiVersion", "").endswith("/v1"):
        spec = spec.get("virtualization") or {}
    live = spec.get("liveMigrationConfig") or {}
    keys = (
        "allowAutoConverge",
        "allowPostCopy",
        "completionTimeoutPerGiB",
        "parallelMigrationsPerCluster",
        "parallelOutboundMigrationsPerNode",
        "progressTimeout",
    )
    return {key: live[key] for key in keys if key in live}
