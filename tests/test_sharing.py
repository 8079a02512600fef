"""Sharing a project: roles, several owners, removal on the next request, invitations that
wait for a verified address, assignment. A viewer who writes gets a 403 (they can see the
task, so a 404 would hide nothing); a non-member gets a 404."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select, update

from tasklane.core.context import AppContext
from tasklane.core.types import utcnow
from tasklane.projects import service as projects_service
from tasklane.tasks.models import tasks
from tasklane.users.models import users
from tests.helpers import PASSWORD, Api, User, assert_problem, unique_email
from tests.mail_support import CONFIRM, Mailing, link_token, mailing, sink

__all__ = ["mailing", "sink"]  # fixtures

PROJECTS = "/api/v1/projects"
TASKS = "/api/v1/tasks"


async def verified(api: Api, ctx: AppContext, email: str | None = None) -> User:
    """An account whose address is verified (the link's effect, written directly)."""
    user = await api.user(email)
    async with ctx.db.transaction() as conn:
        await conn.execute(
            update(users).where(users.c.id == uuid.UUID(user.id)).values(email_verified_at=utcnow())
        )
    return user


async def shared_project(api: Api, owner: User, **members: User) -> dict[str, Any]:
    """A project of ``owner`` shared with each member in the role named by its keyword."""
    response = await api.client.post(PROJECTS, json={"name": "Shared"}, headers=owner.headers)
    assert response.status_code == 201, response.text
    project: dict[str, Any] = response.json()
    for role, member in members.items():
        added = await api.client.post(
            f"{PROJECTS}/{project['id']}/members",
            json={"email": member.email, "role": role},
            headers=owner.headers,
        )
        assert added.status_code == 201, added.text
        assert added.json()["role"] == role
    return project


async def test_editors_write_and_viewers_only_read(api: Api, ctx: AppContext) -> None:
    owner, editor, viewer = [await verified(api, ctx) for _ in range(3)]
    project = await shared_project(api, owner, editor=editor, viewer=viewer)
    task = await api.create_task(owner, project_id=project["id"], title="shared")

    for member in (editor, viewer):
        listed = await api.client.get(TASKS, headers=member.headers)
        assert [t["id"] for t in listed.json()["items"]] == [task["id"]]
        assert project["id"] in [
            p["id"]
            for p in (await api.client.get(PROJECTS, headers=member.headers)).json()["items"]
        ]
    edited = await api.client.patch(
        f"{TASKS}/{task['id']}", json={"status": "done"}, headers=editor.headers
    )
    assert edited.status_code == 200, edited.text
    by_editor = await api.create_task(editor, project_id=project["id"], title="by editor")

    url = f"{TASKS}/{task['id']}"
    h = viewer.headers
    assert (await api.client.get(url, headers=h)).status_code == 200
    assert_problem(await api.client.patch(url, json={"title": "x"}, headers=h), 403)
    assert_problem(await api.client.delete(url, headers=h), 403)
    assert_problem(await api.client.delete(url, headers={**h, "If-Match": '"2"'}), 403)
    bulk = {"action": "delete", "ids": [task["id"], by_editor["id"]]}
    assert_problem(await api.client.post(f"{TASKS}/bulk", json=bulk, headers=h), 403)
    create = await api.client.post(
        TASKS, json={"title": "x", "project_id": project["id"]}, headers=h
    )
    assert_problem(create, 403)
    rename = await api.client.patch(
        f"{PROJECTS}/{project['id']}", json={"name": "mine"}, headers=editor.headers
    )
    assert_problem(rename, 403)
    invite = await api.client.post(
        f"{PROJECTS}/{project['id']}/members",
        json={"email": unique_email(), "role": "viewer"},
        headers=editor.headers,
    )
    assert_problem(invite, 403)
    # The task is unchanged by the refused writes.
    after = await api.client.get(url, headers=owner.headers)
    assert after.json()["version"] == edited.json()["version"]


async def test_a_removed_member_is_refused_on_their_next_request(api: Api, ctx: AppContext) -> None:
    owner, editor = await verified(api, ctx), await verified(api, ctx)
    project = await shared_project(api, owner, editor=editor)
    task = await api.create_task(owner, project_id=project["id"], assignee_id=editor.id)
    assert task["assignee_id"] == editor.id
    url = f"{TASKS}/{task['id']}"
    assert (await api.client.get(url, headers=editor.headers)).status_code == 200

    removed = await api.client.delete(
        f"{PROJECTS}/{project['id']}/members/{editor.id}", headers=owner.headers
    )
    assert removed.status_code == 204, removed.text
    assert_problem(await api.client.get(url, headers=editor.headers), 404)
    assert_problem(await api.client.patch(url, json={"title": "x"}, headers=editor.headers), 404)
    listed = await api.client.get(TASKS, headers=editor.headers)
    assert listed.json()["items"] == []
    assert_problem(await api.client.get(f"{PROJECTS}/{project['id']}", headers=editor.headers), 404)
    # Their assignment went with them.
    assert (await api.client.get(url, headers=owner.headers)).json()["assignee_id"] is None


async def test_several_owners_and_the_last_one_cannot_leave(api: Api, ctx: AppContext) -> None:
    first, second = await verified(api, ctx), await verified(api, ctx)
    project = await shared_project(api, first, editor=second)
    members = f"{PROJECTS}/{project['id']}/members"
    leave = await api.client.delete(f"{members}/{first.id}", headers=first.headers)
    assert_problem(leave, 409)
    demote = await api.client.patch(
        f"{members}/{first.id}", json={"role": "editor"}, headers=first.headers
    )
    assert_problem(demote, 409)
    promoted = await api.client.patch(
        f"{members}/{second.id}", json={"role": "owner"}, headers=first.headers
    )
    assert promoted.status_code == 200, promoted.text
    assert promoted.json()["role"] == "owner"
    left = await api.client.delete(f"{members}/{first.id}", headers=first.headers)
    assert left.status_code == 204, left.text
    listed = await api.client.get(members, headers=second.headers)
    assert [(m["user_id"], m["role"]) for m in listed.json()["members"]] == [(second.id, "owner")]
    last = await api.client.delete(f"{members}/{second.id}", headers=second.headers)
    assert_problem(last, 409)


async def test_an_invitation_waits_for_a_verified_address(api: Api, ctx: AppContext) -> None:
    owner = await verified(api, ctx)
    project = await shared_project(api, owner)
    members = f"{PROJECTS}/{project['id']}/members"
    email = unique_email("invitee")
    invited = await api.client.post(
        members, json={"email": email.upper(), "role": "viewer"}, headers=owner.headers
    )
    assert invited.status_code == 202, invited.text
    assert invited.json()["email"] == email
    # Registering the address is not proof of owning it: nothing is shared yet.
    newcomer = await api.user(email)
    listed = await api.client.get(PROJECTS, headers=newcomer.headers)
    assert project["id"] not in [p["id"] for p in listed.json()["items"]]
    waiting = (await api.client.get(members, headers=owner.headers)).json()
    assert [i["email"] for i in waiting["invitations"]] == [email]
    # Once the address is verified, the invitation binds (the verification flow calls this).
    async with ctx.db.unit_of_work() as uow:
        joined = await projects_service.bind_invitations(
            uow.conn, uuid.UUID(newcomer.id), newcomer.email
        )
    assert [str(p) for p in joined] == [project["id"]]
    listed = await api.client.get(PROJECTS, headers=newcomer.headers)
    roles = {p["id"]: p["role"] for p in listed.json()["items"]}
    assert roles[project["id"]] == "viewer"
    assert (await api.client.get(members, headers=owner.headers)).json()["invitations"] == []


async def test_an_unverified_account_gets_an_invitation_not_access(
    api: Api, ctx: AppContext
) -> None:
    owner = await verified(api, ctx)
    unverified = await api.user()
    project = await shared_project(api, owner)
    members = f"{PROJECTS}/{project['id']}/members"
    invited = await api.client.post(
        members, json={"email": unverified.email, "role": "editor"}, headers=owner.headers
    )
    assert invited.status_code == 202, invited.text
    task = await api.create_task(owner, project_id=project["id"])
    assert_problem(await api.client.get(f"{TASKS}/{task['id']}", headers=unverified.headers), 404)
    withdrawn = await api.client.delete(
        f"{PROJECTS}/{project['id']}/invitations/{invited.json()['id']}", headers=owner.headers
    )
    assert withdrawn.status_code == 204


async def test_assignment_and_the_assigned_to_me_view(api: Api, ctx: AppContext) -> None:
    owner, editor, stranger = [await verified(api, ctx) for _ in range(3)]
    project = await shared_project(api, owner, editor=editor)
    mine = await api.create_task(owner, project_id=project["id"], title="for editor")
    await api.create_task(owner, project_id=project["id"], title="unassigned")
    assigned = await api.client.patch(
        f"{TASKS}/{mine['id']}", json={"assignee_id": editor.id}, headers=owner.headers
    )
    assert assigned.status_code == 200, assigned.text
    view = await api.client.get(TASKS, params={"assignee": "me"}, headers=editor.headers)
    assert [t["title"] for t in view.json()["items"]] == ["for editor"]
    outsider = await api.client.patch(
        f"{TASKS}/{mine['id']}", json={"assignee_id": stranger.id}, headers=owner.headers
    )
    assert assert_problem(outsider, 422)["errors"][0]["field"] == "assignee_id"
    cleared = await api.client.patch(
        f"{TASKS}/{mine['id']}", json={"assignee_id": None}, headers=owner.headers
    )
    assert cleared.json()["assignee_id"] is None
    bad = await api.client.get(TASKS, params={"assignee": "you"}, headers=editor.headers)
    assert_problem(bad, 422)


async def test_the_inbox_is_not_shared(api: Api, ctx: AppContext) -> None:
    owner, other = await verified(api, ctx), await verified(api, ctx)
    inbox = (await api.client.get(PROJECTS, headers=owner.headers)).json()["items"][0]
    assert inbox["is_inbox"]
    shared = await api.client.post(
        f"{PROJECTS}/{inbox['id']}/members",
        json={"email": other.email, "role": "viewer"},
        headers=owner.headers,
    )
    assert_problem(shared, 409)


async def test_the_verification_link_binds_what_waited(mailing: Mailing) -> None:
    """Registration makes the Inbox; opening the link mailed to the address joins the projects
    that invited it, with the role they chose."""
    api = Api(mailing.client())
    owner = await mailing.verified_user(api)
    project = await shared_project(api, owner)
    email = unique_email("later")
    invited = await api.client.post(
        f"{PROJECTS}/{project['id']}/members",
        json={"email": email, "role": "editor"},
        headers=owner.headers,
    )
    assert invited.status_code == 202, invited.text
    newcomer = await api.user(email)
    before = (await api.client.get(PROJECTS, headers=newcomer.headers)).json()["items"]
    assert [(p["name"], p["is_inbox"]) for p in before] == [("Inbox", True)]
    await mailing.turns()
    (message,) = [m for m in mailing.take() if m["To"] == email]
    confirmed = await api.client.post(CONFIRM, json={"token": link_token(message)})
    assert confirmed.status_code == 200, confirmed.text
    after = (await api.client.get(PROJECTS, headers=newcomer.headers)).json()["items"]
    assert {p["id"]: p["role"] for p in after}[project["id"]] == "editor"
    task = await api.create_task(newcomer, project_id=project["id"], title="joined")
    assert task["project_id"] == project["id"]


async def test_deleting_an_account_erases_nothing_others_can_see(api: Api, ctx: AppContext) -> None:
    """Shared projects pass on (the oldest other member becomes an owner if the account was
    the only one) with the tasks the account made there; what no one else sees goes."""
    leaving, staying = await verified(api, ctx), await verified(api, ctx)
    project = await shared_project(api, leaving, viewer=staying)
    made = await api.create_task(leaving, project_id=project["id"], title="made by leaver")
    alone = await api.client.post(PROJECTS, json={"name": "Mine"}, headers=leaving.headers)
    private = await api.create_task(leaving, project_id=alone.json()["id"])
    deleted = await api.client.request(
        "DELETE", "/api/v1/users/me", json={"password": PASSWORD}, headers=leaving.headers
    )
    assert deleted.status_code == 204, deleted.text

    kept = await api.client.get(f"{TASKS}/{made['id']}", headers=staying.headers)
    assert kept.status_code == 200, kept.text
    mine = (await api.client.get(PROJECTS, headers=staying.headers)).json()["items"]
    assert {p["id"]: p["role"] for p in mine}[project["id"]] == "owner"
    renamed = await api.client.patch(
        f"{PROJECTS}/{project['id']}", json={"name": "Ours now"}, headers=staying.headers
    )
    assert renamed.status_code == 200, renamed.text
    async with ctx.db.primary_reader() as conn:
        left = await projects_service.member_ids(conn, uuid.UUID(alone.json()["id"]))
        gone = await conn.execute(select(tasks.c.id).where(tasks.c.id == uuid.UUID(private["id"])))
        assert left == []
        assert gone.first() is None


async def test_a_members_dashboard_counts_follow_the_others_writes(
    api: Api, ctx: AppContext
) -> None:
    """The counts are cached per user; a write in a shared project drops every member's."""
    owner, editor = await verified(api, ctx), await verified(api, ctx)
    project = await shared_project(api, owner, editor=editor)

    async def total(user: User) -> int:
        response = await api.client.get(f"{TASKS}/stats", headers=user.headers)
        assert response.status_code == 200, response.text
        count: int = response.json()["total"]
        return count

    assert await total(editor) == 0  # now cached
    task = await api.create_task(owner, project_id=project["id"])
    assert await total(editor) == 1
    await api.client.delete(f"{TASKS}/{task['id']}", headers=owner.headers)
    assert await total(editor) == 0
