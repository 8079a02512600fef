"""The statement executor (core/sql.py) on each database: what SQLAlchemy's execution layer did
for the rest of the code, it does too.

- an expanding ``IN`` of any length runs from one compiled form;
- every column type converts both ways as the typed columns say;
- a unique violation is an IntegrityError carrying the database's own code;
- a statement cancelled half-way never leaves its connection in the pool;
- two SQLite write transactions that read then write wait for each other;
- statements are logged with ``DB_ECHO`` and seen by the executor's listeners.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, insert, select, text, update

from tasklane.core.db import Database
from tasklane.core.sql import IntegrityError
from tasklane.core.types import utcnow, uuid7
from tasklane.projects.models import project_members, projects
from tasklane.settings import Settings
from tasklane.tasks.models import tasks
from tasklane.users.models import users

#: A statement that keeps the database busy for seconds, per dialect (short: a server finds
#: out that its client went away only when the statement ends).
_SLOW = {
    "sqlite": (
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000000) "
        "SELECT count(*) FROM n"
    ),
    "mysql": "SELECT SLEEP(3)",
    "postgresql": "SELECT pg_sleep(3)",
}


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[Database]:
    """A database of its own (pools of one connection: a reused one is the same one)."""
    database = Database(settings.model_copy(update={"db_pool_size": 1, "db_max_overflow": 0}))
    try:
        yield database
    finally:
        await database.dispose()


async def _owner(db: Database) -> tuple[uuid.UUID, uuid.UUID]:
    """A fresh user and their project, written through the executor."""
    now = utcnow()
    user_id, project_id = uuid7(), uuid7()
    async with db.transaction() as conn:
        await conn.execute(
            insert(users).values(
                id=user_id,
                email=f"executor-{user_id.hex[:12]}@example.com",
                name="Executor",
                password_hash="-",
                role="user",
                is_active=True,
                timezone="Europe/Berlin",
                preferences={
                    "theme": "dark",
                    "reminder_offsets": [15, 60],
                },  # a valid profile: it stays
                created_at=now,
                updated_at=now,
            )
        )
        await conn.execute(
            insert(projects).values(
                id=project_id,
                name="Executor",
                colour="#808080",
                parent_id=None,
                inbox_of=user_id,
                archived_at=None,
                version=1,
                created_at=now,
                updated_at=now,
            )
        )
        await conn.execute(
            insert(project_members).values(
                project_id=project_id, user_id=user_id, role="owner", position=0, created_at=now
            )
        )
    return user_id, project_id


async def _add_tasks(
    db: Database, user_id: uuid.UUID, project_id: uuid.UUID, n: int
) -> list[uuid.UUID]:
    ids = [uuid7() for _ in range(n)]
    now = utcnow()
    rows = [
        {
            "id": task_id,
            "user_id": user_id,
            "project_id": project_id,
            "title": f"task {i}",
            "description": None,
            "status": "todo",
            "priority": 2,
            "due_at": None,
            "completed_at": None,
            "tags": ["a", "ü"],
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
        for i, task_id in enumerate(ids)
    ]
    async with db.transaction() as conn:
        await conn.execute(insert(tasks), rows)  # one statement for many parameter sets
    return ids


async def test_an_expanding_in_of_any_length_from_one_compiled_form(db: Database) -> None:
    user_id, project_id = await _owner(db)
    ids = await _add_tasks(db, user_id, project_id, 7)
    plans_before = len(db.executor.compiler._plans)
    async with db.reader() as conn:
        for size in (1, 3, 7, 0):
            chosen = ids[:size]
            found = (
                await conn.execute(
                    select(tasks.c.id).where(tasks.c.id.in_(chosen)).order_by(tasks.c.id)
                )
            ).scalars()
            assert list(found) == sorted(chosen)
    # The four lengths share one compiled form.
    assert len(db.executor.compiler._plans) - plans_before == 1


async def test_every_column_type_converts_both_ways(db: Database) -> None:
    user_id, project_id = await _owner(db)
    due = datetime(2031, 3, 30, 1, 30, 15, 123456, tzinfo=UTC)
    (task_id,) = await _add_tasks(db, user_id, project_id, 1)
    async with db.transaction() as conn:
        changed = await conn.execute(
            update(tasks)
            .where(tasks.c.id == task_id)
            .values(due_at=due, tags=["x", "ä", "漢字"], priority=4, description="ümlaut")
        )
        assert changed.rowcount == 1
    async with db.reader() as conn:
        row = (await conn.execute(select(tasks).where(tasks.c.id == task_id))).one()
        person = (await conn.execute(select(users).where(users.c.id == user_id))).one()
    assert row.id == task_id
    assert isinstance(row.id, uuid.UUID)
    assert row.user_id == user_id
    assert row.due_at == due  # microseconds kept
    assert row.due_at.tzinfo is not None  # UTC-aware
    assert row.tags == ["x", "ä", "漢字"]
    assert (row.priority, row.description, row.version) == (4, "ümlaut", 1)
    assert row._mapping["title"] == "task 0" == row[list(row._fields).index("title")]
    assert person.is_active is True
    assert person.preferences == {"theme": "dark", "reminder_offsets": [15, 60]}


async def test_a_unique_violation_is_an_integrity_error_with_the_databases_code(
    db: Database, dialect: str
) -> None:
    user_id, project_id = await _owner(db)
    (task_id,) = await _add_tasks(db, user_id, project_id, 1)
    with pytest.raises(IntegrityError) as raised:
        async with db.transaction() as conn:
            await conn.execute(
                insert(tasks).values(
                    id=task_id,
                    user_id=user_id,
                    project_id=project_id,
                    title="again",
                    status="todo",
                    priority=2,
                    tags=[],
                    version=1,
                    created_at=utcnow(),
                    updated_at=utcnow(),
                )
            )
    error = raised.value
    assert not error.connection_invalidated
    if dialect == "mysql":
        assert error.code == 1062  # ER_DUP_ENTRY
    elif dialect == "postgresql":
        assert error.sqlstate == "23505"  # unique_violation
    # The transaction was rolled back and its connection reused as it was.
    async with db.transaction() as conn:
        assert await conn.scalar(select(func.count()).where(tasks.c.id == task_id)) == 1


async def test_a_statement_cancelled_half_way_never_goes_back_to_the_pool(
    db: Database, dialect: str
) -> None:
    pool = db.read_engine.pool
    async with db.reader() as conn:
        await conn.execute(text("SELECT 1"))
        first = conn.driver_connection

    async def slow() -> None:
        async with db.reader() as conn:
            await conn.execute(text(_SLOW[dialect]))

    running = asyncio.create_task(slow())
    await asyncio.sleep(0.3)  # the statement is on its way, or running
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    # The pool holds no connection in an unknown state: the cancelled one was discarded,
    # and the next request gets a new connection that answers at once.
    assert pool.checkedout() == 0
    async with asyncio.timeout(10), db.reader() as conn:
        assert await conn.scalar(text("SELECT 1")) == 1
        assert conn.driver_connection is not first


async def test_sqlite_write_transactions_that_read_then_write_wait_for_each_other(
    settings: Settings, dialect: str
) -> None:
    if dialect != "sqlite":
        pytest.skip("the servers lock rows; SQLite locks the database")
    db = Database(settings.model_copy(update={"db_pool_size": 4}))
    try:
        user_id, project_id = await _owner(db)
        (task_id,) = await _add_tasks(db, user_id, project_id, 1)

        async def bump() -> None:
            async with db.transaction() as conn:
                version = await conn.scalar(select(tasks.c.version).where(tasks.c.id == task_id))
                await asyncio.sleep(0.05)  # both have read before either writes, if deferred
                await conn.execute(
                    update(tasks).where(tasks.c.id == task_id).values(version=version + 1)
                )

        await asyncio.gather(*(bump() for _ in range(4)))
        async with db.reader() as conn:
            assert await conn.scalar(select(tasks.c.version).where(tasks.c.id == task_id)) == 5
    finally:
        await db.dispose()


async def test_statements_are_logged_with_db_echo_and_seen_by_listeners(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    db = Database(settings.model_copy(update={"db_echo": True}))
    try:
        with (
            caplog.at_level(logging.INFO, logger="tasklane.db.sql"),
            db.executor.recording() as seen,
        ):
            async with db.reader() as conn:
                await conn.execute(
                    select(func.count()).select_from(users).where(users.c.role == "user")
                )
        assert any("FROM users" in sql for sql in seen)
        assert any("FROM users" in record.getMessage() for record in caplog.records)
    finally:
        await db.dispose()
