"""The simulated cluster as a benchmark subject: a child process with a control port.

    python -m bench.simproc --vmis 10000 --clients dash,loop --dir DIR [--scenario zstream]

It serves the simulated API over TLS (kubectl sends no token over plain HTTP) with
per-client accounting (one bearer token and one kubeconfig,
`DIR/<client>.kubeconfig`, per client name), and a small control API beside it:

- `GET /accounting`: requests, watches and bytes served to each client so far;
- `POST /changes?rate=R&count=C`: mark C VMIs outdated at R per second, newest first in the
  dashboard's sort order, so each changed VMI becomes the top row of the outdated list;
- `GET /changes`: the wall-clock time of each change (epoch seconds), in order.

It prints one JSON line (`{"url": ..., "control": ...}`) once both listen. Running it in its
own process keeps the server's CPU out of the measured clients' accounts.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import secrets
import signal
import sys
import time
from pathlib import Path

from aiohttp import web

from cnvtui.sim import kubeconfig, media
from cnvtui.sim.accounting import Accounting, token_id
from cnvtui.sim.scenarios import build
from cnvtui.sim.server import SimServer, paused_gc
from cnvtui.sim.store import Store

OUTDATED_LABEL = "kubevirt.io/outdatedLauncherImage"
VMI = ("kubevirt.io", "virtualmachineinstances")


class Changer:
    """Marks VMIs outdated at a steady rate, straight in the store (as a controller would),
    and notes when each change was committed."""

    def __init__(self) -> None:
        self.store: Store | None = None
        self.times: list[float] = []
        self._order: list[tuple[str, str]] = []
        self._task: asyncio.Task[None] | None = None

    async def attach(self, store: Store) -> None:
        self.store = store
        # The shared entries, not `list` (which copies every object: half a second of the
        # server's time at 10,000 VMIs, just as the first client starts).
        entries = store.list_page(*VMI).entries
        keys = [
            (e.obj["metadata"].get("namespace", ""), e.obj["metadata"]["name"]) for e in entries
        ]
        self._order = sorted(keys, reverse=True)
        await asyncio.Event().wait()

    def start(self, rate: float, count: int) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._task = asyncio.create_task(self._run(rate, count))

    async def _run(self, rate: float, count: int) -> None:
        store = self.store
        assert store is not None
        begin = time.monotonic()
        patch = {"metadata": {"labels": {OUTDATED_LABEL: ""}}}
        for i in range(count):
            if not self._order:
                return
            due = begin + i / rate
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            namespace, name = self._order.pop(0)
            store.patch(*VMI, namespace, name, "merge", patch)
            self.times.append(time.time())


def _warm(store: Store) -> None:
    """Encode every VMI once before any client comes. A real API server lists from its watch
    cache and encodes in Go; this one, in Python, would otherwise spend most of a second on
    the first list of 10,000 VMIs, which the start-up figure would charge to the client."""
    rdef = store.resource(*VMI)
    for entry in store.list_page(*VMI).entries:
        media.object_json(rdef, entry, "v1")


async def serve(args: argparse.Namespace) -> None:
    out = Path(args.dir)
    changer = Changer()
    with paused_gc():
        built = build(
            args.scenario,
            vmis=args.vmis,
            namespaces=args.namespaces,
            speed=args.speed,
            controllers=None if args.controllers else (),
        )
    tokens = {name: secrets.token_hex(12) for name in args.clients.split(",") if name}
    accounting = Accounting()
    server = SimServer(
        objects=built.objects,
        own_objects=True,
        tasks=[*built.tasks, changer.attach],
        now=built.clock.now,
        hco_v1=built.hco_v1,
        users=[(name, token, "admin") for name, token in tokens.items()],
        middlewares=[accounting],
        tls=True,
    )
    await server.start()
    _warm(server.store)
    gc.freeze()
    names = {"token:" + token_id(token): name for name, token in tokens.items()}
    for name, token in tokens.items():
        config = kubeconfig.render(server.url, token=token, ca_pem=server.ca_pem, user=name)
        kubeconfig.write(out / f"{name}.kubeconfig", config)

    async def get_accounting(_request: web.Request) -> web.Response:
        snap = accounting.snapshot()
        return web.json_response({names.get(k, k): v for k, v in snap.items()})

    async def post_changes(request: web.Request) -> web.Response:
        changer.start(float(request.query["rate"]), int(request.query["count"]))
        return web.json_response({"ok": True})

    async def get_changes(_request: web.Request) -> web.Response:
        return web.json_response(changer.times)

    app = web.Application()
    app.router.add_get("/accounting", get_accounting)
    app.router.add_post("/changes", post_changes)
    app.router.add_get("/changes", get_changes)
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    print(json.dumps({"url": server.url, "control": f"http://127.0.0.1:{port}"}), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    parent = os.getppid()
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 1.0)
        if os.getppid() != parent:
            break
    await runner.cleanup()
    await server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.simproc")
    parser.add_argument("--vmis", type=int, default=1000)
    parser.add_argument("--namespaces", type=int, default=10)
    parser.add_argument("--scenario", default="zstream")
    parser.add_argument("--speed", type=float, default=0.0)
    parser.add_argument("--controllers", action="store_true", help="run the scenario's story")
    parser.add_argument("--clients", default="cnvtui")
    parser.add_argument("--dir", required=True)
    args = parser.parse_args(argv)
    asyncio.run(serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
