"""One handler per project operation: from typed inputs to the answer.

Membership is read from the primary (``primary_reader`` for reads; writes are on the primary
anyway), so a member just removed is refused even while a replica lags; the task reads do the
same (``tasks.handlers``): removal takes effect on the member's next request.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from tasklane.auth.deps import Principal
from tasklane.core.context import AppContext
from tasklane.core.db import UnitOfWork
from tasklane.projects import service
from tasklane.projects.schemas import (
    InvitationOut,
    MemberAdd,
    MemberOut,
    Members,
    ProjectCreate,
    ProjectList,
    ProjectOut,
    ProjectUpdate,
    Role,
)
from tasklane.tasks import service as tasks

PREFIX = "/api/v1/projects"


def _forget_stats(ctx: AppContext, uow: UnitOfWork, user_ids: Iterable[uuid.UUID]) -> None:
    """The dashboard counts of everyone who sees the project's tasks change with it."""
    for user_id in set(user_ids):
        uow.after_commit(lambda user_id=user_id: tasks.forget_stats(ctx, user_id))  # type: ignore[misc]


async def list_projects(ctx: AppContext, principal: Principal, archived: bool) -> ProjectList:
    async with ctx.db.primary_reader() as conn:
        found = await service.list_projects(conn, principal.user_id, archived)
        missing_inbox = not archived and not any(doc["is_inbox"] for doc in found)
        if missing_inbox:
            missing_inbox = not await service.has_inbox(conn, principal.user_id)
    if missing_inbox:  # an account made before its Inbox was (bulk-loaded): make it now
        async with ctx.db.unit_of_work() as uow:
            await service.inbox_id(uow.conn, principal.user_id)
    async with ctx.db.primary_reader() as conn:
        if missing_inbox:
            found = await service.list_projects(conn, principal.user_id, archived)
        counts = await tasks.open_counts(conn, principal.user_id, service.project_ids(found))
    return ProjectList(
        items=[ProjectOut(**doc, open_tasks=counts.get(doc["id"], 0)) for doc in found]
    )


async def read_project(ctx: AppContext, principal: Principal, project_id: uuid.UUID) -> ProjectOut:
    async with ctx.db.primary_reader() as conn:
        doc = await service.get(conn, principal.user_id, project_id)
        counts = await tasks.open_counts(conn, principal.user_id, [project_id])
    return ProjectOut(**doc, open_tasks=counts.get(project_id, 0))


async def create_project(ctx: AppContext, principal: Principal, body: ProjectCreate) -> ProjectOut:
    async with ctx.db.unit_of_work() as uow:
        doc = await service.create(uow.conn, principal.user_id, body)
    return ProjectOut(**doc, open_tasks=0)


async def update_project(
    ctx: AppContext, principal: Principal, project_id: uuid.UUID, body: ProjectUpdate
) -> ProjectOut:
    async with ctx.db.unit_of_work() as uow:
        doc = await service.update(uow.conn, principal.user_id, project_id, body)
        counts = await tasks.open_counts(uow.conn, principal.user_id, [project_id])
    return ProjectOut(**doc, open_tasks=counts.get(project_id, 0))


async def delete_project(ctx: AppContext, principal: Principal, project_id: uuid.UUID) -> None:
    async with ctx.db.unit_of_work() as uow:
        _forget_stats(ctx, uow, await service.member_ids(uow.conn, project_id))
        await service.delete(uow.conn, principal.user_id, project_id)


async def list_members(ctx: AppContext, principal: Principal, project_id: uuid.UUID) -> Members:
    async with ctx.db.primary_reader() as conn:
        return await service.members(conn, principal.user_id, project_id)


async def add_member(
    ctx: AppContext, principal: Principal, project_id: uuid.UUID, body: MemberAdd
) -> MemberOut | InvitationOut:
    async with ctx.db.unit_of_work() as uow:
        added = await service.add_member(uow.conn, principal.user_id, project_id, body)
        if isinstance(added, MemberOut):
            _forget_stats(ctx, uow, [added.user_id])
    return added


async def change_role(
    ctx: AppContext, principal: Principal, project_id: uuid.UUID, member_id: uuid.UUID, role: Role
) -> MemberOut:
    async with ctx.db.unit_of_work() as uow:
        return await service.change_role(uow.conn, principal.user_id, project_id, member_id, role)


async def remove_member(
    ctx: AppContext, principal: Principal, project_id: uuid.UUID, member_id: uuid.UUID
) -> None:
    async with ctx.db.unit_of_work() as uow:
        await service.remove_member(uow.conn, principal.user_id, project_id, member_id)
        await tasks.unassign(uow.conn, project_id, member_id)
        _forget_stats(ctx, uow, [member_id])


async def cancel_invitation(
    ctx: AppContext, principal: Principal, project_id: uuid.UUID, invitation_id: uuid.UUID
) -> None:
    async with ctx.db.unit_of_work() as uow:
        await service.cancel_invitation(uow.conn, principal.user_id, project_id, invitation_id)
