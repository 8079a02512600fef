"""Rules of the tasks domain."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypedDict, cast, get_args
from zoneinfo import ZoneInfo

import orjson
from fractional_indexing import (  # type: ignore[import-untyped]
    BASE_62_DIGITS,
    generate_key_between,
    generate_n_keys_between,
)

from tasklane.core.context import AppContext
from tasklane.core.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PreconditionFailed,
    ValidationProblem,
)
from tasklane.core.pagination import Kind, decode_cursor, encode_cursor
from tasklane.core.shared import key as shared_key
from tasklane.core.sql import Connection
from tasklane.core.types import AnyRow, utcnow, uuid7
from tasklane.events import service as events
from tasklane.projects import service as projects
from tasklane.tasks import recurrence
from tasklane.tasks import repository as repo
from tasklane.tasks.schemas import (
    PRIORITIES,
    PRIORITY_NAME,
    PRIORITY_RANK,
    STATUSES,
    BulkDelete,
    BulkSetStatus,
    HistoryField,
    MoveTask,
    SortField,
    TaskCreate,
    TaskFilter,
    TaskQuery,
    TaskUpdate,
)
from tasklane.users import service as users


class TaskDocument(TypedDict):
    """A task as the API writes it (``schemas.TaskOut``), for ``core.encoding``: timestamps
    as datetimes (naive ones are UTC), tags as a list or as their stored JSON text."""

    id: str
    project_id: str
    parent_id: str | None
    position: str
    subtasks_total: int
    subtasks_done: int
    assignee_id: str | None
    title: str
    description: str | None
    status: str
    priority: str
    due_at: datetime | None
    due_date: date | None
    completed_at: datetime | None
    tags: list[str] | orjson.Fragment
    recurrence: str | None
    reminder_offsets: list[int] | orjson.Fragment | None
    version: int
    created_at: datetime
    updated_at: datetime
    comment_count: int


class PageDocument(TypedDict):
    items: list[TaskDocument]
    next_cursor: str | None


NOT_FOUND = "No such task."
BOTH_DUE = "Give either due_at (a time) or due_date (a day), not both."
READ_ONLY = "You can read this task but not change it: you are a viewer of its project."
STATS_DAYS = 14


def _id_text(value: Any) -> str:
    """A task id as stored: 16 bytes, or a UUID (PostgreSQL, and values just written)."""
    if type(value) is bytes:
        h = value.hex()
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
    return str(value)


def task_document(row: Any) -> TaskDocument:
    """A row of ``repo.COLUMNS`` or ``repo.read_columns`` (values as the driver returns them),
    or anything with those attributes, as the API's document. The tags, stored as JSON text,
    are passed through as they are."""
    tags = row.tags
    offsets = row.reminder_offsets
    assignee = row.assignee_id
    due_date = row.due_date
    parent = row.parent_id
    return {
        "id": _id_text(row.id),
        "project_id": _id_text(row.project_id),
        "parent_id": None if parent is None else _id_text(parent),
        "position": row.position,
        "subtasks_total": row.subtasks_total,
        "subtasks_done": row.subtasks_done,
        "assignee_id": None if assignee is None else _id_text(assignee),
        "title": row.title,
        "description": row.description,
        "status": row.status,
        "priority": PRIORITY_NAME[row.priority],
        "due_at": row.due_at if due_date is None else None,  # a date-only task's is derived
        "due_date": due_date,
        "completed_at": row.completed_at,
        "tags": orjson.Fragment(tags) if type(tags) is str else tags,
        "recurrence": row.recurrence,
        "reminder_offsets": orjson.Fragment(offsets) if type(offsets) is str else offsets,
        "version": row.version,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "comment_count": row.comment_count,
    }


# --- date-only due dates ------------------------------------------------------------------------
#
# A date-only task is due on a calendar date in its owner's (creator's) time zone. It is stored
# as that date (``due_date``) and, for sorting and filtering, as the last microsecond of that
# date in the owner's zone (``due_at``, derived, never shown): so it sorts after the timed
# tasks of its day, is due today all that local day, overdue once the day is over, and every
# list filter, the dashboard counts, Today, Upcoming and the digest read one instant. A change
# of the owner's time zone moves the derived instants (``follow_owner_zone``).


def date_only_due_at(day: date, timezone: str) -> datetime:
    """The instant a date-only task due on ``day`` sorts and falls due at: the end of that
    local date in ``timezone`` (the microsecond before the next local midnight, DST
    included), in UTC; clamped to the last instant the API holds."""
    if day >= date(9999, 12, 31):
        return datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
    following = datetime.combine(day + timedelta(days=1), time.min, tzinfo=ZoneInfo(timezone))
    return following.astimezone(UTC) - timedelta(microseconds=1)


async def owner_zone(conn: Connection, owner_id: uuid.UUID) -> str:
    """The time zone a task's date-only due date is read in: its owner's (UTC if gone)."""
    profile = await users.active_profile(conn, owner_id)
    return profile.timezone if profile is not None else "UTC"


async def follow_owner_zone(conn: Connection, owner_id: uuid.UUID, timezone: str) -> None:
    """The owner's zone changed: their date-only tasks fall due at the end of the same dates
    in the new zone (in the transaction of the change; the tasks as the API shows them stay
    the same, so no new version)."""
    rows = await repo.date_only_of(conn, owner_id)
    changes = [(row.id, date_only_due_at(row.due_date, timezone)) for row in rows]
    if changes:
        await repo.set_due_at_many(conn, changes)


async def date_only_ids(conn: Connection, owner_id: uuid.UUID) -> list[uuid.UUID]:
    """The date-only tasks ``owner_id`` made (whose reminders follow the owner's zone)."""
    return [row.id for row in await repo.date_only_of(conn, owner_id)]


def _utc(value: Any) -> Any:
    return value.astimezone(UTC) if isinstance(value, datetime) else value


class _Written:
    """The values just written, with timestamps brought to UTC (a just-written ``due_at``
    keeps the client's offset), read like a row: a write needs no re-read."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update({name: _utc(value) for name, value in values.items()})


def task_from_row(row: AnyRow) -> TaskDocument:
    """A typed row (timestamps aware) as the document, its timestamps in UTC."""
    return task_document(_Written(row._asdict()))


def _change_kind(before: str, after: str) -> str:
    if after == "done" and before != "done":
        return "task.completed"
    if before == "done" and after != "done":
        return "task.reopened"
    return "task.updated"


async def _announce(conn: Connection, kind: str, user_id: uuid.UUID, task: TaskDocument) -> None:
    """The change's domain event, in the change's own transaction (the outbox); every member
    of the task's project sees it on their stream."""
    await events.record(
        conn,
        kind,
        user_id,
        uuid.UUID(task["id"]),
        {"task": task},
        project_id=uuid.UUID(task["project_id"]),
    )


async def _announce_deleted(
    conn: Connection, user_id: uuid.UUID, task_id: uuid.UUID, project_id: uuid.UUID
) -> None:
    await events.record(
        conn,
        "task.deleted",
        user_id,
        task_id,
        {"id": str(task_id), "project_id": str(project_id)},
        project_id=project_id,
    )


async def _announce_moved(
    conn: Connection,
    user_id: uuid.UUID,
    task_id: uuid.UUID,
    from_project: uuid.UUID,
    to_project: uuid.UUID,
) -> None:
    """A task moved to another project, for the members of the one it left (the new one's
    hear of it through ``task.updated``): where it went, not what it holds."""
    await events.record(
        conn,
        "task.moved",
        user_id,
        task_id,
        {"id": str(task_id), "project_id": str(from_project), "to_project_id": str(to_project)},
        project_id=from_project,
    )


@dataclass(frozen=True, slots=True)
class ReminderView:
    user_id: uuid.UUID
    title: str
    status: str
    due_at: datetime | None
    #: The task's own offsets (minutes before ``due_at``); None: the owner's preference.
    reminder_offsets: list[int] | None = None
    #: A date-only task's date (its ``due_at`` is then the end of that day).
    due_date: date | None = None


async def reminder_view(conn: Connection, task_id: uuid.UUID) -> ReminderView | None:
    """A task as the notification service plans its reminders (None once deleted)."""
    row = await repo.reminder_view(conn, task_id)
    if row is None:
        return None
    return ReminderView(
        row.user_id,
        row.title,
        row.status,
        row.due_at,
        row.reminder_offsets,
        due_date=row.due_date,
    )


def etag(version: int) -> str:
    return f'"{version}"'


def if_match_allows(header: str | None, version: int) -> bool:
    """RFC 9110 If-Match, comparing ignoring a weak ``W/`` prefix (added by compressing proxies)."""
    if header is None:
        return True
    for candidate in header.split(","):
        tag = candidate.strip()
        if tag == "*":
            return True
        tag = tag.removeprefix("W/")
        if tag == etag(version):
            return True
    return False


def _stale(row: AnyRow) -> PreconditionFailed:
    current = task_from_row(row)
    return PreconditionFailed(
        "The task changed since you read it; the current version is in `current`.",
        headers={"ETag": etag(row.version)},
        extra={"current": current},
    )


async def _check_assignee(conn: Connection, project_id: uuid.UUID, assignee_id: uuid.UUID) -> None:
    if not await projects.is_member(conn, project_id, assignee_id):
        raise ValidationProblem.single("assignee_id", "Assign the task to a member of its project.")


async def _writable_project(conn: Connection, user_id: uuid.UUID, project_id: uuid.UUID) -> None:
    """A project the caller may add tasks to; a 422 on ``project_id`` otherwise."""
    try:
        await projects.require(conn, user_id, project_id, "editor")
    except NotFound:
        raise ValidationProblem.single("project_id", "No such project.") from None


async def create(conn: Connection, user_id: uuid.UUID, body: TaskCreate) -> TaskDocument:
    parent = None
    if body.parent_id is not None:
        parent = await _new_subtask_parent(conn, user_id, body)
        project_id = parent.project_id
    elif body.project_id is None:
        project_id = await projects.inbox_id(conn, user_id)
    else:
        project_id = body.project_id
        await _writable_project(conn, user_id, project_id)
    if body.assignee_id is not None:
        await _check_assignee(conn, project_id, body.assignee_id)
    due_at = body.due_at
    if body.due_date is not None:
        if due_at is not None:
            raise ValidationProblem.single("due_date", BOTH_DUE)
        due_at = date_only_due_at(body.due_date, await owner_zone(conn, user_id))
    now = utcnow()
    parent_id = None if parent is None else parent.id
    values: dict[str, Any] = {
        "id": uuid7(),
        "project_id": project_id,
        "parent_id": parent_id,
        "position": await _last_key(conn, project_id, parent_id),
        "subtasks_total": 0,
        "subtasks_done": 0,
        "assignee_id": body.assignee_id,
        "title": body.title,
        "description": body.description,
        "status": body.status,
        "priority": PRIORITY_RANK[body.priority],
        "due_at": due_at,
        "due_date": body.due_date,
        "completed_at": now if body.status == "done" else None,
        "tags": body.tags,
        "reminder_offsets": body.reminder_offsets,
        "version": 1,
        "created_at": now,
        "updated_at": now,
        "comment_count": 0,
    }
    values.update(await _new_series(conn, user_id, body.recurrence, values))
    await repo.insert_task(conn, user_id, values)
    task = task_document(_Written(values))
    await _announce(conn, "task.created", user_id, task)
    if parent_id is not None:
        await _progress(conn, user_id, parent_id, 1, int(body.status == "done"))
    return task


async def get(
    conn: Connection,
    user_id: uuid.UUID,
    task_id: uuid.UUID,
    project_ids: list[uuid.UUID] | None = None,
) -> TaskDocument:
    """A task the caller may read; ``project_ids``: their projects, when read elsewhere."""
    row = await repo.read(conn, user_id, task_id, project_ids)
    if row is None:
        raise NotFound(NOT_FOUND)
    return task_document(row)


_POSITION: dict[str, tuple[Kind, ...]] = {
    "created_at": ("datetime", "id"),
    "updated_at": ("datetime", "id"),
    "priority": ("rank", "id"),
    "title": ("text", "id"),
    "position": ("text", "id"),
    "due_at": ("rank", "datetime?", "id"),  # (no due date, due_at, id): see repo.sort_keys
}


def task_filter(query: TaskQuery) -> TaskFilter:
    """The list request as the repository runs it; a 422 for a cursor this listing did not
    issue or a search without a word."""
    descending = query.sort.startswith("-")
    sort_field = cast(SortField, query.sort.lstrip("-"))
    position = None
    if query.cursor:
        kinds = _POSITION[sort_field]
        position = tuple(decode_cursor(query.cursor, f"tasks:{query.sort}", kinds))
    terms = tuple(repo.search_terms(query.q)) if query.q else ()
    if query.q and not terms:
        raise ValidationProblem.single("q", "Search for at least one letter or digit.")
    return TaskFilter(
        project_id=query.project_id,
        assigned_to_me=query.assignee == "me",
        statuses=tuple(dict.fromkeys(query.status)),
        priorities=tuple(PRIORITY_RANK[p] for p in dict.fromkeys(query.priority)),
        tags=tuple(dict.fromkeys(t.strip().lower() for t in query.tag if t.strip())),
        due_before=query.due_before,
        due_after=query.due_after,
        overdue_at=utcnow() if query.overdue else None,
        terms=terms,
        top_level=bool(query.top_level),
        sort_field=sort_field,
        descending=descending,
        position=position,
        limit=query.limit,
    )


async def list_tasks(
    conn: Connection,
    user_id: uuid.UUID,
    f: TaskFilter,
    project_ids: list[uuid.UUID] | None = None,
) -> PageDocument:
    """A page of the caller's tasks. ``project_ids``: their projects, when read elsewhere (the
    primary); otherwise read here first, on ``conn``."""
    if project_ids is None:
        project_ids = await projects.member_of(conn, user_id)
    rows, last = await repo.list_page(conn, user_id, f, project_ids)
    sort = f"-{f.sort_field}" if f.descending else f.sort_field
    next_cursor = encode_cursor(f"tasks:{sort}", last) if last else None
    return {"items": [task_document(r) for r in rows], "next_cursor": next_cursor}


def _changes(
    row: AnyRow, body: TaskUpdate, now: datetime, date_due_at: datetime | None = None
) -> dict[str, Any]:
    """The columns the PATCH really changes: a field sent with the value it has already is
    no change (the version and updated_at stay, so other clients' If-Match still hold).
    ``date_due_at``: the derived instant of the ``due_date`` sent."""
    sent = body.model_fields_set
    for name in ("project_id", "title", "status", "priority", "tags"):
        if name in sent and getattr(body, name) is None:
            raise ValidationProblem.single(name, "This field cannot be null.")
    wanted: dict[str, Any] = {}
    for name in (
        "project_id",
        "assignee_id",
        "title",
        "description",
        "tags",
        "reminder_offsets",
    ):
        if name in sent:
            wanted[name] = getattr(body, name)
    if "due_at" in sent or "due_date" in sent:
        if body.due_at is not None and body.due_date is not None:
            raise ValidationProblem.single("due_date", BOTH_DUE)
        if body.due_date is not None:
            wanted["due_at"], wanted["due_date"] = date_due_at, body.due_date
        else:  # a time, or null for either: no due date
            wanted["due_at"], wanted["due_date"] = body.due_at, None
    if "priority" in sent and body.priority is not None:
        wanted["priority"] = PRIORITY_RANK[body.priority]
    values = {name: value for name, value in wanted.items() if value != getattr(row, name)}
    if "status" in sent and body.status != row.status:
        values["status"] = body.status
        values["completed_at"] = now if body.status == "done" else None
    return values


async def _refused(conn: Connection, user_id: uuid.UUID, ids: list[uuid.UUID]) -> Exception:
    """Why a write found none of ``ids`` among the tasks the caller may change: a 403 if they
    can read them (a viewer), else a 404 (someone else's task, or none)."""
    if await repo.readable_ids(conn, user_id, ids):
        return Forbidden(READ_ONLY)
    return NotFound(NOT_FOUND)


async def _writable_row(conn: Connection, user_id: uuid.UUID, task_id: uuid.UUID) -> AnyRow:
    row = await repo.get_for_update(conn, user_id, task_id)
    if row is None:
        raise await _refused(conn, user_id, [task_id])
    return row


async def update(
    conn: Connection,
    user_id: uuid.UUID,
    task_id: uuid.UUID,
    body: TaskUpdate,
    if_match: str | None,
) -> TaskDocument:
    row = await _writable_row(conn, user_id, task_id)
    if not if_match_allows(if_match, row.version):
        raise _stale(row)
    now = utcnow()
    date_due_at = None
    if body.due_date is not None:
        owner = await repo.owner_of(conn, task_id)
        date_due_at = date_only_due_at(body.due_date, await owner_zone(conn, owner))
    values = _changes(row, body, now, date_due_at)
    values.update(await _series_changes(conn, row, body, values))
    if not values:
        return task_from_row(row)
    project_id = values.get("project_id", row.project_id)
    if "project_id" in values:
        await _writable_project(conn, user_id, project_id)
        assignee = values.get("assignee_id", row.assignee_id)
        if (
            "assignee_id" not in values
            and assignee is not None
            and not await projects.is_member(conn, project_id, assignee)
        ):
            values["assignee_id"] = None  # not a member of the new project
    if values.get("assignee_id") is not None:
        await _check_assignee(conn, project_id, values["assignee_id"])
    await _before_change(conn, user_id, row, values, body.open_subtasks, now)
    values["version"] = row.version + 1
    values["updated_at"] = now
    await repo.update_task(conn, user_id, task_id, values)
    await next_occurrence(conn, user_id, row, values, now)
    await _after_change(conn, user_id, row, values, now)
    await repo.insert_history(conn, _history(user_id, task_id, row, values, now))
    task = task_document(_Written({**row._asdict(), **values}))
    await _announce(conn, _change_kind(row.status, task["status"]), user_id, task)
    if "project_id" in values:  # the old project's members see it leave
        await _announce_moved(conn, user_id, task_id, row.project_id, values["project_id"])
    return task


# --- subtasks and manual order ------------------------------------------------------------------
#
# A subtask is a task with a parent (``parent_id``) of the same project; one level only. The
# parent carries ``subtasks_total`` and ``subtasks_done``, changed by increments in each change
# of a subtask (concurrent changes all count; the parent's version does not move). Order is a
# fractional-indexing key (``position``) among siblings: a project's top-level tasks, or a
# parent's subtasks. A new task goes last; a move takes a key between its new neighbours, with
# its siblings' order serialised by a lock on their parent task or project, and the neighbours
# read with a locking read (the latest rows, whatever the isolation level).

MAX_SUBTASKS = 200
NOT_A_SIBLING = (
    "Give a task of the same list: a top-level task of its project, or a subtask of its parent."
)


class OpenSubtasks(Conflict):
    code, title = "open-subtasks", "Open subtasks"


def _jitter() -> str:
    """A few random base-62 digits, the last not zero (a key must not end in one): tasks
    added at once, unserialised, to the end of a project still get different keys."""
    digits: str = BASE_62_DIGITS
    return "".join(secrets.choice(digits) for _ in range(3)) + secrets.choice(digits[1:])


async def _last_key(conn: Connection, project_id: uuid.UUID, parent_id: uuid.UUID | None) -> str:
    """A key after every sibling's. Subtasks are added under their parent's lock; top-level
    tasks are not serialised, so theirs take a random fraction."""
    key = generate_key_between(await repo.last_position(conn, project_id, parent_id), None)
    return key if parent_id is not None else f"{key}{_jitter()}"


async def _new_subtask_parent(conn: Connection, user_id: uuid.UUID, body: TaskCreate) -> AnyRow:
    """The parent a new subtask goes under, locked: a task the caller may change, not itself a
    subtask, of ``project_id`` if that is given; a 422 on ``parent_id`` otherwise (a 403 for
    a viewer of the parent's project)."""
    assert body.parent_id is not None
    parent = await repo.get_for_update(conn, user_id, body.parent_id)
    if parent is None:
        if await repo.readable_ids(conn, user_id, [body.parent_id]):
            raise Forbidden(READ_ONLY)
        raise ValidationProblem.single("parent_id", NOT_FOUND)
    if parent.parent_id is not None:
        raise ValidationProblem.single(
            "parent_id", "That task is a subtask itself: a subtask cannot have subtasks."
        )
    if body.project_id is not None and body.project_id != parent.project_id:
        raise ValidationProblem.single(
            "project_id", "A subtask is in its parent's project: leave project_id out."
        )
    if parent.subtasks_total >= MAX_SUBTASKS:
        raise ValidationProblem.single("parent_id", f"A task has at most {MAX_SUBTASKS} subtasks.")
    return parent


async def _progress(
    conn: Connection, user_id: uuid.UUID, parent_id: uuid.UUID, total: int, done: int
) -> None:
    """A subtask was added, removed, completed or reopened: the parent's counts change, and
    its members hear of the parent's new progress."""
    if total == 0 and done == 0:
        return
    row = await repo.add_progress(conn, parent_id, total, done)
    if row is not None:
        await _announce(conn, "task.updated", user_id, task_from_row(row))


async def _before_change(
    conn: Connection,
    user_id: uuid.UUID,
    row: AnyRow,
    values: dict[str, Any],
    open_subtasks: str | None,
    now: datetime,
) -> None:
    """The subtask rules of a change: a subtask stays in its parent's project; completing a
    parent with open subtasks is the client's choice (409 until it makes one)."""
    if "project_id" in values and row.parent_id is not None:
        raise ValidationProblem.single(
            "project_id", "A subtask stays in its parent's project: move the parent."
        )
    still_open = row.subtasks_total - row.subtasks_done
    if values.get("status") != "done" or still_open <= 0:
        return
    if open_subtasks is None:
        raise OpenSubtasks(
            f"This task has {still_open} open subtask(s): send open_subtasks "
            "`complete` to complete them too, or `keep` to leave them open.",
            extra={"open_subtasks": still_open},
        )
    if open_subtasks == "complete":
        completed = 0
        for sub in await repo.subtasks_for_update(conn, row.id):
            if sub.status == "done":
                continue
            changes = {"status": "done", "completed_at": now}
            changes.update(version=sub.version + 1, updated_at=now)
            await repo.update_task(conn, user_id, sub.id, changes)
            await repo.insert_history(conn, _history(user_id, sub.id, sub, changes, now))
            task = task_document(_Written({**sub._asdict(), **changes}))
            await _announce(conn, "task.completed", user_id, task)
            completed += 1
        values["subtasks_done"] = row.subtasks_done + completed


async def _after_change(
    conn: Connection, user_id: uuid.UUID, row: AnyRow, values: dict[str, Any], now: datetime
) -> None:
    """What a change does to the task's family: a subtask done or reopened changes its
    parent's progress; a parent moved to another project takes its subtasks along."""
    if row.parent_id is not None and "status" in values:
        was, is_done = row.status == "done", values["status"] == "done"
        if was != is_done:
            await _progress(conn, user_id, row.parent_id, 0, 1 if is_done else -1)
    if "project_id" in values and row.subtasks_total:
        project_id = values["project_id"]
        for sub in await repo.subtasks_for_update(conn, row.id):
            changes: dict[str, Any] = {"project_id": project_id}
            if sub.assignee_id is not None and not await projects.is_member(
                conn, project_id, sub.assignee_id
            ):
                changes["assignee_id"] = None
            changes.update(version=sub.version + 1, updated_at=now)
            await repo.update_task(conn, user_id, sub.id, changes)
            await repo.insert_history(conn, _history(user_id, sub.id, sub, changes, now))
            task = task_document(_Written({**sub._asdict(), **changes}))
            await _announce(conn, "task.updated", user_id, task)


async def _trash_family(
    conn: Connection, user_id: uuid.UUID, rows: list[AnyRow], now: datetime
) -> None:
    """Tasks went to the trash: a parent's subtasks go with it (and come back with it); a
    subtask that goes alone leaves its parent's progress."""
    trashed = {row.id for row in rows}
    for row in rows:
        if row.parent_id is not None and row.parent_id not in trashed:
            await _progress(conn, user_id, row.parent_id, -1, -int(row.status == "done"))
    parents = [row.id for row in rows if row.subtasks_total]
    for sub in await repo.trash_subtasks(conn, parents, now):
        await _announce_deleted(conn, user_id, sub.id, sub.project_id)


async def _restore_family(conn: Connection, user_id: uuid.UUID, row: AnyRow) -> None:
    """A task came back from the trash: a subtask counts on its parent again; a parent brings
    back the subtasks that went with it."""
    if row.parent_id is not None:
        await _progress(conn, user_id, row.parent_id, 1, int(row.status == "done"))
    if row.subtasks_total:
        for sub in await repo.restore_subtasks(conn, row.id, row.deleted_at):
            await _announce(conn, "task.restored", user_id, task_from_row(sub))


async def subtasks(
    conn: Connection,
    user_id: uuid.UUID,
    task_id: uuid.UUID,
    project_ids: list[uuid.UUID] | None = None,
) -> dict[str, list[TaskDocument]]:
    """A task's subtasks in their order (a 404 if the caller may not read the task)."""
    if await repo.read(conn, user_id, task_id, project_ids) is None:
        raise NotFound(NOT_FOUND)
    rows = await repo.subtasks(conn, user_id, task_id, project_ids)
    return {"items": [task_document(r) for r in rows]}


async def _sibling(conn: Connection, row: AnyRow, anchor_id: uuid.UUID, field: str) -> AnyRow:
    if anchor_id == row.id:
        raise ValidationProblem.single(field, "Give another task than the one moved.")
    anchor = await repo.sibling(conn, row.project_id, row.parent_id, anchor_id)
    if anchor is None:
        raise ValidationProblem.single(field, NOT_A_SIBLING)
    return anchor


def _between(low: str | None, high: str | None) -> str | None:
    """A key strictly between two (None: an end), or None when there is none (a tie left by
    tasks added at once, or keys grown too long)."""
    if low is not None and high is not None and low >= high:
        return None
    key: str = generate_key_between(low, high)
    return key if len(key) <= MAX_KEY else None


MAX_KEY = 255


async def _renumber(conn: Connection, row: AnyRow) -> None:
    """Fresh, short, distinct keys for every sibling, in their present order."""
    siblings = await repo.sibling_keys(conn, row.project_id, row.parent_id)
    keys = generate_n_keys_between(None, None, len(siblings))
    await repo.set_positions(conn, [(s.id, k) for s, k in zip(siblings, keys, strict=True)])


async def move(
    conn: Connection, user_id: uuid.UUID, task_id: uuid.UUID, body: MoveTask
) -> TaskDocument:
    """Put a task right after ``after_id`` or right before ``before_id`` among its siblings.
    Moving it where it already is changes nothing (a retried move is no second change)."""
    if (body.after_id is None) == (body.before_id is None):
        raise ValidationProblem.single("after_id", "Give after_id or before_id (one of them).")
    # Only simple locking reads until the siblings' lock is held (see ``repo.neighbour``):
    # the task, its project with the caller's role (the lock of top-level siblings), and the
    # parent (the lock of subtasks).
    row = await repo.lock_task(conn, task_id)
    if row is None:
        raise NotFound(NOT_FOUND)
    try:
        await projects.require(conn, user_id, row.project_id, "editor", lock=True)
    except NotFound:
        raise NotFound(NOT_FOUND) from None
    except Forbidden:
        raise Forbidden(READ_ONLY) from None
    if row.parent_id is not None:
        await repo.lock_task(conn, row.parent_id)
    after = body.after_id is not None
    anchor_id = body.after_id if after else body.before_id
    assert anchor_id is not None
    field = "after_id" if after else "before_id"
    for _attempt in range(2):
        anchor = await _sibling(conn, row, anchor_id, field)
        other = await repo.neighbour(
            conn, row.project_id, row.parent_id, anchor, row.id, after=after
        )
        other_key = None if other is None else other.position
        low, high = (anchor.position, other_key) if after else (other_key, anchor.position)
        current = await repo.position_of(conn, row.id)
        if (low is None or low < current) and (high is None or current < high):
            return task_document(_Written({**row._asdict(), "position": current}))  # no move
        key = _between(low, high)
        if key is not None:
            break
        await _renumber(conn, row)
    else:  # pragma: no cover - fresh keys always leave room
        raise Conflict("The order could not be changed; try again.")
    now = utcnow()
    values = {"position": key, "version": row.version + 1, "updated_at": now}
    await repo.update_task(conn, user_id, task_id, values)
    task = task_document(_Written({**row._asdict(), **values}))
    await _announce(conn, "task.updated", user_id, task)
    return task


async def delete(
    conn: Connection, user_id: uuid.UUID, task_id: uuid.UUID, if_match: str | None
) -> None:
    row = await _writable_row(conn, user_id, task_id)  # its project: who hears of it
    if if_match is not None and not if_match_allows(if_match, row.version):
        raise _stale(row)
    now = utcnow()
    await repo.trash_task(conn, user_id, task_id, row.version, now)
    await _announce_deleted(conn, user_id, task_id, row.project_id)
    await _trash_family(conn, user_id, [row], now)


async def bulk(
    conn: Connection, user_id: uuid.UUID, operation: BulkSetStatus | BulkDelete
) -> list[TaskDocument]:
    """All or nothing: if any id is not a task the caller may change, nothing changes (a 404,
    or a 403 when all of those are tasks they may only read)."""
    ids = list(dict.fromkeys(operation.ids))
    rows = await repo.get_many_for_update(conn, user_id, ids)
    found = {row.id for row in rows}
    missing = [str(i) for i in ids if i not in found]
    if missing:
        refused = [i for i in ids if i not in found]
        if await repo.readable_ids(conn, user_id, refused) == set(refused):
            raise Forbidden(READ_ONLY)
        raise NotFound(
            f"{len(missing)} of the tasks do not exist; nothing was changed.",
            extra={"missing_ids": missing},
        )
    if isinstance(operation, BulkDelete):
        trashed_at = utcnow()
        await repo.trash_many(conn, user_id, ids, trashed_at)
        for row in rows:
            await _announce_deleted(conn, user_id, row.id, row.project_id)
        await _trash_family(conn, user_id, rows, trashed_at)
        return []
    now = utcnow()
    await repo.set_status_many(conn, user_id, ids, operation.status, now)
    await repo.insert_history(
        conn,
        [
            entry
            for row in rows
            for entry in _history(user_id, row.id, row, {"status": operation.status}, now)
        ],
    )
    changed = []
    for row in rows:
        values = row._asdict()
        if row.status != operation.status:
            values.update(
                status=operation.status,
                completed_at=(row.completed_at or now) if operation.status == "done" else None,
                version=row.version + 1,
                updated_at=now,
            )
        task = task_document(_Written(values))
        changed.append(task)
        if row.status != operation.status:
            await _announce(conn, _change_kind(row.status, operation.status), user_id, task)
            await next_occurrence(conn, user_id, row, {"status": operation.status}, now)
    await _bulk_progress(conn, user_id, rows, operation.status)
    return changed


async def _bulk_progress(
    conn: Connection, user_id: uuid.UUID, rows: list[AnyRow], status: str
) -> None:
    """The parents' progress after subtasks changed status at once (a parent completed this
    way leaves its subtasks as they are: the client chose the tasks)."""
    done: dict[uuid.UUID, int] = {}
    for row in rows:
        if row.parent_id is not None and (row.status == "done") != (status == "done"):
            done[row.parent_id] = done.get(row.parent_id, 0) + (1 if status == "done" else -1)
    for parent_id in sorted(done):
        await _progress(conn, user_id, parent_id, 0, done[parent_id])


def _stats_key(user_id: uuid.UUID) -> str:
    return shared_key("stats", user_id)


async def cached_stats(ctx: AppContext, user_id: uuid.UUID, timezone: str) -> bytes:
    """The dashboard counts as JSON, through the shared cache. Filled from the primary;
    dropped by every task write of the user; kept at most ``cache_stats_ttl_seconds`` (which
    also bounds how late a task shows as overdue)."""
    today = utcnow().astimezone(ZoneInfo(timezone)).date().isoformat()
    stamp = f"{timezone}|{today}|".encode()
    raw = await ctx.cache.get(_stats_key(user_id))
    if raw is not None and raw.startswith(stamp):
        return raw[len(stamp) :]
    async with ctx.db.primary_reader() as conn:
        payload = orjson.dumps(await stats(conn, user_id, timezone))
    await ctx.cache.set(_stats_key(user_id), stamp + payload, ctx.settings.cache_stats_ttl_seconds)
    return payload


async def forget_stats(ctx: AppContext, user_id: uuid.UUID) -> None:
    await ctx.cache.delete(_stats_key(user_id))


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone)


async def stats(conn: Connection, user_id: uuid.UUID, timezone: str) -> dict[str, Any]:
    """Counts for the dashboard. Day boundaries are computed here, in the user's zone (DST
    included), not by the database, which may lack time-zone tables."""
    zone = ZoneInfo(timezone)
    now = utcnow()
    today = now.astimezone(zone).date()
    day_start = _local_midnight(today, zone)
    day_end = _local_midnight(today + timedelta(days=1), zone)
    by_status = dict.fromkeys(STATUSES, 0)
    by_priority = dict.fromkeys(PRIORITIES, 0)
    overdue = due_today = 0
    for row in await repo.counts(conn, user_id, now, day_start, day_end):
        by_status[row.status] += row.n
        by_priority[PRIORITY_NAME[row.priority]] += row.n
        overdue += int(row.overdue or 0)
        due_today += int(row.due_today or 0)
    first_day = today - timedelta(days=STATS_DAYS - 1)
    per_day = dict.fromkeys((first_day + timedelta(days=i) for i in range(STATS_DAYS)), 0)
    for completed in await repo.completed_since(conn, user_id, _local_midnight(first_day, zone)):
        local_day = completed.astimezone(zone).date()
        if local_day in per_day:
            per_day[local_day] += 1
    return {
        "timezone": timezone,
        "total": sum(by_status.values()),
        "by_status": by_status,
        "by_priority": by_priority,
        "overdue": overdue,
        "due_today": due_today,
        "completed_per_day": [{"date": d.isoformat(), "count": n} for d, n in per_day.items()],
    }


async def open_counts(
    conn: Connection, user_id: uuid.UUID, project_ids: list[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """How many tasks are not done, per project (those the caller may read)."""
    if not project_ids:
        return {}
    rows = await repo.open_counts(conn, user_id, project_ids)
    return {uuid.UUID(str(row.project_id)): row.n for row in rows}


async def projects_of(conn: Connection, task_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    return await repo.project_of(conn, task_ids)


async def unassign(conn: Connection, project_id: uuid.UUID, user_id: uuid.UUID) -> None:
    await repo.unassign(conn, project_id, user_id, utcnow())


async def hand_over(
    conn: Connection, project_id: uuid.UUID, from_user: uuid.UUID, to_user: uuid.UUID
) -> None:
    """The tasks ``from_user`` made in a project become ``to_user``'s (an account leaving);
    their date-only due dates are read in ``to_user``'s zone from then on."""
    await repo.hand_over(conn, project_id, from_user, to_user)
    await follow_owner_zone(conn, to_user, await owner_zone(conn, to_user))


# --- the history of changes ---------------------------------------------------------------------

#: The fields whose changes the history keeps (a description's values are not copied).
HISTORY_FIELDS: tuple[str, ...] = get_args(HistoryField)


def _history_text(name: str, value: Any) -> str | None:
    if value is None or name == "description":
        return None
    if name == "priority":
        return PRIORITY_NAME[value]
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or None
    return str(value)


def _history(
    user_id: uuid.UUID, task_id: uuid.UUID, row: Any, values: dict[str, Any], now: datetime
) -> list[dict[str, Any]]:
    """The history rows of a change of ``row`` to ``values`` (written in its transaction)."""
    return [
        {
            "id": uuid7(),
            "task_id": task_id,
            "user_id": user_id,
            "field": name,
            "old_value": _history_text(name, getattr(row, name, None)),
            "new_value": _history_text(name, values[name]),
            "created_at": now,
        }
        for name in HISTORY_FIELDS
        if name in values and values[name] != getattr(row, name, None)
    ]


async def history(
    conn: Connection, user_id: uuid.UUID, task_id: uuid.UUID, cursor: str | None, limit: int
) -> dict[str, Any]:
    """A page of a task's changes, newest first (a 404 unless the caller may read the task)."""
    before = None
    if cursor:
        at, last_id = decode_cursor(cursor, "task-history", ("datetime", "id"))
        before = (at, last_id)
    await readable_project(conn, user_id, task_id)
    rows = await repo.history_page(conn, task_id, before, limit)
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor("task-history", [rows[-1].created_at, rows[-1].id])
    names = await users.display_names(conn, (row.user_id for row in rows))
    items = [
        {
            "id": str(row.id),
            "user_id": None if row.user_id is None else str(row.user_id),
            "user_name": names[row.user_id],
            "field": row.field,
            "old_value": row.old_value,
            "new_value": row.new_value,
            "created_at": row.created_at,
        }
        for row in rows
    ]
    return {"items": items, "next_cursor": next_cursor}


# --- what comments ask of their task ------------------------------------------------------------

COMMENT_READ_ONLY = "You can read this task but not comment on it: you are a viewer of its project."


async def readable_project(conn: Connection, user_id: uuid.UUID, task_id: uuid.UUID) -> uuid.UUID:
    """The project of a task the caller may read; a 404 otherwise (someone else's, or none)."""
    row = await repo.read(conn, user_id, task_id)
    if row is None:
        raise NotFound(NOT_FOUND)
    return uuid.UUID(_id_text(row.project_id))


async def commentable_project(
    conn: Connection, user_id: uuid.UUID, task_id: uuid.UUID
) -> uuid.UUID:
    """The project of a task the caller may comment on (an editor or owner of it), the task's
    row locked until the transaction ends; a 403 for a viewer, a 404 for anyone else."""
    row = await repo.get_for_update(conn, user_id, task_id)
    if row is None:
        if await repo.readable_ids(conn, user_id, [task_id]):
            raise Forbidden(COMMENT_READ_ONLY)
        raise NotFound(NOT_FOUND)
    return uuid.UUID(str(row.project_id))


async def count_comments(conn: Connection, task_id: uuid.UUID, delta: int) -> int:
    """Add ``delta`` to the task's comment count; its new value."""
    return await repo.add_comments(conn, task_id, delta)


# --- recurring tasks ----------------------------------------------------------------------------
#
# A recurring task keeps its rule, the zone and the local start it is evaluated from, and its
# place in its series (``tasks.recurrence``). Completing occurrence n of a series makes
# occurrence n + 1 in the same transaction, at most once: the completed row is locked for the
# change (a concurrent or retried completion finds it done and changes nothing), the next is
# looked for before it is made, and the unique key on (series_id, occurrence) refuses a second
# whatever happens. Setting a rule, or moving the due date of a recurring task, starts the
# series over from that due date, in the owner's zone of the moment.

_SERIES = ("recurrence", "recurrence_zone", "recurrence_start", "series_id", "occurrence")
NEEDS_DUE = "A recurring task needs a due date: give due_at or due_date too."


def _rule_problem(error: recurrence.RuleError) -> ValidationProblem:
    return ValidationProblem.single("recurrence", str(error))


async def _series(
    conn: Connection, owner: uuid.UUID, rule: str, due_at: Any, due_date: Any
) -> dict[str, Any]:
    zone = await owner_zone(conn, owner)
    start = recurrence.local_start(due_at, due_date, zone)
    try:
        series = recurrence.normalise(rule, zone, start)
    except recurrence.RuleError as error:
        raise _rule_problem(error) from None
    return {"recurrence": series.rule, "recurrence_zone": zone, "recurrence_start": start}


async def _new_series(
    conn: Connection, user_id: uuid.UUID, rule: str | None, values: dict[str, Any]
) -> dict[str, Any]:
    """The series columns of a new task: its rule makes it occurrence 1 of its own series."""
    if rule is None:
        return dict.fromkeys(_SERIES)
    if values["due_at"] is None:
        raise ValidationProblem.single("recurrence", NEEDS_DUE)
    series = await _series(conn, user_id, rule, values["due_at"], values.get("due_date"))
    return {**series, "series_id": values["id"], "occurrence": 1}


async def _series_changes(
    conn: Connection, row: AnyRow, body: TaskUpdate, values: dict[str, Any]
) -> dict[str, Any]:
    """What a change does to the task's series: a rule set, changed or removed (null); a due
    date moved starts it over from there; no due date left ends it."""
    sent = "recurrence" in body.model_fields_set
    moved = "due_at" in values or "due_date" in values
    rule = body.recurrence if sent else row.recurrence
    if not (moved and rule is not None) and (not sent or rule == row.recurrence):
        return {}  # the rule sent back as it is (an editor saving every field): no change
    due_at = values.get("due_at", row.due_at)
    due_date = values.get("due_date", getattr(row, "due_date", None))
    if rule is not None and due_at is None:
        if sent:
            raise ValidationProblem.single("recurrence", NEEDS_DUE)
        rule = None  # the due date was removed: the task no longer repeats
    if rule is None:
        new: dict[str, Any] = dict.fromkeys(_SERIES)
    else:
        owner = await repo.creator_of(conn, row.id)
        new = await _series(conn, owner, rule, due_at, due_date)
        new["series_id"] = row.series_id or row.id
        new["occurrence"] = row.occurrence or 1
    return {name: value for name, value in new.items() if value != getattr(row, name)}


async def next_occurrence(
    conn: Connection, user_id: uuid.UUID, row: AnyRow, values: dict[str, Any], now: datetime
) -> TaskDocument | None:
    """The next occurrence of a recurring task that ``values`` complete (``row``: the task
    before, locked), made once; None if the change completes nothing, the task does not
    repeat, its series has ended (COUNT, UNTIL) or its next occurrence exists already."""
    if values.get("status") != "done" or row.status == "done":
        return None
    task = {**row._asdict(), **values}
    if task["recurrence"] is None or task["due_at"] is None:
        return None
    zone = task["recurrence_zone"]
    series = recurrence.Series(task["recurrence"], zone, task["recurrence_start"])
    index = task["occurrence"] or 1
    current: Any = task.get("due_date")
    if current is None:
        current = recurrence.local_start(task["due_at"], None, zone)
    following = recurrence.next_local(series, _local(current), index)
    if following is None or await repo.occurrence_exists(conn, task["series_id"], index + 1):
        return None
    owner = await repo.creator_of(conn, row.id)
    if isinstance(following, datetime):
        due: dict[str, Any] = {"due_at": recurrence.instant(following, zone)}
        if "due_date" in task:
            due["due_date"] = None
        start = following.isoformat(timespec="seconds")
    else:
        day_end = date_only_due_at(following, await owner_zone(conn, owner))
        due = {"due_at": day_end, "due_date": following}
        start = following.isoformat()
    task.update(
        due,
        id=uuid7(),
        status="todo",
        completed_at=None,
        version=1,
        created_at=now,
        updated_at=now,
        recurrence_start=start,
        occurrence=index + 1,
    )
    for counter in ("comment_count", "subtasks_total", "subtasks_done"):
        if counter in task:
            task[counter] = 0
    await repo.insert_task(conn, owner, task)
    document = task_document(_Written(task))
    await _announce(conn, "task.created", user_id, document)
    if task.get("parent_id") is not None:  # a recurring subtask: its parent has one more
        await _progress(conn, user_id, task["parent_id"], 1, 0)
    return document


def _local(value: Any) -> datetime | date:
    """A series' local start text, or a date, as the value ``recurrence`` reads."""
    if isinstance(value, str):
        return datetime.fromisoformat(value)
    assert isinstance(value, date)
    return value


def preview_recurrence(rule: str, start: str, zone: str, count: int) -> dict[str, Any]:
    """The first ``count`` occurrences of a series a task due at ``start`` would start."""
    try:
        first = _preview_start(start, zone)
    except ValueError:
        raise ValidationProblem.single(
            "start", "Use a date (2026-12-07) or a date and time (2026-12-07T09:00)."
        ) from None
    try:
        series, found = recurrence.preview(rule, first, zone, count)
    except recurrence.RuleError as error:
        raise ValidationProblem.single("rule", str(error)) from None
    occurrences = [
        {"due_at": recurrence.instant(item, zone), "due_date": None}
        if isinstance(item, datetime)
        else {"due_at": None, "due_date": item}
        for item in found
    ]
    return {"rule": series.rule, "timezone": zone, "occurrences": occurrences}


def _preview_start(text: str, zone: str) -> str:
    """A preview's start as a series' local start: a date, or a wall time in ``zone``."""
    value = text.strip()
    if len(value) == 10:
        day = date.fromisoformat(value)
        if not 1970 <= day.year <= 9999:
            raise ValueError(value)
        return day.isoformat()
    moment = datetime.fromisoformat(value)
    if not 1970 <= moment.year <= 9999:
        raise ValueError(value)
    if moment.tzinfo is not None:
        return recurrence.local_start(moment, None, zone)
    return moment.replace(microsecond=0).isoformat(timespec="seconds")


# --- the trash ----------------------------------------------------------------------------------

#: How long a deleted task stays restorable; the worker purges it after that.
TRASH_DAYS = 30
_TRASH_POSITION: tuple[Kind, ...] = ("datetime", "id")
_TRASH_LISTING = "trash"


class TrashedDocument(TaskDocument):
    """A task in the trash (``schemas.TrashedTaskOut``)."""

    deleted_at: datetime
    purge_at: datetime


def trashed_document(row: Any) -> TrashedDocument:
    purge_at = row.deleted_at + timedelta(days=TRASH_DAYS)
    return cast(
        TrashedDocument, {**task_document(row), "deleted_at": row.deleted_at, "purge_at": purge_at}
    )


class TrashPageDocument(TypedDict):
    items: list[TrashedDocument]
    next_cursor: str | None


def trash_position(cursor: str | None) -> list[Any] | None:
    """The Trash cursor's position; a 422 for one this listing did not issue."""
    return None if cursor is None else decode_cursor(cursor, _TRASH_LISTING, _TRASH_POSITION)


async def list_trash(
    conn: Connection,
    user_id: uuid.UUID,
    position: list[Any] | None,
    limit: int,
    project_ids: list[uuid.UUID] | None = None,
) -> TrashPageDocument:
    """The deleted tasks of the caller's projects, the most recently deleted first."""
    if project_ids is None:
        project_ids = await projects.member_of(conn, user_id)
    rows, last = await repo.trash_page(conn, project_ids, position, limit)
    next_cursor = encode_cursor(_TRASH_LISTING, last) if last else None
    return {"items": [trashed_document(r) for r in rows], "next_cursor": next_cursor}


async def _trashed_row(conn: Connection, user_id: uuid.UUID, task_id: uuid.UUID) -> AnyRow:
    """A task of the caller's Trash they may restore or delete: a 403 for a viewer of its
    project, a 404 for anyone else or a task not in the trash."""
    row = await repo.get_trashed_for_update(conn, user_id, task_id)
    if row is None:
        if await repo.trashed_readable(conn, user_id, task_id):
            raise Forbidden(READ_ONLY)
        raise NotFound("No such task in the trash.")
    return row


async def restore(conn: Connection, user_id: uuid.UUID, task_id: uuid.UUID) -> TaskDocument:
    """Take a task out of the trash, as it was (its version and fields unchanged)."""
    row = await _trashed_row(conn, user_id, task_id)
    if row.parent_id is not None and await repo.is_trashed(conn, row.parent_id):
        raise Conflict(
            "Its parent task is in the trash: restore the parent, and it comes back too."
        )
    await repo.restore(conn, task_id)
    values = row._asdict()
    values.pop("deleted_at")
    task = task_document(_Written(values))
    await _announce(conn, "task.restored", user_id, task)
    await _restore_family(conn, user_id, row)
    return task


async def delete_forever(conn: Connection, user_id: uuid.UUID, task_id: uuid.UUID) -> uuid.UUID:
    """Delete a task of the trash for good; its project."""
    row = await _trashed_row(conn, user_id, task_id)
    await repo.delete_trashed(conn, task_id)
    await _announce_purged(conn, user_id, task_id, row.project_id)
    project_id: uuid.UUID = row.project_id
    return project_id


async def _announce_purged(
    conn: Connection, user_id: uuid.UUID | None, task_id: uuid.UUID, project_id: uuid.UUID
) -> None:
    await events.record(
        conn,
        "task.purged",
        user_id,
        task_id,
        {"id": str(task_id), "project_id": str(project_id)},
        project_id=project_id,
    )


async def purge_trash(conn: Connection, now: datetime, limit: int = 500) -> int:
    """Delete for good up to ``limit`` tasks that went to the trash more than ``TRASH_DAYS``
    before ``now``; how many. Each is announced (``task.purged``, by nobody) so open Trash
    views drop it."""
    rows = await repo.purge_ids(conn, now - timedelta(days=TRASH_DAYS), limit)
    await repo.delete_ids(conn, [row.id for row in rows])
    for row in rows:
        await _announce_purged(conn, None, row.id, row.project_id)
    return len(rows)
