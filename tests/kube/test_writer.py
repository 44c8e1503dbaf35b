"""The write helper against the simulated cluster: each patch type, each error a user can
meet, and read-only mode that sends nothing at all."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cnvtui.kube.resources import HCO, INSTALL_PLAN, MCP, VMIM
from cnvtui.kube.writer import Writer

from . import Proxy, connect, write_kubeconfig

NS = "openshift-cnv"
HCO_NAME = "kubevirt-hyperconverged"
METHODS = "/spec/workloadUpdateStrategy/workloadUpdateMethods"
TOKEN = "sha256~s3cr3t-t0ken-never-shown"


def methods(server: Any) -> Any:
    hco = server.store.get(HCO.group, HCO.plural, NS, HCO_NAME)
    return hco["spec"]["workloadUpdateStrategy"]["workloadUpdateMethods"]


async def test_json_patch_with_test_op_backs_up_and_restores(sim: Any) -> None:
    server = await sim(vmis=2)
    writer = Writer(await connect(server.kubeconfig_path))
    try:
        assert methods(server) == ["LiveMigrate"]
        ops = [
            {"op": "test", "path": METHODS, "value": ["LiveMigrate"]},
            {"op": "replace", "path": METHODS, "value": []},
        ]
        result = await writer.json_patch(HCO, HCO_NAME, ops, namespace=NS)
        assert result.ok, result.message
        assert result.code == 200
        assert result.message == f"HyperConverged {NS}/{HCO_NAME}: done"
        assert result.obj is not None
        assert result.obj["spec"]["workloadUpdateStrategy"]["workloadUpdateMethods"] == []
        assert methods(server) == []

        # The same patch again: the test op fails, nothing changes, the server says why.
        rv = server.store.resource_version
        again = await writer.json_patch(HCO, HCO_NAME, ops, namespace=NS)
        assert not again.ok
        assert again.code == 422
        assert again.message == (
            f"rejected: HyperConverged {NS}/{HCO_NAME} no longer holds the value the patch tests "
            "for (it changed since it was read); nothing was changed"
        )
        assert server.store.resource_version == rv
        assert methods(server) == []
    finally:
        await writer.client.close()


async def test_merge_patch_and_status_subresource(sim: Any) -> None:
    server = await sim(vmis=2)
    writer = Writer(await connect(server.kubeconfig_path))
    try:
        result = await writer.merge_patch(MCP, "worker", {"spec": {"paused": True}})
        assert result.ok, result.message
        assert server.store.get(MCP.group, MCP.plural, None, "worker")["spec"]["paused"] is True
        plans, _ = server.store.list(INSTALL_PLAN.group, INSTALL_PLAN.plural, NS)
        name = plans[0]["metadata"]["name"]
        status = await writer.merge_patch(
            INSTALL_PLAN, name, {"status": {"phase": "Failed"}}, namespace=NS, subresource="status"
        )
        assert status.ok, status.message
        stored = server.store.get(INSTALL_PLAN.group, INSTALL_PLAN.plural, NS, name)
        assert stored["status"]["phase"] == "Failed"
    finally:
        await writer.client.close()


async def test_stale_resource_version_is_a_conflict(sim: Any) -> None:
    server = await sim(vmis=2)
    writer = Writer(await connect(server.kubeconfig_path))
    try:
        read = server.store.get(HCO.group, HCO.plural, NS, HCO_NAME)
        server.store.patch(
            HCO.group, HCO.plural, NS, HCO_NAME, "merge", {"metadata": {"labels": {"x": "y"}}}
        )
        stale = {
            "metadata": {"resourceVersion": read["metadata"]["resourceVersion"]},
            "spec": {"workloadUpdateStrategy": {"workloadUpdateMethods": []}},
        }
        result = await writer.merge_patch(HCO, HCO_NAME, stale, namespace=NS)
        assert not result.ok
        assert (result.code, result.reason) == (409, "Conflict")
        assert result.message.startswith(
            f"conflict: HyperConverged {NS}/{HCO_NAME} changed since it was read; reload and try"
        )
        assert methods(server) == ["LiveMigrate"]
    finally:
        await writer.client.close()


async def test_missing_object_and_bad_patch(sim: Any) -> None:
    server = await sim(vmis=2)
    writer = Writer(await connect(server.kubeconfig_path))
    try:
        missing = await writer.merge_patch(HCO, "nope", {"spec": {}}, namespace=NS)
        assert (missing.code, missing.reason) == (404, "NotFound")
        assert missing.message == (
            f"not found: HyperConverged {NS}/nope does not exist (or its API is not installed)"
        )
        not_a_list = await writer.json_patch(HCO, HCO_NAME, {"op": "remove"}, namespace=NS)  # type: ignore[arg-type]
        assert (not_a_list.ok, not_a_list.sent, not_a_list.reason) == (False, False, "Invalid")
        wrong_type = await writer.json_patch(
            HCO,
            HCO_NAME,
            [{"op": "replace", "path": METHODS, "value": "LiveMigrate"}],
            namespace=NS,
        )
        assert wrong_type.code == 422
        assert "workloadUpdateMethods" in wrong_type.message
    finally:
        await writer.client.close()


async def test_create_and_access_review(sim: Any) -> None:
    server = await sim(vmis=2, role="operator")
    writer = Writer(await connect(server.kubeconfig_path))
    try:
        vmi = server.store.list("kubevirt.io", "virtualmachineinstances")[0][0]["metadata"]
        migration = {
            "apiVersion": "kubevirt.io/v1",
            "kind": "VirtualMachineInstanceMigration",
            "metadata": {"generateName": "cnvtui-", "namespace": vmi["namespace"]},
            "spec": {"vmiName": vmi["name"]},
        }
        created = await writer.create(VMIM, migration, namespace=vmi["namespace"])
        assert created.ok, created.message
        assert created.code == 201
        assert created.obj is not None
        name = created.obj["metadata"]["name"]
        assert name.startswith("cnvtui-")
        assert server.store.get(VMIM.group, VMIM.plural, vmi["namespace"], name)
        assert (await writer.can_i("patch", HCO, namespace=NS)).allowed is True
        assert (await writer.can_i("delete", HCO, namespace=NS)).allowed is False
    finally:
        await writer.client.close()


async def test_forbidden_and_unauthorized_messages(sim: Any, tmp_path: Path) -> None:
    server = await sim(vmis=2, role="viewer", token=TOKEN)
    viewer = Writer(await connect(server.kubeconfig_path))
    stranger = Writer(await connect(write_kubeconfig(server, tmp_path / "kc", token="wrong")))
    try:
        denied = await viewer.merge_patch(MCP, "worker", {"spec": {"paused": True}})
        assert (denied.code, denied.reason) == (403, "Forbidden")
        assert denied.message.startswith("forbidden: ")
        assert "machineconfigpools" in denied.message
        rejected = await stranger.merge_patch(MCP, "worker", {"spec": {"paused": True}})
        assert (rejected.code, rejected.reason) == (401, "Unauthorized")
        assert rejected.message == (
            "unauthorized: the credentials were rejected (expired?); log in again and reload"
        )
        for result in (denied, rejected):
            assert TOKEN not in repr(result)
        assert server.store.get(MCP.group, MCP.plural, None, "worker")["spec"]["paused"] is False
    finally:
        await viewer.client.close()
        await stranger.client.close()


async def test_read_only_sends_nothing(sim: Any, tmp_path: Path) -> None:
    server = await sim(vmis=2)
    proxy = await Proxy(server.port).start()
    writer = Writer(await connect(proxy.kubeconfig(server, tmp_path / "kc")), read_only=True)
    try:
        rv = server.store.resource_version
        results = [
            await writer.json_patch(
                HCO, HCO_NAME, [{"op": "remove", "path": METHODS}], namespace=NS
            ),
            await writer.merge_patch(MCP, "worker", {"spec": {"paused": True}}),
            await writer.merge_patch(MCP, "worker", {"spec": {"paused": True}}, dry_run=True),
            await writer.create(VMIM, {"metadata": {"name": "m"}}, namespace="vm-dev"),
        ]
        for result in results:
            assert (result.ok, result.sent, result.reason) == (False, False, "ReadOnly")
            assert "read-only mode" in result.message
        assert proxy.requests == []
        assert proxy.connections == 0
        assert server.store.resource_version == rv
    finally:
        await writer.client.close()
        await proxy.close()


async def test_server_errors_and_timeouts_are_results(sim: Any, tmp_path: Path) -> None:
    server = await sim(vmis=2)
    proxy = await Proxy(server.port).start()
    writer = Writer(await connect(proxy.kubeconfig(server, tmp_path / "kc")), timeout=0.5)
    try:
        proxy.answer(429, "TooManyRequests", {"Retry-After": "7"})
        throttled = await writer.merge_patch(MCP, "worker", {"spec": {"paused": True}})
        assert (throttled.code, throttled.reason) == (429, "TooManyRequests")
        assert throttled.message == "the API server is throttling requests: try again in 7 s"
        proxy.answer(503, "ServiceUnavailable")
        unavailable = await writer.merge_patch(MCP, "worker", {"spec": {"paused": True}})
        assert unavailable.code == 503
        assert unavailable.message.startswith("server error 503: injected 503; ")
        proxy.forward()
        proxy.freeze()
        silent = await writer.merge_patch(MCP, "worker", {"spec": {"paused": True}})
        assert (silent.ok, silent.code, silent.reason) == (False, 0, "Timeout")
        assert silent.message.startswith("no answer from the API server within 0.5 s")
        assert server.store.get(MCP.group, MCP.plural, None, "worker")["spec"]["paused"] is False
    finally:
        await writer.client.close()
        await proxy.close()


async def test_writes_are_rate_limited_not_dropped(sim: Any) -> None:
    server = await sim(vmis=2)
    writer = Writer(await connect(server.kubeconfig_path), rate_limit=2, period=0.05)
    try:
        for paused in (True, False, True, False, True):
            result = await writer.merge_patch(MCP, "master", {"spec": {"paused": paused}})
            assert result.ok, result.message
        assert server.store.get(MCP.group, MCP.plural, None, "master")["spec"]["paused"] is True
    finally:
        await writer.client.close()
