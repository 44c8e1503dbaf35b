"""OLM objects in the HCO namespace: CSV rows with their phase history, and install plans
with the one rule that matters most: approve only the plan the Subscription names, and only
while it requires approval."""

from __future__ import annotations

from collections.abc import Mapping

from cnvtui.kube.events import Obj
from cnvtui.state.model import CsvRow, InstallPlanRow, PhaseStep
from cnvtui.state.views import as_bool, as_list, as_str, as_str_list, dig, parse_time

__all__ = ["MATCH_WINDOW", "csv_rows", "plan_rows"]

Objects = Mapping[tuple[str, str], Obj]
MATCH_WINDOW = 5.0
"""A phase cnvtui saw within this many seconds of a recorded one is the same transition."""
HISTORY_CAP = 50


def _recorded_steps(obj: Obj) -> list[PhaseStep]:
    steps = []
    for raw in as_list(dig(obj, "status", "conditions")):
        if not isinstance(raw, dict):
            continue
        phase = as_str(raw.get("phase"))
        if not phase:
            continue
        steps.append(
            PhaseStep(
                phase,
                as_str(raw.get("reason")),
                as_str(raw.get("message")),
                parse_time(raw.get("lastTransitionTime") or raw.get("lastUpdateTime")),
            )
        )
    return steps


def _merge(recorded: list[PhaseStep], seen: list[PhaseStep]) -> tuple[PhaseStep, ...]:
    merged = list(recorded)
    for step in seen:
        if step.at is None:
            continue
        duplicate = any(
            r.phase == step.phase and r.at is not None and abs(r.at - step.at) <= MATCH_WINDOW
            for r in recorded
        )
        if not duplicate:
            merged.append(step)
    merged.sort(key=lambda s: s.at if s.at is not None else float("-inf"))
    return tuple(merged[-HISTORY_CAP:])


def csv_rows(
    csvs: Objects, namespace: str, seen: Mapping[tuple[str, str], list[PhaseStep]]
) -> tuple[CsvRow, ...]:
    """CSVs in `namespace` (copies OLM places in other namespaces are left out), by name."""
    rows = []
    for key, obj in sorted(csvs.items()):
        if key[0] != namespace:
            continue
        history = _merge(_recorded_steps(obj), seen.get(key, []))
        since = parse_time(dig(obj, "status", "lastTransitionTime"))
        if since is None and history:
            since = history[-1].at
        rows.append(
            CsvRow(
                name=key[1],
                namespace=key[0],
                version=as_str(dig(obj, "spec", "version")),
                replaces=as_str(dig(obj, "spec", "replaces")),
                phase=as_str(dig(obj, "status", "phase")),
                reason=as_str(dig(obj, "status", "reason")),
                message=as_str(dig(obj, "status", "message")),
                phase_since=since,
                history=history,
            )
        )
    return tuple(rows)


def _why_not(name: str, current: str, phase: str, approved: bool, approval: str) -> str:
    if not current:
        return "the Subscription names no install plan"
    if name != current:
        return f"not the plan the Subscription names ({current})"
    if approved:
        return "already approved"
    if phase != "RequiresApproval":
        return f"phase is {phase or 'unknown'}, not RequiresApproval"
    if approval and approval != "Manual":
        return f"approval is {approval}"
    return ""


def plan_rows(plans: Objects, namespace: str, current: str) -> tuple[InstallPlanRow, ...]:
    """Install plans in `namespace`: the current one first, then newest first."""
    rows = []
    for key, obj in plans.items():
        if key[0] != namespace:
            continue
        phase = as_str(dig(obj, "status", "phase"))
        approved = as_bool(dig(obj, "spec", "approved"))
        approval = as_str(dig(obj, "spec", "approval"))
        is_current = bool(current) and key[1] == current
        why = _why_not(key[1], current, phase, approved, approval)
        rows.append(
            InstallPlanRow(
                name=key[1],
                namespace=key[0],
                csv_names=as_str_list(dig(obj, "spec", "clusterServiceVersionNames")),
                approval=approval,
                approved=approved,
                phase=phase,
                created=parse_time(dig(obj, "metadata", "creationTimestamp")),
                is_current=is_current,
                awaits_approval=is_current and phase == "RequiresApproval" and not approved,
                can_approve=not why,
                why_not=why,
            )
        )
    rows.sort(key=lambda r: (not r.is_current, -(r.created or 0.0), r.name))
    return tuple(rows)
