"""Rate and ETA of the outdated-VMI burn-down."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from cnvtui.state.burndown import rate_and_eta

T0 = 1_000_000.0


def test_steady_fall_gives_rate_and_eta() -> None:
    samples = [(T0 + 60 * i, 100 - 10 * i) for i in range(4)]  # 100, 90, 80, 70
    rate, eta = rate_and_eta(samples, 70, T0 + 180)
    assert rate == 10.0
    assert eta == 7 * 60.0


def test_a_new_update_marking_every_vmi_outdated_is_not_a_negative_rate() -> None:
    """The count jumps from 0 to 5,000 when a new version lands; the rate starts from there."""
    samples = [(T0, 0), (T0 + 60, 0), (T0 + 120, 5000)]
    rate, eta = rate_and_eta(samples, 4990, T0 + 140)
    assert rate is None and eta is None  # 20 s after the jump: too early to say
    samples += [(T0 + 180, 4990)]
    rate, eta = rate_and_eta(samples, 4980, T0 + 240)
    assert rate == 10.0 and eta == 4980 / 10 * 60


def test_nothing_moving_is_zero_without_eta() -> None:
    samples = [(T0, 50), (T0 + 300, 50)]
    assert rate_and_eta(samples, 50, T0 + 300) == (0.0, None)


@given(
    st.lists(st.tuples(st.floats(0, 3000), st.integers(0, 10_000)), min_size=1, max_size=30),
    st.integers(0, 10_000),
)
def test_rate_is_never_negative(raw: list[tuple[float, int]], count: int) -> None:
    samples = sorted((T0 + t, c) for t, c in raw)
    rate, _ = rate_and_eta(samples, count, samples[-1][0] + 1)
    assert rate is None or rate >= 0
