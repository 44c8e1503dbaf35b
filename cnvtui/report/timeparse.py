"""Durations (`--timeout 2h`) and moments of a recording (`--at 10:03`) as the user types them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

__all__ = ["parse_at", "parse_duration"]

_DURATION = re.compile(
    r"(?:(\d+(?:\.\d+)?)d)?(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?"
)
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}(?:\.\d+)?))?")


def parse_duration(text: str) -> float:
    """Seconds from "90", "45s", "15m", "2h", "1h30m", "1d" (ValueError if malformed)."""
    value = text.strip().lower()
    try:
        seconds = float(value)
    except ValueError:
        match = _DURATION.fullmatch(value)
        if not value or match is None or not any(match.groups()):
            raise ValueError(f"not a duration: {text!r} (use e.g. 90s, 15m, 2h, 1h30m)") from None
        days, hours, minutes, secs = (float(g) if g else 0.0 for g in match.groups())
        seconds = days * 86400 + hours * 3600 + minutes * 60 + secs
    if seconds < 0:
        raise ValueError(f"not a duration: {text!r} (negative)")
    return seconds


def parse_at(text: str, start: float, end: float) -> float:
    """A moment within a recording that spans `start`..`end` (epoch seconds).

    Accepted: "start", "end", an RFC 3339 time ("2024-05-01T10:03:00Z"; without an offset it
    is UTC), a UTC clock time "10:03" or "10:03:30" (the first such moment at or after the
    recording's start), "+10m" (after the start), "-5m" (before the end), or epoch seconds.
    ValueError if malformed; the result is not clamped.
    """
    value = text.strip()
    lowered = value.lower()
    if lowered in ("start", "begin", "first"):
        return start
    if lowered in ("end", "last", "now"):
        return end
    if value.startswith("+"):
        return start + parse_duration(value[1:])
    if value.startswith("-"):
        return end - parse_duration(value[1:])
    clock = _CLOCK.fullmatch(value)
    if clock is not None:
        hours, minutes = int(clock.group(1)), int(clock.group(2))
        seconds = float(clock.group(3) or 0)
        if hours > 23 or minutes > 59 or seconds >= 60:
            raise ValueError(f"not a time of day: {text!r}")
        day = datetime.fromtimestamp(start, UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        moment = day + timedelta(hours=hours, minutes=minutes, seconds=seconds)
        if moment.timestamp() < start:
            moment += timedelta(days=1)
        return moment.timestamp()
    try:
        return float(value)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"not a moment: {text!r} (use start, end, 10:03, +10m, -5m or 2024-05-01T10:03:00Z)"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()
