"""Throughput of the store and the picture at 10,000 VMIs. Reports numbers; asserts results only.

The goal is 50,000 VMI MODIFIED events a second through `Store.apply`, and a picture cheap
enough to build a few times a second. Run with `-s` to see the figures.
"""

from __future__ import annotations

import time

import pytest

from cnvtui.kube.events import ObjectChange
from cnvtui.state.picture import build_picture
from cnvtui.state.store import Store

from . import T0, change, csv, hco, kubevirt, vmi

N_VMIS = 10_000
N_EVENTS = 60_000


def test_vmi_event_throughput_and_picture_cost(capsys: pytest.CaptureFixture[str]) -> None:
    store = Store()
    store.apply(change("hco", hco()))
    store.apply(change("kubevirt", kubevirt(["LiveMigrate"])))
    store.apply(change("csv", csv("4.14.3")))
    base = [
        vmi(f"vm-{i:05d}", f"ns-{i % 50}", outdated=True, node=f"w{i % 20}") for i in range(N_VMIS)
    ]
    store.apply_all(change("vmi", obj) for obj in base)
    fresh = [vmi(f"vm-{i:05d}", f"ns-{i % 50}", node=f"w{(i + 1) % 20}") for i in range(N_VMIS)]
    # Churn: status updates that leave the counted facts alone (most events in an update).
    churn = [
        ObjectChange("vmi", "MODIFIED", base[n % N_VMIS], T0 + n / 1000) for n in range(N_EVENTS)
    ]
    # Flips: every event moves a VMI in or out of the outdated set (the worst case).
    flips = [
        ObjectChange(
            "vmi",
            "MODIFIED",
            (fresh if (n // N_VMIS) % 2 == 0 else base)[n % N_VMIS],
            T0 + 100 + n / 1000,
        )
        for n in range(N_EVENTS)
    ]
    rates = []
    for events in (churn, flips):
        start = time.perf_counter()
        for event in events:
            store.apply(event)
        rates.append(N_EVENTS / (time.perf_counter() - start))

    pic_start = time.perf_counter()
    builds = 5
    for k in range(builds):
        store.apply(flips[k])  # something changed each time, as in a live update
        picture = build_picture(store, T0 + 100 + k)
        picture.outdated.rows[0:40]
    pic_elapsed = (time.perf_counter() - pic_start) / builds

    assert store.n_outdated == picture.outdated.count
    assert picture.outdated.running_total == N_VMIS
    with capsys.disabled():
        print(
            f"\n[state throughput] VMI MODIFIED events/s: {rates[0]:,.0f} (churn), "
            f"{rates[1]:,.0f} (every event flips outdated); build_picture with "
            f"{N_VMIS:,} VMIs and a 40-row window: {pic_elapsed * 1000:.1f} ms"
        )
