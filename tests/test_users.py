"""Profiles (/api/v1/users/me), credentials changes, account deletion, and the administration
of accounts."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from tasklane.auth.models import sessions
from tasklane.cli import _create_admin
from tasklane.core.context import AppContext
from tasklane.settings import Settings
from tasklane.tasks.models import tasks
from tasklane.users.models import users
from tests.helpers import (
    PASSWORD,
    USER_FIELDS,
    Api,
    User,
    assert_problem,
    refresh_cookie,
    unique_email,
)

ME = "/api/v1/users/me"
USERS = "/api/v1/users"
NEW_PASSWORD = "a brand new passphrase, 2026"
DEFAULT_PREFERENCES = {
    "theme": "system",
    "task_view": "list",
    "locale": "auto",
    "default_sort": "-created_at",
    "week_start": "monday",
    "show_completed": True,
    "email": {"reminders": True, "digest": False, "digest_time": "08:00"},
    "reminder_offsets": None,
}


async def assert_refused(client: httpx.AsyncClient, access_token: str) -> None:
    """The token opens nothing: neither the profile nor the task list (which, unlike the
    profile, does not look the account up)."""
    for path in (ME, "/api/v1/tasks"):
        response = await client.get(path, headers={"Authorization": f"Bearer {access_token}"})
        assert_problem(response, 401, "unauthorized")
        assert response.headers["www-authenticate"].startswith("Bearer")


async def assert_accepted(client: httpx.AsyncClient, access_token: str) -> dict[str, Any]:
    response = await client.get(ME, headers={"Authorization": f"Bearer {access_token}"})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def second_login(api: Api, user: User) -> User:
    response = await api.login(user.email, user.password)
    assert response.status_code == 200, response.text
    token = refresh_cookie(response)
    assert token
    other = User(user.email, user.password, response.json()["access_token"], token)
    other.id = user.id
    return other


async def patch_me(api: Api, user: User, body: dict[str, Any]) -> httpx.Response:
    return await api.client.patch(ME, json=body, headers=user.headers)


# ---------------------------------------------------------------------------------------------
# Profile


async def test_me_answers_the_profile(api: Api) -> None:
    user = await api.user()
    body = await assert_accepted(api.client, user.access_token)
    assert set(body) == USER_FIELDS
    assert body["id"] == user.id
    assert body["email"] == user.email
    assert body["role"] == "user"
    assert body["timezone"] == "UTC"
    assert body["preferences"] == DEFAULT_PREFERENCES
    assert_problem(await api.client.get(ME), 401, "unauthorized")


async def test_patch_me_changes_name_and_timezone(api: Api) -> None:
    user = await api.user()
    before = await assert_accepted(api.client, user.access_token)
    response = await patch_me(api, user, {"name": "  Grace Hopper ", "timezone": "Europe/Berlin"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["name"] == "Grace Hopper"
    assert body["timezone"] == "Europe/Berlin"
    assert body["updated_at"] >= before["updated_at"]
    again = await assert_accepted(api.client, user.access_token)
    assert (again["name"], again["timezone"]) == ("Grace Hopper", "Europe/Berlin")


@pytest.mark.parametrize("timezone", ["Mars/Base", "europe/berlin", "CEST", "", "../etc/passwd"])
async def test_patch_me_refuses_unknown_timezones(api: Api, timezone: str) -> None:
    user = await api.user()
    body = assert_problem(await patch_me(api, user, {"timezone": timezone}), 422)
    assert [e["field"] for e in body["errors"]] == ["timezone"]
    assert (await assert_accepted(api.client, user.access_token))["timezone"] == "UTC"


async def test_patch_me_merges_preferences(api: Api) -> None:
    user = await api.user()
    first = await patch_me(api, user, {"preferences": {"theme": "dark"}})
    assert first.status_code == 200, first.text
    second = await patch_me(api, user, {"preferences": {"task_view": "board", "week_start": None}})
    assert second.status_code == 200, second.text
    expected = {**DEFAULT_PREFERENCES, "theme": "dark", "task_view": "board"}
    assert second.json()["preferences"] == expected
    assert (await assert_accepted(api.client, user.access_token))["preferences"] == expected
    # Another field alone leaves the preferences alone.
    third = await patch_me(api, user, {"name": "Renamed"})
    assert third.json()["preferences"] == expected


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"preferences": {"theme": "neon"}}, "preferences.theme"),
        ({"preferences": {"default_sort": "password_hash"}}, "preferences.default_sort"),
        ({"preferences": {"show_completed": "sometimes"}}, "preferences.show_completed"),
        ({"preferences": {"colour": "red"}}, "preferences.colour"),
        ({"preferences": "dark"}, "preferences"),
        ({"email": "new@example.com"}, "email"),
        ({"role": "admin"}, "role"),
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
    ],
)
async def test_patch_me_validates(api: Api, body: dict[str, Any], field: str) -> None:
    user = await api.user()
    problem = assert_problem(await patch_me(api, user, body), 422, "validation-error")
    assert field in [e["field"] for e in problem["errors"]], problem
    after = await assert_accepted(api.client, user.access_token)
    assert after["preferences"] == DEFAULT_PREFERENCES
    assert after["role"] == "user"
    assert after["email"] == user.email


# ---------------------------------------------------------------------------------------------
# Password


async def change_password(api: Api, user: User, current: str, new: str) -> httpx.Response:
    return await api.client.post(
        f"{ME}/password",
        json={"current_password": current, "new_password": new},
        headers=user.headers,
    )


async def test_change_password_needs_the_current_one(api: Api) -> None:
    user = await api.user()
    response = await change_password(api, user, "not my password", NEW_PASSWORD)
    body = assert_problem(response, 422, "validation-error")
    assert [e["field"] for e in body["errors"]] == ["current_password"]
    assert (await api.login(user.email, PASSWORD)).status_code == 200
    assert_problem(await api.login(user.email, NEW_PASSWORD), 401)


@pytest.mark.parametrize("new", ["password123", "qwertyuiop", "short"])
async def test_change_password_refuses_a_weak_new_password(api: Api, new: str) -> None:
    user = await api.user()
    body = assert_problem(await change_password(api, user, PASSWORD, new), 422)
    assert [e["field"] for e in body["errors"]] == ["new_password"]
    assert (await api.login(user.email, PASSWORD)).status_code == 200


async def test_change_password_to_the_same_one_is_refused_and_changes_nothing(api: Api) -> None:
    user = await api.user()
    body = assert_problem(await change_password(api, user, PASSWORD, PASSWORD), 422)
    assert [e["field"] for e in body["errors"]] == ["new_password"]
    assert "current one" in body["errors"][0]["message"]
    me = await api.client.get(ME, headers=user.headers)
    assert me.status_code == 200  # the session was not ended, as a change would end others


async def test_change_password_ends_every_other_session(api: Api) -> None:
    user = await api.user()
    phone = await second_login(api, user)
    bystander = await api.user()
    await assert_accepted(api.client, phone.access_token)  # in use right before the change

    response = await change_password(api, user, PASSWORD, NEW_PASSWORD)
    assert response.status_code == 204, response.text

    # The phone (perhaps in a thief's hand) is logged out...
    await assert_refused(api.client, phone.access_token)
    assert_problem(await api.refresh(phone.refresh_token), 401)
    # ...the session that changed the password is not.
    await assert_accepted(api.client, user.access_token)
    refreshed = await api.refresh(user.refresh_token)
    assert refreshed.status_code == 200, refreshed.text
    await assert_accepted(api.client, refreshed.json()["access_token"])
    # Other accounts are not touched.
    await assert_accepted(api.client, bystander.access_token)

    assert (await api.login(user.email, NEW_PASSWORD)).status_code == 200
    assert_problem(await api.login(user.email, PASSWORD), 401, "invalid-credentials")


# ---------------------------------------------------------------------------------------------
# Email


async def change_email(api: Api, user: User, new_email: str, password: str) -> httpx.Response:
    return await api.client.post(
        f"{ME}/email", json={"new_email": new_email, "password": password}, headers=user.headers
    )


async def test_change_email_needs_the_password(api: Api) -> None:
    user = await api.user()
    body = assert_problem(await change_email(api, user, unique_email(), "not my password"), 422)
    assert [e["field"] for e in body["errors"]] == ["password"]
    assert (await assert_accepted(api.client, user.access_token))["email"] == user.email


# Moving the login to the new address (after its link is opened) and an address another
# account has: tests/test_email_change.py.


async def test_change_email_refuses_an_invalid_address(api: Api) -> None:
    user = await api.user()
    body = assert_problem(await change_email(api, user, "nobody", PASSWORD), 422)
    assert [e["field"] for e in body["errors"]] == ["new_email"]


# ---------------------------------------------------------------------------------------------
# Deleting the account


async def delete_me(api: Api, user: User, password: str) -> httpx.Response:
    return await api.client.request("DELETE", ME, json={"password": password}, headers=user.headers)


async def _count(ctx: AppContext, table: Any, user_id: str) -> int:
    async with ctx.db.reader() as conn:
        stmt = select(func.count()).select_from(table).where(table.c.user_id == uuid.UUID(user_id))
        return int((await conn.execute(stmt)).scalar_one())


async def test_delete_account_needs_the_password_and_changes_nothing_without_it(
    api: Api, ctx: AppContext
) -> None:
    user = await api.user()
    phone = await second_login(api, user)
    await api.create_task(user, title="Keep me")
    body = assert_problem(await delete_me(api, user, "not my password"), 422)
    assert [e["field"] for e in body["errors"]] == ["password"]
    # Nothing happened: the account, its tasks and its sessions are all still there.
    await assert_accepted(api.client, user.access_token)
    await assert_accepted(api.client, phone.access_token)
    assert (await api.refresh(phone.refresh_token)).status_code == 200
    assert await _count(ctx, tasks, user.id) == 1
    assert (await api.login(user.email)).status_code == 200


async def test_delete_account_removes_everything(api: Api, ctx: AppContext) -> None:
    user = await api.user()
    phone = await second_login(api, user)
    bystander = await api.user()
    await api.create_task(user, title="Secret plans", tags=["private"])
    await api.create_task(user, title="More plans")
    kept = await api.create_task(bystander, title="Not yours")
    assert await _count(ctx, tasks, user.id) == 2
    await assert_accepted(api.client, phone.access_token)  # in use right before the deletion

    response = await delete_me(api, user, PASSWORD)
    assert response.status_code == 204, response.text

    assert await _count(ctx, tasks, user.id) == 0
    assert await _count(ctx, sessions, user.id) == 0
    async with ctx.db.reader() as conn:
        gone = select(users.c.id).where(users.c.id == uuid.UUID(user.id))
        assert (await conn.execute(gone)).first() is None
    for session in (user, phone):
        await assert_refused(api.client, session.access_token)
        assert_problem(await api.refresh(session.refresh_token), 401)
    assert_problem(await api.login(user.email), 401, "invalid-credentials")

    # Others keep their data; the address can be used again, for a new, empty account.
    got = await api.client.get(f"/api/v1/tasks/{kept['id']}", headers=bystander.headers)
    assert got.status_code == 200
    again = await api.user(user.email, NEW_PASSWORD)
    assert again.id != user.id
    listed = await api.client.get("/api/v1/tasks", headers=again.headers)
    assert listed.status_code == 200
    assert listed.json()["items"] == []


# ---------------------------------------------------------------------------------------------
# Administration


async def test_the_cli_admin_is_an_admin(api: Api, admin: User) -> None:
    assert (await assert_accepted(api.client, admin.access_token))["role"] == "admin"


async def test_non_admins_cannot_administer(api: Api) -> None:
    user = await api.user()
    target = await api.user()
    assert_problem(await api.client.get(USERS, headers=user.headers), 403, "forbidden")
    for action in ("deactivate", "activate"):
        response = await api.client.post(f"{USERS}/{target.id}/{action}", headers=user.headers)
        assert_problem(response, 403, "forbidden")
    await assert_accepted(api.client, target.access_token)
    assert (await api.login(target.email)).status_code == 200
    assert_problem(await api.client.get(USERS), 401)


async def _all_ids(api: Api, admin: User, limit: int) -> list[str]:
    ids: list[str] = []
    cursor: str | None = None
    for _ in range(10_000):
        params: dict[str, Any] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        response = await api.client.get(USERS, params=params, headers=admin.headers)
        assert response.status_code == 200, response.text
        page = response.json()
        assert set(page) == {"items", "next_cursor"}
        assert len(page["items"]) <= limit
        for item in page["items"]:
            assert set(item) == {*USER_FIELDS, "is_active"}
        fresh = [item["id"] for item in page["items"]]
        assert not set(fresh) & set(ids), "a user listed twice"
        ids += fresh
        cursor = page["next_cursor"]
        if cursor is None:
            return ids
        assert page["items"], "a page with a next cursor is never empty"
    raise AssertionError("the listing never ended")


async def test_admin_lists_users_with_cursor_pagination(api: Api, admin: User) -> None:
    members = [await api.user(), await api.user()]
    one_by_one = await _all_ids(api, admin, 1)
    assert {admin.id, *(m.id for m in members)} <= set(one_by_one)
    # The same listing in big pages: same users, same order.
    assert await _all_ids(api, admin, 100) == one_by_one


async def test_admin_listing_refuses_a_broken_cursor(api: Api, admin: User) -> None:
    for cursor in ("not-a-cursor", "eyJ2IjoxLCJrIjoidGFza3MiLCJwIjpbXX0"):
        response = await api.client.get(USERS, params={"cursor": cursor}, headers=admin.headers)
        body = assert_problem(response, 422)
        assert [e["field"] for e in body["errors"]] == ["cursor"]


async def test_deactivation_locks_the_user_out_and_activation_lets_them_back(
    api: Api, admin: User
) -> None:
    user = await api.user()
    laptop = await second_login(api, user)
    for session in (user, laptop):
        await assert_accepted(api.client, session.access_token)  # in use until the deactivation

    response = await api.client.post(f"{USERS}/{user.id}/deactivate", headers=admin.headers)
    assert response.status_code == 200, response.text
    assert response.json()["is_active"] is False
    assert response.json()["id"] == user.id

    for session in (user, laptop):
        await assert_refused(api.client, session.access_token)
        assert_problem(await api.refresh(session.refresh_token), 401)
    assert_problem(await api.login(user.email), 401, "invalid-credentials")

    response = await api.client.post(f"{USERS}/{user.id}/activate", headers=admin.headers)
    assert response.status_code == 200, response.text
    assert response.json()["is_active"] is True
    login = await api.login(user.email)
    assert login.status_code == 200, login.text
    await assert_accepted(api.client, login.json()["access_token"])
    # The sessions ended by the deactivation stay ended.
    await assert_refused(api.client, user.access_token)
    assert_problem(await api.refresh(laptop.refresh_token), 401)


async def test_admin_cannot_deactivate_themself(api: Api, admin: User) -> None:
    response = await api.client.post(f"{USERS}/{admin.id}/deactivate", headers=admin.headers)
    assert_problem(response, 409, "conflict")
    await assert_accepted(api.client, admin.access_token)
    assert (await api.client.get(USERS, headers=admin.headers)).status_code == 200


async def test_admin_actions_on_an_unknown_user(api: Api, admin: User) -> None:
    for action in ("deactivate", "activate"):
        missing = await api.client.post(f"{USERS}/{uuid.uuid4()}/{action}", headers=admin.headers)
        assert_problem(missing, 404, "not-found")
        malformed = await api.client.post(f"{USERS}/42/{action}", headers=admin.headers)
        assert_problem(malformed, 422)


async def test_an_admin_can_deactivate_another_admin(
    api: Api, admin: User, settings: Settings
) -> None:
    email = unique_email("admin")
    await _create_admin(settings, email, "Second admin", PASSWORD)
    login = await api.login(email)
    assert login.status_code == 200, login.text
    other = User(email, PASSWORD, login.json()["access_token"], "")
    assert (await api.client.get(USERS, headers=other.headers)).status_code == 200
    other.id = (await assert_accepted(api.client, other.access_token))["id"]

    response = await api.client.post(f"{USERS}/{other.id}/deactivate", headers=admin.headers)
    assert response.status_code == 200, response.text
    assert_problem(await api.client.get(USERS, headers=other.headers), 401)
    assert_problem(await api.login(email), 401, "invalid-credentials")
