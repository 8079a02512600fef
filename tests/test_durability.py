"""A write is committed before its 2xx is sent: when the commit fails, the client gets an
error, never a success, and nothing of the change remains."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tasklane.core.context import AppContext
from tasklane.core.sql import DatabaseError
from tests.helpers import Api, assert_problem, unique_email


@contextmanager
def failing_commits(
    ctx: AppContext, times: int = 1_000, *, lost: bool = False
) -> Iterator[list[int]]:
    """Make the next ``times`` COMMITs of the write engine fail: refused by the server, or
    with ``lost``, left without an answer as a dropped connection would.

    Fault injection at the driver boundary: the database cannot be told to refuse one COMMIT.
    """
    failed: list[int] = []
    driver = ctx.db.write_engine.driver
    commit = driver.commit

    async def refuse(raw: Any) -> None:
        if len(failed) < times:
            failed.append(1)
            if lost:
                raise ConnectionResetError("connection lost during COMMIT")
            raise DatabaseError(RuntimeError("COMMIT refused"), "COMMIT")
        await commit(raw)

    setattr(driver, "commit", refuse)  # noqa: B010 - an instance attribute, removed below
    try:
        yield failed
    finally:
        delattr(driver, "commit")


async def test_create_whose_commit_fails_is_not_acknowledged(api: Api, ctx: AppContext) -> None:
    user = await api.user()
    with failing_commits(ctx) as failed:
        response = await api.client.post(
            "/api/v1/tasks", json={"title": "lost?"}, headers=user.headers
        )
    assert failed
    assert_problem(response, 503, "service-unavailable")
    listed = await api.client.get("/api/v1/tasks", headers=user.headers)
    assert listed.json()["items"] == []


async def test_a_commit_left_without_an_answer_is_reported_as_unknown(
    api: Api, ctx: AppContext
) -> None:
    """The connection broke during COMMIT: the change may or may not be stored, and the
    client is told so (and how to retry safely), never that it failed or succeeded."""
    user = await api.user()
    with failing_commits(ctx, times=1, lost=True) as failed:
        response = await api.client.post(
            "/api/v1/tasks", json={"title": "unknown"}, headers=user.headers
        )
    assert failed
    body = assert_problem(response, 503, "outcome-unknown")
    assert "Idempotency-Key" in body["detail"]


async def test_update_whose_commit_fails_changes_nothing(api: Api, ctx: AppContext) -> None:
    user = await api.user()
    task = await api.create_task(user, title="before")
    with failing_commits(ctx) as failed:
        response = await api.client.patch(
            f"/api/v1/tasks/{task['id']}", json={"title": "after"}, headers=user.headers
        )
    assert failed
    assert_problem(response, 503)
    current = await api.client.get(f"/api/v1/tasks/{task['id']}", headers=user.headers)
    assert current.json()["title"] == "before"
    assert current.json()["version"] == 1


async def test_delete_whose_commit_fails_keeps_the_task(api: Api, ctx: AppContext) -> None:
    user = await api.user()
    task = await api.create_task(user)
    with failing_commits(ctx):
        response = await api.client.delete(f"/api/v1/tasks/{task['id']}", headers=user.headers)
    assert_problem(response, 503)
    current = await api.client.get(f"/api/v1/tasks/{task['id']}", headers=user.headers)
    assert current.status_code == 200


async def test_idempotent_retry_after_a_failed_commit_creates_once(
    api: Api, ctx: AppContext
) -> None:
    user = await api.user()
    headers = {**user.headers, "Idempotency-Key": "retry-after-failure"}
    # One failed COMMIT: the change itself. The key is then released, so the retry runs.
    with failing_commits(ctx, times=1):
        first = await api.client.post("/api/v1/tasks", json={"title": "once"}, headers=headers)
    assert_problem(first, 503)
    retry = await api.client.post("/api/v1/tasks", json={"title": "once"}, headers=headers)
    assert retry.status_code == 201, retry.text
    again = await api.client.post("/api/v1/tasks", json={"title": "once"}, headers=headers)
    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    items = (await api.client.get("/api/v1/tasks", headers=user.headers)).json()["items"]
    assert [t["title"] for t in items] == ["once"]


async def test_registration_whose_commit_fails_leaves_no_account(api: Api, ctx: AppContext) -> None:
    email = unique_email()
    with failing_commits(ctx):
        response = await api.register(email)
    assert_problem(response, 503)
    assert (await api.register(email)).status_code == 201


async def test_a_revocation_whose_commit_fails_locks_no_session_out(
    api: Api, ctx: AppContext
) -> None:
    """Sessions are announced as ended only after the revocation commits: a password change
    that fails to commit leaves the other devices logged in."""
    user = await api.user()
    other = await api.login(user.email)
    other_headers = {"Authorization": f"Bearer {other.json()['access_token']}"}
    assert (await api.client.get("/api/v1/tasks", headers=other_headers)).status_code == 200
    with failing_commits(ctx):
        response = await api.client.post(
            "/api/v1/users/me/password",
            json={"current_password": user.password, "new_password": "a brand new passphrase"},
            headers=user.headers,
        )
    assert_problem(response, 503)
    assert (await api.client.get("/api/v1/tasks", headers=other_headers)).status_code == 200
    assert (await api.login(user.email)).status_code == 200  # the old password still holds
