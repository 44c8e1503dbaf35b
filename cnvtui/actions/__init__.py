"""User intents turned into checked, previewed, confirmed and audited cluster writes.

`base` (what an action declares), `runner` (the one path to the cluster: availability,
preview, send once, conflict and audit), `context` (writer, identity, audit, backups,
access reviews), `permissions`, `audit`, `backup`, `fetch`, `hco_api`, `jsonpatch`,
`hco_action` (the base of the actions that patch the HCO); one module per action: `approve`,
`strategy`, `workloads` (stop/restore), `pools`, `openshift`.
`all_actions()` lists them; `build_context` + `ActionRunner` wire them to a cluster.
"""

from cnvtui.actions.approve import ApprovePlan
from cnvtui.actions.base import Action, Availability, Change, Outcome, OutcomeKind, Refused, View
from cnvtui.actions.context import ActionContext, build_context
from cnvtui.actions.openshift import StartOpenShiftUpdate
from cnvtui.actions.pools import SetPoolPaused
from cnvtui.actions.runner import ActionRunner
from cnvtui.actions.strategy import EditStrategy
from cnvtui.actions.workloads import RestoreWorkloadUpdates, StopWorkloadUpdates

__all__ = [
    "Action",
    "ActionContext",
    "ActionRunner",
    "Availability",
    "Change",
    "Outcome",
    "OutcomeKind",
    "Refused",
    "View",
    "all_actions",
    "build_context",
]


def all_actions() -> list[Action]:
    """A fresh instance of every action, in the order the UI lists them."""
    return [
        ApprovePlan(),
        EditStrategy(),
        StopWorkloadUpdates(),
        RestoreWorkloadUpdates(),
        SetPoolPaused(),
        StartOpenShiftUpdate(),
    ]
