"""Subtasks (one level, progress on the parent, completing a parent asks about its open
subtasks) and manual order (fractional-indexing keys among siblings, moves that hold under
concurrent requests)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from sqlalchemy import update

from tasklane.core.context import AppContext
from tasklane.tasks.models import tasks
from tests.helpers import Api, User, assert_problem, assert_task
from tests.test_sharing import shared_project, verified

TASKS = "/api/v1/tasks"


async def subtask(api: Api, user: User, parent: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return await api.create_task(user, parent_id=parent["id"], **fields)


async def read(api: Api, user: User, task_id: str) -> dict[str, Any]:
    response = await api.client.get(f"{TASKS}/{task_id}", headers=user.headers)
    assert response.status_code == 200, response.text
    return assert_task(response.json())


async def subtasks_of(api: Api, user: User, task_id: str) -> list[dict[str, Any]]:
    response = await api.client.get(f"{TASKS}/{task_id}/subtasks", headers=user.headers)
    assert response.status_code == 200, response.text
    return [assert_task(t) for t in response.json()["items"]]


async def titles(api: Api, user: User, task_id: str) -> list[str]:
    return [t["title"] for t in await subtasks_of(api, user, task_id)]


async def move(api: Api, user: User, task_id: str, **where: str) -> Any:
    return await api.client.post(f"{TASKS}/{task_id}/move", json=where, headers=user.headers)


async def manual_list(api: Api, user: User, **params: Any) -> list[str]:
    response = await api.client.get(
        TASKS, params={"sort": "position", "limit": 100, **params}, headers=user.headers
    )
    assert response.status_code == 200, response.text
    return [t["title"] for t in response.json()["items"]]


# --- subtasks ----------------------------------------------------------------------------------


async def test_subtasks_are_listed_in_order_and_the_parent_shows_progress(api: Api) -> None:
    user = await api.user()
    parent = await api.create_task(user, title="Move house")
    assert (parent["parent_id"], parent["subtasks_total"], parent["subtasks_done"]) == (None, 0, 0)
    made = [await subtask(api, user, parent, title=f"step {i}") for i in range(3)]
    assert all(s["parent_id"] == parent["id"] for s in made)
    assert all(s["project_id"] == parent["project_id"] for s in made)
    assert await titles(api, user, parent["id"]) == ["step 0", "step 1", "step 2"]

    done = await api.client.patch(
        f"{TASKS}/{made[1]['id']}", json={"status": "done"}, headers=user.headers
    )
    assert done.status_code == 200, done.text
    now = await read(api, user, parent["id"])
    assert (now["subtasks_total"], now["subtasks_done"]) == (3, 1)
    assert now["version"] == parent["version"], "a subtask's change is no change of the parent"
    reopened = await api.client.patch(
        f"{TASKS}/{made[1]['id']}", json={"status": "todo"}, headers=user.headers
    )
    assert reopened.status_code == 200
    assert (await read(api, user, parent["id"]))["subtasks_done"] == 0

    # A subtask created done counts as done; the list can leave subtasks out.
    await subtask(api, user, parent, title="already", status="done")
    now = await read(api, user, parent["id"])
    assert (now["subtasks_total"], now["subtasks_done"]) == (4, 1)
    listed = await api.client.get(TASKS, params={"top_level": "true"}, headers=user.headers)
    assert [t["title"] for t in listed.json()["items"]] == ["Move house"]
    everything = await api.client.get(TASKS, params={"limit": 100}, headers=user.headers)
    assert len(everything.json()["items"]) == 5


async def test_a_subtask_cannot_have_subtasks_nor_leave_its_parents_project(api: Api) -> None:
    user = await api.user()
    parent = await api.create_task(user, title="parent")
    child = await subtask(api, user, parent, title="child")
    nested = await api.client.post(
        TASKS, json={"title": "grandchild", "parent_id": child["id"]}, headers=user.headers
    )
    body = assert_problem(nested, 422, "validation-error")
    assert [e["field"] for e in body["errors"]] == ["parent_id"]

    other = await api.client.post("/api/v1/projects", json={"name": "Other"}, headers=user.headers)
    elsewhere = await api.client.post(
        TASKS,
        json={"title": "x", "parent_id": parent["id"], "project_id": other.json()["id"]},
        headers=user.headers,
    )
    assert_problem(elsewhere, 422, "validation-error")
    moved = await api.client.patch(
        f"{TASKS}/{child['id']}", json={"project_id": other.json()["id"]}, headers=user.headers
    )
    assert_problem(moved, 422, "validation-error")
    missing = await api.client.post(
        TASKS, json={"title": "x", "parent_id": str(uuid.uuid4())}, headers=user.headers
    )
    assert_problem(missing, 422, "validation-error")
    unknown = await api.client.get(f"{TASKS}/{uuid.uuid4()}/subtasks", headers=user.headers)
    assert_problem(unknown, 404)


async def test_a_parent_moved_to_another_project_takes_its_subtasks(api: Api) -> None:
    user = await api.user()
    parent = await api.create_task(user, title="parent")
    child = await subtask(api, user, parent, title="child")
    other = await api.client.post("/api/v1/projects", json={"name": "Other"}, headers=user.headers)
    moved = await api.client.patch(
        f"{TASKS}/{parent['id']}", json={"project_id": other.json()["id"]}, headers=user.headers
    )
    assert moved.status_code == 200, moved.text
    assert (await read(api, user, child["id"]))["project_id"] == other.json()["id"]


async def test_completing_a_parent_with_open_subtasks_lets_the_client_choose(api: Api) -> None:
    user = await api.user()
    parent = await api.create_task(user, title="parent")
    subs = [await subtask(api, user, parent, title=f"s{i}") for i in range(3)]
    await api.client.patch(
        f"{TASKS}/{subs[0]['id']}", json={"status": "done"}, headers=user.headers
    )
    url = f"{TASKS}/{parent['id']}"

    asked = await api.client.patch(url, json={"status": "done"}, headers=user.headers)
    body = assert_problem(asked, 409, "open-subtasks")
    assert body["open_subtasks"] == 2
    assert (await read(api, user, parent["id"]))["status"] == "todo"

    kept = await api.client.patch(
        url, json={"status": "done", "open_subtasks": "keep"}, headers=user.headers
    )
    assert kept.status_code == 200, kept.text
    assert [s["status"] for s in await subtasks_of(api, user, parent["id"])] == [
        "done",
        "todo",
        "todo",
    ]
    assert kept.json()["subtasks_done"] == 1

    reopened = await api.client.patch(url, json={"status": "todo"}, headers=user.headers)
    assert reopened.status_code == 200
    completed = await api.client.patch(
        url, json={"status": "done", "open_subtasks": "complete"}, headers=user.headers
    )
    assert completed.status_code == 200, completed.text
    assert (completed.json()["subtasks_total"], completed.json()["subtasks_done"]) == (3, 3)
    assert {s["status"] for s in await subtasks_of(api, user, parent["id"])} == {"done"}
    assert (await read(api, user, parent["id"]))["subtasks_done"] == 3

    # With every subtask done, completing needs no choice.
    again = await api.client.patch(url, json={"status": "todo"}, headers=user.headers)
    assert again.status_code == 200
    plain = await api.client.patch(url, json={"status": "done"}, headers=user.headers)
    assert plain.status_code == 200, plain.text


async def test_bulk_status_changes_count_on_the_parent(api: Api) -> None:
    user = await api.user()
    parent = await api.create_task(user, title="parent")
    subs = [await subtask(api, user, parent, title=f"s{i}") for i in range(3)]
    bulk = {"action": "set_status", "status": "done", "ids": [s["id"] for s in subs[:2]]}
    response = await api.client.post(f"{TASKS}/bulk", json=bulk, headers=user.headers)
    assert response.status_code == 200, response.text
    assert (await read(api, user, parent["id"]))["subtasks_done"] == 2


async def test_concurrent_completions_of_subtasks_all_count(api: Api) -> None:
    user = await api.user()
    parent = await api.create_task(user, title="parent")
    subs = [await subtask(api, user, parent, title=f"s{i}") for i in range(6)]
    responses = await asyncio.gather(
        *(
            api.client.patch(f"{TASKS}/{s['id']}", json={"status": "done"}, headers=user.headers)
            for s in subs
        )
    )
    assert [r.status_code for r in responses] == [200] * 6, [r.text for r in responses]
    now = await read(api, user, parent["id"])
    assert (now["subtasks_total"], now["subtasks_done"]) == (6, 6)


async def test_deleting_a_parent_deletes_its_subtasks(api: Api) -> None:
    user = await api.user()
    parent = await api.create_task(user, title="parent")
    subs = [await subtask(api, user, parent, title=f"s{i}") for i in range(2)]
    deleted = await api.client.delete(f"{TASKS}/{parent['id']}", headers=user.headers)
    assert deleted.status_code == 204
    for s in subs:
        gone = await api.client.get(f"{TASKS}/{s['id']}", headers=user.headers)
        assert_problem(gone, 404)
    assert_problem(
        await api.client.get(f"{TASKS}/{parent['id']}/subtasks", headers=user.headers), 404
    )
    listed = await api.client.get(TASKS, headers=user.headers)
    assert listed.json()["items"] == []

    # They went to the trash together and come back together; a subtask waits for its parent.
    alone = await api.client.post(f"{TASKS}/trash/{subs[0]['id']}/restore", headers=user.headers)
    assert_problem(alone, 409)
    restored = await api.client.post(f"{TASKS}/trash/{parent['id']}/restore", headers=user.headers)
    assert restored.status_code == 200, restored.text
    assert await titles(api, user, parent["id"]) == ["s0", "s1"]
    assert (await read(api, user, parent["id"]))["subtasks_total"] == 2


async def test_deleting_a_subtask_counts_on_the_parent(api: Api) -> None:
    user = await api.user()
    parent = await api.create_task(user, title="parent")
    subs = [await subtask(api, user, parent, title=f"s{i}", status="done") for i in range(2)]
    deleted = await api.client.delete(f"{TASKS}/{subs[0]['id']}", headers=user.headers)
    assert deleted.status_code == 204
    now = await read(api, user, parent["id"])
    assert (now["subtasks_total"], now["subtasks_done"]) == (1, 1)
    restored = await api.client.post(f"{TASKS}/trash/{subs[0]['id']}/restore", headers=user.headers)
    assert restored.status_code == 200, restored.text
    now = await read(api, user, parent["id"])
    assert (now["subtasks_total"], now["subtasks_done"]) == (2, 2)
    bulk = {"action": "delete", "ids": [s["id"] for s in subs]}
    assert (await api.client.post(f"{TASKS}/bulk", json=bulk, headers=user.headers)).is_success
    now = await read(api, user, parent["id"])
    assert (now["subtasks_total"], now["subtasks_done"]) == (0, 0)


async def test_others_see_404_for_every_subtask_and_viewers_get_403(
    api: Api, ctx: AppContext
) -> None:
    owner, viewer, stranger = [await verified(api, ctx) for _ in range(3)]
    project = await shared_project(api, owner, viewer=viewer)
    parent = await api.create_task(owner, project_id=project["id"], title="parent")
    children = [await subtask(api, owner, parent, title=f"c{i}") for i in range(2)]

    for task in (parent, *children):
        h = stranger.headers
        url = f"{TASKS}/{task['id']}"
        assert_problem(await api.client.get(url, headers=h), 404)
        assert_problem(await api.client.get(f"{url}/subtasks", headers=h), 404)
        assert_problem(await api.client.patch(url, json={"status": "done"}, headers=h), 404)
        assert_problem(await move(api, stranger, task["id"], after_id=children[0]["id"]), 404)
    stranger_sub = await api.client.post(
        TASKS, json={"title": "x", "parent_id": parent["id"]}, headers=stranger.headers
    )
    assert_problem(stranger_sub, 422, "validation-error")

    assert await titles(api, viewer, parent["id"]) == ["c0", "c1"]
    viewer_sub = await api.client.post(
        TASKS, json={"title": "x", "parent_id": parent["id"]}, headers=viewer.headers
    )
    assert_problem(viewer_sub, 403)
    assert_problem(await move(api, viewer, children[1]["id"], before_id=children[0]["id"]), 403)
    done = await api.client.patch(
        f"{TASKS}/{children[0]['id']}", json={"status": "done"}, headers=viewer.headers
    )
    assert_problem(done, 403)
    assert await titles(api, owner, parent["id"]) == ["c0", "c1"]


# --- manual order ------------------------------------------------------------------------------


async def test_moves_reorder_subtasks_and_top_level_tasks(api: Api) -> None:
    user = await api.user()
    parent = await api.create_task(user, title="parent")
    a, b, c = [await subtask(api, user, parent, title=t) for t in "abc"]
    moved = await move(api, user, c["id"], before_id=a["id"])
    assert moved.status_code == 200, moved.text
    assert moved.json()["version"] == c["version"] + 1
    assert moved.headers["etag"] == f'"{c["version"] + 1}"'
    assert await titles(api, user, parent["id"]) == ["c", "a", "b"]
    assert (await move(api, user, c["id"], after_id=b["id"])).status_code == 200
    assert await titles(api, user, parent["id"]) == ["a", "b", "c"]
    assert (await move(api, user, a["id"], after_id=b["id"])).status_code == 200
    assert await titles(api, user, parent["id"]) == ["b", "a", "c"]

    # Top-level tasks: new ones go last; a board column is a status in this order.
    x, _, z = [await api.create_task(user, title=t) for t in "xyz"]
    assert await manual_list(api, user, top_level="true") == ["parent", "x", "y", "z"]
    assert (await move(api, user, z["id"], before_id=parent["id"])).status_code == 200
    assert await manual_list(api, user, top_level="true") == ["z", "parent", "x", "y"]
    await api.client.patch(f"{TASKS}/{x['id']}", json={"status": "done"}, headers=user.headers)
    column = await manual_list(api, user, top_level="true", status="todo")
    assert column == ["z", "parent", "y"]
    paged = await api.client.get(
        TASKS, params={"sort": "position", "limit": 2, "top_level": "true"}, headers=user.headers
    )
    second = await api.client.get(
        TASKS,
        params={
            "sort": "position",
            "limit": 2,
            "top_level": "true",
            "cursor": paged.json()["next_cursor"],
        },
        headers=user.headers,
    )
    assert [t["title"] for t in second.json()["items"]] == ["x", "y"]


async def test_a_move_where_the_task_already_is_changes_nothing(api: Api) -> None:
    user = await api.user()
    a, b = [await api.create_task(user, title=t) for t in "ab"]
    first = await move(api, user, b["id"], after_id=a["id"])
    assert first.status_code == 200
    assert first.json()["version"] == b["version"], "b is after a already"
    moved = await move(api, user, a["id"], after_id=b["id"])
    retried = await move(api, user, a["id"], after_id=b["id"])
    assert moved.json() == retried.json()


async def test_bad_moves_are_422(api: Api) -> None:
    user = await api.user()
    parent = await api.create_task(user, title="parent")
    child = await subtask(api, user, parent, title="child")
    other = await api.create_task(user, title="other")
    for body in ({}, {"after_id": other["id"], "before_id": other["id"]}):
        response = await api.client.post(
            f"{TASKS}/{other['id']}/move", json=body, headers=user.headers
        )
        assert_problem(response, 422, "validation-error")
    assert_problem(await move(api, user, other["id"], after_id=other["id"]), 422)
    # Not siblings: a subtask among top-level tasks, a task of someone else.
    assert_problem(await move(api, user, child["id"], after_id=other["id"]), 422)
    assert_problem(await move(api, user, other["id"], after_id=child["id"]), 422)
    assert_problem(await move(api, user, other["id"], after_id=str(uuid.uuid4())), 422)
    bad = await api.client.post(
        f"{TASKS}/{other['id']}/move", json={"after_id": "nope"}, headers=user.headers
    )
    assert_problem(bad, 422)


async def test_concurrent_moves_keep_a_strict_order(api: Api) -> None:
    """Every task dragged right after the first at once: each move is serialised, so every
    key differs and each task ends up somewhere after the first."""
    user = await api.user()
    parent = await api.create_task(user, title="parent")
    subs = [await subtask(api, user, parent, title=f"s{i}") for i in range(8)]
    responses = await asyncio.gather(
        *(move(api, user, s["id"], after_id=subs[0]["id"]) for s in subs[1:])
    )
    assert [r.status_code for r in responses] == [200] * 7, [r.text for r in responses]
    after = await subtasks_of(api, user, parent["id"])
    keys = [s["position"] for s in after]
    assert len(set(keys)) == 8
    assert keys == sorted(keys, key=lambda k: k.encode())
    assert after[0]["title"] == "s0"

    # The same among top-level tasks, and tasks added at once get distinct keys.
    created = await asyncio.gather(
        *(api.client.post(TASKS, json={"title": f"t{i}"}, headers=user.headers) for i in range(6))
    )
    top = [r.json() for r in created]
    assert len({t["position"] for t in top}) == 6
    responses = await asyncio.gather(
        *(move(api, user, t["id"], before_id=parent["id"]) for t in top)
    )
    assert [r.status_code for r in responses] == [200] * 6, [r.text for r in responses]
    listed = await api.client.get(
        TASKS, params={"sort": "position", "top_level": "true", "limit": 100}, headers=user.headers
    )
    items = listed.json()["items"]
    assert items[-1]["title"] == "parent"
    assert len({t["position"] for t in items}) == len(items) == 7


async def test_equal_keys_left_by_older_rows_are_undone_by_a_move(
    api: Api, ctx: AppContext
) -> None:
    """Rows written without a key (the column's default) tie; a move between two of them
    gives the siblings fresh keys, in their order."""
    user = await api.user()
    made = [await api.create_task(user, title=t) for t in "abcd"]
    async with ctx.db.transaction() as conn:
        await conn.execute(
            update(tasks)
            .where(tasks.c.id.in_([uuid.UUID(t["id"]) for t in made]))
            .values(position="a0")
        )
    assert await manual_list(api, user) == ["a", "b", "c", "d"]  # ties: in order of id
    moved = await move(api, user, made[0]["id"], after_id=made[1]["id"])
    assert moved.status_code == 200, moved.text
    assert await manual_list(api, user) == ["b", "a", "c", "d"]
    listed = await api.client.get(
        TASKS, params={"sort": "position", "limit": 100}, headers=user.headers
    )
    assert len({t["position"] for t in listed.json()["items"]}) == 4
