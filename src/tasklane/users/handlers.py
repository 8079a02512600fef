"""One handler per users operation: it owns the unit of work and what waits for the commit.

Changing a password, deleting an account and deactivating one end sessions (the auth
domain's service) in the same transaction as the change; the revocation is announced, and
the cached profile dropped, once that transaction has committed.
"""

from __future__ import annotations

import uuid

from tasklane.auth import service as auth
from tasklane.auth.deps import Principal
from tasklane.core.context import AppContext
from tasklane.core.db import UnitOfWork
from tasklane.core.errors import Conflict
from tasklane.projects import service as projects
from tasklane.tasks import service as tasks
from tasklane.users import service
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


async def _end_sessions(
    ctx: AppContext, uow: UnitOfWork, user_id: uuid.UUID, keep: uuid.UUID | None = None
) -> None:
    ended = await auth.end_sessions(uow.conn, user_id, keep)
    uow.after_commit(lambda: auth.forget_sessions(ctx, ended))


def _forget_profile(ctx: AppContext, uow: UnitOfWork, user_id: uuid.UUID) -> None:
    uow.after_commit(lambda: service.forget_profile(ctx, user_id))


async def read_me(ctx: AppContext, principal: Principal) -> UserOut:
    return await service.cached_profile(ctx, principal.user_id)


async def update_me(ctx: AppContext, principal: Principal, body: ProfileUpdate) -> UserOut:
    async with ctx.db.unit_of_work() as uow:
        _forget_profile(ctx, uow, principal.user_id)
        profile = await service.update_profile(uow.conn, principal.user_id, body)
        if body.timezone is not None:  # date-only due dates are days of the owner's zone
            await tasks.follow_owner_zone(uow.conn, principal.user_id, profile.timezone)
        return profile


async def change_password(ctx: AppContext, principal: Principal, body: PasswordChange) -> None:
    async with ctx.db.unit_of_work() as uow:
        _forget_profile(ctx, uow, principal.user_id)
        await service.change_password(
            ctx, uow.conn, principal.user_id, body.current_password, body.new_password
        )
        await _end_sessions(ctx, uow, principal.user_id, keep=principal.session_id)


async def change_email(
    ctx: AppContext, principal: Principal, body: EmailChange
) -> EmailChangeAccepted:
    """Only an event is written: the notification service mails a link to the new address
    (or, if another account has it, says so there) and a notice to the current one."""
    async with ctx.db.unit_of_work() as uow:
        email = await service.start_email_change(
            ctx, uow.conn, principal.user_id, body.new_email, body.password
        )
        await service.ask_email_change(uow.conn, principal.user_id, email)
    hours = ctx.settings.email_token_ttl_seconds // 3600
    return EmailChangeAccepted(
        detail=(
            f"A link to confirm the change is on its way to {email}; your address changes "
            f"when it is opened (within {hours} hours). Your current address is told."
        ),
        new_email=email,
    )


async def request_verification(ctx: AppContext, principal: Principal) -> None:
    async with ctx.db.unit_of_work() as uow:
        await service.require_unverified(uow.conn, principal.user_id)
        await service.ask_verification(uow.conn, principal.user_id)


async def delete_me(ctx: AppContext, principal: Principal, body: AccountDelete) -> None:
    async with ctx.db.unit_of_work() as uow:
        _forget_profile(ctx, uow, principal.user_id)
        await service.confirm_password(ctx, uow.conn, principal.user_id, body.password)
        await _end_sessions(ctx, uow, principal.user_id)
        # Shared projects pass on, with the tasks made in them; the rest goes with the account.
        for project_id, heir in await projects.hand_over(uow.conn, principal.user_id):
            await tasks.hand_over(uow.conn, project_id, principal.user_id, heir)
        await service.delete_account(uow.conn, principal.user_id)


async def list_users(
    ctx: AppContext, principal: Principal, cursor: str | None, limit: int
) -> UserPage:
    async with ctx.db.reader() as conn:
        await service.require_admin(conn, principal.user_id)
        return await service.list_users(conn, cursor, limit)


async def set_active(
    ctx: AppContext, principal: Principal, user_id: uuid.UUID, *, active: bool
) -> AdminUserOut:
    async with ctx.db.unit_of_work() as uow:
        _forget_profile(ctx, uow, user_id)
        await service.require_admin(uow.conn, principal.user_id)
        if not active and user_id == principal.user_id:
            raise Conflict("Administrators cannot deactivate their own account.")
        user = await service.set_active(uow.conn, user_id, active=active)
        if not active:
            await _end_sessions(ctx, uow, user_id)
        return user
