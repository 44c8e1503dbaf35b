"""The installed command answers help and bad input with clear words, never a traceback."""

from __future__ import annotations

import contextlib
import io
import re
import subprocess
import sys
from pathlib import Path

import pytest

from cnvtui.cli import build_parser
from cnvtui.exitcodes import COMMAND_CODES, ExitCode

CNVTUI = str(Path(sys.executable).with_name("cnvtui"))
EXIT_CODES_DOC = Path(__file__).parent.parent / "docs" / "exit-codes.md"


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CNVTUI, *args], capture_output=True, text=True, timeout=60, env=env, check=False
    )


def test_help_lists_commands() -> None:
    result = _run("--help")
    assert result.returncode == 0
    for command in ("demo", "sim"):
        assert command in result.stdout


def test_python_dash_m_works() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cnvtui", "--version"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    assert result.stdout.startswith("cnvtui ")


@pytest.mark.parametrize("args", [["--no-such-flag"], ["sim", "--port", "not-a-number"]])
def test_bad_flags_give_usage_not_traceback(args: list[str]) -> None:
    result = _run(*args)
    assert result.returncode == 2
    assert "usage:" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("speed", ["0", "-2", "nan", "inf", "fast"])
def test_replay_speed_must_be_above_zero(tmp_path: Path, speed: str) -> None:
    recording = tmp_path / "r.jsonl.gz"
    recording.write_bytes(b"")
    result = _run("replay", str(recording), "--speed", speed)
    assert result.returncode == 2
    assert "argument --speed:" in result.stderr and "Traceback" not in result.stderr


def test_dashboard_without_kubeconfig_suggests_demo(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path), "KUBECONFIG": str(tmp_path / "missing"), "PATH": "/usr/bin"}
    result = _run(env=env)
    assert result.returncode == 4
    assert "Traceback" not in result.stderr
    assert "cnvtui demo" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_replay_of_a_missing_recording_exits_9(tmp_path: Path) -> None:
    result = _run("replay", str(tmp_path / "none.jsonl.gz"))
    assert result.returncode == 9
    assert "cannot read recording" in result.stderr and "Traceback" not in result.stderr


def test_sim_from_a_missing_file_exits_9(tmp_path: Path) -> None:
    result = _run("sim", "--from", str(tmp_path / "night.cnvrec.gz"), "--port", "0")
    assert result.returncode == 9
    assert "does not exist" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def _documented_codes() -> dict[str, set[int]]:
    """Which codes docs/exit-codes.md marks for each command, from its table."""
    lines = EXIT_CODES_DOC.read_text().splitlines()
    rows = [line.split("|")[1:-1] for line in lines if line.startswith("|")]
    header = next(r for r in rows if r and r[0].strip() == "code")
    commands = [cell.strip().strip("`") for cell in header[3:]]
    found: dict[str, set[int]] = {c: set() for c in commands}
    for row in rows:
        if row and row[0].strip().isdigit():
            code = int(row[0])
            assert row[1].strip().strip("`") == ExitCode(code).name
            for command, cell in zip(commands, row[3:], strict=True):
                if cell.strip():
                    found[command].add(code)
    return found


def _help_codes(*argv: str) -> set[int]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        build_parser().parse_args([*argv, "--help"])
    listing = out.getvalue().split("exit codes")[1]
    return {int(code) for code in re.findall(r"^\s+(\d+)  ", listing, re.MULTILINE)}


@pytest.mark.parametrize("command", sorted(COMMAND_CODES))
def test_help_and_docs_list_the_same_exit_codes(command: str) -> None:
    documented = _documented_codes()
    assert set(documented) == set(COMMAND_CODES)
    listed = _help_codes() if command == "cnvtui" else _help_codes(command)
    assert listed == documented[command] == {int(c) for c in COMMAND_CODES[command]}


def test_exit_codes_are_never_renumbered() -> None:
    assert {code.name: code.value for code in ExitCode} == {
        "OK": 0, "ERROR": 1, "USAGE": 2, "UNREACHABLE": 3, "CONFIG": 4, "UNAUTHORIZED": 5,
        "FORBIDDEN": 6, "TIMEOUT": 7, "FAILED": 8, "RECORDING": 9,
        "INTERRUPTED": 130,
    }  # fmt: skip
