"""All SQL of the tasks domain.

Every statement starts from :func:`readable`: the one place that says whose tasks a caller may
see. When tasks come to belong to shared projects, only that function changes.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    delete,
    false,
    func,
    insert,
    literal_column,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from tasklane.core.types import AnyRow
from tasklane.tasks.models import task_tags, tasks

COLUMNS = (
    tasks.c.id,
    tasks.c.title,
    tasks.c.description,
    tasks.c.status,
    tasks.c.priority,
    tasks.c.due_at,
    tasks.c.completed_at,
    tasks.c.tags,
    tasks.c.version,
    tasks.c.created_at,
    tasks.c.updated_at,
)


def readable(user_id: uuid.UUID) -> ColumnElement[bool]:
    """The tasks ``user_id`` may see and change."""
    return tasks.c.user_id == user_id


# --- search -----------------------------------------------------------------------------------

_WORD = re.compile(r"\w+", re.UNICODE)
# InnoDB's default full-text stopwords and its minimum token size (3): such terms are matched
# with a regular expression instead of the index.
_INNODB_STOPWORDS = frozenset(
    [
        "a",
        "about",
        "an",
        "are",
        "as",
        "at",
        "be",
        "by",
        "com",
        "de",
        "en",
        "for",
        "from",
        "how",
        "i",
        "in",
        "is",
        "it",
        "la",
        "of",
        "on",
        "or",
        "that",
        "the",
        "this",
        "to",
        "was",
        "what",
        "when",
        "where",
        "who",
        "will",
        "with",
        "und",
        "www",
    ]
)
_INNODB_MIN_TOKEN = 3


def search_terms(q: str) -> list[str]:
    """The words of a query, lower-cased, at most 10."""
    return list(dict.fromkeys(_WORD.findall(q.lower())))[:10]


def _search_clause(dialect: str, terms: Sequence[str]) -> ColumnElement[bool]:
    """Every term must start a word of the title or the description."""
    if dialect == "postgresql":
        document = func.to_tsvector(
            literal_column("'simple'::regconfig"),
            func.coalesce(tasks.c.title, "") + " " + func.coalesce(tasks.c.description, ""),
        )
        query = func.to_tsquery(
            literal_column("'simple'::regconfig"), " & ".join(f"{t}:*" for t in terms)
        )
        return document.op("@@")(query)
    if dialect == "mysql":
        indexed = [t for t in terms if len(t) >= _INNODB_MIN_TOKEN and t not in _INNODB_STOPWORDS]
        clauses: list[ColumnElement[bool]] = []
        if indexed:
            match = text("MATCH (tasks.title, tasks.description) AGAINST (:ft IN BOOLEAN MODE)")
            clauses.append(
                match.bindparams(ft=" ".join(f"+{t}*" for t in indexed))  # type: ignore[arg-type]
            )
        for term in terms:
            if term not in indexed:
                pattern = r"(?i)(^|\W)" + re.escape(term)
                clauses.append(
                    or_(
                        tasks.c.title.regexp_match(pattern),
                        tasks.c.description.regexp_match(pattern),
                    )
                )
        return and_(*clauses)
    # SQLite: a function registered on each connection (see core.db); the user_id index bounds
    # the rows it looks at.
    return and_(
        *(
            func.tasklane_word_prefix(tasks.c.title, tasks.c.description, term) == 1
            for term in terms
        )
    )


# --- sorting and keyset pagination --------------------------------------------------------------


@dataclass(frozen=True)
class SortKey:
    expr: ColumnElement[Any]
    descending: bool


def sort_keys(sort_field: str, descending: bool) -> list[SortKey]:
    """The ORDER BY of a sort, ending with the id so every position is unique. Tasks without a
    due date come last in either direction."""
    if sort_field == "due_at":
        no_due = case((tasks.c.due_at.is_(None), 1), else_=0)
        return [
            SortKey(no_due, False),
            SortKey(tasks.c.due_at, descending),
            SortKey(tasks.c.id, descending),
        ]
    column: ColumnElement[Any] = {
        "created_at": tasks.c.created_at,
        "updated_at": tasks.c.updated_at,
        "priority": tasks.c.priority,
        "title": func.lower(tasks.c.title),
    }[sort_field]
    return [SortKey(column, descending), SortKey(tasks.c.id, descending)]


def _after(keys: Sequence[SortKey], position: Sequence[Any]) -> ColumnElement[bool]:
    """Rows strictly after ``position`` in the order of ``keys`` (lexicographic, NULL-aware)."""
    disjuncts: list[ColumnElement[bool]] = []
    equal: list[ColumnElement[bool]] = []
    for key, value in zip(keys, position, strict=True):
        if value is not None:
            beyond = key.expr < value if key.descending else key.expr > value
            disjuncts.append(and_(*equal, beyond))
            equal.append(key.expr == value)
        else:
            equal.append(key.expr.is_(None))
    if not disjuncts:
        return false()
    after = or_(*disjuncts)
    first, first_value = keys[0], position[0]
    if first_value is not None:
        # Redundant with the OR above, but a plain range on the leading key lets every planner
        # seek into the index instead of filtering from its start (PostgreSQL would otherwise).
        bound = first.expr <= first_value if first.descending else first.expr >= first_value
        after = and_(bound, after)
    return after


@dataclass
class ListQuery:
    statuses: Sequence[str] = ()
    priorities: Sequence[int] = ()
    tags: Sequence[str] = ()
    due_before: datetime | None = None
    due_after: datetime | None = None
    overdue_at: datetime | None = None
    terms: Sequence[str] = ()
    sort_field: str = "created_at"
    descending: bool = True
    position: Sequence[Any] | None = None
    limit: int = 20
    keys: list[SortKey] = field(init=False)

    def __post_init__(self) -> None:
        self.keys = sort_keys(self.sort_field, self.descending)


def list_statement(dialect: str, user_id: uuid.UUID, query: ListQuery) -> Select[Any]:
    where: list[ColumnElement[bool]] = [readable(user_id)]
    if query.statuses:
        where.append(
            tasks.c.status == query.statuses[0]
            if len(query.statuses) == 1
            else tasks.c.status.in_(query.statuses)
        )
    if query.priorities:
        where.append(tasks.c.priority.in_(query.priorities))
    if query.tags:
        where.append(
            tasks.c.id.in_(
                select(task_tags.c.task_id).where(
                    task_tags.c.user_id == user_id, task_tags.c.tag.in_(query.tags)
                )
            )
        )
    if query.due_before is not None:
        where.append(tasks.c.due_at < query.due_before)
    if query.due_after is not None:
        where.append(tasks.c.due_at >= query.due_after)
    if query.overdue_at is not None:
        where.append(and_(tasks.c.due_at < query.overdue_at, tasks.c.status != "done"))
    if query.terms:
        where.append(_search_clause(dialect, query.terms))
    if query.position is not None:
        where.append(_after(query.keys, query.position))
    order = [k.expr.desc() if k.descending else k.expr.asc() for k in query.keys]
    key_columns = [k.expr.label(f"k{i}") for i, k in enumerate(query.keys)]
    return select(*COLUMNS, *key_columns).where(*where).order_by(*order).limit(query.limit + 1)


async def list_page(
    conn: AsyncConnection, user_id: uuid.UUID, query: ListQuery
) -> tuple[list[AnyRow], list[Any] | None]:
    """A page of rows and, if there are more, the sort-key values of its last row."""
    dialect = conn.dialect.name
    rows = list((await conn.execute(list_statement(dialect, user_id, query))).all())
    if len(rows) <= query.limit:
        return rows, None
    rows = rows[: query.limit]
    last = rows[-1]._mapping
    return rows, [last[f"k{i}"] for i in range(len(query.keys))]


# --- single tasks -------------------------------------------------------------------------------


async def get(
    conn: AsyncConnection, user_id: uuid.UUID, task_id: uuid.UUID, *, lock: bool = False
) -> AnyRow | None:
    stmt = select(*COLUMNS).where(readable(user_id), tasks.c.id == task_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await conn.execute(stmt)).first()


async def insert_task(conn: AsyncConnection, user_id: uuid.UUID, values: dict[str, Any]) -> None:
    await conn.execute(insert(tasks).values(user_id=user_id, **values))
    await _insert_tags(conn, user_id, values["id"], values["tags"])


async def _insert_tags(
    conn: AsyncConnection, user_id: uuid.UUID, task_id: uuid.UUID, tags: Sequence[str]
) -> None:
    if tags:
        # MariaDB/MySQL compare tags by collation ("cafe" = "café", "ss" = "ß"): such a pair is
        # one index row there (a filter by either spelling still finds the task), not a 409.
        await conn.execute(
            insert(task_tags).prefix_with("IGNORE", dialect="mysql"),
            [{"task_id": task_id, "tag": t, "user_id": user_id} for t in tags],
        )


async def update_task(
    conn: AsyncConnection, user_id: uuid.UUID, task_id: uuid.UUID, values: dict[str, Any]
) -> None:
    await conn.execute(
        update(tasks).where(readable(user_id), tasks.c.id == task_id).values(**values)
    )
    if "tags" in values:
        await conn.execute(delete(task_tags).where(task_tags.c.task_id == task_id))
        await _insert_tags(conn, user_id, task_id, values["tags"])


async def delete_task(
    conn: AsyncConnection, user_id: uuid.UUID, task_id: uuid.UUID, version: int | None
) -> bool:
    stmt = delete(tasks).where(readable(user_id), tasks.c.id == task_id)
    if version is not None:
        stmt = stmt.where(tasks.c.version == version)
    return (await conn.execute(stmt)).rowcount > 0


# --- several tasks ------------------------------------------------------------------------------


async def get_many_for_update(
    conn: AsyncConnection, user_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> list[AnyRow]:
    stmt = select(*COLUMNS).where(readable(user_id), tasks.c.id.in_(ids)).with_for_update()
    return list((await conn.execute(stmt)).all())


async def set_status_many(
    conn: AsyncConnection,
    user_id: uuid.UUID,
    ids: Sequence[uuid.UUID],
    status: str,
    now: datetime,
) -> None:
    completed_at: Any = (
        case((tasks.c.status == "done", tasks.c.completed_at), else_=now)
        if status == "done"
        else None
    )
    # completed_at first: MySQL evaluates SET assignments left to right.
    stmt = (
        update(tasks)
        .where(readable(user_id), tasks.c.id.in_(ids), tasks.c.status != status)
        .ordered_values(
            (tasks.c.completed_at, completed_at),
            (tasks.c.status, status),
            (tasks.c.version, tasks.c.version + 1),
            (tasks.c.updated_at, now),
        )
    )
    await conn.execute(stmt)


async def delete_many(conn: AsyncConnection, user_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> int:
    stmt = delete(tasks).where(readable(user_id), tasks.c.id.in_(ids))
    return (await conn.execute(stmt)).rowcount


# --- statistics ---------------------------------------------------------------------------------


async def counts(
    conn: AsyncConnection,
    user_id: uuid.UUID,
    now: datetime,
    day_start: datetime,
    day_end: datetime,
) -> list[AnyRow]:
    """Per (status, priority): how many, how many overdue, how many due today."""
    open_task = tasks.c.status != "done"
    stmt = (
        select(
            tasks.c.status,
            tasks.c.priority,
            func.count().label("n"),
            func.sum(case((and_(open_task, tasks.c.due_at < now), 1), else_=0)).label("overdue"),
            func.sum(
                case(
                    (and_(open_task, tasks.c.due_at >= day_start, tasks.c.due_at < day_end), 1),
                    else_=0,
                )
            ).label("due_today"),
        )
        .where(readable(user_id))
        .group_by(tasks.c.status, tasks.c.priority)
    )
    return list((await conn.execute(stmt)).all())


async def completed_since(
    conn: AsyncConnection, user_id: uuid.UUID, since: datetime
) -> list[datetime]:
    stmt = select(tasks.c.completed_at).where(readable(user_id), tasks.c.completed_at >= since)
    return list((await conn.execute(stmt)).scalars())
