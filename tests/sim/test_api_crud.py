"""get/list/create/update/delete and the /status subresource over HTTP, with the server
metadata, generation and error Status a real API server gives."""

from __future__ import annotations

import re
from typing import Any

from . import CNV, CSVS, HCO, HCO_NAME, VMIS, api_of, minimal_vmi, vmis_in

UID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def status_of(body: dict[str, Any]) -> tuple[int, str]:
    assert body["kind"] == "Status" and body["apiVersion"] == "v1"
    assert body["status"] == "Failure"
    return body["code"], body["reason"]


async def test_discovery_serves_every_kind_in_the_legacy_format(sim: Any) -> None:
    server = await sim(vmis=2)
    async with api_of(server) as api:
        version = (await api.get("/version")).json
        master = server.store.get("", "nodes", None, "master-0")
        assert version["gitVersion"] == master["status"]["nodeInfo"]["kubeletVersion"]
        assert version["major"] == "1" and version["gitVersion"].startswith(
            f"v1.{version['minor']}."
        )
        assert (await api.get("/api")).json["versions"] == ["v1"]
        groups = {g["name"]: g for g in (await api.get("/apis")).json["groups"]}
        for group in (
            "operators.coreos.com",
            "hco.kubevirt.io",
            "kubevirt.io",
            "config.openshift.io",
            "machineconfiguration.openshift.io",
            "nodemaintenance.medik8s.io",
            "authorization.k8s.io",
        ):
            assert group in groups
        assert groups["hco.kubevirt.io"]["preferredVersion"]["version"] == "v1beta1"
        core = {r["name"]: r for r in (await api.get("/api/v1")).json["resources"]}
        assert {"namespaces", "nodes", "pods", "pods/status"} <= set(core)
        kubevirt = (await api.get("/apis/kubevirt.io/v1")).json
        vmi = next(r for r in kubevirt["resources"] if r["name"] == "virtualmachineinstances")
        assert vmi["namespaced"] is True and vmi["kind"] == "VirtualMachineInstance"
        assert "vmi" in vmi["shortNames"] and "watch" in vmi["verbs"]
        # An aggregated-discovery request gets the legacy document, marked as plain JSON.
        reply = await api.get(
            "/apis",
            accept="application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
            "application/json",
        )
        assert reply.json["kind"] == "APIGroupList"
        assert reply.headers["Content-Type"].startswith("application/json")
        assert "as=" not in reply.headers["Content-Type"]
        assert (await api.get("/apis/nosuch.io/v1")).status == 404
        assert (await api.get("/apis/nosuch.io/v1/things")).status == 404
        v2 = await api.get("/openapi/v2")
        assert v2.status == 200 and v2.json["swagger"] == "2.0"


async def test_get_and_list_namespaced_and_across_namespaces(sim: Any) -> None:
    server = await sim(vmis=9)
    async with api_of(server) as api:
        everything = (await api.get(VMIS)).json
        assert everything["kind"] == "VirtualMachineInstanceList"
        assert everything["apiVersion"] == "kubevirt.io/v1"
        assert len(everything["items"]) == 9
        assert everything["metadata"]["resourceVersion"] == str(server.store.resource_version)
        keys = [(i["metadata"]["namespace"], i["metadata"]["name"]) for i in everything["items"]]
        assert keys == sorted(keys)
        ns = keys[0][0]
        in_ns = (await api.get(vmis_in(ns))).json["items"]
        assert [i["metadata"]["name"] for i in in_ns] == [k[1] for k in keys if k[0] == ns]
        one = (await api.get(f"{vmis_in(ns)}/{keys[0][1]}")).json
        assert one == everything["items"][0]
        missing = await api.get(f"{vmis_in(ns)}/nope")
        assert missing.status == 404
        assert missing.json["message"] == 'virtualmachineinstances.kubevirt.io "nope" not found'
        assert missing.json["details"] == {
            "name": "nope",
            "group": "kubevirt.io",
            "kind": "virtualmachineinstances",
        }
        nodes = (await api.get("/api/v1/nodes")).json
        assert nodes["kind"] == "NodeList" and nodes["items"]


async def test_create_sets_server_metadata_and_refuses_duplicates(sim: Any) -> None:
    server = await sim(vmis=1)
    async with api_of(server) as api:
        body = minimal_vmi("fresh")
        body["metadata"].update(uid="client-uid", managedFields=[{"manager": "x"}])
        body["status"] = {"phase": "Running"}
        before = server.store.resource_version
        reply = await api.post(vmis_in("vm-test"), body)
        assert reply.status == 201, reply.text
        meta = reply.json["metadata"]
        assert UID.match(meta["uid"]) and STAMP.match(meta["creationTimestamp"])
        assert int(meta["resourceVersion"]) == before + 1
        assert meta["generation"] == 1
        assert "managedFields" not in meta
        assert reply.json["status"] == {"phase": "Running"}, "VMIs have no status subresource"
        stored = server.store.get("kubevirt.io", "virtualmachineinstances", "vm-test", "fresh")
        assert stored["metadata"]["uid"] == meta["uid"]

        again = await api.post(vmis_in("vm-test"), minimal_vmi("fresh"))
        assert again.status == 409
        assert status_of(again.json) == (409, "AlreadyExists")
        assert again.json["message"] == 'virtualmachineinstances.kubevirt.io "fresh" already exists'

        generated = minimal_vmi("")
        generated["metadata"] = {"generateName": "kubevirt-workload-update-"}
        made = await api.post(vmis_in("vm-test"), generated)
        assert made.status == 201
        assert re.match(r"^kubevirt-workload-update-[a-z0-9]{5}$", made.json["metadata"]["name"])

        noname = minimal_vmi("")
        bad = await api.post(vmis_in("vm-test"), noname)
        assert status_of(bad.json) == (422, "Invalid")
        assert "name or generateName is required" in bad.json["message"]

        migration = {
            "apiVersion": "kubevirt.io/v1",
            "kind": "VirtualMachineInstanceMigration",
            "metadata": {"name": "m1", "namespace": "vm-test"},
            "spec": {"vmiName": "fresh"},
            "status": {"phase": "Succeeded"},
        }
        vmim = await api.post(
            "/apis/kubevirt.io/v1/namespaces/vm-test/virtualmachineinstancemigrations", migration
        )
        assert vmim.status == 201, vmim.text
        assert "status" not in vmim.json, "with a status subresource, create drops status"

        lost = await api.post(vmis_in("no-such-ns"), minimal_vmi("x", "no-such-ns"))
        assert lost.status == 404 and lost.json["message"] == 'namespaces "no-such-ns" not found'


async def test_create_validates_against_the_crd_schema(sim: Any) -> None:
    server = await sim(vmis=1)
    async with api_of(server) as api:
        body = minimal_vmi("typo")
        body["spec"]["domain"]["devices"] = "virtio"
        reply = await api.post(vmis_in("vm-test"), body)
        assert status_of(reply.json) == (422, "Invalid")
        assert reply.json["message"].startswith(
            'VirtualMachineInstance.kubevirt.io "typo" is invalid: spec.domain.devices: '
        )
        cause = reply.json["details"]["causes"][0]
        assert cause["field"] == "spec.domain.devices"
        badname = await api.post(vmis_in("vm-test"), minimal_vmi("Not_A_Name"))
        assert badname.status == 422
        assert "RFC 1123 subdomain" in badname.json["message"]
        badlabel = await api.post(vmis_in("vm-test"), minimal_vmi("x", **{"bad key": "v"}))
        assert badlabel.status == 422
        assert (await api.get(f"{vmis_in('vm-test')}/typo")).status == 404


async def test_update_keeps_status_and_bumps_generation_on_spec_changes(sim: Any) -> None:
    server = await sim(vmis=1)
    async with api_of(server) as api:
        hco = (await api.get(f"{HCO}/{HCO_NAME}")).json
        generation = hco["metadata"]["generation"]
        conditions = hco["status"]["conditions"]

        hco["metadata"]["labels"] = {**hco["metadata"].get("labels", {}), "team": "virt"}
        labelled = await api.put(f"{HCO}/{HCO_NAME}", hco)
        assert labelled.status == 200, labelled.text
        assert labelled.json["metadata"]["generation"] == generation, "metadata is not spec"
        assert labelled.json["metadata"]["labels"]["team"] == "virt"

        changed = labelled.json
        changed["spec"]["workloadUpdateStrategy"]["batchEvictionSize"] = 3
        changed["status"]["conditions"] = []
        changed["metadata"]["creationTimestamp"] = "2000-01-01T00:00:00Z"
        reply = await api.put(f"{HCO}/{HCO_NAME}", changed)
        assert reply.status == 200, reply.text
        assert reply.json["metadata"]["generation"] == generation + 1
        assert reply.json["status"]["conditions"] == conditions, "status is ignored"
        assert reply.json["metadata"]["creationTimestamp"] == hco["metadata"]["creationTimestamp"]
        stored = server.store.get("hco.kubevirt.io", "hyperconvergeds", CNV, HCO_NAME)
        assert stored["spec"]["workloadUpdateStrategy"]["batchEvictionSize"] == 3

        same = await api.put(f"{HCO}/{HCO_NAME}", reply.json)
        assert same.json["metadata"]["resourceVersion"] == reply.json["metadata"]["resourceVersion"]


async def test_status_subresource_writes_only_status(sim: Any) -> None:
    server = await sim(vmis=1)
    async with api_of(server) as api:
        hco = (await api.get(f"{HCO}/{HCO_NAME}")).json
        hco["status"]["systemHealthStatus"] = "warning"
        hco["spec"]["workloadUpdateStrategy"]["batchEvictionSize"] = 99
        hco["metadata"]["labels"] = {"ignored": "yes"}
        reply = await api.put(f"{HCO}/{HCO_NAME}/status", hco)
        assert reply.status == 200, reply.text
        assert reply.json["status"]["systemHealthStatus"] == "warning"
        assert reply.json["spec"]["workloadUpdateStrategy"]["batchEvictionSize"] == 10
        assert "ignored" not in reply.json["metadata"].get("labels", {})
        assert reply.json["metadata"]["generation"] == hco["metadata"]["generation"]
        got = (await api.get(f"{HCO}/{HCO_NAME}/status")).json
        assert got["status"]["systemHealthStatus"] == "warning"


async def test_stale_resource_version_conflicts_and_missing_one_is_invalid(sim: Any) -> None:
    server = await sim(vmis=1)
    async with api_of(server) as api:
        hco = (await api.get(f"{HCO}/{HCO_NAME}")).json
        first = dict(hco, spec={**hco["spec"], "evictionStrategy": "None"})
        assert (await api.put(f"{HCO}/{HCO_NAME}", first)).status == 200
        stale = await api.put(f"{HCO}/{HCO_NAME}", hco)
        assert status_of(stale.json) == (409, "Conflict")
        assert stale.json["message"] == (
            "Operation cannot be fulfilled on hyperconvergeds.hco.kubevirt.io "
            '"kubevirt-hyperconverged": the object has been modified; please apply your '
            "changes to the latest version and try again"
        )
        unversioned = dict(
            hco, metadata={k: v for k, v in hco["metadata"].items() if k != "resourceVersion"}
        )
        reply = await api.put(f"{HCO}/{HCO_NAME}", unversioned)
        assert status_of(reply.json) == (422, "Invalid")
        assert "metadata.resourceVersion" in reply.json["message"]
        renamed = dict(hco, metadata={**hco["metadata"], "name": "other"})
        assert (await api.put(f"{HCO}/{HCO_NAME}", renamed)).status == 400


async def test_delete_returns_status_and_finalizers_hold_the_object(sim: Any) -> None:
    server = await sim(vmis=1)
    async with api_of(server) as api:
        await api.post(vmis_in("vm-test"), minimal_vmi("doomed"))
        gone = await api.delete(f"{vmis_in('vm-test')}/doomed")
        assert gone.status == 200
        assert gone.json["kind"] == "Status" and gone.json["status"] == "Success"
        assert gone.json["details"]["name"] == "doomed"
        assert (await api.get(f"{vmis_in('vm-test')}/doomed")).status == 404
        assert (await api.delete(f"{vmis_in('vm-test')}/doomed")).status == 404

        held = minimal_vmi("held")
        held["metadata"]["finalizers"] = ["example.com/keep"]
        await api.post(vmis_in("vm-test"), held)
        marked = await api.delete(f"{vmis_in('vm-test')}/held")
        assert marked.status == 200
        assert STAMP.match(marked.json["metadata"]["deletionTimestamp"])
        obj = (await api.get(f"{vmis_in('vm-test')}/held")).json
        obj["metadata"]["finalizers"] = []
        assert (await api.put(f"{vmis_in('vm-test')}/held", obj)).status == 200
        assert (await api.get(f"{vmis_in('vm-test')}/held")).status == 404

        await api.post(vmis_in("vm-test"), minimal_vmi("guarded"))
        wrong = await api.request(
            "DELETE",
            f"{vmis_in('vm-test')}/guarded",
            body={"kind": "DeleteOptions", "preconditions": {"resourceVersion": "1"}},
        )
        assert status_of(wrong.json) == (409, "Conflict")
        assert (await api.get(f"{vmis_in('vm-test')}/guarded")).status == 200


async def test_dry_run_changes_nothing(sim: Any) -> None:
    server = await sim(vmis=1)
    async with api_of(server) as api:
        before = server.store.resource_version
        reply = await api.post(vmis_in("vm-test"), minimal_vmi("dry"), params={"dryRun": "All"})
        assert reply.status == 201
        assert (await api.get(f"{vmis_in('vm-test')}/dry")).status == 404
        assert server.store.resource_version == before


async def test_bad_requests_get_the_status_a_real_server_sends(sim: Any) -> None:
    server = await sim(vmis=1)
    async with api_of(server) as api:
        malformed = await api.request("POST", vmis_in("vm-test"), raw=b'{"kind": ')
        assert status_of(malformed.json) == (400, "BadRequest")
        nan = await api.request("POST", vmis_in("vm-test"), raw=b'{"a": NaN}')
        assert nan.status == 400
        unknown = await api.get("/apis/kubevirt.io/v1/namespaces/x/nosuchthings")
        assert status_of(unknown.json) == (404, "NotFound")
        assert unknown.json["message"] == "the server could not find the requested resource"
        assert (await api.get("/apis/kubevirt.io/v9/virtualmachineinstances")).status == 404
        wrong_method = await api.post(f"{vmis_in('vm-test')}/x", minimal_vmi("x"))
        assert status_of(wrong_method.json) == (405, "MethodNotAllowed")
        assert (await api.post(VMIS, minimal_vmi("x"))).status == 405
        assert (await api.request("POST", "/api/v1/nodes/x/status")).status == 405
        text = await api.request("POST", vmis_in("vm-test"), raw=b"x", content_type="text/plain")
        assert status_of(text.json) == (415, "UnsupportedMediaType")
        wrong_kind = minimal_vmi("x")
        wrong_kind["kind"] = "VirtualMachine"
        assert (await api.post(vmis_in("vm-test"), wrong_kind)).status == 400
        wrong_version = minimal_vmi("x")
        wrong_version["apiVersion"] = "kubevirt.io/v2"
        assert (await api.post(vmis_in("vm-test"), wrong_version)).status == 400
        not_object = await api.post(vmis_in("vm-test"), [1, 2])
        assert not_object.status == 400
        labels = minimal_vmi("x")
        labels["metadata"]["labels"] = {"a": 1}
        assert (await api.post(vmis_in("vm-test"), labels)).status == 400
        huge = b'{"x":"' + b"a" * (4 * 1024 * 1024) + b'"}'
        assert (await api.request("POST", vmis_in("vm-test"), raw=huge)).status == 413
        assert (await api.get("/nothing/here")).status == 404
        # Unknown query parameters are ignored.
        listed = await api.get(CSVS, params={"pretty": "true", "frobnicate": "1"})
        assert listed.status == 200 and listed.json["items"]
        # Nothing above changed the store.
        assert (await api.get(f"{vmis_in('vm-test')}/x")).status == 404


async def test_namespace_delete_removes_its_objects(sim: Any) -> None:
    server = await sim(vmis=4)
    async with api_of(server) as api:
        created = await api.post(
            "/api/v1/namespaces",
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "tmp"}},
        )
        assert created.status == 201
        assert created.json["status"]["phase"] == "Active"
        assert created.json["metadata"]["labels"]["kubernetes.io/metadata.name"] == "tmp"
        assert (await api.post(vmis_in("tmp"), minimal_vmi("in-tmp", "tmp"))).status == 201
        assert (await api.delete("/api/v1/namespaces/tmp")).status == 200
        assert (await api.get(f"{vmis_in('tmp')}/in-tmp")).status == 404
        assert (await api.get("/api/v1/namespaces/tmp")).status == 404


async def test_delete_collection_by_label(sim: Any) -> None:
    server = await sim(vmis=1)
    async with api_of(server) as api:
        for name, tier in (("c1", "a"), ("c2", "a"), ("c3", "b")):
            assert (await api.post(vmis_in("vm-test"), minimal_vmi(name, tier=tier))).status == 201
        reply = await api.delete(vmis_in("vm-test"), params={"labelSelector": "tier=a"})
        assert reply.status == 200, reply.text
        assert sorted(i["metadata"]["name"] for i in reply.json["items"]) == ["c1", "c2"]
        left = (await api.get(vmis_in("vm-test"), params={"labelSelector": "tier"})).json
        assert [i["metadata"]["name"] for i in left["items"]] == ["c3"]
        assert (await api.delete("/api/v1/namespaces")).status == 405


async def test_the_store_hands_out_and_keeps_copies(sim: Any) -> None:
    server = await sim(vmis=2)
    store = server.store
    body = minimal_vmi("copied", owner="me")
    created = store.create("kubevirt.io", "virtualmachineinstances", body)
    body["metadata"]["labels"]["owner"] = "changed-input"
    created["metadata"]["labels"]["owner"] = "changed-result"
    got = store.get("kubevirt.io", "virtualmachineinstances", "vm-test", "copied")
    got["spec"]["domain"]["devices"]["x"] = 1
    listed, _ = store.list("kubevirt.io", "virtualmachineinstances", "vm-test")
    for item in listed:
        item["metadata"]["labels"] = {"mutated": "yes"}
    async with api_of(server) as api:
        served = (await api.get(f"{vmis_in('vm-test')}/copied")).json
    assert served["metadata"]["labels"] == {"owner": "me"}
    assert served["spec"]["domain"]["devices"] == {}
    rv = served["metadata"]["resourceVersion"]
    unchanged = store.update("kubevirt.io", "virtualmachineinstances", served)
    assert unchanged["metadata"]["resourceVersion"] == rv, "a no-op update is not a write"
