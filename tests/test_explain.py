"""The list queries use the indexes the migrations create: read from each database's own
EXPLAIN. A project's list reads its rows in page order through a ``(project_id, ...)`` index,
never sorting them (no OFFSET, no filesort); membership is one indexed semi-join on
``project_members``. The list across all of a caller's projects reads each project's rows
through the same indexes and keeps the page's rows in a bounded top-N sort: never a table
scan."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from tasklane.core.context import AppContext
from tasklane.core.types import uuid7
from tasklane.projects import service as projects_service
from tasklane.projects.models import project_members, projects
from tasklane.tasks import repository as repo
from tasklane.tasks.models import tasks
from tasklane.tasks.schemas import TaskFilter
from tasklane.users.models import users

USERS = 4
TASKS_PER_USER = 1500
FILLER_PROJECTS = 3000


@pytest.fixture(scope="module")
async def owner(ctx: AppContext) -> uuid.UUID:
    """Four users with 1,500 tasks each in their own project, inserted in bulk; statistics
    refreshed."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    ids = [uuid7() for _ in range(USERS)]
    project_ids = [uuid7() for _ in range(USERS)]
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
                for user_id, project_id in zip(ids, project_ids, strict=True)
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
                for user_id, project_id in zip(ids, project_ids, strict=True)
            ],
        )
        # The other users belong to many more (empty) projects: memberships are a table the
        # planner must enter by its index, as at any real size.
        filler = [(ids[1 + n % (USERS - 1)], uuid7()) for n in range(FILLER_PROJECTS)]
        await conn.execute(
            insert(projects),
            [
                {
                    "id": project_id,
                    "name": "Filler",
                    "colour": "#808080",
                    "parent_id": None,
                    "inbox_of": None,
                    "archived_at": None,
                    "version": 1,
                    "created_at": start,
                    "updated_at": start,
                }
                for _, project_id in filler
            ],
        )
        await conn.execute(
            insert(project_members),
            [
                {
                    "project_id": project_id,
                    "user_id": user_id,
                    "role": "editor",
                    "position": 1,
                    "created_at": start,
                }
                for user_id, project_id in filler
            ],
        )
        rows = []
        for n in range(USERS * TASKS_PER_USER):
            at = start + timedelta(minutes=n)
            rows.append(
                {
                    "id": uuid7(),
                    "user_id": ids[n % USERS],
                    "project_id": project_ids[n % USERS],
                    "assignee_id": None,
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
        analyze = {
            "mysql": "ANALYZE TABLE tasks, project_members",
            "postgresql": "ANALYZE tasks, project_members",
        }
        await conn.exec_driver_sql(analyze.get(conn.dialect.name, "ANALYZE"))
    return ids[0]


@pytest.fixture(scope="module")
async def project(ctx: AppContext, owner: uuid.UUID) -> uuid.UUID:
    async with ctx.db.reader() as conn:
        found = (
            await conn.execute(
                select(project_members.c.project_id).where(project_members.c.user_id == owner)
            )
        ).scalar_one()
    return uuid.UUID(str(found))


async def _plan(
    conn: AsyncConnection, query: TaskFilter, user_id: uuid.UUID, project_ids: list[uuid.UUID]
) -> Any:
    dialect = conn.dialect.name
    statement, params = repo.list_statement(dialect, query)
    params["project_ids"] = project_ids
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


def _mysql_tables(node: Any) -> list[dict[str, Any]]:
    """Every table access of a MariaDB/MySQL JSON plan."""
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if "table_name" in node:
            found.append(node)
        for value in node.values():
            found.extend(_mysql_tables(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_mysql_tables(value))
    return found


def _assert_no_scan(plan: Any, dialect: str) -> None:
    """No table is read whole: tasks and memberships are entered through an index."""
    text = json.dumps(plan)
    if dialect == "mysql":
        for table in _mysql_tables(plan):
            assert table.get("access_type") not in ("ALL", "index"), text
    elif dialect == "postgresql":
        assert not any(n["Node Type"] == "Seq Scan" for n in _pg_nodes(plan[0]["Plan"])), text
    else:
        assert not any(d.startswith("SCAN") for d in plan), plan


def _assert_uses(plan: Any, dialect: str, index: str) -> None:
    """The page's rows are read in order through ``index``, entered by the project."""
    text = json.dumps(plan)
    _assert_no_scan(plan, dialect)
    if dialect == "mysql":
        [table] = [t for t in _mysql_tables(plan) if t["table_name"] == "tasks"]
        assert table["key"] == index, text
        assert "filesort" not in text, text
        # The index is entered by project: other projects' rows are never read.
        assert "project_id" in table.get("used_key_parts", ["project_id"]), text
    elif dialect == "postgresql":
        nodes = _pg_nodes(plan[0]["Plan"])
        assert any(n.get("Index Name") == index for n in nodes), text
        assert not any(n["Node Type"] == "Sort" for n in nodes), text
    else:
        assert any(f"USING INDEX {index} (project_id=" in d for d in plan), plan
        assert not any("TEMP B-TREE" in d for d in plan), plan


def _assert_seeks(plan: Any, dialect: str, column: str) -> None:
    """A deep page starts at the cursor inside the index: it does not read the rows before it."""
    text = json.dumps(plan)
    if dialect == "mysql":
        [table] = [t for t in _mysql_tables(plan) if t["table_name"] == "tasks"]
        assert column in table["used_key_parts"], text
    elif dialect == "postgresql":
        conds = [n.get("Index Cond", "") for n in _pg_nodes(plan[0]["Plan"])]
        assert any(column in cond for cond in conds), text
    else:
        assert any(f"{column}<" in d or f"{column}>" in d for d in plan), plan


CASES = [
    ("default sort", {}, "ix_tasks_project_created"),
    ("oldest first", {"descending": False}, "ix_tasks_project_created"),
    ("one status", {"statuses": ("todo",)}, "ix_tasks_project_status_created"),
    ("recently updated", {"sort_field": "updated_at"}, "ix_tasks_project_updated"),
    # A search reads the project's rows in page order, never every user's matches.
    ("search", {"terms": ("task",)}, "ix_tasks_project_created"),
]
_DEEP = (datetime(2026, 1, 3, tzinfo=UTC), uuid.UUID(int=0))


@pytest.fixture(scope="module")
async def several_projects(ctx: AppContext, project: uuid.UUID) -> list[uuid.UUID]:
    """The owner's project and three more (empty ones of the others), as if one caller were
    in four projects: a quarter of the table between them."""
    async with ctx.db.reader() as conn:
        found = await conn.execute(
            select(projects.c.id)
            .where(projects.c.name == "Filler")
            .order_by(projects.c.id)
            .limit(3)
        )
        return [project, *(uuid.UUID(str(value)) for value in found.scalars())]


@pytest.mark.parametrize(("case", "options", "index"), CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("page", ["first", "deep"])
@pytest.mark.parametrize("filtered", [False, True], ids=["all-projects", "project-filter"])
async def test_a_callers_list_reads_the_page_through_its_index(
    ctx: AppContext,
    project: uuid.UUID,
    owner: uuid.UUID,
    case: str,
    options: dict[str, Any],
    index: str,
    page: str,
    filtered: bool,
) -> None:
    """A caller in one project (most are: their Inbox), listing everything or that project:
    the page is read in order from the project's index."""
    async with ctx.db.reader() as conn:
        member_of = await projects_service.member_of(conn, owner)
    assert member_of == [project]
    position = _DEEP if page == "deep" else None
    query = TaskFilter(**options, project_id=project if filtered else None, position=position)
    async with ctx.db.reader() as conn:
        plan = await _plan(conn, query, owner, member_of)
        _assert_uses(plan, conn.dialect.name, index)
        if page == "deep":
            # A cursor deep into the list: the keyset predicate still seeks in the index.
            _assert_seeks(plan, conn.dialect.name, query.sort_field)


@pytest.mark.parametrize(("case", "options", "index"), CASES, ids=[c[0] for c in CASES])
async def test_lists_across_several_projects_never_scan_a_table(
    ctx: AppContext,
    owner: uuid.UUID,
    several_projects: list[uuid.UUID],
    case: str,
    options: dict[str, Any],
    index: str,
) -> None:
    """In several projects, the list reads each one's rows through the project indexes and
    keeps the page in a top-N sort: its cost is the rows the caller can see, never the table."""
    assert len(several_projects) == 4
    if ctx.db.dialect == "sqlite":
        # Known: SQLite's statistics hold the average rows per project (a quarter of this
        # table), so for four projects it reads the whole table (the embedded case).
        pytest.skip("SQLite scans the tasks for a list over several projects")
    async with ctx.db.reader() as conn:
        for query in (TaskFilter(**options), TaskFilter(**options, position=_DEEP)):
            plan = await _plan(conn, query, owner, several_projects)
            _assert_no_scan(plan, conn.dialect.name)


async def test_assigned_to_me_never_scans_a_table(
    ctx: AppContext, owner: uuid.UUID, project: uuid.UUID
) -> None:
    async with ctx.db.reader() as conn:
        plan = await _plan(conn, TaskFilter(assigned_to_me=True), owner, [project])
        _assert_no_scan(plan, conn.dialect.name)
