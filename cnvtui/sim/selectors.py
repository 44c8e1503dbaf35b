"""Label and field selectors with the grammar and errors of the API server.

Label selectors: `k=v`, `k==v`, `k!=v`, `k`, `!k`, `k in (a,b)`, `k notin (a,b)`, `k>1`,
`k<1`, joined by commas. A `!=`/`notin` requirement matches objects without the label, as
on a real server. Field selectors support what the server supports per resource: for custom
resources only `metadata.name` and `metadata.namespace`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from cnvtui.sim.errors import ApiError, bad_request

Json = dict[str, Any]

_NAME = r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?"
_KEY_RE = re.compile(
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?" + _NAME + "$"
)
_VALUE_RE = re.compile(r"^(" + _NAME + ")?$")


def valid_label_key(key: str) -> bool:
    prefix, _, name = key.rpartition("/")
    return bool(_KEY_RE.match(key)) and len(name) <= 63 and len(prefix) <= 253


def valid_label_value(value: str) -> bool:
    return len(value) <= 63 and bool(_VALUE_RE.match(value))


@dataclass(frozen=True, slots=True)
class Requirement:
    key: str
    op: str  # "=", "!=", "exists", "!", "in", "notin", ">", "<"
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        has = self.key in labels
        if self.op == "exists":
            return has
        if self.op == "!":
            return not has
        if self.op in ("=", "in"):
            return has and labels[self.key] in self.values
        if self.op in ("!=", "notin"):
            return not has or labels[self.key] not in self.values
        if not has:
            return False
        try:
            have, want = int(labels[self.key]), int(self.values[0])
        except ValueError:
            return False
        return have > want if self.op == ">" else have < want


class LabelSelector:
    """A parsed label selector; `LabelSelector.parse("")` matches everything."""

    def __init__(self, requirements: tuple[Requirement, ...]) -> None:
        self.requirements = requirements

    @classmethod
    def parse(cls, text: str | None) -> LabelSelector:
        if not text or not text.strip():
            return cls(())
        return cls(tuple(_LabelParser(text).parse()))

    def matches(self, labels: Mapping[str, str] | None) -> bool:
        labels = labels or {}
        return all(r.matches(labels) for r in self.requirements)

    @property
    def empty(self) -> bool:
        return not self.requirements


_TOKEN_RE = re.compile(r"\s*(==|!=|=|\(|\)|,|!|>|<|[^\s=!(),<>]+)")


class _LabelParser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[str] = []
        pos = 0
        while pos < len(text):
            m = _TOKEN_RE.match(text, pos)
            if not m:
                break
            self.tokens.append(m.group(1))
            pos = m.end()
            while pos < len(text) and text[pos].isspace():
                pos += 1
        self.i = 0

    def _error(self, message: str) -> ApiError:
        return bad_request(f"unable to parse requirement: {message}")

    def _peek(self) -> str | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def _next(self) -> str | None:
        tok = self._peek()
        self.i += 1
        return tok

    def _key(self, tok: str | None) -> str:
        if tok is None or tok in ("==", "!=", "=", "(", ")", ",", "!", ">", "<"):
            raise self._error(f"found '{tok or ''}', expected: identifier")
        if not valid_label_key(tok):
            raise self._error(f'invalid label key "{tok}": name part must be a valid label key')
        return tok

    def _value(self, tok: str | None) -> str:
        if tok is None or tok in ("==", "!=", "=", "(", ")", ",", "!", ">", "<"):
            raise self._error(f"found '{tok or ''}', expected: identifier")
        if not valid_label_value(tok):
            raise self._error(f'invalid label value: "{tok}": must be 63 characters or less')
        return tok

    def parse(self) -> list[Requirement]:
        reqs: list[Requirement] = []
        while True:
            reqs.append(self._requirement())
            tok = self._next()
            if tok is None:
                return reqs
            if tok != ",":
                raise self._error(f"found '{tok}', expected: ',' or 'end of string'")

    def _requirement(self) -> Requirement:
        tok = self._next()
        if tok == "!":
            return Requirement(self._key(self._next()), "!")
        key = self._key(tok)
        op = self._peek()
        if op is None or op == ",":
            return Requirement(key, "exists")
        self.i += 1
        if op in ("=", "=="):
            return Requirement(key, "=", (self._optional_value(),))
        if op == "!=":
            return Requirement(key, "!=", (self._optional_value(),))
        if op in (">", "<"):
            value = self._value(self._next())
            if not value.lstrip("-").isdigit():
                raise self._error("for 'Gt', 'Lt' operators, the value must be an integer")
            return Requirement(key, op, (value,))
        if op in ("in", "notin"):
            return Requirement(key, op, self._set())
        raise self._error(f"found '{op}', expected: in, notin, =, ==, !=, gt, lt")

    def _optional_value(self) -> str:
        tok = self._peek()
        if tok is None or tok == ",":
            return ""
        return self._value(self._next())

    def _set(self) -> tuple[str, ...]:
        if self._next() != "(":
            raise self._error("found '', expected: '('")
        values: list[str] = []
        while True:
            tok = self._next()
            if tok == ")" and not values:
                return ("",)
            if tok == ",":
                values.append("")
                continue
            values.append(self._value(tok))
            sep = self._next()
            if sep == ")":
                return tuple(values)
            if sep != ",":
                raise self._error(f"found '{sep or ''}', expected: ',' or ')'")


# Field selectors: which fields each resource supports, beyond metadata.name/namespace.
def _get(obj: Json, *path: str) -> Any:
    cur: Any = obj
    for p in path:
        if not isinstance(cur, dict):
            return None
        cur = cur.get(p)
    return cur


def _str(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


_EXTRA_FIELDS: dict[tuple[str, str], tuple[str, ...]] = {
    ("", "pods"): (
        "spec.nodeName",
        "spec.restartPolicy",
        "spec.schedulerName",
        "spec.serviceAccountName",
        "spec.hostNetwork",
        "status.phase",
        "status.podIP",
        "status.nominatedNodeName",
    ),
    ("", "nodes"): ("spec.unschedulable",),
    ("", "namespaces"): ("status.phase",),
    ("", "events"): (
        "involvedObject.kind",
        "involvedObject.namespace",
        "involvedObject.name",
        "involvedObject.uid",
        "involvedObject.apiVersion",
        "involvedObject.resourceVersion",
        "involvedObject.fieldPath",
        "reason",
        "reportingComponent",
        "source",
        "type",
    ),
}


def _field_value(obj: Json, field: str) -> str:
    if field == "spec.hostNetwork":
        return _str(bool(_get(obj, "spec", "hostNetwork")))
    if field == "spec.unschedulable":
        return _str(bool(_get(obj, "spec", "unschedulable")))
    if field == "source":
        return _str(_get(obj, "source", "component"))
    return _str(_get(obj, *field.split(".")))


@dataclass(frozen=True, slots=True)
class FieldRequirement:
    field: str
    value: str
    negate: bool

    def matches(self, obj: Json) -> bool:
        return (_field_value(obj, self.field) == self.value) != self.negate


class FieldSelector:
    """A parsed field selector (`a=b,c!=d`), checked against the resource's supported fields."""

    def __init__(self, requirements: tuple[FieldRequirement, ...]) -> None:
        self.requirements = requirements

    @classmethod
    def parse(cls, text: str | None, group: str = "", plural: str = "") -> FieldSelector:
        if not text or not text.strip():
            return cls(())
        supported = ("metadata.name", "metadata.namespace", *_EXTRA_FIELDS.get((group, plural), ()))
        reqs: list[FieldRequirement] = []
        for part in _split_unescaped(text):
            for op in ("!=", "==", "="):
                field, sep, value = part.partition(op)
                if sep:
                    break
            else:
                raise bad_request(f"invalid selector: '{text}'; can't understand '{part}'")
            field = field.strip()
            if field not in supported:
                raise bad_request(f"field label not supported: {field}")
            reqs.append(FieldRequirement(field, _unescape(value.strip()), op == "!="))
        return cls(tuple(reqs))

    def matches(self, obj: Json) -> bool:
        return all(r.matches(obj) for r in self.requirements)

    def exact(self, field: str) -> str | None:
        """The value an `=` requirement pins `field` to, if any (lets lookups skip scanning)."""
        for r in self.requirements:
            if r.field == field and not r.negate:
                return r.value
        return None

    @property
    def empty(self) -> bool:
        return not self.requirements


def _split_unescaped(text: str) -> list[str]:
    parts: list[str] = []
    cur = ""
    escaped = False
    for ch in text:
        if escaped:
            cur += "\\" + ch
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == ",":
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return [p for p in parts if p.strip()]


def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", r"\1", value)


Matcher = Callable[[Json], bool]


def matcher(label: LabelSelector, field: FieldSelector) -> Matcher | None:
    """One predicate for both selectors, or None when neither restricts anything."""
    if label.empty and field.empty:
        return None

    def match(obj: Json) -> bool:
        meta = obj.get("metadata") or {}
        return label.matches(meta.get("labels")) and field.matches(obj)

    return match
