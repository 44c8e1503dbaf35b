"""Can the user do it? One SelfSubjectAccessReview per permission, asked before offering.

Answers are cached: the footer asks on every redraw, the server only once per permission until
`refresh()` (on a config reload, since a new login may be a new user). A 403 met while writing
overrides the cached answer, so the key greys out instead of failing twice. When the review
itself cannot be sent the answer is "unknown": the action stays offered, and the server has the
last word. In read-only mode nothing is asked: no request of any kind leaves for a write.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from cnvtui.actions.base import Permission
from cnvtui.kube.writer import AccessAnswer, Writer

__all__ = ["Permissions"]


class Permissions:
    """Cached SelfSubjectAccessReviews for the writer's credentials."""

    def __init__(self, writer: Writer) -> None:
        self.writer = writer
        self._answers: dict[Permission, AccessAnswer] = {}
        self._asking: dict[Permission, asyncio.Task[AccessAnswer]] = {}
        self.reviews_sent = 0

    def cached(self, permission: Permission) -> AccessAnswer | None:
        """The answer already known, or None (not asked yet)."""
        return self._answers.get(permission)

    async def check(self, permission: Permission) -> AccessAnswer:
        """The cached answer, else ask the server (one review per permission in flight)."""
        known = self._answers.get(permission)
        if known is not None:
            return known
        if self.writer.read_only:
            return AccessAnswer(None, "read-only mode: no access review sent")
        task = self._asking.get(permission)
        if task is None:
            task = asyncio.ensure_future(self._ask(permission))
            self._asking[permission] = task
        try:
            return await asyncio.shield(task)
        finally:
            if task.done():
                self._asking.pop(permission, None)

    async def _ask(self, permission: Permission) -> AccessAnswer:
        self.reviews_sent += 1
        answer = await self.writer.can_i(
            permission.verb, permission.kind, namespace=permission.namespace, name=permission.name
        )
        if answer.allowed is not None:
            self._answers[permission] = answer
        return answer

    async def check_all(self, permissions: Iterable[Permission]) -> dict[Permission, AccessAnswer]:
        """Ask for several permissions at once (the distinct ones)."""
        unique = list(dict.fromkeys(permissions))
        answers = await asyncio.gather(*(self.check(p) for p in unique))
        return dict(zip(unique, answers, strict=True))

    async def refresh(self, permissions: Iterable[Permission]) -> dict[Permission, AccessAnswer]:
        """Forget every answer and ask again (after a reload of the credentials)."""
        self._answers.clear()
        return await self.check_all(permissions)

    def mark_denied(self, permission: Permission, reason: str) -> None:
        """Record a 403 met while writing: the server has spoken."""
        self._answers[permission] = AccessAnswer(False, reason)

    @staticmethod
    def explain(permission: Permission, answer: AccessAnswer | None) -> str:
        """Why the action is unavailable ("" when it is allowed or unknown)."""
        if answer is None or answer.allowed is not False:
            return ""
        return f"not permitted: needs {permission.describe()}"
