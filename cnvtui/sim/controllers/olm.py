"""OLM's catalog operator: Subscriptions and their InstallPlans.

It offers the next CNV bundle of the `stable` channel once the bundle has appeared and the
cluster runs the matching OpenShift minor (CNV 4.N needs OpenShift 4.N; minors are never
skipped), writes an InstallPlan with its `status.plan[]` preview, and walks it through
Planning -> RequiresApproval (Manual) -> Installing -> Complete, creating the new CSV.

Approval has the consequences it has on a real cluster:
- approving the plan the Subscription references while it waits in RequiresApproval installs;
- approving a plan OLM has not finished resolving (still Planning) makes OLM discard it as
  modified and write a duplicate plan, which again waits for approval;
- approving any other plan (an old Complete one, one superseded by a newer bundle) does
  nothing at all.
"""

from __future__ import annotations

from cnvtui.sim import seed
from cnvtui.sim.clock import SimClock
from cnvtui.sim.controllers import releases
from cnvtui.sim.controllers.base import (
    CSV_GROUP,
    Json,
    dig,
    get_or_none,
    meta,
    name_of,
    read_all,
    seconds_since,
    stamp,
    status_of,
)
from cnvtui.sim.controllers.config import SimConfig
from cnvtui.sim.controllers.csv import new_csv
from cnvtui.sim.controllers.cvo import ocp_version
from cnvtui.sim.store import Store

ACTIVE_PLAN_PHASES = ("", "Planning", "RequiresApproval", "Installing")


class OlmCatalogOperator:
    """Resolves Subscriptions to InstallPlans and carries the plans out."""

    interval = 5.0

    def __init__(self, clock: SimClock, config: SimConfig) -> None:
        self.clock = clock
        self.config = config

    # -- one pass ---------------------------------------------------------------------

    def reconcile(self, store: Store) -> None:
        ns = self.config.namespace
        subs = read_all(store, CSV_GROUP, "subscriptions", ns)
        for sub in subs:
            if dig(sub, "spec", "name") == self.config.package:
                self._sync(store, sub)

    def _sync(self, store: Store, sub: Json) -> None:
        ns = self.config.namespace
        status = status_of(sub)
        ref = dig(status, "installPlanRef", "name")
        plan = get_or_none(store, CSV_GROUP, "installplans", ns, ref) if ref else None
        phase = str(status_of(plan).get("phase", "")) if plan else None

        if plan is not None and phase in ACTIVE_PLAN_PHASES:
            plan = self._advance_plan(store, sub, plan)
            if plan is None:
                return
            phase = str(status_of(plan).get("phase", ""))
            if phase == "RequiresApproval" and not dig(plan, "spec", "approved"):
                newer = self._next_bundle(store, sub, current=_plan_version(plan))
                if newer is not None:
                    self._create_plan(store, sub, newer)
                    return
            if phase in ACTIVE_PLAN_PHASES:
                self._write_sub_status(store, sub, plan, pending_reason=phase or "Planning")
                return

        current_csv = str(status.get("currentCSV") or dig(sub, "spec", "startingCSV") or "")
        installed = (
            current_csv if (plan is None or phase == "Complete") else status.get("installedCSV")
        )
        csv = get_or_none(store, CSV_GROUP, "clusterserviceversions", ns, current_csv)
        if csv is not None and status_of(csv).get("phase") == "Succeeded":
            bundle = self._next_bundle(store, sub, current=releases.version_of_csv(current_csv))
            if bundle is not None:
                self._create_plan(store, sub, bundle)
                return
        self._write_sub_status(
            store, sub, plan, installed=str(installed or current_csv), state="AtLatestKnown"
        )

    # -- what to offer ----------------------------------------------------------------

    def _next_bundle(
        self, store: Store, sub: Json, *, current: str | None
    ) -> releases.Bundle | None:
        """The bundle OLM would upgrade to from `current`, if the channel has one now."""
        if not current:
            return None
        if dig(sub, "spec", "channel") not in (None, "", "stable"):
            return None
        ocp = ocp_version(store)
        ocp_minor = releases.minor(ocp) if ocp else (0, 0)
        have = releases.parse(current)
        cur_minor = releases.minor(current)
        now = self.clock.elapsed()
        offered = [
            b
            for b in self.config.bundles
            if b.after <= now
            and releases.parse(b.version) > have
            and releases.minor(b.version) <= ocp_minor
            and releases.minor(b.version)[1] <= cur_minor[1] + 1
        ]
        if not offered:
            return None
        next_minor = [b for b in offered if releases.minor(b.version) != cur_minor]
        pool = next_minor or offered
        return max(pool, key=lambda b: releases.parse(b.version))

    # -- install plans ----------------------------------------------------------------

    def _create_plan(self, store: Store, sub: Json, bundle: releases.Bundle) -> Json:
        ns = self.config.namespace
        approval = str(dig(sub, "spec", "installPlanApproval") or "Automatic")
        generation = int(status_of(sub).get("installPlanGeneration") or 0) + 1
        csv = releases.csv_name(bundle.version)
        body: Json = {
            "apiVersion": f"{CSV_GROUP}/v1alpha1",
            "kind": "InstallPlan",
            "metadata": {
                "generateName": "install-",
                "namespace": ns,
                "labels": {f"operators.coreos.com/{self.config.package}.{ns}": ""},
                "ownerReferences": [
                    {
                        "apiVersion": f"{CSV_GROUP}/v1alpha1",
                        "kind": "Subscription",
                        "name": name_of(sub),
                        "uid": meta(sub).get("uid", ""),
                        "blockOwnerDeletion": False,
                        "controller": False,
                    }
                ],
            },
            "spec": {
                "approval": approval,
                "approved": approval == "Automatic",
                "clusterServiceVersionNames": [csv],
                "generation": generation,
            },
        }
        plan = store.create(CSV_GROUP, "installplans", body, namespace=ns)
        plan = store.patch(
            CSV_GROUP, "installplans", ns, name_of(plan), "merge",
            {"status": {
                "phase": "Planning",
                "catalogSources": [self.config.catalog_source],
                "bundleLookups": [],
            }},
            subresource="status",
        )  # fmt: skip
        self._write_sub_status(
            store, sub, plan, pending_reason="Planning", current=csv, generation=generation
        )
        return plan

    def _advance_plan(self, store: Store, sub: Json, plan: Json) -> Json | None:
        """Move the Subscription's plan one phase on when its time has come."""
        name = name_of(plan)
        status = status_of(plan)
        phase = str(status.get("phase") or "")
        approved = bool(dig(plan, "spec", "approved"))
        # Keyed by what the plan installs, not by its server-generated name.
        rng = self.clock.rng("installplan", _plan_csv(plan), dig(plan, "spec", "generation"))
        if phase in ("", "Planning"):
            planning = rng.uniform(8, 20)
            if seconds_since(self.clock, meta(plan).get("creationTimestamp")) < planning:
                return plan
            manual = dig(plan, "spec", "approval") == "Manual"
            if manual and approved:
                # Modified while OLM was resolving it: OLM drops it and writes a duplicate.
                bundle = self.config.bundle(_plan_version(plan) or "")
                if bundle is not None:
                    self._create_plan(store, sub, bundle)
                return None
            return self._patch_plan(
                store, name,
                {
                    "phase": "Installing" if approved else "RequiresApproval",
                    "plan": self._steps(sub, plan, "RequiresApproval"),
                    "conditions": [_condition("Resolved", "True", self.clock)],
                    **({"startTime": stamp(self.clock.now())} if approved else {}),
                },
            )  # fmt: skip
        if phase == "RequiresApproval":
            if not approved:
                return plan
            plan = self._patch_plan(
                store, name, {"phase": "Installing", "startTime": stamp(self.clock.now())}
            )
            self._install(store, sub, plan)
            return plan
        if phase == "Installing":
            self._install(store, sub, plan)
            if seconds_since(self.clock, status.get("startTime")) < rng.uniform(4, 10):
                return plan
            return self._patch_plan(
                store, name,
                {
                    "phase": "Complete",
                    "plan": self._steps(sub, plan, "Complete"),
                    "conditions": [
                        _condition("Resolved", "True", self.clock),
                        _condition("Installed", "True", self.clock),
                    ],
                },
            )  # fmt: skip
        return plan

    def _install(self, store: Store, sub: Json, plan: Json) -> None:
        """Create the plan's CSV if it is not there yet; the CSV controller takes it on."""
        ns = self.config.namespace
        csv = _plan_csv(plan)
        version = releases.version_of_csv(csv)
        if not version or get_or_none(store, CSV_GROUP, "clusterserviceversions", ns, csv):
            return
        replaces = str(status_of(sub).get("installedCSV") or "") or None
        store.create(
            CSV_GROUP, "clusterserviceversions",
            new_csv(version, replaces=replaces, now=self.clock.now()),
            namespace=ns,
        )  # fmt: skip

    @staticmethod
    def _steps(sub: Json, plan: Json, phase: str) -> list[Json]:
        """`status.plan[]`, the preview the console shows (replacing a CSV: steps Present)."""
        installed = str(status_of(sub).get("installedCSV") or "")
        replaces = installed if installed and installed != _plan_csv(plan) else None
        return seed.install_plan_steps(_plan_csv(plan), phase=phase, replaces=replaces)

    def _patch_plan(self, store: Store, name: str, status: Json) -> Json:
        return store.patch(
            CSV_GROUP, "installplans", self.config.namespace, name, "merge",
            {"status": status}, subresource="status",
        )  # fmt: skip

    # -- the subscription's status ----------------------------------------------------

    def _write_sub_status(
        self,
        store: Store,
        sub: Json,
        plan: Json | None,
        *,
        pending_reason: str | None = None,
        installed: str | None = None,
        state: str = "UpgradePending",
        current: str | None = None,
        generation: int | None = None,
    ) -> None:
        old = status_of(sub)
        now = stamp(self.clock.now())
        conditions = [
            c for c in old.get("conditions") or [] if c.get("type") != "InstallPlanPending"
        ]
        if pending_reason is not None:
            previous = next(
                (c for c in old.get("conditions") or [] if c.get("type") == "InstallPlanPending"),
                None,
            )
            same = previous is not None and previous.get("reason") == pending_reason
            conditions.append(
                {
                    "type": "InstallPlanPending",
                    "status": "True",
                    "reason": pending_reason,
                    "lastTransitionTime": previous.get("lastTransitionTime", now)
                    if same and previous
                    else now,
                }
            )
        if not any(c.get("type") == "CatalogSourcesUnhealthy" for c in conditions):
            conditions.insert(
                0,
                {
                    "type": "CatalogSourcesUnhealthy",
                    "status": "False",
                    "reason": "AllCatalogSourcesHealthy",
                    "message": "all available catalogsources are healthy",
                    "lastTransitionTime": now,
                },
            )
        new: Json = {
            "state": state if pending_reason is None else "UpgradePending",
            "conditions": conditions,
            "currentCSV": current or old.get("currentCSV"),
            "installedCSV": installed or old.get("installedCSV"),
            "catalogHealth": old.get("catalogHealth") or [self._catalog_health(now)],
        }
        if generation is not None:
            new["installPlanGeneration"] = generation
        if plan is not None:
            pm = meta(plan)
            new["installPlanRef"] = {
                "apiVersion": f"{CSV_GROUP}/v1alpha1",
                "kind": "InstallPlan",
                "name": pm.get("name"),
                "namespace": pm.get("namespace"),
                "resourceVersion": pm.get("resourceVersion"),
                "uid": pm.get("uid"),
            }
            new["installplan"] = {
                "apiVersion": f"{CSV_GROUP}/v1alpha1",
                "kind": "InstallPlan",
                "name": pm.get("name"),
                "uuid": pm.get("uid"),
            }
        if _same_status(old, new):
            return
        new["lastUpdated"] = now
        store.patch(
            CSV_GROUP, "subscriptions", self.config.namespace, name_of(sub), "merge",
            {"status": new}, subresource="status",
        )  # fmt: skip

    def _catalog_health(self, now: str) -> Json:
        return {
            "catalogSourceRef": {
                "apiVersion": f"{CSV_GROUP}/v1alpha1",
                "kind": "CatalogSource",
                "name": self.config.catalog_source,
                "namespace": self.config.catalog_namespace,
            },
            "healthy": True,
            "lastUpdated": now,
        }


def _same_status(old: Json, new: Json) -> bool:
    for key, value in new.items():
        if key == "installPlanRef":
            if dig(old, key, "name") != value.get("name"):
                return False
            continue
        if old.get(key) != value:
            return False
    return True


def _plan_csv(plan: Json) -> str:
    names = dig(plan, "spec", "clusterServiceVersionNames") or []
    return str(names[0]) if names else ""


def _plan_version(plan: Json) -> str | None:
    return releases.version_of_csv(_plan_csv(plan))


def _condition(ctype: str, status: str, clock: SimClock) -> Json:
    now = stamp(clock.now())
    return {"type": ctype, "status": status, "lastTransitionTime": now, "lastUpdateTime": now}
