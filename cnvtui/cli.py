"""Command-line entry points: the dashboard (default), `demo`, and `sim`.

Heavy modules are imported only by the command that needs them, so `cnvtui sim` never loads
Textual and `--help` answers at once.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from cnvtui import __version__
from cnvtui.exitcodes import ExitCode, describe_exit_codes


def _add_cluster_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--kubeconfig", metavar="FILE", help="kubeconfig file (default: as kubectl)"
    )
    parser.add_argument("--context", help="kubeconfig context to use (default: current)")
    parser.add_argument(
        "--namespace",
        "-n",
        metavar="NS",
        help="namespace of the HyperConverged CR (default: detected; openshift-cnv, then "
        "kubevirt-hyperconverged)",
    )
    parser.add_argument(
        "--read-only",
        action="store_true",
        help="offer no actions and send no write request at all (also CNVTUI_READ_ONLY=1, "
        "e.g. in the shell profile of a bastion that must never write)",
    )
    parser.add_argument(
        "--low-bandwidth",
        action="store_true",
        help="for slow links: redraw at most every 2 s, ages once a minute, no animations "
        "(also CNVTUI_LOW_BANDWIDTH=1)",
    )
    parser.add_argument(
        "--record",
        metavar="FILE",
        help="write every watch event to FILE, a new file (compressed JSON lines), for "
        "`cnvtui replay` and `cnvtui sim --from` (the dashboard, demo and status)",
    )


def _epilog(parser: argparse.ArgumentParser, command: str) -> None:
    """List the command's exit codes under its --help, line by line."""
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = describe_exit_codes(command)


def _positive_speed(text: str) -> float:
    """A replay speed: a finite number above zero (pausing is the space key's job)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"{text} must be above zero, such as 0.5, 1 or 60")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cnvtui",
        description="A live dashboard for OpenShift Virtualization updates. With no command it\n"
        "opens the dashboard on the current kubeconfig context.",
    )
    _epilog(parser, "cnvtui")
    parser.add_argument("--version", action="version", version=f"cnvtui {__version__}")
    _add_cluster_options(parser)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = commands.add_parser(
        "demo",
        help="run the dashboard against a simulated cluster (no cluster needed)",
        description="Starts the simulated cluster on a free loopback port and opens the\n"
        "dashboard on it over real HTTP. q quits both.",
    )
    _epilog(demo, "demo")
    # SUPPRESS: without the flag here, `cnvtui --read-only demo` keeps the global one.
    demo.add_argument(
        "--read-only", action="store_true", default=argparse.SUPPRESS, help="offer no actions"
    )
    from cnvtui.sim.scenarios import add_scenario_arguments

    add_scenario_arguments(demo)
    demo.add_argument("--vmis", type=int, default=60, help="running VMIs (default 60)")
    demo.add_argument("--namespaces", type=int, default=4, help="workload namespaces")
    demo.add_argument("--nodes", type=int, default=6, help="nodes (3 of them masters)")

    sim = commands.add_parser(
        "sim",
        help="serve a simulated OpenShift Virtualization cluster on loopback",
        description="A Kubernetes API server with simulated OLM, HCO, virt-controller, CVO and\n"
        "MCO controllers. It writes a kubeconfig that kubectl and cnvtui can use.",
    )
    _epilog(sim, "sim")
    from cnvtui.sim import command as sim_command

    sim_command.add_arguments(sim)

    preflight = commands.add_parser(
        "preflight",
        help="check the cluster before an update (exit 0 ok, 1 blockers, 2 could not check)",
        description="Runs the pre-update checks against the live cluster: subscription, version\n"
        "skew and path, HCO health, workloads that block or never update, nodes and pools.",
    )
    from cnvtui.checks import command as checks_command

    checks_command.add_arguments(preflight)

    status = commands.add_parser(
        "status",
        help="print the update's state once, on every change (--watch), or wait for a goal",
        description="One-shot summary of the CNV update for scripts. Exit codes: below and in "
        "docs/exit-codes.md.",
    )
    from cnvtui.report import command as report_command

    report_command.add_arguments(status)

    replay = commands.add_parser(
        "replay",
        help="open the dashboard on a recording made with --record",
        description="Plays a recording in the dashboard: space pauses, . steps, [ ] and { }\n"
        "seek by 1 and 10 minutes, < > jump to the start and end, - + change the speed.",
    )
    _epilog(replay, "replay")
    replay.add_argument("file", metavar="FILE", help="a recording (cnvtui --record FILE)")
    replay.add_argument(
        "--speed",
        type=_positive_speed,
        default=1.0,
        help="recorded seconds per second (default 1; space pauses)",
    )
    return parser


READ_ONLY_ENV = "CNVTUI_READ_ONLY"
"""Set to 1 to make every dashboard read-only without the flag (a setting for a bastion)."""


def read_only_from_env() -> bool:
    """Whether `CNVTUI_READ_ONLY` asks for read-only mode (1, true, yes, on)."""
    return os.environ.get(READ_ONLY_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.read_only = args.read_only or read_only_from_env()
    if args.record and args.command in ("sim", "preflight", "replay"):
        parser.error(f"--record records the dashboard, demo or status, not {args.command}")
    try:
        if args.command == "sim":
            from cnvtui.sim import command as sim_command

            return sim_command.run(args)
        if args.command == "preflight":
            from cnvtui.checks import command as checks_command

            return checks_command.run(args)
        if args.command == "status":
            from cnvtui.report import command as report_command

            return report_command.run(args)
        if args.command == "replay":
            from cnvtui.ui.run import run_replay

            return run_replay(args.file, speed=args.speed)
        if args.command == "demo":
            from cnvtui.demo import run_demo

            return run_demo(args)
        from cnvtui.ui.app import run_dashboard

        return run_dashboard(
            kubeconfig=args.kubeconfig,
            context=args.context,
            namespace=args.namespace,
            read_only=args.read_only,
            record=args.record,
            low_bandwidth=args.low_bandwidth or None,
        )
    except KeyboardInterrupt:
        return ExitCode.INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
