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
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import hashlib
import json
import math
import os
import platform
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import argon2
import asyncmy
import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bench import profile
from bench.mariadb import HOST, MariaDBError, PrivateMariaDB, free_port
from tasklane.core.pagination import encode_cursor
from tasklane.seed import SEED_PASSWORD

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LUA = ROOT / "bench" / "wrk" / "workloads.lua"
RESULTS = ROOT / "bench" / "results"
WORK = ROOT / "var" / "bench"

READS = ("get", "list", "search", "page1", "page50")
WRITES = ("create", "update")
WORKLOADS = (*READS, *WRITES, "login", "mix", "storm")
SERVERS = ("tasklane", "floor")
PAGE_LIMIT = 10  # page1 and page50 use this page size, so page 50 exists at 500 tasks a user
SEARCH_TERMS = (
    "invo", "repo", "budg", "dent", "gard", "slid", "flig", "pass", "book", "sched", "cont",
    "prop", "kitch", "groc", "laptop", "taxes", "review", "deploy", "meeting", "backup",
)  # fmt: skip
RAISED = "1000000/minute"


@dataclass(frozen=True)
class Scale:
    users: int
    tasks_per_user: int
    seconds: int
    rounds: int
    buffer_pool: str
    page: int  # which page the deep-page workload reads
    hash_seconds: float
    warmup: int
    settle: float  # pause before each run: the previous run's backlog drains
    pool: int  # pre-formatted requests per wrk thread
    # A smaller data set (users, tasks a user) whose list is measured beside this one's, in
    # the same run: the target "list at 1M within 1.2x of its throughput at 100k".
    smaller: tuple[int, int] | None = None


SCALES = {
    "smoke": Scale(20, 250, 1, 1, "256M", 20, 0.3, 0, 0.0, 1000, smaller=(5, 50)),
    "100k": Scale(200, 500, 10, 2, "1G", 50, 5.0, 3, 1.0, 20000),
    "1m": Scale(1000, 1000, 10, 2, "3G", 50, 5.0, 3, 1.0, 20000, smaller=(200, 500)),
}
#: Each server again on the smaller data set (its own database in the same mariadbd).
SMALLER = {server: f"{server}-smaller" for server in SERVERS}


def log(message: str) -> None:
    # A closed stdout (``| head``) must not stop the harness before it cleans up.
    with contextlib.suppress(OSError, ValueError):
        print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


class HarnessError(Exception):
    pass


# --- processes ------------------------------------------------------------------------------


class Processes:
    """Servers started by the harness, each the leader of its own process group (so a ^C at
    the terminal reaches the harness only, and stopping a group stops its workers too)."""

    def __init__(self) -> None:
        self.started: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, args: list[str], env: dict[str, str], log_path: Path) -> None:
        with log_path.open("ab") as out:
            self.started[name] = subprocess.Popen(
                args,
                env=env,
                cwd=ROOT,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def alive(self, name: str) -> bool:
        return self.started[name].poll() is None

    def workers(self, name: str) -> list[int]:
        """Pids of the worker processes (children of the supervisor we started)."""
        leader = self.started[name].pid
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with contextlib.suppress(OSError, IndexError):
                    stat = (entry / "stat").read_text()
                    cmdline = (entry / "cmdline").read_bytes()
                    # granian's workers, or multiprocessing's spawned ones (not its tracker)
                    if int(stat.rsplit(")", 1)[1].split()[1]) == leader and (
                        b"resource_tracker" not in cmdline
                    ):
                        found.append(int(entry.name))
        return sorted(found)

    def stop(self, name: str) -> None:
        process = self.started.pop(name, None)
        if process is None:
            return
        group = process.pid  # the group we created with start_new_session
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, signal.SIGINT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=15)
        # Workers that outlived their supervisor, then the supervisor if still there.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(group, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=5)

    def stop_all(self) -> None:
        for name in list(self.started):
            self.stop(name)


def wait_http(url: str, process_ok: Any, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not process_ok():
            raise HarnessError(f"the server behind {url} exited during start-up")
        with (
            contextlib.suppress(urllib.error.URLError, OSError),
            urllib.request.urlopen(url, timeout=2) as answer,  # noqa: S310 - loopback
        ):
            if answer.status == 200:
                return
        time.sleep(0.2)
    raise HarnessError(f"{url} did not answer within {timeout:.0f} s")


# --- data -----------------------------------------------------------------------------------


@dataclass
class User:
    id: bytes
    email: str
    token: str = ""
    cursor: str | None = None
    tasks: list[bytes] = field(default_factory=list)


def _db_connect_args(url: str) -> dict[str, Any]:
    rest = url.split("://", 1)[1]
    creds, location = rest.split("@", 1)
    user, password = creds.split(":", 1)
    hostport, database = location.split("/", 1)
    host, port = hostport.split(":")
    return {
        "host": host,
        "port": int(port),
        "user": user,
        "password": password,
        "db": database,
        "charset": "utf8mb4",
        "autocommit": True,
    }


async def _query(url: str, sql: str, args: Any = None) -> list[tuple[Any, ...]]:
    conn = await asyncmy.connect(**_db_connect_args(url))
    try:
        async with conn.cursor() as cur:
            await cur.execute(sql, args)
            return list(await cur.fetchall())
    finally:
        await conn.ensure_closed()


async def _read_users(url: str, per_user: int, page: int) -> list[User]:
    """Every seeded user, up to ``per_user`` of its task ids (random), and the cursor that
    starts page ``page`` of its task list (``-created_at``, PAGE_LIMIT a page), if it has one."""
    conn = await asyncmy.connect(**_db_connect_args(url))
    rng = random.Random(7)
    try:
        async with conn.cursor() as cur:
            await cur.execute("SELECT id, email FROM users WHERE email LIKE 'seed-%%'")
            users = {bytes(r[0]): User(bytes(r[0]), r[1]) for r in await cur.fetchall()}
            await cur.execute("SELECT user_id, id FROM tasks")
            owned: dict[bytes, list[bytes]] = defaultdict(list)
            for user_id, task_id in await cur.fetchall():
                owned[bytes(user_id)].append(bytes(task_id))
            skip = (page - 1) * PAGE_LIMIT - 1
            for user in users.values():
                ids = owned.get(user.id, [])
                user.tasks = rng.sample(ids, min(per_user, len(ids)))
                if len(ids) >= page * PAGE_LIMIT:
                    await cur.execute(
                        "SELECT created_at, id FROM tasks WHERE user_id = %s "
                        "ORDER BY created_at DESC, id DESC LIMIT 1 OFFSET %s",
                        (user.id, skip),
                    )
                    created, task_id = (await cur.fetchall())[0]
                    user.cursor = encode_cursor(
                        "tasks:-created_at",
                        [created.replace(tzinfo=UTC).isoformat(), str(uuid.UUID(bytes=task_id))],
                    )
    finally:
        await conn.ensure_closed()
    return [u for u in users.values() if u.tasks]


async def _versions(url: str, ids: list[bytes]) -> dict[bytes, int]:
    versions: dict[bytes, int] = {}
    conn = await asyncmy.connect(**_db_connect_args(url))
    try:
        async with conn.cursor() as cur:
            for i in range(0, len(ids), 5000):
                chunk = ids[i : i + 5000]
                marks = ", ".join(["%s"] * len(chunk))
                await cur.execute(f"SELECT id, version FROM tasks WHERE id IN ({marks})", chunk)
                versions.update({bytes(r[0]): int(r[1]) for r in await cur.fetchall()})
    finally:
        await conn.ensure_closed()
    return versions


async def _login_all(base_url: str, users: list[User]) -> list[str]:
    """Log every user in (8 at a time); a 5xx is retried twice and reported."""
    limit = asyncio.Semaphore(8)
    retried: list[str] = []
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:

        async def one(user: User) -> None:
            for attempt in range(3):
                async with limit:
                    answer = await client.post(
                        "/api/v1/auth/login",
                        json={"email": user.email, "password": SEED_PASSWORD},
                    )
                if answer.status_code < 500 or attempt == 2:
                    break
                retried.append(f"{user.email}: {answer.status_code} {answer.text[:200]}")
            if answer.status_code != 200:
                raise HarnessError(f"login of {user.email}: {answer.status_code} {answer.text}")
            user.token = answer.json()["access_token"]

        await asyncio.gather(*(one(u) for u in users))
    return retried


def write_data_file(path: Path, users: list[User], versions: dict[bytes, int]) -> None:
    lines = []
    for user in users:
        lines.append(f"U\t{user.token}\t{user.email}\t{user.cursor or '-'}")
    for number, user in enumerate(users, start=1):
        for task_id in user.tasks:
            text_id = str(uuid.UUID(bytes=task_id))
            lines.append(f"T\t{number}\t{text_id}\t{versions.get(task_id, 1)}")
    lines += [f"Q\t{term}" for term in SEARCH_TERMS]
    lines.append(f"P\t{SEED_PASSWORD}")
    path.write_text("\n".join(lines) + "\n")


# --- the contract check ---------------------------------------------------------------------


def _strip_volatile(task: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in task.items() if k not in ("id", "created_at", "updated_at")}


def check_contract(urls: dict[str, str], users: list[User], page: int) -> list[str]:
    """Ask Tasklane and the floor the same questions; every difference is a problem."""
    problems: list[str] = []
    clients = {name: httpx.Client(base_url=url, timeout=30) for name, url in urls.items()}

    def both(method: str, path: str, **kwargs: Any) -> dict[str, httpx.Response]:
        return {name: client.request(method, path, **kwargs) for name, client in clients.items()}

    def same(what: str, answers: dict[str, httpx.Response], status: int) -> None:
        a, b = answers["tasklane"], answers["floor"]
        if a.status_code != status or b.status_code != status:
            problems.append(f"{what}: status {a.status_code} / {b.status_code}, want {status}")
            return
        if a.json() != b.json():
            problems.append(f"{what}: bodies differ:\n  {a.text[:400]}\n  {b.text[:400]}")
        for name in ("etag", "content-type", "www-authenticate"):
            if a.headers.get(name) != b.headers.get(name):
                problems.append(f"{what}: {name} {a.headers.get(name)} / {b.headers.get(name)}")

    try:
        user = next(u for u in users if u.cursor) if page else users[0]
        auth = {"Authorization": f"Bearer {user.token}"}
        task = str(uuid.UUID(bytes=user.tasks[0]))
        same("GET one task", both("GET", f"/api/v1/tasks/{task}", headers=auth), 200)
        same("GET unknown task", both("GET", f"/api/v1/tasks/{uuid.uuid4()}", headers=auth), 404)
        same("GET without a token", both("GET", f"/api/v1/tasks/{task}"), 401)
        bad = {"Authorization": f"Bearer {user.token[:-4]}AAAA"}
        same("GET with a forged token", both("GET", f"/api/v1/tasks/{task}", headers=bad), 401)
        for status in ("todo", "done"):
            first = both("GET", f"/api/v1/tasks?status={status}", headers=auth)
            same(f"list status={status}", first, 200)
            cursor = first["tasklane"].json().get("next_cursor")
            if cursor:
                url = f"/api/v1/tasks?status={status}&cursor={cursor}"
                same(f"list status={status} page 2", both("GET", url, headers=auth), 200)
        for term in SEARCH_TERMS[:6]:
            same(f"search q={term}", both("GET", f"/api/v1/tasks?q={term}", headers=auth), 200)
        same("search q=dent budg", both("GET", "/api/v1/tasks?q=dent+budg", headers=auth), 200)
        url = f"/api/v1/tasks?limit={PAGE_LIMIT}"
        same("page 1", both("GET", url, headers=auth), 200)
        if user.cursor:
            same(
                f"page {page}",
                both("GET", f"{url}&cursor={user.cursor}", headers=auth),
                200,
            )
            # The cursor read from the database is the one the API hands out on page page-1.
            walked = None
            for _ in range(page - 1):
                path = url + (f"&cursor={walked}" if walked else "")
                walked = clients["tasklane"].get(path, headers=auth).json()["next_cursor"]
            if walked != user.cursor:
                problems.append(f"page-{page} cursor differs from the API's: {walked}")
        body = {
            "title": "  Contract check  ",
            "description": None,
            "status": "done",
            "priority": "high",
            "due_at": "2031-05-06T07:08:09+02:00",
            "tags": ["Bench", "bench", "x y"],
        }
        created = both("POST", "/api/v1/tasks", headers=auth, json=body)
        for name, answer in created.items():
            if answer.status_code != 201 or "location" not in answer.headers:
                problems.append(f"create on {name}: {answer.status_code} {answer.text[:200]}")
        if all(a.status_code == 201 for a in created.values()):
            a, b = (created[n].json() for n in SERVERS)
            a_keep = {k: v for k, v in _strip_volatile(a).items() if k != "completed_at"}
            b_keep = {k: v for k, v in _strip_volatile(b).items() if k != "completed_at"}
            if a_keep != b_keep or sorted(a) != sorted(b):
                problems.append(f"create: bodies differ:\n  {a}\n  {b}")
            # Each server updates the task the other created (same rows, same rules).
            for writer, owner in (("floor", "tasklane"), ("tasklane", "floor")):
                task_id = created[owner].json()["id"]
                change = {"status": "todo", "priority": "low", "tags": []}
                ok = clients[writer].patch(
                    f"/api/v1/tasks/{task_id}",
                    headers={**auth, "If-Match": '"1"'},
                    json=change,
                )
                if ok.status_code != 200 or ok.json()["version"] != 2 or ok.json()["tags"]:
                    problems.append(f"update on {writer}: {ok.status_code} {ok.text[:200]}")
                stale = both(
                    "PATCH",
                    f"/api/v1/tasks/{task_id}",
                    headers={**auth, "If-Match": '"1"'},
                    json=change,
                )
                same(f"stale If-Match ({owner}'s task)", stale, 412)
        # Tokens signed by either server are accepted by the other.
        login = both("POST", "/api/v1/auth/login", json={"email": user.email, "password": "x"})
        same("login with a wrong password", login, 401)
        good = {"email": user.email, "password": SEED_PASSWORD}
        login = both("POST", "/api/v1/auth/login", json=good)
        for name, answer in login.items():
            other = "floor" if name == "tasklane" else "tasklane"
            if answer.status_code != 200 or "set-cookie" not in answer.headers:
                problems.append(f"login on {name}: {answer.status_code} {answer.text[:200]}")
                continue
            if sorted(answer.json()) != ["access_token", "expires_in", "token_type"]:
                problems.append(f"login on {name}: body {answer.text[:200]}")
            token = {"Authorization": f"Bearer {answer.json()['access_token']}"}
            check = clients[other].get(f"/api/v1/tasks/{task}", headers=token)
            if check.status_code != 200:
                problems.append(f"{name}'s token refused by {other}: {check.status_code}")
    finally:
        for client in clients.values():
            client.close()
    return problems


# --- wrk ------------------------------------------------------------------------------------

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


# --- query plans ----------------------------------------------------------------------------

COLUMNS_SQL = (
    "id, title, description, status, priority, due_at, completed_at, tags, version, "
    "created_at, updated_at"
)


def _plan_queries(user: User, page_position: tuple[str, str] | None) -> dict[str, str]:
    """The statements behind the read workloads, as both servers send them, with one user's
    values inlined (the floor writes the same SQL as Tasklane's repository compiles)."""
    uid = f"X'{user.id.hex()}'"
    base = f"SELECT {COLUMNS_SQL} FROM tasks WHERE tasks.user_id = {uid}"
    order = "ORDER BY tasks.created_at DESC, tasks.id DESC"
    queries = {
        "get": f"{base} AND tasks.id = X'{user.tasks[0].hex()}'",
        "list": f"{base} AND tasks.status = 'todo' {order} LIMIT 21",
        "search": (
            f"{base} AND (tasks.title REGEXP '(?i)(^|\\\\W)repo' OR "
            f"tasks.description REGEXP '(?i)(^|\\\\W)repo') {order} LIMIT 21"
        ),
        "page1": f"{base} {order} LIMIT {PAGE_LIMIT + 1}",
    }
    if page_position:
        at, task_hex = page_position
        queries["page50"] = (
            f"{base} AND tasks.created_at <= '{at}' AND (tasks.created_at < '{at}' OR "
            f"tasks.created_at = '{at}' AND tasks.id < X'{task_hex}') {order} "
            f"LIMIT {PAGE_LIMIT + 1}"
        )
    return queries


_PLAN_KEYS = ("table_name", "access_type", "key", "rows", "r_rows", "r_filtered", "r_total_time_ms")


def _plan_tables(node: Any) -> list[dict[str, Any]]:
    """Every table access in an ANALYZE FORMAT=JSON tree."""
    found = []
    if isinstance(node, dict):
        if "table_name" in node:
            found.append({k: node.get(k) for k in _PLAN_KEYS})
        for value in node.values():
            found += _plan_tables(value)
    elif isinstance(node, list):
        for value in node:
            found += _plan_tables(value)
    return found


def query_plans(db: PrivateMariaDB, user: User) -> dict[str, Any]:
    """``ANALYZE FORMAT=JSON`` of each read statement (run twice; the warm one is kept): the
    index chosen, the rows the server read, and its time, to tell the database's share of a
    workload from the application's."""
    position = None
    if user.cursor:
        raw = base64.urlsafe_b64decode(user.cursor + "=" * (-len(user.cursor) % 4))
        at_text, task_text = json.loads(raw)["p"]
        at = datetime.fromisoformat(at_text).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        position = (at, uuid.UUID(task_text).hex)
    plans: dict[str, Any] = {}
    for name, sql in _plan_queries(user, position).items():
        out = ""
        for _ in range(2):
            out = db.sql(f"USE tasklane; ANALYZE FORMAT=JSON {sql}", raw=True)
        try:
            block = json.loads(out)["query_block"]
        except (ValueError, KeyError):
            plans[name] = {"raw": out[:2000]}
            continue
        plans[name] = {
            "r_total_time_ms": block.get("r_total_time_ms"),
            "tables": _plan_tables(block),
        }
    return plans


# --- the web app's first load ---------------------------------------------------------------


def login_page_weight(base_url: str, dist: Path = ROOT / "web" / "dist") -> dict[str, Any]:
    """Bytes a browser transfers for a first visit to /login, as Tasklane serves the built app
    (brotli twins when accepted): the page, the favicon, the entry chunk and its CSS, and the
    login route's lazy chunk with everything it imports (from Vite's manifest). API calls the
    page makes are not counted. Without a build (web/dist), nothing is measured."""
    manifest_path = dist / ".vite" / "manifest.json"
    if not manifest_path.exists():
        return {"measured": False, "why": "no web/dist build"}
    manifest = json.loads(manifest_path.read_text())
    route = next((k for k in manifest if k.endswith("LoginPage.tsx")), None)
    if route is None:
        return {"measured": False, "why": "no LoginPage chunk in the manifest"}
    files: list[str] = []
    todo = ["index.html", route]
    while todo:
        key = todo.pop()
        chunk = manifest.get(key, {})
        for name in (chunk.get("file"), *chunk.get("css", [])):
            if name and name not in files:
                files.append(name)
        todo += [
            i for i in chunk.get("imports", []) if manifest.get(i, {}).get("file") not in files
        ]
    paths = ["/login", "/favicon.svg", *(f"/{f}" for f in files)]
    sizes: dict[str, int] = {}
    headers = {"Accept-Encoding": "br, gzip", "Accept": "*/*"}
    with httpx.Client(base_url=base_url, timeout=30, headers=headers) as client:
        for path in paths:
            answer = client.get(path)
            answer.raise_for_status()
            head = sum(len(k) + len(v) + 4 for k, v in answer.headers.raw) + 17
            sizes[path] = answer.num_bytes_downloaded + head
    return {
        "measured": True,
        "bytes": sum(sizes.values()),
        "kib": round(sum(sizes.values()) / 1024, 1),
        "resources": sizes,
    }


# --- bare Argon2id rate -----------------------------------------------------------------------


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


# --- reporting ------------------------------------------------------------------------------


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


def plot(summary: dict[str, Any], title: str, paths: list[Path]) -> None:
    import matplotlib  # noqa: PLC0415 - bench-only dependency, loaded when plotting

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    names = [w for w in summary if "tasklane" in summary[w] and "floor" in summary[w]]
    x = list(range(len(names)))
    width = 0.38
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(11, 7.5), sharex=True)
    for axis, key, label in (
        (top, "rps", "throughput (requests/s)"),
        (bottom, "p99_ms", "p99 latency (ms, log)"),
    ):
        for offset, server, colour in (
            (-width / 2, "tasklane", "#3b6fb6"),
            (width / 2, "floor", "#b0b0b0"),
        ):
            values = [summary[n][server][key] for n in names]
            bars = axis.bar([i + offset for i in x], values, width, label=server, color=colour)
            if server == "tasklane":
                ratio_key = "rps_ratio" if key == "rps" else "p99_ratio"
                for bar, name in zip(bars, names, strict=True):
                    axis.annotate(
                        f"{summary[name][ratio_key]:.2f}x",
                        (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                        ha="center",
                        va="bottom",
                        fontsize=8,
                    )
        axis.set_ylabel(label)
        axis.grid(axis="y", alpha=0.3)
    bottom.set_yscale("log")
    bottom.set_xticks(x, names)
    top.legend()
    top.set_title(title, fontsize=10)
    fig.tight_layout()
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=110)
    plt.close(fig)


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for package in (
        "fastapi", "starlette", "pydantic", "sqlalchemy", "asyncmy", "granian", "orjson",
        "argon2-cffi", "pyjwt", "cryptography",
    ):  # fmt: skip
        with contextlib.suppress(metadata.PackageNotFoundError):
            out[package] = metadata.version(package)
    for name, command in (
        ("mariadb", ["mariadbd", "--version"]),
        ("wrk", ["wrk", "--version"]),
    ):
        binary = shutil.which(command[0]) or shutil.which(command[0], path="/usr/sbin")
        if binary:
            done = subprocess.run(
                [binary, *command[1:]], capture_output=True, text=True, check=False
            )
            text = (done.stdout + done.stderr).strip().splitlines()
            out[name] = text[0] if text else "?"
    return out


def machine() -> dict[str, Any]:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = 0
    with contextlib.suppress(OSError, ValueError):
        first = Path("/proc/meminfo").read_text().splitlines()[0]
        memory = int(first.split()[1]) // 1024 // 1024
    return {"cpus": os.cpu_count(), "cpu": model, "memory_gib": memory, "load": os.getloadavg()}


# --- the run --------------------------------------------------------------------------------


def public_jwks(private_pem: str) -> dict[str, Any]:
    """The JWKS Tasklane serves for this key (the same RFC 7638 thumbprint as ``kid``)."""
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    assert isinstance(key, Ed25519PrivateKey)
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    jwk = {"crv": "Ed25519", "kty": "OKP", "x": _b64url(raw)}
    canonical = json.dumps(jwk, separators=(",", ":"), sort_keys=True).encode()
    kid = _b64url(hashlib.sha256(canonical).digest())
    return {"keys": [{**jwk, "kid": kid, "alg": "EdDSA", "use": "sig"}]}


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _listening(port: int) -> list[str]:
    """Where each server listens, with the 2 workers every server gets."""
    return ["--host", HOST, "--port", str(port), "--workers", "2"]


def _serve_args(port: int) -> list[str]:
    return [str(BIN / "tasklane"), "serve", *_listening(port), "--no-migrate"]


def _floor_args(port: int) -> list[str]:
    return [
        str(BIN / "granian"),
        "--interface",
        "asgi",
        *_listening(port),
        "--loop",
        "asyncio",
        "--http",
        "1",
        "--no-ws",
        "bench.floor.app:app",
    ]


def server_env(db_url: str, private_pem: str, work: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TASKLANE_")}
    env.update(
        {
            "TASKLANE_ENVIRONMENT": "production",
            "TASKLANE_DATABASE_URL": db_url,
            "TASKLANE_JWT_PRIVATE_KEY": private_pem,
            "TASKLANE_VAR_DIR": str(work),
            "TASKLANE_ACCESS_TOKEN_TTL_SECONDS": "3600",
            "TASKLANE_RATE_LIMIT_ANONYMOUS": RAISED,
            "TASKLANE_RATE_LIMIT_USER": RAISED,
            "TASKLANE_RATE_LIMIT_AUTH_ADDRESS": RAISED,
            "TASKLANE_RATE_LIMIT_AUTH_ACCOUNT": RAISED,
            "TASKLANE_SHUTDOWN_DRAIN_SECONDS": "0",
            "TASKLANE_SHUTDOWN_GRACE_SECONDS": "5",
            # This checkout's code (whatever the virtualenv's editable install points at),
            # and bench.floor.
            "PYTHONPATH": os.pathsep.join((str(ROOT / "src"), str(ROOT))),
        }
    )
    return env


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.scale: Scale = SCALES[args.scale]
        self.seconds = args.seconds or self.scale.seconds
        self.rounds = args.rounds or self.scale.rounds
        self.work = WORK / f"run-{os.getpid()}"
        self.procs = Processes()
        self.db = PrivateMariaDB(self.work / "mariadb", buffer_pool=self.scale.buffer_pool)
        self.users: list[User] = []
        self.smaller_users: list[User] = []
        self.smaller_tokens_at = 0.0
        self.urls: dict[str, str] = {}
        self.runs: list[dict[str, Any]] = []
        self.hash_rates: list[float] = []
        self.profiles: dict[str, Any] = {}
        self.meta: dict[str, Any] = {}
        self.tokens_at = 0.0
        self.env: dict[str, str] = {}
        self.pem = ""

    # set-up

    def prepare(self) -> None:
        scale = self.scale
        self.work.mkdir(parents=True, exist_ok=True)
        log(f"private mariadbd (buffer pool {scale.buffer_pool})")
        self.db.start()
        pem = (
            Ed25519PrivateKey.generate()
            .private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            .decode()
        )
        self.pem = pem
        self.env = server_env(self.db.url, pem, self.work)
        jwks = self.work / "jwks.json"
        jwks.write_text(json.dumps(public_jwks(pem)))
        log("tasklane migrate")
        self._tasklane_cli(["migrate"])
        # Both servers start while the data is loaded (they only need the schema).
        ports = {name: free_port() for name in SERVERS}
        self.urls = {name: f"http://{HOST}:{port}" for name, port in ports.items()}
        log("starting Tasklane (tasklane serve, 2 workers) and the floor (granian, 2 workers)")
        self.procs.start(
            "tasklane", _serve_args(ports["tasklane"]), self.env, self.work / "tasklane.log"
        )
        self.procs.start(
            "floor",
            _floor_args(ports["floor"]),
            {**self.env, "FLOOR_JWKS_FILE": str(jwks)},
            self.work / "floor.log",
        )
        self.meta["seed"] = self._seed("tasklane", scale.users, scale.tasks_per_user, self.env)
        self.meta["data_mb"] = self.db.data_size_mb()
        wait_http(f"{self.urls['tasklane']}/readyz", lambda: self.procs.alive("tasklane"))
        wait_http(f"{self.urls['floor']}/livez", lambda: self.procs.alive("floor"))
        served = json.loads(httpx.get(f"{self.urls['tasklane']}/.well-known/jwks.json").text)
        if served != json.loads(jwks.read_text()):
            raise HarnessError(f"Tasklane serves other keys than the floor checks: {served}")
        log("reading the seeded users and tasks")
        self.users = asyncio.run(_read_users(self.db.url, self.args.tasks_sampled, scale.page))
        if not self.users:
            raise HarnessError("the seed produced no users with tasks")
        self.login()
        log("contract check: the same questions to both servers")
        problems = check_contract(self.urls, self.users, scale.page)
        self.meta["contract_problems"] = problems
        if problems:
            for problem in problems:
                log(f"CONTRACT: {problem}")
            if not self.args.ignore_contract:
                raise HarnessError(f"{len(problems)} contract differences (see above)")
        else:
            log("contract check passed")
        deep = next((u for u in self.users if u.cursor), self.users[0])
        self.meta["query_plans"] = query_plans(self.db, deep)
        for name, plan in self.meta["query_plans"].items():
            tables = plan.get("tables") or [{}]
            log(
                f"plan {name}: {plan.get('r_total_time_ms')} ms, "
                + "; ".join(
                    f"{t.get('access_type')} on {t.get('key')}, read {t.get('r_rows')} rows"
                    for t in tables
                )
            )
        self.meta["login_page"] = login_page_weight(self.urls["tasklane"])
        if self.meta["login_page"]["measured"]:
            log(f"first load of /login: {self.meta['login_page']['kib']} KiB")
        if scale.smaller:
            self.prepare_smaller(*scale.smaller)

    def _seed(self, database: str, users: int, per_user: int, env: dict[str, str]) -> Any:
        log(f"tasklane seed: {users * per_user:,} tasks over {users} users ({database})")
        started = time.monotonic()
        out = self._tasklane_cli(
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
        self._tasklane_cli(["migrate"], env)
        self.meta["smaller"] = {
            "users": users,
            "tasks_per_user": per_user,
            "seed": self._seed("tasklane_smaller", users, per_user, env),
        }
        jwks = str(self.work / "jwks.json")
        for server, name in SMALLER.items():
            port = free_port()
            self.urls[name] = f"http://{HOST}:{port}"
            if server == "tasklane":
                self.procs.start(name, _serve_args(port), env, self.work / f"{name}.log")
                ready = "/readyz"
            else:
                floor_env = {**env, "FLOOR_JWKS_FILE": jwks}
                self.procs.start(name, _floor_args(port), floor_env, self.work / f"{name}.log")
                ready = "/livez"
            wait_http(f"{self.urls[name]}{ready}", lambda name=name: self.procs.alive(name))
        self.smaller_users = asyncio.run(_read_users(url, self.args.tasks_sampled, self.scale.page))
        if not self.smaller_users:
            raise HarnessError("the smaller seed produced no users with tasks")
        self.smaller_login()

    def smaller_login(self) -> None:
        retried = asyncio.run(_login_all(self.urls[SMALLER["tasklane"]], self.smaller_users))
        for failure in retried:
            log(f"LOGIN ANSWERED 5xx (retried): {failure}")
        self.meta.setdefault("login_5xx_retried", []).extend(retried)
        self.smaller_tokens_at = time.monotonic()
        write_data_file(self.work / "data-smaller.tsv", self.smaller_users, {})

    def _tasklane_cli(self, args: list[str], env: dict[str, str] | None = None) -> str:
        done = subprocess.run(
            [str(BIN / "tasklane"), *args],
            env=env or self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise HarnessError(f"tasklane {args[0]} failed:\n{done.stdout}{done.stderr}")
        return done.stdout

    def login(self) -> None:
        log(f"logging {len(self.users)} users in through Tasklane's API")
        retried = asyncio.run(_login_all(self.urls["tasklane"], self.users))
        for failure in retried:
            log(f"LOGIN ANSWERED 5xx (retried): {failure}")
        self.meta.setdefault("login_5xx_retried", []).extend(retried)
        self.tokens_at = time.monotonic()

    def data_file(self, workload: str = "") -> Path:
        """Fresh task versions for the workloads that update (If-Match needs the current
        ETag); tokens renewed when they get old."""
        path = self.work / "data.tsv"
        renew = time.monotonic() - self.tokens_at > 2400  # tokens live 3600 s
        if renew:
            self.login()
        if path.exists() and not renew and workload not in ("update", "mix"):
            return path
        ids = [t for u in self.users for t in u.tasks]
        # wrk stops with requests in flight that the server still commits: wait until the
        # versions stop moving, or the next run would send stale If-Match headers (412).
        current = asyncio.run(_versions(self.db.url, ids))
        for _ in range(40):
            time.sleep(0.25)
            again = asyncio.run(_versions(self.db.url, ids))
            if again == current:
                break
            current = again
        write_data_file(path, self.users, current)
        return path

    # measuring

    def measure(self, server: str, workload: str, round_no: int) -> dict[str, Any]:
        if server in SMALLER.values():
            if time.monotonic() - self.smaller_tokens_at > 2400:  # tokens live 3600 s
                self.smaller_login()
            data = self.work / "data-smaller.tsv"
        else:
            data = self.data_file(workload)
        time.sleep(self.scale.settle)
        args, pool = self.args, self.scale.pool
        url = self.urls[server]
        bare = None
        if workload == "login":
            # The ceiling for logins, measured right before them: on a busy machine a rate
            # taken minutes apart says little.
            bare = argon2_rate(min(self.scale.hash_seconds, 3.0), os.cpu_count() or 2)
        before = db_status(self.db)
        if workload == "storm":
            get = wrk_command(url, "get", data, self.seconds, args.connections, args.threads, pool)
            lead = min(1.0, self.seconds / 2)
            storm = wrk_command(url, "login", data, self.seconds + 2 * lead, 8, 1, pool)
            with ThreadPoolExecutor(2) as executor:
                storm_future = executor.submit(run_wrk, storm, self.seconds + 60)
                time.sleep(lead)  # the storm is raging before the measured reads start
                result = run_wrk(get, self.seconds + 60)
                storm_result = storm_future.result()
            result["storm_login_rps"] = storm_result["rps"]
            result["errors"] += storm_result["errors"]
            result["storm_raw"] = storm_result["raw"]
        else:
            command = wrk_command(
                url, workload, data, self.seconds, args.connections, args.threads, pool
            )
            result = run_wrk(command, self.seconds + 60)
        result["db_per_request"] = per_request(before, db_status(self.db), result["requests"])
        if bare:
            result["bare_argon2_rate"] = round(bare, 1)
            result["login_to_bare"] = round(result["rps"] / bare, 3)
        statuses = result.get("statuses") or {}
        bad = {s: n for s, n in statuses.items() if not s.startswith("2")}
        if bad:
            result["bad_statuses"] = bad
        result.update(server=server, workload=workload, round=round_no)
        if not self.procs.alive(server):
            raise HarnessError(f"{server} died during {workload}")
        flag = f"  ERRORS {result['errors']} {bad or ''}" if result["errors"] else ""
        log(
            f"round {round_no} {workload:<7} {server:<8} {result['rps']:>8.0f}/s "
            f"p50 {result['p50_ms']:.1f} ms p99 {result['p99_ms']:.1f} ms{flag}"
        )
        return result

    def warm_up(self) -> None:
        if not self.scale.warmup:
            return
        log("warm-up (not recorded)")
        data = self.data_file()
        for server in SERVERS:
            for workload in ("get", "list", "search", "page50"):
                command = wrk_command(
                    self.urls[server], workload, data, self.scale.warmup, 16, self.args.threads
                )
                run_wrk(command, self.scale.warmup + 60)
        if self.smaller_users:
            smaller = self.work / "data-smaller.tsv"
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
            machine=machine(),
            versions=versions(),
            commit=subprocess.run(
                ["git", "rev-parse", "--short", "HEAD"],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=False,
            ).stdout.strip(),
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
                if workload == "list" and self.smaller_users:
                    # Each server's run on the smaller set next to its run on this one.
                    servers = (SMALLER[order[0]], *order, SMALLER[order[1]])
                for server in servers:
                    self.runs.append(self.measure(server, workload, round_no))
        if self.args.profile:
            self.profile_pass(self.args.profile)
        self.meta["wall_seconds"] = round(time.monotonic() - started, 1)
        self.meta["machine"]["load_after"] = os.getloadavg()
        self.meta["server_log_errors"] = self.server_errors()
        for line in self.meta["server_log_errors"]:
            log(f"server log: {line}")
        return self.report()

    def profile_pass(self, workloads: list[str]) -> None:
        """One more run of each workload per server under py-spy (not in the figures)."""
        out: Path = self.args.out / "profiles"
        out.mkdir(parents=True, exist_ok=True)
        seconds = max(self.seconds, 5)
        for workload in workloads:
            for server in SERVERS:
                data = self.data_file(workload)
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
                summary = profile.summarise(raw) if raw.exists() else {"samples": 0}
                summary["rps_while_sampled"] = result["rps"]
                self.profiles[f"{workload}/{server}"] = summary
                (out / f"{self.args.scale}-{workload}-{server}.summary.txt").write_text(
                    profile.render(summary)
                )
                log(
                    f"profile {workload} {server}: {summary.get('samples', 0)} samples, "
                    f"{result['rps']:.0f}/s -> {raw}"
                )

    def report(self) -> int:
        summary = summarise(self.runs)
        hash_rate = statistics.median(self.hash_rates) if self.hash_rates else 0.0
        checks = targets(summary, hash_rate)
        errors = sum(r["errors"] for r in self.runs)
        empty = [f"{r['workload']}/{r['server']}" for r in self.runs if not r["requests"]]
        result = {
            "meta": self.meta,
            "argon2_verifications_per_second": round(hash_rate, 1),
            "summary": summary,
            "targets": checks,
            "runs": [
                {k: v for k, v in r.items() if k not in ("raw", "storm_raw")} for r in self.runs
            ],
            "errors": errors,
            "profiles": self.profiles,
        }
        page = self.meta.get("login_page", {})
        if page.get("measured"):
            checks["web app: first load of /login <= 150 KB"] = {
                "value": page["bytes"],
                "verdict": "met" if page["bytes"] <= 150_000 else "not met",
            }
        print_table(summary, checks, hash_rate, page)
        out: Path = self.args.out
        out.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        (out / f"{stamp}-{self.args.scale}.json").write_text(json.dumps(result, indent=2) + "\n")
        for name in ("latest.json", f"latest-{self.args.scale}.json"):
            (out / name).write_text(json.dumps(result, indent=2) + "\n")
        if errors:
            raw = out / f"{stamp}-{self.args.scale}-failed-wrk.txt"
            raw.write_text(
                "\n\n".join(
                    f"== {r['workload']} {r['server']} round {r['round']}\n{r['raw']}"
                    for r in self.runs
                    if r["errors"]
                )
            )
            log(f"wrk reports of the failing runs: {raw}")
        if not self.args.no_plot:
            plots = [out / f"{stamp}-{self.args.scale}.png"]
            if self.args.plot:
                plots.append(self.args.plot)
            m = self.meta
            title = (
                f"Tasklane vs floor, {m['users'] * m['tasks_per_user']:,} tasks / {m['users']} "
                f"users, MariaDB, 2 workers each, wrk {m['connections']} connections; "
                f"ratio = Tasklane/floor (median of {m['rounds']} interleaved rounds)"
            )
            plot(summary, title, plots)
            log(f"plot: {', '.join(str(p) for p in plots)}")
        log(f"results: {out / f'{stamp}-{self.args.scale}.json'} ({self.meta['wall_seconds']} s)")
        if errors or empty:
            log(f"FAILED: {errors} failed requests; runs without requests: {empty or 'none'}")
            return 1
        return 0

    def server_errors(self) -> list[str]:
        """Lines the servers logged at WARNING or above during the run."""
        found = []
        for name in (*SERVERS, *SMALLER.values()):
            path = self.work / f"{name}.log"
            if path.exists():
                for line in path.read_text(errors="replace").splitlines():
                    if line.startswith(("WARNING", "ERROR", "CRITICAL", "Traceback", "[ERROR")):
                        found.append(f"{name}: {line[:300]}")
        return found[:50]

    def show_logs(self, lines: int = 40) -> None:
        """The servers' own words, before their directory goes."""
        for name in (*SERVERS, *SMALLER.values()):
            path = self.work / f"{name}.log"
            if path.exists():
                tail = path.read_text(errors="replace").splitlines()[-lines:]
                log(f"--- last lines of {name}:\n" + "\n".join(tail))

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
        bench.show_logs()
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
