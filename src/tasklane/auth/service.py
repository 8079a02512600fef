"""Rules of the auth domain: registration, login, refresh-token rotation, sessions."""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta

from cryptography.exceptions import InvalidTag

from tasklane.auth import repository as repo
from tasklane.core.context import AppContext
from tasklane.core.errors import InvalidCredentials, Unauthorized, ValidationProblem
from tasklane.core.security import AccessClaims, hash_refresh_token, new_refresh_token
from tasklane.core.shared import key as shared_key
from tasklane.core.sql import Connection
from tasklane.core.types import AnyRow, utcnow, uuid7
from tasklane.users import service as users
from tasklane.users.schemas import UserOut

logger = logging.getLogger("tasklane.auth")

LOGIN_FAILED = "The email address or password is not correct."


@dataclass(frozen=True, slots=True)
class IssuedTokens:
    access_token: str
    expires_in: int
    refresh_token: str
    session_id: uuid.UUID | None = None  # of a new session (a login)


async def check_credentials(ctx: AppContext, account: AnyRow | None, password: str) -> AnyRow:
    """The account if ``password`` is its password and it is active; else InvalidCredentials.
    An unknown account (None) verifies against a dummy hash: the answer takes as long and
    reads the same as for a wrong password."""
    ok = await ctx.hasher.verify(account.password_hash if account else None, password)
    if not ok or account is None or not account.is_active:
        raise InvalidCredentials(LOGIN_FAILED)
    return account


async def open_session(
    ctx: AppContext, conn: Connection, user_id: uuid.UUID, user_agent: str | None
) -> IssuedTokens:
    """A new session (one login on one device) and its first tokens."""
    now = utcnow()
    session_id = uuid7()
    await repo.insert_session(
        conn,
        session_id=session_id,
        user_id=user_id,
        now=now,
        expires_at=now + timedelta(seconds=ctx.settings.refresh_token_ttl_seconds),
        user_agent=(user_agent or "")[:255] or None,
    )
    refresh = new_refresh_token()
    await repo.insert_refresh_token(
        conn, session_id=session_id, token_hash=hash_refresh_token(refresh), now=now
    )
    access, ttl = ctx.tokens.issue_access_token(user_id, session_id)
    return IssuedTokens(access, ttl, refresh, session_id)


@dataclass(frozen=True, slots=True)
class Rotation:
    """What a refresh did: new tokens, or the session it ended and why."""

    tokens: IssuedTokens | None = None
    ended_session: uuid.UUID | None = None
    reason: str = ""


async def rotate(ctx: AppContext, conn: Connection, token: str) -> Rotation:
    """Rotate ``token``. Within the grace window a rotated token answers its successor again;
    after it, presenting a rotated token revokes the whole session (token theft). A session
    not refreshed for ``session_idle_timeout_seconds`` is revoked instead of rotated: the
    revocation must commit although the request then fails (see ``auth.handlers``)."""
    token_hash = hash_refresh_token(token)
    now = utcnow()
    idle_limit = timedelta(seconds=ctx.settings.session_idle_timeout_seconds)
    row = await repo.refresh_token_for_update(conn, token_hash)
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        raise Unauthorized("The session has ended; log in again.")
    if now - row.last_used_at > idle_limit:
        await repo.revoke_session(conn, row.session_id, now)
        return Rotation(
            ended_session=row.session_id,
            reason="The session ended after a period without use; log in again.",
        )
    if row.rotated_at is None:
        successor = new_refresh_token()
        await repo.mark_rotated(conn, row.id, now, ctx.tokens.seal(successor, token, token_hash))
        await repo.insert_refresh_token(
            conn, session_id=row.session_id, token_hash=hash_refresh_token(successor), now=now
        )
        await repo.touch_session(conn, row.session_id, now)
    else:
        grace = timedelta(seconds=ctx.settings.refresh_reuse_grace_seconds)
        successor = ""
        if now - row.rotated_at <= grace and row.successor:
            try:
                successor = ctx.tokens.unseal(row.successor, token, token_hash)
            except InvalidTag:  # sealed before successors were sealed under the token
                successor = ""
        if not successor:
            logger.warning("refresh token reuse; revoking session %s", row.session_id)
            await repo.revoke_session(conn, row.session_id, now)
            return Rotation(
                ended_session=row.session_id, reason="The session has ended; log in again."
            )
    access, ttl = ctx.tokens.issue_access_token(row.user_id, row.session_id)
    return Rotation(tokens=IssuedTokens(access, ttl, successor))


async def end_session(conn: Connection, token: str) -> uuid.UUID | None:
    """Revoke the session of refresh ``token``; its id, or None if there is no such token."""
    row = await repo.refresh_token_for_update(conn, hash_refresh_token(token))
    if row is None:
        return None
    await repo.revoke_session(conn, row.session_id, utcnow())
    session_id: uuid.UUID = row.session_id
    return session_id


async def end_sessions(
    conn: Connection, user_id: uuid.UUID, keep: uuid.UUID | None = None
) -> list[uuid.UUID]:
    """Revoke every session of the user (but ``keep``) in ``conn``'s transaction. Pass the ids
    it returns to :func:`forget_sessions` once that transaction has committed: announced
    earlier, a rolled-back revocation would still lock the sessions out."""
    return await repo.revoke_user_sessions(conn, user_id, utcnow(), keep)


def _session_key(session_id: uuid.UUID) -> str:
    return shared_key("session", session_id)


def _revocation_ttl(ctx: AppContext) -> int:
    return ctx.settings.access_token_ttl_seconds + 60  # as long as a token of it can live


async def forget_sessions(ctx: AppContext, session_ids: list[uuid.UUID]) -> None:
    """Make revoked sessions fail the session check at once: in this process, and through
    the shared cache in every other instance. Remembered for an access token's lifetime. A
    revocation the shared cache did not take (Redis unreachable) is published again as soon
    as it answers (:func:`_publish_pending`)."""
    ttl = _revocation_ttl(ctx)
    for session_id in session_ids:
        ctx.session_validity.set(session_id, False, ttl)
        if not await ctx.cache.set(_session_key(session_id), b"0", ttl):
            ctx.unpublished_revocations.set(session_id, True, ttl)


async def _publish_pending(ctx: AppContext) -> None:
    pending = ctx.unpublished_revocations
    for session_id in pending.live_keys():
        if not await ctx.cache.set(_session_key(session_id), b"0", _revocation_ttl(ctx)):
            return  # still unreachable: try again on a later request
        pending.delete(session_id)


async def session_is_valid(ctx: AppContext, claims: AccessClaims) -> bool:
    """Whether the token's session is still live. Cached for ``session_check_ttl_seconds``,
    so most requests are authenticated without a database round trip.

    Redis going away must not bring a revoked session back: a revocation written while it
    was unreachable was lost there, so the answers it still holds may be older than that
    revocation. For ``session_check_ttl_seconds`` after this process last saw it fail, a
    cached "live" answer is checked against the database again; and the revocations this
    process could not publish are published once it answers."""
    if ctx.session_validity.get(claims.session_id) is False:
        return False
    if ctx.unpublished_revocations:
        await _publish_pending(ctx)
    # The cache holds the session's state (its owner while live), not this token's answer: a
    # token naming another account with the same session id neither rides on it nor spoils it.
    caller = str(claims.user_id).encode()
    ttl = ctx.settings.session_check_ttl_seconds
    cached = await ctx.cache.get(_session_key(claims.session_id))
    if cached is not None and (cached == b"0" or not ctx.cache.failed_within(ttl)):
        return cached == caller
    # The primary: a lagging replica must not bring a revoked session back.
    async with ctx.db.primary_reader() as conn:
        row = await repo.session_state(conn, claims.session_id)
    if row is None or row.revoked_at is not None or row.expires_at <= utcnow():
        # Ended for good: always safe to store, and it corrects an answer left from before
        # an outage.
        await ctx.cache.set(_session_key(claims.session_id), b"0", _revocation_ttl(ctx))
        return False
    owner = str(row.user_id).encode()
    # Only if nothing is there: a logout that committed after the read above has stored "0",
    # which this (older) answer must not overwrite.
    await ctx.cache.add(_session_key(claims.session_id), owner, ttl)
    return owner == caller


# --- password reset -------------------------------------------------------------------------

RESET_INVALID = "This link is invalid, used or expired; ask for a new one."


@dataclass(frozen=True, slots=True)
class IssuedReset:
    token: str  # for the email only: never stored
    email: str
    name: str


async def issue_reset(ctx: AppContext, conn: Connection, email: str) -> IssuedReset | None:
    """A reset token for the active account with this address (None without one). Earlier
    unused tokens of the account stop working: only the newest link does."""
    account = await users.credentials(conn, email)
    if account is None or not account.is_active:
        return None
    profile = await users.active_profile(conn, account.id)
    if profile is None:
        return None
    now = utcnow()
    await repo.retire_resets(conn, account.id, now)
    token = new_refresh_token()
    await repo.insert_reset(
        conn,
        {
            "id": uuid7(),
            "user_id": account.id,
            "token_hash": hash_refresh_token(token),
            "created_at": now,
            "expires_at": now + timedelta(seconds=ctx.settings.password_reset_ttl_seconds),
        },
    )
    return IssuedReset(token, profile.email, profile.name)


async def reset_account(conn: Connection, token: str) -> UserOut:
    """The account a usable reset token belongs to, or a 422 on ``token``."""
    row = await repo.reset_by_token(conn, hash_refresh_token(token))
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        raise ValidationProblem.single("token", RESET_INVALID)
    profile = await users.active_profile(conn, row.user_id)
    if profile is None:
        raise ValidationProblem.single("token", RESET_INVALID)
    return profile


async def use_reset(conn: Connection, token: str, user_id: uuid.UUID) -> None:
    """Spend the token (locked: two uses of one link cannot both pass), or a 422."""
    row = await repo.reset_by_token(conn, hash_refresh_token(token), lock=True)
    now = utcnow()
    if row is None or row.used_at is not None or row.expires_at <= now or row.user_id != user_id:
        raise ValidationProblem.single("token", RESET_INVALID)
    await repo.retire_resets(conn, user_id, now)


# --- known devices: a notice on a login from a new one ---------------------------------------

LOGIN_NOTICE = "auth.new_device_login"  # the event the notification service mails
#: How long a browser keeps its device cookie (browsers cap cookies at 400 days).
DEVICE_COOKIE_SECONDS = 400 * 24 * 3600
#: Devices remembered per account; the ones seen longest ago are forgotten first.
MAX_DEVICES = 50
END_LINK_INVALID = "This link is invalid, used or expired."


def network_of(client: str) -> str:
    """The network a client address belongs to (IPv4 /24, IPv6 /48): a phone that moves
    between addresses of one provider stays the same device."""
    try:
        address = ipaddress.ip_address(client)
    except ValueError:
        return client
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def fingerprint(user_agent: str | None, client: str) -> bytes:
    """A device as seen without its cookie: the user agent on a network."""
    return hashlib.sha256(f"{user_agent or ''}\n{network_of(client)}".encode()).digest()


@dataclass(frozen=True, slots=True)
class DeviceCheck:
    cookie: str  # the device cookie to (re)set
    notice: uuid.UUID | None  # the new device to send a notice about, if one is owed


async def device_known(conn: Connection, email: str, device_token: str) -> bool:
    """Whether ``device_token`` is a device cookie the account of ``email`` signed in with."""
    account = await users.credentials(conn, email)
    if account is None:
        return False
    return await repo.device(conn, account.id, hash_refresh_token(device_token)) is not None


async def check_device(
    conn: Connection,
    user_id: uuid.UUID,
    session_id: uuid.UUID,
    device_token: str | None,
    seen_as: bytes,
) -> DeviceCheck:
    """Note the login's device. A device is known by its cookie, or, without it, by its user
    agent and network (so clearing cookies, or a client that keeps none, is not "new" each
    time). An unknown one is remembered, and a notice is owed unless it is the account's first
    device. One device row, so at most one notice, per browser."""
    token = device_token or new_refresh_token()
    device_hash = hash_refresh_token(token)
    now = utcnow()
    if device_token:
        row = await repo.device(conn, user_id, device_hash)
        if row is not None:
            await repo.touch_device(conn, row.id, now, session_id)
            return DeviceCheck(token, None)
    known = await repo.fingerprint_known(conn, user_id, seen_as)
    owed = not known and await repo.has_devices(conn, user_id)
    device_id = uuid7()
    inserted = await repo.insert_device(
        conn,
        {
            "id": device_id,
            "user_id": user_id,
            "device_hash": device_hash,
            "fingerprint": seen_as,
            "session_id": session_id,
            "created_at": now,
            "last_seen_at": now,
        },
    )
    await repo.prune_devices(conn, user_id, MAX_DEVICES)
    return DeviceCheck(token, device_id if owed and inserted else None)


@dataclass(frozen=True, slots=True)
class LoginNotice:
    token: str  # for the email only: ends the device's session; never stored
    email: str
    name: str


async def issue_login_notice(
    ctx: AppContext, conn: Connection, device_id: uuid.UUID
) -> LoginNotice | None:
    """The notice owed for a new device, once: None if it was sent already, the device has
    been forgotten, the account is gone, or the account had its day's notices (a stream of
    logins with ever new user agents cannot flood the owner's inbox)."""
    row = await repo.device_for_update(conn, device_id)
    if row is None or row.notified_at is not None:
        return None
    profile = await users.active_profile(conn, row.user_id)
    if profile is None:
        return None
    now = utcnow()
    sent = await repo.notices_since(conn, row.user_id, now - timedelta(days=1))
    if sent >= ctx.settings.login_notices_per_day:
        logger.warning("login notice for %s dropped: %d sent today", row.user_id, sent)
        await repo.mark_notified(conn, row.id, now, None)
        return None
    token = new_refresh_token()
    await repo.mark_notified(conn, row.id, now, hash_refresh_token(token))
    return LoginNotice(token, profile.email, profile.name)


async def end_noticed_session(ctx: AppContext, conn: Connection, token: str) -> uuid.UUID | None:
    """The link of a new-device notice: the device's session ends and the device is
    forgotten (its next login is new again). Works once, for as long as a session can last;
    else a 422 on ``token``. The session ended, if one was live."""
    row = await repo.device_by_end_token(conn, hash_refresh_token(token))
    now = utcnow()
    lifetime = timedelta(seconds=ctx.settings.refresh_token_ttl_seconds)
    if row is None or row.notified_at is None or row.notified_at + lifetime <= now:
        raise ValidationProblem.single("token", END_LINK_INVALID)
    await repo.delete_device(conn, row.id)
    if row.session_id is None:
        return None
    await repo.revoke_session(conn, row.session_id, now)
    session_id: uuid.UUID = row.session_id
    return session_id
