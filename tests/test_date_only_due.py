"""Date-only due dates ("due Friday", no time): a calendar date in the owner's time zone,
one definition for the API, the list filters and sorting, overdue and due today, the
reminders and the digest, on every database."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import create_async_engine

from tasklane.cli import migrate
from tasklane.core.context import AppContext
from tasklane.notifications import service as notifications
from tasklane.notifications.models import digest_schedule, reminders
from tasklane.settings import Settings
from tasklane.tasks import service as tasks_service
from tasklane.worker import Worker
from tests.helpers import Api, User, assert_problem
from tests.mail_support import Mailing, mailing, sink, text_of
from tests.test_projects_migration import scratch
from tests.test_sharing import shared_project, verified

__all__ = ["mailing", "scratch", "sink"]  # fixtures

TASKS = "/api/v1/tasks"
ME = "/api/v1/users/me"


async def _zone(api: Api, user: User, timezone: str) -> None:
    changed = await api.client.patch(ME, json={"timezone": timezone}, headers=user.headers)
    assert changed.status_code == 200, changed.text


async def _list(api: Api, user: User, **params: Any) -> list[dict[str, Any]]:
    response = await api.client.get(TASKS, params=params, headers=user.headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def _titles(items: list[dict[str, Any]]) -> list[str]:
    return [item["title"] for item in items]


def _local_today(timezone: str) -> date:
    return datetime.now(UTC).astimezone(ZoneInfo(timezone)).date()


def _midnight(day: date, timezone: str) -> str:
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(timezone)).isoformat()


@pytest.mark.parametrize(
    ("day", "zone", "expected"),
    [
        ("2026-12-04", "UTC", "2026-12-04T23:59:59.999999+00:00"),
        ("2026-12-04", "Pacific/Auckland", "2026-12-04T10:59:59.999999+00:00"),
        ("2026-12-04", "America/Los_Angeles", "2026-12-05T07:59:59.999999+00:00"),
        # Berlin springs forward on 29 March 2026: that day has 23 hours.
        ("2026-03-29", "Europe/Berlin", "2026-03-29T21:59:59.999999+00:00"),
        ("2026-03-28", "Europe/Berlin", "2026-03-28T22:59:59.999999+00:00"),
        # Santiago's clocks skip midnight (6 September 2026): the day ends when 01:00 begins.
        ("2026-09-05", "America/Santiago", "2026-09-06T03:59:59.999999+00:00"),
        ("9999-12-31", "America/Los_Angeles", "9999-12-31T23:59:59.999999+00:00"),
    ],
)
def test_a_date_only_task_falls_due_at_the_end_of_its_local_day(
    day: str, zone: str, expected: str
) -> None:
    derived = tasks_service.date_only_due_at(date.fromisoformat(day), zone)
    assert derived == datetime.fromisoformat(expected)


async def test_a_date_only_task_round_trips_and_switches_to_a_time_and_back(api: Api) -> None:
    user = await api.user()
    task = await api.create_task(user, title="Pay rent", due_date="2026-12-04")
    assert task["due_date"] == "2026-12-04"
    assert task["due_at"] is None
    read = await api.client.get(f"{TASKS}/{task['id']}", headers=user.headers)
    assert read.status_code == 200, read.text
    assert (read.json()["due_date"], read.json()["due_at"]) == ("2026-12-04", None)
    listed = await _list(api, user)
    assert [(t["due_date"], t["due_at"]) for t in listed] == [("2026-12-04", None)]

    timed = await api.client.patch(
        f"{TASKS}/{task['id']}",
        json={"due_at": "2026-12-04T09:30:00+01:00"},
        headers={**user.headers, "If-Match": read.headers["ETag"]},
    )
    assert timed.status_code == 200, timed.text
    assert timed.json()["due_date"] is None
    assert timed.json()["due_at"] == "2026-12-04T08:30:00Z"

    dated = await api.client.patch(
        f"{TASKS}/{task['id']}", json={"due_date": "2026-12-05"}, headers=user.headers
    )
    assert dated.status_code == 200, dated.text
    assert (dated.json()["due_date"], dated.json()["due_at"]) == ("2026-12-05", None)
    assert dated.json()["version"] == 3

    # The same date again is no change: no new version.
    same = await api.client.patch(
        f"{TASKS}/{task['id']}", json={"due_date": "2026-12-05"}, headers=user.headers
    )
    assert same.json()["version"] == 3

    cleared = await api.client.patch(
        f"{TASKS}/{task['id']}", json={"due_date": None}, headers=user.headers
    )
    assert cleared.status_code == 200, cleared.text
    assert (cleared.json()["due_date"], cleared.json()["due_at"]) == (None, None)


async def test_a_due_time_and_a_due_date_together_are_refused(api: Api) -> None:
    user = await api.user()
    both = {"due_at": "2026-12-04T09:00:00Z", "due_date": "2026-12-04"}
    created = await api.client.post(TASKS, json={"title": "Both", **both}, headers=user.headers)
    body = assert_problem(created, 422, "validation-error")
    assert body["errors"][0]["field"] == "due_date"
    task = await api.create_task(user, title="One")
    patched = await api.client.patch(f"{TASKS}/{task['id']}", json=both, headers=user.headers)
    assert_problem(patched, 422, "validation-error")
    # A time with the date explicitly cleared is a time.
    timed = await api.client.patch(
        f"{TASKS}/{task['id']}",
        json={"due_at": "2026-12-04T09:00:00Z", "due_date": None},
        headers=user.headers,
    )
    assert timed.status_code == 200, timed.text
    assert timed.json()["due_at"] == "2026-12-04T09:00:00Z"


@pytest.mark.parametrize(
    "value",
    ["2026-13-01", "2026-02-30", "2026-12-04T00:00:00Z", "04/12/26", 1764806400, "", "1969-12-31"],
)
async def test_a_malformed_or_out_of_range_due_date_is_a_422(api: Api, value: Any) -> None:
    user = await api.user()
    created = await api.client.post(
        TASKS, json={"title": "Bad", "due_date": value}, headers=user.headers
    )
    body = assert_problem(created, 422, "validation-error")
    assert body["errors"][0]["field"].endswith("due_date"), body


async def test_the_last_day_the_api_holds_is_accepted(api: Api) -> None:
    user = await api.user()
    await _zone(api, user, "America/Los_Angeles")
    task = await api.create_task(user, title="Far", due_date="9999-12-31")
    assert task["due_date"] == "9999-12-31"
    first = await api.create_task(user, title="Early", due_date="1970-01-01")
    assert first["due_date"] == "1970-01-01"


async def test_filters_and_sorting_read_the_day_in_the_owners_zone(api: Api) -> None:
    user = await api.user()
    await _zone(api, user, "Pacific/Auckland")  # UTC+13 in December
    await api.create_task(user, title="Day", due_date="2026-12-04")
    await api.create_task(user, title="Evening", due_at="2026-12-04T18:00:00+13:00")
    await api.create_task(user, title="Morning after", due_at="2026-12-05T08:00:00+13:00")
    await api.create_task(user, title="Day before", due_date="2026-12-03")
    await api.create_task(user, title="Undated")

    start, end = "2026-12-04T00:00:00+13:00", "2026-12-05T00:00:00+13:00"
    assert _titles(await _list(api, user, due_after=start, due_before=end, sort="due_at")) == [
        "Evening",
        "Day",
    ]
    # The day is over only at midnight: a bound a second earlier leaves it out.
    assert "Day" not in _titles(await _list(api, user, due_before="2026-12-04T23:59:59+13:00"))
    assert "Day" not in _titles(await _list(api, user, due_after=end))
    assert _titles(await _list(api, user, sort="due_at")) == [
        "Day before",
        "Evening",
        "Day",
        "Morning after",
        "Undated",
    ]
    assert _titles(await _list(api, user, sort="-due_at")) == [
        "Morning after",
        "Day",
        "Evening",
        "Day before",
        "Undated",
    ]
    # Page by page through the cursor, one at a time.
    seen: list[str] = []
    params: dict[str, Any] = {"sort": "due_at", "limit": 1}
    while True:
        response = await api.client.get(TASKS, params=params, headers=user.headers)
        assert response.status_code == 200, response.text
        page = response.json()
        seen += _titles(page["items"])
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert seen == ["Day before", "Evening", "Day", "Morning after", "Undated"]


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago", "UTC"])
async def test_today_overdue_and_the_dashboard_follow_the_owners_day(api: Api, zone: str) -> None:
    user = await api.user()
    await _zone(api, user, zone)
    today = _local_today(zone)
    await api.create_task(user, title="Today", due_date=today.isoformat())
    await api.create_task(user, title="Yesterday", due_date=(today - timedelta(1)).isoformat())
    await api.create_task(user, title="Tomorrow", due_date=(today + timedelta(1)).isoformat())
    await api.create_task(
        user, title="Done yesterday", due_date=(today - timedelta(1)).isoformat(), status="done"
    )

    stats = (await api.client.get(f"{TASKS}/stats", headers=user.headers)).json()
    assert (stats["due_today"], stats["overdue"]) == (1, 1)
    assert _titles(await _list(api, user, overdue="true")) == ["Yesterday"]
    # Today as the web app asks for it: open, due before the next local midnight.
    today_view = await _list(
        api,
        user,
        status=["todo", "in_progress"],
        due_before=_midnight(today + timedelta(1), zone),
        sort="due_at",
    )
    assert _titles(today_view) == ["Yesterday", "Today"]
    upcoming = await _list(
        api,
        user,
        due_after=_midnight(today + timedelta(1), zone),
        due_before=_midnight(today + timedelta(2), zone),
    )
    assert _titles(upcoming) == ["Tomorrow"]


async def test_a_new_time_zone_moves_the_day_with_the_owner(api: Api) -> None:
    user = await api.user()
    await _zone(api, user, "Pacific/Kiritimati")  # UTC+14
    task = await api.create_task(user, title="Friday", due_date="2026-12-04")
    in_kiritimati = {
        "due_after": _midnight(date(2026, 12, 4), "Pacific/Kiritimati"),
        "due_before": _midnight(date(2026, 12, 5), "Pacific/Kiritimati"),
    }
    in_pago_pago = {
        "due_after": _midnight(date(2026, 12, 4), "Pacific/Pago_Pago"),
        "due_before": _midnight(date(2026, 12, 5), "Pacific/Pago_Pago"),
    }
    assert _titles(await _list(api, user, **in_kiritimati)) == ["Friday"]
    assert _titles(await _list(api, user, **in_pago_pago)) == []

    await _zone(api, user, "Pacific/Pago_Pago")  # UTC-11: 25 hours behind
    assert _titles(await _list(api, user, **in_kiritimati)) == []
    assert _titles(await _list(api, user, **in_pago_pago)) == ["Friday"]
    read = await api.client.get(f"{TASKS}/{task['id']}", headers=user.headers)
    assert (read.json()["due_date"], read.json()["version"]) == ("2026-12-04", 1)


async def test_a_shared_task_keeps_its_owners_day(api: Api, ctx: AppContext) -> None:
    owner = await verified(api, ctx)
    other = await verified(api, ctx)
    await _zone(api, owner, "Pacific/Auckland")
    await _zone(api, other, "America/Los_Angeles")
    project_id = (await shared_project(api, owner, editor=other))["id"]
    task = await api.create_task(owner, title="Shared", project_id=project_id)
    # The other member sets the date: it is a day of the owner's (Auckland's) calendar.
    dated = await api.client.patch(
        f"{TASKS}/{task['id']}", json={"due_date": "2026-12-04"}, headers=other.headers
    )
    assert dated.status_code == 200, dated.text
    auckland = {
        "due_after": _midnight(date(2026, 12, 4), "Pacific/Auckland"),
        "due_before": _midnight(date(2026, 12, 5), "Pacific/Auckland"),
    }
    assert _titles(await _list(api, other, **auckland)) == ["Shared"]


async def _fire_times(ctx: AppContext, task_id: str) -> list[datetime]:
    async with ctx.db.primary_reader() as conn:
        rows = await conn.execute(
            select(reminders.c.fire_at)
            .where(reminders.c.task_id == uuid.UUID(task_id))
            .order_by(reminders.c.fire_at)
        )
        return [value.astimezone(UTC) for value in rows.scalars()]


async def _drain(worker: Worker) -> None:
    while await worker.relay() or await worker.consume(block_ms=50):
        pass


async def test_reminders_of_a_date_only_task_count_back_from_nine_local(
    api: Api, ctx: AppContext
) -> None:
    user = await api.user()
    worker = Worker(ctx)
    await _drain(worker)
    offsets = {"preferences": {"reminder_offsets": [0, 60, 1440]}}
    changed = await api.client.patch(
        ME, json={"timezone": "Europe/Berlin", **offsets}, headers=user.headers
    )
    assert changed.status_code == 200, changed.text
    # Berlin springs forward on 31 March 2030: 09:00 is 07:00 UTC that day, 08:00 the day before.
    task = await api.create_task(user, title="Dentist", due_date="2030-03-31")
    await _drain(worker)
    assert await _fire_times(ctx, task["id"]) == [
        datetime(2030, 3, 30, 8, 0, tzinfo=UTC),  # a day before: 09:00 CET on the 30th
        datetime(2030, 3, 31, 6, 0, tzinfo=UTC),  # an hour before: 08:00 CEST
        datetime(2030, 3, 31, 7, 0, tzinfo=UTC),  # 09:00 CEST on the day
    ]
    # The owner moves to New York: the reminders follow to 09:00 there.
    await _zone(api, user, "America/New_York")
    await _drain(worker)
    assert await _fire_times(ctx, task["id"]) == [
        datetime(2030, 3, 30, 13, 0, tzinfo=UTC),
        datetime(2030, 3, 31, 12, 0, tzinfo=UTC),
        datetime(2030, 3, 31, 13, 0, tzinfo=UTC),
    ]
    # With a time, the reminders count back from it.
    timed = await api.client.patch(
        f"{TASKS}/{task['id']}", json={"due_at": "2030-03-31T15:00:00Z"}, headers=user.headers
    )
    assert timed.status_code == 200, timed.text
    await _drain(worker)
    assert (await _fire_times(ctx, task["id"]))[-1] == datetime(2030, 3, 31, 15, 0, tzinfo=UTC)


async def test_a_due_date_reminder_says_due_today(api: Api, ctx: AppContext) -> None:
    user = await api.user()
    worker = Worker(ctx)
    await _drain(worker)
    await _zone(api, user, "UTC")
    task = await api.create_task(user, title="Bins", due_date="2030-06-03")
    await _drain(worker)
    (fire_at,) = await _fire_times(ctx, task["id"])
    assert fire_at == datetime(2030, 6, 3, 9, 0, tzinfo=UTC)
    view = await _reminder_view(ctx, task["id"])
    assert notifications.reminder_at(view, 0, "UTC") == fire_at
    # As if 09:00 had come: the notification reads "Due today.", not "Due now."
    async with ctx.db.transaction() as conn:
        await conn.execute(
            update(reminders)
            .where(reminders.c.task_id == uuid.UUID(task["id"]))
            .values(fire_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    assert await worker.fire_reminders() >= 1
    listed = await api.client.get("/api/v1/notifications", headers=user.headers)
    (note,) = [n for n in listed.json()["items"] if n["task_id"] == task["id"]]
    assert note["body"] == "Due today."


async def _reminder_view(ctx: AppContext, task_id: str) -> Any:
    async with ctx.db.primary_reader() as conn:
        return await tasks_service.reminder_view(conn, uuid.UUID(task_id))


async def test_the_digest_lists_date_only_tasks_on_their_date(mailing: Mailing) -> None:
    api = Api(mailing.client())
    user = await mailing.verified_user(api)
    turned_on = await api.client.patch(
        ME,
        json={
            "timezone": "America/Los_Angeles",
            "preferences": {"email": {"digest": True, "digest_time": "07:00"}},
        },
        headers=user.headers,
    )
    assert turned_on.status_code == 200, turned_on.text
    await api.create_task(user, title="Call the bank", due_date="2026-12-04")
    await api.create_task(user, title="Water plants", due_date="2026-12-02")
    await api.create_task(user, title="Lunch", due_at="2026-12-04T12:30:00-08:00")
    await api.create_task(user, title="Weekend", due_date="2026-12-05")
    await mailing.turns()
    mailing.take()
    # As if it were 4 December, 07:00 in Los Angeles (15:00 UTC).
    async with mailing.app.state.ctx.db.transaction() as conn:
        await conn.execute(
            update(digest_schedule)
            .where(digest_schedule.c.user_id == uuid.UUID(user.id))
            .values(next_at=datetime(2026, 12, 4, 15, 0, tzinfo=UTC))
        )
    ctx = mailing.app.state.ctx
    async with ctx.db.unit_of_work() as uow:
        now = datetime(2026, 12, 4, 15, 0, 1, tzinfo=UTC)
        assert await notifications.send_digests(uow.conn, ctx.settings, now=now) == 1
    await mailing.worker.send_mail()
    (message,) = mailing.take()
    text = text_of(message)
    assert "Friday 04 December" in text
    assert "Call the bank (today)" in text
    assert "Lunch (12:30)" in text
    assert "Water plants (overdue since 02 Dec)" in text
    assert "Weekend" not in text
    assert text.index("Lunch") < text.index("Call the bank")  # a day's timed tasks first


def _columns(settings: Settings) -> set[str]:
    async def read() -> set[str]:
        engine = create_async_engine(settings.database_url)
        try:
            async with engine.connect() as conn:
                found = await conn.run_sync(lambda c: sa.inspect(c).get_columns("tasks"))
                return {column["name"] for column in found}
        finally:
            await engine.dispose()

    return asyncio.run(read())


def test_migration_0015_adds_the_due_date_and_can_be_undone(scratch: Settings) -> None:
    migrate(scratch, "0014")
    assert "due_date" not in _columns(scratch)
    migrate(scratch, "0015")
    assert "due_date" in _columns(scratch)
    config = Config()
    migrations = Path(migrate.__code__.co_filename).parent / "migrations"
    config.set_main_option("script_location", str(migrations))
    config.attributes["settings"] = scratch
    command.downgrade(config, "0014")
    assert "due_date" not in _columns(scratch)
    migrate(scratch, "head")
    assert "due_date" in _columns(scratch)
