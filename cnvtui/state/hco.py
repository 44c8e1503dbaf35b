"""The HyperConverged CR: its five conditions, versions and health."""

from __future__ import annotations

from collections.abc import Mapping

from cnvtui.kube.events import Obj
from cnvtui.state.model import ConditionRow, HcoPicture
from cnvtui.state.views import as_list, as_str, conditions, dig

__all__ = ["HCO_CONDITIONS", "HCO_NAME", "HEALTHY_STATUS", "find_hco", "read_hco"]

HCO_NAME = "kubevirt-hyperconverged"
HCO_CONDITIONS = ("ReconcileComplete", "Available", "Progressing", "Degraded", "Upgradeable")
HEALTHY_STATUS = {
    "ReconcileComplete": "True",
    "Available": "True",
    "Progressing": "False",
    "Degraded": "False",
    "Upgradeable": "True",
    "TaintedConfiguration": "False",
}


def find_hco(hcos: Mapping[tuple[str, str], Obj], namespace: str) -> Obj | None:
    """The HCO in `namespace` (by its usual name first)."""
    obj = hcos.get((namespace, HCO_NAME))
    if obj is not None:
        return obj
    return next((o for (ns, _), o in sorted(hcos.items()) if ns == namespace), None)


def read_hco(hco: Obj | None) -> HcoPicture | None:
    """The picture of the HCO; the five usual conditions always appear, Unknown if absent."""
    if hco is None:
        return None
    found = {c.type: c for c in conditions(hco)}
    rows = []
    for ctype in (*HCO_CONDITIONS, *sorted(set(found) - set(HCO_CONDITIONS))):
        cond = found.get(ctype)
        status = cond.status if cond is not None else "Unknown"
        good = HEALTHY_STATUS.get(ctype)
        rows.append(
            ConditionRow(
                type=ctype,
                status=status,
                reason=cond.reason if cond is not None else "",
                message=cond.message if cond is not None else "",
                last_transition=cond.last_transition if cond is not None else None,
                healthy=status == good if good is not None else True,
            )
        )
    healthy = all(
        row.healthy
        for row in rows
        if row.type in ("Available", "Progressing", "Degraded", "Upgradeable")
    )
    versions = tuple(
        (as_str(v.get("name")), as_str(v.get("version")))
        for v in as_list(dig(hco, "status", "versions"))
        if isinstance(v, dict)
    )
    return HcoPicture(
        name=as_str(dig(hco, "metadata", "name")),
        namespace=as_str(dig(hco, "metadata", "namespace")),
        api_version=as_str(hco.get("apiVersion")),
        conditions=tuple(rows),
        healthy=healthy,
        versions=versions,
        system_health_status=as_str(dig(hco, "status", "systemHealthStatus")),
    )
