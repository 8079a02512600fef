"""/api/v1/tasks: the tasks of the caller's projects. A task of a project the caller is not a
member of is a 404 on every route; a change their role does not allow (a viewer's) is a 403.

The routes declare the HTTP contract (parameters, bodies, answers: the OpenAPI document) and
call ``tasks.handlers``, where each operation is implemented once."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response, status
from starlette.convertors import Convertor, register_url_convertor

from tasklane.auth.deps import CurrentUser
from tasklane.core.context import Ctx
from tasklane.core.errors import problem_responses
from tasklane.core.pagination import Cursor, Limit
from tasklane.tasks import handlers, schemas
from tasklane.tasks.handlers import PREFIX
from tasklane.tasks.schemas import (
    BulkOperation,
    BulkResult,
    HistoryPage,
    MoveTask,
    SubtaskList,
    TaskCreate,
    TaskOut,
    TaskPage,
    TaskQuery,
    TaskStats,
    TaskUpdate,
    TrashPage,
    TrashQuery,
)

router = APIRouter(prefix=PREFIX, tags=["tasks"], responses=problem_responses(401))


class _TaskId(Convertor[str]):
    """A task's place in a path: any segment but the fixed routes beside it, so that a
    method ``/stats``, ``/bulk`` or ``/trash`` does not serve is a 405 there, not a malformed
    task id; the id itself is validated (a 422) by the route's parameter."""

    regex = "(?!stats$|bulk$|trash$)[^/]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("task_id", _TaskId())

IfMatch = Annotated[
    str | None,
    Header(
        max_length=1024,
        description="ETag of the version you changed; a stale one answers 412 and changes nothing.",
    ),
]
IdempotencyKey = Annotated[
    str | None,
    Header(
        max_length=255,
        description="Retries with the same key and body replay the first response.",
    ),
]
_ETAG_HEADER = {"ETag": {"description": "Version of the task", "schema": {"type": "string"}}}


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=TaskOut,
    responses={
        201: {"headers": {**_ETAG_HEADER, "Location": {"schema": {"type": "string"}}}},
        **problem_responses(403, 409),
    },
    summary="Create a task",
)
async def create_task(
    body: TaskCreate, principal: CurrentUser, ctx: Ctx, idempotency_key: IdempotencyKey = None
) -> Response:
    return await handlers.create_task(ctx, principal, body, idempotency_key)


@router.get("", response_model=TaskPage, summary="List, filter, search and sort tasks")
async def list_tasks(
    principal: CurrentUser, ctx: Ctx, query: Annotated[TaskQuery, Query()]
) -> Response:
    return await handlers.list_tasks(ctx, principal, query)


@router.get("/stats", response_model=TaskStats, summary="Counts for the dashboard")
async def task_stats(principal: CurrentUser, ctx: Ctx) -> Response:
    return await handlers.stats(ctx, principal)


@router.post(
    "/bulk",
    response_model=BulkResult,
    responses=problem_responses(403, 404),
    summary="Change the status of, or delete, up to 100 tasks at once (all or nothing)",
)
async def bulk(body: BulkOperation, principal: CurrentUser, ctx: Ctx) -> Response:
    return await handlers.bulk(ctx, principal, body)


@router.get(
    "/trash",
    response_model=TrashPage,
    summary="The trash: deleted tasks of your projects, most recently deleted first",
    description="A deleted task stays here, restorable, for 30 days; then it is deleted for good.",
)
async def list_trash(
    principal: CurrentUser, ctx: Ctx, query: Annotated[TrashQuery, Query()]
) -> Response:
    return await handlers.list_trash(ctx, principal, query)


@router.post(
    "/trash/{task_id}/restore",
    response_model=TaskOut,
    responses={200: {"headers": _ETAG_HEADER}, **problem_responses(403, 404)},
    summary="Restore a task from the trash, as it was",
)
async def restore_task(task_id: uuid.UUID, principal: CurrentUser, ctx: Ctx) -> Response:
    return await handlers.restore_task(ctx, principal, task_id)


@router.delete(
    "/trash/{task_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(403, 404),
    summary="Delete a task of the trash for good",
)
async def delete_forever(task_id: uuid.UUID, principal: CurrentUser, ctx: Ctx) -> Response:
    return await handlers.delete_forever(ctx, principal, task_id)


@router.get(
    "/{task_id:task_id}",
    response_model=TaskOut,
    responses={200: {"headers": _ETAG_HEADER}, **problem_responses(404)},
    summary="Read a task",
)
async def read_task(task_id: uuid.UUID, principal: CurrentUser, ctx: Ctx) -> Response:
    return await handlers.read_task(ctx, principal, task_id)


@router.get(
    "/{task_id:task_id}/history",
    response_model=HistoryPage,
    responses=problem_responses(404),
    summary="Who changed what of a task, and when (newest first)",
)
async def task_history(
    task_id: uuid.UUID, principal: CurrentUser, ctx: Ctx, cursor: Cursor = None, limit: Limit = 20
) -> Response:
    return await handlers.task_history(ctx, principal, task_id, cursor, limit)


@router.get(
    "/{task_id:task_id}/subtasks",
    response_model=SubtaskList,
    responses=problem_responses(404),
    summary="A task's subtasks, in their manual order",
    description="Add one with `POST /tasks` and `parent_id`.",
)
async def list_subtasks(task_id: uuid.UUID, principal: CurrentUser, ctx: Ctx) -> Response:
    return await handlers.list_subtasks(ctx, principal, task_id)


@router.post(
    "/{task_id:task_id}/move",
    response_model=TaskOut,
    responses={200: {"headers": _ETAG_HEADER}, **problem_responses(403, 404)},
    summary="Reorder a task among its siblings (right after or right before another)",
    description=(
        "Siblings are the top-level tasks of its project, or the subtasks of its parent; a "
        "board column shows a status's tasks in this order. Moving a task where it already is "
        "changes nothing, so a retried move is harmless; concurrent moves are serialised."
    ),
)
async def move_task(
    task_id: uuid.UUID, body: MoveTask, principal: CurrentUser, ctx: Ctx
) -> Response:
    return await handlers.move_task(ctx, principal, task_id, body)


@router.patch(
    "/{task_id:task_id}",
    response_model=TaskOut,
    responses={200: {"headers": _ETAG_HEADER}, **problem_responses(403, 404, 409, 412)},
    summary="Change some fields of a task (a new project_id moves it)",
)
async def update_task(
    task_id: uuid.UUID,
    body: TaskUpdate,
    principal: CurrentUser,
    ctx: Ctx,
    if_match: IfMatch = None,
) -> Response:
    return await handlers.update_task(ctx, principal, task_id, body, if_match)


@router.delete(
    "/{task_id:task_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(403, 404, 412),
    summary="Delete a task: it moves to the trash (restorable for 30 days)",
)
async def delete_task(
    task_id: uuid.UUID, principal: CurrentUser, ctx: Ctx, if_match: IfMatch = None
) -> Response:
    return await handlers.delete_task(ctx, principal, task_id, if_match)


recurrence_router = APIRouter(
    prefix="/api/v1/recurrence", tags=["tasks"], responses=problem_responses(401)
)


@recurrence_router.get(
    "/preview",
    response_model=schemas.RecurrencePreview,
    responses=problem_responses(422),
    summary="The next occurrences of a recurrence rule (what completing each task would make)",
)
async def preview_recurrence(
    principal: CurrentUser, ctx: Ctx, query: Annotated[schemas.RecurrencePreviewQuery, Query()]
) -> Response:
    return await handlers.preview_recurrence(ctx, principal, query)
