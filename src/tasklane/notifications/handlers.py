"""One handler per notification operation of the API."""

from __future__ import annotations

import uuid

from tasklane.auth.deps import Principal
from tasklane.core.context import AppContext
from tasklane.notifications import service
from tasklane.notifications.schemas import NotificationPage, UnreadCount


async def list_notifications(
    ctx: AppContext, principal: Principal, cursor: str | None, limit: int, unread_only: bool
) -> NotificationPage:
    async with ctx.db.primary_reader() as conn:  # a notification just made must show
        return await service.page(conn, principal.user_id, cursor, limit, unread_only=unread_only)


async def unread_count(ctx: AppContext, principal: Principal) -> UnreadCount:
    async with ctx.db.primary_reader() as conn:
        return UnreadCount(unread=await service.unread_count(conn, principal.user_id))


async def mark_read(
    ctx: AppContext, principal: Principal, notification_id: uuid.UUID | None
) -> None:
    async with ctx.db.unit_of_work() as uow:
        await service.mark_read(uow.conn, principal.user_id, notification_id)
