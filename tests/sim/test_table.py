"""Table columns and cells (`as=Table`), and the printer-column JSONPath subset."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cnvtui.sim.catalog import ResourceDef, find, load_catalog
from cnvtui.sim.jsonpath import JsonPathError, compile_path
from cnvtui.sim.jsonpath import find as jp_find
from cnvtui.sim.seed import initial_objects
from cnvtui.sim.table import human_duration, table_column_definitions, table_row_cells

Json = dict[str, Any]
NOW = datetime(2024, 6, 1, 12, 0, 0, tzinfo=UTC)


def _rdef(group: str, plural: str) -> ResourceDef:
    return find(load_catalog(), group, plural)


def _ago(**delta: float) -> str:
    return (NOW - timedelta(**delta)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _table(group: str, plural: str, obj: Json, version: str | None = None) -> dict[str, Any]:
    rdef = _rdef(group, plural)
    ver = version or rdef.storage_version
    columns = table_column_definitions(rdef, ver)
    cells = table_row_cells(rdef, ver, obj, now=NOW)
    assert len(cells) == len(columns)
    return {col["name"]: cell for col, cell in zip(columns, cells, strict=True)}


def _seeded(kind: str) -> list[Json]:
    return [o for o in initial_objects(vmis=40, now=NOW) if o["kind"] == kind]


def test_csv_columns_are_those_oc_get_csv_shows() -> None:
    rdef = _rdef("operators.coreos.com", "clusterserviceversions")
    columns = table_column_definitions(rdef, "v1alpha1")
    assert [c["name"] for c in columns] == ["Name", "Display", "Version", "Replaces", "Phase"]
    assert columns[0] == {
        "name": "Name",
        "type": "string",
        "format": "name",
        "description": columns[0]["description"],
        "priority": 0,
    }
    row = _table(
        "operators.coreos.com", "clusterserviceversions", _seeded("ClusterServiceVersion")[0]
    )
    assert row == {
        "Name": "kubevirt-hyperconverged-operator.v4.14.3",
        "Display": "OpenShift Virtualization",
        "Version": "4.14.3",
        "Replaces": "kubevirt-hyperconverged-operator.v4.14.2",
        "Phase": "Succeeded",
    }


def test_a_missing_value_is_a_null_cell() -> None:
    csv = {"metadata": {"name": "x"}, "spec": {"displayName": "X", "version": "1.0.0"}}
    row = _table("operators.coreos.com", "clusterserviceversions", csv)
    assert row["Replaces"] is None and row["Phase"] is None


def test_vmi_columns_including_the_wide_ones() -> None:
    rdef = _rdef("kubevirt.io", "virtualmachineinstances")
    columns = table_column_definitions(rdef, "v1")
    assert [(c["name"], c["priority"]) for c in columns] == [
        ("Name", 0), ("Age", 0), ("Phase", 0), ("IP", 0), ("NodeName", 0), ("Ready", 0),
        ("Live-Migratable", 1), ("Paused", 1),
    ]  # fmt: skip
    assert columns[1]["type"] == "date"
    vmi = {
        "metadata": {"name": "rhel9-a", "creationTimestamp": _ago(hours=3, minutes=12)},
        "status": {
            "phase": "Running",
            "nodeName": "worker-1",
            "interfaces": [{"ipAddress": "10.128.0.9"}, {"ipAddress": "10.0.0.1"}],
            "conditions": [
                {"type": "Ready", "status": "True"},
                {"type": "LiveMigratable", "status": "False", "reason": "DisksNotLiveMigratable"},
            ],
        },
    }
    assert table_row_cells(rdef, "v1", vmi, now=NOW) == [
        "rhel9-a", "3h12m", "Running", "10.128.0.9", "worker-1", "True", "False", None,
    ]  # fmt: skip


def test_seeded_vmis_show_their_migratability() -> None:
    rows = [
        _table("kubevirt.io", "virtualmachineinstances", v)
        for v in _seeded("VirtualMachineInstance")
    ]
    assert {r["Phase"] for r in rows} == {"Running"}
    assert {r["Ready"] for r in rows} == {"True"}
    assert {r["Live-Migratable"] for r in rows} == {"True", "False"}
    assert all(r["NodeName"].startswith("worker-") for r in rows)


def test_vm_vmim_kubevirt_and_hco_rows() -> None:
    vm = {
        "metadata": {"name": "vm1", "creationTimestamp": _ago(days=2, hours=4)},
        "status": {
            "printableStatus": "Running",
            "conditions": [{"type": "Ready", "status": "True"}],
        },
    }
    assert _table("kubevirt.io", "virtualmachines", vm) == {
        "Name": "vm1", "Age": "2d4h", "Status": "Running", "Ready": "True",
    }  # fmt: skip
    vmim = {
        "metadata": {"name": "kubevirt-workload-update-abcde"},
        "spec": {"vmiName": "vm1"},
        "status": {"phase": "Scheduling"},
    }
    assert _table("kubevirt.io", "virtualmachineinstancemigrations", vmim) == {
        "Name": "kubevirt-workload-update-abcde", "Phase": "Scheduling", "VMI": "vm1",
    }  # fmt: skip
    kv = {
        "metadata": {"name": "kv", "creationTimestamp": _ago(seconds=45)},
        "status": {"phase": "Deployed"},
    }
    assert _table("kubevirt.io", "kubevirts", kv) == {
        "Name": "kv",
        "Age": "45s",
        "Phase": "Deployed",
    }
    hco = {"metadata": {"name": "kubevirt-hyperconverged", "creationTimestamp": _ago(days=9)}}
    assert _table("hco.kubevirt.io", "hyperconvergeds", hco) == {
        "Name": "kubevirt-hyperconverged", "Age": "9d",
    }  # fmt: skip


def test_crds_without_printer_columns_get_name_and_age() -> None:
    og = {"metadata": {"name": "og", "creationTimestamp": _ago(minutes=5, seconds=10)}}
    rdef = _rdef("operators.coreos.com", "operatorgroups")
    assert [c["name"] for c in table_column_definitions(rdef, "v1")] == ["Name", "Age"]
    assert _table("operators.coreos.com", "operatorgroups", og) == {"Name": "og", "Age": "5m10s"}
    nm = {"metadata": {"name": "nm-worker-0"}, "spec": {"nodeName": "worker-0"}}
    assert _table("nodemaintenance.medik8s.io", "nodemaintenances", nm) == {
        "Name": "nm-worker-0", "Age": None,
    }  # fmt: skip


def test_typed_columns_keep_their_json_types() -> None:
    ip = {"metadata": {"name": "install-abcde"}, "spec": {
        "clusterServiceVersionNames": ["kubevirt-hyperconverged-operator.v4.14.4"],
        "approval": "Manual", "approved": False,
    }}  # fmt: skip
    assert _table("operators.coreos.com", "installplans", ip) == {
        "Name": "install-abcde",
        "CSV": "kubevirt-hyperconverged-operator.v4.14.4",
        "Approval": "Manual",
        "Approved": False,
    }
    mcp = _table(
        "machineconfiguration.openshift.io", "machineconfigpools", _seeded("MachineConfigPool")[1]
    )
    assert mcp["Name"] == "worker"
    assert (mcp["MachineCount"], mcp["ReadyMachineCount"], mcp["DegradedMachineCount"]) == (3, 3, 0)
    assert isinstance(mcp["MachineCount"], int)
    assert (mcp["Updated"], mcp["Updating"], mcp["Degraded"]) == ("True", "False", "False")
    # A value of the wrong type for an integer column is left out, as the apiserver does.
    odd = {"metadata": {"name": "odd"}, "status": {"machineCount": "three"}}
    assert (
        _table("machineconfiguration.openshift.io", "machineconfigpools", odd)["MachineCount"]
        is None
    )


def test_clusterversion_row_reads_history_and_conditions() -> None:
    row = _table("config.openshift.io", "clusterversions", _seeded("ClusterVersion")[0])
    assert row == {
        "Name": "version",
        "Version": "4.14.8",
        "Available": "True",
        "Progressing": "False",
        "Since": "20d",
        "Status": "Cluster version is 4.14.8",
    }


def test_namespaces_and_nodes() -> None:
    ns = {
        "metadata": {"name": "openshift-cnv", "creationTimestamp": _ago(days=30)},
        "status": {"phase": "Terminating"},
    }
    assert _table("", "namespaces", ns) == {
        "Name": "openshift-cnv",
        "Status": "Terminating",
        "Age": "30d",
    }
    node = _seeded("Node")[4]
    row = _table("", "nodes", node)
    assert (row["Name"], row["Status"], row["Roles"], row["Version"]) == (
        "worker-1", "Ready", "worker", "v1.27.8+4fab27b",
    )  # fmt: skip
    cordoned = dict(node, spec={"unschedulable": True})
    assert _table("", "nodes", cordoned)["Status"] == "Ready,SchedulingDisabled"
    not_ready = {
        "metadata": {"name": "n", "labels": {"kubernetes.io/role": "infra"}},
        "spec": {"unschedulable": True},
        "status": {"conditions": [{"type": "Ready", "status": "Unknown"}]},
    }
    row = _table("", "nodes", not_ready)
    assert (row["Status"], row["Roles"], row["Age"]) == (
        "NotReady,SchedulingDisabled", "infra", "<unknown>",
    )  # fmt: skip
    assert _table("", "nodes", {"metadata": {"name": "bare"}})["Roles"] == "<none>"


def test_pods() -> None:
    pod = _seeded("Pod")[0]
    row = _table("", "pods", pod)
    assert (row["Ready"], row["Status"], row["Restarts"]) == ("1/1", "Running", 0)
    assert row["Node"].startswith("worker-")
    crashing: Json = {
        "metadata": {"name": "p", "creationTimestamp": _ago(hours=1)},
        "spec": {"containers": [{"name": "a"}, {"name": "b"}]},
        "status": {
            "phase": "Running",
            "containerStatuses": [
                {"name": "a", "ready": True, "restartCount": 0, "state": {"running": {}}},
                {
                    "name": "b",
                    "ready": False,
                    "restartCount": 4,
                    "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                    "lastState": {"terminated": {"finishedAt": _ago(minutes=3)}},
                },
            ],
        },
    }
    row = _table("", "pods", crashing)
    assert (row["Ready"], row["Status"], row["Restarts"], row["Age"]) == (
        "1/2", "CrashLoopBackOff", "4 (3m ago)", "60m",
    )  # fmt: skip
    crashing["metadata"]["deletionTimestamp"] = _ago(seconds=1)
    assert _table("", "pods", crashing)["Status"] == "Terminating"


def test_events() -> None:
    rdef = _rdef("", "events")
    columns = [c["name"] for c in table_column_definitions(rdef, "v1") if c["priority"] == 0]
    assert columns == ["Last Seen", "Type", "Reason", "Object", "Message"]
    event = {
        "metadata": {"name": "vm1.17a"},
        "involvedObject": {"kind": "VirtualMachineInstance", "name": "vm1"},
        "type": "Normal",
        "reason": "Migrated",
        "message": " The VirtualMachineInstance migrated to node worker-2. ",
        "firstTimestamp": _ago(minutes=20),
        "lastTimestamp": _ago(minutes=4),
        "count": 2,
        "source": {"component": "virt-handler", "host": "worker-2"},
    }
    row = _table("", "events", event)
    assert row == {
        "Last Seen": "4m",
        "Type": "Normal",
        "Reason": "Migrated",
        "Object": "virtualmachineinstance/vm1",
        "Subobject": "",
        "Source": "virt-handler, worker-2",
        "Message": "The VirtualMachineInstance migrated to node worker-2.",
        "First Seen": "20m",
        "Count": 2,
        "Name": "vm1.17a",
    }


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (-5, "<invalid>"), (-1, "0s"), (0, "0s"), (59, "59s"), (119, "119s"), (120, "2m"),
        (310, "5m10s"), (600, "10m"), (179 * 60 + 59, "179m"), (3 * 3600, "3h"),
        (3 * 3600 + 12 * 60, "3h12m"), (8 * 3600 + 59 * 60, "8h"), (47 * 3600, "47h"),
        (48 * 3600, "2d"), (52 * 3600, "2d4h"), (8 * 86400, "8d"), (400 * 86400, "400d"),
        (730 * 86400, "2y"), (745 * 86400, "2y15d"), (3000 * 86400, "8y"),
    ],
)  # fmt: skip
def test_ages_read_like_kubectl(seconds: int, shown: str) -> None:
    assert human_duration(timedelta(seconds=seconds)) == shown


def test_jsonpath_subset() -> None:
    obj = {
        "status": {
            "conditions": [
                {"type": "Ready", "status": "True"},
                {"type": "Paused", "status": "False", "n": 3},
            ],
            "list": [1, 2, 3],
            "labels": {"a.b/c": "x"},
        }
    }
    assert jp_find(".status.conditions[?(@.type=='Ready')].status", obj) == ["True"]
    assert jp_find('.status.conditions[?(@.type=="Paused")].status', obj) == ["False"]
    assert jp_find(".status.conditions[?(@.n > 2)].type", obj) == ["Paused"]
    assert jp_find(".status.conditions[?(@.type!='Ready')].type", obj) == ["Paused"]
    assert jp_find(".status.conditions[?(@.n)].type", obj) == ["Paused"]
    assert jp_find(".status.conditions[*].type", obj) == ["Ready", "Paused"]
    assert jp_find("{.status.list[0]}", obj) == [1]
    assert jp_find("$.status.list[-1]", obj) == [3]
    assert jp_find(".status.list[1:]", obj) == [2, 3]
    assert jp_find(".status.labels['a.b/c']", obj) == ["x"]
    assert jp_find(".status.missing.deeper", obj) == []
    assert jp_find(".status.list[7]", obj) == []
    assert compile_path(".status.list[0]").first(obj) == 1
    assert compile_path(".nothing").first(obj, "-") == "-"
    for bad in (".a[?(@.x ~ 1)]", ".a[", "a.b", ".a..b", ".a[x]"):
        with pytest.raises(JsonPathError):
            compile_path(bad)
