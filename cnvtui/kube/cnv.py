"""Where OpenShift Virtualization lives on a cluster, and which of its resources we watch.

The dashboard, `cnvtui status` and the recorder must watch the same streams and find the
same HyperConverged, or they would tell different stories about one cluster.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cnvtui.kube import resources as res
from cnvtui.kube.hub import StreamSpec
from cnvtui.kube.projection import Projection

DEFAULT_HCO_NAMESPACE = "openshift-cnv"
UPSTREAM_HCO_NAMESPACE = "kubevirt-hyperconverged"


@dataclass(frozen=True, slots=True)
class Watched:
    """One stream: a kind, whether it lives in the HCO's namespace, and whether metadata is
    enough (nodes: only their names and labels are needed)."""

    kind: res.ResourceKind
    in_hco_namespace: bool = False
    metadata_only: bool = False


WATCHED: tuple[Watched, ...] = (
    Watched(res.CSV, in_hco_namespace=True),
    Watched(res.SUBSCRIPTION, in_hco_namespace=True),
    Watched(res.INSTALL_PLAN, in_hco_namespace=True),
    Watched(res.HCO, in_hco_namespace=True),
    Watched(res.KUBEVIRT, in_hco_namespace=True),
    Watched(res.VMI),
    Watched(res.VMIM),
    Watched(res.CLUSTER_VERSION),
    Watched(res.MCP),
    Watched(res.NODE_MAINTENANCE),
    Watched(res.LEGACY_NODE_MAINTENANCE),
    Watched(res.NODE, metadata_only=True),
)
"""VMs are not watched: nothing shown needs them, and they would double the traffic."""


def stream_specs(
    hco_namespace: str,
    watched: Sequence[Watched] = WATCHED,
    *,
    projections: Mapping[str, Projection] | None = None,
) -> list[StreamSpec]:
    """The hub's streams for a cluster whose HyperConverged is in `hco_namespace`; `projections`
    maps a kind's key to the fields its objects keep from arrival (whole objects if absent)."""
    projections = projections or {}
    return [
        StreamSpec(
            w.kind,
            namespace=hco_namespace if w.in_hco_namespace else None,
            metadata_only=w.metadata_only,
            projection=projections.get(w.kind.key),
        )
        for w in watched
    ]


def pick_hco_namespace(hcos: Iterable[Any]) -> str:
    """The namespace of the HyperConverged among listed ones: the OpenShift one, then the
    upstream one, then whichever exists, else the OpenShift default."""
    found = [
        str((item.get("metadata") or {}).get("namespace") or "")
        for item in hcos
        if isinstance(item, dict) and isinstance(item.get("metadata") or {}, dict)
    ]
    for preferred in (DEFAULT_HCO_NAMESPACE, UPSTREAM_HCO_NAMESPACE):
        if preferred in found:
            return preferred
    return next((ns for ns in found if ns), DEFAULT_HCO_NAMESPACE)
