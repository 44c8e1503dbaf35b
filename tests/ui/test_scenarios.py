"""The update stories, played fast by the simulated cluster, as the dashboard tells them."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from cnvtui.sim.scenarios import build
from cnvtui.sim.server import SimServer

from . import dashboard, until, until_shows

Sim = Callable[..., Awaitable[SimServer]]
NEW_CSV = "kubevirt-hyperconverged-operator.v4.14.4"


async def scenario(
    sim: Sim, name: str, *, speed: float, vmis: int = 16
) -> tuple[SimServer, Callable[[], float]]:
    built = build(name, vmis=vmis, speed=speed, seed=0)
    server = await sim(**built.server_options())
    return server, lambda: built.clock.now().timestamp()


async def test_zstream_update_moves_through_every_panel(sim: Sim) -> None:
    server, now = await scenario(sim, "zstream", speed=120)
    async with dashboard(server, now=now) as (_app, pilot):
        seen: set[str] = set()

        def csv_phases(text: str) -> bool:
            seen.update(re.findall(re.escape(NEW_CSV) + r"\s+(\w+)", text))
            return "Succeeded" in seen and len(seen) >= 2

        await until(pilot, csv_phases, within=60, what="the new CSV's phases")
        text = await until_shows(pilot, "MIGRATING WORKLOADS", "Running", within=60)
        assert "CNV 4.14.4" in text
        assert "▶ current" in text
        assert re.search(r"Outdated \d+ of 16 running", text)
        assert re.search(r"vm-[\w-]+/[\w-]+\s+(Running|Scheduling|Scheduled|TargetReady)", text)
        text = await until(
            pilot,
            lambda t: re.search(r"succeeded [1-9]", t) is not None,
            within=60,
            what="a succeeded migration",
        )
        assert re.search(r"✓\s+(vmim|vmi)\s+vm-", text), "the timeline records workload updates"


async def test_manual_approval_waits_and_names_the_plan(sim: Sim) -> None:
    server, now = await scenario(sim, "manual-approval", speed=300)
    async with dashboard(server, now=now) as (_app, pilot):
        text = await until_shows(
            pilot, "WAITING FOR APPROVAL", "▶ NEEDS APPROVAL", ") needs approval", within=60
        )
    plan = re.search(r"Subscription → (install-\w+)\s+WAITS FOR APPROVAL", text)
    assert plan is not None, text
    assert f"install plan {plan.group(1)} ({NEW_CSV}) needs approval" in text
    assert "Manual · UpgradePending" in text


async def test_stuck_migrations_count_attempts_and_say_stuck(sim: Sim) -> None:
    server, now = await scenario(sim, "stuck-migrations", speed=900)
    async with dashboard(server, now=now) as (_app, pilot):
        text = await until(
            pilot,
            lambda t: "STUCK" in t and re.search(r"(\d+) of (\d+) failed", t) is not None,
            within=90,
            what="a stuck verdict and failed attempts",
        )
    assert "Failed attempts per VMI" in text
    assert re.search(r"✗ \d+m\d*s?/(5m unschedulable|15m)", text) or "Failed" in text


async def test_degraded_install_is_degraded(sim: Sim) -> None:
    server, now = await scenario(sim, "degraded", speed=300)
    async with dashboard(server, now=now) as (_app, pilot):
        text = await until_shows(pilot, "DEGRADED", within=60)
    assert "Failed" in text
    assert "✗" in text
