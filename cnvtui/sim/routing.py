"""Turning a request's method and path into what the API server must do (its RequestInfo).

Follows the apiserver's path grammar: `/api/v1/...` and `/apis/<group>/<version>/...`,
`namespaces/<ns>/<plural>[/<name>[/<subresource>]]`, cluster-wide collections, the legacy
`/watch/` prefix, and `namespaces/<name>/status` being a namespace's own subresource.
"""

from __future__ import annotations

from dataclasses import dataclass

from cnvtui.sim.catalog import ResourceDef
from cnvtui.sim.errors import method_not_allowed, path_not_found
from cnvtui.sim.store import Store

_NAMESPACE_SUBRESOURCES = ("status", "finalize")
_TRUE = ("true", "1")


@dataclass(frozen=True)
class ResourceRequest:
    """A request on a resource: the verb as RBAC names it and what it addresses."""

    verb: str  # get list watch create update patch delete deletecollection
    rdef: ResourceDef
    version: str
    namespace: str | None
    name: str | None
    subresource: str | None

    @property
    def group(self) -> str:
        return self.rdef.group

    @property
    def plural(self) -> str:
        return self.rdef.plural

    @property
    def rbac_resource(self) -> str:
        return f"{self.plural}/{self.subresource}" if self.subresource else self.plural


def _verb(method: str, has_name: bool, watch: bool) -> str | None:
    if method in ("GET", "HEAD"):
        if watch:
            return "watch"
        return "get" if has_name else "list"
    if method == "POST":
        return None if has_name else "create"
    if method == "PUT":
        return "update" if has_name else None
    if method == "PATCH":
        return "patch" if has_name else None
    if method == "DELETE":
        return "delete" if has_name else "deletecollection"
    return None


def resolve(
    store: Store, method: str, segments: list[str], query_watch: str | None
) -> ResourceRequest:
    """The resource request that `segments` (the path after the prefix) address.

    `segments` starts with the group and version: `["", "v1", ...]` for the core group.
    404 for unknown groups, versions, resources and path shapes; 405 for a method the
    path does not take.
    """
    group, version, rest = segments[0], segments[1], segments[2:]
    watch_prefix = bool(rest) and rest[0] == "watch"
    if watch_prefix:
        rest = rest[1:]
    if not rest:
        raise path_not_found()
    namespace: str | None = None
    if rest[0] == "namespaces" and len(rest) >= 3 and rest[2] not in _NAMESPACE_SUBRESOURCES:
        namespace = rest[1]
        rest = rest[2:]
        if not namespace:
            raise path_not_found()
    plural = rest[0]
    try:
        rdef = store.resource(group, plural)
    except KeyError:
        raise path_not_found() from None
    vdef = rdef.version(version)
    if vdef is None or not vdef.served:
        raise path_not_found()
    name: str | None = rest[1] if len(rest) > 1 else None
    subresource: str | None = rest[2] if len(rest) > 2 else None
    if len(rest) > 3 or name == "":
        raise path_not_found()
    if namespace is not None and not rdef.namespaced:
        raise path_not_found()
    if subresource is not None and (subresource != "status" or not rdef.has_status):
        raise path_not_found()
    if rdef.namespaced and namespace is None and name is not None:
        raise path_not_found()
    watch = watch_prefix or (query_watch or "").lower() in _TRUE
    verb = _verb(method, name is not None, watch)
    if verb is None or verb not in rdef.verbs:
        raise method_not_allowed()
    if rdef.namespaced and namespace is None and verb not in ("list", "watch"):
        raise method_not_allowed()
    if subresource is not None and verb not in ("get", "update", "patch"):
        raise method_not_allowed()
    return ResourceRequest(verb, rdef, version, namespace, name, subresource)
