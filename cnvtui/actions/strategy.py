"""Edit the workload update strategy: methods, batch eviction size and interval.

The form validates as the user types (a positive integer; a Go duration such as `1m0s`) and
previews the exact JSON patch and what it means for the VMs that run now: which ones cannot
live migrate and will therefore never be updated, which ones eviction would restart. The
patch tests the strategy block as the user saw it and replaces it whole, at the path of the
HCO version the server serves.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cnvtui.actions.base import Change, Refused
from cnvtui.actions.context import ActionContext
from cnvtui.actions.fetch import resource_version
from cnvtui.actions.hco_action import HcoAction, hco_target, listed
from cnvtui.actions.hco_api import HcoApi, methods_of, strategy_of, strategy_operations
from cnvtui.kube.events import Obj
from cnvtui.state.hco import HCO_NAME
from cnvtui.state.store import Store
from cnvtui.state.views import as_int, as_str
from cnvtui.state.workloads import (
    EVICT,
    EVICT_LIVE_MIGRATE,
    LIVE_MIGRATE,
    NOT_MIGRATABLE,
    OUTDATED,
    RUNNING,
    read_backup,
)

__all__ = [
    "METHOD_CHOICES",
    "EditStrategy",
    "StrategyEdit",
    "choice_of",
    "effect_lines",
    "parse_interval",
    "parse_size",
    "rebase",
    "strategy_change",
]

METHOD_CHOICES: dict[str, tuple[str, ...]] = {
    "LiveMigrate": (LIVE_MIGRATE,),
    "Evict": (EVICT,),
    "both": (LIVE_MIGRATE, EVICT),
    "none": (),
}
"""The four method settings the form offers, by label."""

_UNIT_SECONDS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "μs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}
_DURATION = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
NAMES_SHOWN = 5


def choice_of(methods: Sequence[str]) -> str:
    """The form's label for a method list ("both" for LiveMigrate and Evict in any order)."""
    wanted = set(methods)
    for label, choice in METHOD_CHOICES.items():
        if set(choice) == wanted:
            return label
    return "LiveMigrate"


def parse_size(text: str) -> int:
    """batchEvictionSize: a positive integer, else ValueError with the reason."""
    cleaned = text.strip()
    if not cleaned.isdigit():
        raise ValueError("batch eviction size must be a positive whole number, such as 10")
    value = int(cleaned)
    if value < 1:
        raise ValueError("batch eviction size must be at least 1")
    return value


def go_duration_seconds(text: str) -> float:
    """Seconds in a Go duration ("1m0s", "90s", "1h30m"); ValueError when it is not one."""
    cleaned = text.strip()
    position, total = 0, 0.0
    for match in _DURATION.finditer(cleaned):
        if match.start() != position:
            break
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        position = match.end()
    if not cleaned or position != len(cleaned):
        raise ValueError(
            f"{text!r} is not a Go duration: use a number and a unit (h, m, s, ms), "
            "such as 1m0s, 90s or 2m30s"
        )
    return total


def parse_interval(text: str) -> str:
    """batchEvictionInterval: a positive Go duration, returned as typed (trimmed)."""
    if go_duration_seconds(text) <= 0:
        raise ValueError("batch eviction interval must be longer than zero, such as 1m0s")
    return text.strip()


@dataclass(frozen=True, slots=True)
class StrategyEdit:
    """What the form asks for."""

    methods: tuple[str, ...]
    batch_eviction_size: int
    batch_eviction_interval: str


def _names(keys: list[tuple[str, str]]) -> str:
    shown = ", ".join(f"{ns}/{name}" for ns, name in sorted(keys)[:NAMES_SHOWN])
    more = len(keys) - NAMES_SHOWN
    return shown + (f" and {more} more" if more > 0 else "")


def effect_lines(edit: StrategyEdit, store: Store | None) -> list[str]:
    """What the methods mean for the VMIs running now (from the dashboard's store)."""
    methods = edit.methods
    lines: list[str] = []
    stuck: list[tuple[str, str]] = []
    refused: list[tuple[str, str]] = []
    outdated = running = 0
    if store is not None:
        for key in store.objects("vmi"):
            flags = store.vmi_flag(key)
            outdated += bool(flags & OUTDATED)
            if not flags & RUNNING:
                continue
            running += 1
            if flags & NOT_MIGRATABLE:
                stuck.append(key)
                if flags & EVICT_LIVE_MIGRATE:
                    refused.append(key)
    batch = f"{edit.batch_eviction_size} VMIs every {edit.batch_eviction_interval}"
    if not methods:
        lines.append(
            "No VMI will be updated automatically: every outdated VMI "
            f"({outdated} now) stays on its old launcher until it is restarted by hand."
        )
        return lines
    if EVICT not in methods:
        if stuck:
            lines.append(
                f"VMIs {_names(stuck)} cannot live migrate and will never be updated "
                f"({len(stuck)} of {running} running)."
            )
        else:
            lines.append(f"All {running} running VMIs can live migrate: each is moved once.")
        lines.append("Batch eviction settings are unused (Evict is off).")
        return lines
    if LIVE_MIGRATE in methods:
        lines.append(
            f"VMIs that can live migrate are moved; the {len(stuck)} that cannot are shut "
            f"down in batches of {batch}."
        )
    else:
        lines.append(
            f"Every outdated VMI is shut down, none is live migrated: {running} running VMIs "
            f"in batches of {batch}."
        )
    lines.append("Evicted VMs with runStrategy Always restart on new launchers; others stay off.")
    if refused:
        lines.append(
            f"VMIs {_names(refused)} cannot live migrate and have evictionStrategy "
            "LiveMigrate: their eviction is refused, they will never be updated."
        )
    return lines


def _as_edit(values: dict[str, Any]) -> StrategyEdit:
    return StrategyEdit(
        tuple(values["workloadUpdateMethods"]),
        values["batchEvictionSize"],
        values["batchEvictionInterval"],
    )


def rebase(
    edit: StrategyEdit, seen: StrategyEdit, now: StrategyEdit
) -> tuple[StrategyEdit, list[str]]:
    """`edit` made against `seen`, moved onto the strategy as it is `now`: a field the user
    left alone takes its new value, so a retry after a conflict does not undo someone
    else's change. Also says which fields were taken over."""
    fields = ("methods", "batch_eviction_size", "batch_eviction_interval")
    values = {}
    kept = []
    for name in fields:
        mine, was, current = getattr(edit, name), getattr(seen, name), getattr(now, name)
        if mine == was and current != was:
            values[name] = current
            kept.append(name)
        else:
            values[name] = mine
    return StrategyEdit(**values), kept


_FIELD = {
    "methods": "workloadUpdateMethods",
    "batch_eviction_size": "batchEvictionSize",
    "batch_eviction_interval": "batchEvictionInterval",
}


def strategy_change(
    hco: Obj,
    api: HcoApi,
    namespace: str,
    edit: StrategyEdit,
    store: Store | None,
    *,
    seen_edit: StrategyEdit | None = None,
) -> Change:
    """The change for `edit` against `hco` as read; Refused when it would change nothing.
    `seen_edit`: the strategy the user edited, when `hco` is newer (a retry after a conflict)."""
    block = strategy_of(hco, api)
    seen = dict(block or {})
    new_block = dict(seen)
    new_block["workloadUpdateMethods"] = list(edit.methods)
    new_block["batchEvictionSize"] = edit.batch_eviction_size
    new_block["batchEvictionInterval"] = edit.batch_eviction_interval
    before = {
        "workloadUpdateMethods": list(methods_of(block)),
        "batchEvictionSize": as_int(seen.get("batchEvictionSize"), 10),
        "batchEvictionInterval": as_str(seen.get("batchEvictionInterval"), "1m0s"),
    }
    kept: list[str] = []
    if seen_edit is not None:
        edit, kept = rebase(edit, seen_edit, _as_edit(before))
        new_block["workloadUpdateMethods"] = list(edit.methods)
        new_block["batchEvictionSize"] = edit.batch_eviction_size
        new_block["batchEvictionInterval"] = edit.batch_eviction_interval
    after = {
        "workloadUpdateMethods": list(edit.methods),
        "batchEvictionSize": edit.batch_eviction_size,
        "batchEvictionInterval": edit.batch_eviction_interval,
    }
    if block is not None and before == after and "workloadUpdateMethods" in seen:
        raise Refused("nothing to change: the strategy already is what the form says")
    changed = [
        f"{field}: {_show(before[field])} -> {_show(after[field])}"
        for field in after
        if before[field] != after[field]
    ]
    summary = (
        f"Sets {api.label} on HyperConverged {namespace}/{HCO_NAME}:",
        *(f"  {line}" for line in changed or ["(writes the defaults out explicitly)"]),
        *effect_lines(edit, store),
    )
    notes: tuple[str, ...] = tuple(
        f"{_FIELD[name]} was changed to {_show(before[_FIELD[name]])} since you looked; "
        "you had left it alone, so it stays so."
        for name in kept
    )
    backup = read_backup(hco)
    if backup is not None and edit.methods:
        notes += (
            f"A backup of the methods ({', '.join(backup.methods) or '[]'}) is held on the HCO; "
            "this edit leaves it there: restore clears it.",
        )
    return Change(
        action=EditStrategy.id,
        title=EditStrategy.title,
        target=hco_target(api, namespace),
        operations=tuple(strategy_operations(hco, api, new_block)),
        summary=summary,
        before={api.key(k): v for k, v in before.items()},
        after={api.key(k): v for k, v in after.items()},
        dangerous=not edit.methods or set(edit.methods) < set(methods_of(block)),
        notes=notes,
        params={"edit": edit, "store": store, "seen": _as_edit(before)},
        seen_version=resource_version(hco),
    )


def _show(value: object) -> str:
    return listed(value) if isinstance(value, list) else str(value)


class EditStrategy(HcoAction):
    """Write `workloadUpdateStrategy` from the form (which reads the HCO with `current`)."""

    id = "strategy"
    title = "Edit the workload update strategy"
    dangerous = True

    async def propose(self, ctx: ActionContext, **params: Any) -> Change:
        """`edit=` a StrategyEdit; `store=` the dashboard's store, for the effect."""
        edit = params["edit"]
        if not isinstance(edit, StrategyEdit):
            raise TypeError("edit must be a StrategyEdit")
        store = params.get("store")
        seen = params.get("seen")
        hco, api = await self.current(ctx)
        return strategy_change(
            hco,
            api,
            ctx.hco_namespace,
            edit,
            store if isinstance(store, Store) else None,
            seen_edit=seen if isinstance(seen, StrategyEdit) else None,
        )

    def done_in(self, change: Change, obj: Obj) -> bool:
        edit = change.params.get("edit")
        block = self.strategy_in(change, obj)
        if not isinstance(edit, StrategyEdit) or block is None:
            return False
        return (
            methods_of(block) == edit.methods
            and block.get("batchEvictionSize") == edit.batch_eviction_size
            and block.get("batchEvictionInterval") == edit.batch_eviction_interval
        )
