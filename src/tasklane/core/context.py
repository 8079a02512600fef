"""What a running process holds: settings, engines, hasher, token service, caches."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from tasklane.core.cache import InstanceStore, TTLCache
from tasklane.core.caller import caller_of
from tasklane.core.db import Database
from tasklane.core.ratelimit import RateLimiter
from tasklane.core.routing import InstanceWriteTracker, WriteTracker
from tasklane.core.security import PasswordHasher, TokenService
from tasklane.core.shared import (
    RedisCache,
    SharedCache,
    SharedWriteTracker,
    create_shared_cache,
)
from tasklane.settings import Settings

#: The instance store's file under ``var_dir``.
INSTANCE_STORE = "instance.store"


@dataclass
class AppContext:
    settings: Settings
    db: Database
    hasher: PasswordHasher
    tokens: TokenService
    #: Redis when configured, in-process otherwise: profiles, stats, session checks.
    cache: SharedCache
    limiter: RateLimiter
    #: Sessions this process revoked: refused at once even while Redis is down.
    session_validity: TTLCache[uuid.UUID, bool] = field(
        default_factory=lambda: TTLCache(max_entries=100_000)
    )
    #: Revocations this process could not publish to the shared cache yet (Redis was
    #: unreachable): published again as soon as it answers.
    unpublished_revocations: TTLCache[uuid.UUID, bool] = field(
        default_factory=lambda: TTLCache(max_entries=100_000)
    )

    #: What the worker processes of this instance share (``core.cache.InstanceStore``).
    store: InstanceStore | None = None

    @classmethod
    def create(cls, settings: Settings) -> AppContext:
        store = InstanceStore(settings.var_dir / INSTANCE_STORE)
        cache = create_shared_cache(settings, store)
        breaker = cache.breaker if isinstance(cache, RedisCache) else None
        window = settings.read_your_writes_seconds
        tracker: WriteTracker = InstanceWriteTracker(store, window)
        if settings.redis_url and settings.database_replica_urls:
            tracker = SharedWriteTracker(cache, window, local=tracker)
        return cls(
            settings=settings,
            db=Database(settings, write_tracker=tracker),
            hasher=PasswordHasher(settings),
            tokens=TokenService(settings),
            cache=cache,
            limiter=RateLimiter(settings, breaker),
            store=store,
        )

    async def close(self) -> None:
        self.hasher.close()
        await self.cache.close()
        await self.db.dispose()
        if self.store is not None:
            self.store.close()


async def get_context(request: Request) -> AppContext:
    """The process context, as the edge found it for this request (``core.caller``).
    ``async`` so FastAPI calls it on the event loop, not through its thread pool."""
    return caller_of(request.scope).app


Ctx = Annotated[AppContext, Depends(get_context)]
