"""The authorization matrix, generated from the app's OpenAPI document: every operation of
every path is classified here (public or authenticated), and the test fails for an operation
the table does not know, so a new route is covered the day it lands.

- (a) other user's ids: user A owns a task, a notification and a project (with an invitation
  that waits); user B calls every authenticated operation with A's ids. Someone else's task,
  notification, project, member or invitation is a 404,
  administration is a 403 for a user, and A's data is unchanged afterwards.
- (b) bad credentials: no token, an expired one, one signed with another Ed25519 key,
  ``alg: none``, a wrong audience, and the refresh token as a bearer token: every
  authenticated operation answers 401 problem+json."""

from __future__ import annotations

import asyncio
import base64
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tasklane.core.context import AppContext
from tasklane.settings import Settings
from tasklane.worker import Worker
from tests.conftest import KIND
from tests.helpers import PASSWORD, SAME_SITE, Api, User, assert_problem
from tests.reliability import figures
from tests.reliability.support import call_app, http_scope

Ids = dict[str, str]


@dataclass(frozen=True)
class Call:
    """How to call an operation: its kind, and a valid body (so that a refusal is about who
    calls, never about the input). ``foreign`` is what user B must get with A's ids."""

    kind: str  # "public" or "authenticated"
    body: Callable[[Ids], Any] | None = None
    foreign: tuple[int, ...] = ()
    note: str = ""
    query: dict[str, Any] = field(default_factory=dict)
    stream: bool = False  # Server-Sent Events: read up to its headers, then hang up


def _no_body(_: Ids) -> None:
    return None


PUBLIC = Call("public")
OWN = Call("authenticated", foreign=(200, 204))  # B's own data: checked not to be A's

#: Every operation of the schema (an entry whose route is gone is harmless; a route with no
#: entry fails the first test). ``{task_id}``, ``{notification_id}`` and ``{user_id}`` are
#: filled with user A's ids.
TABLE: dict[tuple[str, str], Call] = {
    ("POST", "/api/v1/auth/register"): PUBLIC,
    ("POST", "/api/v1/auth/login"): PUBLIC,
    ("POST", "/api/v1/auth/refresh"): Call("public", note="the refresh cookie authenticates"),
    ("POST", "/api/v1/auth/logout"): Call("public", note="the refresh cookie authenticates"),
    ("POST", "/api/v1/auth/password-reset"): Call("public", note="the emailed link's token"),
    ("POST", "/api/v1/auth/password-reset/confirm"): Call(
        "public", note="the emailed link's token authenticates"
    ),
    ("POST", "/api/v1/auth/email/confirm"): Call(
        "public", note="the emailed link's token authenticates"
    ),
    ("POST", "/api/v1/auth/sessions/end"): Call(
        "public", note="the new-device notice's token authenticates"
    ),
    ("POST", "/api/v1/mail/unsubscribe"): Call(
        "public", note="the signed token of the List-Unsubscribe URL authenticates"
    ),
    ("GET", "/.well-known/jwks.json"): PUBLIC,
    ("GET", "/livez"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("POST", "/api/v1/auth/logout-all"): Call("authenticated", foreign=(204,)),
    ("POST", "/api/v1/tasks"): Call(
        "authenticated", body=lambda ids: {"title": "B's task"}, foreign=(201,)
    ),
    ("GET", "/api/v1/tasks"): OWN,
    ("GET", "/api/v1/tasks/stats"): OWN,
    ("POST", "/api/v1/tasks/bulk"): Call(
        "authenticated",
        body=lambda ids: {"action": "set_status", "ids": [ids["task_id"]], "status": "done"},
        foreign=(404,),
    ),
    ("GET", "/api/v1/tasks/{task_id}"): Call("authenticated", foreign=(404,)),
    ("GET", "/api/v1/tasks/{task_id}/subtasks"): Call("authenticated", foreign=(404,)),
    ("POST", "/api/v1/tasks/{task_id}/move"): Call(
        "authenticated", body=lambda ids: {"after_id": ids["task_id"]}, foreign=(404,)
    ),
    ("GET", "/api/v1/tasks/{task_id}/history"): Call("authenticated", foreign=(404,)),
    ("GET", "/api/v1/tasks/{task_id}/comments"): Call("authenticated", foreign=(404,)),
    ("POST", "/api/v1/tasks/{task_id}/comments"): Call(
        "authenticated", body=lambda ids: {"body": "B's comment"}, foreign=(404,)
    ),
    ("PATCH", "/api/v1/tasks/{task_id}/comments/{comment_id}"): Call(
        "authenticated", body=lambda ids: {"body": "Taken"}, foreign=(404,)
    ),
    ("DELETE", "/api/v1/tasks/{task_id}/comments/{comment_id}"): Call(
        "authenticated", foreign=(404,)
    ),
    ("GET", "/api/v1/tasks/trash"): OWN,
    ("POST", "/api/v1/tasks/trash/{task_id}/restore"): Call("authenticated", foreign=(404,)),
    ("DELETE", "/api/v1/tasks/trash/{task_id}"): Call("authenticated", foreign=(404,)),
    ("GET", "/api/v1/recurrence/preview"): Call(
        "authenticated",
        query={"rule": "FREQ=DAILY", "start": "2026-12-07T09:00", "tz": "Europe/Berlin"},
        foreign=(200,),
        note="a computation over its query: no one's data",
    ),
    ("PATCH", "/api/v1/tasks/{task_id}"): Call(
        "authenticated", body=lambda ids: {"title": "Taken"}, foreign=(404,)
    ),
    ("DELETE", "/api/v1/tasks/{task_id}"): Call("authenticated", foreign=(404,)),
    ("GET", "/api/v1/users/me"): OWN,
    ("PATCH", "/api/v1/users/me"): Call(
        "authenticated", body=lambda ids: {"name": "B renamed"}, foreign=(200,)
    ),
    ("DELETE", "/api/v1/users/me"): Call(
        "authenticated", body=lambda ids: {"password": PASSWORD}, foreign=(204,)
    ),
    ("POST", "/api/v1/users/me/password"): Call(
        "authenticated",
        body=lambda ids: {
            "current_password": PASSWORD,
            "new_password": "another horse battery staple",
        },
        foreign=(204,),
    ),
    ("POST", "/api/v1/users/me/email"): Call(
        "authenticated",
        body=lambda ids: {
            "new_email": f"b-{uuid.uuid4().hex[:12]}@example.com",
            "password": PASSWORD,
        },
        foreign=(202,),
    ),
    ("POST", "/api/v1/users/me/verification"): Call("authenticated", foreign=(202,)),
    ("GET", "/api/v1/users"): Call("authenticated", foreign=(403,), note="administrators"),
    ("POST", "/api/v1/users/{user_id}/deactivate"): Call(
        "authenticated", foreign=(403,), note="administrators"
    ),
    ("POST", "/api/v1/users/{user_id}/activate"): Call(
        "authenticated", foreign=(403,), note="administrators"
    ),
    ("GET", "/api/v1/notifications"): OWN,
    ("GET", "/api/v1/notifications/unread-count"): OWN,
    ("POST", "/api/v1/notifications/read-all"): Call("authenticated", foreign=(204,)),
    ("POST", "/api/v1/notifications/{notification_id}/read"): Call("authenticated", foreign=(404,)),
    ("GET", "/api/v1/events"): Call("authenticated", foreign=(200,), stream=True),
    ("GET", "/api/v1/projects"): OWN,
    ("POST", "/api/v1/projects"): Call(
        "authenticated", body=lambda ids: {"name": "B's project"}, foreign=(201,)
    ),
    ("GET", "/api/v1/projects/{project_id}"): Call("authenticated", foreign=(404,)),
    ("PATCH", "/api/v1/projects/{project_id}"): Call(
        "authenticated", body=lambda ids: {"name": "Taken"}, foreign=(404,)
    ),
    ("DELETE", "/api/v1/projects/{project_id}"): Call("authenticated", foreign=(404,)),
    ("GET", "/api/v1/projects/{project_id}/members"): Call("authenticated", foreign=(404,)),
    ("POST", "/api/v1/projects/{project_id}/members"): Call(
        "authenticated",
        body=lambda ids: {"email": f"b-{uuid.uuid4().hex[:12]}@example.com", "role": "owner"},
        foreign=(404,),
    ),
    ("PATCH", "/api/v1/projects/{project_id}/members/{user_id}"): Call(
        "authenticated", body=lambda ids: {"role": "viewer"}, foreign=(404,)
    ),
    ("DELETE", "/api/v1/projects/{project_id}/members/{user_id}"): Call(
        "authenticated", foreign=(404,)
    ),
    ("DELETE", "/api/v1/projects/{project_id}/invitations/{invitation_id}"): Call(
        "authenticated", foreign=(404,)
    ),
}

METHODS = ("get", "put", "post", "patch", "delete", "head", "options", "trace")
TOKEN_KINDS = ("none", "expired", "forged", "alg-none", "wrong-audience", "refresh-token")


def operations(app: Any) -> list[tuple[str, str]]:
    schema = app.openapi()
    return [
        (method.upper(), path)
        for path, item in schema["paths"].items()
        for method in item
        if method in METHODS
    ]


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64json(value: dict[str, Any]) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


def bad_tokens(ctx: AppContext, settings: Settings, user: User) -> dict[str, str | None]:
    real = jwt.decode(user.access_token, options={"verify_signature": False})
    now = int(time.time())
    claims = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": real["sub"],
        "sid": real["sid"],
        "iat": now,
        "exp": now + 900,
        "jti": b64url(uuid.uuid4().bytes),
    }
    kid = ctx.tokens.jwks["keys"][0]["kid"]
    headers = {"kid": kid, "typ": "at+jwt"}

    def sign(values: dict[str, Any], key: Any = None) -> str:
        return jwt.encode(values, key or ctx.tokens._private, algorithm="EdDSA", headers=headers)

    # The control: the same claims signed with the app's key are accepted (checked below).
    tokens: dict[str, str | None] = {
        "valid": sign(claims),
        "none": None,
        "expired": sign({**claims, "iat": now - 2000, "exp": now - 1000}),
        "forged": sign(claims, Ed25519PrivateKey.generate()),
        "alg-none": f"{b64json({'alg': 'none', **headers})}.{b64json(claims)}.",
        "wrong-audience": sign({**claims, "aud": "another-api"}),
        "refresh-token": user.refresh_token,
    }
    assert set(tokens) == {"valid", *TOKEN_KINDS}
    return tokens


def url(path: str, ids: Ids) -> str:
    return path.format(**ids)


async def send(
    client: httpx.AsyncClient,
    method: str,
    path: str,
    call: Call,
    ids: Ids,
    token: str | None,
) -> httpx.Response:
    headers = dict(SAME_SITE)
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    body = (call.body or _no_body)(ids)
    if call.stream:
        assert body is None
        assert not call.query
        app = client._transport.app  # type: ignore[attr-defined]
        messages = await call_app(app, http_scope(method, url(path, ids), headers), b"")
        start = messages[0]
        return httpx.Response(
            start["status"],
            headers=[(k.decode(), v.decode()) for k, v in start.get("headers", [])],
            content=b"".join(m.get("body", b"") for m in messages[1:]),
        )
    return await client.request(
        method,
        url(path, ids),
        headers=headers,
        params=call.query or None,
        json=body if body is not None else None,
    )


async def owner_state(api: Api, owner: User, ids: Ids) -> dict[str, Any]:
    """Everything of A's that B could have read or changed."""
    client, headers = api.client, owner.headers
    task = await client.get(f"/api/v1/tasks/{ids['task_id']}", headers=headers)
    tasks = await client.get("/api/v1/tasks", headers=headers)
    me = await client.get("/api/v1/users/me", headers=headers)
    notes = await client.get("/api/v1/notifications", headers=headers)
    unread = await client.get("/api/v1/notifications/unread-count", headers=headers)
    project = await client.get(f"/api/v1/projects/{ids['project_id']}", headers=headers)
    members = await client.get(f"/api/v1/projects/{ids['project_id']}/members", headers=headers)
    for response in (task, tasks, me, notes, unread, project, members):
        assert response.status_code == 200, response.text
    return {
        "project": project.json(),
        "members": members.json(),
        "task": task.json(),
        "etag": task.headers["etag"],
        "tasks": tasks.json(),
        "me": me.json(),
        "notifications": notes.json(),
        "unread": unread.json(),
    }


async def owner_with_data(api: Api, ctx: AppContext) -> tuple[User, Ids]:
    """User A, with a task and an unread notification (a real reminder, fired by the
    worker's own code)."""
    owner = await api.user()
    soon = (datetime.now(UTC) + timedelta(seconds=0.3)).isoformat()
    task = await api.create_task(owner, title="A's reminder", due_at=soon)
    worker = Worker(ctx)
    items: list[dict[str, Any]] = []
    try:
        while await worker.relay() or await worker.consume(block_ms=50):
            pass
        # The reminder is due 0.3 s after the task was made: fire until it has (bounded).
        for _ in range(50):
            await asyncio.sleep(0.1)
            await worker.fire_reminders()
            page = await api.client.get("/api/v1/notifications", headers=owner.headers)
            items = page.json()["items"]
            if items:
                break
    finally:
        await worker.close()
    assert items, "the reminder never fired"
    project = await api.client.post(
        "/api/v1/projects", json={"name": "A's project"}, headers=owner.headers
    )
    assert project.status_code == 201, project.text
    invitation = await api.client.post(
        f"/api/v1/projects/{project.json()['id']}/members",
        json={"email": f"a-guest-{uuid.uuid4().hex[:12]}@example.com", "role": "viewer"},
        headers=owner.headers,
    )
    assert invitation.status_code == 202, invitation.text
    comment = await api.client.post(
        f"/api/v1/tasks/{task['id']}/comments",
        json={"body": "A's comment"},
        headers=owner.headers,
    )
    assert comment.status_code == 201, comment.text
    ids = {
        "comment_id": comment.json()["id"],
        "task_id": task["id"],
        "notification_id": items[0]["id"],
        "user_id": owner.id,
        "project_id": project.json()["id"],
        "invitation_id": invitation.json()["id"],
    }
    return owner, ids


def test_every_operation_of_the_schema_is_classified(app: Any) -> None:
    known = operations(app)
    unclassified = sorted(set(known) - set(TABLE))
    assert unclassified == [], f"classify these operations in TABLE: {unclassified}"
    for call in TABLE.values():
        assert call.kind in ("public", "authenticated")


async def test_bad_credentials_are_401_on_every_authenticated_operation(
    api: Api, app: Any, ctx: AppContext, settings: Settings
) -> None:
    user = await api.user()
    owner, ids = await owner_with_data(api, ctx)
    tokens = bad_tokens(ctx, settings, user)
    control = await api.client.get(
        "/api/v1/users/me", headers={"Authorization": f"Bearer {tokens['valid']}"}
    )
    assert control.status_code == 200, control.text
    before = await owner_state(api, owner, ids)
    cells = 0
    for method, path in operations(app):
        call = TABLE[(method, path)]
        if call.kind != "authenticated":
            continue
        for kind in TOKEN_KINDS:
            response = await send(api.client, method, path, call, ids, tokens[kind])
            assert response.status_code == 401, (method, path, kind, response.text)
            assert_problem(response, 401, "unauthorized")
            assert response.headers["www-authenticate"].startswith("Bearer")
            cells += 1
    # Nothing reached any data: the user's session and A's data are as they were.
    assert (await api.client.get("/api/v1/users/me", headers=user.headers)).status_code == 200
    assert await owner_state(api, owner, ids) == before
    known = operations(app)
    authenticated = sum(TABLE[op].kind == "authenticated" for op in known)
    figures.record(
        f"matrix-credentials-{KIND}",
        {
            "operations": len(known),
            "authenticated": authenticated,
            "token_kinds": len(TOKEN_KINDS),
            "cells": cells,
            "failures": 0,
        },
    )


async def test_another_users_ids_never_leak_or_change_anything(
    api: Api, app: Any, ctx: AppContext
) -> None:
    owner, ids = await owner_with_data(api, ctx)
    before = await owner_state(api, owner, ids)
    owned = {
        ids["task_id"],
        ids["notification_id"],
        before["me"]["email"],
        before["task"]["title"],
        before["project"]["name"],
        before["members"]["invitations"][0]["email"],
    }
    cells = 0
    for method, path in operations(app):
        call = TABLE[(method, path)]
        if call.kind != "authenticated":
            continue
        # A fresh user B for each call: some calls end B's sessions or account.
        intruder = await api.user()
        response = await send(api.client, method, path, call, ids, intruder.access_token)
        assert response.status_code in call.foreign, (method, path, response.text)
        if response.status_code >= 400:
            assert_problem(response, response.status_code)
        if call.stream:
            assert response.headers["content-type"].startswith("text/event-stream")
        # Whatever B got is B's: nothing of A's appears in it but the ids B sent itself.
        sent = f"{url(path, ids)} {json.dumps((call.body or _no_body)(ids))}"
        for secret in owned - {value for value in owned if value in sent}:
            assert secret not in response.text, (method, path, response.text)
        assert await owner_state(api, owner, ids) == before, (method, path)
        cells += 1
    figures.record(f"matrix-foreign-ids-{KIND}", {"operations": cells, "failures": 0})
