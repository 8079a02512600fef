"""The trash: deleting a task moves it there at once; it leaves every list, search, count and
single read, can be restored as it was or deleted for good, and is purged by the worker 30
days later. A member of the project sees its trash, an editor restores, a viewer's write is a
403 and anyone else's anything a 404."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect, select, update
from sqlalchemy.ext.asyncio import create_async_engine

from tasklane.cli import migrate
from tasklane.core.context import AppContext
from tasklane.core.types import utcnow
from tasklane.events.models import outbox_events
from tasklane.settings import Settings
from tasklane.tasks.models import tasks
from tasklane.tasks.schemas import TaskOut, TrashedTaskOut
from tasklane.worker import Worker
from tests.helpers import Api, User, assert_problem
from tests.test_projects_migration import scratch
from tests.test_sharing import shared_project, verified

__all__ = ["scratch"]  # fixture

TASKS = "/api/v1/tasks"
TRASH = "/api/v1/tasks/trash"


async def _trash(api: Api, user: User, **params: Any) -> dict[str, Any]:
    response = await api.client.get(TRASH, params=params, headers=user.headers)
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    for item in page["items"]:
        TrashedTaskOut.model_validate(item)
        assert set(item) == set(TrashedTaskOut.model_fields), item
    return page


async def _listed(api: Api, user: User, **params: Any) -> set[str]:
    response = await api.client.get(TASKS, params=params, headers=user.headers)
    assert response.status_code == 200, response.text
    return {t["id"] for t in response.json()["items"]}


async def _delete(api: Api, user: User, task: dict[str, Any]) -> None:
    response = await api.client.delete(f"{TASKS}/{task['id']}", headers=user.headers)
    assert response.status_code == 204, response.text


async def test_a_deleted_task_leaves_every_read_and_waits_in_the_trash(api: Api) -> None:
    user = await api.user()
    kept = await api.create_task(user, title="Water the plants", tags=["home"])
    gone = await api.create_task(
        user, title="Water the garden", tags=["home"], due_at="2020-01-01T00:00:00Z"
    )
    before = (await api.client.get(f"{TASKS}/stats", headers=user.headers)).json()
    assert (before["total"], before["overdue"]) == (2, 1)

    await _delete(api, user, gone)

    url = f"{TASKS}/{gone['id']}"
    assert_problem(await api.client.get(url, headers=user.headers), 404)
    assert_problem(await api.client.patch(url, json={"title": "x"}, headers=user.headers), 404)
    assert_problem(await api.client.delete(url, headers=user.headers), 404)
    assert await _listed(api, user) == {kept["id"]}
    assert await _listed(api, user, q="water") == {kept["id"]}
    assert await _listed(api, user, tag="home") == {kept["id"]}
    assert await _listed(api, user, overdue="true") == set()
    assert await _listed(api, user, project_id=gone["project_id"]) == {kept["id"]}
    stats = (await api.client.get(f"{TASKS}/stats", headers=user.headers)).json()
    assert (stats["total"], stats["overdue"]) == (1, 0)
    projects = (await api.client.get("/api/v1/projects", headers=user.headers)).json()["items"]
    assert [p["open_tasks"] for p in projects] == [1]
    bulk = {"action": "set_status", "ids": [gone["id"]], "status": "done"}
    assert_problem(await api.client.post(f"{TASKS}/bulk", json=bulk, headers=user.headers), 404)

    page = await _trash(api, user)
    assert [t["id"] for t in page["items"]] == [gone["id"]]
    item = page["items"][0]
    assert {k: item[k] for k in TaskOut.model_fields} == gone
    deleted_at = datetime.fromisoformat(item["deleted_at"])
    assert abs(deleted_at - datetime.now(UTC)) < timedelta(minutes=1)
    assert datetime.fromisoformat(item["purge_at"]) - deleted_at == timedelta(days=30)
    assert page["next_cursor"] is None


async def test_restore_brings_the_task_back_as_it_was(api: Api) -> None:
    user = await api.user()
    task = await api.create_task(user, title="Renew passport", description="Photo first")
    await _delete(api, user, task)

    restored = await api.client.post(f"{TRASH}/{task['id']}/restore", headers=user.headers)
    assert restored.status_code == 200, restored.text
    assert restored.json() == task
    assert restored.headers["ETag"] == f'"{task["version"]}"'
    read = await api.client.get(f"{TASKS}/{task['id']}", headers=user.headers)
    assert read.json() == task
    assert await _listed(api, user) == {task["id"]}
    assert (await _trash(api, user))["items"] == []
    # Not in the trash any more: nothing to restore or delete there.
    again = await api.client.post(f"{TRASH}/{task['id']}/restore", headers=user.headers)
    assert_problem(again, 404)
    assert_problem(await api.client.delete(f"{TRASH}/{task['id']}", headers=user.headers), 404)
    # The version still holds for the next change.
    edited = await api.client.patch(
        f"{TASKS}/{task['id']}",
        json={"title": "Renew passport now"},
        headers={**user.headers, "If-Match": restored.headers["ETag"]},
    )
    assert edited.status_code == 200, edited.text


async def test_delete_forever_removes_it_from_the_trash(api: Api, ctx: AppContext) -> None:
    user = await api.user()
    task = await api.create_task(user, title="Old receipt")
    await _delete(api, user, task)
    forever = await api.client.delete(f"{TRASH}/{task['id']}", headers=user.headers)
    assert forever.status_code == 204, forever.text
    assert (await _trash(api, user))["items"] == []
    assert_problem(
        await api.client.post(f"{TRASH}/{task['id']}/restore", headers=user.headers), 404
    )
    assert_problem(await api.client.get(f"{TASKS}/{task['id']}", headers=user.headers), 404)
    async with ctx.db.primary_reader() as conn:
        rows = (
            await conn.execute(select(tasks.c.id).where(tasks.c.id == uuid.UUID(task["id"])))
        ).all()
    assert rows == []


async def test_bulk_delete_goes_to_the_trash_and_each_comes_back(api: Api) -> None:
    user = await api.user()
    doomed = [await api.create_task(user, title=f"Bulk {n}") for n in range(3)]
    kept = await api.create_task(user, title="Kept")
    body = {"action": "delete", "ids": [t["id"] for t in doomed]}
    response = await api.client.post(f"{TASKS}/bulk", json=body, headers=user.headers)
    assert response.status_code == 200, response.text
    assert await _listed(api, user) == {kept["id"]}
    trashed = await _trash(api, user)
    assert {t["id"] for t in trashed["items"]} == {t["id"] for t in doomed}
    for task in doomed:
        restored = await api.client.post(f"{TRASH}/{task['id']}/restore", headers=user.headers)
        assert restored.status_code == 200, restored.text
    assert await _listed(api, user) == {kept["id"], *(t["id"] for t in doomed)}


async def test_the_trash_pages_by_cursor_newest_deletion_first(api: Api) -> None:
    user = await api.user()
    created = [await api.create_task(user, title=f"Page {n}") for n in range(5)]
    for task in created:
        await _delete(api, user, task)
    seen: list[str] = []
    cursor = None
    for _ in range(5):
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = await _trash(api, user, **params)
        assert len(page["items"]) <= 2
        seen += [t["id"] for t in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [t["id"] for t in reversed(created)]
    # A list's cursor is not the trash's, and a made-up one is refused alike.
    listed = await api.client.get(TASKS, params={"limit": 1}, headers=user.headers)
    assert listed.status_code == 200
    for bad in ("nonsense", listed.json()["next_cursor"] or "x"):
        response = await api.client.get(TRASH, params={"cursor": bad}, headers=user.headers)
        assert_problem(response, 422)
    assert_problem(await api.client.get(TRASH, params={"limit": 0}, headers=user.headers), 422)
    response = await api.client.post(f"{TRASH}/not-a-uuid/restore", headers=user.headers)
    assert_problem(response, 422)
    assert_problem(await api.client.get(TRASH), 401)


async def test_members_share_the_trash_viewers_only_look(api: Api, ctx: AppContext) -> None:
    owner, editor, viewer, stranger = [await verified(api, ctx) for _ in range(4)]
    project = await shared_project(api, owner, editor=editor, viewer=viewer)
    task = await api.create_task(owner, project_id=project["id"], title="Shared and deleted")
    await _delete(api, editor, task)

    for member in (owner, editor, viewer):
        assert [t["id"] for t in (await _trash(api, member))["items"]] == [task["id"]]
    assert (await _trash(api, stranger))["items"] == []
    restore = f"{TRASH}/{task['id']}/restore"
    forever = f"{TRASH}/{task['id']}"
    assert_problem(await api.client.post(restore, headers=viewer.headers), 403)
    assert_problem(await api.client.delete(forever, headers=viewer.headers), 403)
    assert_problem(await api.client.post(restore, headers=stranger.headers), 404)
    assert_problem(await api.client.delete(forever, headers=stranger.headers), 404)
    restored = await api.client.post(restore, headers=editor.headers)
    assert restored.status_code == 200, restored.text
    assert await _listed(api, viewer) == {task["id"]}


async def test_trash_changes_reach_the_outbox(api: Api, ctx: AppContext) -> None:
    user = await api.user()
    task = await api.create_task(user, title="Evented")
    await _delete(api, user, task)
    await api.client.post(f"{TRASH}/{task['id']}/restore", headers=user.headers)
    await _delete(api, user, task)
    await api.client.delete(f"{TRASH}/{task['id']}", headers=user.headers)
    async with ctx.db.primary_reader() as conn:
        rows = (
            await conn.execute(
                select(outbox_events.c.kind, outbox_events.c.project_id, outbox_events.c.payload)
                .where(outbox_events.c.subject_id == uuid.UUID(task["id"]))
                .order_by(outbox_events.c.id)
            )
        ).all()
    assert [r.kind for r in rows] == [
        "task.created",
        "task.deleted",
        "task.restored",
        "task.deleted",
        "task.purged",
    ]
    assert {str(r.project_id) for r in rows} == {task["project_id"]}
    assert rows[2].payload == {"task": task}


async def _deleted_days_ago(ctx: AppContext, task_id: str, days: float) -> datetime:
    at = utcnow() - timedelta(days=days)
    async with ctx.db.transaction() as conn:
        await conn.execute(
            update(tasks).where(tasks.c.id == uuid.UUID(task_id)).values(deleted_at=at)
        )
    return at


async def _trashed_ids(api: Api, user: User) -> set[str]:
    return {t["id"] for t in (await _trash(api, user, limit=100))["items"]}


async def test_the_worker_purges_what_has_been_in_the_trash_for_30_days(
    api: Api, ctx: AppContext
) -> None:
    user = await api.user()
    old, recent, fresh = [await api.create_task(user, title=t) for t in ("Old", "Recent", "New")]
    for task in (old, recent, fresh):
        await _delete(api, user, task)
    # The age is made explicit: deleted 30 days and a minute ago, and 29 days ago.
    await _deleted_days_ago(ctx, old["id"], 30 + 1 / 1440)
    recent_at = await _deleted_days_ago(ctx, recent["id"], 29)
    worker = Worker(ctx)
    try:
        assert await worker.purge_trash() >= 1
        assert await _trashed_ids(api, user) == {recent["id"], fresh["id"]}
        # The clock is explicit too: a second after the recent one's 30 days.
        await worker.purge_trash(now=recent_at + timedelta(days=30, seconds=1))
        assert await _trashed_ids(api, user) == {fresh["id"]}
    finally:
        await worker.close()
    async with ctx.db.primary_reader() as conn:
        kinds = (
            await conn.execute(
                select(outbox_events.c.kind).where(
                    outbox_events.c.subject_id == uuid.UUID(old["id"])
                )
            )
        ).scalars()
        assert "task.purged" in set(kinds)
    assert_problem(await api.client.post(f"{TRASH}/{old['id']}/restore", headers=user.headers), 404)


def test_migration_0016_goes_down_and_up_again(scratch: Settings) -> None:
    """Down to 0015 (the trash's tasks gone with the column) and back up, on each database."""
    migrate(scratch, "head")
    config = Config()
    config.set_main_option("script_location", "src/tasklane/migrations")
    config.attributes["settings"] = scratch
    command.downgrade(config, "0015")

    async def columns() -> set[str]:
        engine = create_async_engine(scratch.database_url)
        try:
            async with engine.connect() as conn:
                names = await conn.run_sync(
                    lambda sync: {c["name"] for c in inspect(sync).get_columns("tasks")}
                )
        finally:
            await engine.dispose()
        return names

    assert "deleted_at" not in asyncio.run(columns())
    migrate(scratch, "head")
    assert "deleted_at" in asyncio.run(columns())
