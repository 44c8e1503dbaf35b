"""Small formatters shared by the panels: durations, clock times, coloured phases.

Every string that came from the cluster goes through `lit`, which makes control characters
visible and builds a `rich.text.Text` directly, so markup in it is never interpreted. Colour is
never the only signal: unhealthy things also get a marker character, so NO_COLOR and
monochrome terminals still show them.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence

from rich.text import Text

from cnvtui.state.model import Severity, Verdict
from cnvtui.state.text import safe_text

OK = "green"
WARN = "yellow"
BAD = "bold red"
BUSY = "cyan"
DIM = "dim"

_CSV_PHASE_STYLES = {
    "Succeeded": OK,
    "Failed": BAD,
    "Replacing": DIM,
    "Deleting": DIM,
    "Pending": BUSY,
    "InstallReady": BUSY,
    "Installing": BUSY,
    "Unknown": WARN,
}

_PLAN_PHASE_STYLES = {
    "Complete": OK,
    "Failed": BAD,
    "RequiresApproval": "bold yellow",
    "Installing": BUSY,
    "Planning": BUSY,
}

_MIGRATION_PHASE_STYLES = {
    "Succeeded": OK,
    "Failed": BAD,
    "Running": BUSY,
    "Pending": WARN,
    "Scheduling": WARN,
}

VERDICT_STYLES = {
    Verdict.IDLE: "bold reverse",
    Verdict.DONE: "bold reverse green",
    Verdict.UPDATING: "bold reverse cyan",
    Verdict.MIGRATING: "bold reverse cyan",
    Verdict.WAITING_FOR_APPROVAL: "bold reverse yellow",
    Verdict.STUCK: "bold reverse red",
    Verdict.DEGRADED: "bold reverse red",
}

SEVERITY_STYLES = {
    Severity.INFO: "",
    Severity.OK: OK,
    Severity.WARNING: WARN,
    Severity.ERROR: BAD,
}

SEVERITY_MARKS = {
    Severity.INFO: " ",
    Severity.OK: "✓",
    Severity.WARNING: "!",
    Severity.ERROR: "✗",
}


def lit(value: object, style: str = "", *, limit: int | None = None) -> Text:
    """Cluster text shown literally: control characters made visible, no markup."""
    if value is None:
        return Text("", style=style)
    return Text(safe_text(str(value), limit=limit), style=style, no_wrap=True, end="")


def duration(seconds: float | None) -> str:
    """A compact human duration like `kubectl get` prints: 45s, 3m12s, 2h05m, 3d4h."""
    if seconds is None:
        return "-"
    s = max(0, int(seconds))
    if s < 60:
        return f"{s}s"
    minutes, s = divmod(s, 60)
    if minutes < 60:
        return f"{minutes}m{s:02d}s" if minutes < 10 else f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h{minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d{hours}h" if days < 10 else f"{days}d"


def coarse(seconds: float | None) -> str:
    """A duration to the minute (`<1m`, `14m`, `2h05m`): for big tables, where a column that
    ticks every second would redraw every row every second."""
    if seconds is None:
        return "-"
    if seconds < 60:
        return "<1m"
    if seconds < 600:
        return f"{int(seconds // 60)}m"
    return duration(seconds)


def since(at: float | None, now: float) -> str:
    """How long ago `at` was, to the minute: an age that ticks every second redraws its row
    every second, which a slow link pays for and nobody reads."""
    return "-" if at is None else coarse(now - at)


def clock(at: float | None) -> str:
    """Local wall-clock time of an epoch timestamp."""
    if at is None:
        return "--:--:--"
    return time.strftime("%H:%M:%S", time.localtime(at))


def minute(at: float | None) -> str:
    """Local wall-clock time to the minute: the header's clock, which then changes once a
    minute instead of every second."""
    if at is None:
        return "--:--"
    return time.strftime("%H:%M", time.localtime(at))


def stamp(at: float | None, now: float) -> str:
    """A clock time, with the date when it is not within the last day (a phase history can
    span weeks, and a bare 09:31 from last month reads as this morning)."""
    if at is None or abs(now - at) < 20 * 3600:
        return clock(at)
    return time.strftime("%b %d %H:%M", time.localtime(at))


def csv_phase(phase: str) -> Text:
    return lit(phase or "-", _CSV_PHASE_STYLES.get(phase, WARN))


def plan_phase(phase: str) -> Text:
    return lit(phase or "-", _PLAN_PHASE_STYLES.get(phase, ""))


def migration_phase(phase: str) -> Text:
    return lit(phase or "-", _MIGRATION_PHASE_STYLES.get(phase, BUSY))


def flag(ok: bool | None, yes: str = "yes", no: str = "no", unknown: str = "?") -> Text:
    """A yes/no cell: the bad answer in red with a marker, unknown dimmed."""
    if ok is None:
        return Text(unknown, style=DIM)
    return Text(yes, style=OK) if ok else Text(f"✗ {no}", style=BAD)


def bar(fraction: float, width: int = 20) -> Text:
    """A text progress bar that survives 16-colour and monochrome terminals."""
    fraction = min(1.0, max(0.0, fraction))
    filled = round(fraction * width)
    text = Text()
    text.append("█" * filled, style=OK)
    text.append("░" * (width - filled), style=DIM)
    text.append(f" {fraction:4.0%}")
    return text


def joined(parts: Iterable[Text | str], separator: str = " · ") -> Text:
    """Join non-empty parts with a dim separator."""
    out = Text(end="")
    first = True
    for part in parts:
        if not part:
            continue
        if not first:
            out.append(separator, style=DIM)
        out.append(part)
        first = False
    return out


_BLOCKS = " ▁▂▃▄▅▆▇█"


def resample(series: Sequence[tuple[float, int]], width: int) -> list[float]:
    """`width` values from (time, value) samples, evenly spaced in time (step-wise)."""
    if not series or width <= 0:
        return []
    start, end = series[0][0], series[-1][0]
    if end <= start:
        return [float(series[-1][1])] * width
    out: list[float] = []
    index = 0
    for column in range(width):
        t = start + (end - start) * column / max(1, width - 1)
        while index + 1 < len(series) and series[index + 1][0] <= t:
            index += 1
        out.append(float(series[index][1]))
    return out


def spark(values: Sequence[float], *, height: int = 2, top: float | None = None) -> Text:
    """A block-character chart anchored at zero (unlike a min-max sparkline, a burn-down from
    400 to 390 must look nearly full, not empty)."""
    peak = top if top is not None else max(values, default=0.0)
    levels = height * 8
    scaled = [0 if peak <= 0 else round(min(v, peak) / peak * levels) for v in values]
    text = Text(end="")
    for line in range(height - 1, -1, -1):
        row = "".join(_BLOCKS[max(0, min(8, s - line * 8))] for s in scaled)
        text.append(row, BUSY)
        if line:
            text.append("\n")
    return text
