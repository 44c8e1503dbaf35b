"""Nothing a client sends crashes the server or corrupts the store (property tests).

The server runs on its own event loop in a thread so that Hypothesis can drive it with
plain blocking requests; after every request the objects must still be served, still be
valid JSON and still pass their schema, and no request may get a 500.
"""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cnvtui.sim import schema
from cnvtui.sim.server import SimServer

from . import HCO, HCO_NAME, JSON_PATCH, MERGE_PATCH, STRATEGIC

OK_CODES = {200, 201, 400, 404, 405, 406, 409, 410, 413, 415, 422}
HCO_PATH = f"{HCO}/{HCO_NAME}"
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
POINTERS = st.lists(
    st.sampled_from(
        ["spec", "metadata", "status", "labels", "name", "workloadUpdateStrategy",
         "workloadUpdateMethods", "0", "-", "resourceVersion", "uid", "x~1y", "~0", ""]
    ),
    max_size=4,
).map(lambda parts: "/" + "/".join(parts))  # fmt: skip
OPS = st.fixed_dictionaries(
    {"op": st.sampled_from(["add", "remove", "replace", "move", "copy", "test", "bogus"]),
     "path": POINTERS},
    optional={"value": JSON_VALUES, "from": POINTERS},
)  # fmt: skip


SEGMENTS = [
    "api", "apis", "v1", "kubevirt.io", "namespaces", "vm-test", "watch", "status", "x",
    "nodes", "%2F",
]  # fmt: skip
QUERIES = [
    "", "?limit=-1", "?labelSelector=%3D%3D", "?continue=abc", "?resourceVersion=x",
    "?fieldSelector=a", "?timeoutSeconds=x&watch=1", "?resourceVersionMatch=Exact",
]  # fmt: skip


@pytest.fixture(scope="module")
def server() -> Iterator[SimServer]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    sim = SimServer(vmis=2)
    asyncio.run_coroutine_threadsafe(sim.start(), loop).result(30)
    try:
        yield sim
    finally:
        asyncio.run_coroutine_threadsafe(sim.stop(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def call(
    server: SimServer, method: str, path: str, body: bytes | None, content_type: str
) -> tuple[int, Any]:
    request = urllib.request.Request(server.url + path, data=body, method=method)
    request.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        text = err.read()
        try:
            return err.code, json.loads(text)
        except ValueError:
            return err.code, text.decode()


def check_store(server: SimServer) -> None:
    status, listed = call(server, "GET", HCO, None, "application/json")
    assert status == 200
    assert listed["items"] == [
        server.store.get("hco.kubevirt.io", "hyperconvergeds", "openshift-cnv", HCO_NAME)
    ]
    rdef = server.store.resource("hco.kubevirt.io", "hyperconvergeds")
    version = rdef.version(rdef.storage_version)
    assert version is not None and version.schema is not None
    assert schema.validate(listed["items"][0], version.schema) == []


def check_answer(status: int, body: Any) -> None:
    assert status in OK_CODES, body
    if status >= 400:
        assert body["kind"] == "Status" and body["code"] == status


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=st.lists(OPS, max_size=4))
def test_random_json_patches(server: SimServer, ops: list[dict[str, Any]]) -> None:
    status, body = call(server, "PATCH", HCO_PATH, json.dumps(ops).encode(), JSON_PATCH)
    check_answer(status, body)
    check_store(server)


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    patch=st.dictionaries(
        st.sampled_from(["spec", "metadata", "status", "kind", "apiVersion", "extra"]),
        JSON_VALUES,
        max_size=3,
    ),
    content_type=st.sampled_from([MERGE_PATCH, STRATEGIC]),
    subresource=st.sampled_from(["", "/status"]),
)
def test_random_merge_patches(
    server: SimServer, patch: dict[str, Any], content_type: str, subresource: str
) -> None:
    path = HCO_PATH + subresource
    status, body = call(server, "PATCH", path, json.dumps(patch).encode(), content_type)
    check_answer(status, body)
    check_store(server)


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=JSON_VALUES | st.binary(max_size=40).map(lambda b: b),
    method=st.sampled_from(["POST", "PUT"]),
    target=st.sampled_from(
        [HCO, HCO_PATH, HCO_PATH + "/status", "/api/v1/namespaces", "/api/v1/nodes/worker-0"]
    ),
)  # fmt: skip
def test_random_bodies(server: SimServer, body: Any, method: str, target: str) -> None:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    status, answer = call(server, method, target, raw, "application/json")
    check_answer(status, answer)
    check_store(server)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    segments=st.lists(st.sampled_from(SEGMENTS), max_size=7),
    query=st.sampled_from(QUERIES),
)  # fmt: skip
def test_random_paths_and_parameters(server: SimServer, segments: list[str], query: str) -> None:
    status, body = call(server, "GET", "/" + "/".join(segments) + query, None, "application/json")
    assert status in OK_CODES | {200}, body
    check_store(server)
