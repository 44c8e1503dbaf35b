"""`to_json(picture)`: the picture as plain JSON data, the schema `status --json` prints.

Schema `cnvtui.io/update-picture/v1` (stable: fields may be added, never renamed or removed
within v1):

- Keys are the field names of `cnvtui.state.model`, in snake_case, nested the same way.
- Points in time (`now`, `at`, `since`, `as_of`, `started`, `created`, `phase_since`,
  `last_transition`, `taken_at`) are RFC 3339 UTC strings ("2024-05-01T10:00:00Z") or null.
- Durations (`age`, `duration`, `outdated_for`, `target_pending_for`, `pending_limit`,
  `eta_seconds`) are seconds as numbers or null.
- Enums are their display strings (`verdict`: "Idle", "Updating", "Waiting for approval",
  "Migrating workloads", "Stuck", "Degraded", "Done"; stream `state`: "live", ...).
- Tuples are lists; `hco.versions` is a list of {"name", "version"}; `outdated.burndown` is a
  list of {"at", "count"}; `outdated.rows` holds up to `max_vmis` rows (all when None) and
  `outdated.rows_total` the full count.
- Top level: `schema`, `now`, `verdict`, `reason`, `headline` ("Verdict: reason"),
  `settled`, `problems`, `cluster`, `streams`, `csvs`, `hco`, `install_plans`,
  `workload_strategy`, `outdated`, `migrations`, `timeline`.

Strings are as the cluster sent them; printers of this JSON to a terminal must not trust them.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from cnvtui.state.model import OutdatedPicture, Rows, UpdatePicture

__all__ = ["PICTURE_SCHEMA", "TIME_FIELDS", "rfc3339", "to_json"]

PICTURE_SCHEMA = "cnvtui.io/update-picture/v1"
TIME_FIELDS = frozenset(
    {
        "now",
        "at",
        "since",
        "as_of",
        "started",
        "created",
        "phase_since",
        "last_transition",
        "taken_at",
    }
)


def rfc3339(stamp: float | None) -> str | None:
    """Epoch seconds as "2024-05-01T10:00:00Z" (fractions kept to milliseconds when set)."""
    if stamp is None:
        return None
    moment = datetime.fromtimestamp(stamp, UTC)
    if moment.microsecond:
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def _value(name: str, value: object) -> Any:
    if name in TIME_FIELDS and isinstance(value, int | float) and not isinstance(value, bool):
        return rfc3339(float(value))
    if isinstance(value, Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _value(f.name, getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list | Rows):
        return [_value("", item) for item in value]
    return value


def _outdated(outdated: OutdatedPicture, max_vmis: int | None) -> dict[str, Any]:
    rows = outdated.rows
    shown = rows[:max_vmis] if max_vmis is not None else list(rows)
    out: dict[str, Any] = {}
    for field in dataclasses.fields(outdated):
        if field.name in ("rows", "burndown"):
            continue
        out[field.name] = _value(field.name, getattr(outdated, field.name))
    out["burndown"] = [{"at": rfc3339(t), "count": n} for t, n in outdated.burndown]
    out["rows"] = [_value("", row) for row in shown]
    out["rows_total"] = len(rows)
    return out


def to_json(picture: UpdatePicture, *, max_vmis: int | None = None) -> dict[str, Any]:
    """The picture as JSON-able data (see the module docstring for the schema)."""
    out: dict[str, Any] = {"schema": PICTURE_SCHEMA}
    for field in dataclasses.fields(picture):
        value = getattr(picture, field.name)
        if field.name == "outdated":
            out["outdated"] = _outdated(value, max_vmis)
        elif field.name == "hco" and value is not None:
            hco = _value("hco", value)
            hco["versions"] = [{"name": n, "version": v} for n, v in value.versions]
            out["hco"] = hco
        else:
            out[field.name] = _value(field.name, value)
    out["headline"] = picture.headline
    out["settled"] = picture.settled
    return out
