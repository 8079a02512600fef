"""Recurring tasks: RFC 5545 rules evaluated from a local start time in the owner's zone
(DST included), the next occurrence made once on completion (retried, concurrent, in bulk),
COUNT and UNTIL ending a series, refused rules, and the preview of a rule's occurrences."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.ext.asyncio import create_async_engine

from tasklane.cli import migrate
from tasklane.settings import Settings
from tests.helpers import Api, User, assert_problem, assert_task
from tests.test_projects_migration import scratch

__all__ = ["scratch"]  # fixture

TASKS = "/api/v1/tasks"
PREVIEW = "/api/v1/recurrence/preview"


async def zoned_user(api: Api, zone: str) -> User:
    user = await api.user()
    response = await api.client.patch(
        "/api/v1/users/me", json={"timezone": zone}, headers=user.headers
    )
    assert response.status_code == 200, response.text
    return user


async def complete(api: Api, user: User, task: dict[str, Any]) -> dict[str, Any]:
    response = await api.client.patch(
        f"{TASKS}/{task['id']}", json={"status": "done"}, headers=user.headers
    )
    assert response.status_code == 200, response.text
    return assert_task(response.json())


async def series_of(api: Api, user: User, title: str) -> list[dict[str, Any]]:
    """The tasks of the caller with this title, oldest first."""
    response = await api.client.get(
        TASKS, params={"limit": 100, "sort": "created_at", "q": title}, headers=user.headers
    )
    assert response.status_code == 200, response.text
    return [assert_task(t) for t in response.json()["items"] if t["title"] == title]


async def open_one(api: Api, user: User, title: str) -> dict[str, Any]:
    tasks = [t for t in await series_of(api, user, title) if t["status"] != "done"]
    assert len(tasks) == 1, tasks
    return tasks[0]


async def dues_after_completions(
    api: Api, user: User, rule: str, due_at: str, times: int, title: str = "Repeats"
) -> list[str]:
    """Create a task repeating by ``rule`` from ``due_at``, complete each occurrence ``times``
    times; the due instants of the series, in order."""
    await api.create_task(user, title=title, due_at=due_at, recurrence=rule)
    for _ in range(times):
        await complete(api, user, await open_one(api, user, title))
    return [t["due_at"] for t in await series_of(api, user, title)]


async def test_a_recurring_task_shows_its_rule_and_completing_it_makes_the_next(
    api: Api,
) -> None:
    user = await api.user()
    task = await api.create_task(
        user, title="Water plants", due_at="2026-12-03T09:00:00Z", recurrence="RRULE:freq=daily"
    )
    assert task["recurrence"] == "FREQ=DAILY"
    done = await complete(api, user, task)
    assert done["status"] == "done"
    assert done["recurrence"] == "FREQ=DAILY"
    series = await series_of(api, user, "Water plants")
    assert [(t["status"], t["due_at"]) for t in series] == [
        ("done", "2026-12-03T09:00:00Z"),
        ("todo", "2026-12-04T09:00:00Z"),
    ]
    following = series[1]
    assert following["id"] != task["id"]
    assert following["recurrence"] == "FREQ=DAILY"
    assert following["version"] == 1
    assert following["completed_at"] is None


# --- the local start and DST ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "due_at", "expected"),
    [
        # Berlin moves to summer time on 28 March 2027: 9:00 stays 9:00 (08:00Z, then 07:00Z).
        (
            "Europe/Berlin",
            "2027-03-27T09:00:00+01:00",
            ["2027-03-27T08:00:00Z", "2027-03-28T07:00:00Z", "2027-03-29T07:00:00Z"],
        ),
        # ... and back on 31 October 2027.
        (
            "Europe/Berlin",
            "2027-10-30T09:00:00+02:00",
            ["2027-10-30T07:00:00Z", "2027-10-31T08:00:00Z", "2027-11-01T08:00:00Z"],
        ),
        # New York falls back on 7 November 2027.
        (
            "America/New_York",
            "2027-11-06T09:00:00-04:00",
            ["2027-11-06T13:00:00Z", "2027-11-07T14:00:00Z", "2027-11-08T14:00:00Z"],
        ),
        # 2:30 does not exist on 14 March 2027 in New York: that day it is read with the offset
        # before the gap (3:30 EDT), and the series stays at 2:30 after it.
        (
            "America/New_York",
            "2027-03-13T02:30:00-05:00",
            ["2027-03-13T07:30:00Z", "2027-03-14T07:30:00Z", "2027-03-15T06:30:00Z"],
        ),
        # 1:30 happens twice on 7 November 2027 in New York: the first one.
        (
            "America/New_York",
            "2027-11-06T01:30:00-04:00",
            ["2027-11-06T05:30:00Z", "2027-11-07T05:30:00Z", "2027-11-08T06:30:00Z"],
        ),
    ],
)
async def test_every_day_at_a_time_stays_at_that_local_time_across_dst(
    api: Api, zone: str, due_at: str, expected: list[str]
) -> None:
    user = await zoned_user(api, zone)
    assert await dues_after_completions(api, user, "FREQ=DAILY", due_at, 2) == expected


@pytest.mark.parametrize(
    ("rule", "due_at", "expected"),
    [
        # Every weekday: Friday, then Monday.
        (
            "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
            "2027-03-26T09:00:00+01:00",
            ["2027-03-26T08:00:00Z", "2027-03-29T07:00:00Z", "2027-03-30T07:00:00Z"],
        ),
        # Weekly on Monday and Wednesday, every 2 weeks (Wednesday 24 March: the week of 22nd).
        (
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE",
            "2027-03-24T18:00:00+01:00",
            ["2027-03-24T17:00:00Z", "2027-04-05T16:00:00Z", "2027-04-07T16:00:00Z"],
        ),
        # Monthly on the 31st: months without one are skipped.
        (
            "FREQ=MONTHLY;BYMONTHDAY=31",
            "2027-01-31T09:00:00+01:00",
            ["2027-01-31T08:00:00Z", "2027-03-31T07:00:00Z", "2027-05-31T07:00:00Z"],
        ),
        # Monthly on the last Friday.
        (
            "FREQ=MONTHLY;BYDAY=-1FR",
            "2027-02-26T09:00:00+01:00",
            ["2027-02-26T08:00:00Z", "2027-03-26T08:00:00Z", "2027-04-30T07:00:00Z"],
        ),
        # Yearly: the fourth Thursday of November.
        (
            "FREQ=YEARLY;BYMONTH=11;BYDAY=4TH",
            "2027-11-25T12:00:00+01:00",
            ["2027-11-25T11:00:00Z", "2028-11-23T11:00:00Z", "2029-11-22T11:00:00Z"],
        ),
    ],
)
async def test_rules_of_every_kind_follow_the_calendar(
    api: Api, rule: str, due_at: str, expected: list[str]
) -> None:
    user = await zoned_user(api, "Europe/Berlin")
    assert await dues_after_completions(api, user, rule, due_at, 2) == expected


async def test_the_next_occurrence_copies_the_task_and_keeps_its_series(api: Api) -> None:
    user = await api.user()
    task = await api.create_task(
        user,
        title="Standup notes",
        description="Post them in the channel",
        priority="high",
        tags=["work", "daily"],
        due_at="2026-12-07T09:30:00Z",
        recurrence="FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
    )
    await complete(api, user, task)
    following = await open_one(api, user, "Standup notes")
    assert following["due_at"] == "2026-12-08T09:30:00Z"
    for name in ("project_id", "description", "priority", "tags", "recurrence"):
        assert following[name] == task[name], name
    assert following["status"] == "todo"


# --- COUNT, UNTIL, changing and removing the rule -------------------------------------------------


async def test_count_ends_the_series(api: Api) -> None:
    user = await api.user()
    dues = await dues_after_completions(
        api, user, "FREQ=DAILY;COUNT=3", "2026-12-03T09:00:00Z", 3, title="Three times"
    )
    assert dues == ["2026-12-03T09:00:00Z", "2026-12-04T09:00:00Z", "2026-12-05T09:00:00Z"]
    assert all(t["status"] == "done" for t in await series_of(api, user, "Three times"))


@pytest.mark.parametrize(
    ("until", "stored"),
    [
        # A date: until the end of that day in the owner's zone (Berlin, UTC+1 in December).
        ("20261205", "20261205T225959Z"),
        # A local time: that time in the owner's zone.
        ("20261205T090000", "20261205T080000Z"),
        # A UTC time stays as it is.
        ("20261205T080000Z", "20261205T080000Z"),
    ],
)
async def test_until_is_normalised_to_utc_and_ends_the_series(
    api: Api, until: str, stored: str
) -> None:
    user = await zoned_user(api, "Europe/Berlin")
    title = f"Until {until}"
    task = await api.create_task(
        user,
        title=title,
        due_at="2026-12-03T09:00:00+01:00",
        recurrence=f"FREQ=DAILY;UNTIL={until}",
    )
    assert task["recurrence"] == f"FREQ=DAILY;UNTIL={stored}"
    for _ in range(3):
        open_tasks = [t for t in await series_of(api, user, title) if t["status"] != "done"]
        if not open_tasks:
            break
        await complete(api, user, open_tasks[0])
    dues = [t["due_at"] for t in await series_of(api, user, title)]
    assert dues == ["2026-12-03T08:00:00Z", "2026-12-04T08:00:00Z", "2026-12-05T08:00:00Z"]


async def test_until_at_the_end_of_time_west_of_utc_is_no_error(api: Api) -> None:
    user = await zoned_user(api, "America/Los_Angeles")
    task = await api.create_task(
        user, title="Forever", due_at="2026-12-03T09:00:00Z", recurrence="FREQ=DAILY;UNTIL=99991231"
    )
    assert task["recurrence"] == "FREQ=DAILY;UNTIL=99991231T235959Z"


async def test_changing_or_removing_the_rule(api: Api) -> None:
    user = await api.user()
    task = await api.create_task(user, title="Gym", due_at="2026-12-07T07:00:00Z")
    assert task["recurrence"] is None
    url = f"{TASKS}/{task['id']}"
    response = await api.client.patch(
        url, json={"recurrence": "FREQ=WEEKLY;BYDAY=MO,TH"}, headers=user.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["recurrence"] == "FREQ=WEEKLY;BYDAY=MO,TH"
    assert response.json()["version"] == 2
    response = await api.client.patch(url, json={"recurrence": None}, headers=user.headers)
    assert response.status_code == 200, response.text
    assert response.json()["recurrence"] is None
    await complete(api, user, response.json())
    assert len(await series_of(api, user, "Gym")) == 1


async def test_removing_the_due_date_ends_the_repetition(api: Api) -> None:
    user = await api.user()
    task = await api.create_task(
        user, title="Undated", due_at="2026-12-07T07:00:00Z", recurrence="FREQ=DAILY"
    )
    response = await api.client.patch(
        f"{TASKS}/{task['id']}", json={"due_at": None}, headers=user.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["recurrence"] is None


async def test_moving_the_due_time_moves_the_series(api: Api) -> None:
    user = await zoned_user(api, "Europe/Berlin")
    task = await api.create_task(
        user, title="Moved", due_at="2027-03-27T09:00:00+01:00", recurrence="FREQ=DAILY"
    )
    response = await api.client.patch(
        f"{TASKS}/{task['id']}", json={"due_at": "2027-03-27T10:30:00+01:00"}, headers=user.headers
    )
    assert response.status_code == 200, response.text
    await complete(api, user, response.json())
    assert (await open_one(api, user, "Moved"))["due_at"] == "2027-03-28T08:30:00Z"


# --- refused rules --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ("FREQ=HOURLY", "HOURLY is not supported"),
        ("FREQ=DAILY;BYHOUR=9", "BYHOUR cannot be used"),
        ("FREQ=DAILY;COUNT=2;UNTIL=20270101", "COUNT or UNTIL"),
        ("FREQ=DAILY;UNTIL=20261301", "not a real date"),
        ("FREQ=DAILY;UNTIL=tomorrow", "UNTIL must be"),
        ("FREQ=DAILY;UNTIL=20200101", "no occurrence after the first"),
        ("FREQ=DAILY;INTERVAL=0", "INTERVAL must be from 1"),
        ("FREQ=DAILY;COUNT=100000", "COUNT must be from 1 to 1000"),
        ("FREQ=WEEKLY;BYDAY=XX", "BYDAY takes days"),
        ("FREQ=WEEKLY;BYDAY=2MO", "needs FREQ=MONTHLY or YEARLY"),
        ("FREQ=MONTHLY;BYDAY=5MO", "number the weekday from 1 to 4"),
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "30 February"),
        # Every 7 days is always a Monday from Monday 7 December.
        ("FREQ=DAILY;INTERVAL=7;BYDAY=TU", "never comes round"),
        ("FREQ=DAILY;FREQ=WEEKLY", "given twice"),
        ("INTERVAL=2", "needs a FREQ"),
        ("FREQ=DAILY;X-NAME=1", "not a part of a recurrence rule"),
        ("", "empty"),
    ],
)
async def test_invalid_rules_are_a_422_naming_the_problem(api: Api, rule: str, words: str) -> None:
    user = await api.user()
    response = await api.client.post(
        TASKS,
        json={"title": "Bad rule", "due_at": "2026-12-07T09:00:00Z", "recurrence": rule},
        headers=user.headers,
    )
    body = assert_problem(response, 422)
    assert [e["field"] for e in body["errors"]] == ["recurrence"], body
    assert words in body["errors"][0]["message"], body


async def test_a_rule_needs_a_due_date(api: Api) -> None:
    user = await api.user()
    response = await api.client.post(
        TASKS, json={"title": "No due", "recurrence": "FREQ=DAILY"}, headers=user.headers
    )
    body = assert_problem(response, 422)
    assert body["errors"][0]["field"] == "recurrence"
    assert "due date" in body["detail"]


async def test_a_rule_that_never_matches_is_refused_at_once(api: Api) -> None:
    """dateutil alone would look for 29 February every 4 years from 2027 until the year 9999
    (seconds of CPU): the rule is refused before it is evaluated."""
    user = await api.user()
    started = time.monotonic()
    response = await api.client.post(
        TASKS,
        json={
            "title": "Never",
            "due_at": "2027-01-10T09:00:00Z",
            "recurrence": "FREQ=YEARLY;INTERVAL=4;BYMONTH=2;BYMONTHDAY=29",
        },
        headers=user.headers,
    )
    assert_problem(response, 422)
    assert time.monotonic() - started < 1


# --- exactly once ---------------------------------------------------------------------------------


async def test_a_retried_or_repeated_completion_makes_one_next_occurrence(api: Api) -> None:
    user = await api.user()
    task = await api.create_task(
        user, title="Once", due_at="2026-12-03T09:00:00Z", recurrence="FREQ=DAILY"
    )
    await complete(api, user, task)
    await complete(api, user, task)  # a retry: already done, nothing changes
    # Reopened and completed again: its next occurrence exists already.
    reopened = await api.client.patch(
        f"{TASKS}/{task['id']}", json={"status": "todo"}, headers=user.headers
    )
    assert reopened.status_code == 200, reopened.text
    await complete(api, user, task)
    series = await series_of(api, user, "Once")
    assert [t["due_at"] for t in series] == ["2026-12-03T09:00:00Z", "2026-12-04T09:00:00Z"]


async def test_concurrent_completions_make_one_next_occurrence(api: Api) -> None:
    user = await api.user()
    task = await api.create_task(
        user, title="Raced", due_at="2026-12-03T09:00:00Z", recurrence="FREQ=DAILY"
    )
    url = f"{TASKS}/{task['id']}"
    requests = [
        api.client.patch(url, json={"status": "done"}, headers=user.headers) for _ in range(4)
    ]
    requests.append(
        api.client.post(
            f"{TASKS}/bulk",
            json={"action": "set_status", "ids": [task["id"]], "status": "done"},
            headers=user.headers,
        )
    )
    responses = await asyncio.gather(*requests)
    assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
    series = await series_of(api, user, "Raced")
    assert [(t["status"], t["due_at"]) for t in series] == [
        ("done", "2026-12-03T09:00:00Z"),
        ("todo", "2026-12-04T09:00:00Z"),
    ]


async def test_completing_in_bulk_makes_each_next_occurrence(api: Api) -> None:
    user = await api.user()
    first = await api.create_task(
        user, title="Bulk A", due_at="2026-12-03T09:00:00Z", recurrence="FREQ=DAILY"
    )
    second = await api.create_task(
        user, title="Bulk B", due_at="2026-12-03T10:00:00Z", recurrence="FREQ=WEEKLY"
    )
    response = await api.client.post(
        f"{TASKS}/bulk",
        json={"action": "set_status", "ids": [first["id"], second["id"]], "status": "done"},
        headers=user.headers,
    )
    assert response.status_code == 200, response.text
    assert (await open_one(api, user, "Bulk A"))["due_at"] == "2026-12-04T09:00:00Z"
    assert (await open_one(api, user, "Bulk B"))["due_at"] == "2026-12-10T10:00:00Z"


# --- the preview ----------------------------------------------------------------------------------


async def test_preview_lists_the_occurrences_across_dst(api: Api) -> None:
    user = await api.user()
    response = await api.client.get(
        PREVIEW,
        params={
            "rule": "FREQ=DAILY;UNTIL=20270329",
            "start": "2027-03-27T09:00",
            "tz": "Europe/Berlin",
            "count": 10,
        },
        headers=user.headers,
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "rule": "FREQ=DAILY;UNTIL=20270329T215959Z",
        "timezone": "Europe/Berlin",
        "occurrences": [
            {"due_at": "2027-03-27T08:00:00Z", "due_date": None},
            {"due_at": "2027-03-28T07:00:00Z", "due_date": None},
            {"due_at": "2027-03-29T07:00:00Z", "due_date": None},
        ],
    }


async def test_preview_reads_the_profile_zone_an_instant_and_dates(api: Api) -> None:
    user = await zoned_user(api, "America/New_York")
    response = await api.client.get(
        PREVIEW,
        params={"rule": "FREQ=MONTHLY;BYDAY=-1FR", "start": "2026-12-03T14:00:00Z", "count": 3},
        headers=user.headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["timezone"] == "America/New_York"
    assert [o["due_at"] for o in response.json()["occurrences"]] == [
        "2026-12-03T14:00:00Z",
        "2026-12-25T14:00:00Z",
        "2027-01-29T14:00:00Z",
    ]
    dated = await api.client.get(
        PREVIEW,
        params={"rule": "FREQ=WEEKLY;INTERVAL=2;COUNT=3", "start": "2026-12-03"},
        headers=user.headers,
    )
    assert dated.status_code == 200, dated.text
    assert dated.json()["occurrences"] == [
        {"due_at": None, "due_date": "2026-12-03"},
        {"due_at": None, "due_date": "2026-12-17"},
        {"due_at": None, "due_date": "2026-12-31"},
    ]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"rule": "FREQ=SECONDLY", "start": "2026-12-03T09:00"}, "rule"),
        ({"rule": "FREQ=DAILY", "start": "next tuesday"}, "start"),
        ({"rule": "FREQ=DAILY", "start": "0001-01-01"}, "start"),
        ({"rule": "FREQ=DAILY", "start": "2026-12-03T09:00", "tz": "Mars/Olympus"}, "tz"),
        ({"rule": "FREQ=DAILY", "start": "2026-12-03T09:00", "count": 51}, "count"),
    ],
)
async def test_preview_refuses_bad_input_with_a_422(
    api: Api, params: dict[str, Any], field: str
) -> None:
    user = await api.user()
    body = assert_problem(await api.client.get(PREVIEW, params=params, headers=user.headers), 422)
    assert [e["field"] for e in body["errors"]] == [field], body


async def test_preview_needs_a_session(api: Api) -> None:
    response = await api.client.get(PREVIEW, params={"rule": "FREQ=DAILY", "start": "2026-12-03"})
    assert_problem(response, 401)


async def test_a_date_only_task_repeats_by_dates(api: Api) -> None:
    user = await zoned_user(api, "America/New_York")
    task = await api.create_task(
        user, title="Bins out", due_date="2027-03-12", recurrence="FREQ=WEEKLY;UNTIL=20270326"
    )
    assert task["recurrence"] == "FREQ=WEEKLY;UNTIL=20270326"
    for _ in range(3):
        open_tasks = [t for t in await series_of(api, user, "Bins out") if t["status"] != "done"]
        if not open_tasks:
            break
        await complete(api, user, open_tasks[0])
    series = await series_of(api, user, "Bins out")
    assert [(t["due_date"], t["due_at"]) for t in series] == [
        ("2027-03-12", None),
        ("2027-03-19", None),
        ("2027-03-26", None),
    ]


async def test_saving_the_same_rule_again_changes_nothing(api: Api) -> None:
    user = await api.user()
    task = await api.create_task(
        user, title="Same", due_at="2026-12-07T07:00:00Z", recurrence="FREQ=DAILY"
    )
    response = await api.client.patch(
        f"{TASKS}/{task['id']}",
        json={"recurrence": "FREQ=DAILY", "due_at": "2026-12-07T07:00:00Z"},
        headers=user.headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["version"] == 1


async def test_someone_elses_recurring_task_cannot_be_completed(api: Api) -> None:
    owner = await api.user()
    stranger = await api.user()
    task = await api.create_task(
        owner, title="Private", due_at="2026-12-07T07:00:00Z", recurrence="FREQ=DAILY"
    )
    response = await api.client.patch(
        f"{TASKS}/{task['id']}", json={"status": "done"}, headers=stranger.headers
    )
    assert_problem(response, 404)
    assert [t["status"] for t in await series_of(api, owner, "Private")] == ["todo"]


# --- the migration ------------------------------------------------------------------------------

SERIES_COLUMNS = {"recurrence", "recurrence_zone", "recurrence_start", "series_id", "occurrence"}


def _schema(settings: Settings) -> tuple[set[str], dict[str, tuple[list[str], bool]]]:
    """The tasks table's columns, and its indexes (columns, unique)."""

    async def read() -> tuple[set[str], dict[str, tuple[list[str], bool]]]:
        engine = create_async_engine(settings.database_url)
        try:
            async with engine.connect() as conn:

                def inspect(c: sa.Connection) -> tuple[set[str], dict[str, tuple[list[str], bool]]]:
                    inspector = sa.inspect(c)
                    columns = {column["name"] for column in inspector.get_columns("tasks")}
                    indexes = {
                        str(i["name"]): ([str(n) for n in i["column_names"]], bool(i["unique"]))
                        for i in inspector.get_indexes("tasks")
                    }
                    return columns, indexes

                return await conn.run_sync(inspect)
        finally:
            await engine.dispose()

    return asyncio.run(read())


def test_migration_0014_adds_the_series_columns_and_can_be_undone(scratch: Settings) -> None:
    migrate(scratch, "0013")
    columns, indexes = _schema(scratch)
    assert not SERIES_COLUMNS & columns
    migrate(scratch, "0014")
    columns, indexes = _schema(scratch)
    assert columns >= SERIES_COLUMNS
    assert indexes["uq_tasks_series_occurrence"] == (["series_id", "occurrence"], True)
    config = Config()
    migrations = Path(migrate.__code__.co_filename).parent / "migrations"
    config.set_main_option("script_location", str(migrations))
    config.attributes["settings"] = scratch
    command.downgrade(config, "0013")
    columns, indexes = _schema(scratch)
    assert not SERIES_COLUMNS & columns
    assert "uq_tasks_series_occurrence" not in indexes
    migrate(scratch, "head")
    assert _schema(scratch)[0] >= SERIES_COLUMNS


async def test_a_recurring_subtask_adds_its_next_occurrence_to_its_parent(api: Api) -> None:
    user = await api.user()
    parent = await api.create_task(user, title="Household")
    sub = await api.create_task(
        user,
        title="Vacuum",
        parent_id=parent["id"],
        due_at="2026-12-05T10:00:00Z",
        recurrence="FREQ=WEEKLY",
    )
    await complete(api, user, sub)
    response = await api.client.get(f"{TASKS}/{parent['id']}", headers=user.headers)
    assert response.status_code == 200, response.text
    assert (response.json()["subtasks_done"], response.json()["subtasks_total"]) == (1, 2)
    following = await open_one(api, user, "Vacuum")
    assert (following["parent_id"], following["due_at"]) == (parent["id"], "2026-12-12T10:00:00Z")
