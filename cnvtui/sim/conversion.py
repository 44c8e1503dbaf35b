"""Conversion between the served versions of a resource.

Objects are stored in the storage version and converted on the way in and out, as a real
server does (for HyperConverged, HCO's conversion webhook). Versions of other resources share
one schema, so only `apiVersion` changes. HyperConverged v1 regroups the v1beta1 spec into
sections; the fields moved here are the ones whose name is the same in both versions.
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
