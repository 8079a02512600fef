"""Idempotent POSTs: the first response to a key is stored and replayed to retries.

The key is scoped to the user and the route. The record is claimed in its own short
transaction (so a concurrent retry sees it and gets 409) and completed in the same transaction
as the change itself, so a stored response always describes a committed change. The
functions here take a connection; ``idempotency.handlers.run`` owns the units of work.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.responses import Response

from tasklane.core.context import AppContext
from tasklane.core.errors import Conflict, ValidationProblem
from tasklane.core.types import utcnow
from tasklane.idempotency import repository as repo
from tasklane.idempotency.repository import KeyId

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


async def claim(
    conn: AsyncConnection, ctx: AppContext, ident: KeyId, fingerprint: bytes
) -> Response | None:
    """Claim the key for this attempt (None), or the earlier attempt's stored response."""
    now = utcnow()
    fresh = {
        "user_id": ident.user_id,
        "route": ident.route,
        "key": ident.key,
        "request_hash": fingerprint,
        "locked_at": now,
        "created_at": now,
        "expires_at": now + timedelta(seconds=ctx.settings.idempotency_ttl_seconds),
    }
    if await repo.try_insert(conn, fresh):
        return None
    row = await repo.get_for_update(conn, ident)
    if row is None or row.expires_at <= now:  # gone or expired: start afresh
        await repo.replace(conn, ident, fresh)
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
        await repo.relock(conn, ident, now)
        return None
    headers = dict(row.headers or {})
    headers[REPLAYED_HEADER] = "true"
    return Response(content=row.body, status_code=row.status_code, headers=headers)


async def complete(conn: AsyncConnection, ident: KeyId, response: Response) -> None:
    stored = {
        name: value for name, value in response.headers.items() if name.lower() in _STORED_HEADERS
    }
    await repo.complete(conn, ident, response.status_code, stored, bytes(response.body))


async def release(conn: AsyncConnection, ident: KeyId) -> None:
    """Free the key of an attempt that failed, so that a retry runs the request again."""
    await repo.release(conn, ident)
