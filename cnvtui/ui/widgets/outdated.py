"""Outdated VMIs panel: progress, a burn-down, rate and ETA, and a filterable, windowed list.

With 10,000 VMIs the list is windowed: the table holds one page of the (filtered) rows, which
the state layer builds lazily, so a refresh costs a page, not the whole set.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widget import Widget
from textual.widgets import Input

from cnvtui.state.model import OutdatedPicture, OutdatedVmiRow, Rows, UpdatePicture, Verdict
from cnvtui.ui import render as r
from cnvtui.ui.widgets.keyed_table import KeyedTable, Row
from cnvtui.ui.widgets.panel import ObjectRef, Panel
from cnvtui.ui.widgets.quiet import QuietStatic

PAGE = 100

COLUMNS = (
    ("namespace", "NAMESPACE"),
    ("name", "NAME"),
    ("note", "UPDATES?"),
    ("migratable", "MIGRATABLE"),
    ("node", "NODE"),
    ("eviction", "EVICTION"),
    ("age", "AGE"),
    ("outdated", "OUTDATED FOR"),
    ("why", "WHY NEVER"),
)


class OutdatedPanel(Panel):
    """VMIs labelled `kubevirt.io/outdatedLauncherImage`: how many, how fast, which ones."""

    TITLE = "Outdated VMIs"
    TAB = "VMIs"
    KINDS = ("vmi",)

    BINDINGS = [
        Binding("slash", "filter", "Filter"),
        Binding("escape", "clear_filter", "Clear filter"),
        Binding("n", "never_only", "Never-updating only"),
        Binding("right_square_bracket", "page(1)", "Next page"),
        Binding("left_square_bracket", "page(-1)", "Prev page"),
    ]

    def __init__(self) -> None:
        super().__init__(id="outdated")
        self.filter_text = ""
        self.never_only = False
        self.page_start = 0
        self._matching = 0
        self._picture: OutdatedPicture | None = None
        self._offered: tuple[bool, bool, bool] | None = None
        self._cells_cache: dict[tuple[object, ...], list[Text | str]] = {}

    def compose(self) -> ComposeResult:
        yield QuietStatic(id="outdated-summary", classes="summary")
        yield QuietStatic(id="outdated-pace", classes="summary")
        yield QuietStatic(id="outdated-burndown", classes="burndown")
        yield Input(placeholder="filter by namespace, name or node", id="outdated-filter")
        yield QuietStatic(id="outdated-window", classes="window-note")
        yield KeyedTable(COLUMNS, id="outdated-table")

    @property
    def focus_target(self) -> Widget:
        return self.query_one(KeyedTable)

    @property
    def filterable(self) -> bool:
        return True

    def show(self, picture: UpdatePicture) -> None:
        self._picture = picture.outdated
        self.query_one("#outdated-summary", QuietStatic).update(self._summary(picture.outdated))
        self.query_one("#outdated-pace", QuietStatic).update(self._pace(picture.outdated))
        self._show_burndown(picture.outdated)
        self._show_rows()
        self.badge = self._badge(picture)

    @staticmethod
    def _badge(picture: UpdatePicture) -> Text:
        """The tab's marker. While workloads migrate the header's verdict line already counts
        the outdated VMIs, so the tab only marks them: a count in both would send two lines to
        the terminal for every migration instead of one."""
        o = picture.outdated
        if not o.count:
            return Text()
        counted = picture.verdict is not Verdict.MIGRATING
        if o.never_updates_count:
            return Text(f"{o.count}!" if counted else "!", r.WARN)
        return Text(str(o.count) if counted else "…", r.BUSY)

    def on_resize(self) -> None:
        if self._picture is not None:
            self._show_burndown(self._picture)

    @staticmethod
    def _summary(o: OutdatedPicture) -> Text:
        """How many are left: changes with every migration, so it has a widget (a line) of its
        own and the pace line below is not re-sent with it."""
        text = Text()
        text.append("Outdated ", r.DIM)
        text.append(f"{o.count}", "bold " + (r.BUSY if o.count else r.OK))
        text.append(f" of {o.running_total} running  ", r.DIM)
        text.append_text(r.bar(o.progress, 16))
        text.append(f" updated ({o.updated})", r.DIM)
        return text

    @staticmethod
    def _pace(o: OutdatedPicture) -> Text:
        """Rate and ETA as precise as they are meaningful (an ETA to the second would change
        with every redraw), and the VMIs that will never update."""
        text = Text().append("Rate ", r.DIM)
        text.append(rate_text(o.rate_per_minute))
        text.append("  ETA ", r.DIM)
        text.append("-" if o.eta_seconds is None else r.coarse(o.eta_seconds), "bold")
        if o.never_updates_count:
            text.append("  ")
            text.append(f"✗ {o.never_updates_count} will never update", r.BAD)
        return text

    def _show_burndown(self, o: OutdatedPicture) -> None:
        box = self.query_one("#outdated-burndown", QuietStatic)
        width = max(10, box.size.width - 12)
        values = r.resample(o.burndown, width)
        if len(o.burndown) < 2:
            box.update(Text("burn-down: waiting for samples", r.DIM))
            return
        top = max(values, default=0.0)
        chart = r.spark(values, height=2, top=top)
        label = Text(f"{int(top):>6} ┤\n{'':>6} ┤", r.DIM)
        lines_chart = chart.split("\n")
        lines_label = label.split("\n")
        text = Text()
        for index, (left, right) in enumerate(zip(lines_label, lines_chart, strict=True)):
            if index:
                text.append("\n")
            text.append_text(left)
            text.append_text(right)
        box.update(text)

    def _rows(self) -> Rows[OutdatedVmiRow]:
        assert self._picture is not None
        return self._picture.filtered(self.filter_text, never_only=self.never_only)

    def _show_rows(self) -> None:
        if self._picture is None:
            return
        rows = self._rows()
        self._matching = len(rows)
        if self.page_start >= self._matching:
            self.page_start = max(0, (self._matching - 1) // PAGE * PAGE)
        page = rows[self.page_start : self.page_start + PAGE]
        table_rows: list[Row] = [
            (ObjectRef("vmi", v.namespace, v.name).key, self._cached_cells(v)) for v in page
        ]
        self.query_one(KeyedTable).sync(table_rows)
        self.query_one("#outdated-window", QuietStatic).update(self._window_note())
        offered = (self._can_page(1), self._can_page(-1), self._can_clear())
        if offered != self._offered:
            self._offered = offered
            self.refresh_bindings()

    def _window_note(self) -> Text:
        assert self._picture is not None
        parts: list[Text | str] = []
        if self.filter_text:
            parts.append(Text("filter ").append_text(r.lit(self.filter_text, "bold")))
        if self.never_only:
            parts.append(Text("never-updating only", "bold"))
        total = self._picture.count
        if self._matching > PAGE:
            end = min(self.page_start + PAGE, self._matching)
            parts.append(f"rows {self.page_start + 1}-{end} of {self._matching}")
        elif self.filter_text or self.never_only:
            parts.append(f"{self._matching} of {total} match")
        elif not total:
            parts.append(Text("no outdated VMIs", r.OK))
        return r.joined(parts)

    def _cached_cells(self, v: OutdatedVmiRow) -> list[Text | str]:
        """Cells of a row, reused while what they show is unchanged: with thousands of VMIs
        changing, rebuilding a page of Text cells four times a second is the costly part."""
        shown = (
            v.namespace, v.name, v.node, v.migratable, v.migratable_reason,
            v.eviction_strategy, v.never_updates, v.never_reason,
            r.coarse(v.age), r.coarse(v.outdated_for),
        )  # fmt: skip
        cells = self._cells_cache.get(shown)
        if cells is None:
            if len(self._cells_cache) > 4 * PAGE:
                self._cells_cache.clear()
            cells = self._cells_cache[shown] = self._cells(v)
        return cells

    @staticmethod
    def _cells(v: OutdatedVmiRow) -> list[Text | str]:
        migratable = r.flag(v.migratable)
        if v.migratable is False and v.migratable_reason:
            migratable.append_text(r.lit(f" ({v.migratable_reason})", r.DIM, limit=40))
        note = Text("✗ never", r.BAD) if v.never_updates else Text("yes", r.OK)
        return [
            r.lit(v.namespace),
            r.lit(v.name, "bold" if v.never_updates else ""),
            note,
            migratable,
            r.lit(v.node or "-"),
            r.lit(v.eviction_strategy or "-"),
            Text(r.coarse(v.age)),
            Text(r.coarse(v.outdated_for)),
            r.lit(v.never_reason if v.never_updates else "", r.BAD, limit=100),
        ]

    def _can_page(self, step: int) -> bool:
        if step > 0:
            return self.page_start + PAGE < self._matching
        return self.page_start > 0

    def _can_clear(self) -> bool:
        return bool(self.filter_text) or self.never_only or self.has_class("-filtering")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "clear_filter":
            return self._can_clear()
        if action == "page":
            step = parameters[0] if parameters else 1
            return self._can_page(step if isinstance(step, int) else 1)
        return True

    def start_filter(self) -> None:
        self.action_filter()

    def action_filter(self) -> None:
        self.add_class("-filtering")
        box = self.query_one("#outdated-filter", Input)
        box.value = self.filter_text
        box.focus()
        self.refresh_bindings()

    def action_clear_filter(self) -> None:
        self.filter_text = ""
        self.never_only = False
        self.page_start = 0
        self.remove_class("-filtering")
        self.query_one("#outdated-filter", Input).value = ""
        self.query_one(KeyedTable).focus()
        self._show_rows()

    def action_never_only(self) -> None:
        self.never_only = not self.never_only
        self.page_start = 0
        self._show_rows()

    def action_page(self, step: int) -> None:
        self.page_start = max(0, self.page_start + step * PAGE)
        self._show_rows()
        table = self.query_one(KeyedTable)
        table.move_cursor(row=0, animate=False)

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.filter_text = event.value.strip()
        self.page_start = 0
        self._show_rows()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if not self.filter_text:
            self.remove_class("-filtering")
        self.query_one(KeyedTable).focus()


def rate_text(per_minute: float | None) -> str:
    """VMIs per minute: tenths only while they matter (below 10/min)."""
    if per_minute is None:
        return "-"
    return f"{per_minute:.1f}/min" if per_minute < 10 else f"{per_minute:.0f}/min"
