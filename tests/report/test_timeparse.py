"""Durations and moments as users type them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cnvtui.report.timeparse import parse_at, parse_duration

START = datetime(2024, 5, 1, 22, 0, tzinfo=UTC).timestamp()
END = START + 4 * 3600


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90", 90), ("45s", 45), ("15m", 900), ("2h", 7200), ("1h30m", 5400), ("1d", 86400)],
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "2x", "-5m", "h"])
def test_bad_durations_say_what_is_expected(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


def test_moments_of_a_recording() -> None:
    assert parse_at("start", START, END) == START
    assert parse_at("end", START, END) == END
    assert parse_at("+10m", START, END) == START + 600
    assert parse_at("-5m", START, END) == END - 300
    assert parse_at("2024-05-01T23:30:00Z", START, END) == START + 5400
    assert parse_at("2024-05-01T23:30:00", START, END) == START + 5400
    # A clock time means the first such moment at or after the start, past midnight too.
    assert parse_at("23:15", START, END) == START + 4500
    assert parse_at("01:00:30", START, END) == START + 3 * 3600 + 30


@pytest.mark.parametrize("text", ["yesterday", "25:00", "12:61"])
def test_bad_moments(text: str) -> None:
    with pytest.raises(ValueError):
        parse_at(text, START, END)
