"""Run every benchmark of issue 9 side by side, print the table, write the JSON.

    python -m bench            # the full run (under 10 minutes on 2 cores)
    python -m bench --quick    # tiny sizes: checks the harness, measures nothing useful

Results go to `bench/results/latest.json` (git-ignored); `--save` also writes the committed
copy `bench/RESULTS.json`. Each figure runs in its own processes (servers, clients and
subjects apart), one figure after another, on the same machine in the same run.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.apicost import run_apicost
from bench.ingest import run_ingest
from bench.latency import run_latency
from bench.procs import machine

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Plan:
    """Sizes of one run."""

    ingest_events: int
    ingest_objects: tuple[int, ...]
    main_objects: int
    latency_sizes: tuple[int, ...]
    main_vmis: int
    idle_main: float
    idle_other: float
    apicost_vmis: int
    apicost_warmup: float
    apicost_seconds: float

    def rates(self, vmis: int) -> dict[int, int]:
        """Changes to make at each rate: seconds' worth, within the VMIs there are."""
        if vmis >= 10_000:
            return {10: 100, 100: 1000, 1000: 5000}
        scale = vmis / 1000
        return {10: max(20, int(50 * scale)), 100: int(300 * scale), 1000: int(600 * scale)}


FULL = Plan(
    ingest_events=50_000,
    ingest_objects=(1_000, 10_000, 50_000),
    main_objects=10_000,
    latency_sizes=(1_000, 10_000, 50_000),
    main_vmis=10_000,
    idle_main=60.0,
    idle_other=10.0,
    apicost_vmis=5_000,
    apicost_warmup=20.0,
    apicost_seconds=60.0,
)
QUICK = Plan(
    ingest_events=600,
    ingest_objects=(100, 200),
    main_objects=200,
    latency_sizes=(100,),
    main_vmis=100,
    idle_main=1.0,
    idle_other=1.0,
    apicost_vmis=60,
    apicost_warmup=6.0,
    apicost_seconds=3.0,
)


def run_all(plan: Plan, workdir: Path, only: set[str] | None = None) -> dict[str, Any]:
    started = time.monotonic()
    results: dict[str, Any] = {"machine": machine(), "plan": plan.__dict__, "started": time.time()}

    def want(name: str) -> bool:
        return only is None or name in only

    if want("ingest"):
        results["ingest"] = [
            run_ingest(
                workdir,
                events=plan.ingest_events,
                objects=n,
                kubectl=n == plan.main_objects,
                kubernetes_aio=n == plan.main_objects,
            )
            for n in plan.ingest_objects
        ]
        _progress("ingest", started)
    if want("latency"):
        results["latency"] = [
            run_latency(
                workdir,
                vmis=n,
                rates=plan.rates(n),
                idle_seconds=plan.idle_main if n == plan.main_vmis else plan.idle_other,
            )
            for n in plan.latency_sizes
        ]
        _progress("latency and footprint", started)
    if want("apicost"):
        results["apicost"] = run_apicost(
            workdir,
            vmis=plan.apicost_vmis,
            warmup=plan.apicost_warmup,
            seconds=plan.apicost_seconds,
        )
        _progress("API cost and terminal", started)
    results["duration_s"] = round(time.monotonic() - started, 1)
    return results


def _progress(what: str, started: float) -> None:
    print(f"  {what} done at {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)


# ---- the table -------------------------------------------------------------------------

Row = tuple[str, str, str, str, str, str]


def _fmt(value: float | None, unit: str = "") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, int):
        return f"{value:,}{unit}"
    if abs(value) >= 100:
        text = f"{value:,.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.2f}"
    return f"{text}{unit}"


def _ratio(a: float | None, b: float | None) -> str:
    if not a or not b:
        return "-"
    return f"{a / b:.2f}x" if a / b >= 0.01 else f"{a / b:.4f}x"


def _verdict(ok: bool | None) -> str:
    return "" if ok is None else ("met" if ok else "MISSED")


def _ingest_rows(ing: dict[str, Any]) -> list[Row]:
    n = ing["objects"]
    cn, fl = ing["cnvtui"], ing["floor"]
    rate, cpu = f"1 ingest ev/s ({n:,} VMIs)", f"1 ingest CPU s ({n:,} VMIs)"
    rows: list[Row] = []
    peers: list[tuple[str, dict[str, Any], float | None]] = []
    if "kubectl" in ing:
        peers.append(("kubectl", ing["kubectl"], 5.0))
    if "kubernetes-aio" in ing:
        peers.append(("kubernetes-aio", ing["kubernetes-aio"], None))
    peers.append(("floor", fl, 0.6))
    for name, peer, goal in peers:
        a, b = cn["events_per_s"], peer["events_per_s"]
        text = f">={goal:g}x {_verdict(a >= goal * b)}" if goal is not None else ""
        rows.append((rate, f"cnvtui vs {name}", _fmt(a), _fmt(b), _ratio(a, b), text))
        a, b = cn["cpu"], peer["cpu"]
        rows.append((cpu, f"cnvtui vs {name}", _fmt(a), _fmt(b), _ratio(a, b), ""))
    return rows


def _apicost_rows(api: dict[str, Any]) -> list[Row]:
    dash, loop = api["served"]["dashboard"], api["served"]["loop"]
    span = f"{api['simulated_minutes']:g} sim min"
    who = "dashboard vs watch loop"
    rows: list[Row] = []
    for label, key, goal in (
        (f"2 API bytes ({span})", "bytes", 0.05),
        (f"2 API requests ({span})", "requests", None),
        ("2 API bytes incl. start", "bytes_total", None),
    ):
        a, b = dash[key], loop[key]
        text = f"<{goal:g}x {_verdict(a < goal * b)}" if goal is not None else ""
        rows.append((label, who, _fmt(a), _fmt(b), _ratio(a, b), text))
    screen = api["screen"]
    for size, tui, lp in (
        ("80x24", "tui-80x24", "loop"),
        ("80x24 low-bw", "tui-lowbw-80x24", "loop"),
        ("200x50", "tui-200x50", "loop-200x50"),
    ):
        if tui not in screen:
            continue
        a, b = screen[tui]["bytes_per_s"], screen[lp]["bytes_per_s"]
        verdict = f"<=1x {_verdict(a <= b)}" if size.startswith("80x24") else ""
        rows.append((f"3 terminal B/s {size}", "cnvtui vs watch loop", _fmt(a), _fmt(b),
                     _ratio(a, b), verdict))  # fmt: skip
    return rows


def _latency_rows(lat: dict[str, Any]) -> list[Row]:
    n = lat["vmis"]
    rows: list[Row] = []
    for rate, limit in ((10, None), (100, 250.0), (1000, 1000.0)):
        r = lat.get(f"rate_{rate}")
        if not r:
            continue
        goal = f"p99<{limit:g} {_verdict(r['p99_ms'] < limit)}" if limit else ""
        label = f"4 latency {rate}/s ({n:,} VMIs)"
        rows.append((label, "p50 / p99 ms", _fmt(r["p50_ms"]), _fmt(r["p99_ms"]), "", goal))
    start, rss, idle = lat["start_to_screen_s"], lat["peak_rss_mb"], lat["idle_cpu_pct"]
    ok = start is not None and start < 2.0
    rows.append((f"5 start to screen ({n:,})", "seconds", _fmt(start, " s"), "", "",
                 f"<2 s {_verdict(ok)}"))  # fmt: skip
    rows.append((f"5 peak RSS ({n:,})", "MB", _fmt(rss, " MB"), "", "",
                 f"<200 MB {_verdict(rss < 200)}"))  # fmt: skip
    rows.append((f"5 idle CPU ({n:,}, {lat['idle_seconds']:g} s)", "% of a core",
                 _fmt(idle, " %"), "", "", f"<1 % {_verdict(idle < 1)}"))  # fmt: skip
    if "rate_100" in lat:
        busy = lat["rate_100"]["cpu_pct"]
        rows.append((f"5 CPU at 100/s ({n:,})", "% of a core", _fmt(busy, " %"), "", "", ""))
    return rows


def table_rows(results: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    for ing in results.get("ingest", []):
        rows += _ingest_rows(ing)
    if results.get("apicost"):
        rows += _apicost_rows(results["apicost"])
    for lat in results.get("latency", []):
        rows += _latency_rows(lat)
    return rows


def render_table(results: dict[str, Any]) -> str:
    header: Row = ("figure", "compared", "cnvtui", "peer", "ratio", "goal")
    rows = [header, *table_rows(results)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = []
    for i, row in enumerate(rows):
        cells = [
            cell.ljust(widths[j]) if j < 2 else cell.rjust(widths[j]) if j < 5 else cell
            for j, cell in enumerate(row)
        ]
        lines.append("  ".join(cells).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (a smoke run)")
    parser.add_argument("--only", action="append", choices=("ingest", "latency", "apicost"),
                        help="run only this figure group (repeatable)")  # fmt: skip
    parser.add_argument("--out", type=Path, default=HERE / "results" / "latest.json")
    parser.add_argument("--save", action="store_true", help="also write bench/RESULTS.json")
    args = parser.parse_args(argv)
    if shutil.which("kubectl") is None or shutil.which("watch") is None:
        print("bench: needs kubectl and watch (procps) on PATH", file=sys.stderr)
        return 2
    plan = QUICK if args.quick else FULL
    with tempfile.TemporaryDirectory(prefix="cnvtui-bench-") as tmp:
        results = run_all(plan, Path(tmp), set(args.only) if args.only else None)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(results, indent=2) + "\n"
    args.out.write_text(text)
    if args.save:
        (HERE / "RESULTS.json").write_text(text)
    print(render_table(results))
    print(f"\n{results['duration_s']:.0f} s; JSON in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
