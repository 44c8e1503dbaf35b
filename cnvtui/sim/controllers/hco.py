"""The HyperConverged Cluster Operator, and the virt-operator rollout it starts.

It follows the CNV CSVs: while a newer CSV installs it reports Progressing=True and
Upgradeable=False ("HCO is now upgrading to version X") and KubeVirt targets the new
version; once that CSV has succeeded and its components have rolled out, it moves
`status.versions[operator]` and KubeVirt's observed version and reports healthy again; if
that CSV fails it reports Degraded with the scenario's message.

It also owns the HCO's workload update strategy: it puts back the defaults
([LiveMigrate], 10, 1m0s) when the user removes them (an empty method list is a choice and
is kept), and copies the strategy and the live migration limits into the KubeVirt CR, so
`oc get kv ...` tells the same story as the HCO. The strategy lives at
`spec.workloadUpdateStrategy` in v1beta1 and `spec.virtualization.workloadUpdateStrategy` in
v1; the stored object's apiVersion says which one the cluster keeps.
"""

from __future__ import annotations

from cnvtui.sim.clock import SimClock
from cnvtui.sim.controllers import releases
from cnvtui.sim.controllers.base import (
    CSV_GROUP,
    HCO_GROUP,
    KUBEVIRT_GROUP,
    Json,
    dig,
    get_or_none,
    merge_conditions,
    meta,
    name_of,
    read_all,
    seconds_since,
    stamp,
    status_of,
)
from cnvtui.sim.controllers.config import SimConfig
from cnvtui.sim.store import Store

DEFAULT_STRATEGY: Json = {
    "workloadUpdateMethods": ["LiveMigrate"],
    "batchEvictionSize": 10,
    "batchEvictionInterval": "1m0s",
}
DEFAULT_MIGRATIONS: Json = {
    "parallelMigrationsPerCluster": 5,
    "parallelOutboundMigrationsPerNode": 2,
    "completionTimeoutPerGiB": 150,
    "progressTimeout": 150,
}
_MIGRATION_KEYS = (
    "parallelMigrationsPerCluster",
    "parallelOutboundMigrationsPerNode",
    "completionTimeoutPerGiB",
    "progressTimeout",
    "bandwidthPerMigration",
    "allowAutoConverge",
    "allowPostCopy",
    "network",
)
# Simulated seconds HCO needs after the new CSV succeeded to roll its components (min, max).
_ROLLOUT = (45.0, 120.0)
_OK = "Reconcile completed successfully"


def strategy_path(hco: Json) -> tuple[str, ...]:
    """Where this HyperConverged keeps its workload update strategy."""
    if str(hco.get("apiVersion", "")).endswith("/v1"):
        return ("spec", "virtualization", "workloadUpdateStrategy")
    return ("spec", "workloadUpdateStrategy")


def migration_config_path(hco: Json) -> tuple[str, ...]:
    if str(hco.get("apiVersion", "")).endswith("/v1"):
        return ("spec", "virtualization", "liveMigrationConfig")
    return ("spec", "liveMigrationConfig")


def _nest(path: tuple[str, ...], value: object) -> Json:
    out: Json = {path[-1]: value}
    for key in reversed(path[:-1]):
        out = {key: out}
    return out


class HyperConvergedOperator:
    """Reconciles the HyperConverged CR, and the KubeVirt CR it owns."""

    interval = 5.0

    def __init__(self, clock: SimClock, config: SimConfig) -> None:
        self.clock = clock
        self.config = config

    def reconcile(self, store: Store) -> None:
        ns = self.config.namespace
        hco = get_or_none(store, HCO_GROUP, "hyperconvergeds", ns, self.config.hco_name)
        if hco is None:
            return
        hco = self._restore_defaults(store, hco)
        csvs = read_all(store, CSV_GROUP, "clusterserviceversions", ns)
        csvs = [c for c in csvs if releases.version_of_csv(name_of(c))]
        running = self._running_version(hco, csvs)
        newest = max(csvs, key=lambda c: releases.parse(_version(c)), default=None)
        state, target, detail = self._state(running, newest)
        if state == "done" and target:
            running = target
        self._write_hco_status(store, hco, state, running, target=target, detail=detail)
        self._sync_kubevirt(store, hco, state, running, target)

    # -- versions -----------------------------------------------------------------------

    def _running_version(self, hco: Json, csvs: list[Json]) -> str:
        for entry in status_of(hco).get("versions") or []:
            if entry.get("name") == "operator" and entry.get("version"):
                return str(entry["version"])
        done = [c for c in csvs if status_of(c).get("phase") in ("Succeeded", "Replacing")]
        best = max(done or csvs, key=lambda c: releases.parse(_version(c)), default=None)
        return _version(best) if best else ""

    def _state(self, running: str, newest: Json | None) -> tuple[str, str, str]:
        """("steady"|"upgrading"|"done"|"failed", target version, failure message)."""
        if newest is None:
            return "steady", running, ""
        target = _version(newest)
        if releases.parse(target) <= releases.parse(running):
            return "steady", running, ""
        phase = status_of(newest).get("phase")
        if phase == "Failed":
            bundle = self.config.bundle(target)
            failure = bundle.failure if bundle and bundle.failure else releases.Failure()
            return "failed", target, f"{failure.hco_reason}\n{failure.hco_message}"
        if phase == "Succeeded":
            since = seconds_since(self.clock, status_of(newest).get("lastTransitionTime"))
            if since >= self.clock.rng("hco-rollout", target).uniform(*_ROLLOUT):
                return "done", target, ""
        if phase in ("InstallReady", "Installing", "Succeeded"):
            return "upgrading", target, ""
        return "steady", running, ""

    # -- the HyperConverged's status ------------------------------------------------------

    def _write_hco_status(
        self, store: Store, hco: Json, state: str, running: str, *, target: str, detail: str
    ) -> None:
        now = stamp(self.clock.now())
        generation = meta(hco).get("generation", 1)

        def cond(ctype: str, status: str, reason: str, message: str) -> Json:
            return {
                "type": ctype,
                "status": status,
                "reason": reason,
                "message": message,
                "observedGeneration": generation,
            }

        if state == "upgrading":
            msg = f"HCO is now upgrading to version {target}"
            conditions = [
                cond("ReconcileComplete", "True", "ReconcileCompleted", _OK),
                cond("Available", "True", "ReconcileCompleted", _OK),
                cond("Progressing", "True", "HCOUpgrading", msg),
                cond("Degraded", "False", "ReconcileCompleted", _OK),
                cond("Upgradeable", "False", "HCOUpgrading", msg),
            ]
            health = "warning"
        elif state == "failed":
            reason, _, message = detail.partition("\n")
            upgrading = f"HCO is now upgrading to version {target}"
            conditions = [
                cond("ReconcileComplete", "True", "ReconcileCompleted", _OK),
                cond("Available", "False", reason, message),
                cond("Progressing", "True", "HCOUpgrading", upgrading),
                cond("Degraded", "True", reason, message),
                cond("Upgradeable", "False", reason, message),
            ]
            health = "error"
        else:
            conditions = [
                cond("ReconcileComplete", "True", "ReconcileCompleted", _OK),
                cond("Available", "True", "ReconcileCompleted", _OK),
                cond("Progressing", "False", "ReconcileCompleted", _OK),
                cond("Degraded", "False", "ReconcileCompleted", _OK),
                cond("Upgradeable", "True", "ReconcileCompleted", _OK),
            ]
            health = "healthy"
        old = status_of(hco)
        versions = [v for v in old.get("versions") or [] if v.get("name") != "operator"]
        versions.insert(0, {"name": "operator", "version": running})
        new: Json = {
            "conditions": merge_conditions(old.get("conditions"), conditions, now),
            "versions": versions,
            "systemHealthStatus": health,
            "observedGeneration": generation,
        }
        if all(old.get(k) == v for k, v in new.items()):
            return
        store.patch(
            HCO_GROUP, "hyperconvergeds", self.config.namespace, name_of(hco), "merge",
            {"status": new}, subresource="status",
        )  # fmt: skip

    # -- the strategy and KubeVirt --------------------------------------------------------

    def _restore_defaults(self, store: Store, hco: Json) -> Json:
        path = strategy_path(hco)
        strategy = dig(hco, *path)
        current = strategy if isinstance(strategy, dict) else {}
        missing = {k: v for k, v in DEFAULT_STRATEGY.items() if current.get(k) is None}
        if not missing:
            return hco
        return store.patch(
            HCO_GROUP, "hyperconvergeds", self.config.namespace, name_of(hco), "merge",
            _nest(path, missing),
        )  # fmt: skip

    def _sync_kubevirt(
        self, store: Store, hco: Json, state: str, running: str, target: str
    ) -> None:
        ns = self.config.namespace
        kv = get_or_none(store, KUBEVIRT_GROUP, "kubevirts", ns, self.config.kubevirt_name)
        if kv is None:
            return
        strategy = dict(DEFAULT_STRATEGY)
        strategy.update(dig(hco, *strategy_path(hco)) or {})
        limits = dict(DEFAULT_MIGRATIONS)
        limits.update(
            {
                k: v
                for k, v in (dig(hco, *migration_config_path(hco)) or {}).items()
                if k in _MIGRATION_KEYS and v is not None
            }
        )
        spec = kv.get("spec") or {}
        configuration = spec.get("configuration") or {}
        if (
            spec.get("workloadUpdateStrategy") != strategy
            or configuration.get("migrations") != limits
        ):
            store.patch(
                KUBEVIRT_GROUP, "kubevirts", ns, name_of(kv), "merge",
                {"spec": {
                    "workloadUpdateStrategy": strategy,
                    "configuration": {"migrations": limits},
                }},
            )  # fmt: skip
        # virt-operator: the observed version follows once HCO's rollout is done.
        moving = state in ("upgrading", "failed")
        observed = releases.kubevirt_version(running) if running else None
        wanted = releases.kubevirt_version(target) if moving and target else observed
        now = stamp(self.clock.now())
        degraded = state == "failed"
        conditions = [
            {"type": "Available", "status": "True", "reason": "AllComponentsReady",
             "message": "All components are ready."},
            {"type": "Progressing", "status": "True" if moving else "False",
             "reason": "DeploymentInProgress" if moving else "AllComponentsReady",
             "message": f"Deploying version {wanted}" if moving else "All components are ready."},
            {"type": "Degraded", "status": "True" if degraded else "False",
             "reason": "DeploymentFailed" if degraded else "AllComponentsReady",
             "message": "virt-operator deployment failed" if degraded
             else "All components are ready."},
        ]  # fmt: skip
        old = status_of(kv)
        new: Json = {
            "phase": "Deploying" if moving else "Deployed",
            "observedKubeVirtVersion": observed,
            "targetKubeVirtVersion": wanted,
            "operatorVersion": wanted,
            "conditions": merge_conditions(old.get("conditions"), conditions, now),
        }
        if all(old.get(k) == v for k, v in new.items()):
            return
        store.patch(
            KUBEVIRT_GROUP, "kubevirts", ns, name_of(kv), "merge", {"status": new},
            subresource="status",
        )  # fmt: skip


def _version(csv: Json | None) -> str:
    if csv is None:
        return ""
    return str(dig(csv, "spec", "version") or releases.version_of_csv(name_of(csv)) or "")
