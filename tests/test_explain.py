"""The list queries use the indexes the migrations create, and never a sort over the user's
rows (no OFFSET, no filesort): read from each database's own EXPLAIN."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from tasklane.core.context import AppContext
from tasklane.core.types import uuid7
from tasklane.tasks import repository as repo
from tasklane.tasks.models import tasks
from tasklane.tasks.schemas import TaskFilter
from tasklane.users.models import users

USERS = 4
TASKS_PER_USER = 1500


@pytest.fixture(scope="module")
async def owner(ctx: AppContext) -> uuid.UUID:
    """Four users with 1,500 tasks each, inserted in bulk; statistics refreshed."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    ids = [uuid7() for _ in range(USERS)]
    async with ctx.db.transaction() as conn:
        await conn.execute(
            insert(users),
            [
                {
                    "id": user_id,
                    "email": f"explain-{user_id.hex}@example.com",
                    "name": "Explain",
                    "password_hash": "-",
                    "role": "user",
                    "is_active": True,
                    "timezone": "UTC",
                    "preferences": {},
                    "created_at": start,
                    "updated_at": start,
                }
                for user_id in ids
            ],
        )
        rows = []
        for n in range(USERS * TASKS_PER_USER):
            at = start + timedelta(minutes=n)
            rows.append(
                {
                    "id": uuid7(),
                    "user_id": ids[n % USERS],
                    "title": f"task {n}",
                    "description": None,
                    "status": ("todo", "in_progress", "done")[n % 3],
                    "priority": 1 + n % 4,
                    "due_at": at + timedelta(days=3) if n % 2 else None,
                    "completed_at": at if n % 3 == 2 else None,
                    "tags": [],
                    "version": 1,
                    "created_at": at,
                    "updated_at": at,
                }
            )
        await conn.execute(insert(tasks), rows)
    async with ctx.db.reader() as conn:
        analyze = {"mysql": "ANALYZE TABLE tasks", "postgresql": "ANALYZE tasks"}
        await conn.exec_driver_sql(analyze.get(conn.dialect.name, "ANALYZE"))
    return ids[0]


async def _plan(conn: AsyncConnection, query: TaskFilter, user_id: uuid.UUID) -> Any:
    dialect = conn.dialect.name
    statement, params = repo.list_statement(dialect, query)
    statement = statement.params({**params, **repo.owned_by(user_id)})
    sql = str(statement.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    if dialect == "mysql":
        row = (await conn.exec_driver_sql("EXPLAIN FORMAT=JSON " + sql)).scalar_one()
        return json.loads(row)
    if dialect == "postgresql":
        row = (await conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + sql)).scalar_one()
        return row if isinstance(row, list) else json.loads(row)
    return [r[3] for r in (await conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql)).all()]


def _pg_nodes(node: dict[str, Any]) -> list[dict[str, Any]]:
    found = [node]
    for child in node.get("Plans", []):
        found.extend(_pg_nodes(child))
    return found


def _assert_uses(plan: Any, dialect: str, index: str) -> None:
    text = json.dumps(plan)
    if dialect == "mysql":
        table = plan["query_block"].get("table") or plan["query_block"]["nested_loop"][0]["table"]
        assert table["key"] == index, text
        assert "filesort" not in text, text
        # The index is entered by user_id: other users' rows are never read.
        assert "user_id" in table.get("used_key_parts", ["user_id"]), text
    elif dialect == "postgresql":
        nodes = _pg_nodes(plan[0]["Plan"])
        assert any(n.get("Index Name") == index for n in nodes), text
        assert not any(n["Node Type"] == "Sort" for n in nodes), text
        assert not any(n["Node Type"] == "Seq Scan" for n in nodes), text
    else:
        assert any(f"USING INDEX {index} (user_id=" in d for d in plan), plan
        assert not any("TEMP B-TREE" in d for d in plan), plan


def _assert_seeks(plan: Any, dialect: str, column: str) -> None:
    """A deep page starts at the cursor inside the index: it does not read the rows before it."""
    text = json.dumps(plan)
    if dialect == "mysql":
        table = plan["query_block"].get("table") or plan["query_block"]["nested_loop"][0]["table"]
        assert column in table["used_key_parts"], text
    elif dialect == "postgresql":
        conds = [n.get("Index Cond", "") for n in _pg_nodes(plan[0]["Plan"])]
        assert any(column in cond for cond in conds), text
    else:
        assert any(f"{column}<" in d or f"{column}>" in d for d in plan), plan


CASES = [
    ("default sort", {}, "ix_tasks_user_created"),
    ("oldest first", {"descending": False}, "ix_tasks_user_created"),
    ("one status", {"statuses": ("todo",)}, "ix_tasks_user_status_created"),
    ("recently updated", {"sort_field": "updated_at"}, "ix_tasks_user_updated"),
    # A search reads the caller's rows in page order, never every user's matches.
    ("search", {"terms": ("task",)}, "ix_tasks_user_created"),
]


@pytest.mark.parametrize(("case", "options", "index"), CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("page", ["first", "deep"])
async def test_list_queries_use_their_index(
    ctx: AppContext, owner: uuid.UUID, case: str, options: dict[str, Any], index: str, page: str
) -> None:
    query = TaskFilter(**options)
    if page == "deep":
        # A cursor deep into the list: the keyset predicate still seeks in the index.
        query = TaskFilter(**options, position=(datetime(2026, 1, 3, tzinfo=UTC), uuid.UUID(int=0)))
    async with ctx.db.reader() as conn:
        plan = await _plan(conn, query, owner)
        _assert_uses(plan, conn.dialect.name, index)
        if page == "deep":
            _assert_seeks(plan, conn.dialect.name, query.sort_field)
