"""Idempotent POSTs: the first response to a key is stored and replayed to retries.

The key is scoped to the user and the route. The record is claimed, the change made and its
answer stored in one transaction: a stored answer always describes a committed change, and a
claim never outlives the attempt that made it (its transaction holds it; a crash or a dropped
connection releases it). A concurrent retry waits briefly for a running attempt and replays
its answer, or gets a 409 with Retry-After. The functions here take a connection;
``idempotency.handlers.run`` owns the unit of work.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import orjson
from starlette.responses import Response

from tasklane.core.context import AppContext
from tasklane.core.errors import Conflict, ValidationProblem
from tasklane.core.sql import Connection
from tasklane.core.types import utcnow
from tasklane.idempotency import repository as repo
from tasklane.idempotency.schemas import KeyId

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
    conn: Connection, ctx: AppContext, ident: KeyId, fingerprint: bytes
) -> Response | None:
    """Claim the key in ``conn``'s transaction (None: go on, the change and its stored answer
    commit together), or the answer stored by the attempt that completed it. The claim lives
    and dies with its transaction: an attempt whose process or connection died holds nothing,
    so a retry never waits for a lock to expire."""
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
    outcome = await repo.try_claim(conn, fresh, ctx.settings.idempotency_wait_seconds)
    if outcome == "claimed":
        return None
    row = await repo.get(conn, ident) if outcome == "taken" else None
    if row is None:  # still running elsewhere (or gone in between): come back shortly
        raise Conflict(
            "A request with this Idempotency-Key is still being processed; retry shortly.",
            headers={"Retry-After": "1"},
        )
    if row.expires_at <= now:  # forgotten: the key may come back, with any body
        await repo.replace(conn, ident, fresh)
        return None
    if row.request_hash != fingerprint:
        raise ValidationProblem.single(
            "Idempotency-Key", "This key was already used with a different request body."
        )
    if row.status_code is None:  # a claim committed without its answer by an earlier version
        await repo.replace(conn, ident, fresh)
        return None
    headers = dict(row.headers or {})
    headers[REPLAYED_HEADER] = "true"
    return Response(content=row.body, status_code=row.status_code, headers=headers)


async def complete(conn: Connection, ident: KeyId, response: Response) -> None:
    stored = {
        name: value for name, value in response.headers.items() if name.lower() in _STORED_HEADERS
    }
    await repo.complete(conn, ident, response.status_code, stored, bytes(response.body))
