"""The EUS guide's step states and the version/path logic, from cluster states (pure).

Each stage of a 4.12 -> 4.14 EUS update is built as the objects the cluster holds at that
moment; the guide must read the right state for every step from them alone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace

import pytest

from cnvtui.kube.events import Obj
from cnvtui.state.eus import (
    EusGuide,
    Hop,
    StepState,
    eus_guide,
    infer_target,
    next_step,
    parse_minor,
    update_path,
)
from cnvtui.state.store import Store

from . import T0, change, csv, hco, installplan, kubevirt, meta, stamp, subscription, vmi, vmim

DONE, DOING, WAIT, BLOCKED, TODO = (
    StepState.DONE,
    StepState.IN_PROGRESS,
    StepState.WAITING,
    StepState.BLOCKED,
    StepState.TODO,
)
BACKUP = "cnvtui.io/workload-update-methods-backup"
TAKEN = "cnvtui.io/backup-taken-at"
HOUR = 3600.0


@dataclass
class Stage:
    """The facts of one moment of an EUS update, turned into objects by `store`."""

    ocp: str = "4.12.49"
    history: tuple[str, ...] = ("4.12.45",)
    ocp_to: str | None = None
    available: tuple[str, ...] = ("4.13.35", "4.12.50")
    cnv: str = "4.12.14"
    csvs: tuple[tuple[str, str], ...] = (("4.12.14", "Succeeded"),)
    conditions: dict[str, str] = field(default_factory=dict)
    methods: list[str] = field(default_factory=lambda: ["LiveMigrate"])
    backup: list[str] | None = None
    backup_at: float = T0 - 10 * HOUR
    worker_paused: bool = False
    worker_behind: int = 0
    plan: tuple[str, str, str, bool] | None = None
    """(name, CSV version, phase, approved) of the plan the Subscription names."""
    outdated: int = 0
    migrating: int = 0
    migratable: bool = True
    refused: str = ""


def store(s: Stage) -> Store:
    st = Store()
    history = [
        {
            "state": "Completed",
            "version": s.ocp,
            "startedTime": stamp(T0 - 3 * HOUR),
            "completionTime": stamp(T0 - 2.5 * HOUR),
        },
        *({"state": "Completed", "version": v} for v in s.history),
    ]
    conds = [{"type": "Progressing", "status": "False"}]
    if s.ocp_to:
        history.insert(0, {"state": "Partial", "version": s.ocp_to, "startedTime": stamp(T0)})
        conds = [
            {"type": "Progressing", "status": "True", "message": f"Working towards {s.ocp_to}"}
        ]
    if s.refused:
        conds.append({"type": "ReleaseAccepted", "status": "False", "message": s.refused})
    desired = s.ocp_to or ("4.13.35" if s.refused else s.ocp)
    cv: Obj = {
        "apiVersion": "config.openshift.io/v1",
        "kind": "ClusterVersion",
        "metadata": meta("version", None),
        "spec": {"desiredUpdate": {"version": desired}},
        "status": {
            "desired": {"version": s.ocp_to or s.ocp},
            "history": history,
            "availableUpdates": [{"version": v} for v in s.available],
            "conditions": conds,
        },
    }
    st.apply(change("clusterversion", cv))
    for name, paused, behind in (
        ("master", False, 0),
        ("worker", s.worker_paused, s.worker_behind),
    ):
        st.apply(
            change(
                "mcp",
                {
                    "metadata": meta(name, None),
                    "spec": {"paused": paused},
                    "status": {"machineCount": 3, "updatedMachineCount": 3 - behind},
                },
            )
        )
    annotations = {}
    if s.backup is not None:
        annotations = {BACKUP: json.dumps(s.backup), TAKEN: stamp(s.backup_at)}
    st.apply(change("hco", hco(s.cnv, s.conditions, methods=s.methods, annotations=annotations)))
    st.apply(change("kubevirt", kubevirt(s.methods)))
    for version, phase in s.csvs:
        st.apply(change("csv", csv(version, phase)))
    if s.plan is not None:
        name, version, phase, approved = s.plan
        st.apply(change("installplan", installplan(name, version, phase, approved)))
        st.apply(change("subscription", subscription(state="UpgradePending", plan=name)))
    else:
        st.apply(change("subscription", subscription(current=s.cnv, installed=s.cnv)))
    for i in range(4):
        old = i < s.outdated
        st.apply(
            change("vmi", vmi(f"fedora-{i}", outdated=old, migratable=s.migratable or not old))
        )
    for i in range(s.migrating):
        st.apply(change("vmim", vmim(f"kubevirt-workload-update-{i}", f"fedora-{i}", "Running")))
    return st


def guide(s: Stage, target: str | None = "4.14") -> EusGuide:
    return eus_guide(store(s), T0, target)


def states(g: EusGuide) -> list[StepState]:
    return [step.state for step in g.steps]


START = Stage()
PREPARED = replace(START, worker_paused=True, methods=[], backup=["LiveMigrate"])
OCP_ODD_RUNNING = replace(PREPARED, ocp_to="4.13.35")
OCP_ODD_DONE = replace(PREPARED, ocp="4.13.35", history=("4.12.49",), available=("4.14.12",))
CNV_ODD_APPROVAL = replace(OCP_ODD_DONE, plan=("install-odd", "4.13.9", "RequiresApproval", False))
CNV_ODD_INSTALLING = replace(
    OCP_ODD_DONE,
    plan=("install-odd", "4.13.9", "Installing", True),
    csvs=(("4.12.14", "Replacing"), ("4.13.9", "Installing")),
    conditions={"Progressing": "True", "Upgradeable": "False"},
)
CNV_ODD_DONE = replace(OCP_ODD_DONE, cnv="4.13.9", csvs=(("4.13.9", "Succeeded"),))
OCP_TARGET_RUNNING = replace(CNV_ODD_DONE, ocp_to="4.14.12")
CNV_TARGET_INSTALLING = replace(
    CNV_ODD_DONE,
    ocp="4.14.12",
    history=("4.13.35", "4.12.49"),
    available=(),
    plan=("install-even", "4.14.4", "Installing", True),
    csvs=(("4.13.9", "Replacing"), ("4.14.4", "Installing")),
    conditions={"Progressing": "True", "Upgradeable": "False"},
)
OCP_TARGET_DONE = replace(CNV_ODD_DONE, ocp="4.14.12", history=("4.13.35", "4.12.49"), available=())
CNV_TARGET_APPROVAL = replace(
    OCP_TARGET_DONE, plan=("install-even", "4.14.4", "RequiresApproval", False)
)
CNV_TARGET_DONE = replace(
    OCP_TARGET_DONE, cnv="4.14.4", csvs=(("4.14.4", "Succeeded"),), outdated=4
)
RESTORED = replace(CNV_TARGET_DONE, methods=["LiveMigrate"], backup=None, migrating=2)
MIGRATED = replace(RESTORED, outdated=0, migrating=0)
NEVER_MIGRATE = replace(RESTORED, migrating=0, migratable=False)
UNPAUSED = replace(MIGRATED, worker_paused=False, worker_behind=2)
FINISHED = replace(UNPAUSED, worker_behind=0)


@pytest.mark.parametrize(
    ("stage", "expected"),
    [
        (START, [WAIT, WAIT, DONE, TODO, TODO, TODO, TODO, TODO, TODO, TODO]),
        (PREPARED, [DONE, DONE, DONE, WAIT, TODO, TODO, TODO, TODO, TODO, TODO]),
        (OCP_ODD_RUNNING, [DONE, DONE, DONE, DOING, TODO, TODO, TODO, TODO, TODO, TODO]),
        (OCP_ODD_DONE, [DONE, DONE, DONE, DONE, DOING, TODO, TODO, TODO, TODO, TODO]),
        (CNV_ODD_APPROVAL, [DONE, DONE, DONE, DONE, WAIT, TODO, TODO, TODO, TODO, TODO]),
        (CNV_ODD_INSTALLING, [DONE, DONE, DONE, DONE, DOING, TODO, TODO, TODO, TODO, TODO]),
        (CNV_ODD_DONE, [DONE, DONE, DONE, DONE, DONE, WAIT, TODO, TODO, TODO, TODO]),
        (OCP_TARGET_RUNNING, [DONE, DONE, DONE, DONE, DONE, DOING, TODO, TODO, TODO, TODO]),
        (CNV_TARGET_APPROVAL, [DONE, DONE, DONE, DONE, DONE, DONE, WAIT, TODO, TODO, TODO]),
        (CNV_TARGET_INSTALLING, [DONE, DONE, DONE, DONE, DONE, DONE, DOING, TODO, TODO, TODO]),
        (CNV_TARGET_DONE, [DONE, DONE, DONE, DONE, DONE, DONE, DONE, WAIT, TODO, TODO]),
        (RESTORED, [DONE, DONE, DONE, DONE, DONE, DONE, DONE, DONE, DOING, TODO]),
        (MIGRATED, [DONE, DONE, DONE, DONE, DONE, DONE, DONE, DONE, DONE, WAIT]),
        (NEVER_MIGRATE, [DONE, DONE, DONE, DONE, DONE, DONE, DONE, DONE, BLOCKED, WAIT]),
        (UNPAUSED, [DONE, DONE, DONE, DONE, DONE, DONE, DONE, DONE, DONE, DOING]),
        (FINISHED, [DONE] * 10),
    ],
)
def test_each_stage_of_the_procedure_reads_the_right_step_states(
    stage: Stage, expected: list[StepState]
) -> None:
    g = guide(stage)
    assert (g.source, g.odd, g.target) == ("4.12", "4.13", "4.14")
    assert states(g) == expected, [(s.title, s.state.value, s.why) for s in g.steps]


def test_the_waiting_steps_offer_the_right_safe_action() -> None:
    start = guide(START)
    assert start.current is not None and start.current.id == "pause_pools"
    assert start.step("pause_pools").offer is not None
    pause = start.step("pause_pools").offer
    assert pause is not None and pause.action == "pool_paused"
    assert dict(pause.params) == {"pool": "worker", "paused": True}
    assert pause.command == """oc patch mcp/worker --type merge -p '{"spec":{"paused":true}}'"""
    stop = start.step("stop_workloads").offer
    assert stop is not None and stop.action == "stop_workloads"

    ocp = guide(PREPARED).step("ocp_odd")
    assert ocp.offer is not None and ocp.offer.action == "ocp_update"
    assert ocp.offer.choices == ("4.13.35",)
    assert ocp.offer.command == "oc adm upgrade --to 4.13.35"
    assert "4.13.35" in ocp.why

    approve = guide(CNV_ODD_APPROVAL).step("cnv_odd")
    assert approve.offer is not None and approve.offer.action == "approve"
    assert dict(approve.offer.params) == {"plan": "install-odd"}

    restore = guide(CNV_TARGET_DONE).step("restore_workloads")
    assert restore.offer is not None and restore.offer.action == "restore_workloads"
    assert "[LiveMigrate]" in restore.why
    assert restore.offer.command.endswith(
        """'[{"op":"add","path":"/spec/workloadUpdateStrategy/workloadUpdateMethods","""
        """"value":["LiveMigrate"]}]'"""
    )

    unpause = guide(MIGRATED).step("unpause_pools").offer
    assert unpause is not None and dict(unpause.params) == {"pool": "worker", "paused": False}
    # VMIs that never migrate by themselves do not keep the pools paused.
    never = guide(NEVER_MIGRATE)
    assert "will never be updated under [LiveMigrate]" in never.step("migrations_done").why
    held = never.step("unpause_pools")
    assert held.offer is not None and dict(held.offer.params) == {"pool": "worker", "paused": False}
    assert any("left paused" in w for w in never.warnings)
    assert guide(FINISHED).finished


def test_blocked_steps_say_why() -> None:
    not_upgradeable = replace(
        PREPARED,
        conditions={"Upgradeable": "False"},
    )
    g = guide(not_upgradeable)
    assert g.step("hco_upgradeable").state == BLOCKED
    assert g.step("ocp_odd").state == TODO
    nothing_offered = guide(replace(PREPARED, available=("4.12.50",))).step("ocp_odd")
    assert nothing_offered.state == BLOCKED
    assert "offers no OpenShift 4.13 update" in nothing_offered.why
    assert "e.g. eus-4.14 or stable-4.13" in nothing_offered.why
    refused = guide(replace(PREPARED, refused="ClusterVersionUpgradeable failed")).step("ocp_odd")
    assert refused.state == BLOCKED and "ClusterVersionUpgradeable" in refused.why
    failed = replace(CNV_ODD_INSTALLING, csvs=(("4.13.9", "Failed"),))
    assert guide(failed).step("cnv_odd").state == BLOCKED


def test_an_ocp_update_waits_for_the_preparation_steps() -> None:
    g = guide(replace(START, worker_paused=True))
    assert g.step("ocp_odd").state == TODO
    assert "Methods backed up and empty" in g.step("ocp_odd").why
    assert g.step("ocp_odd").offer is None


def test_warnings_about_what_people_forget() -> None:
    left_paused = guide(replace(FINISHED, worker_paused=True))
    assert any("left paused" in w for w in left_paused.warnings)
    left_empty = guide(CNV_TARGET_DONE)
    assert any("left empty" in w for w in left_empty.warnings)
    custom = guide(replace(PREPARED, backup=["LiveMigrate", "Evict"]))
    assert any("differs from the default" in w for w in custom.warnings)
    no_backup = guide(replace(PREPARED, backup=None))
    assert any("no backup" in w for w in no_backup.warnings)
    assert no_backup.step("stop_workloads").state == DONE
    unpaused = guide(replace(OCP_ODD_RUNNING, worker_paused=False))
    assert any("reboot twice" in w for w in unpaused.warnings)
    z_stream = guide(replace(PREPARED, plan=("install-z", "4.12.15", "RequiresApproval", False)))
    assert any("install-z" in w and "z-stream" in w for w in z_stream.warnings)
    assert guide(PREPARED).warnings == ()
    assert guide(FINISHED).warnings == ()


def test_the_target_is_worked_out_from_the_cluster() -> None:
    def inferred(s: Stage) -> str | None:
        minor = infer_target(store(s), T0)
        return None if minor is None else f"{minor[0]}.{minor[1]}"

    assert inferred(START) == "4.14"
    assert inferred(PREPARED) == "4.14"
    assert inferred(OCP_ODD_RUNNING) == "4.14"
    assert inferred(CNV_ODD_DONE) == "4.14"
    assert inferred(OCP_TARGET_RUNNING) == "4.14"
    assert inferred(CNV_TARGET_APPROVAL) == "4.14"
    assert inferred(CNV_TARGET_DONE) == "4.14"
    assert inferred(MIGRATED) == "4.14"
    later = store(FINISHED)
    assert infer_target(later, T0 + 3 * 24 * HOUR) == (4, 16)
    g = eus_guide(store(CNV_TARGET_DONE), T0)
    assert g.target == "4.14" and g.target_inferred
    assert states(g) == states(guide(CNV_TARGET_DONE))


def test_a_backup_taken_after_the_last_update_means_the_next_procedure() -> None:
    next_one = replace(
        FINISHED, worker_paused=True, methods=[], backup=["LiveMigrate"], backup_at=T0
    )
    assert infer_target(store(next_one), T0) == (4, 16)
    g = eus_guide(store(next_one), T0)
    assert g.target == "4.16"
    assert g.step("ocp_odd").state == BLOCKED  # no 4.15 offered in this state


def test_the_guide_refuses_targets_it_cannot_serve() -> None:
    assert "not an EUS" in guide(START, "4.13").problem
    assert "more than one EUS hop" in guide(START, "4.16").problem
    assert "not a version" in guide(START, "latest").problem


def test_version_parsing_and_paths() -> None:
    assert parse_minor("4.14.3") == (4, 14)
    assert parse_minor("v4.14") == (4, 14)
    assert parse_minor("4.14.0-rc.1") == (4, 14)
    assert parse_minor("four") is None
    eus = update_path((4, 12), (4, 12), (4, 14))
    assert [h.describe() for h in eus] == [
        "OpenShift 4.13",
        "CNV 4.13",
        "OpenShift 4.14",
        "CNV 4.14",
    ]
    assert update_path((4, 13), (4, 12), (4, 14)) == (
        Hop("cnv", (4, 13)),
        Hop("openshift", (4, 14)),
        Hop("cnv", (4, 14)),
    )
    assert update_path((4, 14), (4, 14), (4, 14)) == ()
    assert "update CNV to 4.13" in next_step((4, 13), (4, 12))
    assert next_step((4, 12), (4, 12)).startswith("update OpenShift to 4.13")
    assert "runs ahead" in next_step((4, 12), (4, 13))
