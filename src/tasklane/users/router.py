"""/api/v1/users: the caller's profile, and the administration of accounts."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response, status

from tasklane.auth.deps import CurrentUser, limit_auth
from tasklane.auth.schemas import Accepted
from tasklane.core.context import Ctx
from tasklane.core.errors import problem_responses
from tasklane.core.pagination import Cursor, Limit
from tasklane.users import handlers
from tasklane.users.schemas import (
    AccountDelete,
    AdminUserOut,
    EmailChange,
    EmailChangeAccepted,
    PasswordChange,
    ProfileUpdate,
    UserOut,
    UserPage,
)

router = APIRouter(prefix="/api/v1/users", tags=["users"], responses=problem_responses(401))


@router.get("/me", response_model=UserOut, summary="Your profile")
async def read_me(principal: CurrentUser, ctx: Ctx) -> UserOut:
    return await handlers.read_me(ctx, principal)


@router.patch("/me", response_model=UserOut, summary="Update name, time zone or preferences")
async def update_me(body: ProfileUpdate, principal: CurrentUser, ctx: Ctx) -> UserOut:
    return await handlers.update_me(ctx, principal, body)


@router.post(
    "/me/password",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Change the password; every other session ends",
)
async def change_password(
    body: PasswordChange, request: Request, principal: CurrentUser, ctx: Ctx
) -> Response:
    await limit_auth(request, ctx, account=str(principal.user_id))
    await handlers.change_password(ctx, principal, body)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/me/email",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=EmailChangeAccepted,
    responses=problem_responses(429),
    summary="Ask to change the email address (needs the password): a link goes to the new one",
)
async def change_email(
    body: EmailChange, request: Request, principal: CurrentUser, ctx: Ctx
) -> EmailChangeAccepted:
    await limit_auth(request, ctx, account=str(principal.user_id))
    return await handlers.change_email(ctx, principal, body)


@router.post(
    "/me/verification",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Accepted,
    responses=problem_responses(409, 429),
    summary="Mail a new link that verifies your address",
)
async def request_verification(request: Request, principal: CurrentUser, ctx: Ctx) -> Accepted:
    await limit_auth(request, ctx, account=str(principal.user_id))
    await handlers.request_verification(ctx, principal)
    return Accepted(detail="A new link is on its way to your address.")


@router.delete(
    "/me",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete the account and all its tasks (needs the password)",
)
async def delete_me(body: AccountDelete, principal: CurrentUser, ctx: Ctx) -> Response:
    await handlers.delete_me(ctx, principal, body)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "",
    response_model=UserPage,
    responses=problem_responses(403),
    summary="List accounts (administrators)",
)
async def list_users(
    principal: CurrentUser, ctx: Ctx, limit: Limit = 20, cursor: Cursor = None
) -> UserPage:
    return await handlers.list_users(ctx, principal, cursor, limit)


@router.post(
    "/{user_id}/deactivate",
    response_model=AdminUserOut,
    responses=problem_responses(403, 404, 409),
    summary="Deactivate an account and end its sessions (administrators)",
)
async def deactivate(user_id: uuid.UUID, principal: CurrentUser, ctx: Ctx) -> AdminUserOut:
    return await handlers.set_active(ctx, principal, user_id, active=False)


@router.post(
    "/{user_id}/activate",
    response_model=AdminUserOut,
    responses=problem_responses(403, 404),
    summary="Reactivate an account (administrators)",
)
async def activate(user_id: uuid.UUID, principal: CurrentUser, ctx: Ctx) -> AdminUserOut:
    return await handlers.set_active(ctx, principal, user_id, active=True)
