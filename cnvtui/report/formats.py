"""The picture as text for a terminal or a log (`table`), or as data (`json`, `yaml`).

JSON and YAML are `cnvtui.state.to_json` (schema `cnvtui.io/update-picture/v1`, documented in
`docs/status-schema.md`) plus a `source` object saying where the data came from. Both escape
every control character, so cluster strings cannot drive the terminal; the table passes each
cluster string through `safe_text`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import yaml

from cnvtui.state.model import StreamState, UpdatePicture
from cnvtui.state.serialize import rfc3339, to_json
from cnvtui.state.text import human_duration, safe_text

__all__ = ["FORMATS", "Source", "render", "render_data", "status_data"]

FORMATS = ("table", "json", "yaml")
_CELL = 48
"""Widest a table cell gets before it is cut with "…" (messages get more)."""
_MESSAGE = 72


@dataclass(frozen=True, slots=True)
class Source:
    """Where a picture came from: a live cluster or a recording."""

    kind: str
    """"cluster" or "recording"."""
    context: str = ""
    server: str = ""
    namespace: str = ""
    recording: str = ""
    note: str = ""
    """What the user should know about the data (a recording cut off mid-write)."""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind}
        if self.kind == "recording":
            out["recording"] = self.recording
        out["context"] = self.context
        out["server"] = self.server
        out["namespace"] = self.namespace
        out["note"] = self.note
        return out


def status_data(
    picture: UpdatePicture,
    source: Source,
    *,
    max_vmis: int | None = None,
    timeline: int | None = None,
) -> dict[str, Any]:
    """The JSON document: the picture, `source`, and (for --watch) at most `timeline` entries."""
    data = to_json(picture, max_vmis=max_vmis)
    if timeline is not None:
        entries = data.get("timeline") or []
        data["timeline"] = entries[-timeline:] if timeline else []
    data["source"] = source.to_json()
    return data


def render_data(data: dict[str, Any], fmt: str, *, compact: bool = False) -> str:
    """JSON (one line when `compact`) or a YAML document, without a trailing newline."""
    if fmt == "yaml":
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=False, width=100)
        return "---\n" + text.rstrip("\n") if compact else text.rstrip("\n")
    if compact:
        return json.dumps(data, separators=(",", ":"))
    return json.dumps(data, indent=2)


def render(picture: UpdatePicture, fmt: str, source: Source, *, max_vmis: int | None) -> str:
    """The one-shot output in `fmt` (table, json or yaml)."""
    if fmt == "table":
        return render_table(picture, source, max_vmis=10 if max_vmis is None else max_vmis)
    return render_data(status_data(picture, source, max_vmis=max_vmis), fmt)


# ---- the table


def _cell(value: object, limit: int = _CELL) -> str:
    return safe_text(value, limit) if value not in (None, "") else "-"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], indent: str = "  ") -> list[str]:
    """Left-aligned columns like `oc get` (cells must already be safe and cut)."""
    widths = [len(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    lines = []
    for row in (headers, *rows):
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(row)]
        lines.append((indent + "  ".join(cells)).rstrip())
    return lines


def _utc(stamp: float | None) -> str:
    if stamp is None:
        return "-"
    return datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _ago(now: float, stamp: float | None) -> str:
    return "-" if stamp is None else human_duration(now - stamp)


def _where(source: Source) -> str:
    if source.kind == "recording":
        what = f"recording {safe_text(source.recording)}"
        if source.context or source.server:
            what += f" of {safe_text(source.context or source.server)}"
        return what
    parts = [safe_text(p) for p in (source.context, source.server) if p]
    return "cluster " + " ".join(parts) if parts else "cluster"


def render_table(picture: UpdatePicture, source: Source, *, max_vmis: int = 10) -> str:
    """A summary for people, like `oc adm upgrade status` for the CNV update."""
    p = picture
    now = p.now
    c = p.cluster
    out = [
        f"CNV update status of {_where(source)}, namespace {safe_text(c.hco_namespace)}, "
        f"at {_utc(now)}",
    ]
    if source.note:
        out.append(f"Note: {safe_text(source.note)}")
    out.append(f"Verdict: {safe_text(p.headline, 300)}")
    versions = [f"CNV {safe_text(c.cnv_version or '-')}"]
    versions.append(f"OpenShift {safe_text(c.openshift_version or '-')}")
    if c.openshift_update is not None:
        u = c.openshift_update
        versions.append(
            f"OpenShift updating {safe_text(u.from_version or '?')} → {safe_text(u.to_version)}"
        )
    out.append("Versions: " + ", ".join(versions))
    sub = c.subscription
    if sub is not None:
        out.append(
            f"Subscription: {safe_text(sub.name)} channel {_cell(sub.channel)}, "
            f"approval {_cell(sub.approval)}, state {_cell(sub.state)}, "
            f"installed {_cell(sub.installed_csv)}, current {_cell(sub.current_csv)}"
        )
    paused = [pool.name for pool in c.pools if pool.paused]
    if paused:
        out.append("Paused pools: " + ", ".join(safe_text(n) for n in paused))

    if p.csvs:
        out += ["", "ClusterServiceVersions:"]
        rows = [
            [
                _cell(csv.name, 60),
                _cell(csv.version, 20),
                _cell(csv.phase, 20),
                _ago(now, csv.phase_since),
                _cell(": ".join(x for x in (csv.reason, csv.message) if x), _MESSAGE),
            ]
            for csv in p.csvs
        ]
        out += table(["NAME", "VERSION", "PHASE", "SINCE", "REASON"], rows)

    if p.hco is not None:
        h = p.hco
        health = "healthy" if h.healthy else "not healthy"
        out += ["", f"HyperConverged {safe_text(h.name)} ({safe_text(h.api_version)}): {health}"]
        rows = [
            [
                _cell(cond.type, 30),
                _cell(cond.status, 10) + ("" if cond.healthy else " !"),
                _cell(cond.reason, 30),
                _ago(now, cond.last_transition),
                _cell(cond.message, _MESSAGE),
            ]
            for cond in h.conditions
        ]
        out += table(["CONDITION", "STATUS", "REASON", "SINCE", "MESSAGE"], rows)

    if p.install_plans:
        out += ["", "Install plans:"]
        rows = []
        for plan in p.install_plans:
            note = "awaits approval" if plan.awaits_approval else ""
            if plan.is_current and not note:
                note = "current"
            rows.append(
                [
                    _cell(plan.name, 40),
                    _cell(", ".join(plan.csv_names), 60),
                    _cell(plan.approval, 12),
                    "yes" if plan.approved else "no",
                    _cell(plan.phase, 20),
                    note or "-",
                ]
            )
        out += table(["NAME", "CSVS", "APPROVAL", "APPROVED", "PHASE", "NOTE"], rows)

    s = p.workload_strategy
    o = p.outdated
    out += [""]
    methods = ", ".join(safe_text(m) for m in s.methods)
    sync = "" if s.in_sync else " (KubeVirt not in sync)"
    backup = f", backup [{', '.join(safe_text(m) for m in s.backup.methods)}]" if s.backup else ""
    out.append(f"Workload update methods: [{methods}]{sync}{backup}")
    eta = f", ETA {human_duration(o.eta_seconds)}" if o.eta_seconds else ""
    rate = f", {o.rate_per_minute:.1f}/min" if o.rate_per_minute else ""
    never = f", {o.never_updates_count} never updated" if o.never_updates_count else ""
    out.append(
        f"Outdated VMIs: {o.count} of {o.running_total} running "
        f"({o.progress:.0%} updated{rate}{eta}{never})"
    )
    if o.count and max_vmis:
        shown = o.rows[:max_vmis]
        rows = [
            [
                _cell(r.namespace, 30),
                _cell(r.name, 40),
                _cell(r.node, 30),
                {True: "yes", False: "no", None: "?"}[r.migratable],
                human_duration(r.outdated_for),
                _cell(r.never_reason if r.never_updates else r.migratable_reason, _MESSAGE),
            ]
            for r in shown
        ]
        out += table(["NAMESPACE", "NAME", "NODE", "MIGRATABLE", "OUTDATED", "NOTE"], rows)
        if len(o.rows) > len(shown):
            out.append(f"  … and {len(o.rows) - len(shown)} more (-o json lists them all)")

    m = p.migrations
    out.append(
        f"Migrations: {m.running} running, {m.pending} pending, {m.failed} failed, "
        f"{m.succeeded} succeeded"
    )
    active = [r for r in m.rows if r.phase not in ("Succeeded",)][:10]
    if active:
        rows = [
            [
                _cell(r.namespace, 30),
                _cell(r.name, 44),
                _cell(r.vmi, 40),
                _cell(r.phase, 16),
                str(r.attempt or "-"),
                human_duration(r.duration),
                _cell(r.failure_reason, _MESSAGE),
            ]
            for r in active
        ]
        out += table(["NAMESPACE", "NAME", "VMI", "PHASE", "ATTEMPT", "TIME", "REASON"], rows)

    out += [""]
    if p.problems:
        out.append("Problems:")
        out += [f"  - {safe_text(problem, 300)}" for problem in p.problems[:10]]
        if len(p.problems) > 10:
            out.append(f"  … and {len(p.problems) - 10} more")
    else:
        out.append("Problems: none")
    out.append("Watches: " + _streams_line(p, now))
    return "\n".join(out)


def _streams_line(picture: UpdatePicture, now: float) -> str:
    unusual = [s for s in picture.streams if s.state != StreamState.LIVE]
    if not picture.streams:
        return "none"
    if not unusual:
        return "all live"
    parts = []
    for s in unusual:
        text = f"{safe_text(s.kind)} {s.state.value}"
        if s.state == StreamState.RECONNECTING and s.as_of is not None:
            text += f" (data as of {human_duration(now - s.as_of)} ago)"
        parts.append(text)
    return ", ".join(parts)


def stamp(when: float) -> str:
    """A point in time as the --watch lines print it (RFC 3339 UTC)."""
    return rfc3339(float(int(when))) or "-"
