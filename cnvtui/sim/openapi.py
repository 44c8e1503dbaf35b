"""OpenAPI v3 documents (`/openapi/v3` and one per group-version), built from the catalog.

kubectl reads them before `create -f`/`apply` (to learn that the server validates fields
itself, from the `fieldValidation` parameter of each PATCH operation) and for `explain`
(the schemas, found by their `x-kubernetes-group-version-kind`). The schemas are the CRDs'
own; the core kinds, whose schemas the catalog does not carry, are plain objects.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from cnvtui.sim.catalog import ResourceDef
from cnvtui.sim.errors import path_not_found

Json = dict[str, Any]

_QUERY = ("dryRun", "fieldManager", "fieldValidation", "pretty")
_LIST_QUERY = (
    "allowWatchBookmarks",
    "continue",
    "fieldSelector",
    "labelSelector",
    "limit",
    "resourceVersion",
    "resourceVersionMatch",
    "sendInitialEvents",
    "timeoutSeconds",
    "watch",
)


def _schema_name(rdef: ResourceDef, version: str) -> str:
    group = ".".join(reversed(rdef.group.split("."))) if rdef.group else "io.k8s.api.core"
    return f"{group}.{version}.{rdef.kind}"


def _params(names: tuple[str, ...], path_params: tuple[str, ...]) -> list[Json]:
    params = [
        {"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
        for p in path_params
    ]
    params += [{"name": n, "in": "query", "schema": {"type": "string"}} for n in names]
    return params


def _operation(rdef: ResourceDef, version: str, action: str, params: list[Json], ref: str) -> Json:
    content = {"application/json": {"schema": {"$ref": ref}}}
    op: Json = {
        "operationId": f"{action}{rdef.kind}",
        "parameters": params,
        "responses": {"200": {"description": "OK", "content": content}},
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": {
            "group": rdef.group,
            "version": version,
            "kind": rdef.kind,
        },
    }
    if action in ("post", "put", "patch"):
        op["requestBody"] = {"content": content}
    return op


def _paths(rdef: ResourceDef, version: str, ref: str) -> Json:
    prefix = f"/apis/{rdef.group}/{version}" if rdef.group else f"/api/{version}"
    scope = ("namespace",) if rdef.namespaced else ()
    base = (
        f"{prefix}/namespaces/{{namespace}}/{rdef.plural}"
        if rdef.namespaced
        else (f"{prefix}/{rdef.plural}")
    )
    collection: Json = {}
    item: Json = {}
    if "list" in rdef.verbs:
        collection["get"] = _operation(rdef, version, "list", _params(_LIST_QUERY, scope), ref)
    if "create" in rdef.verbs:
        collection["post"] = _operation(rdef, version, "post", _params(_QUERY, scope), ref)
    named = (*scope, "name")
    if "get" in rdef.verbs:
        item["get"] = _operation(rdef, version, "get", _params(("pretty",), named), ref)
    if "update" in rdef.verbs:
        item["put"] = _operation(rdef, version, "put", _params(_QUERY, named), ref)
    if "patch" in rdef.verbs:
        patch_params = _params((*_QUERY, "force"), named)
        item["patch"] = _operation(rdef, version, "patch", patch_params, ref)
    if "delete" in rdef.verbs:
        item["delete"] = _operation(rdef, version, "delete", _params(_QUERY, named), ref)
    paths: Json = {}
    if collection:
        paths[base] = collection
    if item:
        paths[f"{base}/{{name}}"] = item
    return paths


class OpenApi:
    """The v3 root document and the per-group-version documents (computed once)."""

    def __init__(self, resources: list[ResourceDef]) -> None:
        docs: dict[str, Json] = {}
        for rdef in resources:
            for ver in rdef.versions:
                if not ver.served:
                    continue
                key = f"apis/{rdef.group}/{ver.name}" if rdef.group else f"api/{ver.name}"
                doc = docs.setdefault(
                    key,
                    {
                        "openapi": "3.0.0",
                        "info": {"title": "Kubernetes", "version": "v1.0.0"},
                        "paths": {},
                        "components": {"schemas": {}},
                    },
                )
                name = _schema_name(rdef, ver.name)
                schema: Json = dict(ver.schema) if ver.schema else {"type": "object"}
                schema["x-kubernetes-group-version-kind"] = [
                    {"group": rdef.group, "version": ver.name, "kind": rdef.kind}
                ]
                doc["components"]["schemas"][name] = schema
                ref = f"#/components/schemas/{name}"
                doc["paths"].update(_paths(rdef, ver.name, ref))
        self._docs = {
            key: json.dumps(doc, separators=(",", ":")).encode() for key, doc in docs.items()
        }
        self._hashes = {
            key: hashlib.sha512(body).hexdigest()[:32].upper() for key, body in self._docs.items()
        }

    def root(self) -> bytes:
        paths = {
            key: {"serverRelativeURL": f"/openapi/v3/{key}?hash={digest}"}
            for key, digest in sorted(self._hashes.items())
        }
        return json.dumps({"paths": paths}, separators=(",", ":")).encode()

    def document(self, key: str) -> bytes:
        """The document of `api/v1` or `apis/<group>/<version>` (404 when not served)."""
        body = self._docs.get(key)
        if body is None:
            raise path_not_found()
        return body
