"""One handler per auth operation: registration, login, refresh, logout.

Password hashing (tens of milliseconds of Argon2id) runs before a connection is taken, so a
login storm does not hold the pool while it hashes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from tasklane.auth import service
from tasklane.auth.deps import Principal
from tasklane.auth.schemas import EmailConfirmed
from tasklane.auth.service import IssuedTokens
from tasklane.core.context import AppContext
from tasklane.core.errors import Unauthorized
from tasklane.core.sql import Connection
from tasklane.core.types import utcnow
from tasklane.events import service as events
from tasklane.projects import service as projects
from tasklane.users import service as users
from tasklane.users.schemas import UserOut


async def register(
    ctx: AppContext, *, email: str, password: str, name: str, timezone: str | None = None
) -> UserOut:
    users.check_new_password(ctx, password, "password", email)
    password_hash = await ctx.hasher.hash(password)  # before taking a connection
    async with ctx.db.unit_of_work() as uow:
        user = await users.create_user(
            uow.conn,
            email=email,
            name=name,
            password_hash=password_hash,
            timezone=timezone or "UTC",
        )
        await users.ask_verification(uow.conn, user.id)  # mailed by the notification service
        await projects.create_inbox(uow.conn, user.id)
        return user


@dataclass(frozen=True, slots=True)
class LoggedIn:
    tokens: IssuedTokens
    device_cookie: str


async def login(
    ctx: AppContext,
    *,
    email: str,
    password: str,
    user_agent: str | None,
    client: str,
    device_token: str | None,
) -> LoggedIn:
    """Open a session. The device is noted in the same transaction; a login from a device
    the account has not used before writes the event the notification service turns into a
    notice to the owner."""
    async with ctx.db.reader() as conn:
        account = await users.credentials(conn, email)
    account = await service.check_credentials(ctx, account, password)
    new_hash = (
        await ctx.hasher.hash(password) if ctx.hasher.needs_rehash(account.password_hash) else None
    )
    async with ctx.db.unit_of_work() as uow:
        if new_hash:
            await users.rehash_password(uow.conn, account.id, new_hash)
        issued = await service.open_session(ctx, uow.conn, account.id, user_agent)
        cookie = await _note_device(uow.conn, account.id, issued, user_agent, client, device_token)
        return LoggedIn(issued, cookie)


async def _note_device(
    conn: Connection,
    user_id: uuid.UUID,
    issued: IssuedTokens,
    user_agent: str | None,
    client: str,
    device_token: str | None,
) -> str:
    """Note the device a session was just opened from, in the session's transaction; from a
    device the account has not used before, the event the notification service turns into a
    notice to the owner. The device cookie to set."""
    assert issued.session_id is not None
    device = await service.check_device(
        conn, user_id, issued.session_id, device_token, service.fingerprint(user_agent, client)
    )
    if device.notice is not None:
        payload = {
            "user_id": str(user_id),
            "user_agent": (user_agent or "")[:255],
            "network": service.network_of(client),
            "at": utcnow().isoformat(),
        }
        await events.record(conn, service.LOGIN_NOTICE, None, device.notice, payload)
    return device.cookie


async def refresh(ctx: AppContext, token: str) -> IssuedTokens:
    async with ctx.db.unit_of_work() as uow:
        rotation = await service.rotate(ctx, uow.conn, token)
        if rotation.ended_session is not None:
            ended = [rotation.ended_session]
            uow.after_commit(lambda: service.forget_sessions(ctx, ended))
    if rotation.tokens is None:  # the revocation above has committed; the request fails
        raise Unauthorized(rotation.reason)
    return rotation.tokens


async def logout(ctx: AppContext, token: str) -> None:
    async with ctx.db.unit_of_work() as uow:
        session_id = await service.end_session(uow.conn, token)
        if session_id is not None:
            uow.after_commit(lambda: service.forget_sessions(ctx, [session_id]))


async def logout_all(ctx: AppContext, principal: Principal) -> None:
    async with ctx.db.unit_of_work() as uow:
        ended = await service.end_sessions(uow.conn, principal.user_id)
        uow.after_commit(lambda: service.forget_sessions(ctx, ended))


RESET_ASKED = (
    "If an account has this address, a link to choose a new password is on its way. "
    "It works once, within 30 minutes."
)


async def request_password_reset(ctx: AppContext, email: str) -> None:
    """Only an event is written, whatever the address: the answer and its timing say nothing
    about which addresses have accounts. The notification service looks the account up and
    mails the link (``notifications.service.mail_password_reset``)."""
    async with ctx.db.unit_of_work() as uow:
        await events.record(
            uow.conn,
            "auth.password_reset_requested",
            None,
            None,
            {"email": users.normalize_email(email)},
        )


async def confirm_password_reset(
    ctx: AppContext,
    *,
    token: str,
    new_password: str,
    user_agent: str | None,
    client: str,
    device_token: str | None,
) -> LoggedIn:
    """Set the new password with a reset token, end every session of the account and open
    a new one here (the user is signed in). That sign-in's device is checked as a login's is:
    an unknown one gets the owner a new-device notice."""
    async with ctx.db.primary_reader() as conn:
        account = await service.reset_account(conn, token)
    users.check_new_password(ctx, new_password, "new_password", account.email)
    password_hash = await ctx.hasher.hash(new_password)  # before taking a connection
    async with ctx.db.unit_of_work() as uow:
        await service.use_reset(uow.conn, token, account.id)
        await users.set_password(uow.conn, account.id, password_hash)
        ended = await service.end_sessions(uow.conn, account.id)
        uow.after_commit(lambda: service.forget_sessions(ctx, ended))
        issued = await service.open_session(ctx, uow.conn, account.id, user_agent)
        cookie = await _note_device(uow.conn, account.id, issued, user_agent, client, device_token)
        return LoggedIn(issued, cookie)


async def confirm_email(ctx: AppContext, token: str) -> EmailConfirmed:
    """Open a link mailed to an address: verify it, or move the account to it. Sessions are
    kept (the user proved they hold the new address; the old one was told)."""
    async with ctx.db.unit_of_work() as uow:
        done = await users.confirm_email(uow.conn, token)
        # The address is proven: the projects shared with it while it waited are joined.
        await projects.bind_invitations(uow.conn, done.user_id, done.email)
        uow.after_commit(lambda: users.forget_profile(ctx, done.user_id))
    return EmailConfirmed(email=done.email, changed=done.changed)


async def end_noticed_session(ctx: AppContext, token: str) -> None:
    async with ctx.db.unit_of_work() as uow:
        ended = await service.end_noticed_session(ctx, uow.conn, token)
        if ended is not None:
            uow.after_commit(lambda: service.forget_sessions(ctx, [ended]))
