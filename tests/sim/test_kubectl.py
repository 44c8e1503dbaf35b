"""The real kubectl against the simulated cluster: the runbook commands from DOMAIN.md with
`kubectl --kubeconfig FILE` in place of `oc`, plus the everyday ones. kubectl is the outside
judge of the server, so a missing kubectl fails these tests instead of skipping them."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml

from cnvtui.sim.scenarios import build
from cnvtui.sim.server import SimServer

from . import CNV, HCO_NAME, minimal_vmi, read_yaml

pytestmark = pytest.mark.slow

CSV_GROUP, KUBEVIRT = "operators.coreos.com", "kubevirt.io"
OUTDATED = "kubevirt.io/outdatedLauncherImage"


@dataclass
class Run:
    code: int
    out: str
    err: str


def kubectl_binary() -> str:
    found = shutil.which("kubectl")
    if found is None:
        pytest.fail("kubectl is not installed: it is the outside judge of the simulated server")
    return found


async def kubectl(
    server: SimServer, *args: str, kubeconfig: Path | None = None, wait: float = 60
) -> Run:
    cache = Path(str(server.kubeconfig_path)).parent / "kube-cache"
    proc = await asyncio.create_subprocess_exec(
        kubectl_binary(),
        "--kubeconfig",
        str(kubeconfig or server.kubeconfig_path),
        "--cache-dir",
        str(cache),
        *args,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), wait)
    assert proc.returncode is not None
    return Run(proc.returncode, out.decode(), err.decode())


def columns(line: str) -> list[str]:
    return line.split()


def hco(server: SimServer) -> dict[str, Any]:
    return server.store.get("hco.kubevirt.io", "hyperconvergeds", CNV, HCO_NAME)


async def test_get_csv_shows_the_openshift_columns(sim: Any) -> None:
    server = await sim(vmis=2)
    run = await kubectl(server, "get", "csv", "-n", CNV)
    assert run.code == 0, run.err
    header, *rows = run.out.strip().splitlines()
    assert columns(header) == ["NAME", "DISPLAY", "VERSION", "REPLACES", "PHASE"]
    csvs = server.store.list(CSV_GROUP, "clusterserviceversions", CNV)[0]
    assert len(rows) == len(csvs)
    csv = csvs[0]
    assert rows[0].startswith(csv["metadata"]["name"])
    assert csv["spec"]["version"] in columns(rows[0])
    assert csv["spec"]["replaces"] in columns(rows[0])
    assert columns(rows[0])[-1] == csv["status"]["phase"] == "Succeeded"


async def test_hco_json_conditions_and_versions(sim: Any) -> None:
    server = await sim(vmis=2)
    run = await kubectl(server, "get", "hco", HCO_NAME, "-n", CNV, "-o", "json")
    assert run.code == 0, run.err
    got = json.loads(run.out)
    stored = hco(server)
    assert got["status"]["conditions"] == stored["status"]["conditions"]
    assert got["status"]["versions"] == stored["status"]["versions"]
    assert {c["type"] for c in got["status"]["conditions"]} >= {
        "ReconcileComplete",
        "Available",
        "Progressing",
        "Degraded",
        "Upgradeable",
    }


async def test_hco_jsonpath_condition_listing(sim: Any) -> None:
    server = await sim(vmis=2)
    template = '{range .status.conditions[*]}{.type}{"\\t"}{.status}{"\\t"}{.message}{"\\n"}{end}'
    run = await kubectl(server, "get", "hco", "-n", CNV, HCO_NAME, f"-o=jsonpath={template}")
    assert run.code == 0, run.err
    expected = [
        f"{c['type']}\t{c['status']}\t{c['message']}" for c in hco(server)["status"]["conditions"]
    ]
    assert run.out.splitlines() == expected


async def test_kubevirt_workload_update_methods_jsonpath(sim: Any) -> None:
    server = await sim(vmis=2)
    run = await kubectl(
        server,
        "get",
        "kv",
        "kubevirt-kubevirt-hyperconverged",
        "-n",
        CNV,
        "-o",
        "jsonpath={.spec.workloadUpdateStrategy.workloadUpdateMethods}",
    )
    assert run.code == 0, run.err
    kv = server.store.get(KUBEVIRT, "kubevirts", CNV, "kubevirt-kubevirt-hyperconverged")
    assert json.loads(run.out) == kv["spec"]["workloadUpdateStrategy"]["workloadUpdateMethods"]


async def test_json_patch_of_the_hco_then_read_back(sim: Any) -> None:
    server = await sim(vmis=2)
    patch = (
        '[{"op":"replace","path":"/spec/workloadUpdateStrategy/workloadUpdateMethods","value":[]}]'
    )
    run = await kubectl(server, "patch", "hco", HCO_NAME, "-n", CNV, "--type", "json", "-p", patch)
    assert run.code == 0, run.err
    assert run.out.strip() == f"hyperconverged.hco.kubevirt.io/{HCO_NAME} patched"
    assert hco(server)["spec"]["workloadUpdateStrategy"]["workloadUpdateMethods"] == []
    back = await kubectl(
        server, "get", "hco", HCO_NAME, "-n", CNV,
        "-o", "jsonpath={.spec.workloadUpdateStrategy.workloadUpdateMethods}",
    )  # fmt: skip
    assert back.out.strip() == "[]"
    failing = patch.replace('"replace"', '"test"').replace("[]}", '["Evict"]}')
    run = await kubectl(
        server, "patch", "hco", HCO_NAME, "-n", CNV, "--type", "json", "-p", failing
    )
    assert run.code == 1
    assert "The request is invalid" in run.err


async def test_outdated_vmis_by_label_across_namespaces(sim: Any) -> None:
    server = await sim(vmis=6)
    none = await kubectl(server, "get", "vmi", "-l", OUTDATED, "-A")
    assert none.code == 0 and "No resources found" in none.err
    vmis = server.store.list(KUBEVIRT, "virtualmachineinstances")[0]
    outdated = [vmis[0], vmis[-1]]
    for vmi in outdated:
        meta = vmi["metadata"]
        server.store.patch(
            KUBEVIRT, "virtualmachineinstances", meta["namespace"], meta["name"], "merge",
            {"metadata": {"labels": {OUTDATED: ""}}},
        )  # fmt: skip
    run = await kubectl(server, "get", "vmi", "-l", OUTDATED, "--all-namespaces")
    assert run.code == 0, run.err
    header, *rows = run.out.strip().splitlines()
    assert columns(header)[:3] == ["NAMESPACE", "NAME", "AGE"]
    assert [tuple(columns(r)[:2]) for r in rows] == [
        (v["metadata"]["namespace"], v["metadata"]["name"]) for v in outdated
    ]


async def test_vmim_and_clusterversion(sim: Any) -> None:
    server = await sim(vmis=2)
    empty = await kubectl(server, "get", "vmim", "-A")
    assert empty.code == 0 and "No resources found" in empty.err
    server.store.create(
        KUBEVIRT,
        "virtualmachineinstancemigrations",
        {
            "apiVersion": "kubevirt.io/v1",
            "kind": "VirtualMachineInstanceMigration",
            "metadata": {"generateName": "kubevirt-workload-update-", "namespace": "vm-test"},
            "spec": {"vmiName": "some-vm"},
        },
    )
    run = await kubectl(server, "get", "vmim", "-A")
    assert run.code == 0, run.err
    rows = run.out.strip().splitlines()[1:]
    assert len(rows) == 1 and columns(rows[0])[0] == "vm-test"
    assert columns(rows[0])[1].startswith("kubevirt-workload-update-")
    cv = await kubectl(server, "get", "clusterversion")
    assert cv.code == 0, cv.err
    header, row = cv.out.strip().splitlines()
    assert columns(header) == ["NAME", "VERSION", "AVAILABLE", "PROGRESSING", "SINCE", "STATUS"]
    version = server.store.get("config.openshift.io", "clusterversions", None, "version")
    assert columns(row)[:2] == ["version", version["status"]["desired"]["version"]]


async def test_watch_sees_a_change_made_meanwhile(sim: Any) -> None:
    server = await sim(vmis=2)
    proc = await asyncio.create_subprocess_exec(
        kubectl_binary(), "--kubeconfig", str(server.kubeconfig_path),
        "get", "csv", "-n", CNV, "-w",
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None
    try:
        header = await asyncio.wait_for(proc.stdout.readline(), 30)
        assert columns(header.decode())[-1] == "PHASE"
        first = await asyncio.wait_for(proc.stdout.readline(), 30)
        assert columns(first.decode())[-1] == "Succeeded"
        name = columns(first.decode())[0]
        server.store.patch(
            CSV_GROUP, "clusterserviceversions", CNV, name, "merge",
            {"status": {"phase": "Replacing"}}, subresource="status",
        )  # fmt: skip
        changed = await asyncio.wait_for(proc.stdout.readline(), 30)
        assert columns(changed.decode())[0] == name
        assert columns(changed.decode())[-1] == "Replacing"
    finally:
        proc.terminate()
        await proc.wait()


async def test_everyday_commands(sim: Any) -> None:
    server = await sim(vmis=3)
    nodes = await kubectl(server, "get", "nodes")
    assert nodes.code == 0, nodes.err
    assert columns(nodes.out.splitlines()[0]) == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
    stored_nodes = server.store.list("", "nodes")[0]
    assert len(nodes.out.strip().splitlines()) == 1 + len(stored_nodes)
    ns = await kubectl(server, "get", "ns")
    assert ns.code == 0 and any(columns(r)[:2] == [CNV, "Active"] for r in ns.out.splitlines())
    resources = await kubectl(server, "api-resources")
    assert resources.code == 0, resources.err
    hco_line = next(r for r in resources.out.splitlines() if r.startswith("hyperconvergeds "))
    assert columns(hco_line) == [
        "hyperconvergeds",
        "hco,hcos",
        "hco.kubevirt.io/v1beta1",
        "true",
        "HyperConverged",
    ]
    vmi_line = next(
        r for r in resources.out.splitlines() if r.startswith("virtualmachineinstances ")
    )
    assert "kubevirt.io/v1" in columns(vmi_line)
    created = await kubectl(server, "create", "namespace", "made-by-kubectl")
    assert created.code == 0, created.err
    assert server.store.get("", "namespaces", None, "made-by-kubectl")
    deleted = await kubectl(server, "delete", "namespace", "made-by-kubectl")
    assert deleted.code == 0, deleted.err
    label = await kubectl(server, "label", "node", "worker-0", "cnvtui=yes")
    assert label.code == 0, label.err
    assert server.store.get("", "nodes", None, "worker-0")["metadata"]["labels"]["cnvtui"] == "yes"


async def test_auth_can_i_and_forbidden_under_a_viewer_role(sim: Any) -> None:
    server = await sim(vmis=2, role="viewer", user="viewer-bob")
    yes = await kubectl(server, "auth", "can-i", "list", "vmi", "-A")
    assert (yes.code, yes.out.strip()) == (0, "yes")
    no = await kubectl(server, "auth", "can-i", "patch", "hco", "-n", CNV)
    assert (no.code, no.out.strip()) == (1, "no")
    listed = await kubectl(server, "auth", "can-i", "--list", "-n", CNV)
    assert listed.code == 0, listed.err
    header, *rules = listed.out.splitlines()
    assert header.split() == ["Resources", "Non-Resource", "URLs", "Resource", "Names", "Verbs"]
    assert any(line.rstrip().endswith("[get list watch]") for line in rules), listed.out
    denied = await kubectl(
        server, "patch", "hco", HCO_NAME, "-n", CNV, "--type", "merge", "-p", '{"spec":{}}'
    )
    assert denied.code == 1
    assert denied.err.strip() == (
        'Error from server (Forbidden): hyperconvergeds.hco.kubevirt.io "kubevirt-hyperconverged" '
        'is forbidden: User "viewer-bob" cannot patch resource "hyperconvergeds" in API group '
        '"hco.kubevirt.io" in the namespace "openshift-cnv"'
    )


async def test_tls_and_token(sim: Any, tmp_path: Path) -> None:
    server = await sim(vmis=2, tls=True, token="kubectl-token")
    written = read_yaml(server.kubeconfig_path)
    assert "certificate-authority-data" in written["clusters"][0]["cluster"]
    run = await kubectl(server, "get", "csv", "-n", CNV)
    assert run.code == 0, run.err
    assert "Succeeded" in run.out
    wrong = tmp_path / "wrong.kubeconfig"
    written["users"][0]["user"]["token"] = "nope"
    wrong.write_text(yaml.safe_dump(written))
    denied = await kubectl(server, "get", "ns", kubeconfig=wrong)
    assert denied.code == 1
    assert "Unauthorized" in denied.err
    untrusted = tmp_path / "untrusted.kubeconfig"
    del written["clusters"][0]["cluster"]["certificate-authority-data"]
    untrusted.write_text(yaml.safe_dump(written))
    refused = await kubectl(server, "get", "ns", kubeconfig=untrusted)
    assert refused.code == 1
    assert "certificate" in refused.err


async def test_create_and_get_a_vmi_from_a_file(sim: Any, tmp_path: Path) -> None:
    server = await sim(vmis=1)
    manifest = tmp_path / "vmi.yaml"
    manifest.write_text(yaml.safe_dump(minimal_vmi("from-file")))
    run = await kubectl(server, "create", "-f", str(manifest))
    assert run.code == 0, run.err
    assert server.store.get(KUBEVIRT, "virtualmachineinstances", "vm-test", "from-file")
    again = await kubectl(server, "create", "-f", str(manifest))
    assert again.code == 1 and "AlreadyExists" in again.err


def test_sim_command_with_10000_vmis(tmp_path: Path) -> None:
    """`cnvtui sim --vmis 10000` as a subprocess: it comes up, writes its kubeconfig (0600),
    serves the full VMI list, and stops cleanly on SIGTERM."""
    kubeconfig = tmp_path / "sim.kubeconfig"
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state")}
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "cnvtui", "sim", "--vmis", "10000", "--speed", "0",
         "--kubeconfig-out", str(kubeconfig)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
    )  # fmt: skip
    try:
        while not (kubeconfig.exists() and kubeconfig.stat().st_size > 0):
            assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
            assert time.monotonic() - started < 60, "did not come up within 60 s"
            time.sleep(0.05)
        came_up = time.monotonic() - started
        assert kubeconfig.stat().st_mode & 0o777 == 0o600
        server = yaml.safe_load(kubeconfig.read_text())["clusters"][0]["cluster"]["server"]

        async def fetch() -> dict[str, Any]:
            async with aiohttp.ClientSession() as session:
                url = f"{server}/apis/kubevirt.io/v1/virtualmachineinstances"
                async with session.get(url, timeout=aiohttp.ClientTimeout(total=60)) as resp:
                    assert resp.status == 200
                    body: dict[str, Any] = await resp.json()
                    return body

        listed = asyncio.run(fetch())
        assert len(listed["items"]) == 10000
        print(
            f"\n[sim] 10,000 VMIs: up in {came_up:.1f}s, "
            f"listed by {time.monotonic() - started:.1f}s"
        )
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    output = proc.stdout.read().decode() if proc.stdout else ""
    assert code == 0, output
    assert "kubectl --kubeconfig" in output and "get csv -n openshift-cnv" in output


async def test_apply_and_explain_through_openapi_v3(sim: Any, tmp_path: Path) -> None:
    """kubectl 1.28+ reads /openapi/v3 for `apply` and `explain`. The control plane reports
    Kubernetes 1.29 here (OpenShift 4.16), so a kubectl that follows the server's version
    is new enough."""
    server = await sim(vmis=1)
    for node in server.store.list("", "nodes")[0]:
        server.store.patch(
            "", "nodes", None, node["metadata"]["name"], "merge",
            {"status": {"nodeInfo": {"kubeletVersion": "v1.29.10"}}}, subresource="status",
        )  # fmt: skip
    manifest = tmp_path / "vmi.yaml"
    body = minimal_vmi("applied", app="demo")
    manifest.write_text(yaml.safe_dump(body))
    first = await kubectl(server, "apply", "-f", str(manifest))
    assert first.code == 0, first.err
    assert first.out.strip() == "virtualmachineinstance.kubevirt.io/applied created"
    again = await kubectl(server, "apply", "-f", str(manifest))
    assert again.out.strip() == "virtualmachineinstance.kubevirt.io/applied unchanged"
    stored = server.store.get(KUBEVIRT, "virtualmachineinstances", "vm-test", "applied")
    assert stored["metadata"]["labels"] == {"app": "demo"}
    explained = await kubectl(server, "explain", "hco.spec.workloadUpdateStrategy")
    assert explained.code == 0, explained.err
    assert "workloadUpdateMethods" in explained.out and "batchEvictionSize" in explained.out


async def test_apply_on_a_1_27_control_plane_validates_through_openapi_v2(
    sim: Any, tmp_path: Path
) -> None:
    """The seed's OpenShift 4.14 runs Kubernetes 1.27: kubectl validates a manifest against
    the protobuf /openapi/v2 first, so `apply` works without `--validate=false`, and a kind
    the server does not serve is still refused."""
    server = await sim(vmis=1)
    manifest = tmp_path / "vmi.yaml"
    manifest.write_text(yaml.safe_dump(minimal_vmi("validated")))
    run = await kubectl(server, "apply", "-f", str(manifest))
    assert run.code == 0, run.err
    assert server.store.get(KUBEVIRT, "virtualmachineinstances", "vm-test", "validated")
    wrong = tmp_path / "wrong-kind.yaml"
    wrong.write_text(yaml.safe_dump({**minimal_vmi("nope"), "kind": "VirtualMachineInstanze"}))
    refused = await kubectl(server, "apply", "-f", str(wrong))
    assert refused.code == 1 and "VirtualMachineInstanze" in refused.err


async def test_field_validation_strict_refuses_and_warn_names_unknown_fields(
    sim: Any, tmp_path: Path
) -> None:
    """kubectl asks for strict field validation: a misspelled field in a manifest is refused
    with the apiserver's message and the pool is left alone; `--validate=warn` applies it
    and prints a warning per unknown field."""
    server = await sim(vmis=1)
    pool = server.store.get(
        "machineconfiguration.openshift.io", "machineconfigpools", None, "worker"
    )
    manifest = {
        "apiVersion": pool["apiVersion"],
        "kind": pool["kind"],
        "metadata": {"name": "worker"},
        "spec": {**pool["spec"], "pausd": True},
    }
    path = tmp_path / "pool.yaml"
    path.write_text(yaml.safe_dump(manifest))
    refused = await kubectl(server, "apply", "-f", str(path))
    assert refused.code == 1
    assert 'strict decoding error: unknown field "spec.pausd"' in refused.err
    after = server.store.get(
        "machineconfiguration.openshift.io", "machineconfigpools", None, "worker"
    )
    assert after["metadata"]["resourceVersion"] == pool["metadata"]["resourceVersion"]
    warned = await kubectl(server, "apply", "-f", str(path), "--validate=warn")
    assert warned.code == 0, warned.err
    assert 'Warning: unknown field "spec.pausd"' in warned.err
    stored = server.store.get(
        "machineconfiguration.openshift.io", "machineconfigpools", None, "worker"
    )
    assert "pausd" not in stored["spec"], "the unknown field is pruned, not stored"


async def test_json_patch_with_a_misspelled_field_warns_and_changes_nothing(sim: Any) -> None:
    """`kubectl patch --type=json` with the runbook's path misspelled: the server warns and
    prunes, so kubectl says "(no change)", as on OpenShift."""
    server = await sim(vmis=1)
    before = hco(server)
    patch = '[{"op":"add","path":"/spec/workloadUpdateStrategy/workloadUpdateMethod","value":[]}]'
    run = await kubectl(server, "-n", CNV, "patch", "hco", HCO_NAME, "--type=json", "-p", patch)
    assert run.code == 0, run.err
    assert 'Warning: unknown field "spec.workloadUpdateStrategy.workloadUpdateMethod"' in run.err
    assert "(no change)" in run.out
    assert hco(server)["spec"] == before["spec"]


async def test_an_hco_read_as_v1_can_be_written_back_strictly(sim: Any, tmp_path: Path) -> None:
    """`kubectl get -o json | kubectl replace` on a v1 HCO seeded in v1beta1: fields v1 nests
    elsewhere (node placements, resource requirements) must not stay at the top."""
    seeded = build("steady", vmis=1, speed=0).objects  # the HCO as v1beta1 stores it
    server = await sim(objects=seeded, hco_v1=True)
    run = await kubectl(
        server, "get", "hyperconvergeds.v1.hco.kubevirt.io", "-n", CNV, HCO_NAME, "-o", "json"
    )
    assert run.code == 0, run.err
    v1 = json.loads(run.out)
    assert v1["apiVersion"] == "hco.kubevirt.io/v1"
    spec = v1["spec"]
    assert not {"infra", "workloads", "resourceRequirements", "enableApplicationAwareQuota"} & set(
        spec
    ), sorted(spec)
    assert spec["virtualization"]["vmiCPUAllocationRatio"] == 10
    assert spec["deployment"]["applicationAwareConfig"]["enable"] is False
    manifest = tmp_path / "hco.json"
    manifest.write_text(json.dumps(v1))
    replaced = await kubectl(server, "replace", "--validate=strict", "-f", str(manifest))
    assert replaced.code == 0, replaced.err
    beta = await kubectl(
        server, "get", "hyperconvergeds.v1beta1.hco.kubevirt.io", "-n", CNV, HCO_NAME, "-o", "json"
    )
    spec = json.loads(beta.out)["spec"]
    assert spec["resourceRequirements"]["vmiCPUAllocationRatio"] == 10
    assert spec["enableApplicationAwareQuota"] is False
    assert "deployment" not in spec and "virtualization" not in spec
