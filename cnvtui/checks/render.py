"""A preflight report as a table for a terminal, or as JSON for scripts.

Every cluster string goes through `safe_text` (table) or `json.dumps` (JSON escapes control
characters), so an annotation cannot drive the terminal.
"""

from __future__ import annotations

import json
import textwrap

from cnvtui.state.preflight import FindingVerdict, PreflightReport
from cnvtui.state.text import safe_text

__all__ = ["SCHEMA", "render_json", "render_table"]

SCHEMA = "cnvtui.io/preflight/v1"
_VERDICT = 8
_CHECK = 26


def render_table(report: PreflightReport, *, width: int = 100, where: str = "") -> str:
    """Findings worst first: verdict, check, message, and "→ what to do" under problems."""
    lines = []
    head = f"OpenShift {report.openshift_version or '?'}, CNV {report.cnv_version or '?'}"
    if report.target:
        head += f", target {report.target}"
    if where:
        head += f"  ({where})"
    lines.append(safe_text(head))
    lines.append("")
    lines.append(f"{'VERDICT':<{_VERDICT}} {'CHECK':<{_CHECK}} FINDING")
    indent = " " * (_VERDICT + _CHECK + 2)
    room = max(30, width - len(indent))
    for finding in report.findings:
        message = textwrap.wrap(safe_text(finding.message), room) or [""]
        lines.append(f"{finding.verdict.value:<{_VERDICT}} {finding.check:<{_CHECK}} {message[0]}")
        lines.extend(indent + rest for rest in message[1:])
        if finding.verdict != FindingVerdict.OK and finding.what_to_do:
            todo = textwrap.wrap("→ " + safe_text(finding.what_to_do), room)
            lines.extend(indent + part for part in todo)
    lines.append("")
    for reason in report.unreadable:
        lines.append(f"could not read {safe_text(reason)}")
    ok = (
        len(report.findings) - len(report.blockers) - len(report.warnings) - len(report.not_checked)
    )
    unknown = f"{len(report.not_checked)} not checked, " if report.not_checked else ""
    lines.append(
        f"{_count(len(report.blockers), 'blocker')}, {_count(len(report.warnings), 'warning')}, "
        f"{unknown}{ok} ok"
    )
    return "\n".join(lines)


def render_json(
    report: PreflightReport | None, *, exit_code: int, source: dict[str, str], error: str = ""
) -> str:
    """The report as one JSON document (with `error` and no findings when nothing ran)."""
    body: dict[str, object] = {"schema": SCHEMA, "source": source, "exitCode": exit_code}
    if error:
        body["error"] = error
    if report is not None:
        body.update(report.to_json())
    return json.dumps(body, indent=2)


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
