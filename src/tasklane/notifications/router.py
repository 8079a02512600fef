"""/api/v1/notifications: the caller's in-app notifications (reminders)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response, status
from starlette.responses import StreamingResponse

from tasklane.auth.deps import CurrentUser
from tasklane.core.context import Ctx
from tasklane.core.errors import problem_responses
from tasklane.core.pagination import Cursor, Limit
from tasklane.notifications import handlers
from tasklane.notifications.links import UNSUBSCRIBE_PATH
from tasklane.notifications.schemas import NotificationPage, UnreadCount, Unsubscribed

router = APIRouter(
    prefix="/api/v1/notifications", tags=["notifications"], responses=problem_responses(401)
)


@router.get("", response_model=NotificationPage, summary="Your notifications, newest first")
async def list_notifications(
    principal: CurrentUser,
    ctx: Ctx,
    limit: Limit = 20,
    cursor: Cursor = None,
    unread: Annotated[bool, Query(description="Only the unread ones.")] = False,
) -> NotificationPage:
    return await handlers.list_notifications(ctx, principal, cursor, limit, unread)


@router.get("/unread-count", response_model=UnreadCount, summary="How many are unread")
async def unread_count(principal: CurrentUser, ctx: Ctx) -> UnreadCount:
    return await handlers.unread_count(ctx, principal)


@router.post(
    "/read-all", status_code=status.HTTP_204_NO_CONTENT, summary="Mark every notification read"
)
async def mark_all_read(principal: CurrentUser, ctx: Ctx) -> Response:
    await handlers.mark_read(ctx, principal, None)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{notification_id}/read",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(404),
    summary="Mark a notification read",
)
async def mark_read(notification_id: uuid.UUID, principal: CurrentUser, ctx: Ctx) -> Response:
    await handlers.mark_read(ctx, principal, notification_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


events_router = APIRouter(prefix="/api/v1/events", tags=["notifications"])


@events_router.get(
    "",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
            "description": "Server-Sent Events: `id`, `event` (task.created, task.updated, "
            "task.completed, task.reopened, task.deleted (to the trash), task.restored, "
            "task.purged (deleted for good), notification.created) and `data` "
            "(JSON), with `: keep-alive` comments in between. A project's members also get "
            "task.moved (a task left the project) and its project.* events (updated, "
            "archived, restored, deleted, member_added, member_updated, member_removed).",
        },
        **problem_responses(401),
    },
    summary="Your changes and notifications as they happen (Server-Sent Events)",
)
async def stream_events(
    principal: CurrentUser,
    ctx: Ctx,
    last_event_id: Annotated[
        uuid.UUID | None,
        Header(description="The `id` of the last event received: the stream catches up."),
    ] = None,
) -> StreamingResponse:
    return await handlers.stream_events(ctx, principal, last_event_id)


mail_router = APIRouter(tags=["notifications"])


@mail_router.post(
    UNSUBSCRIBE_PATH,
    response_model=Unsubscribed,
    responses=problem_responses(422),
    summary="One-click unsubscribe from a kind of non-essential mail (RFC 8058)",
    description="The URL of a reminder or digest email's `List-Unsubscribe` header; mail "
    "clients POST `List-Unsubscribe=One-Click` (form-encoded) to it. No session is needed: "
    "the signed token names the account and the kind of mail.",
)
async def unsubscribe(
    ctx: Ctx, token: Annotated[str, Query(min_length=1, max_length=200)]
) -> Unsubscribed:
    return await handlers.unsubscribe(ctx, token)
