"""One handler per comment operation. Reads take the primary (``primary_reader``): whether
the caller may see the task is a membership, and a member just removed is refused even while
a replica lags; comments are read far less than the task lists."""

from __future__ import annotations

import uuid

from tasklane.auth.deps import Principal
from tasklane.comments import service
from tasklane.comments.schemas import CommentIn, CommentOut, CommentPage
from tasklane.core.context import AppContext


async def list_comments(
    ctx: AppContext, principal: Principal, task_id: uuid.UUID, cursor: str | None, limit: int
) -> CommentPage:
    async with ctx.db.primary_reader() as conn:
        page = await service.list_comments(conn, principal.user_id, task_id, cursor, limit)
    return CommentPage.model_validate(page)


async def add_comment(
    ctx: AppContext, principal: Principal, task_id: uuid.UUID, body: CommentIn
) -> CommentOut:
    async with ctx.db.unit_of_work() as uow:
        comment = await service.add(uow.conn, principal.user_id, task_id, body)
    return CommentOut.model_validate(comment)


async def edit_comment(
    ctx: AppContext,
    principal: Principal,
    task_id: uuid.UUID,
    comment_id: uuid.UUID,
    body: CommentIn,
) -> CommentOut:
    async with ctx.db.unit_of_work() as uow:
        comment = await service.edit(uow.conn, principal.user_id, task_id, comment_id, body)
    return CommentOut.model_validate(comment)


async def delete_comment(
    ctx: AppContext, principal: Principal, task_id: uuid.UUID, comment_id: uuid.UUID
) -> None:
    async with ctx.db.unit_of_work() as uow:
        await service.delete(uow.conn, principal.user_id, task_id, comment_id)
