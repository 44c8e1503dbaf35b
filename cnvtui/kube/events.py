"""What the access layer hands upward: object changes and stream states, both plain data.

The state layer consumes these without knowing about HTTP; the recorder serialises them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

Obj = dict[str, Any]
ChangeType = Literal["ADDED", "MODIFIED", "DELETED"]


class StreamState(StrEnum):
    """The health of one list+watch stream, as the user should see it."""

    SYNCING = "syncing"
    LIVE = "live"
    RECONNECTING = "reconnecting"
    FORBIDDEN = "forbidden"
    UNAUTHORIZED = "unauthorized"
    NOT_INSTALLED = "not installed"


@dataclass(frozen=True, slots=True)
class ObjectChange:
    """One object added, modified or deleted, as seen by stream `kind` (a ResourceKind key)."""

    kind: str
    type: ChangeType
    obj: Obj
    at: float


@dataclass(frozen=True, slots=True)
class StreamStatus:
    """A stream's state changed. `since` is when it entered the state; `as_of` when data was
    last known current (for "reconnecting, data as of HH:MM:SS")."""

    kind: str
    state: StreamState
    since: float
    as_of: float | None = None
    message: str = ""


@dataclass(frozen=True, slots=True)
class SessionNote:
    """Something this session did rather than saw, such as the outcome of a write. It is
    recorded with the watch events, so a replay's timeline shows the operator's actions
    where they happened. `severity` is a `cnvtui.state.model.Severity` value."""

    at: float
    kind: str
    obj: str
    text: str
    severity: str = "info"


KubeEvent = ObjectChange | StreamStatus | SessionNote
