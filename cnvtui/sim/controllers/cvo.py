"""The cluster-version operator: OpenShift updates through ClusterVersion `version`.

Patching `spec.desiredUpdate` (what `oc adm upgrade --to` does) starts an update: a Partial
history entry, `status.desired`, Progressing with the "Working towards" message. Part way
through the payload the machine-config operator is updated, which hands the new release to
the MachineConfigPools; the update completes when the master pool has rolled (worker pools,
paused or not, do not hold it up, as on a real cluster). A minor update is refused while an
operator says it is not upgradeable, as CVO's ClusterVersionUpgradeable precondition does.
"""

from __future__ import annotations

from cnvtui.sim.clock import SimClock
from cnvtui.sim.controllers import releases
from cnvtui.sim.controllers.base import (
    CONFIG_GROUP,
    CSV_GROUP,
    HCO_GROUP,
    MCO_GROUP,
    Json,
    condition_is,
    dig,
    find_condition,
    get_or_none,
    merge_conditions,
    name_of,
    parse_stamp,
    read_all,
    stamp,
    status_of,
)
from cnvtui.sim.controllers.config import SimConfig
from cnvtui.sim.store import Store

CV_NAME = "version"
_MANIFESTS = 859
# Fraction of an update's duration after which machine-config gets the new release.
_MACHINE_CONFIG_AT = 0.7
# Simulated seconds the payload takes up to machine-config (min, max), seeded per version.
_DURATION = (25 * 60.0, 40 * 60.0)


def _current_entry(cv: Json) -> Json | None:
    for entry in status_of(cv).get("history") or []:
        if entry.get("state") == "Completed":
            return dict(entry)
    return None


def ocp_version(store: Store) -> str | None:
    """The OpenShift version the cluster runs: the newest Completed history entry."""
    cv = get_or_none(store, CONFIG_GROUP, "clusterversions", None, CV_NAME)
    entry = _current_entry(cv) if cv else None
    return str(entry["version"]) if entry and entry.get("version") else None


def _duration(clock: SimClock, version: str) -> float:
    return clock.rng("ocp-update", version).uniform(*_DURATION)


def machine_config_release(clock: SimClock, cv: Json | None) -> str | None:
    """The release machine-config has been updated to: the one pools should render."""
    if cv is None:
        return None
    history = status_of(cv).get("history") or []
    if history and history[0].get("state") == "Partial":
        started = parse_stamp(history[0].get("startedTime"))
        version = str(history[0].get("version", ""))
        if started is not None and version:
            elapsed = (clock.now() - started).total_seconds()
            if elapsed >= _duration(clock, version) * _MACHINE_CONFIG_AT:
                return version
    entry = _current_entry(cv)
    return str(entry["version"]) if entry else None


class ClusterVersionOperator:
    """Runs OpenShift updates requested through ClusterVersion `spec.desiredUpdate`."""

    interval = 10.0

    def __init__(self, clock: SimClock, config: SimConfig) -> None:
        self.clock = clock
        self.config = config

    def reconcile(self, store: Store) -> None:
        cv = get_or_none(store, CONFIG_GROUP, "clusterversions", None, CV_NAME)
        if cv is None:
            return
        status = status_of(cv)
        history: list[Json] = [dict(h) for h in status.get("history") or []]
        current = _current_entry(cv)
        current_version = str(current["version"]) if current else ""
        now = stamp(self.clock.now())
        blocker = self._upgrade_blocker(store, current_version)
        conditions: list[Json] = [
            {
                "type": "Upgradeable",
                "status": "False" if blocker else "True",
                "reason": "ClusterOperatorsNotUpgradeable" if blocker else "AsExpected",
                "message": blocker or "",
            }
        ]
        desired = dig(cv, "spec", "desiredUpdate", "version")
        target = str(history[0].get("version")) if history else current_version
        if desired and desired != target:
            if self._known(desired) and not (
                blocker and releases.minor(desired) > releases.minor(current_version)
            ):
                if history and history[0].get("state") == "Partial":
                    history[0]["completionTime"] = now
                history.insert(
                    0,
                    {
                        "state": "Partial",
                        "version": desired,
                        "image": releases.ocp_image(desired),
                        "startedTime": now,
                        "completionTime": None,
                        "verified": True,
                    },
                )
                conditions.append(self._accepted(desired, None))
            elif not self._known(desired):
                conditions.append(
                    self._accepted(desired, f'no known release with version "{desired}"')
                )
            else:
                conditions.append(
                    self._accepted(
                        desired,
                        f'Preconditions failed for payload loaded version="{desired}" image='
                        f'"{releases.ocp_image(desired)}": Precondition '
                        f'"ClusterVersionUpgradeable" failed because of '
                        f'"ClusterOperatorsNotUpgradeable": {blocker}',
                    )
                )
        conditions += self._progress(store, history, now)
        done = history[0] if history else None
        target = str(done.get("version")) if done else current_version
        new_status: Json = {
            "history": history,
            "desired": {
                "version": target,
                "image": releases.ocp_image(target),
                "channels": _channels(target),
            },
            "availableUpdates": self._available(_current_entry({"status": {"history": history}})),
            "conditions": merge_conditions(status.get("conditions"), conditions, now),
            "observedGeneration": dig(cv, "metadata", "generation") or 1,
        }
        if all(status.get(k) == v for k, v in new_status.items()):
            return
        store.patch(
            CONFIG_GROUP, "clusterversions", None, CV_NAME, "merge",
            {"status": new_status}, subresource="status",
        )  # fmt: skip

    def _progress(self, store: Store, history: list[Json], now: str) -> list[Json]:
        """Conditions for the update in progress; completes the entry when it is done."""
        entry = history[0] if history else None
        if entry is None or entry.get("state") != "Partial":
            version = str(entry.get("version")) if entry else ""
            return [
                {"type": "Available", "status": "True", "message": f"Done applying {version}"},
                {"type": "Failing", "status": "False"},
                {"type": "Progressing", "status": "False",
                 "message": f"Cluster version is {version}"},
            ]  # fmt: skip
        version = str(entry["version"])
        previous = next((h for h in history[1:] if h.get("state") == "Completed"), None)
        applied = str(previous["version"]) if previous else version
        started = parse_stamp(entry.get("startedTime"))
        elapsed = (self.clock.now() - started).total_seconds() if started else 0.0
        total = _duration(self.clock, version)
        fraction = min(elapsed / total, 1.0)
        if fraction >= _MACHINE_CONFIG_AT and self._masters_updated(store, version):
            entry["state"] = "Completed"
            entry["completionTime"] = now
            return [
                {"type": "Available", "status": "True", "message": f"Done applying {version}"},
                {"type": "Failing", "status": "False"},
                {"type": "Progressing", "status": "False",
                 "message": f"Cluster version is {version}"},
            ]  # fmt: skip
        share = min(fraction, 0.85 if fraction >= _MACHINE_CONFIG_AT else fraction)
        done = int(_MANIFESTS * share)
        waiting = ", waiting on machine-config" if fraction >= _MACHINE_CONFIG_AT else ""
        return [
            {"type": "Available", "status": "True", "message": f"Done applying {applied}"},
            {"type": "Failing", "status": "False"},
            {
                "type": "Progressing",
                "status": "True",
                "reason": "ClusterOperatorUpdating" if waiting else "",
                "message": f"Working towards {version}: {done} of {_MANIFESTS} done "
                f"({int(share * 100)}% complete){waiting}",
            },
        ]

    def _masters_updated(self, store: Store, version: str) -> bool:
        pool = get_or_none(store, MCO_GROUP, "machineconfigpools", None, "master")
        if pool is None:
            return True
        rendered = releases.rendered_config("master", version)
        return dig(pool, "status", "configuration", "name") == rendered and condition_is(
            pool, "Updated", "True"
        )

    def _accepted(self, version: str, problem: str | None) -> Json:
        if problem is None:
            return {
                "type": "ReleaseAccepted",
                "status": "True",
                "reason": "PayloadLoaded",
                "message": f'Payload loaded version="{version}" image='
                f'"{releases.ocp_image(version)}" architecture="amd64"',
            }
        return {
            "type": "ReleaseAccepted",
            "status": "False",
            "reason": "PreconditionChecks",
            "message": problem,
        }

    def _known(self, version: str) -> bool:
        return any(r.version == version for r in self.config.ocp_releases)

    def _available(self, current: Json | None) -> list[Json]:
        if current is None:
            return []
        have = str(current.get("version", ""))
        now = self.clock.elapsed()
        out = []
        for release in sorted(
            self.config.ocp_releases, key=lambda r: releases.parse(r.version), reverse=True
        ):
            if release.after > now or releases.parse(release.version) <= releases.parse(have):
                continue
            if releases.minor(release.version)[1] > releases.minor(have)[1] + 1:
                continue
            out.append(
                {
                    "version": release.version,
                    "image": releases.ocp_image(release.version),
                    "url": f"https://access.redhat.com/errata/RHBA-{release.version}",
                    "channels": _channels(release.version),
                }
            )
        return out

    def _upgrade_blocker(self, store: Store, ocp: str) -> str | None:
        """Why a minor update must wait, as OLM reports it for the CNV operator, or None."""
        ns = self.config.namespace
        hco = get_or_none(store, HCO_GROUP, "hyperconvergeds", ns, self.config.hco_name)
        problems = []
        if hco is not None:
            cond = find_condition(status_of(hco).get("conditions"), "Upgradeable")
            if cond is not None and cond.get("status") == "False":
                problems.append(
                    f"{ns}/{name_of(hco)}: {cond.get('message') or cond.get('reason', '')}"
                )
        csvs = read_all(store, CSV_GROUP, "clusterserviceversions", ns)
        for csv in csvs:
            version = releases.version_of_csv(name_of(csv))
            if not version or status_of(csv).get("phase") != "Succeeded" or not ocp:
                continue
            max_minor = releases.minor(version)[1] + 1
            if releases.minor(ocp)[1] >= max_minor:
                problems.append(
                    f"maximum supported OCP version for {ns}/{name_of(csv)} is 4.{max_minor}"
                )
        if not problems:
            return None
        return (
            "Cluster operator operator-lifecycle-manager should not be upgraded between minor "
            "versions: ClusterServiceVersions blocking minor version upgrades: "
            + "; ".join(problems)
        )


def _channels(version: str) -> list[str]:
    _, mnr = releases.minor(version)
    channels = [f"candidate-4.{mnr}", f"fast-4.{mnr}", f"stable-4.{mnr}"]
    if mnr % 2 == 0:
        channels.insert(1, f"eus-4.{mnr}")
    return channels
