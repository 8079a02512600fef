"""The compose topology as processes on loopback (scripts/topology.py), for real: nginx from
deploy/compose/nginx.conf in front of two replicas of each of the auth, task and notification
services, the notification worker, a MariaDB primary with its replica and Redis, all with the
settings of deploy/env/*.env.

Through nginx only: an account registered and signed in with the auth service, a task created
with the task service, its event received on the notification service's stream; each request's
id (nginx's, which the API logs) is in the log of a replica of the service that owns the path
and in no other. Then every process is restarted one by one (the drain, SIGTERM, the next once
the new one answers /readyz) while clients that never retry keep reading and writing through
nginx: no request fails, and every write that was answered is in the database.

When: the topology brings its own databases, so it runs once, in the MariaDB pass (or wherever
TASKLANE_TEST_TOPOLOGY=1), and is reported as skipped in the other two. In the MariaDB pass a
missing server program fails it loudly.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import ssl
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from scripts.cluster import answers
from scripts.topology import SERVICES, Topology
from tasklane.tasks.models import tasks
from tests.helpers import PASSWORD, next_event, sse_events

KIND = os.environ.get("TASKLANE_TEST_DATABASE", "sqlite")
pytestmark = pytest.mark.skipif(
    KIND != "mariadb" and os.environ.get("TASKLANE_TEST_TOPOLOGY") != "1",
    reason="the split topology brings its own MariaDB pair; it runs once, in the mariadb pass",
)

# What the test changes of deploy/env: a short drain (nothing here polls /readyz but the
# restart itself), and no rate limit, since one address sends all the load.
OVERRIDES = {
    "TASKLANE_SHUTDOWN_DRAIN_SECONDS": "1",
    "TASKLANE_RATE_LIMIT_ENABLED": "false",
}
TOOLS = ("mariadbd", "mariadb-install-db", "nginx", "openssl", "redis-server")


@pytest.fixture(scope="module")
def topology(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Topology]:
    missing = [t for t in TOOLS if not (shutil.which(t) or Path(f"/usr/sbin/{t}").exists())]
    if missing:
        pytest.fail(f"not installed: {', '.join(missing)} (make system-deps, mariadb-server)")
    topology = Topology.create(
        tmp_path_factory.mktemp("topology"),
        replicas=dict.fromkeys(SERVICES, 2),
        overrides=OVERRIDES,
    )
    topology.start()
    ports = [int(a.rsplit(":", 1)[1]) for found in topology.listening().values() for a in found]
    try:
        yield topology
    finally:
        topology.stop()
        assert [port for port in ports if answers(port)] == [], "something still listens"


def edge(topology: Topology, **headers: str) -> httpx.AsyncClient:
    """A client of nginx's HTTPS port, trusting the topology's certificate; no retries."""
    context = ssl.create_default_context(cafile=str(topology.cert))
    return httpx.AsyncClient(
        base_url=topology.https_url, verify=context, timeout=30, headers=headers
    )


async def account(client: httpx.AsyncClient) -> tuple[dict[str, str], list[str]]:
    """Register and sign in through nginx: the bearer header and the two request ids."""
    email = f"split-{uuid.uuid4().hex[:12]}@example.com"
    body = {"email": email, "password": PASSWORD, "name": "Split"}
    registered = await client.post("/api/v1/auth/register", json=body)
    assert registered.status_code == 201, registered.text
    login = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    token = login.json()["access_token"]
    ids = [registered.headers["x-request-id"], login.headers["x-request-id"]]
    return {"Authorization": f"Bearer {token}"}, ids


def services_that_logged(topology: Topology, request_id: str) -> set[str]:
    return {
        process.service
        for process in topology.processes
        if request_id in topology.log_file(process.name).read_text(errors="replace")
    }


def test_every_process_listens_on_loopback_only(topology: Topology) -> None:
    listening = topology.listening()
    for service in SERVICES:
        for process in topology.of(service):
            assert listening[process.name] == [f"127.0.0.1:{process.port}"]
    # nginx: HTTP, HTTPS and the auth service's name for the other services.
    assert len(listening["nginx"]) == 3
    for name, addresses in listening.items():
        assert all(address.startswith("127.0.0.1:") for address in addresses), (name, addresses)


async def test_a_task_created_through_nginx_reaches_the_stream_of_the_notification_service(
    topology: Topology,
) -> None:
    expected: list[tuple[str, str]] = []  # (request id, the service that must have it)
    async with edge(topology) as client:
        headers, ids = await account(client)
        expected += [(request_id, "auth") for request_id in ids]
        async with client.stream("GET", "/api/v1/events", headers=headers) as stream:
            assert stream.status_code == 200
            expected.append((stream.headers["x-request-id"], "notifications"))
            events = sse_events(stream)
            created = await client.post(
                "/api/v1/tasks", json={"title": "Across the services"}, headers=headers
            )
            assert created.status_code == 201, created.text
            expected.append((created.headers["x-request-id"], "tasks"))
            event = await next_event(events, "task.created")
            assert event["subject_id"] == created.json()["id"]
        for path, service in (
            ("/api/v1/notifications", "notifications"),
            ("/api/v1/users/me", "auth"),
            (f"/api/v1/tasks/{created.json()['id']}", "tasks"),
        ):
            answer = await client.get(path, headers=headers)
            assert answer.status_code == 200, (path, answer.text)
            expected.append((answer.headers["x-request-id"], service))

    # Each request in the log of its service's replicas only (a stream is logged as it ends).
    deadline = time.monotonic() + 10
    while True:
        seen = [(rid, services_that_logged(topology, rid)) for rid, _ in expected]
        if all(found == {service} for (_, service), (_, found) in zip(expected, seen, strict=True)):
            break
        assert time.monotonic() < deadline, list(zip(expected, seen, strict=True))
        await asyncio.sleep(0.2)


class Load:
    """Clients through nginx that never retry, until ``stop`` is set: a write (a task with an
    Idempotency-Key) for every three reads, the reads spread over the three services."""

    PAUSE = 0.02  # between a client's requests: steady traffic, CPU left for the restarts
    READS = ("/api/v1/tasks?limit=20", "/api/v1/users/me", "/api/v1/notifications/unread-count")

    def __init__(self, topology: Topology) -> None:
        self.topology = topology
        self.stop = asyncio.Event()
        self.results: list[tuple[str, int | str]] = []  # (method and path, status or error)
        self.written: list[str] = []  # ids of tasks answered 201
        self.errors: list[str] = []

    async def client(self, number: int, headers: dict[str, str]) -> None:
        async with edge(self.topology, **headers) as client:
            step = number
            while not self.stop.is_set():
                step += 1
                if step % 4 == 0:
                    key = str(uuid.uuid4())
                    request = client.post(
                        "/api/v1/tasks",
                        json={"title": f"Load {number}.{step}"},
                        headers={"Idempotency-Key": key},
                    )
                    label = "POST /api/v1/tasks"
                else:
                    label = f"GET {self.READS[step % 4 - 1]}"
                    request = client.get(self.READS[step % 4 - 1])
                try:
                    answer = await request
                except httpx.HTTPError as error:
                    self.results.append((label, repr(error)))
                    continue
                await asyncio.sleep(self.PAUSE)
                self.results.append((label, answer.status_code))
                if answer.status_code >= 400:  # what failed, for the report
                    self.errors.append(f"{label} {answer.status_code} {answer.text[:200]}")
                if answer.status_code == 201:
                    self.written.append(answer.json()["id"])

    def failures(self) -> list[tuple[str, int | str]]:
        return [(label, s) for label, s in self.results if s not in (200, 201)]


async def test_a_rolling_restart_under_load_loses_no_request(topology: Topology) -> None:
    async with edge(topology) as client:
        accounts = [(await account(client))[0] for _ in range(3)]
    before = {p.name: p.pid for p in topology.processes}
    load = Load(topology)
    clients = [asyncio.create_task(load.client(n, accounts[n % len(accounts)])) for n in range(4)]
    try:
        await asyncio.sleep(1)
        started = len(load.results)
        await asyncio.to_thread(topology.restart, echo=True)
        during = len(load.results) - started
        await asyncio.sleep(1)
    finally:
        load.stop.set()
        await asyncio.gather(*clients)

    kinds = Counter(label for label, _ in load.results)
    print(f"rolling restart under load: {dict(kinds)}, {during} requests during the restart")
    assert load.failures() == [], (
        f"{len(load.failures())} of {len(load.results)} failed: {load.errors[:5]}"
    )
    assert all(p.pid != before[p.name] for p in topology.processes), "a process kept running"
    assert during > len(topology.processes), "hardly any request ran during the restart"
    assert all(kinds[f"GET {path}"] for path in Load.READS), kinds

    # Every write that was answered is on the primary.
    written = {uuid.UUID(task_id) for task_id in load.written}
    assert written, "no write was answered"
    engine = create_async_engine(topology.database_url)
    try:
        async with engine.connect() as conn:
            query = select(tasks.c.id).where(tasks.c.id.in_(written))
            stored = {row[0] for row in await conn.execute(query)}
    finally:
        await engine.dispose()
    assert written <= stored, f"{len(written - stored)} acknowledged writes are missing"
