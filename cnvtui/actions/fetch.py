"""Fresh reads for previews: an action never builds a patch from a possibly stale cache.

The store behind the picture can lag the cluster by a watch round-trip, so a preview reads the
object itself; the `test` operations then guard the time between preview and confirmation.
Failures become `Refused` with one clear line.
"""

from __future__ import annotations

import asyncio
import json

import aiohttp

from cnvtui.actions.base import Refused
from cnvtui.kube.client import KubeClient
from cnvtui.kube.errors import api_error_from_body, one_line
from cnvtui.kube.events import Obj
from cnvtui.kube.resources import ResourceKind
from cnvtui.state.views import as_str, dig

__all__ = ["get_object", "list_objects", "resource_version", "served_versions"]

READ_TIMEOUT = 15.0


async def _get(client: KubeClient, path: str, what: str, within: float) -> object:
    try:
        async with asyncio.timeout(within):
            response = await client.request("GET", path)
            async with response:
                status, reason, raw = response.status, response.reason or "", await response.read()
    except TimeoutError:
        raise Refused(f"no answer from the API server within {within:g} s reading {what}") from None
    except (aiohttp.ClientError, OSError, RuntimeError) as exc:
        detail = client.redact(one_line(str(exc) or type(exc).__name__, 160))
        raise Refused(f"cannot reach the API server to read {what}: {detail}") from None
    if status == 200:
        try:
            return json.loads(raw)
        except ValueError:
            raise Refused(f"the API server sent unreadable JSON for {what}") from None
    err = api_error_from_body(status, reason, raw)
    if status == 401:
        raise Refused("unauthorized: the credentials were rejected (expired?); log in again")
    if status == 403:
        raise Refused(f"forbidden: cannot read {what}: {client.redact(one_line(err.message))}")
    if status == 404:
        raise Refused(f"{what} does not exist (any more)")
    raise Refused(f"reading {what} failed: {status} {client.redact(one_line(err.message))}")


async def get_object(
    client: KubeClient,
    kind: ResourceKind,
    namespace: str | None,
    name: str,
    *,
    within: float = READ_TIMEOUT,
) -> Obj:
    """The object as the server has it now."""
    where = f"{namespace}/" if namespace and kind.namespaced else ""
    body = await _get(client, kind.path(namespace, name), f"{kind.kind} {where}{name}", within)
    if not isinstance(body, dict):
        raise Refused(f"the API server sent something other than a {kind.kind}")
    return body


async def served_versions(
    client: KubeClient, group: str, *, within: float = READ_TIMEOUT
) -> tuple[str, ...]:
    """The versions the server serves for `group` (discovery), preferred first."""
    body = await _get(client, f"/apis/{group}", f"the API group {group}", within)
    if not isinstance(body, dict):
        return ()
    versions = [
        str(v.get("version"))
        for v in body.get("versions") or []
        if isinstance(v, dict) and v.get("version")
    ]
    preferred = body.get("preferredVersion")
    first = preferred.get("version") if isinstance(preferred, dict) else None
    if isinstance(first, str) and first in versions:
        versions.remove(first)
        versions.insert(0, first)
    return tuple(versions)


async def list_objects(
    client: KubeClient,
    kind: ResourceKind,
    namespace: str | None,
    *,
    within: float = READ_TIMEOUT,
) -> list[Obj]:
    """The objects of `kind` in `namespace` (all namespaces for None), fresh."""
    where = f" in {namespace}" if namespace and kind.namespaced else ""
    body = await _get(client, kind.path(namespace), f"the {kind.plural}{where}", within)
    items = body.get("items") if isinstance(body, dict) else None
    return [item for item in items or [] if isinstance(item, dict)]


def resource_version(obj: Obj) -> str:
    """The version of `obj` as read: what a change records it saw (`Change.seen_version`)."""
    return as_str(dig(obj, "metadata", "resourceVersion"))
