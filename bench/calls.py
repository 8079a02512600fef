"""What one request costs Tasklane's process, counted rather than timed.

The wrk harness (bench/run.py) measures throughput on a shared, noisy machine, so its figures
move by ±20 % between runs. This counts the Python function calls one request makes inside
the app (cProfile, in process, no server and no load tool), which repeats exactly from run to
run, and splits them by package: the figure to compare before and after a change to the hot
paths. It also prints the CPU time per request (median of batches; noisy, for orientation).

    .venv/bin/python -m bench.calls                       # a throw-away SQLite database
    .venv/bin/python -m bench.calls --database-url mysql+asyncmy://root@127.0.0.1:3306/test

With a server URL it creates and drops a database of its own next to the one named.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import pstats
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from tasklane.app import create_app
from tasklane.cli import migrate
from tasklane.settings import Settings

PASSWORD = "correct horse battery staple"  # noqa: S105 - a throw-away account
RAISED = "1000000/minute"
WORKLOADS = ("get", "list", "create", "update")


def _package(filename: str) -> str:
    if filename == "~":
        return "builtins"
    if "site-packages/" in filename:
        return filename.split("site-packages/", 1)[1].split("/", 1)[0]
    if "/tasklane/" in filename:
        return "tasklane"
    return "stdlib"


async def _admin(url: str, statement: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.exec_driver_sql(statement)
    finally:
        await engine.dispose()


class Requests:
    """Raw ASGI calls of the app: the same scope every time, the response status kept."""

    def __init__(self, app: Any, token: str) -> None:
        self.app = app
        self.token = token
        self.statuses: list[int] = []

    def caller(self, method: str, target: str, body: bytes = b"") -> Callable[[], Awaitable[None]]:
        path, _, query = target.partition("?")
        headers = [(b"host", b"bench"), (b"authorization", f"Bearer {self.token}".encode())]
        if body:
            headers += [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ]
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": query.encode(),
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 80),
        }

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                self.statuses.append(message["status"])

        async def call() -> None:
            await self.app({**scope, "state": {}}, receive, send)

        return call


async def measure(settings: Settings, requests: int, top: int = 0) -> dict[str, Any]:
    app = create_app(settings)
    results: dict[str, Any] = {}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            email = f"calls-{uuid.uuid4().hex[:8]}@example.com"
            body = {"email": email, "password": PASSWORD, "name": "Bench"}
            await client.post("/api/v1/auth/register", json=body)
            login = await client.post(
                "/api/v1/auth/login", json={"email": email, "password": PASSWORD}
            )
            token = login.json()["access_token"]
            auth = {"Authorization": f"Bearer {token}"}
            first = None
            for i in range(30):
                created = await client.post(
                    "/api/v1/tasks", json={"title": f"task {i}", "tags": ["work"]}, headers=auth
                )
                first = first or created.json()["id"]
        calls = Requests(app, token)
        workloads = {
            "get": calls.caller("GET", f"/api/v1/tasks/{first}"),
            "list": calls.caller("GET", "/api/v1/tasks?status=todo"),
            "create": calls.caller(
                "POST",
                "/api/v1/tasks",
                b'{"title":"Write the report","priority":"high","tags":["work","q4"],'
                b'"due_at":"2026-12-01T10:00:00Z"}',
            ),
            "update": calls.caller(
                "PATCH", f"/api/v1/tasks/{first}", b'{"status":"in_progress","priority":"low"}'
            ),
        }
        for name, call in workloads.items():
            for _ in range(50):  # warm caches, pools and compiled statements
                await call()
            calls.statuses.clear()
            batches = []
            for _ in range(5):
                started = time.process_time()
                for _ in range(requests // 5):
                    await call()
                batches.append((time.process_time() - started) / (requests // 5) * 1e6)
            profile = cProfile.Profile()
            profile.enable()
            for _ in range(requests):
                await call()
            profile.disable()
            stats = pstats.Stats(profile)
            by_package: Counter[str] = Counter()
            for (filename, _line, _func), row in stats.stats.items():  # type: ignore[attr-defined]
                by_package[_package(filename)] += row[1]
            bad = sorted({s for s in calls.statuses if s >= 300})
            if bad:
                raise SystemExit(f"{name}: answered {bad}")
            by_function = sorted(
                stats.stats.items(),  # type: ignore[attr-defined]
                key=lambda item: -item[1][1],
            )[:top]
            results[name] = {
                "python_calls": round(stats.total_calls / requests),  # type: ignore[attr-defined]
                "by_package": {k: round(v / requests) for k, v in by_package.most_common(8)},
                "cpu_us_median": round(statistics.median(batches)),
                "top": [
                    (f"{Path(f).name}:{line}:{func}", round(row[1] / requests, 1))
                    for (f, line, func), row in by_function
                ],
            }
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="a server to create a scratch database next to")
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--top", type=int, default=0, help="also list the functions called most, per request"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite+aiosqlite:///{scratch}/calls.db"
        server = None
        if args.database_url:
            server = args.database_url
            name = f"tasklane_calls_{uuid.uuid4().hex[:8]}"
            asyncio.run(_admin(server, f"CREATE DATABASE {name}"))
            url = make_url(server).set(database=name).render_as_string(hide_password=False)
        settings = Settings(
            environment="test",
            database_url=url,
            var_dir=Path(scratch),
            rate_limit_anonymous=RAISED,
            rate_limit_user=RAISED,
            rate_limit_auth_address=RAISED,
            rate_limit_auth_account=RAISED,
            # The notification worker's loop is background work, not the request's: off,
            # so the counts are one request's (its events are written, and counted).
            worker_embedded=False,
        )
        try:
            migrate(settings)
            results = asyncio.run(measure(settings, args.requests, args.top))
        finally:
            if server:
                asyncio.run(_admin(server, f"DROP DATABASE IF EXISTS {name}"))
    print(f"{'workload':<8} {'calls':>6} {'CPU us':>7}  calls by package")
    for workload, row in results.items():
        packages = ", ".join(f"{k} {v}" for k, v in row["by_package"].items())
        print(f"{workload:<8} {row['python_calls']:>6} {row['cpu_us_median']:>7}  {packages}")
        for where, count in row["top"]:
            print(f"{'':<8} {count:>6}  {where}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
