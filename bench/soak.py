"""``make soak``: Tasklane held at half its measured capacity for a long time.

A private mariadbd, ``tasklane serve --workers 2`` in production settings (rate limits raised),
a seeded data set; first the capacity of the mixed workload (wrk at full speed), then the same
workload at half that rate (each wrk connection waits between requests) in back-to-back
slices of a minute. After each slice: its throughput, p99 and failed requests, and the
resident memory of every server process. The verdict (docs/reliability.md):

- failed requests below 0.1 % of all;
- p99 stable: the median p99 of the last third of the slices within 1.5x of the first third's;
- memory: each process grows by less than 10 % from the end of the first slice (warm) to the
  end.

    .venv/bin/python -m bench.soak                    # 30 minutes
    .venv/bin/python -m bench.soak --minutes 2        # a short look
    .venv/bin/python -m bench.soak --smoke     # CI: seconds; fails on errors only

Writes ``soak-latest.json`` to bench/results/ (``--out``) and, with ``--doc``, the section
between the soak markers of that document. Exits 1 when a target is missed (with ``--smoke``:
when a request failed), 2 when the harness breaks.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import signal
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import environment
from bench.config import RESULTS, WORK, HarnessError, log
from bench.data import DataSet
from bench.load import run_wrk, wrk_command
from bench.mariadb import MariaDBError, PrivateMariaDB
from bench.processes import Processes, log_errors, server_env, show_logs, signing_key, tasklane_cli

START = "<!-- soak:start -->"
END = "<!-- soak:end -->"
ERROR_RATE = 0.001
P99_DRIFT = 1.5
MEMORY_GROWTH = 0.10
CONNECTIONS = 32


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def verdict(slices: list[dict[str, Any]], memory: dict[str, list[int]]) -> dict[str, Any]:
    """The three targets from the slices' figures and each process's memory after each."""
    requests = sum(s["requests"] for s in slices)
    errors = sum(s["errors"] for s in slices)
    third = max(1, len(slices) // 3)
    first = statistics.median(s["p99_ms"] for s in slices[:third])
    last = statistics.median(s["p99_ms"] for s in slices[-third:])
    growth = {
        name: (samples[-1] - samples[0]) / samples[0]
        for name, samples in memory.items()
        if samples and samples[0]
    }
    worst = max(growth.values(), default=0.0)
    return {
        "requests": requests,
        "errors": errors,
        "error_rate": errors / requests if requests else 1.0,
        "p99_first_third_ms": round(first, 2),
        "p99_last_third_ms": round(last, 2),
        "p99_drift": round(last / first, 2) if first else math.inf,
        "memory_growth": {name: round(value, 3) for name, value in growth.items()},
        "worst_memory_growth": round(worst, 3),
        "met": {
            "errors": requests > 0 and errors / requests < ERROR_RATE,
            "p99": bool(first) and last / first <= P99_DRIFT,
            "memory": worst < MEMORY_GROWTH,
        },
    }


class Soak:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.work = WORK / f"soak-{time.time_ns()}"
        self.procs = Processes()
        self.db = PrivateMariaDB(self.work / "mariadb", buffer_pool="512M")
        self.started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")

    def run(self) -> int:
        args = self.args
        self.work.mkdir(parents=True, exist_ok=True)
        log("private mariadbd")
        self.db.start()
        env = server_env(self.db.url, signing_key(), self.work)
        tasklane_cli(["migrate"], env)
        log(f"tasklane seed: {args.users} users x {args.tasks_per_user} tasks")
        tasklane_cli(
            [
                "seed",
                "--users",
                str(args.users),
                "--tasks-per-user",
                str(args.tasks_per_user),
                "--no-progress",
            ],
            env,
        )
        only = {"tasklane": "tasklane"}
        urls = self.procs.start_servers(only, env, self.work / "jwks.json", self.work)
        self.procs.wait_ready(only, urls)
        url = urls["tasklane"]
        data = DataSet(self.db.url, url, self.work / "data.tsv")
        if not data.read(50, 2):  # (the page-2 cursors go unused: the mix reads no deep page)
            raise HarnessError("the seed produced no users with tasks")
        data.login()
        capacity = run_wrk(
            wrk_command(url, "mix", data.write(), args.capacity_seconds, CONNECTIONS, 2, 2000),
            args.capacity_seconds + 60,
        )
        target = capacity["rps"] / 2
        # Each connection sends one request per (delay + latency): about the target rate.
        delay_ms = max(1, round(CONNECTIONS * 1000 / target - capacity["p50_ms"]))
        log(f"capacity {capacity['rps']:.0f}/s; soaking at ~{target:.0f}/s (delay {delay_ms} ms)")
        slices: list[dict[str, Any]] = []
        memory: dict[str, list[int]] = {}
        for number in range(1, args.slices + 1):
            if data.tokens_old():
                data.login()
            command = wrk_command(
                url, "mix", data.write(), args.slice_seconds, CONNECTIONS, 2, 2000, delay_ms
            )
            result = run_wrk(command, args.slice_seconds + 60)
            result.pop("raw", None)
            slices.append(result)
            pids = {"supervisor": self.procs.started["tasklane"].pid}
            for n, pid in enumerate(self.procs.workers("tasklane")):
                pids[f"worker {n + 1}"] = pid
            for name, pid in pids.items():
                memory.setdefault(name, []).append(rss_kib(pid))
            if not self.procs.alive("tasklane"):
                raise HarnessError("tasklane died during the soak")
            log(
                f"slice {number}/{args.slices}: {result['rps']:.0f}/s p99 "
                f"{result['p99_ms']:.1f} ms errors {result['errors']} rss "
                + ", ".join(f"{name} {m[-1] // 1024} MiB" for name, m in memory.items())
            )
        result = {
            "started": self.started,
            "commit": environment.commit(),
            "machine": environment.machine(),
            "minutes": round(args.slices * args.slice_seconds / 60, 1),
            "capacity_rps": round(capacity["rps"]),
            "target_rps": round(target),
            "slices": slices,
            "memory_kib": memory,
            "server_log_errors": log_errors(self.work, ["tasklane"]),
            **verdict(slices, memory),
        }
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "soak-latest.json").write_text(json.dumps(result, indent=2))
        if args.doc:
            write_section(args.doc, result)
        log(
            f"{result['requests']} requests, error rate {result['error_rate']:.5f}, p99 drift "
            f"{result['p99_drift']}, worst memory growth {result['worst_memory_growth']:.1%}"
        )
        missed = [
            name
            for name, met in result["met"].items()
            if not met and not (args.smoke and name != "errors")
        ]
        if missed:
            log(f"MISSED: {', '.join(missed)}")
            return 1
        return 0

    def close(self) -> None:
        self.procs.stop_all()
        self.db.stop()
        shutil.rmtree(self.work, ignore_errors=True)


def write_section(doc: Path, result: dict[str, Any]) -> None:
    met = result["met"]
    mark = {True: "met", False: "MISSED"}
    growth = ", ".join(f"{name} {value:+.1%}" for name, value in result["memory_growth"].items())
    section = "\n".join(
        [
            START,
            f"Last `make soak`: {result['started']}, {result['minutes']} minutes, commit "
            f"{result['commit']}.",
            "",
            "| target | figure | |",
            "| --- | --- | --- |",
            f"| load | {result['target_rps']}/s, half the measured {result['capacity_rps']}/s "
            f"(mixed workload) | |",
            f"| failed requests < 0.1 % | {result['errors']} of {result['requests']} "
            f"({result['error_rate']:.4%}) | {mark[met['errors']]} |",
            f"| p99 stable (last third within {P99_DRIFT}x of the first) | "
            f"{result['p99_first_third_ms']} ms → {result['p99_last_third_ms']} ms "
            f"({result['p99_drift']}x) | {mark[met['p99']]} |",
            f"| memory growth of each process < 10 % | {growth} | {mark[met['memory']]} |",
            END,
        ]
    )
    text = doc.read_text(encoding="utf-8")
    before, found, rest = text.partition(START)
    _, found_end, after = rest.partition(END)
    if not (found and found_end):
        raise HarnessError(f"{doc} has no soak markers")
    doc.write_text(before + section + after, encoding="utf-8")


def _raise_interrupt(signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--slices", type=int, default=0, help="default: one a minute")
    parser.add_argument("--slice-seconds", type=int, default=60)
    parser.add_argument("--capacity-seconds", type=int, default=15)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--tasks-per-user", type=int, default=100)
    parser.add_argument("--doc", type=Path, help="rewrite the soak section of this document")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="a few seconds on a tiny data set; fails on errors only",
    )
    args = parser.parse_args(argv)
    if args.smoke:
        args.slices, args.slice_seconds, args.capacity_seconds = 2, 3, 3
        args.users, args.tasks_per_user = 10, 20
    if not args.slices:
        args.slices = max(1, round(args.minutes * 60 / args.slice_seconds))
    signal.signal(signal.SIGTERM, _raise_interrupt)
    soak = Soak(args)
    try:
        return soak.run()
    except (HarnessError, MariaDBError) as error:
        log(f"FAILED: {error}")
        show_logs(soak.work, ["tasklane"])
        return 2
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        soak.close()


if __name__ == "__main__":
    sys.exit(main())
