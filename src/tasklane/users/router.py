"""/api/v1/users: the caller's profile, and the administration of accounts."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response, status
from sqlalchemy.ext.asyncio import AsyncConnection

from tasklane.auth import service as auth
from tasklane.auth.deps import CurrentUser, limit_auth
from tasklane.core.context import AppContext, Ctx
from tasklane.core.db import DbRead, DbWrite, after_commit
from tasklane.core.errors import Conflict, problem_responses
from tasklane.core.pagination import Cursor, Limit
from tasklane.users import service
from tasklane.users.schemas import (
    AccountDelete,
    AdminUserOut,
    EmailChange,
    PasswordChange,
    ProfileUpdate,
    UserOut,
    UserPage,
)

router = APIRouter(prefix="/api/v1/users", tags=["users"], responses=problem_responses(401))


async def _end_sessions(
    request: Request,
    ctx: AppContext,
    conn: AsyncConnection,
    user_id: uuid.UUID,
    keep: uuid.UUID | None = None,
) -> None:
    """Revoke the user's sessions in this request's transaction; announce it once committed."""
    ended = await auth.end_sessions(conn, user_id, keep)
    after_commit(request, lambda: auth.forget_sessions(ctx, ended))


def _refresh_cache(request: Request, ctx: AppContext, user_id: uuid.UUID) -> None:
    """The cached profile goes once the change is committed."""
    after_commit(request, lambda: service.forget_profile(ctx, user_id))


@router.get("/me", response_model=UserOut, summary="Your profile")
async def read_me(principal: CurrentUser, ctx: Ctx) -> UserOut:
    return await service.cached_profile(ctx, principal.user_id)


@router.patch("/me", response_model=UserOut, summary="Update name, time zone or preferences")
async def update_me(
    body: ProfileUpdate, request: Request, principal: CurrentUser, ctx: Ctx, conn: DbWrite
) -> UserOut:
    _refresh_cache(request, ctx, principal.user_id)
    return await service.update_profile(conn, principal.user_id, body)


@router.post(
    "/me/password",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Change the password; every other session ends",
)
async def change_password(
    body: PasswordChange, request: Request, principal: CurrentUser, ctx: Ctx, conn: DbWrite
) -> Response:
    await limit_auth(request, ctx, account=str(principal.user_id))
    _refresh_cache(request, ctx, principal.user_id)
    await service.change_password(
        ctx, conn, principal.user_id, body.current_password, body.new_password
    )
    await _end_sessions(request, ctx, conn, principal.user_id, keep=principal.session_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/me/email",
    response_model=UserOut,
    responses=problem_responses(409),
    summary="Change the email address (needs the password)",
)
async def change_email(
    body: EmailChange, request: Request, principal: CurrentUser, ctx: Ctx, conn: DbWrite
) -> UserOut:
    _refresh_cache(request, ctx, principal.user_id)
    return await service.change_email(ctx, conn, principal.user_id, body.new_email, body.password)


@router.delete(
    "/me",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete the account and all its tasks (needs the password)",
)
async def delete_me(
    body: AccountDelete, request: Request, principal: CurrentUser, ctx: Ctx, conn: DbWrite
) -> Response:
    _refresh_cache(request, ctx, principal.user_id)
    await service.confirm_password(ctx, conn, principal.user_id, body.password)
    await _end_sessions(request, ctx, conn, principal.user_id)
    await service.delete_account(conn, principal.user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "",
    response_model=UserPage,
    responses=problem_responses(403),
    summary="List accounts (administrators)",
)
async def list_users(
    principal: CurrentUser, conn: DbRead, limit: Limit = 20, cursor: Cursor = None
) -> UserPage:
    await service.require_admin(conn, principal.user_id)
    return await service.list_users(conn, cursor, limit)


@router.post(
    "/{user_id}/deactivate",
    response_model=AdminUserOut,
    responses=problem_responses(403, 404, 409),
    summary="Deactivate an account and end its sessions (administrators)",
)
async def deactivate(
    user_id: uuid.UUID, request: Request, principal: CurrentUser, ctx: Ctx, conn: DbWrite
) -> AdminUserOut:
    _refresh_cache(request, ctx, user_id)
    await service.require_admin(conn, principal.user_id)
    if user_id == principal.user_id:
        raise Conflict("Administrators cannot deactivate their own account.")
    user = await service.set_active(conn, user_id, active=False)
    await _end_sessions(request, ctx, conn, user_id)
    return user


@router.post(
    "/{user_id}/activate",
    response_model=AdminUserOut,
    responses=problem_responses(403, 404),
    summary="Reactivate an account (administrators)",
)
async def activate(
    user_id: uuid.UUID, request: Request, principal: CurrentUser, ctx: Ctx, conn: DbWrite
) -> AdminUserOut:
    _refresh_cache(request, ctx, user_id)
    await service.require_admin(conn, principal.user_id)
    return await service.set_active(conn, user_id, active=True)
