"""Connecting for real: TLS as the kubeconfig sets it up, exec plugins, bad credentials
material. Each one ends in a live stream or in one clear ConfigError line."""

from __future__ import annotations

import base64
import datetime as dt
import json
import stat
import sys
from pathlib import Path
from typing import Any

import pytest

from cnvtui.kube.errors import ConfigError
from cnvtui.kube.events import StreamState
from cnvtui.kube.resources import NODE
from cnvtui.kube.watch import watch_stream

from . import FAST, Mirror, connect, server_view, write_kubeconfig

TOKEN = "sha256~exec-issued-token"


async def live_nodes(path: Path, server: Any) -> None:
    client = await connect(path)
    mirror = Mirror(watch_stream(client, NODE, settings=FAST))
    try:
        await mirror.until_state(StreamState.LIVE)
        assert mirror.view == server_view(server, NODE)
    finally:
        await mirror.close()
        await client.close()


async def test_relative_ca_file_next_to_the_kubeconfig(sim: Any, tmp_path: Path) -> None:
    server = await sim(vmis=1, tls=True)
    (tmp_path / "certs").mkdir()
    (tmp_path / "certs" / "ca.crt").write_bytes(server.ca_pem)
    path = write_kubeconfig(
        server,
        tmp_path / "kubeconfig",
        certificate_authority_data=None,
        certificate_authority="certs/ca.crt",
    )
    await live_nodes(path, server)


async def test_insecure_skip_tls_verify_only_when_the_kubeconfig_says_so(
    sim: Any, tmp_path: Path
) -> None:
    server = await sim(vmis=1, tls=True)
    path = write_kubeconfig(
        server,
        tmp_path / "kubeconfig",
        certificate_authority_data=None,
        insecure_skip_tls_verify=True,
    )
    await live_nodes(path, server)


async def test_broken_ca_data_is_a_config_error(sim: Any, tmp_path: Path) -> None:
    server = await sim(vmis=1, tls=True)
    junk = base64.b64encode(b"-----BEGIN CERTIFICATE-----\nnot a cert\n").decode()
    path = write_kubeconfig(server, tmp_path / "kubeconfig", certificate_authority_data=junk)
    with pytest.raises(ConfigError) as caught:
        await connect(path)
    assert str(caught.value) == (
        "the certificate authority of context 'cnvtui-sim' is not a valid PEM certificate"
    )
    path = write_kubeconfig(
        server,
        tmp_path / "kubeconfig",
        certificate_authority_data=None,
        certificate_authority="ca/missing.crt",
    )
    with pytest.raises(ConfigError) as caught:
        await connect(path)
    assert str(caught.value) == (
        f"certificate-authority file {tmp_path}/ca/missing.crt of context 'cnvtui-sim' "
        "does not exist"
    )


def exec_kubeconfig(server: Any, tmp_path: Path, expiry: dt.datetime) -> Path:
    """A kubeconfig whose user gets its token from an exec plugin that counts its runs."""
    runs = tmp_path / "runs"
    credential = {
        "apiVersion": "client.authentication.k8s.io/v1",
        "kind": "ExecCredential",
        "status": {"token": TOKEN, "expirationTimestamp": expiry.strftime("%Y-%m-%dT%H:%M:%SZ")},
    }
    plugin = tmp_path / "oc-plugin"
    plugin.write_text(
        f"#!{sys.executable}\n"
        f"with open({str(runs)!r}, 'a') as f: f.write('x')\n"
        f"print({json.dumps(json.dumps(credential))})\n"
    )
    plugin.chmod(plugin.stat().st_mode | stat.S_IXUSR)
    path = write_kubeconfig(server, tmp_path / "kubeconfig")
    data = path.read_text().replace(f"token: {server.token}", "exec: PLUGIN")
    exec_cfg = {"apiVersion": "client.authentication.k8s.io/v1", "command": "./oc-plugin"}
    path.write_text(data.replace("PLUGIN", json.dumps(exec_cfg)))
    return path


async def test_exec_plugin_token(sim: Any, tmp_path: Path) -> None:
    server = await sim(vmis=1, token=TOKEN)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    await live_nodes(exec_kubeconfig(server, tmp_path, later), server)
    assert (tmp_path / "runs").read_text() == "x"


async def test_exec_plugin_runs_again_when_its_token_expires(sim: Any, tmp_path: Path) -> None:
    server = await sim(vmis=1, token=TOKEN)
    expired = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    await live_nodes(exec_kubeconfig(server, tmp_path, expired), server)
    # Once to load, once more at the first request; not again for every request.
    assert (tmp_path / "runs").read_text() == "xx"
