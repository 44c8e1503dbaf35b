"""`cnvtui sim`: serve the simulated cluster until interrupted.

It prints where it listens and how to use the kubeconfig it wrote; SIGINT or SIGTERM stop it
cleanly (open watches end, background tasks are cancelled).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from cnvtui.exitcodes import ExitCode
from cnvtui.sim import kubeconfig
from cnvtui.sim.auth import BUILTIN_ROLES
from cnvtui.sim.clock import SimClock
from cnvtui.sim.loadfrom import LoadError, load_objects
from cnvtui.sim.scenarios import add_scenario_arguments, build_from_args, describe_scenarios
from cnvtui.sim.server import SimServer, Task, paused_gc
from cnvtui.sim.store import Store


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The server's options (the lead adds them to `cnvtui sim`)."""
    net = parser.add_argument_group("server")
    net.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default %(default)s)"
    )
    net.add_argument("--port", type=int, default=0, help="port (default 0: a free one)")
    net.add_argument("--tls", action="store_true", help="serve HTTPS with a generated CA")
    net.add_argument(
        "--kubeconfig-out",
        metavar="FILE",
        type=Path,
        default=None,
        help=f"where to write the kubeconfig (default {kubeconfig.default_path()})",
    )
    net.add_argument(
        "--history-size",
        type=int,
        default=50_000,
        help="watch events kept for resuming; older resourceVersions get 410 Gone "
        "(default %(default)s)",
    )
    net.add_argument(
        "--hco-v1",
        action="store_true",
        help="serve HyperConverged v1 (storage) beside v1beta1, as newer HCO releases do",
    )
    access = parser.add_argument_group("access")
    access.add_argument("--token", help="require this bearer token (401 without it)")
    access.add_argument(
        "--role",
        default="admin",
        help=f"what the user may do: {', '.join(BUILTIN_ROLES)} or a role of --roles-file "
        "(default %(default)s)",
    )
    access.add_argument("--user", default="kube:admin", help="the user's name in 403 messages")
    access.add_argument(
        "--roles-file", metavar="FILE", type=Path, help="JSON/YAML roles (and users with tokens)"
    )
    cluster = parser.add_argument_group("cluster")
    cluster.add_argument("--vmis", type=int, default=40, help="running VMIs (default %(default)s)")
    cluster.add_argument(
        "--namespaces", type=int, default=4, help="workload namespaces (default %(default)s)"
    )
    cluster.add_argument(
        "--nodes", type=int, default=6, help="nodes, three of them masters (default %(default)s)"
    )
    add_scenario_arguments(parser)
    parser.add_argument(
        "--from",
        dest="from_path",
        metavar="PATH",
        type=Path,
        help="start from a real cluster's objects: a cnvtui recording (its last state) or a "
        "directory of `oc get -o yaml` dumps; the scenario's controllers then act on them "
        "(use --scenario steady to only react to what you do)",
    )
    companion = parser.add_argument_group("run beside another program (used by cnvtui demo)")
    companion.add_argument(
        "--clock-file",
        metavar="FILE",
        type=Path,
        help="write the simulated time here twice a second, so a dashboard can show ages in "
        "simulated time",
    )
    companion.add_argument(
        "--parent-pid",
        metavar="PID",
        type=int,
        help="stop when this process is gone (so a closed terminal leaves no server behind)",
    )


def build_server(args: argparse.Namespace, tasks: Sequence[Task] = ()) -> SimServer:
    """The server the options ask for, playing the chosen scenario (its objects, clock and
    controllers) plus any extra `tasks`."""
    with paused_gc():
        built = build_from_args(args)
        scenario = built.server_options()
        if getattr(args, "from_path", None):
            loaded = load_objects(args.from_path)
            print(f"cnvtui sim: loaded {loaded.summary()}", flush=True)
            scenario["objects"] = loaded.objects
    extra = list(tasks)
    if getattr(args, "clock_file", None):
        extra.append(_clock_writer(args.clock_file, built.clock))
    return SimServer(
        objects=scenario["objects"],
        own_objects=True,
        tasks=[*scenario["tasks"], *extra],
        now=scenario["now"],
        host=args.host,
        port=args.port,
        token=args.token,
        role=args.role,
        user=args.user,
        roles_file=args.roles_file,
        tls=args.tls,
        kubeconfig_path=args.kubeconfig_out or kubeconfig.default_path(),
        history_size=args.history_size,
        hco_v1=args.hco_v1 or scenario["hco_v1"],
        seed=args.seed,
    )


def _clock_writer(path: Path, clock: SimClock) -> Task:
    """A task that publishes the simulated time (epoch seconds), the real time it was read at
    and the speed, replacing the file atomically so a reader never sees half of it."""

    async def write_clock(_store: Store) -> None:
        tmp = path.with_name(path.name + ".tmp")
        while True:
            sim_epoch = clock.start.timestamp() + clock.elapsed()
            data = {"sim": sim_epoch, "real": time.time(), "speed": clock.speed}
            tmp.write_text(json.dumps(data))
            os.replace(tmp, path)
            await asyncio.sleep(0.5)

    return write_clock


async def _parent_gone(pid: int) -> None:
    """Return once `pid` is no longer this process's parent (it exited)."""
    while os.getppid() == pid:  # noqa: ASYNC110 (no event tells us a parent exited)
        await asyncio.sleep(1.0)


def _usage(server: SimServer, startup: float) -> str:
    path = server.kubeconfig_path
    objects = server.store.resource_version
    return (
        f"cnvtui sim: serving {server.url} ({objects} objects, ready in {startup:.1f} s)\n"
        f"kubeconfig: {path}\n"
        f"  kubectl --kubeconfig {path} get csv -n openshift-cnv\n"
        f"  cnvtui --kubeconfig {path}\n"
        "Ctrl-C stops it."
    )


async def serve(args: argparse.Namespace, tasks: Sequence[Task] = ()) -> int:
    """Run the server until SIGINT/SIGTERM."""
    started = time.monotonic()
    server = build_server(args, tasks)
    await server.start()
    # The initial cluster lives as long as the process: keep the collector from rescanning
    # it, and collect young objects less often (stored objects are trees, freed by refcount).
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)
    print(_usage(server, time.monotonic() - started), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    waits: list[asyncio.Future[object]] = [asyncio.ensure_future(stop.wait())]
    if getattr(args, "parent_pid", None):
        waits.append(asyncio.ensure_future(_parent_gone(args.parent_pid)))
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiting in waits:
            waiting.cancel()
        await server.stop()
    print("cnvtui sim: stopped", flush=True)
    return 0


def run(args: argparse.Namespace, tasks: Sequence[Task] = ()) -> int:
    """Entry point of `cnvtui sim` (returns the exit code)."""
    if getattr(args, "list_scenarios", False):
        print(describe_scenarios())
        return 0
    try:
        return asyncio.run(serve(args, tasks))
    except LoadError as exc:  # --from: the same code as a replay of an unreadable recording
        print(f"cnvtui sim: {exc}", file=sys.stderr)
        return ExitCode.RECORDING
    except (OSError, ValueError) as exc:
        print(f"cnvtui sim: {exc}", file=sys.stderr)
        return ExitCode.ERROR
    except KeyboardInterrupt:  # before the signal handlers are in place
        return ExitCode.INTERRUPTED
