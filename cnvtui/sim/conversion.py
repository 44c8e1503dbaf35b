"""Conversion between the served versions of a resource.

Objects are stored in the storage version and converted on the way in and out, as a real
server does (for HyperConverged, HCO's conversion webhook). Versions of other resources share
one schema, so only `apiVersion` changes. HyperConverged v1 regroups the v1beta1 spec into
sections; the fields moved here are the ones whose name is the same in both versions, plus
the few that v1 renames or nests differently (node placements, resource requirements).
"""

from __future__ import annotations

from typing import Any

from cnvtui.sim.catalog import ResourceDef

Json = dict[str, Any]

# v1 section -> v1beta1 top-level spec fields that live in it unchanged.
_HCO_V1_SECTIONS: dict[str, tuple[str, ...]] = {
    "virtualization": (
        "changedBlockTrackingLabelSelectors",
        "evictionStrategy",
        "higherWorkloadDensity",
        "hypervisors",
        "ksmConfiguration",
        "liveMigrationConfig",
        "liveUpdateConfiguration",
        "mediatedDevicesConfiguration",
        "permittedHostDevices",
        "roleAggregationStrategy",
        "tuningPolicy",
        "virtualMachineOptions",
        "workloadUpdateStrategy",
    ),
    "deployment": (
        "applicationAwareConfig",
        "deployVmConsoleProxy",
        "logVerbosityConfig",
        "uninstallStrategy",
    ),
    "networking": ("kubeMacPoolConfiguration", "kubeSecondaryDNSNameServerIP", "networkBinding"),
    "security": ("certConfig", "tlsSecurityProfile"),
    "storage": (
        "filesystemOverhead",
        "scratchSpaceStorageClass",
        "storageImport",
        "vmStateStorageClass",
    ),
    "workloadSources": (
        "commonBootImageNamespace",
        "commonTemplatesNamespace",
        "dataImportCronTemplates",
        "enableCommonBootImageImport",
        "instancetypeConfig",
    ),
}


_HCO_V1_MOVES: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("infra", "nodePlacement"), ("deployment", "nodePlacements", "infra")),
    (("workloads", "nodePlacement"), ("deployment", "nodePlacements", "workload")),
    (("enableApplicationAwareQuota",), ("deployment", "applicationAwareConfig", "enable")),
    (("resourceRequirements", "storageWorkloads"), ("storage", "workloadResourceRequirements")),
    (
        ("resourceRequirements", "vmiCPUAllocationRatio"),
        ("virtualization", "vmiCPUAllocationRatio"),
    ),
    (
        ("resourceRequirements", "autoCPULimitNamespaceLabelSelector"),
        ("virtualization", "autoCPULimitNamespaceLabelSelector"),
    ),
    (("CommonInstancetypesDeployment",), ("workloadSources", "commonInstancetypesDeployment")),
)
"""v1beta1 spec paths that v1 keeps under another name or nesting (left: v1beta1)."""
_HCO_V1BETA1_WRAPPERS = ("infra", "workloads", "resourceRequirements")
"""v1beta1 objects that only hold moved fields: dropped in v1 (and when left empty)."""


def _without(node: Json, path: tuple[str, ...]) -> tuple[Json, Any, bool]:
    """`node` without the value at `path` (copied along the path; emptied dicts dropped),
    the value, and whether it was there."""
    head, rest = path[0], path[1:]
    if not rest:
        if head not in node:
            return node, None, False
        out = dict(node)
        return out, out.pop(head), True
    child = node.get(head)
    if not isinstance(child, dict):
        return node, None, False
    new_child, value, found = _without(child, rest)
    if not found:
        return node, None, False
    out = dict(node)
    if new_child:
        out[head] = new_child
    else:
        del out[head]
    return out, value, True


def _with(node: Json, path: tuple[str, ...], value: Any) -> Json:
    """`node` with `value` at `path` (copied along the path, missing dicts created)."""
    out = dict(node)
    if len(path) == 1:
        out[path[0]] = value
    else:
        child = out.get(path[0])
        out[path[0]] = _with(child if isinstance(child, dict) else {}, path[1:], value)
    return out


def _move(spec: Json, source: tuple[str, ...], target: tuple[str, ...]) -> Json:
    rest, value, found = _without(spec, source)
    return _with(rest, target, value) if found else spec


def _hco_to_v1(spec: Json) -> Json:
    out = dict(spec)
    gates = out.get("featureGates")
    if isinstance(gates, dict):
        # v1beta1 has a struct of booleans; v1 a list of named gates with a state.
        out["featureGates"] = [
            {"name": name, "state": "Enabled" if on else "Disabled"}
            for name, on in sorted(gates.items())
        ]
    for section, fields in _HCO_V1_SECTIONS.items():
        moved = {f: out.pop(f) for f in fields if f in out}
        if moved:
            current = out.get(section)
            merged = dict(current) if isinstance(current, dict) else {}
            merged.update(moved)
            out[section] = merged
    for source, target in _HCO_V1_MOVES:
        out = _move(out, source, target)
    for wrapper in _HCO_V1BETA1_WRAPPERS:
        # What v1 has no place for (an empty `infra: {}`) goes.
        out.pop(wrapper, None)
    return out


def _hco_to_v1beta1(spec: Json) -> Json:
    out = dict(spec)
    gates = out.get("featureGates")
    if isinstance(gates, list):
        out["featureGates"] = {
            g["name"]: g.get("state", "Enabled") == "Enabled"
            for g in gates
            if isinstance(g, dict) and isinstance(g.get("name"), str)
        }
    for source, target in _HCO_V1_MOVES:
        out = _move(out, target, source)
    for section, fields in _HCO_V1_SECTIONS.items():
        current = out.get(section)
        if not isinstance(current, dict):
            continue
        rest = dict(current)
        for f in fields:
            if f in rest:
                out[f] = rest.pop(f)
        if rest:
            out[section] = rest
        else:
            del out[section]
    return out


def convert(rdef: ResourceDef, obj: Json, version: str) -> Json:
    """`obj` (in any served version of `rdef`) as `version`; `obj` itself if nothing changes.

    The result shares unchanged subtrees with `obj`: callers treat both as read-only.
    """
    api_version = f"{rdef.group}/{version}" if rdef.group else version
    current = obj.get("apiVersion")
    if current == api_version:
        return obj
    out = dict(obj)
    out["apiVersion"] = api_version
    if rdef.group == "hco.kubevirt.io" and isinstance(obj.get("spec"), dict):
        if version == "v1":
            out["spec"] = _hco_to_v1(obj["spec"])
        elif isinstance(current, str) and current.endswith("/v1"):
            out["spec"] = _hco_to_v1beta1(obj["spec"])
    return out
