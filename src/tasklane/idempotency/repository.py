"""All SQL of idempotency records: one row per (user, route, key)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, exc, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from tasklane.core.types import AnyRow
from tasklane.idempotency.models import idempotency_keys as keys


@dataclass(frozen=True, slots=True)
class KeyId:
    user_id: uuid.UUID
    route: str
    key: str

    def where(self) -> ColumnElement[bool]:
        return and_(
            keys.c.user_id == self.user_id, keys.c.route == self.route, keys.c.key == self.key
        )


async def try_insert(conn: AsyncConnection, values: dict[str, Any]) -> bool:
    """Insert a record; False (and nothing changed) if the key is taken already."""
    try:
        async with conn.begin_nested():
            await conn.execute(insert(keys).values(**values))
    except exc.IntegrityError:
        return False
    return True


async def replace(conn: AsyncConnection, ident: KeyId, values: dict[str, Any]) -> None:
    await conn.execute(delete(keys).where(ident.where()))
    await conn.execute(insert(keys).values(**values))


async def get_for_update(conn: AsyncConnection, ident: KeyId) -> AnyRow | None:
    return (await conn.execute(select(keys).where(ident.where()).with_for_update())).first()


async def relock(conn: AsyncConnection, ident: KeyId, now: datetime) -> None:
    await conn.execute(update(keys).where(ident.where()).values(locked_at=now))


async def complete(
    conn: AsyncConnection, ident: KeyId, status_code: int, headers: dict[str, str], body: bytes
) -> None:
    await conn.execute(
        update(keys)
        .where(ident.where())
        .values(status_code=status_code, headers=headers, body=body, locked_at=None)
    )


async def release(conn: AsyncConnection, ident: KeyId) -> None:
    """Drop a claim whose request did not complete (a completed record stays)."""
    await conn.execute(delete(keys).where(ident.where(), keys.c.status_code.is_(None)))
