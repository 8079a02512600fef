"""The notification service: domain events through the outbox, reminders, in-app
notifications.

Events are written with their change (one transaction), relayed at least once and handled
once in effect; reminders fire once however many workers run; someone else's notification
is a 404. The worker is driven turn by turn here (``Worker.relay``, ``consume``,
``fire_reminders``); ``tasklane worker`` runs the same loop."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis.asyncio as aioredis
from sqlalchemy import func, select

from tasklane.core.context import AppContext
from tasklane.events.models import handled_events, outbox_events
from tasklane.notifications.models import notifications, reminders
from tasklane.settings import Settings
from tasklane.worker import CONSUMERS, Worker, handle
from tests.helpers import Api, assert_problem
from tests.servers import RedisServer
from tests.test_durability import failing_commits

TASKS = "/api/v1/tasks"
NOTIFICATIONS = "/api/v1/notifications"


def _soon(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()


async def _count(ctx: AppContext, table: Any, *where: Any) -> int:
    async with ctx.db.primary_reader() as conn:
        return int(
            (await conn.execute(select(func.count()).select_from(table).where(*where))).scalar_one()
        )


async def _events(ctx: AppContext, subject: str) -> list[str]:
    async with ctx.db.primary_reader() as conn:
        rows = await conn.execute(
            select(outbox_events.c.kind)
            .where(outbox_events.c.subject_id == uuid.UUID(subject))
            .order_by(outbox_events.c.id)
        )
        return [row.kind for row in rows]


async def _drain(worker: Worker) -> None:
    while await worker.relay() or await worker.consume(block_ms=50):
        pass


async def test_every_change_writes_its_event_and_only_a_committed_one(
    api: Api, ctx: AppContext
) -> None:
    user = await api.user()
    task = await api.create_task(user, title="Evented")
    path = f"{TASKS}/{task['id']}"
    assert (
        await api.client.patch(path, json={"title": "Renamed"}, headers=user.headers)
    ).status_code == 200
    assert (
        await api.client.patch(path, json={"status": "done"}, headers=user.headers)
    ).status_code == 200
    assert (
        await api.client.patch(path, json={"status": "todo"}, headers=user.headers)
    ).status_code == 200
    with failing_commits(ctx):
        failed = await api.client.patch(path, json={"title": "Lost"}, headers=user.headers)
    assert_problem(failed, 503)
    assert (await api.client.delete(path, headers=user.headers)).status_code == 204
    assert await _events(ctx, task["id"]) == [
        "task.created",
        "task.updated",
        "task.completed",
        "task.reopened",
        "task.deleted",
    ]


async def test_a_reminder_fires_once_as_an_in_app_notification(api: Api, ctx: AppContext) -> None:
    user = await api.user()
    due = datetime.now(UTC) + timedelta(seconds=4)
    task = await api.create_task(user, title="Call the plumber", due_at=due.isoformat())
    worker = Worker(ctx)
    await _drain(worker)
    assert await _count(ctx, reminders, reminders.c.task_id == uuid.UUID(task["id"])) == 1
    if datetime.now(UTC) < due - timedelta(seconds=1):  # (a very slow machine skips this)
        assert await worker.fire_reminders() == 0  # not yet
    await asyncio.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()) + 0.1)
    assert await worker.fire_reminders() >= 1
    assert await worker.fire_reminders() == 0  # once
    page = (await api.client.get(NOTIFICATIONS, headers=user.headers)).json()
    assert [(n["kind"], n["title"], n["task_id"]) for n in page["items"]] == [
        ("reminder", "Call the plumber", task["id"])
    ]
    count = await api.client.get(f"{NOTIFICATIONS}/unread-count", headers=user.headers)
    assert count.json() == {"unread": 1}
    notification_id = page["items"][0]["id"]
    read = await api.client.post(f"{NOTIFICATIONS}/{notification_id}/read", headers=user.headers)
    assert read.status_code == 204
    count = await api.client.get(f"{NOTIFICATIONS}/unread-count", headers=user.headers)
    assert count.json() == {"unread": 0}
    unread = await api.client.get(NOTIFICATIONS, params={"unread": "true"}, headers=user.headers)
    assert unread.json()["items"] == []
    await worker.close()


async def test_reminders_follow_the_task_done_deleted_or_moved(api: Api, ctx: AppContext) -> None:
    user = await api.user()
    worker = Worker(ctx)
    moved = await api.create_task(user, title="Moved", due_at=_soon(3600))
    done = await api.create_task(user, title="Done", due_at=_soon(3600))
    gone = await api.create_task(user, title="Gone", due_at=_soon(3600))
    past = await api.create_task(user, title="Overdue already", due_at=_soon(-60))
    await _drain(worker)
    later = _soon(7200)
    await api.client.patch(f"{TASKS}/{moved['id']}", json={"due_at": later}, headers=user.headers)
    await api.client.patch(f"{TASKS}/{done['id']}", json={"status": "done"}, headers=user.headers)
    await api.client.delete(f"{TASKS}/{gone['id']}", headers=user.headers)
    await _drain(worker)
    async with ctx.db.primary_reader() as conn:
        rows = (
            await conn.execute(select(reminders).where(reminders.c.user_id == uuid.UUID(user.id)))
        ).all()
    assert [(str(r.task_id), r.fire_at) for r in rows] == [
        (moved["id"], datetime.fromisoformat(later).astimezone(UTC))
    ]
    assert past["id"] not in {str(r.task_id) for r in rows}
    await worker.close()


async def test_a_redelivered_event_has_no_second_effect(api: Api, ctx: AppContext) -> None:
    user = await api.user()
    task = await api.create_task(user, title="Twice", due_at=_soon(3600))
    worker = Worker(ctx)
    async with ctx.db.primary_reader() as conn:
        from tasklane.events import service as events  # noqa: PLC0415

        batch = [
            e
            for e in await events.unpublished(conn, 1000, lock=False)
            if str(e.subject_id) == task["id"]
        ]
    assert [e.kind for e in batch] == ["task.created"]
    for _ in range(3):  # delivered three times
        await handle(ctx, batch[0])
    where = reminders.c.task_id == uuid.UUID(task["id"])
    assert await _count(ctx, reminders, where) == 1
    assert await _count(ctx, handled_events, handled_events.c.event_id == batch[0].id) == len(
        CONSUMERS
    )
    await _drain(worker)
    assert await _count(ctx, reminders, where) == 1
    await worker.close()


async def test_a_relay_killed_mid_batch_loses_nothing(api: Api, ctx: AppContext) -> None:
    """The relay is cancelled after a few of a batch's events (as a worker killed mid-batch):
    the next relay delivers the rest, and each event has its effect once."""
    user = await api.user()
    worker = Worker(ctx)
    await _drain(worker)  # the earlier tests' events out of the way
    made = [
        await api.create_task(user, title=f"batch {n}", due_at=_soon(3600 + n)) for n in range(30)
    ]
    ids = [uuid.UUID(t["id"]) for t in made]
    handled = (
        handled_events.c.consumer == "reminders",
        handled_events.c.event_id.in_(
            select(outbox_events.c.id).where(outbox_events.c.subject_id.in_(ids))
        ),
    )
    relay = asyncio.create_task(worker.relay())
    while await _count(ctx, handled_events, *handled) < 5:  # noqa: ASYNC110 - the database's view
        await asyncio.sleep(0.01)
    relay.cancel()
    with pytest.raises(asyncio.CancelledError):
        await relay
    assert await _count(ctx, handled_events, *handled) < 30  # really cut short
    await _drain(worker)
    assert await _count(ctx, handled_events, *handled) == 30
    assert await _count(ctx, reminders, reminders.c.task_id.in_(ids)) == 30
    await worker.close()


async def test_two_workers_fire_each_reminder_once(
    api: Api, ctx: AppContext, settings: Settings
) -> None:
    user = await api.user()
    worker = Worker(ctx)
    await _drain(worker)
    due = datetime.now(UTC) + timedelta(seconds=3)
    made = [
        await api.create_task(user, title=f"due {n}", due_at=due.isoformat()) for n in range(40)
    ]
    await _drain(worker)
    planned = reminders.c.task_id.in_([uuid.UUID(t["id"]) for t in made])
    assert await _count(ctx, reminders, planned) == 40
    await asyncio.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()) + 0.1)
    other = AppContext.create(settings)  # a second process's pools
    try:
        fired = await asyncio.gather(
            *(w.fire_reminders() for w in (worker, Worker(other), worker, Worker(other)))
        )
    finally:
        await other.close()
    assert sum(fired) >= 40
    mine = notifications.c.user_id == uuid.UUID(user.id)
    assert await _count(ctx, notifications, mine) == 40
    async with ctx.db.primary_reader() as conn:
        tasks_notified = (
            (await conn.execute(select(notifications.c.task_id).where(mine))).scalars().all()
        )
    assert len(set(tasks_notified)) == 40
    await worker.close()


async def test_someone_elses_notification_is_a_404_and_pages_are_mine(
    api: Api, ctx: AppContext
) -> None:
    alice, bob = await api.user(), await api.user()
    worker = Worker(ctx)
    for n in range(3):
        await api.create_task(alice, title=f"alice {n}", due_at=_soon(0.5))
    await _drain(worker)
    await asyncio.sleep(0.6)
    await worker.fire_reminders()
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = (await api.client.get(NOTIFICATIONS, params=params, headers=alice.headers)).json()
        seen += [n["id"] for n in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 3
    assert (await api.client.get(NOTIFICATIONS, headers=bob.headers)).json()["items"] == []
    theirs = await api.client.post(f"{NOTIFICATIONS}/{seen[0]}/read", headers=bob.headers)
    assert_problem(theirs, 404, "not-found")
    await api.client.post(f"{NOTIFICATIONS}/read-all", headers=bob.headers)
    count = await api.client.get(f"{NOTIFICATIONS}/unread-count", headers=alice.headers)
    assert count.json() == {"unread": 3}
    await worker.close()


async def test_with_redis_workers_share_the_stream_and_each_event_is_handled_once(
    api: Api, ctx: AppContext, settings: Settings, redis_server: RedisServer
) -> None:
    """Two worker processes in one consumer group: the events spread over them, each has its
    effect once; entries a worker read and never acknowledged (it died) go to the other."""
    if redis_server.process is None:
        redis_server.start()
    client = aioredis.Redis.from_url(redis_server.url)
    await client.flushdb()
    await client.aclose()
    config = settings.model_copy(update={"redis_url": redis_server.url})
    await _drain(Worker(ctx))  # the module's earlier events, through the local path
    first, second = AppContext.create(config), AppContext.create(config)
    a, b = Worker(first, name="a"), Worker(second, name="b")
    assert b.bus is not None
    b.bus.claim_idle_ms = 100
    try:
        user = await api.user()
        made = [await api.create_task(user, title=f"s{n}", due_at=_soon(3600)) for n in range(20)]
        ids = [uuid.UUID(t["id"]) for t in made]
        assert await a.relay() >= 20
        # "a" reads a few entries and dies before handling them: never acknowledged.
        assert a.bus is not None
        taken = await a.bus.read("notification-service", "a", count=5, block_ms=100)
        assert len(taken) == 5
        await asyncio.sleep(0.2)
        while await b.consume(block_ms=100):
            pass
        where = reminders.c.task_id.in_(ids)
        assert await _count(ctx, reminders, where) == 20
        handled = (
            handled_events.c.consumer == "reminders",
            handled_events.c.event_id.in_(
                select(outbox_events.c.id).where(outbox_events.c.subject_id.in_(ids))
            ),
        )
        assert await _count(ctx, handled_events, *handled) == 20
    finally:
        await a.close()
        await b.close()
        await first.close()
        await second.close()


async def test_a_reminder_due_while_no_worker_ran_fires_late_not_never(
    api: Api, ctx: AppContext
) -> None:
    """The worker was down (nothing relayed, nothing fired) while a task was set due and its
    time came: once it runs again, the reminder still fires, once."""
    user = await api.user()
    task = await api.create_task(user, title="While you were away", due_at=_soon(1))
    await asyncio.sleep(1.2)  # no worker turn meanwhile
    worker = Worker(ctx)
    await _drain(worker)
    assert await worker.fire_reminders() >= 1
    assert await worker.fire_reminders() == 0
    page = (await api.client.get(NOTIFICATIONS, headers=user.headers)).json()
    assert [n["task_id"] for n in page["items"]] == [task["id"]]
    await worker.close()


async def test_tasklane_worker_runs_on_its_own_and_stops_on_sigterm(
    api: Api, ctx: AppContext, settings: Settings
) -> None:
    """``tasklane worker`` as its own process on the same database: it relays the events,
    fires the reminder, and SIGTERM ends it cleanly."""
    await _drain(Worker(ctx))  # earlier tests' events out of the way
    user = await api.user()
    task = await api.create_task(user, title="Fired by the worker", due_at=_soon(1))
    env = {
        **os.environ,
        "TASKLANE_ENVIRONMENT": "test",
        "TASKLANE_DATABASE_URL": settings.database_url,
        "TASKLANE_VAR_DIR": str(settings.var_dir),
        "TASKLANE_WORKER_INTERVAL_SECONDS": "0.2",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tasklane.cli",
        "worker",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        items: list[Any] = []
        for _ in range(100):
            page = await api.client.get(NOTIFICATIONS, headers=user.headers)
            items = page.json()["items"]
            if items:
                break
            await asyncio.sleep(0.1)
        assert [n["task_id"] for n in items] == [task["id"]]
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, output.decode()
    assert b"Traceback" not in output, output.decode()
