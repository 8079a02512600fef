"""/livez (the process answers) and /readyz (it can reach its database)."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Response

from tasklane.core.context import Ctx
from tasklane.core.errors import ServiceUnavailable, problem_responses

logger = logging.getLogger("tasklane.health")
router = APIRouter(tags=["health"])


@router.get("/livez", summary="The process is alive")
async def livez() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", responses=problem_responses(503), summary="Ready to serve traffic")
async def readyz(ctx: Ctx, response: Response) -> dict[str, str]:
    try:
        await ctx.db.ping()
    except Exception as error:
        logger.warning("readiness check failed: %s", error)
        raise ServiceUnavailable("The database is not reachable.") from error
    return {"status": "ok"}
