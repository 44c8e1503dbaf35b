"""The resources the simulated API server serves: names, scope, versions, and (loaded from
the upstream CRDs in `data/`) their schemas and printer columns.

Kept apart from `cnvtui.kube.resources` on purpose: the server must not share the client's
idea of the API, or a mistake in one would be hidden by the same mistake in the other.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from typing import Any

Json = dict[str, Any]

_ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")


@dataclass(frozen=True)
class VersionDef:
    """One served version of a resource."""

    name: str
    storage: bool = False
    # OpenAPI v3 schema of the whole object (descriptions stripped), None for no validation.
    # Shared by every caller: treat as read-only.
    schema: Json | None = None
    # additionalPrinterColumns as in the CRD: {name, type, jsonPath, priority?, format?}.
    printer_columns: tuple[Json, ...] = ()
    served: bool = True
    deprecated: bool = False


@dataclass(frozen=True)
class ResourceDef:
    """One resource (plural) of one API group, with every version it is served at."""

    group: str
    plural: str
    singular: str
    kind: str
    namespaced: bool
    versions: tuple[VersionDef, ...]
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    has_status: bool = True
    # Verbs this resource answers (SelfSubjectAccessReviews answer only "create").
    verbs: tuple[str, ...] = _ALL_VERBS
    extra: Json = field(default_factory=dict)

    @property
    def storage_version(self) -> str:
        return next((v.name for v in self.versions if v.storage), self.versions[0].name)

    @property
    def list_kind(self) -> str:
        return self.kind + "List"

    @property
    def is_crd(self) -> bool:
        """Custom resources (every group but core and authorization) answer like CRDs do."""
        return self.group not in ("", "authorization.k8s.io")

    def version(self, name: str) -> VersionDef | None:
        return next((v for v in self.versions if v.name == name), None)

    def api_version(self, version: str | None = None) -> str:
        ver = version or self.storage_version
        return f"{self.group}/{ver}" if self.group else ver


_CRD_FILES = (
    "clusterserviceversions.operators.coreos.com.json.gz",
    "subscriptions.operators.coreos.com.json.gz",
    "installplans.operators.coreos.com.json.gz",
    "operatorgroups.operators.coreos.com.json.gz",
    "catalogsources.operators.coreos.com.json.gz",
    "operatorconditions.operators.coreos.com.json.gz",
    "kubevirts.kubevirt.io.json.gz",
    "virtualmachineinstances.kubevirt.io.json.gz",
    "virtualmachines.kubevirt.io.json.gz",
    "virtualmachineinstancemigrations.kubevirt.io.json.gz",
    "clusterversions.config.openshift.io.json.gz",
    "machineconfigpools.machineconfiguration.openshift.io.json.gz",
    "nodemaintenances.nodemaintenance.medik8s.io.json.gz",
)
_HCO_RELEASE = "hyperconvergeds.hco.kubevirt.io.release-1.17.json.gz"
_HCO_MAIN = "hyperconvergeds.hco.kubevirt.io.main.json.gz"
_LEGACY_NM_GROUP = "nodemaintenance.kubevirt.io"


@cache
def read_data(name: str) -> Any:
    """One data file of `cnvtui/sim/data/` decoded (cached: treat the result as read-only)."""
    raw = resources.files("cnvtui.sim").joinpath("data", name).read_bytes()
    if name.endswith(".gz"):
        raw = gzip.decompress(raw)
    return json.loads(raw)


def resource_from_crd(doc: Json, *, group: str | None = None) -> ResourceDef:
    """A ResourceDef from an extracted CRD document (see tools/extract_upstream.py)."""
    schemas: dict[str, Json | None] = {}
    versions: list[VersionDef] = []
    has_status = False
    for ver in doc["versions"]:
        schema = ver["schema"] if "schema" in ver else schemas[ver["schemaFrom"]]
        schemas[ver["name"]] = schema
        versions.append(
            VersionDef(
                name=ver["name"],
                storage=ver["storage"],
                schema=schema,
                printer_columns=tuple(ver["additionalPrinterColumns"]),
                served=ver["served"],
                deprecated=ver.get("deprecated", False),
            )
        )
        if ver["storage"]:
            has_status = "status" in ver["subresources"]
    names = doc["names"]
    # Storage first is how the apiserver orders a CRD's versions in discovery (by priority,
    # v1 before v1beta1 before v1alpha), and clients pick the first as preferred.
    versions.sort(key=lambda v: _version_priority(v.name))
    return ResourceDef(
        group=group or doc["group"],
        plural=names["plural"],
        singular=names["singular"],
        kind=names["kind"],
        namespaced=doc["scope"] == "Namespaced",
        versions=tuple(versions),
        short_names=tuple(names["shortNames"]),
        categories=tuple(names["categories"]),
        has_status=has_status,
    )


def _version_priority(name: str) -> tuple[int, int, int]:
    """Kubernetes version ordering: GA before beta before alpha, higher numbers first."""
    major, _, rest = name[1:].partition("alpha" if "alpha" in name else "beta")
    level = 2 if "alpha" in name else 1 if "beta" in name else 0
    try:
        return (level, -int(major), -int(rest or 0))
    except ValueError:
        return (3, 0, 0)


def _core(
    plural: str,
    kind: str,
    *,
    namespaced: bool,
    short: tuple[str, ...] = (),
    categories: tuple[str, ...] = (),
    has_status: bool = True,
    verbs: tuple[str, ...] = _ALL_VERBS,
) -> ResourceDef:
    return ResourceDef(
        group="",
        plural=plural,
        singular=kind.lower(),
        kind=kind,
        namespaced=namespaced,
        versions=(VersionDef("v1", storage=True),),
        short_names=short,
        categories=categories,
        has_status=has_status,
        verbs=verbs,
    )


def _builtin() -> list[ResourceDef]:
    no_collection = tuple(v for v in _ALL_VERBS if v != "deletecollection")
    return [
        _core("namespaces", "Namespace", namespaced=False, short=("ns",), verbs=no_collection),
        _core("nodes", "Node", namespaced=False, short=("no",)),
        _core("pods", "Pod", namespaced=True, short=("po",), categories=("all",)),
        _core("events", "Event", namespaced=True, short=("ev",), has_status=False),
        _review("SelfSubjectAccessReview"),
        _review("SelfSubjectRulesReview"),
    ]


def _review(kind: str) -> ResourceDef:
    """An authorization.k8s.io review: create-only, answered at once, never stored."""
    singular = kind.lower()
    return ResourceDef(
        group="authorization.k8s.io",
        plural=singular + "s",
        singular=singular,
        kind=kind,
        namespaced=False,
        versions=(VersionDef("v1", storage=True),),
        has_status=False,
        verbs=("create",),
    )


@cache
def _catalog(hco_v1: bool) -> tuple[ResourceDef, ...]:
    defs = _builtin()
    defs.extend(resource_from_crd(read_data(name)) for name in _CRD_FILES)
    defs.append(resource_from_crd(read_data(_HCO_MAIN if hco_v1 else _HCO_RELEASE)))
    legacy = resource_from_crd(
        read_data("nodemaintenances.nodemaintenance.medik8s.io.json.gz"), group=_LEGACY_NM_GROUP
    )
    # No short name: `nm` must resolve to the current medik8s resource, not the legacy one.
    defs.append(replace(legacy, short_names=(), extra={"legacy": True}))
    return tuple(defs)


def load_catalog(*, hco_v1: bool = False) -> list[ResourceDef]:
    """Every resource the simulated cluster serves.

    `hco_v1=False` serves the HyperConverged CRD of release-1.17 (v1beta1 only, what
    OpenShift Virtualization ships today); `hco_v1=True` the one of HCO main (v1 storage,
    v1beta1 still served). Reads are cached; the defs and their schemas are shared.
    """
    return list(_catalog(hco_v1))


def find(catalog: list[ResourceDef], group: str, plural: str) -> ResourceDef:
    """The resource of `group` named `plural` (KeyError when absent)."""
    for rdef in catalog:
        if rdef.group == group and rdef.plural == plural:
            return rdef
    raise KeyError(f"{plural}.{group}" if group else plural)
