"""Rules of the notification service: reminders before a task is due, in-app notifications.

Reminders follow the task's current state, read when an event about it is handled, not the
event's payload: events of one task may be handled out of order by several workers, and the
answer is the same whatever the order (idempotent and order-independent).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from tasklane.core.errors import NotFound
from tasklane.core.pagination import decode_cursor, encode_cursor
from tasklane.core.types import AnyRow, utcnow, uuid7
from tasklane.events.schemas import Event
from tasklane.notifications import repository as repo
from tasklane.notifications.schemas import NotificationOut, NotificationPage
from tasklane.tasks import service as tasks

#: The consumer's name in the handled-events record.
REMINDERS = "reminders"


async def plan_reminders(conn: AsyncConnection, event: Event, offsets: Sequence[int]) -> None:
    """Bring the task's reminders in line with the task as it is now: one per offset (minutes
    before its due time) while it is open; none once it is done or deleted. A reminder whose
    time had passed when the change was made is not planned, but one that passed since (the
    worker was down) still fires, late. A reminder that fired already is never planned
    again."""
    if event.subject_id is None or not event.kind.startswith("task."):
        return
    task = await tasks.reminder_view(conn, event.subject_id)
    rows: list[dict[str, Any]] = []
    if task is not None and task.status != "done" and task.due_at is not None:
        now = utcnow()
        fired = await repo.fired_offsets(conn, event.subject_id)
        for offset in sorted(set(offsets)):
            fire_at = task.due_at - timedelta(minutes=offset)
            if fire_at > event.created_at and (offset, fire_at) not in fired:
                rows.append(
                    {
                        "id": uuid7(),
                        "user_id": task.user_id,
                        "task_id": event.subject_id,
                        "offset_minutes": offset,
                        "fire_at": fire_at,
                        "created_at": now,
                    }
                )
    await repo.replace_reminders(conn, event.subject_id, rows)


def _reminder_text(offset: int) -> str:
    if offset == 0:
        return "Due now."
    if offset % 1440 == 0:
        days = offset // 1440
        return f"Due in {days} day{'s' if days > 1 else ''}."
    if offset % 60 == 0:
        hours = offset // 60
        return f"Due in {hours} hour{'s' if hours > 1 else ''}."
    return f"Due in {offset} minutes."


async def fire_due(conn: AsyncConnection, limit: int = 100) -> int:
    """Fire the reminders whose time has come: each becomes an in-app notification and is
    marked fired in this transaction (rows locked, others' skipped: once however many
    workers run). How many fired."""
    now = utcnow()
    fired = 0
    for reminder in await repo.due_reminders(conn, now, limit):
        task = await tasks.reminder_view(conn, reminder.task_id)
        if task is not None and task.status != "done":
            await repo.insert_notification(
                conn,
                {
                    "id": uuid7(),
                    "user_id": reminder.user_id,
                    "kind": "reminder",
                    "task_id": reminder.task_id,
                    "title": task.title,
                    "body": _reminder_text(reminder.offset_minutes),
                    "created_at": now,
                },
            )
            fired += 1
        await repo.mark_fired(conn, reminder.id, now)
    return fired


def _out(row: AnyRow) -> NotificationOut:
    return NotificationOut(
        id=row.id,
        kind=row.kind,
        task_id=row.task_id,
        title=row.title,
        body=row.body,
        created_at=row.created_at,
        read_at=row.read_at,
    )


async def page(
    conn: AsyncConnection,
    user_id: uuid.UUID,
    cursor: str | None,
    limit: int,
    *,
    unread_only: bool,
) -> NotificationPage:
    listing = "notifications:unread" if unread_only else "notifications"
    before = decode_cursor(cursor, listing, ("id",))[0] if cursor else None
    rows = await repo.page(conn, user_id, before, limit + 1, unread_only=unread_only)
    next_cursor = encode_cursor(listing, [rows[limit - 1].id]) if len(rows) > limit else None
    return NotificationPage(items=[_out(row) for row in rows[:limit]], next_cursor=next_cursor)


async def unread_count(conn: AsyncConnection, user_id: uuid.UUID) -> int:
    return await repo.unread_count(conn, user_id)


async def mark_read(
    conn: AsyncConnection, user_id: uuid.UUID, notification_id: uuid.UUID | None
) -> None:
    """Mark one notification (someone else's is a 404), or all, read."""
    matched = await repo.mark_read(conn, user_id, notification_id, utcnow())
    if notification_id is not None and matched == 0:
        raise NotFound("No such notification.")
