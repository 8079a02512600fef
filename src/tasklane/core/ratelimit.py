"""Rate limits with the ``limits`` library: shared through Redis, per worker process without.

Counting uses the sliding-window-counter strategy (two counters per key and window: cheap and
without the burst a fixed window allows at its edge). When Redis fails, the limiter falls back
to in-memory counting for the breaker's cool-down: limits become per process, never absent.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage, RedisStorage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from redis.exceptions import RedisError

from tasklane.core import metrics
from tasklane.core.caller import Caller
from tasklane.core.errors import ProblemError
from tasklane.core.shared import CircuitBreaker
from tasklane.settings import Settings

logger = logging.getLogger("tasklane.ratelimit")


class TooManyRequests(ProblemError):
    status, code, title = 429, "too-many-requests", "Too many requests"


@dataclass(frozen=True)
class Policy:
    """A named set of limits (e.g. 20 a minute and 200 an hour) applied to one kind of key."""

    name: str
    items: tuple[RateLimitItem, ...]

    @classmethod
    def parse(cls, name: str, text: str) -> Policy:
        return cls(name, tuple(parse_many(text)))

    def header(self) -> str:
        """``RateLimit-Policy`` (draft-ietf-httpapi-ratelimit-headers): one entry a limit."""
        return ", ".join(
            f'"{self.name}-{i}";q={item.amount};w={item.get_expiry()}'
            for i, item in enumerate(self.items)
        )


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    policy: Policy
    item_index: int = 0
    remaining: int = 0
    reset_after: int = 0

    def refusal(self) -> TooManyRequests:
        metrics.RATE_LIMITED.labels(self.policy.name).inc()
        return TooManyRequests(
            "Too many requests; wait before trying again.", headers=self.headers()
        )

    def headers(self) -> dict[str, str]:
        name = f"{self.policy.name}-{self.item_index}"
        return {
            "RateLimit-Policy": self.policy.header(),
            "RateLimit": f'"{name}";r={self.remaining};t={self.reset_after}',
            "Retry-After": str(max(1, self.reset_after)),
        }


class _MemoryStorage(MemoryStorage):
    """``limits``' in-process storage, sweeping expired counters at most once a second.

    The stock storage starts its sweep (a new asyncio task walking every key) on each counted
    request: a visible share of a request's CPU in the benchmark profiles. An expired counter is
    already dropped when it is read, so the sweep only returns memory and can wait. (Overrides
    the storage's private hook; ``limits`` is pinned and the test suite exercises this class.)
    """

    SWEEP_SECONDS = 1.0

    def __init__(self) -> None:
        super().__init__()
        self._next_sweep = 0.0

    async def _MemoryStorage__schedule_expiry(self) -> None:
        now = time.monotonic()
        if now >= self._next_sweep:
            self._next_sweep = now + self.SWEEP_SECONDS
            await MemoryStorage._MemoryStorage__schedule_expiry(self)  # type: ignore[attr-defined]


class RateLimiter:
    def __init__(self, settings: Settings, breaker: CircuitBreaker | None) -> None:
        self.enabled = settings.rate_limit_enabled
        self.anonymous = Policy.parse("anonymous", settings.rate_limit_anonymous)
        self.user = Policy.parse("user", settings.rate_limit_user)
        self.auth_address = Policy.parse("auth-address", settings.rate_limit_auth_address)
        self.auth_account = Policy.parse("auth-account", settings.rate_limit_auth_account)
        self._memory = SlidingWindowCounterRateLimiter(_MemoryStorage())
        self._shared: SlidingWindowCounterRateLimiter | None = None
        self._breaker = breaker or CircuitBreaker(settings.redis_breaker_seconds)
        if settings.redis_url:
            storage = RedisStorage(
                settings.redis_url.replace("redis://", "async+redis://", 1)
                if settings.redis_url.startswith("redis://")
                else settings.redis_url,
                implementation="redispy",
                wrap_exceptions=False,
                key_prefix="tl:v1:rl",
                socket_timeout=settings.redis_timeout_seconds,
                socket_connect_timeout=settings.redis_timeout_seconds,
            )
            self._shared = SlidingWindowCounterRateLimiter(storage)

    def _strategy(self) -> SlidingWindowCounterRateLimiter | None:
        if self._shared is not None and not self._breaker.is_open:
            return self._shared
        return None

    async def hit(self, policy: Policy, *identity: str) -> Verdict:
        """Count one request against every limit of ``policy`` for ``identity``."""
        if not self.enabled:
            return Verdict(True, policy)
        shared = self._strategy()
        if shared is not None:
            try:
                verdict = await self._hit(shared, policy, identity)
            except (RedisError, OSError) as error:
                logger.warning("redis unavailable, rate limits per process: %s", error)
                self._breaker.failure()
            else:
                self._breaker.success()
                return verdict
        return await self._hit(self._memory, policy, identity)

    @staticmethod
    async def _hit(
        strategy: SlidingWindowCounterRateLimiter, policy: Policy, identity: tuple[str, ...]
    ) -> Verdict:
        for index, item in enumerate(policy.items):
            if not await strategy.hit(item, policy.name, *identity):
                stats = await strategy.get_window_stats(item, policy.name, *identity)
                reset_after = max(1, math.ceil(stats.reset_time - time.time()))
                return Verdict(False, policy, index, stats.remaining, reset_after)
        return Verdict(True, policy)

    async def forgive(self, policy: Policy, *identity: str) -> None:
        """Forget what ``identity`` spent of ``policy`` (a login that succeeded ends the
        failures before it: a user signing in on many devices is not locked out)."""
        if not self.enabled:
            return
        for strategy in (self._strategy(), self._memory):
            if strategy is None:
                continue
            try:
                for item in policy.items:
                    await strategy.clear(item, policy.name, *identity)
            except (RedisError, OSError) as error:
                logger.warning("redis unavailable, rate limit not cleared: %s", error)
                self._breaker.failure()

    async def enforce(self, policy: Policy, *identity: str) -> None:
        verdict = await self.hit(policy, *identity)
        if not verdict.allowed:
            raise verdict.refusal()


async def rate_limit_refusal(limiter: RateLimiter, caller: Caller) -> TooManyRequests | None:
    """Counts one API request: per user when it carries a valid access token, per client
    address otherwise; the refusal when a limit is spent (``core.http.EdgeMiddleware``)."""
    if not limiter.enabled:
        return None
    if caller.claims is not None:
        verdict = await limiter.hit(limiter.user, str(caller.claims.user_id))
    else:
        verdict = await limiter.hit(limiter.anonymous, caller.client)
    return None if verdict.allowed else verdict.refusal()


def account_key(email: str) -> str:
    """Accounts are counted by a hash of the address, not the address itself. Pass it
    normalised exactly as the account lookup compares it (``users.service.normalize_email``),
    so that every spelling that finds the account spends the same budget."""
    return hashlib.sha256(email.encode()).hexdigest()[:32]
