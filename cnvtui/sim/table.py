"""Columns and cells of `as=Table` responses, as the apiserver builds them.

Custom resources: a Name column, then the CRD's additionalPrinterColumns (or a lone Age
column when the CRD has none); values are picked with the printer JSONPath and typed like
the apiserver's table convertor does (`date` becomes a human duration such as `5m10s`,
`3h12m`, `2d`). Core kinds: the columns kubectl shows for them, computed the way the
apiserver's printers compute them. The server always sends the wide set; clients hide the
columns of priority 1 unless asked for `-o wide`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from cnvtui.sim.catalog import ResourceDef
from cnvtui.sim.jsonpath import JsonPathError, compile_path

Json = dict[str, Any]

_NAME_DOC = "Name must be unique within a namespace."
_AGE_DOC = "Time since the object was created."
_AGE_COLUMN: Json = {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}


def _column(
    name: str, kind: str = "string", *, fmt: str = "", doc: str = "", priority: int = 0
) -> Json:
    return {"name": name, "type": kind, "format": fmt, "description": doc, "priority": priority}


_NAME = _column("Name", fmt="name", doc=_NAME_DOC)
_CORE_COLUMNS: dict[str, list[Json]] = {
    "namespaces": [
        _NAME,
        _column("Status", doc="The status of the namespace"),
        _column("Age", doc=_AGE_DOC),
    ],
    "nodes": [
        _NAME,
        _column("Status", doc="The status of the node"),
        _column("Roles", doc="The roles of the node"),
        _column("Age", doc=_AGE_DOC),
        _column("Version", doc="Kubelet Version reported by the node."),
        _column("Internal-IP", doc="List of internal IPs for the node.", priority=1),
        _column("External-IP", doc="List of external IPs for this node.", priority=1),
        _column("OS-Image", doc="OS Image reported by the node.", priority=1),
        _column("Kernel-Version", doc="Kernel Version reported by the node.", priority=1),
        _column("Container-Runtime", doc="Container Runtime Version reported.", priority=1),
    ],
    "pods": [
        _NAME,
        _column("Ready", doc="The aggregate readiness state of this pod for accepting traffic."),
        _column("Status", doc="The aggregate status of the containers in this pod."),
        _column("Restarts", doc="The number of times the containers have restarted."),
        _column("Age", doc=_AGE_DOC),
        _column("IP", doc="IP address allocated to the pod.", priority=1),
        _column("Node", doc="Name of the node the pod is scheduled on.", priority=1),
        _column("Nominated Node", doc="Node the scheduler nominated.", priority=1),
        _column("Readiness Gates", doc="Readiness gates of the pod.", priority=1),
    ],
    "events": [
        _column("Last Seen", doc="The time at which the most recent occurrence was recorded."),
        _column("Type", doc="Type of this event (Normal, Warning)."),
        _column("Reason", doc="Short, machine understandable reason for the transition."),
        _column("Object", doc="The object that this event is about."),
        _column("Subobject", doc="Field path within the object.", priority=1),
        _column("Source", doc="The component reporting this event.", priority=1),
        _column("Message", doc="A human-readable description of the status."),
        _column("First Seen", doc="The time at which the event was first recorded.", priority=1),
        _column("Count", doc="The number of times this event has occurred.", priority=1),
        _column("Name", fmt="name", doc=_NAME_DOC, priority=1),
    ],
}
# What the apiserver's default table convertor shows for kinds without printers.
_FALLBACK_COLUMNS = [_NAME, _column("Created At", "date", doc="Creation timestamp.")]


def printer_columns(rdef: ResourceDef, version: str) -> list[Json]:
    """The CRD's printer columns for `version`, or the apiserver's default (Age)."""
    ver = rdef.version(version) or rdef.version(rdef.storage_version)
    columns = list(ver.printer_columns) if ver is not None else []
    return columns or [_AGE_COLUMN]


def table_column_definitions(rdef: ResourceDef, version: str) -> list[Json]:
    """`Table.columnDefinitions` for a list of `rdef` objects at `version`."""
    if not rdef.is_crd:
        return [dict(col) for col in _CORE_COLUMNS.get(rdef.plural, _FALLBACK_COLUMNS)]
    defs = [dict(_NAME)]
    for col in printer_columns(rdef, version):
        defs.append(
            _column(
                col["name"],
                col["type"],
                fmt=col.get("format", ""),
                doc=col.get("description", _AGE_DOC if col is _AGE_COLUMN else ""),
                priority=int(col.get("priority", 0)),
            )
        )
    return defs


def table_row_cells(
    rdef: ResourceDef, version: str, obj: Json, *, now: datetime | None = None
) -> list[Any]:
    """`Table.rows[].cells` for one object, aligned with `table_column_definitions`."""
    when = now or datetime.now(UTC)
    if not rdef.is_crd:
        printer = _CORE_PRINTERS.get(rdef.plural, _fallback_cells)
        return printer(obj, when)
    cells: list[Any] = [obj.get("metadata", {}).get("name", "")]
    for col in printer_columns(rdef, version):
        cells.append(_cell(col, obj, when))
    return cells


def _cell(col: Json, obj: Json, now: datetime) -> Any:
    try:
        found = compile_path(col["jsonPath"]).find(obj)
    except JsonPathError:
        return None
    if not found:
        return None
    value = found[0]
    kind = col["type"]
    if kind == "string":
        return _as_text(value)
    return _typed(kind, value, now)


def _as_text(value: Any) -> str | None:
    """A value printed as client-go's jsonpath prints it: strings raw, collections as JSON."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"), sort_keys=True)
    return str(value)


def _typed(kind: str, value: Any, now: datetime) -> Any:
    if value is None:
        return None
    if kind == "integer" and isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    if kind == "number" and isinstance(value, int | float) and not isinstance(value, bool):
        return int(value) if float(value).is_integer() else float(value)
    if kind == "boolean" and isinstance(value, bool):
        return value
    if kind == "date" and isinstance(value, str):
        when = parse_time(value)
        return human_duration(now - when) if when is not None else "<invalid>"
    return None


def parse_time(text: str | None) -> datetime | None:
    """An RFC 3339 timestamp as an aware datetime (None when absent or malformed)."""
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def human_duration(delta: timedelta) -> str:
    """A duration as the apiserver prints ages: `45s`, `5m10s`, `3h12m`, `2d4h`, `40d`, `2y`."""
    seconds = int(delta.total_seconds())
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    if seconds < 120:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        rest = seconds % 60
        return f"{minutes}m{rest}s" if rest else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = seconds // 3600
    if hours < 8:
        rest = minutes % 60
        return f"{hours}h{rest}m" if rest else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        rest = hours % 24
        return f"{hours // 24}d{rest}h" if rest else f"{hours // 24}d"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = (hours // 24) % 365
        years = hours // 24 // 365
        return f"{years}y{days}d" if days else f"{years}y"
    return f"{hours // 24 // 365}y"


def _age(text: str | None, now: datetime) -> str:
    when = parse_time(text)
    return human_duration(now - when) if when is not None else "<unknown>"


def _meta(obj: Json) -> Json:
    meta = obj.get("metadata")
    return meta if isinstance(meta, dict) else {}


def _fallback_cells(obj: Json, now: datetime) -> list[Any]:
    meta = _meta(obj)
    return [meta.get("name", ""), meta.get("creationTimestamp")]


def _namespace_cells(obj: Json, now: datetime) -> list[Any]:
    meta = _meta(obj)
    phase = (obj.get("status") or {}).get("phase", "")
    return [meta.get("name", ""), phase, _age(meta.get("creationTimestamp"), now)]


def node_roles(labels: Json) -> list[str]:
    """Roles from `node-role.kubernetes.io/<role>` and `kubernetes.io/role` labels, sorted."""
    roles: set[str] = set()
    for key, value in labels.items():
        if key.startswith("node-role.kubernetes.io/"):
            role = key.removeprefix("node-role.kubernetes.io/")
            if role:
                roles.add(role)
        elif key == "kubernetes.io/role" and value:
            roles.add(str(value))
    return sorted(roles)


def _node_cells(obj: Json, now: datetime) -> list[Any]:
    meta = _meta(obj)
    status = obj.get("status") or {}
    states: list[str] = []
    for cond in status.get("conditions") or []:
        if cond.get("type") == "Ready":
            states = ["Ready" if cond.get("status") == "True" else "NotReady"]
    if not states:
        states = ["Unknown"]
    if (obj.get("spec") or {}).get("unschedulable"):
        states.append("SchedulingDisabled")
    roles = ",".join(node_roles(meta.get("labels") or {})) or "<none>"
    info = status.get("nodeInfo") or {}
    addresses = status.get("addresses") or []

    def address(kind: str) -> str:
        found = [a.get("address", "") for a in addresses if a.get("type") == kind]
        return found[0] if found else "<none>"

    return [
        meta.get("name", ""),
        ",".join(states),
        roles,
        _age(meta.get("creationTimestamp"), now),
        info.get("kubeletVersion", ""),
        address("InternalIP"),
        address("ExternalIP"),
        info.get("osImage") or "<unknown>",
        info.get("kernelVersion") or "<unknown>",
        info.get("containerRuntimeVersion") or "<unknown>",
    ]


def _pod_cells(obj: Json, now: datetime) -> list[Any]:
    meta = _meta(obj)
    spec = obj.get("spec") or {}
    status = obj.get("status") or {}
    reason = status.get("reason") or status.get("phase") or ""
    total = len(spec.get("containers") or [])
    ready = 0
    restarts = 0
    last_restart: datetime | None = None
    running = False
    for cs in reversed(status.get("containerStatuses") or []):
        restarts += int(cs.get("restartCount", 0))
        finished = parse_time(
            ((cs.get("lastState") or {}).get("terminated") or {}).get("finishedAt")
        )
        if finished is not None and (last_restart is None or finished > last_restart):
            last_restart = finished
        state = cs.get("state") or {}
        waiting = state.get("waiting")
        terminated = state.get("terminated")
        if isinstance(waiting, dict) and waiting.get("reason"):
            reason = waiting["reason"]
        elif isinstance(terminated, dict):
            reason = terminated.get("reason") or (
                f"Signal:{terminated['signal']}"
                if terminated.get("signal")
                else f"ExitCode:{terminated.get('exitCode', 0)}"
            )
        elif "running" in state and cs.get("ready"):
            running = True
            ready += 1
    if reason == "Completed" and running:
        reason = "Running"
    if meta.get("deletionTimestamp"):
        reason = "Unknown" if status.get("reason") == "NodeLost" else "Terminating"
    restart_cell: Any = restarts
    if restarts and last_restart is not None:
        restart_cell = f"{restarts} ({human_duration(now - last_restart)} ago)"
    ips = status.get("podIPs") or []
    pod_ip = ips[0].get("ip", "<none>") if ips else status.get("podIP") or "<none>"
    gates = spec.get("readinessGates") or []
    gate_cell = "<none>"
    if gates:
        conditions = {c.get("type"): c.get("status") for c in status.get("conditions") or []}
        passed = sum(1 for g in gates if conditions.get(g.get("conditionType")) == "True")
        gate_cell = f"{passed}/{len(gates)}"
    return [
        meta.get("name", ""),
        f"{ready}/{total}",
        reason,
        restart_cell,
        _age(meta.get("creationTimestamp"), now),
        pod_ip,
        spec.get("nodeName") or "<none>",
        status.get("nominatedNodeName") or "<none>",
        gate_cell,
    ]


def _event_cells(obj: Json, now: datetime) -> list[Any]:
    meta = _meta(obj)
    first = obj.get("firstTimestamp") or obj.get("eventTime")
    first_seen = _age(first, now)
    last = obj.get("lastTimestamp")
    last_seen = _age(last, now) if last else first_seen
    count = obj.get("count") or 1
    series = obj.get("series")
    if isinstance(series, dict):
        last_seen = _age(series.get("lastObservedTime"), now)
        count = series.get("count", count)
    involved = obj.get("involvedObject") or {}
    kind = str(involved.get("kind", "")).lower()
    target = f"{kind}/{involved['name']}" if involved.get("name") else kind
    source = obj.get("source") or {}
    component = source.get("component") or obj.get("reportingComponent") or ""
    host = source.get("host") or obj.get("reportingInstance") or ""
    source_cell = f"{component}, {host}" if host else component
    return [
        last_seen,
        obj.get("type", ""),
        obj.get("reason", ""),
        target,
        involved.get("fieldPath", ""),
        source_cell,
        str(obj.get("message", "")).strip(),
        first_seen,
        int(count),
        meta.get("name", ""),
    ]


_CORE_PRINTERS: dict[str, Callable[[Json, datetime], list[Any]]] = {
    "namespaces": _namespace_cells,
    "nodes": _node_cells,
    "pods": _pod_cells,
    "events": _event_cells,
}
