"""Make `screenshots/*.svg`: the real dashboard on the simulated cluster, in demo scenarios.

    python tools/screenshots.py [--out screenshots] [--only NAME ...]

Each shot starts the simulated cluster with a scenario on loopback, runs the dashboard
against it over HTTP (headless, at a fixed size), waits until the screen shows what the shot
is about, and exports the screen as SVG. The cluster plays at high speed, so a shot takes a
few seconds; the scenarios are seeded, so shots differ only in small timing details.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from cnvtui.kube.client import KubeClient
from cnvtui.kube.config import ConfigSource
from cnvtui.kube.settings import DEFAULT_SETTINGS
from cnvtui.sim.scenarios import build
from cnvtui.sim.server import SimServer
from cnvtui.ui.app import DashboardApp
from cnvtui.ui.source import KubeSource
from cnvtui.ui.textshot import screen_text
from cnvtui.ui.widgets.header import Target

ROOT = Path(__file__).resolve().parent.parent
DISPLAY_SERVER = "https://api.ocp.example.com:6443"


@dataclass(frozen=True)
class Shot:
    """One screenshot: which story, how big, and what must be on screen first."""

    name: str
    scenario: str
    size: tuple[int, int]
    ready: Callable[[str], bool]
    speed: float = 120.0
    vmis: int = 60
    panel: str | None = None
    """Panel to focus before the shot (matters in the tabbed, narrow layout)."""


def mid_update(text: str) -> bool:
    return "MIGRATING WORKLOADS" in text and "Running" in text


SHOTS = (
    Shot("dashboard-mid-update", "zstream", (160, 48), mid_update),
    Shot(
        "waiting-for-approval",
        "manual-approval",
        (160, 48),
        lambda t: "WAITING FOR APPROVAL" in t and "NEEDS APPROVAL" in t,
    ),
    Shot(
        "stuck-migrations",
        "stuck-migrations",
        (160, 48),
        lambda t: "STUCK" in t and "of " in t and "failed" in t,
        speed=600.0,
    ),
    Shot(
        "dashboard-80x24",
        "zstream",
        (80, 24),
        lambda t: "MIGRATING WORKLOADS" in t and "✗ never" in t,
        panel="outdated",
    ),
)


async def take(shot: Shot, out: Path, within: float = 120.0) -> Path:
    built = build(shot.scenario, vmis=shot.vmis, speed=shot.speed, seed=0)
    clock = built.clock

    def now() -> float:
        return clock.now().timestamp()

    with tempfile.TemporaryDirectory() as tmp:
        server = SimServer(kubeconfig_path=Path(tmp) / "kubeconfig", **built.server_options())
        await server.start()
        client = await KubeClient.connect(ConfigSource(kubeconfig=str(server.kubeconfig_path)))
        try:
            namespace = "openshift-cnv"
            source = KubeSource(client, namespace, settings=replace(DEFAULT_SETTINGS, clock=now))
            target = Target(client.info.context, DISPLAY_SERVER, namespace)
            app = DashboardApp(source, target=target, now=now)
            async with app.run_test(size=shot.size) as pilot:
                if shot.panel:
                    app.focus_panel(shot.panel)
                deadline = time.monotonic() + within
                while not shot.ready(screen_text(app)):
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"{shot.name}: the screen never got there")
                    await pilot.pause(0.1)
                await pilot.pause(0.3)
                path = out / f"{shot.name}.svg"
                path.write_text(app.export_screenshot(title=f"cnvtui · {shot.scenario}"))
                return path
        finally:
            await client.close()
            await server.stop()


async def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots")
    parser.add_argument("--only", nargs="*", metavar="NAME", help="shots to make (default all)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for shot in SHOTS:
        if args.only and shot.name not in args.only:
            continue
        path = await take(shot, args.out)
        print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
