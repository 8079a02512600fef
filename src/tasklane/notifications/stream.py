"""Live updates: each process follows the outbox and hands every user's events to that
user's open streams (``GET /api/v1/events``, Server-Sent Events).

One poller per process, running only while a stream is open, reads the events of the last
moments from the outbox (one query whatever the number of streams) and fans them out in
memory. Every process and instance reads the same outbox, so a change made through any
instance reaches the streams open on all of them, with or without Redis. Ids are UUIDv7, in
time order; a transaction may commit a little after its event's id was made, so each poll
reads back over the statement timeout and skips the events it has passed on already.

An event of a project (a task's or the project's own change) goes to every current member of
that project, as well as to the user who made it, and a removal or a deletion also to those it
takes the project from. The members come from the primary, kept for a few seconds
per project and forgotten as soon as an event changes that project's membership, so a
removed member stops receiving the project's events with the removal's own event.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from datetime import datetime, timedelta

from tasklane.core.cache import TTLCache
from tasklane.core.context import AppContext
from tasklane.core.sql import Connection
from tasklane.core.types import utcnow
from tasklane.events import service as events
from tasklane.events.schemas import Event
from tasklane.projects import service as projects

logger = logging.getLogger("tasklane.stream")

#: Events a slow stream may fall behind by before it is closed (the client reconnects and
#: catches up from its Last-Event-ID).
QUEUE_SIZE = 1000
_PAGE = 500
#: How long a project's member list is kept (an event changing it drops it at once).
MEMBERS_TTL_SECONDS = 5.0


class Overflowed(Exception):
    """A stream fell too far behind."""


class Feed:
    """The outbox, followed for the open streams of one process."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.queues: dict[uuid.UUID, set[asyncio.Queue[Event | None]]] = {}
        self._task: asyncio.Task[None] | None = None
        self._seen: TTLCache[uuid.UUID, bool] = TTLCache(max_entries=200_000)
        # Each project's members and when they joined: an event reaches those who had joined.
        self._members: TTLCache[uuid.UUID, dict[uuid.UUID, datetime]] = TTLCache(max_entries=10_000)
        self._lookback = timedelta(seconds=ctx.settings.db_statement_timeout + 1)
        self._since = utcnow()

    def subscribe(self, user_id: uuid.UUID) -> asyncio.Queue[Event | None]:
        queue: asyncio.Queue[Event | None] = asyncio.Queue(QUEUE_SIZE)
        self.queues.setdefault(user_id, set()).add(queue)
        if self._task is None or self._task.done():
            self._since = utcnow()
            self._task = asyncio.create_task(self._follow())
        return queue

    async def unsubscribe(self, user_id: uuid.UUID, queue: asyncio.Queue[Event | None]) -> None:
        mine = self.queues.get(user_id, set())
        mine.discard(queue)
        if not mine:
            self.queues.pop(user_id, None)
        if not self.queues and self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _follow(self) -> None:
        interval = self.ctx.settings.stream_poll_seconds
        while True:
            try:
                await self._poll()
            except Exception:
                logger.exception("following the outbox failed; trying again")
            await asyncio.sleep(interval)

    async def _poll(self) -> None:
        started = utcnow()
        since = self._since - self._lookback
        keep = self._lookback.total_seconds() * 3
        async with self.ctx.db.primary_reader() as conn:
            after: uuid.UUID | None = None
            while True:
                batch = await events.recent(conn, since, _PAGE, after=after)
                for event in batch:
                    if self._seen.get(event.id) is None:
                        self._seen.set(event.id, True, keep)
                        self._hand_on(event, await self._readers(conn, event))
                if len(batch) < _PAGE:
                    break
                # Page on by id: a millisecond may hold more events than a page.
                after = batch[-1].id
        self._since = started

    async def _readers(self, conn: Connection, event: Event) -> set[uuid.UUID]:
        """Whose streams carry ``event``: its user's and, for a project's event, every
        current member's, and those it takes the project from."""
        if event.kind in events.MEMBERSHIP_KINDS and event.subject_id is not None:
            self._members.delete(event.subject_id)
        readers = {event.user_id} if event.user_id is not None else set()
        readers |= events.farewell_to(event)  # they see the project go
        if event.project_id is not None and self.queues:
            members = self._members.get(event.project_id)
            if members is None:
                members = await projects.joined_members(conn, event.project_id)
                self._members.set(event.project_id, members, MEMBERS_TTL_SECONDS)
            # Not the events from before a member joined (read back after its joining).
            readers |= {m for m, joined in members.items() if joined <= event.created_at}
        return readers

    def _hand_on(self, event: Event, readers: set[uuid.UUID]) -> None:
        for queue in [q for reader in readers for q in self.queues.get(reader, ())]:
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:
                # Too far behind: the stream ends (None) and its client catches up on reconnect.
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
                queue.put_nowait(None)


async def catch_up(conn: Connection, user_id: uuid.UUID, after: uuid.UUID) -> list[Event]:
    """What a stream reconnecting with Last-Event-ID ``after`` missed, by the user's current
    membership (``events.service.of_reader_after``)."""
    mine = await projects.memberships(conn, user_id)
    return await events.of_reader_after(conn, user_id, mine, after)


_feeds: dict[int, Feed] = {}


def feed_for(ctx: AppContext) -> Feed:
    """This process's feed for ``ctx`` (made on first use)."""
    feed = _feeds.get(id(ctx))
    if feed is None or feed.ctx is not ctx:
        feed = _feeds[id(ctx)] = Feed(ctx)
    return feed
