"""Structural-schema pruning, defaulting and validation on the real CRD schemas."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from cnvtui.sim.catalog import find, load_catalog
from cnvtui.sim.schema import (
    admit,
    apply_defaults,
    field_errors,
    prune,
    unknown_fields,
    validate,
)

Json = dict[str, Any]
UPSTREAM = Path(__file__).resolve().parents[3] / "shared" / "upstream"


def _schema(group: str, plural: str, version: str | None = None, *, hco_v1: bool = False) -> Json:
    rdef = find(load_catalog(hco_v1=hco_v1), group, plural)
    vdef = rdef.version(version or rdef.storage_version)
    assert vdef is not None and vdef.schema is not None
    return vdef.schema


HCO = ("hco.kubevirt.io", "hyperconvergeds")


def _hco(spec: Json) -> Json:
    return {
        "apiVersion": "hco.kubevirt.io/v1beta1",
        "kind": "HyperConverged",
        "metadata": {"name": "kubevirt-hyperconverged", "namespace": "openshift-cnv"},
        "spec": spec,
    }


def test_a_wrong_type_in_an_hco_patch_is_rejected_like_the_apiserver_does() -> None:
    obj = _hco({"workloadUpdateStrategy": {"workloadUpdateMethods": [], "batchEvictionSize": "x"}})
    errors = field_errors(obj, _schema(*HCO))
    assert [str(e) for e in errors] == [
        'spec.workloadUpdateStrategy.batchEvictionSize: Invalid value: "string": '
        "spec.workloadUpdateStrategy.batchEvictionSize in body must be of type integer: "
        '"string"'
    ]
    assert errors[0].cause() == {
        "reason": "FieldValueTypeInvalid",
        "field": "spec.workloadUpdateStrategy.batchEvictionSize",
        "message": 'Invalid value: "string": spec.workloadUpdateStrategy.batchEvictionSize '
        'in body must be of type integer: "string"',
    }


def test_methods_must_be_a_list_of_strings() -> None:
    schema = _schema(*HCO)
    assert validate(
        _hco({"workloadUpdateStrategy": {"workloadUpdateMethods": "Evict"}}), schema
    ) == [
        'spec.workloadUpdateStrategy.workloadUpdateMethods: Invalid value: "string": '
        "spec.workloadUpdateStrategy.workloadUpdateMethods in body must be of type array: "
        '"string"'
    ]
    bad_item = _hco({"workloadUpdateStrategy": {"workloadUpdateMethods": ["Evict", 3]}})
    assert validate(bad_item, schema) == [
        'spec.workloadUpdateStrategy.workloadUpdateMethods[1]: Invalid value: "integer": '
        "spec.workloadUpdateStrategy.workloadUpdateMethods[1] in body must be of type string: "
        '"integer"'
    ]


def test_required_enum_bounds_and_patterns() -> None:
    schema = _schema(*HCO)
    missing = _hco({"workloadUpdateStrategy": {"batchEvictionSize": 3}})
    assert validate(missing, schema) == [
        "spec.workloadUpdateStrategy.workloadUpdateMethods: Required value"
    ]
    assert validate(_hco({"evictionStrategy": "Drain"}), schema) == [
        'spec.evictionStrategy: Unsupported value: "Drain": supported values: "None", '
        '"LiveMigrate", "LiveMigrateIfPossible", "External"'
    ]
    assert validate(_hco({"higherWorkloadDensity": {"memoryOvercommitPercentage": 5}}), schema) == [
        "spec.higherWorkloadDensity.memoryOvercommitPercentage: Invalid value: 5: "
        "spec.higherWorkloadDensity.memoryOvercommitPercentage in body should be greater than "
        "or equal to 10"
    ]
    mac = _hco({"kubeMacPoolConfiguration": {"rangeStart": "zz"}})
    assert validate(mac, schema) == [
        'spec.kubeMacPoolConfiguration.rangeStart: Invalid value: "zz": '
        "spec.kubeMacPoolConfiguration.rangeStart in body should match "
        "'^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$'"
    ]
    nm = _schema("nodemaintenance.medik8s.io", "nodemaintenances")
    assert validate({"spec": {"reason": "disk"}}, nm) == ["spec.nodeName: Required value"]


def test_hco_conditions_are_checked_against_metav1_condition() -> None:
    status = {
        "conditions": [
            {
                "type": "Available",
                "status": "Maybe",
                "reason": "",
                "message": "m",
                "lastTransitionTime": "yesterday",
            }
        ]
    }
    errors = validate({**_hco({}), "status": status}, _schema(*HCO))
    assert "status.conditions[0].status: Unsupported value: \"Maybe\": supported values: " \
        '"True", "False", "Unknown"' in errors  # fmt: skip
    assert any(e.startswith('status.conditions[0].reason: Invalid value: ""') for e in errors)
    assert (
        'status.conditions[0].lastTransitionTime: Invalid value: "yesterday": '
        'status.conditions[0].lastTransitionTime in body must be of type date-time: "yesterday"'
    ) in errors


def test_int_or_string_quantities() -> None:
    mcp = _schema("machineconfiguration.openshift.io", "machineconfigpools")
    assert validate({"spec": {"maxUnavailable": "10%"}}, mcp) == []
    assert validate({"spec": {"maxUnavailable": 2}}, mcp) == []
    assert validate({"spec": {"maxUnavailable": 1.5}}, mcp) == [
        'spec.maxUnavailable: Invalid value: "number": spec.maxUnavailable in body must be of '
        'type integer,string: "number"'
    ]
    vmi = _schema("kubevirt.io", "virtualmachineinstances")

    def vmi_asking(memory: Any) -> Json:
        return {"spec": {"domain": {"devices": {}, "resources": {"requests": {"memory": memory}}}}}

    assert validate(vmi_asking("2Gi"), vmi) == []
    assert validate(vmi_asking(2147483648), vmi) == []
    assert validate(vmi_asking(True), vmi) == [
        'spec.domain.resources.requests.memory: Invalid value: "boolean": '
        "spec.domain.resources.requests.memory in body must be of type integer,string: "
        '"boolean"'
    ]


def test_unknown_fields_are_pruned_not_rejected() -> None:
    schema = _schema(*HCO)
    obj = _hco({"workloadUpdateStrategy": {"workloadUpdateMethods": [], "colour": "red"}})
    obj["spec"]["madeUp"] = {"deep": [1, 2]}
    obj["extraTopLevel"] = True
    obj["metadata"]["labels"] = {"keep": "me"}
    stored, errors = admit(obj, schema)
    assert errors == []
    assert "madeUp" not in stored["spec"]
    assert "colour" not in stored["spec"]["workloadUpdateStrategy"]
    assert "extraTopLevel" not in stored
    assert stored["metadata"] == obj["metadata"], "metadata is the server's, never pruned"
    assert obj["spec"]["madeUp"] == {"deep": [1, 2]}, "the input is left alone"


def test_unknown_fields_are_named_where_prune_drops_them() -> None:
    """What strict field validation refuses: exactly the fields pruning would drop."""
    schema = _schema(*HCO)
    obj = _hco({"workloadUpdateStrategy": {"workloadUpdateMethods": [], "colour": "red"}})
    obj["spec"]["madeUp"] = {"deep": [1, 2]}
    obj["spec"]["infra"] = {"nodePlacement": {"tolerations": [{"key": "a", "tyop": 1}]}}
    obj["extraTopLevel"] = True
    obj["metadata"]["anything"] = "the server's"
    assert sorted(unknown_fields(obj, schema)) == [
        "extraTopLevel",
        "spec.infra.nodePlacement.tolerations[0].tyop",
        "spec.madeUp",
        "spec.workloadUpdateStrategy.colour",
    ]
    assert unknown_fields(_hco({"workloadUpdateStrategy": {"batchEvictionSize": 5}}), schema) == []


def test_preserved_unknown_fields_and_nulls() -> None:
    vm = _schema("kubevirt.io", "virtualmachines")
    obj = {
        "apiVersion": "kubevirt.io/v1",
        "kind": "VirtualMachine",
        "metadata": {"name": "a"},
        "spec": {
            "runStrategy": "Always",
            "template": {
                "metadata": {"labels": {"a": "b"}, "anything": 1},
                "spec": {"domain": {"devices": {}}},
            },
            "running": None,
        },
        "status": {
            "conditions": [{"type": "Ready", "status": "True", "lastProbeTime": None}],
        },
    }
    pruned = prune(obj, vm)
    # Nested ObjectMeta is kept whole (x-kubernetes-preserve-unknown-fields).
    assert pruned["spec"]["template"]["metadata"] == {"labels": {"a": "b"}, "anything": 1}
    # A null where the schema does not allow it disappears, as on a real server.
    assert "running" not in pruned["spec"]
    # A nullable field keeps its null.
    assert pruned["status"]["conditions"][0]["lastProbeTime"] is None
    assert validate(pruned, vm) == []


def test_defaults_fill_what_the_user_removed() -> None:
    schema = _schema(*HCO)
    stored, errors = admit(_hco({}), schema)
    assert errors == []
    assert stored["spec"]["workloadUpdateStrategy"] == {
        "workloadUpdateMethods": ["LiveMigrate"],
        "batchEvictionSize": 10,
        "batchEvictionInterval": "1m0s",
    }
    assert stored["spec"]["liveMigrationConfig"]["parallelMigrationsPerCluster"] == 5
    assert stored["spec"]["liveMigrationConfig"]["parallelOutboundMigrationsPerNode"] == 2
    emptied = _hco({"workloadUpdateStrategy": {"workloadUpdateMethods": []}})
    stored, _ = admit(emptied, schema)
    assert stored["spec"]["workloadUpdateStrategy"] == {
        "workloadUpdateMethods": [],
        "batchEvictionSize": 10,
        "batchEvictionInterval": "1m0s",
    }, "an empty list is a choice (no automatic updates); only missing fields are defaulted"


def test_v1_hco_keeps_the_strategy_under_virtualization() -> None:
    schema = _schema(*HCO, "v1", hco_v1=True)
    obj: Json = {"apiVersion": "hco.kubevirt.io/v1", "kind": "HyperConverged", "spec": {}}
    apply_defaults(obj, schema)
    strategy = obj["spec"]["virtualization"]["workloadUpdateStrategy"]
    assert strategy["workloadUpdateMethods"] == ["LiveMigrate"]
    wrong = {"spec": {"virtualization": {"workloadUpdateStrategy": {"batchEvictionSize": "9"}}}}
    assert any("must be of type integer" in e for e in validate(wrong, schema))


def _load(path: Path) -> list[Json]:
    text = path.read_text()
    docs = [json.loads(text)] if path.suffix == ".json" else list(yaml.safe_load_all(text))
    out: list[Json] = []
    for doc in docs:
        if isinstance(doc, dict):
            out.extend(doc["items"] if str(doc.get("kind", "")).endswith("List") else [doc])
    return out


REAL_OBJECTS = [
    ("examples/vmi-running-status.stolostron-search-collector.json", "kubevirt.io",
     "virtualmachineinstances"),
    ("examples/vm-running-status.stolostron-search-collector.json", "kubevirt.io",
     "virtualmachines"),
    ("examples/csv-acm-v2.9.0-succeeded-status.stolostron-search-collector.json",
     "operators.coreos.com", "clusterserviceversions"),
    ("examples/oc-upgrade-status-4.14.1-workers-started-updating-multiple-pools-cv.yaml",
     "config.openshift.io", "clusterversions"),
    ("examples/oc-upgrade-status-not-upgrading-mcp.yaml", "machineconfiguration.openshift.io",
     "machineconfigpools"),
    ("hyperconverged-cluster-operator/release-1.17/hco.cr.yaml", "hco.kubevirt.io",
     "hyperconvergeds"),
    ("hyperconverged-cluster-operator/release-1.17/"
     "kubevirt-hyperconverged-operator.v1.17.4.clusterserviceversion.yaml",
     "operators.coreos.com", "clusterserviceversions"),
    ("kubevirt/vm-cirros.yaml", "kubevirt.io", "virtualmachines"),
    ("kubevirt/vmi-migratable.yaml", "kubevirt.io", "virtualmachineinstances"),
    ("kubevirt/migration-job.yaml", "kubevirt.io", "virtualmachineinstancemigrations"),
]  # fmt: skip


@pytest.mark.skipif(not UPSTREAM.is_dir(), reason="needs ../shared/upstream beside the repo")
@pytest.mark.parametrize(("path", "group", "plural"), REAL_OBJECTS)
def test_real_upstream_objects_are_accepted(path: str, group: str, plural: str) -> None:
    for obj in _load(UPSTREAM / path):
        schema = _schema(group, plural, obj["apiVersion"].rpartition("/")[2])
        stored, errors = admit(obj, schema)
        assert [str(e) for e in errors] == []
        assert stored["metadata"] == obj["metadata"]


@pytest.mark.skipif(not UPSTREAM.is_dir(), reason="needs ../shared/upstream beside the repo")
def test_real_vmi_status_survives_pruning_whole() -> None:
    path = UPSTREAM / "examples/vmi-running-status.stolostron-search-collector.json"
    vmi = _load(path)[0]
    assert prune(vmi, _schema("kubevirt.io", "virtualmachineinstances")) == vmi


@pytest.mark.skipif(not UPSTREAM.is_dir(), reason="needs ../shared/upstream beside the repo")
def test_fields_missing_from_the_schema_are_dropped_from_real_objects() -> None:
    # This fixture was edited by hand: phaseTransitionTime is not a VMIM field (the real one
    # is phaseTransitionTimestamp), so a real apiserver would drop it.
    path = UPSTREAM / "examples/vmim-status-phase-scheduling.stolostron-search-collector.json"
    vmim = _load(path)[0]
    stored = prune(vmim, _schema("kubevirt.io", "virtualmachineinstancemigrations"))
    assert stored["status"]["phaseTransitionTimestamps"] == [
        {"phase": "Pending"},
        {"phase": "Scheduling"},
    ]
    assert stored["status"]["phase"] == "Scheduling"


_KEYS = st.sampled_from(
    ["liveMigrationConfig", "x", "workloadUpdateStrategy", "batchEvictionSize",
     "workloadUpdateMethods"]
)  # fmt: skip
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(_KEYS, children, max_size=3),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(spec=_json)
def test_admit_never_crashes_and_prune_is_idempotent(spec: Any) -> None:
    schema = _schema(*HCO)
    obj = _hco(spec)
    before = copy.deepcopy(obj)
    stored, errors = admit(obj, schema)
    assert obj == before
    assert prune(stored, schema) == stored
    if not errors:
        assert validate(stored, schema) == []
