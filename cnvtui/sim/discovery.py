"""Discovery documents: /version, /api, /apis, /apis/<group>[/<version>], /api/v1.

Only the legacy format is served. Clients that ask for aggregated discovery
(`as=APIGroupDiscoveryList`) get it too, with a plain `application/json` content type, which
is how they recognise an older server and fall back to walking the groups.
"""

from __future__ import annotations

from typing import Any

from cnvtui.sim.catalog import ResourceDef
from cnvtui.sim.errors import path_not_found

Json = dict[str, Any]

VERSION: Json = {
    "major": "1",
    "minor": "31",
    "gitVersion": "v1.31.6",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2025-01-01T00:00:00Z",
    "goVersion": "go1.22.12",
    "compiler": "gc",
    "platform": "linux/amd64",
}


def server_version(kubelet_version: str | None) -> Json:
    """/version for a cluster whose control plane runs `kubelet_version` (OpenShift's
    apiserver and its masters' kubelets share the Kubernetes version, e.g. v1.27.8+4fab27b)."""
    if not kubelet_version:
        return VERSION
    major, _, rest = kubelet_version.lstrip("v").partition(".")
    minor = rest.partition(".")[0]
    if not (major.isdigit() and minor.isdigit()):
        return VERSION
    return {**VERSION, "major": major, "minor": minor, "gitVersion": kubelet_version}


def _served(rdef: ResourceDef) -> list[str]:
    return [v.name for v in rdef.versions if v.served]


class Discovery:
    """The discovery documents of a set of resources (computed once; they never change)."""

    def __init__(self, resources: list[ResourceDef]) -> None:
        self._groups: dict[str, list[str]] = {}
        self._by_gv: dict[tuple[str, str], list[ResourceDef]] = {}
        for rdef in resources:
            versions = self._groups.setdefault(rdef.group, [])
            for v in _served(rdef):
                if v not in versions:
                    versions.append(v)
                self._by_gv.setdefault((rdef.group, v), []).append(rdef)

    def api_versions(self, server_address: str) -> Json:
        return {
            "kind": "APIVersions",
            "versions": self._groups.get("", []),
            "serverAddressByClientCIDRs": [
                {"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}
            ],
        }

    def _group(self, group: str) -> Json:
        versions = [{"groupVersion": f"{group}/{v}", "version": v} for v in self._groups[group]]
        return {"name": group, "versions": versions, "preferredVersion": versions[0]}

    def group_list(self) -> Json:
        return {
            "kind": "APIGroupList",
            "apiVersion": "v1",
            "groups": [self._group(g) for g in self._groups if g],
        }

    def group(self, group: str) -> Json:
        if not group or group not in self._groups:
            raise path_not_found()
        return {"kind": "APIGroup", "apiVersion": "v1", **self._group(group)}

    def resource_list(self, group: str, version: str) -> Json:
        defs = self._by_gv.get((group, version))
        if defs is None:
            raise path_not_found()
        resources: list[Json] = []
        for rdef in defs:
            entry: Json = {
                "name": rdef.plural,
                "singularName": rdef.singular,
                "namespaced": rdef.namespaced,
                "kind": rdef.kind,
                "verbs": list(rdef.verbs),
            }
            if rdef.short_names:
                entry["shortNames"] = list(rdef.short_names)
            if rdef.categories:
                entry["categories"] = list(rdef.categories)
            resources.append(entry)
            if rdef.has_status:
                resources.append(
                    {
                        "name": f"{rdef.plural}/status",
                        "singularName": "",
                        "namespaced": rdef.namespaced,
                        "kind": rdef.kind,
                        "verbs": ["get", "patch", "update"],
                    }
                )
        return {
            "kind": "APIResourceList",
            "apiVersion": "v1",
            "groupVersion": f"{group}/{version}" if group else version,
            "resources": resources,
        }
