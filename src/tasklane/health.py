"""/livez (the process answers) and /readyz (it can reach its database, holds the auth
service's signing keys if it verifies tokens with them, and is not stopping; with read
replicas, how each one stands: a lagging or unreachable replica does not make the instance
unready, since the primary serves its reads)."""

from __future__ import annotations

import asyncio
import logging
from typing import Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from tasklane.core.context import Ctx
from tasklane.core.db import ReplicaState
from tasklane.core.errors import ServiceUnavailable, problem_responses
from tasklane.core.lifecycle import draining

logger = logging.getLogger("tasklane.health")
router = APIRouter(tags=["health"])


@router.get("/livez", summary="The process is alive")
async def livez() -> dict[str, str]:
    return {"status": "ok"}


class ReplicaReadiness(BaseModel):
    """One read replica as the answering process last checked it."""

    replica: int = Field(
        description="1-based position in TASKLANE_DATABASE_REPLICA_URLS (no host names here)."
    )
    state: ReplicaState = Field(
        description="ok; lagging (further behind than TASKLANE_DATABASE_REPLICA_MAX_LAG_SECONDS); "
        "stopped (replication not running); unreachable; unknown (not checked yet, or its "
        "replication status cannot be read)."
    )
    lag_seconds: float | None = Field(
        description="Seconds behind the primary at the last check, when known."
    )
    in_use: bool = Field(description="Whether reads go to it now.")


class Readiness(BaseModel):
    status: Literal["ok"]
    replicas: list[ReplicaReadiness] | None = Field(
        default=None,
        description="Only with read replicas. A replica out of use does not make the instance "
        "unready: the primary serves its reads.",
    )


@router.get(
    "/readyz",
    responses=problem_responses(503),
    summary="Ready to serve traffic",
    response_model_exclude_unset=True,
)
async def readyz(ctx: Ctx, response: Response) -> Readiness:
    if draining():
        # SIGTERM received: leave the rotation while requests are still served (tasklane.server).
        raise ServiceUnavailable("The instance is shutting down.")
    remote = ctx.tokens.remote
    if remote is not None and not remote.ready:
        # No key set from the auth service yet: every token would be refused.
        raise ServiceUnavailable("The auth service's signing keys have not been fetched yet.")
    try:
        async with asyncio.timeout(ctx.settings.readiness_timeout):
            await ctx.db.ping()
    except Exception as error:  # TimeoutError included: a frozen database is not ready
        logger.warning("readiness check failed: %s", error)
        raise ServiceUnavailable("The database is not reachable.") from error
    replicas = [
        ReplicaReadiness(
            replica=replica.index,
            state=replica.state,
            lag_seconds=replica.lag_seconds,
            in_use=replica.in_use,
        )
        for replica in ctx.db.replica_states()
    ]
    if not replicas:
        return Readiness(status="ok")
    return Readiness(status="ok", replicas=replicas)
