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

from cnvtui.kube.events import Obj, Shrink

__all__ = ["SHRINKERS", "SLIM_KINDS", "slim", "slim_vmi"]

_META_KEYS = (
    "name",
    "namespace",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "labels",
)
_STATUS_KEYS = ("phase", "nodeName", "conditions")
_SPEC_KEYS = ("evictionStrategy",)
_TOP_KEYS = frozenset(("apiVersion", "kind", "metadata", "spec", "status"))
_PARTS = tuple(
    (part, frozenset(keys))
    for part, keys in (("metadata", _META_KEYS), ("spec", _SPEC_KEYS), ("status", _STATUS_KEYS))
)


def _pick(raw: object, keys: tuple[str, ...]) -> dict[str, object] | None:
    if not isinstance(raw, dict):
        return None
    return {k: raw[k] for k in keys if k in raw}


def _is_slim(obj: Obj) -> bool:
    """Whether `obj` holds nothing `slim_vmi` would drop (it was slimmed on arrival)."""
    if not _TOP_KEYS.issuperset(obj):
        return False
    for part, keys in _PARTS:
        if part in obj:
            value = obj[part]
            if not (isinstance(value, dict) and keys.issuperset(value)):
                return False
    return True


def slim_vmi(obj: Obj) -> Obj:
    """The VMI with only the fields the dashboard reads, their values shared with `obj`
    (`obj` itself if it is slim already: the kube layer slims VMIs as they arrive).

    A part that is not a mapping (malformed) is dropped: every reader ignores it anyway.
    """
    return obj if _is_slim(obj) else _slimmed(obj)


def _slimmed(obj: Obj) -> Obj:
    out: Obj = {}
    for top in ("apiVersion", "kind"):
        if top in obj:
            out[top] = obj[top]
    for part, keys in (("metadata", _META_KEYS), ("spec", _SPEC_KEYS), ("status", _STATUS_KEYS)):
        picked = _pick(obj.get(part), keys)
        if picked is not None:
            out[part] = picked
    return out


SLIM_KINDS = frozenset({"vmi"})
"""Kinds the store holds slimmed; anything else is held as it came."""


SHRINKERS: Mapping[str, Shrink] = {"vmi": _slimmed}
"""For the kube layer's streams (`stream_specs(shrink=...)`): slim on arrival, so full
bodies are never queued and die young."""


def slim(kind: str, obj: Obj) -> Obj:
    """`obj` as the store keeps it."""
    return slim_vmi(obj) if kind in SLIM_KINDS else obj
