"""What every action declares, and the values that travel between it, the runner and the UI.

An action is a user intent that ends in one JSON patch. It says when it applies (from the
picture the user sees), which permission it needs (asked with a SelfSubjectAccessReview before
it is offered), whether it is dangerous, and how to turn fresh objects into a `Change`: the
exact patch, with `test` operations restating what the user saw, plus a plain statement of
what will change. The runner sends the change and reports an `Outcome`; nothing here talks
HTTP except through the context it is handed.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar

from cnvtui.actions.jsonpatch import Operation
from cnvtui.kube.events import Obj
from cnvtui.kube.resources import ResourceKind
from cnvtui.kube.writer import WriteResult
from cnvtui.state.model import UpdatePicture
from cnvtui.state.store import Store

if TYPE_CHECKING:
    from cnvtui.actions.context import ActionContext

__all__ = [
    "Action",
    "Availability",
    "Change",
    "Changed",
    "Outcome",
    "OutcomeKind",
    "Permission",
    "Refused",
    "Target",
    "View",
]


class Refused(Exception):
    """The action cannot be done now; the message says why, in the user's terms."""


class Changed(Exception):
    """Something the change relied on moved after the preview (checked just before sending)."""


@dataclass(frozen=True, slots=True)
class Permission:
    """One verb on one resource, as a SelfSubjectAccessReview asks it."""

    verb: str
    kind: ResourceKind
    namespace: str | None = None
    name: str | None = None

    def describe(self) -> str:
        """ "patch installplans.operators.coreos.com in openshift-cnv", as RBAC names it."""
        resource = f"{self.kind.plural}.{self.kind.group}" if self.kind.group else self.kind.plural
        if self.name:
            resource += f" {self.name}"
        if self.kind.namespaced and self.namespace:
            return f"{self.verb} {resource} in {self.namespace}"
        return f"{self.verb} {resource} (cluster-scoped)"


@dataclass(frozen=True, slots=True)
class Target:
    """The one object a change patches."""

    kind: ResourceKind
    namespace: str | None
    name: str

    def describe(self) -> str:
        where = f"{self.namespace}/" if self.namespace and self.kind.namespaced else ""
        return f"{self.kind.kind} {where}{self.name}"


@dataclass(frozen=True, slots=True)
class View:
    """What the user is looking at: the picture, and the raw objects behind it."""

    picture: UpdatePicture
    store: Store


@dataclass(frozen=True, slots=True)
class Availability:
    """Whether to offer an action: `shown` puts its key on screen, `allowed` lets it run."""

    shown: bool
    allowed: bool
    reason: str = ""

    @classmethod
    def ok(cls) -> Availability:
        return cls(True, True)

    @classmethod
    def hidden(cls, reason: str) -> Availability:
        return cls(False, False, reason)

    @classmethod
    def denied(cls, reason: str) -> Availability:
        return cls(True, False, reason)


@dataclass(frozen=True, slots=True)
class Change:
    """One previewed write: exactly what will be sent, and what it means.

    `before`/`after` map readable field paths to values (for the confirmation and the audit
    log); `summary` states the change and its consequences; `params` re-create the change
    from fresh objects when the first attempt meets a concurrent edit.
    """

    action: str
    title: str
    target: Target
    operations: tuple[Operation, ...]
    summary: tuple[str, ...]
    before: Mapping[str, Any] = field(default_factory=dict)
    after: Mapping[str, Any] = field(default_factory=dict)
    dangerous: bool = False
    confirm_word: str | None = None
    """Text the user must type to confirm (the strongest confirmation), else None."""
    notes: tuple[str, ...] = ()
    """Warnings to show beside the change."""
    detail: object = None
    """Action-specific preview data (the install plan's steps, ...)."""
    params: Mapping[str, Any] = field(default_factory=dict)
    seen_version: str = ""

    def patch_text(self) -> str:
        """The JSON patch as it will be sent, indented for reading."""
        return json.dumps(list(self.operations), indent=2)


class OutcomeKind(StrEnum):
    DONE = "done"
    ALREADY = "already"
    """The object was already in the wanted state (a double press, or someone else did it)."""
    CONFLICT = "conflict"
    """Changed since the user looked; `Outcome.fresh` holds a new preview when one exists."""
    REFUSED = "refused"
    """Not sent: read-only, not permitted, or no longer applicable."""
    FAILED = "failed"
    BUSY = "busy"
    """The same change is already being sent."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What came of applying a change; `message` is one line for the user."""

    kind: OutcomeKind
    message: str
    change: Change | None = None
    fresh: Change | None = None
    result: WriteResult | None = None

    @property
    def ok(self) -> bool:
        return self.kind in (OutcomeKind.DONE, OutcomeKind.ALREADY)


class Action(ABC):
    """A user intent that ends in one patch (see the module docstring)."""

    id: ClassVar[str]
    title: ClassVar[str]
    dangerous: ClassVar[bool] = False

    @abstractmethod
    def permission(self, ctx: ActionContext) -> Permission:
        """The permission the write needs."""

    @abstractmethod
    def applies(self, view: View) -> str:
        """ "" when the action makes sense for what the user sees, else why not."""

    @abstractmethod
    async def propose(self, ctx: ActionContext, **params: Any) -> Change:
        """Read fresh objects and build the change; raise `Refused` when it cannot be done."""

    @abstractmethod
    def done_in(self, change: Change, obj: Obj) -> bool:
        """Whether `obj` already has the state `change` would produce."""

    async def before_send(self, ctx: ActionContext, change: Change) -> None:  # noqa: B027
        """Last checks and local side effects before the patch goes out (may raise
        `Changed` or `Refused`)."""

    async def after_send(  # noqa: B027 (an optional hook)
        self, ctx: ActionContext, change: Change, result: WriteResult
    ) -> None:
        """Local follow-up once the server answered (or did not)."""
