"""What a running process holds: settings, engines, hasher, token service, caches."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from tasklane.core.cache import TTLCache
from tasklane.core.db import Database
from tasklane.core.security import PasswordHasher, TokenService
from tasklane.settings import Settings


@dataclass
class AppContext:
    settings: Settings
    db: Database
    hasher: PasswordHasher
    tokens: TokenService
    #: session id -> still valid? (see auth.service.session_is_valid)
    session_validity: TTLCache[uuid.UUID, bool] = field(
        default_factory=lambda: TTLCache(max_entries=100_000)
    )

    @classmethod
    def create(cls, settings: Settings) -> AppContext:
        return cls(
            settings=settings,
            db=Database(settings),
            hasher=PasswordHasher(settings),
            tokens=TokenService(settings),
        )

    async def close(self) -> None:
        self.hasher.close()
        await self.db.dispose()


def get_context(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


Ctx = Annotated[AppContext, Depends(get_context)]
