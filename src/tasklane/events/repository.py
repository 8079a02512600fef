"""All SQL of the outbox and of the consumers' records."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, insert, or_, select, update

from tasklane.core.sql import Connection, IntegrityError
from tasklane.core.types import AnyRow
from tasklane.events.models import handled_events, outbox_events

_INSERT = insert(outbox_events)


async def insert_event(conn: Connection, values: dict[str, Any]) -> None:
    await conn.execute(_INSERT, values)


async def unpublished(conn: Connection, limit: int, *, lock: bool) -> list[AnyRow]:
    """The oldest events not yet handed to the bus. With ``lock``, they stay locked until
    the transaction ends and rows another relay has locked are skipped (``SKIP LOCKED``:
    MariaDB 10.6+, PostgreSQL; SQLite has one writer at a time and ignores it)."""
    stmt = (
        select(outbox_events)
        .where(outbox_events.c.published_at.is_(None))
        .order_by(outbox_events.c.id)
        .limit(limit)
    )
    if lock:
        stmt = stmt.with_for_update(skip_locked=True)
    return list((await conn.execute(stmt)).all())


async def mark_published(conn: Connection, ids: Sequence[uuid.UUID], now: datetime) -> None:
    await conn.execute(
        update(outbox_events)
        .where(outbox_events.c.id.in_(ids), outbox_events.c.published_at.is_(None))
        .values(published_at=now)
    )


async def record_handled(
    conn: Connection, consumer: str, event_id: uuid.UUID, now: datetime
) -> bool:
    """Note that ``consumer`` handled ``event_id``; False if it already had (nothing
    changed: the caller skips the event)."""
    try:
        async with conn.begin_nested():
            await conn.execute(
                insert(handled_events).values(consumer=consumer, event_id=event_id, handled_at=now)
            )
    except IntegrityError:
        return False
    return True


async def prune_published(conn: Connection, before: datetime) -> int:
    result = await conn.execute(delete(outbox_events).where(outbox_events.c.published_at < before))
    return result.rowcount


async def prune_handled(conn: Connection, before: datetime) -> int:
    result = await conn.execute(delete(handled_events).where(handled_events.c.handled_at < before))
    return result.rowcount


async def since(conn: Connection, lower: uuid.UUID, limit: int, *, inclusive: bool) -> list[AnyRow]:
    """Events with an id from ``lower`` on, or past it unless ``inclusive`` (ids are UUIDv7: in
    time order), oldest first."""
    bound = outbox_events.c.id >= lower if inclusive else outbox_events.c.id > lower
    stmt = select(outbox_events).where(bound).order_by(outbox_events.c.id).limit(limit)
    return list((await conn.execute(stmt)).all())


async def of_reader_after(
    conn: Connection,
    user_id: uuid.UUID,
    project_ids: Sequence[uuid.UUID],
    joined: Sequence[tuple[uuid.UUID, uuid.UUID]],
    after: uuid.UUID,
    limit: int,
) -> list[AnyRow]:
    """The user's own events, those of ``project_ids``, and those of each ``(project, lowest
    id)`` of ``joined`` from that id on; all past ``after``."""
    whose = [outbox_events.c.user_id == user_id]
    if project_ids:
        whose.append(outbox_events.c.project_id.in_(project_ids))
    whose += [
        and_(outbox_events.c.project_id == project_id, outbox_events.c.id >= lowest)
        for project_id, lowest in joined
    ]
    stmt = (
        select(outbox_events)
        .where(or_(*whose), outbox_events.c.id > after)
        .order_by(outbox_events.c.id)
        .limit(limit)
    )
    return list((await conn.execute(stmt)).all())


async def of_kinds_after(
    conn: Connection, kinds: Sequence[str], after: uuid.UUID, limit: int
) -> list[AnyRow]:
    """Events of ``kinds`` past ``after`` (read by primary key: a reconnect's recent range)."""
    stmt = (
        select(outbox_events)
        .where(outbox_events.c.id > after, outbox_events.c.kind.in_(list(kinds)))
        .order_by(outbox_events.c.id)
        .limit(limit)
    )
    return list((await conn.execute(stmt)).all())
