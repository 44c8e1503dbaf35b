"""Built-in objects sent as Kubernetes protobuf (what kubectl 1.3x sends for namespaces,
access reviews and delete options) are read as a real API server reads them; the rules
review behind `kubectl auth can-i --list` answers from the role table."""

from __future__ import annotations

from typing import Any

from . import api_of

PROTOBUF = "application/vnd.kubernetes.protobuf"
NAMESPACES = "/api/v1/namespaces"
SSAR = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"
SSRR = "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews"


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _len(number: int, payload: bytes | str) -> bytes:
    data = payload.encode() if isinstance(payload, str) else payload
    return _varint(number << 3 | 2) + _varint(len(data)) + data


def _envelope(api_version: str, kind: str, raw: bytes) -> bytes:
    """The `k8s\\0` + runtime.Unknown framing around an object's own message."""
    type_meta = _len(1, api_version) + _len(2, kind)
    return b"k8s\x00" + _len(1, type_meta) + _len(2, raw) + _len(3, "") + _len(4, "")


def _namespace(name: str, labels: dict[str, str]) -> bytes:
    meta = _len(1, name) + _len(2, "") + b"\x38\x00"  # generation 0, as Go writes it
    for key, value in labels.items():
        meta += _len(11, _len(1, key) + _len(2, value))
    spec = _len(1, "kubernetes")
    return _envelope("v1", "Namespace", _len(1, meta) + _len(2, spec) + _len(3, b""))


def _access_review(verb: str, resource: str, namespace: str) -> bytes:
    attrs = _len(1, namespace) + _len(2, verb) + _len(3, "") + _len(5, resource)
    spec = _len(1, attrs)
    body = _len(1, b"") + _len(2, spec) + _len(3, b"\x08\x00")
    return _envelope("authorization.k8s.io/v1", "SelfSubjectAccessReview", body)


async def test_a_namespace_created_in_protobuf_is_stored_as_sent(sim: Any) -> None:
    server = await sim(vmis=1)
    async with api_of(server) as api:
        reply = await api.request(
            "POST",
            NAMESPACES,
            raw=_namespace("from-proto", {"team": "virt"}),
            content_type=PROTOBUF,
        )
        assert reply.status == 201, reply.text
        stored = (await api.get(f"{NAMESPACES}/from-proto")).json
    assert stored["metadata"]["labels"] == {
        "team": "virt",
        "kubernetes.io/metadata.name": "from-proto",  # the apiserver adds it
    }
    assert stored["spec"] == {"finalizers": ["kubernetes"]}
    assert "generateName" not in stored["metadata"]


async def test_access_reviews_in_protobuf_follow_the_role(sim: Any) -> None:
    server = await sim(vmis=1, role="viewer")
    async with api_of(server) as api:
        read = await api.request(
            "POST", SSAR, raw=_access_review("list", "pods", "openshift-cnv"), content_type=PROTOBUF
        )
        write = await api.request(
            "POST",
            SSAR,
            raw=_access_review("delete", "pods", "openshift-cnv"),
            content_type=PROTOBUF,
        )
    assert (read.status, write.status) == (201, 201)
    assert read.json["status"]["allowed"] is True
    assert write.json["status"]["allowed"] is False
    assert read.json["spec"]["resourceAttributes"] == {
        "namespace": "openshift-cnv",
        "verb": "list",
        "resource": "pods",
    }


async def test_protobuf_the_server_cannot_read_is_refused_with_the_reason(sim: Any) -> None:
    server = await sim(vmis=1)
    async with api_of(server) as api:
        garbage = await api.request("POST", NAMESPACES, raw=b"k8s\x00\xff", content_type=PROTOBUF)
        pod = await api.request(
            "POST",
            "/api/v1/namespaces/default/pods",
            raw=_envelope("v1", "Pod", _len(1, _len(1, "p"))),
            content_type=PROTOBUF,
        )
        unframed = await api.request("POST", NAMESPACES, raw=b"\x0a\x00", content_type=PROTOBUF)
    assert garbage.status == 400 and "unable to decode the protobuf body" in garbage.json["message"]
    assert pod.status == 415 and "send it as JSON" in pod.json["message"]
    assert unframed.status == 400 and "no k8s prefix" in unframed.json["message"]
    async with api_of(server) as api:
        assert (await api.get(NAMESPACES)).status == 200


async def test_the_rules_review_lists_what_the_role_grants(sim: Any) -> None:
    server = await sim(vmis=1, role="viewer")
    async with api_of(server) as api:
        reply = await api.post(
            SSRR,
            {
                "apiVersion": "authorization.k8s.io/v1",
                "kind": "SelfSubjectRulesReview",
                "spec": {"namespace": "openshift-cnv"},
            },
        )
        missing = await api.post(SSRR, {"kind": "SelfSubjectRulesReview", "spec": {}})
    assert reply.status == 201, reply.text
    status = reply.json["status"]
    assert status["incomplete"] is False
    verbs = {verb for rule in status["resourceRules"] for verb in rule["verbs"]}
    assert verbs and verbs <= {"get", "list", "watch"}, status
    assert any("/version" in r["nonResourceURLs"] for r in status["nonResourceRules"])
    assert missing.status == 400 and missing.json["message"] == "no namespace on request"
