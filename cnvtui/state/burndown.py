"""Rate and ETA from the burn-down of the outdated-VMI count."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence

__all__ = ["MIN_SPAN", "RATE_WINDOW", "rate_and_eta"]

RATE_WINDOW = 600.0
"""The rate is measured over the last ten minutes: recent enough to follow batches."""
MIN_SPAN = 30.0
"""Below this much history the rate is not yet meaningful."""


def rate_and_eta(
    samples: Sequence[tuple[float, int]], count: int, now: float
) -> tuple[float | None, float | None]:
    """(VMIs leaving the outdated set per minute, seconds until none are left).

    `samples` are (time, count) pairs, oldest first. The rate is measured from the last peak
    of the count within the window: when a new update marks every VMI outdated at once, the
    count jumps up, and a rate taken across the jump would be negative nonsense. The ETA is
    given only while the count is falling.
    """
    if not samples:
        return None, None
    start = now - RATE_WINDOW
    index = bisect_left(samples, start, key=lambda s: s[0])
    if index > 0:
        index -= 1  # the value in force at the window start
    peak_at, peak = max(start, samples[index][0]), samples[index][1]
    for at, value in samples[index + 1 :]:
        if value > peak:
            peak_at, peak = at, value
    if count > peak:
        peak_at, peak = now, count
    span = now - peak_at
    if span < MIN_SPAN:
        return None, None
    rate = (peak - count) / (span / 60.0)
    if rate <= 0 or count == 0:
        return rate, None if count else 0.0
    return rate, count / rate * 60.0
