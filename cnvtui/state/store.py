"""The store: every watched object by (kind, namespace, name), plus what only history knows.

Applying an event is O(1): the object replaces its predecessor, VMI counters move by the
difference of two small bit sets, and a transition (a CSV phase, a condition flip, a VMI
leaving the outdated set...) adds a timeline entry. Everything the picture needs that the
cluster forgets is kept here, bounded: the burn-down of the outdated count, migration
attempts of deleted VMIMs, CSV phase changes, stream states.

Objects are held by reference and never mutated; an update replaces the dict. That lets a
picture keep references to them after the store has moved on. VMIs are held slimmed
(`cnvtui.state.slim`): only the fields the dashboard reads, which keeps memory small.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from cnvtui.kube.events import KubeEvent, Obj, SessionNote, StreamState, StreamStatus
from cnvtui.state.hco import HCO_CONDITIONS, HEALTHY_STATUS
from cnvtui.state.migrations import FAILED, MigrationHistory, is_workload_update
from cnvtui.state.model import PhaseStep, Severity
from cnvtui.state.slim import slim, slim_vmi
from cnvtui.state.timeline import Timeline
from cnvtui.state.views import (
    as_bool,
    as_dict,
    as_list,
    as_str,
    as_str_list,
    conditions,
    dig,
    meta_key,
    name_of,
)
from cnvtui.state.workloads import (
    BACKUP_ANNOTATION,
    EVICT_LIVE_MIGRATE,
    NOT_MIGRATABLE,
    OUTDATED,
    RUNNING,
    read_strategy,
    vmi_flags,
)

__all__ = ["DEFAULT_HCO_NAMESPACE", "SNAPSHOT_SCHEMA", "Key", "Store"]

Key = tuple[str, str]
"""(namespace, name) within one kind; "" namespace for cluster-scoped objects."""

DEFAULT_HCO_NAMESPACE = "openshift-cnv"
SNAPSHOT_SCHEMA = "cnvtui.io/store-snapshot/v1"
_LOST_STATES = (StreamState.RECONNECTING, StreamState.FORBIDDEN, StreamState.UNAUTHORIZED)


class Store:
    """Watched objects and their history; feed it `KubeEvent`s with `apply`.

    `hco_namespace=None` means auto-detect: the namespace of the first HyperConverged seen,
    else `openshift-cnv`.
    """

    def __init__(
        self,
        hco_namespace: str | None = None,
        *,
        timeline_cap: int = 2000,
        burndown_cap: int = 3600,
        per_vmi_history_cap: int = 50,
        vmi_history_cap: int = 20000,
        csv_history_cap: int = 50,
    ) -> None:
        self._hco_namespace = hco_namespace
        self._objects: dict[str, dict[Key, Obj]] = {}
        self._versions: dict[str, int] = {}
        self.revision = 0
        """Grows on every applied event (a cheap "anything changed?")."""
        self.streams: dict[str, StreamStatus] = {}
        self.timeline = Timeline(timeline_cap)
        self.migrations = MigrationHistory(per_vmi_history_cap, vmi_history_cap)
        self.csv_history: dict[Key, list[PhaseStep]] = {}
        self._csv_history_cap = csv_history_cap
        self.update_seen = False
        """Something update-like happened while watching: tells Done from Idle."""
        self.last_event_at: float | None = None

        self._vmi_flags: dict[Key, int] = {}
        self.outdated_since: dict[Key, float] = {}
        self.n_outdated = 0
        self.n_running = 0
        self.n_outdated_running = 0
        self.n_outdated_not_migratable = 0
        self.n_outdated_blocked = 0
        """Outdated, not migratable and evictionStrategy LiveMigrate: never updated."""
        self.burndown: list[tuple[float, int]] = []
        self._burndown_cap = burndown_cap

    # ---- reading

    @property
    def hco_namespace(self) -> str:
        """The namespace where the HCO, its CSVs, Subscription and plans live."""
        if self._hco_namespace:
            return self._hco_namespace
        for namespace, _ in self._objects.get("hco", {}):
            if namespace:
                return namespace
        return DEFAULT_HCO_NAMESPACE

    def objects(self, kind: str) -> Mapping[Key, Obj]:
        """All objects of `kind` (read-only view; do not mutate the objects)."""
        return self._objects.get(kind, {})

    def get(self, kind: str, namespace: str, name: str) -> Obj | None:
        """One object, or None (slimmed for the kinds in `cnvtui.state.slim.SLIM_KINDS`)."""
        return self._objects.get(kind, {}).get((namespace, name))

    def version(self, kind: str) -> int:
        """Grows whenever an object of `kind` changes; for caches.

        Pseudo-kinds: "stream" (any stream status) and "outdated" (the set of outdated VMIs).
        """
        return self._versions.get(kind, 0)

    def __len__(self) -> int:
        return sum(len(objs) for objs in self._objects.values())

    def outdated_keys(self) -> list[Key]:
        """Keys of the outdated VMIs (unordered)."""
        return [k for k, f in self._vmi_flags.items() if f & OUTDATED]

    def vmi_flag(self, key: Key) -> int:
        """The counted flags of one VMI (see `cnvtui.state.workloads`)."""
        return self._vmi_flags.get(key, 0)

    # ---- applying

    def apply_all(self, events: Iterable[KubeEvent]) -> None:
        """Apply events in order."""
        for event in events:
            self.apply(event)

    def apply(self, event: KubeEvent) -> None:
        """Apply one event. Malformed objects (no name) are ignored, never raised on."""
        self.revision += 1
        if isinstance(event, StreamStatus):
            self._apply_stream(event)
            return
        if isinstance(event, SessionNote):
            self._apply_note(event)
            return
        kind = event.kind
        obj = event.obj
        key = meta_key(obj) if isinstance(obj, dict) else None
        if key is None:
            return
        self.last_event_at = event.at
        if kind == "vmi":
            obj = slim_vmi(obj)
        objs = self._objects.get(kind)
        if objs is None:
            objs = self._objects[kind] = {}
        old = objs.get(key)
        new: Obj | None
        if event.type == "DELETED":
            objs.pop(key, None)
            new = None
        else:
            objs[key] = obj
            new = obj
        self._versions[kind] = self._versions.get(kind, 0) + 1
        if kind == "vmi":
            self._vmi(key, new, event.at)
            return
        if kind == "vmim":
            self._vmim(key, obj, event.at)
            return
        handler = _HANDLERS.get(kind)
        if handler is not None:
            handler(self, key, old, new, event.at)

    def _apply_note(self, note: SessionNote) -> None:
        """What the session did (a replayed action): onto the timeline as it was then."""
        try:
            severity = Severity(note.severity)
        except ValueError:
            severity = Severity.INFO
        self.timeline.add(note.at, note.kind, note.obj, note.text, severity)

    def _apply_stream(self, status: StreamStatus) -> None:
        previous = self.streams.get(status.kind)
        self.streams[status.kind] = status
        self._versions["stream"] = self._versions.get("stream", 0) + 1
        before = previous.state if previous is not None else None
        now = status.state
        if before == now:
            return
        detail = f": {status.message}" if status.message else ""
        if now in _LOST_STATES:
            severity = Severity.WARNING if now == StreamState.RECONNECTING else Severity.ERROR
            self.timeline.add(
                status.since,
                "stream",
                status.kind,
                f"watch {status.kind} {now.value}{detail}",
                severity,
            )
        elif now == StreamState.LIVE and before in _LOST_STATES:
            self.timeline.add(
                status.since, "stream", status.kind, f"watch {status.kind} restored", Severity.OK
            )
        elif now == StreamState.NOT_INSTALLED and before is not None:
            self.timeline.add(
                status.since,
                "stream",
                status.kind,
                f"watch {status.kind}: resource not installed{detail}",
            )

    # ---- VMIs: the hot path

    def _vmi(self, key: Key, new: Obj | None, at: float) -> None:
        old_flags = self._vmi_flags.get(key, 0)
        flags = 0 if new is None else vmi_flags(new)
        if flags == old_flags:
            if new is None:
                self._vmi_flags.pop(key, None)
            return
        if new is None:
            del self._vmi_flags[key]
        else:
            self._vmi_flags[key] = flags
        self._count(old_flags, -1)
        self._count(flags, 1)
        was, now = old_flags & OUTDATED, flags & OUTDATED
        if was == now:
            return
        self._versions["outdated"] = self._versions.get("outdated", 0) + 1
        obj_name = name_of(*key)
        if now:
            self.update_seen = True
            self.outdated_since[key] = at
            self.timeline.add_grouped(
                "vmi-outdated",
                at,
                "vmi",
                obj_name,
                singular="VMI {} is outdated",
                plural="{} VMIs became outdated (last {})",
            )
        else:
            self.outdated_since.pop(key, None)
            if new is None:
                self.timeline.add_grouped(
                    "vmi-gone",
                    at,
                    "vmi",
                    obj_name,
                    singular="outdated VMI {} deleted",
                    plural="{} outdated VMIs deleted (last {})",
                )
            else:
                self.timeline.add_grouped(
                    "vmi-updated",
                    at,
                    "vmi",
                    obj_name,
                    singular="VMI {} updated",
                    plural="{} VMIs updated (last {})",
                    severity=Severity.OK,
                )
        self._sample(at)

    def _count(self, flags: int, sign: int) -> None:
        if flags & RUNNING:
            self.n_running += sign
        if flags & OUTDATED:
            self.n_outdated += sign
            if flags & RUNNING:
                self.n_outdated_running += sign
            if flags & NOT_MIGRATABLE:
                self.n_outdated_not_migratable += sign
                if flags & EVICT_LIVE_MIGRATE:
                    self.n_outdated_blocked += sign

    def _sample(self, at: float) -> None:
        samples = self.burndown
        if samples and int(samples[-1][0]) == int(at):
            samples[-1] = (samples[-1][0], self.n_outdated)
            return
        if samples and at < samples[-1][0]:
            return  # out of order: keep the series monotonic in time
        samples.append((at, self.n_outdated))
        if len(samples) > self._burndown_cap:
            # Thin the older half so the series keeps its whole span with bounded size.
            half = len(samples) // 2
            self.burndown = samples[:half:2] + samples[half:]

    # ---- the other kinds: rare events, so full comparisons

    def _csv(self, key: Key, old: Obj | None, new: Obj | None, at: float) -> None:
        name = key[1]
        if key[0] != self.hco_namespace:
            return  # other operators' CSVs, and OLM's copies of this one
        if new is None:
            self.csv_history.pop(key, None)
            self.timeline.add(at, "csv", name, f"CSV {name} deleted")
            return
        phase = as_str(dig(new, "status", "phase"))
        old_phase = None if old is None else as_str(dig(old, "status", "phase"))
        if phase == old_phase:
            return
        reason = as_str(dig(new, "status", "reason"))
        message = as_str(dig(new, "status", "message"))
        history = self.csv_history.setdefault(key, [])
        history.append(PhaseStep(phase, reason, message, at))
        del history[: -self._csv_history_cap]
        if phase != "Succeeded":
            self.update_seen = True
        severity = _csv_severity(phase)
        why = f" ({reason})" if reason else ""
        if old_phase is None:
            text = f"CSV {name} seen in phase {phase or '(none)'}{why}"
        else:
            text = f"CSV {name}: {old_phase or '(none)'} → {phase or '(none)'}{why}"
        self.timeline.add(at, "csv", name, text, severity)

    def _hco(self, key: Key, old: Obj | None, new: Obj | None, at: float) -> None:
        name = name_of(*key)
        if new is None:
            self.timeline.add(at, "hco", name, "HyperConverged deleted", Severity.ERROR)
            return
        before = {c.type: c for c in conditions(old)} if old is not None else {}
        for cond in conditions(new):
            prev = before.get(cond.type)
            if prev is not None and prev.status == cond.status:
                continue
            if prev is None and old is not None and cond.type not in HCO_CONDITIONS:
                continue
            if cond.type == "Progressing" and cond.status == "True":
                self.update_seen = True
            good = HEALTHY_STATUS.get(cond.type)
            bad = good is not None and cond.status != good
            severity = Severity.INFO
            if bad:
                severity = Severity.ERROR if cond.type == "Degraded" else Severity.WARNING
            elif prev is not None:
                severity = Severity.OK
            was = f"{prev.status} → " if prev is not None else ""
            why = f" ({cond.reason})" if cond.reason else ""
            if prev is None and not bad and old is None:
                continue  # a healthy condition at first sight is not news
            self.timeline.add(
                at, "hco", name, f"HCO {cond.type}: {was}{cond.status}{why}", severity
            )
        old_version = _operator_version(old)
        new_version = _operator_version(new)
        if old is not None and new_version != old_version and new_version:
            self.update_seen = True
            self.timeline.add(
                at, "hco", name, f"CNV version {old_version or '?'} → {new_version}", Severity.OK
            )
        if old is not None:
            old_methods = _hco_methods(old)
            new_methods = _hco_methods(new)
            if old_methods != new_methods:
                self.timeline.add(
                    at,
                    "hco",
                    name,
                    f"workloadUpdateMethods [{', '.join(old_methods)}] → "
                    f"[{', '.join(new_methods)}]",
                    Severity.WARNING if not new_methods else Severity.INFO,
                )
            had = BACKUP_ANNOTATION in as_dict(dig(old, "metadata", "annotations"))
            has = BACKUP_ANNOTATION in as_dict(dig(new, "metadata", "annotations"))
            if had != has:
                text = "methods backup taken" if has else "methods backup released"
                self.timeline.add(at, "hco", name, text)

    def _plan(self, key: Key, old: Obj | None, new: Obj | None, at: float) -> None:
        name = key[1]
        if key[0] != self.hco_namespace:
            return
        if new is None:
            self.timeline.add(at, "installplan", name, f"install plan {name} deleted")
            return
        csvs = ", ".join(as_str_list(dig(new, "spec", "clusterServiceVersionNames")))
        phase = as_str(dig(new, "status", "phase"))
        if old is None:
            if phase not in ("Complete", ""):
                self.update_seen = True
            severity = Severity.WARNING if phase == "RequiresApproval" else Severity.INFO
            self.timeline.add(
                at,
                "installplan",
                name,
                f"install plan {name} ({csvs}) created, phase {phase or '-'}",
                severity,
            )
            return
        if as_bool(dig(new, "spec", "approved")) and not as_bool(dig(old, "spec", "approved")):
            self.update_seen = True
            self.timeline.add(at, "installplan", name, f"install plan {name} approved", Severity.OK)
        old_phase = as_str(dig(old, "status", "phase"))
        if phase != old_phase:
            self.update_seen = True
            severity = {
                "Failed": Severity.ERROR,
                "Complete": Severity.OK,
                "RequiresApproval": Severity.WARNING,
            }.get(phase, Severity.INFO)
            self.timeline.add(
                at,
                "installplan",
                name,
                f"install plan {name}: {old_phase or '-'} → {phase or '-'}",
                severity,
            )

    def _subscription(self, key: Key, old: Obj | None, new: Obj | None, at: float) -> None:
        if new is None or old is None or key[0] != self.hco_namespace:
            return
        name = key[1]
        state = as_str(dig(new, "status", "state"))
        old_state = as_str(dig(old, "status", "state"))
        if state != old_state:
            severity = Severity.ERROR if state == "UpgradeFailed" else Severity.INFO
            self.timeline.add(
                at,
                "subscription",
                name,
                f"subscription {name}: {old_state or '-'} → {state or '-'}",
                severity,
            )

    def _vmim(self, key: Key, obj: Obj, at: float) -> None:
        seen = self.migrations.observe(obj, at)
        if seen is None:
            return
        vmi, history, reached = seen
        if is_workload_update(obj):
            self.update_seen = True
        vmi_name = name_of(*vmi)
        if reached == FAILED:
            reason = history.last_failure_reason
            attempt = history.dropped + len(history.attempts)
            self.timeline.add(
                at,
                "vmim",
                name_of(*key),
                f"migration of {vmi_name} failed (attempt {attempt})"
                + (f": {reason}" if reason else ""),
                Severity.ERROR,
            )
        elif reached:
            self.timeline.add_grouped(
                "vmim-ok",
                at,
                "vmim",
                vmi_name,
                singular="migration of {} succeeded",
                plural="{} migrations succeeded (last {})",
                severity=Severity.OK,
            )

    def _clusterversion(self, key: Key, old: Obj | None, new: Obj | None, at: float) -> None:
        if new is None or old is None:
            return
        desired = as_str(dig(new, "status", "desired", "version"))
        if desired != as_str(dig(old, "status", "desired", "version")) and desired:
            self.timeline.add(
                at, "clusterversion", key[1], f"OpenShift update to {desired} requested"
            )
        before = {c.type: c.status for c in conditions(old)}
        for cond in conditions(new):
            if cond.type in ("Progressing", "Failing") and before.get(cond.type) != cond.status:
                severity = (
                    Severity.ERROR
                    if cond.type == "Failing" and cond.status == "True"
                    else Severity.INFO
                )
                self.timeline.add(
                    at,
                    "clusterversion",
                    key[1],
                    f"OpenShift {cond.type}: {cond.status}"
                    + (f" ({cond.message})" if cond.message else ""),
                    severity,
                )

    def _mcp(self, key: Key, old: Obj | None, new: Obj | None, at: float) -> None:
        if new is None or old is None:
            return
        paused = as_bool(dig(new, "spec", "paused"))
        if paused != as_bool(dig(old, "spec", "paused")):
            self.timeline.add(
                at,
                "mcp",
                key[1],
                f"pool {key[1]} {'paused' if paused else 'unpaused'}",
                Severity.WARNING if paused else Severity.INFO,
            )

    def _maintenance(self, key: Key, old: Obj | None, new: Obj | None, at: float) -> None:
        obj = new if new is not None else old
        node = as_str(dig(obj, "spec", "nodeName")) or key[1]
        if new is None:
            self.timeline.add(at, "nodemaintenance", node, f"node {node} left maintenance")
        elif old is None:
            self.timeline.add(
                at, "nodemaintenance", node, f"node {node} in maintenance", Severity.WARNING
            )

    # ---- snapshots (record/replay)

    def snapshot(self) -> dict[str, Any]:
        """A JSON-able copy of everything the store knows (restore with `Store.restore`)."""
        return {
            "schema": SNAPSHOT_SCHEMA,
            "hco_namespace": self._hco_namespace,
            "objects": {kind: list(objs.values()) for kind, objs in self._objects.items()},
            "streams": [
                {
                    "kind": s.kind,
                    "state": s.state.value,
                    "since": s.since,
                    "as_of": s.as_of,
                    "message": s.message,
                }
                for s in self.streams.values()
            ],
            "timeline": self.timeline.to_json(),
            "migrations": self.migrations.to_json(),
            "csv_history": [
                {
                    "namespace": ns,
                    "name": name,
                    "steps": [[s.phase, s.reason, s.message, s.at] for s in steps],
                }
                for (ns, name), steps in self.csv_history.items()
            ],
            "outdated_since": [[ns, name, at] for (ns, name), at in self.outdated_since.items()],
            "burndown": [[t, n] for t, n in self.burndown],
            "update_seen": self.update_seen,
            "last_event_at": self.last_event_at,
        }

    @classmethod
    def restore(cls, data: Mapping[str, Any], **caps: int) -> Store:
        """A store equal to the one `data` was taken from. Malformed parts are skipped."""
        hco_ns = data.get("hco_namespace")
        store = cls(hco_ns if isinstance(hco_ns, str) else None, **caps)
        for kind, objs in as_dict(data.get("objects")).items():
            for raw_obj in as_list(objs):
                key = meta_key(raw_obj) if isinstance(raw_obj, dict) else None
                if key is None:
                    continue
                obj = slim(kind, raw_obj)
                store._objects.setdefault(kind, {})[key] = obj
                store._versions[kind] = store._versions.get(kind, 0) + 1
                if kind == "vmi":
                    flags = vmi_flags(obj)
                    store._vmi_flags[key] = flags
                    store._count(flags, 1)
        for raw in as_list(data.get("streams")):
            status = _stream_from_json(raw)
            if status is not None:
                store.streams[status.kind] = status
        store.timeline = Timeline.from_json(data.get("timeline"), store.timeline.cap)
        store.migrations.load_json(data.get("migrations"))
        for item in as_list(data.get("csv_history")):
            raw = as_dict(item)
            steps = [
                PhaseStep(as_str(s[0]), as_str(s[1]), as_str(s[2]), _num(s[3]))
                for s in as_list(raw.get("steps"))
                if isinstance(s, list) and len(s) == 4
            ]
            store.csv_history[(as_str(raw.get("namespace")), as_str(raw.get("name")))] = steps
        for item in as_list(data.get("outdated_since")):
            if isinstance(item, list) and len(item) == 3 and _num(item[2]) is not None:
                key = (as_str(item[0]), as_str(item[1]))
                if store._vmi_flags.get(key, 0) & OUTDATED:
                    store.outdated_since[key] = float(item[2])
        store.burndown = [
            (float(t), int(n)) for t, n in (p for p in as_list(data.get("burndown")) if _is_pair(p))
        ]
        store.update_seen = data.get("update_seen") is True
        store.last_event_at = _num(data.get("last_event_at"))
        store.revision = 1
        return store


def _num(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def _is_pair(value: object) -> bool:
    return (
        isinstance(value, list)
        and len(value) == 2
        and _num(value[0]) is not None
        and isinstance(value[1], int)
        and not isinstance(value[1], bool)
    )


def _stream_from_json(raw: object) -> StreamStatus | None:
    raw = as_dict(raw)
    try:
        state = StreamState(str(raw.get("state")))
    except ValueError:
        return None
    since = _num(raw.get("since"))
    kind = raw.get("kind")
    if since is None or not isinstance(kind, str):
        return None
    return StreamStatus(kind, state, since, _num(raw.get("as_of")), as_str(raw.get("message")))


def _csv_severity(phase: str) -> Severity:
    if phase == "Succeeded":
        return Severity.OK
    if phase == "Failed":
        return Severity.ERROR
    return Severity.INFO


def _operator_version(hco: Obj | None) -> str:
    for raw in as_list(dig(hco, "status", "versions")):
        if isinstance(raw, dict) and raw.get("name") == "operator":
            return as_str(raw.get("version"))
    return ""


def _hco_methods(hco: Obj) -> tuple[str, ...]:
    return read_strategy(hco, None).methods


_HANDLERS = {
    "csv": Store._csv,
    "hco": Store._hco,
    "installplan": Store._plan,
    "subscription": Store._subscription,
    "clusterversion": Store._clusterversion,
    "mcp": Store._mcp,
    "nodemaintenance": Store._maintenance,
    "legacynodemaintenance": Store._maintenance,
}
