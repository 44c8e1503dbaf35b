"""Turn the upstream CRDs and examples in `../shared/upstream/` into the simulated cluster's data.

Run by hand from the repository root when the upstream snapshot changes:

    python tools/extract_upstream.py [--upstream ../shared/upstream] [--out cnvtui/sim/data]

It writes, per resource, a compact JSON document shaped like a CRD's `spec` (group, names,
scope, versions with served/storage/subresources/additionalPrinterColumns and the
openAPIV3Schema) with every schema `description` removed: we ship data, not upstream prose.
The KubeVirt workload kinds (VMI, VM, VMIM) have no CRD YAML upstream; their schemas are built
from `kubevirt/swagger.json` the way KubeVirt's generator shapes its CRDs (references resolved,
Quantity/IntOrString as int-or-string, nested ObjectMeta kept as unknown fields).

The output is deterministic (sorted keys, gzip without timestamps): re-running it on the same
snapshot reproduces the files byte for byte. Nothing at runtime imports this tool.
"""

from __future__ import annotations

import argparse
import copy
import gzip
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

Json = dict[str, Any]

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_UPSTREAM = ROOT.parent / "shared" / "upstream"
DEFAULT_OUT = ROOT / "cnvtui" / "sim" / "data"

# Sub-schemas that hold other schemas; everything else in a schema node is a keyword whose
# value is data (default, enum, example...) and is copied untouched.
_SCHEMA_MAPS = ("properties", "patternProperties", "definitions")
_SCHEMA_LISTS = ("anyOf", "allOf", "oneOf")
_SCHEMA_ONE = ("items", "additionalProperties", "not")

# Swagger definitions that KubeVirt's CRD generator does not expand.
_K8S = "k8s.io.apimachinery.pkg"
_INT_OR_STRING: Json = {
    "anyOf": [{"type": "integer"}, {"type": "string"}],
    "x-kubernetes-int-or-string": True,
}
_OPAQUE_OBJECT: Json = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
_SPECIAL_REFS: dict[str, Json] = {
    f"{_K8S}.api.resource.Quantity": _INT_OR_STRING,
    f"{_K8S}.util.intstr.IntOrString": _INT_OR_STRING,
    f"{_K8S}.apis.meta.v1.Time": {"type": "string", "format": "date-time"},
    f"{_K8S}.apis.meta.v1.MicroTime": {"type": "string", "format": "date-time"},
    f"{_K8S}.apis.meta.v1.Duration": {"type": "string"},
    f"{_K8S}.apis.meta.v1.ObjectMeta": {**_OPAQUE_OBJECT, "nullable": True},
    f"{_K8S}.runtime.RawExtension": _OPAQUE_OBJECT,
    f"{_K8S}.apis.meta.v1.FieldsV1": _OPAQUE_OBJECT,
}
# Deeper than any KubeVirt type today; a guard so a future recursive type cannot loop.
_MAX_DEPTH = 40

# Printer columns of KubeVirt's generated CRDs (virt-operator's crds.go), which swagger lacks.
_AGE = {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}
_KUBEVIRT_COLUMNS: dict[str, list[Json]] = {
    "VirtualMachineInstance": [
        _AGE,
        {"name": "Phase", "type": "string", "jsonPath": ".status.phase"},
        {"name": "IP", "type": "string", "jsonPath": ".status.interfaces[0].ipAddress"},
        {"name": "NodeName", "type": "string", "jsonPath": ".status.nodeName"},
        {
            "name": "Ready",
            "type": "string",
            "jsonPath": ".status.conditions[?(@.type=='Ready')].status",
        },
        {
            "name": "Live-Migratable",
            "type": "string",
            "jsonPath": ".status.conditions[?(@.type=='LiveMigratable')].status",
            "priority": 1,
        },
        {
            "name": "Paused",
            "type": "string",
            "jsonPath": ".status.conditions[?(@.type=='Paused')].status",
            "priority": 1,
        },
    ],
    "VirtualMachine": [
        _AGE,
        {
            "name": "Status",
            "type": "string",
            "jsonPath": ".status.printableStatus",
            "description": "Human Readable Status",
        },
        {
            "name": "Ready",
            "type": "string",
            "jsonPath": ".status.conditions[?(@.type=='Ready')].status",
        },
    ],
    "VirtualMachineInstanceMigration": [
        {
            "name": "Phase",
            "type": "string",
            "jsonPath": ".status.phase",
            "description": "The current phase of VM instance migration",
        },
        {
            "name": "VMI",
            "type": "string",
            "jsonPath": ".spec.vmiName",
            "description": "The name of the VMI to perform the migration on",
        },
    ],
}


@dataclass(frozen=True)
class SwaggerKind:
    """A KubeVirt kind whose CRD we build from swagger.json."""

    definition: str
    kind: str
    plural: str
    singular: str
    short_names: tuple[str, ...]
    status_subresource: bool


_SWAGGER_KINDS = (
    # VMIs have no status subresource upstream: virt-handler writes the whole object.
    SwaggerKind(
        "v1.VirtualMachineInstance",
        "VirtualMachineInstance",
        "virtualmachineinstances",
        "virtualmachineinstance",
        ("vmi", "vmis"),
        False,
    ),
    SwaggerKind(
        "v1.VirtualMachine",
        "VirtualMachine",
        "virtualmachines",
        "virtualmachine",
        ("vm", "vms"),
        True,
    ),
    SwaggerKind(
        "v1.VirtualMachineInstanceMigration",
        "VirtualMachineInstanceMigration",
        "virtualmachineinstancemigrations",
        "virtualmachineinstancemigration",
        ("vmim", "vmims"),
        True,
    ),
)

# (output file, upstream file) for CRDs copied from YAML.
_CRD_FILES = (
    (
        "clusterserviceversions.operators.coreos.com.json.gz",
        "operator-framework-api/operators.coreos.com_clusterserviceversions.yaml",
    ),
    (
        "subscriptions.operators.coreos.com.json.gz",
        "operator-framework-api/operators.coreos.com_subscriptions.yaml",
    ),
    (
        "installplans.operators.coreos.com.json.gz",
        "operator-framework-api/operators.coreos.com_installplans.yaml",
    ),
    (
        "operatorgroups.operators.coreos.com.json.gz",
        "operator-framework-api/operators.coreos.com_operatorgroups.yaml",
    ),
    (
        "catalogsources.operators.coreos.com.json.gz",
        "operator-framework-api/operators.coreos.com_catalogsources.yaml",
    ),
    (
        "operatorconditions.operators.coreos.com.json.gz",
        "operator-framework-api/operators.coreos.com_operatorconditions.yaml",
    ),
    (
        "hyperconvergeds.hco.kubevirt.io.release-1.17.json.gz",
        "hyperconverged-cluster-operator/release-1.17/hco00.crd.yaml",
    ),
    (
        "hyperconvergeds.hco.kubevirt.io.main.json.gz",
        "hyperconverged-cluster-operator/main/hco00.crd.yaml",
    ),
    (
        "kubevirts.kubevirt.io.json.gz",
        "hyperconverged-cluster-operator/release-1.17/kubevirt00.crd.yaml",
    ),
    (
        "clusterversions.config.openshift.io.json.gz",
        "openshift-api/0000_00_cluster-version-operator_01_clusterversions-Default.crd.yaml",
    ),
    (
        "machineconfigpools.machineconfiguration.openshift.io.json.gz",
        "openshift-api/0000_80_machine-config_01_machineconfigpools.crd.yaml",
    ),
    (
        "nodemaintenances.nodemaintenance.medik8s.io.json.gz",
        "node-maintenance-operator/nodemaintenance.medik8s.io_nodemaintenances.yaml",
    ),
)
_SWAGGER = "kubevirt/swagger.json"
# (output file, upstream file) for example objects copied whole (the seed builds on them).
_OBJECT_FILES = (
    ("hco-cr.v1beta1.json", "hyperconverged-cluster-operator/release-1.17/hco.cr.yaml"),
    ("hco-cr.v1.json", "hyperconverged-cluster-operator/main/hco.cr.yaml"),
)
_LICENCE = "Apache-2.0"


def strip_descriptions(node: Any) -> Any:
    """A copy of a schema without `description` keywords (a property *named* description
    stays: only keywords of schema nodes are dropped)."""
    if not isinstance(node, dict):
        return node
    out: Json = {}
    for key, value in node.items():
        if key == "description":
            continue
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            out[key] = {name: strip_descriptions(sub) for name, sub in value.items()}
        elif key in _SCHEMA_LISTS and isinstance(value, list):
            out[key] = [strip_descriptions(sub) for sub in value]
        elif key in _SCHEMA_ONE and isinstance(value, dict):
            out[key] = strip_descriptions(value)
        else:
            out[key] = value
    return out


# Printer columns newer than the OpenShift releases the product serves: operator-framework/api
# master added the CSV `Release` column, which `oc get csv` on OpenShift 4.12-4.18 does not
# show (NAME DISPLAY VERSION REPLACES PHASE). The schema keeps `spec.release`.
_DROPPED_COLUMNS = {("clusterserviceversions", "Release")}


def _printer_columns(plural: str, columns: list[Json] | None) -> list[Json]:
    return [dict(col) for col in columns or [] if (plural, col["name"]) not in _DROPPED_COLUMNS]


def crd_document(crd: Json) -> Json:
    """The parts of a CRD the simulated server needs, schemas without prose."""
    spec = crd["spec"]
    versions: list[Json] = []
    seen: dict[str, str] = {}
    for ver in spec["versions"]:
        schema = strip_descriptions(ver.get("schema", {}).get("openAPIV3Schema"))
        entry: Json = {
            "name": ver["name"],
            "served": bool(ver.get("served", True)),
            "storage": bool(ver.get("storage", False)),
            "subresources": ver.get("subresources", {}),
            "additionalPrinterColumns": _printer_columns(
                spec["names"]["plural"], ver.get("additionalPrinterColumns")
            ),
        }
        if ver.get("deprecated"):
            entry["deprecated"] = True
        key = json.dumps(schema, sort_keys=True)
        # Identical schemas (KubeVirt v1/v1alpha3) are stored once and referenced.
        if key in seen:
            entry["schemaFrom"] = seen[key]
        else:
            entry["schema"] = schema
            seen[key] = ver["name"]
        versions.append(entry)
    names = spec["names"]
    return {
        "group": spec["group"],
        "names": {
            "plural": names["plural"],
            "singular": names.get("singular", names["kind"].lower()),
            "kind": names["kind"],
            "listKind": names.get("listKind", names["kind"] + "List"),
            "shortNames": names.get("shortNames", []),
            "categories": names.get("categories", []),
        },
        "scope": spec["scope"],
        "versions": versions,
    }


class SwaggerResolver:
    """Expands swagger definitions into self-contained structural schemas."""

    def __init__(self, definitions: Json) -> None:
        self.definitions = definitions

    def resolve(self, name: str) -> Json:
        schema = self._node(self.definitions[name], (name,), 0)
        props = schema.setdefault("properties", {})
        # A CRD's root metadata is only ever `type: object`; the server handles ObjectMeta.
        props["metadata"] = {"type": "object"}
        return schema

    def _ref(self, ref: str, stack: tuple[str, ...], depth: int) -> Json:
        name = ref.rsplit("/", 1)[-1]
        if name in _SPECIAL_REFS:
            return copy.deepcopy(_SPECIAL_REFS[name])
        if name in stack or depth > _MAX_DEPTH:
            return dict(_OPAQUE_OBJECT)
        return self._node(self.definitions[name], (*stack, name), depth + 1)

    def _node(self, node: Json, stack: tuple[str, ...], depth: int) -> Json:
        if "$ref" in node:
            return self._ref(node["$ref"], stack, depth)
        out: Json = {}
        kind = node.get("type")
        if isinstance(kind, list):
            non_null = [t for t in kind if t != "null"]
            if set(non_null) >= {"string", "integer"}:
                out.update(copy.deepcopy(_INT_OR_STRING))
            elif non_null:
                out["type"] = non_null[0]
            if "null" in kind:
                out["nullable"] = True
        elif kind is not None:
            out["type"] = kind
        for key, value in node.items():
            if key in ("type", "description", "default", "$ref"):
                continue
            if key == "properties":
                out["properties"] = {
                    prop: self._node(sub, stack, depth + 1) for prop, sub in value.items()
                }
            elif key in ("items", "additionalProperties") and isinstance(value, dict):
                out[key] = self._node(value, stack, depth + 1)
            elif key == "format" and value == "int-or-string":
                out.pop("type", None)
                out.update(copy.deepcopy(_INT_OR_STRING))
            elif key.startswith("x-kubernetes-patch"):
                continue
            else:
                out[key] = value
        if "properties" in out and "type" not in out:
            out["type"] = "object"
        return out


def swagger_documents(swagger: Json) -> dict[str, Json]:
    resolver = SwaggerResolver(swagger["definitions"])
    docs: dict[str, Json] = {}
    for item in _SWAGGER_KINDS:
        schema = resolver.resolve(item.definition)
        subresources: Json = {"status": {}} if item.status_subresource else {}
        columns = _KUBEVIRT_COLUMNS[item.kind]
        versions: list[Json] = [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "subresources": subresources,
                "additionalPrinterColumns": columns,
                "schema": schema,
            },
            {
                "name": "v1alpha3",
                "served": True,
                "storage": False,
                "deprecated": True,
                "subresources": subresources,
                "additionalPrinterColumns": columns,
                "schemaFrom": "v1",
            },
        ]
        docs[f"{item.plural}.kubevirt.io.json.gz"] = {
            "group": "kubevirt.io",
            "names": {
                "plural": item.plural,
                "singular": item.singular,
                "kind": item.kind,
                "listKind": item.kind + "List",
                "shortNames": list(item.short_names),
                "categories": ["all"],
            },
            "scope": "Namespaced",
            "versions": versions,
        }
    return docs


def _dump(doc: Any) -> bytes:
    return (
        json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"
    ).encode()


def write_data(path: Path, doc: Any) -> None:
    raw = _dump(doc)
    if path.name.endswith(".gz"):
        # mtime=0 and no file name in the header keep the output reproducible.
        raw = gzip.compress(raw, compresslevel=9, mtime=0)
    path.write_bytes(raw)


@dataclass(frozen=True)
class Provenance:
    repo: str
    path: str
    ref: str
    commit: str


def read_provenance(readme: Path) -> dict[str, Provenance]:
    """Map each local upstream file to (repo, upstream path, ref, commit) from its README."""
    table: dict[str, Provenance] = {}
    row = re.compile(
        r"^\| `(?P<local>[^`]+)` \| (?P<repo>[^|]+?) \| `(?P<path>[^`]+)` \| "
        r"(?P<ref>\S+) @ `(?P<commit>[0-9a-f]{40})` \|"
    )
    for line in readme.read_text().splitlines():
        match = row.match(line)
        if match:
            table[match["local"]] = Provenance(
                match["repo"].strip(), match["path"], match["ref"], match["commit"]
            )
    return table


def readme_text(rows: list[tuple[str, str, Provenance]]) -> str:
    lines = [
        "# Data of the simulated cluster",
        "",
        "Generated by `tools/extract_upstream.py` from `../shared/upstream/` (do not edit by",
        "hand; re-run the tool). CRD files hold the CRD's group, names, scope and versions",
        "(served, storage, subresources, additionalPrinterColumns, openAPIV3Schema) with every",
        "schema `description` removed. KubeVirt VMI/VM/VMIM schemas are built from KubeVirt's",
        "swagger.json; their printer columns are those of KubeVirt's generated CRDs. The",
        "legacy `nodemaintenance.kubevirt.io` resource reuses the medik8s schema. The CSV's",
        "`Release` printer column (operator-framework/api master only) is left out so that",
        "`kubectl get csv` shows the columns OpenShift shows.",
        "",
        f"Every source is licensed {_LICENCE}.",
        "",
        "| data file | upstream repo | upstream path | ref @ commit | licence |",
        "|---|---|---|---|---|",
    ]
    for out, _local, prov in rows:
        lines.append(
            f"| `{out}` | {prov.repo} | `{prov.path}` | {prov.ref} @ `{prov.commit}` | {_LICENCE} |"
        )
    return "\n".join(lines) + "\n"


def _load_crd(path: Path) -> Json:
    for doc in yaml.safe_load_all(path.read_text()):
        if isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition":
            return doc
    raise SystemExit(f"{path}: no CustomResourceDefinition")


def extract(upstream: Path, out: Path) -> list[Path]:
    provenance = read_provenance(upstream / "README.md")
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    rows: list[tuple[str, str, Provenance]] = []
    for name, local in _CRD_FILES:
        write_data(out / name, crd_document(_load_crd(upstream / local)))
        written.append(out / name)
        rows.append((name, local, provenance[local]))
    swagger = json.loads((upstream / _SWAGGER).read_text())
    for name, doc in swagger_documents(swagger).items():
        write_data(out / name, doc)
        written.append(out / name)
        rows.append((name, _SWAGGER, provenance[_SWAGGER]))
    for name, local in _OBJECT_FILES:
        write_data(out / name, yaml.safe_load((upstream / local).read_text()))
        written.append(out / name)
        rows.append((name, local, provenance[local]))
    (out / "README.md").write_text(readme_text(rows))
    written.append(out / "README.md")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--upstream", type=Path, default=DEFAULT_UPSTREAM)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    if not (args.upstream / "README.md").exists():
        print(f"no upstream snapshot at {args.upstream}", file=sys.stderr)
        return 2
    total = 0
    for path in extract(args.upstream, args.out):
        size = path.stat().st_size
        total += size
        print(f"{size:>9}  {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    print(f"{total:>9}  total")
    return 0


if __name__ == "__main__":
    sys.exit(main())
