"""The database's answers are waited for a bounded time, whatever the database does.

A frozen server cannot enforce a statement timeout of its own, so the bounds are the
client's: the drivers' read (MariaDB) and command (PostgreSQL) timeouts, a connect timeout
that covers the handshake, and /readyz's own bound. The faults are real: a row lock held by
another transaction (on the suite's server), and a private mariadbd stopped with SIGSTOP.
Each request is awaited with a generous bound so that a hang fails the test; nothing here
measures speed."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from scripts.private_mariadb import MariaDBError, PrivateServer, binary, free_port
from tasklane.cli import migrate
from tasklane.core.context import AppContext
from tasklane.settings import Settings
from tasklane.tasks import repository as tasks_repo
from tests.conftest import KIND
from tests.helpers import Api, assert_problem
from tests.servers import serving

HANG = 20.0  # seconds after which a request counts as hung
BOUNDS = {
    "db_statement_timeout": 1.0,
    "db_connect_timeout": 1.0,
    "readiness_timeout": 0.5,
    "db_pool_timeout": 2.0,
}


async def _bounded(request: Any) -> httpx.Response:
    response: httpx.Response = await asyncio.wait_for(request, HANG)
    return response


async def test_a_statement_past_the_timeout_is_a_503_and_the_pool_recovers(
    settings: Settings,
) -> None:
    if KIND == "sqlite":
        pytest.skip("SQLite runs in process: a locked database waits busy_timeout, then fails")
    async with serving(settings.model_copy(update=BOUNDS)) as (app, client):
        ctx: AppContext = app.state.ctx
        api = Api(client())
        user = await api.user()
        task = await api.create_task(user, title="Locked")
        path = f"/api/v1/tasks/{task['id']}"
        # Another writer holds the row's lock, longer than any request may wait (its own
        # connection, outside the app's bounded units of work).
        async with ctx.db.write_engine.begin() as holder:
            await tasks_repo.get_for_update(holder, uuid.UUID(user.id), uuid.UUID(task["id"]))
            blocked = await _bounded(
                api.client.patch(path, json={"title": "Waited"}, headers=user.headers)
            )
            assert_problem(blocked, 503, "service-unavailable")
            assert blocked.headers["retry-after"]
        # The lock is gone; the connection that timed out was discarded, not reused.
        for _ in range(3):
            done = await _bounded(
                api.client.patch(path, json={"title": "Changed"}, headers=user.headers)
            )
            assert done.status_code == 200, done.text
        read = await api.client.get(path, headers=user.headers)
        assert read.json()["title"] == "Changed"


# --- a frozen server ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def frozen_able(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateServer]:
    """A private mariadbd this module may stop (SIGSTOP) and resume."""
    if KIND != "mariadb":
        pytest.skip("the private server is a mariadbd: run in the mariadb pass")
    try:
        binary("mariadbd")
    except MariaDBError as error:
        pytest.skip(str(error))
    server = PrivateServer(Path(tmp_path_factory.mktemp("frozen")), port=free_port())
    server.configure("innodb_buffer_pool_size=32M")
    server.install()
    server.spawn()
    try:
        server.wait_ready()
        server.create_database("tasklane", "tasklane", "secret-for-tests")
        yield server
    finally:
        if server.pid is not None:
            os.kill(server.pid, signal.SIGCONT)
        server.stop()


@pytest.fixture(scope="module")
def frozen_settings(frozen_able: PrivateServer, settings: Settings) -> Settings:
    url = frozen_able.url_for("tasklane", "tasklane", "secret-for-tests")
    config = settings.model_copy(update={**BOUNDS, "database_url": url})
    migrate(config)
    return config


@pytest.fixture
async def on_frozen_able(frozen_settings: Settings) -> AsyncIterator[tuple[Any, Any]]:
    async with serving(frozen_settings) as served:
        yield served


def _freeze(server: PrivateServer) -> None:
    """SIGSTOP, and wait until every thread of the server has stopped: a thread running on
    another core goes on for a moment after the signal, long enough to answer a COMMIT."""
    assert server.pid is not None
    os.kill(server.pid, signal.SIGSTOP)
    deadline = time.monotonic() + 5
    while not _all_threads_stopped(server.pid):
        assert time.monotonic() < deadline, "the server did not stop"
        time.sleep(0.001)


def _all_threads_stopped(pid: int) -> bool:
    states = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):  # a thread that has just ended
            states.append((task / "stat").read_text().rsplit(")", 1)[1].split()[0])
    return all(state in ("T", "t") for state in states)


def _thaw(server: PrivateServer) -> None:
    assert server.pid is not None
    os.kill(server.pid, signal.SIGCONT)


async def test_a_frozen_database_gets_fast_503s_and_readyz_says_so(
    frozen_able: PrivateServer, on_frozen_able: tuple[Any, Any]
) -> None:
    _, client = on_frozen_able
    api = Api(client())
    user = await api.user()
    await api.create_task(user, title="Before the freeze")
    assert (await client().get("/readyz")).status_code == 200
    _freeze(frozen_able)
    try:
        ready = await _bounded(client().get("/readyz"))
        assert_problem(ready, 503, "service-unavailable")
        listed = await _bounded(api.client.get("/api/v1/tasks", headers=user.headers))
        assert_problem(listed, 503)
        created = await _bounded(
            api.client.post("/api/v1/tasks", json={"title": "During"}, headers=user.headers)
        )
        assert_problem(created, 503)
    finally:
        _thaw(frozen_able)
    # Back: the broken connections were discarded and new ones opened.
    recovered = None
    for _ in range(50):
        recovered = await _bounded(api.client.get("/api/v1/tasks", headers=user.headers))
        if recovered.status_code == 200:
            break
        await asyncio.sleep(0.2)
    assert recovered is not None
    assert recovered.status_code == 200, recovered.text
    assert (await client().get("/readyz")).status_code == 200


async def test_an_unconfirmed_commit_says_so_and_a_retry_with_the_key_applies_it_once(
    frozen_able: PrivateServer, on_frozen_able: tuple[Any, Any]
) -> None:
    app, client = on_frozen_able
    api = Api(client())
    user = await api.user()
    driver = app.state.ctx.db.write_engine.driver
    commit = driver.commit
    frozen: list[bool] = []

    async def freeze_at_commit(raw: Any) -> None:
        if not frozen:  # the next COMMIT reaches a server that does not answer
            frozen.append(True)
            _freeze(frozen_able)
        await commit(raw)

    headers = {**user.headers, "Idempotency-Key": f"commit-{uuid.uuid4()}"}
    body = {"title": f"Unconfirmed {uuid.uuid4()}"}
    setattr(driver, "commit", freeze_at_commit)  # noqa: B010 - an instance attribute, removed below
    try:
        first = await _bounded(api.client.post("/api/v1/tasks", json=body, headers=headers))
    finally:
        delattr(driver, "commit")
        _thaw(frozen_able)
    assert frozen
    problem = assert_problem(first, 503, "outcome-unknown")
    assert "Idempotency-Key" in problem["detail"]
    retried = None
    for _ in range(50):
        retried = await _bounded(api.client.post("/api/v1/tasks", json=body, headers=headers))
        if retried.status_code in (200, 201):
            break
        await asyncio.sleep(0.2)
    assert retried is not None
    assert retried.status_code == 201, retried.text
    listed = await api.client.get(
        "/api/v1/tasks", params={"q": body["title"]}, headers=user.headers
    )
    assert [t["title"] for t in listed.json()["items"]] == [body["title"]]
