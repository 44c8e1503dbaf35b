"""OLM objects of the CNV operator as OLM writes them: OperatorGroup, CatalogSource,
Subscription, InstallPlan and the ClusterServiceVersion with its condition history."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta

from cnvtui.sim.controllers import releases
from cnvtui.sim.seed.common import (
    CATALOG_SOURCE,
    CHANNEL,
    CNV_NAMESPACE,
    CSV_GROUP,
    MARKETPLACE,
    OLM_API,
    OLM_LABEL,
    OPERATOR_GROUP,
    PACKAGE,
    REGISTRY,
    Json,
    hash_text,
    image_ref,
    object_meta,
    ocp_minor,
    ts,
)


def operator_group_object(*, created: datetime, uid: str | None = None) -> Json:
    return {
        "apiVersion": "operators.coreos.com/v1",
        "kind": "OperatorGroup",
        "metadata": object_meta(OPERATOR_GROUP, namespace=CNV_NAMESPACE, created=created, uid=uid),
        "spec": {"targetNamespaces": [CNV_NAMESPACE], "upgradeStrategy": "Default"},
        "status": {"lastUpdated": ts(created), "namespaces": [CNV_NAMESPACE]},
    }


def catalog_source_object(
    *, ocp: str, now: datetime, created: datetime, uid: str | None = None
) -> Json:
    return {
        "apiVersion": OLM_API,
        "kind": "CatalogSource",
        "metadata": object_meta(CATALOG_SOURCE, namespace=MARKETPLACE, created=created, uid=uid),
        "spec": {
            "displayName": "Red Hat Operators",
            "grpcPodConfig": {"securityContextConfig": "restricted"},
            "icon": {"base64data": "", "mediatype": ""},
            "image": f"registry.redhat.io/redhat/redhat-operator-index:v4.{ocp_minor(ocp)}",
            "priority": -100,
            "publisher": "Red Hat",
            "sourceType": "grpc",
            "updateStrategy": {"registryPoll": {"interval": "10m"}},
        },
        "status": {
            "connectionState": {
                "address": f"{CATALOG_SOURCE}.{MARKETPLACE}.svc:50051",
                "lastConnect": ts(now - timedelta(minutes=7)),
                "lastObservedState": "READY",
            },
            "latestImageRegistryPoll": ts(now - timedelta(minutes=7)),
            "registryService": {
                "createdAt": ts(created),
                "port": "50051",
                "protocol": "grpc",
                "serviceName": CATALOG_SOURCE,
                "serviceNamespace": MARKETPLACE,
            },
        },
    }


def subscription_object(
    *,
    approval: str,
    starting_csv: str,
    created: datetime,
    uid: str | None = None,
) -> Json:
    """The CNV Subscription (channel `stable` of `redhat-operators`), without status."""
    return {
        "apiVersion": OLM_API,
        "kind": "Subscription",
        "metadata": object_meta(
            PACKAGE, namespace=CNV_NAMESPACE, created=created, uid=uid, labels={OLM_LABEL: ""}
        ),
        "spec": {
            "channel": CHANNEL,
            "installPlanApproval": approval,
            "name": PACKAGE,
            "source": CATALOG_SOURCE,
            "sourceNamespace": MARKETPLACE,
            "startingCSV": starting_csv,
        },
    }


def subscription_status(
    *,
    now: datetime,
    state: str,
    current_csv: str,
    installed_csv: str | None,
    install_plan: str | None = None,
    install_plan_uid: str | None = None,
    plan_phase: str | None = None,
    since: datetime | None = None,
) -> Json:
    """A Subscription status as OLM's catalog operator writes it.

    `state` is AtLatestKnown, UpgradePending, UpgradeAvailable or UpgradeFailed. While the
    referenced plan is Planning/RequiresApproval/Installing (`plan_phase`), OLM adds
    `InstallPlanPending` with the plan's phase as the reason.
    """
    stamp = ts(now)
    conditions: list[Json] = [
        {
            "lastTransitionTime": ts(since or now),
            "message": "all available catalogsources are healthy",
            "reason": "AllCatalogSourcesHealthy",
            "status": "False",
            "type": "CatalogSourcesUnhealthy",
        }
    ]
    if plan_phase in ("Planning", "RequiresApproval", "Installing"):
        conditions.append(
            {
                "lastTransitionTime": stamp,
                "reason": plan_phase,
                "status": "True",
                "type": "InstallPlanPending",
            }
        )
    elif plan_phase == "Failed":
        conditions.append(
            {
                "lastTransitionTime": stamp,
                "reason": "InstallComponentFailed",
                "status": "True",
                "type": "InstallPlanFailed",
            }
        )
    status: Json = {
        "catalogHealth": [
            {
                "catalogSourceRef": {
                    "apiVersion": OLM_API,
                    "kind": "CatalogSource",
                    "name": CATALOG_SOURCE,
                    "namespace": MARKETPLACE,
                },
                "healthy": True,
                "lastUpdated": ts(since or now),
            }
        ],
        "conditions": conditions,
        "currentCSV": current_csv,
        "lastUpdated": stamp,
        "state": state,
    }
    if installed_csv:
        status["installedCSV"] = installed_csv
    if install_plan:
        status["installPlanGeneration"] = 1
        status["installPlanRef"] = {
            "apiVersion": OLM_API,
            "kind": "InstallPlan",
            "name": install_plan,
            "namespace": CNV_NAMESPACE,
            **({"uid": install_plan_uid} if install_plan_uid else {}),
        }
        status["installplan"] = {
            "apiVersion": OLM_API,
            "kind": "InstallPlan",
            "name": install_plan,
            "uuid": install_plan_uid or "",
        }
    return status


# The resources a CNV bundle installs besides its CSV, as "Preview Install Plan" lists them.
PLAN_RESOURCES: tuple[tuple[str, str, str, str], ...] = (
    ("apiextensions.k8s.io", "v1", "CustomResourceDefinition", "hyperconvergeds.hco.kubevirt.io"),
    ("apiextensions.k8s.io", "v1", "CustomResourceDefinition", "kubevirts.kubevirt.io"),
    ("apiextensions.k8s.io", "v1", "CustomResourceDefinition", "cdis.cdi.kubevirt.io"),
    ("apiextensions.k8s.io", "v1", "CustomResourceDefinition", "ssps.ssp.kubevirt.io"),
    (
        "apiextensions.k8s.io", "v1", "CustomResourceDefinition",
        "networkaddonsconfigs.networkaddonsoperator.network.kubevirt.io",
    ),
    (
        "apiextensions.k8s.io", "v1", "CustomResourceDefinition",
        "hostpathprovisioners.hostpathprovisioner.kubevirt.io",
    ),
    ("", "v1", "ServiceAccount", "hyperconverged-cluster-operator"),
    ("", "v1", "ServiceAccount", "kubevirt-operator"),
    ("", "v1", "ServiceAccount", "cdi-operator"),
    ("", "v1", "ServiceAccount", "ssp-operator"),
    ("", "v1", "ServiceAccount", "cluster-network-addons-operator"),
    ("", "v1", "ServiceAccount", "hostpath-provisioner-operator"),
)  # fmt: skip

_PLAN_STEP_STATUS = {
    "Planning": "Unknown",
    "RequiresApproval": "Unknown",
    "Installing": "Unknown",
    "Complete": "Created",
    "Failed": "Unknown",
}


def install_plan_steps(
    csv: str,
    *,
    phase: str,
    replaces: str | None = None,
    resources: Sequence[tuple[str, str, str, str]] = PLAN_RESOURCES,
) -> list[Json]:
    """`status.plan[]`: the CSV, then what it brings, each with OLM's step status
    (Unknown until installed; then Created for new objects, Present for updated ones)."""
    done = phase == "Complete"
    step = _PLAN_STEP_STATUS.get(phase, "Unknown")
    manifest = json.dumps(
        {
            "kind": "ConfigMap",
            "name": f"{abs(hash_text(csv)) % 16**12:012x}",
            "namespace": MARKETPLACE,
            "catalogSourceName": CATALOG_SOURCE,
            "catalogSourceNamespace": MARKETPLACE,
            "replaces": replaces or "",
        },
        separators=(",", ":"),
    )
    steps = [
        {
            "resolving": csv,
            "resource": {
                "group": CSV_GROUP,
                "kind": "ClusterServiceVersion",
                "manifest": manifest,
                "name": csv,
                "sourceName": CATALOG_SOURCE,
                "sourceNamespace": MARKETPLACE,
                "version": "v1alpha1",
            },
            "status": step,
        }
    ]
    for group, version, kind, name in resources:
        steps.append(
            {
                "resolving": csv,
                "resource": {
                    "group": group,
                    "kind": kind,
                    "name": name,
                    "sourceName": CATALOG_SOURCE,
                    "sourceNamespace": MARKETPLACE,
                    "version": version,
                },
                "status": ("Present" if replaces else "Created") if done else step,
            }
        )
    return steps


def install_plan_object(
    name: str,
    *,
    csv: str,
    approval: str,
    approved: bool,
    phase: str,
    created: datetime,
    now: datetime,
    replaces: str | None = None,
    uid: str | None = None,
    subscription_uid: str | None = None,
    message: str | None = None,
    resources: Sequence[tuple[str, str, str, str]] = PLAN_RESOURCES,
) -> Json:
    """An InstallPlan for `csv` in `phase` (Planning, RequiresApproval, Installing,
    Complete, Failed) as OLM writes it, owned by the CNV Subscription."""
    meta = object_meta(
        name,
        namespace=CNV_NAMESPACE,
        created=created,
        uid=uid,
        labels={OLM_LABEL: ""},
    )
    meta["generateName"] = "install-"
    meta["ownerReferences"] = [
        {
            "apiVersion": OLM_API,
            "blockOwnerDeletion": False,
            "controller": False,
            "kind": "Subscription",
            "name": PACKAGE,
            **({"uid": subscription_uid} if subscription_uid else {}),
        }
    ]
    status: Json = {
        "bundleLookups": [],
        "catalogSources": [],
        "phase": phase,
        "plan": install_plan_steps(csv, phase=phase, replaces=replaces, resources=resources)
        if phase != "Planning"
        else [],
        "startTime": ts(created),
    }
    if phase == "Complete":
        status["conditions"] = [
            {
                "lastTransitionTime": ts(now),
                "lastUpdateTime": ts(now),
                "status": "True",
                "type": "Installed",
            }
        ]
    elif phase == "Failed":
        status["conditions"] = [
            {
                "lastTransitionTime": ts(now),
                "lastUpdateTime": ts(now),
                "message": message or "install timeout",
                "reason": "InstallComponentFailed",
                "status": "False",
                "type": "Installed",
            }
        ]
        status["message"] = message or "install timeout"
    else:
        status["conditions"] = []
    if phase == "Planning":
        status["bundleLookups"] = [
            {
                "catalogSourceRef": {"name": CATALOG_SOURCE, "namespace": MARKETPLACE},
                "conditions": [
                    {
                        "message": (
                            "bundle contents have not yet been persisted to installplan status"
                        ),
                        "reason": "BundleNotUnpacked",
                        "status": "True",
                        "type": "BundleLookupNotPersisted",
                    },
                    {
                        "message": "unpack job not yet started",
                        "reason": "JobNotStarted",
                        "status": "True",
                        "type": "BundleLookupPending",
                    },
                ],
                "identifier": csv,
                "path": f"{REGISTRY}/hco-bundle-registry-rhel9@sha256:{hash_text(csv):064x}",
                "replaces": replaces or "",
            }
        ]
    return {
        "apiVersion": OLM_API,
        "kind": "InstallPlan",
        "metadata": meta,
        "spec": {
            "approval": approval,
            "approved": approved,
            "clusterServiceVersionNames": [csv],
            "generation": 1,
        },
        "status": status,
    }


# The condition history OLM appends as a CSV installs (phase, reason, message, seconds in).
CSV_INSTALL_STEPS: tuple[tuple[str, str, str, int], ...] = (
    ("Pending", "RequirementsUnknown", "requirements not yet checked", 0),
    ("Pending", "RequirementsNotMet", "one or more requirements couldn't be found", 1),
    ("InstallReady", "AllRequirementsMet", "all requirements found, attempting install", 3),
    ("Installing", "InstallSucceeded", "waiting for install components to report healthy", 4),
    (
        "Installing",
        "InstallWaiting",
        "installing: waiting for deployment hco-operator to become ready: "
        'deployment "hco-operator" not available: Deployment does not have minimum availability.',
        6,
    ),
    ("Succeeded", "InstallSucceeded", "install strategy completed with no errors", 95),
)
CSV_REPLACING = ("Replacing", "BeingReplaced", "being replaced by csv: {csv}")
CSV_DELETING = (
    "Deleting",
    "Replaced",
    "has been replaced by a newer ClusterServiceVersion that has successfully installed.",
)


def csv_condition(phase: str, reason: str, message: str, at: datetime) -> Json:
    stamp = ts(at)
    return {
        "lastTransitionTime": stamp,
        "lastUpdateTime": stamp,
        "message": message,
        "phase": phase,
        "reason": reason,
    }


def set_csv_phase(csv: Json, phase: str, reason: str, message: str, at: datetime) -> Json:
    """Move a CSV to `phase`, appending to its condition history as OLM does; returns it."""
    status = csv.setdefault("status", {})
    stamp = ts(at)
    status.setdefault("conditions", []).append(csv_condition(phase, reason, message, at))
    if status.get("phase") != phase:
        status["lastTransitionTime"] = stamp
    status.update(phase=phase, reason=reason, message=message, lastUpdateTime=stamp)
    return csv


def csv_object(
    version: str,
    *,
    started: datetime,
    replaces: str | None = None,
    phase: str = "Succeeded",
    replaced_by: str | None = None,
    failure: tuple[str, str] | None = None,
    uid: str | None = None,
) -> Json:
    """The CNV ClusterServiceVersion `kubevirt-hyperconverged-operator.v<version>`.

    Shaped after the upstream 1.17.4 bundle (install modes, owned CRDs, deployments, related
    images), much smaller. `phase` is where its install got to, with the condition history
    that leads there from `started`: Pending, InstallReady, Installing, Succeeded; then
    Replacing and Deleting (`replaced_by`), or Failed (`failure` = (reason, message)).
    """
    name = releases.csv_name(version)
    csv: Json = {
        "apiVersion": OLM_API,
        "kind": "ClusterServiceVersion",
        "metadata": object_meta(
            name,
            namespace=CNV_NAMESPACE,
            created=started,
            uid=uid,
            labels={
                "operatorframework.io/arch.amd64": "supported",
                "operatorframework.io/os.linux": "supported",
                OLM_LABEL: "",
            },
            annotations={
                "capabilities": "Deep Insights",
                "categories": "OpenShift Optional",
                "certified": "false",
                "containerImage": image_ref("hyperconverged-cluster-operator-rhel9", version),
                "description": "Creates and maintains an OpenShift Virtualization Deployment.",
                "olm.operatorGroup": OPERATOR_GROUP,
                "olm.operatorNamespace": CNV_NAMESPACE,
                "olm.targetNamespaces": CNV_NAMESPACE,
                "operatorframework.io/suggested-namespace": CNV_NAMESPACE,
                "operators.openshift.io/infrastructure-features": '["disconnected","proxy-aware"]',
                "support": "Red Hat",
            },
        ),
        "spec": _csv_spec(version, replaces),
        "status": {"cleanup": {}, "conditions": [], "requirementStatus": _requirements()},
    }
    last = {"Pending": 1, "InstallReady": 2, "Installing": 4}.get(phase, len(CSV_INSTALL_STEPS) - 1)
    if phase == "Failed":
        last = 4
    for step_phase, reason, message, offset in CSV_INSTALL_STEPS[: last + 1]:
        set_csv_phase(csv, step_phase, reason, message, started + timedelta(seconds=offset))
    done = started + timedelta(seconds=CSV_INSTALL_STEPS[-1][3])
    if phase == "Failed":
        reason, message = failure or ("InstallCheckFailed", "install timeout")
        set_csv_phase(csv, "Failed", reason, message, done)
    if phase in ("Replacing", "Deleting"):
        rep_phase, rep_reason, rep_message = CSV_REPLACING
        later = done + timedelta(days=1)
        set_csv_phase(csv, rep_phase, rep_reason, rep_message.format(csv=replaced_by or "?"), later)
        if phase == "Deleting":
            set_csv_phase(csv, *CSV_DELETING, later + timedelta(minutes=3))
    if phase in ("Succeeded", "Replacing", "Deleting"):
        csv["status"]["certsLastUpdated"] = ts(started + timedelta(seconds=5))
        csv["status"]["certsRotateAt"] = ts(started + timedelta(days=730))
    return csv


_CSV_DEPLOYMENTS = (
    ("hco-operator", "hyperconverged-cluster-operator", "hyperconverged-cluster-operator-rhel9"),
    ("hco-webhook", "hyperconverged-cluster-operator", "hyperconverged-cluster-webhook-rhel9"),
    ("virt-operator", "kubevirt-operator", "virt-operator-rhel9"),
    ("cdi-operator", "cdi-operator", "virt-cdi-operator-rhel9"),
    ("ssp-operator", "ssp-operator", "kubevirt-ssp-operator-rhel9"),
    (
        "cluster-network-addons-operator",
        "cluster-network-addons-operator",
        "cluster-network-addons-operator-rhel9",
    ),
)
_OWNED_CRDS = (
    ("hyperconvergeds.hco.kubevirt.io", "HyperConverged", "v1beta1",
     "OpenShift Virtualization Deployment"),
    ("kubevirts.kubevirt.io", "KubeVirt", "v1", "KubeVirt deployment"),
    ("cdis.cdi.kubevirt.io", "CDI", "v1beta1", "CDI deployment"),
    ("ssps.ssp.kubevirt.io", "SSP", "v1beta2", "Scheduling, Scale and Performance"),
    ("networkaddonsconfigs.networkaddonsoperator.network.kubevirt.io", "NetworkAddonsConfig",
     "v1", "Cluster Network Addons"),
)  # fmt: skip


def _csv_spec(version: str, replaces: str | None) -> Json:
    deployments = [
        {
            "name": name,
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": {"name": name}},
                "strategy": {},
                "template": {
                    "metadata": {"labels": {"name": name}},
                    "spec": {
                        "containers": [{"name": name, "image": image_ref(image, version)}],
                        "serviceAccountName": account,
                    },
                },
            },
        }
        for name, account, image in _CSV_DEPLOYMENTS
    ]
    spec: Json = {
        "cleanup": {"enabled": False},
        "customresourcedefinitions": {
            "owned": [
                {"displayName": display, "kind": kind, "name": crd, "version": ver}
                for crd, kind, ver, display in _OWNED_CRDS
            ]
        },
        "displayName": "OpenShift Virtualization",
        "install": {"spec": {"deployments": deployments}, "strategy": "deployment"},
        "installModes": [
            {"supported": True, "type": "OwnNamespace"},
            {"supported": True, "type": "SingleNamespace"},
            {"supported": False, "type": "MultiNamespace"},
            {"supported": False, "type": "AllNamespaces"},
        ],
        "keywords": ["KubeVirt", "Virtualization", "VM"],
        "labels": {"alm-owner-kubevirt": PACKAGE, "operated-by": PACKAGE},
        "links": [
            {
                "name": "Source Code",
                "url": "https://github.com/kubevirt/hyperconverged-cluster-operator",
            }
        ],
        "maintainers": [{"email": "kubevirt-dev@googlegroups.com", "name": "KubeVirt project"}],
        "maturity": "stable",
        "minKubeVersion": "1.25.0",
        "provider": {"name": "Red Hat"},
        "relatedImages": [
            {"image": releases.launcher_image(version), "name": "virt-launcher"},
            *(
                {"image": image_ref(component, version), "name": component.removesuffix("-rhel9")}
                for component in ("virt-handler-rhel9", "virt-controller-rhel9", "virt-api-rhel9")
            ),
        ],
        "selector": {"matchLabels": {"alm-owner-kubevirt": PACKAGE, "operated-by": PACKAGE}},
        "version": version,
    }
    if replaces:
        spec["replaces"] = replaces
    return spec


def _requirements() -> list[Json]:
    reqs = [
        {
            "group": "apiextensions.k8s.io",
            "kind": "CustomResourceDefinition",
            "message": "CRD is present and Established condition is true",
            "name": crd,
            "status": "Present",
            "version": "v1",
        }
        for crd, *_ in _OWNED_CRDS
    ]
    reqs.extend(
        {
            "group": "",
            "kind": "ServiceAccount",
            "message": "",
            "name": account,
            "status": "Present",
            "version": "v1",
        }
        for account in sorted({acc for _, acc, _ in _CSV_DEPLOYMENTS})
    )
    return reqs
