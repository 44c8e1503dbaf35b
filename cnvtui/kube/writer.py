"""The one door through which cnvtui changes a cluster.

Every write is rate-limited (a held key must not flood a production API server), sent with
the content type its patch kind needs, and answered with a `WriteResult` whose message a
person can act on; nothing here raises for an API or network failure. In read-only mode
the writer refuses every write before anything is sent, so read-only holds even if a
screen forgets to hide a key.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

import aiohttp
from asyncio_throttle.throttler import Throttler

from cnvtui.kube.client import KubeClient
from cnvtui.kube.errors import api_error_from_body, one_line
from cnvtui.kube.events import Obj
from cnvtui.kube.resources import ResourceKind

JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
# What the apiserver says when a JSON patch cannot be applied, e.g. a failed `test` op.
_GENERIC_422 = "the server rejected our request due to an error in our request"
_ACCESS_REVIEWS = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"


@dataclass(frozen=True, slots=True)
class WriteResult:
    """What came of one write. `code` is the HTTP status, 0 when none came back."""

    ok: bool
    code: int
    reason: str
    message: str
    obj: Obj | None = None
    sent: bool = True

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True, slots=True)
class AccessAnswer:
    """A SelfSubjectAccessReview's verdict; `allowed` is None when we could not ask."""

    allowed: bool | None
    reason: str


class Writer:
    """Rate-limited, read-only-aware writes; see the module docstring."""

    def __init__(
        self,
        client: KubeClient,
        *,
        read_only: bool = False,
        rate_limit: int = 5,
        period: float = 1.0,
        timeout: float = 30.0,
    ) -> None:
        self.client = client
        self.read_only = read_only
        self.timeout = timeout
        self._throttler = Throttler(rate_limit=rate_limit, period=period)

    async def json_patch(
        self,
        kind: ResourceKind,
        name: str,
        operations: list[dict[str, Any]],
        *,
        namespace: str | None = None,
        subresource: str | None = None,
        dry_run: bool = False,
    ) -> WriteResult:
        """Apply an RFC 6902 patch; a failing `test` operation comes back as 422."""
        if not isinstance(operations, list) or not all(
            isinstance(op, dict) and "op" in op and "path" in op for op in operations
        ):
            return _refused("Invalid", "a JSON patch must be a list of operations with op/path")
        result = await self._patch(
            kind,
            name,
            operations,
            content_type=JSON_PATCH,
            namespace=namespace,
            subresource=subresource,
            dry_run=dry_run,
        )
        tested = any(op.get("op") == "test" for op in operations)
        if result.code == 422 and tested and _GENERIC_422 in result.message:
            what = _what(kind, namespace, name)
            message = (
                f"rejected: {what} no longer holds the value the patch tests for "
                "(it changed since it was read); nothing was changed"
            )
            return dataclasses.replace(result, message=message)
        return result

    async def merge_patch(
        self,
        kind: ResourceKind,
        name: str,
        patch: dict[str, Any],
        *,
        namespace: str | None = None,
        subresource: str | None = None,
        dry_run: bool = False,
    ) -> WriteResult:
        """Apply an RFC 7386 merge patch (null deletes a key, lists are replaced whole)."""
        return await self._patch(
            kind,
            name,
            patch,
            content_type=MERGE_PATCH,
            namespace=namespace,
            subresource=subresource,
            dry_run=dry_run,
        )

    async def create(
        self,
        kind: ResourceKind,
        body: Obj,
        *,
        namespace: str | None = None,
        dry_run: bool = False,
    ) -> WriteResult:
        """Create an object of `kind` (in `namespace` if the kind is namespaced)."""
        name = str((body.get("metadata") or {}).get("name") or "(generated)")
        what = _what(kind, namespace, name)
        return await self._send(
            "POST", kind.path(namespace), body, content_type=None, what=what, dry_run=dry_run
        )

    async def can_i(
        self,
        verb: str,
        kind: ResourceKind,
        *,
        namespace: str | None = None,
        name: str | None = None,
        subresource: str | None = None,
    ) -> AccessAnswer:
        """Ask the server whether we may `verb` on `kind` (a SelfSubjectAccessReview).

        Allowed in read-only mode: the review is a question, it changes nothing.
        """
        attributes = {"verb": verb, "group": kind.group, "resource": kind.plural}
        if namespace and kind.namespaced:
            attributes["namespace"] = namespace
        if name:
            attributes["name"] = name
        if subresource:
            attributes["subresource"] = subresource
        review = {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SelfSubjectAccessReview",
            "spec": {"resourceAttributes": attributes},
        }
        result = await self._request(
            "POST", _ACCESS_REVIEWS, review, content_type=None, what="an access review"
        )
        status = (result.obj or {}).get("status") if result.ok else None
        if not isinstance(status, dict):
            return AccessAnswer(None, result.message)
        allowed = bool(status.get("allowed")) and not status.get("denied")
        reason = str(status.get("reason") or status.get("evaluationError") or "")
        return AccessAnswer(allowed, reason)

    async def _patch(
        self,
        kind: ResourceKind,
        name: str,
        body: Any,
        *,
        content_type: str,
        namespace: str | None,
        subresource: str | None,
        dry_run: bool,
    ) -> WriteResult:
        path = kind.path(namespace, name) + (f"/{subresource}" if subresource else "")
        what = _what(kind, namespace, name)
        return await self._send(
            "PATCH", path, body, content_type=content_type, what=what, dry_run=dry_run
        )

    async def _send(
        self,
        method: str,
        path: str,
        body: Any,
        *,
        content_type: str | None,
        what: str,
        dry_run: bool,
    ) -> WriteResult:
        if self.read_only:
            return _refused("ReadOnly", f"read-only mode: {what} was not changed (nothing sent)")
        query = [("dryRun", "All")] if dry_run else None
        return await self._request(
            method, path, body, content_type=content_type, what=what, query=query
        )

    async def _request(
        self,
        method: str,
        path: str,
        body: Any,
        *,
        content_type: str | None,
        what: str,
        query: list[tuple[str, str]] | None = None,
    ) -> WriteResult:
        headers = {"Content-Type": content_type or "application/json"}
        timeout = aiohttp.ClientTimeout(total=self.timeout, sock_connect=min(10.0, self.timeout))
        try:
            async with self._throttler:
                response = await self.client.request(
                    method, path, query=query, headers=headers, body=body, timeout=timeout
                )
                async with response:
                    status, http_reason = response.status, response.reason or ""
                    raw = await response.read()
                    retry_after = response.headers.get("Retry-After")
        except TimeoutError:
            return WriteResult(
                False,
                0,
                "Timeout",
                f"no answer from the API server within {self.timeout:g} s; "
                f"{what} may or may not have been changed: check before retrying",
            )
        except (aiohttp.ClientError, OSError, RuntimeError) as exc:
            detail = self.client.redact(one_line(str(exc) or type(exc).__name__, 160))
            return WriteResult(
                False, 0, "Unreachable", f"cannot reach the API server: {detail}", sent=False
            )
        if 200 <= status < 300:
            try:
                obj = json.loads(raw) if raw else None
            except ValueError:
                obj = None
            return WriteResult(True, status, "OK", f"{what}: done", obj if _is_obj(obj) else None)
        err = api_error_from_body(status, http_reason, raw, retry_after)
        message = self.client.redact(_explain(status, err.message, what, err.retry_after))
        return WriteResult(False, status, err.reason, message, err.status)


def _is_obj(value: Any) -> bool:
    return isinstance(value, dict)


def _what(kind: ResourceKind, namespace: str | None, name: str) -> str:
    where = f"{namespace}/" if namespace and kind.namespaced else ""
    return f"{kind.kind} {where}{name}"


def _refused(reason: str, message: str) -> WriteResult:
    return WriteResult(False, 0, reason, message, sent=False)


def _explain(code: int, server_message: str, what: str, retry_after: float | None) -> str:
    """One line that says what went wrong and what to do, in the user's terms."""
    said = one_line(server_message, 240)
    if code == 401:
        return "unauthorized: the credentials were rejected (expired?); log in again and reload"
    if code == 403:
        return f"forbidden: {said}" if said else f"forbidden: not allowed to change {what}"
    if code == 404:
        return f"not found: {what} does not exist (or its API is not installed)"
    if code == 409:
        tail = f" ({said})" if said else ""
        return f"conflict: {what} changed since it was read; reload and try again{tail}"
    if code == 415:
        return f"the server does not accept this kind of patch for {what}: {said}"
    if code == 422:
        return f"rejected: {said}" if said else f"rejected: the change to {what} is invalid"
    if code == 429:
        wait = f" in {retry_after:g} s" if retry_after is not None else " shortly"
        return f"the API server is throttling requests: try again{wait}"
    if code >= 500:
        tail = f": {said}" if said else ""
        return f"server error {code}{tail}; {what} was probably not changed, try again"
    return f"{code}: {said}" if said else f"the server answered {code}"
