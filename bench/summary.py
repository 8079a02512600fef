"""A run's figures: medians over rounds, Tasklane/floor ratios, the targets, and the table
printed at the end."""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.config import SERVERS, SMALLER, WORKLOADS, WRITES, log


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    grouped: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for run in runs:
        grouped[(run["workload"], run["server"])].append(run)
    summary: dict[str, Any] = {}
    for workload in WORKLOADS:
        entry: dict[str, Any] = {}
        for server in (*SERVERS, *SMALLER.values()):
            series = grouped.get((workload, server))
            if not series:
                continue
            entry[server] = {
                "rps": round(statistics.median(r["rps"] for r in series), 1),
                "p50_ms": round(statistics.median(r["p50_ms"] for r in series), 2),
                "p99_ms": round(statistics.median(r["p99_ms"] for r in series), 2),
                "errors": sum(r["errors"] for r in series),
                "rounds": len(series),
            }
            adjacent = [r["login_to_bare"] for r in series if r.get("login_to_bare")]
            if adjacent:
                entry[server]["login_to_bare"] = round(statistics.median(adjacent), 3)
            db = [r["db_per_request"] for r in series if r.get("db_per_request")]
            if db:
                entry[server]["db_per_request"] = {
                    key: round(statistics.median(d[key] for d in db), 2) for key in db[0]
                }
        if "tasklane" in entry and "floor" in entry:
            a, b = entry["tasklane"], entry["floor"]
            entry["rps_ratio"] = round(a["rps"] / b["rps"], 3) if b["rps"] else None
            entry["p99_ratio"] = round(a["p99_ms"] / b["p99_ms"], 3) if b["p99_ms"] else None
        # Each server on the smaller data set / on this one, measured side by side.
        ratios = {
            server: round(entry[smaller]["rps"] / entry[server]["rps"], 3)
            for server, smaller in SMALLER.items()
            if server in entry and smaller in entry and entry[server]["rps"]
        }
        if ratios:
            entry["smaller_to_this"] = ratios
        if entry:
            summary[workload] = entry
    return summary


def targets(summary: dict[str, Any], hash_rate: float) -> dict[str, Any]:
    """Issue 5's targets, each from figures taken side by side in this run."""
    out: dict[str, Any] = {}

    def verdict(ok: bool) -> str:
        return "met" if ok else "not met"

    for name in ("get", "list", "search"):
        if name in summary and summary[name].get("rps_ratio") is not None:
            rps, p99 = summary[name]["rps_ratio"], summary[name]["p99_ratio"]
            out[f"{name}: throughput >= 0.8x floor"] = {
                "value": rps,
                "verdict": verdict(rps >= 0.8),
            }
            out[f"{name}: p99 <= 1.5x floor"] = {"value": p99, "verdict": verdict(p99 <= 1.5)}
    for name in WRITES:
        if name in summary and summary[name].get("rps_ratio") is not None:
            rps = summary[name]["rps_ratio"]
            out[f"{name}: throughput >= 0.7x floor"] = {
                "value": rps,
                "verdict": verdict(rps >= 0.7),
            }
    if "page1" in summary and "page50" in summary:
        for server in SERVERS:
            ratio = summary["page1"][server]["rps"] / summary["page50"][server]["rps"]
            out[f"{server}: page-1 / deep-page throughput <= 1.2"] = {
                "value": round(ratio, 3),
                "verdict": verdict(ratio <= 1.2),
            }
    for server, ratio in summary.get("list", {}).get("smaller_to_this", {}).items():
        out[f"{server}: list throughput on the smaller data set / on this one <= 1.2"] = {
            "value": ratio,
            "verdict": verdict(ratio <= 1.2),
        }
    if "login" in summary and summary["login"]["tasklane"].get("login_to_bare"):
        ratio = summary["login"]["tasklane"]["login_to_bare"]
        out["login: throughput >= 0.9x bare Argon2id rate (measured just before)"] = {
            "value": round(ratio, 3),
            "verdict": verdict(ratio >= 0.9),
        }
    if "storm" in summary and "get" in summary:
        for server in SERVERS:
            ratio = summary["storm"][server]["p99_ms"] / summary["get"][server]["p99_ms"]
            out[f"{server}: get p99 during a login storm <= 2x without"] = {
                "value": round(ratio, 2),
                "verdict": verdict(ratio <= 2.0),
            }
    return out


def print_table(
    summary: dict[str, Any], checks: dict[str, Any], hash_rate: float, page: dict[str, Any]
) -> None:
    head = (
        f"{'workload':<9} {'Tasklane/s':>10} {'floor/s':>9} {'ratio':>6} "
        f"{'T p50':>8} {'F p50':>8} {'T p99':>8} {'F p99':>8} {'p99 x':>6} {'errors':>6}"
    )
    print()
    print(head)
    print("-" * len(head))
    for workload, entry in summary.items():
        a, b = entry.get("tasklane"), entry.get("floor")
        if not a or not b:
            continue
        print(
            f"{workload:<9} {a['rps']:>10.0f} {b['rps']:>9.0f} {entry['rps_ratio']:>6.2f} "
            f"{a['p50_ms']:>7.1f}ms {b['p50_ms']:>6.1f}ms {a['p99_ms']:>6.1f}ms "
            f"{b['p99_ms']:>6.1f}ms {entry['p99_ratio']:>6.2f} {a['errors'] + b['errors']:>6}"
        )
    print("\nper request, as the database saw it (Tasklane / floor):")
    print(f"{'workload':<9} {'statements':>12} {'pings':>11} {'new conns':>11}")
    for workload, entry in summary.items():
        a = entry.get("tasklane", {}).get("db_per_request")
        b = entry.get("floor", {}).get("db_per_request")
        if a and b:
            print(
                f"{workload:<9} {a['statements']:>5} / {b['statements']:<5}"
                f" {a['pings']:>4} / {b['pings']:<4} {a['connections_opened']:>4} / "
                f"{b['connections_opened']:<4}"
            )
    for server, smaller_name in SMALLER.items():
        smaller = summary.get("list", {}).get(smaller_name)
        if smaller:
            print(
                f"\nlist on the smaller data set ({server}): {smaller['rps']:.0f}/s, "
                f"p50 {smaller['p50_ms']:.1f} ms, p99 {smaller['p99_ms']:.1f} ms",
                end="",
            )
    print()
    print(f"\nbare Argon2id verifications/s (same parameters, all cores): {hash_rate:.0f}")
    if page.get("measured"):
        count = len(page["resources"])
        print(f"first load of /login (web app, brotli): {page['kib']} KiB in {count} files")
    print("storm = the get workload while a login storm runs against the same server\n")
    for name, check in checks.items():
        print(f"  {check['verdict']:<8} {name}: {check['value']}")
    print()


def result(
    meta: dict[str, Any],
    runs: list[dict[str, Any]],
    hash_rate: float,
    profiles: dict[str, Any],
) -> dict[str, Any]:
    """What a run writes to bench/results/: its settings, the summary, the targets, every run
    (without wrk's own report) and the profiles."""
    summary = summarise(runs)
    checks = targets(summary, hash_rate)
    page = meta.get("login_page", {})
    if page.get("measured"):
        checks["web app: first load of /login <= 150 KB"] = {
            "value": page["bytes"],
            "verdict": "met" if page["bytes"] <= 150_000 else "not met",
        }
    return {
        "meta": meta,
        "argon2_verifications_per_second": round(hash_rate, 1),
        "summary": summary,
        "targets": checks,
        "runs": [{k: v for k, v in r.items() if k not in ("raw", "storm_raw")} for r in runs],
        "errors": sum(r["errors"] for r in runs),
        "profiles": profiles,
    }


def write(result: dict[str, Any], runs: list[dict[str, Any]], out: Path, scale: str) -> Path:
    """``<stamp>-<scale>.json``, ``latest.json`` and ``latest-<scale>.json`` in ``out``, and
    wrk's reports of the runs that failed; the first's path."""
    out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = out / f"{stamp}-{scale}.json"
    for each in (path, out / "latest.json", out / f"latest-{scale}.json"):
        each.write_text(json.dumps(result, indent=2) + "\n")
    if result["errors"]:
        raw = out / f"{stamp}-{scale}-failed-wrk.txt"
        raw.write_text(
            "\n\n".join(
                f"== {r['workload']} {r['server']} round {r['round']}\n{r['raw']}"
                for r in runs
                if r["errors"]
            )
        )
        log(f"wrk reports of the failing runs: {raw}")
    return path
