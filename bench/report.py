"""Markdown tables of a ``bench/run.py`` result, for docs/benchmarks.md.

    .venv/bin/python -m bench.report bench/results/latest-100k.json [bench/results/latest-1m.json]

A result with a smaller data set beside it (the 1M scale) also gets the list's scale target,
measured side by side in that run; with two results (100k and 1M), the same comparison across
the two runs, for orientation (minutes apart, so the machine's load differs).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def _ms(value: float) -> str:
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def figures(result: dict[str, Any]) -> str:
    lines = [
        "| workload | Tasklane req/s | floor req/s | **ratio** | Tasklane p50 / p99 ms "
        "| floor p50 / p99 ms | **p99 ratio** | failed |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for workload, entry in result["summary"].items():
        a, b = entry["tasklane"], entry["floor"]
        lines.append(
            f"| {workload} | {a['rps']:,.0f} | {b['rps']:,.0f} | **{entry['rps_ratio']:.2f}** "
            f"| {_ms(a['p50_ms'])} / {_ms(a['p99_ms'])} | {_ms(b['p50_ms'])} / {_ms(b['p99_ms'])} "
            f"| **{entry['p99_ratio']:.2f}** | {a['errors'] + b['errors']} |"
        )
    return "\n".join(lines)


def database(result: dict[str, Any]) -> str:
    lines = [
        "| workload | statements | pings | new connections | commits | rollbacks |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for workload, entry in result["summary"].items():
        a = entry["tasklane"].get("db_per_request")
        b = entry["floor"].get("db_per_request")
        if not a or not b:
            continue
        lines.append(
            f"| {workload} | {a['statements']} / {b['statements']} | {a['pings']} / {b['pings']} "
            f"| {a['connections_opened']} / {b['connections_opened']} "
            f"| {a['commits']} / {b['commits']} | {a['rollbacks']} / {b['rollbacks']} |"
        )
    return "\n".join(lines)


def plans(result: dict[str, Any]) -> str:
    lines = [
        "| statement | access | index | rows read | server time ms |",
        "|---|---|---|---:|---:|",
    ]
    for name, plan in result["meta"].get("query_plans", {}).items():
        for table in plan.get("tables", []):
            time_ms = plan.get("r_total_time_ms")
            lines.append(
                f"| {name} | {table['access_type']} | {table['key']} "
                f"| {table['r_rows'] if table['r_rows'] is not None else 1} "
                f"| {time_ms:.3f} |"
                if time_ms is not None
                else f"| {name} | {table['access_type']} | {table['key']} | ? | ? |"
            )
    return "\n".join(lines)


def targets(result: dict[str, Any]) -> str:
    lines = ["| target | measured | verdict |", "|---|---:|---|"]
    for name, check in result["targets"].items():
        lines.append(f"| {name} | {check['value']} | {check['verdict']} |")
    return "\n".join(lines)


def smaller_comparison(result: dict[str, Any]) -> str:
    entry = result["summary"].get("list", {})
    meta = result["meta"]
    if not meta.get("smaller") or not entry.get("smaller_to_this"):
        return ""
    smaller_tasks = meta["smaller"]["users"] * meta["smaller"]["tasks_per_user"]
    lines = [
        f"| list | req/s, {smaller_tasks:,} tasks | p50 / p99 ms "
        f"| req/s, {meta['users'] * meta['tasks_per_user']:,} tasks | p50 / p99 ms "
        "| **smaller / this** (target <= 1.2) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for server, ratio in entry["smaller_to_this"].items():
        small, this = entry[f"{server}-smaller"], entry[server]
        lines.append(
            f"| {server} | {small['rps']:,.0f} | {_ms(small['p50_ms'])} / {_ms(small['p99_ms'])} "
            f"| {this['rps']:,.0f} | {_ms(this['p50_ms'])} / {_ms(this['p99_ms'])} "
            f"| **{ratio:.2f}** |"
        )
    return "\n".join(lines)


def scale_comparison(small: dict[str, Any], large: dict[str, Any]) -> str:
    lines = [
        "| workload | server | req/s at 100k | req/s at 1M | 100k / 1M (target <= 1.2) |",
        "|---|---|---:|---:|---:|",
    ]
    for workload in ("list", "page1", "page50", "get", "search"):
        for server in ("tasklane", "floor"):
            try:
                a = small["summary"][workload][server]["rps"]
                b = large["summary"][workload][server]["rps"]
            except KeyError:
                continue
            lines.append(f"| {workload} | {server} | {a:,.0f} | {b:,.0f} | {a / b:.2f} |")
    return "\n".join(lines)


def main() -> None:
    results = [json.loads(Path(p).read_text()) for p in sys.argv[1:]]
    for result in results:
        meta = result["meta"]
        print(f"### {meta['users'] * meta['tasks_per_user']:,} tasks ({meta['started']})\n")
        print(figures(result), "\n")
        print(database(result), "\n")
        print(plans(result), "\n")
        print(targets(result), "\n")
        if side_by_side := smaller_comparison(result):
            print(side_by_side, "\n")
    if len(results) == 2:
        print(scale_comparison(results[0], results[1]))


if __name__ == "__main__":
    main()
