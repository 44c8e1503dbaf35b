"""Content negotiation and the response bodies: plain objects and lists, Tables, and
PartialObjectMetadata(List), each serialised from the store's entries.

An entry's plain JSON (per version) and its metadata-only form are cached on the entry, so
a list of ten thousand VMIs or an event sent to many watchers is encoded once. Table rows
are built per request, because their Age column moves with time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import yaml

from cnvtui.sim.catalog import ResourceDef
from cnvtui.sim.conversion import convert
from cnvtui.sim.errors import bad_request, not_acceptable
from cnvtui.sim.store import Entry
from cnvtui.sim.table import table_column_definitions, table_row_cells

Json = dict[str, Any]

JSON = "json"
YAML = "yaml"
TABLE = "Table"
POM = "PartialObjectMetadata"
POM_LIST = "PartialObjectMetadataList"
_META_VERSIONS = ("v1", "v1beta1")
_INCLUDE = ("None", "Object", "Metadata", "")


@dataclass(frozen=True)
class Output:
    """The negotiated response form: `kind` is json, yaml, Table or PartialObjectMetadata[List];
    `meta_version` the meta.k8s.io version for the last three."""

    kind: str = JSON
    meta_version: str = "v1"

    @property
    def meta_api_version(self) -> str:
        return f"meta.k8s.io/{self.meta_version}"


def negotiate(accept: str | None) -> Output:
    """The first media type in `accept` this server can produce (406 when there is none)."""
    if not accept or not accept.strip():
        return Output()
    for media_range in accept.split(","):
        parts = [p.strip() for p in media_range.split(";")]
        mime = parts[0].lower()
        params: dict[str, str] = {}
        for p in parts[1:]:
            k, _, v = p.partition("=")
            params[k.strip().lower()] = v.strip()
        as_kind = params.get("as")
        if mime in ("application/json", "*/*", "application/*"):
            if as_kind is None:
                return Output()
            if (
                as_kind in (TABLE, POM, POM_LIST)
                and params.get("g") == "meta.k8s.io"
                and params.get("v") in _META_VERSIONS
            ):
                return Output(as_kind, params["v"])
        elif mime == "application/yaml" and as_kind is None:
            return Output(YAML)
    raise not_acceptable(
        "only the following media types are accepted: application/json, application/yaml, "
        "application/vnd.kubernetes.protobuf"
    )


def dumps(value: Any, *, sort_keys: bool = False) -> bytes:
    # ASCII output: a lone surrogate a client sent stays encodable (as an escape).
    return json.dumps(value, separators=(",", ":"), sort_keys=sort_keys).encode()


def to_yaml(body: bytes) -> bytes:
    return yaml.safe_dump(json.loads(body), sort_keys=False, allow_unicode=True).encode()


def object_json(rdef: ResourceDef, entry: Entry, version: str) -> bytes:
    """The object in `version`, as JSON (cached on the entry)."""
    key = (JSON, version)
    cached = entry.cache.get(key)
    if cached is None:
        obj = convert(rdef, entry.obj, version)
        # Custom resources are unstructured on a real server: their keys come out sorted.
        cached = entry.cache[key] = dumps(obj, sort_keys=rdef.is_crd)
    assert isinstance(cached, bytes)
    return cached


def partial_metadata(entry: Entry, meta_version: str = "v1") -> bytes:
    key = (POM, meta_version)
    cached = entry.cache.get(key)
    if cached is None:
        cached = entry.cache[key] = dumps(
            {
                "kind": POM,
                "apiVersion": f"meta.k8s.io/{meta_version}",
                "metadata": entry.obj.get("metadata", {}),
            }
        )
    assert isinstance(cached, bytes)
    return cached


def _list_meta(resource_version: int | str, token: str | None, remaining: int | None) -> Json:
    meta: Json = {}
    if token:
        meta["continue"] = token
    if remaining is not None:
        meta["remainingItemCount"] = remaining
    meta["resourceVersion"] = str(resource_version)
    return meta


def list_body(
    rdef: ResourceDef,
    version: str,
    entries: list[Entry],
    *,
    resource_version: int | str,
    token: str | None = None,
    remaining: int | None = None,
) -> bytes:
    """A `<Kind>List` in `version`."""
    items = b",".join(object_json(rdef, e, version) for e in entries)
    meta = dumps(_list_meta(resource_version, token, remaining))
    api_version = dumps(rdef.api_version(version))
    kind = dumps(rdef.list_kind)
    if rdef.is_crd:
        return (
            b'{"apiVersion":'
            + api_version
            + b',"items":['
            + items
            + b'],"kind":'
            + kind
            + b',"metadata":'
            + meta
            + b"}"
        )
    return (
        b'{"kind":'
        + kind
        + b',"apiVersion":'
        + api_version
        + b',"metadata":'
        + meta
        + b',"items":['
        + items
        + b"]}"
    )


def partial_list_body(
    out: Output,
    entries: list[Entry],
    *,
    resource_version: int | str,
    token: str | None = None,
    remaining: int | None = None,
) -> bytes:
    items = b",".join(partial_metadata(e, out.meta_version) for e in entries)
    meta = dumps(_list_meta(resource_version, token, remaining))
    return (
        b'{"kind":"PartialObjectMetadataList","apiVersion":"'
        + out.meta_api_version.encode()
        + b'","metadata":'
        + meta
        + b',"items":['
        + items
        + b"]}"
    )


def check_include(include: str | None) -> str:
    value = include or ""
    if value not in _INCLUDE:
        raise bad_request(f'unrecognized includeObject value: "{value}"')
    return value or "Metadata"


def table_row(
    rdef: ResourceDef, version: str, entry: Entry, *, include: str, meta_version: str, now: datetime
) -> bytes:
    obj = convert(rdef, entry.obj, version)
    cells = dumps(table_row_cells(rdef, version, obj, now=now))
    if include == "None":
        return b'{"cells":' + cells + b',"object":null}'
    embedded = (
        object_json(rdef, entry, version)
        if include == "Object"
        else partial_metadata(entry, meta_version)
    )
    return b'{"cells":' + cells + b',"object":' + embedded + b"}"


def table_body(
    rdef: ResourceDef,
    version: str,
    out: Output,
    entries: list[Entry],
    *,
    include: str,
    now: datetime,
    resource_version: int | str,
    token: str | None = None,
    remaining: int | None = None,
    headers: bool = True,
) -> bytes:
    """A Table of `entries`; without headers as in the watch events after the first."""
    rows = b",".join(
        table_row(rdef, version, e, include=include, meta_version=out.meta_version, now=now)
        for e in entries
    )
    columns = dumps(table_column_definitions(rdef, version)) if headers else b"null"
    meta = dumps(_list_meta(resource_version, token, remaining))
    return (
        b'{"kind":"Table","apiVersion":"'
        + out.meta_api_version.encode()
        + b'","metadata":'
        + meta
        + b',"columnDefinitions":'
        + columns
        + b',"rows":['
        + rows
        + b"]}"
    )
