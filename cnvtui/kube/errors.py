"""Errors of the access layer, shaped for people: one line, the HTTP facts, never a secret.

`ConfigError` stops the program before the UI starts; `ApiError` carries a failed response
upward so the watch loop can turn it into a stream state and the writer into a result.
"""

from __future__ import annotations

import json
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

REDACTED = "<redacted>"


class ConfigError(Exception):
    """The cluster connection could not be configured; the message is one clear line."""


class Unreachable(Exception):
    """A request got no HTTP answer (connection refused, DNS, TLS, timeout)."""


@dataclass(eq=False)
class ApiError(Exception):
    """A non-2xx answer, with what the `Status` body said (if it was one).

    Not frozen: the interpreter sets attributes such as `__notes__` on exceptions.
    """

    code: int
    reason: str
    message: str
    retry_after: float | None = None
    status: dict[str, Any] | None = None

    def __str__(self) -> str:
        return f"{self.code} {self.reason}: {self.message}" if self.message else str(self.code)

    @property
    def causes(self) -> list[str]:
        """The `reason` of each entry in `details.causes` (e.g. ResourceVersionTooLarge)."""
        details = (self.status or {}).get("details")
        causes = details.get("causes") if isinstance(details, dict) else None
        if not isinstance(causes, list):
            return []
        return [str(c.get("reason", "")) for c in causes if isinstance(c, dict)]


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def api_error_from_body(
    code: int, http_reason: str, body: bytes, retry_after: str | None = None
) -> ApiError:
    """Build an ApiError from a response body, using the `Status` fields when present."""
    status: dict[str, Any] | None = None
    try:
        parsed = json.loads(body) if body else None
    except (ValueError, UnicodeDecodeError):
        parsed = None
    if isinstance(parsed, dict) and parsed.get("kind") == "Status":
        status = parsed
    reason = str(status.get("reason") or "") if status else ""
    message = str(status.get("message") or "") if status else ""
    if not message and body and status is None:
        message = one_line(body.decode("utf-8", "replace"))
    return ApiError(
        code=code,
        reason=reason or http_reason or "Error",
        message=message,
        retry_after=parse_retry_after(retry_after),
        status=status,
    )


def api_error_from_status(status: dict[str, Any]) -> ApiError:
    """An ApiError from a `Status` object sent as a watch ERROR event."""
    code = status.get("code")
    return ApiError(
        code=code if isinstance(code, int) else 500,
        reason=str(status.get("reason") or "Error"),
        message=str(status.get("message") or ""),
        status=status,
    )


def unreachable_reason(exc: BaseException, limit: int = 200) -> str:
    """One line for a request that got no HTTP answer. A failed certificate check says so
    plainly (and what failed), rather than as a nested connector error."""
    cert = getattr(exc, "certificate_error", None)
    if isinstance(cert, ssl.SSLCertVerificationError):
        what = cert.verify_message or cert.reason or "certificate verify failed"
        return one_line(
            f"TLS verification failed ({what}): check the server address and the "
            "certificate-authority of the kubeconfig",
            limit,
        )
    if isinstance(cert, BaseException):
        return one_line(f"TLS verification failed: {cert}", limit)
    return one_line(str(exc) or type(exc).__name__, limit)


def one_line(text: str, limit: int = 300) -> str:
    """Collapse whitespace and cut long text, so a message fits a status line."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def redact(text: str, secrets: Iterable[str]) -> str:
    """Replace every occurrence of each secret (tokens, passwords) in `text`."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, REDACTED)
    return text
