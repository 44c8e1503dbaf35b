"""The static checks run as part of the one test command: lint, format, types, layers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)


def _bin(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


def test_ruff_lint() -> None:
    result = _run(_bin("ruff"), "check", "cnvtui", "tests", "tools", "bench")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format() -> None:
    result = _run(_bin("ruff"), "format", "--check", "cnvtui", "tests", "tools", "bench")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict() -> None:
    result = _run(sys.executable, "-m", "mypy", "cnvtui")
    assert result.returncode == 0, result.stdout + result.stderr


def test_import_layers() -> None:
    result = _run(_bin("lint-imports"))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "module",
    [
        "cnvtui.kube.watch",
        "cnvtui.state",
        "cnvtui.sim.server",
        "cnvtui.cli",
        "cnvtui.report.command",
        "cnvtui.checks.command",
    ],
)
def test_headless_modules_do_not_load_textual(module: str) -> None:
    code = f"import sys, {module}; print('textual' in sys.modules)"
    env = dict(os.environ)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_the_dashboard_loads_only_the_asyncio_kubernetes_client() -> None:
    """Start-up: the `kubernetes` package's `__init__` would load the whole synchronous
    client (and `kubernetes.aio`'s the dynamic client and streams) for nothing."""
    code = (
        "import sys, cnvtui.ui.app, cnvtui.kube.client;"
        "print(sorted({m.split('.')[1] for m in sys.modules if m.startswith('kubernetes.')}),"
        "sorted({m.split('.')[2] for m in sys.modules if m.startswith('kubernetes.aio.')}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['aio'] ['client', 'config', 'utils']"  # utils: retry
