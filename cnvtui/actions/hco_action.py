"""The base of the actions that patch the HyperConverged CR: strategy, stop and restore.

They need the same permission (patch the one HCO), are hidden for the same first reason (no
HCO seen), read it the same way (fresh, through the API version the server serves) and read a
result back through the version the change was built for; only what follows differs.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cnvtui.actions.base import Action, Change, Permission, Target, View
from cnvtui.actions.context import ActionContext
from cnvtui.actions.hco_api import HcoApi, api_of_kind, methods_of, read_hco, strategy_of
from cnvtui.kube.events import Obj
from cnvtui.kube.resources import HCO
from cnvtui.state.hco import HCO_NAME

__all__ = ["NO_HCO", "HcoAction", "hco_target", "listed"]

NO_HCO = "no HyperConverged CR seen"


def hco_target(api: HcoApi, namespace: str) -> Target:
    """The HCO of `namespace`, addressed through `api`'s version."""
    return Target(api.kind, namespace, HCO_NAME)


def listed(values: Iterable[object]) -> str:
    """ "[LiveMigrate, Evict]": a method list as the previews write it."""
    return "[" + ", ".join(str(v) for v in values) + "]"


class HcoAction(Action):
    """An action whose one patch goes to the HyperConverged CR."""

    def permission(self, ctx: ActionContext) -> Permission:
        return Permission("patch", HCO, ctx.hco_namespace, HCO_NAME)

    def applies(self, view: View) -> str:
        if view.picture.hco is None:
            return NO_HCO
        return self.applies_to_hco(view)

    def applies_to_hco(self, view: View) -> str:
        """Why not, once an HCO is seen ("" when the action makes sense)."""
        return ""

    async def current(self, ctx: ActionContext) -> tuple[Obj, HcoApi]:
        """The HCO as served now and the API version to patch it through."""
        api = await ctx.hco_api()
        return await read_hco(ctx.client, api, ctx.hco_namespace), api

    @staticmethod
    def strategy_in(change: Change, obj: Obj) -> dict[str, Any] | None:
        """The strategy block of `obj`, read where `change` wrote it."""
        return strategy_of(obj, api_of_kind(change.target.kind))

    @classmethod
    def methods_in(cls, change: Change, obj: Obj) -> tuple[str, ...]:
        """The methods in force in `obj`, read where `change` wrote them."""
        return methods_of(cls.strategy_in(change, obj))
