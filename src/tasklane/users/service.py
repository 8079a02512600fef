"""Rules of the users domain: accounts, profiles and their administration."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tasklane.core.context import AppContext
from tasklane.core.errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationProblem
from tasklane.core.pagination import decode_cursor, encode_cursor
from tasklane.core.security import hash_refresh_token, new_refresh_token
from tasklane.core.shared import key as shared_key
from tasklane.core.sql import Connection
from tasklane.core.types import AnyRow, utcnow, uuid7
from tasklane.events import service as events
from tasklane.users import repository as repo
from tasklane.users.passwords import password_problem
from tasklane.users.schemas import (
    AdminUserOut,
    MailKind,
    Preferences,
    ProfileUpdate,
    UserOut,
    UserPage,
)

EMAIL_TAKEN = "An account with this email address already exists."


def normalize_email(email: str) -> str:
    return email.strip().lower()


def check_new_password(ctx: AppContext, password: str, field: str, email: str | None) -> None:
    problem = password_problem(password, ctx.settings, email=email)
    if problem:
        raise ValidationProblem.single(field, problem)


def _user_out(row: AnyRow) -> UserOut:
    return UserOut(
        id=row.id,
        email=row.email,
        name=row.name,
        role=row.role,
        timezone=row.timezone,
        preferences=Preferences.model_validate(row.preferences or {}),
        created_at=row.created_at,
        updated_at=row.updated_at,
        email_verified_at=row.email_verified_at,
    )


def _admin_out(row: AnyRow) -> AdminUserOut:
    return AdminUserOut(**_user_out(row).model_dump(), is_active=row.is_active)


async def create_user(
    conn: Connection,
    *,
    email: str,
    name: str,
    password_hash: str,
    role: str = "user",
    timezone: str = "UTC",
) -> UserOut:
    now = utcnow()
    user_id = uuid7()
    created = await repo.insert_user(
        conn,
        {
            "id": user_id,
            "email": normalize_email(email),
            "name": name,
            "password_hash": password_hash,
            "role": role,
            "is_active": True,
            "timezone": timezone,
            "preferences": Preferences().model_dump(),
            "created_at": now,
            "updated_at": now,
        },
    )
    if not created:
        raise Conflict(EMAIL_TAKEN)
    row = await repo.get(conn, user_id)
    assert row is not None
    return _user_out(row)


async def credentials(conn: Connection, email: str) -> AnyRow | None:
    """(id, password_hash, is_active) of the account with this email, if any."""
    return await repo.credentials_by_email(conn, normalize_email(email))


async def set_password(conn: Connection, user_id: uuid.UUID, password_hash: str) -> None:
    """A new password chosen by its owner (a reset): the hash and the change time."""
    await repo.update_fields(
        conn, user_id, {"password_hash": password_hash, "updated_at": utcnow()}
    )


async def active_profile(conn: Connection, user_id: uuid.UUID) -> UserOut | None:
    """The account's profile while it is active, else None."""
    row = await repo.get(conn, user_id)
    return _user_out(row) if row is not None and row.is_active else None


async def rehash_password(conn: Connection, user_id: uuid.UUID, password_hash: str) -> None:
    await repo.update_fields(conn, user_id, {"password_hash": password_hash})


async def get_profile(conn: Connection, user_id: uuid.UUID) -> UserOut:
    row = await repo.get(conn, user_id)
    if row is None or not row.is_active:
        raise Unauthorized("The account no longer exists or is deactivated.")
    return _user_out(row)


def _profile_key(user_id: uuid.UUID) -> str:
    return shared_key("profile", user_id)


async def cached_profile(ctx: AppContext, user_id: uuid.UUID) -> UserOut:
    """The profile through the shared cache, filled from the primary (a lagging replica must
    not put an old profile in the cache)."""
    raw = await ctx.cache.get(_profile_key(user_id))
    if raw is not None:
        return UserOut.model_validate_json(raw)
    async with ctx.db.primary_reader() as conn:
        profile = await get_profile(conn, user_id)
    ttl = ctx.settings.cache_profile_ttl_seconds
    await ctx.cache.set(_profile_key(user_id), profile.model_dump_json().encode(), ttl)
    return profile


async def forget_profile(ctx: AppContext, user_id: uuid.UUID) -> None:
    await ctx.cache.delete(_profile_key(user_id))


async def update_profile(conn: Connection, user_id: uuid.UUID, change: ProfileUpdate) -> UserOut:
    current = await get_profile(conn, user_id)
    changed: dict[str, Any] = change.model_dump(include={"name", "timezone"}, exclude_none=True)
    if change.preferences is not None:
        merged = current.preferences.model_dump()
        patch = change.preferences.model_dump(exclude_none=True)
        merged["email"].update(patch.pop("email", {}))  # a nested group merges too
        merged.update(patch)
        changed["preferences"] = Preferences.model_validate(merged)
    if not changed:
        return current
    changed["updated_at"] = utcnow()
    stored = {k: v.model_dump() if k == "preferences" else v for k, v in changed.items()}
    await repo.update_fields(conn, user_id, stored)
    if "timezone" in changed or "preferences" in changed:  # the digest's schedule follows
        await events.record(conn, PROFILE_CHANGED, None, None, {"user_id": str(user_id)})
    return current.model_copy(update=changed)


async def _verify_password(
    ctx: AppContext, conn: Connection, user_id: uuid.UUID, password: str, field: str
) -> None:
    stored = await repo.password_hash(conn, user_id)
    if not await ctx.hasher.verify(stored, password):
        raise ValidationProblem.single(field, "The password is not correct.")


async def change_password(
    ctx: AppContext, conn: Connection, user_id: uuid.UUID, current: str, new: str
) -> None:
    profile = await get_profile(conn, user_id)
    await _verify_password(ctx, conn, user_id, current, "current_password")
    if new == current:
        raise ValidationProblem.single(
            "new_password", "The new password is the current one: choose another."
        )
    check_new_password(ctx, new, "new_password", profile.email)
    await set_password(conn, user_id, await ctx.hasher.hash(new))


async def start_email_change(
    ctx: AppContext, conn: Connection, user_id: uuid.UUID, new_email: str, password: str
) -> str:
    """Check a request to move the account to ``new_email`` (the password, a different
    address); the normalised address. Nothing changes until the link mailed to it is opened,
    and whether another account has it is not told here (the mail to it tells)."""
    profile = await get_profile(conn, user_id)
    await _verify_password(ctx, conn, user_id, password, "password")
    email = normalize_email(new_email)
    if email == profile.email:
        raise ValidationProblem.single("new_email", "This is already your address.")
    return email


# --- links mailed to an address: verification and email change -----------------------------

#: Events the notification service turns into mail. They carry no user id of their own, so
#: they are not shown on the account's live streams.
VERIFICATION_REQUESTED = "users.verification_requested"
PROFILE_CHANGED = "users.profile_changed"
EMAIL_CHANGE_REQUESTED = "users.email_change_requested"


async def ask_verification(conn: Connection, user_id: uuid.UUID) -> None:
    """Ask for a verification link to the account's address, in ``conn``'s transaction (the
    link itself is made and mailed by the notification service)."""
    await events.record(conn, VERIFICATION_REQUESTED, None, None, {"user_id": str(user_id)})


async def ask_email_change(conn: Connection, user_id: uuid.UUID, new_email: str) -> None:
    payload = {"user_id": str(user_id), "new_email": new_email}
    await events.record(conn, EMAIL_CHANGE_REQUESTED, None, None, payload)


EMAIL_LINK_INVALID = "This link is invalid, used or expired; ask for a new one."
VERIFY = "verify"
CHANGE = "change"


@dataclass(frozen=True, slots=True)
class EmailLink:
    """A link to mail: ``token`` (never stored; None when the new address belongs to another
    account) goes to ``to``; ``current`` is the account's address now."""

    token: str | None
    to: str
    current: str
    name: str


async def _issue(
    ctx: AppContext, conn: Connection, user_id: uuid.UUID, purpose: str, email: str
) -> str:
    """A new token for ``purpose``; the earlier unused ones of that purpose stop working."""
    now = utcnow()
    await repo.retire_email_tokens(conn, user_id, now, purpose)
    token = new_refresh_token()
    await repo.insert_email_token(
        conn,
        {
            "id": uuid7(),
            "user_id": user_id,
            "purpose": purpose,
            "email": email,
            "token_hash": hash_refresh_token(token),
            "created_at": now,
            "expires_at": now + timedelta(seconds=ctx.settings.email_token_ttl_seconds),
        },
    )
    return token


async def require_unverified(conn: Connection, user_id: uuid.UUID) -> None:
    profile = await get_profile(conn, user_id)
    if profile.email_verified_at is not None:
        raise Conflict("This address is verified already.")


async def issue_verification(
    ctx: AppContext, conn: Connection, user_id: uuid.UUID
) -> EmailLink | None:
    """A verification link for the account's address; None if it is verified already or
    the account is gone or deactivated."""
    row = await repo.get(conn, user_id)
    if row is None or not row.is_active or row.email_verified_at is not None:
        return None
    token = await _issue(ctx, conn, user_id, VERIFY, row.email)
    return EmailLink(token, row.email, row.email, row.name)


async def issue_email_change(
    ctx: AppContext, conn: Connection, user_id: uuid.UUID, new_email: str
) -> EmailLink | None:
    """A link that moves the account to ``new_email``, or (``token`` None) the news that
    another account has it; None if the account is gone or already has that address."""
    row = await repo.get(conn, user_id)
    if row is None or not row.is_active or row.email == new_email:
        return None
    if await repo.email_taken(conn, new_email):
        return EmailLink(None, new_email, row.email, row.name)
    token = await _issue(ctx, conn, user_id, CHANGE, new_email)
    return EmailLink(token, new_email, row.email, row.name)


@dataclass(frozen=True, slots=True)
class EmailConfirmed:
    user_id: uuid.UUID
    email: str
    changed: bool  # the account moved to ``email`` (else: its address was verified)


async def confirm_email(conn: Connection, token: str) -> EmailConfirmed:
    """Spend a verification or email-change token (locked: two uses cannot both pass): the
    address is verified, or the account moves to the new one (verified, since the link
    reached it). Sessions are kept. A 422 on ``token`` if it is unknown, used or expired, or
    verifies an address the account no longer has; a 409 if another account took the new
    address meanwhile."""
    row = await repo.email_token_by_hash(conn, hash_refresh_token(token), lock=True)
    now = utcnow()
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise ValidationProblem.single("token", EMAIL_LINK_INVALID)
    account = await repo.get(conn, row.user_id)
    if account is None or not account.is_active:
        raise ValidationProblem.single("token", EMAIL_LINK_INVALID)
    if row.purpose == CHANGE:
        moved = {"email": row.email, "email_verified_at": now, "updated_at": now}
        if not await repo.set_email(conn, row.user_id, moved):
            raise Conflict(EMAIL_TAKEN)
    elif account.email != row.email:
        raise ValidationProblem.single("token", EMAIL_LINK_INVALID)
    elif account.email_verified_at is None:
        await repo.update_fields(conn, row.user_id, {"email_verified_at": now, "updated_at": now})
    await repo.retire_email_tokens(conn, row.user_id, now)
    return EmailConfirmed(row.user_id, row.email, row.purpose == CHANGE)


async def opt_out(conn: Connection, user_id: uuid.UUID, kind: MailKind) -> bool:
    """Stop one kind of non-essential mail for the account; False if there is no account."""
    row = await repo.get(conn, user_id)
    if row is None:
        return False
    preferences = Preferences.model_validate(row.preferences or {})
    if getattr(preferences.email, kind):
        email = preferences.email.model_copy(update={kind: False})
        stored = preferences.model_copy(update={"email": email}).model_dump()
        await repo.update_fields(conn, user_id, {"preferences": stored, "updated_at": utcnow()})
    return True


async def confirm_password(
    ctx: AppContext, conn: Connection, user_id: uuid.UUID, password: str
) -> None:
    """A 422 on ``password`` unless it is the account's current password."""
    await get_profile(conn, user_id)
    await _verify_password(ctx, conn, user_id, password, "password")


async def delete_account(conn: Connection, user_id: uuid.UUID) -> None:
    """Delete the account; the caller has checked the password (``confirm_password``)."""
    # Sessions, refresh tokens, tasks and idempotency records go with it (ON DELETE CASCADE).
    await repo.delete_user(conn, user_id)


async def require_admin(conn: Connection, user_id: uuid.UUID) -> None:
    row = await repo.get(conn, user_id)
    if row is None or not row.is_active or row.role != "admin":
        raise Forbidden("This needs an administrator.")


async def list_users(conn: Connection, cursor: str | None, limit: int) -> UserPage:
    after: tuple[datetime, uuid.UUID] | None = None
    if cursor:
        created_at, user_id = decode_cursor(cursor, "users", ("datetime", "id"))
        after = (created_at, user_id)
    rows = await repo.list_page(conn, after, limit + 1)
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor("users", [last.created_at, last.id])
    return UserPage(items=[_admin_out(r) for r in rows], next_cursor=next_cursor)


async def set_active(conn: Connection, user_id: uuid.UUID, active: bool) -> AdminUserOut:
    if not await repo.update_fields(conn, user_id, {"is_active": active, "updated_at": utcnow()}):
        raise NotFound("No such user.")
    row = await repo.get(conn, user_id)
    assert row is not None
    return _admin_out(row)


DELETED_ACCOUNT = "Deleted account"


async def display_names(
    conn: Connection, user_ids: Iterable[uuid.UUID | None]
) -> dict[uuid.UUID | None, str]:
    """The names to show for the authors of comments and changes: an account deleted since
    (None) or deactivated shows as such."""
    names: dict[uuid.UUID | None, str] = {None: DELETED_ACCOUNT}
    for user_id in {u for u in user_ids if u is not None}:
        row = await repo.get(conn, user_id)
        names[user_id] = (
            DELETED_ACCOUNT if row is None else row.name if row.is_active else "Deactivated account"
        )
    return names
