"""Tasks: create, read, update (PATCH semantics), delete, and who may see which task."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.helpers import Api, User, assert_problem, assert_task

TASKS = "/api/v1/tasks"


def error_fields(body: dict[str, Any]) -> list[str]:
    return [error["field"] for error in body["errors"]]


def instant(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    assert parsed.tzinfo is not None, value
    return parsed


async def get_task(api: Api, user: User, task_id: str) -> dict[str, Any]:
    response = await api.client.get(f"{TASKS}/{task_id}", headers=user.headers)
    assert response.status_code == 200, response.text
    assert response.headers["etag"] == f'"{response.json()["version"]}"'
    return assert_task(response.json())


async def patch(api: Api, user: User, task_id: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await api.client.patch(f"{TASKS}/{task_id}", json=body, headers=user.headers)
    assert response.status_code == 200, response.text
    task = assert_task(response.json())
    assert response.headers["etag"] == f'"{task["version"]}"'
    return task


# --- create ------------------------------------------------------------------------------------


async def test_create_answers_201_with_location_etag_and_defaults(api: Api) -> None:
    user = await api.user()
    response = await api.client.post(TASKS, json={"title": "Write report"}, headers=user.headers)
    assert response.status_code == 201, response.text
    task = assert_task(response.json())
    assert response.headers["location"] == f"{TASKS}/{task['id']}"
    assert response.headers["etag"] == '"1"'
    assert task["title"] == "Write report"
    assert task["status"] == "todo"
    assert task["priority"] == "medium"
    assert task["tags"] == []
    assert task["description"] is None
    assert task["due_at"] is None
    assert task["completed_at"] is None
    assert task["version"] == 1
    assert task["created_at"] == task["updated_at"]
    assert instant(task["created_at"]).utcoffset() == UTC.utcoffset(None)

    located = await api.client.get(response.headers["location"], headers=user.headers)
    assert located.status_code == 200, located.text
    assert located.json() == task
    assert located.headers["etag"] == '"1"'


async def test_every_field_round_trips(api: Api) -> None:
    user = await api.user()
    body = {
        "title": "  Plan the trip  ",
        "description": "Book trains\nand a hotel near the station.",
        "status": "in_progress",
        "priority": "urgent",
        "due_at": "2031-05-06T09:30:00+02:00",
        "tags": ["Travel", " home ", "TRAVEL", "work/q3", "Café"],
    }
    response = await api.client.post(TASKS, json=body, headers=user.headers)
    assert response.status_code == 201, response.text
    created = assert_task(response.json())
    assert created["title"] == "Plan the trip"
    assert created["description"] == body["description"]
    assert created["status"] == "in_progress"
    assert created["priority"] == "urgent"
    # The same instant, given back in UTC, by the create answer and by every later read.
    assert created["due_at"] == "2031-05-06T07:30:00Z"
    assert instant(created["due_at"]) == instant(body["due_at"])
    assert created["tags"] == ["travel", "home", "work/q3", "café"]
    assert created["completed_at"] is None
    # Reads format the stored row themselves (tasks.service.task_document): the same JSON.
    assert await get_task(api, user, created["id"]) == created
    listed = await api.client.get(TASKS, headers=user.headers)
    assert listed.json()["items"] == [created]
    found = await api.client.get(TASKS, params={"q": "hotel"}, headers=user.headers)
    assert found.json()["items"] == [created]


async def test_creating_a_done_task_sets_completed_at(api: Api) -> None:
    user = await api.user()
    task = await api.create_task(user, status="done")
    assert task["completed_at"] is not None
    assert instant(task["completed_at"]) == instant(task["created_at"])
    assert (await get_task(api, user, task["id"]))["completed_at"] == task["completed_at"]


async def test_naive_due_at_is_refused(api: Api) -> None:
    user = await api.user()
    response = await api.client.post(
        TASKS, json={"title": "x", "due_at": "2031-05-06T09:30:00"}, headers=user.headers
    )
    assert error_fields(assert_problem(response, 422, "validation-error")) == ["due_at"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"title": ""}, "title", id="empty-title"),
        pytest.param({"title": "   \t "}, "title", id="blank-title"),
        pytest.param({"title": "x" * 201}, "title", id="title-201"),
        pytest.param({}, "title", id="missing-title"),
        pytest.param({"title": 5}, "title", id="title-not-a-string"),
        pytest.param({"title": "x", "description": "d" * 10_001}, "description", id="desc-10001"),
        pytest.param({"title": "x", "tags": [f"t{i}" for i in range(21)]}, "tags", id="21-tags"),
        pytest.param(
            {"title": "x", "tags": ["ok", "fine", "good", "bad tag!"]}, "tags.3", id="bad"
        ),
        pytest.param({"title": "x", "tags": ["ok", "t" * 33]}, "tags.1", id="long-tag"),
        pytest.param({"title": "x", "tags": ["ok", "   "]}, "tags.1", id="blank-tag"),
        pytest.param({"title": "x", "status": "archived"}, "status", id="status"),
        pytest.param({"title": "x", "priority": "critical"}, "priority", id="priority"),
        pytest.param({"title": "x", "due_at": "tomorrow"}, "due_at", id="due-garbage"),
        pytest.param({"title": "x", "colour": "red"}, "colour", id="unknown-field"),
        pytest.param({"title": "x", "version": 7}, "version", id="read-only-field"),
    ],
)
async def test_invalid_create_bodies_answer_422_naming_the_field(
    api: Api, body: dict[str, Any], field: str
) -> None:
    user = await api.user()
    response = await api.client.post(TASKS, json=body, headers=user.headers)
    problem = assert_problem(response, 422, "validation-error")
    assert error_fields(problem) == [field], problem
    listed = await api.client.get(TASKS, headers=user.headers)
    assert listed.json()["items"] == []


async def test_unknown_field_error_says_so(api: Api) -> None:
    user = await api.user()
    response = await api.client.post(TASKS, json={"title": "x", "colour": 1}, headers=user.headers)
    problem = assert_problem(response, 422)
    assert problem["errors"] == [{"field": "colour", "message": "Unknown field"}]


async def test_limits_are_inclusive(api: Api) -> None:
    user = await api.user()
    longest = await api.create_task(
        user,
        title="  " + "x" * 200 + "  ",  # 200 after trimming
        description="d" * 10_000,
        tags=[f"tag{i}" for i in range(20)],
    )
    assert longest["title"] == "x" * 200
    assert len(longest["description"]) == 10_000
    assert len(longest["tags"]) == 20
    one = await api.create_task(user, title="a")
    assert one["title"] == "a"


async def test_tags_are_lower_cased_and_de_duplicated_in_order(api: Api) -> None:
    user = await api.user()
    task = await api.create_task(user, tags=["Beta", "alpha", "BETA", " beta ", "Alpha", "gamma"])
    assert task["tags"] == ["beta", "alpha", "gamma"]
    assert (await get_task(api, user, task["id"]))["tags"] == ["beta", "alpha", "gamma"]
    by_tag = await api.client.get(TASKS, params={"tag": "BETA"}, headers=user.headers)
    assert [t["id"] for t in by_tag.json()["items"]] == [task["id"]]


async def test_non_ascii_text_round_trips_at_the_limits(api: Api) -> None:
    user = await api.user()
    task = await api.create_task(
        user,
        title="😀" * 200,  # characters, not bytes
        description="Grüße 日本語 " + "😀" * 9_990,
        tags=["日本語", "Naïve", "straße"],
    )
    assert task["title"] == "😀" * 200
    assert len(task["description"]) == 10_000
    assert task["tags"] == ["日本語", "naïve", "straße"]
    assert await get_task(api, user, task["id"]) == task
    response = await api.client.post(TASKS, json={"title": "😀" * 201}, headers=user.headers)
    assert error_fields(assert_problem(response, 422)) == ["title"]


@pytest.mark.parametrize("tags", [["cafe", "café"], ["strasse", "straße"], ["resume", "résumé"]])
async def test_tags_differing_only_by_accents_are_distinct_tags(api: Api, tags: list[str]) -> None:
    """Databases that compare text by collation (MariaDB) must neither refuse them nor let a
    filter by one spelling find the other."""
    user = await api.user()
    task = await api.create_task(user, tags=tags)
    assert task["tags"] == tags
    assert (await get_task(api, user, task["id"]))["tags"] == tags
    for tag in tags:
        found = await api.client.get(TASKS, params={"tag": tag}, headers=user.headers)
        assert [t["id"] for t in found.json()["items"]] == [task["id"]], tag
    only = {tag: await api.create_task(user, tags=[tag]) for tag in tags}
    for tag in tags:
        found = await api.client.get(TASKS, params={"tag": tag}, headers=user.headers)
        assert [t["id"] for t in found.json()["items"]] == [only[tag]["id"], task["id"]], tag
    other = await api.create_task(user, tags=["x"])
    patched = await patch(api, user, other["id"], {"tags": list(reversed(tags))})
    assert patched["tags"] == list(reversed(tags))


async def test_ids_are_uuids_with_random_bits(api: Api) -> None:
    user = await api.user()
    ids = [uuid.UUID((await api.create_task(user, title=f"t{i}"))["id"]) for i in range(5)]
    assert len(set(ids)) == 5
    for task_id in ids:
        assert task_id.variant == uuid.RFC_4122
        assert task_id.version in (4, 7)
    # The low 62 bits are random in both UUIDv4 and UUIDv7: not a counter.
    random_parts = [task_id.int & ((1 << 62) - 1) for task_id in ids]
    assert len(set(random_parts)) == 5
    steps = {b - a for a, b in itertools.pairwise(random_parts)}
    assert not steps <= {0, 1}
    assert all(abs(b.int - a.int) > 1 for a, b in itertools.pairwise(ids))


# --- PATCH -------------------------------------------------------------------------------------


async def test_patch_changes_only_the_fields_sent(api: Api) -> None:
    user = await api.user()
    task = await api.create_task(
        user,
        title="Original",
        description="Keep me",
        priority="low",
        due_at="2031-01-01T12:00:00+00:00",
        tags=["one", "two"],
    )
    patched = await patch(api, user, task["id"], {"priority": "high"})
    assert patched["priority"] == "high"
    assert patched["version"] == 2
    assert instant(patched["updated_at"]) > instant(task["updated_at"])
    unchanged = {"priority", "version", "updated_at"}
    assert {k: v for k, v in patched.items() if k not in unchanged} == {
        k: v for k, v in task.items() if k not in unchanged
    }
    assert await get_task(api, user, task["id"]) == patched

    empty = await patch(api, user, task["id"], {})
    assert empty == patched


async def test_patch_null_clears_description_and_due_at(api: Api) -> None:
    user = await api.user()
    task = await api.create_task(
        user, title="Keep", description="Remove me", due_at="2031-01-01T12:00:00+00:00"
    )
    patched = await patch(api, user, task["id"], {"description": None, "due_at": None})
    assert patched["description"] is None
    assert patched["due_at"] is None
    assert patched["title"] == "Keep"
    assert patched["version"] == 2
    stored = await get_task(api, user, task["id"])
    assert stored["description"] is None
    assert stored["due_at"] is None


@pytest.mark.parametrize("field", ["title", "status", "priority", "tags"])
async def test_patch_null_for_required_fields_is_422_and_changes_nothing(
    api: Api, field: str
) -> None:
    user = await api.user()
    task = await api.create_task(user, title="Stays", tags=["x"])
    response = await api.client.patch(
        f"{TASKS}/{task['id']}", json={field: None, "description": "new"}, headers=user.headers
    )
    assert error_fields(assert_problem(response, 422, "validation-error")) == [field]
    assert await get_task(api, user, task["id"]) == task


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "  "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"description": "d" * 10_001}, "description"),
        ({"due_at": "2031-01-01T12:00:00"}, "due_at"),
        ({"tags": [f"t{i}" for i in range(21)]}, "tags"),
        ({"tags": ["fine", "no!"]}, "tags.1"),
        ({"status": "archived"}, "status"),
        ({"id": str(uuid.uuid4())}, "id"),
    ],
)
async def test_invalid_patch_bodies_are_422(api: Api, body: dict[str, Any], field: str) -> None:
    user = await api.user()
    task = await api.create_task(user)
    response = await api.client.patch(f"{TASKS}/{task['id']}", json=body, headers=user.headers)
    assert error_fields(assert_problem(response, 422)) == [field]
    assert await get_task(api, user, task["id"]) == task


async def test_patch_normalises_like_create(api: Api) -> None:
    user = await api.user()
    task = await api.create_task(user, tags=["old"])
    patched = await patch(
        api,
        user,
        task["id"],
        {"title": "  Renamed ", "due_at": "2031-03-04T20:15:00-05:00", "tags": ["New", "new"]},
    )
    assert patched["title"] == "Renamed"
    assert patched["due_at"] == "2031-03-05T01:15:00Z"
    assert patched["tags"] == ["new"]
    assert await get_task(api, user, task["id"]) == patched
    # The tag index follows the change.
    by_new = await api.client.get(TASKS, params={"tag": "new"}, headers=user.headers)
    assert [t["id"] for t in by_new.json()["items"]] == [task["id"]]
    by_old = await api.client.get(TASKS, params={"tag": "old"}, headers=user.headers)
    assert by_old.json()["items"] == []


async def test_completed_at_follows_status(api: Api) -> None:
    user = await api.user()
    task = await api.create_task(user)
    assert task["completed_at"] is None

    done = await patch(api, user, task["id"], {"status": "done"})
    assert done["completed_at"] is not None
    assert instant(done["completed_at"]) == instant(done["updated_at"])
    assert done["version"] == 2

    # Done again (alone or with another change) keeps the first completion time.
    again = await patch(api, user, task["id"], {"status": "done"})
    assert again["completed_at"] == done["completed_at"]
    assert again["version"] == 2
    renamed = await patch(api, user, task["id"], {"status": "done", "title": "Renamed"})
    assert renamed["completed_at"] == done["completed_at"]
    assert renamed["version"] == 3

    reopened = await patch(api, user, task["id"], {"status": "in_progress"})
    assert reopened["completed_at"] is None
    assert (await get_task(api, user, task["id"]))["completed_at"] is None

    redone = await patch(api, user, task["id"], {"status": "done"})
    assert instant(redone["completed_at"]) > instant(done["completed_at"])
    assert (await get_task(api, user, task["id"]))["completed_at"] == redone["completed_at"]


async def test_version_increments_by_one_per_change_and_etag_follows(api: Api) -> None:
    user = await api.user()
    task = await api.create_task(user)
    previous = task
    changes: list[dict[str, Any]] = [
        {"title": "Second"},
        {"description": "Some words"},
        {"priority": "urgent"},
        {"tags": ["a"]},
        {"due_at": "2031-01-01T00:00:00Z"},
        {"status": "done"},
    ]
    for expected_version, change in enumerate(changes, start=2):
        current = await patch(api, user, task["id"], change)
        assert current["version"] == expected_version
        assert instant(current["updated_at"]) > instant(previous["updated_at"])
        assert current["created_at"] == task["created_at"]
        got = await api.client.get(f"{TASKS}/{task['id']}", headers=user.headers)
        assert got.headers["etag"] == f'"{expected_version}"'
        previous = current


# --- delete ------------------------------------------------------------------------------------


async def test_delete_then_get_and_delete_again_are_404(api: Api) -> None:
    user = await api.user()
    task = await api.create_task(user)
    keep = await api.create_task(user, title="Keep")
    response = await api.client.delete(f"{TASKS}/{task['id']}", headers=user.headers)
    assert response.status_code == 204, response.text
    assert response.content == b""
    assert_problem(await api.client.get(f"{TASKS}/{task['id']}", headers=user.headers), 404)
    assert_problem(await api.client.delete(f"{TASKS}/{task['id']}", headers=user.headers), 404)
    assert_problem(
        await api.client.patch(f"{TASKS}/{task['id']}", json={"title": "x"}, headers=user.headers),
        404,
    )
    listed = await api.client.get(TASKS, headers=user.headers)
    assert [t["id"] for t in listed.json()["items"]] == [keep["id"]]


# --- object-level authorization ----------------------------------------------------------------


async def test_another_users_task_is_invisible_everywhere(api: Api) -> None:
    owner = await api.user()
    other = await api.user()
    word = f"zq{uuid.uuid4().hex[:8]}"
    task = await api.create_task(
        owner,
        title=f"Secret {word}",
        tags=[word],
        priority="urgent",
        due_at="2000-01-01T00:00:00+00:00",
    )
    own = await api.create_task(other, title="Mine")
    url = f"{TASKS}/{task['id']}"
    unknown = f"{TASKS}/{uuid.uuid4()}"

    foreign_get = assert_problem(await api.client.get(url, headers=other.headers), 404)
    missing_get = assert_problem(await api.client.get(unknown, headers=other.headers), 404)
    assert foreign_get == missing_get  # indistinguishable from a task that does not exist
    assert_problem(
        await api.client.patch(url, json={"title": "Hijacked"}, headers=other.headers), 404
    )
    assert_problem(
        await api.client.patch(
            url, json={"title": "Hijacked"}, headers={**other.headers, "If-Match": '"1"'}
        ),
        404,
    )
    assert_problem(await api.client.delete(url, headers=other.headers), 404)
    assert_problem(await api.client.delete(url, headers={**other.headers, "If-Match": "*"}), 404)

    for params in ({}, {"q": word}, {"tag": word}, {"priority": "urgent"}, {"overdue": "true"}):
        listed = await api.client.get(TASKS, params=params, headers=other.headers)
        assert listed.status_code == 200, listed.text
        assert task["id"] not in [t["id"] for t in listed.json()["items"]], params
    everything = await api.client.get(TASKS, headers=other.headers)
    assert [t["id"] for t in everything.json()["items"]] == [own["id"]]

    stats = (await api.client.get(f"{TASKS}/stats", headers=other.headers)).json()
    assert stats["total"] == 1
    assert stats["by_priority"]["urgent"] == 0
    assert stats["overdue"] == 0

    for body in (
        {"action": "set_status", "ids": [task["id"]], "status": "done"},
        {"action": "delete", "ids": [task["id"]]},
        {"action": "delete", "ids": [own["id"], task["id"]]},
    ):
        response = await api.client.post(f"{TASKS}/bulk", json=body, headers=other.headers)
        assert_problem(response, 404, "not-found")

    # Nothing happened to either task.
    assert await get_task(api, owner, task["id"]) == task
    assert await get_task(api, other, own["id"]) == own
    owner_list = await api.client.get(TASKS, params={"q": word}, headers=owner.headers)
    assert [t["id"] for t in owner_list.json()["items"]] == [task["id"]]


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
@pytest.mark.parametrize("bad_id", ["not-a-uuid", "123", f"{uuid.uuid4().hex}00"])
async def test_malformed_id_in_path_is_422(api: Api, method: str, bad_id: str) -> None:
    user = await api.user()
    kwargs: dict[str, Any] = {"json": {"title": "x"}} if method == "PATCH" else {}
    response = await api.client.request(method, f"{TASKS}/{bad_id}", headers=user.headers, **kwargs)
    assert error_fields(assert_problem(response, 422, "validation-error")) == ["task_id"]


async def test_tasks_need_authentication(api: Api) -> None:
    user = await api.user()
    task = await api.create_task(user)
    for method, url in (
        ("GET", TASKS),
        ("POST", TASKS),
        ("GET", f"{TASKS}/{task['id']}"),
        ("PATCH", f"{TASKS}/{task['id']}"),
        ("DELETE", f"{TASKS}/{task['id']}"),
        ("GET", f"{TASKS}/stats"),
        ("POST", f"{TASKS}/bulk"),
    ):
        kwargs: dict[str, Any] = {"json": {"title": "x"}} if method in ("POST", "PATCH") else {}
        response = await api.client.request(method, url, **kwargs)
        assert_problem(response, 401)
    assert await get_task(api, user, task["id"]) == task
