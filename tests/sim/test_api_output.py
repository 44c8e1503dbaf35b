"""Response forms: Tables from the CRDs' printer columns (with includeObject), metadata-only
objects and lists, YAML, and 406 for what the server cannot produce."""

from __future__ import annotations

from typing import Any

import yaml

from . import CSVS, HCO, HCO_NAME, POM, POM_LIST, TABLE, VMIS, api_of


async def test_csv_table_has_the_openshift_columns(sim: Any) -> None:
    server = await sim(vmis=1)
    async with api_of(server) as api:
        reply = await api.get(CSVS, accept=f"{TABLE},application/json")
        assert reply.status == 200, reply.text
        table = reply.json
        assert table["kind"] == "Table" and table["apiVersion"] == "meta.k8s.io/v1"
        names = [c["name"] for c in table["columnDefinitions"] if c["priority"] == 0]
        assert names == ["Name", "Display", "Version", "Replaces", "Phase"]
        csv = server.store.list("operators.coreos.com", "clusterserviceversions", "openshift-cnv")[
            0
        ][0]
        row = table["rows"][0]
        assert row["cells"][0] == csv["metadata"]["name"]
        assert row["cells"][2] == csv["spec"]["version"]
        assert row["cells"][4] == csv["status"]["phase"]
        assert row["object"]["kind"] == "PartialObjectMetadata"
        assert row["object"]["metadata"]["name"] == csv["metadata"]["name"]
        assert table["metadata"]["resourceVersion"] == str(server.store.resource_version)


async def test_include_object_none_object_and_bad_values(sim: Any) -> None:
    server = await sim(vmis=2)
    async with api_of(server) as api:
        none = await api.get(VMIS, accept=TABLE, params={"includeObject": "None"})
        assert all(r["object"] is None for r in none.json["rows"])
        full = await api.get(VMIS, accept=TABLE, params={"includeObject": "Object"})
        assert all(r["object"]["kind"] == "VirtualMachineInstance" for r in full.json["rows"])
        assert (
            await api.get(VMIS, accept=TABLE, params={"includeObject": "Everything"})
        ).status == 400
        one = await api.get(f"{HCO}/{HCO_NAME}", accept=TABLE)
        assert [r["cells"][0] for r in one.json["rows"]] == [HCO_NAME]
        paged = await api.get(VMIS, accept=TABLE, params={"limit": "1"})
        assert len(paged.json["rows"]) == 1 and paged.json["metadata"]["continue"]


async def test_core_tables(sim: Any) -> None:
    server = await sim(vmis=1)
    async with api_of(server) as api:
        nodes = (await api.get("/api/v1/nodes", accept=TABLE)).json
        assert [c["name"] for c in nodes["columnDefinitions"]][:5] == [
            "Name",
            "Status",
            "Roles",
            "Age",
            "Version",
        ]
        ns = (await api.get("/api/v1/namespaces", accept=TABLE)).json
        assert ns["rows"] and ns["rows"][0]["cells"][1] == "Active"


async def test_partial_object_metadata(sim: Any) -> None:
    server = await sim(vmis=3)
    async with api_of(server) as api:
        listed = (await api.get(VMIS, accept=POM_LIST)).json
        assert listed["kind"] == "PartialObjectMetadataList"
        assert listed["apiVersion"] == "meta.k8s.io/v1"
        assert len(listed["items"]) == 3
        assert all(set(i) == {"kind", "apiVersion", "metadata"} for i in listed["items"])
        assert listed["items"][0]["metadata"]["uid"]
        one = (await api.get(f"{HCO}/{HCO_NAME}", accept=POM)).json
        assert one["kind"] == "PartialObjectMetadata" and one["metadata"]["name"] == HCO_NAME
        assert (await api.get(VMIS, accept=POM)).status == 406
        assert (await api.get(f"{HCO}/{HCO_NAME}", accept=POM_LIST)).status == 406


async def test_yaml_and_not_acceptable(sim: Any) -> None:
    server = await sim(vmis=1)
    async with api_of(server) as api:
        reply = await api.get(f"{HCO}/{HCO_NAME}", accept="application/yaml")
        assert reply.headers["Content-Type"].startswith("application/yaml")
        assert yaml.safe_load(reply.text)["metadata"]["name"] == HCO_NAME
        refused = await api.get(VMIS, accept="application/vnd.kubernetes.protobuf")
        assert refused.status == 406 and refused.json["reason"] == "NotAcceptable"
        anything = await api.get(VMIS, accept="*/*")
        assert anything.json["kind"] == "VirtualMachineInstanceList"


async def test_openapi_v3_documents(sim: Any) -> None:
    server = await sim(vmis=1)
    async with api_of(server) as api:
        root = (await api.get("/openapi/v3")).json
        url = root["paths"]["apis/hco.kubevirt.io/v1beta1"]["serverRelativeURL"]
        assert url.startswith("/openapi/v3/apis/hco.kubevirt.io/v1beta1?hash=")
        doc = (await api.get(url.split("?")[0])).json
        gvk = {"group": "hco.kubevirt.io", "version": "v1beta1", "kind": "HyperConverged"}
        patch = doc["paths"][
            "/apis/hco.kubevirt.io/v1beta1/namespaces/{namespace}/hyperconvergeds/{name}"
        ]["patch"]
        assert patch["x-kubernetes-group-version-kind"] == gvk
        assert "fieldValidation" in [p["name"] for p in patch["parameters"]]
        schemas = doc["components"]["schemas"].values()
        hco = next(s for s in schemas if s["x-kubernetes-group-version-kind"] == [gvk])
        assert "workloadUpdateStrategy" in hco["properties"]["spec"]["properties"]
        assert (await api.get("/openapi/v3/apis/nosuch.io/v1")).status == 404
        assert (await api.get("/openapi/v2x")).status == 404
