"""Per-task reminder offsets: a task carries its own minutes before its due time (bounded in
number and range), or follows its owner's preference when it has none; each reminder fires
once however many workers run, and a new due time or new offsets re-arm them. Migration 0017
adds the column and takes it away again."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy import select

from tasklane import cli
from tasklane.core.context import AppContext
from tasklane.notifications.models import notifications, reminders
from tasklane.settings import Settings
from tasklane.worker import Worker
from tests.helpers import Api, User, assert_problem, assert_task
from tests.test_projects_migration import scratch  # noqa: F401 - a fixture

TASKS = "/api/v1/tasks"
ME = "/api/v1/users/me"


def _soon(seconds: float) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


async def _drain(worker: Worker) -> None:
    while await worker.relay() or await worker.consume(block_ms=50):
        pass


async def _planned(ctx: AppContext, task_id: str) -> list[tuple[int, datetime, bool]]:
    """(offset, fire_at, fired) of the task's reminders, by offset."""
    async with ctx.db.primary_reader() as conn:
        rows = await conn.execute(
            select(reminders.c.offset_minutes, reminders.c.fire_at, reminders.c.fired_at)
            .where(reminders.c.task_id == uuid.UUID(task_id))
            .order_by(reminders.c.offset_minutes, reminders.c.fire_at)
        )
        return [(r.offset_minutes, r.fire_at, r.fired_at is not None) for r in rows]


async def _patch(api: Api, user: User, task_id: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await api.client.patch(f"{TASKS}/{task_id}", json=body, headers=user.headers)
    assert response.status_code == 200, response.text
    return assert_task(response.json())


async def test_a_task_keeps_its_own_offsets_each_once_in_order(api: Api) -> None:
    user = await api.user()
    plain = await api.create_task(user, title="No choice made")
    assert plain["reminder_offsets"] is None  # the owner's preference
    chosen = await api.create_task(user, title="Chosen", reminder_offsets=[60, 0, 1440, 15, 60])
    assert chosen["reminder_offsets"] == [0, 15, 60, 1440]
    read = await api.client.get(f"{TASKS}/{chosen['id']}", headers=user.headers)
    assert read.json()["reminder_offsets"] == [0, 15, 60, 1440]
    listed = await api.client.get(TASKS, headers=user.headers)
    by_id = {t["id"]: t["reminder_offsets"] for t in listed.json()["items"]}
    assert by_id == {plain["id"]: None, chosen["id"]: [0, 15, 60, 1440]}
    assert (await _patch(api, user, chosen["id"], {"reminder_offsets": []}))[
        "reminder_offsets"
    ] == []
    back = await _patch(api, user, chosen["id"], {"reminder_offsets": None})
    assert back["reminder_offsets"] is None


@pytest.mark.parametrize(
    "offsets",
    [
        [0, 5, 10, 15, 30, 60],  # six: at most five
        [-5],
        [40321],  # more than four weeks before
        ["15"],
        [1.5],
        [True],
        15,
    ],
)
async def test_offsets_out_of_bounds_are_a_422_on_the_field(api: Api, offsets: Any) -> None:
    user = await api.user()
    created = await api.client.post(
        TASKS, json={"title": "Bad", "reminder_offsets": offsets}, headers=user.headers
    )
    problem = assert_problem(created, 422, "validation-error")
    assert {e["field"].split(".")[0] for e in problem["errors"]} == {"reminder_offsets"}
    task = await api.create_task(user, title="Good")
    patched = await api.client.patch(
        f"{TASKS}/{task['id']}", json={"reminder_offsets": offsets}, headers=user.headers
    )
    assert_problem(patched, 422, "validation-error")
    assert (await api.client.get(f"{TASKS}/{task['id']}", headers=user.headers)).json()[
        "reminder_offsets"
    ] is None


async def test_a_tasks_offsets_win_over_the_owners_preference(api: Api, ctx: AppContext) -> None:
    user = await api.user()
    preference = await api.client.patch(
        ME, json={"preferences": {"reminder_offsets": [30]}}, headers=user.headers
    )
    assert preference.status_code == 200, preference.text
    due = _soon(3 * 86400).replace(microsecond=0)
    default = await api.create_task(user, title="Default", due_at=due.isoformat())
    own = await api.create_task(
        user, title="Own", due_at=due.isoformat(), reminder_offsets=[5, 1440]
    )
    none = await api.create_task(user, title="None", due_at=due.isoformat(), reminder_offsets=[])
    worker = Worker(ctx)
    await _drain(worker)
    minutes = timedelta(minutes=1)
    assert await _planned(ctx, default["id"]) == [(30, due - 30 * minutes, False)]
    assert await _planned(ctx, own["id"]) == [
        (5, due - 5 * minutes, False),
        (1440, due - 1440 * minutes, False),
    ]
    assert await _planned(ctx, none["id"]) == []
    # Back to the preference: the task follows the owner's offsets again.
    await _patch(api, user, own["id"], {"reminder_offsets": None})
    await _drain(worker)
    assert await _planned(ctx, own["id"]) == [(30, due - 30 * minutes, False)]
    await worker.close()


async def test_each_reminder_fires_once_and_new_offsets_or_due_rearm_them(
    api: Api, ctx: AppContext, settings: Settings
) -> None:
    """Two workers of two processes fire the task's due reminder once; adding an offset plans
    only the new one (the fired one stays fired); a new due time re-arms them all."""
    user = await api.user()
    worker = Worker(ctx)
    await _drain(worker)  # earlier tests' events out of the way
    due = _soon(60 + 3)  # the 1-minute reminder is due in 3 s
    task = await api.create_task(
        user, title="Water the plants", due_at=due.isoformat(), reminder_offsets=[1, 1440]
    )
    await _drain(worker)
    # 1440 minutes before had passed when the task was made: not planned.
    assert [(o, fired) for o, _, fired in await _planned(ctx, task["id"])] == [(1, False)]
    await asyncio.sleep(max(0.0, (due - timedelta(minutes=1) - datetime.now(UTC)).total_seconds()))
    await asyncio.sleep(0.1)
    other = AppContext.create(settings)  # a second process's pools
    try:
        fired = await asyncio.gather(
            *(w.fire_reminders() for w in (worker, Worker(other), worker, Worker(other)))
        )
    finally:
        await other.close()
    assert sum(fired) >= 1
    mine = notifications.c.task_id == uuid.UUID(task["id"])
    async with ctx.db.primary_reader() as conn:
        bodies = (await conn.execute(select(notifications.c.body).where(mine))).scalars().all()
    assert bodies == ["Due in 1 minute."]

    # Another offset: only it is planned; the one that fired does not fire again.
    await _patch(api, user, task["id"], {"reminder_offsets": [0, 1]})
    await _drain(worker)
    assert [(o, fired) for o, _, fired in await _planned(ctx, task["id"])] == [
        (0, False),
        (1, True),
    ]
    assert await worker.fire_reminders() == 0

    # A new due time: both are armed again, at the new time.
    later = (due + timedelta(hours=2)).replace(microsecond=0)
    await _patch(api, user, task["id"], {"due_at": later.isoformat()})
    await _drain(worker)
    minutes = timedelta(minutes=1)
    assert [(o, at, fired) for o, at, fired in await _planned(ctx, task["id"]) if not fired] == [
        (0, later, False),
        (1, later - minutes, False),
    ]
    async with ctx.db.primary_reader() as conn:
        count = (
            await conn.execute(select(sa.func.count()).select_from(notifications).where(mine))
        ).scalar_one()
    assert count == 1  # fired once, by one of the four
    await worker.close()


def _alembic(settings: Settings) -> Config:
    config = Config()
    config.set_main_option("script_location", str(Path(cli.__file__).parent / "migrations"))
    config.attributes["settings"] = settings
    return config


def _columns(settings: Settings) -> set[str]:
    async def read() -> set[str]:
        from sqlalchemy.ext.asyncio import create_async_engine  # noqa: PLC0415

        engine = create_async_engine(settings.database_url)
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(
                    lambda sync: {c["name"] for c in sa.inspect(sync).get_columns("tasks")}
                )
        finally:
            await engine.dispose()

    return asyncio.run(read())


def test_migration_0017_adds_the_offsets_and_takes_them_away(scratch: Settings) -> None:  # noqa: F811
    cli.migrate(scratch, "0016")
    assert "reminder_offsets" not in _columns(scratch)
    cli.migrate(scratch, "head")
    assert "reminder_offsets" in _columns(scratch)
    command.downgrade(_alembic(scratch), "0016")
    assert "reminder_offsets" not in _columns(scratch)
    cli.migrate(scratch, "head")
    assert "reminder_offsets" in _columns(scratch)
