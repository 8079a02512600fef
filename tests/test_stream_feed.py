"""The live-update feed follows the outbox page by page without stalling: a millisecond may
hold more events than one page (a bulk change), and every one of them still reaches the
user's open stream, once."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

from tasklane.core.context import AppContext
from tasklane.events import repository as events_repo
from tasklane.notifications import stream
from tests.helpers import User


async def test_more_events_in_one_millisecond_than_a_page_all_reach_the_stream(
    ctx: AppContext, admin: User
) -> None:
    user_id = uuid.UUID(admin.id)
    feed = stream.Feed(ctx)
    queue = feed.subscribe(user_id)
    moment = datetime.now(UTC)
    millis = int(moment.timestamp() * 1000)
    count = stream._PAGE + 37  # more than a page, all made in the same millisecond
    ids = [uuid.UUID(int=(millis << 80) | (0x7 << 76) | n) for n in range(1, count + 1)]
    try:
        async with ctx.db.unit_of_work() as uow:
            for event_id in ids:
                await events_repo.insert_event(
                    uow.conn,
                    {
                        "id": event_id,
                        "kind": "task.updated",
                        "user_id": user_id,
                        "subject_id": None,
                        "payload": {"n": str(event_id)},
                        "created_at": moment,
                    },
                )
        received: list[uuid.UUID] = []
        async with asyncio.timeout(60):
            while len(received) < count:
                event = await queue.get()
                assert event is not None, "the stream was closed as overflowed"
                received.append(event.id)
        assert received == ids  # each once, in order
        await asyncio.sleep(3 * ctx.settings.stream_poll_seconds)
        assert queue.empty()  # later polls hand on nothing twice
    finally:
        await feed.unsubscribe(user_id, queue)
