"""Small helpers the tests share: accounts, tokens, and checks on problem responses."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any

import httpx

from tasklane.tasks.schemas import TaskOut

PASSWORD = "correct horse battery staple"
#: The fields of a user profile as the API answers it.
USER_FIELDS = {
    "id",
    "email",
    "name",
    "role",
    "timezone",
    "preferences",
    "created_at",
    "updated_at",
    "email_verified_at",
}
ORIGIN = "http://testserver"
SAME_SITE = {"X-Requested-With": "XMLHttpRequest", "Origin": ORIGIN}


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}@example.com"


def refresh_cookie(response: httpx.Response) -> str | None:
    """The refresh token from Set-Cookie (the cookie is Secure, so httpx would not resend it
    over http: tests pass it explicitly)."""
    for header in response.headers.get_list("set-cookie"):
        cookie: SimpleCookie = SimpleCookie()
        cookie.load(header)
        if "tasklane_refresh" in cookie:
            value = cookie["tasklane_refresh"].value
            return value or None
    return None


def assert_problem(
    response: httpx.Response, status: int, code: str | None = None
) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    assert body["type"].startswith("urn:tasklane:problem:")
    if code is not None:
        assert body["type"] == f"urn:tasklane:problem:{code}", body
    return body


def assert_task(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload has exactly the documented task shape."""
    TaskOut.model_validate(payload)
    assert set(payload) == set(TaskOut.model_fields), payload
    return payload


@dataclass
class User:
    email: str
    password: str
    access_token: str
    refresh_token: str
    id: str = ""
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.headers = {"Authorization": f"Bearer {self.access_token}"}


class Api:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def register(
        self, email: str | None = None, password: str = PASSWORD, name: str = "Test User"
    ) -> httpx.Response:
        return await self.client.post(
            "/api/v1/auth/register",
            json={"email": email or unique_email(), "password": password, "name": name},
        )

    async def login(self, email: str, password: str = PASSWORD) -> httpx.Response:
        return await self.client.post(
            "/api/v1/auth/login", json={"email": email, "password": password}
        )

    async def user(self, email: str | None = None, password: str = PASSWORD) -> User:
        email = email or unique_email()
        registered = await self.register(email, password)
        assert registered.status_code == 201, registered.text
        response = await self.login(email, password)
        assert response.status_code == 200, response.text
        token = refresh_cookie(response)
        assert token
        user = User(email, password, response.json()["access_token"], token)
        user.id = registered.json()["id"]
        return user

    async def refresh(self, token: str, **headers: str) -> httpx.Response:
        return await self.client.post(
            "/api/v1/auth/refresh",
            headers={**SAME_SITE, "Cookie": f"tasklane_refresh={token}", **headers},
        )

    async def create_task(self, user: User, **fields: Any) -> dict[str, Any]:
        body = {"title": "A task", **fields}
        response = await self.client.post("/api/v1/tasks", json=body, headers=user.headers)
        assert response.status_code == 201, response.text
        return assert_task(response.json())


# --- live updates (Server-Sent Events) against a real server --------------------------------


async def live_account(client: httpx.AsyncClient) -> tuple[dict[str, str], str]:
    email = f"live-{uuid.uuid4().hex[:12]}@example.com"
    body = {"email": email, "password": PASSWORD, "name": "Live"}
    assert (await client.post("/api/v1/auth/register", json=body)).status_code == 201
    login = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    cookie = login.headers["set-cookie"].split(";", 1)[0]
    return {"Authorization": f"Bearer {login.json()['access_token']}"}, cookie


async def sse_events(response: httpx.Response) -> AsyncIterator[dict[str, Any]]:
    """The events of a stream as they arrive (comments and retry lines skipped)."""
    fields: dict[str, str] = {}
    async for line in response.aiter_lines():
        if line == "":
            if "data" in fields:
                yield {
                    "id": fields.get("id"),
                    "event": fields.get("event"),
                    **json.loads(fields["data"]),
                }
            fields = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(": ")
            fields[name] = value


async def next_event(events: AsyncIterator[dict[str, Any]], kind: str) -> dict[str, Any]:
    async def find() -> dict[str, Any]:
        async for event in events:
            if event["event"] == kind:
                return event
        raise AssertionError(f"the stream ended before a {kind} event")

    return await asyncio.wait_for(find(), 20)
