"""Cluster strings made safe to print in a terminal.

Anyone who can write an annotation, a condition message or an object name can put escape
sequences in it: CSI (recolour, move the cursor, clear the screen), OSC 52 (write the user's
clipboard), OSC 8 (hyperlinks), C1 controls, or bidi overrides that reorder what is shown.
`safe_text` turns every such character into a visible stand-in, so the sequence is shown, not
obeyed. It does not escape markup: the UI renders with `rich.text.Text` / `markup=False`, and
that is the caller's job.
"""

from __future__ import annotations

__all__ = ["ELLIPSIS", "human_duration", "safe_text"]

ELLIPSIS = "…"

_BIDI_AND_SEPARATORS = (
    *range(0x200B, 0x2010),  # zero-width space/joiners, LRM, RLM
    *range(0x202A, 0x202F),  # LRE RLE PDF LRO RLO
    *range(0x2066, 0x206A),  # LRI RLI FSI PDI
    0x2028,  # line separator
    0x2029,  # paragraph separator
    0xFEFF,  # zero-width no-break space
)


def _build_table(keep_newlines: bool) -> dict[int, str]:
    table: dict[int, str] = {}
    for code in range(0x20):
        table[code] = chr(0x2400 + code)  # Control Pictures: ␀ ... ␛ ... ␟
    table[0x09] = " "
    if keep_newlines:
        del table[0x0A]
    table[0x7F] = "␡"
    for code in range(0x80, 0xA0):
        table[code] = f"\\x{code:02x}"
    for code in _BIDI_AND_SEPARATORS:
        table[code] = f"\\u{code:04x}"
    for code in range(0xD800, 0xE000):  # lone surrogates cannot be encoded for output
        table[code] = f"\\u{code:04x}"
    return table


_TABLE = _build_table(keep_newlines=False)
_TABLE_MULTILINE = _build_table(keep_newlines=True)


def safe_text(value: object, limit: int | None = None, *, multiline: bool = False) -> str:
    """`value` as a string that cannot drive the terminal.

    Any type is accepted (cluster fields are not always the type they should be): non-strings
    are converted with `str` (None becomes ""). Control characters become visible
    (ESC -> "␛", C1 -> "\\x9b", bidi controls -> "\\u202e"); newlines too unless `multiline`.
    With `limit`, the result is at most `limit` characters, ending in "…" when cut.
    """
    if value is None:
        text = ""
    elif isinstance(value, str):
        text = value
    else:
        try:
            text = str(value)
        except Exception:
            text = f"<{type(value).__name__}>"
    text = text.translate(_TABLE_MULTILINE if multiline else _TABLE)
    if limit is not None and len(text) > limit:
        if limit <= 0:
            return ""
        text = text[: limit - 1] + ELLIPSIS
    return text


def human_duration(seconds: float | None) -> str:
    """A short duration: "45s", "14m", "2h05m", "3d4h"; "-" when unknown."""
    if seconds is None:
        return "-"
    total = max(0, int(seconds))
    if total < 60:
        return f"{total}s"
    minutes, _ = divmod(total, 60)
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h{minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d{hours}h"
