"""``tasklane worker``: the notification service's background work, one loop per process.

Each turn: the relay hands new outbox events on; the consumers handle them (each once in
effect: ``events.service.first_time``); the reminders whose time has come fire; the mail
waiting in the outbox is sent; old outbox rows, and the tasks in the trash for 30 days, are
pruned now and then.

Without Redis there is no bus: the relay hands the events straight to this process's
consumers and marks them published once they are handled. With Redis, the relay appends them
to a stream and the consumers read it as one consumer group shared by every worker process,
so the work spreads over them and each event is handled by one (a worker that dies leaves
its unacknowledged entries to be claimed by another). Redis that fails or does not answer
within ``REDIS_TIMEOUT_SECONDS`` counts as down for ``REDIS_BREAKER_SECONDS``, during which the
relay works as without it: the relay's outbox locks are never held waiting on Redis, so writes
that add events never wait on it either.

Run it as its own process (``tasklane worker``), any number of them; ``tasklane serve`` also
runs one inside each server process unless ``TASKLANE_WORKER_EMBEDDED`` is false, so a laptop
needs nothing more.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from redis.exceptions import RedisError

from tasklane.core.context import AppContext
from tasklane.core.sql import Connection
from tasklane.core.types import utcnow
from tasklane.events import service as events
from tasklane.events.bus import RedisStreamBus
from tasklane.events.schemas import Event
from tasklane.notifications import service as notifications
from tasklane.tasks import service as tasks

logger = logging.getLogger("tasklane.worker")

GROUP = "notification-service"
BATCH = 100
PRUNE_EVERY_SECONDS = 3600.0
#: At most this many batches of the trash are purged in one prune (the rest at the next).
PURGE_BATCHES = 20

Consumer = Callable[[AppContext, Connection, Event], Awaitable[None]]


async def _reminders(ctx: AppContext, conn: Connection, event: Event) -> None:
    await notifications.plan_reminders(conn, event, ctx.settings.reminder_offsets_minutes)


async def _reset_mail(ctx: AppContext, conn: Connection, event: Event) -> None:
    await notifications.mail_password_reset(ctx, conn, event)


async def _account_mail(ctx: AppContext, conn: Connection, event: Event) -> None:
    await notifications.mail_account(ctx, conn, event)


async def _digests(ctx: AppContext, conn: Connection, event: Event) -> None:
    await notifications.plan_digest(conn, event)


#: Every consumer of domain events: its name (in the handled-events record) and its effect.
CONSUMERS: tuple[tuple[str, Consumer], ...] = (
    (notifications.REMINDERS, _reminders),
    (notifications.RESET_MAIL, _reset_mail),
    (notifications.ACCOUNT_MAIL, _account_mail),
    (notifications.DIGESTS, _digests),
)


async def handle(ctx: AppContext, event: Event) -> None:
    """Every consumer's effect of ``event``, each in its own unit of work with the record that
    it handled it: a second delivery finds the record and changes nothing."""
    for name, consume in CONSUMERS:
        async with ctx.db.unit_of_work() as uow:
            if await events.first_time(uow.conn, name, event):
                await consume(ctx, uow.conn, event)


class Worker:
    def __init__(self, ctx: AppContext, *, name: str | None = None) -> None:
        self.ctx = ctx
        self.name = name or f"{socket.gethostname()}-{os.getpid()}"
        url = ctx.settings.redis_url
        self.bus = RedisStreamBus(url) if url else None
        self._pruned = 0.0
        # Redis answers within this or counts as down: the relay holds outbox row locks while
        # it publishes, and writes that add events must not wait on a frozen Redis.
        self._bus_timeout = ctx.settings.redis_timeout_seconds
        self._bus_down_until = 0.0

    @property
    def _bus_up(self) -> bool:
        return self.bus is not None and time.monotonic() >= self._bus_down_until

    def _bus_failed(self, error: BaseException) -> None:
        cooldown = self.ctx.settings.redis_breaker_seconds
        logger.warning(
            "the event bus (Redis) failed (%r); events go to this process's consumers for %.0f s",
            error,
            cooldown,
        )
        self._bus_down_until = time.monotonic() + cooldown

    async def relay(self) -> int:
        """Hand the unpublished events on; how many."""
        async with self.ctx.db.primary_reader() as conn:
            batch = await events.unpublished(conn, BATCH, lock=False)
        if not batch:  # nothing new: no write transaction
            return 0
        if self.bus is not None and self._bus_up:
            try:
                async with self.ctx.db.unit_of_work() as uow:
                    # Locked until the commit, skipped by other relays: each batch goes out
                    # once (or, if this process dies before the commit, again: consumers are
                    # idempotent). Bounded, so the locks are never held for long.
                    locked = await events.unpublished(uow.conn, BATCH, lock=True)
                    async with asyncio.timeout(self._bus_timeout):
                        await self.bus.publish(locked)
                    await events.mark_published(uow.conn, locked)
                return len(locked)
            except (TimeoutError, RedisError, OSError) as error:
                self._bus_failed(error)
        # No bus (or it is down): this process's consumers handle them, then they count as
        # published.
        for event in batch:
            await handle(self.ctx, event)
        async with self.ctx.db.unit_of_work() as uow:
            await events.mark_published(uow.conn, batch)
        return len(batch)

    async def consume(self, block_ms: int = 200) -> int:
        """Handle what the stream holds for this worker (with Redis); how many."""
        if self.bus is None or not self._bus_up:
            return 0
        try:
            async with asyncio.timeout(block_ms / 1000 + self._bus_timeout):
                entries = await self.bus.read(GROUP, self.name, BATCH, block_ms)
        except (TimeoutError, RedisError, OSError) as error:
            self._bus_failed(error)
            return 0
        for _, event in entries:
            await handle(self.ctx, event)
        await self.bus.ack(GROUP, [entry_id for entry_id, _ in entries])
        return len(entries)

    async def fire_reminders(self) -> int:
        async with self.ctx.db.unit_of_work() as uow:
            return await notifications.fire_due(uow.conn, BATCH, self.ctx.settings)

    async def send_digests(self) -> int:
        async with self.ctx.db.unit_of_work() as uow:
            return await notifications.send_digests(uow.conn, self.ctx.settings)

    async def send_mail(self) -> int:
        async with self.ctx.db.unit_of_work() as uow:
            return await notifications.send_pending(uow.conn, self.ctx.settings)

    async def prune(self) -> None:
        if time.monotonic() - self._pruned < PRUNE_EVERY_SECONDS:
            return
        self._pruned = time.monotonic()
        keep = timedelta(days=self.ctx.settings.events_retention_days)
        async with self.ctx.db.unit_of_work() as uow:
            await events.prune(uow.conn, keep)
        await self.purge_trash()

    async def purge_trash(self, now: datetime | None = None) -> int:
        """Delete for good the tasks in the trash for more than ``tasks.service.TRASH_DAYS``
        before ``now``, a batch per transaction; how many."""
        now = now or utcnow()
        purged = 0
        for _ in range(PURGE_BATCHES):
            async with self.ctx.db.unit_of_work() as uow:
                done = await tasks.purge_trash(uow.conn, now, BATCH)
            purged += done
            if done < BATCH:
                break
        return purged

    async def turn(self) -> int:
        """One round of everything; how much was done."""
        done = await self.relay()
        done += await self.consume()
        async with self.ctx.db.primary_reader() as conn:
            waiting = await notifications.work_waiting(conn)
        if waiting:  # an idle turn takes no write transaction
            done += await self.fire_reminders()
            done += await self.send_digests()
            done += await self.send_mail()
        await self.prune()
        return done

    async def run(self, stop: asyncio.Event) -> None:
        """Turn until ``stop`` is set; an error is logged and the loop goes on (the database
        or Redis may come back), pausing ``worker_interval_seconds`` when idle."""
        interval = self.ctx.settings.worker_interval_seconds
        while not stop.is_set():
            done = 0
            try:
                done = await self.turn()
            except Exception:
                logger.exception("worker turn failed; trying again")
            if not done:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), interval)

    async def close(self) -> None:
        if self.bus is not None:
            await self.bus.close()
