"""Scenarios of the simulated cluster: a registry, a builder, and the command-line glue.

    built = build("zstream", vmis=40, seed=0, speed=60)
    server = SimServer(**built.server_options())

`add_scenario_arguments(parser)` adds `--scenario`, `--speed`, `--seed` and
`--list-scenarios`; `build_from_args(args)` builds what they ask for (with `--vmis`,
`--namespaces`, `--nodes` when the parser has them).
"""

from __future__ import annotations

import argparse
from datetime import datetime

from cnvtui.sim.scenarios.model import BuiltScenario, Scenario, build_scenario
from cnvtui.sim.scenarios.stories import ALL

__all__ = [
    "DEFAULT_SCENARIO",
    "SCENARIOS",
    "BuiltScenario",
    "Scenario",
    "add_scenario_arguments",
    "build",
    "build_from_args",
    "describe_scenarios",
]

SCENARIOS: dict[str, Scenario] = {s.name: s for s in ALL}
DEFAULT_SCENARIO = "zstream"


def build(
    name: str,
    *,
    vmis: int = 40,
    namespaces: int = 4,
    nodes: int = 6,
    seed: int = 0,
    speed: float = 60.0,
    start: datetime | None = None,
    controllers: tuple[str, ...] | None = None,
) -> BuiltScenario:
    """Build scenario `name` (KeyError when unknown)."""
    return build_scenario(
        SCENARIOS[name], vmis=vmis, namespaces=namespaces, nodes=nodes, seed=seed,
        speed=speed, start=start, controllers=controllers,
    )  # fmt: skip


def describe_scenarios() -> str:
    """One line per scenario, for `--list-scenarios`."""
    width = max(len(name) for name in SCENARIOS)
    return "\n".join(f"{s.name:<{width}}  {s.description}" for s in SCENARIOS.values())


def _speed(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError("speed must be >= 0")
    return value


def add_scenario_arguments(parser: argparse.ArgumentParser) -> None:
    """Add --scenario, --speed, --seed and --list-scenarios (those not already there)."""
    have = set(parser._option_string_actions)
    if "--scenario" not in have:
        parser.add_argument(
            "--scenario", default=DEFAULT_SCENARIO, choices=sorted(SCENARIOS),
            metavar="NAME",
            help=f"update story to play (default {DEFAULT_SCENARIO}; see --list-scenarios)",
        )  # fmt: skip
    if "--speed" not in have:
        parser.add_argument(
            "--speed", type=_speed, default=60.0, metavar="X",
            help="simulated seconds per real second (default 60; 0 stops the clock)",
        )  # fmt: skip
    if "--seed" not in have:
        parser.add_argument(
            "--seed", type=int, default=0, help="random seed: same seed, same story (default 0)"
        )
    if "--list-scenarios" not in have:
        parser.add_argument(
            "--list-scenarios", action="store_true", help="list the scenarios and exit"
        )


def build_from_args(args: argparse.Namespace) -> BuiltScenario:
    """The scenario the parsed arguments ask for."""
    return build(
        getattr(args, "scenario", None) or DEFAULT_SCENARIO,
        vmis=getattr(args, "vmis", 40),
        namespaces=getattr(args, "namespaces", 4),
        nodes=getattr(args, "nodes", 6),
        seed=getattr(args, "seed", 0),
        speed=getattr(args, "speed", 60.0),
    )
