"""One handler per task operation: from typed inputs to the HTTP answer.

The FastAPI routes (``tasks.router``) parse and validate the request, then call these; the
read lane (``tasks.lane``) calls the very same functions for the two hottest reads. A handler
owns its unit of work: it opens the read connection or the write transaction, hands the
connection to the service, and hangs what must wait for the commit (dropping the cached
dashboard counts) off the unit of work.
"""

from __future__ import annotations

import uuid
from typing import Any

from starlette.responses import Response

from tasklane.auth.deps import Principal
from tasklane.core import encoding
from tasklane.core.context import AppContext
from tasklane.core.db import UnitOfWork
from tasklane.idempotency.handlers import run as run_idempotent
from tasklane.idempotency.service import request_fingerprint
from tasklane.projects import service as projects
from tasklane.tasks import schemas, service
from tasklane.tasks.schemas import (
    BulkDelete,
    BulkSetStatus,
    MoveTask,
    TaskCreate,
    TaskQuery,
    TaskUpdate,
    TrashQuery,
)
from tasklane.users import service as users

PREFIX = "/api/v1/tasks"


def json_response(
    payload: Any, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        encoding.dumps(payload),
        status_code=status_code,
        media_type="application/json",
        headers=headers,
    )


def task_response(task: service.TaskDocument, status_code: int = 200) -> Response:
    headers = {"ETag": service.etag(task["version"])}
    if status_code == 201:
        headers["Location"] = f"{PREFIX}/{task['id']}"
    return json_response(task, status_code, headers)


def _forget_stats(ctx: AppContext, uow: UnitOfWork, user_id: uuid.UUID) -> None:
    """Every task write changes the dashboard counts: drop them once it has committed."""
    uow.after_commit(lambda: service.forget_stats(ctx, user_id))


async def _forget_members_stats(
    ctx: AppContext, uow: UnitOfWork, user_id: uuid.UUID, project_ids: set[uuid.UUID]
) -> None:
    """The counts of everyone who sees the changed projects' tasks, the writer included."""
    members = {user_id}
    for project_id in project_ids:
        members.update(await projects.member_ids(uow.conn, project_id))
    for member in members:
        _forget_stats(ctx, uow, member)


async def _memberships(ctx: AppContext, principal: Principal) -> list[uuid.UUID] | None:
    """With read replicas, the caller's projects as the primary has them: a replica that lags
    may still count a member who was just removed. Without replicas (None), the read itself
    joins the memberships: one round trip."""
    if not ctx.db.replicas:
        return None
    async with ctx.db.primary_reader() as conn:
        return await projects.member_of(conn, principal.user_id)


async def read_task(ctx: AppContext, principal: Principal, task_id: uuid.UUID) -> Response:
    project_ids = await _memberships(ctx, principal)
    async with ctx.db.reader() as conn:
        task = await service.get(conn, principal.user_id, task_id, project_ids)
    return task_response(task)


async def list_tasks(ctx: AppContext, principal: Principal, query: TaskQuery) -> Response:
    task_filter = service.task_filter(query)  # a bad cursor is refused before any connection
    project_ids = await _memberships(ctx, principal)
    async with ctx.db.reader() as conn:
        page = await service.list_tasks(conn, principal.user_id, task_filter, project_ids)
    return json_response(page)


async def create_task(
    ctx: AppContext, principal: Principal, body: TaskCreate, idempotency_key: str | None
) -> Response:
    async def work(uow: UnitOfWork) -> Response:
        task = await service.create(uow.conn, principal.user_id, body)
        await _forget_members_stats(ctx, uow, principal.user_id, {uuid.UUID(task["project_id"])})
        return task_response(task, 201)

    if idempotency_key is None:
        async with ctx.db.unit_of_work() as uow:
            return await work(uow)
    return await run_idempotent(
        ctx,
        user_id=principal.user_id,
        route=f"POST {PREFIX}",
        key=idempotency_key,
        fingerprint=request_fingerprint(body.model_dump(mode="json")),
        work=work,
    )


async def update_task(
    ctx: AppContext,
    principal: Principal,
    task_id: uuid.UUID,
    body: TaskUpdate,
    if_match: str | None,
) -> Response:
    async with ctx.db.unit_of_work() as uow:
        before = await service.projects_of(uow.conn, [task_id])
        task = await service.update(uow.conn, principal.user_id, task_id, body, if_match)
        after = {uuid.UUID(task["project_id"])}
        await _forget_members_stats(ctx, uow, principal.user_id, before | after)
    return task_response(task)


async def delete_task(
    ctx: AppContext, principal: Principal, task_id: uuid.UUID, if_match: str | None
) -> Response:
    async with ctx.db.unit_of_work() as uow:
        changed = await service.projects_of(uow.conn, [task_id])
        await service.delete(uow.conn, principal.user_id, task_id, if_match)
        await _forget_members_stats(ctx, uow, principal.user_id, changed)
    return Response(status_code=204)


async def bulk(
    ctx: AppContext, principal: Principal, operation: BulkSetStatus | BulkDelete
) -> Response:
    async with ctx.db.unit_of_work() as uow:
        changed = await service.projects_of(uow.conn, list(operation.ids))
        items = await service.bulk(uow.conn, principal.user_id, operation)
        await _forget_members_stats(ctx, uow, principal.user_id, changed)
    count = len(items) if operation.action == "set_status" else len(set(operation.ids))
    return json_response({"action": operation.action, "count": count, "items": items})


async def list_trash(ctx: AppContext, principal: Principal, query: TrashQuery) -> Response:
    position = service.trash_position(query.cursor)  # a bad cursor: a 422, no connection
    project_ids = await _memberships(ctx, principal)
    async with ctx.db.reader() as conn:
        page = await service.list_trash(conn, principal.user_id, position, query.limit, project_ids)
    return json_response(page)


async def restore_task(ctx: AppContext, principal: Principal, task_id: uuid.UUID) -> Response:
    async with ctx.db.unit_of_work() as uow:
        task = await service.restore(uow.conn, principal.user_id, task_id)
        project = uuid.UUID(task["project_id"])
        await _forget_members_stats(ctx, uow, principal.user_id, {project})
    return task_response(task)


async def delete_forever(ctx: AppContext, principal: Principal, task_id: uuid.UUID) -> Response:
    async with ctx.db.unit_of_work() as uow:
        await service.delete_forever(uow.conn, principal.user_id, task_id)
    return Response(status_code=204)


async def task_history(
    ctx: AppContext, principal: Principal, task_id: uuid.UUID, cursor: str | None, limit: int
) -> Response:
    """From the primary, as the comments: membership decides, and a replica may lag."""
    async with ctx.db.primary_reader() as conn:
        page = await service.history(conn, principal.user_id, task_id, cursor, limit)
    return json_response(page)


async def list_subtasks(ctx: AppContext, principal: Principal, task_id: uuid.UUID) -> Response:
    project_ids = await _memberships(ctx, principal)
    async with ctx.db.reader() as conn:
        items = await service.subtasks(conn, principal.user_id, task_id, project_ids)
    return json_response(items)


async def move_task(
    ctx: AppContext, principal: Principal, task_id: uuid.UUID, body: MoveTask
) -> Response:
    async with ctx.db.unit_of_work() as uow:
        task = await service.move(uow.conn, principal.user_id, task_id, body)
    return task_response(task)


async def stats(ctx: AppContext, principal: Principal) -> Response:
    profile = await users.cached_profile(ctx, principal.user_id)
    payload = await service.cached_stats(ctx, principal.user_id, profile.timezone)
    return Response(payload, media_type="application/json")


async def preview_recurrence(
    ctx: AppContext, principal: Principal, query: schemas.RecurrencePreviewQuery
) -> Response:
    zone = query.tz or (await users.cached_profile(ctx, principal.user_id)).timezone
    return json_response(service.preview_recurrence(query.rule, query.start, zone, query.count))
