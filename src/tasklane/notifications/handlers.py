"""One handler per notification operation of the API."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

from starlette.responses import StreamingResponse

from tasklane.auth import service as auth
from tasklane.auth.deps import Principal
from tasklane.core.context import AppContext
from tasklane.core.lifecycle import draining
from tasklane.notifications import service, stream
from tasklane.notifications.schemas import NotificationPage, UnreadCount, Unsubscribed
from tasklane.users import service as users


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


async def stream_events(
    ctx: AppContext, principal: Principal, last_event_id: uuid.UUID | None
) -> StreamingResponse:
    """The caller's events as Server-Sent Events: first those after ``last_event_id`` (a
    reconnect catches up), then each as it happens, with a heartbeat comment in between.
    The stream ends when the instance drains, the session ends or the access token expires
    (the client reconnects with a fresh one), or the client falls too far behind."""
    feed = stream.feed_for(ctx)
    queue = feed.subscribe(principal.user_id)  # before the catch-up: nothing falls between
    heartbeat = ctx.settings.stream_heartbeat_seconds

    async def body() -> AsyncIterator[bytes]:
        sent: set[uuid.UUID] = set()
        try:
            yield b"retry: 2000\n\n"
            if last_event_id is not None:
                async with ctx.db.primary_reader() as conn:
                    missed = await stream.catch_up(conn, principal.user_id, last_event_id)
                for event in missed:
                    sent.add(event.id)
                    yield service.sse(event)
            while not draining() and time.time() < principal.claims.expires_at:
                try:
                    live = await asyncio.wait_for(queue.get(), heartbeat)
                except TimeoutError:
                    if not await auth.session_is_valid(ctx, principal.claims):
                        return
                    yield b": keep-alive\n\n"
                    continue
                if live is None:  # fell too far behind
                    return
                if live.id not in sent:
                    yield service.sse(live)
                if len(sent) > 10_000:
                    sent.clear()
        finally:
            await feed.unsubscribe(principal.user_id, queue)

    return StreamingResponse(
        body(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def unsubscribe(ctx: AppContext, token: str) -> Unsubscribed:
    async with ctx.db.unit_of_work() as uow:
        user_id, kind = await service.unsubscribe(ctx, uow.conn, token)
        uow.after_commit(lambda: users.forget_profile(ctx, user_id))
    what = {"reminders": "reminder", "digest": "daily digest"}[kind]
    return Unsubscribed(detail=f"You will get no more {what} emails; turn them on in Settings.")
