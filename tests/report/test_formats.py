"""One-shot `status` in each format: what a person and a script get."""

from __future__ import annotations

import asyncio
import io
import json
import re
from pathlib import Path

import yaml

from cnvtui.exitcodes import ExitCode
from cnvtui.report.command import run_options
from cnvtui.report.status import StatusOptions
from cnvtui.sim.server import SimServer

from .kit import FAST, SimFactory, scenario_server

HOSTILE = "\x1b]52;c;ZWNobyBwd25lZA==\x07 \x1b[2J reset \u202eevil"


async def _status(server: SimServer, **extra: object) -> str:
    out, err = io.StringIO(), io.StringIO()
    options = StatusOptions(
        kubeconfig=str(server.kubeconfig_path),
        settings=FAST,
        **extra,  # type: ignore[arg-type]
    )
    assert await run_options(options, out, err) == ExitCode.OK
    assert err.getvalue() == ""
    return out.getvalue()


def _plant(server: SimServer) -> None:
    """A condition message nobody should let reach the terminal as is."""
    store = server.store
    hco = store.get(
        "hco.kubevirt.io", "hyperconvergeds", "openshift-cnv", "kubevirt-hyperconverged"
    )
    conditions = hco["status"]["conditions"]
    for cond in conditions:
        if cond["type"] == "Degraded":
            cond.update(status="True", reason="Planted", message=HOSTILE)
    store.patch(
        "hco.kubevirt.io", "hyperconvergeds", "openshift-cnv", "kubevirt-hyperconverged",
        "merge", {"status": {"conditions": conditions}}, subresource="status",
    )  # fmt: skip


async def test_table_shows_the_update_at_a_glance(sim: SimFactory) -> None:
    server = await sim(vmis=5)
    text = await _status(server)
    lines = text.splitlines()
    assert lines[0].startswith("CNV update status of cluster cnvtui-sim http://127.0.0.1:")
    assert "Verdict: Idle: CNV 4.14.3, no update in progress" in lines
    assert "Versions: CNV 4.14.3, OpenShift 4.14.8" in lines
    assert "HyperConverged kubevirt-hyperconverged (hco.kubevirt.io/v1beta1): healthy" in lines
    assert "Outdated VMIs: 0 of 5 running (100% updated)" in lines
    assert lines[-2:] == ["Problems: none", "Watches: all live"]


async def test_cluster_strings_cannot_drive_the_terminal(sim: SimFactory) -> None:
    server = await sim(vmis=2)
    _plant(server)
    for fmt in ("table", "json", "yaml"):
        text = await _status(server, output=fmt)
        assert "\x1b" not in text and "\u202e" not in text and "\x07" not in text
    table = await _status(server)
    assert "Verdict: Degraded: HCO Degraded=True: Planted: ␛]52;c;" in table
    data = json.loads(await _status(server, output="json"))
    assert data["problems"][0].endswith(HOSTILE)  # the data itself is kept, escaped


async def test_json_and_yaml_carry_the_same_documented_document(sim: SimFactory) -> None:
    server = await sim(vmis=4)
    data = json.loads(await _status(server, output="json"))
    assert data["schema"] == "cnvtui.io/update-picture/v1"
    assert data["verdict"] == "Idle"
    assert data["source"]["kind"] == "cluster"
    assert data["source"]["namespace"] == "openshift-cnv"
    assert data["outdated"]["running_total"] == 4
    assert data["hco"]["versions"] == [{"name": "operator", "version": "4.14.3"}]
    assert {s["state"] for s in data["streams"]} <= {"live", "not installed"}
    as_yaml = yaml.safe_load(await _status(server, output="yaml"))
    for key in ("schema", "verdict", "reason", "cluster", "install_plans", "source"):
        assert as_yaml[key] == data[key]
    assert [(c["name"], c["phase"]) for c in as_yaml["csvs"]] == [
        (c["name"], c["phase"]) for c in data["csvs"]
    ]


def _documented() -> dict[str, set[str]]:
    """The schema table of docs/status-schema.md: each field and the names in its meaning."""
    doc = (Path(__file__).parents[2] / "docs" / "status-schema.md").read_text()
    table = doc.split("## JSON / YAML schema", 1)[1].split("Example (abridged)", 1)[0]
    fields: dict[str, set[str]] = {}
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`"):
            fields[cells[0].strip("`")] = set(re.findall(r"`([a-z_]+)`", cells[2]))
    return fields


def _keys(value: object) -> set[str]:
    """Every key of every object nested in `value`."""
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for item in value for k in _keys(item)}
    return set()


async def test_the_json_keeps_to_the_documented_schema(sim: SimFactory) -> None:
    """Within v1 a field may be added, never renamed: every key the JSON carries is in the
    schema document, and every documented top-level field is there (wait and changes come
    with --wait-for and --watch only)."""
    server = await scenario_server(sim, "stuck-migrations", speed=600.0)
    await asyncio.sleep(2.0)  # a few simulated minutes: plans, migrations, outdated VMIs
    data = json.loads(await _status(server, output="json"))
    documented = _documented()
    assert set(data) | {"wait", "changes"} == set(documented), set(data) ^ set(documented)
    for field, value in data.items():
        unknown = _keys(value) - documented[field]
        assert not unknown, f"{field}: {sorted(unknown)} not in docs/status-schema.md"
