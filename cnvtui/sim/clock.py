"""The simulated cluster's clock: scaled, steppable time that every controller sleeps on.

Controllers never sleep on the real clock. They call `await clock.sleep(sim_seconds)`, and a
single driver (`clock.run`, one of the server's background tasks) wakes them in deadline
order. Before it moves time on, the driver waits until every task it woke has gone back to
sleep, so a controller that is slow in real time slows the simulation down instead of
missing a step: phases, timeouts and timestamps come out the same at any speed.

`speed` is simulated seconds per real second (60: a minute per second), measured from one
fixed point so that small delays do not add up; a simulation that falls behind catches up
as fast as its controllers allow. `speed=0` stops time; only `advance()` moves it then.
Randomness comes from `rng(...)`, seeded per key, so a scenario replays identically for one
`seed` whatever order the controllers run in.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import math
import random
import time
from datetime import UTC, datetime, timedelta

# How long the driver waits for a woken task to go back to sleep before it moves on anyway
# (a controller stuck on something that is not the clock must not stop the world).
_QUIESCE_TIMEOUT = 2.0

_Waiter = tuple[float, int, "asyncio.Future[None]", "asyncio.Task[object] | None"]


class SimClock:
    """Simulated time, paced against the real clock at `speed` and steppable with `advance`."""

    def __init__(
        self, *, speed: float = 60.0, seed: int = 0, start: datetime | None = None
    ) -> None:
        if speed < 0:
            raise ValueError("speed must be >= 0")
        if start is None:
            start = datetime.now(UTC).replace(microsecond=0)
        elif start.tzinfo is None:
            start = start.replace(tzinfo=UTC)
        self.start = start
        self.seed = seed
        self._speed = float(speed)
        # Time of the last step taken, and the (simulated, real) point pacing counts from.
        self._now = 0.0
        self._base_sim = 0.0
        self._base_real = time.monotonic()
        self._target = 0.0
        self._seq = itertools.count()
        self._waiters: list[_Waiter] = []
        self._woken: set[asyncio.Task[object]] = set()
        self._known: set[asyncio.Task[object]] = set()
        self._poke = asyncio.Event()
        self._quiet = asyncio.Event()
        self._quiet.set()
        self._moved = asyncio.Event()
        self._running = False

    # -- reading the time -------------------------------------------------------------

    @property
    def speed(self) -> float:
        return self._speed

    @speed.setter
    def speed(self, value: float) -> None:
        if value < 0:
            raise ValueError("speed must be >= 0")
        self._rebase(self.elapsed())
        self._speed = float(value)
        self._poke.set()

    def _paced(self) -> float:
        """Where time would be by the real clock alone."""
        return self._base_sim + (time.monotonic() - self._base_real) * self._speed

    def _rebase(self, sim: float) -> None:
        self._base_sim = sim
        self._base_real = time.monotonic()

    def elapsed(self) -> float:
        """Simulated seconds since `start`; between steps it runs on at `speed`."""
        if not self._running:
            return self._now
        current = max(self._now, self._paced())
        return min(self._waiters[0][0], current) if self._waiters else current

    def now(self) -> datetime:
        """The simulated wall time, whole seconds as Kubernetes timestamps carry."""
        return self.start + timedelta(seconds=math.floor(self.elapsed()))

    def rng(self, *key: object) -> random.Random:
        """A generator seeded by the clock's seed and `key`, independent of call order."""
        return random.Random("/".join([str(self.seed), *map(str, key)]))

    # -- waiting ----------------------------------------------------------------------

    async def sleep(self, sim_seconds: float) -> None:
        """Wait `sim_seconds` of simulated time (needs the driver `run` to be running)."""
        task = asyncio.current_task()
        if task is not None and task not in self._known:
            self._known.add(task)
            task.add_done_callback(self._forget)
        self._settle(task)
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        deadline = self.elapsed() + max(0.0, sim_seconds)
        heapq.heappush(self._waiters, (deadline, next(self._seq), fut, task))
        self._poke.set()
        try:
            await fut
        except asyncio.CancelledError:
            self._waiters = [w for w in self._waiters if w[2] is not fut]
            heapq.heapify(self._waiters)
            raise

    async def advance(self, sim_seconds: float) -> None:
        """Move time on by `sim_seconds` now, waking every sleeper due on the way, in order,
        and return once what woke has had its turn."""
        for _ in range(100):
            if self._running:
                break
            await asyncio.sleep(0)
        else:
            raise RuntimeError("the clock has no driver: run `clock.run()` as a task")
        target = self.elapsed() + sim_seconds
        self._target = max(self._target, target)
        self._poke.set()
        while self._now < target:
            self._moved.clear()
            await self._moved.wait()
        await asyncio.sleep(0)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._quiet.wait(), _QUIESCE_TIMEOUT)

    # -- the driver -------------------------------------------------------------------

    async def run(self, _store: object = None) -> None:
        """Drive time: wake sleepers in deadline order, paced at `speed`, until cancelled.

        Takes (and ignores) a store so that it can be one of the server's tasks.
        """
        if self._running:
            raise RuntimeError("the clock already has a driver")
        self._rebase(self._now)
        self._running = True
        try:
            while True:
                await self._quiesce()
                self._poke.clear()
                due = self._waiters[0][0] if self._waiters else math.inf
                if due <= self._target or (self._speed and due <= self._paced()):
                    self._step(due)
                    # Let the HTTP side have its turn between steps.
                    await asyncio.sleep(0)
                    continue
                if self._target > self._now:
                    self._move_to(self._target)
                if due == math.inf or self._speed == 0:
                    await self._poke.wait()
                    continue
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._poke.wait(), (due - self._paced()) / self._speed)
        finally:
            self._now = self.elapsed()
            self._running = False

    def _move_to(self, when: float) -> None:
        if when > self._now:
            self._now = when
            if self._paced() < when:
                self._rebase(when)
        self._moved.set()

    def _step(self, when: float) -> None:
        self._move_to(when)
        while self._waiters and self._waiters[0][0] <= when:
            _, _, fut, owner = heapq.heappop(self._waiters)
            if fut.done():
                continue
            fut.set_result(None)
            if owner is not None:
                self._woken.add(owner)
        if self._woken:
            self._quiet.clear()

    def _settle(self, task: asyncio.Task[object] | None) -> None:
        if task is not None:
            self._woken.discard(task)
        if not self._woken:
            self._quiet.set()

    def _forget(self, task: asyncio.Task[object]) -> None:
        self._known.discard(task)
        self._settle(task)

    async def _quiesce(self) -> None:
        if self._woken:
            try:
                await asyncio.wait_for(self._quiet.wait(), _QUIESCE_TIMEOUT)
            except TimeoutError:
                self._woken.clear()
                self._quiet.set()
