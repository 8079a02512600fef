"""tasks.lane answers the two hottest reads without FastAPI's machinery: every answer must be
the one FastAPI alone gives, byte for byte, and the lane must really be the one answering."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tasklane.app import create_app
from tasklane.auth.deps import current_principal
from tasklane.settings import Settings
from tasklane.tasks.lane import TaskReadLane
from tests.helpers import Api, User

TASKS = "/api/v1/tasks"


@pytest.fixture
async def fastapi_only(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The same app on the same database, without the lane: every request goes through
    FastAPI's routes and exception handlers."""
    app = create_app(settings)
    app.user_middleware = [m for m in app.user_middleware if m.cls is not TaskReadLane]
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


def _answer(response: httpx.Response) -> tuple[Any, ...]:
    return (
        response.status_code,
        response.headers.get("content-type"),
        response.headers.get("etag"),
        response.headers.get("www-authenticate"),
        response.headers.get("location"),
        response.content,
    )


async def _requests(api: Api) -> tuple[User, list[tuple[str, dict[str, str]]]]:
    owner, other = await api.user(), await api.user()
    first = await api.create_task(owner, title="Write the report", tags=["work"], priority="high")
    await api.create_task(owner, title="Buy milk", status="done", due_at="2020-01-01T09:00:00Z")
    await api.create_task(owner, title="Review slides", tags=["work", "q4"], status="in_progress")
    await api.create_task(owner, title="report back", due_at="2030-06-01T12:00:00+02:00")
    theirs = await api.create_task(other, title="Not yours")
    page = await api.client.get(TASKS, params={"limit": 2, "sort": "title"}, headers=owner.headers)
    cursor = page.json()["next_cursor"]
    assert cursor
    mine = owner.headers
    paths = [
        f"{TASKS}/{first['id']}",
        f"{TASKS}/{first['id'].upper()}",
        f"{TASKS}/{first['id']}?ignored=1",
        f"{TASKS}/{theirs['id']}",  # someone else's: 404
        f"{TASKS}/{uuid.uuid4()}",
        f"{TASKS}/not-a-task-id",  # 422 from FastAPI
        f"{TASKS}/{first['id'].replace('-', '')}",  # not the lane's form: FastAPI's
        f"{TASKS}/stats",
        TASKS,
        f"{TASKS}?status=todo&status=done",
        f"{TASKS}?priority=high&tag=work",
        f"{TASKS}?tag=WORK&tag=q4",
        f"{TASKS}?q=report",
        f"{TASKS}?q=",
        f"{TASKS}?q=%20%21",  # no word: the service's 422
        f"{TASKS}?sort=title&limit=2",
        f"{TASKS}?sort=title&limit=2&cursor={cursor}",
        f"{TASKS}?sort=-title&limit=2&cursor={cursor}",  # a cursor of another sort
        f"{TASKS}?cursor=garbage",
        f"{TASKS}?limit=5&limit=1",
        f"{TASKS}?limit=0",
        f"{TASKS}?status=bogus",
        f"{TASKS}?due_before=2031-01-01T00:00:00Z&due_after=2000-01-01T00:00:00Z",
        f"{TASKS}?due_before=tomorrow",
        f"{TASKS}?overdue=true",
        f"{TASKS}?overdue=maybe",
        f"{TASKS}?sort=-due_at&unknown=1",
    ]
    requests = [(path, mine) for path in paths]
    requests += [
        (TASKS, {}),
        (f"{TASKS}/{first['id']}", {}),
        (f"{TASKS}/{first['id']}", {"Authorization": "Bearer not.a.token"}),
        (f"{TASKS}/{first['id']}", {"Authorization": "Basic dXNlcjpwYXNz"}),
        (TASKS, {"Authorization": f"bearer  {owner.access_token}"}),
        (f"{TASKS}/{first['id']}", other.headers),
    ]
    return owner, requests


async def test_every_answer_is_fastapis(api: Api, fastapi_only: httpx.AsyncClient) -> None:
    _, requests = await _requests(api)
    statuses = set()
    for path, headers in requests:
        through_lane = await api.client.get(path, headers=headers)
        through_fastapi = await fastapi_only.get(path, headers=headers)
        assert _answer(through_lane) == _answer(through_fastapi), path
        statuses.add(through_lane.status_code)
    assert statuses == {200, 401, 404, 422}  # the comparison covered answers of every kind


async def test_the_lane_answers_without_fastapis_dependencies(api: Api, app: FastAPI) -> None:
    owner, _ = await _requests(api)
    task = await api.create_task(owner, title="Served by the lane")

    async def unavailable() -> None:
        raise AssertionError("FastAPI's dependency was used")

    app.dependency_overrides[current_principal] = unavailable
    try:
        read = await api.client.get(f"{TASKS}/{task['id']}", headers=owner.headers)
        listed = await api.client.get(TASKS, headers=owner.headers)
        other_route = await api.client.get(f"{TASKS}/stats", headers=owner.headers)
    finally:
        app.dependency_overrides.pop(current_principal)
    assert read.status_code == 200
    assert read.json() == task
    assert listed.status_code == 200
    assert task["id"] in [t["id"] for t in listed.json()["items"]]
    assert other_route.status_code == 500  # the routes the lane leaves alone use FastAPI's
