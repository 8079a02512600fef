"""``tasklane backup`` while the API takes writes, and ``tasklane restore`` into an empty
database: everything acknowledged before the backup began comes back (tasks with their tags
and versions, revoked sessions still revoked) and the restored database serves the API."""

from __future__ import annotations

import asyncio
import os
import stat
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

import tasklane
from tasklane.app import create_app
from tasklane.auth.models import sessions
from tasklane.backup import BackupError, backup, restore
from tasklane.settings import Settings
from tasklane.tasks.models import task_tags, tasks
from tests.helpers import SAME_SITE, Api, User, assert_problem, refresh_cookie

TASKLANE = Path(sys.executable).with_name("tasklane")
TASKS = "/api/v1/tasks"
#: Bounds each test (and each command it runs); nothing is asserted about durations.
TIME_LIMIT = 180


def head_revision() -> str:
    config = Config()
    config.set_main_option("script_location", str(Path(tasklane.__file__).parent / "migrations"))
    heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, heads
    return str(heads[0])


async def tasklane_cli(args: list[str], database_url: str, var_dir: Path) -> tuple[int, str, str]:
    """Run the ``tasklane`` command as an operator would; its exit code, output and errors."""
    env = {
        **os.environ,
        "TASKLANE_ENVIRONMENT": "test",
        "TASKLANE_DATABASE_URL": database_url,
        "TASKLANE_VAR_DIR": str(var_dir),
    }
    process = await asyncio.create_subprocess_exec(
        str(TASKLANE), *args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        async with asyncio.timeout(TIME_LIMIT):
            out, err = await process.communicate()
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def _admin(url: str, statement: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.exec_driver_sql(statement)
    finally:
        await engine.dispose()


@pytest.fixture
async def fresh_database(database_url: str, tmp_path: Path) -> AsyncIterator[str]:
    """A new, empty database beside the test database (SQLite: a new file)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'restored' / 'tasklane.db'}"
        return
    name = f"tasklane_restore_{uuid.uuid4().hex[:10]}"
    await _admin(database_url, f"CREATE DATABASE {name}")
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        await _admin(database_url, f"DROP DATABASE IF EXISTS {name}")


@pytest.fixture
async def restored_engine(fresh_database: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(fresh_database)
    yield engine
    await engine.dispose()


async def revoked_sessions(engine: AsyncEngine) -> dict[uuid.UUID, Any]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(sessions.c.id, sessions.c.revoked_at).where(sessions.c.revoked_at.is_not(None))
        )
        return {row.id: row.revoked_at for row in rows}


async def trashed_tasks(engine: AsyncEngine) -> set[str]:
    """The ids of the tasks in the trash (deleted, kept 30 days)."""
    async with engine.connect() as conn:
        rows = await conn.execute(select(tasks.c.id).where(tasks.c.deleted_at.is_not(None)))
        return {str(row.id) for row in rows}


async def stored_tasks(engine: AsyncEngine) -> dict[str, tuple[int, list[str], set[str]]]:
    """Every task not in the trash: its version, its tags (the row's list) and its rows of the
    tag index."""
    async with engine.connect() as conn:
        live = select(tasks.c.id, tasks.c.version, tasks.c.tags).where(tasks.c.deleted_at.is_(None))
        rows = (await conn.execute(live)).all()
        indexed: dict[str, set[str]] = {}
        for task_id, tag in await conn.execute(select(task_tags.c.task_id, task_tags.c.tag)):
            indexed.setdefault(str(task_id), set()).add(tag)
    return {
        str(row.id): (row.version, list(row.tags), indexed.get(str(row.id), set())) for row in rows
    }


@asynccontextmanager
async def restored_app(settings: Settings, database_url: str) -> AsyncIterator[Api]:
    app = create_app(settings.model_copy(update={"database_url": database_url}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield Api(client)


async def test_backup_under_write_load_restores_into_an_empty_database(
    api: Api,
    settings: Settings,
    fresh_database: str,
    restored_engine: AsyncEngine,
    tmp_path: Path,
) -> None:
    async with asyncio.timeout(TIME_LIMIT):
        # Seed through the API: tasks with tags, some changed (versions above 1), some deleted.
        owners = [await api.user() for _ in range(3)]
        acknowledged: dict[str, dict[str, Any]] = {}
        deleted: set[str] = set()
        by_owner: dict[str, set[str]] = {owner.id: set() for owner in owners}
        for number, owner in enumerate(owners):
            for index in range(8):
                task = await api.create_task(
                    owner, title=f"seed {number}.{index}", tags=[f"owner-{number}", f"n{index % 3}"]
                )
                acknowledged[task["id"]] = task
                by_owner[owner.id].add(task["id"])
            first, second, third = sorted(by_owner[owner.id])[:3]
            for change in ({"tags": ["changed"]}, {"priority": "high", "tags": ["twice", "x"]}):
                response = await api.client.patch(
                    f"{TASKS}/{first}", json=change, headers=owner.headers
                )
                assert response.status_code == 200, response.text
                acknowledged[first] = response.json()
            response = await api.client.patch(
                f"{TASKS}/{second}", json={"tags": []}, headers=owner.headers
            )
            assert response.status_code == 200, response.text
            acknowledged[second] = response.json()
            response = await api.client.delete(f"{TASKS}/{third}", headers=owner.headers)
            assert response.status_code == 204, response.text
            del acknowledged[third]
            by_owner[owner.id].discard(third)
            deleted.add(third)

        # Sessions ended before the backup: a second login of each owner, logged out.
        ended: list[str] = []
        for owner in owners:
            response = await api.login(owner.email)
            assert response.status_code == 200, response.text
            token = refresh_cookie(response)
            assert token
            response = await api.client.post(
                "/api/v1/auth/logout", headers={**SAME_SITE, "Cookie": f"tasklane_refresh={token}"}
            )
            assert response.status_code == 204, response.text
            ended.append(token)
        source = create_async_engine(settings.database_url)
        try:
            revoked = await revoked_sessions(source)
        finally:
            await source.dispose()
        assert len(revoked) >= len(owners)

        # Write load: two writers keep creating tasks until the backup has finished.
        writers = [await api.user() for _ in range(2)]
        loop = asyncio.get_running_loop()
        acks: list[tuple[float, dict[str, Any]]] = []
        stop = asyncio.Event()
        loaded = asyncio.Event()  # the writers have been at it for a while

        async def write(writer: User, name: str) -> None:
            count = 0
            while not stop.is_set():
                task = await api.create_task(writer, title=f"{name} {count}", tags=[name, "load"])
                acks.append((loop.time(), task))
                if len(acks) >= 10:
                    loaded.set()
                count += 1

        load = [asyncio.create_task(write(w, f"writer-{i}")) for i, w in enumerate(writers)]
        try:
            await loaded.wait()
            before = [task for _, task in acks]
            started = loop.time()
            dump = tmp_path / "tasklane.backup"
            code, out, err = await tasklane_cli(
                ["backup", "--output", str(dump)], settings.database_url, settings.var_dir
            )
            finished = loop.time()
        finally:
            stop.set()
            await asyncio.gather(*load)
        assert code == 0, err
        assert f"revision {head_revision()}" in out, out
        assert any(started < at < finished for at, _ in acks), "no write during the backup"
        acknowledged.update({task["id"]: task for task in before})
        assert stat.S_IMODE(os.stat(dump).st_mode) == 0o600
        assert os.listdir(tmp_path) == [dump.name], "only the backup is left"

        # Restore into the empty database.
        code, out, err = await tasklane_cli(
            ["restore", "--input", str(dump), "--database-url", fresh_database],
            settings.database_url,
            settings.var_dir,
        )
        assert code == 0, err
        assert f"at revision {head_revision()}" in out, out
        async with restored_engine.connect() as conn:
            revision = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
        assert [row[0] for row in revision] == [head_revision()]

        restored = await stored_tasks(restored_engine)
        for task_id, task in acknowledged.items():
            assert task_id in restored, f"acknowledged task {task_id} is missing"
            version, tags, indexed = restored[task_id]
            assert (version, tags) == (task["version"], task["tags"]), task
            assert indexed == set(task["tags"]), task
        assert not deleted & restored.keys(), "a task deleted before the backup came back"
        assert deleted <= await trashed_tasks(restored_engine), "the trash was not restored"
        # One snapshot: no task is there without its tag rows (or with another version's).
        for task_id, (_, tags, indexed) in restored.items():
            assert set(tags) == indexed, task_id
        assert await revoked_sessions(restored_engine) == revoked

        # The restored database serves the API: log in, read, list, refuse ended sessions.
        async with restored_app(settings, fresh_database) as restored_api:
            owner = owners[0]
            response = await restored_api.login(owner.email)
            assert response.status_code == 200, response.text
            headers = {"Authorization": f"Bearer {response.json()['access_token']}"}
            some = sorted(by_owner[owner.id])[0]
            response = await restored_api.client.get(f"{TASKS}/{some}", headers=headers)
            assert response.status_code == 200, response.text
            assert response.json() == acknowledged[some]
            response = await restored_api.client.get(TASKS, params={"limit": 100}, headers=headers)
            assert {item["id"] for item in response.json()["items"]} == by_owner[owner.id]
            for token in ended:
                assert_problem(await restored_api.refresh(token), 401)
            # A session that was live at the backup goes on after the restore.
            response = await restored_api.refresh(owners[1].refresh_token)
            assert response.status_code == 200, response.text


async def test_restore_refuses_a_database_that_is_not_empty_unless_forced(
    api: Api, settings: Settings, fresh_database: str, restored_engine: AsyncEngine, tmp_path: Path
) -> None:
    async with asyncio.timeout(TIME_LIMIT):
        user = await api.user()
        task = await api.create_task(user, title="kept", tags=["kept"])
        dump = tmp_path / "first.backup"
        code, _, err = await tasklane_cli(
            ["backup", "--output", str(dump), "--database-url", settings.database_url],
            settings.database_url,
            settings.var_dir,
        )
        assert code == 0, err
        restore = ["restore", "--input", str(dump), "--database-url", fresh_database]
        code, _, err = await tasklane_cli(restore, settings.database_url, settings.var_dir)
        assert code == 0, err

        # A task of the restored database only: a refused restore leaves it, --force not.
        async with restored_engine.begin() as conn:
            await conn.execute(
                text("UPDATE tasks SET title = 'changed after restore' WHERE title = 'kept'")
            )
        code, _, err = await tasklane_cli(restore, settings.database_url, settings.var_dir)
        assert code == 1
        assert "not empty" in err, err
        assert "--force" in err, err
        assert await _title(restored_engine, task["id"]) == "changed after restore"

        code, out, err = await tasklane_cli(
            [*restore, "--force"], settings.database_url, settings.var_dir
        )
        assert code == 0, err
        assert f"at revision {head_revision()}" in out, out
        assert await _title(restored_engine, task["id"]) == "kept"


async def _title(engine: AsyncEngine, task_id: str) -> str:
    async with engine.connect() as conn:
        title = await conn.scalar(select(tasks.c.title).where(tasks.c.id == uuid.UUID(task_id)))
    await engine.dispose()  # SQLite: the next restore replaces the file under this engine
    return str(title)


async def test_restore_refuses_what_is_not_a_backup_of_its_kind(
    settings: Settings, fresh_database: str, tmp_path: Path
) -> None:
    async with asyncio.timeout(TIME_LIMIT):
        other = {"sqlite": "PGDMP", "mysql": "PGDMP", "postgresql": "-- MariaDB dump"}
        wrong = tmp_path / "other-kind.backup"
        wrong.write_text(other[settings.dialect] + "\n-- Dump completed\n")
        garbage = tmp_path / "garbage.backup"
        garbage.write_text("not a backup\n")
        cut = tmp_path / "cut.sql"
        cut.write_text("-- MariaDB dump 10.19\nCREATE TABLE half (\n")
        for path, message in (
            (wrong, "backup; the target is"),
            (garbage, "is not a Tasklane backup"),
            (cut, "incomplete dump"),
            (tmp_path / "absent.backup", "cannot read"),
        ):
            with pytest.raises(BackupError, match=message):
                await restore(fresh_database, path)
        with pytest.raises(BackupError, match="cannot write in"):
            await backup(settings.database_url, tmp_path / "missing" / "x.backup")
        with pytest.raises(BackupError, match=r"no Alembic revision|no database at"):
            await backup(fresh_database, tmp_path / "empty.backup")
