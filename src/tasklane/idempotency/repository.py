"""All SQL of idempotency records: one row per (user, route, key)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, delete, insert, select, text, update

from tasklane.core.sql import Connection, DatabaseError, IntegrityError
from tasklane.core.types import AnyRow
from tasklane.idempotency.models import idempotency_keys as keys
from tasklane.idempotency.schemas import KeyId


def _where(ident: KeyId) -> ColumnElement[bool]:
    return and_(
        keys.c.user_id == ident.user_id, keys.c.route == ident.route, keys.c.key == ident.key
    )


async def try_claim(conn: Connection, values: dict[str, Any], wait_seconds: int) -> str:
    """Insert a claim in ``conn``'s transaction: ``"claimed"``; ``"taken"`` if a committed
    record has the key; ``"busy"`` if another transaction, still running, holds it and did
    not end within ``wait_seconds`` (inserting the same key waits for that transaction: if
    it commits, the key is taken; if it rolls back or its connection dies, the claim is ours).
    """
    mysql = conn.dialect.name == "mysql"
    try:
        async with conn.begin_nested():
            if mysql:
                await conn.execute(text(f"SET SESSION innodb_lock_wait_timeout = {wait_seconds}"))
            elif conn.dialect.name == "postgresql":
                await conn.execute(text(f"SET LOCAL lock_timeout = '{wait_seconds}s'"))
            await conn.execute(insert(keys).values(**values))
            if conn.dialect.name == "postgresql":
                await conn.execute(text("SET LOCAL lock_timeout = DEFAULT"))
    except IntegrityError:
        return "taken"
    except DatabaseError as error:
        if _lock_wait_ended(error):
            return "busy"
        raise
    finally:
        if mysql and not conn.invalidated:
            await conn.execute(text("SET SESSION innodb_lock_wait_timeout = DEFAULT"))
    return "claimed"


def _lock_wait_ended(error: DatabaseError) -> bool:
    """MariaDB/MySQL's lock wait timeout (1205), PostgreSQL's lock_timeout (55P03)."""
    return error.code == 1205 or error.sqlstate == "55P03"


async def get(conn: Connection, ident: KeyId) -> AnyRow | None:
    return (await conn.execute(select(keys).where(_where(ident)))).first()


async def replace(conn: Connection, ident: KeyId, values: dict[str, Any]) -> None:
    await conn.execute(delete(keys).where(_where(ident)))
    await conn.execute(insert(keys).values(**values))


async def complete(
    conn: Connection, ident: KeyId, status_code: int, headers: dict[str, str], body: bytes
) -> None:
    await conn.execute(
        update(keys)
        .where(_where(ident))
        .values(status_code=status_code, headers=headers, body=body)
    )
