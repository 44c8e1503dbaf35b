"""Bad input from the user, as the installed commands meet it: one clear line on stderr, a
non-zero exit, never a traceback and never the token."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
import yaml

from cnvtui.sim import tls
from cnvtui.sim.server import SimServer
from tests.kube import write_kubeconfig

from . import run

Sim = Callable[..., Awaitable[SimServer]]
TOKEN = "sha256~bad-input-secret-token-42"
COMMANDS = {"dashboard": [], "preflight": ["preflight"], "status": ["status"]}


async def cases(sim: Sim, tmp: Path) -> dict[str, tuple[list[str], str]]:
    """Each bad input: the arguments, and a word the one line must contain."""
    server = await sim(vmis=1, token=TOKEN, tls=True, host="0.0.0.0")
    port = server.port
    good = write_kubeconfig(server, tmp / "good", server=f"https://127.0.0.1:{port}")
    other_ca = (await asyncio.to_thread(tls.generate)).ca_pem
    wrong_ca = write_kubeconfig(
        server,
        tmp / "wrong-ca",
        server=f"https://127.0.0.1:{port}",
        certificate_authority_data=base64.b64encode(other_ca).decode(),
    )
    wrong_host = write_kubeconfig(server, tmp / "wrong-host", server=f"https://127.0.0.3:{port}")
    gone = write_kubeconfig(server, tmp / "gone", server="https://127.0.0.1:9")
    broken = tmp / "broken"
    broken.write_text(f"users: [{{token: {TOKEN}\n")
    not_a_config = tmp / "list"
    not_a_config.write_text(yaml.safe_dump(["a", TOKEN]))
    return {
        "missing": (["--kubeconfig", str(tmp / "nope")], "nope"),
        "broken-yaml": (["--kubeconfig", str(broken)], "YAML"),
        "not-a-kubeconfig": (["--kubeconfig", str(not_a_config)], "kubeconfig"),
        "unknown-context": (["--kubeconfig", str(good), "--context", "nope"], "nope"),
        "unreachable": (["--kubeconfig", str(gone)], "reach"),
        "wrong-ca": (["--kubeconfig", str(wrong_ca)], "TLS verification failed (self-signed"),
        "wrong-host": (["--kubeconfig", str(wrong_host)], "TLS verification failed (IP address"),
    }


@pytest.mark.parametrize("command", sorted(COMMANDS))
async def test_bad_input_is_one_line_and_a_non_zero_exit(
    sim: Sim, tmp_path: Path, command: str
) -> None:
    bad = await cases(sim, tmp_path)
    names = sorted(bad)
    results = await asyncio.gather(
        *(run([*bad[n][0], *COMMANDS[command]], tmp_path) for n in names)
    )
    failures = []
    for name, (code, out, err) in zip(names, results, strict=True):
        lines = [line for line in err.splitlines() if line.strip()]
        word = bad[name][1]
        if code == 0 or len(lines) != 1 or "Traceback" in err or word not in err:
            failures.append(f"{name}: exit {code}, stderr {err!r}")
        if TOKEN in out + err:
            failures.append(f"{name}: the token was printed")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("args", [["--no-such-flag"], ["preflight", "--target", "x.y.z"]])
async def test_bad_flags_are_usage_and_exit_2(tmp_path: Path, args: list[str]) -> None:
    code, _, err = await run(args, tmp_path)
    assert code == 2 and "usage:" in err and "Traceback" not in err
