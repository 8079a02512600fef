"""The shared key-value cache: Redis when ``TASKLANE_REDIS_URL`` is set; otherwise the cache
the worker processes of one instance share (``core.cache.WorkerSharedCache``).

Redis is an optimisation, never a dependency of correctness: every call has a short timeout,
and a circuit breaker stops calling a Redis that failed for ``redis_breaker_seconds``, so a
dead Redis costs one timeout, not one per request. While it is down, reads miss and writes are
skipped (the database answers); when it comes back the breaker lets a call through and caching
resumes.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from tasklane.core import metrics
from tasklane.core.cache import InstanceStore, TTLCache, WorkerSharedCache
from tasklane.core.routing import LocalWriteTracker, WriteTracker
from tasklane.settings import Settings

logger = logging.getLogger("tasklane.redis")

T = TypeVar("T")

#: Bumped when the shape of a cached value changes, so old entries are simply never read.
KEY_VERSION = "v1"


def key(*parts: object) -> str:
    return ":".join(("tl", KEY_VERSION, *(str(p) for p in parts)))


class CircuitBreaker:
    """Closed while calls succeed; open for ``cooldown`` seconds after a failure, then one
    trial call decides whether it closes again."""

    def __init__(self, cooldown: float) -> None:
        self.cooldown = cooldown
        self._open_until = 0.0
        self.last_failure = float("-inf")  # monotonic time of the last failed call

    @property
    def is_open(self) -> bool:
        return time.monotonic() < self._open_until

    def success(self) -> None:
        self._open_until = 0.0

    def failure(self) -> None:
        self.last_failure = time.monotonic()
        self._open_until = self.last_failure + self.cooldown


class SharedCache(Protocol):
    async def get(self, name: str) -> bytes | None: ...

    async def set(self, name: str, value: bytes, ttl: float) -> bool:
        """Store ``value``; False when the cache could not be reached (nothing stored)."""

    async def add(self, name: str, value: bytes, ttl: float) -> None:
        """Set ``name`` only if it holds nothing (a fill never overwrites a newer write)."""

    async def delete(self, *names: str) -> None: ...

    def failed_within(self, seconds: float) -> bool:
        """Whether a call failed in the last ``seconds``: entries read now may predate writes
        that were lost meanwhile."""

    async def close(self) -> None: ...


class LocalCache:
    """The single-instance default: the same interface over an in-process TTL cache."""

    def __init__(self, max_entries: int = 100_000) -> None:
        self._data: TTLCache[str, bytes] = TTLCache(max_entries)

    async def get(self, name: str) -> bytes | None:
        value = self._data.get(name)
        if value is None:
            metrics.TALLY.cache_misses += 1
        else:
            metrics.TALLY.cache_hits += 1
        return value

    async def set(self, name: str, value: bytes, ttl: float) -> bool:
        self._data.set(name, value, ttl)
        return True

    async def add(self, name: str, value: bytes, ttl: float) -> None:
        if self._data.get(name) is None:
            self._data.set(name, value, ttl)

    async def delete(self, *names: str) -> None:
        for name in names:
            self._data.delete(name)

    def failed_within(self, seconds: float) -> bool:
        return False

    async def close(self) -> None:
        self._data.clear()


class RedisCache:
    def __init__(self, url: str, *, timeout: float, cooldown: float) -> None:
        self.client: aioredis.Redis = aioredis.Redis.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry_on_timeout=False,
            retry=None,
            health_check_interval=0,
        )
        self.breaker = CircuitBreaker(cooldown)

    async def _call(self, operation: Callable[[aioredis.Redis], Awaitable[T]]) -> T | None:
        if self.breaker.is_open:
            return None
        try:
            result = await operation(self.client)
        except (RedisError, OSError) as error:
            if not self.breaker.is_open:
                logger.warning("redis unavailable, bypassing the cache: %s", error)
            self.breaker.failure()
            return None
        self.breaker.success()
        return result

    async def get(self, name: str) -> bytes | None:
        value = await self._call(lambda r: r.get(name))
        if isinstance(value, bytes):
            metrics.TALLY.cache_hits += 1
            return value
        metrics.TALLY.cache_misses += 1  # absent, or Redis did not answer
        return None

    async def set(self, name: str, value: bytes, ttl: float) -> bool:
        stored = await self._call(lambda r: r.set(name, value, px=max(1, int(ttl * 1000))))
        return bool(stored)

    async def add(self, name: str, value: bytes, ttl: float) -> None:
        await self._call(lambda r: r.set(name, value, px=max(1, int(ttl * 1000)), nx=True))

    async def delete(self, *names: str) -> None:
        if names:
            await self._call(lambda r: r.delete(*names))

    def failed_within(self, seconds: float) -> bool:
        return time.monotonic() - self.breaker.last_failure < seconds

    async def close(self) -> None:
        await self.client.aclose()


def create_shared_cache(settings: Settings, store: InstanceStore | None = None) -> SharedCache:
    """Redis when configured; else the cache the workers of this instance share through
    ``store`` (``core.cache.WorkerSharedCache``), or one process's own without a store."""
    if settings.redis_url:
        return RedisCache(
            settings.redis_url,
            timeout=settings.redis_timeout_seconds,
            cooldown=settings.redis_breaker_seconds,
        )
    if store is not None:
        return WorkerSharedCache(store)
    return LocalCache()


class SharedWriteTracker:
    """Read-your-writes across instances: who wrote recently, in the shared cache, so a write
    on one instance sends that user's next reads on *any* instance to the primary. Also kept
    by ``local`` (the instance's own tracker, shared by its workers), so the instance that
    took the write still knows while Redis is down."""

    def __init__(
        self, cache: SharedCache, window_seconds: float, local: WriteTracker | None = None
    ) -> None:
        self.cache = cache
        self.window_seconds = window_seconds
        self._local: WriteTracker = local or LocalWriteTracker(window_seconds)

    async def mark_write(self, user_id: uuid.UUID) -> None:
        await self._local.mark_write(user_id)
        await self.cache.set(key("wrote", user_id), b"1", self.window_seconds)

    async def recently_wrote(self, user_id: uuid.UUID) -> bool:
        if await self._local.recently_wrote(user_id):
            return True
        return await self.cache.get(key("wrote", user_id)) is not None
