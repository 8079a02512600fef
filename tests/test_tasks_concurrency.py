"""Optimistic concurrency (ETag / If-Match) and idempotent creation (Idempotency-Key)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from tasklane.core.context import AppContext
from tasklane.idempotency.models import idempotency_keys
from tasklane.idempotency.schemas import KeyId
from tasklane.idempotency.service import claim, request_fingerprint
from tasklane.tasks.schemas import TaskCreate
from tests.helpers import Api, User, assert_problem, assert_task

TASKS = "/api/v1/tasks"
REPLAYED = "idempotent-replayed"


def error_fields(body: dict[str, Any]) -> list[str]:
    return [error["field"] for error in body["errors"]]


async def get_task(api: Api, user: User, task_id: str) -> dict[str, Any]:
    response = await api.client.get(f"{TASKS}/{task_id}", headers=user.headers)
    assert response.status_code == 200, response.text
    return assert_task(response.json())


async def all_tasks(api: Api, user: User) -> list[dict[str, Any]]:
    response = await api.client.get(TASKS, params={"limit": 100}, headers=user.headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def _task_at_version_2(api: Api, user: User) -> dict[str, Any]:
    task = await api.create_task(user, title="First")
    response = await api.client.patch(
        f"{TASKS}/{task['id']}", json={"title": "Second"}, headers=user.headers
    )
    assert response.status_code == 200, response.text
    assert response.headers["etag"] == '"2"'
    return assert_task(response.json())


# --- If-Match ----------------------------------------------------------------------------------


@pytest.mark.parametrize("if_match", ['"2"', 'W/"2"', "*", '"7", "2"', ' "1" ,W/"2"'])
async def test_patch_with_a_matching_if_match_succeeds(api: Api, if_match: str) -> None:
    user = await api.user()
    task = await _task_at_version_2(api, user)
    response = await api.client.patch(
        f"{TASKS}/{task['id']}",
        json={"priority": "high"},
        headers={**user.headers, "If-Match": if_match},
    )
    assert response.status_code == 200, response.text
    assert response.headers["etag"] == '"3"'
    assert response.json()["priority"] == "high"
    assert response.json()["version"] == 3


@pytest.mark.parametrize("if_match", ['"1"', 'W/"1"', '"3"', '"1", "3"', "2", "garbage"])
async def test_patch_with_a_stale_if_match_is_412_and_changes_nothing(
    api: Api, if_match: str
) -> None:
    user = await api.user()
    task = await _task_at_version_2(api, user)
    response = await api.client.patch(
        f"{TASKS}/{task['id']}",
        json={"title": "Lost update", "status": "done"},
        headers={**user.headers, "If-Match": if_match},
    )
    problem = assert_problem(response, 412, "precondition-failed")
    assert response.headers["etag"] == '"2"'
    assert problem["current"] == task
    assert await get_task(api, user, task["id"]) == task


async def test_retrying_with_the_etag_from_the_412_succeeds(api: Api) -> None:
    user = await api.user()
    task = await api.create_task(user, title="Shared")
    url = f"{TASKS}/{task['id']}"
    first = await api.client.patch(
        url, json={"priority": "low"}, headers={**user.headers, "If-Match": '"1"'}
    )
    assert first.status_code == 200, first.text
    # A second writer still holding version 1 is told, and shown the current task.
    lost = await api.client.patch(
        url, json={"priority": "urgent"}, headers={**user.headers, "If-Match": '"1"'}
    )
    problem = assert_problem(lost, 412)
    assert problem["current"]["priority"] == "low"
    retry = await api.client.patch(
        url, json={"priority": "urgent"}, headers={**user.headers, "If-Match": lost.headers["etag"]}
    )
    assert retry.status_code == 200, retry.text
    assert retry.json()["priority"] == "urgent"
    assert retry.json()["version"] == 3


async def test_concurrent_patches_with_the_same_etag_one_wins(api: Api) -> None:
    user = await api.user()
    task = await api.create_task(user, title="Contended")
    url = f"{TASKS}/{task['id']}"
    titles = [f"Writer {i}" for i in range(4)]
    responses = await asyncio.gather(
        *(
            api.client.patch(url, json={"title": t}, headers={**user.headers, "If-Match": '"1"'})
            for t in titles
        )
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 412, 412, 412], [r.text for r in responses]
    winner = next(r for r in responses if r.status_code == 200).json()
    assert winner["version"] == 2
    for lost in (r for r in responses if r.status_code == 412):
        assert lost.headers["etag"] == '"2"'
        assert lost.json()["current"] == winner
    assert await get_task(api, user, task["id"]) == winner


async def test_delete_with_a_stale_if_match_is_412_and_keeps_the_task(api: Api) -> None:
    user = await api.user()
    task = await _task_at_version_2(api, user)
    url = f"{TASKS}/{task['id']}"
    response = await api.client.delete(url, headers={**user.headers, "If-Match": '"1"'})
    problem = assert_problem(response, 412, "precondition-failed")
    assert response.headers["etag"] == '"2"'
    assert problem["current"] == task
    assert await get_task(api, user, task["id"]) == task


@pytest.mark.parametrize("if_match", ['"2"', 'W/"2"', "*"])
async def test_delete_with_a_matching_if_match_succeeds(api: Api, if_match: str) -> None:
    user = await api.user()
    task = await _task_at_version_2(api, user)
    url = f"{TASKS}/{task['id']}"
    response = await api.client.delete(url, headers={**user.headers, "If-Match": if_match})
    assert response.status_code == 204, response.text
    assert_problem(await api.client.get(url, headers=user.headers), 404)


async def test_if_match_is_optional(api: Api) -> None:
    user = await api.user()
    task = await _task_at_version_2(api, user)
    url = f"{TASKS}/{task['id']}"
    patched = await api.client.patch(url, json={"title": "Third"}, headers=user.headers)
    assert patched.status_code == 200, patched.text
    assert patched.json()["version"] == 3
    assert (await api.client.delete(url, headers=user.headers)).status_code == 204


async def test_if_match_star_on_a_missing_task_is_404(api: Api) -> None:
    user = await api.user()
    url = f"{TASKS}/{uuid.uuid4()}"
    headers = {**user.headers, "If-Match": "*"}
    assert_problem(await api.client.patch(url, json={"title": "x"}, headers=headers), 404)
    assert_problem(await api.client.delete(url, headers=headers), 404)


# --- Idempotency-Key ---------------------------------------------------------------------------


async def _post(
    api: Api, user: User, key: str | None, body: dict[str, Any] | None = None
) -> httpx.Response:
    headers = dict(user.headers)
    if key is not None:
        headers["Idempotency-Key"] = key
    return await api.client.post(TASKS, json=body or {"title": "Pay rent"}, headers=headers)


async def _set_key_row(ctx: AppContext, user: User, key: str, **values: Any) -> None:
    async with ctx.db.transaction() as conn:
        result = await conn.execute(
            update(idempotency_keys)
            .where(
                idempotency_keys.c.user_id == uuid.UUID(user.id),
                idempotency_keys.c.key == key,
            )
            .values(**values)
        )
        assert result.rowcount == 1


async def test_same_key_and_body_replays_the_first_response(api: Api) -> None:
    user = await api.user()
    key = str(uuid.uuid4())
    body = {"title": "Pay rent", "priority": "high", "tags": ["Home"]}
    first = await _post(api, user, key, body)
    assert first.status_code == 201, first.text
    assert REPLAYED not in first.headers
    for _ in range(2):
        again = await _post(api, user, key, body)
        assert again.status_code == 201, again.text
        assert again.headers[REPLAYED] == "true"
        assert again.json() == first.json()
        assert again.content == first.content
        assert again.headers["location"] == first.headers["location"]
        assert again.headers["etag"] == first.headers["etag"]
        assert again.headers["content-type"] == first.headers["content-type"]
    assert [t["id"] for t in await all_tasks(api, user)] == [first.json()["id"]]


async def test_replay_ignores_key_order_and_whitespace_of_the_body(api: Api) -> None:
    user = await api.user()
    key = str(uuid.uuid4())
    first = await _post(api, user, key, {"title": "Pay rent", "priority": "low"})
    assert first.status_code == 201, first.text
    again = await api.client.post(
        TASKS,
        content=b'{ "priority" : "low",\n  "title": "Pay rent" }',
        headers={**user.headers, "Idempotency-Key": key, "Content-Type": "application/json"},
    )
    assert again.status_code == 201, again.text
    assert again.headers[REPLAYED] == "true"
    assert again.json() == first.json()
    assert len(await all_tasks(api, user)) == 1


async def test_replay_is_the_original_even_after_the_task_changed(api: Api) -> None:
    user = await api.user()
    key = str(uuid.uuid4())
    first = await _post(api, user, key)
    task_id = first.json()["id"]
    patched = await api.client.patch(
        f"{TASKS}/{task_id}", json={"title": "Changed"}, headers=user.headers
    )
    assert patched.status_code == 200
    again = await _post(api, user, key)
    assert again.headers[REPLAYED] == "true"
    assert again.json() == first.json()
    assert len(await all_tasks(api, user)) == 1


async def test_concurrent_requests_with_one_key_create_one_task(api: Api) -> None:
    user = await api.user()
    key = str(uuid.uuid4())
    responses = await asyncio.gather(*(_post(api, user, key) for _ in range(5)))
    created = [r for r in responses if r.status_code == 201]
    assert created, [r.text for r in responses]
    for response in responses:
        if response.status_code == 409:
            assert_problem(response, 409, "conflict")
        else:
            assert response.status_code == 201, response.text
    assert sum(REPLAYED not in r.headers for r in created) == 1
    assert len({r.content for r in created}) == 1
    tasks = await all_tasks(api, user)
    assert [t["id"] for t in tasks] == [created[0].json()["id"]]
    # Once settled, every retry replays.
    again = await _post(api, user, key)
    assert again.headers[REPLAYED] == "true"
    assert again.content == created[0].content


async def test_same_key_with_another_body_is_422(api: Api) -> None:
    user = await api.user()
    key = str(uuid.uuid4())
    first = await _post(api, user, key, {"title": "Pay rent"})
    assert first.status_code == 201
    other = await _post(api, user, key, {"title": "Pay rent", "priority": "urgent"})
    problem = assert_problem(other, 422, "validation-error")
    assert error_fields(problem) == ["Idempotency-Key"]
    assert REPLAYED not in other.headers
    tasks = await all_tasks(api, user)
    assert [t["id"] for t in tasks] == [first.json()["id"]]
    assert tasks[0]["priority"] == "medium"


async def test_different_keys_create_different_tasks(api: Api) -> None:
    user = await api.user()
    first = await _post(api, user, "key-one")
    second = await _post(api, user, "key-two")
    assert first.status_code == second.status_code == 201
    assert REPLAYED not in second.headers
    assert first.json()["id"] != second.json()["id"]
    assert len(await all_tasks(api, user)) == 2


async def test_keys_are_scoped_per_user(api: Api) -> None:
    alice = await api.user()
    bob = await api.user()
    key = "shared-key-123"
    mine = await _post(api, alice, key)
    theirs = await _post(api, bob, key)
    assert mine.status_code == theirs.status_code == 201
    assert REPLAYED not in theirs.headers
    assert theirs.json()["id"] != mine.json()["id"]
    assert [t["id"] for t in await all_tasks(api, alice)] == [mine.json()["id"]]
    assert [t["id"] for t in await all_tasks(api, bob)] == [theirs.json()["id"]]
    # Bob's request did not overwrite Alice's record: her retry still replays her task.
    again = await _post(api, alice, key)
    assert again.headers[REPLAYED] == "true"
    assert again.json() == mine.json()


class _Held(Exception):
    """Ends a held attempt as a crash would: its transaction rolls back."""


async def _hold_claim(ctx: AppContext, user: User, key: str, release: asyncio.Event) -> None:
    """A first attempt that claimed ``key`` and is still running, until ``release`` is set;
    then it dies (its transaction rolls back, as when its process is killed)."""
    ident = KeyId(uuid.UUID(user.id), "POST /api/v1/tasks", key)
    with contextlib.suppress(_Held):
        async with ctx.db.unit_of_work() as uow:
            body = TaskCreate(title="Pay rent").model_dump(mode="json")  # what _post sends
            fingerprint = request_fingerprint(body)
            assert await claim(uow.conn, ctx, ident, fingerprint) is None
            await release.wait()
            raise _Held


async def test_a_key_held_by_a_running_attempt_is_409_and_free_once_it_dies(
    api: Api, ctx: AppContext, dialect: str
) -> None:
    """The claim is the running attempt's own (uncommitted) row: a retry waits
    ``idempotency_wait_seconds`` for it, then gets a 409 with Retry-After; once the attempt
    dies, nothing is left to wait for and the retry runs at once."""
    if dialect == "sqlite":
        pytest.skip("SQLite has one writer at a time: a retry waits for the whole first attempt")
    user = await api.user()
    key = str(uuid.uuid4())
    release = asyncio.Event()
    holder = asyncio.create_task(_hold_claim(ctx, user, key, release))
    await asyncio.sleep(0.2)  # the claim is in place
    try:
        response = await _post(api, user, key)
        assert_problem(response, 409, "conflict")
        assert response.headers["retry-after"]
        assert REPLAYED not in response.headers
    finally:
        release.set()
        await holder
    retry = await _post(api, user, key)
    assert retry.status_code == 201, retry.text
    assert REPLAYED not in retry.headers
    assert [t["id"] for t in await all_tasks(api, user)] == [retry.json()["id"]]


async def test_an_abandoned_in_progress_key_is_taken_over(api: Api, ctx: AppContext) -> None:
    """A claim committed without its answer (as an earlier version could leave one) is
    taken over by the next retry."""
    user = await api.user()
    key = str(uuid.uuid4())
    first = await _post(api, user, key)
    assert first.status_code == 201
    await _set_key_row(
        ctx, user, key, status_code=None, headers=None, body=None, locked_at=datetime.now(UTC)
    )
    retry = await _post(api, user, key)
    assert retry.status_code == 201, retry.text
    assert REPLAYED not in retry.headers
    assert retry.json()["id"] != first.json()["id"]
    # ...and its response is the one replayed from now on.
    replay = await _post(api, user, key)
    assert replay.headers[REPLAYED] == "true"
    assert replay.json() == retry.json()
    assert len(await all_tasks(api, user)) == 2


async def test_an_expired_key_runs_the_request_again(api: Api, ctx: AppContext) -> None:
    user = await api.user()
    key = str(uuid.uuid4())
    first = await _post(api, user, key)
    assert first.status_code == 201
    await _set_key_row(ctx, user, key, expires_at=datetime.now(UTC) - timedelta(seconds=1))
    second = await _post(api, user, key)
    assert second.status_code == 201, second.text
    assert REPLAYED not in second.headers
    assert second.json()["id"] != first.json()["id"]
    assert len(await all_tasks(api, user)) == 2
    # The fresh record lives for the configured time again and replays the second task.
    async with ctx.db.reader() as conn:
        row = (
            await conn.execute(
                select(idempotency_keys).where(
                    idempotency_keys.c.user_id == uuid.UUID(user.id),
                    idempotency_keys.c.key == key,
                )
            )
        ).one()
    assert row.expires_at > datetime.now(UTC)
    third = await _post(api, user, key)
    assert third.headers[REPLAYED] == "true"
    assert third.json() == second.json()
    # An expired key may also come back with another body.
    await _set_key_row(ctx, user, key, expires_at=datetime.now(UTC) - timedelta(seconds=1))
    fourth = await _post(api, user, key, {"title": "Something else"})
    assert fourth.status_code == 201, fourth.text
    assert fourth.json()["title"] == "Something else"
    assert len(await all_tasks(api, user)) == 3


@pytest.mark.parametrize("key", ["k" * 256, "k" * 300, ""])
async def test_an_invalid_key_is_422_and_creates_nothing(api: Api, key: str) -> None:
    user = await api.user()
    response = await _post(api, user, key)
    assert_problem(response, 422, "validation-error")
    assert await all_tasks(api, user) == []


async def test_longest_key_is_accepted(api: Api) -> None:
    user = await api.user()
    key = "k" * 255
    first = await _post(api, user, key)
    assert first.status_code == 201, first.text
    again = await _post(api, user, key)
    assert again.headers[REPLAYED] == "true"
    assert again.json() == first.json()


async def test_an_invalid_body_does_not_burn_the_key(api: Api) -> None:
    user = await api.user()
    key = str(uuid.uuid4())
    bad = await _post(api, user, key, {"title": ""})
    assert_problem(bad, 422)
    good = await _post(api, user, key, {"title": "Now valid"})
    assert good.status_code == 201, good.text
    assert REPLAYED not in good.headers
    assert len(await all_tasks(api, user)) == 1
