"""/api/v1/projects: the caller's projects, their members and invitations.

A project the caller is not a member of is a 404 on every route; an action their role does
not allow is a 403."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from tasklane.auth.deps import CurrentUser
from tasklane.core.context import Ctx
from tasklane.core.errors import problem_responses
from tasklane.projects import handlers
from tasklane.projects.handlers import PREFIX
from tasklane.projects.schemas import (
    InvitationOut,
    MemberAdd,
    MemberOut,
    Members,
    MemberUpdate,
    ProjectCreate,
    ProjectList,
    ProjectOut,
    ProjectUpdate,
)

router = APIRouter(prefix=PREFIX, tags=["projects"], responses=problem_responses(401))


@router.get("", response_model=ProjectList, summary="Your projects, in your order")
async def list_projects(
    principal: CurrentUser,
    ctx: Ctx,
    archived: Annotated[bool, Query(description="true: the archived projects instead.")] = False,
) -> ProjectList:
    return await handlers.list_projects(ctx, principal, archived)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ProjectOut,
    responses=problem_responses(422),
    summary="Create a project (you are its owner)",
)
async def create_project(body: ProjectCreate, principal: CurrentUser, ctx: Ctx) -> ProjectOut:
    return await handlers.create_project(ctx, principal, body)


@router.get(
    "/{project_id}",
    response_model=ProjectOut,
    responses=problem_responses(404),
    summary="Read a project",
)
async def read_project(project_id: uuid.UUID, principal: CurrentUser, ctx: Ctx) -> ProjectOut:
    return await handlers.read_project(ctx, principal, project_id)


@router.patch(
    "/{project_id}",
    response_model=ProjectOut,
    responses=problem_responses(403, 404, 409),
    summary="Rename, recolour, nest, reorder, archive or restore a project",
)
async def update_project(
    project_id: uuid.UUID, body: ProjectUpdate, principal: CurrentUser, ctx: Ctx
) -> ProjectOut:
    return await handlers.update_project(ctx, principal, project_id, body)


@router.delete(
    "/{project_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(403, 404, 409),
    summary="Delete a project and its tasks (not the Inbox, not one with sub-projects)",
)
async def delete_project(project_id: uuid.UUID, principal: CurrentUser, ctx: Ctx) -> Response:
    await handlers.delete_project(ctx, principal, project_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/{project_id}/members",
    response_model=Members,
    responses=problem_responses(404),
    summary="The members of a project (and, for owners, the invitations that wait)",
)
async def list_members(project_id: uuid.UUID, principal: CurrentUser, ctx: Ctx) -> Members:
    return await handlers.list_members(ctx, principal, project_id)


@router.post(
    "/{project_id}/members",
    status_code=status.HTTP_201_CREATED,
    response_model=MemberOut | InvitationOut,
    responses={
        202: {
            "model": InvitationOut,
            "description": "No account has verified this address yet: the invitation waits.",
        },
        **problem_responses(403, 404, 409),
    },
    summary="Share a project with an address (owners)",
)
async def add_member(
    project_id: uuid.UUID, body: MemberAdd, principal: CurrentUser, ctx: Ctx, response: Response
) -> MemberOut | InvitationOut:
    added = await handlers.add_member(ctx, principal, project_id, body)
    if isinstance(added, InvitationOut):
        response.status_code = status.HTTP_202_ACCEPTED
    return added


@router.patch(
    "/{project_id}/members/{user_id}",
    response_model=MemberOut,
    responses=problem_responses(403, 404, 409),
    summary="Change a member's role (owners)",
)
async def change_role(
    project_id: uuid.UUID, user_id: uuid.UUID, body: MemberUpdate, principal: CurrentUser, ctx: Ctx
) -> MemberOut:
    return await handlers.change_role(ctx, principal, project_id, user_id, body.role)


@router.delete(
    "/{project_id}/members/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(403, 404, 409),
    summary="Remove a member (owners), or leave (yourself); the last owner cannot leave",
)
async def remove_member(
    project_id: uuid.UUID, user_id: uuid.UUID, principal: CurrentUser, ctx: Ctx
) -> Response:
    await handlers.remove_member(ctx, principal, project_id, user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete(
    "/{project_id}/invitations/{invitation_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(403, 404),
    summary="Withdraw an invitation (owners)",
)
async def cancel_invitation(
    project_id: uuid.UUID, invitation_id: uuid.UUID, principal: CurrentUser, ctx: Ctx
) -> Response:
    await handlers.cancel_invitation(ctx, principal, project_id, invitation_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
