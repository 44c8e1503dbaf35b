"""Slim copies of VMIs: only the fields the state layer and the panels read.

A VMI body is a few KB of JSON and ~40 KB once parsed; a store holding tens of thousands of
them costs hundreds of MB. What the dashboard reads of a VMI (counting flags, outdated rows,
pre-flight findings) is its name, labels, creation time, phase, node, conditions and
eviction strategy, so the store keeps just those. The details screen fetches the full object
when it is opened.

Readers of these fields: `workloads.vmi_flags` and `outdated_row_maker`,
`preflight._workloads`, `views.meta_key`, the details screen (resourceVersion).
"""

from __future__ import annotations

from collections.abc import Mapping

from cnvtui.kube.events import Obj
from cnvtui.kube.projection import Projection

__all__ = ["PROJECTIONS", "SLIM_KINDS", "VMI_PROJECTION", "slim", "slim_vmi"]

VMI_PROJECTION = Projection(
    "SlimVMI",
    {
        "apiVersion": None,
        "kind": None,
        "metadata": (
            "name",
            "namespace",
            "uid",
            "resourceVersion",
            "generation",
            "creationTimestamp",
            "deletionTimestamp",
            "labels",
        ),
        "spec": ("evictionStrategy",),
        "status": ("phase", "nodeName", "conditions"),
    },
)


def slim_vmi(obj: Obj) -> Obj:
    """The VMI with only the fields the dashboard reads, their values shared with `obj`
    (`obj` itself if it is slim already: the kube layer slims VMIs as they arrive).

    A part that is not a mapping (malformed) is dropped: every reader ignores it anyway.
    """
    return obj if VMI_PROJECTION.is_applied(obj) else VMI_PROJECTION.apply(obj)


SLIM_KINDS = frozenset({"vmi"})
"""Kinds the store holds slimmed; anything else is held as it came."""


PROJECTIONS: Mapping[str, Projection] = {"vmi": VMI_PROJECTION}
"""For the kube layer's streams (`stream_specs(projections=...)`): slim on arrival, parsing
only the kept fields, so full bodies are never built, let alone queued."""


def slim(kind: str, obj: Obj) -> Obj:
    """`obj` as the store keeps it."""
    return slim_vmi(obj) if kind in SLIM_KINDS else obj
