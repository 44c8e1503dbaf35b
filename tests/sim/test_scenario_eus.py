"""`eus`: the whole EUS-to-EUS procedure of DOMAIN.md (4.12 -> 4.13 -> 4.14), carried out
with kubectl alone against the simulated cluster, step by step.

Waiting is what an administrator does between commands: look again a little later (the
test lets a few simulated minutes pass between two looks).
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from cnvtui.sim.clock import SimClock
from cnvtui.sim.server import SimServer

from .test_scenario_kit import parse_ts, scenario

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("kubectl") is None, reason="needs kubectl"),
]

NS = ["-n", "openshift-cnv"]
HCO = ["hco", "kubevirt-hyperconverged", *NS]
KV = ["kv", "kubevirt-kubevirt-hyperconverged", *NS]
SUB = ["subscription", "kubevirt-hyperconverged", *NS]
OUTDATED = "kubevirt.io/outdatedLauncherImage"


class Kubectl:
    """kubectl against one kubeconfig; `wait` looks again every few simulated minutes."""

    def __init__(self, kubeconfig: Path, clock: SimClock) -> None:
        self.kubeconfig = kubeconfig
        self.clock = clock

    async def __call__(self, *args: str, not_found: str | None = None) -> str:
        """kubectl's output; `not_found` (if given) stands for a NotFound answer."""
        proc = await asyncio.create_subprocess_exec(
            "kubectl", "--kubeconfig", str(self.kubeconfig), *args,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        out, err = await proc.communicate()
        if proc.returncode and not_found is not None and b"(NotFound)" in err:
            return not_found
        assert proc.returncode == 0, f"kubectl {' '.join(args)}: {err.decode()}"
        return out.decode().strip()

    async def jsonpath(self, *args: str, path: str, not_found: str | None = None) -> str:
        return await self("get", *args, "-o", f"jsonpath={path}", not_found=not_found)

    async def wait(
        self, *args: str, path: str, want: str, every: float = 120.0, limit: float = 3 * 3600
    ) -> None:
        """Look again every `every` simulated seconds until the output is `want` (compared
        line by line in any order)."""
        waited = 0.0
        while sorted(
            (got := await self.jsonpath(*args, path=path, not_found="<not found>")).splitlines()
        ) != sorted(want.splitlines()):
            assert waited < limit, f"{' '.join(args)} {path}: {got!r}, never {want!r}"
            await self.clock.advance(every)
            waited += every


async def test_eus_procedure_with_kubectl_alone(
    sim: Callable[..., Awaitable[SimServer]], tmp_path: Path
) -> None:
    built = scenario("eus", vmis=8)
    server = await sim(**built.server_options(), kubeconfig_path=tmp_path / "kubeconfig")
    assert server.kubeconfig_path is not None
    k = Kubectl(server.kubeconfig_path, built.clock)
    assert await k.jsonpath("clusterversion", "version", path="{.status.desired.version}") == (
        "4.12.49"
    )

    # 1. Pause the worker pools.
    await k("patch", "mcp", "worker", "--type", "merge", "-p", '{"spec":{"paused":true}}')
    # 2. Back up workloadUpdateMethods (from the KubeVirt CR, as the docs do) and turn them off.
    backup = await k.jsonpath(*KV, path="{.spec.workloadUpdateStrategy.workloadUpdateMethods}")
    assert json.loads(backup) == ["LiveMigrate"]
    await k(
        "patch", *HCO, "--type", "json", "-p",
        '[{"op":"replace","path":"/spec/workloadUpdateStrategy/workloadUpdateMethods",'
        '"value":[]}]',
    )  # fmt: skip
    await k.wait(*KV, path="{.spec.workloadUpdateStrategy.workloadUpdateMethods}", want="[]",
                 every=10)  # fmt: skip
    # 3. The HCO must be Upgradeable.
    upgradeable = '{.status.conditions[?(@.type=="Upgradeable")].status}'
    await k.wait(*HCO, path=upgradeable, want="True", every=10)

    # CNV 4.13 is in the channel, but not offered while OpenShift runs 4.12.
    await built.clock.advance(1800)
    assert len((await k("get", "installplan", *NS, "-o", "name")).splitlines()) == 1
    assert await k.jsonpath(*SUB, path="{.status.state}") == "AtLatestKnown"

    # 4. OpenShift to 4.13, then CNV 4.13 (Manual: approve the plan the Subscription names).
    await _update_openshift(k, "4.13.35")
    await _approve_and_install(k, "4.13.9")
    await k.wait(*HCO, path=upgradeable, want="True", every=30)
    # Nothing was migrated or evicted in between: the methods are off.
    assert await k("get", "vmim", "-A", "-o", "name") == ""

    # 5. OpenShift to 4.14, then CNV 4.14.
    await _update_openshift(k, "4.14.12")
    await _approve_and_install(k, "4.14.4")
    assert await k("get", "vmim", "-A", "-o", "name") == ""
    outdated = await k("get", "vmi", "-A", "-l", OUTDATED, "-o", "name")
    assert len(outdated.splitlines()) == 8

    # 6. Restore the backed-up methods; the VMIs are then migrated, once.
    restored = built.clock.now()
    await k(
        "patch", *HCO, "--type", "json", "-p",
        '[{"op":"add","path":"/spec/workloadUpdateStrategy/workloadUpdateMethods",'
        f'"value":{backup}}}]',
    )  # fmt: skip
    await k.wait(*KV, path="{.spec.workloadUpdateStrategy.workloadUpdateMethods}", want=backup,
                 every=10)  # fmt: skip
    vmis = json.loads(await k("get", "vmi", "-A", "-o", "json"))["items"]
    wanted = sorted(
        v["metadata"]["name"]
        for v in vmis
        if any(c["type"] == "LiveMigratable" and c["status"] == "True"
               for c in v["status"]["conditions"])
    )  # fmt: skip
    assert wanted, "no live-migratable VMI in the scenario"
    done_path = '{range .items[?(@.status.phase=="Succeeded")]}{.spec.vmiName}{"\\n"}{end}'
    await k.wait("vmim", "-A", path=done_path, want="\n".join(wanted), every=180)

    # 7. Check the migrations, then unpause the worker pools.
    vmims = json.loads(await k("get", "vmim", "-A", "-o", "json"))["items"]
    assert Counter(m["spec"]["vmiName"] for m in vmims) == Counter(wanted)
    assert all("kubevirt.io/workloadUpdateMigration" in m["metadata"]["annotations"] for m in vmims)
    await k("patch", "mcp", "worker", "--type", "merge", "-p", '{"spec":{"paused":false}}')
    updated = '{.status.conditions[?(@.type=="Updated")].status}'
    await k.wait("mcp", "worker", path=updated, want="True", every=600)

    # The end: every VMI on the new launcher, methods restored, pools unpaused.
    assert await k("get", "vmi", "-A", "-l", OUTDATED, "-o", "name") == ""
    assert await k.jsonpath(*HCO, path="{.spec.workloadUpdateStrategy.workloadUpdateMethods}") == (
        backup
    )
    assert await k.jsonpath("mcp", path="{.items[*].spec.paused}") == "false false"
    assert await k.jsonpath(*HCO, path='{.status.versions[?(@.name=="operator")].version}') == (
        "4.14.4"
    )
    history = json.loads(await k.jsonpath("clusterversion", "version", path="{.status.history}"))
    assert [h["version"] for h in history[:3]] == ["4.14.12", "4.13.35", "4.12.49"]
    assert all(h["state"] == "Completed" for h in history[:3])
    vmis = json.loads(await k("get", "vmi", "-A", "-o", "json"))["items"]
    assert len(vmis) == 8
    assert all(v["status"]["phase"] == "Running" for v in vmis)
    # The workload update migrations all came after the methods were restored.
    assert all(parse_ts(m["metadata"]["creationTimestamp"]) >= restored for m in vmims)


async def _update_openshift(k: Kubectl, version: str) -> None:
    """`oc adm upgrade --to VERSION`: set spec.desiredUpdate, wait for a Completed entry."""
    available = await k.jsonpath(
        "clusterversion", "version", path="{.status.availableUpdates[*].version}"
    )
    assert version in available.split()
    await k(
        "patch", "clusterversion", "version", "--type", "merge", "-p",
        json.dumps({"spec": {"desiredUpdate": {"version": version}}}),
    )  # fmt: skip
    await k.wait("clusterversion", "version", path="{.status.history[0].state}", want="Partial",
                 every=10)  # fmt: skip
    await k.wait(
        "clusterversion", "version",
        path="{.status.history[0].version} {.status.history[0].state}",
        want=f"{version} Completed", every=600,
    )  # fmt: skip


async def _approve_and_install(k: Kubectl, cnv: str) -> None:
    """Approve the InstallPlan the Subscription references, once it waits for approval."""
    csv = f"kubevirt-hyperconverged-operator.v{cnv}"
    await k.wait(*SUB, path="{.status.currentCSV}", want=csv, every=60)
    plan = await k.jsonpath(*SUB, path="{.status.installPlanRef.name}")
    await k.wait("installplan", plan, *NS, path="{.status.phase}", want="RequiresApproval",
                 every=10)  # fmt: skip
    assert (
        await k.jsonpath("installplan", plan, *NS, path="{.spec.clusterServiceVersionNames[0]}")
        == csv
    )
    assert await k.jsonpath(*SUB, path="{.status.state}") == "UpgradePending"
    await k("patch", "installplan", plan, *NS, "--type", "merge", "-p",
            '{"spec":{"approved":true}}')  # fmt: skip
    await k.wait("csv", csv, *NS, path="{.status.phase}", want="Succeeded", every=90)
    await k.wait(*HCO, path='{.status.versions[?(@.name=="operator")].version}', want=cnv,
                 every=60)  # fmt: skip
