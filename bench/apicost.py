"""Figures 2 and 3: what each client costs the API server, and writes to its terminal.

One simulated cluster plays `zstream` with 5,000 VMIs at `speed` simulated seconds per real
second; each client has its own token, so the server counts requests and bytes per client:

- `dashboard`: the dashboard headless (`bench.headless`: its streams, store and picture);
- `loop`: `watch -n 2` of the seed's four `kubectl get` commands, in an 80x24 pty;
- `tui-80x24`, `tui-200x50`: the real `cnvtui --read-only` in a pty of that size (screen
  bytes);
- `tui-lowbw-80x24`: the same with `--low-bandwidth`, at 80x24;
- `loop-200x50`: the watch loop at 200x50 (screen bytes).

After a warm-up (start-up, initial lists) the window of `seconds` is measured.
"""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench.procs import PY, cpu_seconds, python_module, read_json_line, spawn, stop
from bench.terminal import PtyRun, loop_script

CLIENTS = ("dashboard", "loop", "tui-80x24", "tui-200x50", "loop-200x50", "tui-lowbw-80x24")
TUIS = (
    ("tui-80x24", 80, 24, ()),
    ("tui-200x50", 200, 50, ()),
    ("tui-lowbw-80x24", 80, 24, ("--low-bandwidth",)),
)
"""The cnvtui ptys: client name, size and extra options."""


def _accounting(control: str) -> dict[str, dict[str, int]]:
    with urllib.request.urlopen(control + "/accounting", timeout=30) as response:
        result: dict[str, dict[str, int]] = json.loads(response.read())
        return result


def _delta(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    return {k: after.get(k, 0) - before.get(k, 0) for k in ("requests", "watches", "bytes")}


def run_apicost(
    workdir: Path,
    *,
    vmis: int = 5000,
    speed: float = 60.0,
    warmup: float = 15.0,
    seconds: float = 60.0,
) -> dict[str, Any]:
    sim = spawn(
        python_module(
            "bench.simproc",
            "--vmis",
            str(vmis),
            "--controllers",
            "--speed",
            str(speed),
            "--clients",
            ",".join(CLIENTS),
            "--dir",
            str(workdir),
        )
    )
    ptys: dict[str, PtyRun] = {}
    dashboard = None
    try:
        control = read_json_line(sim, timeout=300)["control"]
        dashboard = spawn(
            python_module("bench.headless", "--kubeconfig", str(workdir / "dashboard.kubeconfig"))
        )
        cache = workdir / "kubectl-cache"
        for name, cols, rows in (("loop", 80, 24), ("loop-200x50", 200, 50)):
            script = loop_script(workdir / f"{name}.kubeconfig", cache)
            ptys[name] = PtyRun(["watch", "-n", "2", script], cols, rows, {})
        for name, cols, rows, options in TUIS:
            kubeconfig = str(workdir / f"{name}.kubeconfig")
            cmd = [PY, "-m", "cnvtui", "--kubeconfig", kubeconfig, "--read-only", *options]
            ptys[name] = PtyRun(cmd, cols, rows, {})
        time.sleep(warmup)
        before = _accounting(control)
        cpu_before = cpu_seconds(dashboard.pid)
        for run in ptys.values():
            run.mark()
        time.sleep(seconds)
        after = _accounting(control)
        cpu_after = cpu_seconds(dashboard.pid)
        screens = {}
        for name, run in ptys.items():
            written, span = run.rate()
            screens[name] = {"bytes": written, "bytes_per_s": round(written / span)}
        served = {name: _delta(after.get(name, {}), before.get(name, {})) for name in CLIENTS}
        for name in CLIENTS:
            served[name]["bytes_total"] = after.get(name, {}).get("bytes", 0)
        return {
            "vmis": vmis,
            "speed": speed,
            "seconds": seconds,
            "simulated_minutes": round(seconds * speed / 60, 1),
            "served": served,
            "screen": screens,
            "dashboard_cpu_pct": round((cpu_after - cpu_before) / seconds * 100, 1),
        }
    finally:
        for run in ptys.values():
            run.stop()
        if dashboard is not None:
            stop(dashboard)
        stop(sim)
