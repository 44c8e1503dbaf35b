"""Workload updates panel: which methods are in force and what that means for the VMs."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widget import Widget

from cnvtui.state.model import UpdatePicture, WorkloadStrategy
from cnvtui.ui import render as r
from cnvtui.ui.widgets.panel import Panel
from cnvtui.ui.widgets.quiet import QuietStatic


class WorkloadsPanel(Panel):
    """`workloadUpdateStrategy` and `liveMigrationConfig`, with warnings that say what breaks."""

    TITLE = "Workload updates"
    TAB = "Workloads"
    KINDS = ("vmi",)

    def __init__(self) -> None:
        super().__init__(id="workloads")

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="workloads-scroll", can_focus=True):
            yield QuietStatic(id="workloads-body")

    @property
    def focus_target(self) -> Widget:
        return self.query_one("#workloads-scroll")

    def show(self, picture: UpdatePicture) -> None:
        strategy = picture.workload_strategy
        body = self.render_strategy(strategy, picture.now)
        self.query_one("#workloads-body", QuietStatic).update(body)
        self.badge = Text("!", r.WARN) if strategy.warnings else Text()

    @staticmethod
    def render_strategy(s: WorkloadStrategy, now: float) -> Text:
        text = Text()
        text.append("Methods      ", r.DIM)
        if s.methods:
            text.append_text(r.lit(", ".join(s.methods), "bold"))
        else:
            text.append("[] none", r.BAD)
        text.append("\nEvict batch  ", r.DIM)
        text.append(f"{s.batch_eviction_size} VMIs every ")
        text.append_text(r.lit(s.batch_eviction_interval or "-"))
        if "Evict" not in s.methods:
            text.append("  (unused: Evict is off)", r.DIM)
        text.append("\nMigrations   ", r.DIM)
        text.append(
            f"{s.parallel_migrations_per_cluster} in parallel per cluster, "
            f"{s.parallel_outbound_migrations_per_node} outbound per node"
        )
        text.append("\nKubeVirt     ", r.DIM)
        if s.kubevirt_methods is None:
            text.append("not seen", r.DIM)
        elif s.in_sync:
            text.append("in sync with the HCO", r.OK)
        else:
            text.append("✗ differs: ", r.BAD)
            text.append_text(r.lit(", ".join(s.kubevirt_methods) or "[]", r.BAD))
        if s.backup is not None:
            text.append("\nBackup       ", r.DIM)
            if s.backup.valid:
                text.append_text(r.lit(", ".join(s.backup.methods) or "[]", "bold"))
                text.append(f"  held since {r.stamp(s.backup.taken_at, now)}", r.WARN)
            else:
                text.append("✗ unreadable: ", r.BAD)
                text.append_text(r.lit(s.backup.raw, limit=80))
        text.append("\nSource       ", r.DIM)
        text.append_text(r.lit(s.source, r.DIM))
        for warning in s.warnings:
            text.append("\n! ", r.WARN)
            text.append_text(r.lit(warning, r.WARN))
        return text
