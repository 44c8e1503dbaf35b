"""`SimServer`: the simulated cluster's API server, its store and its background tasks.

Used by `cnvtui sim`, by the demo and by the tests: start it, point a kubeconfig at it,
and it answers like a cluster. Background tasks (the simulated controllers) get the store
and run until the server stops; they survive `restart()`, which only drops and reopens
the listening socket, as when a real apiserver restarts while etcd and the controllers
carry on.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import socket
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Middleware

from cnvtui.sim import kubeconfig
from cnvtui.sim import tls as certificates
from cnvtui.sim.auth import Authorizer, Rule, load_roles_file
from cnvtui.sim.catalog import load_catalog
from cnvtui.sim.handlers import MAX_BODY, Api
from cnvtui.sim.seed import initial_objects
from cnvtui.sim.store import Store

log = logging.getLogger(__name__)

Json = dict[str, Any]
Task = Callable[[Store], Awaitable[None]]


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """No garbage collection while a large cluster is built: its million new containers
    would trigger ever slower full collections, several seconds for 10,000 VMIs."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _served(objects: Iterable[Json], absent: frozenset[str]) -> Iterable[Json]:
    """The objects whose API group the cluster serves (`without_groups` leaves CRDs out)."""
    if not absent:
        return objects
    return (o for o in objects if _group(o) not in absent)


def _group(obj: Json) -> str:
    api_version = str(obj.get("apiVersion", ""))
    return api_version.rpartition("/")[0]


class SimServer:
    """A Kubernetes API server on loopback (once `start`ed), with its store.

    The cluster is `objects` when given (copied, unless `own_objects` hands them over),
    else the seed's (`vmis`, `namespaces`, `nodes`, `seed`, `seed_options`). `token`,
    `role`/`roles`/`roles_file`/`users` set who may do what; `tls` serves HTTPS with a
    generated CA. A kubeconfig is written to `kubeconfig_path` when one is given. `tasks`
    run beside the server with the store; `now` is the cluster's clock. `without_groups`
    leaves API groups out (a cluster without OLM, MCO or HCO: 404 for them, and their seed
    objects dropped); `middlewares` wrap every request (fault injection, accounting).
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str | None = None,
        role: str = "admin",
        user: str = "kube:admin",
        roles_file: str | Path | None = None,
        roles: Mapping[str, Iterable[Rule]] | None = None,
        users: Iterable[tuple[str, str, str]] = (),
        tls: bool = False,
        kubeconfig_path: str | Path | None = None,
        kubeconfig_namespace: str | None = None,
        vmis: int = 40,
        namespaces: int = 4,
        nodes: int = 6,
        history_size: int = 50_000,
        hco_v1: bool = False,
        seed: int = 0,
        objects: Iterable[Json] | None = None,
        own_objects: bool = False,
        tasks: Sequence[Task] = (),
        now: Callable[[], datetime] | None = None,
        bookmark_interval: float = 60.0,
        seed_options: Mapping[str, Any] | None = None,
        middlewares: Sequence[Middleware] = (),
        without_groups: Iterable[str] = (),
    ) -> None:
        self.host = host
        self.port = port
        self.token = token
        self.tls = tls
        self.kubeconfig_path: Path | None = Path(kubeconfig_path) if kubeconfig_path else None
        self.kubeconfig_namespace = kubeconfig_namespace
        self.user = user
        all_roles: dict[str, tuple[Rule, ...]] = {k: tuple(v) for k, v in (roles or {}).items()}
        all_users = list(users)
        if roles_file is not None:
            file_roles, file_users = load_roles_file(roles_file)
            all_roles.update(file_roles)
            all_users.extend(file_users)
        self.authorizer = Authorizer(
            token=token, role=role, user=user, roles=all_roles, users=all_users
        )
        store_kwargs: dict[str, Any] = {"history_size": history_size, "seed": seed}
        if now is not None:
            store_kwargs["now"] = now
        absent = frozenset(without_groups)
        catalog = [d for d in load_catalog(hco_v1=hco_v1) if d.group not in absent]
        self.store = Store(catalog, **store_kwargs)
        with paused_gc():
            if objects is not None:
                self.store.load(_served(objects, absent), copy=not own_objects)
            else:
                seed_kwargs: dict[str, Any] = {
                    "vmis": vmis,
                    "namespaces": namespaces,
                    "nodes": nodes,
                    "hco_api": "v1" if hco_v1 else "v1beta1",
                    "seed": seed,
                }
                if now is not None:
                    seed_kwargs["now"] = now()
                seed_kwargs.update(seed_options or {})
                self.store.load(_served(initial_objects(**seed_kwargs), absent), copy=False)
        self.api = Api(self.store, self.authorizer, bookmark_interval=bookmark_interval)
        self.middlewares = list(middlewares)
        self._task_factories = list(tasks)
        self._tasks: list[asyncio.Task[None]] = []
        self._runner: web.AppRunner | None = None
        self._sock: socket.socket | None = None
        self._certs: certificates.Certificates | None = None

    # -- addresses ---------------------------------------------------------------------

    @property
    def url(self) -> str:
        scheme = "https" if self.tls else "http"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}"

    @property
    def ca_pem(self) -> bytes | None:
        return self._certs.ca_pem if self._certs else None

    def kubeconfig(self) -> Json:
        """The kubeconfig (as a dict) that reaches this server."""
        return kubeconfig.render(
            self.url,
            token=self.token,
            ca_pem=self.ca_pem,
            namespace=self.kubeconfig_namespace,
            user=self.user,
        )

    # -- lifecycle ---------------------------------------------------------------------

    async def start(self) -> None:
        """Listen, write the kubeconfig (if a path was given), start the background tasks."""
        if self.tls and self._certs is None:
            self._certs = await asyncio.to_thread(certificates.generate, self.host)
        await self._listen()
        if self.kubeconfig_path is not None:
            kubeconfig.write(self.kubeconfig_path, self.kubeconfig())
        for factory in self._task_factories:
            task = asyncio.create_task(
                self._run_task(factory), name=getattr(factory, "__name__", "sim-task")
            )
            self._tasks.append(task)

    async def _run_task(self, factory: Task) -> None:
        try:
            await factory(self.store)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("simulated cluster task %s failed", getattr(factory, "__name__", factory))

    async def _listen(self) -> None:
        app = web.Application(
            client_max_size=MAX_BODY + 1024 * 1024, middlewares=list(self.middlewares)
        )
        app.router.add_route("*", "/{tail:.*}", self.api.handle)
        runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError:
            sock.close()
            await runner.cleanup()
            raise
        self.port = sock.getsockname()[1]
        self.api.address = f"{self.host}:{self.port}"
        ssl_context = self._certs.server_context() if self._certs else None
        site = web.SockSite(runner, sock, ssl_context=ssl_context)
        await site.start()
        self._runner = runner
        self._sock = sock

    async def _close_listener(self, *, abort: bool = False) -> None:
        self.api.watches.close_all(abort=abort)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.close()
            self._sock = None

    async def restart(
        self,
        downtime: float = 0.0,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        """Drop every connection and listen again on the same port, keeping the store;
        refuse connections for `downtime` seconds in between (see `cnvtui.sim.faults`)."""
        await self._close_listener(abort=True)
        if downtime > 0:
            await sleep(downtime)
        await self._listen()

    async def stop(self) -> None:
        """Stop the background tasks and the listener; every open watch ends."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        await self._close_listener()

    # -- fault control -----------------------------------------------------------------

    def close_watches(self) -> int:
        """Drop every open watch connection (clients must resume); returns how many."""
        return self.api.watches.close_all()

    async def __aenter__(self) -> SimServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
