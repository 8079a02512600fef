"""``make bench``: Tasklane against the floor, side by side, driven by wrk.

One run: a private mariadbd sized to hold the data set (bench/mariadb.py), ``tasklane
migrate`` and ``tasklane seed``, Tasklane (``tasklane serve --workers 2``, production settings,
rate limits raised) and the floor (bench/floor/, granian with 2 workers) on the same database.
Seeded users are logged in through the API for their tokens; their task ids and page-50
cursors are read from the database (and checked against the API). A contract check then asks
both servers the same questions and compares the answers, and wrk (bench/wrk/workloads.lua)
drives each workload against Tasklane and the floor alternately (A, B, then B, A next round).
The median over rounds of each server's throughput, p50 and p99 and their Tasklane/floor ratios
are printed, written as JSON to bench/results/ (``<timestamp>.json`` and ``latest.json``) and
plotted (PNG).

    .venv/bin/python -m bench.run                      # 100k tasks over 200 users
    .venv/bin/python -m bench.run --scale 1m           # 1M tasks over 1,000 users
    .venv/bin/python -m bench.run --scale smoke        # CI: tiny, fails only on errors

Exits non-zero when any request failed (a socket error, a timeout or a non-2xx answer), when
the floor and Tasklane disagree on the contract, or when the harness itself breaks; never
because of a speed figure. Every process it starts is stopped on exit, ^C included.

This module runs the steps; the parts are bench/config.py (scales, workloads, paths),
bench/processes.py (the servers' command lines, process groups, readiness and logs),
bench/data.py (the seeded users, their tokens and wrk's data file), bench/contract.py,
bench/load.py (wrk, the database's counters, the bare Argon2id rate), bench/explain.py,
bench/page_weight.py, bench/summary.py (medians, targets, the table, the JSON),
bench/plot.py and bench/environment.py.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench import environment, load, profile, summary
from bench.config import (
    PAGE_LIMIT,
    RESULTS,
    SCALES,
    SERVERS,
    SMALLER,
    WORK,
    WORKLOADS,
    HarnessError,
    Scale,
    log,
)
from bench.contract import check_contract
from bench.data import DataSet
from bench.explain import plan_lines, query_plans
from bench.load import argon2_rate, run_wrk, wrk_command
from bench.mariadb import MariaDBError, PrivateMariaDB
from bench.page_weight import login_page_weight
from bench.plot import plot
from bench.processes import (
    Processes,
    log_errors,
    public_jwks,
    server_env,
    show_logs,
    signing_key,
    tasklane_cli,
)

#: The servers on the data set being measured (on the smaller one: SMALLER).
MAIN = {server: server for server in SERVERS}


class Bench:
    """One run: set-up, the measured rounds, the report; ``close`` stops what it started."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.scale: Scale = SCALES[args.scale]
        self.seconds = args.seconds or self.scale.seconds
        self.rounds = args.rounds or self.scale.rounds
        self.work = WORK / f"run-{os.getpid()}"
        self.procs = Processes()
        self.db = PrivateMariaDB(self.work / "mariadb", buffer_pool=self.scale.buffer_pool)
        self.main_set: DataSet | None = None
        self.smaller_set: DataSet | None = None
        self.urls: dict[str, str] = {}
        self.runs: list[dict[str, Any]] = []
        self.hash_rates: list[float] = []
        self.profiles: dict[str, Any] = {}
        self.meta: dict[str, Any] = {}
        self.env: dict[str, str] = {}
        self.pem = ""

    # set-up

    def prepare(self) -> None:
        scale = self.scale
        self.work.mkdir(parents=True, exist_ok=True)
        log(f"private mariadbd (buffer pool {scale.buffer_pool})")
        self.db.start()
        self.pem = signing_key()
        self.env = server_env(self.db.url, self.pem, self.work)
        jwks = self.work / "jwks.json"
        jwks.write_text(json.dumps(public_jwks(self.pem)))
        log("tasklane migrate")
        tasklane_cli(["migrate"], self.env)
        # Both servers start while the data is loaded (they only need the schema).
        log("starting Tasklane (tasklane serve, 2 workers) and the floor (granian, 2 workers)")
        self.urls.update(self.procs.start_servers(MAIN, self.env, jwks, self.work))
        self.meta["seed"] = self._seed("tasklane", scale.users, scale.tasks_per_user, self.env)
        self.meta["data_mb"] = self.db.data_size_mb()
        self.procs.wait_ready(MAIN, self.urls)
        served = json.loads(httpx.get(f"{self.urls['tasklane']}/.well-known/jwks.json").text)
        if served != json.loads(jwks.read_text()):
            raise HarnessError(f"Tasklane serves other keys than the floor checks: {served}")
        log("reading the seeded users and tasks")
        data = self.main_set = DataSet(self.db.url, self.urls["tasklane"], self.work / "data.tsv")
        if not data.read(self.args.tasks_sampled, scale.page):
            raise HarnessError("the seed produced no users with tasks")
        self.login(data)
        log("contract check: the same questions to both servers")
        problems = check_contract(self.urls, data.users, scale.page)
        self.meta["contract_problems"] = problems
        if problems:
            for problem in problems:
                log(f"CONTRACT: {problem}")
            if not self.args.ignore_contract:
                raise HarnessError(f"{len(problems)} contract differences (see above)")
        else:
            log("contract check passed")
        deep = next((u for u in data.users if u.cursor), data.users[0])
        self.meta["query_plans"] = query_plans(self.db, deep)
        for line in plan_lines(self.meta["query_plans"]):
            log(line)
        self.meta["login_page"] = login_page_weight(self.urls["tasklane"])
        if self.meta["login_page"]["measured"]:
            log(f"first load of /login: {self.meta['login_page']['kib']} KiB")
        if scale.smaller:
            self.prepare_smaller(*scale.smaller)

    def _seed(self, database: str, users: int, per_user: int, env: dict[str, str]) -> Any:
        log(f"tasklane seed: {users * per_user:,} tasks over {users} users ({database})")
        started = time.monotonic()
        out = tasklane_cli(
            ["seed", "--users", str(users), "--tasks-per-user", str(per_user), "--no-progress"],
            env,
        )
        seeded: dict[str, Any] = {
            "wall_seconds": round(time.monotonic() - started, 1),
            "output": out.strip().splitlines()[-1] if out.strip() else "",
        }
        log(seeded["output"])
        self.db.sql(f"ANALYZE TABLE {database}.tasks, {database}.task_tags, {database}.users")
        return seeded

    def prepare_smaller(self, users: int, per_user: int) -> None:
        """The smaller data set, for the list's scale target: its own database in the same
        mariadbd, and Tasklane and the floor again on it (idle but for their list runs, each
        taken next to the same server's run on the large set)."""
        url = self.db.add_database("tasklane_smaller")
        env = server_env(url, self.pem, self.work)
        tasklane_cli(["migrate"], env)
        self.meta["smaller"] = {
            "users": users,
            "tasks_per_user": per_user,
            "seed": self._seed("tasklane_smaller", users, per_user, env),
        }
        self.urls.update(self.procs.start_servers(SMALLER, env, self.work / "jwks.json", self.work))
        self.procs.wait_ready(SMALLER, self.urls)
        data = self.smaller_set = DataSet(
            url, self.urls[SMALLER["tasklane"]], self.work / "data-smaller.tsv"
        )
        if not data.read(self.args.tasks_sampled, self.scale.page):
            raise HarnessError("the smaller seed produced no users with tasks")
        self.login(data)

    def login(self, data: DataSet) -> None:
        if data is self.main_set:
            log(f"logging {len(data.users)} users in through Tasklane's API")
        retried = data.login()
        for failure in retried:
            log(f"LOGIN ANSWERED 5xx (retried): {failure}")
        self.meta.setdefault("login_5xx_retried", []).extend(retried)

    def data_file(self, data: DataSet, workload: str = "") -> Path:
        """Tokens renewed when they get old; on the data set measured, fresh task versions for
        the workloads that update (If-Match needs the current ETag)."""
        renew = data.tokens_old()
        if renew:
            self.login(data)
        if data.path.exists() and not renew and workload not in ("update", "mix"):
            return data.path
        return data.write(versions=data is self.main_set)

    # measuring

    def measure(self, server: str, workload: str, round_no: int) -> dict[str, Any]:
        data = self.data_file(self._set(smaller=server in SMALLER.values()), workload)
        time.sleep(self.scale.settle)
        result = load.measure(
            self.urls[server],
            workload,
            data,
            seconds=self.seconds,
            connections=self.args.connections,
            threads=self.args.threads,
            pool=self.scale.pool,
            db=self.db,
            hash_seconds=self.scale.hash_seconds,
        )
        result.update(server=server, workload=workload, round=round_no)
        if not self.procs.alive(server):
            raise HarnessError(f"{server} died during {workload}")
        bad = result.get("bad_statuses") or ""
        flag = f"  ERRORS {result['errors']} {bad}" if result["errors"] else ""
        log(
            f"round {round_no} {workload:<7} {server:<8} {result['rps']:>8.0f}/s "
            f"p50 {result['p50_ms']:.1f} ms p99 {result['p99_ms']:.1f} ms{flag}"
        )
        return result

    def _set(self, smaller: bool) -> DataSet:
        data = self.smaller_set if smaller else self.main_set
        if data is None:
            raise HarnessError("no data set: prepare() has not run")
        return data

    def warm_up(self) -> None:
        if not self.scale.warmup:
            return
        log("warm-up (not recorded)")
        data = self.data_file(self._set(smaller=False))
        for server in SERVERS:
            for workload in ("get", "list", "search", "page50"):
                command = wrk_command(
                    self.urls[server], workload, data, self.scale.warmup, 16, self.args.threads
                )
                run_wrk(command, self.scale.warmup + 60)
        if self.smaller_set:
            smaller = self.data_file(self.smaller_set)
            for name in SMALLER.values():
                command = wrk_command(
                    self.urls[name], "list", smaller, self.scale.warmup, 16, self.args.threads
                )
                run_wrk(command, self.scale.warmup + 60)

    def run(self) -> int:
        self.meta.update(
            started=datetime.now(UTC).isoformat(timespec="seconds"),
            scale=self.args.scale,
            users=self.scale.users,
            tasks_per_user=self.scale.tasks_per_user,
            seconds=self.seconds,
            rounds=self.rounds,
            connections=self.args.connections,
            wrk_threads=self.args.threads,
            workers=2,
            deep_page=self.scale.page,
            page_limit=PAGE_LIMIT,
            machine=environment.machine(),
            versions=environment.versions(),
            commit=environment.commit(),
        )
        started = time.monotonic()
        self.prepare()
        self.warm_up()
        workloads = self.args.workloads or list(WORKLOADS)
        for round_no in range(1, self.rounds + 1):
            rate = argon2_rate(self.scale.hash_seconds, os.cpu_count() or 2)
            self.hash_rates.append(rate)
            log(f"round {round_no}: bare Argon2id {rate:.0f} verifications/s")
            order = SERVERS if round_no % 2 else tuple(reversed(SERVERS))
            for workload in workloads:
                servers: tuple[str, ...] = order
                if workload == "list" and self.smaller_set:
                    # Each server's run on the smaller set next to its run on this one.
                    servers = (SMALLER[order[0]], *order, SMALLER[order[1]])
                for server in servers:
                    self.runs.append(self.measure(server, workload, round_no))
        if self.args.profile:
            self.profile_pass(self.args.profile)
        self.meta["wall_seconds"] = round(time.monotonic() - started, 1)
        self.meta["machine"]["load_after"] = os.getloadavg()
        self.meta["server_log_errors"] = log_errors(self.work, self.server_names)
        for line in self.meta["server_log_errors"]:
            log(f"server log: {line}")
        return self.report()

    @property
    def server_names(self) -> list[str]:
        return [*SERVERS, *SMALLER.values()]

    def profile_pass(self, workloads: list[str]) -> None:
        """One more run of each workload per server under py-spy (not in the figures)."""
        out: Path = self.args.out / "profiles"
        out.mkdir(parents=True, exist_ok=True)
        seconds = max(self.seconds, 5)
        for workload in workloads:
            for server in SERVERS:
                data = self.data_file(self._set(smaller=False), workload)
                raw = out / f"{self.args.scale}-{workload}-{server}.txt"
                raw.unlink(missing_ok=True)
                spy = profile.record(self.procs.started[server].pid, seconds + 2, raw)
                time.sleep(1.0)  # py-spy attached to every worker
                command = wrk_command(
                    self.urls[server],
                    workload,
                    data,
                    seconds,
                    self.args.connections,
                    self.args.threads,
                    self.scale.pool,
                )
                result = run_wrk(command, seconds + 60)
                spy.wait(timeout=60)
                sampled = profile.summarise(raw) if raw.exists() else {"samples": 0}
                sampled["rps_while_sampled"] = result["rps"]
                self.profiles[f"{workload}/{server}"] = sampled
                (out / f"{self.args.scale}-{workload}-{server}.summary.txt").write_text(
                    profile.render(sampled)
                )
                log(
                    f"profile {workload} {server}: {sampled.get('samples', 0)} samples, "
                    f"{result['rps']:.0f}/s -> {raw}"
                )

    def report(self) -> int:
        hash_rate = statistics.median(self.hash_rates) if self.hash_rates else 0.0
        result = summary.result(self.meta, self.runs, hash_rate, self.profiles)
        summary.print_table(
            result["summary"], result["targets"], hash_rate, self.meta.get("login_page", {})
        )
        written = summary.write(result, self.runs, self.args.out, self.args.scale)
        if not self.args.no_plot:
            plots = [written.with_suffix(".png")]
            if self.args.plot:
                plots.append(self.args.plot)
            plot(result, plots)
            log(f"plot: {', '.join(str(p) for p in plots)}")
        log(f"results: {written} ({self.meta['wall_seconds']} s)")
        empty = [f"{r['workload']}/{r['server']}" for r in self.runs if not r["requests"]]
        if result["errors"] or empty:
            log(
                f"FAILED: {result['errors']} failed requests; "
                f"runs without requests: {empty or 'none'}"
            )
            return 1
        return 0

    def close(self) -> None:
        self.procs.stop_all()
        self.db.stop(keep=self.args.keep_data)
        if not self.args.keep_data:
            shutil.rmtree(self.work, ignore_errors=True)


def _raise_interrupt(signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="100k")
    parser.add_argument("--seconds", type=int, default=0, help="per run (default: the scale's)")
    parser.add_argument("--rounds", type=int, default=0, help="A,B rounds (default: the scale's)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workloads", nargs="*", choices=WORKLOADS)
    parser.add_argument("--tasks-sampled", type=int, default=100, help="task ids kept per user")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--plot", type=Path, help="also write the plot here (e.g. docs/bench.png)")
    parser.add_argument("--no-plot", action="store_true")
    parser.add_argument("--keep-data", action="store_true", help="keep var/bench/run-*/")
    parser.add_argument("--ignore-contract", action="store_true")
    parser.add_argument(
        "--profile",
        nargs="*",
        choices=WORKLOADS[:-1],
        help="after the rounds, run these again under py-spy (bench/profile.py)",
    )
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    signal.signal(signal.SIGHUP, _raise_interrupt)
    bench = Bench(args)
    try:
        return bench.run()
    except (HarnessError, MariaDBError) as error:
        log(f"FAILED: {error}")
        show_logs(bench.work, bench.server_names)
        return 2
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second ^C must not skip the clean-up
        bench.close()
        log("stopped the servers and mariadbd")


if __name__ == "__main__":
    sys.exit(main())
