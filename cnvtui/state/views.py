"""Defensive reads of raw Kubernetes objects.

Raw objects are `dict[str, Any]` from the API and may hold anything: a number where a string
belongs, a list where a dict does, a missing status. Every read in the state layer goes
through these helpers, which return a typed value or a default and never raise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from cnvtui.kube.events import Obj

__all__ = [
    "Condition",
    "as_bool",
    "as_dict",
    "as_int",
    "as_list",
    "as_str",
    "as_str_list",
    "condition",
    "conditions",
    "dig",
    "meta_key",
    "name_of",
    "parse_time",
]


def as_dict(value: object) -> dict[str, Any]:
    """`value` if it is a dict, else an empty one."""
    return value if isinstance(value, dict) else {}


def as_list(value: object) -> list[Any]:
    """`value` if it is a list, else an empty one."""
    return value if isinstance(value, list) else []


def as_str(value: object, default: str = "") -> str:
    """A string for a field that should be one; numbers (YAML's 4.14) are converted."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return default


def as_str_list(value: object) -> tuple[str, ...]:
    """The string items of a list (other items are dropped)."""
    return tuple(v for v in as_list(value) if isinstance(v, str))


def as_int(value: object, default: int = 0) -> int:
    """An int from an int, an integral float or a decimal string."""
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return default
    return default


def as_bool(value: object) -> bool:
    """True only for a real `true` (or the string "true"): approval is never guessed."""
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def dig(obj: object, *keys: str) -> Any:
    """`obj[k1][k2]...`, or None where a level is missing or not a dict."""
    cur: Any = obj
    for key in keys:
        if not isinstance(cur, dict):
            return None
        cur = cur.get(key)
    return cur


def meta_key(obj: Obj) -> tuple[str, str] | None:
    """(namespace, name) of an object ("" namespace when cluster-scoped); None if unnamed."""
    meta = obj.get("metadata") if isinstance(obj, dict) else None
    if not isinstance(meta, dict):
        return None
    name = meta.get("name")
    if not isinstance(name, str) or not name:
        return None
    namespace = meta.get("namespace")
    return (namespace if isinstance(namespace, str) else "", name)


def name_of(namespace: str, name: str) -> str:
    """How an object is named in text: "namespace/name", or "name" when cluster-scoped."""
    return f"{namespace}/{name}" if namespace else name


@lru_cache(maxsize=8192)
def _parse(text: str) -> float | None:
    try:
        stamp = datetime.fromisoformat(text)
    except ValueError:
        return None
    if stamp.tzinfo is None:  # Kubernetes means UTC; fromisoformat would assume local time
        stamp = stamp.replace(tzinfo=UTC)
    return stamp.timestamp()


def parse_time(value: object) -> float | None:
    """Epoch seconds from an RFC 3339 timestamp ("2024-05-01T10:00:00Z"), else None."""
    if isinstance(value, str) and value:
        return _parse(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def _status(value: object) -> str:
    if isinstance(value, bool):  # a YAML `status: true` means "True"
        return "True" if value else "False"
    return as_str(value)


@dataclass(frozen=True, slots=True)
class Condition:
    """A typed `status.conditions[]` entry."""

    type: str
    status: str
    reason: str
    message: str
    last_transition: float | None


def conditions(obj: object) -> list[Condition]:
    """The well-formed entries of `status.conditions` (entries without a type are skipped)."""
    out: list[Condition] = []
    for raw in as_list(dig(obj, "status", "conditions")):
        if not isinstance(raw, dict):
            continue
        ctype = as_str(raw.get("type"))
        if not ctype:
            continue
        out.append(
            Condition(
                type=ctype,
                status=_status(raw.get("status")),
                reason=as_str(raw.get("reason")),
                message=as_str(raw.get("message")),
                last_transition=parse_time(
                    raw.get("lastTransitionTime") or raw.get("lastUpdateTime")
                ),
            )
        )
    return out


def condition(obj: object, ctype: str) -> Condition | None:
    """The last condition of type `ctype`, if any."""
    found = None
    for cond in conditions(obj):
        if cond.type == ctype:
            found = cond
    return found
