"""All SQL of the notification service."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update

from tasklane.core.sql import Connection, IntegrityError
from tasklane.core.types import AnyRow
from tasklane.notifications.models import (
    digest_schedule,
    link_secrets,
    notifications,
    outgoing_mail,
    reminders,
)


async def replace_reminders(
    conn: Connection, task_id: uuid.UUID, rows: list[dict[str, Any]]
) -> None:
    """The task's unfired reminders become ``rows`` (fired ones are kept: they happened)."""
    await conn.execute(
        delete(reminders).where(reminders.c.task_id == task_id, reminders.c.fired_at.is_(None))
    )
    if rows:
        await conn.execute(insert(reminders), rows)


async def fired_offsets(conn: Connection, task_id: uuid.UUID) -> set[tuple[int, datetime]]:
    """(offset, fire_at) of the task's reminders that fired already."""
    stmt = select(reminders.c.offset_minutes, reminders.c.fire_at).where(
        reminders.c.task_id == task_id, reminders.c.fired_at.is_not(None)
    )
    return {(row.offset_minutes, row.fire_at) for row in await conn.execute(stmt)}


async def due_reminders(conn: Connection, now: datetime, limit: int) -> list[AnyRow]:
    """Reminders whose time has come, locked until the transaction ends; those another
    worker has locked are skipped, so each fires once however many workers run."""
    stmt = (
        select(reminders)
        .where(reminders.c.fired_at.is_(None), reminders.c.fire_at <= now)
        .order_by(reminders.c.fire_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list((await conn.execute(stmt)).all())


async def mark_fired(conn: Connection, reminder_id: uuid.UUID, now: datetime) -> None:
    await conn.execute(update(reminders).where(reminders.c.id == reminder_id).values(fired_at=now))


async def insert_notification(conn: Connection, values: dict[str, Any]) -> None:
    await conn.execute(insert(notifications).values(**values))


async def page(
    conn: Connection,
    user_id: uuid.UUID,
    before: uuid.UUID | None,
    limit: int,
    *,
    unread_only: bool,
) -> list[AnyRow]:
    """The user's notifications, newest first, after the cursor's id."""
    where = [notifications.c.user_id == user_id]
    if before is not None:
        where.append(notifications.c.id < before)
    if unread_only:
        where.append(notifications.c.read_at.is_(None))
    stmt = select(notifications).where(*where).order_by(notifications.c.id.desc()).limit(limit)
    return list((await conn.execute(stmt)).all())


async def unread_count(conn: Connection, user_id: uuid.UUID) -> int:
    stmt = select(func.count()).where(
        notifications.c.user_id == user_id, notifications.c.read_at.is_(None)
    )
    return int((await conn.execute(stmt)).scalar_one())


async def mark_read(
    conn: Connection, user_id: uuid.UUID, notification_id: uuid.UUID | None, now: datetime
) -> int:
    """Mark one of the user's notifications read (how many matched: 0 or 1), or all of its
    unread ones (``notification_id`` None). A notification read already keeps its time."""
    where = [notifications.c.user_id == user_id]
    if notification_id is None:
        where.append(notifications.c.read_at.is_(None))
    else:
        where.append(notifications.c.id == notification_id)
    result = await conn.execute(
        update(notifications)
        .where(*where)
        .values(read_at=func.coalesce(notifications.c.read_at, now))
    )
    return result.rowcount


async def insert_mail(conn: Connection, values: dict[str, Any]) -> None:
    await conn.execute(insert(outgoing_mail).values(**values))


async def unsent_mail(conn: Connection, limit: int) -> list[AnyRow]:
    """Mail not sent yet, oldest first, locked (others' skipped): each is sent by one worker."""
    stmt = (
        select(outgoing_mail)
        .where(outgoing_mail.c.sent_at.is_(None))
        .order_by(outgoing_mail.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list((await conn.execute(stmt)).all())


async def mark_sent(conn: Connection, mail_id: uuid.UUID, now: datetime) -> None:
    """Sent: the record stays (Message-ID, when), the body goes (it may hold a secret link)."""
    await conn.execute(
        update(outgoing_mail)
        .where(outgoing_mail.c.id == mail_id)
        .values(sent_at=now, text_body=None, html_body=None)
    )


async def count_attempt(conn: Connection, mail_id: uuid.UUID) -> None:
    await conn.execute(
        update(outgoing_mail)
        .where(outgoing_mail.c.id == mail_id)
        .values(attempts=outgoing_mail.c.attempts + 1)
    )


async def anything_due(conn: Connection, now: datetime) -> bool:
    """Whether a reminder or a digest is due or a mail waits: a read that spares an idle
    worker a write transaction (on SQLite, the database's one write lock) every turn."""
    due = select(reminders.c.id).where(reminders.c.fired_at.is_(None), reminders.c.fire_at <= now)
    unsent = select(outgoing_mail.c.id).where(outgoing_mail.c.sent_at.is_(None))
    digests = select(digest_schedule.c.user_id).where(digest_schedule.c.next_at <= now)
    for stmt in (due, unsent, digests):
        if (await conn.execute(stmt.limit(1))).first() is not None:
            return True
    return False


async def link_secret(conn: Connection, name: str) -> str | None:
    stmt = select(link_secrets.c.secret).where(link_secrets.c.name == name)
    value: str | None = (await conn.execute(stmt)).scalar_one_or_none()
    return value


async def add_link_secret(conn: Connection, name: str, secret: str, now: datetime) -> None:
    """Store a secret unless another process stored one first (then theirs stays)."""
    try:
        async with conn.begin_nested():
            await conn.execute(
                insert(link_secrets).values(name=name, secret=secret, created_at=now)
            )
    except IntegrityError:
        pass


async def set_digest(conn: Connection, user_id: uuid.UUID, next_at: datetime | None) -> None:
    """The account's next digest at ``next_at``; none when None."""
    await conn.execute(delete(digest_schedule).where(digest_schedule.c.user_id == user_id))
    if next_at is not None:
        await conn.execute(insert(digest_schedule).values(user_id=user_id, next_at=next_at))


async def due_digests(conn: Connection, now: datetime, limit: int) -> list[AnyRow]:
    """Digests whose time has come, locked (others' skipped: each goes out once)."""
    stmt = (
        select(digest_schedule)
        .where(digest_schedule.c.next_at <= now)
        .order_by(digest_schedule.c.next_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list((await conn.execute(stmt)).all())


async def digest_at(conn: Connection, user_id: uuid.UUID) -> datetime | None:
    stmt = select(digest_schedule.c.next_at).where(digest_schedule.c.user_id == user_id)
    value: datetime | None = (await conn.execute(stmt)).scalar_one_or_none()
    return value
