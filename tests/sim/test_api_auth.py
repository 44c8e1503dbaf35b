"""Authentication, authorisation and TLS: 401 without the token, 403 worded like the
apiserver, SelfSubjectAccessReviews from the same role table, and HTTPS verified against
the CA in the written kubeconfig (with the official Python client)."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path
from typing import Any

import yaml
from kubernetes.aio import client, config

from . import CNV, HCO, HCO_NAME, MERGE_PATCH, VMIS, api_of, read_yaml

METHODS = "/spec/workloadUpdateStrategy/workloadUpdateMethods"
SSAR = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"


def review(verb: str, resource: str, group: str, namespace: str | None = None) -> dict[str, Any]:
    attrs: dict[str, Any] = {"verb": verb, "resource": resource, "group": group}
    if namespace:
        attrs["namespace"] = namespace
    return {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SelfSubjectAccessReview",
        "spec": {"resourceAttributes": attrs},
    }


async def test_a_token_is_required_when_configured(sim: Any) -> None:
    server = await sim(vmis=1, token="s3cret")
    async with api_of(server, token="") as anonymous:
        for path in ("/api", "/version", VMIS):
            reply = await anonymous.get(path)
            assert reply.status == 401, path
            assert reply.json == {
                "kind": "Status",
                "apiVersion": "v1",
                "metadata": {},
                "status": "Failure",
                "message": "Unauthorized",
                "reason": "Unauthorized",
                "details": {},
                "code": 401,
            }
    async with api_of(server, token="wrong") as wrong:
        assert (await wrong.get(VMIS)).status == 401
    async with api_of(server) as good:
        assert (await good.get(VMIS)).status == 200
    written = read_yaml(server.kubeconfig_path)
    assert written["users"][0]["user"]["token"] == "s3cret"
    assert stat.S_IMODE(os.stat(server.kubeconfig_path).st_mode) == 0o600


async def test_viewer_gets_403_with_the_apiserver_wording(sim: Any) -> None:
    server = await sim(vmis=1, role="viewer", user="alice")
    async with api_of(server) as api:
        assert (await api.get(VMIS)).status == 200
        assert (await api.get("/apis")).status == 200
        reply = await api.patch(
            f"{HCO}/{HCO_NAME}", {"metadata": {"labels": {"a": "b"}}}, MERGE_PATCH
        )
        assert reply.status == 403
        assert reply.json["reason"] == "Forbidden"
        assert reply.json["message"] == (
            'hyperconvergeds.hco.kubevirt.io "kubevirt-hyperconverged" is forbidden: User '
            '"alice" cannot patch resource "hyperconvergeds" in API group "hco.kubevirt.io" '
            'in the namespace "openshift-cnv"'
        )
        assert reply.json["details"] == {
            "name": HCO_NAME,
            "group": "hco.kubevirt.io",
            "kind": "hyperconvergeds",
        }
        status = await api.put(f"{HCO}/{HCO_NAME}/status", {})
        assert 'cannot update resource "hyperconvergeds/status"' in status.json["message"]
        core = await api.post(
            "/api/v1/namespaces", {"kind": "Namespace", "metadata": {"name": "x"}}
        )
        assert core.json["message"] == (
            'namespaces is forbidden: User "alice" cannot create resource "namespaces" in API '
            'group "" at the cluster scope'
        )
    hco = server.store.get("hco.kubevirt.io", "hyperconvergeds", CNV, HCO_NAME)
    assert "a" not in hco["metadata"].get("labels", {})


async def test_self_subject_access_reviews_answer_from_the_role(sim: Any) -> None:
    server = await sim(vmis=1, role="operator")
    async with api_of(server) as api:
        patch_hco = await api.post(SSAR, review("patch", "hyperconvergeds", "hco.kubevirt.io", CNV))
        assert patch_hco.status == 201
        assert patch_hco.json["status"]["allowed"] is True
        assert patch_hco.json["kind"] == "SelfSubjectAccessReview"
        delete_ns = await api.post(SSAR, review("delete", "namespaces", ""))
        assert delete_ns.json["status"]["allowed"] is False
        empty = await api.post(
            SSAR,
            {
                "apiVersion": "authorization.k8s.io/v1",
                "kind": "SelfSubjectAccessReview",
                "spec": {},
            },
        )
        assert empty.status == 422
        assert (await api.get(SSAR)).status == 405


async def test_roles_file_defines_roles_and_users(sim: Any, tmp_path: Path) -> None:
    roles = tmp_path / "roles.yaml"
    roles.write_text(
        yaml.safe_dump(
            {
                "roles": {
                    "cnv-only": [
                        {"verbs": ["get", "list", "watch"], "apiGroups": ["*"], "resources": ["*"]},
                        {
                            "verbs": ["patch"],
                            "apiGroups": ["hco.kubevirt.io"],
                            "resources": ["hyperconvergeds"],
                            "namespaces": [CNV],
                        },
                    ]
                },
                "users": [{"name": "bob", "token": "bob-token", "role": "viewer"}],
            }
        )
    )
    server = await sim(vmis=1, roles_file=roles, role="cnv-only", token="main-token")
    async with api_of(server) as api:
        ok = await api.patch(f"{HCO}/{HCO_NAME}", {"metadata": {"labels": {"a": "b"}}}, MERGE_PATCH)
        assert ok.status == 200, ok.text
        no = await api.patch(
            "/api/v1/nodes/worker-0", {"metadata": {"labels": {"a": "b"}}}, MERGE_PATCH
        )
        assert no.status == 403
    async with api_of(server, token="bob-token") as bob:
        reply = await bob.patch(
            f"{HCO}/{HCO_NAME}", {"metadata": {"labels": {"a": "c"}}}, MERGE_PATCH
        )
        assert reply.status == 403 and 'User "bob"' in reply.json["message"]
        assert (await bob.get(VMIS)).status == 200


async def test_tls_with_the_kubeconfig_ca_and_the_official_client(sim: Any) -> None:
    server = await sim(vmis=3, tls=True, token="t0ken")
    assert server.url.startswith("https://")
    written = read_yaml(server.kubeconfig_path)
    cluster = written["clusters"][0]["cluster"]
    assert "insecure-skip-tls-verify" not in cluster
    assert base64.b64decode(cluster["certificate-authority-data"]) == server.ca_pem
    api_client = await config.new_client_from_config(  # type: ignore[no-untyped-call]
        config_file=str(server.kubeconfig_path)
    )
    try:
        custom = client.CustomObjectsApi(api_client)
        listed = await custom.list_cluster_custom_object(
            "kubevirt.io", "v1", "virtualmachineinstances"
        )
        assert isinstance(listed, dict) and len(listed["items"]) == 3
        patched = await custom.patch_namespaced_custom_object(
            "hco.kubevirt.io", "v1beta1", CNV, "hyperconvergeds", HCO_NAME,
            [{"op": "replace", "path": METHODS, "value": []}],
            _content_type="application/json-patch+json",
        )  # fmt: skip
        assert isinstance(patched, dict)
        assert patched["spec"]["workloadUpdateStrategy"]["workloadUpdateMethods"] == []
        core = client.CoreV1Api(api_client)
        nodes = await core.list_node()
        assert nodes.items and nodes.items[0].metadata and nodes.items[0].metadata.name
    finally:
        await api_client.close()
    async with api_of(server) as api:
        assert (await api.get("/api")).status == 200
