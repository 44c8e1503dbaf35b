"""Deterministic SVG snapshots that pin the layout: a frozen clock, a fixed seed, a fixed size.

The simulated cluster runs with its clock stopped, so every timestamp, age and name is the
same on every run. On a mismatch the screen text is compared first (a readable diff), then
the SVG. `CNVTUI_UPDATE_SNAPSHOTS=1 pytest tests/ui/test_snapshots.py` rewrites them after an
intended change; look at the SVGs before committing.
"""

from __future__ import annotations

import os
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cnvtui.sim.seed import initial_objects
from cnvtui.sim.seed.olm import install_plan_object, subscription_status
from cnvtui.sim.server import SimServer
from cnvtui.ui.textshot import screen_text

from . import dashboard, settled, until_shows

Sim = Callable[..., Awaitable[SimServer]]
SNAPSHOTS = Path(__file__).parent / "snapshots"
FROZEN = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
SHOWN_AT = FROZEN + timedelta(seconds=42)
DISPLAY_SERVER = "https://api.sim.example:6443"
NEW_CSV = "kubevirt-hyperconverged-operator.v4.14.4"


def frozen() -> datetime:
    return FROZEN


def shown_at() -> float:
    return SHOWN_AT.timestamp()


def waiting_for_approval_objects() -> list[dict[str, Any]]:
    """The seeded cluster, plus CNV 4.14.4 offered under Manual approval and not approved."""
    objects = initial_objects(vmis=12, approval="Manual", now=FROZEN)
    plan = install_plan_object(
        "install-q7x2m",
        csv=NEW_CSV,
        approval="Manual",
        approved=False,
        phase="RequiresApproval",
        created=FROZEN - timedelta(minutes=7),
        now=FROZEN,
        replaces="kubevirt-hyperconverged-operator.v4.14.3",
    )
    objects.append(plan)
    for obj in objects:
        if obj.get("kind") == "Subscription":
            obj["status"] = subscription_status(
                now=FROZEN,
                state="UpgradePending",
                current_csv=NEW_CSV,
                installed_csv="kubevirt-hyperconverged-operator.v4.14.3",
                install_plan="install-q7x2m",
                plan_phase="RequiresApproval",
            )
    return objects


def normalise(svg: str) -> str:
    """Rich names SVG classes after a hash of the content; they carry no layout."""
    return re.sub(r"terminal-\d+", "terminal", svg)


def check(name: str, svg: str, text: str, tmp_path: Path) -> None:
    svg_path = SNAPSHOTS / f"{name}.svg"
    text_path = SNAPSHOTS / f"{name}.txt"
    if os.environ.get("CNVTUI_UPDATE_SNAPSHOTS"):
        SNAPSHOTS.mkdir(exist_ok=True)
        svg_path.write_text(svg)
        text_path.write_text(text)
    if not svg_path.exists():
        pytest.fail(f"no snapshot {svg_path.name}: run with CNVTUI_UPDATE_SNAPSHOTS=1")
    (tmp_path / f"{name}.actual.svg").write_text(svg)
    assert text == text_path.read_text()
    assert normalise(svg) == normalise(svg_path.read_text()), f"see {tmp_path}"


async def snapshot(server: SimServer, size: tuple[int, int], *needles: str) -> tuple[str, str]:
    async with dashboard(server, size=size, now=shown_at, display_server=DISPLAY_SERVER) as (
        app,
        pilot,
    ):
        await until_shows(pilot, *needles)
        await pilot.pause(0.5)
        await settled(pilot)
        return app.export_screenshot(title="cnvtui"), screen_text(app)


async def test_snapshot_steady_wide(sim: Sim, tmp_path: Path) -> None:
    server = await sim(vmis=12, seed=0, now=frozen)
    svg, text = await snapshot(server, (160, 48), "IDLE", "● live 12/12", "Outdated 0 of 12")
    check("steady-160x48", svg, text, tmp_path)


async def test_snapshot_steady_80x24(sim: Sim, tmp_path: Path) -> None:
    server = await sim(vmis=12, seed=0, now=frozen)
    svg, text = await snapshot(server, (80, 24), "IDLE", "● live 12/12", "Phase history")
    check("steady-80x24", svg, text, tmp_path)


async def test_snapshot_waiting_for_approval(sim: Sim, tmp_path: Path) -> None:
    server = await sim(objects=waiting_for_approval_objects(), now=frozen)
    svg, text = await snapshot(
        server, (160, 48), "WAITING FOR APPROVAL", "NEEDS APPROVAL", "● live 12/12"
    )
    check("waiting-for-approval-160x48", svg, text, tmp_path)
