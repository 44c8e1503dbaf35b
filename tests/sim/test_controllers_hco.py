"""HCO -> KubeVirt: the workload update strategy and migration limits follow the HCO, on
both HCO APIs, and the defaults come back when the user removes them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from cnvtui.sim.server import SimServer

from .test_scenario_kit import Api, Json, running, scenario

HCO = "kubevirt-hyperconverged"
KV = "kubevirt-kubevirt-hyperconverged"
DEFAULTS = {
    "workloadUpdateMethods": ["LiveMigrate"],
    "batchEvictionSize": 10,
    "batchEvictionInterval": "1m0s",
}
Sim = Callable[..., Awaitable[SimServer]]


async def _kv_strategy(api: Api) -> Json:
    strategy: Json = (await api.get("kv", KV))["spec"]["workloadUpdateStrategy"]
    return strategy


async def test_strategy_and_limits_propagate_and_defaults_come_back(sim: Sim) -> None:
    built = scenario("steady", vmis=2)
    clock = built.clock
    async with running(sim, built) as (_, api):
        assert await _kv_strategy(api) == DEFAULTS

        await api.patch(
            "hco", HCO,
            {"spec": {
                "workloadUpdateStrategy": {
                    "workloadUpdateMethods": ["LiveMigrate", "Evict"],
                    "batchEvictionSize": 3,
                    "batchEvictionInterval": "2m0s",
                },
                "liveMigrationConfig": {
                    "parallelMigrationsPerCluster": 3,
                    "parallelOutboundMigrationsPerNode": 1,
                },
            }},
        )  # fmt: skip
        await clock.advance(10)
        assert await _kv_strategy(api) == {
            "workloadUpdateMethods": ["LiveMigrate", "Evict"],
            "batchEvictionSize": 3,
            "batchEvictionInterval": "2m0s",
        }
        migrations = (await api.get("kv", KV))["spec"]["configuration"]["migrations"]
        assert migrations["parallelMigrationsPerCluster"] == 3
        assert migrations["parallelOutboundMigrationsPerNode"] == 1

        # An empty list is a choice: kept, and copied as is.
        await api.patch(
            "hco", HCO,
            [{"op": "replace", "path": "/spec/workloadUpdateStrategy/workloadUpdateMethods",
              "value": []}],
            json_patch=True,
        )  # fmt: skip
        await clock.advance(10)
        assert (await _kv_strategy(api))["workloadUpdateMethods"] == []
        hco = await api.get("hco", HCO)
        assert hco["spec"]["workloadUpdateStrategy"]["workloadUpdateMethods"] == []

        # Removing the strategy brings the defaults back, in the HCO and in KubeVirt.
        await api.patch(
            "hco", HCO, [{"op": "remove", "path": "/spec/workloadUpdateStrategy"}],
            json_patch=True,
        )  # fmt: skip
        await clock.advance(10)
        hco = await api.get("hco", HCO)
        assert hco["spec"]["workloadUpdateStrategy"] == DEFAULTS
        assert await _kv_strategy(api) == DEFAULTS


async def test_hco_v1_keeps_the_strategy_under_virtualization(sim: Sim) -> None:
    built = scenario("zstream-hco-v1", vmis=2)
    clock = built.clock
    async with running(sim, built) as (_, api):
        v1 = await api.get("hco-v1", HCO)
        assert v1["apiVersion"] == "hco.kubevirt.io/v1"
        assert "workloadUpdateStrategy" not in v1["spec"]
        assert v1["spec"]["virtualization"]["workloadUpdateStrategy"] == DEFAULTS

        # The documented v1beta1 patch still works: the server converts, HCO copies.
        await api.patch(
            "hco", HCO,
            [{"op": "replace", "path": "/spec/workloadUpdateStrategy/workloadUpdateMethods",
              "value": []}],
            json_patch=True,
        )  # fmt: skip
        await clock.advance(10)
        assert (await _kv_strategy(api))["workloadUpdateMethods"] == []
        v1 = await api.get("hco-v1", HCO)
        assert v1["spec"]["virtualization"]["workloadUpdateStrategy"]["workloadUpdateMethods"] == []

        await api.patch(
            "hco-v1", HCO,
            {"spec": {"virtualization": {"workloadUpdateStrategy": {
                "workloadUpdateMethods": ["Evict"], "batchEvictionSize": 4}}}},
        )  # fmt: skip
        await clock.advance(10)
        assert await _kv_strategy(api) == {
            "workloadUpdateMethods": ["Evict"],
            "batchEvictionSize": 4,
            "batchEvictionInterval": "1m0s",
        }
        v1beta1 = await api.get("hco", HCO)
        assert v1beta1["spec"]["workloadUpdateStrategy"]["workloadUpdateMethods"] == ["Evict"]
