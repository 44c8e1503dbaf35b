"""Fault controls for the simulated API server: the bad days a dashboard must ride through.

    faults = Faults(seed=1)
    server = SimServer(middlewares=[faults.middleware], ...)
    faults.fail(429, seconds=2, retry_after=1)    # every request answered 429 for 2 s
    faults.drop_randomly(0.2, within=0.5)         # cut connections at random moments
    faults.silence_watches(server)                # open watches go quiet, never close
    await outage(server, 600, speed=600)          # 10 simulated minutes away, same state

Everything is seeded and driven in-process by tests; real time is scaled by the caller (an
outage of `seconds` simulated seconds lasts `seconds / speed` real ones), so minutes of
faults take seconds while the dashboard, on the simulated clock, sees minutes.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Awaitable, Callable

from aiohttp import web

from cnvtui.sim.server import SimServer

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_REASONS = {
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
    504: "Timeout",
}


class Faults:
    """Switchable faults, applied by `middleware` to every request the server gets."""

    def __init__(self, *, seed: int = 0) -> None:
        self._rng = random.Random(seed)
        self._error: tuple[int, float | None, int | None, int | None] | None = None
        self._drop_probability = 0.0
        self._drop_within = 0.0
        self.errors_sent = 0
        """Requests answered with an injected error status."""
        self.drops = 0
        """Connections cut by `drop_randomly` (counted when the cut happens)."""

    # -- controls ------------------------------------------------------------------------

    def fail(
        self,
        status: int,
        *,
        seconds: float | None = None,
        count: int | None = None,
        retry_after: int | None = None,
    ) -> None:
        """Answer requests with `status` (a Status body, and a Retry-After header when given)
        for `seconds` of real time and/or `count` requests; without either, until `heal`."""
        deadline = None if seconds is None else asyncio.get_running_loop().time() + seconds
        self._error = (status, deadline, count, retry_after)

    def drop_randomly(self, probability: float, *, within: float = 0.0) -> None:
        """Cut connections: each request's at once with `probability` (before it is
        answered), else (when `within` > 0) at a random moment up to `within` seconds after
        it arrives, which ends open watches mid-stream."""
        self._drop_probability = probability
        self._drop_within = within

    def heal(self) -> None:
        """Stop injecting errors and drops (already scheduled cuts still happen)."""
        self._error = None
        self._drop_probability = self._drop_within = 0.0

    @staticmethod
    def silence_watches(server: SimServer) -> int:
        """Make every open watch go quiet without closing: no events, no bookmarks, the
        connection stays up (a half-open link after a NAT or VPN forgot it). Returns how
        many. New watches are unaffected."""
        return server.api.watches.silence_all()

    # -- the middleware ------------------------------------------------------------------

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        transport = request.transport
        if transport is not None and (self._drop_probability or self._drop_within):
            if self._rng.random() < self._drop_probability:
                self._cut(transport)
                raise ConnectionResetError("fault: connection dropped")
            if self._drop_within > 0:
                delay = self._rng.uniform(0.0, self._drop_within)
                asyncio.get_running_loop().call_later(delay, self._cut, transport)
        error = self._current_error()
        if error is not None:
            return error
        return await handler(request)

    def _cut(self, transport: asyncio.Transport) -> None:
        if not transport.is_closing():
            self.drops += 1
            transport.abort()

    def _current_error(self) -> web.Response | None:
        if self._error is None:
            return None
        status, deadline, count, retry_after = self._error
        if deadline is not None and asyncio.get_running_loop().time() >= deadline:
            self._error = None
            return None
        if count is not None:
            if count <= 0:
                self._error = None
                return None
            self._error = (status, deadline, count - 1, retry_after)
        self.errors_sent += 1
        reason = _REASONS.get(status, "InternalError")
        body = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": f"injected fault: {reason}",
            "reason": reason,
            "code": status,
        }
        if retry_after is not None:
            body["details"] = {"retryAfterSeconds": retry_after}
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
        return web.Response(
            status=status, text=json.dumps(body), content_type="application/json", headers=headers
        )


async def outage(
    server: SimServer,
    seconds: float,
    *,
    speed: float = 1.0,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> None:
    """The API server goes away for `seconds` (simulated: `seconds / speed` real seconds)
    and comes back on the same port with the same objects and resourceVersions. Every
    connection is reset; controllers and the store carry on meanwhile."""
    await server.restart(downtime=seconds / speed if speed > 0 else seconds, sleep=sleep)
