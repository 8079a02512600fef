"""The seeded data set as the workloads see it: the users, their tokens (logged in through
the API), task ids and deep-page cursors (read from the database), written for wrk
(bench/wrk/workloads.lua)."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import Any

import asyncmy
import httpx

from bench.config import PAGE_LIMIT, SEARCH_TERMS, HarnessError
from tasklane.core.pagination import encode_cursor
from tasklane.seed import SEED_PASSWORD


@dataclass
class User:
    id: bytes
    email: str
    token: str = ""
    cursor: str | None = None
    tasks: list[bytes] = field(default_factory=list)


def connect_args(url: str) -> dict[str, Any]:
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


async def read_users(url: str, per_user: int, page: int) -> list[User]:
    """Every seeded user, up to ``per_user`` of its task ids (random), and the cursor that
    starts page ``page`` of its task list (``-created_at``, PAGE_LIMIT a page), if it has one."""
    conn = await asyncmy.connect(**connect_args(url))
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


async def task_versions(url: str, ids: list[bytes]) -> dict[bytes, int]:
    versions: dict[bytes, int] = {}
    conn = await asyncmy.connect(**connect_args(url))
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


async def login_all(base_url: str, users: list[User]) -> list[str]:
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


class DataSet:
    """One seeded database as wrk sees it (bench/wrk/workloads.lua reads ``path``): its users
    with fresh tokens and, for the workloads that update, current task versions."""

    def __init__(self, db_url: str, login_url: str, path: Path) -> None:
        self.db_url = db_url
        self.login_url = login_url
        self.path = path
        self.users: list[User] = []
        self.tokens_at = 0.0

    def read(self, per_user: int, page: int) -> list[User]:
        self.users = asyncio.run(read_users(self.db_url, per_user, page))
        return self.users

    def login(self) -> list[str]:
        """Log every user in; the 5xx answers that were retried."""
        retried = asyncio.run(login_all(self.login_url, self.users))
        self.tokens_at = time.monotonic()
        return retried

    def tokens_old(self) -> bool:
        return time.monotonic() - self.tokens_at > 2400  # tokens live 3600 s

    def write(self, *, versions: bool = True) -> Path:
        """The data file, with the tasks' current versions (If-Match needs the current ETag)
        or, without ``versions``, version 1 everywhere."""
        current: dict[bytes, int] = {}
        if versions:
            ids = [t for u in self.users for t in u.tasks]
            # wrk stops with requests in flight that the server still commits: wait until the
            # versions stop moving, or the next run would send stale If-Match headers (412).
            current = asyncio.run(task_versions(self.db_url, ids))
            for _ in range(40):
                time.sleep(0.25)
                again = asyncio.run(task_versions(self.db_url, ids))
                if again == current:
                    break
                current = again
        write_data_file(self.path, self.users, current)
        return self.path
