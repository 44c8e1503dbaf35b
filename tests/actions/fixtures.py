"""The cluster fixtures the action tests and the dashboard's action tests share.

`cluster` is the factory of `tests.actions.cluster`; `steady` and `awaiting` start the
scenarios most of those tests begin with. The `conftest.py` of each directory imports them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.actions.cluster import Awaiting, Cluster, ClusterFactory, awaiting_approval, clusters

__all__ = ["awaiting", "cluster", "eus", "steady"]


@pytest.fixture
async def cluster(tmp_path: Path) -> AsyncIterator[ClusterFactory]:
    async with clusters(tmp_path) as start:
        yield start


@pytest.fixture
async def steady(cluster: ClusterFactory) -> Cluster:
    """The "steady" scenario: a healthy cluster at rest."""
    return await cluster("steady")


@pytest.fixture
async def eus(cluster: ClusterFactory) -> Cluster:
    """The "eus" scenario: EUS-to-EUS 4.12 -> 4.14, OpenShift updates on offer."""
    return await cluster("eus")


@pytest.fixture
async def awaiting(cluster: ClusterFactory) -> Awaiting:
    """A Manual-approval cluster, advanced until its new install plan waits for approval."""
    return await awaiting_approval(cluster)
