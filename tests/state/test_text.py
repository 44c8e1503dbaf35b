"""safe_text: hostile cluster strings cannot drive the terminal; human_duration."""

from __future__ import annotations

import pytest

from cnvtui.state.text import human_duration, safe_text

HOSTILE = [
    ("\x1b[2J\x1b[31mred", "␛[2J␛[31mred"),  # CSI: clear screen, colour
    ("\x1b]52;c;ZXZpbA==\x07", "␛]52;c;ZXZpbA==␇"),  # OSC 52: write the clipboard
    ("\x1b]8;;http://evil\x1b\\click\x1b]8;;\x1b\\", "␛]8;;http://evil␛\\click␛]8;;␛\\"),
    ("a\x9b31mb", "a\\x9b31mb"),  # C1 CSI
    ("\x9d0;title\x9c", "\\x9d0;title\\x9c"),  # C1 OSC ... ST
    ("line1\nline2\r", "line1␊line2␍"),
    ("bell\x07 nul\x00 del\x7f", "bell␇ nul␀ del␡"),
    ("tab\there", "tab here"),
    ("abc\u202edcba", "abc\\u202edcba"),  # right-to-left override
    ("zero\u200bwidth", "zero\\u200bwidth"),
    ("surrogate \ud800 here", "surrogate \\ud800 here"),
    ("[bold red]markup[/] stays literal", "[bold red]markup[/] stays literal"),
    ("ünïcödé ✓ 日本", "ünïcödé ✓ 日本"),
]


@pytest.mark.parametrize(("raw", "shown"), HOSTILE)
def test_control_sequences_are_made_visible(raw: str, shown: str) -> None:
    out = safe_text(raw)
    assert out == shown
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in out)
    out.encode("utf-8")  # no lone surrogates left


def test_multiline_keeps_newlines_only() -> None:
    assert safe_text("a\nb\x1b", multiline=True) == "a\nb␛"


def test_truncation_with_ellipsis() -> None:
    assert safe_text("abcdefgh", 5) == "abcd…"
    assert safe_text("abcde", 5) == "abcde"
    assert safe_text("abc", 0) == ""
    assert len(safe_text("\x1b" * 100, 10)) == 10


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, ""),
        (4.14, "4.14"),
        (3, "3"),
        (["a", "\x1b"], "['a', '\\x1b']"),
        ({"k": 1}, "{'k': 1}"),
    ],
)
def test_any_type_is_accepted(value: object, shown: str) -> None:
    assert safe_text(value) == shown


def test_a_value_whose_str_raises_does_not_raise() -> None:
    class Bad:
        def __str__(self) -> str:
            raise RuntimeError("no")

    assert safe_text(Bad()) == "<Bad>"


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (None, "-"),
        (-5, "0s"),
        (45, "45s"),
        (60, "1m"),
        (14 * 60 + 59, "14m"),
        (3900, "1h05m"),
        (90000, "1d1h"),
    ],
)
def test_human_duration(seconds: float | None, shown: str) -> None:
    assert human_duration(seconds) == shown
