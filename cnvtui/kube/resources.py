"""The resource kinds cnvtui watches, and how to address them over the API.

Kept as data so the watch loop, the state store and the recorder agree on one key per kind.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ResourceKind:
    """One API resource: where it lives and whether it is namespaced."""

    key: str
    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    def path(self, namespace: str | None = None, name: str | None = None) -> str:
        """The collection (or object) URL path; `namespace=None` means all namespaces."""
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace:
            base += f"/namespaces/{namespace}"
        base += f"/{self.plural}"
        if name:
            base += f"/{name}"
        return base


CSV = ResourceKind(
    "csv",
    "operators.coreos.com",
    "v1alpha1",
    "clusterserviceversions",
    "ClusterServiceVersion",
    True,
)
SUBSCRIPTION = ResourceKind(
    "subscription", "operators.coreos.com", "v1alpha1", "subscriptions", "Subscription", True
)
INSTALL_PLAN = ResourceKind(
    "installplan", "operators.coreos.com", "v1alpha1", "installplans", "InstallPlan", True
)
HCO = ResourceKind("hco", "hco.kubevirt.io", "v1beta1", "hyperconvergeds", "HyperConverged", True)
HCO_V1 = ResourceKind("hco", "hco.kubevirt.io", "v1", "hyperconvergeds", "HyperConverged", True)
KUBEVIRT = ResourceKind("kubevirt", "kubevirt.io", "v1", "kubevirts", "KubeVirt", True)
VMI = ResourceKind(
    "vmi", "kubevirt.io", "v1", "virtualmachineinstances", "VirtualMachineInstance", True
)
VM = ResourceKind("vm", "kubevirt.io", "v1", "virtualmachines", "VirtualMachine", True)
VMIM = ResourceKind(
    "vmim",
    "kubevirt.io",
    "v1",
    "virtualmachineinstancemigrations",
    "VirtualMachineInstanceMigration",
    True,
)
CLUSTER_VERSION = ResourceKind(
    "clusterversion", "config.openshift.io", "v1", "clusterversions", "ClusterVersion", False
)
MCP = ResourceKind(
    "mcp",
    "machineconfiguration.openshift.io",
    "v1",
    "machineconfigpools",
    "MachineConfigPool",
    False,
)
NODE_MAINTENANCE = ResourceKind(
    "nodemaintenance",
    "nodemaintenance.medik8s.io",
    "v1beta1",
    "nodemaintenances",
    "NodeMaintenance",
    False,
)
LEGACY_NODE_MAINTENANCE = ResourceKind(
    "legacynodemaintenance",
    "nodemaintenance.kubevirt.io",
    "v1beta1",
    "nodemaintenances",
    "NodeMaintenance",
    False,
)
NODE = ResourceKind("node", "", "v1", "nodes", "Node", False)
NAMESPACE = ResourceKind("namespace", "", "v1", "namespaces", "Namespace", False)
POD = ResourceKind("pod", "", "v1", "pods", "Pod", True)
EVENT = ResourceKind("event", "", "v1", "events", "Event", True)

ALL: tuple[ResourceKind, ...] = (
    CSV,
    SUBSCRIPTION,
    INSTALL_PLAN,
    HCO,
    KUBEVIRT,
    VMI,
    VM,
    VMIM,
    CLUSTER_VERSION,
    MCP,
    NODE_MAINTENANCE,
    LEGACY_NODE_MAINTENANCE,
    NODE,
)
BY_KEY: dict[str, ResourceKind] = {r.key: r for r in ALL}
