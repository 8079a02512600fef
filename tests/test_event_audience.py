"""Events reach the right people: a project's own events and its membership changes reach every
member's stream (not only the actor's), a removed member and the members of a deleted project
see the project go, a task moved to another project is announced to the members of the one it
left, and the catch-up from Last-Event-ID follows the membership as it is now (a removed member
gets nothing more of the project; a new member gets its events from the joining on).

The feed (``notifications.stream.Feed``, what each process's open streams read) and the
catch-up (``stream.catch_up``, what ``GET /api/v1/events`` replays) run here in-process;
``tests/test_live_updates.py`` runs the same through real servers."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from sqlalchemy import update

from tasklane.core.context import AppContext
from tasklane.core.types import utcnow
from tasklane.events.schemas import Event
from tasklane.notifications import stream
from tasklane.users.models import users
from tests.helpers import Api, User

PROJECTS = "/api/v1/projects"
TASKS = "/api/v1/tasks"
ZERO = uuid.UUID(int=0)


async def _verified(api: Api, ctx: AppContext) -> User:
    """An account whose address is verified (it can be added to a project at once)."""
    user = await api.user()
    async with ctx.db.transaction() as conn:
        await conn.execute(
            update(users).where(users.c.id == uuid.UUID(user.id)).values(email_verified_at=utcnow())
        )
    return user


async def _ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return response.json() if status != 204 else {}


async def _add(api: Api, owner: User, project_id: str, who: User, role: str = "editor") -> None:
    await _ok(
        await api.client.post(
            f"{PROJECTS}/{project_id}/members",
            json={"email": who.email, "role": role},
            headers=owner.headers,
        ),
        201,
    )


async def _until(
    queue: asyncio.Queue[Event | None], kind: str, member: str | None = None
) -> list[Event]:
    """The events a stream's queue receives up to the first of ``kind`` (about ``member``).
    A feed started a moment ago also hands on the events of the moments before it (it reads
    back over the statement timeout): the tests look for the events they caused."""
    seen: list[Event] = []
    async with asyncio.timeout(20):
        while True:
            event = await queue.get()
            assert event is not None, "the stream was closed as overflowed"
            seen.append(event)
            if event.kind == kind and member in (None, event.payload.get("member_id")):
                return seen


async def _quiet(ctx: AppContext, queue: asyncio.Queue[Event | None]) -> list[Event]:
    """What ``queue`` received over a few polls (for a stream that should get nothing)."""
    await asyncio.sleep(5 * ctx.settings.stream_poll_seconds + 0.5)
    found = []
    while not queue.empty():
        event = queue.get_nowait()
        assert event is not None, "the stream was closed as overflowed"
        found.append(event)
    return found


async def test_project_and_membership_events_reach_every_member(api: Api, ctx: AppContext) -> None:
    owner, member, newcomer, outsider = [await _verified(api, ctx) for _ in range(4)]
    project = await _ok(
        await api.client.post(PROJECTS, json={"name": "Garden"}, headers=owner.headers), 201
    )
    url = f"{PROJECTS}/{project['id']}"
    await _add(api, owner, project["id"], member)
    feed = stream.Feed(ctx)
    queues = {
        name: feed.subscribe(uuid.UUID(who.id))
        for name, who in (("member", member), ("newcomer", newcomer), ("outsider", outsider))
    }
    try:
        await _ok(await api.client.patch(url, json={"name": "Allotment"}, headers=owner.headers))
        renamed = (await _until(queues["member"], "project.updated"))[-1]
        assert renamed.payload["project"]["name"] == "Allotment"

        await _ok(
            await api.client.patch(
                f"{url}/members/{member.id}", json={"role": "viewer"}, headers=owner.headers
            )
        )
        role = (await _until(queues["member"], "project.member_updated"))[-1]
        assert role.payload["role"] == "viewer"

        await _add(api, owner, project["id"], newcomer)
        for name in ("member", "newcomer"):  # the newcomer sees its own joining
            await _until(queues[name], "project.member_added", newcomer.id)

        await _ok(
            await api.client.delete(f"{url}/members/{newcomer.id}", headers=owner.headers), 204
        )
        for name in ("member", "newcomer"):  # the removed member sees the project go
            await _until(queues[name], "project.member_removed", newcomer.id)

        await _ok(await api.client.delete(url, headers=owner.headers), 204)
        gone = (await _until(queues["member"], "project.deleted"))[-1]
        assert gone.subject_id == uuid.UUID(project["id"])
        assert await _quiet(ctx, queues["newcomer"]) == []  # no longer a member: not its news
        assert [e for e in await _quiet(ctx, queues["outsider"]) if e.project_id] == []
    finally:
        for name, who in (("member", member), ("newcomer", newcomer), ("outsider", outsider)):
            await feed.unsubscribe(uuid.UUID(who.id), queues[name])


async def test_an_invitation_stays_with_the_owners(api: Api, ctx: AppContext) -> None:
    """Who was invited (an address) is the owners' to see: the event stays on the actor's
    stream, not the viewers'."""
    owner, viewer = await _verified(api, ctx), await _verified(api, ctx)
    project = await _ok(
        await api.client.post(PROJECTS, json={"name": "Quiet"}, headers=owner.headers), 201
    )
    await _add(api, owner, project["id"], viewer, "viewer")
    feed = stream.Feed(ctx)
    mine, theirs = feed.subscribe(uuid.UUID(owner.id)), feed.subscribe(uuid.UUID(viewer.id))
    try:
        invited = await api.client.post(
            f"{PROJECTS}/{project['id']}/members",
            json={"email": f"nobody-yet-{uuid.uuid4().hex[:8]}@example.com", "role": "editor"},
            headers=owner.headers,
        )
        await _ok(invited, 202)
        await _until(mine, "project.invited")
        assert "project.invited" not in [e.kind for e in await _quiet(ctx, theirs)]
    finally:
        await feed.unsubscribe(uuid.UUID(owner.id), mine)
        await feed.unsubscribe(uuid.UUID(viewer.id), theirs)


async def test_a_task_moved_away_is_announced_to_the_old_projects_members(
    api: Api, ctx: AppContext
) -> None:
    """The members of the project a task left see it leave (``task.moved``, without its
    content); the new project's members see it arrive (``task.updated``)."""
    owner, left_behind = await _verified(api, ctx), await _verified(api, ctx)
    shared = await _ok(
        await api.client.post(PROJECTS, json={"name": "Shared"}, headers=owner.headers), 201
    )
    private = await _ok(
        await api.client.post(PROJECTS, json={"name": "Private"}, headers=owner.headers), 201
    )
    await _add(api, owner, shared["id"], left_behind)
    task = await api.create_task(owner, title="Secret plan", project_id=shared["id"])
    async with ctx.db.primary_reader() as conn:
        before = (await stream.catch_up(conn, uuid.UUID(left_behind.id), ZERO))[-1].id
    feed = stream.Feed(ctx)
    theirs, mine = feed.subscribe(uuid.UUID(left_behind.id)), feed.subscribe(uuid.UUID(owner.id))
    try:
        await _ok(
            await api.client.patch(
                f"{TASKS}/{task['id']}",
                json={"project_id": private["id"], "title": "Secret plan, moved"},
                headers=owner.headers,
            )
        )
        seen = [e for e in await _until(theirs, "task.moved") if e.id > before]
        assert [e.kind for e in seen] == ["task.moved"]  # not the task's new state
        assert seen[0].payload == {
            "id": task["id"],
            "project_id": shared["id"],
            "to_project_id": private["id"],
        }
        assert "Secret plan, moved" not in str(seen[0].payload)
        mine_seen = [e for e in await _until(mine, "task.moved") if e.id > before]
        assert [e.kind for e in mine_seen] == ["task.updated", "task.moved"]
        assert await _quiet(ctx, theirs) == []
        # And the same after a reconnect.
        async with ctx.db.primary_reader() as conn:
            missed = await stream.catch_up(conn, uuid.UUID(left_behind.id), before)
        assert [e.kind for e in missed] == ["task.moved"]
        # Not a member of the new project: the task is a 404 to them now.
        read = await api.client.get(f"{TASKS}/{task['id']}", headers=left_behind.headers)
        assert read.status_code == 404
    finally:
        await feed.unsubscribe(uuid.UUID(left_behind.id), theirs)
        await feed.unsubscribe(uuid.UUID(owner.id), mine)


async def test_the_catch_up_follows_the_membership_as_it_is_now(api: Api, ctx: AppContext) -> None:
    owner, stayer, leaver, newcomer = [await _verified(api, ctx) for _ in range(4)]
    project = await _ok(
        await api.client.post(PROJECTS, json={"name": "Club"}, headers=owner.headers), 201
    )
    for who in (stayer, leaver):
        await _add(api, owner, project["id"], who)
    task = await api.create_task(owner, title="v1", project_id=project["id"])
    path = f"{TASKS}/{task['id']}"
    async with ctx.db.primary_reader() as conn:
        last_seen = (await stream.catch_up(conn, uuid.UUID(stayer.id), ZERO))[-1].id

    await _ok(await api.client.patch(path, json={"title": "v2"}, headers=owner.headers))
    await _ok(
        await api.client.delete(
            f"{PROJECTS}/{project['id']}/members/{leaver.id}", headers=owner.headers
        ),
        204,
    )
    await _ok(await api.client.patch(path, json={"title": "v3"}, headers=owner.headers))
    await _add(api, owner, project["id"], newcomer)
    await _ok(await api.client.patch(path, json={"title": "v4"}, headers=owner.headers))

    def story(missed: list[Event]) -> list[str]:
        return [
            e.payload["task"]["title"] if "task" in e.payload else e.kind
            for e in missed
            if e.project_id == uuid.UUID(project["id"])
        ]

    async with ctx.db.primary_reader() as conn:
        stayed = await stream.catch_up(conn, uuid.UUID(stayer.id), last_seen)
        left = await stream.catch_up(conn, uuid.UUID(leaver.id), last_seen)
        # The newcomer's last id is older than its joining (or none at all).
        came = await stream.catch_up(conn, uuid.UUID(newcomer.id), last_seen)
        came_fresh = await stream.catch_up(conn, uuid.UUID(newcomer.id), ZERO)
    assert story(stayed) == [
        "v2",
        "project.member_removed",
        "v3",
        "project.member_added",
        "v4",
    ]
    # Nothing of the project any more, but its own removal.
    assert story(left) == ["project.member_removed"]
    assert left[0].payload["member_id"] == leaver.id
    # From its joining on, not before.
    assert story(came) == story(came_fresh) == ["project.member_added", "v4"]


async def test_a_new_members_stream_starts_at_its_joining(api: Api, ctx: AppContext) -> None:
    """A stream opened just after joining (its feed reads back over the last moments) carries
    the joining and what follows, not the project's events from before it."""
    owner, newcomer = await _verified(api, ctx), await _verified(api, ctx)
    project = await _ok(
        await api.client.post(PROJECTS, json={"name": "Choir"}, headers=owner.headers), 201
    )
    await api.create_task(owner, title="Before", project_id=project["id"])
    await _add(api, owner, project["id"], newcomer)
    feed = stream.Feed(ctx)
    queue = feed.subscribe(uuid.UUID(newcomer.id))
    try:
        await api.create_task(owner, title="After", project_id=project["id"])
        seen = []
        async with asyncio.timeout(20):
            while not any(e.payload.get("task", {}).get("title") == "After" for e in seen):
                event = await queue.get()
                assert event is not None
                seen.append(event)
        ours = [e for e in seen if e.project_id == uuid.UUID(project["id"])]
        assert [e.payload["task"]["title"] if "task" in e.payload else e.kind for e in ours] == [
            "project.member_added",
            "After",
        ]
    finally:
        await feed.unsubscribe(uuid.UUID(newcomer.id), queue)
