"""Figures 4 and 5: event-to-screen latency, and the dashboard's footprint, at one size.

A simulated cluster with `vmis` VMIs (no story running) in one process, the real dashboard
headless in another (`bench.app_probe`). Start-up is timed from spawning the dashboard to
its first complete screen; then idle CPU over a quiet period; then the simulated cluster
marks VMIs outdated at each rate, stamping the commit time, and each change is matched to
the first redraw whose outdated count includes it (the changed VMI is then the top row).
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench.procs import cpu_seconds, peak_rss_mb, python_module, read_json_line, spawn, stop


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


class Screens:
    """Collects the probe's redraw lines in a thread, so its pipe never fills."""

    def __init__(self, proc: Any) -> None:
        self.lines: list[dict[str, Any]] = []
        self._thread = threading.Thread(target=self._read, args=(proc,), daemon=True)
        self._thread.start()

    def _read(self, proc: Any) -> None:
        for raw in proc.stdout:
            try:
                self.lines.append(json.loads(raw))
            except ValueError:
                continue

    def first_complete(self, timeout: float) -> float | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if line.get("complete"):
                    return float(line["t"])
            time.sleep(0.05)
        return None

    def shown_at(self, count: int, after: float) -> float | None:
        """When a redraw first showed at least `count` outdated VMIs."""
        for line in self.lines:
            if line["outdated"] >= count and line["t"] >= after:
                return float(line["t"])
        return None


def _control(url: str, path: str, method: str = "GET") -> Any:
    request = urllib.request.Request(url + path, method=method)
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def run_latency(
    workdir: Path,
    *,
    vmis: int,
    rates: dict[int, int],
    idle_seconds: float,
    size: str = "200x50",
) -> dict[str, Any]:
    """`rates` maps changes per second to how many changes to make at that rate."""
    sim = spawn(
        python_module(
            "bench.simproc", "--vmis", str(vmis), "--clients", "probe", "--dir", str(workdir)
        )
    )
    probe = None
    try:
        ready = read_json_line(sim, timeout=300)
        control = ready["control"]
        spawned = time.time()
        probe = spawn(
            python_module(
                "bench.app_probe",
                "--kubeconfig",
                str(workdir / "probe.kubeconfig"),
                "--vmis",
                str(vmis),
                "--size",
                size,
            )
        )
        screens = Screens(probe)
        first = screens.first_complete(timeout=300)
        out: dict[str, Any] = {"vmis": vmis, "size": size}
        out["start_to_screen_s"] = None if first is None else round(first - spawned, 2)
        time.sleep(2.0)
        before = cpu_seconds(probe.pid)
        time.sleep(idle_seconds)
        out["idle_seconds"] = idle_seconds
        out["idle_cpu_pct"] = round((cpu_seconds(probe.pid) - before) / idle_seconds * 100, 2)
        done = 0
        for rate, count in rates.items():
            _control(control, f"/changes?rate={rate}&count={count}", "POST")
            cpu0, t0 = cpu_seconds(probe.pid), time.monotonic()
            time.sleep(count / rate)
            cpu1, t1 = cpu_seconds(probe.pid), time.monotonic()
            time.sleep(2.0)
            stamps: list[float] = _control(control, "/changes")
            latencies: list[float] = []
            for i in range(done, min(done + count, len(stamps))):
                shown = screens.shown_at(i + 1, stamps[i])
                if shown is not None:
                    latencies.append((shown - stamps[i]) * 1000)
            made = len(stamps) - done
            done = len(stamps)
            out[f"rate_{rate}"] = {
                "changes": made,
                "seen": len(latencies),
                "p50_ms": round(_percentile(latencies, 50), 1),
                "p99_ms": round(_percentile(latencies, 99), 1),
                "max_ms": round(max(latencies, default=float("nan")), 1),
                "cpu_pct": round((cpu1 - cpu0) / (t1 - t0) * 100, 1),
            }
        out["peak_rss_mb"] = round(peak_rss_mb(probe.pid), 1)
        return out
    finally:
        if probe is not None:
            stop(probe)
        stop(sim)
