"""The API server misbehaves (restarts, compaction, errors, throttling, half-open and dropped
connections); the dashboard says so, keeps the last data marked stale, recovers by itself,
and ends up holding exactly what the server holds."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace

import pytest
from aiohttp import web

from cnvtui.sim.faults import Faults, outage
from cnvtui.sim.scenarios import build
from cnvtui.sim.server import SimServer
from tests.ui import FAST, dashboard, until, until_shows

from . import LIVE, STREAMS, churn, converged

Sim = Callable[..., Awaitable[SimServer]]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
OUTAGE_REAL_SECONDS = 0.8


class Requests:
    """Counts the list requests the server receives (a watch resume is not one)."""

    def __init__(self) -> None:
        self.lists = 0

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method == "GET" and request.query.get("watch") != "true":
            self.lists += 1
        return await handler(request)


async def on_clock(
    sim: Sim, speed: float, **options: object
) -> tuple[SimServer, Callable[[], float]]:
    """A steady cluster whose clock runs at `speed`; the dashboard reads the same clock."""
    built = build("steady", vmis=6, speed=speed, seed=0)
    server = await sim(**built.server_options(), **options)
    return server, lambda: built.clock.now().timestamp()


def data_as_of(text: str) -> str:
    found = re.search(r"data as of (\d\d:\d\d:\d\d)", text)
    assert found is not None, text
    return found.group(1)


@pytest.mark.parametrize("away", [30, 120, 600], ids=["30s", "2min", "10min"])
async def test_api_server_away_then_back_with_same_state(sim: Sim, away: int) -> None:
    speed = away / OUTAGE_REAL_SECONDS
    server, now = await on_clock(sim, speed)
    async with dashboard(server, now=now) as (app, pilot):
        await until_shows(pilot, LIVE)
        await converged(app, server)
        seen = asyncio.Event()

        async def away_until_seen(seconds: float) -> None:
            """A loaded machine may not draw within the outage: it lasts until it is seen."""
            await asyncio.sleep(seconds)
            await seen.wait()

        down = asyncio.create_task(outage(server, away, speed=speed, sleep=away_until_seen))
        text = await until_shows(pilot, "reconnecting", "data as of")
        seen.set()
        assert re.search(r"VMI|vmi", text), "the last data stays on screen"
        churn(server)
        await down
        text = await until(pilot, lambda t: LIVE in t and "data as of" not in t, what="live again")
        assert "restored" in text, "the timeline marks the gap"
        await converged(app, server)
        assert app.is_running and app.return_code is None


async def test_compacted_history_relists_and_drops_what_vanished(sim: Sim) -> None:
    requests = Requests()
    server, now = await on_clock(sim, 60, middlewares=[requests.middleware])

    async def away(seconds: float) -> None:
        churn(server)
        churn(server)
        server.store.compact()
        await asyncio.sleep(seconds)

    async with dashboard(server, now=now) as (app, pilot):
        await until_shows(pilot, LIVE)
        listed = requests.lists
        await outage(server, 0.5, sleep=away)
        text = await until(pilot, lambda t: LIVE in t and "data as of" not in t, what="live again")
        assert "restored" in text, "the timeline marks the gap"
        await converged(app, server)
        assert requests.lists >= listed + STREAMS, "every resume got 410 and listed again"


@pytest.mark.parametrize("status", [500, 503])
async def test_server_errors_for_a_while(sim: Sim, status: int) -> None:
    faults = Faults()
    server, now = await on_clock(sim, 60, middlewares=[faults.middleware])
    async with dashboard(server, now=now) as (app, pilot):
        await until_shows(pilot, LIVE)
        faults.fail(status)  # until healed: a loaded machine may draw late
        server.close_watches()
        text = await until_shows(pilot, "reconnecting", f"server error {status}", "data as of")
        faults.heal()
        data_as_of(text)
        churn(server)
        text = await until(pilot, lambda t: LIVE in t and "data as of" not in t, what="live again")
        assert "restored" in text, "the timeline marks the gap"
        await converged(app, server)
    assert faults.errors_sent > 0


async def test_throttled_with_retry_after_is_honoured(sim: Sim) -> None:
    faults = Faults()
    server, now = await on_clock(sim, 60, middlewares=[faults.middleware])
    async with dashboard(server, now=now) as (app, pilot):
        await until_shows(pilot, LIVE)
        started = time.monotonic()
        faults.fail(429, retry_after=1)  # until healed: a loaded machine may draw late
        server.close_watches()
        await until_shows(pilot, "reconnecting", "throttling")
        faults.heal()
        throttled = time.monotonic() - started
        churn(server)
        text = await until(pilot, lambda t: LIVE in t and "data as of" not in t, what="live again")
        assert "restored" in text, "the timeline marks the gap"
        await converged(app, server)
    # One try a second per watch, and one more in flight; retrying on the backoff alone
    # (0.02-0.2 s) would send five to fifty times as many.
    assert 0 < faults.errors_sent <= STREAMS * (2 + throttled)


async def test_half_open_watch_is_noticed_and_reopened(sim: Sim) -> None:
    faults = Faults()
    # Healthy watches get a bookmark every 0.1 s, so only a silenced one goes idle.
    server, now = await on_clock(sim, 60, middlewares=[faults.middleware], bookmark_interval=0.1)
    settings = replace(FAST, idle_timeout=0.5)
    async with dashboard(server, now=now, settings=settings) as (app, pilot):
        await until_shows(pilot, LIVE)
        await converged(app, server)
        # A loaded machine can stall the loop past the 0.5 s idle timeout, and the watches are
        # then between reopenings: wait until all are open, then silence them in one go.
        await all_watches_open(server)
        assert faults.silence_watches(server) == STREAMS
        churn(server)
        await converged(app, server)
        assert app.is_running


async def test_hundreds_of_random_connection_drops(sim: Sim) -> None:
    faults = Faults(seed=7)
    server, now = await on_clock(sim, 60, middlewares=[faults.middleware])
    async with dashboard(server, now=now) as (app, pilot):
        await until_shows(pilot, LIVE)
        faults.drop_randomly(0.2, within=0.3)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 40
        while faults.drops < 200:
            assert loop.time() < deadline, f"only {faults.drops} drops"
            churn(server)
            await pilot.pause(0.05)
        faults.heal()
        await until(pilot, lambda t: LIVE in t and "data as of" not in t, what="live again")
        await converged(app, server)
        assert app.is_running and app.apply_errors == 0


async def all_watches_open(server: SimServer, within: float = 15.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while len(server.api.watches.open) < STREAMS:
        assert loop.time() < deadline, f"only {len(server.api.watches.open)} watches open"
        await asyncio.sleep(0.02)
