"""Every dashboard test runs in UTC (clock times on screen are local) without animations.

The action tests here share the simulated clusters of `tests.actions` (`cluster`, `steady`,
`awaiting`; see `tests.actions.fixtures`).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.actions.fixtures import awaiting, cluster, steady

__all__ = ["awaiting", "cluster", "steady"]


@pytest.fixture(autouse=True)
def _utc_and_no_animation(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    monkeypatch.setenv("TEXTUAL_ANIMATIONS", "none")
    monkeypatch.delenv("NO_COLOR", raising=False)
    yield
    monkeypatch.undo()
    time.tzset()
