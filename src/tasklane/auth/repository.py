"""All SQL of the auth domain."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update

from tasklane.auth.models import known_devices, password_resets, refresh_tokens, sessions
from tasklane.core.sql import Connection, IntegrityError
from tasklane.core.types import AnyRow


async def insert_session(
    conn: Connection,
    *,
    session_id: uuid.UUID,
    user_id: uuid.UUID,
    now: datetime,
    expires_at: datetime,
    user_agent: str | None,
) -> None:
    await conn.execute(
        insert(sessions).values(
            id=session_id,
            user_id=user_id,
            created_at=now,
            last_used_at=now,
            expires_at=expires_at,
            user_agent=user_agent,
        )
    )


async def insert_refresh_token(
    conn: Connection, *, session_id: uuid.UUID, token_hash: bytes, now: datetime
) -> None:
    await conn.execute(
        insert(refresh_tokens).values(
            id=uuid.uuid4(), session_id=session_id, token_hash=token_hash, created_at=now
        )
    )


async def refresh_token_for_update(conn: Connection, token_hash: bytes) -> AnyRow | None:
    """The token and its session, locked until the transaction ends (two refreshes of the same
    token are serialised: the second sees the first one's rotation)."""
    stmt = (
        select(
            refresh_tokens.c.id,
            refresh_tokens.c.rotated_at,
            refresh_tokens.c.successor,
            sessions.c.id.label("session_id"),
            sessions.c.user_id,
            sessions.c.expires_at,
            sessions.c.revoked_at,
            sessions.c.last_used_at,
        )
        .join(sessions, sessions.c.id == refresh_tokens.c.session_id)
        .where(refresh_tokens.c.token_hash == token_hash)
        .with_for_update()
    )
    return (await conn.execute(stmt)).first()


async def mark_rotated(
    conn: Connection, token_id: uuid.UUID, now: datetime, successor: bytes
) -> None:
    await conn.execute(
        update(refresh_tokens)
        .where(refresh_tokens.c.id == token_id)
        .values(rotated_at=now, successor=successor)
    )


async def touch_session(conn: Connection, session_id: uuid.UUID, now: datetime) -> None:
    await conn.execute(update(sessions).where(sessions.c.id == session_id).values(last_used_at=now))


async def revoke_session(conn: Connection, session_id: uuid.UUID, now: datetime) -> None:
    await conn.execute(
        update(sessions)
        .where(sessions.c.id == session_id, sessions.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def revoke_user_sessions(
    conn: Connection, user_id: uuid.UUID, now: datetime, keep: uuid.UUID | None = None
) -> list[uuid.UUID]:
    """Revoke every live session of a user but ``keep``; returns the ids revoked."""
    where = [sessions.c.user_id == user_id, sessions.c.revoked_at.is_(None)]
    if keep is not None:
        where.append(sessions.c.id != keep)
    ids = list((await conn.execute(select(sessions.c.id).where(*where))).scalars())
    if ids:
        await conn.execute(update(sessions).where(sessions.c.id.in_(ids)).values(revoked_at=now))
    return ids


async def session_state(conn: Connection, session_id: uuid.UUID) -> AnyRow | None:
    stmt = select(sessions.c.user_id, sessions.c.expires_at, sessions.c.revoked_at).where(
        sessions.c.id == session_id
    )
    return (await conn.execute(stmt)).first()


async def insert_reset(conn: Connection, values: dict[str, Any]) -> None:
    await conn.execute(insert(password_resets).values(**values))


async def reset_by_token(
    conn: Connection, token_hash: bytes, *, lock: bool = False
) -> AnyRow | None:
    stmt = select(password_resets).where(password_resets.c.token_hash == token_hash)
    if lock:
        stmt = stmt.with_for_update()
    return (await conn.execute(stmt)).first()


async def mark_reset_used(conn: Connection, reset_id: uuid.UUID, now: datetime) -> None:
    await conn.execute(
        update(password_resets).where(password_resets.c.id == reset_id).values(used_at=now)
    )


async def retire_resets(conn: Connection, user_id: uuid.UUID, now: datetime) -> None:
    """Every unused reset of the user stops working (one was used, or a new one issued)."""
    await conn.execute(
        update(password_resets)
        .where(password_resets.c.user_id == user_id, password_resets.c.used_at.is_(None))
        .values(used_at=now)
    )


# --- known devices (new-device login notices) ------------------------------------------------


async def device(conn: Connection, user_id: uuid.UUID, device_hash: bytes) -> AnyRow | None:
    stmt = select(known_devices.c.id).where(
        known_devices.c.user_id == user_id, known_devices.c.device_hash == device_hash
    )
    return (await conn.execute(stmt)).first()


async def fingerprint_known(conn: Connection, user_id: uuid.UUID, fingerprint: bytes) -> bool:
    stmt = select(known_devices.c.id).where(
        known_devices.c.user_id == user_id, known_devices.c.fingerprint == fingerprint
    )
    return (await conn.execute(stmt.limit(1))).first() is not None


async def has_devices(conn: Connection, user_id: uuid.UUID) -> bool:
    stmt = select(known_devices.c.id).where(known_devices.c.user_id == user_id).limit(1)
    return (await conn.execute(stmt)).first() is not None


async def insert_device(conn: Connection, values: dict[str, Any]) -> bool:
    """Remember a device; False (nothing changed) if a concurrent login just did."""
    try:
        async with conn.begin_nested():
            await conn.execute(insert(known_devices).values(**values))
    except IntegrityError:
        return False
    return True


async def touch_device(
    conn: Connection, device_id: uuid.UUID, now: datetime, session_id: uuid.UUID
) -> None:
    await conn.execute(
        update(known_devices)
        .where(known_devices.c.id == device_id)
        .values(last_seen_at=now, session_id=session_id)
    )


async def prune_devices(conn: Connection, user_id: uuid.UUID, keep: int) -> None:
    """Forget the account's devices beyond the ``keep`` seen most recently (an account has a
    few dozen at most: they are read through the user's index and sorted here)."""
    stmt = select(known_devices.c.id, known_devices.c.last_seen_at).where(
        known_devices.c.user_id == user_id
    )
    rows = list((await conn.execute(stmt)).all())
    if len(rows) <= keep:
        return
    rows.sort(key=lambda row: (row.last_seen_at, row.id), reverse=True)
    stale = [row.id for row in rows[keep:]]
    await conn.execute(delete(known_devices).where(known_devices.c.id.in_(stale)))


async def device_for_update(conn: Connection, device_id: uuid.UUID) -> AnyRow | None:
    stmt = select(known_devices).where(known_devices.c.id == device_id).with_for_update()
    return (await conn.execute(stmt)).first()


async def notices_since(conn: Connection, user_id: uuid.UUID, since: datetime) -> int:
    stmt = select(func.count()).where(
        known_devices.c.user_id == user_id,
        known_devices.c.notified_at >= since,
        known_devices.c.end_token_hash.is_not(None),
    )
    return int((await conn.execute(stmt)).scalar_one())


async def mark_notified(
    conn: Connection, device_id: uuid.UUID, now: datetime, end_token_hash: bytes | None
) -> None:
    await conn.execute(
        update(known_devices)
        .where(known_devices.c.id == device_id)
        .values(notified_at=now, end_token_hash=end_token_hash)
    )


async def device_by_end_token(conn: Connection, token_hash: bytes) -> AnyRow | None:
    stmt = (
        select(known_devices).where(known_devices.c.end_token_hash == token_hash).with_for_update()
    )
    return (await conn.execute(stmt)).first()


async def delete_device(conn: Connection, device_id: uuid.UUID) -> None:
    await conn.execute(delete(known_devices).where(known_devices.c.id == device_id))
