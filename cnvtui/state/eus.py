"""The EUS-to-EUS procedure as steps whose state is read from the cluster, never remembered.

An EUS-to-EUS update (4.12 -> 4.14) is ten manual steps over hours, with two OpenShift and two
CNV updates in between. Each step's state (done, in progress, waiting for you, blocked, to do)
is worked out from the live objects: paused pools, the workload update methods and the backup
annotation on the HCO, HCO conditions, ClusterVersion history, CSVs and install plans, outdated
VMIs and migrations. Closing the dashboard and opening it hours later therefore shows the same
step, and a step someone did with `oc` counts as done.

The version logic lives here too, for the guide and for preflight: CNV minor versions follow
OpenShift's (CNV 4.N is offered only on OpenShift 4.N), minors are never skipped, and an
EUS-to-EUS update passes through the odd minor in between.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from cnvtui.kube.events import Obj
from cnvtui.state.model import CsvRow, HcoPicture, PoolRow, UpdatePicture
from cnvtui.state.picture import build_picture
from cnvtui.state.store import Store
from cnvtui.state.views import as_dict, as_list, as_str, condition, dig, parse_time
from cnvtui.state.workloads import DEFAULT_METHODS, EVICT

__all__ = [
    "EusGuide",
    "EusStep",
    "Hop",
    "Minor",
    "StepOffer",
    "StepState",
    "available_updates",
    "eus_guide",
    "infer_target",
    "minor_of",
    "next_step",
    "parse_minor",
    "update_path",
]

Minor = tuple[int, int]
CV_NAME = "version"
MASTER_POOL = "master"
RECENT = 24 * 3600.0
"""An EUS update that reached its target less than this long ago is still shown as the
procedure (finished, or wrapping up) rather than the next one."""


# ---- versions and paths


def parse_minor(text: str | None) -> Minor | None:
    """ "4.14.3" / "4.14" / "v4.14" -> (4, 14); None when it is not a version."""
    if not text:
        return None
    parts = text.strip().lstrip("v").split("-", 1)[0].split(".")
    if len(parts) < 2 or not parts[0].isdigit() or not parts[1].isdigit():
        return None
    return int(parts[0]), int(parts[1])


def minor_of(minor: Minor) -> str:
    """(4, 14) -> "4.14"."""
    return f"{minor[0]}.{minor[1]}"


def channel_hint(target: Minor, step: Minor) -> str:
    """Update channels that offer OpenShift `step` on the way to `target`: an EUS channel
    exists only for even minors, and offers the odd minor before it too."""
    stable = f"stable-{minor_of(step)}"
    return f"eus-{minor_of(target)} or {stable}" if target[1] % 2 == 0 else stable


def _numbers(version: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 0 for p in version.split("-", 1)[0].split("."))


@dataclass(frozen=True, slots=True)
class Hop:
    """One update on the way to a target: OpenShift or CNV to a minor version."""

    what: str
    """"openshift" or "cnv"."""
    minor: Minor

    def describe(self) -> str:
        name = "OpenShift" if self.what == "openshift" else "CNV"
        return f"{name} {minor_of(self.minor)}"


def update_path(ocp: Minor, cnv: Minor | None, target: Minor) -> tuple[Hop, ...]:
    """The updates from (OpenShift `ocp`, CNV `cnv`) to both at `target`, in order.

    CNV first catches up with OpenShift; then each minor in turn, OpenShift before CNV (CNV
    4.N is offered only once OpenShift runs 4.N). An EUS-to-EUS update 4.12 -> 4.14 is
    therefore OpenShift 4.13, CNV 4.13, OpenShift 4.14, CNV 4.14.
    """
    hops: list[Hop] = []
    have_cnv = cnv if cnv is not None else ocp
    major = ocp[0]
    if have_cnv < ocp:
        hops.extend(Hop("cnv", (major, m)) for m in range(have_cnv[1] + 1, ocp[1] + 1))
    for m in range(ocp[1] + 1, target[1] + 1):
        hops.append(Hop("openshift", (major, m)))
        hops.append(Hop("cnv", (major, m)))
    return tuple(hops)


def next_step(ocp: Minor, cnv: Minor | None) -> str:
    """What may be updated next, given the running minors (one line)."""
    if cnv is None:
        return f"install OpenShift Virtualization {minor_of(ocp)}"
    if cnv < ocp:
        return (
            f"update CNV to {minor_of((ocp[0], cnv[1] + 1))} (OpenShift runs {minor_of(ocp)}; "
            "CNV must catch up before the next OpenShift minor)"
        )
    if cnv > ocp:
        return f"update OpenShift to {minor_of(cnv)}: CNV {minor_of(cnv)} runs ahead of it"
    following = minor_of((ocp[0], ocp[1] + 1))
    if ocp[1] % 2 == 0:
        return (
            f"update OpenShift to {following}, then CNV to {following} (EUS-to-EUS to "
            f"{minor_of((ocp[0], ocp[1] + 2))} passes through {following})"
        )
    return f"update OpenShift to {following}, then CNV to {following}"


def available_updates(cv: Obj | None) -> tuple[str, ...]:
    """The versions in ClusterVersion `status.availableUpdates`, newest first."""
    found = {
        as_str(as_dict(raw).get("version"))
        for raw in as_list(dig(cv, "status", "availableUpdates"))
    }
    found.discard("")
    return tuple(sorted(found, key=_numbers, reverse=True))


# ---- the guide's values


class StepState(StrEnum):
    """Where one step stands, as read from the cluster."""

    DONE = "done"
    IN_PROGRESS = "in progress"
    """The cluster is working on it (an update rolling, a CSV installing, VMs migrating)."""
    WAITING = "waiting for you"
    """Ready, and only a person can move it on (usually one key away)."""
    BLOCKED = "blocked"
    """Something on the cluster stops it; `why` says what."""
    TODO = "to do"
    """Comes after an earlier step that is not done yet."""


@dataclass(frozen=True, slots=True)
class StepOffer:
    """The safe action that carries a step out (an action id of `cnvtui.actions`).

    `params` are the action's parameters; `choices` are the versions to pick from when the
    action needs one (the OpenShift updates), newest first. `command` is the `oc` command
    that does the same, for read-only sessions and runbooks.
    """

    action: str
    label: str
    params: Mapping[str, Any] = field(default_factory=dict)
    choices: tuple[str, ...] = ()
    command: str = ""


@dataclass(frozen=True, slots=True)
class EusStep:
    """One step of the procedure."""

    id: str
    title: str
    state: StepState
    why: str
    offer: StepOffer | None = None


@dataclass(frozen=True, slots=True)
class EusGuide:
    """The whole procedure for one target, at one moment."""

    source: str
    """The EUS minor the procedure starts from ("4.12")."""
    odd: str
    """The odd minor it passes through ("4.13")."""
    target: str
    """The EUS minor it ends at ("4.14")."""
    target_inferred: bool
    """The target was worked out from the cluster rather than given."""
    openshift_version: str | None
    cnv_version: str | None
    steps: tuple[EusStep, ...]
    warnings: tuple[str, ...]
    problem: str = ""
    """Why the procedure does not apply to this cluster ("" when it does)."""

    @property
    def current(self) -> EusStep | None:
        """The first step that is not done (None when all are)."""
        return next((s for s in self.steps if s.state != StepState.DONE), None)

    @property
    def finished(self) -> bool:
        return not self.problem and all(s.state == StepState.DONE for s in self.steps)

    def step(self, step_id: str) -> EusStep:
        return next(s for s in self.steps if s.id == step_id)


STEP_TITLES: tuple[tuple[str, str], ...] = (
    ("pause_pools", "Worker pools paused"),
    ("stop_workloads", "Methods backed up and empty"),
    ("hco_upgradeable", "HCO Upgradeable"),
    ("ocp_odd", "OpenShift at the odd minor"),
    ("cnv_odd", "CNV at the odd minor"),
    ("ocp_target", "OpenShift at the target minor"),
    ("cnv_target", "CNV at the target minor"),
    ("restore_workloads", "Methods restored"),
    ("migrations_done", "Migrations done"),
    ("unpause_pools", "Worker pools unpaused"),
)
"""Step ids and titles, in order (the titles name the state each step reaches)."""


# ---- reading the cluster


@dataclass(frozen=True, slots=True)
class _Facts:
    """What the steps are decided from, read once."""

    picture: UpdatePicture
    cv: Obj | None
    ocp: Minor | None
    ocp_moving_to: str | None
    cnv: Minor | None
    workers: tuple[PoolRow, ...]
    methods: tuple[str, ...]
    strategy_source: str
    backup_methods: tuple[str, ...] | None
    backup_valid: bool
    backup_taken_at: float | None


def _worker_pools(pools: tuple[PoolRow, ...]) -> tuple[PoolRow, ...]:
    return tuple(p for p in pools if p.name != MASTER_POOL and p.machine_count > 0)


def _facts(store: Store, now: float) -> _Facts:
    picture = build_picture(store, now)
    cluster = picture.cluster
    strategy = picture.workload_strategy
    backup = strategy.backup
    return _Facts(
        picture=picture,
        cv=store.get("clusterversion", "", CV_NAME)
        or next(iter(store.objects("clusterversion").values()), None),
        ocp=parse_minor(cluster.openshift_version),
        ocp_moving_to=cluster.openshift_update.to_version if cluster.openshift_update else None,
        cnv=parse_minor(cluster.cnv_version),
        workers=_worker_pools(cluster.pools),
        methods=strategy.methods,
        strategy_source=strategy.source,
        backup_methods=backup.methods if backup is not None else None,
        backup_valid=backup is not None and backup.valid,
        backup_taken_at=backup.taken_at if backup is not None else None,
    )


def _last_completed(cv: Obj | None) -> tuple[str, float | None] | None:
    """(version, completion time) of the newest Completed ClusterVersion history entry."""
    for raw in as_list(dig(cv, "status", "history")):
        entry = as_dict(raw)
        if entry.get("state") == "Completed":
            return as_str(entry.get("version")), parse_time(entry.get("completionTime"))
    return None


def infer_target(store: Store, now: float) -> Minor | None:
    """The EUS minor a procedure in progress is heading to, or the next one from here.

    Odd OpenShift (or an update to an odd minor) means mid-way: the next even minor. Even
    OpenShift with CNV behind, or an update to an even minor, means the second half. Even
    and level with CNV is either the start of the next EUS update or the end of the last
    one; the backup annotation (taken before the last OpenShift update completed), an odd
    minor completed less than a day ago, or workers and VMIs still catching up tell the end
    apart.
    """
    facts = _facts(store, now)
    ocp = facts.ocp
    if ocp is None:
        return None
    moving = parse_minor(facts.ocp_moving_to)
    if moving is not None and moving > ocp:
        return moving if moving[1] % 2 == 0 else (moving[0], moving[1] + 1)
    if ocp[1] % 2 == 1:
        return (ocp[0], ocp[1] + 1)
    if facts.cnv is not None and facts.cnv < ocp:
        return ocp
    if _ending(facts):
        return ocp
    return (ocp[0], ocp[1] + 2)


def _ending(facts: _Facts) -> bool:
    """At an even minor, level with CNV: is this the end of an EUS update just made?"""
    last = _last_completed(facts.cv)
    came_from_odd = False
    history = [as_dict(h) for h in as_list(dig(facts.cv, "status", "history"))]
    completed = [h for h in history if h.get("state") == "Completed"]
    if len(completed) >= 2:
        before = parse_minor(as_str(completed[1].get("version")))
        came_from_odd = before is not None and before[1] % 2 == 1
    if facts.backup_methods is not None:
        taken = facts.backup_taken_at
        finished = last[1] if last is not None else None
        return came_from_odd and (taken is None or finished is None or taken < finished)
    if not came_from_odd:
        return False
    finished = last[1] if last is not None else None
    if finished is not None and facts.picture.now - finished < RECENT:
        return True
    picture = facts.picture
    busy = picture.outdated.count > 0 or bool(picture.migrations.rows)
    return busy or any(p.paused or p.updating for p in facts.workers)


# ---- the steps


def _hco_condition(hco: HcoPicture | None, ctype: str) -> tuple[str, str]:
    """(status, "reason: message") of an HCO condition; ("Unknown", "") when absent."""
    if hco is None:
        return "Unknown", ""
    for cond in hco.conditions:
        if cond.type == ctype:
            detail = ": ".join(p for p in (cond.reason, cond.message) if p)
            return cond.status, detail
    return "Unknown", ""


def _csvs_of(csvs: tuple[CsvRow, ...], minor: Minor) -> list[CsvRow]:
    return [c for c in csvs if parse_minor(c.version) == minor]


def _release_refused(cv: Obj | None, minor: Minor) -> str:
    """CVO's refusal of a requested update to `minor` (ReleaseAccepted=False), else ""."""
    wanted = parse_minor(as_str(dig(cv, "spec", "desiredUpdate", "version")))
    accepted = condition(cv, "ReleaseAccepted")
    if wanted == minor and accepted is not None and accepted.status == "False":
        return accepted.message or accepted.reason or "the update was not accepted"
    return ""


def _pool_command(pool: str, paused: bool) -> str:
    value = "true" if paused else "false"
    return f'oc patch mcp/{pool} --type merge -p \'{{"spec":{{"paused":{value}}}}}\''


def _methods_command(namespace: str, source: str, methods: tuple[str, ...]) -> str:
    path = (
        "/spec/virtualization/workloadUpdateStrategy/workloadUpdateMethods"
        if "virtualization" in source
        else "/spec/workloadUpdateStrategy/workloadUpdateMethods"
    )
    patch = json.dumps([{"op": "add", "path": path, "value": list(methods)}], separators=(",", ":"))
    return f"oc patch hco kubevirt-hyperconverged -n {namespace} --type json -p '{patch}'"


class _Builder:
    """Works the steps out in order; later steps look at earlier ones."""

    def __init__(self, facts: _Facts, source: Minor, odd: Minor, target: Minor) -> None:
        self.f = facts
        self.namespace = facts.picture.cluster.hco_namespace
        self.source = source
        self.odd = odd
        self.target = target
        self.steps: dict[str, EusStep] = {}

    def add(self, step_id: str, state: StepState, why: str, offer: StepOffer | None = None) -> None:
        title = dict(STEP_TITLES)[step_id]
        if step_id in ("ocp_odd", "cnv_odd"):
            title = title.replace("the odd minor", minor_of(self.odd))
        elif step_id in ("ocp_target", "cnv_target"):
            title = title.replace("the target minor", minor_of(self.target))
        self.steps[step_id] = EusStep(step_id, title, state, why, offer)

    def first_open(self, *ids: str) -> str:
        """The title of the latest of `ids` that is not done ("" when all are)."""
        for step_id in reversed(ids):
            if self.steps[step_id].state != StepState.DONE:
                return self.steps[step_id].title
        return ""

    # -- derived phases

    @property
    def ocp_at_target(self) -> bool:
        return self.f.ocp is not None and self.f.ocp >= self.target

    @property
    def cnv_at_target(self) -> bool:
        return self.f.cnv is not None and self.f.cnv >= self.target and self._settled(self.target)

    def _settled(self, minor: Minor) -> bool:
        """The HCO runs `minor` (or later) and has finished reconciling it."""
        if self.f.cnv is None or self.f.cnv < minor:
            return False
        if self.f.cnv > minor:
            return True
        if any((parse_minor(c.version) or (0, 0)) > minor for c in self.f.picture.csvs):
            # OLM only starts the next minor's CSV once this one let it (Upgradeable): the
            # HCO reconciling again for the next hop does not undo this step.
            return True
        upgradeable, _ = _hco_condition(self.f.picture.hco, "Upgradeable")
        progressing, _ = _hco_condition(self.f.picture.hco, "Progressing")
        return upgradeable == "True" and progressing != "True"

    @property
    def started(self) -> bool:
        """OpenShift has left the source minor (or is leaving it)."""
        moving = parse_minor(self.f.ocp_moving_to)
        return (self.f.ocp is not None and self.f.ocp > self.source) or (
            moving is not None and moving > self.source
        )

    @property
    def restored(self) -> bool:
        return bool(self.f.methods) and self.f.backup_methods is None

    @property
    def final(self) -> bool:
        """CNV reached the target and the methods are back: only the wrap-up is left."""
        return self.ocp_at_target and self.cnv_at_target and self.restored

    # -- steps 1-3: preparing

    def pause_pools(self) -> None:
        workers = self.f.workers
        paused = [p.name for p in workers if p.paused]
        running = [p.name for p in workers if not p.paused]
        if not workers:
            self.add("pause_pools", StepState.DONE, "no worker pool with machines to pause")
        elif not running:
            self.add("pause_pools", StepState.DONE, f"paused: {', '.join(paused)}")
        elif self.final:
            self.add(
                "pause_pools", StepState.DONE, "the update is through; pools are unpaused again"
            )
        else:
            offer = StepOffer(
                "pool_paused",
                f"pause pool {running[0]}",
                {"pool": running[0], "paused": True},
                command=_pool_command(running[0], True),
            )
            late = ""
            if self.f.ocp is not None and self.f.ocp > self.source:
                late = " (late: workers that already updated will not reboot again)"
            self.add(
                "pause_pools",
                StepState.WAITING,
                f"not paused: {', '.join(running)}; pause them so workers reboot once{late}",
                offer,
            )

    def stop_workloads(self) -> None:
        methods, backup = self.f.methods, self.f.backup_methods
        offer = StepOffer(
            "stop_workloads",
            "back up and stop workload updates",
            command=f"note [{', '.join(methods)}] (the backup), then: "
            + _methods_command(self.namespace, self.f.strategy_source, ()),
        )
        if not methods and backup is not None:
            listed = ", ".join(backup) if self.f.backup_valid else "unreadable"
            self.add("stop_workloads", StepState.DONE, f"methods [] with a backup of [{listed}]")
        elif not methods:
            self.add(
                "stop_workloads",
                StepState.DONE,
                "methods [] but no backup on the cluster: restoring will offer the default "
                f"[{', '.join(DEFAULT_METHODS)}]",
            )
        elif self.final:
            self.add("stop_workloads", StepState.DONE, "the methods have been restored since")
        elif backup is not None:
            self.add(
                "stop_workloads",
                StepState.WAITING,
                f"methods are [{', '.join(methods)}] again although a backup is held: stop "
                "them again, or VMs migrate at every CNV update",
                offer,
            )
        else:
            self.add(
                "stop_workloads",
                StepState.WAITING,
                f"methods are [{', '.join(methods)}]: back them up and set [] so VMs are not "
                "migrated or evicted in between",
                offer,
            )

    def hco_upgradeable(self) -> None:
        moving = parse_minor(self.f.ocp_moving_to)
        if (self.f.ocp is not None and self.f.ocp >= self.odd) or (
            moving is not None and moving >= self.odd
        ):
            self.add("hco_upgradeable", StepState.DONE, "the OpenShift update has started")
            return
        status, detail = _hco_condition(self.f.picture.hco, "Upgradeable")
        progressing, _ = _hco_condition(self.f.picture.hco, "Progressing")
        if self.f.picture.hco is None:
            self.add("hco_upgradeable", StepState.BLOCKED, "no HyperConverged CR seen")
        elif status == "True":
            self.add("hco_upgradeable", StepState.DONE, "Upgradeable=True")
        elif progressing == "True":
            self.add(
                "hco_upgradeable",
                StepState.IN_PROGRESS,
                f"the HCO is reconciling (Upgradeable={status}{': ' + detail if detail else ''})",
            )
        else:
            self.add(
                "hco_upgradeable",
                StepState.BLOCKED,
                f"Upgradeable={status}{': ' + detail if detail else ''}",
            )

    # -- steps 4-7: the two hops

    def ocp_hop(self, step_id: str, minor: Minor, before: tuple[str, ...]) -> None:
        ocp, cv = self.f.ocp, self.f.cv
        moving = parse_minor(self.f.ocp_moving_to)
        name = minor_of(minor)
        if ocp is not None and ocp >= minor:
            self.add(
                step_id,
                StepState.DONE,
                f"OpenShift runs {self.f.picture.cluster.openshift_version}",
            )
            return
        if moving == minor:
            update = self.f.picture.cluster.openshift_update
            message = update.message if update is not None else ""
            self.add(
                step_id,
                StepState.IN_PROGRESS,
                f"updating to {self.f.ocp_moving_to}" + (f": {message}" if message else ""),
            )
            return
        missing = self.first_open(*before)
        if missing:
            self.add(step_id, StepState.TODO, f"after: {missing}")
            return
        refused = _release_refused(cv, minor)
        if refused:
            self.add(step_id, StepState.BLOCKED, f"the update was refused: {refused}")
            return
        upgradeable, detail = _hco_condition(self.f.picture.hco, "Upgradeable")
        if upgradeable == "False":
            self.add(
                step_id,
                StepState.BLOCKED,
                "the HCO says Upgradeable=False"
                + (f" ({detail})" if detail else "")
                + ": the cluster-version operator refuses a minor update",
            )
            return
        choices = tuple(v for v in available_updates(cv) if parse_minor(v) == minor)
        if not choices:
            self.add(
                step_id,
                StepState.BLOCKED,
                f"the cluster offers no OpenShift {name} update (check the update channel, "
                f"e.g. {channel_hint(self.target, minor)})",
            )
            return
        offer = StepOffer(
            "ocp_update",
            f"update OpenShift to {choices[0]}",
            {"version": choices[0]},
            choices,
            command=f"oc adm upgrade --to {choices[0]}",
        )
        self.add(
            step_id,
            StepState.WAITING,
            f"start the OpenShift update to {name} (available: {', '.join(choices)})",
            offer,
        )

    def cnv_hop(self, step_id: str, minor: Minor, ocp_step: str) -> None:
        name = minor_of(minor)
        picture = self.f.picture
        cnv = self.f.cnv
        if self._settled(minor):
            self.add(step_id, StepState.DONE, f"CNV runs {picture.cluster.cnv_version}")
            return
        csvs = _csvs_of(picture.csvs, minor)
        failed = next((c for c in csvs if c.phase == "Failed"), None)
        if failed is not None:
            detail = ": ".join(p for p in (failed.reason, failed.message) if p)
            self.add(step_id, StepState.BLOCKED, f"CSV {failed.name} Failed: {detail}")
            return
        degraded, detail = _hco_condition(picture.hco, "Degraded")
        if degraded == "True":
            self.add(step_id, StepState.BLOCKED, f"the HCO is Degraded: {detail}")
            return
        if cnv is not None and cnv == minor:
            self.add(
                step_id,
                StepState.IN_PROGRESS,
                f"CNV {picture.cluster.cnv_version} installed; the HCO is finishing "
                "(waiting for Upgradeable=True)",
            )
            return
        installing = next((c for c in csvs if c.phase != "Succeeded"), None)
        succeeded = next((c for c in csvs if c.phase == "Succeeded"), None)
        if installing is not None or succeeded is not None:
            row = installing or succeeded
            assert row is not None
            self.add(
                step_id,
                StepState.IN_PROGRESS,
                f"CSV {row.name} is {row.phase or 'starting'}; the HCO rolls out its components",
            )
            return
        plan = picture.awaiting_approval
        if plan is not None and any(parse_minor(_csv_version(n)) == minor for n in plan.csv_names):
            self.add(
                step_id,
                StepState.WAITING,
                f"install plan {plan.name} ({', '.join(plan.csv_names)}) waits for approval",
                StepOffer(
                    "approve",
                    f"approve install plan {plan.name}",
                    {"plan": plan.name},
                    command=f"oc patch installplan {plan.name} -n {self.namespace} --type merge "
                    """-p '{"spec":{"approved":true}}'""",
                ),
            )
            return
        if self.steps[ocp_step].state != StepState.DONE:
            self.add(step_id, StepState.TODO, f"after: {self.steps[ocp_step].title}")
            return
        sub = picture.cluster.subscription
        state = f" (Subscription {sub.state})" if sub is not None and sub.state else ""
        self.add(
            step_id,
            StepState.IN_PROGRESS,
            f"waiting for OLM to offer CNV {name}{state}",
        )

    # -- steps 8-10: wrapping up

    def restore_workloads(self) -> None:
        methods, backup = self.f.methods, self.f.backup_methods
        wanted = backup if backup is not None and self.f.backup_valid else DEFAULT_METHODS
        offer = StepOffer(
            "restore_workloads",
            "restore workload update methods",
            command=_methods_command(self.namespace, self.f.strategy_source, wanted),
        )
        if not self.cnv_at_target or not self.ocp_at_target:
            missing = self.first_open("ocp_target", "cnv_target")
            self.add("restore_workloads", StepState.TODO, f"after: {missing}")
            return
        if self.restored:
            self.add("restore_workloads", StepState.DONE, f"methods [{', '.join(methods)}]")
        elif backup is not None and not methods:
            listed = ", ".join(backup) if self.f.backup_valid else "unreadable backup"
            self.add(
                "restore_workloads",
                StepState.WAITING,
                f"put back [{listed}] from the backup; VMs are then updated once",
                offer,
            )
        elif backup is not None:
            self.add(
                "restore_workloads",
                StepState.WAITING,
                f"methods are [{', '.join(methods)}] but the backup is still held: restore to "
                "release it",
                offer,
            )
        else:
            self.add(
                "restore_workloads",
                StepState.WAITING,
                "methods are [] and no backup is on the cluster: restore offers the default "
                f"[{', '.join(DEFAULT_METHODS)}]",
                offer,
            )

    def migrations_done(self) -> None:
        if self.steps["restore_workloads"].state != StepState.DONE:
            self.add("migrations_done", StepState.TODO, "after: Methods restored")
            return
        outdated = self.f.picture.outdated
        migrations = self.f.picture.migrations
        active = migrations.running + migrations.pending
        failed = f"; {migrations.failed} failed migrations" if migrations.failed else ""
        if outdated.count == 0 and active == 0:
            self.add("migrations_done", StepState.DONE, f"no outdated VMI{failed}")
        elif outdated.count and outdated.never_updates_count >= outdated.count and not active:
            how = ", ".join(self.f.methods)
            hint = (
                "add Evict, or restart them"
                if EVICT not in self.f.methods
                else "restart them (stop and start the VM)"
            )
            self.add(
                "migrations_done",
                StepState.BLOCKED,
                f"{outdated.count} outdated VMIs will never be updated under [{how}]: {hint}",
            )
        else:
            self.add(
                "migrations_done",
                StepState.IN_PROGRESS,
                f"{outdated.count} VMIs outdated, {active} migrations in flight{failed}",
            )

    def unpause_pools(self) -> None:
        workers = self.f.workers
        paused = [p.name for p in workers if p.paused]
        if not self.final:
            self.add("unpause_pools", StepState.TODO, "after: Methods restored")
            return
        if paused:
            migrations = self.steps["migrations_done"].state
            if migrations not in (StepState.DONE, StepState.BLOCKED):
                self.add(
                    "unpause_pools",
                    StepState.TODO,
                    f"after: Migrations done (then unpause {', '.join(paused)})",
                )
                return
            # VMIs that will never migrate by themselves must not keep pools paused:
            # certificate rotation waits on the pools, not on those VMs.
            aside = (
                "; the outdated VMIs left need a restart, not paused pools"
                if migrations == StepState.BLOCKED
                else ""
            )
            self.add(
                "unpause_pools",
                StepState.WAITING,
                f"still paused: {', '.join(paused)}; unpause so workers update once (and "
                f"certificates rotate){aside}",
                StepOffer(
                    "pool_paused",
                    f"unpause pool {paused[0]}",
                    {"pool": paused[0], "paused": False},
                    command=_pool_command(paused[0], False),
                ),
            )
            return
        rolling = [p for p in workers if p.updating or p.updated_count < p.machine_count]
        if rolling:
            detail = ", ".join(f"{p.name} {p.updated_count}/{p.machine_count}" for p in rolling)
            self.add("unpause_pools", StepState.IN_PROGRESS, f"workers updating: {detail}")
            return
        self.add("unpause_pools", StepState.DONE, "no worker pool paused; workers updated")


def _csv_version(name: str) -> str:
    _, sep, tail = name.rpartition(".v")
    return tail if sep else ""


def _warnings(b: _Builder) -> list[str]:
    f = b.f
    out: list[str] = []
    paused = [p.name for p in f.workers if p.paused]
    settled = b.steps["migrations_done"].state in (StepState.DONE, StepState.BLOCKED)
    if paused and settled and b.final:
        out.append(
            f"pool {', '.join(paused)} left paused: a paused pool blocks certificate rotation"
        )
    master = next((p for p in f.picture.cluster.pools if p.name == MASTER_POOL), None)
    if master is not None and master.paused:
        out.append("the master pool is paused: only worker pools are paused in an EUS update")
    if not f.methods and b.cnv_at_target and b.ocp_at_target:
        out.append(
            "workloadUpdateMethods left empty: VMs stay on old launchers until they are restored"
        )
    if not f.methods and f.backup_methods is None:
        out.append(
            "workloadUpdateMethods is [] and no backup is on the cluster: note what to restore"
        )
    if f.backup_methods is not None:
        if not f.backup_valid:
            out.append(
                "the methods backup annotation is not a JSON list: check it before restoring"
            )
        elif f.backup_methods != DEFAULT_METHODS:
            out.append(
                f"the backup [{', '.join(f.backup_methods)}] differs from the default "
                f"[{', '.join(DEFAULT_METHODS)}]: restoring puts back the backup"
            )
    plan = f.picture.awaiting_approval
    if plan is not None:
        minors = {parse_minor(_csv_version(n)) for n in plan.csv_names}
        if not minors & {b.odd, b.target}:
            out.append(
                f"install plan {plan.name} ({', '.join(plan.csv_names)}) waits for approval: "
                "approve it so CNV is on its latest z-stream before the next minor"
            )
    moving = parse_minor(f.ocp_moving_to)
    if moving is not None and any(not p.paused for p in f.workers) and not b.final:
        out.append("OpenShift is updating with worker pools not paused: workers reboot twice")
    if f.methods and f.backup_methods is None and not b.final and b.started:
        out.append(
            "workload updates are on during the update: VMs will be migrated at each CNV update"
        )
    return out


def eus_guide(store: Store, now: float, target: str | None = None) -> EusGuide:
    """The procedure towards EUS minor `target` ("4.14"; default: `infer_target`)."""
    facts = _facts(store, now)
    wanted = parse_minor(target) if target else infer_target(store, now)
    inferred = not target
    ocp_text = facts.picture.cluster.openshift_version
    cnv_text = facts.picture.cluster.cnv_version
    if wanted is None:
        return _unusable(
            "?", inferred, ocp_text, cnv_text,
            "no OpenShift version known (no ClusterVersion readable)" if target is None
            else f"{target!r} is not a version like 4.14",
        )  # fmt: skip
    odd = (wanted[0], wanted[1] - 1)
    source = (wanted[0], wanted[1] - 2)
    problem = ""
    if wanted[1] % 2:
        problem = f"{minor_of(wanted)} is not an EUS (even) minor"
    elif facts.ocp is not None and facts.ocp < source:
        problem = (
            f"OpenShift {ocp_text} is more than one EUS hop from {minor_of(wanted)}: "
            f"first reach {minor_of(source)}"
        )
    if problem:
        return _unusable(minor_of(wanted), inferred, ocp_text, cnv_text, problem)
    b = _Builder(facts, source, odd, wanted)
    b.pause_pools()
    b.stop_workloads()
    b.hco_upgradeable()
    prep = ("pause_pools", "stop_workloads", "hco_upgradeable")
    b.ocp_hop("ocp_odd", odd, prep)
    b.cnv_hop("cnv_odd", odd, "ocp_odd")
    b.ocp_hop("ocp_target", wanted, ("pause_pools", "stop_workloads", "cnv_odd"))
    b.cnv_hop("cnv_target", wanted, "ocp_target")
    b.restore_workloads()
    b.migrations_done()
    b.unpause_pools()
    return EusGuide(
        source=minor_of(source),
        odd=minor_of(odd),
        target=minor_of(wanted),
        target_inferred=inferred,
        openshift_version=ocp_text,
        cnv_version=cnv_text,
        steps=tuple(b.steps[i] for i, _ in STEP_TITLES),
        warnings=tuple(_warnings(b)),
    )


def _unusable(
    target: str, inferred: bool, ocp: str | None, cnv: str | None, problem: str
) -> EusGuide:
    steps = tuple(EusStep(i, t, StepState.TODO, problem) for i, t in STEP_TITLES)
    return EusGuide("?", "?", target, inferred, ocp, cnv, steps, (), problem)
