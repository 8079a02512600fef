"""Rules of the tasks domain."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy.ext.asyncio import AsyncConnection

from tasklane.core.context import AppContext
from tasklane.core.errors import NotFound, PreconditionFailed, ValidationProblem
from tasklane.core.pagination import decode_cursor, encode_cursor
from tasklane.core.shared import key as shared_key
from tasklane.core.types import AnyRow, utcnow, uuid7
from tasklane.tasks import repository as repo
from tasklane.tasks.schemas import (
    PRIORITIES,
    PRIORITY_NAME,
    PRIORITY_RANK,
    STATUSES,
    BulkDelete,
    BulkSetStatus,
    TaskCreate,
    TaskUpdate,
)

Task = dict[str, Any]  # shaped as schemas.TaskOut, written by core.encoding

NOT_FOUND = "No such task."
STATS_DAYS = 14


def _id_text(value: Any) -> str:
    """A task id as stored: 16 bytes, or a UUID (PostgreSQL, and values just written)."""
    if type(value) is bytes:
        h = value.hex()
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
    return str(value)


def task_document(row: Any) -> Task:
    """A row of ``repo.read_columns`` (values in ``repo.COLUMNS`` order, as the driver returns
    them) as the API's JSON, for ``core.encoding``: it writes the timestamps (naive ones are
    UTC), and the tags, stored as JSON text, are passed through as they are."""
    tags = row[7]
    return {
        "id": _id_text(row[0]),
        "title": row[1],
        "description": row[2],
        "status": row[3],
        "priority": PRIORITY_NAME[row[4]],
        "due_at": row[5],
        "completed_at": row[6],
        "tags": orjson.Fragment(tags) if type(tags) is str else tags,
        "version": row[8],
        "created_at": row[9],
        "updated_at": row[10],
    }


_FIELDS = tuple(column.name for column in repo.COLUMNS)


def _utc(value: Any) -> Any:
    return value.astimezone(UTC) if isinstance(value, datetime) else value


def task_from_row(row: Any) -> Task:
    """A typed row, or anything with its attributes (the values just written), as the same
    document: timestamps brought to UTC (a just-written ``due_at`` keeps the client's offset)."""
    return task_document([_utc(getattr(row, name)) for name in _FIELDS])


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


async def create(conn: AsyncConnection, user_id: uuid.UUID, body: TaskCreate) -> Task:
    now = utcnow()
    values: dict[str, Any] = {
        "id": uuid7(),
        "title": body.title,
        "description": body.description,
        "status": body.status,
        "priority": PRIORITY_RANK[body.priority],
        "due_at": body.due_at,
        "completed_at": now if body.status == "done" else None,
        "tags": body.tags,
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }
    await repo.insert_task(conn, user_id, values)
    return task_from_row(_RowLike(values))


class _RowLike:
    """Attribute access over the values just written, so a write needs no re-read."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)


async def get(conn: AsyncConnection, user_id: uuid.UUID, task_id: uuid.UUID) -> Task:
    row = await repo.read(conn, user_id, task_id)
    if row is None:
        raise NotFound(NOT_FOUND)
    return task_document(row)


@dataclass
class ListParams:
    statuses: Sequence[str]
    priorities: Sequence[str]
    tags: Sequence[str]
    due_before: datetime | None
    due_after: datetime | None
    overdue: bool | None
    q: str | None
    sort: str
    limit: int
    cursor: str | None


_SMALLINT_MAX = 32767


def _decode_position(sort_field: str, raw: list[Any]) -> list[Any]:
    """Turn a cursor's JSON values back into the sort keys' Python types."""
    kinds = {
        "created_at": ["dt", "id"],
        "updated_at": ["dt", "id"],
        "priority": ["int", "id"],
        "title": ["str", "id"],
        "due_at": ["int", "dt", "id"],
    }[sort_field]
    if len(raw) != len(kinds):
        raise ValueError("wrong arity")
    decoded: list[Any] = []
    for kind, value in zip(kinds, raw, strict=True):
        if value is None:
            decoded.append(None)
        elif kind == "int":
            # Ranks and flags: anything else would overflow the SMALLINT column (500/503).
            if type(value) is not int or not 0 <= value <= _SMALLINT_MAX:
                raise ValueError("not a rank")
            decoded.append(value)
        elif not isinstance(value, str):
            raise TypeError("expected a string")
        elif kind == "dt":
            parsed = datetime.fromisoformat(value)
            if parsed.tzinfo is None:
                raise ValueError("naive timestamp")
            try:
                decoded.append(parsed.astimezone(UTC))
            except OverflowError as error:  # e.g. year 1 with a positive offset
                raise ValueError("timestamp out of range") from error
        elif kind == "id":
            decoded.append(uuid.UUID(value))
        else:
            decoded.append(value)
    return decoded


def _encode_position(values: list[Any]) -> list[Any]:
    out: list[Any] = []
    for value in values:
        if isinstance(value, datetime):
            out.append(value.isoformat())
        elif isinstance(value, uuid.UUID):
            out.append(str(value))
        else:
            out.append(value)
    return out


async def list_tasks(
    conn: AsyncConnection, user_id: uuid.UUID, params: ListParams
) -> tuple[list[Task], str | None]:
    descending = params.sort.startswith("-")
    sort_field = params.sort.lstrip("-")
    cursor_kind = f"tasks:{params.sort}"
    position = None
    if params.cursor:
        try:
            position = _decode_position(sort_field, decode_cursor(params.cursor, cursor_kind))
        except (TypeError, ValueError) as error:
            raise ValidationProblem.single("cursor", "Invalid cursor.") from error
    terms = repo.search_terms(params.q) if params.q else []
    if params.q and not terms:
        raise ValidationProblem.single("q", "Search for at least one letter or digit.")
    query = repo.ListQuery(
        statuses=list(dict.fromkeys(params.statuses)),
        priorities=[PRIORITY_RANK[p] for p in dict.fromkeys(params.priorities)],
        tags=[t.strip().lower() for t in params.tags if t.strip()],
        due_before=params.due_before,
        due_after=params.due_after,
        overdue_at=utcnow() if params.overdue else None,
        terms=terms,
        sort_field=sort_field,
        descending=descending,
        position=position,
        limit=params.limit,
    )
    rows, last = await repo.list_page(conn, user_id, query)
    next_cursor = encode_cursor(cursor_kind, _encode_position(last)) if last else None
    return [task_document(r) for r in rows], next_cursor


def _changes(row: AnyRow, body: TaskUpdate, now: datetime) -> dict[str, Any]:
    sent = body.model_fields_set
    values: dict[str, Any] = {}
    for name in ("title", "status", "priority", "tags"):
        if name in sent and getattr(body, name) is None:
            raise ValidationProblem.single(name, "This field cannot be null.")
    if "title" in sent:
        values["title"] = body.title
    if "description" in sent:
        values["description"] = body.description
    if "priority" in sent and body.priority is not None:
        values["priority"] = PRIORITY_RANK[body.priority]
    if "due_at" in sent:
        values["due_at"] = body.due_at
    if "tags" in sent:
        values["tags"] = body.tags
    if "status" in sent and body.status != row.status:
        values["status"] = body.status
        values["completed_at"] = now if body.status == "done" else None
    return values


async def update(
    conn: AsyncConnection,
    user_id: uuid.UUID,
    task_id: uuid.UUID,
    body: TaskUpdate,
    if_match: str | None,
) -> Task:
    row = await repo.get_for_update(conn, user_id, task_id)
    if row is None:
        raise NotFound(NOT_FOUND)
    if not if_match_allows(if_match, row.version):
        raise _stale(row)
    now = utcnow()
    values = _changes(row, body, now)
    if not values:
        return task_from_row(row)
    values["version"] = row.version + 1
    values["updated_at"] = now
    await repo.update_task(conn, user_id, task_id, values)
    return task_from_row(_RowLike({**row._asdict(), **values}))


async def delete(
    conn: AsyncConnection, user_id: uuid.UUID, task_id: uuid.UUID, if_match: str | None
) -> None:
    if if_match is None:
        if not await repo.delete_task(conn, user_id, task_id, None):
            raise NotFound(NOT_FOUND)
        return
    row = await repo.get_for_update(conn, user_id, task_id)
    if row is None:
        raise NotFound(NOT_FOUND)
    if not if_match_allows(if_match, row.version):
        raise _stale(row)
    await repo.delete_task(conn, user_id, task_id, row.version)


async def bulk(
    conn: AsyncConnection, user_id: uuid.UUID, operation: BulkSetStatus | BulkDelete
) -> list[Task]:
    """All or nothing: if any id is not one of the caller's tasks, nothing changes (404)."""
    ids = list(dict.fromkeys(operation.ids))
    rows = await repo.get_many_for_update(conn, user_id, ids)
    found = {row.id for row in rows}
    missing = [str(i) for i in ids if i not in found]
    if missing:
        raise NotFound(
            f"{len(missing)} of the tasks do not exist; nothing was changed.",
            extra={"missing_ids": missing},
        )
    if isinstance(operation, BulkDelete):
        await repo.delete_many(conn, user_id, ids)
        return []
    now = utcnow()
    await repo.set_status_many(conn, user_id, ids, operation.status, now)
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
        changed.append(task_from_row(_RowLike(values)))
    return changed


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


async def stats(conn: AsyncConnection, user_id: uuid.UUID, timezone: str) -> dict[str, Any]:
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
