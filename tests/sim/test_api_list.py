"""Lists: label and field selectors, limit/continue paging over a consistent snapshot, and
the resourceVersion parameters."""

from __future__ import annotations

from typing import Any

import pytest

from cnvtui.sim.store import Store

from . import VMIS, api_of, minimal_vmi, vmis_in

GROUP, PLURAL = "kubevirt.io", "virtualmachineinstances"


def label_vmis(store: Store) -> None:
    """Six VMIs in vm-test with known labels (the seed's are removed first)."""
    for obj in store.list(GROUP, PLURAL)[0]:
        meta = obj["metadata"]
        store.patch(
            GROUP,
            PLURAL,
            meta["namespace"],
            meta["name"],
            "merge",
            {"metadata": {"finalizers": None}},
        )
        store.delete(GROUP, PLURAL, meta["namespace"], meta["name"])
    specs = {
        "a": {"tier": "web", "kubevirt.io/outdatedLauncherImage": ""},
        "b": {"tier": "db", "kubevirt.io/outdatedLauncherImage": ""},
        "c": {"tier": "web"},
        "d": {"tier": "cache"},
        "e": {},
        "f": {"tier": "db", "size": "7"},
    }
    for name, labels in specs.items():
        store.create(GROUP, PLURAL, minimal_vmi(name, "vm-test", **labels))


@pytest.mark.parametrize(
    ("selector", "names"),
    [
        ("kubevirt.io/outdatedLauncherImage", "ab"),
        ("!kubevirt.io/outdatedLauncherImage", "cdef"),
        ("tier=web", "ac"),
        ("tier==web", "ac"),
        ("tier!=web", "bdef"),
        ("tier in (web,db)", "abcf"),
        ("tier notin (web, db)", "de"),
        ("tier,tier!=cache", "abcf"),
        ("kubevirt.io/outdatedLauncherImage=,tier=db", "b"),
        ("size>5", "f"),
        ("", "abcdef"),
    ],
)
async def test_label_selectors(sim: Any, selector: str, names: str) -> None:
    server = await sim(vmis=1)
    label_vmis(server.store)
    async with api_of(server) as api:
        reply = await api.get(VMIS, params={"labelSelector": selector})
        assert reply.status == 200, reply.text
        assert "".join(i["metadata"]["name"] for i in reply.json["items"]) == names


async def test_bad_selectors_are_400(sim: Any) -> None:
    server = await sim(vmis=1)
    async with api_of(server) as api:
        for selector in ("tier in web", "tier=(", "a b", "=x"):
            reply = await api.get(VMIS, params={"labelSelector": selector})
            assert reply.status == 400, selector
            assert reply.json["reason"] == "BadRequest"
        field = await api.get(VMIS, params={"fieldSelector": "spec.nodeName=x"})
        assert field.status == 400
        assert field.json["message"] == "field label not supported: spec.nodeName"


async def test_field_selectors(sim: Any) -> None:
    server = await sim(vmis=6)
    everything = server.store.list(GROUP, PLURAL)[0]
    first = everything[0]["metadata"]
    async with api_of(server) as api:
        by_name = await api.get(VMIS, params={"fieldSelector": f"metadata.name={first['name']}"})
        assert [i["metadata"]["name"] for i in by_name.json["items"]] == [first["name"]]
        by_ns = await api.get(
            VMIS, params={"fieldSelector": f"metadata.namespace=={first['namespace']}"}
        )
        assert {i["metadata"]["namespace"] for i in by_ns.json["items"]} == {first["namespace"]}
        others = await api.get(VMIS, params={"fieldSelector": f"metadata.name!={first['name']}"})
        assert len(others.json["items"]) == len(everything) - 1
        node = everything[0]["status"]["nodeName"]
        pods = await api.get("/api/v1/pods", params={"fieldSelector": f"spec.nodeName={node}"})
        assert pods.status == 200
        assert pods.json["items"] and all(p["spec"]["nodeName"] == node for p in pods.json["items"])


async def test_paging_is_a_consistent_snapshot(sim: Any) -> None:
    server = await sim(vmis=7)
    async with api_of(server) as api:
        full = (await api.get(VMIS)).json
        first = await api.get(VMIS, params={"limit": "3"})
        page = first.json
        assert len(page["items"]) == 3
        assert page["metadata"]["remainingItemCount"] == 4
        token = page["metadata"]["continue"]
        # Changes after the first page do not show in the next pages.
        victim = page["items"][0]["metadata"]
        later = full["items"][5]["metadata"]
        server.store.patch(
            GROUP,
            PLURAL,
            later["namespace"],
            later["name"],
            "merge",
            {"metadata": {"labels": {"changed": "yes"}}},
        )
        server.store.create(GROUP, PLURAL, minimal_vmi("zzz-new", "vm-test"))
        items = list(page["items"])
        while token:
            reply = await api.get(VMIS, params={"limit": "3", "continue": token})
            assert reply.status == 200, reply.text
            assert reply.json["metadata"]["resourceVersion"] == page["metadata"]["resourceVersion"]
            items.extend(reply.json["items"])
            token = reply.json["metadata"].get("continue")
        assert items == full["items"]
        assert victim["name"] == full["items"][0]["metadata"]["name"]
        now = (await api.get(VMIS)).json["items"]
        assert len(now) == 8


async def test_paging_in_a_namespace_with_a_selector(sim: Any) -> None:
    server = await sim(vmis=1)
    label_vmis(server.store)
    async with api_of(server) as api:
        seen: list[str] = []
        params = {"limit": "1", "labelSelector": "tier"}
        while True:
            reply = (await api.get(vmis_in("vm-test"), params=params)).json
            seen += [i["metadata"]["name"] for i in reply["items"]]
            assert "remainingItemCount" not in reply["metadata"]
            if not reply["metadata"].get("continue"):
                break
            params["continue"] = reply["metadata"]["continue"]
        assert seen == ["a", "b", "c", "d", "f"]


async def test_continue_token_after_compaction_is_gone(sim: Any) -> None:
    server = await sim(vmis=4)
    async with api_of(server) as api:
        token = (await api.get(VMIS, params={"limit": "1"})).json["metadata"]["continue"]
        server.store.create(GROUP, PLURAL, minimal_vmi("more", "vm-test"))
        server.store.compact()
        reply = await api.get(VMIS, params={"limit": "1", "continue": token})
        assert reply.status == 410
        assert reply.json["reason"] == "Expired"
        assert reply.json["message"].startswith("The provided continue parameter is too old")
        bad = await api.get(VMIS, params={"limit": "1", "continue": "not-a-token"})
        assert bad.status == 400


async def test_resource_version_parameters(sim: Any) -> None:
    server = await sim(vmis=3)
    async with api_of(server) as api:
        old_rv = server.store.resource_version
        before = (await api.get(VMIS)).json["items"]
        server.store.create(GROUP, PLURAL, minimal_vmi("after", "vm-test"))
        exact = await api.get(
            VMIS, params={"resourceVersion": str(old_rv), "resourceVersionMatch": "Exact"}
        )
        assert exact.status == 200, exact.text
        assert exact.json["items"] == before
        assert exact.json["metadata"]["resourceVersion"] == str(old_rv)
        newer = await api.get(VMIS, params={"resourceVersion": str(old_rv)})
        assert len(newer.json["items"]) == 4
        future = await api.get(VMIS, params={"resourceVersion": str(old_rv + 1000)})
        assert future.status == 504
        lone = await api.get(VMIS, params={"resourceVersionMatch": "Exact"})
        assert lone.status == 400
