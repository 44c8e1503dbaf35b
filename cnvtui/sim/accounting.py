"""Requests and response bytes per client, counted at the simulated API server.

The benchmarks compare what a dashboard and a polling loop cost the API server, so the count
is taken where a real apiserver would pay it: at the server, per client, including watch
responses that are still streaming. Pass an `Accounting` to `SimServer(middlewares=[...])`.

A client is named by `client_of(request)`; the default tells clients apart by bearer token
(give each benchmark client its own), else by the product in its User-Agent.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web
from aiohttp.abc import AbstractStreamWriter

ClientOf = Callable[[web.Request], str]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_FOLD_AT = 256


def default_client(request: web.Request) -> str:
    """`token:<8 hex>` for a bearer token, else the User-Agent's product (`kubectl`)."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return "token:" + token_id(token.strip())
    agent = request.headers.get("User-Agent", "")
    return agent.split("/", 1)[0].strip() or "unknown"


def token_id(token: str) -> str:
    """A short, stable name for a token that does not reveal it."""
    return hashlib.sha256(token.encode()).hexdigest()[:8]


@dataclass
class ClientCount:
    """What one client was served: requests, watches, and bytes (headers and bodies)."""

    requests: int = 0
    watches: int = 0
    finished_bytes: int = 0
    live: list[tuple[asyncio.Task[None], AbstractStreamWriter]] = field(default_factory=list)

    def bytes(self) -> int:
        """Bytes written so far; responses still streaming count what they have sent.

        Each request has its own writer whose running count aiohttp keeps; once the
        request's task is done the count is final and is folded into `finished_bytes`.
        """
        still: list[tuple[asyncio.Task[None], AbstractStreamWriter]] = []
        live = 0
        for task, writer in self.live:
            if task.done():
                self.finished_bytes += writer.output_size
            else:
                live += writer.output_size
                still.append((task, writer))
        self.live = still
        return self.finished_bytes + live


class Accounting:
    """An aiohttp middleware; `snapshot()` reads the totals at any time."""

    __middleware_version__ = 1
    """Marks a new-style middleware for aiohttp (what `@web.middleware` sets on functions)."""

    def __init__(self, client_of: ClientOf = default_client) -> None:
        self.client_of = client_of
        self.clients: dict[str, ClientCount] = {}

    async def __call__(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        count = self.clients.setdefault(self.client_of(request), ClientCount())
        count.requests += 1
        if request.query.get("watch") in ("true", "1"):
            count.watches += 1
        count.live.append((request.task, request.writer))
        if len(count.live) > _FOLD_AT:
            count.bytes()
        return await handler(request)

    def snapshot(self) -> dict[str, dict[str, int]]:
        """{client: {"requests", "watches", "bytes"}} as of now."""
        return {
            name: {"requests": c.requests, "watches": c.watches, "bytes": c.bytes()}
            for name, c in sorted(self.clients.items())
        }

    def reset(self) -> None:
        self.clients.clear()
