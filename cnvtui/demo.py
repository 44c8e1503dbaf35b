"""`cnvtui demo`: the simulated cluster in a child process plus the dashboard, in one command.

The simulated cluster runs in its own process (its own interpreter, so its controllers and a
10,000-VMI store never compete with the dashboard for the GIL) and the dashboard reaches it
over real HTTP through the kubeconfig it writes, exactly as it would reach a real cluster.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_START_TIMEOUT = 60.0


class SimulatedTime:
    """The simulated cluster's time, read from the clock file it publishes.

    Between readings it runs on at the published speed; it never goes backwards, so ages
    and ETAs on screen only grow while the cluster's clock leads the wall clock by far.
    """

    def __init__(self, path: Path, *, reread: float = 0.5) -> None:
        self._path = path
        self._reread = reread
        self._read_at = -1.0
        self._sim = time.time()
        self._real = self._sim
        self._speed = 1.0
        self._last = 0.0

    def _read(self, now: float) -> None:
        self._read_at = now
        try:
            data = json.loads(self._path.read_text())
            self._sim, self._real, self._speed = (
                float(data["sim"]),
                float(data["real"]),
                float(data["speed"]),
            )
        except (OSError, ValueError, KeyError, TypeError):
            return

    def __call__(self) -> float:
        now = time.time()
        if now - self._read_at >= self._reread:
            self._read(now)
        self._last = max(self._last, self._sim + (now - self._real) * self._speed)
        return self._last


def _sim_command(args: argparse.Namespace, kubeconfig: Path, clock: Path) -> list[str]:
    cmd = [
        sys.executable,
        "-m",
        "cnvtui",
        "sim",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--kubeconfig-out",
        str(kubeconfig),
        "--scenario",
        args.scenario,
        "--speed",
        str(args.speed),
        "--seed",
        str(args.seed),
        "--vmis",
        str(args.vmis),
        "--namespaces",
        str(args.namespaces),
        "--nodes",
        str(args.nodes),
        "--clock-file",
        str(clock),
        "--parent-pid",
        str(os.getpid()),
    ]
    return cmd


def _wait_ready(proc: subprocess.Popen[bytes], kubeconfig: Path, log: Path) -> str | None:
    """Wait for the kubeconfig the sim writes once it listens; return an error line or None."""
    deadline = time.monotonic() + _START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log.read_text(errors="replace").strip().splitlines()[-1:] or ["no output"]
            return f"the simulated cluster exited ({proc.returncode}): {tail[0]}"
        if kubeconfig.exists() and kubeconfig.stat().st_size > 0:
            return None
        time.sleep(0.05)
    return f"the simulated cluster did not start within {_START_TIMEOUT:.0f} s (log: {log})"


def run_demo(args: argparse.Namespace) -> int:
    """Start the simulated cluster, run the dashboard on it, and stop the cluster afterwards."""
    if getattr(args, "list_scenarios", False):
        from cnvtui.sim.scenarios import describe_scenarios

        print(describe_scenarios())
        return 0
    from cnvtui.ui.app import run_dashboard

    with tempfile.TemporaryDirectory(prefix="cnvtui-demo-") as tmp:
        os.chmod(tmp, 0o700)
        kubeconfig = Path(tmp) / "kubeconfig"
        log = Path(tmp) / "sim.log"
        clock = Path(tmp) / "clock.json"
        with log.open("wb") as log_file:
            proc = subprocess.Popen(
                _sim_command(args, kubeconfig, clock),
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            error = _wait_ready(proc, kubeconfig, log)
            if error:
                print(f"cnvtui demo: {error}", file=sys.stderr)
                return 1
            return run_dashboard(
                kubeconfig=str(kubeconfig),
                context=None,
                namespace=None,
                read_only=args.read_only,
                record=getattr(args, "record", None),
                now=SimulatedTime(clock),
                low_bandwidth=getattr(args, "low_bandwidth", False) or None,
            )
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=5)
