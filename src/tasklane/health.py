"""/livez (the process answers) and /readyz (it can reach its database and is not stopping)."""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter, Response

from tasklane.core.context import Ctx
from tasklane.core.errors import ServiceUnavailable, problem_responses
from tasklane.core.lifecycle import draining

logger = logging.getLogger("tasklane.health")
router = APIRouter(tags=["health"])


@router.get("/livez", summary="The process is alive")
async def livez() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", responses=problem_responses(503), summary="Ready to serve traffic")
async def readyz(ctx: Ctx, response: Response) -> dict[str, str]:
    if draining():
        # SIGTERM received: leave the rotation while requests are still served (tasklane.server).
        raise ServiceUnavailable("The instance is shutting down.")
    try:
        async with asyncio.timeout(ctx.settings.readiness_timeout):
            await ctx.db.ping()
    except Exception as error:  # TimeoutError included: a frozen database is not ready
        logger.warning("readiness check failed: %s", error)
        raise ServiceUnavailable("The database is not reachable.") from error
    return {"status": "ok"}
