"""The bus between the relay and the consumers: a Redis Stream with consumer groups.

Without Redis (the embedded default) there is no bus: the relay hands events straight to the
consumers of its own process (``tasklane.worker``). With Redis, the relay appends each event
to one stream, and every worker process reads it as a member of one consumer group, so each
event goes to one of them; an entry read by a worker that died before acknowledging it is
claimed by another after ``claim_idle_ms``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import ResponseError

from tasklane.core.shared import key
from tasklane.events.schemas import Event

STREAM = key("events")


class RedisStreamBus:
    def __init__(self, url: str, *, maxlen: int = 100_000, claim_idle_ms: int = 30_000) -> None:
        self.client: aioredis.Redis = aioredis.Redis.from_url(url)
        self.maxlen = maxlen
        self.claim_idle_ms = claim_idle_ms
        self._groups: set[str] = set()

    async def publish(self, events: Sequence[Event]) -> None:
        """Append ``events`` to the stream, in order (one round trip)."""
        if not events:
            return
        async with self.client.pipeline(transaction=False) as pipe:
            for event in events:
                pipe.xadd(STREAM, {"event": event.to_json()}, maxlen=self.maxlen, approximate=True)
            await pipe.execute()

    async def _group(self, group: str) -> None:
        if group in self._groups:
            return
        try:
            await self.client.xgroup_create(STREAM, group, id="0", mkstream=True)
        except ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise
        self._groups.add(group)

    async def read(
        self, group: str, consumer: str, count: int = 100, block_ms: int = 1000
    ) -> list[tuple[bytes, Event]]:
        """The next entries for ``consumer``: first those another member read and never
        acknowledged (it died), then new ones, waiting up to ``block_ms`` for some."""
        await self._group(group)
        # Replies in RESP2's shape (lists), as this client speaks it.
        claimed: Any = await self.client.xautoclaim(
            STREAM, group, consumer, min_idle_time=self.claim_idle_ms, start_id="0-0", count=count
        )
        entries = list(claimed[1]) if claimed else []
        if not entries:
            answer: Any = await self.client.xreadgroup(
                group, consumer, {STREAM: ">"}, count=count, block=block_ms
            )
            entries = list(answer[0][1]) if answer else []
        return [
            (entry_id, Event.from_json(fields[b"event"]))
            for entry_id, fields in entries
            if fields and b"event" in fields
        ]

    async def ack(self, group: str, entry_ids: Sequence[bytes]) -> None:
        if entry_ids:
            await self.client.xack(STREAM, group, *entry_ids)

    async def close(self) -> None:
        await self.client.aclose()
