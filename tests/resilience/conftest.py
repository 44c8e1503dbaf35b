"""The dashboard tests' environment (UTC, no animations) for the resilience tests too."""

from tests.ui.conftest import _utc_and_no_animation

__all__ = ["_utc_and_no_animation"]
