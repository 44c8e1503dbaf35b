"""ObjectMeta as the apiserver handles it on writes: type checks, name and label validation,
the fields only the server sets, and what each kind's strategy resets on create.
"""

from __future__ import annotations

import json
import re
from typing import Any

from cnvtui.sim.catalog import ResourceDef
from cnvtui.sim.errors import bad_request, conflict, invalid
from cnvtui.sim.schema import FieldError
from cnvtui.sim.selectors import valid_label_key, valid_label_value

Json = dict[str, Any]

NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789"
_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "
    "or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex "
    r"used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
_LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
    "and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', "
    "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
_META_ORDER = (
    "name",
    "generateName",
    "namespace",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "labels",
    "annotations",
    "ownerReferences",
    "finalizers",
)
SERVER_META = ("uid", "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp")


def parse_resource_version(value: str | None) -> int:
    """0 for "" or "0"; 400 when not a resourceVersion this server hands out."""
    if value is None or value in ("", "0"):
        return 0
    if not value.isdigit():
        raise bad_request(f'invalid resource version "{value}"')
    return int(value)


def check_type(rdef: ResourceDef, obj: Any) -> str:
    """The version `obj` is written in; 400 when it is not this resource's kind."""
    if not isinstance(obj, dict):
        raise bad_request(
            "the object provided is unrecognized (must be of type "
            f"{rdef.kind}): couldn't get version/kind; json parse error: "
            "cannot unmarshal into Go value of type struct"
        )
    api_version = obj.get("apiVersion")
    kind = obj.get("kind")
    if not rdef.is_crd:
        api_version = api_version or rdef.api_version()
        kind = kind or rdef.kind
    if not isinstance(kind, str) or not kind:
        raise bad_request(f"Object 'Kind' is missing in '{short_json(obj)}'")
    if not isinstance(api_version, str) or not api_version:
        raise bad_request(f"Object 'apiVersion' is missing in '{short_json(obj)}'")
    group, _, version = api_version.rpartition("/")
    vdef = rdef.version(version)
    if group != rdef.group or vdef is None or not vdef.served:
        raise bad_request(
            f"the API version in the data ({api_version}) does not match the expected "
            f"API version ({rdef.api_version()})"
        )
    if kind != rdef.kind:
        raise bad_request(
            f"the kind in the data ({kind}) does not match the expected kind ({rdef.kind})"
        )
    return version


def namespace_for(rdef: ResourceDef, meta: Json, namespace: str | None) -> str:
    if not rdef.namespaced:
        return ""
    body_ns = meta.get("namespace") or ""
    if not isinstance(body_ns, str):
        raise bad_request(type_message("metadata.namespace", body_ns, "string"))
    if namespace and body_ns and body_ns != namespace:
        raise bad_request(
            "the namespace of the provided object does not match the namespace sent on the request"
        )
    ns = namespace or body_ns
    if not ns:
        raise bad_request("an empty namespace may not be set during creation")
    return ns


def meta_errors(rdef: ResourceDef, meta: Json, name: str) -> list[FieldError]:
    errors: list[FieldError] = []
    if not name:
        errors.append(
            field_error("metadata.name", "Required value: name or generateName is required")
        )
    elif not isinstance(name, str):
        raise bad_request(type_message("metadata.name", name, "string"))
    else:
        pattern, message, limit = (
            (_LABEL, _LABEL_MSG, 63)
            if rdef.plural == "namespaces"
            else (_SUBDOMAIN, _SUBDOMAIN_MSG, 253)
        )
        if len(name) > limit:
            errors.append(
                field_error(
                    "metadata.name",
                    f'Invalid value: "{name}": must be no more than {limit} characters',
                )
            )
        elif not pattern.match(name):
            errors.append(field_error("metadata.name", f'Invalid value: "{name}": {message}'))
    for field in ("labels", "annotations"):
        value = meta.get(field)
        if value is None:
            continue
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise bad_request(type_message(f"metadata.{field}", value, "map[string]string"))

    for k, v in (meta.get("labels") or {}).items():
        if not valid_label_key(k):
            errors.append(
                field_error(
                    "metadata.labels",
                    f'Invalid value: "{k}": name part must consist of alphanumeric '
                    "characters, '-', '_' or '.', and must start and end with an "
                    "alphanumeric character",
                )
            )
        elif not valid_label_value(v):
            errors.append(
                field_error(
                    "metadata.labels",
                    f'Invalid value: "{v}": a valid label must be an empty string or '
                    "consist of alphanumeric characters, '-', '_' or '.', and must start "
                    "and end with an alphanumeric character",
                )
            )
    finalizers = meta.get("finalizers")
    if finalizers is not None and (
        not isinstance(finalizers, list) or not all(isinstance(f, str) for f in finalizers)
    ):
        raise bad_request(type_message("metadata.finalizers", finalizers, "[]string"))
    owners = meta.get("ownerReferences")
    if owners is not None and (
        not isinstance(owners, list) or not all(isinstance(o, dict) for o in owners)
    ):
        raise bad_request(type_message("metadata.ownerReferences", owners, "[]v1.OwnerReference"))
    return errors


def check_precondition(
    rdef: ResourceDef, meta: Json, current: int, name: str, *, is_patch: bool
) -> None:
    """An update names the version it read: 409 when stale, 422 when a CR names none."""
    rv = meta.get("resourceVersion")
    if rv in (None, ""):
        if rdef.is_crd and not is_patch:
            raise invalid(
                rdef.kind,
                rdef.group,
                name,
                [
                    field_error(
                        "metadata.resourceVersion",
                        "Invalid value: 0x0: must be specified for an update",
                    )
                ],
            )
        return
    if not isinstance(rv, str):
        raise bad_request(type_message("metadata.resourceVersion", rv, "string"))
    if parse_resource_version(rv) != current:
        raise conflict(rdef.group, rdef.plural, name)


def merged_meta(rdef: ResourceDef, meta: Json, old_meta: Json, name: str) -> Json:
    """The client's metadata with what only the server may set taken from the old one."""
    uid = meta.get("uid")
    if uid and uid != old_meta.get("uid"):
        raise invalid(
            rdef.kind,
            rdef.group,
            name,
            [field_error("metadata.uid", f'Invalid value: "{uid}": field is immutable')],
        )
    new = {k: v for k, v in meta.items() if k not in SERVER_META}
    new.pop("managedFields", None)
    new.pop("selfLink", None)
    for field in (*SERVER_META, "deletionGracePeriodSeconds", "namespace", "name"):
        if field in old_meta:
            new[field] = old_meta[field]
        else:
            new.pop(field, None)
    if old_meta.get("deletionTimestamp"):
        added = set(new.get("finalizers") or []) - set(old_meta.get("finalizers") or [])
        if added:
            raise invalid(
                rdef.kind,
                rdef.group,
                name,
                [
                    field_error(
                        "metadata.finalizers",
                        f"Forbidden: no new finalizers can be added if the object is being "
                        f'deleted, found new finalizers []string{{"{sorted(added)[0]}"}}',
                    )
                ],
            )
    return new


def field_error(field: str, message: str) -> FieldError:
    reason = (
        "FieldValueRequired"
        if message.startswith("Required")
        else ("FieldValueForbidden" if message.startswith("Forbidden") else "FieldValueInvalid")
    )
    return FieldError(field, reason, message)


def metadata_of(obj: Json) -> Json:
    meta = obj.get("metadata")
    if meta is None:
        return {}
    if not isinstance(meta, dict):
        raise bad_request(type_message("metadata", meta, "v1.ObjectMeta"))
    return meta


def type_message(field: str, value: Any, go_type: str) -> str:
    kind = {dict: "object", list: "array", str: "string", bool: "bool"}.get(type(value), "number")
    return f"json: cannot unmarshal {kind} into Go struct field {field} of type {go_type}"


def short_json(obj: Json) -> str:
    text = json.dumps(obj, separators=(",", ":"))
    return text if len(text) <= 200 else text[:200] + "..."


def ordered_meta(meta: Json, rv: int) -> Json:
    out: Json = {}
    meta = dict(meta)
    meta["resourceVersion"] = str(rv)
    for k in _META_ORDER:
        if k in meta:
            out[k] = meta[k]
    for k, v in meta.items():
        if k not in out:
            out[k] = v
    return out


def spec_of(obj: Json, rdef: ResourceDef) -> Json:
    skip = ("metadata", "status") if rdef.has_status else ("metadata",)
    return {k: v for k, v in obj.items() if k not in skip}


def prepare_create(rdef: ResourceDef, obj: Json, name: str) -> None:
    """What each kind's create strategy resets (status of CRs with a status subresource...)."""
    if rdef.is_crd:
        if rdef.has_status:
            obj.pop("status", None)
        return
    if rdef.plural == "namespaces":
        meta = obj["metadata"]
        labels = dict(meta.get("labels") or {})
        labels["kubernetes.io/metadata.name"] = name
        meta["labels"] = labels
        spec = dict(obj.get("spec") or {})
        spec.setdefault("finalizers", ["kubernetes"])
        obj["spec"] = spec
        obj["status"] = {"phase": "Active"}
    elif rdef.plural == "pods":
        obj["status"] = {"phase": "Pending", "qosClass": "BestEffort"}
