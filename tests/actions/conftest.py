"""The fixtures of the action tests (defined in `tests.actions.fixtures`)."""

from tests.actions.fixtures import awaiting, cluster, eus, steady

__all__ = ["awaiting", "cluster", "eus", "steady"]
