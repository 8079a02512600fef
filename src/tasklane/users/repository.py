"""All SQL of the users domain."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, insert, or_, select, update

from tasklane.core.sql import Connection, IntegrityError
from tasklane.core.types import AnyRow
from tasklane.users.models import email_tokens, users

_PUBLIC = (
    users.c.id,
    users.c.email,
    users.c.name,
    users.c.role,
    users.c.timezone,
    users.c.preferences,
    users.c.created_at,
    users.c.updated_at,
    users.c.is_active,
    users.c.email_verified_at,
)


async def insert_user(conn: Connection, values: dict[str, Any]) -> bool:
    """Insert an account; False (and nothing changed) if its email address is taken."""
    try:
        async with conn.begin_nested():
            await conn.execute(insert(users).values(**values))
    except IntegrityError:
        return False
    return True


async def set_email(conn: Connection, user_id: uuid.UUID, values: dict[str, Any]) -> bool:
    """Change the address (and ``values``); False (and nothing changed) if it is taken."""
    try:
        async with conn.begin_nested():
            await update_fields(conn, user_id, values)
    except IntegrityError:
        return False
    return True


async def credentials_by_email(conn: Connection, email: str) -> AnyRow | None:
    stmt = select(users.c.id, users.c.password_hash, users.c.is_active).where(
        users.c.email == email
    )
    return (await conn.execute(stmt)).first()


async def password_hash(conn: Connection, user_id: uuid.UUID) -> str | None:
    stmt = select(users.c.password_hash).where(users.c.id == user_id)
    value: str | None = (await conn.execute(stmt)).scalar_one_or_none()
    return value


async def get(conn: Connection, user_id: uuid.UUID) -> AnyRow | None:
    return (await conn.execute(select(*_PUBLIC).where(users.c.id == user_id))).first()


async def update_fields(conn: Connection, user_id: uuid.UUID, values: dict[str, Any]) -> bool:
    result = await conn.execute(update(users).where(users.c.id == user_id).values(**values))
    return result.rowcount > 0


async def delete_user(conn: Connection, user_id: uuid.UUID) -> bool:
    return (await conn.execute(delete(users).where(users.c.id == user_id))).rowcount > 0


async def list_page(
    conn: Connection, after: tuple[datetime, uuid.UUID] | None, limit: int
) -> list[AnyRow]:
    stmt = select(*_PUBLIC).order_by(users.c.created_at, users.c.id).limit(limit)
    if after is not None:
        created, ident = after
        stmt = stmt.where(
            or_(
                users.c.created_at > created,
                and_(users.c.created_at == created, users.c.id > ident),
            )
        )
    return list((await conn.execute(stmt)).all())


async def email_taken(conn: Connection, email: str) -> bool:
    stmt = select(users.c.id).where(users.c.email == email)
    return (await conn.execute(stmt)).first() is not None


async def insert_email_token(conn: Connection, values: dict[str, Any]) -> None:
    await conn.execute(insert(email_tokens).values(**values))


async def email_token_by_hash(
    conn: Connection, token_hash: bytes, *, lock: bool = False
) -> AnyRow | None:
    stmt = select(email_tokens).where(email_tokens.c.token_hash == token_hash)
    if lock:
        stmt = stmt.with_for_update()
    return (await conn.execute(stmt)).first()


async def retire_email_tokens(
    conn: Connection, user_id: uuid.UUID, now: datetime, purpose: str | None = None
) -> None:
    """The user's unused tokens (of ``purpose``, or all) stop working."""
    where = [email_tokens.c.user_id == user_id, email_tokens.c.used_at.is_(None)]
    if purpose is not None:
        where.append(email_tokens.c.purpose == purpose)
    await conn.execute(update(email_tokens).where(*where).values(used_at=now))
