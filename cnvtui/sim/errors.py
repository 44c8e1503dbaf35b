"""API errors as the Kubernetes API server reports them: `Status` objects with code and reason.

Clients branch on `code` and `reason` (and kubectl prints `message`), so the wording follows
the real server's formats.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

Json = dict[str, Any]


class FieldProblem(Protocol):
    """One cause of a 422 (schema.FieldError is one)."""

    @property
    def field(self) -> str: ...
    @property
    def reason(self) -> str: ...
    @property
    def message(self) -> str: ...


class ApiError(Exception):
    """An error the server answers with a `Status` body."""

    def __init__(self, code: int, reason: str, message: str, details: Json | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details

    def status(self) -> Json:
        """The `Status` object a real server sends for this error."""
        body: Json = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "details": self.details if self.details is not None else {},
            "code": self.code,
        }
        if not body["reason"]:
            del body["reason"]
        return body

    def __repr__(self) -> str:
        return f"ApiError({self.code}, {self.reason!r}, {self.message!r})"


def qualified(group: str, plural: str) -> str:
    """`plural.group` as the server names a resource in messages (`pods` for the core group)."""
    return f"{plural}.{group}" if group else plural


def _details(group: str, plural: str, name: str | None) -> Json:
    details: Json = {}
    if name:
        details["name"] = name
    if group:
        details["group"] = group
    details["kind"] = plural
    return details


def not_found(group: str, plural: str, name: str) -> ApiError:
    return ApiError(
        404,
        "NotFound",
        f'{qualified(group, plural)} "{name}" not found',
        _details(group, plural, name),
    )


def path_not_found() -> ApiError:
    return ApiError(404, "NotFound", "the server could not find the requested resource")


def already_exists(group: str, plural: str, name: str) -> ApiError:
    return ApiError(
        409,
        "AlreadyExists",
        f'{qualified(group, plural)} "{name}" already exists',
        _details(group, plural, name),
    )


def conflict(group: str, plural: str, name: str, why: str | None = None) -> ApiError:
    why = why or (
        "the object has been modified; please apply your changes to the latest version and "
        "try again"
    )
    return ApiError(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {qualified(group, plural)} "{name}": {why}',
        _details(group, plural, name),
    )


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


def method_not_allowed() -> ApiError:
    return ApiError(
        405, "MethodNotAllowed", "the server does not allow this method on the requested resource"
    )


def unsupported_media_type(accepted: str) -> ApiError:
    return ApiError(
        415,
        "UnsupportedMediaType",
        "the body of the request was in an unknown format - accepted media types include: "
        + accepted,
    )


def not_acceptable(message: str) -> ApiError:
    return ApiError(406, "NotAcceptable", message)


def gone(message: str) -> ApiError:
    return ApiError(410, "Expired", message)


def too_old_resource_version(requested: int, oldest: int) -> ApiError:
    return gone(f"too old resource version: {requested} ({oldest})")


def unauthorized() -> ApiError:
    return ApiError(401, "Unauthorized", "Unauthorized")


def forbidden(group: str, plural: str, name: str | None, why: str) -> ApiError:
    if not plural:
        message = f"forbidden: {why}"
    elif name:
        message = f'{qualified(group, plural)} "{name}" is forbidden: {why}'
    else:
        message = f"{qualified(group, plural)} is forbidden: {why}"
    return ApiError(403, "Forbidden", message, _details(group, plural, name) if plural else {})


def internal(message: str) -> ApiError:
    return ApiError(500, "InternalError", f"Internal error occurred: {message}")


def invalid(kind: str, group: str, name: str, field_errors: Sequence[FieldProblem]) -> ApiError:
    """422 Invalid: `Kind.group "name" is invalid: <field>: <message>` with one cause each."""
    causes = [{"reason": e.reason, "message": e.message, "field": e.field} for e in field_errors]
    texts = [f"{e.field}: {e.message}" for e in field_errors]
    joined = texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]"
    gk = f"{kind}.{group}" if group else kind
    details: Json = {"name": name} if name else {}
    if group:
        details["group"] = group
    details["kind"] = kind
    details["causes"] = causes
    return ApiError(422, "Invalid", f'{gk} "{name}" is invalid: {joined}', details)


def patch_failed() -> ApiError:
    """What the server answers when a JSON patch cannot be applied (including a failed `test`).

    The apiserver builds this with `NewGenericServerResponse(422, ...)`, which drops the
    patch library's own message, so kubectl shows the generic text below.
    """
    return ApiError(
        422, "Invalid", "the server rejected our request due to an error in our request", {}
    )
