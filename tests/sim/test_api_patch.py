"""Patches: JSON Patch (every op, `test` failing with 422), merge patch, strategic merge
(415 for custom resources), resourceVersion preconditions, schema errors, HCO v1."""

from __future__ import annotations

from typing import Any

import pytest

from . import CNV, HCO, HCO_NAME, JSON_PATCH, MERGE_PATCH, STRATEGIC, api_of

HCO_PATH = f"{HCO}/{HCO_NAME}"
METHODS = "/spec/workloadUpdateStrategy/workloadUpdateMethods"


def stored_hco(server: Any) -> dict[str, Any]:
    obj = server.store.get("hco.kubevirt.io", "hyperconvergeds", CNV, HCO_NAME)
    assert isinstance(obj, dict)
    return obj


async def test_runbook_json_patch_and_generation(sim: Any) -> None:
    server = await sim(vmis=1)
    before = stored_hco(server)
    async with api_of(server) as api:
        reply = await api.patch(
            HCO_PATH, [{"op": "replace", "path": METHODS, "value": []}], JSON_PATCH
        )
        assert reply.status == 200, reply.text
        assert reply.json["spec"]["workloadUpdateStrategy"]["workloadUpdateMethods"] == []
    after = stored_hco(server)
    assert after["spec"]["workloadUpdateStrategy"]["workloadUpdateMethods"] == []
    assert after["metadata"]["generation"] == before["metadata"]["generation"] + 1
    assert int(after["metadata"]["resourceVersion"]) > int(before["metadata"]["resourceVersion"])


async def test_every_json_patch_operation(sim: Any) -> None:
    server = await sim(vmis=1)
    ops = [
        {"op": "test", "path": f"{METHODS}/0", "value": "LiveMigrate"},
        {"op": "add", "path": f"{METHODS}/-", "value": "Evict"},
        {"op": "add", "path": "/metadata/labels/a~1b", "value": "slash"},
        {"op": "copy", "from": "/metadata/labels/a~1b", "path": "/metadata/labels/copied"},
        {"op": "move", "from": "/metadata/labels/copied", "path": "/metadata/labels/moved"},
        {"op": "remove", "path": "/metadata/labels/a~1b"},
        {"op": "replace", "path": "/spec/workloadUpdateStrategy/batchEvictionSize", "value": 5},
    ]
    async with api_of(server) as api:
        reply = await api.patch(HCO_PATH, ops, JSON_PATCH)
        assert reply.status == 200, reply.text
    hco = stored_hco(server)
    strategy = hco["spec"]["workloadUpdateStrategy"]
    assert strategy["workloadUpdateMethods"] == ["LiveMigrate", "Evict"]
    assert strategy["batchEvictionSize"] == 5
    labels = hco["metadata"]["labels"]
    assert labels["moved"] == "slash"
    assert "a/b" not in labels and "copied" not in labels


@pytest.mark.parametrize(
    "ops",
    [
        [{"op": "test", "path": f"{METHODS}/0", "value": "Evict"}],
        [{"op": "test", "path": "/spec/workloadUpdateStrategy/batchEvictionSize", "value": "10"}],
        [{"op": "replace", "path": "/spec/nosuch/field", "value": 1}],
        [{"op": "remove", "path": "/metadata/labels/absent"}],
        [{"op": "add", "path": "relative", "value": 1}],
        [{"op": "frobnicate", "path": "/spec"}],
        [{"op": "add", "path": f"{METHODS}/9", "value": "Evict"}],
    ],
)
async def test_failing_json_patches_are_422_and_change_nothing(
    sim: Any, ops: list[dict[str, Any]]
) -> None:
    server = await sim(vmis=1)
    before = stored_hco(server)
    prefix = [{"op": "replace", "path": f"{METHODS}", "value": ["Evict"]}] if len(ops) == 1 else []
    async with api_of(server) as api:
        reply = await api.patch(HCO_PATH, ops + prefix, JSON_PATCH)
    assert reply.status == 422, reply.text
    assert reply.json["reason"] == "Invalid"
    assert reply.json["message"] == "the server rejected our request due to an error in our request"
    assert stored_hco(server) == before


async def test_malformed_patches_are_400(sim: Any) -> None:
    server = await sim(vmis=1)
    before = stored_hco(server)
    async with api_of(server) as api:
        as_object = await api.patch(HCO_PATH, {"op": "add"}, JSON_PATCH)
        assert as_object.status == 400
        not_json = await api.request("PATCH", HCO_PATH, raw=b"[{", content_type=JSON_PATCH)
        assert not_json.status == 400
        merge_list = await api.patch(HCO_PATH, [1], MERGE_PATCH)
        assert merge_list.status == 400
    assert stored_hco(server) == before


async def test_merge_patch_sets_and_deletes(sim: Any) -> None:
    server = await sim(vmis=1)
    async with api_of(server) as api:
        reply = await api.patch(
            HCO_PATH,
            {
                "metadata": {"labels": {"team": "virt"}, "annotations": {"deployOVS": None}},
                "spec": {"workloadUpdateStrategy": {"workloadUpdateMethods": ["Evict"]}},
            },
            MERGE_PATCH,
        )
        assert reply.status == 200, reply.text
    hco = stored_hco(server)
    assert hco["metadata"]["labels"]["team"] == "virt"
    assert "deployOVS" not in hco["metadata"].get("annotations", {})
    assert hco["spec"]["workloadUpdateStrategy"]["workloadUpdateMethods"] == ["Evict"]
    assert hco["spec"]["workloadUpdateStrategy"]["batchEvictionSize"] == 10


async def test_strategic_merge_is_415_for_custom_resources_only(sim: Any) -> None:
    server = await sim(vmis=1)
    async with api_of(server) as api:
        crd = await api.patch(HCO_PATH, {"metadata": {"labels": {"a": "b"}}}, STRATEGIC)
        assert crd.status == 415
        assert crd.json["reason"] == "UnsupportedMediaType"
        assert "application/json-patch+json" in crd.json["message"]
        node = await api.patch(
            "/api/v1/nodes/worker-0", {"metadata": {"labels": {"a": "b"}}}, STRATEGIC
        )
        assert node.status == 200, node.text
        assert node.json["metadata"]["labels"]["a"] == "b"
        other = await api.patch(HCO_PATH, {}, "text/plain")
        assert other.status == 415


async def test_resource_version_in_a_patch_is_a_precondition(sim: Any) -> None:
    server = await sim(vmis=1)
    current = stored_hco(server)["metadata"]["resourceVersion"]
    async with api_of(server) as api:
        ok = await api.patch(
            HCO_PATH,
            {"metadata": {"resourceVersion": current, "labels": {"first": "yes"}}},
            MERGE_PATCH,
        )
        assert ok.status == 200, ok.text
        stale = await api.patch(
            HCO_PATH,
            {"metadata": {"resourceVersion": current, "labels": {"second": "yes"}}},
            MERGE_PATCH,
        )
        assert stale.status == 409 and stale.json["reason"] == "Conflict"
        test_rv = await api.patch(
            HCO_PATH,
            [
                {"op": "test", "path": "/metadata/resourceVersion", "value": current},
                {"op": "add", "path": "/metadata/labels/third", "value": "yes"},
            ],
            JSON_PATCH,
        )
        assert test_rv.status == 422
    assert "second" not in stored_hco(server)["metadata"]["labels"]


async def test_a_patch_that_breaks_the_schema_is_422_with_causes(sim: Any) -> None:
    server = await sim(vmis=1)
    async with api_of(server) as api:
        reply = await api.patch(
            HCO_PATH,
            [
                {
                    "op": "replace",
                    "path": "/spec/workloadUpdateStrategy/batchEvictionSize",
                    "value": "x",
                }
            ],
            JSON_PATCH,
        )
    assert reply.status == 422
    field = "spec.workloadUpdateStrategy.batchEvictionSize"
    assert reply.json["message"].startswith(
        f'HyperConverged.hco.kubevirt.io "kubevirt-hyperconverged" is invalid: {field}: '
    )
    assert reply.json["details"]["causes"][0]["field"] == field
    assert stored_hco(server)["spec"]["workloadUpdateStrategy"]["batchEvictionSize"] == 10


async def test_status_patch_leaves_spec_and_spec_patch_leaves_status(sim: Any) -> None:
    server = await sim(vmis=1)
    before = stored_hco(server)
    async with api_of(server) as api:
        on_status = await api.patch(
            f"{HCO_PATH}/status",
            {"status": {"systemHealthStatus": "error"}, "spec": {"evictionStrategy": "None"}},
            MERGE_PATCH,
        )
        assert on_status.status == 200
        on_main = await api.patch(
            HCO_PATH, {"status": {"systemHealthStatus": "healthy"}}, MERGE_PATCH
        )
        assert on_main.status == 200
    hco = stored_hco(server)
    assert hco["status"]["systemHealthStatus"] == "error"
    assert hco["spec"].get("evictionStrategy") == before["spec"].get("evictionStrategy")
    assert hco["metadata"]["generation"] == before["metadata"]["generation"]


async def test_hco_v1_serves_both_versions_with_the_strategy_moved(sim: Any) -> None:
    server = await sim(vmis=1, hco_v1=True)
    v1 = f"/apis/hco.kubevirt.io/v1/namespaces/{CNV}/hyperconvergeds/{HCO_NAME}"
    async with api_of(server) as api:
        groups = (await api.get("/apis/hco.kubevirt.io")).json
        assert [v["version"] for v in groups["versions"]] == ["v1", "v1beta1"]
        new = (await api.get(v1)).json
        old = (await api.get(HCO_PATH)).json
        assert new["apiVersion"] == "hco.kubevirt.io/v1"
        assert old["apiVersion"] == "hco.kubevirt.io/v1beta1"
        strategy = new["spec"]["virtualization"]["workloadUpdateStrategy"]
        assert old["spec"]["workloadUpdateStrategy"] == strategy
        assert "workloadUpdateStrategy" not in new["spec"]
        reply = await api.patch(
            HCO_PATH, [{"op": "replace", "path": METHODS, "value": []}], JSON_PATCH
        )
        assert reply.status == 200, reply.text
        again = (await api.get(v1)).json
        assert (
            again["spec"]["virtualization"]["workloadUpdateStrategy"]["workloadUpdateMethods"] == []
        )
        v1_patch = await api.patch(
            v1,
            [
                {
                    "op": "replace",
                    "path": "/spec/virtualization/workloadUpdateStrategy/workloadUpdateMethods",
                    "value": ["Evict"],
                }
            ],
            JSON_PATCH,
        )
        assert v1_patch.status == 200, v1_patch.text
        assert (await api.get(HCO_PATH)).json["spec"]["workloadUpdateStrategy"][
            "workloadUpdateMethods"
        ] == ["Evict"]


async def test_without_hco_v1_only_v1beta1_is_served(sim: Any) -> None:
    server = await sim(vmis=1)
    v1 = f"/apis/hco.kubevirt.io/v1/namespaces/{CNV}/hyperconvergeds/{HCO_NAME}"
    async with api_of(server) as api:
        assert (await api.get(v1)).status == 404


async def test_json_patch_field_validation_judges_the_patched_object(sim: Any) -> None:
    """The runbook's typo (`workloadUpdateMethod`) in a JSON patch: Strict refuses it and
    leaves the HCO alone, Warn (the default) names it and prunes it, Ignore says nothing."""
    server = await sim(vmis=1)
    before = stored_hco(server)
    typo = [{"op": "add", "path": METHODS[:-1], "value": []}]
    unknown = 'unknown field "spec.workloadUpdateStrategy.workloadUpdateMethod"'
    async with api_of(server) as api:
        strict = await api.patch(HCO_PATH, typo, JSON_PATCH, params={"fieldValidation": "Strict"})
        assert strict.status == 400, strict.text
        assert f"strict decoding error: {unknown}" in strict.json["message"]
        assert stored_hco(server) == before
        warned = await api.patch(HCO_PATH, typo, JSON_PATCH)
        assert warned.status == 200, warned.text
        quoted = unknown.replace('"', '\\"')
        assert warned.headers.get("Warning") == f'299 - "{quoted}"', "RFC 7234 warn-code 299"
        ignored = await api.patch(HCO_PATH, typo, JSON_PATCH, params={"fieldValidation": "Ignore"})
        assert ignored.status == 200 and "Warning" not in ignored.headers
    strategy = stored_hco(server)["spec"]["workloadUpdateStrategy"]
    assert "workloadUpdateMethod" not in strategy, "pruned, as a real server does"
    assert strategy["workloadUpdateMethods"] == ["LiveMigrate"]
