"""The `?` screen: every key binding, where it applies, and what the verdicts mean.

The key list is read from the bindings themselves, so it cannot drift from what the keys do.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from cnvtui.ui import render as r

VERDICTS = (
    ("Idle", "no update in flight: the CSV is Succeeded and no VMI is outdated"),
    ("Updating", "a new CSV is installing or the HCO is reconciling its components"),
    ("Waiting for approval", "the Subscription's install plan needs approval (Manual)"),
    ("Migrating workloads", "VMIs still run old virt-launchers and are being moved"),
    ("Stuck", "progress stopped: failed migrations, a timed-out target pod, no methods"),
    ("Degraded", "the HCO or a CSV reports a failure"),
    ("Done", "an update was seen and everything is current again"),
)

HINTS = (
    "Panels (narrow terminals show them as tabs): Operator = the CSVs (`oc get csv`), "
    "HCO = HyperConverged conditions, Plans = InstallPlans (the one the Subscription points "
    "at is marked), Workloads = workloadUpdateStrategy, VMIs = outdated VMIs and the "
    "burn-down, Migrations = VMIMs with attempts counted past the cluster's five, Timeline = "
    "every transition seen.",
    "Text from the cluster is shown literally; control characters appear as ␛ and similar.",
)


def key_label(binding: Binding) -> str:
    if binding.key_display:
        return binding.key_display
    names = {
        "slash": "/",
        "question_mark": "?",
        "left_square_bracket": "[",
        "right_square_bracket": "]",
        "shift+tab": "shift+tab",
    }
    return ", ".join(names.get(k, k) for k in binding.key.split(","))


def describe(sections: Sequence[tuple[str, Iterable[BindingType]]]) -> Text:
    """A text listing of bindings per section, skipping undescribed ones."""
    text = Text()
    for title, bindings in sections:
        rows = [b for b in Binding.make_bindings(bindings) if b.description]
        if not rows:
            continue
        if text:
            text.append("\n")
        text.append(title, "bold underline")
        for binding in rows:
            text.append("\n")
            text.append(f"  {key_label(binding):<14}", "bold")
            text.append(binding.description)
    return text


class HelpScreen(ModalScreen[None]):
    """Every binding of the app, grouped by where it works; beside the verdicts on a wide
    terminal, above them on a narrow one (the screen's `-wide` class)."""

    WIDE = 150

    BINDINGS = [
        Binding("escape,q,question_mark", "dismiss", "Close help", key_display="esc"),
    ]

    def __init__(
        self,
        sections: Sequence[tuple[str, Iterable[BindingType]]],
        unavailable: Sequence[Text] = (),
    ) -> None:
        super().__init__()
        self._sections = sections
        self._unavailable = unavailable
        """Why write keys are unavailable right now (the actions bar has room for three)."""

    def on_resize(self) -> None:
        self.set_class(self.size.width >= self.WIDE, "-wide")

    def compose(self) -> ComposeResult:
        verdicts = Table.grid(padding=(0, 1))
        verdicts.add_column(no_wrap=True, style="bold")
        verdicts.add_column()
        for word, meaning in VERDICTS:
            verdicts.add_row(f" {word}", meaning)
        hints = Text()
        for hint in HINTS:
            hints.append("\n")
            hints.append(hint, r.DIM)
        with VerticalScroll(id="help-body") as scroll:
            scroll.border_title = "cnvtui keys (esc closes)"
            if self._unavailable:
                now = Text("Unavailable now", "bold underline")
                for line in self._unavailable:
                    now.append("\n ")
                    now.append_text(line)
                yield Static(now, id="help-unavailable")
            with Horizontal(id="help-columns"):
                yield Static(describe(self._sections), id="help-keys")
                with Vertical(id="help-meaning"):
                    yield Static(Text("Verdicts", "bold underline"))
                    yield Static(verdicts)
                    yield Static(hints)
        yield Footer()
