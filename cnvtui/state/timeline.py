"""A bounded timeline of transitions, with bursts of per-VMI events folded together.

Ten thousand VMIs becoming outdated would push every CSV and condition entry out of a capped
list, so per-VMI events go to their own list and are grouped: "37 VMIs updated" within a
10-second window is one entry. The two lists are merged by time when read.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from itertools import chain
from typing import Any

from cnvtui.state.model import Severity, TimelineEntry

__all__ = ["GROUP_WINDOW", "Timeline"]

GROUP_WINDOW = 10.0


@dataclass(slots=True)
class _Group:
    kind: str
    start: float
    count: int
    last_object: str
    singular: str
    plural: str
    severity: Severity

    def entry(self) -> TimelineEntry:
        if self.count == 1:
            text = self.singular.format(self.last_object)
            return TimelineEntry(self.start, self.kind, self.last_object, text, self.severity)
        text = self.plural.format(self.count, self.last_object)
        return TimelineEntry(self.start, self.kind, self.last_object, text, self.severity)


class Timeline:
    """Transitions oldest first; `version` changes whenever `entries()` would."""

    def __init__(self, cap: int = 2000) -> None:
        self.cap = cap
        self._major: deque[TimelineEntry] = deque(maxlen=cap)
        self._bulk: deque[TimelineEntry] = deque(maxlen=cap)
        self._open: dict[str, _Group] = {}
        self.version = 0
        self._cached: tuple[int, tuple[TimelineEntry, ...]] = (-1, ())

    def add(
        self, at: float, kind: str, obj: str, text: str, severity: Severity = Severity.INFO
    ) -> None:
        """Record one transition."""
        self._major.append(TimelineEntry(at, kind, obj, text, severity))
        self.version += 1

    def add_grouped(
        self,
        tag: str,
        at: float,
        kind: str,
        obj: str,
        *,
        singular: str,
        plural: str,
        severity: Severity = Severity.INFO,
    ) -> None:
        """Record a per-object event that folds into a group with the same `tag`.

        `singular` is formatted with the object, `plural` with (count, last object).
        """
        group = self._open.get(tag)
        if group is not None and at - group.start <= GROUP_WINDOW and at >= group.start:
            group.count += 1
            group.last_object = obj
        else:
            if group is not None:
                self._bulk.append(group.entry())
            self._open[tag] = _Group(kind, at, 1, obj, singular, plural, severity)
        self.version += 1

    def entries(self) -> tuple[TimelineEntry, ...]:
        """All entries by time, oldest first: at most `cap` major ones plus `cap` grouped."""
        version, cached = self._cached
        if version == self.version:
            return cached
        groups = (g.entry() for g in self._open.values())
        # Entries of the same second from different watches have no order of their own:
        # kind and object decide, not which stream's event happened to arrive first.
        result = tuple(sorted(chain(self._major, self._bulk, groups), key=_order))
        self._cached = (self.version, result)
        return result

    def to_json(self) -> list[dict[str, Any]]:
        """The entries as JSON-able dicts (see `from_json`)."""
        return [
            {
                "at": e.at,
                "kind": e.kind,
                "object": e.object,
                "text": e.text,
                "severity": e.severity.value,
            }
            for e in self.entries()
        ]

    @classmethod
    def from_json(cls, data: object, cap: int = 2000) -> Timeline:
        """Rebuild from `to_json` output; malformed entries are skipped."""
        timeline = cls(cap)
        if not isinstance(data, list):
            return timeline
        for raw in data:
            if not isinstance(raw, dict):
                continue
            at = raw.get("at")
            if not isinstance(at, int | float) or isinstance(at, bool):
                continue
            try:
                severity = Severity(str(raw.get("severity")))
            except ValueError:
                severity = Severity.INFO
            timeline._major.append(
                TimelineEntry(
                    float(at),
                    str(raw.get("kind", "")),
                    str(raw.get("object", "")),
                    str(raw.get("text", "")),
                    severity,
                )
            )
        timeline.version += 1
        return timeline


def _order(entry: TimelineEntry) -> tuple[float, str, str, str]:
    return entry.at, entry.kind, entry.object, entry.text
