"""Random event sequences never raise, and the incremental counts equal a recount."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cnvtui.kube.events import ChangeType, KubeEvent, ObjectChange, StreamState, StreamStatus
from cnvtui.state.picture import build_picture
from cnvtui.state.serialize import to_json
from cnvtui.state.store import Store

from . import OUTDATED_LABEL, T0, csv, hco, installplan, subscription, vmim

CHANGE_TYPES: list[ChangeType] = ["ADDED", "MODIFIED", "DELETED"]
junk = st.one_of(st.none(), st.integers(), st.text(max_size=3), st.lists(st.integers(), max_size=2))


@st.composite
def vmi_objects(draw: st.DrawFn) -> dict[str, Any]:
    labels: Any = {OUTDATED_LABEL: ""} if draw(st.booleans()) else {}
    if draw(st.integers(0, 9)) == 0:
        labels = draw(junk)
    status: dict[str, Any] = {
        "phase": draw(st.sampled_from(["Running", "Scheduling", "Succeeded", "Failed", 7])),
        "conditions": [
            {"type": "LiveMigratable", "status": draw(st.sampled_from(["True", "False", True]))}
        ],
    }
    obj: dict[str, Any] = {
        "metadata": {
            "name": draw(st.sampled_from(["a", "b", "c", "d", "e"])),
            "namespace": draw(st.sampled_from(["x", "y"])),
            "labels": labels,
        },
        "spec": {"evictionStrategy": draw(st.sampled_from(["LiveMigrate", "None", None]))},
        "status": status if draw(st.integers(0, 9)) else draw(junk),
    }
    return obj


def other_objects() -> st.SearchStrategy[tuple[str, dict[str, Any]]]:
    return st.one_of(
        st.tuples(
            st.just("csv"),
            st.builds(
                csv,
                st.sampled_from(["4.14.3", "4.14.4"]),
                st.sampled_from(["Pending", "Installing", "Succeeded", "Replacing", "Failed"]),
            ),
        ),
        st.tuples(
            st.just("hco"),
            st.builds(
                hco,
                st.sampled_from(["4.14.3", "4.14.4"]),
                st.dictionaries(
                    st.sampled_from(["Degraded", "Progressing", "Upgradeable"]),
                    st.sampled_from(["True", "False"]),
                ),
                st.sampled_from([None, [], ["LiveMigrate"], ["LiveMigrate", "Evict"]]),
            ),
        ),
        st.tuples(
            st.just("installplan"),
            st.builds(
                installplan,
                st.sampled_from(["install-a", "install-b"]),
                st.just("4.14.4"),
                st.sampled_from(["RequiresApproval", "Installing", "Complete", "Failed"]),
                st.booleans(),
            ),
        ),
        st.tuples(
            st.just("subscription"),
            st.builds(subscription, plan=st.sampled_from(["", "install-a", "install-b"])),
        ),
        st.tuples(
            st.just("vmim"),
            st.builds(
                vmim,
                st.sampled_from(["m1", "m2", "m3"]),
                st.sampled_from(["a", "b"]),
                st.sampled_from(["Pending", "Scheduling", "Running", "Succeeded", "Failed"]),
                st.sampled_from(["x", "y"]),
            ),
        ),
    )


@st.composite
def events(draw: st.DrawFn) -> list[KubeEvent]:
    out: list[KubeEvent] = []
    at = T0
    for _ in range(draw(st.integers(0, 60))):
        at += draw(st.floats(0, 30))
        choice = draw(st.integers(0, 9))
        kind_type: ChangeType = draw(st.sampled_from(CHANGE_TYPES))
        if choice < 6:
            out.append(ObjectChange("vmi", kind_type, draw(vmi_objects()), at))
        elif choice < 9:
            kind, obj = draw(other_objects())
            out.append(ObjectChange(kind, kind_type, obj, at))
        else:
            state = draw(st.sampled_from(list(StreamState)))
            out.append(StreamStatus(draw(st.sampled_from(["vmi", "csv"])), state, at, at - 1))
    return out


def recount(store: Store) -> tuple[int, int, int]:
    outdated = running = both = 0
    for obj in store.objects("vmi").values():
        labels = obj["metadata"].get("labels")
        is_outdated = isinstance(labels, dict) and OUTDATED_LABEL in labels
        status = obj.get("status")
        is_running = isinstance(status, dict) and status.get("phase") == "Running"
        outdated += is_outdated
        running += is_running
        both += is_outdated and is_running
    return outdated, running, both


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events())
def test_random_events_never_raise_and_counts_match_a_recount(seq: list[KubeEvent]) -> None:
    store = Store()
    for i, event in enumerate(seq):
        store.apply(event)
        if i % 7 == 0:
            build_picture(store, event.at if isinstance(event, ObjectChange) else event.since)
    assert (store.n_outdated, store.n_running, store.n_outdated_running) == recount(store)
    now = T0 + 10_000
    picture = build_picture(store, now)
    assert picture.outdated.count == len(picture.outdated.rows) == store.n_outdated
    assert 0.0 <= picture.outdated.progress <= 1.0
    data = to_json(picture)
    json.dumps(data)
    restored = Store.restore(json.loads(json.dumps(store.snapshot())))
    assert recount(restored) == recount(store)
    assert to_json(build_picture(restored, now)) == data
