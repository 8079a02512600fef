"""/api/v1/tasks: the caller's tasks. Someone else's task is a 404 on every route."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response, status
from sqlalchemy.ext.asyncio import AsyncConnection

from tasklane.auth.deps import CurrentUser
from tasklane.core import encoding
from tasklane.core.context import AppContext, Ctx
from tasklane.core.db import DbWrite, after_commit
from tasklane.core.errors import problem_responses
from tasklane.core.idempotency import request_fingerprint, run_idempotent
from tasklane.tasks import service
from tasklane.tasks.schemas import (
    BulkOperation,
    BulkResult,
    TaskCreate,
    TaskOut,
    TaskPage,
    TaskQuery,
    TaskStats,
    TaskUpdate,
)
from tasklane.users import service as users

PREFIX = "/api/v1/tasks"
router = APIRouter(prefix=PREFIX, tags=["tasks"], responses=problem_responses(401))

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


def json_response(
    payload: Any, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        encoding.dumps(payload),
        status_code=status_code,
        media_type="application/json",
        headers=headers,
    )


def task_response(task: service.Task, status_code: int = 200) -> Response:
    headers = {"ETag": service.etag(task["version"])}
    if status_code == 201:
        headers["Location"] = f"{PREFIX}/{task['id']}"
    return json_response(task, status_code, headers)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=TaskOut,
    responses={
        201: {"headers": {**_ETAG_HEADER, "Location": {"schema": {"type": "string"}}}},
        **problem_responses(409),
    },
    summary="Create a task",
)
async def create_task(
    body: TaskCreate,
    principal: CurrentUser,
    ctx: Ctx,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    async def run(conn: AsyncConnection) -> Response:
        return task_response(await service.create(conn, principal.user_id, body), 201)

    if idempotency_key is None:
        async with ctx.db.transaction() as conn:
            response = await run(conn)
    else:
        response = await run_idempotent(
            ctx,
            user_id=principal.user_id,
            route=f"POST {PREFIX}",
            key=idempotency_key,
            fingerprint=request_fingerprint(body.model_dump(mode="json")),
            handler=run,
        )
    await service.forget_stats(ctx, principal.user_id)  # committed above
    return response


def list_params(query: TaskQuery) -> service.ListParams:
    return service.ListParams(
        statuses=query.status,
        priorities=query.priority,
        tags=query.tag,
        due_before=query.due_before,
        due_after=query.due_after,
        overdue=query.overdue,
        q=query.q,
        sort=query.sort,
        limit=query.limit,
        cursor=query.cursor,
    )


@router.get("", response_model=TaskPage, summary="List, filter, search and sort tasks")
async def list_tasks(
    principal: CurrentUser,
    ctx: Ctx,
    query: Annotated[TaskQuery, Query()],
) -> Response:
    params = list_params(query)
    async with ctx.db.reader() as conn:  # as read_task
        items, next_cursor = await service.list_tasks(conn, principal.user_id, params)
    return json_response({"items": items, "next_cursor": next_cursor})


@router.get("/stats", response_model=TaskStats, summary="Counts for the dashboard")
async def task_stats(principal: CurrentUser, ctx: Ctx) -> Response:
    profile = await users.cached_profile(ctx, principal.user_id)
    return Response(
        await service.cached_stats(ctx, principal.user_id, profile.timezone),
        media_type="application/json",
    )


def _forget_stats(request: Request, ctx: AppContext, user_id: uuid.UUID) -> None:
    after_commit(request, lambda: service.forget_stats(ctx, user_id))


@router.post(
    "/bulk",
    response_model=BulkResult,
    responses=problem_responses(404),
    summary="Change the status of, or delete, up to 100 tasks at once (all or nothing)",
)
async def bulk(
    body: BulkOperation, request: Request, principal: CurrentUser, ctx: Ctx, conn: DbWrite
) -> Response:
    _forget_stats(request, ctx, principal.user_id)
    items = await service.bulk(conn, principal.user_id, body)
    count = len(items) if body.action == "set_status" else len(set(body.ids))
    return json_response({"action": body.action, "count": count, "items": items})


@router.get(
    "/{task_id}",
    response_model=TaskOut,
    responses={200: {"headers": _ETAG_HEADER}, **problem_responses(404)},
    summary="Read a task",
)
async def read_task(task_id: uuid.UUID, principal: CurrentUser, ctx: Ctx) -> Response:
    # The hot reads take their connection here rather than through the DbRead dependency:
    # FastAPI's handling of a yield dependency is a twentieth of such a request's CPU.
    async with ctx.db.reader() as conn:
        task = await service.get(conn, principal.user_id, task_id)
    return task_response(task)


@router.patch(
    "/{task_id}",
    response_model=TaskOut,
    responses={200: {"headers": _ETAG_HEADER}, **problem_responses(404, 412)},
    summary="Change some fields of a task",
)
async def update_task(
    task_id: uuid.UUID,
    body: TaskUpdate,
    request: Request,
    principal: CurrentUser,
    ctx: Ctx,
    conn: DbWrite,
    if_match: IfMatch = None,
) -> Response:
    _forget_stats(request, ctx, principal.user_id)
    task = await service.update(conn, principal.user_id, task_id, body, if_match)
    return task_response(task)


@router.delete(
    "/{task_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(404, 412),
    summary="Delete a task",
)
async def delete_task(
    task_id: uuid.UUID,
    request: Request,
    principal: CurrentUser,
    ctx: Ctx,
    conn: DbWrite,
    if_match: IfMatch = None,
) -> Response:
    _forget_stats(request, ctx, principal.user_id)
    await service.delete(conn, principal.user_id, task_id, if_match)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
