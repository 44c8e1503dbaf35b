"""`status --wait-for`: when a condition counts as reached, and when waiting is hopeless.

Goals:

- `done`: the update is over. Verdict Done; or Idle with CNV installed, no outdated VMI and
  the Subscription at the latest known version (an update that finished before we started).
- `approval-needed`: the Subscription's current install plan waits in RequiresApproval.
- `healthy`: the operator is healthy: HCO Available=True, Progressing=False, Degraded=False,
  Upgradeable=True and every CSV Succeeded, whatever the workloads are doing (the EUS
  procedure waits for this between its steps).

With a `version`, `done` and `healthy` also need the HCO to report that CNV version, so a
pipeline that starts before OLM has even offered the update does not finish at once.

Only data from live watches of the update's objects counts: while one of them reconnects,
nothing is concluded. Waiting fails when the verdict stays Degraded or Stuck, or no
OpenShift Virtualization is found, for `grace` seconds (transient flips during an update
are normal; a grace of 0 fails at first sight).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from cnvtui.exitcodes import ExitCode
from cnvtui.report.live import ESSENTIAL, RELOAD_EVERY
from cnvtui.state.model import StreamState, UpdatePicture, Verdict
from cnvtui.state.text import human_duration

__all__ = ["DEFAULT_GRACE", "Goal", "Outcome", "Waiter", "blocked"]

DEFAULT_GRACE = 120.0
_FAILING = (Verdict.DEGRADED, Verdict.STUCK)
_CURRENT = (StreamState.LIVE, StreamState.NOT_INSTALLED)


class Goal(StrEnum):
    DONE = "done"
    APPROVAL_NEEDED = "approval-needed"
    HEALTHY = "healthy"


@dataclass(frozen=True, slots=True)
class Outcome:
    """How the wait ended: the exit code and one line saying why."""

    code: ExitCode
    message: str


def _essential_live(picture: UpdatePicture) -> bool:
    """Every stream of the update's own objects is current (or its CRD does not exist)."""
    states = {s.kind: s.state for s in picture.streams}
    return all(states.get(kind) in _CURRENT for kind in ESSENTIAL)


def blocked(picture: UpdatePicture) -> str:
    """Why nothing can be concluded now ("" when the update's own watches may be read): said
    once on stderr, so a pipeline that waits does not wait without a word."""
    states = {s.kind: s.state for s in picture.streams}
    unread = [k for k in ESSENTIAL if states.get(k) in (StreamState.UNAUTHORIZED,)]
    if unread:
        return (
            "the API server rejects the credentials (expired token?): log in again, e.g. "
            f"'oc login'; the kubeconfig is read again every {human_duration(RELOAD_EVERY)}, "
            "and waiting goes on"
        )
    denied = [k for k in ESSENTIAL if states.get(k) == StreamState.FORBIDDEN]
    if denied:
        return f"forbidden to read {', '.join(denied)}: nothing can be concluded without it"
    return ""


def _absent(picture: UpdatePicture) -> bool:
    return picture.hco is None and not picture.csvs


def reached(goal: Goal, picture: UpdatePicture, version: str | None = None) -> str | None:
    """Why `goal` is reached in `picture` (at CNV `version`, if given), or None."""
    p = picture
    if not _essential_live(p) or _absent(p):
        return None
    if version and goal != Goal.APPROVAL_NEEDED and p.cluster.cnv_version != version:
        return None
    if goal == Goal.APPROVAL_NEEDED:
        plan = p.awaiting_approval
        if plan is not None:
            return f"install plan {plan.name} ({', '.join(plan.csv_names)}) needs approval"
        return p.reason if p.verdict == Verdict.WAITING_FOR_APPROVAL else None
    if goal == Goal.HEALTHY:
        hco = p.hco
        if hco is None or not hco.healthy or p.verdict in _FAILING:
            return None
        if any(csv.phase != "Succeeded" for csv in p.csvs if csv.reason != "Copied"):
            return None
        return f"HCO healthy, CNV {p.cluster.cnv_version or '?'}"
    if p.verdict == Verdict.DONE:
        return p.reason
    if p.verdict == Verdict.IDLE and p.hco is not None and not p.outdated.count:
        sub = p.cluster.subscription
        if sub is None or sub.state in ("AtLatestKnown", ""):
            return p.reason
    return None


class Waiter:
    """Feed it pictures; it answers with an `Outcome` once the wait is over."""

    def __init__(
        self, goal: Goal, grace: float = DEFAULT_GRACE, version: str | None = None
    ) -> None:
        self.goal = goal
        self.grace = grace
        self.version = version
        self._bad_since: float | None = None

    def observe(self, picture: UpdatePicture) -> Outcome | None:
        why = reached(self.goal, picture, self.version)
        if why is not None:
            return Outcome(ExitCode.OK, why)
        bad = _essential_live(picture) and (picture.verdict in _FAILING or _absent(picture))
        if not bad:
            self._bad_since = None
            return None
        if self._bad_since is None:
            self._bad_since = picture.now
        if picture.now - self._bad_since < self.grace:
            return None
        if _absent(picture):
            return Outcome(
                ExitCode.FAILED,
                f"no OpenShift Virtualization found in namespace {picture.cluster.hco_namespace}",
            )
        return Outcome(ExitCode.FAILED, f"the update failed: {picture.headline}")
