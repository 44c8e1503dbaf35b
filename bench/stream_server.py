"""A pre-encoded VMI watch stream, served as fast as loopback allows (figure 1).

    python -m bench.stream_server --events 50000 --objects 10000

The VMI list is empty; every watch of VMIs gets the same bytes: `--events` MODIFIED events
cycling over `--objects` distinct VMIs (the simulated cluster's seed, so each is a realistic
few KB), encoded once at start and written in large chunks, then the stream ends. So the
server costs next to nothing and every consumer reads the same stream. Anything else
(discovery, for kubectl) is passed to a small simulated cluster in the same process.

It prints one JSON line (`{"url", "events", "bytes", "mean_event_bytes"}`) once ready.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import signal
import sys
from typing import Any

import aiohttp
from aiohttp import web

from cnvtui.sim.seed import initial_objects
from cnvtui.sim.server import SimServer, paused_gc

VMI_PATH = "/apis/kubevirt.io/v1/virtualmachineinstances"
CHUNK = 1 << 20
_SEED_LIMIT = 10_000
_RV = "RV-PLACEHOLDER"


def vmi_objects(count: int) -> list[dict[str, Any]]:
    """`count` distinct VMIs: the seed's, cloned under new names past 10,000 (seeding is
    the slow part, and a clone is exactly as large)."""
    seeded = [
        o
        for o in initial_objects(vmis=min(count, _SEED_LIMIT), namespaces=10, nodes=6)
        if o.get("kind") == "VirtualMachineInstance"
    ]
    out = list(seeded)
    i = 0
    while len(out) < count:
        clone = copy.deepcopy(seeded[i % len(seeded)])
        clone["metadata"]["name"] += f"-c{i}"
        clone["metadata"]["uid"] = f"{clone['metadata'].get('uid', '')[:-8]}{i:08x}"
        out.append(clone)
        i += 1
    return out


def encode_stream(objects: list[dict[str, Any]], events: int, first_rv: int) -> list[bytes]:
    """The whole watch body as chunks of about 1 MB: one MODIFIED event per line."""
    templates: list[tuple[bytes, bytes]] = []
    for obj in objects:
        obj["metadata"]["resourceVersion"] = _RV
        line = json.dumps({"type": "MODIFIED", "object": obj}, separators=(",", ":"))
        head, _, tail = line.encode().partition(_RV.encode())
        templates.append((head, tail + b"\n"))
    chunks: list[bytes] = []
    parts: list[bytes] = []
    size = 0
    n = len(templates)
    for i in range(events):
        head, tail = templates[i % n]
        rv = str(first_rv + i).encode()
        parts += (head, rv, tail)
        size += len(head) + len(rv) + len(tail)
        if size >= CHUNK:
            chunks.append(b"".join(parts))
            parts, size = [], 0
    if parts:
        chunks.append(b"".join(parts))
    return chunks


class StreamServer:
    """Serves the pre-encoded stream to each VMI watch; proxies the rest to `backend`."""

    def __init__(self, chunks: list[bytes], backend: str) -> None:
        self.chunks = chunks
        self.backend = backend
        self.served = 0
        self._session: aiohttp.ClientSession | None = None

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if request.path == VMI_PATH:
            if request.query.get("watch") in ("true", "1"):
                return await self._watch(request)
            return web.json_response(
                {
                    "kind": "VirtualMachineInstanceList",
                    "apiVersion": "kubevirt.io/v1",
                    "metadata": {"resourceVersion": "1"},
                    "items": [],
                }
            )
        return await self._proxy(request)

    async def _watch(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        if request.query.get("resourceVersion", "1") == "1":
            self.served += 1
            for chunk in self.chunks:
                await response.write(chunk)
        else:
            await asyncio.sleep(float(request.query.get("timeoutSeconds", "5")))
        await response.write_eof()
        return response

    async def _proxy(self, request: web.Request) -> web.Response:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        async with self._session.request(
            request.method,
            self.backend + request.path_qs,
            headers={k: v for k, v in request.headers.items() if k.lower() != "host"},
            data=await request.read(),
        ) as upstream:
            body = await upstream.read()
            return web.Response(
                status=upstream.status,
                body=body,
                content_type=upstream.content_type,
            )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


async def serve(events: int, objects: int) -> None:
    with paused_gc():
        chunks = encode_stream(vmi_objects(objects), events, 2)
    backend = SimServer(vmis=0)
    await backend.start()
    server = StreamServer(chunks, backend.url)
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", server.handle)
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    total = sum(len(c) for c in chunks)
    ready = {
        "url": f"http://127.0.0.1:{port}",
        "events": events,
        "bytes": total,
        "mean_event_bytes": round(total / max(1, events)),
    }
    print(json.dumps(ready), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await server.close()
    await runner.cleanup()
    await backend.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.stream_server")
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--objects", type=int, default=10_000)
    args = parser.parse_args(argv)
    asyncio.run(serve(args.events, args.objects))
    return 0


if __name__ == "__main__":
    sys.exit(main())
