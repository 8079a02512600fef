"""Live updates: ``GET /api/v1/events`` streams a user's changes and notifications as
Server-Sent Events, across instances (each follows the shared outbox), with catch-up from
``Last-Event-ID``, and ends when the session does. Real ``tasklane serve`` instances on the
suite's database: a stream needs a real server (the in-process test client buffers whole
answers)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import update

from tasklane.core.context import AppContext
from tasklane.core.types import utcnow
from tasklane.users.models import users
from tests.helpers import live_account, next_event, sse_events

EVENTS = "/api/v1/events"
PROJECTS = "/api/v1/projects"
TASKS = "/api/v1/tasks"
# Without Redis an instance learns of a revocation made on another within the session check
# interval; short here, as are the heartbeats (each checks the session).
FAST = {
    "TASKLANE_STREAM_HEARTBEAT_SECONDS": "1",
    "TASKLANE_STREAM_POLL_SECONDS": "0.2",
    "TASKLANE_SESSION_CHECK_TTL_SECONDS": "1",
}


@pytest.fixture
def two_instances(make_instance: Any) -> tuple[str, str]:
    """Two instances of one deployment: the same database and the same signing key."""
    key = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    env = {**FAST, "TASKLANE_JWT_PRIVATE_KEY": key.decode()}
    first, second = make_instance(workers=1, **env), make_instance(workers=1, **env)
    return first.instances[0].url, second.instances[0].url


async def test_a_change_through_one_instance_reaches_a_stream_on_another(
    two_instances: tuple[str, str],
) -> None:
    url_a, url_b = two_instances
    async with (
        httpx.AsyncClient(base_url=url_a, timeout=30) as a,
        httpx.AsyncClient(base_url=url_b, timeout=30) as b,
    ):
        headers, _ = await live_account(a)
        async with b.stream("GET", EVENTS, headers=headers) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            events = sse_events(response)
            created = await a.post("/api/v1/tasks", json={"title": "Seen live"}, headers=headers)
            assert created.status_code == 201
            task = created.json()
            event = await next_event(events, "task.created")
            assert event["subject_id"] == task["id"]
            assert event["payload"]["task"]["title"] == "Seen live"
            done = await a.patch(
                f"/api/v1/tasks/{task['id']}", json={"status": "done"}, headers=headers
            )
            assert done.status_code == 200
            completed = await next_event(events, "task.completed")
            assert completed["payload"]["task"]["status"] == "done"
            last_id = completed["id"]
        # Reconnecting with Last-Event-ID catches up on what happened in between.
        renamed = await a.patch(
            f"/api/v1/tasks/{task['id']}", json={"title": "Renamed offline"}, headers=headers
        )
        assert renamed.status_code == 200
        async with b.stream(
            "GET", EVENTS, headers={**headers, "Last-Event-ID": last_id}
        ) as response:
            caught_up = await next_event(sse_events(response), "task.updated")
            assert caught_up["payload"]["task"]["title"] == "Renamed offline"


async def test_someone_elses_changes_never_reach_my_stream_and_logout_ends_it(
    two_instances: tuple[str, str],
) -> None:
    url_a, url_b = two_instances
    async with (
        httpx.AsyncClient(base_url=url_a, timeout=30) as a,
        httpx.AsyncClient(base_url=url_b, timeout=30) as b,
    ):
        mine, cookie = await live_account(a)
        theirs, _ = await live_account(a)
        assert (await b.get(EVENTS)).status_code == 401
        async with b.stream("GET", EVENTS, headers=mine) as response:
            events = sse_events(response)
            await a.post("/api/v1/tasks", json={"title": "Not yours"}, headers=theirs)
            await a.post("/api/v1/tasks", json={"title": "Yours"}, headers=mine)
            event = await next_event(events, "task.created")
            assert event["payload"]["task"]["title"] == "Yours"
            out = await a.post(
                "/api/v1/auth/logout", headers={"X-Requested-With": "fetch", "Cookie": cookie}
            )
            assert out.status_code == 204

            async def drained() -> list[dict[str, Any]]:
                return [event async for event in events]

            rest = await asyncio.wait_for(drained(), 20)  # the stream ends by itself
            assert all(e["payload"].get("task", {}).get("title") != "Not yours" for e in rest)


async def test_a_last_event_id_of_someone_elses_event_catches_up_on_nothing_of_theirs(
    two_instances: tuple[str, str],
) -> None:
    """Catch-up from ``Last-Event-ID`` reads the caller's own events only: an id taken from
    another user's stream (or the smallest id there is) replays none of that user's changes."""
    url_a, url_b = two_instances
    async with (
        httpx.AsyncClient(base_url=url_a, timeout=30) as a,
        httpx.AsyncClient(base_url=url_b, timeout=30) as b,
    ):
        theirs, _ = await live_account(a)
        mine, _ = await live_account(a)
        async with a.stream("GET", EVENTS, headers=theirs) as response:
            events = sse_events(response)
            await a.post("/api/v1/tasks", json={"title": "Theirs, first"}, headers=theirs)
            their_id = (await next_event(events, "task.created"))["id"]
        await a.post("/api/v1/tasks", json={"title": "Theirs, after"}, headers=theirs)
        for last_id in (their_id, "00000000-0000-0000-0000-000000000000"):
            async with b.stream(
                "GET", EVENTS, headers={**mine, "Last-Event-ID": last_id}
            ) as response:
                assert response.status_code == 200
                events = sse_events(response)
                own = await a.post("/api/v1/tasks", json={"title": "Mine"}, headers=mine)
                assert own.status_code == 201
                seen = []
                async for event in events:
                    seen.append(event)
                    if event["event"] == "task.created":
                        break
                titles = [e["payload"].get("task", {}).get("title") for e in seen]
                assert titles[-1] == "Mine", titles
                assert not {"Theirs, first", "Theirs, after"} & set(titles), titles


async def _until(
    events: AsyncIterator[dict[str, Any]], kind: str, title: str
) -> list[dict[str, Any]]:
    """The events of a stream up to the ``kind`` event of the task titled ``title``."""

    async def collect() -> list[dict[str, Any]]:
        seen = []
        async for event in events:
            seen.append(event)
            if event["event"] == kind and event["payload"]["task"]["title"] == title:
                return seen
        raise AssertionError(f"the stream ended before {kind} of {title!r}")

    return await asyncio.wait_for(collect(), 20)


def _titles(seen: list[dict[str, Any]]) -> list[str]:
    return [e["payload"]["task"]["title"] for e in seen if "task" in e["payload"]]


async def test_a_shared_projects_changes_reach_its_members_and_no_one_else(
    two_instances: tuple[str, str], ctx: AppContext
) -> None:
    """A change to a shared project's task reaches every member's stream, live and in the
    catch-up from Last-Event-ID; a non-member sees none of it, nor does a removed member from
    the removal on."""
    url_a, url_b = two_instances
    async with (
        httpx.AsyncClient(base_url=url_a, timeout=30) as a,
        httpx.AsyncClient(base_url=url_b, timeout=30) as b,
    ):
        owner, member, leaver, outsider = [(await live_account(a))[0] for _ in range(4)]
        ids = {}
        for who, headers in (("member", member), ("leaver", leaver)):
            me = (await a.get("/api/v1/users/me", headers=headers)).json()
            ids[who] = me["id"]
            async with ctx.db.transaction() as conn:  # the address's link, followed
                await conn.execute(
                    update(users)
                    .where(users.c.id == uuid.UUID(me["id"]))
                    .values(email_verified_at=utcnow())
                )
        project = (await a.post(PROJECTS, json={"name": "Shared"}, headers=owner)).json()
        for headers in (member, leaver):
            email = (await a.get("/api/v1/users/me", headers=headers)).json()["email"]
            added = await a.post(
                f"{PROJECTS}/{project['id']}/members",
                json={"email": email, "role": "editor"},
                headers=owner,
            )
            assert added.status_code == 201, added.text

        async with (
            b.stream("GET", EVENTS, headers=member) as member_stream,
            b.stream("GET", EVENTS, headers=leaver) as leaver_stream,
            b.stream("GET", EVENTS, headers=outsider) as outsider_stream,
        ):
            to_member, to_leaver, to_outsider = (
                sse_events(member_stream),
                sse_events(leaver_stream),
                sse_events(outsider_stream),
            )
            created = await a.post(
                TASKS, json={"title": "Shared task", "project_id": project["id"]}, headers=owner
            )
            assert created.status_code == 201, created.text
            task_url = f"{TASKS}/{created.json()['id']}"
            first = (await _until(to_member, "task.created", "Shared task"))[-1]
            await _until(to_leaver, "task.created", "Shared task")

            removed = await a.delete(
                f"{PROJECTS}/{project['id']}/members/{ids['leaver']}", headers=owner
            )
            assert removed.status_code == 204, removed.text
            renamed = await a.patch(task_url, json={"title": "After removal"}, headers=owner)
            assert renamed.status_code == 200, renamed.text
            await _until(to_member, "task.updated", "After removal")
            # Each then makes a task of their own: it is the next task event they see.
            for headers, events in ((leaver, to_leaver), (outsider, to_outsider)):
                own = await a.post(TASKS, json={"title": "Own"}, headers=headers)
                assert own.status_code == 201
                assert _titles(await _until(events, "task.created", "Own")) == ["Own"]

        offline = await a.patch(task_url, json={"title": "Renamed offline"}, headers=owner)
        assert offline.status_code == 200
        assert (await a.delete(task_url, headers=owner)).status_code == 204
        async with b.stream(
            "GET", EVENTS, headers={**member, "Last-Event-ID": first["id"]}
        ) as response:
            caught_up = sse_events(response)
            assert _titles(await _until(caught_up, "task.updated", "Renamed offline")) == [
                "After removal",
                "Renamed offline",
            ]
            deleted = await next_event(caught_up, "task.deleted")
            assert deleted["subject_id"] == created.json()["id"]
        for headers in (leaver, outsider):
            async with b.stream(
                "GET", EVENTS, headers={**headers, "Last-Event-ID": first["id"]}
            ) as response:
                events = sse_events(response)
                own = await a.post(TASKS, json={"title": "Own again"}, headers=headers)
                assert own.status_code == 201
                seen = await _until(events, "task.created", "Own again")
                assert _titles(seen) == ["Own", "Own again"]
                assert "task.deleted" not in [e["event"] for e in seen]
