"""The simulated cluster's resource catalog, and the data it is built from."""

from __future__ import annotations

import filecmp
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cnvtui.sim.catalog import ResourceDef, find, load_catalog

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "cnvtui" / "sim" / "data"
UPSTREAM = ROOT.parent / "shared" / "upstream"

# (group, plural, kind, namespaced, storage version, short names) as served by OpenShift.
EXPECTED = [
    ("operators.coreos.com", "clusterserviceversions", "ClusterServiceVersion", True,
     "v1alpha1", ("csv", "csvs")),
    ("operators.coreos.com", "subscriptions", "Subscription", True, "v1alpha1", ("sub", "subs")),
    ("operators.coreos.com", "installplans", "InstallPlan", True, "v1alpha1", ("ip",)),
    ("operators.coreos.com", "operatorgroups", "OperatorGroup", True, "v1", ("og",)),
    ("operators.coreos.com", "catalogsources", "CatalogSource", True, "v1alpha1", ("catsrc",)),
    ("hco.kubevirt.io", "hyperconvergeds", "HyperConverged", True, "v1beta1", ("hco", "hcos")),
    ("kubevirt.io", "kubevirts", "KubeVirt", True, "v1", ("kv", "kvs")),
    ("kubevirt.io", "virtualmachineinstances", "VirtualMachineInstance", True, "v1",
     ("vmi", "vmis")),
    ("kubevirt.io", "virtualmachines", "VirtualMachine", True, "v1", ("vm", "vms")),
    ("kubevirt.io", "virtualmachineinstancemigrations", "VirtualMachineInstanceMigration", True,
     "v1", ("vmim", "vmims")),
    ("config.openshift.io", "clusterversions", "ClusterVersion", False, "v1", ()),
    ("machineconfiguration.openshift.io", "machineconfigpools", "MachineConfigPool", False, "v1",
     ("mcp",)),
    ("nodemaintenance.medik8s.io", "nodemaintenances", "NodeMaintenance", False, "v1beta1",
     ("nm",)),
    ("nodemaintenance.kubevirt.io", "nodemaintenances", "NodeMaintenance", False, "v1beta1", ()),
    ("", "namespaces", "Namespace", False, "v1", ("ns",)),
    ("", "nodes", "Node", False, "v1", ("no",)),
    ("", "pods", "Pod", True, "v1", ("po",)),
    ("", "events", "Event", True, "v1", ("ev",)),
    ("authorization.k8s.io", "selfsubjectaccessreviews", "SelfSubjectAccessReview", False, "v1",
     ()),
]  # fmt: skip


@pytest.mark.parametrize("case", EXPECTED, ids=[f"{c[1]}.{c[0]}" for c in EXPECTED])
def test_every_kind_is_served_with_its_real_names(
    case: tuple[str, str, str, bool, str, tuple[str, ...]],
) -> None:
    group, plural, kind, namespaced, storage, short = case
    rdef = find(load_catalog(), group, plural)
    assert rdef.kind == kind
    assert rdef.namespaced is namespaced
    assert rdef.storage_version == storage
    assert rdef.short_names == short
    assert rdef.list_kind == kind + "List"
    if rdef.is_crd:
        assert all(v.schema is not None for v in rdef.versions), "CRDs validate every version"


def test_catalog_has_no_duplicates_and_short_names_are_unambiguous() -> None:
    catalog = load_catalog()
    keys = [(r.group, r.plural) for r in catalog]
    assert len(keys) == len(set(keys))
    shorts = [s for r in catalog for s in r.short_names]
    assert len(shorts) == len(set(shorts))


def test_status_subresources_are_as_upstream() -> None:
    catalog = load_catalog()
    has_status = {(r.group, r.plural): r.has_status for r in catalog}
    # virt-handler writes a VMI whole: its CRD has no status subresource.
    assert has_status["kubevirt.io", "virtualmachineinstances"] is False
    assert has_status["kubevirt.io", "virtualmachines"] is True
    assert has_status["kubevirt.io", "virtualmachineinstancemigrations"] is True
    assert has_status["hco.kubevirt.io", "hyperconvergeds"] is True
    assert has_status["operators.coreos.com", "installplans"] is True
    assert has_status["", "events"] is False
    assert has_status["", "pods"] is True
    ssar = find(catalog, "authorization.k8s.io", "selfsubjectaccessreviews")
    assert ssar.verbs == ("create",)
    assert ssar.has_status is False
    assert "deletecollection" not in find(catalog, "", "namespaces").verbs


def test_hco_versions_follow_the_flag() -> None:
    released = find(load_catalog(), "hco.kubevirt.io", "hyperconvergeds")
    assert [(v.name, v.storage) for v in released.versions] == [("v1beta1", True)]
    future = find(load_catalog(hco_v1=True), "hco.kubevirt.io", "hyperconvergeds")
    assert [(v.name, v.storage) for v in future.versions] == [("v1", True), ("v1beta1", False)]
    v1 = future.version("v1")
    assert v1 is not None and v1.schema is not None
    virtualization = v1.schema["properties"]["spec"]["properties"]["virtualization"]
    assert "workloadUpdateStrategy" in virtualization["properties"]
    v1beta1 = released.version("v1beta1")
    assert v1beta1 is not None and v1beta1.schema is not None
    assert "workloadUpdateStrategy" in v1beta1.schema["properties"]["spec"]["properties"]


def test_kubevirt_kinds_serve_v1_first_and_v1alpha3() -> None:
    for plural in ("kubevirts", "virtualmachineinstances", "virtualmachines"):
        rdef = find(load_catalog(), "kubevirt.io", plural)
        assert [v.name for v in rdef.versions] == ["v1", "v1alpha3"]
        v1, alpha = rdef.versions
        assert v1.schema is alpha.schema, "identical schemas are shared, not duplicated"


def test_printer_columns_come_from_the_crds() -> None:
    def names(group: str, plural: str) -> list[str]:
        rdef = find(load_catalog(), group, plural)
        return [c["name"] for c in rdef.versions[0].printer_columns]

    assert names("operators.coreos.com", "clusterserviceversions") == [
        "Display", "Version", "Replaces", "Phase",
    ]  # fmt: skip
    assert names("kubevirt.io", "virtualmachineinstances") == [
        "Age", "Phase", "IP", "NodeName", "Ready", "Live-Migratable", "Paused",
    ]  # fmt: skip
    assert names("kubevirt.io", "virtualmachines") == ["Age", "Status", "Ready"]
    assert names("kubevirt.io", "virtualmachineinstancemigrations") == ["Phase", "VMI"]
    assert names("kubevirt.io", "kubevirts") == ["Age", "Phase"]
    assert names("config.openshift.io", "clusterversions")[:3] == [
        "Version", "Available", "Progressing",
    ]  # fmt: skip
    assert names("operators.coreos.com", "operatorgroups") == []


def _descriptions(node: Any, path: str = "") -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        if "description" in node:
            found.append(path)
        for key in ("properties", "patternProperties"):
            for name, sub in (node.get(key) or {}).items():
                found += _descriptions(sub, f"{path}.{name}")
        for key in ("items", "additionalProperties", "not"):
            found += _descriptions(node.get(key), f"{path}[{key}]")
        for key in ("anyOf", "allOf", "oneOf"):
            for index, sub in enumerate(node.get(key) or []):
                found += _descriptions(sub, f"{path}[{key}{index}]")
    return found


@pytest.mark.parametrize("hco_v1", [False, True])
def test_schemas_ship_without_upstream_prose(hco_v1: bool) -> None:
    for rdef in load_catalog(hco_v1=hco_v1):
        for version in rdef.versions:
            assert _descriptions(version.schema) == [], (rdef.plural, version.name)
    # A *property* named description is data and stays (the CSV has one).
    csv = find(load_catalog(), "operators.coreos.com", "clusterserviceversions")
    schema = csv.versions[0].schema
    assert schema is not None
    assert "description" in schema["properties"]["spec"]["properties"]


def test_shipped_data_is_small_and_has_provenance() -> None:
    files = sorted(p for p in DATA.iterdir() if p.is_file())
    assert sum(p.stat().st_size for p in files) < 3_000_000
    readme = (DATA / "README.md").read_text()
    assert "Apache-2.0" in readme
    for path in files:
        if path.suffix != ".md":
            assert f"`{path.name}`" in readme, f"{path.name} has no provenance row"


def test_catalog_defs_are_shared_read_only_data() -> None:
    assert load_catalog() is not load_catalog()
    assert load_catalog()[0] is load_catalog()[0]
    assert isinstance(load_catalog()[0], ResourceDef)


@pytest.mark.skipif(not UPSTREAM.is_dir(), reason="needs ../shared/upstream beside the repo")
def test_extract_tool_reproduces_the_data_byte_for_byte(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "extract_upstream.py"), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    shipped = sorted(p.name for p in DATA.iterdir() if p.is_file())
    assert sorted(p.name for p in tmp_path.iterdir()) == shipped
    match, mismatch, errors = filecmp.cmpfiles(DATA, tmp_path, shipped, shallow=False)
    assert mismatch == [] and errors == []
    assert len(match) == len(shipped)
