"""The projection's fast path (msgspec parsing only the kept fields) gives exactly what
parsing the whole document and cutting it down gives, for well-formed VMIs and for any
odd JSON a server might send; what it cannot take it hands back to the slow path."""

from __future__ import annotations

import json
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from cnvtui.kube.projection import Projection
from cnvtui.state.slim import VMI_PROJECTION
from tests.state.test_slim import varied_vmis

P = VMI_PROJECTION

scalars = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.text(max_size=8)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=12,
)
keys = st.sampled_from(["metadata", "spec", "status", "kind", "apiVersion", "extra"])
subkeys = st.sampled_from(["name", "labels", "phase", "conditions", "nodeName", "domain", "uid"])
odd_objects = st.dictionaries(
    keys, st.dictionaries(subkeys, values, max_size=4) | values, max_size=6
)


def _by_hand(obj: dict[str, Any]) -> dict[str, Any]:
    """What the VMI projection keeps, written out independently of `Projection.apply`."""
    out: dict[str, Any] = {k: obj[k] for k in ("apiVersion", "kind") if k in obj}
    wanted = {
        "metadata": (
            "name",
            "namespace",
            "uid",
            "resourceVersion",
            "generation",
            "creationTimestamp",
            "deletionTimestamp",
            "labels",
        ),
        "spec": ("evictionStrategy",),
        "status": ("phase", "nodeName", "conditions"),
    }
    for part, names in wanted.items():
        if isinstance(obj.get(part), dict):
            out[part] = {k: obj[part][k] for k in names if k in obj[part]}
    return out


def _page(items: list[Any]) -> bytes:
    return json.dumps({"metadata": {"continue": "t"}, "items": items}).encode()


def test_real_vmis_take_the_fast_path_and_keep_exactly_the_read_fields() -> None:
    vmis = varied_vmis()
    good = [v for v in vmis if all(isinstance(v.get(p, {}), dict) for p in ("spec", "status"))]
    assert 5 < len(good) < len(vmis)  # the odd ones have a spec or status that is no object
    page = P.decode_page(_page(good))
    assert page is not None
    assert page["metadata"] == {"continue": "t"}
    assert page["items"] == [_by_hand(v) for v in good] == [P.apply(v) for v in good]
    for vmi in good:
        event = P.decode_event(json.dumps({"type": "MODIFIED", "object": vmi}).encode())
        assert event == {"type": "MODIFIED", "object": _by_hand(vmi)}
    assert P.decode_page(_page(vmis)) is None  # one odd item: the page goes the slow way
    assert [P.apply(v) for v in vmis] == [_by_hand(v) for v in vmis]


@settings(max_examples=300, deadline=None)
@given(st.lists(odd_objects, max_size=4))
def test_any_json_gives_the_slow_paths_answer_or_none(items: list[dict[str, Any]]) -> None:
    body = _page(items)
    fast = P.decode_page(body)
    if fast is not None:
        assert fast["items"] == [_by_hand(o) for o in orjson.loads(body)["items"]]
    for obj in items:
        line = json.dumps({"type": "ADDED", "object": obj}).encode()
        event = P.decode_event(line)
        if event is not None:
            assert event["object"] == _by_hand(obj) == P.apply(obj)
    assert [P.apply(o) for o in items] == [_by_hand(o) for o in items]


def test_what_the_fast_path_refuses_goes_back_whole() -> None:
    status = {"kind": "Status", "code": 410, "reason": "Expired", "message": "too old"}
    assert P.decode_event(json.dumps({"type": "ERROR", "object": status}).encode()) is None
    assert P.decode_page(_page([{"metadata": "not an object"}])) is None
    assert P.decode_page(b'{"items": [1]}') is None
    assert P.decode_page(b"not json") is None
    assert P.decode_event(b'{"type": "ADDED", "object": {"status": []}}') is None


def test_identity_is_always_kept() -> None:
    tiny = Projection("T", {"metadata": ("labels",)})
    identity = {"name": "a", "namespace": "n", "uid": "u", "resourceVersion": "7"}
    want = {"metadata": {**identity, "labels": {"x": "y"}}}
    obj = {"metadata": {**want["metadata"], "annotations": {"big": "z"}}, "status": {}}
    assert tiny.apply(obj) == want
    assert tiny.decode_event(json.dumps({"type": "ADDED", "object": obj}).encode()) == {
        "type": "ADDED",
        "object": want,
    }
    assert tiny.is_applied(want) and not tiny.is_applied(obj)
