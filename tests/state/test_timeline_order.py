"""The timeline's order does not depend on which watch delivered first."""

from __future__ import annotations

from itertools import permutations

from cnvtui.state.timeline import Timeline

SAME_SECOND = [
    (100.0, "installplan", "install-q7x2m", "install plan install-q7x2m created"),
    (100.0, "csv", "kubevirt-hyperconverged-operator.v4.14.3", "CSV seen in phase Succeeded"),
    (100.0, "installplan", "install-8wsdd", "install plan install-8wsdd created"),
    (90.0, "hco", "kubevirt-hyperconverged", "HCO Available: True"),
]


def test_entries_of_one_second_come_in_the_same_order_whatever_arrived_first() -> None:
    orders = set()
    for arrival in permutations(SAME_SECOND):
        timeline = Timeline()
        for at, kind, obj, text in arrival:
            timeline.add(at, kind, obj, text)
        orders.add(tuple((e.kind, e.object) for e in timeline.entries()))
    assert orders == {
        (
            ("hco", "kubevirt-hyperconverged"),
            ("csv", "kubevirt-hyperconverged-operator.v4.14.3"),
            ("installplan", "install-8wsdd"),
            ("installplan", "install-q7x2m"),
        )
    }
