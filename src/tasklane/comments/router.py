"""/api/v1/tasks/{task_id}/comments: the comments on a task, newest last. A task the caller
may not read is a 404 for every comment id under it; a viewer's write, or a change to
someone else's comment, is a 403."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from tasklane.auth.deps import CurrentUser
from tasklane.comments import handlers
from tasklane.comments.schemas import CommentIn, CommentOut, CommentPage
from tasklane.core.context import Ctx
from tasklane.core.errors import problem_responses
from tasklane.core.pagination import Cursor, Limit

router = APIRouter(
    prefix="/api/v1/tasks/{task_id}/comments",
    tags=["comments"],
    responses=problem_responses(401),
)


@router.get(
    "",
    response_model=CommentPage,
    responses=problem_responses(404),
    summary="The comments on a task, oldest first (newest last)",
)
async def list_comments(
    task_id: uuid.UUID, principal: CurrentUser, ctx: Ctx, cursor: Cursor = None, limit: Limit = 20
) -> CommentPage:
    return await handlers.list_comments(ctx, principal, task_id, cursor, limit)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=CommentOut,
    responses=problem_responses(403, 404),
    summary="Comment on a task (editors and owners of its project)",
)
async def add_comment(
    task_id: uuid.UUID, body: CommentIn, principal: CurrentUser, ctx: Ctx
) -> CommentOut:
    return await handlers.add_comment(ctx, principal, task_id, body)


@router.patch(
    "/{comment_id}",
    response_model=CommentOut,
    responses=problem_responses(403, 404),
    summary="Edit your own comment",
)
async def edit_comment(
    task_id: uuid.UUID, comment_id: uuid.UUID, body: CommentIn, principal: CurrentUser, ctx: Ctx
) -> CommentOut:
    return await handlers.edit_comment(ctx, principal, task_id, comment_id, body)


@router.delete(
    "/{comment_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(403, 404),
    summary="Delete your own comment",
)
async def delete_comment(
    task_id: uuid.UUID, comment_id: uuid.UUID, principal: CurrentUser, ctx: Ctx
) -> Response:
    await handlers.delete_comment(ctx, principal, task_id, comment_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
