"""`status --watch`: one line per meaningful change, for a second terminal or a log file.

Meaningful: the verdict, CSV phases, HCO conditions, install plans, Subscription state,
versions, pools, workload update methods, watch states and the set of problems. These print
at once. Counts (outdated and running VMIs, migrations) change with nearly every VMI event
during an update, so a change of counts alone prints at most once per `min_interval`, and the
latest counts win. Events that change none of this (most VMI updates) print nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from cnvtui.state.model import UpdatePicture
from cnvtui.state.text import safe_text

__all__ = ["Facts", "Watcher", "describe_changes", "facts_of", "problem_key"]

_QUANTITY = re.compile(r"(?<![\w./-])\d+(?:\.\d+)*(?:[a-zA-Zµ]{1,3}\d*)*(?![\w-])")
"""A count, an age or a duration standing on its own ("5 migrations", "pending 16m",
"1h30m"), not digits inside a name (vm-1, worker-0, install-abc12)."""


@dataclass(frozen=True, slots=True)
class Facts:
    """What a --watch line reports on, by label."""

    shape: dict[str, str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)
    """Problems keyed by their text with quantities blanked, so a growing age is not news
    while a second VMI with the same trouble is."""


def problem_key(text: str) -> str:
    """What identifies a problem from one picture to the next: its text, quantities blanked."""
    return _QUANTITY.sub("#", text)


def facts_of(picture: UpdatePicture) -> Facts:
    """The facts of `picture` that --watch compares."""
    p = picture
    shape: dict[str, str] = {"verdict": p.verdict.value}
    c = p.cluster
    if c.cnv_version:
        shape["CNV version"] = c.cnv_version
    if c.openshift_version:
        shape["OpenShift version"] = c.openshift_version
    if c.openshift_update is not None:
        shape["OpenShift update"] = f"to {c.openshift_update.to_version}"
    if c.subscription is not None:
        shape["subscription"] = c.subscription.state or "-"
    for pool in c.pools:
        flags = [
            flag
            for flag, on in (
                ("paused", pool.paused),
                ("updating", pool.updating),
                ("degraded", pool.degraded),
            )
            if on
        ]
        shape[f"pool {pool.name}"] = ", ".join(flags) or "ok"
    for csv in p.csvs:
        shape[f"CSV {csv.name}"] = csv.phase or "-"
    if p.hco is not None:
        for cond in p.hco.conditions:
            shape[f"HCO {cond.type}"] = cond.status
    for plan in p.install_plans:
        approved = "approved" if plan.approved else "not approved"
        shape[f"install plan {plan.name}"] = f"{plan.phase or '-'}, {approved}"
    shape["workloadUpdateMethods"] = "[" + ", ".join(p.workload_strategy.methods) + "]"
    for stream in p.streams:
        shape[f"watch {stream.kind}"] = stream.state.value
    m = p.migrations
    counts = {
        "outdated VMIs": p.outdated.count,
        "running VMIs": p.outdated.running_total,
        "never-updating VMIs": p.outdated.never_updates_count,
        "migrations running": m.running,
        "migrations pending": m.pending,
        "migrations failed": m.failed,
    }
    problems = {problem_key(text): text for text in p.problems}
    return Facts(shape, counts, problems)


def describe_changes(old: Facts, new: Facts) -> tuple[list[str], list[str]]:
    """(changes of shape or problems, changes of counts), as short phrases."""
    shape: list[str] = []
    for label, value in new.shape.items():
        before = old.shape.get(label)
        if before is None:
            shape.append(f"{label}: {value}")
        elif before != value:
            shape.append(f"{label}: {before} → {value}")
    shape += [f"{label} gone" for label in old.shape if label not in new.shape]
    shape += [f"problem: {text}" for key, text in new.problems.items() if key not in old.problems]
    shape += [f"resolved: {text}" for key, text in old.problems.items() if key not in new.problems]
    counts = [
        f"{label} {old.counts.get(label, 0)} → {value}"
        for label, value in new.counts.items()
        if old.counts.get(label, 0) != value
    ]
    return shape, counts


class Watcher:
    """Decides, picture by picture, whether to print a line and what changed."""

    def __init__(self, min_interval: float = 5.0) -> None:
        self.min_interval = min_interval
        self._printed: Facts | None = None
        self._printed_at = float("-inf")

    def observe(self, picture: UpdatePicture) -> list[str] | None:
        """The changes to print now ([] for the first line), or None to print nothing."""
        current = facts_of(picture)
        previous = self._printed
        if previous is None:
            self._printed, self._printed_at = current, picture.now
            return []
        shape, counts = describe_changes(previous, current)
        if not shape and not counts:
            return None
        if not shape and picture.now - self._printed_at < self.min_interval:
            return None
        self._printed, self._printed_at = current, picture.now
        return shape + counts


def text_line(stamp: str, picture: UpdatePicture, changes: list[str]) -> str:
    """`2024-05-01T10:00:00Z  Verdict: reason  [change; change]` (safe for a terminal)."""
    line = f"{stamp}  {safe_text(picture.headline, 300)}"
    if changes:
        line += "  [" + "; ".join(safe_text(c, 200) for c in changes) + "]"
    return line
