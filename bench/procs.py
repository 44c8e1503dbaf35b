"""Child processes for the benchmarks: start, read their JSON line, measure, stop.

Every subject and every server runs in its own process so that CPU seconds and memory are
each one's own (read from /proc), and a slow server cannot hide in a client's figures.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

CLK_TCK = os.sysconf("SC_CLK_TCK")
PY = sys.executable
ROOT = Path(__file__).resolve().parent.parent


def python_module(module: str, *args: str) -> list[str]:
    return [PY, "-m", module, *args]


def spawn(cmd: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
    """Start `cmd` in its own session (so stopping it stops its children too)."""
    kwargs.setdefault("stdout", subprocess.PIPE)
    kwargs.setdefault("stderr", subprocess.DEVNULL)
    kwargs.setdefault("stdin", subprocess.DEVNULL)
    kwargs.setdefault("cwd", ROOT)
    return subprocess.Popen(cmd, start_new_session=True, **kwargs)


def read_json_line(proc: subprocess.Popen[bytes], timeout: float = 120.0) -> dict[str, Any]:
    """The first line the child prints, as JSON; raises if it exits or takes too long."""
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    fd = proc.stdout.fileno()
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            line = proc.stdout.readline()
            if not line:
                break
            result: dict[str, Any] = json.loads(line)
            return result
        if proc.poll() is not None:
            break
    raise RuntimeError(f"{' '.join(proc.args)} printed no result")  # type: ignore[arg-type]


def stop(proc: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    """SIGTERM the child's session, then SIGKILL if it lingers."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=timeout)


def cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds of a live process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident set (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    model = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    mem_kb = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kb = int(line.split()[1])
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "python": sys.version.split()[0],
        "kernel": os.uname().release,
    }
