"""Request bodies in Kubernetes protobuf, for the built-in kinds kubectl sends that way.

Newer kubectl versions (1.3x) send built-in objects as `application/vnd.kubernetes.protobuf`:
`kubectl create namespace`, `kubectl auth can-i`, delete options. A real API server accepts
them, so the simulated one must too. This is a decoder of the wire format and of the few
message types it needs, by field number as in the upstream `generated.proto` files; it turns
them into the JSON a JSON client would have sent. Empty strings, zeros and false are left
out, as Go's `omitempty` would; messages that are present stay, even when empty.

Envelope: the 4 bytes `k8s\\0`, then a `runtime.Unknown`: typeMeta (1: apiVersion, kind),
raw (2: the object's own message), contentEncoding (3), contentType (4).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cnvtui.sim.errors import ApiError, bad_request

__all__ = ["MAGIC", "PROTOBUF", "decode"]

PROTOBUF = "application/vnd.kubernetes.protobuf"
MAGIC = b"k8s\x00"
Json = dict[str, Any]

_VARINT, _I64, _LEN, _I32 = 0, 1, 2, 5


@dataclass(frozen=True, slots=True)
class _F:
    """One field: JSON name, type ("string", "int", "bool", "time", "map" or a message's
    field table) and whether it repeats."""

    name: str
    type: str | Mapping[int, _F]
    repeated: bool = False


_TIME = "time"
_OWNER_REFERENCE = {
    1: _F("kind", "string"),
    3: _F("name", "string"),
    4: _F("uid", "string"),
    5: _F("apiVersion", "string"),
    6: _F("controller", "bool"),
    7: _F("blockOwnerDeletion", "bool"),
}
_OBJECT_META = {
    1: _F("name", "string"),
    2: _F("generateName", "string"),
    3: _F("namespace", "string"),
    4: _F("selfLink", "string"),
    5: _F("uid", "string"),
    6: _F("resourceVersion", "string"),
    7: _F("generation", "int"),
    8: _F("creationTimestamp", _TIME),
    9: _F("deletionTimestamp", _TIME),
    10: _F("deletionGracePeriodSeconds", "int"),
    11: _F("labels", "map"),
    12: _F("annotations", "map"),
    13: _F("ownerReferences", _OWNER_REFERENCE, repeated=True),
    14: _F("finalizers", "string", repeated=True),
}
_NAMESPACE = {
    1: _F("metadata", _OBJECT_META),
    2: _F("spec", {1: _F("finalizers", "string", repeated=True)}),
    3: _F("status", {1: _F("phase", "string")}),
}
_TAINT = {
    1: _F("key", "string"),
    2: _F("value", "string"),
    3: _F("effect", "string"),
    4: _F("timeAdded", _TIME),
}
_NODE = {
    1: _F("metadata", _OBJECT_META),
    2: _F(
        "spec",
        {
            1: _F("podCIDR", "string"),
            2: _F("externalID", "string"),
            3: _F("providerID", "string"),
            4: _F("unschedulable", "bool"),
            5: _F("taints", _TAINT, repeated=True),
            7: _F("podCIDRs", "string", repeated=True),
        },
    ),
}
_DELETE_OPTIONS = {
    1: _F("gracePeriodSeconds", "int"),
    2: _F("preconditions", {1: _F("uid", "string"), 2: _F("resourceVersion", "string")}),
    3: _F("orphanDependents", "bool"),
    4: _F("propagationPolicy", "string"),
    5: _F("dryRun", "string", repeated=True),
    6: _F("ignoreStoreReadErrorWithClusterBreakingPotential", "bool"),
}
_RESOURCE_ATTRIBUTES = {
    1: _F("namespace", "string"),
    2: _F("verb", "string"),
    3: _F("group", "string"),
    4: _F("version", "string"),
    5: _F("resource", "string"),
    6: _F("subresource", "string"),
    7: _F("name", "string"),
}
_ACCESS_REVIEW = {
    1: _F("metadata", _OBJECT_META),
    2: _F(
        "spec",
        {
            1: _F("resourceAttributes", _RESOURCE_ATTRIBUTES),
            2: _F("nonResourceAttributes", {1: _F("path", "string"), 2: _F("verb", "string")}),
        },
    ),
}
_RULES_REVIEW = {
    1: _F("metadata", _OBJECT_META),
    2: _F("spec", {1: _F("namespace", "string")}),
}
_KINDS: Mapping[str, Mapping[int, _F]] = {
    "Namespace": _NAMESPACE,
    "Node": _NODE,
    "DeleteOptions": _DELETE_OPTIONS,
    "SelfSubjectAccessReview": _ACCESS_REVIEW,
    "SelfSubjectRulesReview": _RULES_REVIEW,
}
_UNKNOWN = {
    1: _F("typeMeta", {1: _F("apiVersion", "string"), 2: _F("kind", "string")}),
    2: _F("raw", "bytes"),
    3: _F("contentEncoding", "string"),
    4: _F("contentType", "string"),
}


class _Malformed(ValueError):
    pass


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(buf) or shift > 63:
            raise _Malformed("truncated varint")
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7


def _fields(buf: bytes) -> list[tuple[int, int, int | bytes]]:
    """(field number, wire type, value) of each field of one message, in order."""
    out: list[tuple[int, int, int | bytes]] = []
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        value: int | bytes
        if wire == _VARINT:
            value, pos = _varint(buf, pos)
        elif wire == _LEN:
            size, pos = _varint(buf, pos)
            if pos + size > len(buf):
                raise _Malformed("truncated field")
            value, pos = buf[pos : pos + size], pos + size
        elif wire == _I64:
            value, pos = int.from_bytes(buf[pos : pos + 8], "little"), pos + 8
        elif wire == _I32:
            value, pos = int.from_bytes(buf[pos : pos + 4], "little"), pos + 4
        else:
            raise _Malformed(f"wire type {wire}")
        if number == 0 or pos > len(buf):
            raise _Malformed("bad field")
        out.append((number, wire, value))
    return out


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def _time(buf: bytes) -> str | None:
    seconds = 0
    for number, _wire, value in _fields(buf):
        if number == 1 and isinstance(value, int):
            seconds = _signed(value)
    if not seconds:
        return None
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _scalar(kind: str, wire: int, value: int | bytes) -> Any:
    if kind in ("string", "bytes"):
        if not isinstance(value, bytes):
            raise _Malformed("expected bytes")
        return value.decode("utf-8") if kind == "string" else value
    if not isinstance(value, int) or wire != _VARINT:
        raise _Malformed("expected a varint")
    return bool(value) if kind == "bool" else _signed(value)


def _message(buf: bytes, table: Mapping[int, _F]) -> Json:
    out: Json = {}
    for number, wire, value in _fields(buf):
        field = table.get(number)
        if field is None:
            continue  # a field this decoder has no use for
        kind = field.type
        if kind == "map":
            if not isinstance(value, bytes):
                raise _Malformed("expected a map entry")
            entry = {n: v for n, _w, v in _fields(value)}
            key, item = entry.get(1, b""), entry.get(2, b"")
            if not isinstance(key, bytes) or not isinstance(item, bytes):
                raise _Malformed("bad map entry")
            out.setdefault(field.name, {})[key.decode()] = item.decode()
            continue
        if kind == _TIME:
            if not isinstance(value, bytes):
                raise _Malformed("expected a time")
            decoded: Any = _time(value)
        elif isinstance(kind, str):
            decoded = _scalar(kind, wire, value)
        else:
            if not isinstance(value, bytes):
                raise _Malformed("expected a message")
            decoded = _message(value, kind)
        if field.repeated:
            out.setdefault(field.name, []).append(decoded)
        elif decoded not in ("", 0, False, None) or isinstance(decoded, dict):
            out[field.name] = decoded
    return out


def decode(raw: bytes) -> Json:
    """The JSON form of a protobuf request body; 415 for a kind this server cannot read,
    400 for bytes that are not a Kubernetes protobuf message."""
    if not raw.startswith(MAGIC):
        raise bad_request("provided object is not a Kubernetes protobuf message (no k8s prefix)")
    try:
        unknown = _message(raw[len(MAGIC) :], _UNKNOWN)
        type_meta = unknown.get("typeMeta") or {}
        kind = str(type_meta.get("kind") or "")
        table = _KINDS.get(kind)
        if table is None:
            raise ApiError(
                415,
                "UnsupportedMediaType",
                f"the simulated API server decodes protobuf bodies only for "
                f"{', '.join(sorted(_KINDS))}, not {kind or 'this object'}: send it as JSON",
            )
        body = _message(bytes(unknown.get("raw") or b""), table)
    except (_Malformed, UnicodeDecodeError) as exc:
        raise bad_request(f"unable to decode the protobuf body: {exc}") from exc
    api_version = type_meta.get("apiVersion")
    head: Json = {"kind": kind}
    if api_version:
        head["apiVersion"] = api_version
    return {**head, **body}
