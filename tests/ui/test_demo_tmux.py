"""End to end: the installed `cnvtui demo` in a real terminal (tmux), read off the screen.

As the zstream story plays, the screen must show the CSV phases, the HCO conditions and the
outdated-VMI count changing: the three things an administrator watches with `oc` today.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

CNVTUI = str(Path(sys.executable).with_name("cnvtui"))
CSV_ROW = re.compile(
    r"(kubevirt-hyperconverged-operator\.v[\d.]+)\s+"
    r"(Pending|InstallReady|Installing|Succeeded|Replacing|Deleting|Failed)\b"
)
PROGRESSING = re.compile(r"Progressing\s+(True|False)\b")
OUTDATED = re.compile(r"Outdated (\d+) of (\d+) running")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]


@pytest.fixture
def session() -> Iterator[str]:
    name = f"cnvtui-test-{uuid.uuid4().hex[:8]}"
    yield name
    # Quit with q first: killing the session hangs up on the demo, which may leave its
    # simulated cluster running.
    subprocess.run(["tmux", "send-keys", "-t", name, "q"], capture_output=True, check=False)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _alive(name):
        time.sleep(0.2)
    subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True, check=False)


def _alive(name: str) -> bool:
    result = subprocess.run(["tmux", "has-session", "-t", name], capture_output=True, check=False)
    return result.returncode == 0


def capture(name: str) -> str:
    result = subprocess.run(
        ["tmux", "capture-pane", "-p", "-t", name], capture_output=True, text=True, check=False
    )
    return result.stdout


def live_in_tmux(session: str, command: str) -> None:
    """Run `command` in a 120x40 xterm and wait until the dashboard says it is live."""
    env = {**os.environ, "TERM": "xterm"}
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", session, "-x", "120", "-y", "40", command],
        check=True,
        env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and "● live" not in capture(session):
        time.sleep(0.3)
    assert "● live" in capture(session), capture(session)


def test_demo_in_tmux_shows_the_update_moving(session: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env["TERM"] = "xterm"  # 16 colours, as on many bastion hosts
    # Slow enough that the first screen, even on a loaded machine, comes before the update.
    command = f"{CNVTUI} demo --scenario zstream --speed 15 --vmis 40"
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", session, "-x", "160", "-y", "48", command],
        check=True,
        env=env,
    )
    phases: set[tuple[str, str]] = set()
    progressing: set[str] = set()
    outdated: set[int] = set()
    screen = ""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        time.sleep(0.5)
        screen = capture(session)
        phases.update(CSV_ROW.findall(screen))
        progressing.update(PROGRESSING.findall(screen))
        outdated.update(int(n) for n, _total in OUTDATED.findall(screen))
        new_csv_phases = {p for csv, p in phases if csv.endswith("v4.14.4")}
        if len(new_csv_phases) >= 2 and progressing == {"True", "False"} and len(outdated) >= 3:
            break
    assert "Traceback" not in screen
    assert {p for csv, p in phases if csv.endswith("v4.14.3")}, phases
    assert len({p for csv, p in phases if csv.endswith("v4.14.4")}) >= 2, phases
    assert progressing == {"True", "False"}, screen
    assert len(outdated) >= 3 and max(outdated) > min(outdated), (outdated, screen)

    subprocess.run(["tmux", "send-keys", "-t", session, "q"], check=True)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and _alive(session):
        time.sleep(0.2)
    if _alive(session):
        pytest.fail(f"q did not quit the demo:\n{capture(session)}")


def test_record_from_the_dashboard_keeps_whole_vmis(session: str, tmp_path: Path) -> None:
    """`cnvtui --record FILE` in a terminal: the dashboard slims the VMIs it keeps, but the
    recording holds them whole, as replays and `cnvtui sim --from` need them."""
    kubeconfig, recording = tmp_path / "sim.kubeconfig", tmp_path / "night.cnvrec.gz"
    sim = subprocess.Popen(
        [CNVTUI, "sim", "--scenario", "steady", "--vmis", "5", "--speed", "0",
         "--kubeconfig-out", str(kubeconfig)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not (kubeconfig.exists() and kubeconfig.stat().st_size) and sim.poll() is None:
            assert time.monotonic() < deadline, "the simulated cluster did not come up"
            time.sleep(0.1)
        dashboard = f"{CNVTUI} --kubeconfig {kubeconfig} --read-only --record {recording}"
        live_in_tmux(session, dashboard)
        subprocess.run(["tmux", "send-keys", "-t", session, "q"], check=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and _alive(session):
            time.sleep(0.2)
        assert not _alive(session), f"q did not quit:\n{capture(session)}"
    finally:
        sim.terminate()
        sim.wait(10)
    lines = [json.loads(line) for line in gzip.decompress(recording.read_bytes()).splitlines()]
    vmis = [line["object"] for line in lines if line.get("kind") == "vmi" and "object" in line]
    assert len(vmis) >= 5, "the recording holds the VMIs"
    assert all(vmi["spec"].get("domain") for vmi in vmis), "whole VMIs, not slim ones"


def test_ctrl_c_leaves_the_dashboard_with_130(session: str, tmp_path: Path) -> None:
    """Ctrl-C is how a terminal program is left over SSH: it quits at once with the shell's
    code for an interrupt."""
    status = tmp_path / "status"
    live_in_tmux(session, f"{CNVTUI} demo --scenario steady --vmis 5; echo $? > {status}")
    subprocess.run(["tmux", "send-keys", "-t", session, "C-c"], check=True)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and not status.exists():
        time.sleep(0.2)
    assert status.exists(), f"Ctrl-C did not quit:\n{capture(session)}"
    assert status.read_text().strip() == "130"


def _colour_codes(screen: str) -> list[str]:
    """The SGR parameters in `screen` that set a colour (default-colour resets excluded)."""
    found: list[str] = []
    for params in re.findall(r"\x1b\[([0-9;]*)m", screen):
        codes = [int(p) if p else 0 for p in params.split(";")]
        i = 0
        while i < len(codes):
            code = codes[i]
            if code in (38, 48):
                found.append(params)
                break
            if 30 <= code <= 37 or 40 <= code <= 47 or 90 <= code <= 97 or 100 <= code <= 107:
                found.append(params)
            i += 1
    return found


def test_no_color_draws_in_the_terminals_own_colours(session: str) -> None:
    """NO_COLOR means the terminal's default colours, with bold and reverse kept: the screen
    once came out black on black."""
    live_in_tmux(session, f"NO_COLOR=1 {CNVTUI} demo --scenario steady --vmis 5")
    result = subprocess.run(
        ["tmux", "capture-pane", "-p", "-e", "-t", session],
        capture_output=True,
        text=True,
        check=True,
    )
    screen = result.stdout
    assert "Operator" in screen and "● live" in screen
    assert _colour_codes(screen) == [], screen[:400]
    assert "\x1b[1m" in screen or ";1m" in screen, "bold is kept"


@pytest.mark.parametrize(
    "command",
    [
        f"{CNVTUI} --read-only demo",
        f"CNVTUI_READ_ONLY=1 {CNVTUI} demo",
        f"{CNVTUI} demo --read-only",
    ],
    ids=["global-flag", "setting", "demo-flag"],
)
def test_read_only_reaches_the_demo_however_it_is_asked_for(session: str, command: str) -> None:
    """`cnvtui --read-only demo` once opened a dashboard that could write."""
    live_in_tmux(session, f"{command} --scenario manual-approval --vmis 5")
    screen = capture(session)
    assert "READ-ONLY" in screen, screen
    assert "Workload strategy" not in screen and "Approve update" not in screen, screen
