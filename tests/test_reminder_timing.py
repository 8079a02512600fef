""" "Reminders fire within about WORKER_INTERVAL_SECONDS" (docs/operations.md), shown on the
worker's own schedule: the worker loop (``Worker.run``, what ``tasklane worker`` and the
embedded worker run) is driven with a short interval and each of its turns is recorded. A
reminder never fires early, fires in the first turn that looks after its time has come, and an
idle worker starts its next turn within the interval: so it fires at most one interval (and
the turn's own work) after its time. The test asserts those steps, not a figure of wall time
a loaded machine could miss."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from tasklane.core.context import AppContext
from tasklane.core.types import utcnow
from tasklane.notifications.models import notifications, reminders
from tasklane.settings import Settings
from tasklane.worker import Worker
from tests.helpers import Api

INTERVAL = 0.5
#: How late the event loop may wake from a pause (a busy machine): the schedule's only slack.
LOOP_LAG = timedelta(seconds=1)


@dataclass
class Turn:
    started: datetime
    ended: datetime
    done: int


class RecordedWorker(Worker):
    """The worker, its turns noted as they happen."""

    def __init__(self, ctx: AppContext) -> None:
        super().__init__(ctx, name="timed")
        self.turns: list[Turn] = []

    async def turn(self) -> int:
        started = utcnow()
        done = await super().turn()
        self.turns.append(Turn(started, utcnow(), done))
        return done


async def test_a_reminder_fires_within_one_worker_interval_of_its_time(
    api: Api, ctx: AppContext, settings: Settings
) -> None:
    earlier = Worker(ctx)
    while await earlier.relay():  # the earlier tests' events out of the way
        pass
    await earlier.close()
    timed = AppContext.create(settings.model_copy(update={"worker_interval_seconds": INTERVAL}))
    worker = RecordedWorker(timed)
    stop = asyncio.Event()
    user = await api.user()
    due = utcnow() + timedelta(seconds=3)
    task = await api.create_task(
        user, title="Take the bread out", due_at=due.isoformat(), reminder_offsets=[0]
    )
    running = asyncio.create_task(worker.run(stop))
    mine = notifications.c.task_id == uuid.UUID(task["id"])
    try:
        async with asyncio.timeout(60):
            while True:
                async with ctx.db.primary_reader() as conn:
                    if (await conn.execute(select(notifications.c.id).where(mine))).first():
                        break
                await asyncio.sleep(0.05)
        await asyncio.sleep(2 * INTERVAL)  # a few idle turns after it
    finally:
        stop.set()
        await running
        await worker.close()
        await timed.close()
    async with ctx.db.primary_reader() as conn:
        (fire_at, fired_at), *others = (
            await conn.execute(
                select(reminders.c.fire_at, reminders.c.fired_at).where(
                    reminders.c.task_id == uuid.UUID(task["id"])
                )
            )
        ).all()
    assert others == []
    assert fire_at == due  # at the due time (offset 0)
    assert fired_at is not None

    turns = worker.turns
    # Never early, and fired by the first turn to start once its time had come (or by one
    # already at work then).
    assert fired_at >= fire_at
    firing = next(i for i, t in enumerate(turns) if t.started <= fired_at <= t.ended)
    assert all(t.started < fire_at for t in turns[:firing]), "a turn after its time missed it"
    # An idle turn is followed by the next within the interval (the loop's own pause); a
    # busy one at once.
    gaps = [
        (later.started - earlier.ended, earlier.done)
        for earlier, later in itertools.pairwise(turns)
    ]
    assert any(not done for _, done in gaps), "the worker never idled"
    assert max(gap for gap, _ in gaps) <= timedelta(seconds=INTERVAL) + LOOP_LAG, gaps
    # So the reminder came at most one pause, and the work of the turn that fired it, late.
    work = turns[firing].ended - turns[firing].started
    assert fired_at - fire_at <= timedelta(seconds=INTERVAL) + LOOP_LAG + work
