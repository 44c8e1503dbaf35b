"""A program in a pseudo-terminal of a given size, and the bytes it writes there (figure 3)."""

from __future__ import annotations

import fcntl
import os
import struct
import subprocess
import termios
import threading
import time
from pathlib import Path

from bench.procs import ROOT


class PtyRun:
    """Runs `cmd` on a fresh pty (`cols` x `rows`) and counts what it writes to the screen."""

    def __init__(self, cmd: list[str], cols: int, rows: int, env: dict[str, str]) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        full_env = {
            **os.environ,
            "TERM": "xterm-256color",
            "COLUMNS": str(cols),
            "LINES": str(rows),
            **env,
        }
        self.proc = subprocess.Popen(
            cmd, stdin=slave, stdout=slave, stderr=slave, env=full_env, cwd=ROOT,
            start_new_session=True,
        )  # fmt: skip
        os.close(slave)
        self.master = master
        self.size = f"{cols}x{rows}"
        self.total = 0
        self._mark = 0
        self._mark_at = time.monotonic()
        self.tail = b""
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return
            if not data:
                return
            self.total += len(data)
            self.tail = (self.tail + data)[-20000:]

    def mark(self) -> None:
        """Start the measured window here."""
        self._mark, self._mark_at = self.total, time.monotonic()

    def rate(self) -> tuple[int, float]:
        """Bytes written since `mark()` and the window's length in seconds."""
        return self.total - self._mark, time.monotonic() - self._mark_at

    def stop(self) -> None:
        import signal

        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=5)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        os.close(self.master)


def loop_script(kubeconfig: Path, cache: Path) -> str:
    """The four `get` commands of the seed's loop, as one shell line for `watch`."""
    k = f"kubectl --kubeconfig {kubeconfig} --cache-dir {cache}"
    return "; ".join(
        (
            f"{k} get csv -n openshift-cnv",
            f"{k} get hco kubevirt-hyperconverged -n openshift-cnv -o json"
            " | jq '.status.conditions'",
            f"{k} get vmi -l kubevirt.io/outdatedLauncherImage --all-namespaces",
            f"{k} get vmim -A",
        )
    )
