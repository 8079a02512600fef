"""The trash's statements read through ``ix_tasks_deleted (deleted_at, id)``, from each
database's own EXPLAIN: the Trash page and the purge never read the tasks table whole, however
many live tasks there are. (The lists, which skip the trashed rows, are tests/test_explain.py.)"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Select, insert
from sqlalchemy.ext.asyncio import AsyncConnection

from tasklane.core.context import AppContext
from tasklane.core.types import uuid7
from tasklane.projects.models import project_members, projects
from tasklane.tasks import repository as repo
from tasklane.tasks.models import tasks
from tasklane.users.models import users

TASKS = 3000
TRASHED_EVERY = 50  # 2 % of the tasks are in the trash


@pytest.fixture(scope="module")
async def project(ctx: AppContext) -> uuid.UUID:
    """One account's project of 3,000 tasks, 60 of them in the trash; statistics refreshed."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    user_id, project_id = uuid7(), uuid7()
    async with ctx.db.transaction() as conn:
        await conn.execute(
            insert(users),
            [
                {
                    "id": user_id,
                    "email": f"explain-trash-{user_id.hex}@example.com",
                    "name": "Explain",
                    "password_hash": "-",
                    "role": "user",
                    "is_active": True,
                    "timezone": "UTC",
                    "preferences": {},
                    "created_at": start,
                    "updated_at": start,
                }
            ],
        )
        await conn.execute(
            insert(projects),
            [
                {
                    "id": project_id,
                    "name": "Explain",
                    "colour": "#808080",
                    "parent_id": None,
                    "inbox_of": user_id,
                    "archived_at": None,
                    "version": 1,
                    "created_at": start,
                    "updated_at": start,
                }
            ],
        )
        await conn.execute(
            insert(project_members),
            [
                {
                    "project_id": project_id,
                    "user_id": user_id,
                    "role": "owner",
                    "position": 0,
                    "created_at": start,
                }
            ],
        )
        rows = []
        for n in range(TASKS):
            at = start + timedelta(minutes=n)
            rows.append(
                {
                    "id": uuid7(),
                    "user_id": user_id,
                    "project_id": project_id,
                    "assignee_id": None,
                    "title": f"task {n}",
                    "description": None,
                    "status": "todo",
                    "priority": 2,
                    "due_at": None,
                    "completed_at": None,
                    "tags": [],
                    "version": 1,
                    "created_at": at,
                    "updated_at": at,
                    "deleted_at": at + timedelta(days=1) if n % TRASHED_EVERY == 0 else None,
                }
            )
        await conn.execute(insert(tasks), rows)
    async with ctx.db.reader() as conn:
        analyze = {"mysql": "ANALYZE TABLE tasks", "postgresql": "ANALYZE tasks"}
        await conn.exec_driver_sql(analyze.get(conn.dialect.name, "ANALYZE"))
    return project_id


async def _plan(conn: AsyncConnection, statement: Select[Any], params: dict[str, Any]) -> Any:
    sql = str(
        statement.params(params).compile(
            dialect=conn.dialect, compile_kwargs={"literal_binds": True}
        )
    )
    dialect = conn.dialect.name
    if dialect == "mysql":
        return json.loads((await conn.exec_driver_sql("EXPLAIN FORMAT=JSON " + sql)).scalar_one())
    if dialect == "postgresql":
        row = (await conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + sql)).scalar_one()
        return row if isinstance(row, list) else json.loads(row)
    return [r[3] for r in (await conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql)).all()]


def _tables(node: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if "table_name" in node:
            found.append(node)
        for value in node.values():
            found.extend(_tables(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_tables(value))
    return found


def _nodes(node: dict[str, Any]) -> list[dict[str, Any]]:
    found = [node]
    for child in node.get("Plans", []):
        found.extend(_nodes(child))
    return found


def _assert_indexed(plan: Any, dialect: str) -> None:
    """The tasks are entered through an index, never read whole."""
    text = json.dumps(plan)
    if dialect == "mysql":
        for table in _tables(plan):
            assert table.get("access_type") not in ("ALL", "index"), text
    elif dialect == "postgresql":
        assert not any(n["Node Type"] == "Seq Scan" for n in _nodes(plan[0]["Plan"])), text
    else:
        assert all(d.startswith("SEARCH") or "TEMP B-TREE" in d for d in plan), plan


@pytest.mark.parametrize("page", ["first", "deep"])
async def test_a_trash_page_reads_through_an_index(
    ctx: AppContext, project: uuid.UUID, page: str
) -> None:
    position = (datetime(2026, 1, 2, 12, tzinfo=UTC), uuid.UUID(int=0)) if page == "deep" else None
    async with ctx.db.reader() as conn:
        statement, params = repo.trash_statement(conn.dialect.name, position, 20)
        plan = await _plan(conn, statement, {**params, "project_ids": [project]})
        _assert_indexed(plan, conn.dialect.name)


async def test_the_purge_reads_through_the_trash_index(ctx: AppContext, project: uuid.UUID) -> None:
    statement = repo.purge_statement(datetime(2026, 1, 2, 12, tzinfo=UTC), 100)
    async with ctx.db.reader() as conn:
        plan = await _plan(conn, statement, {})
        _assert_indexed(plan, conn.dialect.name)
        assert "ix_tasks_deleted" in json.dumps(plan), plan
