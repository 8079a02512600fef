"""All SQL of the tasks domain.

Every statement starts from :func:`readable` (or :func:`writable` for changes): the one place
that says whose tasks a caller may see: those of the projects they are a member of (one
indexed semi-join on ``project_members``, the projects domain's membership statement).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    ColumnElement,
    Select,
    and_,
    bindparam,
    case,
    delete,
    exists,
    false,
    func,
    insert,
    or_,
    select,
    type_coerce,
    update,
)
from sqlalchemy.types import Text

from tasklane.core.sql import Connection
from tasklane.core.types import AnyRow, UTCDateTime, UUIDType
from tasklane.projects import service as projects
from tasklane.projects.schemas import WRITERS
from tasklane.tasks.models import task_history, task_tags, tasks
from tasklane.tasks.schemas import TaskFilter

#: A task as every statement here selects it (``service.task_document`` reads them by name).
COLUMNS = (
    tasks.c.id,
    tasks.c.project_id,
    tasks.c.parent_id,
    tasks.c.position,
    tasks.c.subtasks_total,
    tasks.c.subtasks_done,
    tasks.c.assignee_id,
    tasks.c.title,
    tasks.c.description,
    tasks.c.status,
    tasks.c.priority,
    tasks.c.due_at,
    tasks.c.due_date,
    tasks.c.completed_at,
    tasks.c.tags,
    tasks.c.reminder_offsets,
    tasks.c.version,
    tasks.c.created_at,
    tasks.c.updated_at,
    tasks.c.recurrence,
    tasks.c.recurrence_zone,
    tasks.c.recurrence_start,
    tasks.c.series_id,
    tasks.c.occurrence,
    tasks.c.comment_count,
)


@lru_cache(maxsize=8)
def read_columns(dialect: str) -> tuple[ColumnElement[Any], ...]:
    """COLUMNS as the database driver returns them, for the hot reads: ids as stored (16 bytes,
    or a UUID on PostgreSQL), timestamps as stored (naive UTC, or UTC-aware on PostgreSQL),
    tags as JSON text (a list on PostgreSQL, whose driver decodes JSON itself). The typed
    columns convert every value of every row in Python, and the API turns most of them
    straight back into text: ``service.task_document`` formats these once."""

    def raw(column: Column[Any]) -> ColumnElement[Any]:
        kind = column.type
        if isinstance(kind, UUIDType | UTCDateTime):
            return type_coerce(column, kind.stored(dialect)).label(column.name)
        if isinstance(kind, JSON):
            return type_coerce(column, Text()).label(column.name)
        return column

    return tuple(raw(column) for column in COLUMNS)


#: The caller, bound when a statement runs: statements built once at import (the hot paths)
#: name the caller like every other statement does.
OWNER = "owner_id"
_OWNER = bindparam(OWNER, type_=tasks.c.user_id.type)
#: Not in the trash: every statement but the Trash's reads only these rows.
_LIVE = tasks.c.deleted_at.is_(None)
_TRASHED = tasks.c.deleted_at.is_not(None)
_MEMBER = tasks.c.project_id.in_(projects.member_projects(_OWNER, None))
_EDITOR = tasks.c.project_id.in_(projects.member_projects(_OWNER, WRITERS))
_READABLE = and_(_MEMBER, _LIVE)
_WRITABLE = and_(_EDITOR, _LIVE)


def readable() -> ColumnElement[bool]:
    """The tasks the caller may see: those of the projects they are a member of. Execute with
    ``owned_by(user_id)``."""
    return _READABLE


#: :func:`readable` with the caller's projects given: execute with ``project_ids``
#: (``projects.service.member_of``, read just before). The lists start from it: a caller in
#: one project (most are) gets ``project_id = ?`` and the page read in order from the
#: project's index, where a join of the memberships would read and sort every row the caller
#: can see. With read replicas, the single reads use it too, the projects read from the
#: primary: a replica that lags may still count a member who was just removed.
_GIVEN = and_(tasks.c.project_id.in_(bindparam("project_ids", expanding=True)), _LIVE)


def writable() -> ColumnElement[bool]:
    """The tasks the caller may change: those of the projects they edit or own."""
    return _WRITABLE


def owned_by(user_id: uuid.UUID, **values: Any) -> dict[str, Any]:
    """The parameters of a statement built on :func:`readable`."""
    return {OWNER: user_id, **values}


# --- search -----------------------------------------------------------------------------------

_WORD = re.compile(r"\w+", re.UNICODE)


def search_terms(q: str) -> list[str]:
    """The words of a query, lower-cased, at most 10."""
    return list(dict.fromkeys(_WORD.findall(q.lower())))[:10]


def _search_clause(dialect: str, terms: Sequence[str]) -> ColumnElement[bool]:
    """Every term must start a word of the title or the description: after the start of the
    text or a character that is not a letter, a digit or ``_`` (so ``js`` starts a word of
    "node.js", ``case`` none of "snake_case"), case-insensitively. One rule on the three
    databases: the same question finds the same tasks everywhere."""
    if dialect in {"mysql", "postgresql"}:
        # The caller's own rows, read in the page's order through a (user_id, ...) index until
        # the page is full: a full-text index would first collect every user's matches (its
        # cost grew with the whole table; migration 0002 dropped InnoDB's), and it splits words
        # its own way (PostgreSQL's parser keeps "node.js" and e-mail addresses whole and cuts
        # "snake_case" in two). A person's list is thousands of tasks at most, a few
        # milliseconds to scan. Both regex dialects (PCRE2, PostgreSQL's ARE) take ``(?i)``
        # and ``\W`` as Python does.
        patterns = [r"(?i)(^|\W)" + re.escape(term) for term in terms]
        return and_(
            *(
                or_(tasks.c.title.regexp_match(p), tasks.c.description.regexp_match(p))
                for p in patterns
            )
        )
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


@lru_cache(maxsize=16)
def sort_keys(sort_field: str, descending: bool) -> tuple[SortKey, ...]:
    """The ORDER BY of a sort, ending with the id so every position is unique. Tasks without a
    due date come last in either direction."""
    if sort_field == "due_at":
        no_due = case((tasks.c.due_at.is_(None), 1), else_=0)
        return (
            SortKey(no_due, False),
            SortKey(tasks.c.due_at, descending),
            SortKey(tasks.c.id, descending),
        )
    column: ColumnElement[Any] = {
        "created_at": tasks.c.created_at,
        "updated_at": tasks.c.updated_at,
        "priority": tasks.c.priority,
        "title": func.lower(tasks.c.title),
        "position": tasks.c.position,
    }[sort_field]
    return (SortKey(column, descending), SortKey(tasks.c.id, descending))


def _after(keys: Sequence[SortKey], nulls: Sequence[bool]) -> ColumnElement[bool]:
    """Rows strictly after a position in the order of ``keys`` (lexicographic, NULL-aware).
    ``nulls`` says which values of the position are NULL; the others are bound as ``p0``,
    ``p1``... when the statement runs."""
    values = [bindparam(f"p{i}", type_=key.expr.type) for i, key in enumerate(keys)]
    disjuncts: list[ColumnElement[bool]] = []
    equal: list[ColumnElement[bool]] = []
    for key, value, null in zip(keys, values, nulls, strict=True):
        if not null:
            beyond = key.expr < value if key.descending else key.expr > value
            disjuncts.append(and_(*equal, beyond))
            equal.append(key.expr == value)
        else:
            equal.append(key.expr.is_(None))
    if not disjuncts:
        return false()
    after = or_(*disjuncts)
    if not nulls[0]:
        # Redundant with the OR above, but a plain range on the leading key lets every planner
        # seek into the index instead of filtering from its start (PostgreSQL would otherwise).
        first = keys[0]
        bound = first.expr <= values[0] if first.descending else first.expr >= values[0]
        after = and_(bound, after)
    return after


@dataclass(frozen=True)
class _Shape:
    """What a list statement's SQL depends on (the values are bound when it runs): the cache
    key of the statements built once per shape, a handful in practice."""

    dialect: str
    project: bool
    assigned_to_me: bool
    statuses: int  # 0, 1 (an equality, as the index wants) or more (IN)
    priorities: bool
    tags: bool
    due_before: bool
    due_after: bool
    overdue: bool
    terms: tuple[str, ...]  # search terms are part of the SQL (dialect-specific)
    top_level: bool
    sort_field: str
    descending: bool
    position_nulls: tuple[bool, ...] | None
    limit: int

    @classmethod
    def of(cls, dialect: str, f: TaskFilter) -> _Shape:
        return cls(
            dialect=dialect,
            project=f.project_id is not None,
            assigned_to_me=f.assigned_to_me,
            statuses=min(len(f.statuses), 2),
            priorities=bool(f.priorities),
            tags=bool(f.tags),
            due_before=f.due_before is not None,
            due_after=f.due_after is not None,
            overdue=f.overdue_at is not None,
            terms=f.terms,
            top_level=f.top_level,
            sort_field=f.sort_field,
            descending=f.descending,
            position_nulls=None
            if f.position is None
            else tuple(value is None for value in f.position),
            limit=f.limit,
        )


def _list_params(f: TaskFilter) -> dict[str, Any]:
    """The values a list statement binds, by name (see ``_build_list_statement``)."""
    params: dict[str, Any] = {}
    if f.project_id is not None:
        params["project_id"] = f.project_id
    if len(f.statuses) == 1:
        params["status"] = f.statuses[0]
    elif f.statuses:
        params["statuses"] = list(f.statuses)
    if f.priorities:
        params["priorities"] = list(f.priorities)
    if f.tags:
        params["tags"] = list(f.tags)
    if f.due_before is not None:
        params["due_before"] = f.due_before
    if f.due_after is not None:
        params["due_after"] = f.due_after
    if f.overdue_at is not None:
        params["overdue_at"] = f.overdue_at
    if f.position is not None:
        params.update((f"p{i}", value) for i, value in enumerate(f.position) if value is not None)
    return params


def list_statement(dialect: str, f: TaskFilter) -> tuple[Select[Any], dict[str, Any]]:
    """A page's statement and its parameters; execute with ``{**params, **owned_by(user),
    "project_ids": ...}`` (the caller's projects, see ``_GIVEN``). It asks for ``limit + 1``
    rows: the extra one says whether there is a next page."""
    shape = _Shape.of(dialect, f)
    # Searches vary without end: build those each time rather than crowd the cache.
    build = _build_list_statement.__wrapped__ if shape.terms else _build_list_statement
    return build(shape), _list_params(f)


@lru_cache(maxsize=512)
def _build_list_statement(shape: _Shape) -> Select[Any]:
    where: list[ColumnElement[bool]] = [_GIVEN]
    if shape.project:
        where.append(tasks.c.project_id == bindparam("project_id", type_=tasks.c.project_id.type))
    if shape.assigned_to_me:
        where.append(tasks.c.assignee_id == _OWNER)
    if shape.statuses == 1:
        where.append(tasks.c.status == bindparam("status"))
    elif shape.statuses:
        where.append(tasks.c.status.in_(bindparam("statuses", expanding=True)))
    if shape.priorities:
        where.append(tasks.c.priority.in_(bindparam("priorities", expanding=True)))
    if shape.tags:
        # Per row, through the (task_id, tag) key: the tags of shared tasks were written by
        # whoever wrote the task.
        where.append(
            exists().where(
                task_tags.c.task_id == tasks.c.id,
                task_tags.c.tag.in_(bindparam("tags", expanding=True)),
            )
        )
    if shape.due_before:
        where.append(tasks.c.due_at < bindparam("due_before", type_=tasks.c.due_at.type))
    if shape.due_after:
        where.append(tasks.c.due_at >= bindparam("due_after", type_=tasks.c.due_at.type))
    if shape.overdue:
        overdue_at = bindparam("overdue_at", type_=tasks.c.due_at.type)
        where.append(and_(tasks.c.due_at < overdue_at, tasks.c.status != "done"))
    if shape.terms:
        where.append(_search_clause(shape.dialect, shape.terms))
    if shape.top_level:
        where.append(tasks.c.parent_id.is_(None))
    keys = sort_keys(shape.sort_field, shape.descending)
    if shape.position_nulls is not None:
        where.append(_after(keys, shape.position_nulls))
    order = [k.expr.desc() if k.descending else k.expr.asc() for k in keys]
    # A key that is a column of the page is read from it; the others (lower(title), the
    # no-due-date flag) are selected too, as k0, k1...
    names = key_names(shape.sort_field, shape.descending)
    extra = [
        k.expr.label(name) for k, name in zip(keys, names, strict=True) if name.startswith("k")
    ]
    return (
        select(*read_columns(shape.dialect), *extra)
        .where(*where)
        .order_by(*order)
        .limit(shape.limit + 1)
    )


_PAGE_COLUMNS = {column.name: column for column in COLUMNS}


@lru_cache(maxsize=16)
def key_names(sort_field: str, descending: bool) -> tuple[str, ...]:
    """Where each sort key's value is found in a page's rows."""
    keys = sort_keys(sort_field, descending)
    return tuple(
        key.expr.name if _PAGE_COLUMNS.get(getattr(key.expr, "name", "")) is key.expr else f"k{i}"
        for i, key in enumerate(keys)
    )


def _typed(value: Any) -> Any:
    """A sort key's value of a :func:`read_columns` row as the typed column gives it."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, bytes):
        return uuid.UUID(bytes=value)
    if isinstance(value, uuid.UUID):  # PostgreSQL's driver gives a subclass
        return uuid.UUID(int=value.int)
    return value


async def list_page(
    conn: Connection, user_id: uuid.UUID, f: TaskFilter, project_ids: Sequence[uuid.UUID]
) -> tuple[list[AnyRow], list[Any] | None]:
    """A page of :func:`read_columns` rows and, if there are more, the sort-key values of its
    last row (typed, as the cursor holds them). ``project_ids``: the caller's projects."""
    statement, params = list_statement(conn.dialect.name, f)
    params["project_ids"] = list(project_ids)
    rows = list((await conn.execute(statement, {**params, **owned_by(user_id)})).all())
    if len(rows) <= f.limit:
        return rows, None
    rows = rows[: f.limit]
    last = rows[-1]._mapping
    return rows, [_typed(last[name]) for name in key_names(f.sort_field, f.descending)]


# --- single tasks -------------------------------------------------------------------------------


_ONE = (readable(), tasks.c.id == bindparam("task_id"))
_ONE_GIVEN = (_GIVEN, tasks.c.id == bindparam("task_id"))
_GET_FOR_UPDATE: Select[Any] = (
    select(*COLUMNS).where(writable(), tasks.c.id == bindparam("task_id")).with_for_update()
)


@lru_cache(maxsize=8)
def _read_one(dialect: str, given: bool) -> Select[Any]:
    return select(*read_columns(dialect)).where(*(_ONE_GIVEN if given else _ONE))


async def read(
    conn: Connection,
    user_id: uuid.UUID,
    task_id: uuid.UUID,
    project_ids: Sequence[uuid.UUID] | None = None,
) -> AnyRow | None:
    """One task as a :func:`read_columns` row (``project_ids``: as for :func:`list_page`)."""
    statement = _read_one(conn.dialect.name, project_ids is not None)
    params = owned_by(user_id, task_id=task_id)
    if project_ids is not None:
        params["project_ids"] = list(project_ids)
    row: AnyRow | None = (await conn.execute(statement, params)).first()
    return row


async def get_for_update(conn: Connection, user_id: uuid.UUID, task_id: uuid.UUID) -> AnyRow | None:
    """One task the caller may change, typed, locked until the transaction ends."""
    params = owned_by(user_id, task_id=task_id)
    row: AnyRow | None = (await conn.execute(_GET_FOR_UPDATE, params)).first()
    return row


_REMINDER_VIEW = select(
    tasks.c.user_id,
    tasks.c.title,
    tasks.c.status,
    tasks.c.due_at,
    tasks.c.reminder_offsets,
    tasks.c.due_date,
).where(tasks.c.id == bindparam("task_id"), _LIVE)


async def reminder_view(conn: Connection, task_id: uuid.UUID) -> AnyRow | None:
    """What the notification service needs of a task, by id alone: the service acts for the
    owner named in the row, not for a caller (every caller's statement starts from
    :func:`readable`)."""
    row: AnyRow | None = (await conn.execute(_REMINDER_VIEW, {"task_id": task_id})).first()
    return row


async def owner_of(conn: Connection, task_id: uuid.UUID) -> uuid.UUID:
    """Who made a task (whose time zone its date-only due date is read in)."""
    owner: uuid.UUID = (
        await conn.execute(select(tasks.c.user_id).where(tasks.c.id == task_id))
    ).scalar_one()
    return owner


async def date_only_of(conn: Connection, owner_id: uuid.UUID) -> list[AnyRow]:
    """(id, due_date) of the date-only tasks ``owner_id`` made."""
    stmt = select(tasks.c.id, tasks.c.due_date).where(
        tasks.c.user_id == owner_id, tasks.c.due_date.is_not(None)
    )
    return list((await conn.execute(stmt)).all())


_SET_DUE_AT = (
    update(tasks)
    .where(tasks.c.id == bindparam("task_id"))
    .values(due_at=bindparam("new_due_at", type_=tasks.c.due_at.type))
)


async def set_due_at_many(conn: Connection, changes: Sequence[tuple[uuid.UUID, datetime]]) -> None:
    """The derived due instants of date-only tasks (their owner's zone changed)."""
    await conn.execute(
        _SET_DUE_AT, [{"task_id": task_id, "new_due_at": due_at} for task_id, due_at in changes]
    )


_INSERT_TASK = insert(tasks)
_INSERT_TAGS = insert(task_tags)


async def insert_task(conn: Connection, user_id: uuid.UUID, values: dict[str, Any]) -> None:
    await conn.execute(_INSERT_TASK, {"user_id": user_id, **values})
    await _insert_tags(conn, user_id, values["id"], values["tags"])


async def _insert_tags(
    conn: Connection, user_id: uuid.UUID, task_id: uuid.UUID, tags: Sequence[str]
) -> None:
    if tags:
        await conn.execute(
            _INSERT_TAGS, [{"task_id": task_id, "tag": t, "user_id": user_id} for t in tags]
        )


_UPDATE = update(tasks).where(writable(), tasks.c.id == bindparam("task_id"))


async def update_task(
    conn: Connection, user_id: uuid.UUID, task_id: uuid.UUID, values: dict[str, Any]
) -> None:
    # The SET clause comes from the column names among the parameters (compiled once per
    # set of changed fields).
    await conn.execute(_UPDATE, owned_by(user_id, task_id=task_id, **values))
    if "tags" in values:
        await conn.execute(delete(task_tags).where(task_tags.c.task_id == task_id))
        await _insert_tags(conn, user_id, task_id, values["tags"])


async def trash_task(
    conn: Connection,
    user_id: uuid.UUID,
    task_id: uuid.UUID,
    version: int | None,
    now: datetime,
) -> bool:
    """Move a task to the trash (its row stays, out of every statement but the Trash's)."""
    stmt = update(tasks).where(writable(), tasks.c.id == task_id).values(deleted_at=now)
    if version is not None:
        stmt = stmt.where(tasks.c.version == version)
    return (await conn.execute(stmt, owned_by(user_id))).rowcount > 0


# --- several tasks ------------------------------------------------------------------------------


async def get_many_for_update(
    conn: Connection, user_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> list[AnyRow]:
    stmt = select(*COLUMNS).where(writable(), tasks.c.id.in_(ids)).with_for_update()
    return list((await conn.execute(stmt, owned_by(user_id))).all())


async def set_status_many(
    conn: Connection,
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
        .where(writable(), tasks.c.id.in_(ids), tasks.c.status != status)
        .ordered_values(
            (tasks.c.completed_at, completed_at),
            (tasks.c.status, status),
            (tasks.c.version, tasks.c.version + 1),
            (tasks.c.updated_at, now),
        )
    )
    await conn.execute(stmt, owned_by(user_id))


async def trash_many(
    conn: Connection, user_id: uuid.UUID, ids: Sequence[uuid.UUID], now: datetime
) -> int:
    stmt = update(tasks).where(writable(), tasks.c.id.in_(ids)).values(deleted_at=now)
    return (await conn.execute(stmt, owned_by(user_id))).rowcount


# --- the trash ----------------------------------------------------------------------------------

#: The Trash's order: the most recently deleted first.
TRASH_KEYS = (SortKey(tasks.c.deleted_at, True), SortKey(tasks.c.id, True))


@lru_cache(maxsize=8)
def _trash_statement(dialect: str, after: bool, limit: int) -> Select[Any]:
    where: list[ColumnElement[bool]] = [
        tasks.c.project_id.in_(bindparam("project_ids", expanding=True)),
        _TRASHED,
    ]
    if after:
        where.append(_after(TRASH_KEYS, (False, False)))
    return (
        select(*read_columns(dialect), tasks.c.deleted_at)
        .where(*where)
        .order_by(tasks.c.deleted_at.desc(), tasks.c.id.desc())
        .limit(limit + 1)
    )


def trash_statement(
    dialect: str, position: Sequence[Any] | None, limit: int
) -> tuple[Select[Any], dict[str, Any]]:
    """A Trash page's statement and its parameters (execute with ``project_ids``)."""
    params: dict[str, Any] = {}
    if position is not None:
        params.update((f"p{i}", value) for i, value in enumerate(position))
    return _trash_statement(dialect, position is not None, limit), params


async def trash_page(
    conn: Connection,
    project_ids: Sequence[uuid.UUID],
    position: Sequence[Any] | None,
    limit: int,
) -> tuple[list[AnyRow], list[Any] | None]:
    """A page of the trashed tasks of ``project_ids`` (:func:`read_columns` and
    ``deleted_at``), and the position of its last row when there are more."""
    statement, params = trash_statement(conn.dialect.name, position, limit)
    params["project_ids"] = list(project_ids)
    rows = list((await conn.execute(statement, params)).all())
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]._mapping
    return rows, [_typed(last["deleted_at"]), _typed(last["id"])]


_GET_TRASHED_FOR_UPDATE: Select[Any] = (
    select(*COLUMNS, tasks.c.deleted_at)
    .where(_EDITOR, _TRASHED, tasks.c.id == bindparam("task_id"))
    .with_for_update()
)
_READABLE_TRASHED = select(tasks.c.id).where(_MEMBER, _TRASHED, tasks.c.id == bindparam("task_id"))


async def get_trashed_for_update(
    conn: Connection, user_id: uuid.UUID, task_id: uuid.UUID
) -> AnyRow | None:
    """A task in the trash the caller may restore or delete, typed, locked."""
    params = owned_by(user_id, task_id=task_id)
    row: AnyRow | None = (await conn.execute(_GET_TRASHED_FOR_UPDATE, params)).first()
    return row


async def trashed_readable(conn: Connection, user_id: uuid.UUID, task_id: uuid.UUID) -> bool:
    """Whether the caller sees this task in their Trash (to tell a 403 from a 404)."""
    params = owned_by(user_id, task_id=task_id)
    return (await conn.execute(_READABLE_TRASHED, params)).first() is not None


async def restore(conn: Connection, task_id: uuid.UUID) -> None:
    """Out of the trash (the row was read, locked, with :func:`get_trashed_for_update`)."""
    await conn.execute(update(tasks).where(tasks.c.id == task_id, _TRASHED).values(deleted_at=None))


async def delete_trashed(conn: Connection, task_id: uuid.UUID) -> None:
    """Delete a task of the trash for good (read and locked as for :func:`restore`)."""
    await conn.execute(delete(tasks).where(tasks.c.id == task_id, _TRASHED))


def purge_statement(before: datetime, limit: int) -> Select[Any]:
    """Up to ``limit`` tasks in the trash since before ``before`` (id, project), oldest first,
    read through ``ix_tasks_deleted``, locked and skipped by another worker purging at once."""
    return (
        select(tasks.c.id, tasks.c.project_id)
        .where(tasks.c.deleted_at < before)
        .order_by(tasks.c.deleted_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )


async def purge_ids(conn: Connection, before: datetime, limit: int) -> list[AnyRow]:
    return list((await conn.execute(purge_statement(before, limit))).all())


async def delete_ids(conn: Connection, ids: Sequence[uuid.UUID]) -> int:
    if not ids:
        return 0
    return (await conn.execute(delete(tasks).where(tasks.c.id.in_(ids)))).rowcount


# --- statistics ---------------------------------------------------------------------------------


async def counts(
    conn: Connection,
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
        .where(readable())
        .group_by(tasks.c.status, tasks.c.priority)
    )
    return list((await conn.execute(stmt, owned_by(user_id))).all())


async def completed_since(conn: Connection, user_id: uuid.UUID, since: datetime) -> list[datetime]:
    stmt = select(tasks.c.completed_at).where(readable(), tasks.c.completed_at >= since)
    return list((await conn.execute(stmt, owned_by(user_id))).scalars())


async def readable_ids(
    conn: Connection, user_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of ``ids`` the caller may read (to tell a 403 from a 404 once a write failed)."""
    stmt = select(tasks.c.id).where(readable(), tasks.c.id.in_(ids))
    return set((await conn.execute(stmt, owned_by(user_id))).scalars())


async def open_counts(
    conn: Connection, user_id: uuid.UUID, project_ids: Sequence[uuid.UUID]
) -> list[AnyRow]:
    """(project_id, n): the tasks not done of each of ``project_ids`` the caller may read."""
    stmt = (
        select(tasks.c.project_id, func.count().label("n"))
        .where(readable(), tasks.c.project_id.in_(project_ids), tasks.c.status != "done")
        .group_by(tasks.c.project_id)
    )
    return list((await conn.execute(stmt, owned_by(user_id))).all())


async def project_of(conn: Connection, ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    stmt = select(tasks.c.project_id).where(tasks.c.id.in_(ids)).distinct()
    return set((await conn.execute(stmt)).scalars())


async def unassign(
    conn: Connection, project_id: uuid.UUID, user_id: uuid.UUID, now: datetime
) -> None:
    """Clear ``user_id``'s assignments in a project they left (a new version of each task)."""
    await conn.execute(
        update(tasks)
        .where(tasks.c.project_id == project_id, tasks.c.assignee_id == user_id)
        .values(assignee_id=None, version=tasks.c.version + 1, updated_at=now)
    )


async def hand_over(
    conn: Connection, project_id: uuid.UUID, from_user: uuid.UUID, to_user: uuid.UUID
) -> None:
    await conn.execute(
        update(tasks)
        .where(tasks.c.project_id == project_id, tasks.c.user_id == from_user)
        .values(user_id=to_user)
    )


# --- comments' count and the history of changes -----------------------------------------------


async def add_comments(conn: Connection, task_id: uuid.UUID, delta: int) -> int:
    """Change a task's comment count by ``delta`` (in the comment's transaction: an increment
    in the database, so concurrent comments all count) and give the new count. Neither the
    version nor ``updated_at`` moves: a comment is no change of the task."""
    await conn.execute(
        update(tasks)
        .where(tasks.c.id == task_id)
        .values(comment_count=tasks.c.comment_count + delta)
    )
    stmt = select(tasks.c.comment_count).where(tasks.c.id == task_id)
    return int((await conn.execute(stmt)).scalar() or 0)


_INSERT_HISTORY = insert(task_history)


async def insert_history(conn: Connection, entries: Sequence[dict[str, Any]]) -> None:
    if entries:
        await conn.execute(_INSERT_HISTORY, list(entries))


async def history_page(
    conn: Connection,
    task_id: uuid.UUID,
    before: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[AnyRow]:
    """Up to ``limit + 1`` changes of a task before a position, newest first, read in order
    from ``(task_id, created_at, id)``."""
    h = task_history.c
    stmt = select(h.id, h.user_id, h.field, h.old_value, h.new_value, h.created_at).where(
        h.task_id == task_id
    )
    if before is not None:
        at, last_id = before
        stmt = stmt.where(
            h.created_at <= at, or_(h.created_at < at, and_(h.created_at == at, h.id < last_id))
        )
    stmt = stmt.order_by(h.created_at.desc(), h.id.desc()).limit(limit + 1)
    return list((await conn.execute(stmt)).all())


# --- subtasks and manual order ------------------------------------------------------------------


def _siblings(project_id: uuid.UUID, parent_id: uuid.UUID | None) -> ColumnElement[bool]:
    """A task's siblings: the subtasks of its parent, or its project's top-level tasks."""
    if parent_id is not None:
        return tasks.c.parent_id == parent_id
    return and_(tasks.c.project_id == project_id, tasks.c.parent_id.is_(None))


async def last_position(
    conn: Connection, project_id: uuid.UUID, parent_id: uuid.UUID | None
) -> str | None:
    """The greatest manual-order key among the siblings (None: there are none)."""
    stmt = select(func.max(tasks.c.position)).where(_siblings(project_id, parent_id))
    last: str | None = (await conn.execute(stmt)).scalar()
    return last


async def neighbour(
    conn: Connection,
    project_id: uuid.UUID,
    parent_id: uuid.UUID | None,
    anchor: AnyRow,
    moving: uuid.UUID,
    *,
    after: bool,
) -> AnyRow | None:
    """The sibling right after (or before) ``anchor`` in the order (position, id), leaving
    ``moving`` out: (id, position). Not locked: a move reads its neighbours once it holds the
    siblings' lock (their parent or project), having made only simple locking reads before,
    so even MariaDB's snapshot (taken at the first plain read) has every earlier move;
    locking them would deadlock with a change of a subtask, which locks it, then its parent."""
    if after:
        beyond = or_(
            tasks.c.position > anchor.position,
            and_(tasks.c.position == anchor.position, tasks.c.id > anchor.id),
        )
        order = (tasks.c.position.asc(), tasks.c.id.asc())
    else:
        beyond = or_(
            tasks.c.position < anchor.position,
            and_(tasks.c.position == anchor.position, tasks.c.id < anchor.id),
        )
        order = (tasks.c.position.desc(), tasks.c.id.desc())
    stmt = (
        select(tasks.c.id, tasks.c.position)
        .where(_siblings(project_id, parent_id), tasks.c.id != moving, beyond)
        .order_by(*order)
        .limit(1)
    )
    row: AnyRow | None = (await conn.execute(stmt)).first()
    return row


async def sibling_keys(
    conn: Connection, project_id: uuid.UUID, parent_id: uuid.UUID | None
) -> list[AnyRow]:
    """Every sibling's (id, position) in order: to give them new keys (read, as
    :func:`neighbour`, under the siblings' lock)."""
    stmt = (
        select(tasks.c.id, tasks.c.position)
        .where(_siblings(project_id, parent_id))
        .order_by(tasks.c.position, tasks.c.id)
    )
    return list((await conn.execute(stmt)).all())


_SET_POSITION = (
    update(tasks)
    .where(tasks.c.id == bindparam("task_id"))
    .values(position=bindparam("new_position", type_=tasks.c.position.type))
)


async def set_positions(conn: Connection, keys: Sequence[tuple[uuid.UUID, str]]) -> None:
    """New keys for rows already locked (a tie undone: no other field changes)."""
    await conn.execute(
        _SET_POSITION, [{"task_id": task_id, "new_position": key} for task_id, key in keys]
    )


async def lock_task(conn: Connection, task_id: uuid.UUID) -> AnyRow | None:
    """A task (not in the trash) by id alone, typed and locked; the caller's right is checked
    by the caller of this (a plain locking read: no subquery, see :func:`neighbour`)."""
    stmt = (
        select(*COLUMNS)
        .where(tasks.c.id == task_id, tasks.c.deleted_at.is_(None))
        .with_for_update()
    )
    row: AnyRow | None = (await conn.execute(stmt)).first()
    return row


async def add_progress(
    conn: Connection, parent_id: uuid.UUID, total: int, done: int
) -> AnyRow | None:
    """Change a parent's subtask counts by these amounts (an increment in the database, so
    concurrent changes of its subtasks all count) and give the parent's row. Neither its
    version nor ``updated_at`` moves: a subtask's change is no change of the parent."""
    await conn.execute(
        update(tasks)
        .where(tasks.c.id == parent_id)
        .values(
            subtasks_total=tasks.c.subtasks_total + total,
            subtasks_done=tasks.c.subtasks_done + done,
        )
    )
    stmt = select(*COLUMNS).where(tasks.c.id == parent_id)
    row: AnyRow | None = (await conn.execute(stmt)).first()
    return row


async def subtasks_for_update(conn: Connection, parent_id: uuid.UUID) -> list[AnyRow]:
    """A parent's subtasks, typed, locked (the parent is locked already)."""
    stmt = (
        select(*COLUMNS)
        .where(tasks.c.parent_id == parent_id)
        .order_by(tasks.c.position, tasks.c.id)
        .with_for_update()
    )
    return list((await conn.execute(stmt)).all())


@lru_cache(maxsize=8)
def _subtasks_statement(dialect: str, given: bool) -> Select[Any]:
    return (
        select(*read_columns(dialect))
        .where(_GIVEN if given else readable(), tasks.c.parent_id == bindparam("parent_id"))
        .order_by(tasks.c.position, tasks.c.id)
    )


async def subtasks(
    conn: Connection,
    user_id: uuid.UUID,
    parent_id: uuid.UUID,
    project_ids: Sequence[uuid.UUID] | None = None,
) -> list[AnyRow]:
    """A parent's subtasks the caller may read, in their manual order, as
    :func:`read_columns` rows (``project_ids``: as for :func:`list_page`)."""
    statement = _subtasks_statement(conn.dialect.name, project_ids is not None)
    params = owned_by(user_id, parent_id=parent_id)
    if project_ids is not None:
        params["project_ids"] = list(project_ids)
    return list((await conn.execute(statement, params)).all())


async def sibling(
    conn: Connection, project_id: uuid.UUID, parent_id: uuid.UUID | None, task_id: uuid.UUID
) -> AnyRow | None:
    """(id, position) of ``task_id`` if it is a sibling (see :func:`_siblings`); read as
    :func:`neighbour`."""
    stmt = select(tasks.c.id, tasks.c.position).where(
        _siblings(project_id, parent_id), tasks.c.id == task_id
    )
    row: AnyRow | None = (await conn.execute(stmt)).first()
    return row


async def position_of(conn: Connection, task_id: uuid.UUID) -> str:
    """A task's key as it is now (it may have just been given a new one)."""
    stmt = select(tasks.c.position).where(tasks.c.id == task_id)
    key: str = (await conn.execute(stmt)).scalar_one()
    return key


async def trash_subtasks(
    conn: Connection, parent_ids: Sequence[uuid.UUID], now: datetime
) -> list[AnyRow]:
    """The subtasks of parents going to the trash go with them, at the same instant (so they
    come back with them): their (id, project_id)."""
    if not parent_ids:
        return []
    stmt = (
        select(tasks.c.id, tasks.c.project_id)
        .where(tasks.c.parent_id.in_(parent_ids), tasks.c.deleted_at.is_(None))
        .with_for_update()
    )
    rows = list((await conn.execute(stmt)).all())
    if rows:
        await conn.execute(
            update(tasks).where(tasks.c.id.in_([r.id for r in rows])).values(deleted_at=now)
        )
    return rows


async def restore_subtasks(
    conn: Connection, parent_id: uuid.UUID, deleted_at: datetime
) -> list[AnyRow]:
    """The subtasks that went to the trash with their parent come back with it: typed rows."""
    stmt = (
        select(*COLUMNS)
        .where(tasks.c.parent_id == parent_id, tasks.c.deleted_at == deleted_at)
        .with_for_update()
    )
    rows = list((await conn.execute(stmt)).all())
    if rows:
        await conn.execute(
            update(tasks).where(tasks.c.id.in_([r.id for r in rows])).values(deleted_at=None)
        )
    return rows


async def is_trashed(conn: Connection, task_id: uuid.UUID) -> bool:
    stmt = select(tasks.c.id).where(tasks.c.id == task_id, tasks.c.deleted_at.is_not(None))
    return (await conn.execute(stmt)).first() is not None


# --- recurring tasks ----------------------------------------------------------------------------


async def occurrence_exists(conn: Connection, series_id: uuid.UUID, occurrence: int) -> bool:
    """Whether a series has its occurrence number ``occurrence`` (even in the trash)."""
    stmt = select(tasks.c.id).where(
        tasks.c.series_id == series_id, tasks.c.occurrence == occurrence
    )
    return (await conn.execute(stmt)).first() is not None


async def creator_of(conn: Connection, task_id: uuid.UUID) -> uuid.UUID:
    """Who made a task: the next occurrence of a series is theirs too."""
    creator: uuid.UUID = (
        await conn.execute(select(tasks.c.user_id).where(tasks.c.id == task_id))
    ).scalar_one()
    return creator
