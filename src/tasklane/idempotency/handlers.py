"""Running a POST idempotently: the claim, the change and its stored answer in one unit of work."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from starlette.responses import Response

from tasklane.core.context import AppContext
from tasklane.core.db import UnitOfWork
from tasklane.idempotency.schemas import KeyId
from tasklane.idempotency.service import check_key, claim, complete


async def run(
    ctx: AppContext,
    *,
    user_id: uuid.UUID,
    route: str,
    key: str,
    fingerprint: bytes,
    work: Callable[[UnitOfWork], Awaitable[Response]],
) -> Response:
    """Answer a POST made with an ``Idempotency-Key``: ``work`` runs once per key, in the
    unit of work that also stores its response; retries get that response again."""
    ident = KeyId(user_id, route, check_key(key))
    async with ctx.db.unit_of_work() as uow:
        replay = await claim(uow.conn, ctx, ident, fingerprint)
        if replay is not None:
            return replay
        response = await work(uow)
        await complete(uow.conn, ident, response)
    return response
