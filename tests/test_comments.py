"""Comments on tasks and the history of a task's changes: members read them, editors and
owners comment, only the author edits or deletes a comment; a non-member gets a 404 for every
task and comment id, a viewer's write a 403. Each comment keeps the task's count and goes out
as an event of the task's project; each change of a task writes its history in its own
transaction."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.ext.asyncio import create_async_engine

from tasklane import cli
from tasklane.core.context import AppContext
from tasklane.core.types import utcnow
from tasklane.events import service as events
from tasklane.settings import Settings
from tests.helpers import Api, User, assert_problem
from tests.test_projects_migration import scratch  # noqa: F401 - a fixture
from tests.test_sharing import shared_project, verified

TASKS = "/api/v1/tasks"


def comments_url(task_id: str, comment_id: str | None = None) -> str:
    url = f"{TASKS}/{task_id}/comments"
    return url if comment_id is None else f"{url}/{comment_id}"


async def comment(api: Api, user: User, task_id: str, body: str) -> dict[str, Any]:
    response = await api.client.post(
        comments_url(task_id), json={"body": body}, headers=user.headers
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def create(api: Api, user: User, **fields: Any) -> dict[str, Any]:
    response = await api.client.post(
        TASKS, json={"title": "A task", **fields}, headers=user.headers
    )
    assert response.status_code == 201, response.text
    task: dict[str, Any] = response.json()
    return task


async def team(api: Api, ctx: AppContext) -> tuple[User, User, User, User, dict[str, Any]]:
    """An owner, an editor, a viewer and a stranger; a task in the owner's shared project."""
    owner, editor, viewer, stranger = [await verified(api, ctx) for _ in range(4)]
    project = await shared_project(api, owner, editor=editor, viewer=viewer)
    task = await create(api, owner, project_id=project["id"], title="Plan the trip")
    return owner, editor, viewer, stranger, task


async def test_members_comment_and_everyone_reads_them_newest_last(
    api: Api, ctx: AppContext
) -> None:
    owner, editor, viewer, _, task = await team(api, ctx)
    assert task["comment_count"] == 0
    first = await comment(api, owner, task["id"], "  Booked the train: https://example.com/t  ")
    assert first["body"] == "Booked the train: https://example.com/t"  # trimmed
    assert first["author_id"] == owner.id
    assert first["author_name"] == "Test User"
    assert first["edited_at"] is None
    second = await comment(api, editor, task["id"], "<b>not bold</b> & kept as text")

    listed = await api.client.get(comments_url(task["id"]), headers=viewer.headers)
    assert listed.status_code == 200, listed.text
    page = listed.json()
    assert [c["id"] for c in page["items"]] == [first["id"], second["id"]]
    assert page["items"][1]["body"] == "<b>not bold</b> & kept as text"
    assert page["next_cursor"] is None

    # The count comes with the task, on its own and in the lists.
    read = await api.client.get(f"{TASKS}/{task['id']}", headers=viewer.headers)
    assert read.json()["comment_count"] == 2
    assert read.json()["version"] == task["version"]  # a comment is no change of the task
    listing = await api.client.get(TASKS, headers=editor.headers)
    assert [t["comment_count"] for t in listing.json()["items"] if t["id"] == task["id"]] == [2]


async def test_comments_come_in_cursor_pages(api: Api, ctx: AppContext) -> None:
    owner, _, viewer, _, task = await team(api, ctx)
    made = [(await comment(api, owner, task["id"], f"note {n}"))["id"] for n in range(5)]
    seen: list[str] = []
    cursor = None
    for _ in range(5):
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        response = await api.client.get(
            comments_url(task["id"]), params=params, headers=viewer.headers
        )
        assert response.status_code == 200, response.text
        seen += [c["id"] for c in response.json()["items"]]
        cursor = response.json()["next_cursor"]
        if cursor is None:
            break
    assert seen == made
    bad = await api.client.get(
        comments_url(task["id"]), params={"cursor": "bm9wZQ"}, headers=viewer.headers
    )
    assert_problem(bad, 422)
    history_cursor = await api.client.get(
        f"{TASKS}/{task['id']}/history", params={"cursor": cursor or "x"}, headers=owner.headers
    )
    assert_problem(history_cursor, 422)


async def test_a_viewer_reads_but_cannot_comment(api: Api, ctx: AppContext) -> None:
    owner, _, viewer, _, task = await team(api, ctx)
    mine = await comment(api, owner, task["id"], "hello")
    h = viewer.headers
    assert_problem(
        await api.client.post(comments_url(task["id"]), json={"body": "hi"}, headers=h), 403
    )
    assert_problem(
        await api.client.patch(comments_url(task["id"], mine["id"]), json={"body": "x"}, headers=h),
        403,
    )
    assert_problem(await api.client.delete(comments_url(task["id"], mine["id"]), headers=h), 403)
    # An id that is no comment of the task is a 404, for a viewer too.
    missing = comments_url(task["id"], str(uuid.uuid4()))
    assert_problem(await api.client.patch(missing, json={"body": "x"}, headers=h), 404)
    listed = await api.client.get(comments_url(task["id"]), headers=h)
    assert [c["body"] for c in listed.json()["items"]] == ["hello"]


async def test_a_non_member_gets_404_for_every_task_and_comment_id(
    api: Api, ctx: AppContext
) -> None:
    owner, _, _, stranger, task = await team(api, ctx)
    mine = await comment(api, owner, task["id"], "private")
    h = stranger.headers
    for task_id in (task["id"], str(uuid.uuid4())):
        assert_problem(await api.client.get(comments_url(task_id), headers=h), 404)
        assert_problem(
            await api.client.post(comments_url(task_id), json={"body": "x"}, headers=h), 404
        )
        assert_problem(await api.client.get(f"{TASKS}/{task_id}/history", headers=h), 404)
        for comment_id in (mine["id"], str(uuid.uuid4())):
            url = comments_url(task_id, comment_id)
            assert_problem(await api.client.patch(url, json={"body": "x"}, headers=h), 404)
            assert_problem(await api.client.delete(url, headers=h), 404)
    # A comment id under another task the stranger can read is a 404 as well.
    theirs = await create(api, stranger, title="their own")
    url = comments_url(theirs["id"], mine["id"])
    assert_problem(await api.client.patch(url, json={"body": "x"}, headers=h), 404)
    assert_problem(await api.client.delete(url, headers=h), 404)
    listed = await api.client.get(comments_url(task["id"]), headers=owner.headers)
    assert [c["body"] for c in listed.json()["items"]] == ["private"]


async def test_only_the_author_edits_or_deletes_a_comment(api: Api, ctx: AppContext) -> None:
    owner, editor, viewer, _, task = await team(api, ctx)
    by_editor = await comment(api, editor, task["id"], "first thought")
    url = comments_url(task["id"], by_editor["id"])
    # Not even an owner of the project changes someone else's words.
    assert_problem(await api.client.patch(url, json={"body": "x"}, headers=owner.headers), 403)
    assert_problem(await api.client.delete(url, headers=owner.headers), 403)

    edited = await api.client.patch(url, json={"body": "second thought"}, headers=editor.headers)
    assert edited.status_code == 200, edited.text
    assert edited.json()["body"] == "second thought"
    assert edited.json()["edited_at"] is not None
    assert edited.json()["created_at"] == by_editor["created_at"]
    listed = await api.client.get(comments_url(task["id"]), headers=viewer.headers)
    assert [c["body"] for c in listed.json()["items"]] == ["second thought"]

    assert (await api.client.delete(url, headers=editor.headers)).status_code == 204
    assert_problem(await api.client.delete(url, headers=editor.headers), 404)
    read = await api.client.get(f"{TASKS}/{task['id']}", headers=owner.headers)
    assert read.json()["comment_count"] == 0
    listed = await api.client.get(comments_url(task["id"]), headers=viewer.headers)
    assert listed.json()["items"] == []


async def test_a_deleted_authors_comments_and_changes_stay_for_the_others(
    api: Api, ctx: AppContext
) -> None:
    owner, editor, _, _, task = await team(api, ctx)
    await comment(api, editor, task["id"], "I will be gone")
    url = f"{TASKS}/{task['id']}"
    assert (
        await api.client.patch(url, json={"title": "Renamed"}, headers=editor.headers)
    ).is_success
    deleted = await api.client.request(
        "DELETE", "/api/v1/users/me", json={"password": editor.password}, headers=editor.headers
    )
    assert deleted.status_code == 204, deleted.text

    listed = (await api.client.get(comments_url(task["id"]), headers=owner.headers)).json()
    assert [(c["author_id"], c["author_name"], c["body"]) for c in listed["items"]] == [
        (None, "Deleted account", "I will be gone")
    ]
    history = (await api.client.get(f"{url}/history", headers=owner.headers)).json()
    assert [(e["user_id"], e["user_name"], e["field"]) for e in history["items"]] == [
        (None, "Deleted account", "title")
    ]
    read = await api.client.get(url, headers=owner.headers)
    assert read.json()["comment_count"] == 1


async def test_a_comment_is_plain_text_within_limits(api: Api, ctx: AppContext) -> None:
    owner, _, _, _, task = await team(api, ctx)
    url = comments_url(task["id"])
    for body in ({"body": "   "}, {"body": "x" * 5001}, {"body": "a\x00b"}, {}, {"body": 5}):
        assert_problem(await api.client.post(url, json=body, headers=owner.headers), 422)
    extra = {"body": "ok", "author_id": owner.id}
    assert_problem(await api.client.post(url, json=extra, headers=owner.headers), 422)
    assert_problem(
        await api.client.post(comments_url("not-an-id"), json={"body": "x"}, headers=owner.headers),
        422,
    )
    longest = await comment(api, owner, task["id"], "é" * 5000)
    assert len(longest["body"]) == 5000


async def test_comments_go_out_to_the_projects_members(api: Api, ctx: AppContext) -> None:
    _, editor, _, _, task = await team(api, ctx)
    since = utcnow() - timedelta(seconds=1)
    added = await comment(api, editor, task["id"], "on my way")
    url = comments_url(task["id"], added["id"])
    await api.client.patch(url, json={"body": "there soon"}, headers=editor.headers)
    await api.client.delete(url, headers=editor.headers)
    async with ctx.db.primary_reader() as conn:
        found = [
            e
            for e in await events.recent(conn, since)
            if e.subject_id == uuid.UUID(task["id"]) and e.kind.startswith("comment.")
        ]
    kinds = [e.kind for e in found]
    assert kinds == ["comment.added", "comment.edited", "comment.deleted"]
    assert {str(e.project_id) for e in found} == {task["project_id"]}
    assert found[0].payload["comment"]["body"] == "on my way"
    assert found[0].payload["comment_count"] == 1
    assert found[1].payload["comment"]["body"] == "there soon"
    assert found[2].payload == {"task_id": task["id"], "id": added["id"], "comment_count": 0}


async def test_history_keeps_who_changed_what_and_when(api: Api, ctx: AppContext) -> None:
    owner, editor, viewer, _, task = await team(api, ctx)
    url = f"{TASKS}/{task['id']}"
    change = {
        "title": "Plan the summer trip",
        "status": "in_progress",
        "due_at": "2027-06-01T09:00:00+02:00",
        "assignee_id": editor.id,
        "priority": "high",
        "description": "Somewhere warm",
    }
    patched = await api.client.patch(url, json=change, headers=editor.headers)
    assert patched.status_code == 200, patched.text
    # The same values again change nothing, so nothing is written.
    same = await api.client.patch(url, json={"title": change["title"]}, headers=editor.headers)
    assert same.json()["version"] == patched.json()["version"]
    bulk = {"action": "set_status", "ids": [task["id"]], "status": "done"}
    assert (
        await api.client.post(f"{TASKS}/bulk", json=bulk, headers=owner.headers)
    ).status_code == 200

    response = await api.client.get(f"{url}/history", headers=viewer.headers)
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    newest, *first_change = items
    assert (newest["field"], newest["old_value"], newest["new_value"]) == (
        "status",
        "in_progress",
        "done",
    )
    assert newest["user_id"] == owner.id
    by_field = {e["field"]: e for e in first_change}
    assert set(by_field) == {"title", "status", "due_at", "assignee_id", "priority", "description"}
    assert {e["user_id"] for e in first_change} == {editor.id}
    assert {e["user_name"] for e in items} == {"Test User"}
    assert (by_field["title"]["old_value"], by_field["title"]["new_value"]) == (
        "Plan the trip",
        "Plan the summer trip",
    )
    assert (by_field["status"]["old_value"], by_field["status"]["new_value"]) == (
        "todo",
        "in_progress",
    )
    assert by_field["due_at"]["old_value"] is None
    assert by_field["due_at"]["new_value"] == "2027-06-01T07:00:00Z"
    assert by_field["assignee_id"]["new_value"] == editor.id
    assert (by_field["priority"]["old_value"], by_field["priority"]["new_value"]) == (
        "medium",
        "high",
    )
    assert by_field["description"]["new_value"] is None  # the text is not copied

    # Pages, newest first.
    first = await api.client.get(f"{url}/history", params={"limit": 4}, headers=viewer.headers)
    rest = await api.client.get(
        f"{url}/history",
        params={"limit": 4, "cursor": first.json()["next_cursor"]},
        headers=viewer.headers,
    )
    assert [e["id"] for e in first.json()["items"] + rest.json()["items"]] == [
        e["id"] for e in items
    ]
    assert rest.json()["next_cursor"] is None


async def test_moving_a_task_is_in_its_history(api: Api, ctx: AppContext) -> None:
    owner = await verified(api, ctx)
    task = await create(api, owner, title="Move me")
    elsewhere = await api.client.post(
        "/api/v1/projects", json={"name": "Elsewhere"}, headers=owner.headers
    )
    moved = await api.client.patch(
        f"{TASKS}/{task['id']}",
        json={"project_id": elsewhere.json()["id"]},
        headers=owner.headers,
    )
    assert moved.status_code == 200, moved.text
    history = (await api.client.get(f"{TASKS}/{task['id']}/history", headers=owner.headers)).json()
    assert [(e["field"], e["old_value"], e["new_value"]) for e in history["items"]] == [
        ("project_id", task["project_id"], elsewhere.json()["id"])
    ]


async def test_a_refused_change_writes_no_history(api: Api, ctx: AppContext) -> None:
    owner, _, viewer, _, task = await team(api, ctx)
    url = f"{TASKS}/{task['id']}"
    assert_problem(await api.client.patch(url, json={"title": "x"}, headers=viewer.headers), 403)
    stale = await api.client.patch(
        url, json={"title": "y"}, headers={**owner.headers, "If-Match": '"99"'}
    )
    assert_problem(stale, 412)
    history = (await api.client.get(f"{url}/history", headers=owner.headers)).json()
    assert history == {"items": [], "next_cursor": None}


def _tables(settings: Settings) -> tuple[set[str], set[str]]:
    async def read() -> tuple[set[str], set[str]]:
        engine = create_async_engine(settings.database_url)
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(
                    lambda sync: (
                        set(sa.inspect(sync).get_table_names()),
                        {c["name"] for c in sa.inspect(sync).get_columns("tasks")},
                    )
                )
        finally:
            await engine.dispose()

    return asyncio.run(read())


def test_migration_0013_adds_comments_and_history_and_takes_them_away(
    scratch: Settings,  # noqa: F811
) -> None:
    config = Config()
    config.set_main_option("script_location", str(Path(cli.__file__).parent / "migrations"))
    config.attributes["settings"] = scratch
    cli.migrate(scratch, "0013")
    tables, columns = _tables(scratch)
    assert {"task_comments", "task_history"} <= tables
    assert "comment_count" in columns
    command.downgrade(config, "0012")
    tables, columns = _tables(scratch)
    assert not {"task_comments", "task_history"} & tables
    assert "comment_count" not in columns
    cli.migrate(scratch, "0013")
    assert {"task_comments", "task_history"} <= _tables(scratch)[0]
