"""Projects: every task is in one; each account has an Inbox; nesting, order, archive."""

from __future__ import annotations

from typing import Any

from tests.helpers import Api, User, assert_problem

PROJECTS = "/api/v1/projects"
TASKS = "/api/v1/tasks"


async def projects(api: Api, user: User, **params: Any) -> list[dict[str, Any]]:
    response = await api.client.get(PROJECTS, params=params, headers=user.headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def create_project(api: Api, user: User, **body: Any) -> dict[str, Any]:
    response = await api.client.post(PROJECTS, json={"name": "Work", **body}, headers=user.headers)
    assert response.status_code == 201, response.text
    project: dict[str, Any] = response.json()
    return project


async def test_an_account_has_an_inbox_that_holds_its_tasks_and_stays(api: Api) -> None:
    user = await api.user()
    task = await api.create_task(user)
    [inbox] = await projects(api, user)
    assert inbox["is_inbox"] is True
    assert inbox["name"] == "Inbox"
    assert inbox["role"] == "owner"
    assert inbox["open_tasks"] == 1
    assert task["project_id"] == inbox["id"]
    url = f"{PROJECTS}/{inbox['id']}"
    assert_problem(await api.client.delete(url, headers=user.headers), 409)
    archive = await api.client.patch(url, json={"archived": True}, headers=user.headers)
    assert_problem(archive, 409)
    renamed = await api.client.patch(url, json={"name": "Catch-all"}, headers=user.headers)
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == "Catch-all"


async def test_tasks_listed_per_project_and_moved_between_projects(api: Api) -> None:
    user = await api.user()
    work = await create_project(api, user, colour="#3B82F6")
    assert work["colour"] == "#3b82f6"
    assert work["is_inbox"] is False
    loose = await api.create_task(user, title="loose")
    filed = await api.create_task(user, title="filed", project_id=work["id"])
    assert filed["project_id"] == work["id"]

    def titles(response: Any) -> list[str]:
        assert response.status_code == 200, response.text
        return [t["title"] for t in response.json()["items"]]

    only_work = await api.client.get(TASKS, params={"project_id": work["id"]}, headers=user.headers)
    assert titles(only_work) == ["filed"]
    everything = await api.client.get(TASKS, headers=user.headers)
    assert titles(everything) == ["filed", "loose"]

    moved = await api.client.patch(
        f"{TASKS}/{filed['id']}", json={"project_id": loose["project_id"]}, headers=user.headers
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["project_id"] == loose["project_id"]
    assert moved.json()["version"] == 2
    only_work = await api.client.get(TASKS, params={"project_id": work["id"]}, headers=user.headers)
    assert titles(only_work) == []
    counts = {p["id"]: p["open_tasks"] for p in await projects(api, user)}
    assert counts == {loose["project_id"]: 2, work["id"]: 0}
    bad = await api.client.patch(
        f"{TASKS}/{filed['id']}", json={"project_id": None}, headers=user.headers
    )
    assert_problem(bad, 422)


async def test_archive_restore_and_delete(api: Api) -> None:
    user = await api.user()
    work = await create_project(api, user)
    task = await api.create_task(user, project_id=work["id"])
    url = f"{PROJECTS}/{work['id']}"
    archived = await api.client.patch(url, json={"archived": True}, headers=user.headers)
    assert archived.status_code == 200, archived.text
    assert archived.json()["archived_at"] is not None
    assert work["id"] not in [p["id"] for p in await projects(api, user)]
    assert [p["id"] for p in await projects(api, user, archived="true")] == [work["id"]]
    restored = await api.client.patch(url, json={"archived": False}, headers=user.headers)
    assert restored.json()["archived_at"] is None
    assert work["id"] in [p["id"] for p in await projects(api, user)]
    assert (await api.client.delete(url, headers=user.headers)).status_code == 204
    assert_problem(await api.client.get(url, headers=user.headers), 404)
    gone = await api.client.get(f"{TASKS}/{task['id']}", headers=user.headers)
    assert_problem(gone, 404)


async def test_nesting_is_bounded_and_never_circular(api: Api) -> None:
    user = await api.user()
    top = await create_project(api, user, name="top")
    middle = await create_project(api, user, name="middle", parent_id=top["id"])
    bottom = await create_project(api, user, name="bottom", parent_id=middle["id"])
    assert bottom["parent_id"] == middle["id"]
    too_deep = await api.client.post(
        PROJECTS, json={"name": "deeper", "parent_id": bottom["id"]}, headers=user.headers
    )
    assert assert_problem(too_deep, 422)["errors"][0]["field"] == "parent_id"
    circular = await api.client.patch(
        f"{PROJECTS}/{top['id']}", json={"parent_id": bottom["id"]}, headers=user.headers
    )
    assert_problem(circular, 422)
    has_children = await api.client.delete(f"{PROJECTS}/{top['id']}", headers=user.headers)
    assert_problem(has_children, 409)
    lifted = await api.client.patch(
        f"{PROJECTS}/{middle['id']}", json={"parent_id": None}, headers=user.headers
    )
    assert lifted.status_code == 200, lifted.text
    assert lifted.json()["parent_id"] is None


async def test_each_member_orders_their_own_projects(api: Api) -> None:
    user = await api.user()
    first = await create_project(api, user, name="first")
    second = await create_project(api, user, name="second")
    names = [p["name"] for p in await projects(api, user)]
    assert names[-2:] == ["first", "second"]
    moved = await api.client.patch(
        f"{PROJECTS}/{second['id']}", json={"position": 0}, headers=user.headers
    )
    assert moved.status_code == 200, moved.text
    await api.client.patch(f"{PROJECTS}/{first['id']}", json={"position": 5}, headers=user.headers)
    # Equal positions keep their age order (the Inbox, made first, is at 0 too).
    assert [p["name"] for p in await projects(api, user)] == ["Inbox", "second", "first"]


async def test_someone_elses_project_is_a_404_everywhere(api: Api) -> None:
    owner = await api.user()
    stranger = await api.user()
    work = await create_project(api, owner)
    task = await api.create_task(owner, project_id=work["id"])
    url = f"{PROJECTS}/{work['id']}"
    h = stranger.headers
    assert_problem(await api.client.get(url, headers=h), 404)
    assert_problem(await api.client.patch(url, json={"name": "x"}, headers=h), 404)
    assert_problem(await api.client.delete(url, headers=h), 404)
    assert_problem(await api.client.get(f"{url}/members", headers=h), 404)
    invite = {"email": stranger.email, "role": "owner"}
    assert_problem(await api.client.post(f"{url}/members", json=invite, headers=h), 404)
    leave = await api.client.delete(f"{url}/members/{owner.id}", headers=h)
    assert_problem(leave, 404)
    assert_problem(await api.client.get(f"{TASKS}/{task['id']}", headers=h), 404)
    listed = await api.client.get(TASKS, params={"project_id": work["id"]}, headers=h)
    assert listed.json()["items"] == []
    create = await api.client.post(
        TASKS, json={"title": "sneak", "project_id": work["id"]}, headers=h
    )
    assert assert_problem(create, 422)["errors"][0]["field"] == "project_id"
    assert work["id"] not in [p["id"] for p in await projects(api, stranger)]


async def test_bad_project_input_is_a_problem(api: Api) -> None:
    user = await api.user()
    h = user.headers
    for body in (
        {"name": ""},
        {"name": "x", "colour": "blue"},
        {"name": "x", "extra": 1},
        {"name": "x\u0000"},
    ):
        assert_problem(await api.client.post(PROJECTS, json=body, headers=h), 422)
    work = await create_project(api, user)
    for body in ({"archived": 1}, {"name": None}, {"position": -1}):
        response = await api.client.patch(f"{PROJECTS}/{work['id']}", json=body, headers=h)
        assert_problem(response, 422)
    assert_problem(await api.client.get(f"{PROJECTS}/not-an-id", headers=h), 422)
