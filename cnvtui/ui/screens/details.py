"""The details screen: one object's YAML, syntax-highlighted, and the Events about it.

The YAML is produced with `allow_unicode=False`, so escape sequences and bidi controls in
cluster strings come out as YAML escapes (`\\e`, `\\u202E`) and can never drive the terminal.
The YAML follows the object while the screen is open; the scroll position is kept.

The store holds some kinds slimmed (`cnvtui.state.slim`), so for those the screen fetches
the full object from the source: one GET (again when the store sees a new version), or in a
replay the recorded object as of the moment shown. It says so when it can only show the
store's partial copy (the GET failed).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

import yaml
from rich.syntax import Syntax
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from cnvtui.state.slim import SLIM_KINDS
from cnvtui.state.text import safe_text
from cnvtui.ui import render as r
from cnvtui.ui.widgets.panel import ObjectRef

Obj = dict[str, Any]
EventsGetter = Callable[[ObjectRef], Awaitable[list[Obj]]]
ObjectFetcher = Callable[[ObjectRef], Awaitable[Obj | str]]
"""The full object from the cluster, or a one-line reason it could not be read."""
SourceFetch = Callable[[str, str, str], Awaitable[Obj | str]]


def object_yaml(obj: Obj) -> str:
    """`kubectl get -o yaml` style: managedFields left out, escapes for anything unprintable."""
    shown = dict(obj)
    metadata = shown.get("metadata")
    if isinstance(metadata, dict) and "managedFields" in metadata:
        shown["metadata"] = {k: v for k, v in metadata.items() if k != "managedFields"}
    return yaml.safe_dump(shown, sort_keys=False, allow_unicode=False, width=100)


def events_text(events: list[Obj] | None, none: str = "No events for this object.") -> Text:
    """Events as `kubectl describe` lists them: type, reason, age-ish time, message;
    `none` when there are none."""
    if events is None:
        return Text("loading events…", r.DIM)
    if not events:
        return Text(none, r.DIM)
    text = Text()
    for index, event in enumerate(events[-50:]):
        if index:
            text.append("\n")
        kind = str(event.get("type") or "")
        when = event.get("lastTimestamp") or event.get("eventTime") or ""
        text.append(f"{safe_text(when, 20):<21}", r.DIM)
        text.append(f"{safe_text(kind, 8):<8} ", r.WARN if kind == "Warning" else r.OK)
        text.append(f"{safe_text(event.get('reason'), 30):<24} ", "bold")
        count = event.get("count")
        if isinstance(count, int) and count > 1:
            text.append(f"(x{count}) ", r.DIM)
        text.append(safe_text(event.get("message"), 300))
    return text


class DetailsScreen(Screen[None]):
    """Pushed by enter on a row; escape goes back to the dashboard."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("q", "app.quit", "Quit"),
    ]

    def __init__(
        self,
        ref: ObjectRef,
        obj: Obj | None,
        events: EventsGetter | None,
        fetch: ObjectFetcher | None = None,
    ) -> None:
        """`fetch` defaults to the app's `source.fetch_object` when it has one."""
        super().__init__()
        self.ref = ref
        self._obj = obj
        self._version: str | None = None
        self._get_events = events
        self._fetch = fetch
        self._fetched: Obj | None = None

    def compose(self) -> ComposeResult:
        title = Text(f"{self.ref.kind} ", r.DIM).append_text(
            r.lit(
                f"{self.ref.namespace}/{self.ref.name}" if self.ref.namespace else self.ref.name,
                "bold",
            )
        )
        title.append("   escape: back to the dashboard", r.DIM)
        yield Static(title, id="details-title")
        with VerticalScroll(id="details-yaml") as scroll:
            scroll.border_title = "YAML"
            yield Static(id="details-yaml-body")
        with VerticalScroll(id="details-events") as events:
            events.border_title = "Events"
            yield Static(events_text(None), id="details-events-body")
        yield Footer()

    def on_mount(self) -> None:
        if self._fetch is None and self.ref.kind in SLIM_KINDS:
            self._fetch = self._source_fetcher()
        self.show_object(self._obj)
        self.query_one("#details-yaml", VerticalScroll).focus()
        self._load_events()

    def _source_fetcher(self) -> ObjectFetcher | None:
        fetch: SourceFetch | None = getattr(getattr(self.app, "source", None), "fetch_object", None)
        if not callable(fetch):
            return None
        source_fetch = fetch

        async def fetch_ref(ref: ObjectRef) -> Obj | str:
            return await source_fetch(ref.kind, ref.namespace, ref.name)

        return fetch_ref

    def show_object(self, obj: Obj | None) -> None:
        """Show `obj` (the store's current version) if it changed since last shown."""
        body = self.query_one("#details-yaml-body", Static)
        if obj is None:
            self._version = None
            self._fetched = None
            self._yaml_title("YAML")
            body.update(Text("The object is gone (deleted), or was never seen.", r.WARN))
            return
        version = str((obj.get("metadata") or {}).get("resourceVersion") or id(obj))
        if version == self._version:
            return
        self._version = version
        self._obj = obj
        if self.ref.kind not in SLIM_KINDS:
            self._show_yaml(obj, "YAML")
        elif self._fetch is None:
            self._show_yaml(obj, "YAML (partial: the fields the dashboard reads; not fetched)")
        else:
            if self._fetched is None:
                self._show_yaml(obj, "YAML (partial: fetching the full object…)")
            self._fetch_full(version)

    @work(exclusive=True, group="details-fetch")
    async def _fetch_full(self, version: str) -> None:
        if self._fetch is None:
            return
        try:
            got = await self._fetch(self.ref)
        except Exception as exc:  # a failed fetch leaves the partial copy on screen
            got = f"{type(exc).__name__}"
        if version != self._version:
            return  # the store moved on; a newer fetch is under way
        if isinstance(got, dict):
            self._fetched = got
            title = getattr(getattr(self.app, "source", None), "fetched_title", None)
            if not isinstance(title, str):
                title = f"YAML (fetched from the API server at {time.strftime('%H:%M:%S')})"
            self._show_yaml(got, title)
            return
        self._fetched = None
        if self._obj is not None:
            reason = safe_text(got, 120)
            self._show_yaml(self._obj, f"YAML (partial: full object not fetched: {reason})")

    def _yaml_title(self, title: str) -> None:
        self.query_one("#details-yaml", VerticalScroll).border_title = title

    def _show_yaml(self, obj: Obj, title: str) -> None:
        self._yaml_title(title)
        syntax = Syntax(
            object_yaml(obj),
            "yaml",
            theme="ansi_dark",
            background_color="default",
            word_wrap=False,
        )
        self.query_one("#details-yaml-body", Static).update(syntax)

    @work(exclusive=True, group="details-events")
    async def _load_events(self) -> None:
        events: list[Obj] = []
        if self._get_events is not None:
            events = await self._get_events(self.ref)
        none = getattr(getattr(self.app, "source", None), "no_events_note", None)
        body = events_text(events, none) if isinstance(none, str) else events_text(events)
        self.query_one("#details-events-body", Static).update(body)
