"""Objects written by anyone: wrong types, unknown phases, megabytes of text, deep nesting,
every kind of unicode, terminal escapes and markup. Nothing crashes and nothing is obeyed:
the text is shown literally, long text is cut with the whole of it in the details screen."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from rich.syntax import Syntax
from textual.widgets import Static

from cnvtui.sim.seed import initial_objects
from cnvtui.sim.server import SimServer
from cnvtui.ui.screens.details import DetailsScreen
from cnvtui.ui.widgets.panel import ObjectRef
from tests.ui import dashboard, until, until_shows

from . import LIVE, converged

Sim = Callable[..., Awaitable[SimServer]]
Obj = dict[str, Any]

CSI = "\x1b[2J\x1b[31mRED\x1b[0m"
OSC52 = "\x1b]52;c;ZXZpbA==\x07"
OSC8 = "\x1b]8;;https://evil.example/\x1b\\link\x1b]8;;\x1b\\"
MARKUP = "[bold]B[/bold][@click=app.quit]Q[/]"
UNICODE = "漢字テスト e\u0301\u0301 \u202egnp.exe مرحبا 🙂"
CONTROLS = "\x07\x08\r\x9b31m\x00"
HOSTILE = f"{MARKUP} {CSI} {OSC52} {OSC8} {UNICODE} {CONTROLS}"
HUGE_END = "END-OF-THE-HUGE-MESSAGE"
HUGE = "x" * (2 * 1024 * 1024) + HUGE_END
LONG = "y" * 100_000 + HUGE_END
NEW_CSV = "kubevirt-hyperconverged-operator.v4.14.3"


def deep(levels: int) -> Obj:
    node: Obj = {"leaf": HOSTILE}
    for _ in range(levels):
        node = {"nested": node}
    return node


def hostile_cluster() -> list[Obj]:
    objects = initial_objects(vmis=4, namespaces=1, nodes=2)
    by_kind: dict[str, list[Obj]] = {}
    for obj in objects:
        by_kind.setdefault(obj["kind"], []).append(obj)
    csv = by_kind["ClusterServiceVersion"][0]
    csv["status"]["reason"] = MARKUP
    csv["status"]["message"] = HUGE
    csv["status"]["conditions"] = "not a list"
    csv["status"]["requirementStatus"] = [None, 7, {"message": HOSTILE}]
    hco = by_kind["HyperConverged"][0]
    conditions = hco["status"]["conditions"]
    degraded = next(c for c in conditions if c["type"] == "Degraded")
    degraded.update(status="True", reason=MARKUP, message=f"{HOSTILE} {LONG}")
    conditions.append({"type": 42, "status": None, "message": ["a", "list"]})
    hco["status"]["relatedObjects"] = []
    hco["status"]["versions"] = "wrongly typed"
    by_kind["KubeVirt"][0]["status"]["deep"] = deep(200)
    vmis = by_kind["VirtualMachineInstance"]
    vmis[0]["status"]["nodeName"] = HOSTILE
    vmis[0]["metadata"]["labels"]["kubevirt.io/outdatedLauncherImage"] = ""
    vmis[1]["status"] = "garbage"
    vmis[2]["status"]["phase"] = "Teleporting"
    vmis[2]["status"]["conditions"] = [{"type": None}, "junk", {"type": "LiveMigratable"}]
    vmis[3]["metadata"]["annotations"] = {"note": HUGE}
    plan = by_kind["InstallPlan"][0]
    plan["spec"]["clusterServiceVersionNames"] = [MARKUP, 3, None]
    plan["status"]["phase"] = {"not": "a string"}
    return objects


async def test_hostile_objects_are_shown_literally_and_nothing_breaks(sim: Sim) -> None:
    server = await sim(objects=hostile_cluster())
    async with dashboard(server, size=(200, 60)) as (app, pilot):
        text = await until_shows(pilot, LIVE, "DEGRADED")
        await converged(app, server)
        assert app.apply_errors == 0 and app.is_running
        for raw in ("\x1b", "\x9b", "\x07", "\x00", "\u202e"):
            assert raw not in text, repr(raw)
        assert "␛[2J␛[31mRED␛[0m" in text, "CSI shown, not obeyed"
        assert "␛]52;c;ZXZpbA==␇" in text, "OSC 52 shown, not obeyed"
        assert "[bold]B[/bold][@click=app.quit]Q[/]" in text, "markup shown, not interpreted"
        assert "\\u202egnp.exe" in text, "bidi override made visible"
        assert "漢字テスト" in text and "مرحبا" in text
        assert HUGE_END not in text, "long text is cut"
        verdict = next(line for line in text.splitlines() if "DEGRADED" in line)
        assert verdict.rstrip().endswith("…"), "the header's reason is cut on its one line"
        assert max(len(line) for line in text.splitlines()) <= 200
        # Markup is never a link: clicking where "[@click=app.quit]" shows changes nothing.
        await pilot.click(offset=(0, 0))
        assert app.is_running


async def test_details_screen_holds_all_of_a_huge_message_with_escapes_visible(
    sim: Sim,
) -> None:
    server = await sim(objects=hostile_cluster())
    async with dashboard(server, size=(160, 50)) as (app, pilot):
        # The footer offers Details only once the focused table has a row under its cursor.
        await until_shows(pilot, LIVE, NEW_CSV, "⏎ Details")
        await pilot.press("enter")
        text = await until(pilot, lambda t: "escape: back to the dashboard" in t, what="details")
        screen = app.screen
        assert isinstance(screen, DetailsScreen) and screen.ref.name == NEW_CSV
        syntax = screen.query_one("#details-yaml-body", Static).content
        assert isinstance(syntax, Syntax)
        assert HUGE_END in syntax.code, "the whole message is there to scroll to"
        await pilot.press("end")
        await pilot.press("escape")
        await until_shows(pilot, "Operator", NEW_CSV)
        hco = server.store.list("hco.kubevirt.io", "hyperconvergeds", "openshift-cnv")[0][0]
        app.open_details(ObjectRef("hco", "openshift-cnv", hco["metadata"]["name"]))
        text = await until(pilot, lambda t: "escape: back to the dashboard" in t, what="details")
        assert "\x1b" not in text and "\x9b" not in text
        syntax = app.screen.query_one("#details-yaml-body", Static).content
        assert isinstance(syntax, Syntax)
        assert "\\e[2J" in syntax.code and "[@click=app.quit]" in syntax.code
        assert HUGE_END in syntax.code
        assert app.is_running
