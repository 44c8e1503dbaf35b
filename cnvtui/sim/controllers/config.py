"""What the simulated controllers are told about the cluster they run: where the operator
lives, which bundles and releases the catalog and the update service will offer, and when.
"""

from __future__ import annotations

from dataclasses import dataclass

from cnvtui.sim.controllers.releases import Bundle, OcpRelease


@dataclass(frozen=True)
class SimConfig:
    """Names and catalog data shared by every controller of one simulated cluster."""

    namespace: str = "openshift-cnv"
    hco_name: str = "kubevirt-hyperconverged"
    kubevirt_name: str = "kubevirt-kubevirt-hyperconverged"
    package: str = "kubevirt-hyperconverged"
    catalog_source: str = "redhat-operators"
    catalog_namespace: str = "openshift-marketplace"
    # CNV bundles the `stable` channel offers (each from its `after` on).
    bundles: tuple[Bundle, ...] = ()
    # OpenShift releases the update service offers (each from its `after` on).
    ocp_releases: tuple[OcpRelease, ...] = ()

    def bundle(self, version: str) -> Bundle | None:
        return next((b for b in self.bundles if b.version == version), None)
