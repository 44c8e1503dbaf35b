"""Timeline panel: every transition cnvtui saw, newest first, time-stamped and scrollable."""

from __future__ import annotations

from collections import Counter

from rich.text import Text
from textual.app import ComposeResult
from textual.widget import Widget

from cnvtui.kube.resources import BY_KEY
from cnvtui.state.model import TimelineEntry, UpdatePicture
from cnvtui.ui import render as r
from cnvtui.ui.widgets.keyed_table import KeyedTable, Row
from cnvtui.ui.widgets.panel import Panel

SHOWN = 500
"""Newest entries kept in the table; the store keeps (and `status` can print) more."""

COLUMNS = (
    ("time", "TIME"),
    ("mark", ""),
    ("kind", "KIND"),
    ("object", "OBJECT"),
    ("text", "WHAT HAPPENED"),
)


class TimelinePanel(Panel):
    """The record of the update; entries keep their keys, so only new ones are added."""

    TITLE = "Timeline"
    TAB = "Timeline"

    def __init__(self) -> None:
        super().__init__(id="timeline")
        self._shown: tuple[TimelineEntry, ...] | None = None

    def compose(self) -> ComposeResult:
        yield KeyedTable(COLUMNS, id="timeline-table")

    @property
    def focus_target(self) -> Widget:
        return self.query_one(KeyedTable)

    def show(self, picture: UpdatePicture) -> None:
        if _same(picture.timeline, self._shown):
            return
        self._shown = picture.timeline
        seen: Counter[str] = Counter()
        rows: list[Row] = []
        entries = sorted(picture.timeline[-SHOWN:], key=_order)
        namespace = picture.cluster.hco_namespace
        for entry in entries:
            base = self._key(entry, namespace)
            seen[base] += 1
            rows.append((f"{base}#{seen[base]}", self._cells(entry, picture.now)))
        rows.reverse()
        self.query_one(KeyedTable).sync(rows)

    @staticmethod
    def _key(entry: TimelineEntry, hco_namespace: str) -> str:
        """`kind/namespace/name` when the entry names an object (enter opens it), plus the time
        and text so that the key is stable while the entry is kept. Objects of the HCO
        namespace are named without it, so it is put back for namespaced kinds."""
        namespace, _, name = entry.object.rpartition("/")
        kind = BY_KEY.get(entry.kind)
        if not namespace and kind is not None and kind.namespaced:
            namespace = hco_namespace
        return f"{entry.kind}/{namespace}/{name}#{entry.at!r}|{entry.text}"

    @staticmethod
    def _cells(entry: TimelineEntry, now: float) -> list[Text | str]:
        style = r.SEVERITY_STYLES[entry.severity]
        return [
            Text(r.stamp(entry.at, now), r.DIM),
            Text(r.SEVERITY_MARKS[entry.severity], style),
            r.lit(entry.kind, r.DIM),
            r.lit(entry.object),
            r.lit(entry.text, style, limit=200),
        ]


def _order(entry: TimelineEntry) -> tuple[float, str, str, str]:
    """By time; entries of the same instant (a first list of many kinds) in a fixed order
    rather than in the order the streams happened to answer."""
    return (entry.at, entry.kind, entry.object, entry.text)


def _same(new: tuple[TimelineEntry, ...], old: tuple[TimelineEntry, ...] | None) -> bool:
    """Cheap "nothing new": entries are immutable and kept by the store, so the same first
    and last objects and length mean the same timeline."""
    if old is None or len(new) != len(old):
        return False
    return not new or (new[0] is old[0] and new[-1] is old[-1])
