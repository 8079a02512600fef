"""The ``tasklane`` command as an operator runs it: ``migrate`` and ``create-admin``."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

import tasklane
from tasklane.core.metadata import metadata
from tasklane.settings import Settings
from tasklane.users.models import users
from tests.helpers import PASSWORD, Api, assert_problem, unique_email

TASKLANE = Path(sys.executable).with_name("tasklane")
MIGRATIONS = Path(tasklane.__file__).parent / "migrations"


async def run(
    args: list[str], database_url: str, var_dir: Path, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "TASKLANE_ENVIRONMENT": "test",
        "TASKLANE_DATABASE_URL": database_url,
        "TASKLANE_VAR_DIR": str(var_dir),
    }
    return await asyncio.to_thread(
        subprocess.run,
        [str(TASKLANE), *args],
        input=stdin,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def create_admin(
    settings: Settings, email: str, password: str
) -> subprocess.CompletedProcess[str]:
    return await run(
        ["create-admin", "--email", email, "--name", "Ops", "--password-stdin"],
        settings.database_url,
        Path(settings.var_dir),
        stdin=password + "\n",
    )


@pytest.fixture
async def empty_database(database_url: str, tmp_path: Path) -> AsyncIterator[str]:
    """The URL of a new, empty database on the same server as the test database."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
        return
    name = f"tasklane_cli_{uuid.uuid4().hex[:10]}"
    admin = create_async_engine(database_url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.exec_driver_sql(f"CREATE DATABASE {name}")
        try:
            yield url.set(database=name).render_as_string(hide_password=False)
        finally:
            async with admin.connect() as conn:
                await conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
    finally:
        await admin.dispose()


async def test_migrate_builds_the_schema_on_an_empty_database(
    empty_database: str, tmp_path: Path
) -> None:
    result = await run(["migrate"], empty_database, tmp_path / "var")
    assert result.returncode == 0, result.stderr
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()

    engine = create_async_engine(empty_database)
    try:
        async with engine.connect() as conn:
            tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
            version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
    finally:
        await engine.dispose()
    assert set(metadata.tables) <= tables
    assert {"users", "sessions", "refresh_tokens", "tasks"} <= tables
    assert version == [(head,)]

    # Running it again is harmless.
    again = await run(["migrate"], empty_database, tmp_path / "var")
    assert again.returncode == 0, again.stderr

    # The migrated database takes an administrator.
    admin = await run(
        ["create-admin", "--email", "root@example.com", "--password-stdin"],
        empty_database,
        tmp_path / "var",
        stdin=PASSWORD + "\n",
    )
    assert admin.returncode == 0, admin.stderr
    engine = create_async_engine(empty_database)
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(select(users.c.email, users.c.role))).all()
    finally:
        await engine.dispose()
    assert [tuple(r) for r in rows] == [("root@example.com", "admin")]


async def test_create_admin_makes_an_administrator_who_can_log_in(
    api: Api, settings: Settings
) -> None:
    email = unique_email("Ops")
    result = await create_admin(settings, email, PASSWORD)
    assert result.returncode == 0, result.stderr
    assert f"created administrator {email.lower()}" in result.stdout
    assert PASSWORD not in result.stdout + result.stderr

    login = await api.login(email)
    assert login.status_code == 200, login.text
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    me = await api.client.get("/api/v1/users/me", headers=headers)
    assert me.json()["role"] == "admin"
    assert me.json()["name"] == "Ops"
    assert me.json()["id"] in result.stdout
    assert (await api.client.get("/api/v1/users", headers=headers)).status_code == 200


async def test_create_admin_refuses_a_taken_email(api: Api, settings: Settings) -> None:
    user = await api.user()
    result = await create_admin(settings, user.email.upper(), "another good passphrase")
    assert result.returncode == 1
    assert result.stderr.strip().endswith(
        "error: An account with this email address already exists."
    )
    # The existing account is unchanged: same password, still no administrator.
    login = await api.login(user.email)
    assert login.status_code == 200
    listing = await api.client.get(
        "/api/v1/users", headers={"Authorization": f"Bearer {login.json()['access_token']}"}
    )
    assert_problem(listing, 403)


@pytest.mark.parametrize("password", ["password123"])
async def test_create_admin_applies_the_password_policy(
    api: Api, settings: Settings, password: str
) -> None:
    email = unique_email("ops")
    result = await create_admin(settings, email, password)
    assert result.returncode == 1
    assert "error:" in result.stderr
    assert_problem(await api.login(email, password), 401)
    assert (await api.register(email)).status_code == 201  # nothing was created
