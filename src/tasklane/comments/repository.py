"""All SQL of the comments domain. Whether the caller may see the task is the tasks domain's
question (``tasks.service``), asked before any statement here runs."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, insert, or_, select, update

from tasklane.comments.models import task_comments
from tasklane.core.sql import Connection
from tasklane.core.types import AnyRow

_COLUMNS = (
    task_comments.c.id,
    task_comments.c.task_id,
    task_comments.c.user_id,
    task_comments.c.body,
    task_comments.c.created_at,
    task_comments.c.edited_at,
)


async def page(
    conn: Connection,
    task_id: uuid.UUID,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[AnyRow]:
    """Up to ``limit + 1`` comments of a task after a position, oldest first, read in order
    from ``(task_id, created_at, id)``."""
    stmt = select(*_COLUMNS).where(task_comments.c.task_id == task_id)
    if after is not None:
        at, last_id = after
        stmt = stmt.where(
            task_comments.c.created_at >= at,
            or_(
                task_comments.c.created_at > at,
                and_(task_comments.c.created_at == at, task_comments.c.id > last_id),
            ),
        )
    stmt = stmt.order_by(task_comments.c.created_at, task_comments.c.id).limit(limit + 1)
    return list((await conn.execute(stmt)).all())


async def get(
    conn: Connection, task_id: uuid.UUID, comment_id: uuid.UUID, *, lock: bool = False
) -> AnyRow | None:
    stmt = select(*_COLUMNS).where(
        task_comments.c.id == comment_id, task_comments.c.task_id == task_id
    )
    if lock:
        stmt = stmt.with_for_update()
    row: AnyRow | None = (await conn.execute(stmt)).first()
    return row


async def insert_comment(conn: Connection, values: dict[str, Any]) -> None:
    await conn.execute(insert(task_comments).values(**values))


async def update_body(conn: Connection, comment_id: uuid.UUID, body: str, now: datetime) -> None:
    await conn.execute(
        update(task_comments)
        .where(task_comments.c.id == comment_id)
        .values(body=body, edited_at=now)
    )


async def delete_comment(conn: Connection, comment_id: uuid.UUID) -> bool:
    stmt = delete(task_comments).where(task_comments.c.id == comment_id)
    return (await conn.execute(stmt)).rowcount > 0
