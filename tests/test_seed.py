"""``tasklane seed`` loads consistent, usable data."""

from __future__ import annotations

import logging
import types
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Connection, func, inspect, select
from sqlalchemy.ext.asyncio import create_async_engine

import tasklane.seed as seed_module
from tasklane.core.context import AppContext
from tasklane.core.db import database_url
from tasklane.seed import SEED_PASSWORD, _secondary_indexes, seed
from tasklane.settings import Settings
from tasklane.tasks.models import task_tags, tasks
from tasklane.users.models import users
from tests.helpers import Api


async def test_seed_loads_users_and_tasks_that_work_through_the_api(
    settings: Settings, ctx: AppContext, api: Api
) -> None:
    result = await seed(settings, users_count=3, tasks_per_user=40, batch_size=25, progress=False)
    assert result.users == 3
    assert result.tasks == 120
    async with ctx.db.reader() as conn:
        seeded = (
            await conn.execute(
                select(users.c.id, users.c.email).where(users.c.name.like("Seeded user %"))
            )
        ).all()
        seeded = seeded[-3:]
        per_user = dict(
            (
                await conn.execute(
                    select(tasks.c.user_id, func.count())
                    .where(tasks.c.user_id.in_([u.id for u in seeded]))
                    .group_by(tasks.c.user_id)
                )
            ).all()
        )
        # Tags are written to both places consistently.
        tag_rows = (
            await conn.execute(
                select(func.count())
                .select_from(task_tags)
                .where(task_tags.c.user_id.in_([u.id for u in seeded]))
            )
        ).scalar_one()
    assert sum(per_user.values()) == 120
    # A seeded account logs in with the documented password and sees its own tasks, in order.
    email = seeded[0].email
    login = await api.login(email, SEED_PASSWORD)
    assert login.status_code == 200, login.text
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    listed = await api.client.get("/api/v1/tasks", params={"limit": 100}, headers=headers)
    assert listed.status_code == 200
    items = listed.json()["items"]
    assert len(items) == per_user[seeded[0].id]
    assert [t["created_at"] for t in items] == sorted(
        (t["created_at"] for t in items), reverse=True
    )
    assert sum(len(t["tags"]) for t in items) <= tag_rows
    stats = (await api.client.get("/api/v1/tasks/stats", headers=headers)).json()
    assert stats["total"] == len(items)
    assert {t["status"] for t in items} <= {"todo", "in_progress", "done"}
    assert all(t["completed_at"] for t in items if t["status"] == "done")


def _indexes(sync_conn: Connection) -> dict[str, list[dict[str, Any]]]:
    """Each table's reflected indexes, comparable: a partial index's condition as its text."""
    inspector = inspect(sync_conn)
    return {
        table: sorted(
            (
                {
                    **index,
                    "dialect_options": {
                        k: str(v) for k, v in index.get("dialect_options", {}).items()
                    },
                }
                for index in inspector.get_indexes(table)
            ),
            key=lambda index: str(index["name"]),
        )
        for table in ("tasks", "task_tags")
    }


async def _index_state(ctx: AppContext) -> tuple[dict[str, list[dict[str, Any]]], list[Any]]:
    """The reflected indexes, and their exact definitions (SQLite's CREATE INDEX text,
    MariaDB's SHOW CREATE TABLE lines)."""
    reflecting = create_async_engine(database_url(ctx.settings))  # reflection is SQLAlchemy's
    try:
        async with reflecting.connect() as sa_conn:
            reflected = await sa_conn.run_sync(_indexes)
    finally:
        await reflecting.dispose()
    async with ctx.db.write_engine.connect() as conn:
        definitions = await _secondary_indexes(conn, ctx.db.dialect)
    return reflected, definitions


async def _task_count(ctx: AppContext) -> int:
    async with ctx.db.reader() as conn:
        return int((await conn.execute(select(func.count()).select_from(tasks))).scalar_one())


async def test_a_large_load_rebuilds_the_indexes_it_dropped_and_keeps_tags_consistent(
    settings: Settings, ctx: AppContext, dialect: str, caplog: pytest.LogCaptureFixture
) -> None:
    before = await _index_state(ctx)
    if dialect != "postgresql":  # the secondary indexes dropped and rebuilt (FULLTEXT too)
        assert {i.table for i in before[1]} == {"tasks", "task_tags"}
    # More new tasks than the table holds: the "empty-ish table" case, whatever ran before.
    per_user = await _task_count(ctx) // 2 + 150
    caplog.set_level(logging.INFO, logger="tasklane.seed")
    result = await seed(
        settings,
        users_count=2,
        tasks_per_user=per_user,
        batch_size=97,  # several batches, the last one short
        progress=False,
        rebuild_indexes_from=1,
    )
    assert result.tasks == 2 * per_user
    if dialect != "postgresql":  # PostgreSQL keeps its indexes during a load
        assert "rebuilt" in caplog.text
    assert await _index_state(ctx) == before

    async with ctx.db.reader() as conn:
        seeded = (
            (
                await conn.execute(
                    select(users.c.id)
                    .where(users.c.name.like("Seeded user %"))
                    .order_by(users.c.created_at.desc(), users.c.id.desc())
                )
            )
            .scalars()
            .all()
        )
        owners = list(seeded[:2])  # the accounts of this seeding: the newest
        task_rows = (
            await conn.execute(
                select(tasks.c.id, tasks.c.user_id, tasks.c.tags, tasks.c.status).where(
                    tasks.c.user_id.in_(owners)
                )
            )
        ).all()
        tag_rows = (
            await conn.execute(
                select(task_tags.c.task_id, task_tags.c.tag, task_tags.c.user_id).where(
                    task_tags.c.user_id.in_(owners)
                )
            )
        ).all()
    mine = task_rows
    assert len(mine) == 2 * per_user
    from_json = {(row.id, tag, row.user_id) for row in mine for tag in row.tags}
    from_table = {(row.task_id, row.tag, row.user_id) for row in tag_rows}
    assert from_json == from_table
    assert len(tag_rows) == sum(len(row.tags) for row in mine)  # no duplicate tag rows
    assert from_json  # some tasks have tags
    assert {row.status for row in mine} == {"todo", "in_progress", "done"}


async def test_indexes_come_back_when_the_load_fails(
    settings: Settings,
    ctx: AppContext,
    dialect: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    before = await _index_state(ctx)
    count = await _task_count(ctx)

    batches_of = seed_module._batches

    def failing(rows: Iterator[Any], size: int) -> Iterator[Any]:
        batches = batches_of(rows, size)
        yield next(batches)
        raise RuntimeError("generation failed")

    monkeypatch.setattr(seed_module, "_batches", failing)
    caplog.set_level(logging.INFO, logger="tasklane.seed")
    with pytest.raises(RuntimeError, match="generation failed"):
        await seed(
            settings,
            users_count=2,
            tasks_per_user=count + 100,
            batch_size=50,
            progress=False,
            rebuild_indexes_from=1,
        )
    if dialect != "postgresql":  # they were dropped, and rebuilt after the failure
        assert "rebuilt" in caplog.text
    assert await _index_state(ctx) == before
    assert await _task_count(ctx) == count  # one transaction: the first batch is gone too


def test_a_server_gets_only_the_seeds_own_files() -> None:
    """``LOAD DATA LOCAL`` lets the server name the file it wants: the seed sends its own batch
    files and nothing else, whatever the server asks for."""
    import asyncmy.errors  # noqa: PLC0415 - only this test uses the driver directly

    from tasklane.seed import _SendableFiles  # noqa: PLC0415

    with pytest.raises(asyncmy.errors.OperationalError, match="refused"):
        _SendableFiles(b"/etc/passwd", None)
    _SendableFiles.allowed.add("batch-1.tsv")
    try:
        connection = types.SimpleNamespace(loop=None)  # never used: nothing is sent here
        assert _SendableFiles(b"batch-1.tsv", connection).filename == "batch-1.tsv"
    finally:
        _SendableFiles.allowed.clear()
