"""POST /api/v1/tasks/bulk (all or nothing) and GET /api/v1/tasks/stats (in the user's zone)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from tasklane.core.context import AppContext
from tasklane.tasks.models import tasks
from tests.helpers import Api, User, assert_problem, assert_task

TASKS = "/api/v1/tasks"
BULK = f"{TASKS}/bulk"
STATS = f"{TASKS}/stats"


def error_fields(body: dict[str, Any]) -> list[str]:
    return [error["field"] for error in body["errors"]]


async def get_task(api: Api, user: User, task_id: str) -> dict[str, Any]:
    response = await api.client.get(f"{TASKS}/{task_id}", headers=user.headers)
    assert response.status_code == 200, response.text
    return assert_task(response.json())


async def bulk(api: Api, user: User, body: dict[str, Any]) -> dict[str, Any]:
    response = await api.client.post(BULK, json=body, headers=user.headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    assert set(result) == {"action", "count", "items"}
    for item in result["items"]:
        assert_task(item)
    return result


async def stats(api: Api, user: User) -> dict[str, Any]:
    response = await api.client.get(STATS, headers=user.headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def set_timezone(api: Api, user: User, zone: str) -> None:
    response = await api.client.patch(
        "/api/v1/users/me", json={"timezone": zone}, headers=user.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["timezone"] == zone


async def set_completed_at(ctx: AppContext, task_id: str, when: datetime) -> None:
    async with ctx.db.transaction() as conn:
        result = await conn.execute(
            update(tasks).where(tasks.c.id == uuid.UUID(task_id)).values(completed_at=when)
        )
        assert result.rowcount == 1


# --- bulk --------------------------------------------------------------------------------------


async def test_bulk_set_status_done(api: Api) -> None:
    user = await api.user()
    chosen = [await api.create_task(user, title=f"t{i}") for i in range(3)]
    bystander = await api.create_task(user, title="bystander")
    result = await bulk(
        api, user, {"action": "set_status", "ids": [t["id"] for t in chosen], "status": "done"}
    )
    assert result["action"] == "set_status"
    assert result["count"] == 3
    returned = {t["id"]: t for t in result["items"]}
    assert set(returned) == {t["id"] for t in chosen}
    for before in chosen:
        after = await get_task(api, user, before["id"])
        assert after == returned[before["id"]]
        assert after["status"] == "done"
        assert after["completed_at"] is not None
        assert after["completed_at"] == after["updated_at"]
        assert after["version"] == 2
        assert after["title"] == before["title"]
    assert await get_task(api, user, bystander["id"]) == bystander
    done = await api.client.get(TASKS, params={"status": "done"}, headers=user.headers)
    assert {t["id"] for t in done.json()["items"]} == set(returned)


async def test_bulk_done_keeps_earlier_completions_and_reopening_clears_them(api: Api) -> None:
    user = await api.user()
    already = await api.create_task(user, title="already done", status="done")
    fresh = await api.create_task(user, title="fresh")
    result = await bulk(
        api, user, {"action": "set_status", "ids": [already["id"], fresh["id"]], "status": "done"}
    )
    returned = {t["id"]: t for t in result["items"]}
    assert result["count"] == 2
    assert returned[already["id"]] == already  # unchanged: same completion, same version
    assert await get_task(api, user, already["id"]) == already
    assert returned[fresh["id"]]["completed_at"] is not None
    assert returned[fresh["id"]]["version"] == 2

    result = await bulk(
        api,
        user,
        {"action": "set_status", "ids": [already["id"], fresh["id"]], "status": "in_progress"},
    )
    for task_id in (already["id"], fresh["id"]):
        stored = await get_task(api, user, task_id)
        assert stored["status"] == "in_progress"
        assert stored["completed_at"] is None
        assert {t["id"]: t for t in result["items"]}[task_id] == stored
    assert (await get_task(api, user, already["id"]))["version"] == 2
    assert (await get_task(api, user, fresh["id"]))["version"] == 3


async def test_bulk_delete(api: Api) -> None:
    user = await api.user()
    doomed = [await api.create_task(user, title=f"t{i}") for i in range(3)]
    kept = await api.create_task(user, title="kept")
    result = await bulk(api, user, {"action": "delete", "ids": [t["id"] for t in doomed]})
    assert result == {"action": "delete", "count": 3, "items": []}
    for task in doomed:
        assert_problem(await api.client.get(f"{TASKS}/{task['id']}", headers=user.headers), 404)
    listed = await api.client.get(TASKS, headers=user.headers)
    assert [t["id"] for t in listed.json()["items"]] == [kept["id"]]


async def test_bulk_tolerates_duplicate_ids(api: Api) -> None:
    user = await api.user()
    a = await api.create_task(user, title="a")
    b = await api.create_task(user, title="b")
    ids = [a["id"], b["id"], a["id"], a["id"]]
    result = await bulk(api, user, {"action": "set_status", "ids": ids, "status": "done"})
    assert result["count"] == 2
    assert sorted(t["id"] for t in result["items"]) == sorted([a["id"], b["id"]])
    assert (await get_task(api, user, a["id"]))["version"] == 2  # changed once, not thrice
    result = await bulk(api, user, {"action": "delete", "ids": ids})
    assert result["count"] == 2
    listed = await api.client.get(TASKS, headers=user.headers)
    assert listed.json()["items"] == []


@pytest.mark.parametrize("action", ["set_status", "delete"])
@pytest.mark.parametrize("intruder", ["unknown", "foreign"])
async def test_bulk_is_all_or_nothing(api: Api, action: str, intruder: str) -> None:
    user = await api.user()
    mine = [await api.create_task(user, title=f"t{i}") for i in range(3)]
    if intruder == "foreign":
        stranger = await api.user()
        foreign = await api.create_task(stranger, title="not yours")
        bad_id = foreign["id"]
    else:
        bad_id = str(uuid.uuid4())
    body: dict[str, Any] = {"action": action, "ids": [mine[0]["id"], bad_id, mine[1]["id"]]}
    if action == "set_status":
        body["status"] = "done"
    response = await api.client.post(BULK, json=body, headers=user.headers)
    problem = assert_problem(response, 404, "not-found")
    assert problem["missing_ids"] == [bad_id]
    for task in mine:
        assert await get_task(api, user, task["id"]) == task
    if intruder == "foreign":
        assert await get_task(api, stranger, foreign["id"]) == foreign


async def test_bulk_of_100_unknown_ids_is_404_not_422(api: Api) -> None:
    user = await api.user()
    ids = [str(uuid.uuid4()) for _ in range(100)]
    response = await api.client.post(
        BULK, json={"action": "delete", "ids": ids}, headers=user.headers
    )
    problem = assert_problem(response, 404)
    assert sorted(problem["missing_ids"]) == sorted(ids)


MINE = "<the user's task>"


@pytest.mark.parametrize(
    ("body", "field_suffix"),
    [
        ({"action": "delete", "ids": [MINE] + [str(uuid.uuid4()) for _ in range(100)]}, "ids"),
        ({"action": "delete", "ids": []}, "ids"),
        ({"action": "set_status", "ids": [], "status": "done"}, "ids"),
        ({"action": "delete"}, "ids"),
        ({"action": "delete", "ids": [MINE, "not-a-uuid"]}, "ids.1"),
        ({"action": "set_status", "ids": [MINE]}, "status"),
        ({"action": "set_status", "ids": [MINE], "status": "archived"}, "status"),
        ({"action": "delete", "ids": [MINE], "status": "done"}, "status"),
        ({"action": "archive", "ids": [MINE]}, None),
        ({"ids": [MINE]}, None),
    ],
)
async def test_invalid_bulk_requests_are_422(
    api: Api, body: dict[str, Any], field_suffix: str | None
) -> None:
    user = await api.user()
    task = await api.create_task(user)
    if "ids" in body:
        body = {**body, "ids": [task["id"] if i == MINE else i for i in body["ids"]]}
    response = await api.client.post(BULK, json=body, headers=user.headers)
    problem = assert_problem(response, 422, "validation-error")
    if field_suffix is not None:
        fields = error_fields(problem)
        assert len(fields) == 1, fields
        # The path may be prefixed by the action ("delete.ids").
        assert fields[0] == field_suffix or fields[0].endswith(f".{field_suffix}"), fields
    assert await get_task(api, user, task["id"]) == task


# --- stats -------------------------------------------------------------------------------------


def local_day_bounds(zone: ZoneInfo, day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    return start, end


def local_today(zone: ZoneInfo) -> date:
    return datetime.now(UTC).astimezone(zone).date()


async def on_a_stable_day(
    zone: ZoneInfo, check: Callable[[date], Awaitable[tuple[Any, Any]]]
) -> None:
    """Run ``check(today)``, which answers (actual, expected); if the local date changed while
    it ran (a test started just before midnight), run it again: the expectations depend on the
    date, not on how fast the test is."""
    for _ in range(3):
        today = local_today(zone)
        actual, expected = await check(today)
        if local_today(zone) == today:
            assert actual == expected
            return
    raise AssertionError("the local date kept changing")


async def test_stats_of_a_new_user_are_zero(api: Api) -> None:
    user = await api.user()
    result = await stats(api, user)
    assert result["timezone"] == "UTC"
    assert result["total"] == 0
    assert result["by_status"] == {"todo": 0, "in_progress": 0, "done": 0}
    assert result["by_priority"] == {"low": 0, "medium": 0, "high": 0, "urgent": 0}
    assert result["overdue"] == 0
    assert result["due_today"] == 0
    days = result["completed_per_day"]
    assert len(days) == 14
    assert all(d["count"] == 0 for d in days)


async def test_stats_count_by_status_and_priority(api: Api) -> None:
    user = await api.user()
    specs = [
        ("todo", "low"),
        ("todo", "low"),
        ("todo", "urgent"),
        ("in_progress", "high"),
        ("in_progress", "medium"),
        ("done", "high"),
        ("done", "low"),
    ]
    created = [await api.create_task(user, status=s, priority=p) for s, p in specs]
    result = await stats(api, user)
    assert result["total"] == 7
    assert result["by_status"] == {"todo": 3, "in_progress": 2, "done": 2}
    assert result["by_priority"] == {"low": 3, "medium": 1, "high": 2, "urgent": 1}
    # They follow changes and deletions.
    patched = await api.client.patch(
        f"{TASKS}/{created[0]['id']}",
        json={"status": "done", "priority": "urgent"},
        headers=user.headers,
    )
    assert patched.status_code == 200, patched.text
    deleted = await api.client.delete(f"{TASKS}/{created[3]['id']}", headers=user.headers)
    assert deleted.status_code == 204, deleted.text
    result = await stats(api, user)
    assert result["total"] == 6
    assert result["by_status"] == {"todo": 2, "in_progress": 1, "done": 3}
    assert result["by_priority"] == {"low": 2, "medium": 1, "high": 1, "urgent": 2}


async def test_stats_overdue_means_past_due_and_not_done(api: Api) -> None:
    user = await api.user()
    now = datetime.now(UTC)
    past = (now - timedelta(hours=3)).isoformat()
    long_past = (now - timedelta(days=40)).isoformat()
    future = (now + timedelta(days=2)).isoformat()
    await api.create_task(user, due_at=past)
    await api.create_task(user, due_at=long_past, status="in_progress")
    await api.create_task(user, due_at=past, status="done")
    await api.create_task(user, due_at=future)
    await api.create_task(user)
    result = await stats(api, user)
    assert result["overdue"] == 2
    assert result["total"] == 5
    listed = await api.client.get(TASKS, params={"overdue": "true"}, headers=user.headers)
    assert len(listed.json()["items"]) == result["overdue"]


@pytest.mark.parametrize("zone_name", ["Pacific/Kiritimati", "America/Los_Angeles"])
async def test_due_today_is_the_users_local_day(api: Api, zone_name: str) -> None:
    zone = ZoneInfo(zone_name)

    async def check(today: date) -> bool:
        user = await api.user()
        await set_timezone(api, user, zone_name)
        start, end = local_day_bounds(zone, today)
        second = timedelta(seconds=1)
        # Weighted points (1 and 2 inside, 4 and 4 just outside): only the local day, which
        # holds both ends of itself and neither neighbour, adds up to 3. A UTC day (or any
        # other 24 hours) never holds both start and end - 1s.
        points = {start: 1, end - second: 2, start - second: 4, end: 4}
        for when, weight in points.items():
            for _ in range(weight):
                await api.create_task(user, due_at=when.isoformat())
        # A finished task due today is not something still to do today.
        await api.create_task(user, due_at=(start + timedelta(hours=2)).isoformat(), status="done")
        result = await stats(api, user)
        assert result["timezone"] == zone_name
        assert result["total"] == 12
        return result["due_today"], 3

    await on_a_stable_day(zone, check)


@pytest.mark.parametrize("zone_name", ["Pacific/Kiritimati", "America/Los_Angeles"])
async def test_completed_per_day_counts_local_days(
    api: Api, ctx: AppContext, zone_name: str
) -> None:
    zone = ZoneInfo(zone_name)

    async def check(today: date) -> bool:
        user = await api.user()
        await set_timezone(api, user, zone_name)

        def local(days_ago: int, hour: int, minute: int) -> datetime:
            return datetime.combine(today - timedelta(days=days_ago), time(hour, minute), zone)

        # Completed now (today, local): two by PATCH, one created done.
        for i in range(2):
            task = await api.create_task(user, title=f"now {i}")
            response = await api.client.patch(
                f"{TASKS}/{task['id']}", json={"status": "done"}, headers=user.headers
            )
            assert response.status_code == 200, response.text
        await api.create_task(user, title="created done", status="done")
        # Reopened: no longer a completion.
        reopened = await api.create_task(user, title="reopened", status="done")
        response = await api.client.patch(
            f"{TASKS}/{reopened['id']}", json={"status": "todo"}, headers=user.headers
        )
        assert response.status_code == 200, response.text
        # Earlier completions, set in the database, near local midnights (where the UTC date
        # differs from the local one).
        past = {
            "yesterday just after midnight": local(1, 0, 30),
            "two days ago just before midnight": local(2, 23, 30),
            "first day of the window": local(13, 0, 1),
            "just before the window": local(14, 23, 59),
            "long ago": local(40, 12, 0),
        }
        for title, when in past.items():
            task = await api.create_task(user, title=title, status="done")
            await set_completed_at(ctx, task["id"], when)

        result = await stats(api, user)
        assert result["by_status"]["done"] == 8
        days = result["completed_per_day"]
        counts = [0] * 14
        counts[-1] = 3  # today: two PATCHed to done, one created done
        counts[-2] = 1  # yesterday 00:30
        counts[-3] = 1  # two days ago 23:30
        counts[0] = 1  # thirteen days ago 00:01
        expected = [
            {"date": (today - timedelta(days=13 - i)).isoformat(), "count": counts[i]}
            for i in range(14)
        ]
        return days, expected

    await on_a_stable_day(zone, check)
