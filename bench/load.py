"""One measured run: wrk's figures, what the database saw per request, and the bare Argon2id
rate that bounds logins."""

from __future__ import annotations

import json
import math
import os
import random
import re
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import argon2

from bench.config import LUA, HarnessError
from bench.mariadb import PrivateMariaDB
from tasklane.seed import SEED_PASSWORD

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)([a-z]+)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def parse_wrk(output: str) -> dict[str, Any]:
    """Throughput, p50, p99 and errors from wrk's own report (``--latency``)."""
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE)
    total = re.search(r"(\d+) requests in", output)
    if not (rps and p50 and p99 and total):
        raise HarnessError(f"unreadable wrk output:\n{output}")
    result: dict[str, Any] = {
        "rps": float(rps.group(1)),
        "p50_ms": _ms(p50.group(1)),
        "p99_ms": _ms(p99.group(1)),
        "requests": int(total.group(1)),
        "non_2xx": 0,
        "socket_errors": 0,
    }
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    if non2xx:
        result["non_2xx"] = int(non2xx.group(1))
    sockets = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if sockets:
        result["socket_errors"] = sum(int(n) for n in sockets.groups())
    extra = re.search(r"^BENCH-JSON (.*)$", output, re.MULTILINE)
    if extra:
        detail = json.loads(extra.group(1))
        result["statuses"] = detail["statuses"]
        result["p50_ms"] = detail["p50_us"] / 1000  # the same figures, unrounded
        result["p99_ms"] = detail["p99_us"] / 1000
    result["errors"] = result["non_2xx"] + result["socket_errors"]
    return result


def wrk_command(
    url: str,
    workload: str,
    data: Path,
    seconds: float,
    connections: int,
    threads: int,
    pool: int = 20000,
    delay_ms: int = 0,
) -> list[str]:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise HarnessError("wrk not found: apt-get install -y wrk")
    return [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{math.ceil(seconds)}s",
        "--latency",
        "--timeout",
        "10s",
        "-s",
        str(LUA),
        url,
        "--",
        str(data),
        workload,
        str(random.randrange(1_000_000)),
        str(threads),
        str(pool),
        str(delay_ms),
    ]


def run_wrk(command: list[str], timeout: float) -> dict[str, Any]:
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise HarnessError(f"wrk failed ({done.returncode}): {done.stderr}{done.stdout}")
    result = parse_wrk(done.stdout)
    result["raw"] = done.stdout
    return result


# --- database counters ----------------------------------------------------------------------

STATUS_COUNTERS = {
    "statements": "Questions",
    "pings": "Com_admin_commands",
    "connections_opened": "Connections",
    "commits": "Com_commit",
    "rollbacks": "Com_rollback",
}


def db_status(db: PrivateMariaDB) -> dict[str, int]:
    names = ", ".join(f"'{n}'" for n in STATUS_COUNTERS.values())
    out = db.sql(f"SHOW GLOBAL STATUS WHERE Variable_name IN ({names})")
    values = dict(line.split("\t") for line in out.splitlines())
    return {key: int(values.get(name, 0)) for key, name in STATUS_COUNTERS.items()}


def per_request(before: dict[str, int], after: dict[str, int], requests: int) -> dict[str, float]:
    """What the database saw per completed request (the harness's own status queries, 2 a
    run, are negligible)."""
    if not requests:
        return {}
    return {key: round((after[key] - before[key]) / requests, 2) for key in STATUS_COUNTERS}


def argon2_rate(seconds: float, threads: int) -> float:
    """Verifications a second of the seeded hash, on ``threads`` threads (argon2-cffi releases
    the GIL): the ceiling for logins at these parameters on this machine."""
    hasher = argon2.PasswordHasher(
        time_cost=2, memory_cost=19456, parallelism=1, hash_len=32, salt_len=16
    )
    stored = hasher.hash(SEED_PASSWORD)
    stop = time.monotonic() + seconds
    counts = [0] * threads

    def work(index: int) -> None:
        while time.monotonic() < stop:
            hasher.verify(stored, SEED_PASSWORD)
            counts[index] += 1

    started = time.monotonic()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(work, range(threads)))
    return sum(counts) / (time.monotonic() - started)


def measure(
    url: str,
    workload: str,
    data: Path,
    *,
    seconds: float,
    connections: int,
    threads: int,
    pool: int,
    db: PrivateMariaDB,
    hash_seconds: float,
) -> dict[str, Any]:
    """One run of ``workload`` against ``url``: wrk's figures, what the database saw per
    request and, for logins, the bare Argon2id rate taken just before."""
    bare = None
    if workload == "login":
        # The ceiling for logins, measured right before them: on a busy machine a rate
        # taken minutes apart says little.
        bare = argon2_rate(min(hash_seconds, 3.0), os.cpu_count() or 2)
    before = db_status(db)
    if workload == "storm":
        get = wrk_command(url, "get", data, seconds, connections, threads, pool)
        lead = min(1.0, seconds / 2)
        storm = wrk_command(url, "login", data, seconds + 2 * lead, 8, 1, pool)
        with ThreadPoolExecutor(2) as executor:
            storm_future = executor.submit(run_wrk, storm, seconds + 60)
            time.sleep(lead)  # the storm is raging before the measured reads start
            result = run_wrk(get, seconds + 60)
            storm_result = storm_future.result()
        result["storm_login_rps"] = storm_result["rps"]
        result["errors"] += storm_result["errors"]
        result["storm_raw"] = storm_result["raw"]
    else:
        command = wrk_command(url, workload, data, seconds, connections, threads, pool)
        result = run_wrk(command, seconds + 60)
    result["db_per_request"] = per_request(before, db_status(db), result["requests"])
    if bare:
        result["bare_argon2_rate"] = round(bare, 1)
        result["login_to_bare"] = round(result["rps"] / bare, 3)
    statuses = result.get("statuses") or {}
    bad = {s: n for s, n in statuses.items() if not s.startswith("2")}
    if bad:
        result["bad_statuses"] = bad
    return result
