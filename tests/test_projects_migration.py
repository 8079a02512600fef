"""Migration 0008 on a database with accounts and tasks: each account gets an Inbox it owns,
holding all of its tasks; and it can be undone."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from tasklane.cli import migrate
from tasklane.core.types import UTCDateTime, UUIDType, uuid7
from tasklane.settings import Settings
from tests.conftest import KIND, SERVER_URLS, _admin

USERS = sa.table(
    "users",
    sa.column("id", UUIDType()),
    sa.column("email", sa.String()),
    sa.column("name", sa.String()),
    sa.column("password_hash", sa.String()),
    sa.column("role", sa.String()),
    sa.column("is_active", sa.Boolean()),
    sa.column("timezone", sa.String()),
    sa.column("preferences", sa.JSON()),
    sa.column("created_at", UTCDateTime()),
    sa.column("updated_at", UTCDateTime()),
)
TASKS = sa.table(
    "tasks",
    sa.column("id", UUIDType()),
    sa.column("user_id", UUIDType()),
    sa.column("title", sa.String()),
    sa.column("status", sa.String()),
    sa.column("priority", sa.SmallInteger()),
    sa.column("tags", sa.JSON()),
    sa.column("version", sa.Integer()),
    sa.column("created_at", UTCDateTime()),
    sa.column("updated_at", UTCDateTime()),
)


@pytest.fixture
def scratch(tmp_path: Path) -> Iterator[Settings]:
    """A database of its own, for a migration history run step by step."""
    if KIND == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'migrate.db'}"
        yield Settings(environment="test", database_url=url, var_dir=tmp_path)
        return
    server = os.environ.get("TASKLANE_TEST_DATABASE_URL", SERVER_URLS[KIND])
    name = f"tasklane_migrate_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    asyncio.run(_admin(server, f"CREATE DATABASE {name}"))
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    try:
        yield Settings(environment="test", database_url=url, var_dir=tmp_path)
    finally:
        asyncio.run(_admin(server, f"DROP DATABASE IF EXISTS {name}"))


async def _run(
    settings: Settings, statements: list[sa.Executable]
) -> list[list[tuple[object, ...]]]:
    """Run the statements in one transaction; the rows of each (none for a write)."""
    engine = create_async_engine(settings.database_url)
    found: list[list[tuple[object, ...]]] = []
    try:
        async with engine.begin() as conn:
            for statement in statements:
                result = await conn.execute(statement)
                found.append([tuple(row) for row in result] if result.returns_rows else [])
    finally:
        await engine.dispose()
    return found


def test_existing_tasks_move_into_their_owners_inboxes(scratch: Settings) -> None:
    migrate(scratch, "0007")
    now = datetime(2026, 12, 1, tzinfo=UTC)
    people = [uuid7() for _ in range(2)]
    task_owner = {uuid7(): people[n % 2] for n in range(5)}
    asyncio.run(
        _run(
            scratch,
            [
                sa.insert(USERS).values(
                    [
                        {
                            "id": person,
                            "email": f"m-{person.hex}@example.com",
                            "name": "Before",
                            "password_hash": "-",
                            "role": "user",
                            "is_active": True,
                            "timezone": "UTC",
                            "preferences": {},
                            "created_at": now,
                            "updated_at": now,
                        }
                        for person in people
                    ]
                ),
                sa.insert(TASKS).values(
                    [
                        {
                            "id": task_id,
                            "user_id": owner,
                            "title": "old",
                            "status": "todo",
                            "priority": 2,
                            "tags": [],
                            "version": 1,
                            "created_at": now,
                            "updated_at": now,
                        }
                        for task_id, owner in task_owner.items()
                    ]
                ),
            ],
        )
    )
    migrate(scratch, "head")
    projects = sa.table("projects", sa.column("id", UUIDType()), sa.column("inbox_of", UUIDType()))
    members = sa.table(
        "project_members",
        sa.column("project_id", UUIDType()),
        sa.column("user_id", UUIDType()),
        sa.column("role", sa.String()),
    )
    moved = sa.table("tasks", sa.column("id", UUIDType()), sa.column("project_id", UUIDType()))
    inboxes, memberships, tasks = asyncio.run(
        _run(
            scratch,
            [
                sa.select(projects.c.inbox_of, projects.c.id),
                sa.select(members.c.user_id, members.c.project_id, members.c.role),
                sa.select(moved.c.id, moved.c.project_id),
            ],
        )
    )
    inbox_of = dict(inboxes)
    assert set(inbox_of) == set(people)
    assert sorted(memberships) == sorted((p, inbox_of[p], "owner") for p in people)
    assert dict(tasks) == {task_id: inbox_of[owner] for task_id, owner in task_owner.items()}
