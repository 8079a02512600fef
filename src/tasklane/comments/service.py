"""Rules of the comments domain.

A comment is on a task; who may read or write it is the task's question (``tasks.service``):
the members of the task's project read its comments, its editors and owners add them, and
only its author edits or deletes one. Someone who may not read the task gets a 404 for it and
for every comment id under it; a viewer who writes, or a member who edits another's comment,
a 403 (they can see the comment, so a 404 would hide nothing).

Each change goes out as an event of the task's project (the outbox), so the other members'
screens show it, and keeps the task's ``comment_count`` in the same transaction.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from tasklane.comments import repository as repo
from tasklane.comments.schemas import CommentIn
from tasklane.core.errors import Forbidden, NotFound
from tasklane.core.pagination import decode_cursor, encode_cursor
from tasklane.core.sql import Connection
from tasklane.core.types import AnyRow, utcnow, uuid7
from tasklane.events import service as events
from tasklane.tasks import service as tasks
from tasklane.users import service as users

NOT_FOUND = "No such comment."
NOT_YOURS = "Only the author of a comment may change or delete it."
LISTING = "task-comments"


def _document(row: Any, name: str) -> dict[str, Any]:
    return {
        "id": row.id,
        "task_id": row.task_id,
        "author_id": row.user_id,
        "author_name": name,
        "body": row.body,
        "created_at": row.created_at,
        "edited_at": row.edited_at,
    }


def _json(comment: dict[str, Any]) -> dict[str, Any]:
    """A comment as an event's payload holds it (ids as text)."""
    return {
        **comment,
        "id": str(comment["id"]),
        "task_id": str(comment["task_id"]),
        "author_id": None if comment["author_id"] is None else str(comment["author_id"]),
    }


async def _announce(
    conn: Connection,
    kind: str,
    user_id: uuid.UUID,
    project_id: uuid.UUID,
    task_id: uuid.UUID,
    payload: dict[str, Any],
) -> None:
    """``comment.added``, ``comment.edited`` or ``comment.deleted``: on every member's stream."""
    await events.record(
        conn, kind, user_id, task_id, {"task_id": str(task_id), **payload}, project_id=project_id
    )


async def list_comments(
    conn: Connection, user_id: uuid.UUID, task_id: uuid.UUID, cursor: str | None, limit: int
) -> dict[str, Any]:
    """A page of a task's comments, oldest first (newest last)."""
    after: tuple[datetime, uuid.UUID] | None = None
    if cursor:
        at, last_id = decode_cursor(cursor, LISTING, ("datetime", "id"))
        after = (at, last_id)
    await tasks.readable_project(conn, user_id, task_id)
    rows = await repo.page(conn, task_id, after, limit)
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(LISTING, [rows[-1].created_at, rows[-1].id])
    names = await users.display_names(conn, (row.user_id for row in rows))
    return {
        "items": [_document(row, names[row.user_id]) for row in rows],
        "next_cursor": next_cursor,
    }


async def add(
    conn: Connection, user_id: uuid.UUID, task_id: uuid.UUID, body: CommentIn
) -> dict[str, Any]:
    project_id = await tasks.commentable_project(conn, user_id, task_id)
    values = {
        "id": uuid7(),
        "task_id": task_id,
        "user_id": user_id,
        "body": body.body,
        "created_at": utcnow(),
        "edited_at": None,
    }
    await repo.insert_comment(conn, values)
    count = await tasks.count_comments(conn, task_id, 1)
    names = await users.display_names(conn, [user_id])
    comment = _document(_Row(values), names[user_id])
    payload = {"comment": _json(comment), "comment_count": count}
    await _announce(conn, "comment.added", user_id, project_id, task_id, payload)
    return comment


class _Row:
    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)


async def _own(
    conn: Connection, user_id: uuid.UUID, task_id: uuid.UUID, comment_id: uuid.UUID
) -> tuple[uuid.UUID, AnyRow]:
    """The task's project and the caller's own comment, locked: a 404 unless the caller may
    read the task and the comment is on it; a 403 for a viewer or another member's comment."""
    try:
        project_id = await tasks.commentable_project(conn, user_id, task_id)
    except Forbidden:
        if await repo.get(conn, task_id, comment_id) is None:
            raise NotFound(NOT_FOUND) from None
        raise
    row = await repo.get(conn, task_id, comment_id, lock=True)
    if row is None:
        raise NotFound(NOT_FOUND)
    if row.user_id != user_id:
        raise Forbidden(NOT_YOURS)
    return project_id, row


async def edit(
    conn: Connection,
    user_id: uuid.UUID,
    task_id: uuid.UUID,
    comment_id: uuid.UUID,
    body: CommentIn,
) -> dict[str, Any]:
    project_id, row = await _own(conn, user_id, task_id, comment_id)
    names = await users.display_names(conn, [user_id])
    if body.body == row.body:
        return _document(row, names[user_id])
    now = utcnow()
    await repo.update_body(conn, comment_id, body.body, now)
    comment = _document(
        _Row({**row._asdict(), "body": body.body, "edited_at": now}), names[user_id]
    )
    await _announce(
        conn, "comment.edited", user_id, project_id, task_id, {"comment": _json(comment)}
    )
    return comment


async def delete(
    conn: Connection, user_id: uuid.UUID, task_id: uuid.UUID, comment_id: uuid.UUID
) -> None:
    project_id, _ = await _own(conn, user_id, task_id, comment_id)
    await repo.delete_comment(conn, comment_id)
    count = await tasks.count_comments(conn, task_id, -1)
    payload = {"id": str(comment_id), "comment_count": count}
    await _announce(conn, "comment.deleted", user_id, project_id, task_id, payload)
