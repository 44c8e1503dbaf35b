"""`cnvtui status`: its options, and the entry point that turns every failure into one line.

The lead wires it into `cnvtui.cli`: `add_arguments(subparser)`, then `run(args)`.
Meanwhile (and for scripts) `python -m cnvtui.report ...` runs the same command.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Coroutine, Sequence
from typing import Any, TextIO

from cnvtui.exitcodes import ExitCode, StatusFailure, describe_exit_codes
from cnvtui.kube.record import RecordingError
from cnvtui.report.formats import FORMATS
from cnvtui.report.replayed import run_replay
from cnvtui.report.status import StatusOptions, run_live
from cnvtui.report.timeparse import parse_duration
from cnvtui.report.waiting import DEFAULT_GRACE, Goal
from cnvtui.state.text import safe_text

__all__ = ["add_arguments", "build_parser", "main", "options_from_args", "run", "run_options"]

DESCRIPTION = (
    "Print the state of the OpenShift Virtualization update once, keep printing a line per "
    "change (--watch), wait until the update is done, needs approval or is healthy "
    "(--wait-for, for pipelines), or show the state at a moment of a recording (--replay)."
)
EPILOG = (
    "examples:\n"
    "  cnvtui status\n"
    "  cnvtui status -o json | jq .verdict\n"
    "  cnvtui status --watch --record upgrade.cnvrec.gz | tee upgrade.log\n"
    "  cnvtui status --wait-for done --timeout 2h\n"
    "  cnvtui status --replay upgrade.cnvrec.gz --at 03:15\n"
    "  cnvtui status --replay upgrade.cnvrec.gz --at=-10m   (10 minutes before the end)\n\n"
    + describe_exit_codes()
    + "\n\nThe JSON schema is in docs/status-schema.md."
)


def _duration(text: str) -> float:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `cnvtui status` (cluster options too, so they work after `status`)."""
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.description = DESCRIPTION
    parser.epilog = EPILOG
    have = set(parser._option_string_actions)
    cluster = parser.add_argument_group("cluster")
    if "--kubeconfig" not in have:
        cluster.add_argument(
            "--kubeconfig", metavar="FILE", default=argparse.SUPPRESS,
            help="kubeconfig file (default: as kubectl)",
        )  # fmt: skip
    if "--context" not in have:
        cluster.add_argument(
            "--context", default=argparse.SUPPRESS, help="kubeconfig context (default: current)"
        )
    if "--namespace" not in have:
        cluster.add_argument(
            "--namespace", "-n", metavar="NS", default=argparse.SUPPRESS,
            help="namespace of the HyperConverged (default: detected)",
        )  # fmt: skip
    parser.add_argument(
        "--output", "-o", choices=FORMATS, default="table",
        help="table (for people), json or yaml (schema cnvtui.io/update-picture/v1)",
    )  # fmt: skip
    parser.add_argument(
        "--max-vmis", type=_count, metavar="N", default=None,
        help="outdated VMIs listed (default: 10 in the table, all in json/yaml, "
        "20 per --watch line)",
    )  # fmt: skip
    follow = parser.add_argument_group("following")
    follow.add_argument(
        "--watch", "-w", action="store_true",
        help="keep watching; print a line (a JSON object with -o json) per meaningful change",
    )  # fmt: skip
    follow.add_argument(
        "--interval", type=_duration, default=5.0, metavar="DURATION",
        help="--watch: least time between lines that only report new counts (default 5s)",
    )  # fmt: skip
    follow.add_argument(
        "--wait-for", choices=[g.value for g in Goal], metavar="GOAL",
        help="wait until the update is done, an install plan needs approval, or the "
        "operator is healthy (done|approval-needed|healthy); exit 0 then",
    )  # fmt: skip
    follow.add_argument(
        "--cnv-version", metavar="VERSION",
        help="--wait-for done|healthy: also wait until CNV runs VERSION (e.g. 4.14.4), so a "
        "wait started before OLM offers the update does not end at once",
    )  # fmt: skip
    follow.add_argument(
        "--timeout", type=_duration, metavar="DURATION",
        help="--wait-for: give up this long after the start (e.g. 30m, 2h; default: no limit)",
    )  # fmt: skip
    follow.add_argument(
        "--grace", type=_duration, default=DEFAULT_GRACE, metavar="DURATION",
        help="--wait-for: how long Degraded/Stuck must last to count as a failed update "
        "(default 2m; 0 fails at once)",
    )  # fmt: skip
    follow.add_argument(
        "--sync-timeout", type=_duration, default=60.0, metavar="DURATION",
        help="how long to wait for the cluster's first complete answer (default 60s)",
    )  # fmt: skip
    record = parser.add_argument_group("recording")
    # SUPPRESS: `cnvtui --record FILE status` keeps the global flag.
    record.add_argument(
        "--record", metavar="FILE", default=argparse.SUPPRESS,
        help="also record every watch event to FILE (a new gzip JSON-lines file)",
    )  # fmt: skip
    record.add_argument("--replay", metavar="FILE", help="read a recording instead of the cluster")
    record.add_argument(
        "--at", metavar="TIME",
        help="--replay: the moment to show: end (default), start, 10:03 (UTC), "
        "2024-05-01T10:03:00Z, +10m from the start, -5m from the end (write --at=-5m)",
    )  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    """A parser for the command alone (`python -m cnvtui.report`)."""
    parser = argparse.ArgumentParser(prog="cnvtui status")
    add_arguments(parser)
    return parser


def options_from_args(args: argparse.Namespace) -> StatusOptions:
    """StatusOptions from parsed arguments; StatusFailure(USAGE) when they conflict."""
    replay = getattr(args, "replay", None)
    wait_for = getattr(args, "wait_for", None)
    problems = []
    if replay and wait_for:
        problems.append("--wait-for needs a live cluster, not --replay")
    if replay and getattr(args, "record", None):
        problems.append("--record needs a live cluster, not --replay")
    if getattr(args, "at", None) and not replay:
        problems.append("--at needs --replay FILE")
    if getattr(args, "timeout", None) is not None and not wait_for:
        problems.append("--timeout needs --wait-for")
    if getattr(args, "cnv_version", None) and not wait_for:
        problems.append("--cnv-version needs --wait-for")
    if problems:
        raise StatusFailure("; ".join(problems), ExitCode.USAGE)
    return StatusOptions(
        kubeconfig=getattr(args, "kubeconfig", None),
        context=getattr(args, "context", None),
        namespace=getattr(args, "namespace", None),
        output=getattr(args, "output", "table"),
        watch=bool(getattr(args, "watch", False)),
        wait_for=Goal(wait_for) if wait_for else None,
        timeout=getattr(args, "timeout", None),
        grace=getattr(args, "grace", DEFAULT_GRACE),
        cnv_version=getattr(args, "cnv_version", None),
        interval=getattr(args, "interval", 5.0),
        record=getattr(args, "record", None),
        replay=replay,
        at=getattr(args, "at", None),
        max_vmis=getattr(args, "max_vmis", None),
        sync_timeout=getattr(args, "sync_timeout", 60.0),
    )


def _fail(message: str, err: TextIO) -> None:
    err.write(f"cnvtui status: {safe_text(message, 400)}\n")
    err.flush()


async def run_options(
    options: StatusOptions, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Run the command in the current event loop; failures become a line and an exit code."""
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        if options.replay:
            return await asyncio.to_thread(run_replay, options, out, err)
        return await run_live(options, out, err)
    except StatusFailure as exc:
        _fail(str(exc), err)
        return exc.code
    except RecordingError as exc:
        _fail(str(exc), err)
        return ExitCode.RECORDING
    except BrokenPipeError:
        return ExitCode.OK  # `| head` closed the pipe: nothing more to say
    except Exception as exc:
        if os.environ.get("CNVTUI_DEBUG"):
            raise
        _fail(f"internal error: {type(exc).__name__}: {exc} (set CNVTUI_DEBUG=1 for details)", err)
        return ExitCode.ERROR


async def _until_signalled(work: Coroutine[Any, Any, int]) -> int:
    task = asyncio.ensure_future(work)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, task.cancel)
    try:
        return await task
    except asyncio.CancelledError:
        return ExitCode.INTERRUPTED


def run(args: argparse.Namespace) -> int:
    """Entry point of `cnvtui status` (returns the exit code)."""
    try:
        options = options_from_args(args)
    except StatusFailure as exc:
        _fail(str(exc), sys.stderr)
        return exc.code
    try:
        return asyncio.run(_until_signalled(run_options(options)))
    except KeyboardInterrupt:
        return ExitCode.INTERRUPTED


def main(argv: Sequence[str] | None = None) -> int:
    return run(build_parser().parse_args(argv))
