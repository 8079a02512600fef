"""Idempotent POSTs: the first response to a key is stored and replayed to retries.

The key is scoped to the user and the route. The record is claimed in its own short transaction
(so a concurrent retry sees it and gets 409) and completed in the same transaction as the
change itself, so a stored response always describes a committed change.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import orjson
from sqlalchemy import and_, delete, exc, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.responses import Response

from tasklane.core.context import AppContext
from tasklane.core.errors import Conflict, ValidationProblem
from tasklane.core.idempotency_models import idempotency_keys as keys
from tasklane.core.types import utcnow

REPLAYED_HEADER = "Idempotent-Replayed"
_STORED_HEADERS = ("etag", "location", "content-type")


def request_fingerprint(payload: Any) -> bytes:
    """SHA-256 of the request's JSON, independent of key order and whitespace."""
    return hashlib.sha256(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)).digest()


def check_key(key: str) -> str:
    if not (1 <= len(key) <= 255) or not key.isascii() or not key.isprintable():
        raise ValidationProblem.single(
            "Idempotency-Key", "Use 1 to 255 printable ASCII characters (a UUID, say)."
        )
    return key


async def _claim(
    ctx: AppContext, user_id: uuid.UUID, route: str, key: str, fingerprint: bytes
) -> Response | None:
    """Claim the key for this attempt, or answer from the earlier attempt's record."""
    now = utcnow()
    ident = and_(keys.c.user_id == user_id, keys.c.route == route, keys.c.key == key)
    fresh = {
        "user_id": user_id,
        "route": route,
        "key": key,
        "request_hash": fingerprint,
        "locked_at": now,
        "created_at": now,
        "expires_at": now + timedelta(seconds=ctx.settings.idempotency_ttl_seconds),
    }
    async with ctx.db.transaction() as conn:
        try:
            async with conn.begin_nested():
                await conn.execute(insert(keys).values(**fresh))
            return None
        except exc.IntegrityError:
            pass
        row = (await conn.execute(select(keys).where(ident).with_for_update())).first()
        if row is None or row.expires_at <= now:  # gone or expired: start afresh
            await conn.execute(delete(keys).where(ident))
            await conn.execute(insert(keys).values(**fresh))
            return None
        if row.request_hash != fingerprint:
            raise ValidationProblem.single(
                "Idempotency-Key", "This key was already used with a different request body."
            )
        if row.status_code is None:
            stale = now - row.locked_at > timedelta(seconds=ctx.settings.idempotency_lock_seconds)
            if not stale:
                raise Conflict(
                    "A request with this Idempotency-Key is still being processed; retry later.",
                    headers={"Retry-After": "1"},
                )
            await conn.execute(update(keys).where(ident).values(locked_at=now))
            return None
        headers = dict(row.headers or {})
        headers[REPLAYED_HEADER] = "true"
        return Response(content=row.body, status_code=row.status_code, headers=headers)


async def run_idempotent(
    ctx: AppContext,
    *,
    user_id: uuid.UUID,
    route: str,
    key: str,
    fingerprint: bytes,
    handler: Callable[[AsyncConnection], Awaitable[Response]],
) -> Response:
    replay = await _claim(ctx, user_id, route, check_key(key), fingerprint)
    if replay is not None:
        return replay
    ident = and_(keys.c.user_id == user_id, keys.c.route == route, keys.c.key == key)
    try:
        async with ctx.db.transaction() as conn:
            response = await handler(conn)
            stored = {
                name: value
                for name, value in response.headers.items()
                if name.lower() in _STORED_HEADERS
            }
            await conn.execute(
                update(keys)
                .where(ident)
                .values(
                    status_code=response.status_code,
                    headers=stored,
                    body=bytes(response.body),
                    locked_at=None,
                )
            )
        return response
    except BaseException:
        # Release the key so that a retry can run the request again.
        async with ctx.db.transaction() as conn:
            await conn.execute(delete(keys).where(ident, keys.c.status_code.is_(None)))
        raise
