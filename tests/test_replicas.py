"""Read replicas against a real MariaDB primary and replica (scripts/mariadb_pair.py).

The evidence is behavioural: a row written on the primary while the replica is delayed (with
MASTER_DELAY) or stopped is missing from what the API answers exactly when the read went to the
replica, and present when it went to the primary.

The first tests run the app in this process (each ``Instance`` is one process's state: pools,
caches, its own ``var_dir`` and so its own instance store). The last ones run a real
``tasklane serve --workers 2`` and check what a client of it sees: no stale read of one's own
writes, with and without Redis, under a 10 s and a 60 s delay; no failed GET once a frozen
replica has had a second to be noticed; reads leaving a replica whose SQL thread stopped.

When: these tests start their own pair and use no other database, so running them in each of
``make test``'s three passes (sqlite, mariadb, postgresql) would only repeat the same thing
three times. They run once, in the MariaDB pass, the dialect they exercise (or wherever
TASKLANE_TEST_REPLICAS=1), and are reported as skipped, with this reason, in the other two. In
the MariaDB pass a missing ``mariadbd`` fails them loudly rather than skipping them.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from scripts.private_mariadb import MariaDBError, binary
from tasklane.app import create_app
from tasklane.cli import migrate
from tasklane.core.cache import InstanceStore
from tasklane.core.context import AppContext
from tasklane.core.db import Database
from tasklane.core.routing import InstanceWriteTracker, LocalWriteTracker
from tasklane.core.shared import SharedWriteTracker
from tasklane.settings import Settings
from tasklane.tasks import service as tasks
from tasklane.tasks.schemas import TaskCreate
from tests.helpers import SAME_SITE, Api, User
from tests.servers import RedisServer

KIND = os.environ.get("TASKLANE_TEST_DATABASE", "sqlite")
pytestmark = pytest.mark.skipif(
    KIND != "mariadb" and os.environ.get("TASKLANE_TEST_REPLICAS") != "1",
    reason="replica tests bring their own MariaDB pair; they run once, in the mariadb pass",
)

ROOT = Path(__file__).resolve().parent.parent
PAIR = [sys.executable, "-m", "scripts.mariadb_pair"]
SIGNING_KEY = (
    Ed25519PrivateKey.generate()
    .private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    .decode()
)
CATCH_UP = 30.0  # seconds replication gets to catch up before a test gives up
LAG_LIMIT = 45.0  # in-process tests: a replica 30 s behind is still read from


@dataclass
class Pair:
    base: Path
    primary_url: str
    replica_url: str

    def run(self, *args: str) -> str:
        result = subprocess.run(
            [*PAIR, "--dir", str(self.base), *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if result.returncode != 0:
            pytest.fail(f"mariadb_pair.py {' '.join(args)} failed:\n{result.stderr}")
        return result.stdout

    def sync(self) -> None:
        self.run("sync", "--timeout", str(CATCH_UP))


@pytest.fixture(scope="session")
def pair() -> Iterator[Pair]:
    for program in ("mariadbd", "mariadb-install-db", "mariadb"):
        try:
            binary(program)
        except MariaDBError as missing:
            pytest.fail(f"{missing} (the replica tests start their own pair)", pytrace=False)
    # Short path: the servers' unix sockets live under it.
    base = Path(tempfile.mkdtemp(prefix="tasklane-pair-"))
    the_pair = Pair(base / "pair", "", "")
    try:
        urls = dict(
            line.split("=", 1)
            for line in the_pair.run(
                "start", "--primary-port", "0", "--replica-port", "0"
            ).splitlines()
        )
        the_pair.primary_url = urls["TASKLANE_DATABASE_URL"]
        the_pair.replica_url = urls["TASKLANE_DATABASE_REPLICA_URLS"]
        migrate(Settings(database_url=the_pair.primary_url))
        the_pair.sync()
        yield the_pair
    finally:
        subprocess.run(
            [*PAIR, "--dir", str(the_pair.base), "stop"],
            cwd=ROOT,
            check=False,
            timeout=120,
        )
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def replica_settings(pair: Pair) -> Settings:
    var_dir = Path(tempfile.mkdtemp(prefix="tasklane-var-", dir=pair.base.parent))
    return Settings(
        environment="test",
        # One signing key for every instance, whatever its var_dir.
        jwt_private_key=SIGNING_KEY,
        database_url=pair.primary_url,
        database_replica_urls=[pair.replica_url],
        var_dir=var_dir,
        read_your_writes_seconds=60,  # longer than any lag injected below
        # Lagging replicas stay in use here: these tests show what reads find on them.
        database_replica_max_lag_seconds=LAG_LIMIT,
        database_replica_retry_seconds=1,
        session_check_ttl_seconds=0,  # every request asks the database about its session
        db_pool_size=2,
        db_max_overflow=1,
        db_pool_timeout=2,
        rate_limit_anonymous="100000/minute",
        rate_limit_user="100000/minute",
        rate_limit_auth_address="100000/minute",
        rate_limit_auth_account="100000/minute",
    )


@dataclass
class Instance:
    """One API instance (its own process state: pools, caches, write tracker)."""

    ctx: AppContext
    client: httpx.AsyncClient
    api: Api


async def _instance(settings: Settings, var_dir: Path | None = None) -> AsyncIterator[Instance]:
    """An instance; with ``var_dir``, one that shares nothing with the others (another
    machine): not even the instance store the workers of one instance share."""
    if var_dir is not None:
        settings = settings.model_copy(update={"var_dir": var_dir})
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield Instance(app.state.ctx, client, Api(client))


@pytest.fixture(scope="session")
async def one(replica_settings: Settings) -> AsyncIterator[Instance]:
    async for instance in _instance(replica_settings):
        yield instance


@pytest.fixture(scope="session")
async def two(replica_settings: Settings) -> AsyncIterator[Instance]:
    """A second instance of the same deployment: same database and keys, its own memory and
    its own var_dir (another machine)."""
    async for instance in _instance(replica_settings, replica_settings.var_dir / "two"):
        yield instance


@pytest.fixture(scope="session")
async def sibling(replica_settings: Settings) -> AsyncIterator[Instance]:
    """Another worker process of ``one``'s instance: its own memory, the same var_dir."""
    async for instance in _instance(replica_settings):
        yield instance


@pytest.fixture(scope="session")
async def primary(pair: Pair) -> AsyncIterator[AsyncEngine]:
    """A plain connection to the primary, behind the API's back."""
    engine = create_async_engine(
        pair.primary_url + "?charset=utf8mb4",
        json_serializer=lambda value: orjson.dumps(value).decode(),  # as the app's (datetimes)
    )
    yield engine
    await engine.dispose()


async def eventually(check: Callable[[], Awaitable[bool]], what: str) -> None:
    """Poll ``check`` until it holds; fail after CATCH_UP seconds."""
    deadline = asyncio.get_running_loop().time() + CATCH_UP
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"gave up waiting: {what}")
        await asyncio.sleep(0.1)


async def in_use(*instances: Instance) -> None:
    """Wait until every instance reads from the replica again (changing MASTER_DELAY stops
    and restarts replication; a check in between sees it stopped)."""

    async def ready() -> bool:
        for instance in instances:
            await instance.ctx.db.check_replicas()
        return all(i.ctx.db.replica_states()[0].in_use for i in instances)

    await eventually(ready, "the replica is read from")


@contextlib.asynccontextmanager
async def delayed(pair: Pair, seconds: int, *instances: Instance) -> AsyncIterator[None]:
    """The replica applies each change ``seconds`` after the primary made it (MASTER_DELAY);
    back to 0 (and caught up) at the end."""
    pair.sync()
    pair.run("delay", str(seconds))
    try:
        await in_use(*instances)
        yield
    finally:
        pair.run("delay", "0")
        pair.sync()


async def write_on_primary(primary: AsyncEngine, user: User, title: str) -> str:
    """A task created directly on the primary, as another instance would: this process does
    not know its user wrote."""
    async with primary.begin() as conn:
        task = await tasks.create(conn, uuid.UUID(user.id), TaskCreate(title=title))
    return str(task["id"])


async def get_task(instance: Instance, user: User, task_id: str) -> httpx.Response:
    return await instance.client.get(f"/api/v1/tasks/{task_id}", headers=user.headers)


async def listed(instance: Instance, user: User) -> set[str]:
    response = await instance.client.get("/api/v1/tasks?limit=100", headers=user.headers)
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["items"]}


async def test_a_get_reads_from_the_replica(
    pair: Pair, one: Instance, primary: AsyncEngine
) -> None:
    user = await one.api.user()  # register and log in: anonymous writes, nobody marked
    async with delayed(pair, 30, one):
        task_id = await write_on_primary(primary, user, "written while the replica lags")
        # The primary has it; the GETs, served by the replica, do not yet.
        async with one.ctx.db.primary_reader() as conn:
            found = await conn.scalar(
                text("SELECT COUNT(*) FROM tasks WHERE title = :t"),
                {"t": "written while the replica lags"},
            )
        assert found == 1
        assert (await get_task(one, user, task_id)).status_code == 404
        assert task_id not in await listed(one, user)

    async def visible() -> bool:
        return (await get_task(one, user, task_id)).status_code == 200

    await eventually(visible, "the replica applies the delayed write")
    assert task_id in await listed(one, user)


async def test_b_read_your_writes_under_replication_delay(
    pair: Pair, one: Instance, two: Instance, sibling: Instance
) -> None:
    writer = await one.api.user()
    # A long MASTER_DELAY, so the checks below cannot race it; lifted at the end.
    async with delayed(pair, 30, one, two, sibling):
        created = await one.api.create_task(writer, title="mine, at once")
        task_id = created["id"]

        # The writer, on the process that took the write and on another worker process of
        # the same instance: from the primary, immediately.
        for instance in (one, sibling):
            response = await get_task(instance, writer, task_id)
            assert response.status_code == 200, response.text
            assert response.json()["title"] == "mine, at once"
            assert task_id in await listed(instance, writer)
        changed = await sibling.client.patch(
            f"/api/v1/tasks/{task_id}",
            json={"title": "changed at once"},
            headers={**writer.headers, "If-Match": response.headers["ETag"]},
        )
        assert changed.status_code == 200, changed.text
        for instance in (one, sibling):
            assert (await get_task(instance, writer, task_id)).json()["title"] == "changed at once"

        # Reads still on the replica do not have it yet: the same user through another
        # instance (without Redis, nothing tells it about the write), and a read outside any
        # request on this instance.
        assert (await get_task(two, writer, task_id)).status_code == 404
        assert task_id not in await listed(two, writer)
        async with one.ctx.db.reader() as conn:
            on_replica = await conn.scalar(
                text("SELECT COUNT(*) FROM tasks WHERE title IN (:a, :b)"),
                {"a": "mine, at once", "b": "changed at once"},
            )
        assert on_replica == 0
        status = pair.run("status")
        assert '"SQL_Delay": "30"' in status, status

    async def caught_up() -> bool:
        response = await get_task(two, writer, task_id)
        return response.status_code == 200 and response.json()["title"] == "changed at once"

    await eventually(caught_up, "the delayed writes reach the replica")


async def test_read_your_writes_window_expires(tmp_path: Path) -> None:
    store = InstanceStore(tmp_path / "store")
    for tracker in (
        LocalWriteTracker(window_seconds=0.2),
        InstanceWriteTracker(store, window_seconds=0.2),
    ):
        someone, other = uuid.uuid4(), uuid.uuid4()
        await tracker.mark_write(someone)
        assert await tracker.recently_wrote(someone)
        assert not await tracker.recently_wrote(other)
        await asyncio.sleep(0.3)
        assert not await tracker.recently_wrote(someone)
    assert not await LocalWriteTracker(window_seconds=0).recently_wrote(someone)
    # Another process of the instance maps the same file and sees the same writes.
    again = InstanceStore(tmp_path / "store")
    await InstanceWriteTracker(store, 5).mark_write(someone)
    assert await InstanceWriteTracker(again, 5).recently_wrote(someone)
    store.close()
    again.close()


async def test_session_checks_read_the_primary(pair: Pair, one: Instance, two: Instance) -> None:
    """A lagging replica neither hides a new session nor brings a revoked one back."""
    user = await one.api.user()
    async with delayed(pair, 30, one, two):
        login = await one.api.login(user.email)
        assert login.status_code == 200, login.text
        fresh = {"Authorization": f"Bearer {login.json()['access_token']}"}
        # Instance two has never seen this session; the replica does not have it yet.
        assert (await two.client.get("/api/v1/tasks", headers=fresh)).status_code == 200
        ended = await one.client.post(
            "/api/v1/auth/logout-all", headers={**SAME_SITE, **user.headers}
        )
        assert ended.status_code == 204, ended.text
        # The replica still holds both sessions as live; the primary says revoked.
        for headers in (user.headers, fresh):
            response = await two.client.get("/api/v1/tasks", headers=headers)
            assert response.status_code == 401, response.text


async def test_d_each_engine_has_its_own_pool(
    pair: Pair, one: Instance, replica_settings: Settings
) -> None:
    db = one.ctx.db
    engines = {"write": db.write_engine, "read": db.read_engine, "replica": db.replicas[0].engine}
    assert len({id(engine.pool) for engine in engines.values()}) == 3
    ports: dict[str, Any] = {}
    for name, engine in engines.items():
        async with engine.connect() as conn:
            ports[name] = await conn.scalar(text("SELECT @@port"))
    primary_port = int(pair.primary_url.rsplit(":", 1)[1].split("/")[0])
    replica_port = int(pair.replica_url.rsplit(":", 1)[1].split("/")[0])
    assert ports == {"write": primary_port, "read": primary_port, "replica": replica_port}

    # Every connection of the write pool taken: reads, on the replica's pool and on the
    # primary's read pool, go on regardless.
    user = await one.api.user()
    size = replica_settings.db_pool_size + replica_settings.db_max_overflow
    held = [await db.write_engine.acquire() for _ in range(size)]
    try:
        assert db.write_engine.pool.checkedout() == size
        assert (await one.client.get("/api/v1/tasks", headers=user.headers)).status_code == 200
        async with db.primary_reader() as conn:
            assert await conn.scalar(text("SELECT 1")) == 1
    finally:
        for pooled in held:
            await db.write_engine.pool.release(pooled)


async def test_c_dead_replica_falls_back_to_the_primary(
    pair: Pair, one: Instance, primary: AsyncEngine
) -> None:
    user = await one.api.user()
    task_id = await write_on_primary(primary, user, "readable whatever happens")
    pair.sync()
    assert (await get_task(one, user, task_id)).status_code == 200  # via the replica's pool

    pair.run("kill", "replica")
    sequential = [(await get_task(one, user, task_id)).status_code for _ in range(20)]
    concurrent = await asyncio.gather(*(get_task(one, user, task_id) for _ in range(30)))
    lists = await asyncio.gather(*(listed(one, user) for _ in range(10)))
    statuses = sequential + [response.status_code for response in concurrent]
    assert statuses == [200] * 50, statuses  # not one failed request
    assert all(task_id in ids for ids in lists)
    assert db_replica(one).down_until > 0  # it was marked down (and skipped)

    # Back up: after the retry window the replica serves reads again. Shown by a row the
    # delayed replica lacks: GETs find it while the primary serves, and stop finding it once
    # the replica is back in rotation.
    pair.run("revive")
    async with delayed(pair, 30, one):
        hidden = await write_on_primary(primary, user, "only on the primary")

        async def served_by_replica() -> bool:
            response = await get_task(one, user, hidden)
            assert response.status_code in {200, 404}, response.text
            return response.status_code == 404

        await eventually(served_by_replica, "the revived replica is read from again")
        assert db_replica(one).healthy


def db_replica(instance: Instance) -> Any:
    return instance.ctx.db.replicas[0]


async def test_read_your_writes_across_instances_through_redis(
    pair: Pair, replica_settings: Settings, tmp_path: Path
) -> None:
    """With Redis, a write taken by one instance sends the writer's reads on every instance
    to the primary: no instance shows them their own change missing."""
    redis = RedisServer(tmp_path)
    redis.start()
    try:
        shared = replica_settings.model_copy(update={"redis_url": redis.url})
        async for first in _instance(shared, tmp_path / "first"):
            async for second in _instance(shared, tmp_path / "second"):
                writer = await first.api.user()
                bystander = await first.api.user()
                async with delayed(pair, 30, first, second):
                    created = await first.api.create_task(writer, title="seen everywhere")
                    response = await get_task(second, writer, created["id"])
                    assert response.status_code == 200, response.text
                    assert created["id"] in await listed(second, writer)
                    # Others still read from the (lagging) replica.
                    assert isinstance(second.ctx.db.write_tracker, SharedWriteTracker)
                    assert not await second.ctx.db.write_tracker.recently_wrote(
                        uuid.UUID(bystander.id)
                    )
    finally:
        redis.stop()


async def test_lag_and_stopped_replication_send_reads_to_the_primary(
    pair: Pair, replica_settings: Settings, primary: AsyncEngine, tmp_path: Path
) -> None:
    """With the default limit (3 s), a replica further behind, or whose SQL thread stopped, is
    not read from, and /readyz says why; once it has caught up it is read from again."""
    strict = replica_settings.model_copy(
        update={"database_replica_max_lag_seconds": 3.0, "read_your_writes_seconds": 5.0}
    )
    async for instance in _instance(strict, tmp_path / "strict"):
        db = instance.ctx.db
        user = await instance.api.user()
        await in_use(instance)
        pair.run("pause")
        try:
            await db.check_replicas()
            assert [(s.state, s.in_use) for s in db.replica_states()] == [("stopped", False)]
            task_id = await write_on_primary(primary, user, "while replication is stopped")
            assert (await get_task(instance, user, task_id)).status_code == 200
            ready = await instance.client.get("/readyz")
            assert ready.status_code == 200  # the primary serves: the instance is ready
            assert ready.json()["replicas"] == [
                {"replica": 1, "state": "stopped", "lag_seconds": None, "in_use": False}
            ]
        finally:
            pair.run("resume")
        await in_use(instance)

        async with delayed(pair, 60, instance):
            task_id = await write_on_primary(primary, user, "a minute late on the replica")

            async def lagging(db: Database = db) -> bool:
                await db.check_replicas()
                return db.replica_states()[0].state == "lagging"

            await eventually(lagging, "the replica is seen lagging")
            assert (await get_task(instance, user, task_id)).status_code == 200
            (shown,) = (await instance.client.get("/readyz")).json()["replicas"]
            assert shown["state"] == "lagging", shown
            assert shown["lag_seconds"] > 3, shown
            assert shown["in_use"] is False


# --- a real `tasklane serve --workers 2` ---------------------------------------------------


@dataclass
class Served:
    """One running ``tasklane serve --workers 2`` on the pair (its own process group)."""

    url: str
    process: subprocess.Popen[bytes]

    def client(self) -> httpx.AsyncClient:
        """A client that opens a new connection per request, so the two workers share the
        requests."""
        return httpx.AsyncClient(
            base_url=self.url, timeout=30, limits=httpx.Limits(max_keepalive_connections=0)
        )

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def serve(pair: Pair, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Starts (once per set of settings) a real instance of two workers on the pair; all are
    stopped at the end of the module."""
    started: dict[tuple[tuple[str, str], ...], Served] = {}

    def start(**extra: str) -> Served:
        key = tuple(sorted(extra.items()))
        if key in started:
            return started[key]
        root = tmp_path_factory.mktemp("served")
        port = _free_port()
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("TASKLANE_")},
            "TASKLANE_ENVIRONMENT": "test",
            "TASKLANE_DATABASE_URL": pair.primary_url,
            "TASKLANE_DATABASE_REPLICA_URLS": pair.replica_url,
            "TASKLANE_VAR_DIR": str(root / "var"),
            "TASKLANE_RATE_LIMIT_ENABLED": "false",
            "TASKLANE_WORKER_EMBEDDED": "false",
            "TASKLANE_DATABASE_REPLICA_RETRY_SECONDS": "1",
            # A read caught by a freeze gives up after this long (the test waits for it).
            "TASKLANE_DB_STATEMENT_TIMEOUT": "3",
            "TASKLANE_SHUTDOWN_DRAIN_SECONDS": "0",
            **{f"TASKLANE_{name.upper()}": value for name, value in extra.items()},
        }
        command = [sys.executable, "-m", "tasklane.cli", "serve", "--no-migrate"]
        command += ["--host", "127.0.0.1", "--port", str(port), "--workers", "2"]
        with (root / "serve.log").open("wb") as log:
            process = subprocess.Popen(
                command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        served = started[key] = Served(f"http://127.0.0.1:{port}", process)
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{served.url}/readyz", timeout=2).status_code == 200:
                    return served
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"tasklane serve did not start:\n{(root / 'serve.log').read_text()}")
            time.sleep(0.2)

    try:
        yield start
    finally:
        for served in started.values():  # all at once, then wait for each
            with contextlib.suppress(ProcessLookupError):
                os.killpg(served.process.pid, signal.SIGTERM)
        for served in started.values():
            served.stop()


async def replica_in_use(served: Served, wanted: bool = True) -> None:
    """Wait until both workers say (on /readyz) that reads go to the replica (or do not)."""
    streak = 0
    deadline = time.monotonic() + CATCH_UP
    async with served.client() as client:
        while streak < 6:  # six answers in a row, from whichever worker took each
            (shown,) = (await client.get("/readyz")).json()["replicas"]
            streak = streak + 1 if shown["in_use"] is wanted else 0
            if time.monotonic() > deadline:
                pytest.fail(f"the replica's use never became {wanted}: {shown}")
            await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def served_delay(pair: Pair, served: Served, seconds: int) -> AsyncIterator[None]:
    pair.sync()
    pair.run("delay", str(seconds))
    try:
        await replica_in_use(served)
        yield
    finally:
        pair.run("delay", "0")
        pair.sync()


@dataclass
class Writer:
    """A user signed in on two devices (two sessions)."""

    user: User
    other_device: dict[str, str]


async def writer_on(api: Api) -> Writer:
    user = await api.user()
    login = await api.login(user.email)
    assert login.status_code == 200, login.text
    return Writer(user, {"Authorization": f"Bearer {login.json()['access_token']}"})


async def stale_reads(client: httpx.AsyncClient, writer: Writer, task: dict[str, Any]) -> int:
    """Reads of the writer's task, by both devices, by id and in the list, that do not show
    it as last written."""
    stale = 0
    for headers in (writer.user.headers, writer.other_device):
        one = await client.get(f"/api/v1/tasks/{task['id']}", headers=headers)
        if one.status_code != 200 or one.json()["title"] != task["title"]:
            stale += 1
        page = await client.get("/api/v1/tasks?limit=100", headers=headers)
        assert page.status_code == 200, page.text
        titles = {item["id"]: item["title"] for item in page.json()["items"]}
        if titles.get(task["id"]) != task["title"]:
            stale += 1
    return stale


async def write_and_read(client: httpx.AsyncClient, writer: Writer, number: int) -> int:
    """Create a task, read it back, rename it, read it back: the stale reads seen."""
    created = await client.post(
        "/api/v1/tasks", json={"title": f"new {number}"}, headers=writer.user.headers
    )
    assert created.status_code == 201, created.text
    task = created.json()
    stale = await stale_reads(client, writer, task)
    renamed = await client.patch(
        f"/api/v1/tasks/{task['id']}",
        json={"title": f"renamed {number}"},
        headers={**writer.user.headers, "If-Match": created.headers["ETag"]},
    )
    assert renamed.status_code == 200, renamed.text
    return stale + await stale_reads(client, writer, renamed.json())


@pytest.fixture(params=[False, True], ids=["without-redis", "with-redis"])
def redis_env(request: pytest.FixtureRequest) -> dict[str, str]:
    if not request.param:
        return {}
    server: RedisServer = request.getfixturevalue("redis_server")
    return {"redis_url": server.url}


async def test_two_workers_never_show_a_writer_a_stale_read_10s_behind(
    pair: Pair, serve: Any, primary: AsyncEngine, redis_env: dict[str, str]
) -> None:
    """A replica 10 s behind stays in use (the limit is 15 s here): what keeps a writer's
    reads, on either worker and either device, off it is the write tracking the two worker
    processes share (or Redis)."""
    served = serve(
        database_replica_max_lag_seconds="15", read_your_writes_seconds="20", **redis_env
    )
    async with served.client() as client:
        api = Api(client)
        writer, bystander = await writer_on(api), await api.user()
        async with served_delay(pair, served, 10):
            # The replica is read from: a row only the primary has is missing for others.
            hidden = await write_on_primary(primary, bystander, "not on the replica yet")
            misses = [
                (await client.get(f"/api/v1/tasks/{hidden}", headers=bystander.headers)).status_code
                for _ in range(6)
            ]
            assert misses == [404] * 6
            stale = [await write_and_read(client, writer, number) for number in range(6)]
    assert sum(stale) == 0, stale  # of 6 * 8 reads


async def test_two_workers_stop_reading_a_replica_60s_behind(
    pair: Pair, serve: Any, primary: AsyncEngine, redis_env: dict[str, str]
) -> None:
    """With the default limit (3 s) a replica a minute behind is left within seconds: a
    writer's reads never find it stale, during the read-your-writes window or after it, and
    the others' reads go to the primary too. Not waited out: shown by where reads go."""
    served = serve(**redis_env)
    async with served.client() as client:
        api = Api(client)
        writer, bystander = await writer_on(api), await api.user()
        async with served_delay(pair, served, 60):
            stale = await write_and_read(client, writer, 0)
            created = time.monotonic()
            task = (await client.get("/api/v1/tasks?limit=1", headers=writer.user.headers)).json()
            # Past the 5 s window, by which time the replica must be out of use.
            while time.monotonic() - created < 6:
                stale += await stale_reads(client, writer, task["items"][0])
                await asyncio.sleep(0.2)
            await replica_in_use(served, wanted=False)
            (shown,) = (await client.get("/readyz")).json()["replicas"]
            assert shown["state"] == "lagging", shown
            assert shown["lag_seconds"] > 3, shown
            hidden = await write_on_primary(primary, bystander, "on the primary only")
            found = await client.get(f"/api/v1/tasks/{hidden}", headers=bystander.headers)
            assert found.status_code == 200, found.text
    assert stale == 0


async def test_a_frozen_replica_fails_no_get_after_the_first_second(
    pair: Pair, serve: Any, primary: AsyncEngine
) -> None:
    """SIGSTOP: the server still accepts TCP connections but answers nothing. Reads caught
    in flight may fail; every GET sent a second after the freeze or later answers 200."""
    served = serve()
    async with served.client() as client:
        reader = await Api(client).user()
    task_id = await write_on_primary(primary, reader, "read all along")
    pair.sync()
    await replica_in_use(served)
    outcomes: list[tuple[float, int]] = []
    frozen_at = float("inf")

    async def keep_reading(stop: asyncio.Event) -> None:
        async with httpx.AsyncClient(base_url=served.url, timeout=30) as client:
            while not stop.is_set():
                began = time.monotonic()
                try:
                    status = (
                        await client.get(f"/api/v1/tasks/{task_id}", headers=reader.headers)
                    ).status_code
                except httpx.HTTPError:
                    status = 0
                outcomes.append((began - frozen_at, status))

    stop = asyncio.Event()
    readers = [asyncio.create_task(keep_reading(stop)) for _ in range(6)]
    try:
        await asyncio.sleep(0.5)
        frozen_at = time.monotonic()
        pair.run("freeze", "replica")
        await asyncio.sleep(2)
        (shown,) = (await httpx.AsyncClient(base_url=served.url).get("/readyz")).json()["replicas"]
        assert shown["state"] == "unreachable", shown
    finally:
        stop.set()
        await asyncio.gather(*readers)
        pair.run("thaw")
    after_a_second = [status for offset, status in outcomes if offset >= 1.0]
    assert len(after_a_second) > 20, outcomes
    assert set(after_a_second) == {200}, [o for o in outcomes if o[1] != 200]
    await replica_in_use(served)  # back in use once it answers again


async def test_reads_leave_a_replica_whose_sql_thread_stopped(
    pair: Pair, serve: Any, primary: AsyncEngine
) -> None:
    served = serve()
    async with served.client() as client:
        reader = await Api(client).user()
        pair.sync()
        await replica_in_use(served)
        pair.run("pause")
        try:
            paused_at = time.monotonic()
            hidden = await write_on_primary(primary, reader, "after replication stopped")
            while (
                await client.get(f"/api/v1/tasks/{hidden}", headers=reader.headers)
            ).status_code != 200:
                # Within the lag limit (3 s); the status says at once that it stopped.
                assert time.monotonic() - paused_at < 3, "reads stayed on a stopped replica"
                await asyncio.sleep(0.05)
            # Each worker process checks the replica on its own (every quarter second): the
            # one answering /readyz may take its next check to see it.
            stopped = {"replica": 1, "state": "stopped", "lag_seconds": None, "in_use": False}
            while True:
                (shown,) = (await client.get("/readyz")).json()["replicas"]
                if shown == stopped:
                    break
                assert time.monotonic() - paused_at < 5, shown
                await asyncio.sleep(0.05)
        finally:
            pair.run("resume")
    await replica_in_use(served)
