"""`cnvtui preflight`: check a cluster before an update, for people and for scripts.

Exit codes (docs/exit-codes.md): 0 when no check found a blocker, 1 when one did, 2 when the
checks could not run or not completely (no kubeconfig, cluster unreachable, credentials
rejected, a kind it may not read: the reason is printed, and whatever could be read is still
checked; 2 wins over 1 because the unread kinds may hide more blockers). The JSON's `exitCode`
is the same number.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import time
from collections.abc import Mapping
from typing import TextIO

from cnvtui.checks.collect import CannotCheck, collect
from cnvtui.checks.render import render_json, render_table
from cnvtui.exitcodes import ExitCode, describe_exit_codes
from cnvtui.kube.client import KubeClient
from cnvtui.kube.config import ConfigSource
from cnvtui.kube.errors import ConfigError
from cnvtui.state.eus import parse_minor
from cnvtui.state.preflight import run_preflight

__all__ = ["BLOCKERS_FOUND", "COULD_NOT_CHECK", "add_arguments", "run", "run_async"]

BLOCKERS_FOUND = ExitCode.ERROR
"""1: the codes of a checking tool, as the command was specified (see `COMMAND_CODES`)."""
COULD_NOT_CHECK = ExitCode.USAGE
"""2: whatever kept the checks from running; the reason says which."""
LIST_KINDS = 6
"""Unreadable kinds named in the one stderr line (the report has them all)."""


def _target(text: str) -> str:
    minor = parse_minor(text)
    if minor is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a version like 4.14")
    return f"{minor[0]}.{minor[1]}"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add preflight's options (and the cluster options, when the parser lacks them)."""
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = describe_exit_codes("preflight")
    have = set(parser._option_string_actions)
    suppress = argparse.SUPPRESS
    if "--kubeconfig" not in have:
        parser.add_argument("--kubeconfig", metavar="FILE", default=suppress,
                            help="kubeconfig file (default: as kubectl)")  # fmt: skip
    if "--context" not in have:
        parser.add_argument("--context", default=suppress, help="kubeconfig context to use")
    if "--namespace" not in have:
        parser.add_argument(
            "--namespace", "-n", metavar="NS", default=suppress,
            help="namespace of the HyperConverged CR (default: detected)",
        )  # fmt: skip
    parser.add_argument(
        "--target", type=_target, metavar="X.Y",
        help="the minor version to update to (e.g. 4.14): adds the update path to it",
    )  # fmt: skip
    parser.add_argument(
        "--output", "-o", choices=("table", "json"), default="table",
        help="table (default) or json",
    )  # fmt: skip
    parser.add_argument(
        "--timeout", type=float, default=60.0, metavar="SECONDS",
        help="give up reading the cluster after this long (default 60)",
    )  # fmt: skip


def run(args: argparse.Namespace) -> int:
    """Run the checks and print the report; return the exit status."""
    return asyncio.run(run_async(args))


async def run_async(
    args: argparse.Namespace,
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    environ: Mapping[str, str] | None = None,
) -> int:
    """`run` inside a running event loop (tests, embedding)."""
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    as_json = getattr(args, "output", "table") == "json"
    source = {"context": "", "server": "", "namespace": ""}

    def cannot(reason: str) -> int:
        print(f"cnvtui preflight: could not check: {reason}", file=err)
        if as_json:
            print(
                render_json(None, exit_code=COULD_NOT_CHECK, source=source, error=reason),
                file=out,
            )
        return COULD_NOT_CHECK

    config = ConfigSource(getattr(args, "kubeconfig", None), getattr(args, "context", None))
    try:
        client = await KubeClient.connect(config, environ=dict(environ or os.environ))
    except ConfigError as exc:
        return cannot(str(exc))
    try:
        source.update(context=client.info.context, server=client.server)
        try:
            collected = await collect(
                client, getattr(args, "namespace", None), within=getattr(args, "timeout", 60.0)
            )
        except CannotCheck as exc:
            return cannot(str(exc))
    finally:
        await client.close()
    source["namespace"] = collected.hco_namespace
    report = run_preflight(collected.store, time.time(), target=getattr(args, "target", None))
    code = BLOCKERS_FOUND if report.blockers else ExitCode.OK
    if report.unreadable:
        code = COULD_NOT_CHECK
        kinds = report.unreadable_kinds
        shown = ", ".join(kinds[:LIST_KINDS]) + (
            f" and {len(kinds) - LIST_KINDS} more" if len(kinds) > LIST_KINDS else ""
        )
        print(
            f"cnvtui preflight: could not check everything: cannot read {shown} "
            "(the reasons are in the report)",
            file=err,
        )
    if as_json:
        print(render_json(report, exit_code=code, source=source), file=out)
    else:
        width = shutil.get_terminal_size((100, 24)).columns
        where = f"{source['context']} @ {source['server']}, namespace {source['namespace']}"
        print(render_table(report, width=width, where=where), file=out)
    return code


def main(argv: list[str] | None = None) -> int:
    """`python -m cnvtui.checks`: the command on its own (before it is wired into the CLI)."""
    parser = argparse.ArgumentParser(
        prog="cnvtui preflight",
        description="Check the cluster before an OpenShift Virtualization update.",
    )
    add_arguments(parser)
    try:
        return run(parser.parse_args(argv))
    except KeyboardInterrupt:
        return ExitCode.INTERRUPTED
