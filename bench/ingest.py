"""Figure 1, watch ingest: cnvtui's access layer + store vs kubectl, the `kubernetes.aio`
Watch and the bare floor.

All of them read the same pre-encoded stream from `bench.stream_server` (one server process
per object count), one after another, each in its own process.
"""

from __future__ import annotations

import resource
import subprocess
import time
from pathlib import Path
from typing import Any

from bench.procs import python_module, read_json_line, spawn, stop
from cnvtui.sim import kubeconfig


def _rate(result: dict[str, Any]) -> dict[str, Any]:
    seconds = max(float(result["seconds"]), 1e-9)
    result["events_per_s"] = round(result["events"] / seconds)
    result["seconds"] = round(seconds, 3)
    result["cpu"] = round(float(result["cpu"]), 3)
    return result


def run_kubectl(config: Path, events: int, cache: Path) -> dict[str, Any]:
    """`kubectl get vmi -A --watch-only -o name` until the stream ends; its rate from the
    first name printed to the last (start-up and discovery left out), its CPU in total."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    cmd = [
        "kubectl", "--kubeconfig", str(config), "--cache-dir", str(cache),
        "get", "vmi", "-A", "--watch-only", "-o", "name", "--request-timeout", "0",
    ]  # fmt: skip
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdout is not None
    first = last = started
    seen = 0
    for _line in proc.stdout:
        seen += 1
        if seen == 1:
            first = time.perf_counter()
        last = time.perf_counter()
        if seen >= events:
            break
    proc.stdout.close()
    proc.wait()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    result = {
        "events": seen,
        "seconds": last - first,
        "cpu": cpu,
        "total_seconds": round(time.perf_counter() - started, 3),
    }
    return _rate(result)


def run_ingest(
    workdir: Path,
    *,
    events: int,
    objects: int,
    kubectl: bool = True,
    kubernetes_aio: bool = True,
    repeats: int = 2,
) -> dict[str, Any]:
    """One stream of `events` events over `objects` VMIs, read by each consumer `repeats`
    times, interleaved; the best run of each counts (the machine is shared, and a busy
    neighbour only ever slows a run down), and every run's rate is kept."""
    server = spawn(
        python_module("bench.stream_server", "--events", str(events), "--objects", str(objects))
    )
    try:
        ready = read_json_line(server, timeout=180)
        config = workdir / f"ingest-{objects}.kubeconfig"
        kubeconfig.write(config, kubeconfig.render(ready["url"]))
        out: dict[str, Any] = {
            "events": events,
            "objects": objects,
            "mean_event_bytes": ready["mean_event_bytes"],
        }
        runs: dict[str, list[dict[str, Any]]] = {
            "floor": [],
            "cnvtui": [],
            "kubernetes-aio": [],
            "kubectl": [],
        }
        consumers = [("floor", ["--url", ready["url"]]), ("cnvtui", ["--kubeconfig", str(config)])]
        if kubernetes_aio:
            consumers.append(("kubernetes-aio", ["--kubeconfig", str(config)]))
        for _ in range(repeats):
            for mode, arg in consumers:
                proc = spawn(python_module("bench.consume", mode, *arg, "--events", str(events)))
                try:
                    runs[mode].append(_rate(read_json_line(proc, timeout=600)))
                finally:
                    stop(proc)
            if kubectl:
                runs["kubectl"].append(run_kubectl(config, events, workdir / "kubectl-cache"))
        for mode, results in runs.items():
            if results:
                best = max(results, key=lambda r: r["events_per_s"])
                out[mode] = {**best, "runs_events_per_s": [r["events_per_s"] for r in results]}
        return out
    finally:
        stop(server)
